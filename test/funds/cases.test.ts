import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { openFundCase, getFundCase, type CaseTrace } from '../../src/funds/cases.ts';
import { SYSTEM } from '../../src/core/audit.ts';
import { caseInput, call, fundsFixture, ONWARD, T0, type Fixture } from './fixture.ts';

describe('fund cases', () => {
  let f: Fixture;
  before(async () => {
    f = await fundsFixture();
  });
  after(async () => {
    await f?.close();
  });

  test('opening traces the money over 3 hops and stops what the first account still holds', async () => {
    const res = await call(f.app, 'POST', '/v1/fund-cases', f.cookies.analyst, caseInput());
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.match(res.body.reference, /^FND-\d{4}-\d{6}$/);
    const got = await call(f.app, 'GET', `/v1/fund-cases/${res.body.id}`, f.cookies.analyst);
    assert.equal(got.status, 200, JSON.stringify(got.body));
    const c = got.body;
    assert.equal(c.lossTotal, 8_000_000);
    assert.deepEqual(
      c.victims.map((v: { label: string }) => v.label),
      ['张**', '李*'],
    );
    assert.equal(c.victims[0].idNumber, '110***********1234');
    assert.equal(c.victims[0].phone, '+86 138****5678');
    assert.equal(c.transfers[0].institutionId, f.bankA);
    const trace = c.trace as CaseTrace;
    const held = Object.fromEntries(trace.accounts.map((a) => [a.account, a.held]));
    // MULE1 kept 2,000,000; MULE2 2,000,000; MULE3 3,000,000 after 1,000,000 in cash.
    assert.deepEqual(held, { MULE1: 2_000_000, MULE2: 2_000_000, MULE3: 3_000_000 });
    assert.equal(Math.max(...trace.accounts.map((a) => a.depth)), 3);
    assert.equal(trace.totals.cashedOut, 1_000_000);
    // One stop-payment per payee account at a known bank, for what it still holds.
    assert.equal(c.stopPayments.length, 1);
    const sp = c.stopPayments[0];
    assert.equal(sp.account, 'MULE1');
    assert.equal(sp.amountRequested, 2_000_000);
    assert.equal(sp.institutionId, f.bankA);
    assert.equal(sp.status, 'sent');
    assert.equal(sp.legalBasis, 'atof_art20');
    assert.equal(sp.maxRenewals, 1);
    assert.equal(Date.parse(sp.ackDeadlineAt) - Date.parse(sp.requestedAt), 30 * 60_000);
    // The next stop-payments the trace proposes: the accounts further down, largest first.
    assert.deepEqual(
      trace.proposals.map((p) => [p.account, p.amount, p.institutionId]),
      [
        ['MULE3', 3_000_000, f.bankA],
        ['MULE2', 2_000_000, f.bankB],
      ],
    );
    const mule1 = trace.accounts.find((a) => a.account === 'MULE1')!;
    assert.equal(mule1.stopped, 2_000_000);
    const byVictim = Object.values(mule1.heldByVictim).reduce((s, v) => s + v, 0);
    assert.equal(byVictim, 2_000_000);
    assert.deepEqual(c.totals, { stopped: 0, frozen: 0, returned: 0, traced: 7_000_000 });
  });

  test("victims' personal data is encrypted, and every read of it is recorded", async () => {
    const { id, reference } = await openFundCase(f.fs.db, f.fs, f.analyst, caseInput());
    const raw = await f.services.db
      .selectFrom('fund_case_victims')
      .select(['name_enc', 'id_number_enc', 'phone_enc', 'label'])
      .where('case_id', '=', id)
      .orderBy('ordinal')
      .execute();
    const bytes = Buffer.concat(
      raw.flatMap((r) =>
        [r.name_enc, r.id_number_enc, r.phone_enc].filter((x) => x !== null).map((x) => Buffer.from(x!)),
      ),
    );
    assert.equal(bytes.includes(Buffer.from('张三丰')), false);
    assert.equal(bytes.includes(Buffer.from('110101199003071234')), false);
    assert.equal(raw[1]!.phone_enc, null);
    await getFundCase(f.fs, f.analyst, reference);
    const reads = await f.services.db
      .selectFrom('personal_data_access')
      .selectAll()
      .where('purpose', '=', 'fund_case')
      .where('purpose_ref', '=', reference)
      .execute();
    assert.equal(reads.length, 2);
    assert.ok(reads.every((r) => r.clear === false && r.actor_name === f.analyst.name));
    assert.deepEqual(reads.find((r) => r.fields.includes('phone'))?.fields, ['name', 'idNumber', 'phone']);
    // Events carry no personal data.
    const events = await sql<{
      data: unknown;
    }>`select data from bus_events where type = 'fund_case.opened'`.execute(f.services.db);
    assert.ok(events.rows.length >= 1);
    assert.ok(!JSON.stringify(events.rows).includes('张三丰'));
  });

  test("works inside a caller's transaction, and rolls back with it", async () => {
    const before = await f.services.db
      .selectFrom('fund_cases')
      .select(sql<string>`count(*)`.as('n'))
      .executeTakeFirstOrThrow();
    await assert.rejects(
      f.services.db.transaction().execute(async (tx) => {
        const r = await openFundCase(tx, f.fs, SYSTEM, { ...caseInput(), source: 'warning' });
        assert.match(r.reference, /^FND-/);
        const sp = await tx
          .selectFrom('stop_payments')
          .select('stop_payments.id')
          .innerJoin('fund_cases', 'fund_cases.id', 'stop_payments.case_id')
          .where('fund_cases.id', '=', r.id)
          .execute();
        assert.equal(sp.length, 1);
        throw new Error('the warning failed afterwards');
      }),
      /failed afterwards/,
    );
    const afterCount = await f.services.db
      .selectFrom('fund_cases')
      .select(sql<string>`count(*)`.as('n'))
      .executeTakeFirstOrThrow();
    assert.equal(Number(afterCount.n), Number(before.n));
  });

  test('bad input is a clear 400; nothing is stored', async () => {
    const bad = caseInput();
    bad.victims[0]!.transfers[0]!.amount = -5;
    const r1 = await call(f.app, 'POST', '/v1/fund-cases', f.cookies.analyst, bad);
    assert.equal(r1.status, 400);
    const twice = caseInput();
    twice.victims[1]!.transfers[0]!.txnId = 'V-A-1';
    const r2 = await call(f.app, 'POST', '/v1/fund-cases', f.cookies.analyst, twice);
    assert.equal(r2.status, 400);
    assert.equal(r2.body.code, 'invalid_fund_case');
    assert.match(r2.body.detail, /given twice/);
    const r3 = await call(f.app, 'POST', '/v1/fund-cases', f.cookies.bankA, caseInput());
    assert.equal(r3.status, 403);
  });

  test('a stop-payment for an unknown account or above the traced balance is refused, and audited', async () => {
    const { id } = await openFundCase(f.fs.db, f.fs, f.analyst, caseInput());
    const unknown = await call(f.app, 'POST', `/v1/fund-cases/${id}/stop-payments`, f.cookies.analyst, {
      account: 'NOSUCH99',
      amount: 100,
    });
    assert.equal(unknown.status, 400);
    assert.equal(unknown.body.code, 'unknown_account');
    const above = await call(f.app, 'POST', `/v1/fund-cases/${id}/stop-payments`, f.cookies.analyst, {
      account: 'MULE2',
      amount: 2_000_001,
    });
    assert.equal(above.status, 400);
    assert.equal(above.body.code, 'amount_above_traced');
    assert.match(above.body.detail, /2000000/);
    const refusals = await f.services.db
      .selectFrom('audit_log')
      .select(['details'])
      .where('action', '=', 'stop_payment.request_refused')
      .where('target_id', '=', id)
      .execute();
    assert.deepEqual(refusals.map((r) => (r.details as { code: string }).code).sort(), [
      'amount_above_traced',
      'unknown_account',
    ]);
    const ok = await call(f.app, 'POST', `/v1/fund-cases/${id}/stop-payments`, f.cookies.analyst, {
      account: 'MULE2',
      amount: 2_000_000,
      minutes: 15,
    });
    assert.equal(ok.status, 201, JSON.stringify(ok.body));
    assert.equal(ok.body.institutionId, f.bankB);
    assert.match(ok.body.reference, /^STP-/);
    // The trace's proposals drop what is now covered.
    const c = await getFundCase(f.fs, f.analyst, id);
    const retraced = await call(f.app, 'POST', `/v1/fund-cases/${id}/trace`, f.cookies.analyst, {});
    assert.equal(retraced.status, 200);
    assert.deepEqual(
      retraced.body.proposals.map((p: { account: string }) => p.account),
      ['MULE3'],
    );
    assert.equal(c.stopPayments.length, 2);
  });

  test('lists cases newest first with a cursor; statistics count them', async () => {
    const page = await call(f.app, 'GET', '/v1/fund-cases?limit=2', f.cookies.analyst);
    assert.equal(page.status, 200);
    assert.equal(page.body.items.length, 2);
    assert.ok(page.body.next);
    const next = await call(
      f.app,
      'GET',
      `/v1/fund-cases?limit=2&cursor=${page.body.next}`,
      f.cookies.analyst,
    );
    assert.equal(next.status, 200);
    const ids = new Set([...page.body.items, ...next.body.items].map((c: { id: string }) => c.id));
    assert.equal(ids.size, page.body.items.length + next.body.items.length);
    const stats = await call(f.app, 'GET', '/v1/funds/statistics?days=3650', f.cookies.analyst);
    assert.equal(stats.status, 200);
    assert.ok(stats.body.cases >= 3);
    assert.equal(stats.body.medianMinutesReportToFirstStop, null);
    const banned = await call(f.app, 'GET', '/v1/fund-cases', f.cookies.bankA);
    assert.equal(banned.status, 403);
  });
});

