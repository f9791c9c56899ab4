import type { Interned } from './intern.ts';
import type {
  AccountRecord,
  CallRecord,
  CardRecord,
  Detection,
  DetectorName,
  TransactionRecord,
} from './records.ts';

/**
 * What every detector is: a small state machine over time-ordered records. The same object runs
 * in batch (`interdict detect` over files) and in streaming (bus events): it sees records one at a
 * time in stream-time order, keeps only the state of its open windows (bounded memory: state
 * expires with its windows), and hands out each detection once, when `drain` is called with a
 * stream time past the end of the episode's window (or at the end of the input with `final`).
 *
 * A detector never reports the same subject twice for one episode; a new episode of the same
 * subject (after a quiet period the detector documents) may be reported again.
 */
export interface Detector {
  readonly name: DetectorName;
  onCall?(r: CallRecord, ctx: DetectionContext): void;
  onTransaction?(t: TransactionRecord, ctx: DetectionContext): void;
  /** Detections final by stream time `now` (epoch ms); at the end of the input `final` is true. */
  drain(now: number, final: boolean, ctx: DetectionContext): Detection[];
}

/**
 * Reference data and what detectors share. Cards and accounts are loaded before the records;
 * `flagged` carries numbers and accounts that call and money detectors flagged (for
 * `potential_victim`, which joins calls and transfers through `holderId`); `listed` asks the
 * registry (a decision node's index) whether a number or account is listed.
 */
export interface DetectionContext {
  cardsByMsisdn: Map<string, CardRecord>;
  cardsByHolder: Map<string, CardRecord[]>;
  accountsByNumber: Map<string, AccountRecord>;
  /** msisdn → the detector and time that flagged it (simbox, fraud_caller, spoofed_caller, iot_misuse). */
  flaggedNumbers: Map<string, { detector: DetectorName; at: number }>;
  /** account → the detector and time that flagged it (mule_account). */
  flaggedAccounts: Map<string, { detector: DetectorName; at: number }>;
  /**
   * payee account → the transfers into it that `potential_victim` took for a victim's payment (the
   * payer's account and the transfer's time): `mule_account` counts them as flagged money coming
   * in, so the first account of a chain is caught even when it had one payer and no flagged
   * neighbour yet. Kept for `victimPaymentMs` by `potential_victim`.
   */
  victimPayments: Map<string, { payer: string; at: number }[]>;
  listed(kind: 'phone' | 'bank_account', value: string): boolean;
  /** Bumped by every change of the cards: a card cached on a number's entry (`cardOf`) is valid while it holds. */
  cardsVersion: number;
  /**
   * Cards with a cancellation time not yet reached, a min-heap by `cancelledAt`: each is withdrawn
   * (`withdrawEnded`) when stream time reaches it, in batch and in streaming alike.
   */
  withdrawals: CardRecord[];
  /** Accounts with a closing time not yet reached, a min-heap by `closedAt`, withdrawn the same way. */
  closings: AccountRecord[];
  /**
   * The earliest `cancelledAt` in `withdrawals` or `closedAt` in `closings`, Infinity when none:
   * the hot path compares a record's time with it.
   */
  nextWithdrawalAt: number;
  /**
   * The stream time of the last `withdrawEnded`: a card or account added with an end before it is
   * withdrawn at once.
   */
  withdrawnThrough: number;
}

export function newContext(
  cards: Iterable<CardRecord>,
  accounts: Iterable<AccountRecord>,
  listed: DetectionContext['listed'] = () => false,
): DetectionContext {
  const ctx: DetectionContext = {
    cardsByMsisdn: new Map(),
    cardsByHolder: new Map(),
    accountsByNumber: new Map(),
    flaggedNumbers: new Map(),
    flaggedAccounts: new Map(),
    victimPayments: new Map(),
    listed,
    cardsVersion: 0,
    withdrawals: [],
    closings: [],
    nextWithdrawalAt: Infinity,
    withdrawnThrough: -Infinity,
  };
  for (const c of cards) addCard(ctx, c);
  for (const a of accounts) addAccount(ctx, a);
  return ctx;
}

/**
 * Adds a card, or replaces the card of the same number: a number given to a new holder (numbers
 * are recycled) no longer counts among its former holder's cards. A card with a cancellation
 * time (`cancelled_at`) counts until stream time reaches it and is then withdrawn
 * (`withdrawEnded`): a holder who gave cards back is judged on the cards they hold. A cancelled
 * card of a number that was given to someone after that cancellation is the number's history,
 * not its present, and changes nothing (a file may list the two tenures in any order). Returns
 * whether the card was taken; `force` takes it in any case (a checkpoint's cards, all taken once).
 */
export function addCard(ctx: DetectionContext, c: CardRecord, force = false): boolean {
  const old = ctx.cardsByMsisdn.get(c.msisdn);
  const cancelledAt = c.cancelledAt;
  if (!force && old !== undefined && cancelledAt !== undefined && old !== c && old.activatedAt >= cancelledAt)
    return false;
  ctx.cardsVersion++;
  if (old !== undefined) unlist(ctx.cardsByHolder, old.holderId, old);
  ctx.cardsByMsisdn.set(c.msisdn, c);
  const list = ctx.cardsByHolder.get(c.holderId);
  if (list) list.push(c);
  else ctx.cardsByHolder.set(c.holderId, [c]);
  if (cancelledAt !== undefined) {
    heapPush(ctx.withdrawals, c, cancelledAtOf);
    if (cancelledAt < ctx.nextWithdrawalAt) ctx.nextWithdrawalAt = cancelledAt;
    if (cancelledAt <= ctx.withdrawnThrough) withdrawEnded(ctx, ctx.withdrawnThrough);
  }
  return true;
}

