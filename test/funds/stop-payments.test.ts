import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { openFundCase, getFundCase } from '../../src/funds/cases.ts';
import {
  answerStopPayment,
  changeStopPayment,
  escalateStopPayments,
  expireStopPayments,
  getStopPayment,
} from '../../src/funds/stop-payments.ts';
import { createWebhook, deliverDueWebhooks } from '../../src/governance/webhooks.ts';
import { caseInput, call, fundsFixture, type Fixture } from './fixture.ts';

const HOUR = 3_600_000;

describe('stop-payments and freezes', () => {
  let f: Fixture;
  before(async () => {
    f = await fundsFixture({
      env: { INTERDICT_STOP_PAYMENT_HOURS: '24', INTERDICT_STOP_PAYMENT_RENEWALS: '1' },
    });
  });
  after(async () => {
    await f?.close();
  });

  const firstStop = async () => {
    const { id } = await openFundCase(f.fs.db, f.fs, f.analyst, caseInput());
    const c = await getFundCase(f.fs, f.analyst, id);
    return { caseId: id, sp: c.stopPayments[0]! };
  };

  test('lifecycle: acknowledge, execute less than asked, renew once, then the renewal limit; convert to a freeze', async () => {
    const { caseId, sp } = await firstStop();
    const ack = await call(f.app, 'POST', `/v1/stop-payments/${sp.id}/acknowledge`, f.cookies.bankA, {});
    assert.equal(ack.status, 200, JSON.stringify(ack.body));
    assert.equal(ack.body.status, 'acknowledged');
    assert.equal(ack.body.lateAck, false);

    const dup = await call(f.app, 'POST', `/v1/stop-payments/${sp.id}/acknowledge`, f.cookies.bankA, {});
    assert.equal(dup.status, 409);
    assert.equal(dup.body.code, 'already_acknowledged');
    const audited = await f.services.db
      .selectFrom('audit_log')
      .select('action')
      .where('target_id', '=', sp.id)
      .orderBy('id')
      .execute();
    assert.deepEqual(
      audited.map((a) => a.action),
      ['stop_payment.request', 'stop_payment.acknowledge', 'stop_payment.acknowledge_refused'],
    );

    const tooMuch = await call(f.app, 'POST', `/v1/stop-payments/${sp.id}/execute`, f.cookies.bankA, {
      amountStopped: sp.amountRequested + 1,
    });
    assert.equal(tooMuch.status, 400);
    const ex = await call(f.app, 'POST', `/v1/stop-payments/${sp.id}/execute`, f.cookies.bankA, {
      amountStopped: 1_500_000,
      note: 'the account held less',
    });
    assert.equal(ex.status, 200);
    assert.equal(ex.body.status, 'executed');
    assert.equal(ex.body.amountStopped, 1_500_000);
    assert.equal(
      Date.parse(ex.body.expiresAt) - Date.parse(ex.body.executedAt),
      24 * HOUR,
      'the configured period',
    );

    const renewed = await call(f.app, 'POST', `/v1/stop-payments/${sp.id}/renew`, f.cookies.analyst, {});
    assert.equal(renewed.status, 200);
    assert.equal(renewed.body.renewals, 1);
    assert.equal(Date.parse(renewed.body.expiresAt) - Date.parse(ex.body.expiresAt), 24 * HOUR);
    const limit = await call(f.app, 'POST', `/v1/stop-payments/${sp.id}/renew`, f.cookies.analyst, {});
    assert.equal(limit.status, 409);
    assert.equal(limit.body.code, 'renewal_limit');

    const bankCannot = await call(f.app, 'POST', `/v1/stop-payments/${sp.id}/convert`, f.cookies.bankA, {});
    assert.equal(bankCannot.status, 403);
    const conv = await call(f.app, 'POST', `/v1/stop-payments/${sp.id}/convert`, f.cookies.analyst, {});
    assert.equal(conv.status, 200, JSON.stringify(conv.body));
    assert.equal(conv.body.status, 'converted');
    const c = await getFundCase(f.fs, f.analyst, caseId);
    assert.equal(c.freezes.length, 1);
    const fz = c.freezes[0]!;
    assert.equal(fz.amountRequested, 1_500_000);
    assert.equal(fz.stopPaymentId, sp.id);
    assert.equal(fz.id, conv.body.freezeId);
    const inbox = await call(f.app, 'GET', '/v1/freezes/inbox', f.cookies.bankA);
    assert.ok(inbox.body.items.some((x: { id: string }) => x.id === fz.id));
    const fex = await call(f.app, 'POST', `/v1/freezes/${fz.id}/execute`, f.cookies.bankA, {
      amountFrozen: 1_500_000,
    });
    assert.equal(fex.status, 200, JSON.stringify(fex.body));
    assert.equal(fex.body.status, 'executed');
    assert.deepEqual(
      fex.body.history.map((h: { action: string }) => h.action),
      ['requested', 'executed'],
    );
    const after = await getFundCase(f.fs, f.analyst, caseId);
    assert.deepEqual(after.totals, { stopped: 1_500_000, frozen: 1_500_000, returned: 0, traced: 7_000_000 });
    assert.deepEqual(
      after.stopPayments[0]!.history.map((h) => h.action),
      ['requested', 'acknowledged', 'executed', 'renewed', 'converted'],
    );
  });

  test('inboxes are per bank: another bank sees nothing and gets 404', async () => {
    const { sp } = await firstStop();
    const a = await call(f.app, 'GET', '/v1/stop-payments/inbox', f.cookies.bankA);
    assert.equal(a.status, 200);
    assert.ok(a.body.items.some((x: { id: string }) => x.id === sp.id));
    assert.ok(a.body.items.every((x: { institutionId: string }) => x.institutionId === f.bankA));
    const b = await call(f.app, 'GET', '/v1/stop-payments/inbox', f.cookies.bankB);
    assert.equal(b.status, 200);
    assert.equal(b.body.items.filter((x: { id: string }) => x.id === sp.id).length, 0);
    for (const path of ['acknowledge', 'refuse'])
      assert.equal(
        (
          await call(
            f.app,
            'POST',
            `/v1/stop-payments/${sp.id}/${path}`,
            f.cookies.bankB,
            path === 'refuse' ? { reason: 'x' } : {},
          )
        ).status,
        404,
      );
    assert.equal((await call(f.app, 'GET', `/v1/stop-payments/${sp.id}`, f.cookies.bankB)).status, 404);
    assert.equal((await call(f.app, 'GET', `/v1/stop-payments/${sp.id}`, f.cookies.bankA)).status, 200);
    assert.equal((await call(f.app, 'GET', '/v1/stop-payments/inbox', f.cookies.analyst)).status, 403);
    const refused = await call(f.app, 'POST', `/v1/stop-payments/${sp.id}/refuse`, f.cookies.bankA, {
      reason: 'closed account',
    });
    assert.equal(refused.body.status, 'refused');
    assert.equal(refused.body.history.at(-1).note, 'closed account');
  });

  test('unacknowledged past the deadline: escalated once; a late acknowledgement is accepted and marked', async () => {
    const { sp } = await firstStop();
    const deadline = Date.parse(sp.ackDeadlineAt);
    assert.equal((await escalateStopPayments(f.fs, deadline - 1_000)) >= 0, true);
    assert.equal((await getStopPayment(f.fs, f.analyst, sp.id)).escalated, false);
    await escalateStopPayments(f.fs, deadline + 1_000);
    const esc = await getStopPayment(f.fs, f.analyst, sp.id);
    assert.equal(esc.escalated, true);
    assert.equal(esc.history.filter((h) => h.action === 'escalated').length, 1);
    await escalateStopPayments(f.fs, deadline + 120_000);
    assert.equal(
      (await getStopPayment(f.fs, f.analyst, sp.id)).history.filter((h) => h.action === 'escalated').length,
      1,
    );
    const late = await answerStopPayment(
      f.fs,
      f.bankAUser,
      sp.id,
      { kind: 'acknowledge' },
      { now: deadline + 600_000 },
    );
    assert.equal(late.status, 'acknowledged');
    assert.equal(late.lateAck, true);
    const rec = await f.services.db
      .selectFrom('audit_log')
      .select('details')
      .where('target_id', '=', sp.id)
      .where('action', '=', 'stop_payment.acknowledge')
      .executeTakeFirstOrThrow();
    assert.deepEqual(rec.details, { lateAck: true });
  });

  test('executed and not renewed past its expiry: expired', async () => {
    const { sp } = await firstStop();
    const now = Date.now();
    await answerStopPayment(f.fs, f.bankAUser, sp.id, { kind: 'execute', amount: 1_000_000 }, { now });
    await expireStopPayments(f.fs, now + 24 * HOUR - 1_000);
    assert.equal((await getStopPayment(f.fs, f.analyst, sp.id)).status, 'executed');
    await expireStopPayments(f.fs, now + 24 * HOUR + 1_000);
    const ex = await getStopPayment(f.fs, f.analyst, sp.id);
    assert.equal(ex.status, 'expired');
    await assert.rejects(changeStopPayment(f.fs, f.analyst, sp.id, 'renew'), /not_executed|only an executed/);
  });

  test('a bank webhook that is down: the request stays in the inbox, shown as not pushed', async () => {
    await createWebhook(
      { db: f.services.db, pii: f.services.pii },
      { ...f.bankAUser, roles: ['administrator'] },
      { url: 'http://127.0.0.1:9/down', eventTypes: ['stop_payment.requested'] },
    );
    await f.services.bus.start();
    const { sp } = await firstStop();
    // The bus turns the event into a pending delivery; pushing it fails (here, or in the app's own loop).
    const until = Date.now() + 20_000;
    for (;;) {
      await deliverDueWebhooks(
        { db: f.services.db, pii: f.services.pii },
        { fetch: () => Promise.reject(new Error('connect ECONNREFUSED')) },
      );
      if ((await getStopPayment(f.fs, f.analyst, sp.id)).delivery.attempts >= 1) break;
      if (Date.now() > until) throw new Error('the request was never pushed');
      await new Promise((r) => setTimeout(r, 50));
    }
    const inbox = await call(f.app, 'GET', '/v1/stop-payments/inbox?status=sent', f.cookies.bankA);
    const item = inbox.body.items.find((x: { id: string }) => x.id === sp.id);
    assert.ok(item, 'still in the inbox');
    assert.equal(item.delivery.pushed, false);
    assert.ok(item.delivery.attempts >= 1);
    assert.equal(typeof item.delivery.lastError, 'string');
    const seen = await getStopPayment(f.fs, f.analyst, sp.id);
    assert.equal(seen.delivery.pushed, false, "the centre sees it has not reached the bank's system");
  });
});
