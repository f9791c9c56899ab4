import type { ColumnType } from 'kysely';

/**
 * The streaming tables (docs/detection.md, "Streaming"): the embedded record stream (an
 * append-only log of call records and transactions, each naming the partitions it belongs to;
 * clock entries name none) and the workers' checkpoints.
 */

type DefaultTimestamp = ColumnType<Date, Date | string | undefined, Date | string>;

export interface DetectionRecordsTable {
  /** The sequencer's global order. */
  gseq: number;
  /** The record's partitions (`{1,5}`), or null for clock entries, which every worker reads. */
  partitions: ColumnType<number[] | null, string | null, string | null>;
  /** `pack`: consecutive records for the same partitions, `gseq` the last one's (stream/wire.ts). */
  kind: 'call' | 'transaction' | 'tick' | 'end' | 'pack';
  /** The record (or the clock entry) as JSON text; for `pack`, a JSON array of wire entries. */
  payload: string;
}

export interface DetectionCheckpointsTable {
  /** The worker's name: its partition set unless named otherwise (e.g. `p8:0-3`). */
  worker: string;
  /** The partitions it owns, comma-separated. */
  partitions: string;
  /** Where to resume reading (backend position) and the last gseq processed. */
  cursor: number;
  gseq: number;
  ended: boolean;
  /**
   * Detector state (checkpoint.ts) encrypted under key `state_key`, or null when the worker
   * rebuilds it by replay. A state saved before states were encrypted has `state_key` null.
   */
  state: Buffer | null;
  state_key: string | null;
  /** `paramsFingerprint` of the parameters it ran with; null from a build before it was saved. */
  params: ColumnType<string | null, string | null | undefined, string | null>;
  saved_at: DefaultTimestamp;
}

/** Who publishes into a record stream now (publisher.ts): one at a time, with a lease renewed while it runs. */
export interface DetectionPublishersTable {
  /** The record stream (`embedded`, or `nats:<name>`). */
  stream: string;
  /** Who: the command, host and process, for the message a second publisher gets. */
  holder: string;
  /** This lease's own id: a renewal or release by an earlier holder of the row does nothing. */
  token: string;
  acquired_at: DefaultTimestamp;
  renewed_at: DefaultTimestamp;
}

/**
 * A party's feed of records over HTTP (feeds.ts): its records are staged until every active feed
 * has sent up to their time. `through`: the feed has sent everything before this stream time (ms).
 */
export interface DetectionFeedsTable {
  organisation_id: string;
  kind: 'calls' | 'transactions';
  /** The feed's name within its organisation and kind (`main` unless several systems send). */
  name: string;
  through: ColumnType<number, number | bigint, number | bigint>;
  heard_at: DefaultTimestamp;
  /** When `through` last moved forward (wall time; a feed heard but not moving is stuck). */
  moved_at: DefaultTimestamp;
  /** Staged records the stream's clock had passed when they were to be merged (dropped). */
  late: ColumnType<number, number | undefined, number>;
  /**
   * Let go (feeds.ts `releaseFeed`): it holds the watermark back no more, until its `through`
   * reaches the watermark of the others again.
   */
  released: ColumnType<boolean, boolean | undefined, boolean>;
}

/**
 * A run of a feed's records waiting for the other feeds (`detection_feeds`): up to `STAGE_RUN` of
 * one upload's records in time order, as the stream's packed wire row.
 */
export interface DetectionStagedTable {
  id: ColumnType<number, never, never>;
  organisation_id: string;
  kind: 'calls' | 'transactions';
  name: string;
  /** The time of the run's first record (ms). */
  ts: ColumnType<number, number, number>;
  /** The time of its last record (ms). */
  last_ts: ColumnType<number, number, number>;
  /** How many records it holds. */
  records: ColumnType<number, number | undefined, number>;
  /** The records: `[entry, …]` in the wire form (wire.ts). */
  entries: string;
}

/**
 * A merge of the feeds that has started and not finished (one row at most): the stream's last tick
 * and the watermark it started with, so that the next merge tells the records it appended (and
 * did not unstage) from late ones.
 */
export interface DetectionMergesTable {
  id: ColumnType<number, number | undefined, never>;
  floor: ColumnType<number | null, number | null, number | null>;
  through: ColumnType<number | null, number | null, number | null>;
  started_at: DefaultTimestamp;
}

/** An upload taken, by the SHA-256 of its body: the same body sent again gets the same answer. */
export interface DetectionUploadsTable {
  organisation_id: string;
  kind: string;
  name: string;
  sha256: string;
  /** The answer given (JSON). */
  result: string;
  at: DefaultTimestamp;
}

declare module '../../core/db/schema.ts' {
  interface DB {
    detection_feeds: DetectionFeedsTable;
    detection_staged: DetectionStagedTable;
    detection_merges: DetectionMergesTable;
    detection_uploads: DetectionUploadsTable;
    detection_records: DetectionRecordsTable;
    detection_checkpoints: DetectionCheckpointsTable;
    detection_publishers: DetectionPublishersTable;
  }
}
