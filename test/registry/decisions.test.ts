import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { testApp, seedUser, signInCookie } from '../helpers/app.ts';
import type { Api, Services } from '../../src/api/types.ts';
import type { DecisionNode } from '../../src/registry/decisions.ts';
import { SYSTEM } from '../../src/core/audit.ts';
import { createApiKey } from '../../src/identity/service.ts';
import { delist, listIndicator } from '../../src/registry/service.ts';
import { DecisionNode as Node } from '../../src/registry/decisions.ts';

let app: Api;
let services: Services;
let node: DecisionNode;
let close: () => Promise<void>;
let bankKey: string;
let analystCookie: string;

async function waitFor(cond: () => boolean | Promise<boolean>, ms = 5000): Promise<number> {
  const t0 = Date.now();
  while (!(await cond())) {
    if (Date.now() - t0 > ms) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
  return Date.now() - t0;
}

const analyst = { kind: 'analyst' as const };

before(async () => {
  ({ app, services, node, close } = await testApp());
  const { organisationId: bankId } = await seedUser(services, {
    org: 'Bank',
    kind: 'bank',
    username: 'bank.admin',
    roles: ['administrator'],
  });
  await seedUser(services, {
    org: 'Centre',
    kind: 'anti_fraud_centre',
    username: 'analyst',
    roles: ['analyst'],
  });
  analystCookie = await signInCookie(app, 'analyst');
  bankKey = (
    await createApiKey(services.db, services.bus, SYSTEM, {
      organisationId: bankId,
      name: 'core',
      scopes: ['decisions:write'],
    })
  ).key;
  // one listing before the node starts (snapshot), more after (events)
  await listIndicator(services.db, services.bus, SYSTEM, {
    kind: 'phone',
    value: '+86 138 0013 8000',
    category: 'impersonate_police',
    source: analyst,
  });
  await node.start();
  await services.bus.start();
});
after(() => close());

const post = (url: string, payload: unknown, auth = bankKey) =>
  app.inject({
    method: 'POST',
    url,
    payload: payload as object,
    headers: { authorization: `Bearer ${auth}` },
  });

describe('decisions over HTTP', () => {
  test('a listed caller is blocked with reasons in Chinese and English', async () => {
    const res = await post('/v1/decisions', {
      kind: 'call',
      parties: [
        { role: 'caller', kind: 'phone', value: '138-0013-8000' },
        { role: 'callee', kind: 'phone', value: '13900000000' },
      ],
    });
    assert.equal(res.statusCode, 200, res.body);
    const d = res.json<{
      action: string;
      score: number;
      matches: { value: string; category: string }[];
      reasons: { zh: string; en: string }[];
    }>();
    assert.equal(d.action, 'block');
    assert.equal(d.matches[0]!.value, '+8613800138000');
    assert.match(d.reasons[0]!.zh, /冒充公检法/);
    assert.match(d.reasons[0]!.en, /police/i);
  });

  test('an unlisted caller is allowed; a malformed party gets a warning, not a silent allow', async () => {
    const ok = await post('/v1/decisions', {
      kind: 'call',
      parties: [{ role: 'caller', kind: 'phone', value: '13912345678' }],
    });
    assert.equal(ok.json<{ action: string }>().action, 'allow');
    const bad = await post('/v1/decisions', {
      kind: 'call',
      parties: [
        { role: 'caller', kind: 'phone', value: 'call me maybe' },
        { role: 'callee', kind: 'phone', value: '+8613800138000' },
      ],
    });
    const d = bad.json<{ action: string; warnings: { party: string; code: string }[] }>();
    assert.equal(d.warnings[0]!.party, 'caller');
    assert.equal(d.warnings[0]!.code, 'phone_unparseable');
    assert.equal(d.action, 'block', 'the party that parses still decides');
  });

  test('a listing committed later reaches decisions through the bus within a second', async () => {
    const url = 'https://secure-refund.example.net/claim';
    const before = await post('/v1/decisions', {
      kind: 'url_visit',
      parties: [{ role: 'url', kind: 'url', value: url }],
    });
    assert.equal(before.json<{ action: string }>().action, 'allow');
    await listIndicator(services.db, services.bus, SYSTEM, {
      kind: 'domain',
      value: 'secure-refund.example.net',
      category: 'customer_service_refund',
      source: analyst,
    });
    const ms = await waitFor(async () => {
      const r = await post('/v1/decisions', {
        kind: 'url_visit',
        parties: [{ role: 'url', kind: 'url', value: url }],
      });
      return r.json<{ action: string }>().action !== 'allow';
    }, 3000);
    assert.ok(ms < 1000, `applied after ${ms} ms`);
    // and a delisting lifts it
    const listing = await services.db
      .selectFrom('listings')
      .select('id')
      .where('value', '=', 'example.net')
      .executeTakeFirst();
    const id =
      listing?.id ??
      (
        await services.db
          .selectFrom('listings')
          .select('id')
          .where('kind', '=', 'domain')
          .executeTakeFirstOrThrow()
      ).id;
    await delist(services.db, services.bus, SYSTEM, id, 'false_positive');
    await waitFor(async () => {
      const r = await post('/v1/decisions', {
        kind: 'url_visit',
        parties: [{ role: 'url', kind: 'url', value: url }],
      });
      return r.json<{ action: string }>().action === 'allow';
    }, 3000);
  });

  test('the batch route answers in order, and validates its size and rows', async () => {
    const events = Array.from({ length: 50 }, (_, i) => ({
      kind: 'call',
      parties: [
        {
          role: 'caller',
          kind: 'phone',
          value: i % 10 === 0 ? '+8613800138000' : `+86139000000${String(i).padStart(2, '0')}`,
        },
      ],
    }));
    const res = await post('/v1/decisions/batch', { events });
    assert.equal(res.statusCode, 200);
    const ds = res.json<{ decisions: { action: string }[] }>().decisions;
    assert.equal(ds.length, 50);
    ds.forEach((d, i) => assert.equal(d.action, i % 10 === 0 ? 'block' : 'allow', `event ${i}`));
    const empty = await post('/v1/decisions/batch', { events: [] });
    assert.equal(empty.statusCode, 400);
    const wrong = await post('/v1/decisions/batch', { events: [{ kind: 'telepathy', parties: [] }] });
    assert.equal(wrong.statusCode, 400);
  });

  test('sightings are counted per listing and day', async () => {
    await node.flushSightings();
    const rows = await services.db.selectFrom('sightings_daily').select(['channel', 'count']).execute();
    const calls = rows.filter((r) => r.channel === 'call').reduce((n, r) => n + Number(r.count), 0);
    assert.ok(calls >= 7, `counted ${calls} matched calls`);
  });

  test('who may decide: a key with decisions:write or a centre analyst; nobody else', async () => {
    const body = { kind: 'call', parties: [{ role: 'caller', kind: 'phone', value: '13912345678' }] };
    const anon = await app.inject({ method: 'POST', url: '/v1/decisions', payload: body });
    assert.equal(anon.statusCode, 401);
    const viaConsole = await app.inject({
      method: 'POST',
      url: '/v1/decisions',
      payload: body,
      headers: { cookie: analystCookie },
    });
    assert.equal(viaConsole.statusCode, 200);
  });

  test('a node that starts later catches up from the snapshot and the changes since', async () => {
    const second = new Node(services, { nodeId: 'second-node' });
    await second.load();
    const d = second.engine.decide({
      kind: 'call',
      parties: [{ role: 'caller', kind: 'phone', value: '+8613800138000' }],
    });
    assert.equal(d.action, 'block');
    assert.equal(second.appliedVersion, node.appliedVersion);
  });
});

describe("citizens' check", () => {
  test('a listed number, an unlisted one and an unreadable one', async () => {
    const check = (value: string, kind?: string) =>
      app.inject({
        method: 'POST',
        url: '/v1/check',
        payload: kind ? { value, kind } : { value },
        remoteAddress: '10.1.2.3',
      });
    const listed = await check('138 0013 8000');
    assert.equal(listed.statusCode, 200, listed.body);
    const l = listed.json<{
      verdict: string;
      kind: string;
      categories: { code: string; zh: string }[];
      advice: { zh: string };
    }>();
    assert.equal(l.verdict, 'listed');
    assert.equal(l.kind, 'phone');
    assert.equal(l.categories[0]!.code, 'impersonate_police');
    assert.match(l.advice.zh, /96110/);
    const clean = (await check('13912345678')).json<{ verdict: string; advice: { en: string } }>();
    assert.equal(clean.verdict, 'not_listed');
    assert.match(clean.advice.en, /does not make it safe/);
    const junk = (await check('hello there', 'phone')).json<{ verdict: string }>();
    assert.equal(junk.verdict, 'unreadable');
    const bad = await app.inject({ method: 'POST', url: '/v1/check', payload: { value: '' } });
    assert.equal(bad.statusCode, 400);
  });
});

describe('allowlist in the decision node', () => {
  test('entries added or removed in the database reach the engine, and protecting delists', async () => {
    const { addProtected, removeProtected } = await import('../../src/registry/allowlist.ts');
    await listIndicator(services.db, services.bus, SYSTEM, {
      kind: 'phone',
      value: '+86 139 5555 0000',
      category: 'loan',
      source: analyst,
    });
    await waitFor(() => node.index.get('phone', '+8613955550000')?.status === 'active');
    const p = await addProtected(services.db, services.bus, SYSTEM, {
      kind: 'phone',
      value: '+86 139 5555 0000',
      label: 'a bank hotline',
    });
    assert.equal(p.delisted, 1, 'the listing it covers is delisted');
    await node.loadAllowlist();
    assert.ok(node.engine.allowlist.protects('phone', '+8613955550000'));
    await waitFor(() => node.index.get('phone', '+8613955550000')?.status !== 'active');
    await removeProtected(services.db, SYSTEM, p.id, 'hotline moved');
    await node.loadAllowlist();
    assert.equal(node.engine.allowlist.protects('phone', '+8613955550000'), null);
    assert.ok(node.engine.allowlist.protects('phone', 'short:CN:110'), 'the built-in national list stays');
  });
});
