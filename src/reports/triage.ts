import type { AgeGroup, Loss } from './tables.ts';

/**
 * Urgency and abuse signals, as small pure functions (docs/reports.md, "Triage" and "Abuse").
 */

const HOUR = 3_600_000;

/**
 * Urgency of one report, 0..100: money being lost now comes first, then vulnerable victims, then
 * the amount. The queue adds the number of independent reporters of the report's indicators.
 */
export function reportUrgency(
  r: { loss: Loss | null; ageGroup: AgeGroup | null; forRelative: boolean },
  now: number,
): number {
  let u = 0;
  if (r.loss) {
    const paid = r.loss.paidAt ? Date.parse(r.loss.paidAt) : NaN;
    if (r.loss.ongoing) u += 50;
    else if (Number.isFinite(paid) && now - paid < 24 * HOUR) u += 40;
    else u += 15;
    const amount = Number(r.loss.amount);
    if (amount >= 100_000) u += 15;
    else if (amount >= 10_000) u += 10;
    else if (amount > 0) u += 5;
  }
  if (r.ageGroup === 'elderly' || r.ageGroup === 'minor') u += 25;
  if (r.forRelative) u += 10;
  return Math.min(100, u);
}

export interface ReporterFact {
  /** When this reporter was first seen by the platform (any report). */
  firstSeen: number;
  /** When they reported this indicator. */
  reportedAt: number;
  networkKey: string;
  /** Confirmed minus rejected reports of this reporter, before this one. */
  standing: number;
}

export interface Coordination {
  score: number;
  reasons: string[];
}

/**
 * Do the reports against one indicator look coordinated? Signs: most reporters are new to the
 * platform, share few networks, or arrived in a burst, and none has a good record. A competitor
 * trying to get a legitimate number blocked shows these; real victims of one scam rarely all do.
 * Returns null below `minReporters` (too few to tell) or when no sign is strong enough.
 */
export function coordinationOf(
  facts: readonly ReporterFact[],
  opts: { minReporters?: number; newWithinMs?: number; burstMs?: number } = {},
): Coordination | null {
  const n = facts.length;
  if (n < (opts.minReporters ?? 4)) return null;
  const newWithin = opts.newWithinMs ?? 72 * HOUR;
  const burst = opts.burstMs ?? 30 * 60_000;
  const reasons: string[] = [];
  let score = 0;
  const fresh = facts.filter((f) => f.reportedAt - f.firstSeen < newWithin && f.standing <= 0).length;
  if (fresh / n >= 0.8) {
    reasons.push('new_reporters');
    score += 0.3;
  }
  const networks = new Set(facts.map((f) => f.networkKey)).size;
  if (networks <= Math.max(1, Math.floor(n / 3))) {
    reasons.push('linked_reporters');
    score += 0.45;
  }
  const times = facts.map((f) => f.reportedAt).sort((a, b) => a - b);
  let maxInWindow = 0;
  for (let i = 0, j = 0; i < times.length; i++) {
    while (times[i]! - times[j]! > burst) j++;
    maxInWindow = Math.max(maxInWindow, i - j + 1);
  }
  if (maxInWindow / n >= 0.8) {
    reasons.push('burst');
    score += 0.25;
  }
  if (facts.some((f) => f.standing > 0)) score -= 0.3;
  // New reporters arriving in a burst is what a real scam wave looks like too; only with reporters
  // sharing networks (the one sign honest victims rarely show) is it held.
  return reasons.includes('linked_reporters') && reasons.length >= 2 && score >= 0.6
    ? { score: Math.min(1, score), reasons }
    : null;
}

/** How much one reporter's report counts towards auto-listing: good records count more. */
export function reporterWeight(standing: number): number {
  if (standing <= -2) return 0;
  if (standing < 0) return 0.5;
  return Math.min(2, 1 + standing * 0.25);
}
