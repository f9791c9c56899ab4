import crypto from 'node:crypto';
import fs from 'node:fs';
import { sql, type Kysely } from 'kysely';
import type { DB } from '../../core/db/schema.ts';
import { badRequest, conflict } from '../../core/errors.ts';
import type { OrganisationKind } from '../../identity/model.ts';
import type { PiiCipher } from '../../privacy/crypto.ts';
import {
  ACCOUNTS,
  BEFORE_LAST_TICK,
  CALLS,
  CARDS,
  checkHeader,
  DEFAULT_LATENESS_MS,
  FormatError,
  readRecords,
  TRANSACTIONS,
  type Format,
  type RecordKind,
} from '../parse.ts';
import type { AccountRecord, CallRecord, CardRecord, TransactionRecord } from '../records.ts';
import { mergeFeeds, type FeedKey, type MergeResult } from './feeds.ts';
import { publishRecords } from './publish.ts';
import { recordKey } from './route.ts';
import { decodeEntries, encodeEntry } from './wire.ts';
import type { StreamEntry } from './types.ts';
import { acquirePublisher, streamKey } from './publisher.ts';
import type { RecordStream } from './types.ts';

/**
 * Records sent over HTTP into the record stream (`POST /v1/detection-stream/records`,
 * docs/detection.md "Publishing over HTTP"): an operator's mediation system or a bank's core
 * system sends a file's worth of records at a time, and they go in exactly as `detect publish`
 * puts a file in: the same checks, the same reordering within the lateness, the same publisher
 * lease, and a retried upload appends nothing twice (`Sequencer`).
 */

export const INGEST_KINDS = ['calls', 'transactions', 'cards', 'accounts'] as const;
export type IngestKind = (typeof INGEST_KINDS)[number];

const KINDS: Record<IngestKind, RecordKind<unknown>> = {
  calls: CALLS as RecordKind<unknown>,
  transactions: TRANSACTIONS as RecordKind<unknown>,
  cards: CARDS as RecordKind<unknown>,
  accounts: ACCOUNTS as RecordKind<unknown>,
};

/**
 * Who holds which records: operators their subscribers' cards and call records, banks and payment
 * institutions their accounts and transfers. The centre's administrators may load any (files a
 * partner handed over), users of other organisations none.
 */
export const SENDERS: Record<IngestKind, readonly OrganisationKind[]> = {
  calls: ['telecom_operator'],
  cards: ['telecom_operator'],
  transactions: ['bank'],
  accounts: ['bank'],
};

/** The largest upload, after decompression (a day of a mid-size switch's records is about this). */
export const INGEST_MAX_BYTES = 256 * 1024 * 1024;

/** Rejected rows listed in the answer, the first ones (the rest are counted). */
export const REJECTS_LISTED = 100;

export interface IngestResult {
  kind: IngestKind;
  /** The feed it came by (calls and transactions); null for cards and accounts, published at once. */
  feed: string | null;
  /** The same body was taken before (by its SHA-256): this is the answer given then, nothing was added. */
  repeated: boolean;
  /** Rows read from the upload (not its header): accepted, already there and rejected. */
  rows: number;
  /**
   * Taken: calls and transactions staged (durable; they go into the stream in time order once
   * every active feed has sent up to their time), cards and accounts published.
   */
  accepted: number;
  /** Skipped: the stream holds them since its last tick, or the feed's stage holds them (sent again). */
  already: number;
  rejected: {
    total: number;
    /** Before the stream's last tick: published already by an earlier upload, or too late. */
    beforeLastTick: number;
    /** Bad rows (numbers, times, amounts, columns). */
    bad: number;
    /** The first `REJECTS_LISTED`, by line of the upload (the header is line 1 of a CSV). */
    first: { line: number; reason: string }[];
  };
  /** What the merge after it did (calls and transactions): it moves every feed's records, not only these. */
  merge: MergeResult | null;
  stream: { kind: string; partitions: number; gseq: number };
}

