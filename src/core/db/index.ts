import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { Kysely, PostgresDialect, sql, type Transaction } from 'kysely';
import type { DB } from './schema.ts';

export type { DB } from './schema.ts';
export type Db = Kysely<DB>;
export type Tx = Transaction<DB>;
/** Anything queries can run on: the database or an open transaction. */
export type Queryable = Kysely<DB>;

export interface Database {
  db: Kysely<DB>;
  kind: 'pglite' | 'postgres';
  /** Where PGlite keeps its files, or the PostgreSQL URL with the password masked. */
  location: string;
  close(): Promise<void>;
}

export class DatabaseUnavailableError extends Error {}

// PostgreSQL returns int8/numeric as strings; counts and ids we keep in int8 fit in a JS number.
pg.types.setTypeParser(20, (v) => Number(v));

export interface OpenOptions {
  databaseUrl?: string | undefined;
  /** Folder for PGlite's files; `memory://` keeps the database in memory (tests). */
  dataDir: string;
}

export async function openDatabase(opts: OpenOptions): Promise<Database> {
  return opts.databaseUrl ? openPostgres(opts.databaseUrl) : openPglite(opts.dataDir);
}

export function maskUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable DATABASE_URL)';
  }
}

async function openPostgres(url: string): Promise<Database> {
  const pool = new pg.Pool({ connectionString: url, max: 10, connectionTimeoutMillis: 5000 });
  pool.on('error', () => {
    /* idle client errors are reported by the next query */
  });
  try {
    const c = await pool.connect();
    c.release();
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw new DatabaseUnavailableError(
      `cannot reach PostgreSQL at ${maskUrl(url)}: ${(err as Error).message || String(err)}`,
    );
  }
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
  return {
    db,
    kind: 'postgres',
    location: maskUrl(url),
    close: () => db.destroy(),
  };
}

async function openPglite(dataDir: string): Promise<Database> {
  const { PGlite } = await import('@electric-sql/pglite');
  const { createPgConfig } = await import('@electric-sql/pglite/node-postgres');
  const inMemory = dataDir.startsWith('memory://');
  let release = () => {};
  let dir = dataDir;
  if (!inMemory) {
    fs.mkdirSync(dataDir, { recursive: true });
    release = takeLock(dataDir);
    dir = path.join(dataDir, 'pglite');
  }
  let pglite;
  try {
    pglite = await PGlite.create(inMemory ? undefined : dir);
  } catch (err) {
    release();
    throw new DatabaseUnavailableError(
      `cannot open the embedded database in ${dir}: ${(err as Error).message}`,
    );
  }
  const pool = new pg.Pool(createPgConfig(pglite) as unknown as pg.PoolConfig);
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
  return {
    db,
    kind: 'pglite',
    location: inMemory ? 'memory' : dir,
    async close() {
      await db.destroy();
      await pglite.close();
      release();
    },
  };
}

/** Two processes on one PGlite folder corrupt it: one lock file, owned by a live pid. */
function takeLock(dataDir: string): () => void {
  const lock = path.join(dataDir, 'interdict.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(lock, String(process.pid), { flag: 'wx' });
      return () => {
        try {
          if (fs.readFileSync(lock, 'utf8') === String(process.pid)) fs.unlinkSync(lock);
        } catch {
          /* already gone */
        }
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = Number(fs.readFileSync(lock, 'utf8'));
      if (owner && owner !== process.pid && isAlive(owner)) {
        throw new DatabaseUnavailableError(
          `the data folder ${dataDir} is in use by process ${owner}; stop it first (two processes on one embedded database corrupt it)`,
        );
      }
      fs.unlinkSync(lock); // stale lock from a process that died
    }
  }
  throw new DatabaseUnavailableError(`cannot lock the data folder ${dataDir}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function ping(db: Kysely<DB>): Promise<void> {
  await sql`select 1`.execute(db);
}