/**
 * Withdraws the cards whose cancellation time, and the accounts whose closing time, is at or before
 * `now` (stream time). A card goes from the lookups, from its holder's cards (what `card_limit`
 * counts) and from the number's entry; an account from the lookup, so a transfer naming it later
 * meets an unknown account, as one naming a number the institution never had. A card or account
 * replaced since it was scheduled is left alone. Called before a record of time `now` is shown to
 * the detectors, whenever `now >= ctx.nextWithdrawalAt` (a drain follows the record of its time,
 * so it sees what was withdrawn), and at the end of the input (`withdrawAtEnd`).
 */
export function withdrawEnded(ctx: DetectionContext, now: number): void {
  const h = ctx.withdrawals;
  while (h.length > 0 && h[0]!.cancelledAt! <= now) {
    const c = heapPop(h, cancelledAtOf);
    if (ctx.cardsByMsisdn.get(c.msisdn) !== c) continue;
    ctx.cardsByMsisdn.delete(c.msisdn);
    unlist(ctx.cardsByHolder, c.holderId, c);
    ctx.cardsVersion++;
  }
  const a = ctx.closings;
  while (a.length > 0 && a[0]!.closedAt! <= now) {
    const x = heapPop(a, closedAtOf);
    if (ctx.accountsByNumber.get(x.account) === x) ctx.accountsByNumber.delete(x.account);
  }
  ctx.nextWithdrawalAt = Math.min(
    h.length > 0 ? h[0]!.cancelledAt! : Infinity,
    a.length > 0 ? a[0]!.closedAt! : Infinity,
  );
  if (now > ctx.withdrawnThrough) ctx.withdrawnThrough = now;
}

/**
 * Before the last drain of an input: withdraws what stream time `now` has reached. An input of
 * cards and accounts alone has no stream time (`now` 0): the files are the present, and every
 * cancellation and closing in them has happened.
 */
export function withdrawAtEnd(ctx: DetectionContext, now: number): void {
  withdrawEnded(ctx, now > 0 ? now : Infinity);
}

const cancelledAtOf = (c: CardRecord): number => c.cancelledAt!;
const closedAtOf = (a: AccountRecord): number => a.closedAt!;

function heapPush<T>(h: T[], x: T, at: (x: T) => number): void {
  let i = h.length;
  h.push(x);
  const t = at(x);
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if (at(h[parent]!) <= t) break;
    h[i] = h[parent]!;
    i = parent;
  }
  h[i] = x;
}

function heapPop<T>(h: T[], at: (x: T) => number): T {
  const top = h[0]!;
  const last = h.pop()!;
  const n = h.length;
  if (n > 0) {
    const t = at(last);
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const m = r < n && at(h[r]!) < at(h[l]!) ? r : l;
      if (at(h[m]!) >= t) break;
      h[i] = h[m]!;
      i = m;
    }
    h[i] = last;
  }
  return top;
}

/**
 * Adds an account, or replaces the account of the same number. Accounts are found by number only:
 * the detectors join a transfer to its holder through it (no detector asks for a holder's accounts).
 * An account with a closing time (`closed_at`) is known until stream time reaches it and is then
 * withdrawn (`withdrawEnded`). A closed account of a number that was opened again for someone after
 * that closing is the number's history and changes nothing (a file may list the two in any order).
 * Returns whether the account was taken; `force` takes it in any case (a checkpoint's accounts).
 */
export function addAccount(ctx: DetectionContext, a: AccountRecord, force = false): boolean {
  const closedAt = a.closedAt;
  if (!force && closedAt !== undefined) {
    const old = ctx.accountsByNumber.get(a.account);
    if (old !== undefined && old !== a && old.openedAt >= closedAt) return false;
  }
  ctx.accountsByNumber.set(a.account, a);
  if (closedAt !== undefined) {
    heapPush(ctx.closings, a, closedAtOf);
    if (closedAt < ctx.nextWithdrawalAt) ctx.nextWithdrawalAt = closedAt;
    if (closedAt <= ctx.withdrawnThrough) withdrawEnded(ctx, ctx.withdrawnThrough);
  }
  return true;
}

function unlist<T>(byHolder: Map<string, T[]>, holder: string, item: T): void {
  const list = byHolder.get(holder);
  if (list === undefined) return;
  const i = list.indexOf(item);
  if (i >= 0) list.splice(i, 1);
  if (list.length === 0) byHolder.delete(holder);
}

/** `ctx.cardsByMsisdn.get(msisdn)`, through the number's entry when the record brought one. */
export function cardOf(
  ctx: DetectionContext,
  msisdn: string,
  ref: Interned | undefined,
): CardRecord | undefined {
  if (ref === undefined) return ctx.cardsByMsisdn.get(msisdn);
  if (ref.cardsOf === ctx.cardsByMsisdn && ref.cardsVersion === ctx.cardsVersion) return ref.card;
  const c = ctx.cardsByMsisdn.get(msisdn);
  ref.card = c;
  ref.cardsOf = ctx.cardsByMsisdn;
  ref.cardsVersion = ctx.cardsVersion;
  return c;
}

/**
 * How much a detector holds in memory: the entries of the maps and sets and the items of the arrays
 * in its own fields, and what a part it shares with others (`PartnerWindows`) says it holds. For
 * the tests and benchmark that check state follows the active subjects, not history
 * (docs/detection.md, "Memory"); reflective, so a map a detector adds later is counted too.
 */
export function heldState(d: Detector): number {
  let n = 0;
  for (const v of Object.values(d)) {
    if (v instanceof Map || v instanceof Set) n += v.size;
    else if (Array.isArray(v)) n += v.length;
    else if (typeof (v as { heldState?: unknown } | null)?.heldState === 'function')
      n += (v as { heldState(): number }).heldState();
  }
  return n;
}
