import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openCore } from '../../src/platform.ts';
import { createInstruction, type InstructionView } from '../../src/governance/store.ts';
import { runCli } from '../helpers/cli.ts';

const cli = runCli;

const HEADER = 'target_kind,target,measure,functions,reason,legal_basis,to,deadline_minutes\n';

let dir: string;
before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'interdict-cli-instructions-'));
  // The CLI acts for the anti-fraud centre; instructions go to the operator.
  for (const [name, kind] of [
    ['Centre', 'anti_fraud_centre'],
    ['Telco', 'telecom_operator'],
  ])
    assert.equal(cli(dir, ['org', 'create', '--name', name!, '--kind', kind!]).code, 0);
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('interdict instructions', () => {
  let first: InstructionView;

  test('issue goes out at once and show has its timeline', () => {
    const r = cli(dir, [
      ...['instructions', 'issue', '--target-kind', 'msisdn', '--target', '13399854505'],
      ...['--measure', 'restrict_functions', '--functions', 'outgoing_calls,sms', '--reason', 'SIM box'],
      ...['--legal-basis', 'atof_art11', '--to', 'Telco', '--deadline-minutes', '90', '--json'],
    ]);
    assert.equal(r.code, 0, r.stderr);
    first = JSON.parse(r.stdout) as InstructionView;
    assert.equal(first.status, 'issued');
    assert.equal(first.target.value, '+8613399854505');
    assert.deepEqual(first.functions, ['outgoing_calls', 'sms']);
    assert.equal(Date.parse(first.deadline!) - Date.parse(first.issuedAt!), 90 * 60_000);

    const show = cli(dir, ['instructions', 'show', first.id, '--json']);
    const shown = JSON.parse(show.stdout) as InstructionView;
    assert.equal(shown.receivingOrganisation, 'Telco');
    assert.deepEqual(
      shown.timeline!.map((t) => [t.action, t.status, t.actor]),
      [['created', 'issued', 'cli']],
    );
  });

  test('a bad bulk line stops the file naming the line; a good file issues all', () => {
    const bad = path.join(dir, 'bad.csv');
    fs.writeFileSync(
      bad,
      HEADER +
        'msisdn,13399854506,suspend_card,,rented out,atof_art31,Telco,\n' +
        'account,6222020000000001,restrict_account_non_counter,,mule,atof_art18,Telco,\n',
    );
    const r = cli(dir, ['instructions', 'issue-bulk', bad]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /bad\.csv:3: a account target is instructed to a bank, not to a telecom_operator/);

    const good = path.join(dir, 'good.ndjson');
    fs.writeFileSync(
      good,
      [
        {
          target_kind: 'msisdn',
          target: '13399854507',
          measure: 'restrict_functions',
          functions: ['sms', 'data'],
          reason: 'spam',
          legal_basis: 'atof_art11',
          to: 'Telco',
        },
        {
          target_kind: 'url',
          target: 'http://fraud.example/pay',
          measure: 'block_link',
          reason: 'phishing',
          legal_basis: 'atof_art34',
          to: 'Telco',
          deadline_minutes: 30,
        },
      ]
        .map((o) => JSON.stringify(o) + '\n')
        .join(''),
    );
    const ok = cli(dir, ['instructions', 'issue-bulk', good, '--json']);
    assert.equal(ok.code, 0, ok.stderr);
    const res = JSON.parse(ok.stdout) as { issued: number; awaitingApproval: number; ids: string[] };
    assert.equal(res.issued, 2);
    assert.equal(res.awaitingApproval, 0);
    // A rerun (or a run resumed after a crash) finds each line's instruction by its reference.
    const again = cli(dir, ['instructions', 'issue-bulk', good, '--json']);
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(JSON.parse(again.stdout), { issued: 0, awaitingApproval: 0, alreadyIssued: 2, ids: [] });

    // Nothing of the bad file went out: the first instruction and the good file's two only.
    const list = cli(dir, ['instructions', 'list', '--org', 'Telco', '--json']);
    const items = JSON.parse(list.stdout) as InstructionView[];
    assert.deepEqual(items.map((i) => i.id).sort(), [first.id, ...res.ids].sort());
    assert.ok(!items.some((i) => i.target.value === '+8613399854506'));
  });

  test('approve only what awaits approval; withdraw', async () => {
    const notWaiting = cli(dir, ['instructions', 'approve', first.id]);
    assert.equal(notWaiting.code, 1);
    assert.match(notWaiting.stderr, /not awaiting approval/);

    const out = cli(dir, ['instructions', 'withdraw', first.id, '--reason', 'wrong number', '--json']);
    assert.equal(out.code, 0, out.stderr);
    assert.equal((JSON.parse(out.stdout) as InstructionView).status, 'withdrawn');

    // An analyst's suspension waits for a supervisor: the CLI (another supervisor) approves it.
    const core = await openCore({
      dataDir: dir,
      logLevel: 'silent',
      env: { DATABASE_URL: '', NATS_URL: '' },
    });
    let waiting: InstructionView;
    try {
      const org = (id: string) =>
        core.db.selectFrom('organisations').select('id').where('name', '=', id).executeTakeFirstOrThrow();
      const centre = await org('Centre');
      ({ instruction: waiting } = await createInstruction(
        core,
        {
          kind: 'user',
          id: 'analyst-1',
          name: 'analyst',
          organisationId: centre.id,
          organisationKind: 'anti_fraud_centre',
          roles: ['analyst'],
          scopes: [],
        },
        {
          target: { kind: 'msisdn', value: '13399854508' },
          measure: 'suspend_card',
          reason: 'rented out',
          legalBasis: 'atof_art31',
          receivingOrganisationId: (await org('Telco')).id,
        },
      ));
    } finally {
      await core.close();
    }
    assert.equal(waiting.status, 'awaiting_approval');
    const ok = cli(dir, ['instructions', 'approve', waiting.id, '--json']);
    assert.equal(ok.code, 0, ok.stderr);
    const approved = JSON.parse(ok.stdout) as InstructionView;
    assert.equal(approved.status, 'issued');
    assert.equal(approved.approvedBy, 'cli');
  });
});
