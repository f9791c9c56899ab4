import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { demoIdNumber } from '../../src/demo/seed.ts';
import type { PersonListingView } from '../../src/governance/person-lists.ts';
import { runCli } from '../helpers/cli.ts';

const cli = runCli;

const HEADER = 'id_number,name,list,restrictions,starts_at,ends_at,reason,legal_basis,ref\n';
const ID = [0, 1, 2, 3, 4].map((i) => demoIdNumber('420111', '19880909', 40 + i, 'm'));
const inMonths = (n: number) => {
  const d = new Date();
  d.setUTCMonth(d.getUTCMonth() + n);
  return d.toISOString();
};

let dir: string;
before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'interdict-cli-lists-'));
  assert.equal(cli(dir, ['org', 'create', '--name', 'Centre', '--kind', 'anti_fraud_centre']).code, 0);
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('interdict lists', () => {
  test('a file with bad lines reports each with its number, imports nothing and exits non-zero', () => {
    const bad = path.join(dir, 'bad.csv');
    fs.writeFileSync(
      bad,
      HEADER +
        `${ID[0]},杨磊,credit_punishment,new_cards;new_accounts,,${inMonths(12)},sold cards,,\n` +
        `${ID[1]},吴刚,credit_punishment,,,${inMonths(2)},sold cards,,\n` +
        `110101198503121234,张三,credit_punishment,,,${inMonths(12)},sold cards,,\n` +
        `${ID[2]},李四,exit_restriction,new_cards,,${inMonths(12)},abroad,,\n` +
        `${ID[3]},王五,credit_punishment\n`,
    );
    const r = cli(dir, ['lists', 'import', bad]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /bad\.csv:3: .*6 months to 3 years/);
    assert.match(r.stderr, /bad\.csv:4: the identity number/);
    assert.match(r.stderr, /bad\.csv:5: restrictions apply to credit punishment only/);
    assert.match(r.stderr, /bad\.csv:6: 3 cells, the header has 9/);
    assert.match(r.stderr, /4 of 5 lines are bad/);
    assert.doesNotMatch(r.stderr, /110101198503121234/, 'id numbers are not repeated');
    const list = cli(dir, ['lists', 'list', '--json']);
    assert.equal(list.code, 0, list.stderr);
    assert.deepEqual(JSON.parse(list.stdout), [], 'nothing imported');

    // With a reject file: the good line goes in, the bad ones are written out, the exit says so.
    const rejects = path.join(dir, 'rejects.csv');
    const partial = cli(dir, ['lists', 'import', bad, '--reject-file', rejects, '--json']);
    assert.equal(partial.code, 1, partial.stderr);
    const res = JSON.parse(partial.stdout) as { created: number; rejected: number };
    assert.equal(res.created, 1);
    assert.equal(res.rejected, 4);
    const lines = fs.readFileSync(rejects, 'utf8').trim().split('\n');
    assert.equal(lines[0], 'line,error,record');
    assert.equal(lines.length, 5);
    assert.match(lines[1]!, /^3,/);
  });

  test('a good file imports; a rerun designates nothing twice; a duplicate person joins', () => {
    const good = path.join(dir, 'good.ndjson');
    fs.writeFileSync(
      good,
      [
        {
          id_number: ID[4],
          name: '周婷',
          list: 'credit_punishment',
          restrictions: ['new_cards'],
          ends_at: inMonths(12),
          reason: 'lent her card',
          ref: 'case-9',
        },
        {
          id_number: ID[4],
          name: '周婷',
          list: 'credit_punishment',
          restrictions: 'new_accounts',
          ends_at: inMonths(18),
          reason: 'also an account',
        },
        {
          id_number: `passport:E9911002`,
          name: 'Michael Smith',
          list: 'exit_restriction',
          ends_at: inMonths(24),
          reason: 'scam compound',
        },
      ]
        .map((o) => JSON.stringify(o) + '\n')
        .join(''),
    );
    const r = cli(dir, ['lists', 'import', good, '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(
      (({ created, joined, existing, rejected }) => ({ created, joined, existing, rejected }))(
        JSON.parse(r.stdout) as Record<string, number>,
      ),
      { created: 2, joined: 1, existing: 0, rejected: 0 },
    );
    const again = cli(dir, ['lists', 'import', good, '--json']);
    assert.equal(again.code, 0, again.stderr);
    const second = JSON.parse(again.stdout) as Record<string, number>;
    assert.equal(second.existing, 3);
    assert.equal(second.created, 0);
    assert.equal(second.joined, 0);

    const items = JSON.parse(
      cli(dir, ['lists', 'list', '--list', 'credit_punishment', '--json']).stdout,
    ) as PersonListingView[];
    const zhou = items.find((i) => i.ref === 'case-9')!;
    assert.deepEqual(zhou.restrictions, ['new_cards', 'new_accounts']);
    assert.ok(zhou.person.masked);
    assert.ok(!zhou.person.idNumber.includes(ID[4]!.slice(6, 14)));

    const shown = cli(dir, ['lists', 'show', zhou.id, '--json']);
    assert.equal(shown.code, 0, shown.stderr);
    const v = JSON.parse(shown.stdout) as PersonListingView;
    assert.equal(v.person.idNumber, ID[4]);
    assert.deepEqual(
      v.timeline!.map((t) => t.action),
      ['designated', 'joined'],
    );

    const removed = cli(dir, [
      'lists',
      'remove',
      zhou.id,
      '--kind',
      'credit_repair',
      '--reason',
      'made good',
      '--json',
    ]);
    assert.equal(removed.code, 0, removed.stderr);
    assert.equal((JSON.parse(removed.stdout) as PersonListingView).status, 'removed');
    const wrongKind = cli(dir, ['lists', 'remove', zhou.id, '--kind', 'forgiven', '--reason', 'x']);
    assert.equal(wrongKind.code, 2);
    assert.match(wrongKind.stderr, /--kind is one of/);
  });

  test('designate one person; bad input is a readable message and a non-zero exit', () => {
    const ok = cli(dir, [
      ...['lists', 'designate', '--list', 'exit_restriction', '--id-number', 'passport:E7700001'],
      ...[
        '--name',
        'Jane Roe',
        '--reason',
        'recruiter for a scam compound',
        '--ends-at',
        inMonths(8),
        '--json',
      ],
    ]);
    assert.equal(ok.code, 0, ok.stderr);
    const out = JSON.parse(ok.stdout) as { outcome: string; listing: PersonListingView };
    assert.equal(out.outcome, 'created');
    assert.equal(out.listing.legalBasis, 'atof_art36');
    const bad = cli(dir, [
      ...['lists', 'designate', '--list', 'credit_punishment', '--id-number', ID[0]!],
      ...['--name', '杨磊', '--reason', 'x', '--ends-at', inMonths(48)],
    ]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /lasts 6 months to 3 years.*\[invalid_term\]/);
    assert.equal(cli(dir, ['lists', 'import', path.join(dir, 'missing.csv')]).code, 2);
  });
});
