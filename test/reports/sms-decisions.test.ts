import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { testApp, seedUser, signInCookie } from '../helpers/app.ts';
import type { Api, Services } from '../../src/api/types.ts';
import type { DecisionNode } from '../../src/registry/decisions.ts';
import { SYSTEM } from '../../src/core/audit.ts';
import { createApiKey } from '../../src/identity/service.ts';
import { DecisionEngine, DEFAULT_POLICIES, type Policy } from '../../src/registry/engine/index.ts';
import { collectScamTexts } from '../../src/reports/candidates.ts';

let app: Api;
let services: Services;
let node: DecisionNode;
let close: () => Promise<void>;
let key: string;
let supervisor: string;

// Written in the manner of the corpus's scam scripts (a caller's words); an SMS styled as an
// operator notice with a 【…】 tag reads as normal to the shipped model (docs/classifier.md, limits).
const SCAM =
  '我是北京市公安局的警官，你的银行卡涉嫌洗钱，现在需要你配合调查，登录 http://safe-check.example.top/verify 把钱转到安全账户';
const NORMAL = '【示范移动】您本月话费账单已出，应缴 58.00 元，可登录掌上营业厅查询明细。';

before(async () => {
  ({ app, services, node, close } = await testApp());
  const { organisationId } = await seedUser(services, {
    org: 'Mobile',
    kind: 'telecom_operator',
    username: 'op',
    roles: ['administrator'],
  });
  await seedUser(services, {
    org: 'Centre',
    kind: 'anti_fraud_centre',
    username: 'sup',
    roles: ['supervisor'],
  });
  supervisor = await signInCookie(app, 'sup');
  key = (
    await createApiKey(services.db, services.bus, SYSTEM, {
      organisationId,
      name: 'sms-gateway',
      scopes: ['decisions:write'],
    })
  ).key;
  await node.start();
  await services.bus.start();
});
after(() => close());

const sms = async (content: string, sender = '+8617012345678') => {
  const r = await app.inject({
    method: 'POST',
    url: '/v1/decisions',
    headers: { authorization: `Bearer ${key}` },
    payload: { kind: 'sms', parties: [{ role: 'sender', kind: 'phone', value: sender }], content },
  });
  assert.equal(r.statusCode, 200, r.body);
  return r.json<{
    action: string;
    reasons: { code: string; zh: string; en: string }[];
    content?: { label: string; probability: number };
  }>();
};

describe('the classifier in SMS decisions', () => {
  test('a scam text from an unlisted sender is warned about, with the reason in both languages', async () => {
    const d = await sms(SCAM);
    assert.equal(d.action, 'warn', JSON.stringify(d));
    assert.equal(d.content?.label, 'impersonate_police');
    const r = d.reasons.find((x) => x.code === 'scam_text');
    assert.ok(r, JSON.stringify(d.reasons));
    assert.match(r.zh, /短信内容疑似/);
    assert.match(r.en, /police/i);
  });

  test('an ordinary operator notice is allowed and carries no reading', async () => {
    const d = await sms(NORMAL);
    assert.equal(d.action, 'allow');
    assert.equal(d.content, undefined);
  });

  test('the links in scam texts become listing candidates that never list themselves', async () => {
    await sms(SCAM, '+8617012340000');
    const n = await collectScamTexts(services.db, node.drainScamTexts());
    assert.ok(n >= 1);
    const c = await services.db
      .selectFrom('listing_candidates')
      .selectAll()
      .where('kind', '=', 'url')
      .where('value', 'like', 'safe-check.example.top/%')
      .executeTakeFirstOrThrow();
    assert.equal(c.scam_texts, 2, 'both scam texts counted');
    assert.equal(c.status, 'collecting');
    assert.equal(c.listing_id, null);
    const listed = await services.db
      .selectFrom('listings')
      .select('id')
      .where('value', 'like', 'safe-check.example.top%')
      .execute();
    assert.equal(listed.length, 0);
  });

  test('a policy without content rules ignores the text', async () => {
    const sms1 = DEFAULT_POLICIES.find((p) => p.id === 'national:sms')!;
    const created = await app.inject({
      method: 'POST',
      url: '/v1/policies',
      headers: { cookie: supervisor },
      payload: {
        id: sms1.id,
        channel: 'sms',
        institutionId: null,
        rules: sms1.rules,
        default: sms1.default,
        description: 'listings only',
      },
    });
    assert.equal(created.statusCode, 201, created.body);
    const on = await app.inject({
      method: 'POST',
      url: '/v1/policies/national:sms/versions/2/activate',
      headers: { cookie: supervisor },
    });
    assert.equal(on.statusCode, 200, on.body);
    const d = await sms(SCAM);
    assert.equal(d.action, 'allow');
    assert.equal(d.content, undefined);
  });
});

describe('content rules in the engine', () => {
  const policy: Policy = {
    id: 'p',
    version: 1,
    channel: 'sms',
    institutionId: null,
    rules: [],
    default: 'allow',
    contentRules: [
      { categories: ['loan'], minProbability: 0.5, action: 'review', reason: 'loan_text' },
      { minProbability: 0.9, action: 'warn' },
    ],
  };
  const engine = new DecisionEngine({
    classifier: (text) =>
      text.includes('loan') ? { label: 'loan', probability: 0.6 } : { label: 'prize', probability: 0.95 },
  });
  const ev = (content: string) => ({ kind: 'sms' as const, parties: [], content });

  test('the first content rule covering the reading decides; shadows compare on it too', () => {
    const a = engine.decide(ev('cheap loan'), { policy });
    assert.equal(a.action, 'review');
    assert.equal(a.reasons[0]!.code, 'loan_text');
    const b = engine.decide(ev('you won'), { policy });
    assert.equal(b.action, 'warn');
    assert.deepEqual(b.content, { label: 'prize', probability: 0.95 });
    const shadow = engine.replayShadow(
      [ev('you won'), ev('cheap loan')],
      { ...policy, version: 2, contentRules: [] },
      { policy },
    );
    assert.equal(shadow.changed, 2);
  });

  test('a call is never classified, nor an SMS without text', () => {
    let calls = 0;
    const e = new DecisionEngine({
      classifier: () => {
        calls++;
        return { label: 'prize', probability: 1 };
      },
    });
    e.decide({ kind: 'call', parties: [], content: 'you won' }, { policy: { ...policy, channel: '*' } });
    e.decide({ kind: 'sms', parties: [] }, { policy });
    assert.equal(calls, 0);
  });

  test('invalid content rules are refused', async () => {
    const bad = await app.inject({
      method: 'POST',
      url: '/v1/policies',
      headers: { cookie: supervisor },
      payload: {
        id: 'national:sms',
        channel: 'sms',
        institutionId: null,
        rules: [],
        default: 'allow',
        contentRules: [{ minProbability: 2, action: 'warn' }],
      },
    });
    assert.equal(bad.statusCode, 400);
  });
});
