import { sql, type Kysely } from 'kysely';
import type { DB } from '../../core/db/schema.ts';
import './tables.ts';
import { callRecordOf, transactionRecordOf } from '../records.ts';
import type { DetectionRecordsTable } from './tables.ts';
import type { ReadEntry, RecordStream, Routed, StoredRecords, StreamEntry } from './types.ts';
import { decodeEntries, encodeEntry, takeDecoded } from './wire.ts';
import { DEFAULT_PARTITIONS } from './types.ts';
import { unsettledOf } from './route.ts';

/** Rows per insert statement (PGlite is single-connection: short statements, short transactions). */
const ROWS_PER_INSERT = 1000;
/**
 * Records packed into one row at most: a row per record cost an index entry, a row header and a
 * decode each; clock entries keep a row of their own (`head` finds the last one by kind).
 */
export const ENTRIES_PER_ROW = 500;
/** How long the embedded stream keeps records (stream time), as JetStream keeps them (`maxAgeMs`). */
export const RECORDS_KEEP_MS = 7 * 86_400_000;
/** `stored()` counts rows exactly up to this table size. */
export const COUNT_ROWS_UP_TO_BYTES = 64 * 1048576;

export interface PruneResult {
  /** Rows deleted. */
  deleted: number;
  /** Every row up to this gseq is gone (0: none). */
  through: number;
  /** The worker whose checkpoint held rows back (it has not read them yet), if one did. */
  heldBy: string | null;
}

function payloadOf(e: StreamEntry): string {
  switch (e.kind) {
    case 'call':
      // The record's fields only: a linked record's entries (src/detection/intern.ts) are not data.
      return JSON.stringify(callRecordOf(e.record));
    case 'transaction':
    case 'card':
    case 'account':
      return JSON.stringify(e.record);
    case 'tick':
      return JSON.stringify({ now: e.now, drain: e.drain });
    case 'end':
      return JSON.stringify({ now: e.now });
  }
}

function entryOf(kind: string, gseq: number, payload: string): StreamEntry {
  const o = JSON.parse(payload) as Record<string, unknown>;
  switch (kind) {
    case 'call':
      return { kind, gseq, record: callRecordOf(o as never) };
    case 'transaction':
      return { kind, gseq, record: transactionRecordOf(o as never) };
    case 'tick':
      return { kind, gseq, now: o.now as number, drain: o.drain as boolean };
    default:
      return { kind: 'end', gseq, now: o.now as number };
  }
}

/**
 * The embedded record stream: an append-only table (`detection_records`), a row per clock entry
 * and per run of up to `ENTRIES_PER_ROW` consecutive records for the same partitions (a row with
 * none is every worker's, as clock entries and records are), written a batch per transaction, so
 * what `append` accepted survives a restart and a worker resumes after its saved gseq. Readers
 * poll (every `pollMs`) while waiting for more.
 */
export class EmbeddedRecordStream implements RecordStream {
  readonly kind = 'embedded' as const;

  constructor(
    private readonly db: Kysely<DB>,
    readonly partitions = DEFAULT_PARTITIONS,
    private readonly pollMs = 100,
    private readonly countRowsUpToBytes = COUNT_ROWS_UP_TO_BYTES,
  ) {}

  async append(batch: readonly Routed[]): Promise<void> {
    type Row = {
      gseq: number;
      partitions: string | null;
      kind: DetectionRecordsTable['kind'];
      payload: string;
    };
    const rows: Row[] = [];
    /** The records being packed: consecutive, for the same partitions. */
    let group: StreamEntry[] = [];
    let groupParts: number[] | null = null;
    const partitionsOf = (p: number[] | null) => (p === null ? null : `{${p.join(',')}}`);
    const close = () => {
      // A lone call or transaction keeps the row shape of before packing (older builds read it);
      // cards and accounts are always packed (the table's kinds predate them).
      if (group.length === 1 && (group[0]!.kind === 'call' || group[0]!.kind === 'transaction')) {
        const e = group[0]!;
        rows.push({
          gseq: e.gseq,
          partitions: partitionsOf(groupParts),
          kind: e.kind,
          payload: payloadOf(e),
        });
      } else if (group.length > 0)
        rows.push({
          gseq: group[group.length - 1]!.gseq,
          partitions: partitionsOf(groupParts),
          kind: 'pack',
          payload: `[${group.map(encodeEntry).join(',')}]`,
        });
      group = [];
    };
    for (const { entry, partitions } of batch) {
      const record = entry.kind !== 'tick' && entry.kind !== 'end';
      if (
        group.length > 0 &&
        (!record || group.length >= ENTRIES_PER_ROW || partitionsOf(partitions) !== partitionsOf(groupParts))
      )
        close();
      if (record) {
        group.push(entry);
        groupParts = partitions;
      } else
        rows.push({
          gseq: entry.gseq,
          partitions: partitionsOf(partitions),
          kind: entry.kind,
          payload: payloadOf(entry),
        });
    }
    close();
    if (rows.length === 0) return;
    await this.db.transaction().execute(async (tx) => {
      for (let i = 0; i < rows.length; i += ROWS_PER_INSERT)
        await tx
          .insertInto('detection_records')
          .values(rows.slice(i, i + ROWS_PER_INSERT))
          .execute();
    });
  }

