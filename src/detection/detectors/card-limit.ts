/**
 * `card_limit`: real-name card rules broken in bulk (docs/detection.md, "card_limit"). Card
 * dealers open cards in other people's names (bought, borrowed or stolen identities) and sell
 * them to fraud call centres; it shows in the card file before any call is made:
 *
 * - over the limit: a holder (`subjectKind: 'holder'`, the holder id itself is the subject) with
 *   more consumer cards than `nationalLimit` (default 5) across all operators, or more than the
 *   operator's limit at one operator (`operatorLimits[operator]`, else `perOperatorLimit`,
 *   default 5: the MIIT "one ID, five numbers" rule per operator; set it lower, 3 say, for a
 *   stricter policy). Over means strictly more than the limit: a family of four on one ID is not.
 *   Score 0.6 + 0.1 per card over the most exceeded limit, at most 1.
 * - bursts: cards activated in a burst at one outlet. A card that names its outlet (the optional
 *   `outlet` column) is grouped with the operator's other cards of that outlet. A card file that
 *   names none leaves cards grouped by operator (`burstKey: 'operator'`, the default) or by
 *   operator and holder region (`'operator_region'`). holder_region is the holder's, not the
 *   outlet's, and a dealer opens cards in the names of people from anywhere, so grouping by it
 *   splits a real burst; use it when an operator's activation rate is too high for an
 *   operator-wide test. Grouped by operator, an ordinary card activated anywhere in the country
 *   within a dealer's ten minutes is taken into the burst (two on the 200,000-person world);
 *   grouped by outlet it is not. A burst is at least
 *   `burstMinCards` activations within `burstWindowMs` (default 10 in 10 min) and at least
 *   `burstFactor` (5) times the group's expected count in such a window at its average rate over
 *   the whole file (its first to its last activation, whatever the group). Each card of the
 *   burst is reported (`subjectKind: 'msisdn'`) and goes into `ctx.flaggedNumbers`.
 *   Score 0.6 + 0.4 · min(1, (count / expected) / (4·burstFactor)).
 *
 * It works from `ctx.cardsByMsisdn` / `ctx.cardsByHolder`, not from calls: the scan runs on the
 * first `drain`, again at the final drain, and in between whenever cards were added or replaced and
 * `rescanEveryMs` of stream time has passed. Each holder and each burst card is reported once
 * (the reported subjects are remembered; they are the only state).
 */
import type { DetectionContext, Detector } from '../detector.ts';
import type { CardRecord, Detection } from '../records.ts';
import { round } from './common.ts';

export interface CardLimitParams {
  /** Consumer cards one holder may hold across all operators. */
  nationalLimit: number;
  /** Consumer cards one holder may hold at one operator, unless `operatorLimits` says otherwise. */
  perOperatorLimit: number;
  /** Per-operator limits by operator name or id. */
  operatorLimits: Record<string, number>;
  /** Count IoT cards too (off: IoT cards are held by companies and have their own rules). */
  countIot: boolean;
  /** How bursts are grouped: per operator, or per operator and holder region. */
  burstKey: 'operator' | 'operator_region';
  /** Activations within this span in one group form a burst (ms). */
  burstWindowMs: number;
  /** Cards a burst needs at least. */
  burstMinCards: number;
  /** A burst needs this many times the expected activations in its span. */
  burstFactor: number;
  /** Rescan no more often than this when cards are added while streaming (stream ms). */
  rescanEveryMs: number;
}

export const DEFAULT_CARD_LIMIT_PARAMS: CardLimitParams = Object.freeze({
  nationalLimit: 5,
  perOperatorLimit: 5,
  operatorLimits: Object.freeze({}) as Record<string, number>,
  countIot: false,
  burstKey: 'operator',
  burstWindowMs: 10 * 60_000,
  burstMinCards: 10,
  burstFactor: 5,
  rescanEveryMs: 3600_000,
});

/**
 * The detector. Its state (the reported subjects and when it last scanned) is in its own fields,
 * so that a streaming checkpoint can snapshot it (src/detection/checkpoint.ts).
 */
export class CardLimitDetector implements Detector {
  readonly name = 'card_limit' as const;
  readonly p: CardLimitParams;
  reportedHolders = new Set<string>();
  reportedCards = new Set<string>();
  /**
   * `ctx.cardsVersion` at the last scan; -1 before the first. A version, not a count: a number
   * given to a new holder changes two holders' cards and not the count.
   */
  scannedVersion = -1;
  lastScan = -Infinity;

  constructor(params: Partial<CardLimitParams> = {}) {
    this.p = { ...DEFAULT_CARD_LIMIT_PARAMS, ...params };
  }

  /** Subjects remembered as reported (holders + burst cards). */
  size(): number {
    return this.reportedHolders.size + this.reportedCards.size;
  }

  drain(now: number, final: boolean, ctx: DetectionContext): Detection[] {
    const v = ctx.cardsVersion;
    const first = this.scannedVersion < 0;
    if (!first && (v === this.scannedVersion || (!final && now - this.lastScan < this.p.rescanEveryMs)))
      return [];
    this.scannedVersion = v;
    this.lastScan = now;
    const out: Detection[] = [];
    this.scanHolders(ctx, out);
    this.scanBursts(ctx, now, out);
    return out;
  }