describe('transaction data returned by banks', () => {
  let f: Fixture;
  before(async () => {
    // The ledger knows only the victims' transfers at first.
    f = await fundsFixture({ onward: false });
  });
  after(async () => {
    await f?.close();
  });

  test('re-tracing after a bank returns transactions proposes the next hop', async () => {
    const { id } = await openFundCase(f.fs.db, f.fs, f.analyst, caseInput());
    const first = await getFundCase(f.fs, f.analyst, id);
    assert.equal(first.stopPayments[0]!.amountRequested, 8_000_000);
    assert.deepEqual(first.trace!.proposals, []);
    const rows = ONWARD.slice(0, 1).map((t) => ({
      ts: t.ts,
      txn_id: t.txnId,
      payer_account: t.payer,
      payee_account: t.payee,
      amount: (t.amount / 100).toFixed(2),
      currency: 'CNY',
      channel: t.channel,
    }));
    const other = await call(f.app, 'POST', `/v1/fund-cases/${id}/transactions`, f.cookies.bankB, {
      transactions: rows,
    });
    assert.equal(other.status, 404, 'a bank not asked anything in the case');
    const res = await call(f.app, 'POST', `/v1/fund-cases/${id}/transactions`, f.cookies.bankA, {
      transactions: [
        ...rows,
        { ts: 'yesterday', txn_id: 'X', payer_account: 'A', amount: '1', currency: 'CNY' },
      ],
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.added, 1);
    assert.equal(res.body.rejected.length, 1);
    assert.deepEqual(
      res.body.trace.proposals.map((p: { account: string; amount: number; institutionId: string }) => [
        p.account,
        p.amount,
        p.institutionId,
      ]),
      [['MULE2', 6_000_000, f.bankB]],
    );
    const again = await call(f.app, 'POST', `/v1/fund-cases/${id}/transactions`, f.cookies.bankA, {
      transactions: rows,
    });
    assert.equal(again.body.added, 0, 'loaded idempotently by txn_id');
    assert.ok(T0 > 0);
  });
});
