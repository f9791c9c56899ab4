import type { Kysely } from 'kysely';
import type { DB } from '../../core/db/schema.ts';
import { DEFAULT_PARTITIONS, type RecordStream, type StoredRecords } from './types.ts';
import { partitionRanges } from './worker.ts';
import { LEASE_LAPSES_MS, streamKey } from './publisher.ts';
import { feedStatus, type FeedTimes } from './feeds.ts';
import './tables.ts';

/**
 * What an operator on call asks of streaming detection (docs/detection.md, "Operating the
 * stream"): how far the publisher has got, what the stream keeps, and for every worker how far
 * behind it is and whether it is still checkpointing. Read-only; the same for the API, the CLI
 * (`interdict detect status`) and the console.
 */
export interface RecordStreamStatus {
  kind: RecordStream['kind'];
  head: {
    /** The last entry published. */
    gseq: number;
    /** Stream time of the last clock entry (ISO 8601), null before the first. */
    lastTickAt: string | null;
    /** The input was closed (`detect publish --end`). */
    ended: boolean;
  };
  stored: StoredRecords;
  /** How long records are kept (ms): stream time on the embedded stream, age on NATS. */
  keepMs: number;
  /** The publish writing to the stream now (its lease, publisher.ts), or null. */
  publisher: PublisherStatus | null;
  /**
   * Feeds sending over HTTP (feeds.ts) and the watermark: every active feed has sent up to it,
   * and staged records after it wait. Null when no feed is active.
   */
  watermark: string | null;
  /** A feed not heard for this long (ms) is idle (`INTERDICT_FEED_IDLE_MINUTES`). */
  feedIdleMs: number;
  /** A heard feed whose `through` has not moved for this long (ms) is stuck (`INTERDICT_FEED_STUCK_MINUTES`). */
  feedStuckMs: number;
  feeds: FeedStatus[];
  workers: WorkerStatus[];
}

export interface FeedStatus {
  organisationId: string;
  organisation: string | null;
  kind: 'calls' | 'transactions';
  name: string;
  /** It has sent everything before this time (ISO 8601). */
  through: string;
  heardAt: string;
  /** When its `through` last moved forward. */
  movedAt: string;
  /** Not heard for `feedIdleMs`: it no longer holds the watermark back. */
  idle: boolean;
  /** Heard, but its `through` has not moved for `feedStuckMs` (a stuck clock, a re-sent file). */
  stuck: boolean;
  /** Its records waiting for the watermark. */
  staged: number;
  /** Its records dropped because the stream's clock had passed them. */
  late: number;
  /** Let go (feeds.ts `releaseFeed`): it holds the watermark back no more until it has caught up. */
  released: boolean;
  /** Its `through` is the watermark: the others wait for it. */
  holding: boolean;
}

export interface PublisherStatus {
  /** `detect publish on <host>, process <pid>`. */
  holder: string;
  since: string;
  lastHeard: string;
  /** Not heard for `LEASE_LAPSES_MS`: it died or hangs, and the next publish takes the stream over. */
  lapsed: boolean;
}

export interface WorkerStatus {
  /** Its checkpoint's name (the partition set unless named otherwise, e.g. `p8:0-3`). */
  worker: string;
  partitions: number[];
  /** The same as `--partitions` takes them: `0-3,6`. */
  partitionSpec: string;
  /** The command that runs it again (it resumes from its checkpoint). */
  command: string;
  /** The last entry it processed and saved. */
  gseq: number;
  /** Entries published after it: how far behind it was at its last checkpoint. */
  behind: number;
  /** `snapshot`: resumes from its saved state; `replay`: rebuilds from the start of the stream. */
  mode: 'snapshot' | 'replay';
  ended: boolean;
  savedAt: string;
  /**
   * Behind and no checkpoint for `STALLED_AFTER_MS`: a running worker checkpoints every minute
   * of wall time while records come, so it has most likely stopped.
   */
  stalled: boolean;
  /** It has not read entries the stream no longer keeps: it will miss them. */
  missed: boolean;
  /**
   * `paramsFingerprint` of the detector parameters it last checkpointed with (null: saved by a
   * build before it was recorded).
   */
  params: string | null;
  /**
   * The workers of this stream checkpointed with different parameters (this one among them): the
   * partitions split the subjects, so every worker must run the same file.
   */
  paramsDiffer: boolean;
}

