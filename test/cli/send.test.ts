import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { runCli } from '../helpers/cli.ts';
import { simulate } from '../../src/detection/simulate/index.ts';

/**
 * `interdict detect send` against a running platform (`interdict start` in another process, on its
 * own embedded data folder): files go in gzipped over HTTP, the answers are summed up per file, a
 * file sent again adds nothing, a refusal is one line and a non-zero exit, and a platform that
 * cannot be reached is tried again, then given up.
 */

/** The environment of a process of our own: not a test of the runner's (which moves its stdout). */
const ownEnv = (extra: Record<string, string>) => {
  const env: Record<string, string | undefined> = {
    ...process.env,
    DATABASE_URL: '',
    NATS_URL: '',
    LOG_LEVEL: 'warn',
    ...extra,
  };
  delete env.NODE_TEST_CONTEXT;
  return env;
};

let dir: string;
let data: string;
let server: ChildProcess | null = null;
let url = '';
let operatorKey = '';
let bankKey = '';

const keyFor = (org: string) => {
  const r = runCli(data, [
    'apikey',
    'create',
    '--org',
    org,
    '--name',
    'mediation',
    '--scopes',
    'records:write',
    '--json',
  ]);
  assert.equal(r.code, 0, r.stderr);
  return (JSON.parse(r.stdout) as { key: string }).key;
};

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'interdict-send-'));
  data = path.join(dir, 'data');
  await simulate({ people: 1000, days: 1, seed: 4, outDir: dir });
  assert.equal(runCli(data, ['demo']).code, 0);
  operatorKey = keyFor('示范移动 Demo Mobile');
  bankKey = keyFor('示范银行 Demo Bank');
  // The platform in its own process (it says where it listens on stderr): the CLI under test is
  // another one, as at an operator's site.
  server = spawn(
    process.execPath,
    ['--import', 'tsx', path.resolve('src/cli/main.ts'), '--data-dir', data, 'start'],
    {
      env: {
        ...process.env,
        DATABASE_URL: '',
        NATS_URL: '',
        PORT: '0',
        HOST: '127.0.0.1',
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`the platform did not start: ${out}`)), 120_000);
    server!.stderr!.on('data', (b: Buffer) => {
      out += b.toString();
      const m = /Interdict is running: console (http:\/\/\S+?)\/ /.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    server!.on('exit', (code) => reject(new Error(`the platform exited (${code}): ${out}`)));
  });
});

after(async () => {
  if (server && server.exitCode === null) {
    server.kill('SIGTERM');
    await new Promise((r) => server!.once('exit', r));
  }
  fs.rmSync(dir, { recursive: true, force: true });
});

/** `interdict detect send` as a separate process, the key in its environment. */
const send = (key: string, args: string[]) => detect(key, ['send', ...args]);

/** `interdict detect …` as a separate process, the key in its environment. */
const detect = (key: string, args: string[]) =>
  new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    // Not runCli: that waits synchronously, and the test process must keep running meanwhile.
    const p = spawn(
      process.execPath,
      ['--import', 'tsx', path.resolve('src/cli/main.ts'), 'detect', ...args],
      { env: ownEnv({ INTERDICT_API_KEY: key }) },
    );
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    p.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    p.on('exit', (code) => resolve({ code, stdout, stderr }));
  });

