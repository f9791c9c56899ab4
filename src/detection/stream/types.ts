import type { AccountRecord, CallRecord, CardRecord, TransactionRecord } from '../records.ts';

/**
 * What flows through the record stream (docs/detection.md, "Streaming"): call records and
 * transactions, cards and accounts (reference data), plus the sequencer's clock
 * entries (`tick`, `end`), which every worker sees. `gseq` is the sequencer's global order: a
 * worker merges its partitions by it, so every worker sees its records in the order one batch run
 * would, and drains exactly where the batch run drains (at the ticks).
 */
export type StreamEntry =
  | { kind: 'call'; gseq: number; record: CallRecord }
  | { kind: 'transaction'; gseq: number; record: TransactionRecord }
  /**
   * Reference data published while the workers run (a card activated, an account opened, a
   * number given to a new holder): every worker adds it to what its detectors look up. The
   * holder id is sealed (encrypted, `pii:…`) when the publisher has the personal-data keys.
   */
  | { kind: 'card'; gseq: number; record: CardRecord }
  | { kind: 'account'; gseq: number; record: AccountRecord }
  /** Stream time passed a drain point; `drain` is false on the first one (the batch run's start). */
  | { kind: 'tick'; gseq: number; now: number; drain: boolean }
  /** The end of the input: detectors drain with `final` (tests, one-off files). */
  | { kind: 'end'; gseq: number; now: number };

/** An entry and where it goes: record partitions, or every partition (`null`) for clock entries. */
export interface Routed {
  entry: StreamEntry;
  partitions: number[] | null;
}

/** An entry as read back, with the position to resume after it. */
export interface ReadEntry {
  entry: StreamEntry;
  /** Backend position (the table's gseq, or the JetStream stream sequence). */
  cursor: number;
}

/**
 * Where call records and transactions live between the publisher and the workers: beside the
 * event bus, not in its outbox (they are high-volume raw data, not business events). Appends are
 * durable once they resolve; a reader resumes after any cursor it was given.
 */
export interface RecordStream {
  readonly kind: 'embedded' | 'nats' | 'memory';
  /** Number of record partitions (fixed for the life of the stream). */
  readonly partitions: number;
  /** Appends entries in order (one publisher at a time: the sequencer). */
  append(batch: readonly Routed[]): Promise<void>;
  /** The last gseq appended (0 when empty) and the time of the last clock entry (null: none). */
  head(): Promise<{ gseq: number; lastTickAt: number | null; ended: boolean }>;
  /**
   * Up to `limit` entries of `partitions` (and every clock entry) after `cursor`, in gseq order,
   * each gseq once; waits up to `waitMs` when there is nothing yet.
   */
  read(partitions: readonly number[], cursor: number, limit: number, waitMs: number): Promise<ReadEntry[]>;
  /**
   * The call records and transactions the workers have not acted on yet (`unsettledOf`): a
   * publisher that starts again skips those it would publish twice (route.ts, `Sequencer`).
   */
  unsettled(): Promise<StreamEntry[]>;
  /** What the stream holds now: the oldest entry kept (older ones were pruned or aged out) and the bytes. */
  stored(): Promise<StoredRecords>;
  close(): Promise<void>;
}

export interface StoredRecords {
  /** The gseq of the oldest entry kept; null when the stream is empty. */
  fromGseq: number | null;
  /** Bytes on disk (the table with its indexes, or the JetStream stream). */
  bytes: number;
  /** Rows (embedded) or messages (NATS) kept. */
  units: number;
}

/** Default number of partitions of a new record stream. */
export const DEFAULT_PARTITIONS = 8;
