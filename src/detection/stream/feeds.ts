import { sql, type Kysely } from 'kysely';
import type { DB } from '../../core/db/schema.ts';
import type { PiiCipher } from '../../privacy/crypto.ts';
import { publishRecords, type StreamRecord } from './publish.ts';
import type { RecordStream } from './types.ts';
import { decodeEntries } from './wire.ts';
import './tables.ts';

/**
 * Feeds: several parties sending records over HTTP into one record stream (docs/detection.md,
 * "Publishing over HTTP"). The stream is one time order (its clock only moves forward and the
 * workers act on each tick), but an operator's calls and a bank's transfers of the same minutes
 * arrive separately and late. So each feed's records are staged first, and a merge puts into the
 * stream only what is older than every active feed's `through` (the time up to which the feed says
 * it has sent everything): the watermark. A feed not heard for `FEED_IDLE_MS` no longer holds the
 * others back; one whose records the stream has passed gets them refused as too late.
 */

/** A feed not heard for this long (ms) stops holding the watermark back. */
export const FEED_IDLE_MS = 10 * 60_000;

export type FeedKind = 'calls' | 'transactions';

export interface FeedKey {
  organisationId: string;
  kind: FeedKind;
  name: string;
}

/** What a merge did. */
export interface MergeResult {
  /** Appended to the stream, from every feed. */
  published: number;
  /** Skipped: the stream already held them since its last tick (sent by two feeds, or a merge started again). */
  already: number;
  /** Dropped: the stream's clock had passed them (a `detect publish` of files ran meanwhile). */
  late: number;
  /** The watermark: null when no feed is active (everything staged was merged). */
  through: number | null;
  /** Still staged: after the watermark. */
  waiting: number;
}

/**
 * The watermark at `now`: the earliest `through` of the feeds heard within `idleMs`, no earlier
 * than `floor` (the stream's last tick: a feed behind it holds nothing back, its records are too
 * late anyway). Infinity when no feed is active.
 */
export async function watermark(
  db: Kysely<DB>,
  floor: number | null,
  now = Date.now(),
  idleMs = FEED_IDLE_MS,
): Promise<number> {
  const r = await db
    .selectFrom('detection_feeds')
    .select(sql<string | number | null>`min(through)`.as('through'))
    .where('heard_at', '>', new Date(now - idleMs))
    .executeTakeFirst();
  if (r?.through === null || r?.through === undefined) return Infinity;
  return Math.max(Number(r.through), floor ?? -Infinity);
}

const PAGE = 5000;

/**
 * Moves the staged records up to the watermark into the stream, in time order (a call before a
 * transfer of the same millisecond, as the batch runner orders them; then in the order staged).
 * The caller holds the publisher lease. Records are deleted from the stage once appended: a merge
 * that dies between the two appends them again next time, and the sequencer skips those the
 * stream holds since its last tick; any the clock has passed are dropped and counted as late.
 */
