import { sql, type Kysely } from 'kysely';
import type { DB } from '../../core/db/schema.ts';
import type { PiiCipher } from '../../privacy/crypto.ts';
import { publishRecords, type StreamRecord } from './publish.ts';
import type { RecordStream, StreamEntry } from './types.ts';
import { decodeEntries, encodeEntry } from './wire.ts';
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

/**
 * A feed not heard for this long (ms) stops holding the watermark back: the default of
 * `INTERDICT_FEED_IDLE_MINUTES` (`Config.feedIdleMs`), which the centre sets above its slowest
 * sender's interval.
 */
export const FEED_IDLE_MS = 10 * 60_000;

/**
 * A feed heard but whose `through` has not moved for this long (ms) is stuck: a sender sends at
 * least every `FEED_IDLE_MS`, and every upload or heartbeat carries a later `through`, so one that
 * keeps being heard without moving has a stuck clock or re-sends its last file. While it holds the
 * others back, nothing goes into the stream until it moves or is released.
 */
export const FEED_STUCK_MS = 10 * 60_000;

/** How long a feed may go unheard, and unmoved (`Config.feedIdleMs`, `Config.feedStuckMs`). */
export interface FeedTimes {
  feedIdleMs: number;
  feedStuckMs: number;
}

export const DEFAULT_FEED_TIMES: FeedTimes = { feedIdleMs: FEED_IDLE_MS, feedStuckMs: FEED_STUCK_MS };

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
 * The watermark at `now`: the earliest `through` of the feeds heard within `idleMs` and not
 * released (`releaseFeed`), no earlier
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
    .where('released', '=', false)
    .executeTakeFirst();
  if (r?.through === null || r?.through === undefined) return Infinity;
  return Math.max(Number(r.through), floor ?? -Infinity);
}

/** Staged runs read by one query of a merge. */
const PAGE = 64;

/** A staged run opened by a merge: its records, and the next one to hand out. */
interface OpenRun {
  id: number;
  kind: FeedKind;
  feed: string;
  entries: StreamRecord[];
  at: number;
}

/** Whether run `a`'s next record goes before run `b`'s: by time, a call before a transfer, then in the order staged. */
function before(a: OpenRun, b: OpenRun): boolean {
  const ta = a.entries[a.at]!.record.ts;
  const tb = b.entries[b.at]!.record.ts;
  if (ta !== tb) return ta < tb;
  if (a.kind !== b.kind) return a.kind === 'calls';
  return a.id < b.id;
}

/**
 * Moves the staged records up to the watermark into the stream, in time order (a call before a
 * transfer of the same millisecond, as the batch runner orders them; then in the order staged),
 * merging the staged runs that overlap in time. The caller holds the publisher lease. Runs are
 * unstaged once their records are appended (a run the watermark cuts keeps the rest). A merge that
 * dies between the two leaves its intent (`detection_merges`): the next one appends again what is
 * still staged, the sequencer skips what the stream holds since its last tick, and what the clock
 * has passed since the dead merge began counts as appended, not late. A record the clock had
 * passed before is dropped and counted late for its feed.
 */
