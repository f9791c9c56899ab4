import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { sql } from 'kysely';
import { testApp, seedUser, signInCookie } from '../helpers/app.ts';
import type { Api, Services } from '../../src/api/types.ts';
import type { Principal } from '../../src/identity/model.ts';
import { buildServer } from '../../src/api/server.ts';
import { piiKeyUsage } from '../../src/privacy/rotate.ts';
import {
  acknowledgeInstruction,
  createInstruction,
  withdrawInstruction,
} from '../../src/governance/store.ts';
import {
  MAX_ATTEMPTS,
  RETRY_BASE_MS,
  checkWebhookUrl,
  deliverDueWebhooks,
  enqueueWebhookDeliveries,
  retryDelayMs,
} from '../../src/governance/webhooks.ts';
import { webhookRoutes, webhookRoutesWith } from '../../src/governance/webhook-routes.ts';

/** A webhook receiver on loopback: records what it gets, answers `status`, can go down and come back. */
class Receiver {
  requests: { path: string; headers: http.IncomingHttpHeaders; body: string }[] = [];
  status = 204;
  port = 0;
  private server: http.Server | null = null;

  async start(port = 0): Promise<void> {
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        this.requests.push({
          path: req.url ?? '',
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        });
        res.writeHead(this.status).end(this.status >= 400 ? 'nope' : '');
      });
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = null;
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  url(path: string): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }
}

/** What a receiver does (docs/governance.md): recompute the HMAC over "<t>.<raw body>". */
function verify(secret: string, header: string | undefined, body: string): { ok: boolean; t: number } {
  const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header ?? '');
  if (!m) return { ok: false, t: 0 };
  const expected = crypto.createHmac('sha256', secret).update(`${m[1]}.${body}`).digest();
  const given = Buffer.from(m[2]!, 'hex');
  return { ok: crypto.timingSafeEqual(expected, given), t: Number(m[1]) };
}

