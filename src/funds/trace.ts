import type { TransactionRecord } from '../detection/records.ts';

/**
 * Fund tracing (docs/funds.md): follows victims' money forward through the transaction ledger,
 * hop by hop, across splits and merges, and says how much of each victim's money every account
 * still holds, what left at cash-out points, and what went beyond the hops explored.
 *
 * Mixed funds: when an account holding traced money also holds other money, a rule says which
 * money an outflow carries (all three conserve every cent: what came in is held, carried on, or
 * cashed out):
 * - `lowest_balance` (default; the lowest intermediate balance rule): the holder spends their own
 *   money first, so traced money stays in the account while the balance allows; an outflow carries
 *   traced money only when the balance falls below the traced amount, and then exactly the excess.
 *   What remains traced never exceeds the lowest balance since the money came in.
 * - `fifo`: money leaves in the order it came in (first in, first out).
 * - `proportional`: every outflow carries traced money in the proportion the account holds it.
 * Balances are those the ledger shows from the first traced deposit on; money going out beyond
 * them is the holder's own earlier money (it carries nothing traced). Several victims' money is
 * traced separately: an outflow carrying traced money takes it from each victim in proportion.
 */

export const MIX_RULES = ['lowest_balance', 'fifo', 'proportional'] as const;
export type MixRule = (typeof MIX_RULES)[number];

/** Where money leaves the banking system in the ledger: cash at an ATM or a counter, or abroad. */
export const CASH_OUT_CHANNELS = ['atm', 'counter', 'abroad'] as const;

/**
 * Cash taken out (no payee) or a transfer abroad. A transfer made at a counter or an ATM into an
 * account is not a cash-out: the money lands in that account (a victim paying a mule at the bank
 * counter), as docs/formats.md has it (the payee is empty for cash withdrawals).
 */
export const isCashOut = (t: TransactionRecord): boolean => t.payee === '' || t.channel === 'abroad';

/** The transactions of some accounts (as payer or payee) from a time on, in time order. */
export interface Ledger {
  activity(accounts: readonly string[], from: number): Promise<TransactionRecord[]>;
  /** The transactions with these ids (unknown ids are left out). */
  byIds(ids: readonly string[]): Promise<TransactionRecord[]>;
}

/** Amounts per victim (minor units), by the victim's label (their transfer's id unless given). */
export type ByVictim = Record<string, number>;

export interface TracedAccount {
  account: string;
  /** Hops from the victims' transfers: 1 for the account a victim paid. */
  depth: number;
  firstTracedAt: number;
  /** Traced money the account still holds at the end of the ledger (or `asOf`). */
  held: number;
  heldByVictim: ByVictim;
  /** Beyond the hop limit: its onward transfers were not followed. */
  explored: boolean;
}

export interface TracedEdge {
  txnId: string;
  ts: number;
  from: string;
  /** The payee; for cash taken out, `cash:<channel>`. */
  to: string;
  /** The whole transfer. */
  amount: number;
  /** The traced money it carried. */
  traced: number;
  byVictim: ByVictim;
  cashOut: boolean;
}

export interface TraceResult {
  rule: MixRule;
  maxHops: number;
  /** The victims' transfers the trace starts from. */
  start: { txnId: string; victim: string; payer: string; payee: string; amount: number; ts: number }[];
  accounts: TracedAccount[];
  edges: TracedEdge[];
  totals: {
    stolen: number;
    /** Still in accounts explored, and in accounts beyond the hop limit. */
    held: number;
    heldBeyondHops: number;
    cashedOut: number;
  };
  /** Accounts holding at least `minProposal`, largest first: where the next stop-payments go. */
  proposals: { account: string; amount: number; depth: number }[];
}

export interface TraceOptions {
  rule?: MixRule;
  /** Hops to follow (default 6). */
  maxHops?: number;
  /** Ignore transactions after this time (default: the whole ledger). */
  asOf?: number;
  /** Smallest holding worth a stop-payment (minor units; default 100.00). */
  minProposal?: number;
  /** Victim labels by starting transaction id (default: the transaction id). */
  victims?: Record<string, string>;
}

interface AccountState {
  depth: number;
  firstAt: number;
  balance: number;
  traced: Map<string, number>;
  /** fifo only: lots in arrival order (victim '' is untraced money). */
  lots: { victim: string; amount: number }[];
}

const sum = (m: Map<string, number>) => {
  let s = 0;
  for (const v of m.values()) s += v;
  return s;
};

/**
 * Splits `amount` over victims in proportion to `weights`, in whole units, the remainder going to
 * the largest shares first (ties by label): the parts always add up to `amount`.
 */