  private limitOf(operator: string): number {
    return this.p.operatorLimits[operator] ?? this.p.perOperatorLimit;
  }

  private scanHolders(ctx: DetectionContext, out: Detection[]): void {
    const p = this.p;
    const perOp = new Map<string, number>();
    for (const [holder, list] of ctx.cardsByHolder) {
      if (holder === '' || this.reportedHolders.has(holder)) continue;
      if (list.length <= Math.min(p.nationalLimit, p.perOperatorLimit)) {
        // Fast path: a holder under both defaults is under every limit, unless an operator's
        // own limit is lower.
        let lower = false;
        for (const k in p.operatorLimits) if ((p.operatorLimits[k] ?? Infinity) < list.length) lower = true;
        if (!lower) continue;
      }
      let total = 0;
      let from = Infinity;
      let to = -Infinity;
      perOp.clear();
      for (const c of list) {
        if (c.cardType === 'iot' && !p.countIot) continue;
        total++;
        perOp.set(c.operator, (perOp.get(c.operator) ?? 0) + 1);
        if (c.activatedAt < from) from = c.activatedAt;
        if (c.activatedAt > to) to = c.activatedAt;
      }
      let over = total - p.nationalLimit;
      const operators: { operator: string; cards: number; limit: number }[] = [];
      for (const [op, n] of perOp) {
        const lim = this.limitOf(op);
        operators.push({ operator: op, cards: n, limit: lim });
        if (n - lim > over) over = n - lim;
      }
      if (over <= 0) continue;
      this.reportedHolders.add(holder);
      operators.sort((a, b) => b.cards - a.cards || (a.operator < b.operator ? -1 : 1));
      out.push({
        detector: 'card_limit',
        subjectKind: 'holder',
        subject: holder,
        score: round(Math.min(1, 0.6 + 0.1 * over)),
        window: { from, to },
        evidence: {
          rule: 'over_limit',
          cards: total,
          nationalLimit: p.nationalLimit,
          overBy: over,
          operators,
        },
      });
    }
  }

  private scanBursts(ctx: DetectionContext, now: number, out: Detection[]): void {
    const p = this.p;
    const groups = new Map<string, CardRecord[]>();
    let first = Infinity;
    let last = -Infinity;
    for (const c of ctx.cardsByMsisdn.values()) {
      if (c.cardType === 'iot' && !p.countIot) continue;
      if (c.activatedAt < first) first = c.activatedAt;
      if (c.activatedAt > last) last = c.activatedAt;
      const k =
        c.outlet !== undefined
          ? c.operator + '\u0001' + c.outlet
          : p.burstKey === 'operator'
            ? c.operator
            : c.operator + '\u0000' + c.holderRegion;
      const g = groups.get(k);
      if (g) g.push(c);
      else groups.set(k, [c]);
    }
    for (const g of groups.values()) {
      if (g.length < p.burstMinCards) continue;
      g.sort((a, b) => a.activatedAt - b.activatedAt || (a.msisdn < b.msisdn ? -1 : 1));
      // Average activations per burst window over the whole file (at least one window's worth of
      // span): an outlet that only ever activated one dealer's burst has no rate of its own.
      const expected = (g.length * p.burstWindowMs) / Math.max(last - first, p.burstWindowMs);
      let j = 0;
      let i = 0;
      while (i < g.length) {
        // Grow the burst [i, j) while the first and last are within the window.
        if (j < i) j = i;
        while (j < g.length && g[j]!.activatedAt - g[i]!.activatedAt <= p.burstWindowMs) j++;
        const n = j - i;
        if (n >= p.burstMinCards && n >= p.burstFactor * expected) {
          const burst = g.slice(i, j);
          const first = burst[0]!;
          const from = first.activatedAt;
          const to = burst[burst.length - 1]!.activatedAt;
          const ratio = burst.length / expected;
          const score = round(0.6 + 0.4 * Math.min(1, ratio / (4 * p.burstFactor)));
          for (const c of burst) {
            if (this.reportedCards.has(c.msisdn)) continue;
            this.reportedCards.add(c.msisdn);
            ctx.flaggedNumbers.set(c.msisdn, { detector: 'card_limit', at: now });
            out.push({
              detector: 'card_limit',
              subjectKind: 'msisdn',
              subject: c.msisdn,
              score,
              window: { from, to },
              evidence: {
                rule: 'burst',
                operator: first.operator,
                region: first.outlet !== undefined || p.burstKey === 'operator' ? null : first.holderRegion,
                outlet: first.outlet ?? null,
                burstCards: burst.length,
                burstMinutes: round((to - from) / 60_000),
                expectedInWindow: round(expected),
              },
            });
          }
          i = j;
        } else i++;
      }
    }
  }
}

export function cardLimitDetector(params: Partial<CardLimitParams> = {}): CardLimitDetector {
  return new CardLimitDetector(params);
}
