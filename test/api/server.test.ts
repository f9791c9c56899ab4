import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { testApp, seedUser, signInCookie, PASSWORD } from '../helpers/app.ts';
import type { Api, Services } from '../../src/api/types.ts';

let app: Api;
let services: Services;
let close: () => Promise<void>;
let adminCookie: string;
let analystCookie: string;
let bankAdminCookie: string;
let centreId: string;
let bankId: string;

before(async () => {
  ({ app, services, close } = await testApp({
    INTERDICT_BODY_LIMIT_BYTES: '4096',
    INTERDICT_PUBLIC_RATE_LIMIT: '5',
  }));
  ({ organisationId: centreId } = await seedUser(services, {
    org: 'Centre',
    kind: 'anti_fraud_centre',
    username: 'admin',
    roles: ['administrator'],
  }));
  await seedUser(services, {
    org: 'Centre',
    kind: 'anti_fraud_centre',
    username: 'analyst',
    roles: ['analyst'],
  });
  ({ organisationId: bankId } = await seedUser(services, {
    org: 'Bank',
    kind: 'bank',
    username: 'bank.admin',
    roles: ['administrator'],
  }));
  adminCookie = await signInCookie(app, 'admin');
  analystCookie = await signInCookie(app, 'analyst');
  bankAdminCookie = await signInCookie(app, 'bank.admin');
});
after(() => close());

function assertProblem(
  res: { statusCode: number; headers: Record<string, unknown>; json(): unknown },
  status: number,
  code: string,
) {
  assert.equal(res.statusCode, status);
  assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
  const body = res.json() as {
    status: number;
    code: string;
    type: string;
    title: string;
    detail: string;
    requestId: string;
  };
  assert.equal(body.status, status);
  assert.equal(body.code, code);
  assert.equal(body.type, `https://interdict.dev/problems/${code}`);
  assert.ok(body.title.length > 0 && body.detail.length > 0);
  assert.equal(body.requestId, res.headers['x-request-id']);
  return body;
}

describe('problem+json for bad input', () => {
  test('unknown fields are rejected with their names', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/auth/session',
      payload: { username: 'a', password: 'b', admin: true },
    });
    const body = assertProblem(res, 400, 'validation_failed') as unknown as {
      detail: string;
      errors: { path: string }[];
    };
    assert.match(body.detail, /admin/);
  });
  test('wrong types name the field', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/auth/session',
      payload: { username: 42, password: 'x' },
    });
    const body = assertProblem(res, 400, 'validation_failed') as unknown as { errors: { path: string }[] };
    assert.ok(body.errors.some((e) => e.path === 'body.username'));
  });
  test('malformed JSON', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/auth/session',
      headers: { 'content-type': 'application/json' },
      payload: '{"username": "a", ',
    });
    assertProblem(res, 400, 'malformed_json');
  });
  test('oversized bodies', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/auth/session',
      payload: { username: 'a'.repeat(10_000), password: 'x' },
    });
    assertProblem(res, 413, 'body_too_large');
  });
  test('unsupported media type', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/auth/session',
      headers: { 'content-type': 'application/xml' },
      payload: '<a/>',
    });
    assertProblem(res, 415, 'unsupported_media_type');
  });
  test('unknown routes', async () => {
    assertProblem(await app.inject({ method: 'GET', url: '/v1/nope' }), 404, 'route_not_found');
  });
  test('a given request id is echoed; a hostile one is replaced', async () => {
    const ok = await app.inject({ method: 'GET', url: '/healthz', headers: { 'x-request-id': 'abc-123' } });
    assert.equal(ok.headers['x-request-id'], 'abc-123');
    const bad = await app.inject({
      method: 'GET',
      url: '/healthz',
      headers: { 'x-request-id': 'a\u0000b<script>' },
    });
    assert.notEqual(bad.headers['x-request-id'], 'a\u0000b<script>');
    assert.match(String(bad.headers['x-request-id']), /^[0-9a-f-]{36}$/);
  });
});