export async function mergeFeeds(
  db: Kysely<DB>,
  stream: RecordStream,
  opts: { lease?: { check(): Promise<void> }; pii?: PiiCipher; now?: number; idleMs?: number } = {},
): Promise<MergeResult> {
  const head = await stream.head();
  const floor = head.lastTickAt ?? -Infinity;
  const through = await watermark(db, head.lastTickAt, opts.now ?? Date.now(), opts.idleMs ?? FEED_IDLE_MS);
  const ids: number[] = [];
  const lateBy = new Map<string, number>();
  let late = 0;
  async function* staged(): AsyncGenerator<StreamRecord> {
    let after: { ts: number; kind: string; id: number } | null = null;
    for (;;) {
      let q = db
        .selectFrom('detection_staged')
        .select(['id', 'organisation_id', 'kind', 'name', 'ts', 'record'])
        .orderBy('ts')
        .orderBy('kind')
        .orderBy('id')
        .limit(PAGE);
      if (through !== Infinity) q = q.where('ts', '<=', through);
      if (after !== null)
        q = q.where(sql<boolean>`(ts, kind, id) > (${after.ts}, ${after.kind}, ${after.id})`);
      const rows = await q.execute();
      for (const r of rows) {
        const ts = Number(r.ts);
        ids.push(Number(r.id));
        if (ts < floor) {
          late++;
          const k = `${r.organisation_id}\t${r.kind}\t${r.name}`;
          lateBy.set(k, (lateBy.get(k) ?? 0) + 1);
          continue;
        }
        // A row that holds no record (written by hand) is dropped from the stage like the others.
        const e = decodeEntries(r.record)[0];
        if (e?.kind === 'call' || e?.kind === 'transaction') yield e;
      }
      if (rows.length < PAGE) return;
      const last = rows.at(-1)!;
      after = { ts: Number(last.ts), kind: last.kind, id: Number(last.id) };
    }
  }
  const done = await publishRecords(stream, staged(), {
    ...(opts.lease && { lease: opts.lease }),
    ...(opts.pii && { pii: opts.pii }),
  });
  // Appended (durable): off the stage.
  for (let i = 0; i < ids.length; i += 50_000)
    await sql`delete from detection_staged where id = any(${ids.slice(i, i + 50_000)}::bigint[])`.execute(db);
  for (const [k, n] of lateBy) {
    const [organisationId, kind, name] = k.split('\t') as [string, FeedKind, string];
    await db
      .updateTable('detection_feeds')
      .set({ late: sql`late + ${n}` })
      .where('organisation_id', '=', organisationId)
      .where('kind', '=', kind)
      .where('name', '=', name)
      .execute();
  }
  const left = await db
    .selectFrom('detection_staged')
    .select((eb) => eb.fn.countAll<string | number>().as('n'))
    .executeTakeFirstOrThrow();
  return {
    published: done.published,
    already: done.already,
    late,
    through: through === Infinity ? null : through,
    waiting: Number(left.n),
  };
}

/** Every feed with what it has staged, for the stream's status. */
export async function feedStatus(
  db: Kysely<DB>,
  floor: number | null,
  now = Date.now(),
  idleMs = FEED_IDLE_MS,
): Promise<
  {
    organisationId: string;
    organisation: string | null;
    kind: FeedKind;
    name: string;
    through: number;
    heardAt: Date;
    idle: boolean;
    staged: number;
    late: number;
    holding: boolean;
  }[]
> {
  const rows = await db
    .selectFrom('detection_feeds as f')
    .select([
      'f.organisation_id',
      'f.kind',
      'f.name',
      'f.through',
      'f.heard_at',
      'f.late',
      (eb) =>
        eb
          .selectFrom('detection_staged as s')
          .select((e) => e.fn.countAll<string | number>().as('n'))
          .whereRef('s.organisation_id', '=', 'f.organisation_id')
          .whereRef('s.kind', '=', 'f.kind')
          .whereRef('s.name', '=', 'f.name')
          .as('staged'),
    ])
    .execute();
  if (rows.length === 0) return [];
  // Looked up apart: the streaming tables stand without the identity ones (a worker's database).
  const names = new Map(
    (
      await db
        .selectFrom('organisations')
        .select(['id', 'name'])
        .where('id', 'in', [...new Set(rows.map((r) => r.organisation_id))])
        .execute()
    ).map((o) => [o.id, o.name]),
  );
  const mark = await watermark(db, floor, now, idleMs);
  const feeds = rows.map((r) => {
    const heardAt = new Date(r.heard_at);
    const idle = now - heardAt.getTime() >= idleMs;
    const through = Number(r.through);
    return {
      organisationId: r.organisation_id,
      organisation: names.get(r.organisation_id) ?? null,
      kind: r.kind,
      name: r.name,
      through,
      heardAt,
      idle,
      staged: Number(r.staged ?? 0),
      late: Number(r.late),
      holding: !idle && mark !== Infinity && Math.max(through, floor ?? -Infinity) === mark,
    };
  });
  const key = (f: (typeof feeds)[number]) => `${f.organisation ?? f.organisationId}\t${f.kind}\t${f.name}`;
  return feeds.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

/** Forgets the answers kept for repeated uploads after `keepMs`. */
export async function pruneUploads(db: Kysely<DB>, keepMs = 7 * 86_400_000): Promise<number> {
  const r = await db
    .deleteFrom('detection_uploads')
    .where('at', '<', new Date(Date.now() - keepMs))
    .executeTakeFirst();
  return Number(r.numDeletedRows);
}