  async head(): Promise<{ gseq: number; lastTickAt: number | null; ended: boolean }> {
    const last = await this.db
      .selectFrom('detection_records')
      .select(['gseq', 'kind'])
      .orderBy('gseq', 'desc')
      .limit(1)
      .executeTakeFirst();
    const tick = await this.lastClock();
    return {
      gseq: last ? Number(last.gseq) : 0,
      lastTickAt: tick ? ((JSON.parse(tick.payload) as { now: number }).now ?? null) : null,
      ended: last?.kind === 'end',
    };
  }

  async unsettled(): Promise<StreamEntry[]> {
    const db = this.db;
    return unsettledOf(
      (async function* () {
        let below = Number.MAX_SAFE_INTEGER;
        for (;;) {
          const rows = await db
            .selectFrom('detection_records')
            .select(['gseq', 'kind', 'payload'])
            .where('gseq', '<', below)
            .orderBy('gseq', 'desc')
            .limit(16)
            .execute();
          if (rows.length === 0) return;
          for (const row of rows)
            yield row.kind === 'pack'
              ? decodeEntries(row.payload).reverse()
              : [entryOf(row.kind, Number(row.gseq), row.payload)];
          below = Number(rows.at(-1)!.gseq);
        }
      })(),
    );
  }

  /** The last clock entry's row (a tick or the end). */
  private lastClock(): Promise<{ payload: string } | undefined> {
    return this.db
      .selectFrom('detection_records')
      .select(['payload'])
      .where('kind', 'in', ['tick', 'end'])
      .orderBy('gseq', 'desc')
      .limit(1)
      .executeTakeFirst();
  }

  /** Entries of the last rows read and not yet returned (a packed row holds more than a read may take). */
  private reader: { key: string; returned: number; pending: ReadEntry[]; next: number } | null = null;

  async read(
    partitions: readonly number[],
    cursor: number,
    limit: number,
    waitMs: number,
  ): Promise<ReadEntry[]> {
    const key = partitions.join(',');
    let r = this.reader;
    if (r === null || r.key !== key || r.returned !== cursor || r.next === r.pending.length) {
      const pending = await this.fetch(partitions, cursor, limit, waitMs);
      r = this.reader = { key, returned: cursor, pending, next: 0 };
    }
    return takeDecoded(r, limit);
  }

  /**
   * The entries after `cursor` in the next rows of `partitions`: enough rows for `limit` entries
   * when they are packed, and a few more; the position of an entry is its gseq, so a read may
   * start inside a packed row.
   */
  private async fetch(
    partitions: readonly number[],
    cursor: number,
    limit: number,
    waitMs: number,
  ): Promise<ReadEntry[]> {
    const end = Date.now() + waitMs;
    const owned = `{${partitions.join(',')}}`;
    for (;;) {
      const rows = await this.db
        .selectFrom('detection_records')
        .select(['gseq', 'kind', 'payload'])
        .where('gseq', '>', cursor)
        .where((eb) =>
          eb.or([eb('partitions', 'is', null), sql<boolean>`partitions && ${owned}::smallint[]`]),
        )
        .orderBy('gseq')
        .limit(Math.min(limit, Math.ceil(limit / ENTRIES_PER_ROW) + 64))
        .execute();
      if (rows.length > 0) {
        const out: ReadEntry[] = [];
        for (const row of rows)
          if (row.kind === 'pack') {
            for (const entry of decodeEntries(row.payload))
              if (entry.gseq > cursor) out.push({ entry, cursor: entry.gseq });
          } else
            out.push({ entry: entryOf(row.kind, Number(row.gseq), row.payload), cursor: Number(row.gseq) });
        return out;
      }
      if (Date.now() >= end) return [];
      await new Promise((r) => setTimeout(r, Math.min(this.pollMs, Math.max(1, end - Date.now()))));
    }
  }

