import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { testApp, seedUser } from '../helpers/app.ts';
import type { Services } from '../../src/api/types.ts';
import type { Principal } from '../../src/identity/model.ts';
import { runImport } from '../../src/core/importer/run.ts';
import { clueImport } from '../../src/reports/imports.ts';
import { runCli } from '../helpers/cli.ts';

let services: Services;
let close: () => Promise<void>;
let principal: Principal;
let dir: string;

before(async () => {
  ({ services, close } = await testApp());
  const { organisationId } = await seedUser(services, {
    org: 'Bank',
    kind: 'bank',
    username: 'b',
    roles: ['institution_operator'],
  });
  principal = {
    kind: 'api_key',
    id: 'test',
    name: 'test import',
    organisationId,
    organisationKind: 'bank',
    roles: ['institution_operator'],
    scopes: ['reports:write'],
  };
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'interdict-clues-'));
});
after(async () => {
  await close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const CSV = [
  'ref,kind,phone,url,account,content,category,loss_amount,paid_at',
  'C-1,call,+86 171 0000 1111,,,"caller said he was from the ""police""",impersonate_police,,',
  'C-2,link,,http://refund-now.example.top/claim,,,customer_service_refund,,',
  'C-3,call,not a number,,,,,,',
  'C-4,account,,,6222021234567898,mule,card_account_dealing,5000,2026-11-29T10:00:00+08:00',
  ',call,+8617100002222,,,,,,',
  'C-6,teleport,,,,,,,',
].join('\n');

const count = async () =>
  Number(
    (
      await services.db
        .selectFrom('reports')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );

describe('clue import', () => {
  test('good rows land, bad rows go to the reject file with line and reason', async () => {
    const file = path.join(dir, 'clues.csv');
    fs.writeFileSync(file, CSV + '\n');
    const r = await runImport(services.db, clueImport(services, principal), { file, batchSize: 2 });
    assert.equal(r.accepted, 3);
    assert.equal(r.rejected, 3);
    const rejects = fs
      .readFileSync(r.rejectFile!, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { line: number; reason: string });
    assert.deepEqual(
      rejects.map((x) => x.line).sort((a, b) => a - b),
      [4, 6, 7],
    );
    assert.match(rejects.find((x) => x.line === 4)!.reason, /subject\.phone/);
    assert.match(rejects.find((x) => x.line === 6)!.reason, /ref/);
    assert.equal(await count(), 3);
    const card = await services.db
      .selectFrom('listings')
      .select(['kind', 'category'])
      .where('kind', '=', 'bank_account')
      .executeTakeFirstOrThrow();
    assert.equal(card.category, 'card_account_dealing');
  });

  test('the same clues sent again in another file are recognised by their reference', async () => {
    const file = path.join(dir, 'again.ndjson');
    fs.writeFileSync(
      file,
      [
        { ref: 'C-1', kind: 'call', phone: '+8617100001111' },
        { ref: 'C-9', kind: 'sms', phone: '+8617100009999', content: '中奖了，点击领取' },
      ]
        .map((o) => JSON.stringify(o))
        .join('\n') + '\n',
    );
    const r = await runImport(services.db, clueImport(services, principal), { file });
    assert.equal(r.accepted, 2);
    assert.equal(await count(), 4, 'C-1 was not stored twice');
  });

  test('a GBK file is refused before anything is written; a broken quote loses only its own row', async () => {
    const gbk = path.join(dir, 'gbk.csv');
    // "ref,kind,content\nG-1,other,冒充客服" in GBK: 冒充客服 = c3b0 b3e4 bfcd b7fe
    fs.writeFileSync(
      gbk,
      Buffer.concat([
        Buffer.from('ref,kind,content\nG-1,other,'),
        Buffer.from('c3b0b3e4bfcdb7fe', 'hex'),
        Buffer.from('\n'),
      ]),
    );
    const before = await count();
    await assert.rejects(
      runImport(services.db, clueImport(services, principal), { file: gbk }),
      /not UTF-8 \(perhaps GBK\)/,
    );
    assert.equal(await count(), before);
    const broken = path.join(dir, 'broken.csv');
    fs.writeFileSync(
      broken,
      'ref,kind,content\nQ-1,other,"an unterminated quote\nQ-2,other,a good row\nQ-3,other,"fine, with comma"\n',
    );
    const r = await runImport(services.db, clueImport(services, principal), { file: broken });
    assert.equal(r.rejected, 1);
    assert.equal(r.accepted, 2);
    assert.equal(await count(), before + 2);
  });

  test('`interdict report import` prints the summary and exits non-zero on a bad file', () => {
    const data = fs.mkdtempSync(path.join(os.tmpdir(), 'interdict-cli-clues-'));
    try {
      const cli = (args: string[]) => runCli(data, args, { env: { INTERDICT_DEMO: 'off' } });
      let r = cli(['org', 'create', '--name', 'Clue Bank', '--kind', 'bank']);
      assert.equal(r.code, 0, r.stderr);
      const file = path.join(data, 'clues.csv');
      fs.writeFileSync(file, CSV + '\n');
      r = cli(['report', 'import', file, '--org', 'Clue Bank']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /3 accepted, 3 rejected/);
      const bad = path.join(data, 'bad.csv');
      fs.writeFileSync(bad, 'kind,phone\ncall,+8617100001111\n');
      r = cli(['report', 'import', bad, '--org', 'Clue Bank']);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /ref/);
    } finally {
      fs.rmSync(data, { recursive: true, force: true });
    }
  });
});
