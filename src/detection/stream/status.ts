import type { Kysely } from 'kysely';
import type { DB } from '../../core/db/schema.ts';
import { DEFAULT_PARTITIONS, type RecordStream, type StoredRecords } from './types.ts';
import { partitionRanges } from './worker.ts';
import { LEASE_LAPSES_MS, streamKey } from './publisher.ts';
import { feedStatus, type FeedTimes } from './feeds.ts';
import { configuredParams, paramsFingerprint } from '../params.ts';
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
  /**
   * `paramsFingerprint` of the parameters this platform is configured with
   * (`INTERDICT_DETECTOR_PARAMS`): what citizens are shown as the card limits, and what
   * `interdict detect` runs. Null when the caller gave no configuration.
   */
  platformParams: string | null;
  /** Whether the workers' partitions cover the stream once each (`partitionCoverage`). */
  coverage: PartitionCoverage;
}

/**
 * How the workers' checkpoints split the stream's partitions. A partition no worker owns is a
 * hole: the detections whose subject falls in it are made by no one, silently. One owned twice
 * makes each of its detections twice (stored once, but warned and counted twice), and is what a
 * move of partitions between workers leaves behind until the old checkpoint is retired.
 */
export interface PartitionCoverage {
  /**
   * The partition count of the split in use: the one the last saved checkpoint's name gives
   * (`p8:…`). Null when no checkpoint names one.
   */
  count: number | null;
  /** Partitions of `count` that no worker owns. */
  uncovered: number[];
  /** `uncovered` as `--partitions` takes them (`2-3,6`); '' when none. */
  uncoveredSpec: string;
  /** The command that starts a worker for `uncovered`; null when none. */
  command: string | null;
  /** Partitions of `count` that several workers own, with those workers. */
  shared: { partition: number; workers: string[] }[];
  /**
   * Workers whose names give another partition count: they split the subjects another way, so
   * their partitions neither cover nor overlap those of `count` (a split changed without retiring
   * the old workers).
   */
  otherSplit: string[];
  /** The partition counts of `otherSplit`'s workers. */
  otherCounts: number[];
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
  /** The partition count its name gives (`p8:…`); null for a worker named otherwise. */
  partitionCount: number | null;
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
  /**
   * It checkpointed with other parameters than the platform's (`platformParams`): citizens are
   * shown limits it does not enforce, and `interdict detect` here would judge otherwise.
   */
  paramsOffPlatform: boolean;
  /**
   * It may be retired (retire.ts): it has ended, or not checkpointed for `STALLED_AFTER_MS`, so it
   * looks stopped.
   */
  retirable: boolean;
  /**
   * Its partitions that no other worker of its split owns, as `--partitions` takes them ('' when
   * none): retiring it leaves them without a worker.
   */
  soleSpec: string;
}

/** A worker behind the head with no checkpoint for this long is reported as stalled. */
export const STALLED_AFTER_MS = 5 * 60_000;

/**
 * The status. `settings` is the platform's configuration; with its `detectorParamsFile` (a Config
 * always has the key, undefined for the defaults) the workers' parameters are compared with the
 * platform's, and without the key with nothing.
 */
export async function recordStreamStatus(
  db: Kysely<DB>,
  stream: RecordStream,
  settings: { recordStreamKeepMs: number; detectorParamsFile?: string | undefined } & FeedTimes,
  now = Date.now(),
): Promise<RecordStreamStatus> {
  const keepMs = settings.recordStreamKeepMs;
  const platform =
    'detectorParamsFile' in settings
      ? paramsFingerprint(configuredParams({ detectorParamsFile: settings.detectorParamsFile }))
      : null;
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
  const workers = rows.map((r): WorkerStatus => {
    const gseq = Number(r.gseq);
    const behind = Math.max(0, head.gseq - gseq);
    const savedAt = new Date(r.saved_at);
    const partitions = r.partitions === '' ? [] : r.partitions.split(',').map(Number);
    return {
      worker: r.worker,
      partitions,
      partitionCount: partitionCountOf(r.worker),
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
      paramsOffPlatform: r.params !== null && platform !== null && r.params !== platform,
      retirable: r.ended || now - savedAt.getTime() > STALLED_AFTER_MS,
      soleSpec: '',
    };
  });
  for (const w of workers) w.soleSpec = partitionRanges(soleOwned(w, workers));
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
    workers,
    platformParams: platform,
    coverage: partitionCoverage(workers),
  };
}

/**
 * Which partitions the workers own (`PartitionCoverage`). Every checkpoint counts, stalled or
 * ended: a stopped worker resumes its partitions when started again, so they are not holes.
 */
export function partitionCoverage(
  workers: readonly Pick<WorkerStatus, 'worker' | 'partitions' | 'partitionCount' | 'savedAt'>[],
): PartitionCoverage {
  let latest: (typeof workers)[number] | null = null;
  for (const w of workers)
    if (w.partitionCount !== null && (latest === null || w.savedAt > latest.savedAt)) latest = w;
  const count = latest?.partitionCount ?? null;
  if (count === null)
    return {
      count,
      uncovered: [],
      uncoveredSpec: '',
      command: null,
      shared: [],
      otherSplit: [],
      otherCounts: [],
    };
  const owners: string[][] = Array.from({ length: count }, () => []);
  const otherSplit: string[] = [];
  const otherCounts = new Set<number>();
  for (const w of workers) {
    if (w.partitionCount !== count) {
      if (w.partitionCount !== null) {
        otherSplit.push(w.worker);
        otherCounts.add(w.partitionCount);
      }
      continue;
    }
    for (const p of w.partitions) owners[p]?.push(w.worker);
  }
  const uncovered: number[] = [];
  const shared: PartitionCoverage['shared'] = [];
  owners.forEach((ws, partition) => {
    if (ws.length === 0) uncovered.push(partition);
    else if (ws.length > 1) shared.push({ partition, workers: ws });
  });
  return {
    count,
    uncovered,
    uncoveredSpec: partitionRanges(uncovered),
    command: uncovered.length ? workerCommand(uncovered, count) : null,
    shared,
    otherSplit,
    otherCounts: [...otherCounts].sort((a, b) => a - b),
  };
}

/** The partitions of `w` that no other worker of its split owns. */
function soleOwned(
  w: Pick<WorkerStatus, 'worker' | 'partitions' | 'partitionCount'>,
  workers: readonly Pick<WorkerStatus, 'worker' | 'partitions' | 'partitionCount'>[],
): number[] {
  const others = new Set<number>();
  for (const o of workers)
    if (o.worker !== w.worker && o.partitionCount === w.partitionCount)
      for (const p of o.partitions) others.add(p);
  return w.partitions.filter((p) => !others.has(p));
}

/** `p8:0-3` → 8; null for a name that does not give its partition count. */
export function partitionCountOf(worker: string): number | null {
  const m = /^p(\d+):/.exec(worker);
  return m ? Number(m[1]) : null;
}

/** `interdict detect worker --partitions …` for partitions of a split of `count`. */
export function workerCommand(partitions: readonly number[], count: number | null): string {
  const more = count !== null && count !== DEFAULT_PARTITIONS ? ` --partition-count ${count}` : '';
  return `interdict detect worker --partitions ${partitionRanges(partitions)}${more}`;
}

/**
 * `interdict detect worker` for a checkpoint: its partitions, and the partition count its name
 * (`p<N>:…`) gives.
 */
function commandOf(worker: string, partitions: readonly number[]): string {
  return workerCommand(partitions, partitionCountOf(worker));
}
