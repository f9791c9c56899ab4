import type { ColumnType, Generated } from 'kysely';

/**
 * Fund cases, stop-payments (紧急止付), freezes (冻结) and returns (返还) (docs/funds.md). Victims'
 * personal data is encrypted (name, id number, phone); amounts are minor units (bigint, read as
 * strings); every change is a row of `fund_events`, an audit record and a bus event.
 */

type DefaultTimestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type Timestamp = ColumnType<Date, Date | string, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
type Amount = ColumnType<string, number | bigint | string, number | bigint | string>;
type NullableAmount = ColumnType<
  string | null,
  number | bigint | string | null | undefined,
  number | bigint | string | null
>;

export const FUND_CASE_STATUSES = ['open', 'closed'] as const;
export type FundCaseStatus = (typeof FUND_CASE_STATUSES)[number];

export const FUND_CASE_SOURCES = ['report', 'analyst', 'warning'] as const;
export type FundCaseSource = (typeof FUND_CASE_SOURCES)[number];

export const STOP_PAYMENT_STATUSES = [
  'sent',
  'acknowledged',
  'executed',
  'refused',
  'expired',
  'released',
  'converted',
] as const;
export type StopPaymentStatus = (typeof STOP_PAYMENT_STATUSES)[number];
/** A stop-payment that still holds (or is about to hold) money. */
export const ACTIVE_STOP_PAYMENT: readonly StopPaymentStatus[] = ['sent', 'acknowledged', 'executed'];

export const FREEZE_STATUSES = [
  'sent',
  'acknowledged',
  'executed',
  'refused',
  'released',
  'returned',
] as const;
export type FreezeStatus = (typeof FREEZE_STATUSES)[number];
export const ACTIVE_FREEZE: readonly FreezeStatus[] = ['sent', 'acknowledged', 'executed'];

export const RETURN_STATUSES = ['instructed', 'executed'] as const;
export type ReturnStatus = (typeof RETURN_STATUSES)[number];

export const FUND_SUBJECTS = ['case', 'stop_payment', 'freeze', 'return'] as const;
export type FundSubject = (typeof FUND_SUBJECTS)[number];

export interface FundCasesTable {
  id: string;
  /** `FND-2026-000123`. */
  reference: string;
  status: FundCaseStatus;
  source: FundCaseSource;
  report_id: string | null;
  warning_id: string | null;
  opened_at: DefaultTimestamp;
  opened_by: string;
  opened_by_org: string | null;
  closed_at: NullableTimestamp;
  close_note: string | null;
  /** The last CaseTrace (src/funds/cases.ts), null until traced. */
  trace: ColumnType<unknown, string | null, string | null>;
}

export interface FundCaseVictimsTable {
  id: string;
  case_id: string;
  /** 1, 2…: the order given at opening. */
  ordinal: number;
  key_id: string;
  name_enc: Uint8Array | null;
  id_number_enc: Uint8Array | null;
  phone_enc: Uint8Array | null;
  /** The masked name (or `Victim N`): what views show. */
  label: string;
  loss_amount: Amount;
}

export interface FundCaseTransfersTable {
  case_id: string;
  txn_id: string;
  victim_id: string;
  payer_account: string;
  payee_account: string;
  amount: Amount;
  paid_at: Timestamp;
  /** The payee's bank (bank_accounts), null when unknown. */
  institution_id: string | null;
}

export interface StopPaymentsTable {
  id: string;
  /** `STP-2026-000123`. */
  reference: string;
  case_id: string;
  institution_id: string;
  account: string;
  amount_requested: Amount;
  amount_stopped: NullableAmount;
  legal_basis: string;
  reason: string;
  status: StopPaymentStatus;
  requested_at: DefaultTimestamp;
  requested_by: string;
  ack_deadline_at: Timestamp;
  acknowledged_at: NullableTimestamp;
  late_ack: ColumnType<boolean, boolean | undefined, boolean>;
  executed_at: NullableTimestamp;
  escalated: ColumnType<boolean, boolean | undefined, boolean>;
  escalated_at: NullableTimestamp;
  renewals: ColumnType<number, number | undefined, number>;
  max_renewals: number;
  period_hours: number;
  /** Executed: when the stop lapses unless renewed. */
  expires_at: NullableTimestamp;
  closed_at: NullableTimestamp;
  /** The `stop_payment.requested` event: its webhook deliveries are the request's delivery state. */
  request_event_id: string | null;
}

export interface FreezesTable {
  id: string;
  /** `FRZ-2026-000123`. */
  reference: string;
  case_id: string;
  stop_payment_id: string | null;
  institution_id: string;
  account: string;
  amount_requested: Amount;
  amount_frozen: NullableAmount;
  status: FreezeStatus;
  requested_at: DefaultTimestamp;
  acknowledged_at: NullableTimestamp;
  executed_at: NullableTimestamp;
  expires_at: Timestamp;
  closed_at: NullableTimestamp;
  request_event_id: string | null;
}

export interface FundReturnsTable {
  id: string;
  case_id: string;
  freeze_id: string;
  victim_id: string;
  amount: Amount;
  status: ReturnStatus;
  instructed_at: DefaultTimestamp;
  executed_at: NullableTimestamp;
}

/** Every change of a case, stop-payment, freeze or return, oldest first: their history. */
export interface FundEventsTable {
  id: Generated<number>;
  case_id: string;
  subject_kind: FundSubject;
  subject_id: string;
  action: string;
  status: string;
  at: DefaultTimestamp;
  actor_kind: string;
  actor_id: string | null;
  actor_name: string;
  organisation_id: string | null;
  note: string | null;
}

declare module '../core/db/schema.ts' {
  interface DB {
    fund_cases: FundCasesTable;
    fund_case_victims: FundCaseVictimsTable;
    fund_case_transfers: FundCaseTransfersTable;
    stop_payments: StopPaymentsTable;
    freezes: FreezesTable;
    fund_returns: FundReturnsTable;
    fund_events: FundEventsTable;
  }
}
