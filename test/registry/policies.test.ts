import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { testApp, seedUser, signInCookie } from '../helpers/app.ts';
import type { Api, Services } from '../../src/api/types.ts';
import { DecisionNode } from '../../src/registry/decisions.ts';
import { SYSTEM } from '../../src/core/audit.ts';
import { claimJob } from '../../src/core/jobs.ts';
import { createApiKey } from '../../src/identity/service.ts';
import { listIndicator } from '../../src/registry/service.ts';
import { DEFAULT_POLICIES } from '../../src/registry/engine/index.ts';

let app: Api;
let services: Services;
let node: DecisionNode;
let close: () => Promise<void>;
let bankKey: string;
let bankId: string;
let supervisor: string;
let analyst: string;
let bankAdmin: string;

before(async () => {
  ({ app, services, node, close } = await testApp());
  ({ organisationId: bankId } = await seedUser(services, {
    org: 'Bank',
    kind: 'bank',
    username: 'bank.admin',
    roles: ['administrator'],
  }));
  await seedUser(services, {
    org: 'Centre',
    kind: 'anti_fraud_centre',
    username: 'sup',
    roles: ['supervisor'],
  });
  await seedUser(services, { org: 'Centre', kind: 'anti_fraud_centre', username: 'ana', roles: ['analyst'] });
  supervisor = await signInCookie(app, 'sup');
  analyst = await signInCookie(app, 'ana');
  bankAdmin = await signInCookie(app, 'bank.admin');
  bankKey = (
    await createApiKey(services.db, services.bus, SYSTEM, {
      organisationId: bankId,
      name: 'core',
      scopes: ['decisions:write', 'policies:read'],
    })
  ).key;
  await listIndicator(services.db, services.bus, SYSTEM, {
    kind: 'phone',
    value: '+86 138 0013 8000',
    category: 'impersonate_police',
    source: { kind: 'analyst' },
  });
  await node.start();
  await services.bus.start();
});
after(() => close());

const req = (method: 'GET' | 'POST', url: string, cookie: string, payload?: unknown) =>
  app.inject({ method, url, headers: { cookie }, ...(payload ? { payload: payload as object } : {}) });

const call = (value: string) => ({ kind: 'call', parties: [{ role: 'caller', kind: 'phone', value }] });
const decide = async (value = '+8613800138000') => {
  const r = await app.inject({
    method: 'POST',
    url: '/v1/decisions',
    payload: call(value),
    headers: { authorization: `Bearer ${bankKey}` },
  });
  assert.equal(r.statusCode, 200, r.body);
  return r.json<{
    action: string;
    policy: { id: string; version: number };
    shadow?: { action: string; policy: { id: string; version: number } };
  }>();
};

/** National call policy v2: a listed caller is only warned about. */
const lenient = {
  id: 'national:call',
  channel: 'call',
  institutionId: null,
  rules: [{ minConfidence: 0.5, action: 'warn' }],
  default: 'allow',
  description: 'warn only',
};

