import type { ColumnType } from 'kysely';

/**
 * "Registered in my name" (docs/governance.md): a citizen proves who they are with a one-time code
 * sent to a card held in their name, sees every card and account registered to them, and disputes
 * one as "not mine". The SMS outbox is where the code waits for the messaging gateway.
 */

type DefaultTimestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type Timestamp = ColumnType<Date, Date | string, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;

/** One identity check by one-time code. A check whose details matched nobody has no person and never succeeds. */
export interface CitizenChallengesTable {
  id: string;
  person_id: string | null;
  /** Keyed hash of `<id>:<code>`: the code itself is never stored. */
  code_hash: string;
  attempts: ColumnType<number, number | undefined, number>;
  expires_at: Timestamp;
  used_at: NullableTimestamp;
  created_at: DefaultTimestamp;
}

// delivered/undelivered: the SMSC's delivery receipts (src/channels, migration 0011_channels_1_sms_gateway).
export const OUTBOUND_STATUSES = ['pending', 'sent', 'failed', 'delivered', 'undelivered'] as const;
export type OutboundStatus = (typeof OUTBOUND_STATUSES)[number];

/** Messages to citizens waiting for the SMS gateway: recipient and text encrypted (a code is a secret). */
export interface OutboundMessagesTable {
  id: string;
  channel: 'sms';
  purpose: string;
  key_id: string;
  recipient_enc: Uint8Array;
  body_enc: Uint8Array;
  status: ColumnType<OutboundStatus, OutboundStatus | undefined, OutboundStatus>;
  created_at: DefaultTimestamp;
  sent_at: NullableTimestamp;
}

export const HOLDING_KINDS = ['phone_card', 'bank_account'] as const;
export type HoldingKind = (typeof HOLDING_KINDS)[number];

/** A card or account its registered holder says is not theirs: a case, and a re-verification instruction. */
export interface HoldingDisputesTable {
  id: string;
  person_id: string;
  holding_kind: HoldingKind;
  holding_id: string;
  status: ColumnType<'open' | 'resolved', 'open' | 'resolved' | undefined, 'open' | 'resolved'>;
  instruction_id: string;
  created_at: DefaultTimestamp;
}

declare module '../core/db/schema.ts' {
  interface DB {
    citizen_challenges: CitizenChallengesTable;
    outbound_messages: OutboundMessagesTable;
    holding_disputes: HoldingDisputesTable;
  }
}