/** An upload's options. */
export interface IngestOptions {
  format: Format;
  /** Who publishes (the lease's holder). */
  holder: string;
  organisationId: string;
  /** The feed's name within the organisation and kind (default `main`). */
  feed?: string;
  /** The feed has sent everything before this stream time (ms), beyond its last record (a heartbeat). */
  through?: number;
  pii?: PiiCipher;
  waitMs?: number;
  latenessMs?: number;
  /** A feed not heard for this long no longer holds the watermark back (default `FEED_IDLE_MS`). */
  idleMs?: number;
  /** Cards or accounts published at a time (default `REFERENCE_BATCH`; tests set it small). */
  referenceBatch?: number;
}

/** Cards or accounts of an upload published at a time, so that a large file is never held whole. */
export const REFERENCE_BATCH = 50_000;

/**
 * Takes the records of `file` (an upload saved whole first: a broken upload adds nothing). Cards
 * and accounts go into the stream at once; calls and transactions are staged in their feed in one
 * transaction, then merged into the stream up to the watermark (feeds.ts). Holds the publisher
 * lease throughout. A file that is not of the declared kind and format is refused (400) before
 * anything is written; a stream held by another publisher is refused (409 `publisher_busy`)
 * unless it is let go within `waitMs`; the same body sent again to the same feed gets the answer it
 * got the first time and adds nothing.
 */
export async function ingestRecords(
  stream: RecordStream,
  db: Kysely<DB>,
  file: string,
  kind: IngestKind,
  opts: IngestOptions,
): Promise<IngestResult> {
  const recordKind = KINDS[kind];
  try {
    await checkHeader(file, recordKind, opts.format);
  } catch (err) {
    if (err instanceof FormatError)
      throw badRequest(
        'bad_format',
        err.message
          .replace(file, `the ${opts.format === 'csv' ? 'CSV' : 'NDJSON'} body`)
          .replace('use a .ndjson name or --format ndjson', 'send it as application/x-ndjson'),
      );
    throw err;
  }
  const feed = kind === 'calls' || kind === 'transactions' ? (opts.feed ?? 'main') : null;
  // The body and the `through` it came with: a heartbeat of the header alone is a new one at a later `through`.
  const sha256 = await digest(file, opts.through === undefined ? '' : `through=${opts.through}\n`);
  const upload = { organisation_id: opts.organisationId, kind, name: feed ?? '', sha256 };
  const seen = async () =>
    db
      .selectFrom('detection_uploads')
      .select('result')
      .where('organisation_id', '=', upload.organisation_id)
      .where('kind', '=', upload.kind)
      .where('name', '=', upload.name)
      .where('sha256', '=', sha256)
      .executeTakeFirst();
  // A repeated upload adds nothing, but its sender is alive: its feed is heard (not moved), so a
  // sender re-sending its last file over and over shows as stuck, not as gone quiet.
  const again = async (kept: { result: string }) => {
    if (kind === 'calls' || kind === 'transactions')
      await db
        .updateTable('detection_feeds')
        .set({ heard_at: sql`now()` })
        .where('organisation_id', '=', opts.organisationId)
        .where('kind', '=', kind)
        .where('name', '=', feed!)
        .execute();
    return { ...(JSON.parse(kept.result) as IngestResult), repeated: true };
  };
  const before = await seen();
  if (before) return again(before);

  const first: { line: number; reason: string }[] = [];
  let total = 0;
  let beforeLastTick = 0;
  const onReject = (line: number, reason: string) => {
    total++;
    if (reason.startsWith(BEFORE_LAST_TICK)) beforeLastTick++;
    if (first.length < REJECTS_LISTED) first.push({ line, reason });
  };
  const pii = opts.pii && { pii: opts.pii };
  const lease = await acquirePublisher(db, streamKey(stream), opts.holder, { waitMs: opts.waitMs ?? 0 });
  try {
    // Taken while this one waited for the lease.
    const raced = await seen();
    if (raced) return again(raced);
    const head = await stream.head();
    if (head.ended)
      throw conflict(
        'record_stream_ended',
        'the record stream has ended (its input was closed with `detect publish --end`): nothing can be added',
      );
    let accepted = 0;
    let already = 0;
    let merge: MergeResult | null = null;
    if (kind === 'cards' || kind === 'accounts') {
      // A batch at a time: 256 MiB of cards is about 2.8 million, over half a gigabyte as objects.
      let records: unknown[] = [];
      const publish = async () => {
        if (records.length === 0) return;
        const reference =
          kind === 'cards' ? { cards: records as CardRecord[] } : { accounts: records as AccountRecord[] };
        await publishRecords(stream, [], { reference, lease, ...pii });
        accepted += records.length;
        records = [];
      };
      const batch = opts.referenceBatch ?? REFERENCE_BATCH;
      for await (const r of readRecords(file, recordKind, { format: opts.format, onReject })) {
        records.push(r);
        if (records.length >= batch) await publish();
      }
      await publish();
    } else {
      const f: FeedKey = { organisationId: opts.organisationId, kind, name: feed! };
      ({ accepted, already } = await stage(db, stream, file, f, {
        format: opts.format,
        onReject,
        floor: head.lastTickAt,
        latenessMs: opts.latenessMs ?? DEFAULT_LATENESS_MS,
        through: opts.through,
      }));
      merge = await mergeFeeds(db, stream, {
        lease,
        ...pii,
        ...(opts.idleMs !== undefined && { idleMs: opts.idleMs }),
      });
    }
    const after = await stream.head();
    const result: IngestResult = {
      kind,
      feed,
      repeated: false,
      rows: accepted + already + total,
      accepted,
      already,
      rejected: { total, beforeLastTick, bad: total - beforeLastTick, first },
      merge,
      stream: { kind: stream.kind, partitions: stream.partitions, gseq: after.gseq },
    };
    await db
      .insertInto('detection_uploads')
      .values({ ...upload, result: JSON.stringify(withoutValues(result)) })
      .onConflict((oc) => oc.doNothing())
      .execute();
    return result;
  } finally {
    await lease.release();
  }
}

