import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCli } from '../helpers/cli.ts';

/** The CLI from source; this command needs no database. */
const cli = (args: string[]) => runCli(null, args);

let dir: string;
let ledger: string;
before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'interdict-cli-trace-'));
  ledger = path.join(dir, 'ledger.csv');
  fs.writeFileSync(
    ledger,
    [
      'ts,txn_id,payer_account,payee_account,amount,currency,channel',
      '2026-11-01T09:00:00+08:00,T1,6222000000000001,6222000000000002,1000.00,CNY,mobile',
      '2026-11-01T09:05:00+08:00,T2,6222000000000009,6222000000000002,500.00,CNY,mobile',
      '2026-11-01T09:10:00+08:00,T3,6222000000000002,6222000000000003,700.00,CNY,online',
      '2026-11-01T09:20:00+08:00,T4,6222000000000003,,300.00,CNY,atm',
      '2026-11-01T09:30:00+08:00,T5,6222000000000003,6222000000000004,400.00,CNY,mobile',
      'not-a-time,T6,x,y,1,CNY,mobile',
    ].join('\n') + '\n',
  );
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

test('prints the trace tree, the totals and the next stop-payments', () => {
  const r = cli(['trace', 'T1', '--ledger', ledger]);
  assert.equal(r.code, 0, r.stderr);
  // Lowest intermediate balance: the account's own 500 went first, so 200 of the victim's left.
  assert.match(r.stdout, /6222000000000002 {2}holds 800\.00/);
  assert.match(r.stdout, /└─ 200\.00 → 6222000000000003 {2}\[T3/);
  // Its 300 in cash left the 200 traced behind (the balance stayed above it); the 400 took it on.
  assert.match(r.stdout, /└─ 200\.00 → 6222000000000004 {2}\[T5, [^\]]+\] {2}holds 200\.00/);
  assert.match(r.stdout, /Stolen 1,000\.00; held 1,000\.00; beyond the hops 0\.00; cashed out 0\.00\./);
  assert.match(r.stderr, /1 ledger rows could not be read/);
});

test('--json and --rule', () => {
  const r = cli(['trace', 'T1', '--ledger', ledger, '--rule', 'fifo', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { rule: string; proposals: { account: string; amount: number }[] };
  assert.equal(out.rule, 'fifo');
  assert.deepEqual(out.proposals, [
    { account: '6222000000000004', amount: 40_000, depth: 3 },
    { account: '6222000000000002', amount: 30_000, depth: 1 },
  ]);
});

test('bad input: a clear message and a non-zero exit', () => {
  const unknown = cli(['trace', 'T9', '--ledger', ledger]);
  assert.notEqual(unknown.code, 0);
  assert.match(unknown.stderr, /not in the ledger: T9/);
  const rule = cli(['trace', 'T1', '--ledger', ledger, '--rule', 'lifo']);
  assert.notEqual(rule.code, 0);
  assert.match(rule.stderr, /lowest_balance, fifo, proportional/);
  const missing = cli(['trace', 'T1', '--ledger', path.join(dir, 'none.csv')]);
  assert.notEqual(missing.code, 0);
  assert.match(missing.stderr, /no such file/);
});

test('the ledger in the database: loading twice adds nothing, and the trace is the same as from the file', () => {
  const data = path.join(dir, 'data');
  const rejects = path.join(dir, 'rejects.tsv');
  const first = cli(['--data-dir', data, 'ledger', 'load', ledger, '--reject-file', rejects]);
  assert.equal(first.code, 1, 'a row did not read: exit 1');
  assert.match(first.stdout, /5 transactions added, 0 already in the ledger, 1 rejected/);
  assert.match(fs.readFileSync(rejects, 'utf8'), /^7\t/);
  const again = cli(['--data-dir', data, 'ledger', 'load', ledger]);
  assert.match(again.stdout, /0 transactions added, 5 already in the ledger, 1 rejected/);
  const fromDb = cli(['--data-dir', data, 'trace', 'T1', '--ledger', 'db', '--json']);
  assert.equal(fromDb.code, 0, fromDb.stderr);
  const fromFile = cli(['trace', 'T1', '--ledger', ledger, '--json']);
  assert.deepEqual(JSON.parse(fromDb.stdout), JSON.parse(fromFile.stdout));
});
