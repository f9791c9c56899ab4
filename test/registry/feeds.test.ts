import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import dns from 'node:dns/promises';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { testApp, seedUser, signInCookie } from '../helpers/app.ts';
import type { Api, Services } from '../../src/api/types.ts';
import { buildServer } from '../../src/api/server.ts';
import { migrateToLatest } from '../../src/core/db/migrate.ts';
import { allMigrations } from '../../src/migrations.ts';
import { registryMigrations } from '../../src/registry/migrations.ts';
import { identityRoutes } from '../../src/identity/routes.ts';
import { feedRoutes } from '../../src/registry/feeds/routes.ts';
import { uuidv5, stixPattern } from '../../src/registry/feeds/feeds.ts';
import { lookupString } from '../../src/registry/feeds/lookup-hash.ts';
import { urlLookupExpressions, canonicalizeUrl } from '../../src/core/normalize/index.ts';

let app: Api;
let services: Services;
let close: () => Promise<void>;
let cookie: string;
let versionAfterSeed = 0;

async function addListing(
  kind: string,
  value: string,
  category: string,
  status = 'active',
  expiresAt: Date | null = null,
) {
  const r = await sql<{ version: number }>`
    insert into listings (id, kind, value, category, confidence, status, first_seen, last_seen, expires_at, version)
    values (${crypto.randomUUID()}, ${kind}, ${value}, ${category}, 0.9, ${status}, now(), now(), ${expiresAt}, nextval('listing_version_seq'))
    on conflict (kind, value) do update set status = excluded.status, version = excluded.version
    returning version`.execute(services.db);
  return Number(r.rows[0]!.version);
}

before(async () => {
  const t = await testApp();
  services = t.services;
  await migrateToLatest(services.db, { ...allMigrations, ...registryMigrations });
  app = await buildServer(services, { routes: [identityRoutes, feedRoutes] });
  await app.ready();
  close = async () => {
    await app.close();
    await t.close();
  };
  await seedUser(services, {
    org: 'Centre',
    kind: 'anti_fraud_centre',
    username: 'analyst',
    roles: ['analyst'],
  });
  cookie = await signInCookie(app, 'analyst');
  await addListing('domain', 'bad.example', 'customer_service_refund');
  await addListing('domain', 'xn--pple-43d.com', 'shopping'); // аpple.com with a Cyrillic а
  await addListing('url', 'evil.example/login/', 'impersonate_police');
  await addListing('phone', '+8613800138000', 'impersonate_police');
  await addListing('ip', '198.51.100.7', 'other');
  await addListing('domain', 'expired.example', 'loan', 'active', new Date(Date.now() - 60_000));
  versionAfterSeed = await addListing('domain', 'gone.example', 'loan', 'delisted');
});
after(() => close());