/**
 * An answer as kept for a repeated upload: a rejected row's reason without the value it quoted
 * (`caller: not an E.164 number: 1380013…` → `caller: not an E.164 number`), which may be a
 * number or an id number, kept in the clear for days otherwise.
 */
export function withoutValues(r: IngestResult): IngestResult {
  const first = r.rejected.first.map((x) => ({
    ...x,
    reason: x.reason.replace(/^(\w+: [^:]+): .*$/s, '$1'),
  }));
  return { ...r, rejected: { ...r.rejected, first } };
}

/** The SHA-256 of `prefix` then a file, hex. */
async function digest(file: string, prefix: string): Promise<string> {
  const h = crypto.createHash('sha256');
  h.update(prefix);
  for await (const chunk of fs.createReadStream(file)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/**
 * Records a staged row holds at most: a run of one upload's records in time order (feeds.ts). A
 * row a record bounded a feed at the database's rows per second (about 24,000 on PGlite).
 */
export const STAGE_RUN = 1000;

/** Staged rows written by one statement. */
const RUNS_PER_INSERT = 8;

/**
 * Stages the calls or transactions of `file` in feed `f`, in one transaction, in time order within
 * `latenessMs`, in runs of at most `STAGE_RUN` records; rows before `floor` (the stream's last
 * tick) are refused as too late, and records the stream holds since that tick or the feed's stage
 * holds already are skipped (every field equal, as many times as they are there). Moves the feed's
 * `through` to its latest record (or `through`, when later) and marks it heard (and moved, when it moved).
 */
async function stage(
  db: Kysely<DB>,
  stream: RecordStream,
  file: string,
  f: FeedKey,
  opts: {
    format: Format;
    onReject: (line: number, reason: string) => void;
    floor: number | null;
    latenessMs: number;
    through?: number | undefined;
  },
): Promise<{ accepted: number; already: number }> {
  const entryKind = f.kind === 'calls' ? 'call' : 'transaction';
  const keyOf = (record: unknown) =>
    recordKey({ kind: entryKind, gseq: 0, record } as Parameters<typeof recordKey>[0]);
  const known = new Map<string, number>();
  /** The time of the latest record in `known`: a later record is looked up no more. */
  let knownUntil = -Infinity;
  const count = (e: StreamEntry) => {
    if (e.kind !== entryKind) return;
    const k = recordKey(e);
    known.set(k, (known.get(k) ?? 0) + 1);
    if (e.record.ts > knownUntil) knownUntil = e.record.ts;
  };
  for (const e of await stream.unsettled()) count(e);
  const order = { latenessMs: opts.latenessMs, ...(opts.floor !== null && { floor: opts.floor }) };
  const kind = (f.kind === 'calls' ? CALLS : TRANSACTIONS) as RecordKind<CallRecord | TransactionRecord>;
  let accepted = 0;
  let already = 0;
  let latest = opts.through ?? -Infinity;
  await db.transaction().execute(async (trx) => {
    // Four array parameters a statement (`unnest`), not a row's values each: the statement stays small.
    let firsts: number[] = [];
    let lasts: number[] = [];
    let counts: number[] = [];
    let runs: string[] = [];
    /** The run being filled: the records' wire forms, and its first and last times. */
    let run: string[] = [];
    let first = 0;
    let last = 0;
    const insert = async () => {
      if (runs.length === 0) return;
      await sql`
        insert into detection_staged (organisation_id, kind, name, ts, last_ts, records, entries)
        select ${f.organisationId}, ${f.kind}, ${f.name}, t, l, n, e
        from unnest(${firsts}::bigint[], ${lasts}::bigint[], ${counts}::int[], ${runs}::text[]) as s(t, l, n, e)`.execute(
        trx,
      );
      firsts = [];
      lasts = [];
      counts = [];
      runs = [];
    };
    const flush = async () => {
      if (run.length === 0) return;
      firsts.push(first);
      lasts.push(last);
      counts.push(run.length);
      // The stream's positional wire form (a packed row): half the bytes of the records' JSON.
      runs.push(`[${run.join(',')}]`);
      run = [];
      if (runs.length >= RUNS_PER_INSERT) await insert();
    };
    let opening = true;
    for await (const r of readRecords(file, kind, {
      format: opts.format,
      onReject: (line, reason) => opts.onReject(line, reason),
      order,
    })) {
      if (opening) {
        // Records come in time order: the first is the earliest, and only the feed's runs that
        // reach its time can hold one of them (a party far behind the others may have hours staged).
        opening = false;
        const runs = await trx
          .selectFrom('detection_staged')
          .select('entries')
          .where('organisation_id', '=', f.organisationId)
          .where('kind', '=', f.kind)
          .where('name', '=', f.name)
          .where('last_ts', '>=', r.ts)
          .execute();
        for (const run of runs) for (const e of decodeEntries(run.entries)) count(e);
      }
      if (r.ts <= knownUntil) {
        const k = keyOf(r);
        const n = known.get(k);
        if (n !== undefined) {
          if (n > 1) known.set(k, n - 1);
          else known.delete(k);
          already++;
          continue;
        }
      }
      if (run.length === 0) first = r.ts;
      last = r.ts;
      run.push(encodeEntry({ kind: entryKind, gseq: 0, record: r } as StreamEntry));
      accepted++;
      if (r.ts > latest) latest = r.ts;
      if (run.length >= STAGE_RUN) await flush();
    }
    await flush();
    await insert();
    // A feed that sent nothing new keeps its `through`; it is heard all the same.
    const through = Number.isFinite(latest) ? latest : (opts.floor ?? 0);
    await trx
      .insertInto('detection_feeds')
      .values({ organisation_id: f.organisationId, kind: f.kind, name: f.name, through })
      .onConflict((oc) =>
        oc.columns(['organisation_id', 'kind', 'name']).doUpdateSet({
          through: sql`greatest(detection_feeds.through, excluded.through)`,
          heard_at: sql`now()`,
          moved_at: sql`case when excluded.through > detection_feeds.through then now() else detection_feeds.moved_at end`,
        }),
      )
      .execute();
  });
  return { accepted, already };
}
