import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCli } from '../helpers/cli.ts';

const cli = runCli;

interface VersionOut {
  id: string;
  version: number;
  state: string;
  channel: string;
  institutionId: string | null;
  rules: { action: string; minConfidence?: number }[];
  default: string;
  createdBy: string;
}

let dir: string;
before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'interdict-cli-policies-'));
  // The CLI acts for the anti-fraud centre: it needs one.
  const r = cli(dir, ['org', 'create', '--name', 'Centre', '--kind', 'anti_fraud_centre', '--json']);
  assert.equal(r.code, 0, r.stderr);
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Version 2 of the national call policy: listed callers are only warned about. */
const lenient = {
  id: 'national:call',
  channel: 'call',
  institutionId: null,
  rules: [
    {
      categories: ['sim_box'],
      partyRoles: ['caller'],
      minConfidence: 0.8,
      action: 'block',
      reason: 'sim_box',
    },
    { minConfidence: 0.5, action: 'warn' },
  ],
  default: 'allow',
  onMalformed: 'warn',
  description: 'warn only during the pilot',
};

describe('interdict policies', () => {
  test('list shows the national defaults as active version 1', () => {
    const r = cli(dir, ['policies', 'list']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^id\s+version\s+state\s+channel/m);
    assert.match(r.stdout, /^national:call\s+1\s+active\s+call\s+national\s+3\s+allow/m);
    const json = cli(dir, ['policies', 'list', '--state', 'active', '--json']);
    assert.equal(json.code, 0, json.stderr);
    const items = JSON.parse(json.stdout) as VersionOut[];
    assert.ok(items.length >= 7);
    assert.ok(items.every((i) => i.state === 'active' && i.version === 1));
    const bad = cli(dir, ['policies', 'list', '--state', 'on']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /one of draft, shadow, active, retired/);
  });

  test('show prints the rules as a table', () => {
    const r = cli(dir, ['policies', 'show', 'national:call']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^national:call version 1 \(active\)$/m);
    assert.match(r.stdout, /^#\s+categories\s+kinds\s+roles\s+min confidence\s+action\s+reason$/m);
    assert.match(r.stdout, /^1\s+sim_box\s+all\s+caller\s+80%\s+block\s+sim_box$/m);
    assert.match(r.stdout, /^2\s+all\s+all\s+all\s+90%\s+block\s+listed$/m);
    assert.match(r.stdout, /^3\s+all\s+all\s+all\s+60%\s+warn\s+listed$/m);
    assert.match(r.stdout, /^otherwise\s+allow$/m);
    const json = cli(dir, ['policies', 'show', 'national:call', '--version', '1', '--json']);
    assert.equal(json.code, 0, json.stderr);
    const v = JSON.parse(json.stdout) as VersionOut;
    assert.equal(v.rules.length, 3);
    const missing = cli(dir, ['policies', 'show', 'national:call', '--version', '9']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /policy national:call version 9/);
  });

  test('create refuses a bad file with a readable message and a non-zero exit', () => {
    const notJson = path.join(dir, 'not.json');
    fs.writeFileSync(notJson, '{ "id": "national:call", ');
    let r = cli(dir, ['policies', 'create', notJson]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /not\.json is not JSON/);

    const bad = path.join(dir, 'bad.json');
    fs.writeFileSync(
      bad,
      JSON.stringify({ ...lenient, rules: [{ categories: ['weather'], minConfidence: 2, action: 'stop' }] }),
    );
    r = cli(dir, ['policies', 'create', bad]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /bad\.json is not a valid policy/);
    assert.match(r.stderr, /rules\.0\.categories\.0: /);
    assert.match(r.stderr, /rules\.0\.minConfidence: /);
    assert.match(r.stderr, /rules\.0\.action: /);
    assert.doesNotMatch(r.stderr, /at .*\.ts:\d+/, 'no stack trace');

    // Well-formed, but the slot is another policy's: the service's refusal.
    const moved = path.join(dir, 'moved.json');
    fs.writeFileSync(moved, JSON.stringify({ ...lenient, channel: 'sms' }));
    r = cli(dir, ['policies', 'create', moved]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /\[policy_slot_mismatch\]/);

    r = cli(dir, ['policies', 'list', '--json']);
    const items = JSON.parse(r.stdout) as VersionOut[];
    assert.ok(!items.some((i) => i.id === 'national:call' && i.version > 1), 'nothing saved');
  });

  test('create saves a draft; diff shows how it differs from the active version', () => {
    const file = path.join(dir, 'call-v2.json');
    fs.writeFileSync(file, JSON.stringify(lenient, null, 2));
    let r = cli(dir, ['policies', 'create', file]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /saved national:call version 2 as a draft/);
    r = cli(dir, ['policies', 'show', 'national:call', '--version', '2', '--json']);
    const v = JSON.parse(r.stdout) as VersionOut;
    assert.equal(v.state, 'draft');
    assert.equal(v.createdBy, 'cli');

    r = cli(dir, ['policies', 'diff', 'national:call', '2']);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.split('\n');
    assert.equal(lines[0], '--- national:call version 1 (active)');
    assert.equal(lines[1], '+++ national:call version 2 (draft)');
    assert.ok(
      lines.includes('  categories sim_box · roles caller · confidence ≥ 80% → block (sim_box)'),
      r.stdout,
    );
    assert.ok(lines.includes('- confidence ≥ 90% → block'), r.stdout);
    assert.ok(lines.includes('- confidence ≥ 60% → warn'), r.stdout);
    assert.ok(lines.includes('+ confidence ≥ 50% → warn'), r.stdout);
    assert.ok(lines.includes('otherwise: allow (unchanged)'), r.stdout);
    assert.match(r.stdout, /^description: Voice calls: .* → warn only during the pilot$/m);
  });

  test('shadow, then activate with a reason: the old version is retired; audit names the CLI', () => {
    let r = cli(dir, ['policies', 'shadow', 'national:call', '2']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /national:call version 2 is now shadow/);
    r = cli(dir, ['policies', 'activate', 'national:call', '2', '--reason', 'pilot: warn, do not block']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'national:call version 2 is now active; version 1 retired\n');
    r = cli(dir, ['policies', 'list', '--state', 'active', '--json']);
    const active = (JSON.parse(r.stdout) as VersionOut[]).find((i) => i.id === 'national:call');
    assert.equal(active?.version, 2);
    r = cli(dir, ['policies', 'diff', 'national:call', '2']);
    assert.match(r.stdout, /this is the active version: no differences/);

    // A retired version stays retired.
    r = cli(dir, ['policies', 'activate', 'national:call', '1']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /a retired policy version cannot become active \[policy_state\]/);
    r = cli(dir, ['policies', 'activate', 'national:call', 'two']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /not a version number/);

    r = cli(dir, ['audit', '--json', '-n', '10']);
    const audit = JSON.parse(r.stdout) as { actor: string; action: string; target: string }[];
    assert.ok(
      audit.some(
        (a) =>
          a.actor === 'cli' && a.action === 'policy.active' && a.target === 'decision_policy:national:call@2',
      ),
      r.stdout,
    );
  });
});