describe('feeds', () => {
  test('CSV and NDJSON feeds hold the active listings only', async () => {
    const csv = await app.inject({ method: 'GET', url: '/v1/feeds/listings.csv', headers: { cookie } });
    assert.equal(csv.statusCode, 200);
    assert.match(String(csv.headers['content-type']), /^text\/csv/);
    const lines = csv.body.trim().split('\n');
    assert.equal(lines[0], 'op,kind,value,category,confidence,status,expires_at,version');
    const values = lines.slice(1).map((l) => l.split(',')[2]);
    assert.deepEqual(values.sort(), [
      '+8613800138000',
      '198.51.100.7',
      'bad.example',
      'evil.example/login/',
      'xn--pple-43d.com',
    ]);
    const nd = await app.inject({ method: 'GET', url: '/v1/feeds/listings.ndjson', headers: { cookie } });
    const rows = nd.body
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { op: string; value: string; confidence: number });
    assert.equal(rows.length, 5);
    assert.ok(rows.every((r) => r.op === 'add' && r.confidence === 0.9));
  });

  test('the incremental feed carries changes after a version, removals included', async () => {
    const v = await addListing('domain', 'new.example', 'prize');
    await addListing('domain', 'bad.example', 'customer_service_refund', 'delisted');
    const nd = await app.inject({
      method: 'GET',
      url: `/v1/feeds/listings.ndjson?since=${versionAfterSeed}`,
      headers: { cookie },
    });
    const rows = nd.body
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { op: string; value: string; version: number });
    assert.deepEqual(
      rows.map((r) => [r.op, r.value]),
      [
        ['add', 'new.example'],
        ['remove', 'bad.example'],
      ],
    );
    assert.ok(rows[0]!.version === v && rows[1]!.version > v);
    const none = await app.inject({
      method: 'GET',
      url: `/v1/feeds/listings.ndjson?since=${rows[1]!.version}`,
      headers: { cookie },
    });
    assert.equal(none.body, '');
    const bad = await app.inject({
      method: 'GET',
      url: '/v1/feeds/listings.ndjson?since=-1',
      headers: { cookie },
    });
    assert.equal(bad.statusCode, 400);
    // put it back for the next tests
    await addListing('domain', 'bad.example', 'customer_service_refund', 'active');
  });

  test('feeds need an analyst or a key with listings:read', async () => {
    assert.equal((await app.inject({ method: 'GET', url: '/v1/feeds/rpz.zone' })).statusCode, 401);
  });

  test('the STIX 2.1 bundle has deterministic ids and valid patterns', async () => {
    const res = await app.inject({ method: 'GET', url: '/v1/feeds/stix.json', headers: { cookie } });
    const bundle = res.json<{
      type: string;
      objects: { type: string; id: string; pattern?: string; spec_version: string }[];
    }>();
    assert.equal(bundle.type, 'bundle');
    assert.equal(bundle.objects[0]!.type, 'identity');
    const indicators = bundle.objects.filter((o) => o.type === 'indicator');
    assert.equal(indicators.length, 6);
    assert.ok(indicators.every((o) => o.spec_version === '2.1' && /^indicator--[0-9a-f-]{36}$/.test(o.id)));
    assert.ok(indicators.some((o) => o.pattern === "[domain-name:value = 'bad.example']"));
    assert.ok(indicators.some((o) => o.pattern === "[ipv4-addr:value = '198.51.100.7']"));
    assert.equal(uuidv5('x'), uuidv5('x'));
    assert.match(uuidv5('x'), /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(
      stixPattern({
        id: 'i',
        kind: 'domain',
        value: "o'brien.example",
        category: 'other',
        confidence: 1,
        status: 'active',
        expiresAt: null,
        version: 1,
      }),
      "[domain-name:value = 'o\\'brien.example']",
    );
  });

  test('the RPZ zone blocks listed domains in a real Unbound, and leaves others alone', async (t) => {
    const res = await app.inject({ method: 'GET', url: '/v1/feeds/rpz.zone', headers: { cookie } });
    assert.match(res.body, /^bad\.example CNAME \.$/m);
    assert.match(res.body, /^\*\.bad\.example CNAME \.$/m);
    assert.match(res.body, /^32\.7\.100\.51\.198\.rpz-ip CNAME \.$/m);
    assert.doesNotMatch(res.body, /expired\.example|gone\.example/);
    if (spawnSync('which', ['unbound']).status !== 0) {
      t.skip('unbound is not installed (apt-get install unbound)');
      return;
    }
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'interdict-rpz-'));
    const port = await freePort();
    fs.writeFileSync(path.join(dir, 'interdict.rpz'), res.body);
    // The names resolve from a local authoritative zone, as if from the internet.
    fs.writeFileSync(
      path.join(dir, 'example.zone'),
      '$TTL 300\n$ORIGIN example.\n@ SOA localhost. h.localhost. 1 3600 600 604800 300\n@ NS localhost.\ngood A 192.0.2.1\nbad A 192.0.2.2\nwww.bad A 192.0.2.3\n',
    );
    fs.writeFileSync(
      path.join(dir, 'unbound.conf'),
      [
        'server:',
        '  interface: 127.0.0.1',
        `  port: ${port}`,
        '  do-daemonize: no',
        '  use-syslog: no',
        '  username: ""',
        '  chroot: ""',
        `  directory: "${dir}"`,
        '  pidfile: ""',
        '  do-ip6: no',
        '  module-config: "respip validator iterator"',
        'auth-zone:',
        '  name: "example."',
        `  zonefile: "${dir}/example.zone"`,
        '  for-downstream: no',
        '  for-upstream: yes',
        '  fallback-enabled: no',
        'rpz:',
        '  name: rpz.interdict.local',
        `  zonefile: "${dir}/interdict.rpz"`,
        '',
      ].join('\n'),
    );
    const check = spawnSync('unbound-checkconf', [path.join(dir, 'unbound.conf')], { encoding: 'utf8' });
    assert.equal(check.status, 0, check.stderr + check.stdout);
    const unbound = spawn('unbound', ['-c', path.join(dir, 'unbound.conf')], { stdio: 'ignore' });
    try {
      const resolver = new dns.Resolver({ timeout: 2000, tries: 1 });
      resolver.setServers([`127.0.0.1:${port}`]);
      let good: string[] = [];
      for (let i = 0; i < 50 && good.length === 0; i++) {
        good = await resolver.resolve4('good.example').catch(() => []);
        if (good.length === 0) await new Promise((r) => setTimeout(r, 100));
      }
      assert.deepEqual(good, ['192.0.2.1'], 'an unlisted name resolves');
      await assert.rejects(resolver.resolve4('bad.example'), { code: 'ENOTFOUND' });
      await assert.rejects(resolver.resolve4('www.bad.example'), { code: 'ENOTFOUND' });
    } finally {
      unbound.kill('SIGTERM');
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('privacy-preserving lookup', () => {
  test('a client finds a listed link and number by hash prefix, without sending them', async () => {
    const res = await app.inject({ method: 'GET', url: '/v1/lookup/prefixes' });
    assert.equal(res.statusCode, 200);
    const body = res.json<{ prefixLength: number; count: number; prefixes: string }>();
    assert.equal(body.prefixLength, 4);
    const list = Buffer.from(body.prefixes, 'base64');
    assert.equal(list.length, body.count * 4);
    const has = (prefix: Buffer) => {
      for (let i = 0; i < list.length; i += 4) if (list.subarray(i, i + 4).equals(prefix)) return true;
      return false;
    };
    const hashOf = (s: string) => crypto.createHash('sha256').update(s).digest();

    // The client canonicalises the link it holds and hashes each lookup expression.
    const link = canonicalizeUrl('https://a.b.evil.example/login/reset?x=1');
    assert.ok(link.ok);
    const hits = urlLookupExpressions(link)
      .map(hashOf)
      .filter((h) => has(h.subarray(0, 4)));
    assert.equal(hits.length, 1, 'one expression (evil.example/login/) is listed');
    const full = await app.inject({
      method: 'POST',
      url: '/v1/lookup/full-hashes',
      payload: { prefixes: hits.map((h) => h.subarray(0, 4).toString('hex')) },
    });
    const matches = full.json<{ matches: { hash: string; category: string }[] }>().matches;
    assert.ok(
      matches.some((m) => m.hash === hits[0]!.toString('hex') && m.category === 'impersonate_police'),
    );

    // a domain listing matches every link under it; an unlisted link matches nothing
    const under = canonicalizeUrl('http://shop.bad.example/anything');
    assert.ok(under.ok);
    assert.ok(urlLookupExpressions(under).some((e) => has(hashOf(e).subarray(0, 4))));
    const clean = canonicalizeUrl('https://www.example.org/');
    assert.ok(clean.ok);
    assert.ok(!urlLookupExpressions(clean).some((e) => has(hashOf(e).subarray(0, 4))));
    assert.ok(has(hashOf(lookupString('phone', '+8613800138000')).subarray(0, 4)));
  });

  test('full-hash requests are validated', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/lookup/full-hashes',
      payload: { prefixes: ['+8613800138000'] },
    });
    assert.equal(res.statusCode, 400);
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}
