import type { ColumnType, Generated } from 'kysely';

type Timestamp = ColumnType<Date, Date | string, Date | string>;
/** A timestamp with a default: optional on insert. */
type DefaultTimestamp = ColumnType<Date, Date | string | undefined, Date | string>;

/**
 * The outbox, and the in-process bus's durable stream: one row per published event, written in
 * the publisher's transaction.
 */
export interface BusEventsTable {
  seq: Generated<number>;
  id: string;
  type: string;
  key: string;
  /** Inserted as JSON text; read back parsed. */
  data: ColumnType<unknown, string, string>;
  occurred_at: DefaultTimestamp;
  /** The publishing transaction's id (xid8, as text): orders delivery without skipping events. */
  xid: Generated<string>;
  /** When the NATS relay copied the row to JetStream; null under the in-process bus. */
  relayed_at: Timestamp | null;
}

/** In-process bus: how far each consumer has got, as a position (xid, seq) in bus_events. */
export interface BusOffsetsTable {
  consumer: string;
  xid: string;
  seq: number;
  updated_at: DefaultTimestamp;
}

/** Idempotency: the events each consumer has processed (pruned after a retention). */
export interface BusConsumedTable {
  consumer: string;
  event_id: string;
  consumed_at: DefaultTimestamp;
}

/** Events a consumer gave up on after its retries, with the last error. */
export interface BusDeadLettersTable {
  id: Generated<number>;
  consumer: string;
  event_id: string;
  event_seq: number | null;
  type: string;
  attempts: number;
  error: string;
  failed_at: DefaultTimestamp;
}

declare module '../db/schema.ts' {
  interface DB {
    bus_events: BusEventsTable;
    bus_offsets: BusOffsetsTable;
    bus_consumed: BusConsumedTable;
    bus_dead_letters: BusDeadLettersTable;
  }
}
