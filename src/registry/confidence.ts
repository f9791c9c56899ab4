import type { SourceKind } from './tables.ts';

/**
 * A listing's confidence (0..1) from the sources that corroborate it. Pure; docs/registry.md
 * explains the formula and its defaults.
 *
 *   confidence = 1 − (1 − R) · Π over the other sources i of (1 − trust_i · w(age_i))
 *
 * - Each distinct source (an analyst, an institution, a detector, a feed) counts once, with its
 *   trust: repeats by the same source refresh its `lastAt`, they are not corroboration.
 * - w(age) = 2^(−age / halfLife): a source loses half its weight every half-life (90 days) unless
 *   it is seen again. A recent sighting of the listing (a matched decision) counts as seeing every
 *   source again on that day.
 * - Citizens' reports are pooled with diminishing returns: with mass M = Σ trust_j · w(age_j)
 *   over the distinct reporters (0.05 each by default), R = C · (1 − e^(−M / C)). The first reports
 *   add about 0.05 each and the pool never passes C = 0.6, so a hundred anonymous reports (≈ 0.60)
 *   stay below one analyst's confirmation (0.95).
 */

export const DAY_MS = 86_400_000;

/** Default trust of one source of each kind. */
export const DEFAULT_TRUST: Readonly<Record<SourceKind, number>> = Object.freeze({
  /** An analyst of the anti-fraud centre confirmed it. */
  analyst: 0.95,
  /** A bank, operator or internet service submitted it (API key with listings:write). */
  institution: 0.8,
  /** An automatic detector flagged it; multiplied by the detector's score (0..1). */
  detector: 0.7,
  /** A bulk feed or import without its own confidence column. */
  feed: 0.6,
  /** One citizen's report (anonymous or not): pooled with diminishing returns. */
  report: 0.05,
});

export interface ConfidenceOptions {
  /** Half-life of a source's weight (default 90 days). */
  halfLifeMs?: number;
  /** The ceiling of the pooled citizens' reports (default 0.6). */
  reportCap?: number;
  /** The listing's latest sighting: sources are taken as seen again then. */
  lastSightedAt?: Date | number | null;
}

export const DEFAULT_HALF_LIFE_MS = 90 * DAY_MS;
export const DEFAULT_REPORT_CAP = 0.6;

export interface SourceInput {
  kind: SourceKind;
  /** 0..1; the kind's default when omitted. */
  trust?: number;
  /** When this source last submitted the listing. */
  lastAt: Date | number;
}

const clamp01 = (x: number) => (Number.isFinite(x) ? Math.min(1, Math.max(0, x)) : 0);
const ms = (d: Date | number) => (typeof d === 'number' ? d : d.getTime());

/** The trust a new source gets: the kind's default, a detector's scaled by its score. */
export function defaultTrust(kind: SourceKind, score?: number): number {
  const base = DEFAULT_TRUST[kind];
  return kind === 'detector' && score !== undefined ? clamp01(base * clamp01(score)) : base;
}

/** The weight of a source last seen `ageMs` ago: 1 now, ½ after one half-life. */
export function decayWeight(ageMs: number, halfLifeMs = DEFAULT_HALF_LIFE_MS): number {
  if (!(ageMs > 0)) return 1;
  return Math.pow(2, -ageMs / halfLifeMs);
}

/** The confidence of a listing with these sources at `now`; 0 without sources. */
export function computeConfidence(
  sources: readonly SourceInput[],
  now: Date | number,
  opts: ConfidenceOptions = {},
): number {
  const halfLife = opts.halfLifeMs ?? DEFAULT_HALF_LIFE_MS;
  const cap = opts.reportCap ?? DEFAULT_REPORT_CAP;
  const t = ms(now);
  const sighted = opts.lastSightedAt == null ? -Infinity : ms(opts.lastSightedAt);
  let disbelief = 1;
  let reportMass = 0;
  for (const s of sources) {
    const trust = clamp01(s.trust ?? DEFAULT_TRUST[s.kind]);
    const seen = Math.min(t, Math.max(ms(s.lastAt), sighted));
    const w = decayWeight(t - seen, halfLife);
    if (s.kind === 'report') reportMass += trust * w;
    else disbelief *= 1 - trust * w;
  }
  const reports = cap > 0 ? cap * (1 - Math.exp(-reportMass / cap)) : 0;
  disbelief *= 1 - reports;
  // Four decimals: stored as float4, compared by people.
  return Math.round((1 - disbelief) * 10_000) / 10_000;
}
