import type { ColumnType, Generated } from 'kysely';

/**
 * The governance capability's disposal instructions (docs/governance.md): a measure against a
 * card, account, internet account, link or person, sent by the centre to the one institution
 * that carries it out, with its reason, legal basis, deadline and every state change on record.
 */

type DefaultTimestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type Timestamp = ColumnType<Date, Date | string, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;

/** What an instruction can target. A holder is a person: the id number is stored encrypted. */
export const TARGET_KINDS = ['msisdn', 'account', 'internet_account', 'domain', 'url', 'holder'] as const;
export type TargetKind = (typeof TARGET_KINDS)[number];

export const INSTRUCTION_MEASURES = [
  're_verify',
  'restrict_functions',
  'suspend_card',
  'restrict_internet_account',
  'suspend_internet_account',
  'block_link',
  'restrict_account_non_counter',
  'refuse_new_cards_accounts',
  // Undo an executed measure: sent when an appeal is upheld or an executed instruction is withdrawn.
  'restore',
] as const;
export type InstructionMeasure = (typeof INSTRUCTION_MEASURES)[number];

/** The card functions `restrict_functions` can cut. */
export const CARD_FUNCTIONS = ['outgoing_calls', 'sms', 'data', 'international'] as const;
export type CardFunction = (typeof CARD_FUNCTIONS)[number];

/**
 * `awaiting_approval`: an analyst's heavy measure or large batch, waiting for a supervisor;
 * `issued`: in the institution's inbox; `received`/`executed`: the institution's acknowledgements;
 * `contested`: the institution objects with a reason, the centre withdraws (or reissues);
 * `withdrawn`, `expired`: over; `lifted`: undone because an appeal against it was upheld.
 */
export const INSTRUCTION_STATUSES = [
  'awaiting_approval',
  'issued',
  'received',
  'executed',
  'contested',
  'withdrawn',
  'expired',
  'lifted',
] as const;
export type InstructionStatus = (typeof INSTRUCTION_STATUSES)[number];

/** What the timeline records: each state change, plus escalation (a flag, not a state). */
export const INSTRUCTION_ACTIONS = [
  'created',
  'approved',
  'issued',
  'received',
  'executed',
  'contested',
  'withdrawn',
  'overdue',
  'lifted',
] as const;
export type InstructionAction = (typeof INSTRUCTION_ACTIONS)[number];

export interface InstructionsTable {
  id: string;
  status: InstructionStatus;
  target_kind: TargetKind;
  /** The canonical value; for a holder, the keyed hash of the id number (as detections and persons keep it). */
  target_key: string;
  /** What screens show: the value, or a holder's masked id number. */
  target_display: string;
  /** A holder's id number, encrypted (privacy/crypto.ts); null for other kinds. */
  target_key_id: string | null;
  target_enc: Uint8Array | null;
  measure: InstructionMeasure;
  /** restrict_functions: the functions cut; empty for other measures. */
  functions: CardFunction[];
  reason: string;
  /** An id of LEGAL_BASES (catalogue.ts). */
  legal_basis: string;
  issuing_organisation_id: string;
  issued_by_id: string;
  issued_by: string;
  receiving_organisation_id: string;
  deadline_minutes: number;
  /** Set when the instruction goes out: issue time plus deadline_minutes. */
  deadline_at: NullableTimestamp;
  /** Expiry or review date. */
  expires_at: Timestamp;
  detection_id: string | null;
  external_ref: string | null;
  listing_id: string | null;
  approved_by: string | null;
  approved_at: NullableTimestamp;
  issued_at: NullableTimestamp;
  received_at: NullableTimestamp;
  executed_at: NullableTimestamp;
  execution_note: string | null;
  contested_at: NullableTimestamp;
  contest_reason: string | null;
  withdrawn_at: NullableTimestamp;
  withdraw_reason: string | null;
  /** Escalated: the deadline passed before execution. */
  overdue_at: NullableTimestamp;
  /** restore: the instruction whose measure it undoes. */
  restores_instruction_id: ColumnType<string | null, string | null | undefined, string | null>;
  /** lifted, or a restore: the upheld appeal that caused it. */
  appeal_id: ColumnType<string | null, string | null | undefined, string | null>;
  created_at: DefaultTimestamp;
  updated_at: DefaultTimestamp;
}

export interface InstructionEventsTable {
  id: Generated<number>;
  instruction_id: string;
  at: DefaultTimestamp;
  action: InstructionAction;
  /** The status after the change. */
  status: InstructionStatus;
  actor_kind: string;
  actor_id: string | null;
  actor_name: string;
  organisation_id: string | null;
  note: string | null;
}

/** A delivery's state: `failed` after the last attempt, or when its subscription was removed. */
export const WEBHOOK_DELIVERY_STATUSES = ['pending', 'delivered', 'failed'] as const;
export type WebhookDeliveryStatus = (typeof WEBHOOK_DELIVERY_STATUSES)[number];

/** An institution's webhook (governance/webhooks.ts): where the channel pushes what its inbox holds. */
export interface WebhookSubscriptionsTable {
  id: string;
  organisation_id: string;
  url: string;
  event_types: string[];
  /** The signing secret, encrypted (privacy/crypto.ts): shown once, at creation. */
  secret_key_id: string;
  secret_enc: Uint8Array;
  /** False once removed: kept for its delivery history. */
  active: boolean;
  created_at: DefaultTimestamp;
  created_by: string;
  deleted_at: NullableTimestamp;
}

/** One event to one subscription: inserted with the event's processing, then pushed until 2xx or given up. */
export interface WebhookDeliveriesTable {
  id: string;
  subscription_id: string;
  event_id: string;
  event_type: string;
  /** The exact JSON sent (the event envelope): every attempt signs the same bytes. */
  body: string;
  status: WebhookDeliveryStatus;
  attempts: number;
  /** Pending: when to try next (a claimed delivery is pushed a lease ahead, so no other node takes it). */
  next_attempt_at: Timestamp;
  last_attempt_at: NullableTimestamp;
  last_status_code: number | null;
  last_error: string | null;
  created_at: DefaultTimestamp;
  delivered_at: NullableTimestamp;
}

declare module '../core/db/schema.ts' {
  interface DB {
    instructions: InstructionsTable;
    instruction_events: InstructionEventsTable;
    webhook_subscriptions: WebhookSubscriptionsTable;
    webhook_deliveries: WebhookDeliveriesTable;
  }
}
