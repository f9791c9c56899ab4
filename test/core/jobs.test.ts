import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Database } from '../../src/core/db/index.ts';
import { migrateToLatest } from '../../src/core/db/migrate.ts';
import { jobMigrations, scheduleClaimedJob } from '../../src/core/jobs.ts';
import { openTestDatabase } from '../helpers/db.ts';

let database: Database;
before(async () => {
  database = await openTestDatabase();
  await migrateToLatest(database.db, jobMigrations);
});
after(() => database.close());

/** A stand-in for the server: collects onClose hooks. */
function node() {
  const hooks: (() => Promise<void>)[] = [];
  return {
    app: { addHook: (_: 'onClose', h: () => Promise<void>) => hooks.push(h) },
    close: () => Promise.all(hooks.map((h) => h())),
  };
}

test('two nodes share a scheduled job: one run per period between them, none after close', async () => {
  const runs: number[] = [];
  const log = { warn: () => undefined };
  const nodes = [node(), node()];
  for (const n of nodes)
    scheduleClaimedJob(n.app, { db: database.db, log }, 'test.job', 100, async (now) => {
      runs.push(now);
      return { ok: true };
    });
  await new Promise((r) => setTimeout(r, 1_000));
  await Promise.all(nodes.map((n) => n.close()));
  const done = runs.length;
  assert.ok(done >= 1, 'the job ran');
  // Both nodes tick every 100 ms; the claim (90 ms) lets only one of them run each period. A run
  // is as of its claim's time, so the spacing holds exactly, however late each node's tick came.
  runs.sort((a, b) => a - b);
  for (let i = 1; i < runs.length; i++)
    assert.ok(runs[i]! - runs[i - 1]! >= 90, `runs ${runs[i - 1]} and ${runs[i]} in one period`);
  const row = await database.db
    .selectFrom('scheduled_jobs')
    .selectAll()
    .where('name', '=', 'test.job')
    .executeTakeFirstOrThrow();
  assert.ok(row.last_finished_at, 'each run is marked finished');
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(runs.length, done, 'nothing runs after close');
});
