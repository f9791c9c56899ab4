import { sql, type Kysely } from 'kysely';
import type { DB } from '../core/db/schema.ts';
import { audit, type Actor } from '../core/audit.ts';
import { PiiKeyError, piiContext, type PiiCipher } from './crypto.ts';
import { idNumberHash } from './service.ts';

/**
 * Key rotation. To rotate: put a new key first in INTERDICT_PII_KEYS (or keys.json) and keep
 * the old ones after it, restart, then run rotatePiiKeys: it re-encrypts, in batches of one
 * transaction each, every row still under another key. It is resumable (a stopped run leaves
 * committed batches done and the rest under the old key, still readable) and safe to run on
 * several nodes at once (rows are locked with SKIP LOCKED). Once piiKeyUsage shows no row under
 * an old key, remove that key from the configuration.
 *
 * The lookup key can change too: set the new INTERDICT_LOOKUP_KEY and run rehashPersons, which
 * recomputes every identity-number hash from the decrypted number (lookups by number miss for
 * rows not yet rehashed, so run it before taking traffic).
 */

/**
 * A table with encrypted columns, all under the key named in one key-id column (null in a row
 * that holds no ciphertext, such as a detection whose subject is not a person).
 */
export interface EncryptedTable {
  table: string;
  idColumn: string;
  keyIdColumn: string;
  /** bytea columns; their AAD context is piiContext(table, column, row id). */
  columns: readonly string[];
}

/** Capabilities with encrypted columns of their own register them here so rotation covers them. */
export const ENCRYPTED_TABLES: EncryptedTable[] = [
  {
    table: 'persons',
    idColumn: 'id',
    keyIdColumn: 'key_id',
    columns: ['name_enc', 'id_number_enc', 'birth_date_enc'],
  },
];

export function registerEncryptedTable(t: EncryptedTable): void {
  const ident = /^[a-z_][a-z0-9_]*$/;
  for (const name of [t.table, t.idColumn, t.keyIdColumn, ...t.columns]) {
    if (!ident.test(name)) throw new Error(`"${name}" is not a plain identifier`);
  }
  if (!ENCRYPTED_TABLES.some((e) => e.table === t.table)) ENCRYPTED_TABLES.push(t);
}

/** Rows per key id, per table: when an old key counts no row anywhere, it can be removed. */
export async function piiKeyUsage(q: Kysely<DB>): Promise<Record<string, Record<string, number>>> {
  const out: Record<string, Record<string, number>> = {};
  for (const t of ENCRYPTED_TABLES) {
    const r = await sql<{ key_id: string; n: number }>`
      select ${sql.ref(t.keyIdColumn)} as key_id, count(*)::int as n
      from ${sql.table(t.table)}
      where ${sql.ref(t.keyIdColumn)} is not null
      group by 1 order by 1`.execute(q);
    out[t.table] = Object.fromEntries(r.rows.map((x) => [x.key_id, Number(x.n)]));
  }
  return out;
}

export interface RotateOptions {
  /** Rows per transaction (default 500). */
  batchSize?: number;
  /** Stop after this many batches (default: until done); a later run continues. */
  maxBatches?: number;
  onProgress?: (p: { table: string; reencrypted: number }) => void;
}

export interface RotateResult {
  activeKeyId: string;
  reencrypted: number;
  /** Rows still under another key (0 when done). */
  remaining: number;
}

