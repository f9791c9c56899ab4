import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TransactionRecord } from '../../src/detection/records.ts';
import { MemoryLedger } from '../../src/funds/ledger.ts';
import { apportion, MIX_RULES, traceFunds, type TraceResult } from '../../src/funds/trace.ts';

const T0 = Date.parse('2026-11-01T09:00:00+08:00');
let n = 0;
const txn = (
  payer: string,
  payee: string,
  yuan: number,
  minutes: number,
  channel = 'mobile',
): TransactionRecord => ({
  ts: T0 + minutes * 60_000,
  txnId: `T${String(++n).padStart(4, '0')}`,
  payer,
  payee,
  amount: Math.round(yuan * 100),
  currency: 'CNY',
  channel,
});

const held = (r: TraceResult, account: string) => r.accounts.find((a) => a.account === account)?.held ?? 0;

function conserved(r: TraceResult): void {
  const { stolen, held: h, heldBeyondHops, cashedOut } = r.totals;
  assert.equal(h + heldBeyondHops + cashedOut, stolen, `${r.rule}: every traced cent is somewhere`);
}

describe('fund tracing', () => {
  test('a split, a cash-out and a holding account', async () => {
    const v = txn('VICTIM', 'A', 1000, 0);
    const ledger = new MemoryLedger([
      v,
      txn('A', 'B', 600, 10),
      txn('A', 'C', 400, 12),
      txn('B', '', 600, 30, 'atm'),
    ]);
    const r = await traceFunds(ledger, [v.txnId]);
    assert.equal(held(r, 'A'), 0);
    assert.equal(held(r, 'B'), 0);
    assert.equal(held(r, 'C'), 40_000);
    assert.equal(r.totals.cashedOut, 60_000);
    assert.deepEqual(r.proposals, [{ account: 'C', amount: 40_000, depth: 2 }]);
    assert.deepEqual(
      r.edges.map((e) => [e.from, e.to, e.traced]),
      [
        ['VICTIM', 'A', 100_000],
        ['A', 'B', 60_000],
        ['A', 'C', 40_000],
        ['B', 'cash:atm', 60_000],
      ],
    );
    conserved(r);
  });

  test('a transfer made at a counter or an ATM into an account is followed; cash and abroad leave', async () => {
    // Victims pay mules at the bank counter: that money lands in the mule's account.
    const v = txn('VICTIM', 'A', 1000, 0, 'counter');
    const ledger = new MemoryLedger([
      v,
      txn('A', 'B', 500, 10, 'atm'),
      txn('A', 'C', 300, 11, 'counter'),
      txn('B', '', 200, 20, 'atm'),
      txn('C', '', 100, 21, 'counter'),
      txn('C', 'FOREIGN', 150, 22, 'abroad'),
    ]);
    for (const rule of MIX_RULES) {
      const r = await traceFunds(ledger, [v.txnId], { rule });
      assert.deepEqual(
        r.accounts.map((a) => [a.account, a.depth, a.held]),
        [
          ['A', 1, 20_000],
          ['B', 2, 30_000],
          ['C', 2, 5_000],
        ],
        rule,
      );
      assert.equal(r.totals.cashedOut, 45_000, rule);
      assert.deepEqual(
        r.edges.filter((e) => e.cashOut).map((e) => e.to),
        ['cash:atm', 'cash:counter', 'cash:abroad'],
      );
      conserved(r);
    }
  });

  test('mixed funds: the three rules say different things, each documented', async () => {
    const v = txn('VICTIM', 'A', 1000, 0);
    const ledger = new MemoryLedger([v, txn('SALARY', 'A', 500, 5), txn('A', 'B', 700, 10)]);
    const lowest = await traceFunds(ledger, [v.txnId], { rule: 'lowest_balance' });
    // The holder spends their own 500 first: only 200 of the victim's money had to leave.
    assert.deepEqual([held(lowest, 'A'), held(lowest, 'B')], [80_000, 20_000]);
    const fifo = await traceFunds(ledger, [v.txnId], { rule: 'fifo' });
    // First in, first out: the victim's 1000 came first, so the 700 is all theirs.
    assert.deepEqual([held(fifo, 'A'), held(fifo, 'B')], [30_000, 70_000]);
    const prop = await traceFunds(ledger, [v.txnId], { rule: 'proportional' });
    // 1000 of 1500 was the victim's: two thirds of the 700.
    assert.deepEqual([held(prop, 'A'), held(prop, 'B')], [53_333, 46_667]);
    for (const r of [lowest, fifo, prop]) conserved(r);
  });

  test('money spent beyond the traced balance is the holder’s own', async () => {
    const v = txn('VICTIM', 'A', 100, 0);
    const ledger = new MemoryLedger([txn('OLD', 'A', 5000, -600), v, txn('A', 'B', 300, 10)]);
    const r = await traceFunds(ledger, [v.txnId]);
    assert.equal(held(r, 'B'), 10_000, 'only the victim’s 100 can be in the 300');
    assert.equal(held(r, 'A'), 0);
    conserved(r);
  });

  test('two victims’ money merging is traced per victim', async () => {
    const v1 = txn('V1', 'MULE', 300, 0);
    const v2 = txn('V2', 'MULE', 700, 1);
    const ledger = new MemoryLedger([v1, v2, txn('MULE', 'NEXT', 500, 20)]);
    const r = await traceFunds(ledger, [v1.txnId, v2.txnId], {
      victims: { [v1.txnId]: 'v1', [v2.txnId]: 'v2' },
    });
    const next = r.accounts.find((a) => a.account === 'NEXT')!;
    assert.deepEqual(next.heldByVictim, { v1: 15_000, v2: 35_000 });
    assert.deepEqual(r.accounts.find((a) => a.account === 'MULE')!.heldByVictim, { v1: 15_000, v2: 35_000 });
    conserved(r);
  });

  test('the hop limit: what goes further is counted, not followed', async () => {
    const v = txn('VICTIM', 'H1', 800, 0);
    const chain = [v];
    for (let i = 1; i <= 8; i++) chain.push(txn(`H${i}`, `H${i + 1}`, 800, i * 5));
    const r = await traceFunds(new MemoryLedger(chain), [v.txnId], { maxHops: 6 });
    const beyond = r.accounts.find((a) => a.account === 'H7')!;
    assert.equal(beyond.explored, false);
    assert.equal(beyond.held, 80_000);
    assert.equal(r.totals.heldBeyondHops, 80_000);
    assert.equal(
      r.accounts.some((a) => a.account === 'H8'),
      false,
      'H7’s onward transfer is not followed',
    );
    const deep = await traceFunds(new MemoryLedger(chain), [v.txnId], { maxHops: 10 });
    assert.equal(held(deep, 'H9'), 80_000);
    conserved(r);
    conserved(deep);
  });

  test('every rule conserves every cent on random ledgers with cycles, merges and cash-outs', async () => {
    let seed = 7;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let world = 0; world < 20; world++) {
      const accounts = Array.from({ length: 12 }, (_, i) => `W${world}A${i}`);
      const txns: TransactionRecord[] = [];
      const starts: string[] = [];
      for (let i = 0; i < 3; i++) {
        const s = txn(`W${world}V${i}`, accounts[i]!, 100 + Math.floor(rnd() * 5000), i);
        txns.push(s);
        starts.push(s.txnId);
      }
      for (let k = 0; k < 60; k++) {
        const from = accounts[Math.floor(rnd() * accounts.length)]!;
        const cash = rnd() < 0.1;
        const to = cash ? '' : accounts[Math.floor(rnd() * accounts.length)]!;
        txns.push(
          txn(
            from,
            to === from ? `${to}X` : to,
            1 + Math.floor(rnd() * 3000),
            10 + k,
            cash ? 'atm' : 'mobile',
          ),
        );
      }
      for (const rule of MIX_RULES) {
        const r = await traceFunds(new MemoryLedger(txns), starts, { rule, maxHops: 4 });
        conserved(r);
        for (const a of r.accounts) assert.ok(a.held >= 0);
      }
    }
  });

  test('apportioning whole units never loses or invents one', () => {
    const parts = apportion(
      100,
      new Map([
        ['a', 1],
        ['b', 1],
        ['c', 1],
      ]),
    );
    assert.deepEqual(
      [...parts.values()].reduce((s, v) => s + v, 0),
      100,
    );
    assert.deepEqual(apportion(0, new Map([['a', 1]])).size, 0);
  });
});
