import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Api, Services } from '../../src/api/types.ts';
import { SYSTEM } from '../../src/core/audit.ts';
import { createApiKey } from '../../src/identity/service.ts';
import { seedUser, signInCookie, testApp } from '../helpers/app.ts';

let app: Api;
let services: Services;
let closeAll: () => Promise<void>;
const cookie: Record<string, string> = {};
let bank: string;
let writeKey: string;
let readKey: string;

before(async () => {
  ({ app, services, close: closeAll } = await testApp());
  const users: [string, 'anti_fraud_centre' | 'bank', string, Parameters<typeof seedUser>[1]['roles']][] = [
    ['Centre', 'anti_fraud_centre', 'ana', ['analyst']],
    ['Centre', 'anti_fraud_centre', 'sup', ['supervisor']],
    ['Centre', 'anti_fraud_centre', 'aud', ['auditor']],
    ['Centre', 'anti_fraud_centre', 'adm', ['administrator']],
    ['Bank', 'bank', 'teller', ['institution_operator']],
    ['Bank', 'bank', 'bankanalyst', ['analyst']],
  ];
  for (const [org, kind, username, roles] of users) {
    const r = await seedUser(services, { org, kind, username, roles });
    if (org === 'Bank') bank = r.organisationId;
    cookie[username] = await signInCookie(app, username);
  }
  writeKey = (
    await createApiKey(services.db, services.bus, SYSTEM, {
      organisationId: bank,
      name: 'bank-feed',
      scopes: ['listings:write', 'listings:read'],
    })
  ).key;
  readKey = (
    await createApiKey(services.db, services.bus, SYSTEM, {
      organisationId: bank,
      name: 'bank-read',
      scopes: ['listings:read'],
    })
  ).key;
});
after(async () => closeAll());

type Who = string | { key: string };
function call(who: Who, method: 'GET' | 'POST' | 'PATCH' | 'DELETE' | 'PUT', url: string, payload?: unknown) {
  const headers: Record<string, string> =
    typeof who === 'string' ? { cookie: cookie[who]! } : { authorization: `Bearer ${who.key}` };
  return app.inject({
    method,
    url,
    headers,
    ...(payload !== undefined ? { payload: payload as object } : {}),
  });
}

