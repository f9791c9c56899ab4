import crypto from 'node:crypto';
import type { IndicatorKind } from '../../core/normalize/index.ts';

/**
 * The string a listing is hashed under for privacy-preserving lookups (Safe Browsing style).
 * URLs and domains use Safe Browsing's host/path expressions, so a client hashes the lookup
 * expressions of the link it holds (urlLookupExpressions) and finds both kinds; other kinds are
 * `kind:value`, e.g. `phone:+8613800138000`.
 */
export function lookupString(kind: IndicatorKind, value: string): string {
  if (kind === 'url') return value; // stored as a lookup expression, e.g. `evil.example/x/`
  if (kind === 'domain') return `${value}/`;
  return `${kind}:${value}`;
}

export function sha256(s: string): Buffer {
  return crypto.createHash('sha256').update(s, 'utf8').digest();
}

export const PREFIX_BYTES = 4;