export function apportion(amount: number, weights: Map<string, number>): Map<string, number> {
  const out = new Map<string, number>();
  const total = sum(weights);
  if (amount <= 0 || total <= 0) return out;
  const parts = [...weights.entries()]
    .filter(([, w]) => w > 0)
    .map(([k, w]) => {
      const exact = (amount * w) / total;
      return { k, floor: Math.floor(exact), frac: exact - Math.floor(exact) };
    });
  let rest = amount - parts.reduce((s, p) => s + p.floor, 0);
  parts.sort((a, b) => b.frac - a.frac || (a.k < b.k ? -1 : 1));
  for (const p of parts) {
    const extra = rest > 0 ? 1 : 0;
    rest -= extra;
    if (p.floor + extra > 0) out.set(p.k, p.floor + extra);
  }
  return out;
}

function take(from: Map<string, number>, parts: Map<string, number>): void {
  for (const [k, v] of parts) {
    const left = (from.get(k) ?? 0) - v;
    if (left > 0) from.set(k, left);
    else from.delete(k);
  }
}

function add(to: Map<string, number>, parts: Map<string, number>): void {
  for (const [k, v] of parts) to.set(k, (to.get(k) ?? 0) + v);
}

const toRecord = (m: Map<string, number>): ByVictim =>
  Object.fromEntries([...m.entries()].filter(([, v]) => v > 0).sort(([a], [b]) => (a < b ? -1 : 1)));

/** What an outflow of `amount` from `s` carries, by the rule; updates the account's state. */
function outflow(s: AccountState, amount: number, rule: MixRule): Map<string, number> {
  const before = s.balance;
  s.balance -= amount;
  const traced = sum(s.traced);
  if (traced === 0 && rule !== 'fifo') return new Map();
  if (rule === 'lowest_balance') {
    const keep = Math.max(0, s.balance);
    if (traced <= keep) return new Map();
    const carried = apportion(Math.min(amount, traced - keep), s.traced);
    take(s.traced, carried);
    return carried;
  }
  if (rule === 'proportional') {
    if (before <= 0) return new Map();
    const share = Math.min(1, amount / before);
    const carried = apportion(Math.min(traced, Math.round(traced * share)), s.traced);
    take(s.traced, carried);
    return carried;
  }
  // fifo: consume lots in order; past the last lot, the holder's own earlier money.
  const carried = new Map<string, number>();
  let need = amount;
  while (need > 0 && s.lots.length > 0) {
    const lot = s.lots[0]!;
    const used = Math.min(lot.amount, need);
    if (lot.victim) carried.set(lot.victim, (carried.get(lot.victim) ?? 0) + used);
    lot.amount -= used;
    need -= used;
    if (lot.amount === 0) s.lots.shift();
  }
  take(s.traced, carried);
  return carried;
}

function inflow(s: AccountState, amount: number, carried: Map<string, number>, rule: MixRule): void {
  s.balance += amount;
  add(s.traced, carried);
  if (rule === 'fifo') {
    let untraced = amount;
    for (const [victim, v] of carried) {
      s.lots.push({ victim, amount: v });
      untraced -= v;
    }
    if (untraced > 0) s.lots.push({ victim: '', amount: untraced });
  }
}

/**
 * Traces the money of the victims' transfers `startIds`. Accounts are discovered hop by hop (each
 * round fetches the new accounts' activity), and each round replays every transaction of the
 * accounts found so far in time order, so splits, merges and money coming back are all seen.
 */