/** Re-encrypts every row not under the active key (see the file comment). */
export async function rotatePiiKeys(
  db: Kysely<DB>,
  cipher: PiiCipher,
  actor: Actor,
  opts: RotateOptions = {},
): Promise<RotateResult> {
  const batchSize = Math.max(1, Math.min(10_000, opts.batchSize ?? 500));
  const active = cipher.activeKeyId;
  const usage = await piiKeyUsage(db);
  const unknown = [...new Set(Object.values(usage).flatMap((u) => Object.keys(u)))].filter(
    (k) => !cipher.hasKey(k),
  );
  if (unknown.length) {
    throw new PiiKeyError(
      `rows are encrypted under key(s) ${unknown.join(', ')}, which are not configured: add them after the active key`,
    );
  }
  let reencrypted = 0;
  let batches = 0;
  for (const t of ENCRYPTED_TABLES) {
    for (;;) {
      if (opts.maxBatches !== undefined && batches >= opts.maxBatches) break;
      const n = await db.transaction().execute(async (tx) => {
        const cols = t.columns.map((c) => sql.ref(c));
        const rows = await sql<Record<string, unknown>>`
          select ${sql.ref(t.idColumn)} as row_id, ${sql.ref(t.keyIdColumn)} as row_key_id, ${sql.join(cols)}
          from ${sql.table(t.table)}
          where ${sql.ref(t.keyIdColumn)} <> ${active}
          order by ${sql.ref(t.idColumn)}
          limit ${batchSize}
          for update skip locked`.execute(tx);
        for (const r of rows.rows) {
          const id = String(r.row_id);
          const oldKey = String(r.row_key_id);
          const sets = t.columns.map((c) => {
            const v = r[c] as Buffer | null;
            const ct =
              v === null ? null : cipher.reencrypt(oldKey, v, piiContext(t.table, c, id))!.ciphertext;
            return sql`${sql.ref(c)} = ${ct}`;
          });
          await sql`
            update ${sql.table(t.table)}
            set ${sql.ref(t.keyIdColumn)} = ${active}, ${sql.join(sets)}
            where ${sql.ref(t.idColumn)} = ${id} and ${sql.ref(t.keyIdColumn)} = ${oldKey}`.execute(tx);
        }
        return rows.rows.length;
      });
      batches++;
      reencrypted += n;
      if (n > 0) opts.onProgress?.({ table: t.table, reencrypted });
      if (n < batchSize) break;
    }
  }
  const after = await piiKeyUsage(db);
  const remaining = Object.values(after).reduce(
    (sum, u) => sum + Object.entries(u).reduce((s, [k, v]) => s + (k === active ? 0 : v), 0),
    0,
  );
  if (reencrypted > 0) {
    await audit(db, actor, {
      action: 'pii.rotate',
      targetKind: 'pii_key',
      targetId: active,
      details: { reencrypted, remaining },
    });
  }
  return { activeKeyId: active, reencrypted, remaining };
}

/**
 * Recomputes every person's identity-number hash under the current lookup key, in batches
 * (keyset by id; `startAfter` resumes). Returns how many hashes changed and the last id seen.
 */
export async function rehashPersons(
  db: Kysely<DB>,
  cipher: PiiCipher,
  actor: Actor,
  opts: { batchSize?: number; startAfter?: string } = {},
): Promise<{ rehashed: number; scanned: number; lastId: string | null }> {
  const batchSize = Math.max(1, Math.min(10_000, opts.batchSize ?? 500));
  let last = opts.startAfter ?? null;
  let rehashed = 0;
  let scanned = 0;
  for (;;) {
    const res = await db.transaction().execute(async (tx) => {
      let query = tx
        .selectFrom('persons')
        .select(['id', 'id_type', 'key_id', 'id_number_enc', 'id_number_hash'])
        .orderBy('id')
        .limit(batchSize)
        .forUpdate();
      if (last) query = query.where('id', '>', last);
      const rows = await query.execute();
      let changed = 0;
      for (const r of rows) {
        const value = cipher.decrypt(r.key_id, r.id_number_enc, piiContext('persons', 'id_number_enc', r.id));
        const hash = idNumberHash(cipher, r.id_type, value);
        if (hash !== r.id_number_hash) {
          await tx.updateTable('persons').set({ id_number_hash: hash }).where('id', '=', r.id).execute();
          changed++;
        }
      }
      return { n: rows.length, changed, last: rows.at(-1)?.id ?? null };
    });
    scanned += res.n;
    rehashed += res.changed;
    if (res.last) last = res.last;
    if (res.n < batchSize) break;
  }
  if (rehashed > 0) {
    await audit(db, actor, {
      action: 'pii.rehash',
      targetKind: 'pii_key',
      targetId: null,
      details: { rehashed, scanned },
    });
  }
  return { rehashed, scanned, lastId: last };
}