  async stored(): Promise<StoredRecords> {
    const first = await this.db
      .selectFrom('detection_records')
      .select(['gseq', 'kind', 'payload'])
      .orderBy('gseq')
      .limit(1)
      .executeTakeFirst();
    // Rows counted while the table is small; beyond, the planner's estimate (kept by vacuum), as
    // a count would read the whole table at every status request and metrics scrape.
    const r = await sql<{ bytes: string; rows: string }>`
      with t as (select pg_total_relation_size('detection_records')::bigint as bytes)
      select t.bytes,
             case when t.bytes <= ${this.countRowsUpToBytes}
                  then (select count(*) from detection_records)
                  else (select greatest(reltuples, 0)::bigint from pg_class where relname = 'detection_records')
             end as rows
      from t`.execute(this.db);
    const from = !first
      ? null
      : first.kind === 'pack'
        ? (decodeEntries(first.payload)[0]?.gseq ?? Number(first.gseq))
        : Number(first.gseq);
    return { fromGseq: from, bytes: Number(r.rows[0]!.bytes), units: Number(r.rows[0]!.rows) };
  }

  /**
   * Deletes what no one needs any more (docs/detection.md, "Retention"): the rows whose every entry
   * is older than `keepMs` of stream time before the last clock entry, and that every worker with
   * a checkpoint saved in the last `activeMs` (wall time) has read. A worker silent for longer holds
   * nothing back (as JetStream's age limit, whatever a worker has read). In batches of
   * `batchRows`, a transaction each (PGlite has one connection). Returns what it did and, when a
   * worker's checkpoint held rows back, which worker.
   */
  async prune(
    opts: { keepMs: number; activeMs?: number; batchRows?: number } = { keepMs: RECORDS_KEEP_MS },
  ): Promise<PruneResult> {
    const lastTick = await this.lastClock();
    if (!lastTick) return { deleted: 0, through: 0, heldBy: null };
    const cutAt = (JSON.parse(lastTick.payload) as { now: number }).now - opts.keepMs;
    // The last clock entry at or before the cut: every entry up to it is older than the cut.
    const cut = await sql<{ gseq: string | null }>`
      select max(gseq)::bigint as gseq from detection_records
      where kind in ('tick', 'end') and (payload::json->>'now')::float8 <= ${cutAt}`.execute(this.db);
    let through = Number(cut.rows[0]?.gseq ?? 0);
    let heldBy: string | null = null;
    const active = await this.db
      .selectFrom('detection_checkpoints')
      .select(['worker', 'gseq'])
      .where('saved_at', '>=', new Date(Date.now() - (opts.activeMs ?? opts.keepMs)))
      .orderBy('gseq')
      .limit(1)
      .executeTakeFirst();
    if (active && Number(active.gseq) < through) {
      through = Number(active.gseq);
      heldBy = active.worker;
    }
    let deleted = 0;
    if (through <= 0) return { deleted, through: 0, heldBy };
    const batch = opts.batchRows ?? 10_000;
    for (;;) {
      const r = await this.db
        .deleteFrom('detection_records')
        .where('gseq', 'in', (eb) =>
          eb
            .selectFrom('detection_records')
            .select('gseq')
            .where('gseq', '<=', through)
            .orderBy('gseq')
            .limit(batch),
        )
        .executeTakeFirst();
      const n = Number(r.numDeletedRows);
      deleted += n;
      if (n < batch) break;
    }
    // The space of deleted rows is reused once vacuumed: PostgreSQL's autovacuum does it, the
    // embedded database has none.
    if (deleted > 0) await sql`vacuum detection_records`.execute(this.db);
    return { deleted, through, heldBy };
  }

  /** Fails when the table holds partitions beyond this stream's count (published with another count). */
  async checkPartitions(): Promise<void> {
    const r = await this.db
      .selectFrom('detection_records')
      .select(sql<number | null>`max((select max(p) from unnest(partitions) p))`.as('top'))
      .executeTakeFirst();
    const top = r?.top === null || r?.top === undefined ? -1 : Number(r.top);
    if (top >= this.partitions)
      throw new Error(
        `the record stream was published with more than ${this.partitions} partitions (--partition-count)`,
      );
  }

  async close(): Promise<void> {}
}
