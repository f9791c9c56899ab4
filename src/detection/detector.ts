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
  accountsByHolder: Map<string, AccountRecord[]>;
  /** msisdn → the detector and time that flagged it (simbox, fraud_caller, spoofed_caller, iot_misuse). */
  flaggedNumbers: Map<string, { detector: DetectorName; at: number }>;
  /** account → the detector and time that flagged it (mule_account). */
  flaggedAccounts: Map<string, { detector: DetectorName; at: number }>;
  listed(kind: 'phone' | 'bank_account', value: string): boolean;
  /** Bumped by every `addCard`: a card cached on a number's entry (`cardOf`) is valid while it holds. */
  cardsVersion: number;
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
    accountsByHolder: new Map(),
    flaggedNumbers: new Map(),
    flaggedAccounts: new Map(),
    listed,
    cardsVersion: 0,
  };
  for (const c of cards) addCard(ctx, c);
  for (const a of accounts) addAccount(ctx, a);
  return ctx;
}

/**
 * Adds a card, or replaces the card of the same number: a number given to a new holder (numbers
 * are recycled) no longer counts among its former holder's cards.
 */
export function addCard(ctx: DetectionContext, c: CardRecord): void {
  ctx.cardsVersion++;
  const old = ctx.cardsByMsisdn.get(c.msisdn);
  if (old !== undefined) unlist(ctx.cardsByHolder, old.holderId, old);
  ctx.cardsByMsisdn.set(c.msisdn, c);
  const list = ctx.cardsByHolder.get(c.holderId);
  if (list) list.push(c);
  else ctx.cardsByHolder.set(c.holderId, [c]);
}

/** Adds an account, or replaces the account of the same number (as `addCard`). */
export function addAccount(ctx: DetectionContext, a: AccountRecord): void {
  const old = ctx.accountsByNumber.get(a.account);
  if (old !== undefined) unlist(ctx.accountsByHolder, old.holderId, old);
  ctx.accountsByNumber.set(a.account, a);
  const list = ctx.accountsByHolder.get(a.holderId);
  if (list) list.push(a);
  else ctx.accountsByHolder.set(a.holderId, [a]);
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
