import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simulate, FILES } from '../../src/detection/simulate/index.ts';
import type { TransactionRecord, Truth } from '../../src/detection/records.ts';
import { readRecordBatches, TRANSACTIONS } from '../../src/detection/parse.ts';
import { MemoryLedger } from '../../src/funds/ledger.ts';
import { scoreFundTracing, scoreHoldings, trueHoldings } from '../../src/funds/score.ts';
import { isCashOut } from '../../src/funds/trace.ts';

describe('fund tracing quality on a simulated world', () => {
  let dir = '';
  let truth: Truth;
  let ledger: MemoryLedger;
  let rows: TransactionRecord[];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'interdict-funds-quality-'));
    // Seed 15: several victims pay at a bank counter, money a tracer must follow into the mule.
    truth = await simulate({ people: 1000, days: 2, seed: 15, outDir: dir });
    rows = [];
    for await (const batch of readRecordBatches(join(dir, FILES.transactions), TRANSACTIONS))
      rows.push(...batch);
    ledger = new MemoryLedger(rows);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('the truth names victims’ payments of the file, and conserves their money', async () => {
    const funds = truth.funds!;
    assert.ok(funds.length >= 10, `${funds.length} payments into mule networks`);
    assert.ok(funds.some((f) => f.offData) && funds.some((f) => !f.offData), 'both kinds of victim');
    const paid = await ledger.byIds(funds.map((f) => f.victimTxnId));
    assert.equal(paid.length, funds.length, 'every payment is in transactions.csv');
    assert.ok(
      paid.some((t) => t.channel === 'counter' && t.payee !== ''),
      'a payment made at a counter',
    );
    for (const [i, f] of funds.entries()) {
      assert.equal(paid[i]!.payer, f.victim, f.victimTxnId);
      assert.equal(paid[i]!.amount, f.amount, f.victimTxnId);
      const held = Object.values(f.held).reduce((s, v) => s + v, 0);
      assert.equal(held + f.cashedOut, f.amount, `${f.victimTxnId}: held + cashed out = paid`);
      for (const v of Object.values(f.held)) assert.ok(v > 0);
    }
  });

  test('the truth agrees with the file: each holding is the account’s balance, cash-outs add up', () => {
    // Mule accounts move only victims' money, so what the truth says they hold is their balance.
    const holdings = trueHoldings(truth.funds!);
    const mules = new Set(truth.planted.mule_account.map((p) => p.subject));
    const balance = new Map<string, number>();
    let cashedOut = 0;
    for (const t of rows) {
      if (holdings.has(t.payer) || mules.has(t.payer)) {
        balance.set(t.payer, (balance.get(t.payer) ?? 0) - t.amount);
        if (isCashOut(t)) cashedOut += t.amount;
      }
      if (holdings.has(t.payee) || mules.has(t.payee))
        balance.set(t.payee, (balance.get(t.payee) ?? 0) + t.amount);
    }
    for (const [account, v] of holdings) assert.equal(balance.get(account), v, account);
    for (const [account, v] of balance) if (!holdings.has(account)) assert.equal(v, 0, account);
    assert.equal(
      cashedOut,
      truth.funds!.reduce((s, f) => s + f.cashedOut, 0),
    );
  });

  test('the tracer finds the accounts holding the stolen money (precision and recall ≥ 0.95)', async () => {
    const q = await scoreFundTracing(ledger, truth);
    assert.equal(q.rule, 'lowest_balance');
    assert.equal(q.payments, truth.funds!.length);
    assert.ok(q.world.trueAccounts >= 10, `${q.world.trueAccounts} accounts hold money`);
    assert.ok(q.world.precision >= 0.95, `precision ${q.world.precision}`);
    assert.ok(q.world.recall >= 0.95, `recall ${q.world.recall}`);
    assert.ok(q.world.tracedShare >= 0.95, `traced share ${q.world.tracedShare}`);
    // Alone, each payment is scored against its own truth: blurred by merges, never above the world.
    assert.ok(q.perPayment.trueAccounts >= q.world.trueAccounts);
    assert.equal(q.perPayment.trueHeld, q.world.trueHeld);
    assert.ok(q.perPayment.tracedShare > 0 && q.perPayment.tracedShare <= 1);
  });

  test('a truth without funds is a clear error', async () => {
    const { funds: _, ...old } = truth;
    await assert.rejects(scoreFundTracing(ledger, old), /no funds/);
  });
});

describe('scoring holdings', () => {
  test('an account holds money from 1.00 on; the share counts money in the right accounts', () => {
    const truth = new Map([
      ['A', 50_000],
      ['B', 100],
      ['C', 99],
      ['D', 30_000],
    ]);
    const traced = new Map([
      ['A', 20_000], // right account, part of the money
      ['B', 500], // right account, more than the truth: counts up to the truth
      ['C', 5_000], // the truth's 0.99 is no holding: a false positive
      ['E', 99], // under 1.00: not claimed
    ]);
    const s = scoreHoldings(traced, truth);
    assert.equal(s.trueAccounts, 3);
    assert.equal(s.tracedAccounts, 3);
    assert.equal(s.truePositives, 2);
    assert.equal(s.precision, 2 / 3);
    assert.equal(s.recall, 2 / 3);
    assert.equal(s.trueHeld, 80_100);
    assert.equal(s.tracedRight, 20_100);
    assert.equal(s.tracedShare, 20_100 / 80_100);
  });

  test('nothing to find and nothing found is perfect; something missed is not', () => {
    const none = scoreHoldings(new Map(), new Map());
    assert.deepEqual([none.precision, none.recall, none.tracedShare], [1, 1, 1]);
    const missed = scoreHoldings(new Map(), new Map([['A', 1000]]));
    assert.deepEqual([missed.precision, missed.recall, missed.tracedShare], [0, 0, 0]);
  });
});
