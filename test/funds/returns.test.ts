import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { proRata } from '../../src/funds/returns.ts';
import { openFundCase, getFundCase } from '../../src/funds/cases.ts';
import { answerFreeze, answerStopPayment, changeStopPayment } from '../../src/funds/stop-payments.ts';
import { caseInput, call, fundsFixture, type Fixture } from './fixture.ts';

const sum = (o: Record<string, number>) => Object.values(o).reduce((s, v) => s + v, 0);

describe('pro rata by the largest remainder', () => {
  test('splits exactly in whole fen, the leftover to the largest remainders', () => {
    assert.deepEqual(proRata(100, { a: 1, b: 1, c: 1 }), { a: 34, b: 33, c: 33 });
    assert.deepEqual(proRata(10, { a: 5_000_000, b: 3_000_000 }), { a: 6, b: 4 });
    // 7 × 2/3 = 4.67, 7 × 1/3 = 2.33: the larger remainder gets the unit.
    assert.deepEqual(proRata(7, { a: 2, b: 1 }), { a: 5, b: 2 });
    assert.deepEqual(proRata(1_500_000, { x: 1_250_000, y: 750_000 }), { x: 937_500, y: 562_500 });
  });

  test('no weight, no amount, or zero weights: nothing to share', () => {
    assert.deepEqual(proRata(0, { a: 1 }), {});
    assert.deepEqual(proRata(100, {}), {});
    assert.deepEqual(proRata(100, { a: 0, b: 5 }), { b: 100 });
  });

  test('on random inputs the parts always add up to the amount, each within one fen of its share', () => {
    let seed = 42;
    const rand = (n: number) => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed % n;
    };
    for (let i = 0; i < 500; i++) {
      const amount = rand(10_000_000) + 1;
      const weights: Record<string, number> = {};
      for (let k = 0, n = rand(6) + 1; k < n; k++) weights[`v${k}`] = rand(1_000_000_000);
      const total = sum(weights);
      const parts = proRata(amount, weights);
      if (total === 0) {
        assert.deepEqual(parts, {});
        continue;
      }
      assert.equal(sum(parts), amount);
      for (const [k, w] of Object.entries(weights)) {
        const exact = (amount * w) / total;
        assert.ok(Math.abs((parts[k] ?? 0) - exact) < 1, `${k}: ${parts[k]} vs ${exact}`);
      }
    }
  });
});

