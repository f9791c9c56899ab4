import { sql, type Kysely } from 'kysely';
import type { DB } from '../../core/db/schema.ts';
import './tables.ts';
import { callRecordOf, transactionRecordOf } from '../records.ts';
import type { ReadEntry, RecordStream, Routed, StreamEntry } from './types.ts';
import { DEFAULT_PARTITIONS } from './types.ts';

/** Rows per insert statement (PGlite is single-connection: short statements, short transactions). */
const ROWS_PER_INSERT = 1000;

function payloadOf(e: StreamEntry): string {
  switch (e.kind) {
    case 'call':
    case 'transaction':
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
 * The embedded record stream: an append-only table (`detection_records`), one row per entry
 * naming its partitions (none: every worker reads it, as clock entries and records are), written a batch per
 * transaction, so what `append` accepted survives a restart and a
 * worker resumes after its saved gseq. Readers poll (every `pollMs`) while waiting for more.
 */
export class EmbeddedRecordStream implements RecordStream {
  readonly kind = 'embedded' as const;

  constructor(
    private readonly db: Kysely<DB>,
    readonly partitions = DEFAULT_PARTITIONS,
    private readonly pollMs = 100,
  ) {}

  async append(batch: readonly Routed[]): Promise<void> {
    const rows = batch.map(({ entry, partitions }) => ({
      gseq: entry.gseq,
      partitions: partitions === null ? null : `{${partitions.join(',')}}`,
      kind: entry.kind,
      payload: payloadOf(entry),
    }));
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
    const tick = await this.db
      .selectFrom('detection_records')
      .select(['payload'])
      .where('kind', 'in', ['tick', 'end'])
      .orderBy('gseq', 'desc')
      .limit(1)
      .executeTakeFirst();
    return {
      gseq: last ? Number(last.gseq) : 0,
      lastTickAt: tick ? ((JSON.parse(tick.payload) as { now: number }).now ?? null) : null,
      ended: last?.kind === 'end',
    };
  }

  async read(
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
        .limit(limit)
        .execute();
      if (rows.length > 0)
        return rows.map((r) => ({
          entry: entryOf(r.kind, Number(r.gseq), r.payload),
          cursor: Number(r.gseq),
        }));
      if (Date.now() >= end) return [];
      await new Promise((r) => setTimeout(r, Math.min(this.pollMs, Math.max(1, end - Date.now()))));
    }
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
