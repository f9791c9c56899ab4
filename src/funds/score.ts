import type { FundTruth, Truth } from '../detection/records.ts';
import { traceFunds, type Ledger, type MixRule } from './trace.ts';

/**
 * Tracing quality against a simulated world's truth (docs/funds.md, "Quality"): which accounts the
 * trace says hold stolen money, against the accounts that hold it by construction, and how much of
 * the money it puts where it truly is.
 *
 * Per-account totals are compared, not per-victim shares: where several victims' money merges in
 * one account, which victim's money an outflow carries is a rule (lowest balance, fifo,
 * proportional), not a fact the ledger shows; the simulator's own attribution is one more such
 * rule. So the world's victims are traced together as one case and compared account by account;
 * each payment traced alone is scored too, against that payment's own truth, and its shortfall
 * measures how much one complaint traced on its own is blurred by the others' money.
 */

/** An account holds money when it holds at least this much (1.00, minor units). */
export const HOLDING_MIN = 100;

export interface HoldingScore {
  /** Accounts holding at least 1.00 by the truth, by the trace, and both. */
  trueAccounts: number;
  tracedAccounts: number;
  truePositives: number;
  precision: number;
  recall: number;
  /** Money held by the truth, and the part of it the trace puts in the same accounts. */
  trueHeld: number;
  tracedRight: number;
  /** `tracedRight / trueHeld`. */
  tracedShare: number;
}

export interface FundQuality {
  rule: MixRule;
  /** Victims' payments scored (the truth's `funds`). */
  payments: number;
  stolen: number;
  /** Every payment of the world traced together as one case, against the per-account totals. */
  world: HoldingScore;
  /** Each payment traced alone against its own truth, pooled over payments (micro-averaged). */
  perPayment: HoldingScore;
}

/** Scores traced holdings against true ones (both: minor units by account). */
export function scoreHoldings(
  traced: ReadonlyMap<string, number>,
  truth: ReadonlyMap<string, number>,
): HoldingScore {
  const holding = (m: ReadonlyMap<string, number>) =>
    new Set([...m].filter(([, v]) => v >= HOLDING_MIN).map(([a]) => a));
  const t = holding(truth);
  const got = holding(traced);
  let tp = 0;
  for (const a of got) if (t.has(a)) tp++;
  let trueHeld = 0;
  let tracedRight = 0;
  for (const a of t) {
    const v = truth.get(a)!;
    trueHeld += v;
    tracedRight += Math.min(v, traced.get(a) ?? 0);
  }
  return rates({ trueAccounts: t.size, tracedAccounts: got.size, truePositives: tp, trueHeld, tracedRight });
}

type Counts = Pick<
  HoldingScore,
  'trueAccounts' | 'tracedAccounts' | 'truePositives' | 'trueHeld' | 'tracedRight'
>;

function rates(c: Counts): HoldingScore {
  return {
    ...c,
    precision: c.tracedAccounts ? c.truePositives / c.tracedAccounts : c.trueAccounts ? 0 : 1,
    recall: c.trueAccounts ? c.truePositives / c.trueAccounts : 1,
    tracedShare: c.trueHeld ? c.tracedRight / c.trueHeld : 1,
  };
}

/** Per-account totals of the truth's payments. */
export function trueHoldings(funds: readonly FundTruth[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const f of funds) for (const [a, v] of Object.entries(f.held)) out.set(a, (out.get(a) ?? 0) + v);
  return out;
}

async function tracedHoldings(
  ledger: Ledger,
  startIds: readonly string[],
  rule: MixRule,
  maxHops: number | undefined,
): Promise<Map<string, number>> {
  const r = await traceFunds(ledger, startIds, { rule, ...(maxHops === undefined ? {} : { maxHops }) });
  // Accounts past the hop limit hold money too: the trace counts it there.
  return new Map(r.accounts.map((a) => [a.account, a.held]));
}

/** Traces the truth's payments (together, then one by one) over `ledger` and scores the holdings. */
export async function scoreFundTracing(
  ledger: Ledger,
  truth: Truth,
  opts: { rule?: MixRule; maxHops?: number } = {},
): Promise<FundQuality> {
  if (!truth.funds) throw new Error('the truth has no funds: simulate the world anew');
  const rule = opts.rule ?? 'lowest_balance';
  const funds = truth.funds;
  const ids = funds.map((f) => f.victimTxnId);
  const world = scoreHoldings(await tracedHoldings(ledger, ids, rule, opts.maxHops), trueHoldings(funds));
  const pooled: Counts = {
    trueAccounts: 0,
    tracedAccounts: 0,
    truePositives: 0,
    trueHeld: 0,
    tracedRight: 0,
  };
  for (const f of funds) {
    const s = scoreHoldings(
      await tracedHoldings(ledger, [f.victimTxnId], rule, opts.maxHops),
      trueHoldings([f]),
    );
    for (const k of Object.keys(pooled) as (keyof Counts)[]) pooled[k] += s[k];
  }
  return {
    rule,
    payments: funds.length,
    stolen: funds.reduce((s, f) => s + f.amount, 0),
    world,
    perPayment: rates(pooled),
  };
}
