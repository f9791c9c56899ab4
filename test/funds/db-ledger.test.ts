import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Database } from '../../src/core/db/index.ts';
import { migrateToLatest } from '../../src/core/db/migrate.ts';
import { allMigrations } from '../../src/migrations.ts';
import type { TransactionRecord } from '../../src/detection/records.ts';
import { DbLedger, loadLedger } from '../../src/funds/db-ledger.ts';
import { MemoryLedger } from '../../src/funds/ledger.ts';
import { MIX_RULES, traceFunds } from '../../src/funds/trace.ts';
import { openTestDatabase } from '../helpers/db.ts';

/** The database ledger answers a trace exactly as the in-memory one does (PGlite, and PostgreSQL when set). */

let database: Database;
before(async () => {
  database = await openTestDatabase();
  await migrateToLatest(database.db, allMigrations);
});
after(() => database.close());

function world(seed: number): { txns: TransactionRecord[]; starts: string[] } {
  let s = seed;
  const rnd = () => (s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const t0 = Date.parse('2026-10-01T00:00:00Z');
  const accounts = Array.from({ length: 40 }, (_, i) => `62220000${String(i).padStart(8, '0')}`);
  const txns: TransactionRecord[] = [];
  const starts: string[] = [];
  for (let k = 0; k < 400; k++) {
    const victim = k < 5;
    const payer = victim ? `VICTIM${k}` : accounts[Math.floor(rnd() * accounts.length)]!;
    const cash = !victim && rnd() < 0.08;
    let payee = cash ? '' : accounts[Math.floor(rnd() * accounts.length)]!;
    if (payee === payer) payee = accounts[(accounts.indexOf(payer) + 1) % accounts.length]!;
    const t: TransactionRecord = {
      ts: t0 + k * 60_000,
      txnId: `W${seed}-${k}`,
      payer,
      payee,
      amount: 100 + Math.floor(rnd() * 500_000),
      currency: 'CNY',
      channel: cash ? 'atm' : 'mobile',
    };
    txns.push(t);
    if (victim) starts.push(t.txnId);
  }
  return { txns, starts };
}

test('a trace from the database equals the trace from memory, for every rule', async () => {
  const { txns, starts } = world(11);
  assert.equal(await loadLedger(database.db, txns), txns.length);
  assert.equal(await loadLedger(database.db, txns), 0, 'a second load adds nothing');
  const db = new DbLedger(database.db);
  const mem = new MemoryLedger(txns);
  for (const rule of MIX_RULES) {
    const a = await traceFunds(db, starts, { rule, maxHops: 6 });
    const b = await traceFunds(mem, starts, { rule, maxHops: 6 });
    assert.deepEqual(a, b);
    assert.ok(a.accounts.length > 5, 'the trace reaches a good part of the world');
  }
});
