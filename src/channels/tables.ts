import type { ColumnType } from 'kysely';
import '../governance/registered-tables.ts';

/**
 * What the SMS gateway adds to the SMS outbox (`outbound_messages`, src/governance): retries with
 * backoff, and the SMSC's message ids with their delivery receipts, one row per part of a text.
 */

type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;

export const PART_STATES = ['delivered', 'undelivered'] as const;
export type PartState = (typeof PART_STATES)[number];

/**
 * One part of a sent text under the SMSC's message id. A receipt can arrive before the sender has
 * recorded the part (the SMSC answers submit_sm, then reports at once): then the row first holds
 * only the receipt and the sender fills in message_id and part_number.
 */
export interface OutboundMessagePartsTable {
  smsc_message_id: string;
  message_id: string | null;
  part_number: number | null;
  state: PartState | null;
  receipt_at: NullableTimestamp;
  created_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

declare module '../governance/registered-tables.ts' {
  interface OutboundMessagesTable {
    attempts: ColumnType<number, number | undefined, number>;
    /** Pending: when the next attempt is due (pushed ahead while a gateway holds the message). */
    next_attempt_at: ColumnType<Date, Date | string | undefined, Date | string>;
    last_error: ColumnType<string | null, string | null | undefined, string | null>;
    /** How many SMS the text went out as (set when sent). */
    parts: ColumnType<number | null, number | null | undefined, number | null>;
    /** When the last part's "delivered" receipt came. */
    delivered_at: NullableTimestamp;
  }
}

declare module '../core/db/schema.ts' {
  interface DB {
    outbound_message_parts: OutboundMessagePartsTable;
  }
}