export async function traceFunds(
  ledger: Ledger,
  startIds: readonly string[],
  opts: TraceOptions = {},
): Promise<TraceResult> {
  const rule = opts.rule ?? 'lowest_balance';
  const maxHops = opts.maxHops ?? 6;
  const minProposal = opts.minProposal ?? 10_000;
  const starts = await ledger.byIds([...new Set(startIds)]);
  const startById = new Map(starts.map((t) => [t.txnId, t]));
  const victimOf = (id: string) => opts.victims?.[id] ?? id;
  const from = starts.reduce((m, t) => Math.min(m, t.ts), Infinity);

  // Accounts to replay, with the depth at which each was first reached.
  const depth = new Map<string, number>();
  for (const t of starts) if (!isCashOut(t)) depth.set(t.payee, 1);
  let activity: TransactionRecord[] = [];
  let fetched = new Set<string>();
  let states = new Map<string, AccountState>();
  let edges: TracedEdge[] = [];

  for (let round = 0; round <= maxHops; round++) {
    // Fetch the activity of accounts within the hop limit not fetched yet.
    const want = [...depth.entries()].filter(([a, d]) => d <= maxHops && !fetched.has(a)).map(([a]) => a);
    if (want.length === 0 && round > 0) break;
    if (want.length) {
      const more = await ledger.activity(want, from);
      const seen = new Set(activity.map((t) => t.txnId));
      activity = activity.concat(more.filter((t) => !seen.has(t.txnId)));
      fetched = new Set([...fetched, ...want]);
    }
    for (const t of starts) if (!activity.some((x) => x.txnId === t.txnId)) activity.push(t);
    activity.sort((a, b) => a.ts - b.ts || (a.txnId < b.txnId ? -1 : a.txnId > b.txnId ? 1 : 0));
    ({ states, edges } = replay(activity, startById, victimOf, fetched, depth, rule, opts.asOf, maxHops));
  }

  const accounts: TracedAccount[] = [...states.entries()]
    .filter(([, s]) => s.firstAt !== Infinity)
    .map(([account, s]) => ({
      account,
      depth: s.depth,
      firstTracedAt: s.firstAt,
      held: sum(s.traced),
      heldByVictim: toRecord(s.traced),
      explored: fetched.has(account),
    }))
    .sort(
      (a, b) => a.depth - b.depth || a.firstTracedAt - b.firstTracedAt || (a.account < b.account ? -1 : 1),
    );
  const stolen = starts.reduce((s, t) => s + t.amount, 0);
  const held = accounts.filter((a) => a.explored).reduce((s, a) => s + a.held, 0);
  const heldBeyondHops = accounts.filter((a) => !a.explored).reduce((s, a) => s + a.held, 0);
  const cashedOut = edges.filter((e) => e.cashOut).reduce((s, e) => s + e.traced, 0);
  return {
    rule,
    maxHops,
    start: starts.map((t) => ({
      txnId: t.txnId,
      victim: victimOf(t.txnId),
      payer: t.payer,
      payee: t.payee,
      amount: t.amount,
      ts: t.ts,
    })),
    accounts,
    edges,
    totals: { stolen, held, heldBeyondHops, cashedOut },
    proposals: accounts
      .filter((a) => a.held >= minProposal)
      .map((a) => ({ account: a.account, amount: a.held, depth: a.depth }))
      .sort((a, b) => b.amount - a.amount || (a.account < b.account ? -1 : 1)),
  };
}

/** One pass over the activity in time order: balances, traced money, and the edges it moved along. */
function replay(
  activity: readonly TransactionRecord[],
  startById: Map<string, TransactionRecord>,
  victimOf: (id: string) => string,
  fetched: ReadonlySet<string>,
  depth: Map<string, number>,
  rule: MixRule,
  asOf: number | undefined,
  maxHops: number,
): { states: Map<string, AccountState>; edges: TracedEdge[] } {
  const states = new Map<string, AccountState>();
  const edges: TracedEdge[] = [];
  const state = (a: string): AccountState => {
    let s = states.get(a);
    if (!s) {
      s = { depth: depth.get(a) ?? Infinity, firstAt: Infinity, balance: 0, traced: new Map(), lots: [] };
      states.set(a, s);
    }
    return s;
  };
  for (const t of activity) {
    if (asOf !== undefined && t.ts > asOf) break;
    const start = startById.get(t.txnId);
    let carried = new Map<string, number>();
    // The payer side: a victim's transfer carries all of itself; an explored account, by the rule.
    if (start) carried.set(victimOf(t.txnId), t.amount);
    else if (fetched.has(t.payer)) {
      const s = states.get(t.payer);
      // Before the account was first reached, its money is its own: only balances move.
      if (s) carried = outflow(s, t.amount, rule);
    }
    const traced = sum(carried);
    if (traced > 0 || start) {
      const cash = isCashOut(t);
      edges.push({
        txnId: t.txnId,
        ts: t.ts,
        from: t.payer,
        to: cash ? `cash:${t.channel || 'unknown'}` : t.payee,
        amount: t.amount,
        traced,
        byVictim: toRecord(carried),
        cashOut: cash,
      });
      if (cash) continue;
      const p = state(t.payee);
      const d = start ? 1 : (states.get(t.payer)?.depth ?? Infinity) + 1;
      if (d < p.depth) p.depth = d;
      if (!depth.has(t.payee) || depth.get(t.payee)! > d) depth.set(t.payee, Math.min(d, maxHops + 1));
      if (p.firstAt === Infinity) p.firstAt = t.ts;
      inflow(p, t.amount, carried, rule);
    } else if (fetched.has(t.payee) && !isCashOut(t)) {
      // Untraced money into an explored account: it raises the balance traced money can hide behind.
      const p = states.get(t.payee);
      if (p) inflow(p, t.amount, carried, rule);
    }
  }
  return { states, edges };
}