export async function mergeFeeds(
  db: Kysely<DB>,
  stream: RecordStream,
  opts: { lease?: { check(): Promise<void> }; pii?: PiiCipher; now?: number; idleMs?: number } = {},
): Promise<MergeResult> {
  const head = await stream.head();
  const floor = head.lastTickAt ?? -Infinity;
  const through = await watermark(db, head.lastTickAt, opts.now ?? Date.now(), opts.idleMs ?? FEED_IDLE_MS);
  const dead = await db.selectFrom('detection_merges').selectAll().executeTakeFirst();
  /** The span of times a merge that died may have appended (and the clock passed since). */
  const deadFrom = dead ? (dead.floor === null ? -Infinity : Number(dead.floor)) : Infinity;
  const deadTo = dead ? (dead.through === null ? Infinity : Number(dead.through)) : -Infinity;
  // This merge's intent: its span, and a dead merge's with it (this one may die too).
  const from = Math.min(deadFrom, floor);
  const to = Math.max(deadTo, through);
  const intent = { floor: from === -Infinity ? null : from, through: to === Infinity ? null : to };
  await db
    .insertInto('detection_merges')
    .values({ id: 1, ...intent })
    .onConflict((oc) => oc.column('id').doUpdateSet({ ...intent, started_at: sql`now()` }))
    .execute();
  const spent: number[] = [];
  const cut: { id: number; rest: StreamRecord[] }[] = [];
  const lateBy = new Map<string, number>();
  let late = 0;
  let recovered = 0;
  /** Open runs, a binary heap by `before`. */
  const heap: OpenRun[] = [];
  const push = (r: OpenRun) => {
    let i = heap.length;
    heap.push(r);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(r, heap[p]!)) break;
      heap[i] = heap[p]!;
      i = p;
    }
    heap[i] = r;
  };
  const sift = () => {
    const n = heap.length;
    const top = heap[0]!;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const m = l + 1 < n && before(heap[l + 1]!, heap[l]!) ? l + 1 : l;
      if (!before(heap[m]!, top)) break;
      heap[i] = heap[m]!;
      i = m;
    }
    heap[i] = top;
  };
  const pop = () => {
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      sift();
    }
  };
  /** A run that has handed out its records up to the watermark: unstaged, or cut to the rest. */
  const close = (r: OpenRun) => {
    if (r.at >= r.entries.length) spent.push(r.id);
    else cut.push({ id: r.id, rest: r.entries.slice(r.at) });
  };
  async function* merged(): AsyncGenerator<StreamRecord> {
    /** Runs by first time, a page at a time; `next` is the first not opened. */
    let page: {
      id: number;
      kind: FeedKind;
      organisation_id: string;
      name: string;
      ts: number;
      entries: string;
    }[] = [];
    let p = 0;
    let after: { ts: number; kind: string; id: number } | null = null;
    let exhausted = false;
    const next = async () => {
      if (p < page.length || exhausted) return p < page.length ? page[p]! : null;
      let q = db
        .selectFrom('detection_staged')
        .select(['id', 'organisation_id', 'kind', 'name', 'ts', 'entries'])
        .orderBy('ts')
        .orderBy('kind')
        .orderBy('id')
        .limit(PAGE);
      if (through !== Infinity) q = q.where('ts', '<=', through);
      if (after !== null)
        q = q.where(sql<boolean>`(ts, kind, id) > (${after.ts}, ${after.kind}, ${after.id})`);
      page = (await q.execute()).map((r) => ({ ...r, id: Number(r.id), ts: Number(r.ts) }));
      p = 0;
      if (page.length < PAGE) exhausted = true;
      if (page.length === 0) return null;
      const last = page.at(-1)!;
      after = { ts: last.ts, kind: last.kind, id: last.id };
      return page[0]!;
    };
    for (;;) {
      // Open every run that starts before the next record to hand out (or at its time, earlier in order).
      for (let row = await next(); row !== null; row = await next()) {
        const top = heap[0];
        if (top !== undefined) {
          const t = top.entries[top.at]!.record.ts;
          if (
            row.ts > t ||
            (row.ts === t && (row.kind > top.kind || (row.kind === top.kind && row.id > top.id)))
          )
            break;
        }
        p++;
        // A row that holds no record (written by hand) is unstaged like the others.
        const entries = decodeEntries(row.entries).filter(
          (e): e is StreamRecord & StreamEntry => e.kind === 'call' || e.kind === 'transaction',
        );
        const run: OpenRun = {
          id: row.id,
          kind: row.kind,
          feed: `${row.organisation_id}\t${row.kind}\t${row.name}`,
          entries,
          at: 0,
        };
        if (entries.length === 0 || entries[0]!.record.ts > through) close(run);
        else push(run);
      }
      const r = heap[0];
      if (r === undefined) return;
      const e = r.entries[r.at++]!;
      if (r.at >= r.entries.length || r.entries[r.at]!.record.ts > through) {
        pop();
        close(r);
      } else sift();
      const ts = e.record.ts;
      if (ts >= floor) yield e;
      else if (ts >= deadFrom && ts <= deadTo) recovered++;
      else {
        late++;
        lateBy.set(r.feed, (lateBy.get(r.feed) ?? 0) + 1);
      }
    }
  }
  const done = await publishRecords(stream, merged(), {
    ...(opts.lease && { lease: opts.lease }),
    ...(opts.pii && { pii: opts.pii }),
  });
  // Appended (durable): off the stage, and the merge's intent with it, in one transaction.
  await db.transaction().execute(async (trx) => {
    for (let i = 0; i < spent.length; i += 50_000)
      await sql`delete from detection_staged where id = any(${spent.slice(i, i + 50_000)}::bigint[])`.execute(
        trx,
      );
    for (const c of cut)
      await trx
        .updateTable('detection_staged')
        .set({
          ts: c.rest[0]!.record.ts,
          records: c.rest.length,
          entries: `[${c.rest.map((e) => encodeEntry({ ...e, gseq: 0 } as StreamEntry)).join(',')}]`,
        })
        .where('id', '=', c.id)
        .execute();
    for (const [k, n] of lateBy) {
      const [organisationId, kind, name] = k.split('\t') as [string, FeedKind, string];
      await trx
        .updateTable('detection_feeds')
        .set({ late: sql`late + ${n}` })
        .where('organisation_id', '=', organisationId)
        .where('kind', '=', kind)
        .where('name', '=', name)
        .execute();
    }
    // A released feed that has caught up with the others holds the watermark back again.
    if (through !== Infinity)
      await trx
        .updateTable('detection_feeds')
        .set({ released: false })
        .where('released', '=', true)
        .where('through', '>=', through)
        .execute();
    await trx.deleteFrom('detection_merges').execute();
  });
  const left = await db
    .selectFrom('detection_staged')
    .select((eb) => eb.fn.coalesce(eb.fn.sum<string | number>('records'), sql<number>`0`).as('n'))
    .executeTakeFirstOrThrow();
  return {
    published: done.published,
    already: done.already + recovered,
    late,
    through: through === Infinity ? null : through,
    waiting: Number(left.n),
  };
}

