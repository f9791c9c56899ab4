import { sql, type Kysely } from 'kysely';
import type { DB } from '../core/db/schema.ts';
import { badRequest } from '../core/errors.ts';
import type { ListingRecord, ListingStatus } from './engine/types.ts';
import './tables.ts';

/**
 * What decision engines load: a snapshot of the listings that match, then the changes since a
 * version. Start-up:
 *
 *   const v = await currentVersion(db);          // before the snapshot
 *   for await (const r of snapshot(db)) index.put(r);
 *   for (let c = await changesSince(db, v); ; c = await changesSince(db, c.version)) {
 *     for (const r of c.records) index.apply(r);  // keeps only versions above the one held
 *     if (!c.more) break;
 *   }
 *
 * then the bus's `listing.*` events (or more changesSince calls). Versions are taken in commit
 * order (service.ts), so "since v" never misses a change committed after it was asked.
 */

/** The statuses a decision engine matches (under appeal: at most a warning). */
export const MATCHING_STATUSES: readonly ListingStatus[] = ['active', 'under_appeal'];

interface RecordRow {
  id: string;
  kind: ListingRecord['kind'];
  value: string;
  category: ListingRecord['category'];
  confidence: number;
  status: ListingStatus;
  expires_at: Date | string | null;
  version: number | string;
}

export function toRecord(r: RecordRow): ListingRecord {
  return {
    id: r.id,
    kind: r.kind,
    value: r.value,
    category: r.category,
    confidence: Math.round(Number(r.confidence) * 10_000) / 10_000,
    status: r.status,
    expiresAt: r.expires_at === null ? null : new Date(r.expires_at).getTime(),
    version: Number(r.version),
  };
}

/** The highest version committed (0 for an empty registry). */
export async function currentVersion(q: Kysely<DB>): Promise<number> {
  const r = await sql<{ v: number | null }>`select max(version) as v from listings`.execute(q);
  return Number(r.rows[0]?.v ?? 0);
}

/**
 * Streams the listings that match (active, under appeal) as the engine's records, in version
 * order, `batchSize` rows per query. A listing changed while the stream runs may come twice
 * (keep the higher version) or be left for changesSince.
 */
export async function* snapshot(
  q: Kysely<DB>,
  opts: { batchSize?: number; statuses?: readonly ListingStatus[] } = {},
): AsyncGenerator<ListingRecord> {
  const batch = Math.max(1, Math.min(opts.batchSize ?? 10_000, 100_000));
  const statuses = [...(opts.statuses ?? MATCHING_STATUSES)];
  let after = 0;
  for (;;) {
    const rows = await q
      .selectFrom('listings')
      .select(['id', 'kind', 'value', 'category', 'confidence', 'status', 'expires_at', 'version'])
      .where('status', 'in', statuses)
      .where('version', '>', after)
      .orderBy('version')
      .limit(batch)
      .execute();
    for (const r of rows) yield toRecord(r);
    if (rows.length < batch) return;
    after = Number(rows.at(-1)!.version);
  }
}

export interface Changes {
  /** Every listing changed after the asked version, whatever its status, oldest change first. */
  records: ListingRecord[];
  /** The version to ask from next time (the asked one when nothing changed). */
  version: number;
  /** More changes wait: ask again from `version`. */
  more: boolean;
}

export const MAX_CHANGES = 100_000;

/** Listings changed since `version` (their latest state), for engines and incremental feeds. */
export async function changesSince(q: Kysely<DB>, version: number, limit = 10_000): Promise<Changes> {
  if (!Number.isSafeInteger(version) || version < 0)
    throw badRequest('invalid_version', 'a version is a whole number ≥ 0');
  const n = Math.max(1, Math.min(limit, MAX_CHANGES));
  const rows = await q
    .selectFrom('listings')
    .select(['id', 'kind', 'value', 'category', 'confidence', 'status', 'expires_at', 'version'])
    .where('version', '>', version)
    .orderBy('version')
    .limit(n + 1)
    .execute();
  const records = rows.slice(0, n).map(toRecord);
  return { records, version: records.at(-1)?.version ?? version, more: rows.length > n };
}