async function waitFor<T>(what: string, probe: () => Promise<T | null | undefined | false>): Promise<T> {
  const until = Date.now() + 15_000;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

let app: Api;
let services: Services;
let close: () => Promise<void>;
let telcoId: string;
let bankId: string;
let telcoAdmin: string;
let telcoOp: string;
let bankAdmin: string;
let centreAdmin: string;
let supPrincipal: Principal;
let telcoPrincipal: Principal;
const consumer = `webhooks-test-${crypto.randomUUID().slice(0, 8)}`;
const telcoReceiver = new Receiver();
const bankReceiver = new Receiver();

before(async () => {
  // Our own consumer name: test files on a shared NATS stream must not take each other's events.
  ({ app, services, close } = await testApp({}, (mods) => [
    ...mods.filter((m) => m !== webhookRoutes),
    webhookRoutesWith({ consumer, deliverEveryMs: 0 }),
  ]));
  const sup = await seedUser(services, {
    org: 'Centre',
    kind: 'anti_fraud_centre',
    username: 'sup',
    roles: ['supervisor'],
  });
  await seedUser(services, {
    org: 'Centre',
    kind: 'anti_fraud_centre',
    username: 'centre.admin',
    roles: ['administrator'],
  });
  ({ organisationId: telcoId } = await seedUser(services, {
    org: 'Telco',
    kind: 'telecom_operator',
    username: 'telco.admin',
    roles: ['administrator'],
  }));
  const op = await seedUser(services, {
    org: 'Telco',
    kind: 'telecom_operator',
    username: 'telco.op',
    roles: ['institution_operator'],
  });
  ({ organisationId: bankId } = await seedUser(services, {
    org: 'Bank',
    kind: 'bank',
    username: 'bank.admin',
    roles: ['administrator'],
  }));
  telcoAdmin = await signInCookie(app, 'telco.admin');
  telcoOp = await signInCookie(app, 'telco.op');
  bankAdmin = await signInCookie(app, 'bank.admin');
  centreAdmin = await signInCookie(app, 'centre.admin');
  supPrincipal = {
    kind: 'user',
    id: sup.userId,
    name: 'sup',
    organisationId: sup.organisationId,
    organisationKind: 'anti_fraud_centre',
    roles: ['supervisor'],
    scopes: [],
  };
  telcoPrincipal = {
    kind: 'user',
    id: op.userId,
    name: 'telco.op',
    organisationId: telcoId,
    organisationKind: 'telecom_operator',
    roles: ['institution_operator'],
    scopes: [],
  };
  await telcoReceiver.start();
  await bankReceiver.start();
  await services.bus.start();
});
after(async () => {
  await close();
  await telcoReceiver.stop();
  await bankReceiver.stop();
});

const req = (method: 'GET' | 'POST' | 'DELETE', url: string, cookie: string, payload?: object) =>
  app.inject({ method, url, headers: { cookie }, ...(payload ? { payload } : {}) });

type Webhook = { id: string; organisationId: string; url: string; eventTypes: string[]; active: boolean };
type Delivery = {
  id: string;
  eventId: string;
  eventType: string;
  status: string;
  attempts: number;
  nextAttemptAt: string | null;
  lastStatusCode: number | null;
  lastError: string | null;
};

const deliveriesOf = (subscriptionId: string) =>
  services.db
    .selectFrom('webhook_deliveries')
    .selectAll()
    .where('subscription_id', '=', subscriptionId)
    .orderBy('created_at')
    .execute();

/** The consumer has processed everything published so far. */
const caughtUp = () => waitFor('the webhook consumer', async () => (await services.bus.lag(consumer)) === 0);

function issue(target: string) {
  return createInstruction(services, supPrincipal, {
    target: { kind: 'msisdn', value: target },
    measure: 'restrict_functions',
    functions: ['sms'],
    reason: 'sent scam texts',
    legalBasis: 'atof_art11',
    receivingOrganisationId: telcoId,
  });
}

describe('webhooks', () => {
  let telcoHook: Webhook;
  let telcoSecret: string;
  let bankHook: Webhook;
  let instructionId: string;

  test('URLs: https, or http to localhost outside production', () => {
    assert.equal(checkWebhookUrl('https://hooks.example.com/a?b=1'), 'https://hooks.example.com/a?b=1');
    assert.equal(checkWebhookUrl('https://203.0.113.7/hook'), 'https://203.0.113.7/hook');
    assert.equal(checkWebhookUrl('http://localhost:8080/x', 'development'), 'http://localhost:8080/x');
    for (const bad of [
      'http://hooks.example.com/a',
      'ftp://hooks.example.com/a',
      'https://user:pw@hooks.example.com/a',
      'https://hooks.example.com/a#frag',
      'not a url',
      'https://10.1.2.3/hook',
      'https://192.168.0.10:8443/hook',
      'https://169.254.169.254/latest/meta-data',
      'https://127.0.0.1/hook',
      'https://[::1]/hook',
      'https://[fd00::5]/hook',
      'https://[::ffff:10.0.0.1]/hook',
    ])
      assert.throws(() => checkWebhookUrl(bad, 'development'), /url /, bad);
    assert.throws(() => checkWebhookUrl('http://127.0.0.1:8080/x', 'production'), /https/);
  });

  test('backoff doubles from 10 s up to an hour', () => {
    assert.deepEqual([1, 2, 3].map(retryDelayMs), [RETRY_BASE_MS, 2 * RETRY_BASE_MS, 4 * RETRY_BASE_MS]);
    assert.equal(retryDelayMs(MAX_ATTEMPTS), 3_600_000);
  });

  test('an institution administrator subscribes; the secret is shown once and stored encrypted', async () => {
    const res = await req('POST', '/v1/webhooks', telcoAdmin, { url: telcoReceiver.url('/telco') });
    assert.equal(res.statusCode, 201, res.body);
    const body = res.json<{ webhook: Webhook; secret: string }>();
    telcoHook = body.webhook;
    telcoSecret = body.secret;
    assert.match(telcoSecret, /^whsec_[A-Za-z0-9_-]{43}$/);
    assert.equal(telcoHook.organisationId, telcoId);
    assert.ok(telcoHook.eventTypes.includes('instruction.issued'));

    const list = await req('GET', '/v1/webhooks', telcoAdmin);
    assert.equal(list.statusCode, 200);
    assert.deepEqual(
      list.json<{ items: Webhook[] }>().items.map((w) => w.id),
      [telcoHook.id],
    );
    assert.ok(!list.body.includes(telcoSecret));
    assert.ok(!list.body.includes('secret'));

    const row = await sql<
      Record<string, unknown>
    >`select * from webhook_subscriptions where id = ${telcoHook.id}`.execute(services.db);
    const stored = row.rows[0]!;
    assert.ok(stored.secret_enc instanceof Uint8Array);
    assert.ok(!Buffer.from(stored.secret_enc).includes(Buffer.from(telcoSecret)));
    for (const v of Object.values(stored))
      if (typeof v === 'string') assert.ok(!v.includes(telcoSecret), 'secret in clear');
    // Registered for key rotation with the other encrypted columns.
    assert.deepEqual((await piiKeyUsage(services.db)).webhook_subscriptions, {
      [services.pii.activeKeyId]: 1,
    });
    const audits = await sql<{
      details: unknown;
    }>`select details from audit_log where action = 'webhook.create'`.execute(services.db);
    assert.equal(audits.rows.length, 1);
    assert.ok(!JSON.stringify(audits.rows).includes(telcoSecret));

    const bank = await req('POST', '/v1/webhooks', bankAdmin, {
      url: bankReceiver.url('/bank'),
      eventTypes: ['instruction.issued', 'instruction.received'],
    });
    assert.equal(bank.statusCode, 201, bank.body);
    bankHook = bank.json<{ webhook: Webhook }>().webhook;
    assert.deepEqual(bankHook.eventTypes, ['instruction.issued', 'instruction.received']);
  });

  test('who may subscribe and read, and bad input', async () => {
    assert.equal(
      (await req('POST', '/v1/webhooks', telcoOp, { url: 'https://x.example/h' })).statusCode,
      403,
    );
    assert.equal((await req('GET', '/v1/webhooks', telcoOp)).statusCode, 403);
    assert.equal(
      (await req('POST', '/v1/webhooks', centreAdmin, { url: 'https://x.example/h' })).statusCode,
      403,
    );

    const badUrl = await req('POST', '/v1/webhooks', telcoAdmin, { url: 'http://hooks.example.com/h' });
    assert.equal(badUrl.statusCode, 400);
    assert.match(String(badUrl.headers['content-type']), /application\/problem\+json/);
    assert.equal(badUrl.json<{ code: string }>().code, 'invalid_webhook_url');
    const badType = await req('POST', '/v1/webhooks', telcoAdmin, {
      url: 'https://hooks.example.com/h',
      eventTypes: ['listing.created'],
    });
    assert.equal(badType.statusCode, 400);
    assert.equal(badType.json<{ code: string }>().code, 'invalid_event_types');

    // The centre's administrators read every institution's webhooks; institutions only their own.
    const all = await req('GET', '/v1/webhooks', centreAdmin);
    assert.equal(all.statusCode, 200);
    assert.deepEqual(
      all
        .json<{ items: Webhook[] }>()
        .items.map((w) => w.organisationId)
        .sort(),
      [telcoId, bankId].sort(),
    );
    assert.equal((await req('GET', `/v1/webhooks/${telcoHook.id}/deliveries`, bankAdmin)).statusCode, 404);
    assert.equal((await req('DELETE', `/v1/webhooks/${telcoHook.id}`, bankAdmin)).statusCode, 404);
    assert.equal((await req('POST', `/v1/webhooks/${telcoHook.id}/test`, bankAdmin)).statusCode, 404);
    assert.equal((await req('GET', `/v1/webhooks/${telcoHook.id}/deliveries`, centreAdmin)).statusCode, 200);
  });

  test('an issued instruction reaches its institution signed, and only its institution', async () => {
    const { instruction } = await issue('+8613800138001');
    instructionId = instruction.id;
    await waitFor('a pending delivery', async () => (await deliveriesOf(telcoHook.id)).length === 1);
    const result = await deliverDueWebhooks(services, { now: Date.now() });
    assert.deepEqual(result, { delivered: 1, retrying: 0, failed: 0 });

    assert.equal(telcoReceiver.requests.length, 1);
    const got = telcoReceiver.requests[0]!;
    assert.equal(got.path, '/telco');
    assert.equal(got.headers['content-type'], 'application/json');
    const sig = verify(telcoSecret, got.headers['interdict-signature'] as string, got.body);
    assert.ok(sig.ok, 'signature verifies with the secret');
    assert.ok(Math.abs(sig.t - Date.now() / 1000) < 60);
    assert.equal(verify('whsec_wrong', got.headers['interdict-signature'] as string, got.body).ok, false);
    const ev = JSON.parse(got.body) as {
      id: string;
      type: string;
      occurredAt: string;
      data: Record<string, unknown>;
    };
    assert.deepEqual(Object.keys(ev).sort(), ['data', 'id', 'occurredAt', 'type']);
    assert.equal(ev.type, 'instruction.issued');
    assert.equal(got.headers['interdict-event-type'], 'instruction.issued');
    assert.equal(got.headers['interdict-event-id'], ev.id);
    assert.equal(ev.data.id, instructionId);
    assert.equal(ev.data.receivingOrganisationId, telcoId);
    assert.equal(ev.data.target, '+8613800138001');

    const [d] = await deliveriesOf(telcoHook.id);
    assert.equal(d!.status, 'delivered');
    assert.equal(d!.attempts, 1);
    assert.equal(d!.last_status_code, 204);

    // The bank subscribed to instruction.issued too, but the instruction is not the bank's.
    await caughtUp();
    assert.equal((await deliveriesOf(bankHook.id)).length, 0);
    assert.equal(bankReceiver.requests.length, 0);

    // The same event seen again (the bus delivers at least once) adds no second delivery.
    assert.equal(await enqueueWebhookDeliveries(services.db, ev), 0);
    assert.equal((await deliveriesOf(telcoHook.id)).length, 1);
  });

  test('a failing or unreachable receiver leaves the delivery pending, retried until it succeeds', async () => {
    telcoReceiver.status = 500;
    await acknowledgeInstruction(services, telcoPrincipal, instructionId, 'receipt');
    await waitFor('the receipt delivery', async () => (await deliveriesOf(telcoHook.id)).length === 2);
    const t0 = Date.now() + 1_000;

    assert.deepEqual(await deliverDueWebhooks(services, { now: t0 }), {
      delivered: 0,
      retrying: 1,
      failed: 0,
    });
    assert.equal(telcoReceiver.requests.length, 2);
    let d = (await deliveriesOf(telcoHook.id))[1]!;
    assert.equal(d.event_type, 'instruction.received');
    assert.equal(d.status, 'pending');
    assert.equal(d.attempts, 1);
    assert.equal(d.last_status_code, 500);
    assert.equal(d.last_error, 'HTTP 500');
    assert.equal(new Date(d.next_attempt_at).getTime(), t0 + RETRY_BASE_MS);

    // Not due yet: nothing is sent.
    assert.deepEqual(await deliverDueWebhooks(services, { now: t0 + 5_000 }), {
      delivered: 0,
      retrying: 0,
      failed: 0,
    });
    assert.equal(telcoReceiver.requests.length, 2);

    // The receiver goes down.
    const port = telcoReceiver.port;
    await telcoReceiver.stop();
    const t1 = t0 + RETRY_BASE_MS;
    assert.deepEqual(await deliverDueWebhooks(services, { now: t1 }), {
      delivered: 0,
      retrying: 1,
      failed: 0,
    });
    d = (await deliveriesOf(telcoHook.id))[1]!;
    assert.equal(d.status, 'pending');
    assert.equal(d.attempts, 2);
    assert.equal(d.last_status_code, null);
    assert.match(d.last_error ?? '', /^connection failed: ECONNREFUSED$/);
    assert.equal(new Date(d.next_attempt_at).getTime(), t1 + 2 * RETRY_BASE_MS);

    // Meanwhile the instruction is in the inbox, whatever the push does.
    const inbox = await req('GET', '/v1/instructions', telcoAdmin);
    assert.equal(inbox.statusCode, 200);
    assert.ok(inbox.json<{ items: { id: string }[] }>().items.some((i) => i.id === instructionId));

    const listed = await req('GET', `/v1/webhooks/${telcoHook.id}/deliveries?status=pending`, telcoAdmin);
    assert.equal(listed.statusCode, 200);
    const pending = listed.json<{ items: Delivery[] }>().items;
    assert.equal(pending.length, 1);
    assert.equal(pending[0]!.attempts, 2);
    assert.equal(pending[0]!.nextAttemptAt, new Date(t1 + 2 * RETRY_BASE_MS).toISOString());

    // It comes back: the next due attempt delivers, signed at the time of sending.
    telcoReceiver.status = 200;
    await telcoReceiver.start(port);
    const t2 = t1 + 2 * RETRY_BASE_MS;
    assert.deepEqual(await deliverDueWebhooks(services, { now: t2 }), {
      delivered: 1,
      retrying: 0,
      failed: 0,
    });
    const last = telcoReceiver.requests.at(-1)!;
    assert.equal(last.headers['interdict-event-type'], 'instruction.received');
    const sig = verify(telcoSecret, last.headers['interdict-signature'] as string, last.body);
    assert.ok(sig.ok);
    assert.equal(sig.t, Math.floor(t2 / 1000));
    d = (await deliveriesOf(telcoHook.id))[1]!;
    assert.equal(d.status, 'delivered');
    assert.equal(d.attempts, 3);
  });

  test('after the last attempt a delivery is failed; the instruction is still in the inbox', async () => {
    telcoReceiver.status = 503;
    await withdrawInstruction(services, supPrincipal, instructionId, 'issued in error');
    // The telco had received it: the withdrawal comes with a restore instruction, pushed too.
    await waitFor('the withdrawal deliveries', async () => (await deliveriesOf(telcoHook.id)).length === 4);
    const fresh = (await deliveriesOf(telcoHook.id)).slice(2);
    assert.deepEqual(fresh.map((x) => x.event_type).sort(), ['instruction.issued', 'instruction.withdrawn']);
    await services.db
      .updateTable('webhook_deliveries')
      .set({ attempts: MAX_ATTEMPTS - 1 })
      .where(
        'id',
        'in',
        fresh.map((x) => x.id),
      )
      .execute();
    assert.deepEqual(await deliverDueWebhooks(services, { now: Date.now() + 1_000 }), {
      delivered: 0,
      retrying: 0,
      failed: 2,
    });
    for (const d of (await deliveriesOf(telcoHook.id)).slice(2)) {
      assert.equal(d.status, 'failed');
      assert.equal(d.attempts, MAX_ATTEMPTS);
    }
    // Failed deliveries are not sent again.
    const before = telcoReceiver.requests.length;
    await deliverDueWebhooks(services, { now: Date.now() + 86_400_000 });
    assert.equal(telcoReceiver.requests.length, before);

    const one = await req('GET', `/v1/instructions/${instructionId}`, telcoAdmin);
    assert.equal(one.statusCode, 200);
    assert.equal(one.json<{ status: string }>().status, 'withdrawn');
  });

  test('a test ping is sent at once, signed, and its answer reported', async () => {
    telcoReceiver.status = 202;
    const res = await req('POST', `/v1/webhooks/${telcoHook.id}/test`, telcoAdmin);
    assert.equal(res.statusCode, 200, res.body);
    const out = res.json<{ ok: boolean; statusCode: number | null; eventId: string }>();
    assert.equal(out.ok, true);
    assert.equal(out.statusCode, 202);
    const got = telcoReceiver.requests.at(-1)!;
    assert.equal(got.headers['interdict-event-type'], 'webhook.test');
    assert.equal(got.headers['interdict-event-id'], out.eventId);
    assert.ok(verify(telcoSecret, got.headers['interdict-signature'] as string, got.body).ok);

    telcoReceiver.status = 500;
    const failing = await req('POST', `/v1/webhooks/${telcoHook.id}/test`, telcoAdmin);
    assert.deepEqual(
      {
        ok: failing.json<{ ok: boolean }>().ok,
        statusCode: failing.json<{ statusCode: number }>().statusCode,
      },
      { ok: false, statusCode: 500 },
    );
  });

  test('the routes run the sending loop until the server closes', async () => {
    telcoReceiver.status = 204;
    // A second server on the same services, with its own consumer: both see each event, one delivery results.
    const second = await buildServer(services, {
      routes: [webhookRoutesWith({ consumer: `${consumer}-loop`, deliverEveryMs: 20 })],
    });
    await second.ready();
    let closed = false;
    try {
      const { instruction } = await issue('+8613800138003');
      await waitFor('the loop to deliver', async () => {
        const rows = await deliveriesOf(telcoHook.id);
        return rows.some((d) => d.status === 'delivered' && d.body.includes(instruction.id));
      });
      await caughtUp();
      await waitFor('the second consumer', async () => (await services.bus.lag(`${consumer}-loop`)) === 0);
      const mine = (await deliveriesOf(telcoHook.id)).filter((d) => d.body.includes(instruction.id));
      assert.equal(mine.length, 1);
      await second.close();
      closed = true;

      await withdrawInstruction(services, supPrincipal, instruction.id, 'issued in error');
      await waitFor('a pending delivery', async () =>
        (await deliveriesOf(telcoHook.id)).some((d) => d.status === 'pending'),
      );
      await new Promise((r) => setTimeout(r, 200));
      assert.ok(
        (await deliveriesOf(telcoHook.id)).some((d) => d.status === 'pending'),
        'the loop stopped',
      );
      await deliverDueWebhooks(services, { now: Date.now() + 1_000 });
    } finally {
      if (!closed) await second.close();
    }
  });

  test('a removed webhook receives nothing more; its pending deliveries end failed', async () => {
    telcoReceiver.status = 500;
    const { instruction } = await issue('+8613800138002');
    await waitFor('a pending delivery', async () =>
      (await deliveriesOf(telcoHook.id)).some((d) => d.status === 'pending'),
    );
    const del = await req('DELETE', `/v1/webhooks/${telcoHook.id}`, telcoAdmin);
    assert.equal(del.statusCode, 200);
    assert.equal(del.json<Webhook>().active, false);
    assert.equal((await req('DELETE', `/v1/webhooks/${telcoHook.id}`, telcoAdmin)).statusCode, 200);
    const list = await req('GET', '/v1/webhooks', telcoAdmin);
    assert.deepEqual(list.json<{ items: Webhook[] }>().items, []);
    assert.equal((await req('POST', `/v1/webhooks/${telcoHook.id}/test`, telcoAdmin)).statusCode, 404);

    const rows = await deliveriesOf(telcoHook.id);
    assert.ok(rows.every((d) => d.status !== 'pending'));
    assert.equal(rows.at(-1)!.last_error, 'webhook removed');

    const count = rows.length;
    const sent = telcoReceiver.requests.length;
    await withdrawInstruction(services, supPrincipal, instruction.id, 'issued in error');
    await caughtUp();
    await deliverDueWebhooks(services, { now: Date.now() + 1_000 });
    assert.equal((await deliveriesOf(telcoHook.id)).length, count);
    assert.equal(telcoReceiver.requests.length, sent);
  });
});