/**
 * Every feed with what it has staged, and the watermark the feeds' `holding` flags were judged
 * against (`watermark`, Infinity when no feed is active), for the stream's status: one reading,
 * so the flags and the watermark shown beside them cannot disagree.
 */
export async function feedStatus(
  db: Kysely<DB>,
  floor: number | null,
  now = Date.now(),
  times: FeedTimes = DEFAULT_FEED_TIMES,
): Promise<{ watermark: number; feeds: FeedState[] }> {
  const idleMs = times.feedIdleMs;
  const mark = await watermark(db, floor, now, idleMs);
  return { watermark: mark, feeds: await feedStates(db, floor, now, times, mark) };
}

/** A feed as the stream's status shows it (`feedStatus`). */
export type FeedState = Awaited<ReturnType<typeof feedStates>>[number];

async function feedStates(
  db: Kysely<DB>,
  floor: number | null,
  now: number,
  times: FeedTimes,
  mark: number,
): Promise<
  {
    organisationId: string;
    organisation: string | null;
    kind: FeedKind;
    name: string;
    through: number;
    heardAt: Date;
    movedAt: Date;
    idle: boolean;
    stuck: boolean;
    staged: number;
    late: number;
    released: boolean;
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
      'f.moved_at',
      'f.late',
      'f.released',
      (eb) =>
        eb
          .selectFrom('detection_staged as s')
          .select((e) => e.fn.sum<string | number>('s.records').as('n'))
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
  const idleMs = times.feedIdleMs;
  const stuckMs = times.feedStuckMs;
  const feeds = rows.map((r) => {
    const heardAt = new Date(r.heard_at);
    const movedAt = new Date(r.moved_at);
    const idle = now - heardAt.getTime() >= idleMs;
    const through = Number(r.through);
    return {
      organisationId: r.organisation_id,
      organisation: names.get(r.organisation_id) ?? null,
      kind: r.kind,
      name: r.name,
      through,
      heardAt,
      movedAt,
      idle,
      stuck: !idle && now - movedAt.getTime() >= stuckMs,
      staged: Number(r.staged ?? 0),
      late: Number(r.late),
      released: r.released,
      holding: !idle && !r.released && mark !== Infinity && Math.max(through, floor ?? -Infinity) === mark,
    };
  });
  const key = (f: (typeof feeds)[number]) => `${f.organisation ?? f.organisationId}\t${f.kind}\t${f.name}`;
  return feeds.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

/**
 * Lets the other feeds go on without feed `f` (a party whose clock is stuck, or whose system is
 * down but still sends heartbeats, holds the whole stream back): it no longer holds the watermark
 * back until its `through` reaches the watermark of the others again, at a merge. Its records for
 * times the stream passes meanwhile are refused as too late when they come (their sender is told
 * so); none staged is lost. False when there is no such feed.
 */
export async function releaseFeed(db: Kysely<DB>, f: FeedKey): Promise<boolean> {
  const r = await db
    .updateTable('detection_feeds')
    .set({ released: true })
    .where('organisation_id', '=', f.organisationId)
    .where('kind', '=', f.kind)
    .where('name', '=', f.name)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/** Forgets the answers kept for repeated uploads after `keepMs`. */
export async function pruneUploads(db: Kysely<DB>, keepMs = 7 * 86_400_000): Promise<number> {
  const r = await db
    .deleteFrom('detection_uploads')
    .where('at', '<', new Date(Date.now() - keepMs))
    .executeTakeFirst();
  return Number(r.numDeletedRows);
}