describe('closing a case returns frozen money', () => {
  let f: Fixture;
  before(async () => {
    f = await fundsFixture();
  });
  after(async () => {
    await f?.close();
  });

  test('two victims whose money met in one account get it back pro rata; the bank pays; every step audited', async () => {
    const { id } = await openFundCase(f.fs.db, f.fs, f.analyst, caseInput());
    const opened = await getFundCase(f.fs, f.analyst, id);
    const sp = opened.stopPayments[0]!;
    const mule1 = opened.trace!.accounts.find((a) => a.account === 'MULE1')!;
    await answerStopPayment(f.fs, f.bankAUser, sp.id, { kind: 'execute', amount: 1_999_999 });
    const conv = await changeStopPayment(f.fs, f.analyst, sp.id, 'convert');
    await answerFreeze(f.fs, f.bankAUser, conv.freezeId!, { kind: 'execute', amount: 1_999_999 });

    const closed = await call(f.app, 'POST', `/v1/fund-cases/${id}/close`, f.cookies.analyst, {
      note: 'recovered',
    });
    assert.equal(closed.status, 200, JSON.stringify(closed.body));
    assert.equal(closed.body.status, 'closed');
    const returns = closed.body.instructed as {
      id: string;
      victimId: string;
      amount: number;
      status: string;
    }[];
    assert.equal(returns.length, 2);
    assert.equal(
      returns.reduce((s, r) => s + r.amount, 0),
      1_999_999,
      'the parts add up to what was frozen',
    );
    const expected = proRata(1_999_999, mule1.heldByVictim);
    for (const r of returns) assert.equal(r.amount, expected[r.victimId]);
    assert.ok(returns.every((r) => r.status === 'instructed'));
    assert.equal(closed.body.returns.length, 2);

    const again = await call(f.app, 'POST', `/v1/fund-cases/${id}/close`, f.cookies.analyst, {
      note: 'again',
    });
    assert.equal(again.status, 409);

    const otherBank = await call(f.app, 'POST', `/v1/returns/${returns[0]!.id}/execute`, f.cookies.bankB, {});
    assert.equal(otherBank.status, 404);
    const inbox = await call(f.app, 'GET', '/v1/returns/inbox', f.cookies.bankA);
    assert.equal(inbox.body.items.filter((r: { caseId: string }) => r.caseId === id).length, 2);
    for (const r of returns) {
      const paid = await call(f.app, 'POST', `/v1/returns/${r.id}/execute`, f.cookies.bankA, {});
      assert.equal(paid.status, 200, JSON.stringify(paid.body));
      assert.equal(paid.body.status, 'executed');
    }
    const after = await getFundCase(f.fs, f.analyst, id);
    assert.equal(after.freezes[0]!.status, 'returned');
    assert.equal(after.totals.returned, 1_999_999);
    const actions = await f.services.db
      .selectFrom('audit_log')
      .select('action')
      .where('action', 'in', ['return.instruct', 'return.execute', 'fund_case.close'])
      .execute();
    assert.equal(actions.filter((a) => a.action === 'return.instruct').length, 2);
    assert.equal(actions.filter((a) => a.action === 'return.execute').length, 2);
    assert.equal(actions.filter((a) => a.action === 'fund_case.close').length, 1);
    const stats = await call(f.app, 'GET', '/v1/funds/statistics?days=30', f.cookies.analyst);
    assert.equal(stats.body.returned, 1_999_999);
    assert.equal(stats.body.stopped, 1_999_999);
    assert.equal(typeof stats.body.medianMinutesReportToFirstStop, 'number');
  });

  test('the case shows before closing exactly the returns the close instructs, also with no trace to go by', async () => {
    const { id } = await openFundCase(f.fs.db, f.fs, f.analyst, caseInput());
    // No attribution for the frozen account: the returns follow what each victim paid into it.
    await f.fs.db.updateTable('fund_cases').set({ trace: null }).where('id', '=', id).execute();
    const opened = await getFundCase(f.fs, f.analyst, id);
    const sp = opened.stopPayments.find((p) => p.account === 'MULE1')!;
    await answerStopPayment(f.fs, f.bankAUser, sp.id, { kind: 'execute', amount: 800_000 });
    const conv = await changeStopPayment(f.fs, f.analyst, sp.id, 'convert');
    await answerFreeze(f.fs, f.bankAUser, conv.freezeId!, { kind: 'execute', amount: 800_000 });

    const view = await call(f.app, 'GET', `/v1/fund-cases/${id}`, f.cookies.analyst);
    assert.equal(view.status, 200);
    type Row = { freezeId: string; victimId: string; amount: number };
    const key = (rows: Row[]) =>
      rows
        .map((r) => `${r.freezeId}:${r.victimId}:${r.amount}`)
        .sort()
        .join(' ');
    const planned = view.body.returnsOnClose as Row[];
    // Paid 5,000,000 and 3,000,000 into MULE1: 800,000 splits 500,000 / 300,000.
    assert.deepEqual(
      planned.map((r) => r.amount).sort((a, b) => a - b),
      [300_000, 500_000],
    );
    const closed = await call(f.app, 'POST', `/v1/fund-cases/${id}/close`, f.cookies.analyst, { note: 'x' });
    assert.equal(closed.status, 200, JSON.stringify(closed.body));
    assert.equal(key(closed.body.instructed), key(planned));
    assert.deepEqual(closed.body.returnsOnClose, [], 'a closed case plans nothing more');
  });

  test('closing releases stop-payments still holding', async () => {
    const { id } = await openFundCase(f.fs.db, f.fs, f.analyst, caseInput());
    const res = await call(f.app, 'POST', `/v1/fund-cases/${id}/close`, f.cookies.analyst, {
      note: 'no money left',
    });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.instructed, []);
    assert.equal(res.body.stopPayments[0].status, 'released');
  });

  test('a close that fails half-way lifts nothing: the stop-payments still hold and the case stays open', async () => {
    const { id } = await openFundCase(f.fs.db, f.fs, f.analyst, caseInput());
    const before = await getFundCase(f.fs, f.analyst, id);
    assert.ok(before.stopPayments.length > 0);
    // The last write of the close (the case row) fails, after the releases were written.
    await sql`create or replace function interdict_test_refuse_close() returns trigger language plpgsql as $$
      begin raise exception 'refused by test'; end $$`.execute(f.fs.db);
    await sql`create trigger interdict_test_refuse_close before update of status on fund_cases
      for each row when (new.status = 'closed') execute function interdict_test_refuse_close()`.execute(
      f.fs.db,
    );
    try {
      const res = await call(f.app, 'POST', `/v1/fund-cases/${id}/close`, f.cookies.analyst, { note: 'x' });
      assert.equal(res.status, 500);
    } finally {
      await sql`drop trigger interdict_test_refuse_close on fund_cases`.execute(f.fs.db);
      await sql`drop function interdict_test_refuse_close()`.execute(f.fs.db);
    }
    const after = await getFundCase(f.fs, f.analyst, id);
    assert.equal(after.status, 'open');
    assert.deepEqual(
      after.stopPayments.map((p) => p.status),
      before.stopPayments.map((p) => p.status),
    );
    assert.ok(after.stopPayments.every((p) => p.status !== 'released'));
  });
});
