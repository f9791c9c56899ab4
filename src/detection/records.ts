import type { Interned } from './intern.ts';

/**
 * The detection capability's input records and its output (docs/formats.md, "Call records" and
 * "Transactions"; docs/detection.md). Plain data, numbers where the hot path compares them:
 * times are epoch milliseconds, amounts are minor units (fen, cents) as integers.
 */

/** An operator's phone card (`import cards` format). `holderId` is personal data. */
export interface CardRecord {
  msisdn: string;
  imsi: string;
  holderId: string;
  holderRegion: string;
  cardType: 'consumer' | 'iot';
  activatedAt: number;
  operator: string;
  /**
   * When the card was cancelled (the optional `cancelled_at` column), absent while it is in service:
   * the detectors count it until stream time reaches this, then withdraw it (`withdrawEnded`).
   */
  cancelledAt?: number;
  /**
   * The sales outlet (the operator's channel or shop code) that activated it: the optional
   * `outlet` column. `card_limit` looks for bursts of activations per outlet when cards name one.
   */
  outlet?: string;
}

/** A bank or payment account (`import accounts` format). `holderId` is personal data. */
export interface AccountRecord {
  account: string;
  institution: string;
  holderId: string;
  accountType: 'personal' | 'corporate';
  openedAt: number;
  /**
   * When the institution closed the account (the optional `closed_at` column), absent while it is
   * open: the detectors know it until stream time reaches this, then withdraw it (`withdrawEnded`).
   */
  closedAt?: number;
}

export type CallOrigin = 'onnet' | 'offnet' | 'intl';

/** One call or SMS: `ts,kind,caller,callee,duration_s,imsi,imei,cell_id,origin`. */
export interface CallRecord {
  ts: number;
  kind: 'voice' | 'sms';
  /** E.164. */
  caller: string;
  callee: string;
  durationS: number;
  /** The caller's, when `origin` is `onnet`; else null. */
  imsi: string | null;
  imei: string | null;
  cellId: string | null;
  origin: CallOrigin;
  /**
   * The caller's and callee's shared entries, set by the file reader of `interdict detect` and by
   * the stream worker (src/detection/intern.ts): a shortcut past the detectors' maps. Absent, the
   * detectors look numbers up in their maps. Never written into the stream.
   */
  callerRef?: Interned;
  calleeRef?: Interned;
}

/** One transfer: `ts,txn_id,payer_account,payee_account,amount,currency,channel`. */
export interface TransactionRecord {
  ts: number;
  txnId: string;
  payer: string;
  /** Empty for cash taken out at an ATM or a counter. */
  payee: string;
  /** Minor units (fen, cents): `1234.50` → 123450. */
  amount: number;
  currency: string;
  /** `mobile`, `online`, `counter`, `atm`, `pos`, … (`atm`, `counter` and `abroad` are cash-out points). */
  channel: string;
}

/**
 * A call record read back from the record stream (JSON) in the shape the file reader builds: the
 * same fields in the same order, `kind` and `origin` as the literals, no shared entries. The
 * detectors' call sites then see one shape of record, not two (a second shape makes every field
 * read a polymorphic lookup).
 */
export function callRecordOf(o: CallRecord): CallRecord {
  return {
    ts: o.ts,
    kind: o.kind === 'voice' ? 'voice' : 'sms',
    caller: o.caller,
    callee: o.callee,
    durationS: o.durationS,
    imsi: o.imsi ?? null,
    imei: o.imei ?? null,
    cellId: o.cellId ?? null,
    origin: o.origin === 'onnet' ? 'onnet' : o.origin === 'offnet' ? 'offnet' : 'intl',
    callerRef: undefined,
    calleeRef: undefined,
  };
}

/** A transaction read back from the record stream, in the file reader's shape. */
export function transactionRecordOf(o: TransactionRecord): TransactionRecord {
  return {
    ts: o.ts,
    txnId: o.txnId,
    payer: o.payer,
    payee: o.payee,
    amount: o.amount,
    currency: o.currency,
    channel: o.channel,
  };
}

export const DETECTORS = [
  'simbox',
  'fraud_caller',
  'iot_misuse',
  'spoofed_caller',
  'card_limit',
  'mule_account',
  'potential_victim',
] as const;
export type DetectorName = (typeof DETECTORS)[number];

export const SUBJECT_KINDS = ['msisdn', 'imei', 'holder', 'account'] as const;
export type SubjectKind = (typeof SUBJECT_KINDS)[number];

/**
 * One detection: `{detector, subject_kind, subject, score, window, evidence}` (docs/detection.md).
 * `evidence` names the facts that fired it (counts, ratios, the cells, the payers…), never more
 * personal data than the subject itself.
 */
export interface Detection {
  detector: DetectorName;
  subjectKind: SubjectKind;
  subject: string;
  /** 0..1. */
  score: number;
  /** The episode: the window of records that fired it (epoch ms). */
  window: { from: number; to: number };
  evidence: Record<string, unknown>;
}

/** The simulator's ground truth (`truth.json`): which subjects were planted, per detector. */
export interface Truth {
  seed: number;
  people: number;
  days: number;
  /** From the first to the last record (epoch ms). */
  start: number;
  end: number;
  planted: Record<DetectorName, { subjectKind: SubjectKind; subject: string; note?: string }[]>;
  /** Where each victim's payment into a mule network ended up, by construction (absent in older files). */
  funds?: FundTruth[];
}

/**
 * One victim's payment into a mule network and where its money is at the end of the files: what
 * each mule kept (its cut, and transfers that would fall past the end) and what was cashed out.
 * `held` plus `cashedOut` is `amount`. Amounts in minor units.
 */
export interface FundTruth {
  /** The payment's `txn_id` in transactions.csv. */
  victimTxnId: string;
  /** The paying account. */
  victim: string;
  amount: number;
  held: Record<string, number>;
  cashedOut: number;
  /** A scam the data does not show (no fraud call before it: not a `potential_victim`). */
  offData?: true;
}
