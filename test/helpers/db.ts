import crypto from 'node:crypto';
import pg from 'pg';
import { openDatabase, type Database } from '../../src/core/db/index.ts';

/**
 * A fresh, empty database for one test file: PGlite in memory, or, when DATABASE_URL is set,
 * a new PostgreSQL database created for the test and dropped at close.
 */
export async function openTestDatabase(): Promise<Database & { url?: string }> {
  const base = process.env.DATABASE_URL;
  if (!base) return openDatabase({ dataDir: 'memory://' });
  const name = `interdict_test_${crypto.randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const u = new URL(base);
  u.pathname = `/${name}`;
  const database = await openDatabase({ databaseUrl: u.toString(), dataDir: '' });
  return {
    ...database,
    url: u.toString(),
    async close() {
      await database.close();
      const a = new pg.Client({ connectionString: base });
      await a.connect();
      await a.query(`drop database if exists ${name} with (force)`);
      await a.end();
    },
  };
}

export const usingPostgres = () => Boolean(process.env.DATABASE_URL);
export const usingNats = () => Boolean(process.env.NATS_URL);
