import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCli } from '../helpers/cli.ts';

const cli = runCli;

const T0 = Date.parse('2026-11-02T08:00:00+08:00');
const line = (o: object) => JSON.stringify(o) + '\n';

let dir: string;
let file: string;
before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'interdict-cli-detections-'));
  file = path.join(dir, 'detections.ndjson');
  fs.writeFileSync(
    file,
    line({
      detector: 'simbox',
      subjectKind: 'msisdn',
      subject: '+8613399854505',
      score: 0.95,
      window: { from: T0, to: T0 + 3_600_000 },
      evidence: { imei: '356938035643809', cells: ['110105-0001'] },
    }) +
      line({
        detector: 'potential_victim',
        subjectKind: 'holder',
        subject: '11010519491231002X',
        score: 0.9,
        window: { from: T0, to: T0 + 600_000 },
        evidence: { newPayee: true },
      }),
  );
  // The CLI acts for the anti-fraud centre; the detections come from an operator's data.
  for (const [name, kind] of [
    ['Centre', 'anti_fraud_centre'],
    ['Telco', 'telecom_operator'],
  ])
    assert.equal(cli(dir, ['org', 'create', '--name', name!, '--kind', kind!]).code, 0);
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('interdict detections', () => {
  test('store is idempotent; list, confirm and a second decision behave', () => {
    const first = cli(dir, ['detections', 'store', file, '--org', 'Telco', '--json']);
    assert.equal(first.code, 0, first.stderr);
    assert.deepEqual(JSON.parse(first.stdout), { stored: 2, duplicates: 0, suppressed: 0 });
    const again = cli(dir, ['detections', 'store', file, '--org', 'Telco', '--json']);
    assert.deepEqual(JSON.parse(again.stdout), { stored: 0, duplicates: 2, suppressed: 0 });

    const list = cli(dir, ['detections', 'list', '--json']);
    const items = JSON.parse(list.stdout) as { id: string; detector: string; subject: string }[];
    assert.deepEqual(items.map((i) => i.detector).sort(), ['potential_victim', 'simbox']);
    assert.ok(!list.stdout.includes('11010519491231002X'), 'the holder is masked');
    const simbox = items.find((i) => i.detector === 'simbox')!;

    const ok = cli(dir, ['detections', 'confirm', simbox.id, '--reason', '64 IMSIs through one IMEI']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /confirmed, listed as [0-9a-f-]{36}/);
    const twice = cli(dir, ['detections', 'reject', simbox.id, '--reason', 'no']);
    assert.equal(twice.code, 1);
    assert.match(twice.stderr, /confirmed already/);
    const check = cli(dir, ['check', '+8613399854505', '--kind', 'phone', '--json']);
    assert.match(check.stdout, /sim_box/);
  });

  test('a bad line stops the file before anything is stored, naming the line', () => {
    const bad = path.join(dir, 'bad.ndjson');
    fs.writeFileSync(
      bad,
      line({
        detector: 'mule_account',
        subjectKind: 'account',
        subject: '6222020000000001',
        score: 0.8,
        window: { from: T0, to: T0 + 1 },
        evidence: {},
      }) +
        line({
          detector: 'mule_account',
          subjectKind: 'account',
          subject: 'x',
          score: 7,
          window: { from: 1, to: 2 },
        }),
    );
    const r = cli(dir, ['detections', 'store', bad]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /bad\.ndjson:2: score is 0\.\.1/);
    const list = cli(dir, ['detections', 'list', '--detector', 'mule_account', '--json']);
    assert.deepEqual(JSON.parse(list.stdout), []);
  });
});
