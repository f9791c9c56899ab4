import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCli } from '../helpers/cli.ts';

const cli = runCli;

let dir: string;
before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'interdict-cli-'));
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('interdict CLI', () => {
  test('--help lists the commands', () => {
    const r = cli(dir, ['--help']);
    assert.equal(r.code, 0);
    for (const c of ['start', 'migrate', 'demo', 'user', 'apikey', 'org'])
      assert.match(r.stdout, new RegExp(`\\b${c}\\b`));
    const sub = cli(dir, ['apikey', '--help']);
    assert.match(sub.stdout, /create/);
    assert.match(sub.stdout, /revoke/);
  });

  test('migrate --json reports the database and the current migration', () => {
    const r = cli(dir, ['migrate', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { database: string; current: string };
    assert.equal(out.database, 'pglite');
    assert.match(out.current, /^\d{4}_/);
    assert.ok(fs.existsSync(path.join(dir, 'pglite')));
    assert.ok(!fs.existsSync(path.join(dir, 'interdict.lock')), 'the lock is released on exit');
  });

  test('organisations, users and API keys from the command line', () => {
    let r = cli(dir, ['org', 'create', '--name', 'Test Bank', '--kind', 'bank', '--json']);
    assert.equal(r.code, 0, r.stderr);
    r = cli(dir, [
      'user',
      'create',
      '--org',
      'Test Bank',
      '--username',
      'ops.one',
      '--roles',
      'institution_operator',
      '--json',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const created = JSON.parse(r.stdout) as { password: string };
    assert.ok(created.password.length >= 16);
    r = cli(dir, ['user', 'list', '--json']);
    const users = JSON.parse(r.stdout) as { username: string; organisation: string; roles: string[] }[];
    assert.deepEqual(
      users.find((u) => u.username === 'ops.one'),
      {
        username: 'ops.one',
        name: 'ops.one',
        organisation: 'Test Bank',
        roles: ['institution_operator'],
        disabled: '',
      },
    );
    r = cli(dir, [
      'apikey',
      'create',
      '--org',
      'Test Bank',
      '--name',
      'feed',
      '--scopes',
      'listings:read',
      '--json',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const key = JSON.parse(r.stdout) as { id: string; key: string };
    assert.match(key.key, /^idk_/);
    r = cli(dir, ['apikey', 'list', '--json']);
    assert.ok(!r.stdout.includes(key.key), 'secrets are never listed');
    r = cli(dir, ['apikey', 'revoke', key.id]);
    assert.equal(r.code, 0, r.stderr);
    r = cli(dir, ['apikey', 'revoke', key.id]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /already revoked/);
  });

  test('import listings, then check a number, a link and junk', () => {
    const file = path.join(dir, 'listings.csv');
    fs.writeFileSync(
      file,
      'kind,value,category\nphone,+86 170 5555 6666,impersonate_police\ndomain,refund-scam.example.com,customer_service_refund\nphone,garbage,loan\n',
    );
    let r = cli(dir, ['import', 'listings', file, '--source', 'analyst', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { accepted: number; rejected: number };
    assert.equal(out.accepted, 2);
    assert.equal(out.rejected, 1);
    r = cli(dir, ['check', '170-5555-6666', '--lang', 'zh']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^BLOCK {2}170-5555-6666/);
    assert.match(r.stdout, /冒充公检法/);
    r = cli(dir, ['check', 'https://www.refund-scam.example.com/pay', '--json']);
    const d = JSON.parse(r.stdout) as { action: string; kind: string };
    assert.equal(d.kind, 'url');
    assert.notEqual(d.action, 'allow');
    r = cli(dir, ['check', 'not a number']);
    assert.equal(r.code, 3, 'an unreadable value is an error for scripts');
    assert.match(r.stdout, /no phone number found/);
  });

  test('bad input gives one readable line and a non-zero exit', () => {
    let r = cli(dir, ['user', 'create', '--org', 'Test Bank', '--username', 'x.y', '--roles', 'wizard']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^interdict: unknown role: wizard/);
    r = cli(dir, ['user', 'create', '--org', 'Nowhere', '--username', 'x.y', '--roles', 'analyst']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /organisation "Nowhere" not found/);
    r = cli(dir, ['import', 'cards', 'whatever.csv', '--batch-size', '0']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--batch-size is a whole number/);
    r = cli(dir, ['apikey', 'revoke', 'not-a-uuid']);
    assert.notEqual(r.code, 0);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  });

  test('an unreachable database at start: one clear line, non-zero exit, no stack', () => {
    const r = cli(dir, ['migrate'], { env: { DATABASE_URL: 'postgres://u:hunter2@127.0.0.1:1/x' } });
    assert.equal(r.code, 1);
    const lines = r.stderr.trim().split('\n');
    assert.match(lines[0]!, /^interdict: cannot reach PostgreSQL at postgres:\/\/u:\*\*\*@127\.0\.0\.1:1\/x/);
    assert.doesNotMatch(r.stderr, /hunter2/);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  });

  test('invalid configuration names the setting and exits 2', () => {
    const r = cli(dir, ['migrate'], { env: { PORT: 'eighty' } });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /invalid configuration: PORT/);
  });
});