describe('interdict detect send', () => {
  test('cards and calls go in over HTTP; sent again, nothing is added; bad rows are listed by line', async () => {
    const cards = path.join(dir, 'cards.csv');
    const nCards = fs.readFileSync(cards, 'utf8').trimEnd().split('\n').length - 1;
    const c = await send(operatorKey, ['--kind', 'cards', '--url', url, cards]);
    assert.equal(c.code, 0, c.stderr);
    assert.equal(c.stdout, `${cards}: ${nCards} rows: ${nCards} published\n`);

    // The calls, with one bad row added at the end.
    const calls = path.join(dir, 'calls-bad.csv');
    const lines = fs.readFileSync(path.join(dir, 'calls.csv'), 'utf8').trimEnd().split('\n');
    const last = lines.at(-1)!.split(',');
    fs.writeFileSync(
      calls,
      [...lines, [last[0], 'voice', '12345', ...last.slice(3)].join(',')].join('\n') + '\n',
    );
    const n = lines.length - 1;
    const first = await send(operatorKey, ['--kind', 'calls', '--url', url, calls]);
    assert.equal(first.code, 0, first.stderr);
    assert.match(
      first.stdout,
      new RegExp(
        `^${calls.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: ${n + 1} rows: ${n} accepted, 1 rejected \\(1 bad\\)\\n` +
          `  line ${n + 2}: caller: not an E\\.164 number: 12345\\n` +
          `  into the stream: ${n} published \\(watermark \\S+\\)\\n$`,
      ),
    );
    const again = await send(operatorKey, ['--kind', 'calls', '--url', url, calls, '--json']);
    assert.equal(again.code, 0, again.stderr);
    const answers = JSON.parse(again.stdout) as { file: string; repeated: boolean; accepted: number }[];
    assert.deepEqual(
      answers.map((a) => [a.file, a.repeated, a.accepted]),
      [[calls, true, n]],
    );
  });

  test('a refusal is one line and exit 1; no key or a bad option exit 2; an unreachable platform is tried again, then given up', async () => {
    const calls = path.join(dir, 'calls.csv');
    const bank = await send(bankKey, ['--kind', 'calls', '--url', url, calls]);
    assert.equal(bank.code, 1);
    assert.match(bank.stderr, /^interdict: calls come from telecom operators .*\[forbidden\]\n$/);
    const noKey = await send('', ['--kind', 'calls', '--url', url, calls]);
    assert.equal(noKey.code, 2);
    assert.match(noKey.stderr, /set INTERDICT_API_KEY/);
    const kind = await send(operatorKey, ['--kind', 'cdrs', '--url', url, calls]);
    assert.equal(kind.code, 2);
    assert.match(kind.stderr, /--kind: cdrs is not one of calls, transactions, cards, accounts/);
    const missing = await send(operatorKey, ['--kind', 'calls', '--url', url, path.join(dir, 'nowhere.csv')]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /nowhere\.csv: no such file/);
    // Nothing listens on port 9 here.
    const down = await send(operatorKey, [
      '--kind',
      'calls',
      '--url',
      'http://127.0.0.1:9',
      '--tries',
      '2',
      calls,
    ]);
    assert.equal(down.code, 1);
    assert.match(
      down.stderr,
      /^interdict: calls\.csv: cannot reach http:\/\/127\.0\.0\.1:9: .*; sending again in 1 s \(try 2 of 2\)\n/,
    );
    assert.match(down.stderr, /gave up after 2 tries \[upload_failed\]\n$/);
  });
  test('detect feeds: the sender’s own feeds on the platform; --check exits 3 when one is stuck', async () => {
    // The operator's calls went in above: nothing waits; the only feed, it is the watermark.
    const own = await detect(operatorKey, ['feeds', '--url', url]);
    assert.equal(own.code, 0, own.stderr);
    assert.match(
      own.stdout,
      /^calls\/main: through (\S+Z), heard \S+Z \(HOLDING the others back\)\nwatermark: \1\n$/,
    );
    const json = await detect(operatorKey, ['feeds', '--url', url, '--json', '--check']);
    assert.equal(json.code, 0, json.stderr);
    const a = JSON.parse(json.stdout) as {
      feedIdleMs: number;
      feedStuckMs: number;
      feeds: { kind: string; stuck: boolean; holding: boolean }[];
    };
    assert.deepEqual(
      a.feeds.map((f) => [f.kind, f.stuck, f.holding]),
      [['calls', false, true]],
    );
    assert.deepEqual([a.feedIdleMs, a.feedStuckMs], [600_000, 600_000], 'the defaults: 10 minutes each');
    // The bank has sent nothing over HTTP; its key sees nothing of the operator's.
    const bank = await detect(bankKey, ['feeds', '--url', url]);
    assert.equal(bank.code, 0, bank.stderr);
    assert.equal(bank.stdout, 'no feeds: nothing has been sent over HTTP by your organisation\n');
    const noKey = await detect('', ['feeds', '--url', url]);
    assert.equal(noKey.code, 2);
    assert.match(noKey.stderr, /set INTERDICT_API_KEY/);
    const wrongKey = await detect('idk_wrong', ['feeds', '--url', url]);
    assert.equal(wrongKey.code, 1);
    assert.equal(wrongKey.stderr, 'interdict: the API key is invalid or revoked [invalid_api_key]\n');
    const down = await detect(operatorKey, ['feeds', '--url', 'http://127.0.0.1:9']);
    assert.equal(down.code, 1);
    assert.match(down.stderr, /^interdict: cannot reach http:\/\/127\.0\.0\.1:9: .*\[unreachable\]\n$/);

    // A platform that answers that a feed of this sender is stuck and holds the others back (the
    // platform's side of `stuck` is tested in test/detection/ingest.test.ts).
    const answer = {
      lastTickAt: '2026-11-02T01:59:00.000Z',
      watermark: '2026-11-02T02:00:00.000Z',
      heldByOthers: false,
      // This centre lets its feeds be quiet for 30 minutes and unmoved for 20.
      feedIdleMs: 1_800_000,
      feedStuckMs: 1_200_000,
      feeds: [
        {
          kind: 'calls',
          name: 'main',
          through: '2026-11-02T02:00:00.000Z',
          heardAt: '2026-11-02T02:41:00.000Z',
          movedAt: '2026-11-02T02:00:05.000Z',
          idle: false,
          stuck: true,
          staged: 0,
          late: 0,
          released: false,
          holding: true,
        },
        {
          kind: 'calls',
          name: 'backup',
          through: '2026-11-02T02:40:00.000Z',
          heardAt: '2026-11-02T02:40:30.000Z',
          movedAt: '2026-11-02T02:40:30.000Z',
          idle: false,
          stuck: false,
          staged: 12,
          late: 3,
          released: false,
          holding: false,
        },
      ],
    };
    let asked = '';
    const fake = http.createServer((req, res) => {
      asked = `${req.method} ${req.url} ${req.headers.authorization}`;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(answer));
    });
    await new Promise<void>((r) => fake.listen(0, '127.0.0.1', r));
    try {
      const at = `http://127.0.0.1:${(fake.address() as { port: number }).port}`;
      const checked = await detect('idk_site', ['feeds', '--url', at, '--check']);
      assert.equal(asked, 'GET /v1/detection-stream/feeds Bearer idk_site');
      assert.equal(checked.code, 3);
      assert.equal(
        checked.stdout,
        'calls/main: through 2026-11-02T02:00:00.000Z, heard 2026-11-02T02:41:00.000Z (HOLDING the others back) ' +
          '(STUCK: through has not moved since 2026-11-02T02:00:05.000Z)\n' +
          'calls/backup: through 2026-11-02T02:40:00.000Z, heard 2026-11-02T02:40:30.000Z, 12 waiting, 3 dropped as late\n' +
          'watermark: 2026-11-02T02:00:00.000Z\n',
      );
      assert.equal(checked.stderr, 'interdict: stuck: calls/main (through unmoved for 20 minutes or more)\n');
      // Without --check the same answer is exit 0: a look, not a check.
      assert.equal((await detect('idk_site', ['feeds', '--url', at])).code, 0);
    } finally {
      fake.close();
    }
  });
});