describe('authentication', () => {
  test('bad credentials', async () => {
    const wrongPw = await app.inject({
      method: 'POST',
      url: '/v1/auth/session',
      payload: { username: 'admin', password: 'nope' },
    });
    assertProblem(wrongPw, 401, 'invalid_credentials');
    const noUser = await app.inject({
      method: 'POST',
      url: '/v1/auth/session',
      payload: { username: 'ghost', password: PASSWORD },
    });
    assertProblem(noUser, 401, 'invalid_credentials');
    assert.equal(noUser.json<{ detail: string }>().detail, wrongPw.json<{ detail: string }>().detail);
  });
  test('no session', async () => {
    assertProblem(await app.inject({ method: 'GET', url: '/v1/users' }), 401, 'unauthenticated');
  });
  test('a forged session cookie is no session', async () => {
    const res = await app.inject({
      method: 'GET',
      url: '/v1/auth/session',
      headers: { cookie: 'interdict_session=forged' },
    });
    assertProblem(res, 401, 'unauthenticated');
  });
  test('session shows user and organisation; sign-out ends it', async () => {
    const cookie = await signInCookie(app, 'analyst');
    const me = await app.inject({ method: 'GET', url: '/v1/auth/session', headers: { cookie } });
    assert.equal(me.statusCode, 200);
    const body = me.json<{ user: { username: string; roles: string[] }; organisation: { kind: string } }>();
    assert.equal(body.user.username, 'analyst');
    assert.deepEqual(body.user.roles, ['analyst']);
    assert.equal(body.organisation.kind, 'anti_fraud_centre');
    const out = await app.inject({ method: 'DELETE', url: '/v1/auth/session', headers: { cookie } });
    assert.equal(out.statusCode, 204);
    assertProblem(
      await app.inject({ method: 'GET', url: '/v1/auth/session', headers: { cookie } }),
      401,
      'unauthenticated',
    );
  });
  test('the session cookie is HttpOnly and SameSite=Strict', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/auth/session',
      payload: { username: 'analyst', password: PASSWORD },
    });
    const c = res.cookies.find((x) => x.name === 'interdict_session');
    assert.ok(c);
    assert.equal(c.httpOnly, true);
    assert.equal(c.sameSite, 'Strict');
  });
  test('a disabled user cannot sign in and loses open sessions', async () => {
    const { userId } = await seedUser(services, {
      org: 'Centre',
      kind: 'anti_fraud_centre',
      username: 'leaver',
      roles: ['analyst'],
    });
    const cookie = await signInCookie(app, 'leaver');
    const res = await app.inject({
      method: 'DELETE',
      url: `/v1/users/${userId}`,
      headers: { cookie: adminCookie },
    });
    assert.equal(res.statusCode, 204);
    assertProblem(
      await app.inject({ method: 'GET', url: '/v1/auth/session', headers: { cookie } }),
      401,
      'unauthenticated',
    );
    const again = await app.inject({
      method: 'POST',
      url: '/v1/auth/session',
      payload: { username: 'leaver', password: PASSWORD },
    });
    assertProblem(again, 401, 'invalid_credentials');
  });
  test('the password is never stored in clear', async () => {
    const row = await services.db
      .selectFrom('users')
      .select('password_hash')
      .where('username', '=', 'admin')
      .executeTakeFirstOrThrow();
    assert.doesNotMatch(row.password_hash, new RegExp(PASSWORD));
    assert.match(row.password_hash, /^scrypt\$32768\$8\$1\$/);
  });
});

describe('authorisation by role and organisation', () => {
  test('an analyst may not manage users or keys', async () => {
    assertProblem(
      await app.inject({ method: 'GET', url: '/v1/users', headers: { cookie: analystCookie } }),
      403,
      'forbidden',
    );
    const res = await app.inject({
      method: 'POST',
      url: '/v1/api-keys',
      headers: { cookie: analystCookie },
      payload: { name: 'x', scopes: ['listings:read'] },
    });
    assertProblem(res, 403, 'forbidden');
  });
  test("a bank's administrator sees only the bank's users and cannot create users elsewhere", async () => {
    const res = await app.inject({ method: 'GET', url: '/v1/users', headers: { cookie: bankAdminCookie } });
    assert.equal(res.statusCode, 200);
    const names = res.json<{ items: { username: string }[] }>().items.map((u) => u.username);
    assert.deepEqual(names, ['bank.admin']);
    const create = await app.inject({
      method: 'POST',
      url: '/v1/users',
      headers: { cookie: bankAdminCookie },
      payload: {
        organisationId: centreId,
        username: 'intruder',
        displayName: 'x',
        password: PASSWORD,
        roles: ['administrator'],
      },
    });
    assertProblem(create, 403, 'forbidden');
  });
  test('every /v1 route declares an access rule (checked at start-up)', async () => {
    const { buildServer } = await import('../../src/api/server.ts');
    await assert.rejects(
      buildServer(services, {
        routes: [
          (a) => {
            a.get('/v1/forgotten', async () => ({}));
          },
        ],
      }),
      /declares no access rule/,
    );
  });
});

