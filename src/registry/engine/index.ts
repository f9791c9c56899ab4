/**
 * The decision engine core: in-memory registry index, policies, allowlist, decisions, sightings.
 * Free of I/O; the storage and HTTP sides feed it and call it. See docs/decisions.md.
 */
export * from './taxonomy.ts';
export * from './types.ts';
export { RegistryIndex, kindCode, expirySeconds, CONFIDENCE_SCALE } from './registry-index.ts';
export type { RegistryIndexOptions, IndexStats } from './registry-index.ts';
export * from './policy.ts';
export * from './allowlist.ts';
export * from './extract.ts';
export { displayValue } from './reasons.ts';
export { DecisionEngine, MAX_BATCH } from './engine.ts';
export type { EngineOptions, DecideOptions, Sighting, ListingChange, ContentClassifier } from './engine.ts';
