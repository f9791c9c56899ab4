import { test } from 'node:test';
import assert from 'node:assert/strict';
import os from 'node:os';
import path from 'node:path';
import fs from 'node:fs';
import { sql } from 'kysely';
import { openDatabase, DatabaseUnavailableError } from '../../src/core/db/index.ts';
import { openTestDatabase } from '../helpers/db.ts';

test('opens the test database and runs SQL', async () => {
  const d = await openTestDatabase();
  try {
    const r = await sql<{ n: number }>`select 1 + 1 as n`.execute(d.db);
    assert.equal(r.rows[0]?.n, 2);
  } finally {
    await d.close();
  }
});

test('PGlite keeps data across a restart and refuses a second process on the folder', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'interdict-db-'));
  try {
    const a = await openDatabase({ dataDir: dir });
    await sql`create table kept (v text)`.execute(a.db);
    await sql`insert into kept values ('x')`.execute(a.db);
    // a live foreign pid holds the lock: simulate with our parent pid
    await a.close();
    fs.writeFileSync(path.join(dir, 'interdict.lock'), String(process.ppid));
    await assert.rejects(openDatabase({ dataDir: dir }), DatabaseUnavailableError);
    fs.unlinkSync(path.join(dir, 'interdict.lock'));
    const b = await openDatabase({ dataDir: dir });
    const r = await sql<{ v: string }>`select v from kept`.execute(b.db);
    assert.deepEqual(r.rows, [{ v: 'x' }]);
    await b.close();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('an unreachable PostgreSQL gives one clear error', async () => {
  await assert.rejects(
    openDatabase({ databaseUrl: 'postgres://u:secret@127.0.0.1:1/none', dataDir: '' }),
    (err: Error) => {
      assert.ok(err instanceof DatabaseUnavailableError);
      assert.match(err.message, /cannot reach PostgreSQL/);
      assert.doesNotMatch(err.message, /secret/);
      return true;
    },
  );
});