/** A worker behind the head with no checkpoint for this long is reported as stalled. */
export const STALLED_AFTER_MS = 5 * 60_000;

export async function recordStreamStatus(
  db: Kysely<DB>,
  stream: RecordStream,
  settings: { recordStreamKeepMs: number } & FeedTimes,
  now = Date.now(),
): Promise<RecordStreamStatus> {
  const keepMs = settings.recordStreamKeepMs;
  const head = await stream.head();
  const [stored, lease, rows, { feeds, watermark: mark }] = await Promise.all([
    stream.stored(),
    db
      .selectFrom('detection_publishers')
      .select(['holder', 'acquired_at', 'renewed_at'])
      .where('stream', '=', streamKey(stream))
      .executeTakeFirst(),
    db
      .selectFrom('detection_checkpoints')
      .select(['worker', 'partitions', 'gseq', 'ended', 'saved_at', 'params'])
      .select((eb) => eb('state', 'is not', null).as('has_state'))
      .orderBy('worker')
      .execute(),
    feedStatus(db, head.lastTickAt, now, settings),
  ]);
  const differ = new Set(rows.map((r) => r.params).filter((x) => x !== null)).size > 1;
  return {
    kind: stream.kind,
    head: {
      gseq: head.gseq,
      lastTickAt: head.lastTickAt === null ? null : new Date(head.lastTickAt).toISOString(),
      ended: head.ended,
    },
    stored,
    keepMs,
    publisher: lease
      ? {
          holder: lease.holder,
          since: new Date(lease.acquired_at).toISOString(),
          lastHeard: new Date(lease.renewed_at).toISOString(),
          lapsed: now - new Date(lease.renewed_at).getTime() > LEASE_LAPSES_MS,
        }
      : null,
    watermark: mark === Infinity ? null : new Date(mark).toISOString(),
    feedIdleMs: settings.feedIdleMs,
    feedStuckMs: settings.feedStuckMs,
    feeds: feeds.map((f) => ({
      ...f,
      through: new Date(f.through).toISOString(),
      heardAt: f.heardAt.toISOString(),
      movedAt: f.movedAt.toISOString(),
    })),
    workers: rows.map((r): WorkerStatus => {
      const gseq = Number(r.gseq);
      const behind = Math.max(0, head.gseq - gseq);
      const savedAt = new Date(r.saved_at);
      const partitions = r.partitions === '' ? [] : r.partitions.split(',').map(Number);
      return {
        worker: r.worker,
        partitions,
        partitionSpec: partitionRanges(partitions),
        command: commandOf(r.worker, partitions),
        gseq,
        behind,
        mode: r.has_state ? 'snapshot' : 'replay',
        ended: r.ended,
        savedAt: savedAt.toISOString(),
        stalled: behind > 0 && !r.ended && now - savedAt.getTime() > STALLED_AFTER_MS,
        missed: behind > 0 && stored.fromGseq !== null && gseq + 1 < stored.fromGseq,
        params: r.params,
        paramsDiffer: r.params !== null && differ,
      };
    }),
  };
}

/**
 * `interdict detect worker` for a checkpoint: its partitions, and the partition count its name
 * (`p<N>:…`) gives.
 */
function commandOf(worker: string, partitions: readonly number[]): string {
  const total = /^p(\d+):/.exec(worker)?.[1];
  const count =
    total !== undefined && Number(total) !== DEFAULT_PARTITIONS ? ` --partition-count ${total}` : '';
  return `interdict detect worker --partitions ${partitionRanges(partitions)}${count}`;
}