describe('registry routes', () => {
  let listingId: string;

  test('an analyst lists a number; the answer is the canonical listing', async () => {
    const res = await call('ana', 'POST', '/v1/listings', {
      kind: 'phone',
      value: '138 0013 8000',
      category: 'impersonate_police',
      evidence: ['case:CASE-2026-0042'],
    });
    assert.equal(res.statusCode, 201, res.body);
    const body = res.json();
    assert.equal(body.outcome, 'listed');
    assert.equal(body.listing.value, '+8613800138000');
    assert.equal(body.listing.confidence, 0.95);
    assert.equal(body.listing.status, 'active');
    listingId = body.listing.id;
    const audit = await services.db
      .selectFrom('audit_log')
      .select(['action', 'request_id', 'actor_name'])
      .where('target_id', '=', listingId)
      .executeTakeFirstOrThrow();
    assert.equal(audit.action, 'listing.list');
    assert.equal(audit.actor_name, 'ana');
    assert.equal(audit.request_id, res.headers['x-request-id']);
  });

  test('unknown fields, unknown categories and unparseable values are 400 with the reason', async () => {
    const unknown = await call('ana', 'POST', '/v1/listings', {
      kind: 'phone',
      value: '13800138000',
      category: 'loan',
      confidence: 1,
    });
    assert.equal(unknown.statusCode, 400);
    assert.equal(unknown.json().code, 'validation_failed');
    assert.match(unknown.json().detail, /(Unrecognized key|unknown field).*confidence/);
    const cat = await call('ana', 'POST', '/v1/listings', {
      kind: 'phone',
      value: '13800138000',
      category: 'aliens',
    });
    assert.equal(cat.statusCode, 400);
    const bad = await call('ana', 'POST', '/v1/listings', {
      kind: 'phone',
      value: 'ring ring',
      category: 'loan',
    });
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.headers['content-type'], 'application/problem+json; charset=utf-8');
    assert.equal(bad.json().code, 'phone_unparseable');
    assert.match(bad.json().detail, /no phone number found/);
    const dom = await call('ana', 'POST', '/v1/listings', { kind: 'domain', value: 'com', category: 'loan' });
    assert.equal(dom.json().code, 'domain_no_registrable');
  });

  test("an institution's API key corroborates with institution trust", async () => {
    const res = await call({ key: writeKey }, 'POST', '/v1/listings', {
      kind: 'phone',
      value: '+86 138-0013-8000',
      category: 'loan',
    });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().outcome, 'corroborated');
    assert.equal(
      res.json().listing.category,
      'impersonate_police',
      'an institution does not change the category',
    );
    assert.equal(res.json().listing.confidence, 0.99);
    const detail = await call('sup', 'GET', `/v1/listings/${listingId}`);
    assert.equal(detail.statusCode, 200, detail.body);
    const sources = detail.json().sources as { kind: string; organisationId: string | null }[];
    assert.deepEqual(sources.map((s) => s.kind).sort(), ['analyst', 'institution']);
    assert.equal(sources.find((s) => s.kind === 'institution')!.organisationId, bank);
  });

  test('who may list: not a read-only key, not an institution user, not a bank analyst', async () => {
    const body = { kind: 'phone', value: '13900139001', category: 'loan' };
    assert.equal((await call({ key: readKey }, 'POST', '/v1/listings', body)).statusCode, 403);
    assert.equal((await call('teller', 'POST', '/v1/listings', body)).statusCode, 403);
    assert.equal((await call('bankanalyst', 'POST', '/v1/listings', body)).statusCode, 403);
    assert.equal((await call('aud', 'POST', '/v1/listings', body)).statusCode, 403);
    const anon = await app.inject({ method: 'POST', url: '/v1/listings', payload: body });
    assert.equal(anon.statusCode, 401);
  });

  test('search and read: the centre sees everything, a key sees no other organisation’s sources', async () => {
    const byAuditor = await call('aud', 'GET', '/v1/listings?q=13800138000');
    assert.equal(byAuditor.statusCode, 200);
    assert.deepEqual(
      byAuditor.json().items.map((i: { id: string }) => i.id),
      [listingId],
    );
    const byKey = await call({ key: readKey }, 'GET', `/v1/listings?kind=phone&status=active&limit=10`);
    assert.equal(byKey.statusCode, 200);
    assert.equal(byKey.json().items.length, 1);
    const detail = await call({ key: readKey }, 'GET', `/v1/listings/${listingId}`);
    assert.equal(detail.statusCode, 200);
    const d = detail.json();
    const analystSource = d.sources.find((s: { kind: string }) => s.kind === 'analyst');
    assert.equal(analystSource.organisationId, null);
    assert.equal(analystSource.reporterRef, '');
    assert.equal(d.history[0].actorName, '', 'the centre’s staff are not named to institutions');
    assert.equal(d.history[1].actorName, 'bank-feed', 'its own changes are');
    assert.equal((await call('teller', 'GET', '/v1/listings')).statusCode, 403);
    assert.equal((await call('bankanalyst', 'GET', '/v1/listings')).statusCode, 403);
    assert.equal(
      (await call('ana', 'GET', '/v1/listings/00000000-0000-4000-8000-000000000000')).statusCode,
      404,
    );
  });

  test('change and delist: analysts and supervisors of the centre, with a reason', async () => {
    const noReason = await call('ana', 'PATCH', `/v1/listings/${listingId}`, { category: 'loan' });
    assert.equal(noReason.statusCode, 400);
    const extra = await call('ana', 'PATCH', `/v1/listings/${listingId}`, {
      category: 'loan',
      reason: 'x',
      version: 3,
    });
    assert.equal(extra.statusCode, 400);
    assert.match(extra.json().detail, /(Unrecognized key|unknown field).*version/);
    const ch = await call('ana', 'PATCH', `/v1/listings/${listingId}`, {
      status: 'under_appeal',
      reason: 'appeal APL-2026-0001 received',
    });
    assert.equal(ch.statusCode, 200, ch.body);
    assert.equal(ch.json().status, 'under_appeal');

    assert.equal(
      (await call('teller', 'POST', `/v1/listings/${listingId}/delist`, { reason: 'mine' })).statusCode,
      403,
    );
    assert.equal(
      (await call({ key: writeKey }, 'POST', `/v1/listings/${listingId}/delist`, { reason: 'x' })).statusCode,
      403,
    );
    assert.equal(
      (await call('aud', 'POST', `/v1/listings/${listingId}/delist`, { reason: 'x' })).statusCode,
      403,
    );
    const d = await call('ana', 'POST', `/v1/listings/${listingId}/delist`, { reason: 'appeal upheld' });
    assert.equal(d.statusCode, 200, d.body);
    assert.equal(d.json().status, 'delisted');
    const again = await call('sup', 'POST', `/v1/listings/${listingId}/delist`, { reason: 'again' });
    assert.equal(again.statusCode, 409);
    assert.equal(again.json().code, 'already_delisted');
    const detail = (await call('sup', 'GET', `/v1/listings/${listingId}`)).json();
    assert.deepEqual(
      detail.history.map((h: { action: string }) => h.action),
      ['listed', 'corroborated', 'appeal_opened', 'delisted'],
    );
  });

  test('a protected number goes to review; supervisors decide', async () => {
    const res = await call({ key: writeKey }, 'POST', '/v1/listings', {
      kind: 'phone',
      value: '95588',
      category: 'loan',
    });
    assert.equal(res.statusCode, 202, res.body);
    assert.equal(res.json().outcome, 'review');
    assert.equal(res.json().reason, 'protected_indicator');
    assert.equal(res.json().listing, null);
    const reviewId = res.json().reviewId as string;

    assert.equal((await call('ana', 'GET', '/v1/reviews')).statusCode, 403);
    const q = await call('sup', 'GET', '/v1/reviews');
    assert.equal(q.statusCode, 200);
    assert.ok(
      q
        .json()
        .items.some((r: { id: string; value: string }) => r.id === reviewId && r.value === 'short:CN:95588'),
      'the review is in the queue',
    );
    assert.equal((await call('aud', 'GET', `/v1/reviews/${reviewId}`)).statusCode, 200);
    const byAnalyst = await call('ana', 'POST', `/v1/reviews/${reviewId}/decision`, {
      decision: 'reject',
      reason: 'x',
    });
    assert.equal(byAnalyst.statusCode, 403);
    const accept = await call('sup', 'POST', `/v1/reviews/${reviewId}/decision`, {
      decision: 'accept',
      reason: 'spoof',
    });
    assert.equal(accept.statusCode, 409);
    assert.equal(accept.json().code, 'still_protected');
    const reject = await call('sup', 'POST', `/v1/reviews/${reviewId}/decision`, {
      decision: 'reject',
      reason: 'ICBC’s real hotline',
    });
    assert.equal(reject.statusCode, 200, reject.body);
    assert.equal(reject.json().review.status, 'rejected');
    assert.equal(reject.json().review.decidedBy, 'sup');
  });

  test('the allowlist: the centre reads it, supervisors and administrators change it', async () => {
    const list = await call('ana', 'GET', '/v1/allowlist?kind=phone&q=110');
    assert.equal(list.statusCode, 200);
    assert.ok(
      list.json().items.some((i: { value: string }) => i.value === 'short:CN:110'),
      'the seed protects 110',
    );
    const body = { kind: 'phone', value: '0755-8888 8888', label: 'A bank branch line' };
    assert.equal((await call('ana', 'POST', '/v1/allowlist', body)).statusCode, 403);
    assert.equal((await call('teller', 'GET', '/v1/allowlist')).statusCode, 403);
    const added = await call('sup', 'POST', '/v1/allowlist', body);
    assert.equal(added.statusCode, 201, added.body);
    assert.equal(added.json().value, '+8675588888888');
    const dup = await call('adm', 'POST', '/v1/allowlist', body);
    assert.equal(dup.statusCode, 409);
    const listed = await call({ key: writeKey }, 'POST', '/v1/listings', {
      kind: 'phone',
      value: '+86 755 8888 8888',
      category: 'loan',
    });
    assert.equal(listed.statusCode, 202);
    const del = await call('adm', 'DELETE', `/v1/allowlist/${added.json().id}?reason=closed`);
    assert.equal(del.statusCode, 204);
    assert.equal((await call('adm', 'DELETE', `/v1/allowlist/${added.json().id}`)).statusCode, 404);

    const brands = await call('aud', 'GET', '/v1/allowlist/brands');
    assert.ok(
      brands.json().items.some((b: { brand: string }) => b.brand === 'ICBC'),
      'the seed protects ICBC',
    );
    const put = await call('sup', 'PUT', '/v1/allowlist/brands/Example%20Bank', {
      domains: ['www.examplebank.com'],
    });
    assert.equal(put.statusCode, 200, put.body);
    assert.deepEqual(put.json().domains, ['examplebank.com']);
    const check = await call('ana', 'POST', '/v1/lookalikes/check', { value: 'examp1ebank.com' });
    assert.equal(check.json().matches[0].brand, 'Example Bank');
    assert.equal((await call('sup', 'DELETE', '/v1/allowlist/brands/Example%20Bank')).statusCode, 204);
  });

  test('look-alike check', async () => {
    const res = await call('ana', 'POST', '/v1/lookalikes/check', { value: 'https://аpple.com/id' });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().host, 'xn--pple-43d.com');
    assert.equal(res.json().unicodeHost, 'аpple.com');
    assert.deepEqual(res.json().matches, [{ brand: 'Apple', domain: 'apple.com', reason: 'idn_homoglyph' }]);
    const key = await call({ key: readKey }, 'POST', '/v1/lookalikes/check', {
      value: 'icbc.com.cn.login.example',
    });
    assert.equal(key.json().matches[0].reason, 'brand_in_subdomain');
    const none = await call('ana', 'POST', '/v1/lookalikes/check', { value: 'icbc.com.cn' });
    assert.deepEqual(none.json().matches, []);
    const bad = await call('ana', 'POST', '/v1/lookalikes/check', { value: '10.0.0.1' });
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.json().code, 'invalid_host');
    assert.equal((await call('teller', 'POST', '/v1/lookalikes/check', { value: 'x.com' })).statusCode, 403);
  });

  test('the OpenAPI document states who may call each route', async () => {
    const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json();
    const post = doc.paths['/v1/listings'].post;
    assert.match(post['x-access'], /analyst, supervisor; API key with scope listings:write/);
    assert.ok(doc.paths['/v1/reviews/{id}/decision'], 'the decision route is documented');
    assert.ok(doc.components.schemas.Listing, 'the Listing schema is a component');
  });
});