describe('decision policies as versioned data', () => {
  test('the national defaults are stored as version 1, active, and are what decides', async () => {
    const r = await req('GET', '/v1/policies?state=active', analyst);
    assert.equal(r.statusCode, 200, r.body);
    const items = r.json<{ items: { id: string; version: number; state: string }[] }>().items;
    assert.deepEqual(items.map((i) => i.id).sort(), DEFAULT_POLICIES.map((p) => p.id).sort());
    assert.ok(items.every((i) => i.version === 1 && i.state === 'active'));
    const d = await decide();
    assert.equal(d.action, 'block');
    assert.deepEqual(d.policy, { id: 'national:call', version: 1 });
  });

  test('bad policies are refused with the reason; analysts may not change policies', async () => {
    const unknownCategory = await req('POST', '/v1/policies', supervisor, {
      ...lenient,
      rules: [{ categories: ['weather'], action: 'block' }],
    });
    assert.equal(unknownCategory.statusCode, 400);
    assert.equal(unknownCategory.headers['content-type'], 'application/problem+json; charset=utf-8');
    const moved = await req('POST', '/v1/policies', supervisor, { ...lenient, channel: 'sms' });
    assert.equal(moved.statusCode, 409);
    assert.equal(moved.json<{ code: string }>().code, 'policy_slot_mismatch');
    const taken = await req('POST', '/v1/policies', supervisor, { ...lenient, id: 'my-call-policy' });
    assert.equal(taken.statusCode, 409);
    assert.equal(taken.json<{ code: string }>().code, 'policy_slot_taken');
    const byAnalyst = await req('POST', '/v1/policies', analyst, lenient);
    assert.equal(byAnalyst.statusCode, 403);
  });

  test('a draft is replayed on recent traffic, runs in shadow, then is switched on', async () => {
    // recent traffic: 3 listed callers, 5 unlisted
    for (let i = 0; i < 3; i++) await decide();
    for (let i = 0; i < 5; i++) await decide(`+861390000000${i}`);

    console.error('before create');
    const created = await req('POST', '/v1/policies', supervisor, lenient);
    console.error('created');
    assert.equal(created.statusCode, 201, created.body);
    assert.equal(created.json<{ version: number; state: string }>().version, 2);
    assert.equal(created.json<{ state: string }>().state, 'draft');
    assert.equal((await decide()).action, 'block', 'a draft decides nothing');

    const replay = await req('POST', '/v1/policies/national:call/versions/2/replay', analyst);
    assert.equal(replay.statusCode, 200, replay.body);
    const rep = replay.json<{
      total: number;
      changed: number;
      transitions: { from: string; to: string; count: number }[];
    }>();
    assert.ok(rep.total >= 9, `replayed ${rep.total}`);
    assert.ok(rep.changed >= 4, `changed ${rep.changed}`);
    assert.equal(rep.changed, rep.transitions.find((t) => t.from === 'block' && t.to === 'warn')?.count);

    const shadow = await req('POST', '/v1/policies/national:call/versions/2/shadow', supervisor);
    assert.equal(shadow.statusCode, 200, shadow.body);
    const d = await decide();
    assert.equal(d.action, 'block', 'the active version still decides');
    assert.deepEqual(d.shadow, { action: 'warn', policy: { id: 'national:call', version: 2 } });
    await decide('+8613900000001');
    const live = await req('GET', '/v1/policies/national:call/versions/2/shadow-report', analyst);
    assert.equal(live.statusCode, 200, live.body);
    const l = live.json<{ total: number; changed: number }>();
    assert.ok(l.total >= 2 && l.changed >= 1, JSON.stringify(l));

    const on = await req('POST', '/v1/policies/national:call/versions/2/activate', supervisor, {
      reason: 'warn instead of block during the pilot',
    });
    assert.equal(on.statusCode, 200, on.body);
    const after = await decide();
    assert.equal(after.action, 'warn');
    assert.deepEqual(after.policy, { id: 'national:call', version: 2 });
    assert.equal(after.shadow, undefined);
    const v1 = await req('GET', '/v1/policies/national:call/versions/1', analyst);
    assert.equal(v1.json<{ state: string }>().state, 'retired');
    const again = await req('POST', '/v1/policies/national:call/versions/1/activate', supervisor);
    assert.equal(again.statusCode, 409, 'a retired version stays retired: save it again as a new version');
    const audit = await services.db
      .selectFrom('audit_log')
      .select(['action', 'target_id'])
      .where('target_kind', '=', 'decision_policy')
      .execute();
    assert.ok(audit.some((a) => a.action === 'policy.active' && a.target_id === 'national:call@2'));
    assert.ok(audit.some((a) => a.action === 'policy.retired' && a.target_id === 'national:call@1'));
  });

  test("an institution's administrator changes only its own policies, which apply to its traffic only", async () => {
    const national = await req('POST', '/v1/policies', bankAdmin, { ...lenient, rules: [] });
    assert.equal(national.statusCode, 403);
    const own = await req('POST', '/v1/policies', bankAdmin, {
      id: 'bank:call',
      channel: 'call',
      institutionId: bankId,
      rules: [{ minConfidence: 0.1, action: 'block' }],
      default: 'allow',
    });
    assert.equal(own.statusCode, 201, own.body);
    const on = await req('POST', '/v1/policies/bank:call/versions/1/activate', bankAdmin);
    assert.equal(on.statusCode, 200, on.body);
    const d = await decide();
    assert.equal(d.action, 'block');
    assert.deepEqual(d.policy, { id: 'bank:call', version: 1 });
    // the centre's own decisions still follow the national policy
    const centre = await req('POST', '/v1/decisions', analyst, call('+8613800138000'));
    assert.equal(centre.json<{ policy: { id: string } }>().policy.id, 'national:call');
    // the bank's key reads national and its own policies
    const seen = await app.inject({
      method: 'GET',
      url: '/v1/policies',
      headers: { authorization: `Bearer ${bankKey}` },
    });
    assert.equal(seen.statusCode, 200, seen.body);
    assert.ok(seen.json<{ items: { id: string }[] }>().items.some((i) => i.id === 'bank:call'));
  });

  test('a second node applies a policy change through the policy.changed event', async () => {
    const other = new DecisionNode(services, { nodeId: `policies-other-${Date.now()}` });
    await other.start();
    try {
      await req('POST', '/v1/policies', supervisor, {
        ...lenient,
        rules: [],
        description: 'allow all calls',
      });
      await req('POST', '/v1/policies/national:call/versions/3/activate', supervisor);
      const t0 = Date.now();
      while (other.engine.policies.select('call', null).ref.version !== 3) {
        if (Date.now() - t0 > 3000) assert.fail('the second node did not apply version 3');
        await new Promise((r) => setTimeout(r, 10));
      }
    } finally {
      await other.stop();
    }
  });

  test('the daily decay runs on one node per day', async () => {
    assert.ok((await claimJob(services.db, 'test.job', 86_400_000, 'a')) instanceof Date);
    assert.equal(await claimJob(services.db, 'test.job', 86_400_000, 'b'), null);
    const first = await node.decayIfDue();
    assert.ok(first && first.checked >= 1, JSON.stringify(first));
    assert.equal(await node.decayIfDue(), null, 'not twice within the day');
  });
});
