import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  DETECT_SEMI_SPACE_MB,
  HUGE_PAGES_TUNABLE,
  relaunchEnv,
  relaunchOptions,
} from '../../src/cli/launch.ts';
import { simulate } from '../../src/detection/simulate/index.ts';

/**
 * `bin/interdict.js` re-runs `interdict detect` with a larger young generation and huge pages for
 * malloc (src/cli/launch.ts): which commands, and that the re-run is the command as far as the
 * user can tell (its output, its exit code, its end on a signal, no process left behind).
 */

const FLAG = `--max-semi-space-size=${DETECT_SEMI_SPACE_MB}`;
const BIN = path.resolve('bin/interdict.js');

describe('which commands are re-run', () => {
  test('detect over files, with or without options before it', () => {
    assert.deepEqual(relaunchOptions(['detect', '--calls', 'c.csv', '--out', 'd'], [], undefined), [FLAG]);
    assert.deepEqual(relaunchOptions(['--data-dir', 'x', 'detect', '--out', 'd'], [], undefined), [FLAG]);
    assert.deepEqual(relaunchOptions(['detect'], [], ''), [FLAG]);
  });
  test('not its subcommands, nor other commands', () => {
    for (const args of [
      ['detect', 'score', 'd.ndjson', '--truth', 't.json'],
      ['detect', 'worker', '--partitions', '0'],
      ['simulate', '--out', 'w'],
      ['start'],
      ['--data-dir', 'detect', 'start'],
      [],
    ])
      assert.equal(relaunchOptions(args, [], undefined), null, args.join(' '));
  });
  test('not when the young generation was sized already, so the re-run does not re-run', () => {
    assert.equal(relaunchOptions(['detect'], [FLAG], undefined), null);
    assert.equal(relaunchOptions(['detect'], ['--max-semi-space-size', '32'], undefined), null);
    assert.equal(relaunchOptions(['detect'], [], '--inspect --max-semi-space-size=8'), null);
  });
  test('not under the inspector: the process being debugged runs the command', () => {
    assert.equal(relaunchOptions(['detect', '--out', 'd'], ['--inspect-brk'], undefined), null);
    assert.equal(relaunchOptions(['detect', '--out', 'd'], [], '--inspect=9230'), null);
  });
});

describe('the environment of the re-run', () => {
  test('asks malloc for huge pages, beside the tunables already set', () => {
    assert.equal(relaunchEnv({ HOME: '/h' }).GLIBC_TUNABLES, HUGE_PAGES_TUNABLE);
    assert.equal(relaunchEnv({ HOME: '/h' }).HOME, '/h');
    assert.equal(relaunchEnv({ GLIBC_TUNABLES: '' }).GLIBC_TUNABLES, HUGE_PAGES_TUNABLE);
    assert.equal(
      relaunchEnv({ GLIBC_TUNABLES: 'glibc.malloc.arena_max=2' }).GLIBC_TUNABLES,
      `glibc.malloc.arena_max=2:${HUGE_PAGES_TUNABLE}`,
    );
  });
  test('not when the user said how malloc should use huge pages: theirs stands', () => {
    for (const t of ['glibc.malloc.hugetlb=0', 'glibc.malloc.arena_max=2:glibc.malloc.hugetlb=2'])
      assert.equal(relaunchEnv({ GLIBC_TUNABLES: t }).GLIBC_TUNABLES, t);
  });
  test("the caller's environment is not changed", () => {
    const env = { GLIBC_TUNABLES: 'glibc.malloc.arena_max=2' };
    relaunchEnv(env);
    assert.deepEqual(env, { GLIBC_TUNABLES: 'glibc.malloc.arena_max=2' });
  });
});

describe('bin/interdict.js detect', () => {
  let dir: string;
  let world: string;
  const env = { ...process.env, NODE_OPTIONS: '', DATABASE_URL: '', NATS_URL: '', GLIBC_TUNABLES: '' };
  before(async () => {
    assert.ok(
      fs.existsSync(path.resolve('dist/server/cli/launch.js')),
      'the build is missing: run npm run build:server',
    );
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'interdict-launch-'));
    world = path.join(dir, 'world');
    await simulate({ people: 1000, days: 1, seed: 11, outDir: world });
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('runs the detection, with its output and exit codes', () => {
    const out = path.join(dir, 'd.ndjson');
    const args = [
      'detect',
      '--cards',
      path.join(world, 'cards.csv'),
      '--calls',
      path.join(world, 'calls.csv'),
    ];
    const ok = spawnSync(process.execPath, [BIN, ...args, '--out', out], { encoding: 'utf8', env });
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /call records, 0 transactions .* detections/);
    const lines = fs.readFileSync(out, 'utf8').trim().split('\n');
    assert.ok(lines.length > 0 && lines.every((l) => typeof JSON.parse(l).detector === 'string'));
    // A usage error in the re-run: its message and its exit code.
    const bad = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--out <file> is required/);
  });

  test('runs with the larger young generation; a SIGTERM to it ends the run too, and it ends by it', async () => {
    // A world big enough to be still running when signalled.
    const big = path.join(dir, 'big');
    await simulate({ people: 20_000, days: 2, seed: 12, outDir: big });
    const parent = spawn(
      process.execPath,
      [
        BIN,
        'detect',
        '--cards',
        path.join(big, 'cards.csv'),
        '--calls',
        path.join(big, 'calls.csv'),
        '--out',
        path.join(dir, 'big.ndjson'),
      ],
      { env, stdio: 'ignore' },
    );
    const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      parent.on('exit', (code, signal) => resolve({ code, signal })),
    );
    // The re-run: a child of the launcher, with the flag on its command line.
    let child: { pid: number; args: string } | undefined;
    for (let i = 0; i < 100 && child === undefined; i++) {
      await new Promise((r) => setTimeout(r, 50));
      const ps = spawnSync('ps', ['-o', 'pid=,args=', '--ppid', String(parent.pid)], { encoding: 'utf8' });
      const line = ps.stdout.trim().split('\n')[0]?.trim();
      if (line) child = { pid: Number(line.split(' ')[0]), args: line };
    }
    assert.ok(child !== undefined, 'the launcher started a child');
    assert.ok(child.args.includes(FLAG), child.args);
    assert.ok(child.args.includes('detect --cards'), child.args);
    // Its environment: the launcher's, with the huge pages asked for.
    const environ = fs.readFileSync(`/proc/${child.pid}/environ`, 'utf8').split('\0');
    assert.ok(environ.includes(`GLIBC_TUNABLES=${HUGE_PAGES_TUNABLE}`), environ.join(' '));
    assert.ok(environ.includes('DATABASE_URL='), 'the rest of the environment is passed on');
    parent.kill('SIGTERM');
    const end = await ended;
    assert.deepEqual(end, { code: null, signal: 'SIGTERM' });
    let gone = false;
    for (let i = 0; i < 100 && !gone; i++) {
      try {
        process.kill(child.pid, 0);
        await new Promise((r) => setTimeout(r, 50));
      } catch {
        gone = true;
      }
    }
    assert.ok(gone, 'the run ended with its launcher');
    assert.equal(fs.existsSync(path.join(dir, 'big.ndjson')), false, 'no output from a run cut short');
  });
});