describe('API keys', () => {
  test('created, shown once, hashed, scoped and revocable', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/api-keys',
      headers: { cookie: bankAdminCookie },
      payload: { name: 'core banking', scopes: ['listings:read'] },
    });
    assert.equal(res.statusCode, 201);
    const { id, key, prefix } = res.json<{ id: string; key: string; prefix: string }>();
    assert.match(key, /^idk_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);
    assert.equal(res.headers['cache-control'], 'no-store');
    const row = await services.db
      .selectFrom('api_keys')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    assert.equal(row.prefix, prefix);
    const secret = key.slice('idk_'.length + 12 + 1); // base64url: may itself contain '_'
    assert.ok(!row.secret_hash.includes(secret));
    assert.equal(row.organisation_id, bankId);

    const listed = await app.inject({
      method: 'GET',
      url: '/v1/api-keys',
      headers: { cookie: bankAdminCookie },
    });
    assert.ok(!listed.body.includes(secret), 'the secret is never listed');

    // a key is an institution's credential: console routes are closed to it
    const asKey = await app.inject({
      method: 'GET',
      url: '/v1/users',
      headers: { authorization: `Bearer ${key}` },
    });
    assertProblem(asKey, 403, 'forbidden');

    const revoke = await app.inject({
      method: 'DELETE',
      url: `/v1/api-keys/${id}`,
      headers: { cookie: bankAdminCookie },
    });
    assert.equal(revoke.statusCode, 204);
    const after = await app.inject({
      method: 'GET',
      url: '/v1/organisations',
      headers: { authorization: `Bearer ${key}` },
    });
    assertProblem(after, 401, 'invalid_api_key');
    const twice = await app.inject({
      method: 'DELETE',
      url: `/v1/api-keys/${id}`,
      headers: { cookie: bankAdminCookie },
    });
    assertProblem(twice, 409, 'already_revoked');
  });
  test('malformed and unknown keys are refused', async () => {
    for (const auth of ['Bearer nonsense', 'Bearer idk_000000000000_' + 'A'.repeat(43), 'Basic abc']) {
      assertProblem(
        await app.inject({ method: 'GET', url: '/v1/organisations', headers: { authorization: auth } }),
        401,
        'invalid_api_key',
      );
    }
  });
  test('unknown scopes are rejected', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/api-keys',
      headers: { cookie: adminCookie },
      payload: { name: 'x', scopes: ['everything'] },
    });
    assertProblem(res, 400, 'validation_failed');
  });
  test("another organisation's key cannot be revoked by a non-centre admin", async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/api-keys',
      headers: { cookie: adminCookie },
      payload: { name: 'centre feed', scopes: ['listings:read'] },
    });
    const { id } = res.json<{ id: string }>();
    assertProblem(
      await app.inject({ method: 'DELETE', url: `/v1/api-keys/${id}`, headers: { cookie: bankAdminCookie } }),
      404,
      'not_found',
    );
  });
  test('creating keys and users leaves audit records', async () => {
    const rows = await services.db.selectFrom('audit_log').select(['action', 'actor_name']).execute();
    const actions = new Set(rows.map((r) => r.action));
    for (const a of ['user.create', 'api_key.create', 'api_key.revoke', 'user.disable'])
      assert.ok(actions.has(a), a);
  });
});

describe('operations endpoints', () => {
  test('healthz, readyz, metrics', async () => {
    assert.equal((await app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200);
    const ready = await app.inject({ method: 'GET', url: '/readyz' });
    assert.equal(ready.statusCode, 200);
    assert.equal(ready.json<{ status: string }>().status, 'ready');
    const metrics = await app.inject({ method: 'GET', url: '/metrics' });
    assert.match(
      metrics.body,
      /interdict_http_requests_total\{method="GET",route="\/readyz",status="200"\} \d+/,
    );
    assert.match(metrics.body, /interdict_http_request_duration_seconds_bucket/);
  });
  test('the OpenAPI document is 3.1 and lists the routes with problem responses', async () => {
    const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json<{
      openapi: string;
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
    }>();
    assert.equal(doc.openapi, '3.1.0');
    assert.ok(doc.paths['/v1/auth/session']?.post);
    assert.ok(doc.paths['/v1/api-keys']?.post?.responses['403']);
    assert.ok(!doc.paths['/healthz']);
  });
  test('public routes are rate-limited per client', async () => {
    let last = 0;
    for (let i = 0; i < 6; i++) {
      const res = await app.inject({ method: 'DELETE', url: '/v1/auth/session', remoteAddress: '10.9.9.9' });
      last = res.statusCode;
      if (i < 5) assert.equal(res.statusCode, 204);
    }
    assert.equal(last, 429);
    const other = await app.inject({ method: 'DELETE', url: '/v1/auth/session', remoteAddress: '10.9.9.10' });
    assert.equal(other.statusCode, 204);
  });
});
