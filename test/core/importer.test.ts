import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { testApp } from '../helpers/app.ts';
import type { Services } from '../../src/api/types.ts';
import { runImport } from '../../src/core/importer/run.ts';
import { FileFormatError } from '../../src/core/importer/read.ts';
import { cardImport, accountImport } from '../../src/privacy/imports.ts';
import { seedDemo, demoIdNumber } from '../../src/demo/seed.ts';

let services: Services;
let close: () => Promise<void>;
let dir: string;
const OP = '示范移动 Demo Mobile';
const HEADER = 'msisdn,imsi,holder_id,holder_region,card_type,activated_at,operator';
const holder = (i: number) => demoIdNumber('440305', '19800101', 40 + i, 'm');

before(async () => {
  ({ services, close } = await testApp());
  await seedDemo(services);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'interdict-import-'));
});
after(async () => {
  await close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function write(name: string, lines: string[]): string {
  const p = path.join(dir, name);
  fs.writeFileSync(p, lines.join('\n') + '\n');
  return p;
}

const cardCount = async (prefix: string) =>
  (await services.db.selectFrom('phone_cards').select('id').where('msisdn', 'like', `${prefix}%`).execute())
    .length;

describe('imports', () => {
  test('good rows land, bad rows go to the reject file with line and reason', async () => {
    const file = write('cards.csv', [
      HEADER,
      `+8613900000001,460001,${holder(1)},4403,consumer,2024-01-02T10:00:00+08:00,${OP}`,
      `139 0000 0002,460002,${holder(2)},4403,consumer,2024-01-02T10:00:00+08:00,${OP}`,
      `not-a-number,460003,${holder(3)},4403,consumer,2024-01-02T10:00:00+08:00,${OP}`,
      `+8613900000004,460004,${holder(4)},4403,consumer,yesterday,${OP}`,
      `+8613900000005,460005,${holder(5)},4403,consumer,2024-01-02T10:00:00+08:00,No Such Operator`,
      `+8613900000006,"460006,${holder(6)},4403,consumer,2024-01-02T10:00:00+08:00,${OP}`,
      `+8613900000007,460007,110101190001011234,4403,consumer,2024-01-02T10:00:00+08:00,${OP}`,
      `1440000000099,460099,,,iot,2024-01-02T10:00:00+08:00,${OP}`,
    ]);
    const r = await runImport(services.db, cardImport(services.pii, services.bus), { file, batchSize: 3 });
    assert.equal(r.status, 'done');
    assert.equal(r.accepted, 3);
    assert.ok(r.rejected >= 4, `rejected ${r.rejected}`);
    assert.equal(await cardCount('+86139000000'), 2);
    assert.equal(await cardCount('+861440000000099'), 1);
    const rejects = fs
      .readFileSync(r.rejectFile!, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { line: number; reason: string });
    const byLine = new Map(rejects.map((x) => [x.line, x.reason]));
    assert.match(byLine.get(4)!, /msisdn/);
    assert.match(byLine.get(5)!, /activated_at/);
    assert.match(byLine.get(6)!, /unknown_operator|no operator organisation/);
    assert.match(byLine.get(8)!, /holder_id|identity number/);
    assert.ok(
      rejects.some((x) => /unreadable CSV row|quote/i.test(x.reason)),
      'broken quoting is reported',
    );
  });

  test('outlet: an optional column, kept on the card; too long a code is refused with the row', async () => {
    const file = write('cards-outlet.csv', [
      HEADER + ',outlet',
      `+8613900000401,460401,${holder(41)},4403,consumer,2024-01-02T10:00:00+08:00,${OP},440305-017`,
      `+8613900000402,460402,${holder(42)},4403,consumer,2024-01-02T10:00:00+08:00,${OP},`,
      `+8613900000403,460403,${holder(43)},4403,consumer,2024-01-02T10:00:00+08:00,${OP},${'X'.repeat(65)}`,
    ]);
    const r = await runImport(services.db, cardImport(services.pii, services.bus), { file });
    assert.deepEqual([r.accepted, r.rejected], [2, 1]);
    assert.match(fs.readFileSync(r.rejectFile!, 'utf8'), /outlet: at most 64 characters/);
    const rows = await services.db
      .selectFrom('phone_cards')
      .select(['msisdn', 'outlet'])
      .where('msisdn', 'in', ['+8613900000401', '+8613900000402', '+8613900000403'])
      .orderBy('msisdn')
      .execute();
    assert.deepEqual(
      rows.map((x) => [x.msisdn, x.outlet]),
      [
        ['+8613900000401', '440305-017'],
        ['+8613900000402', null],
      ],
    );
    // The operator's next file names both outlets: the unknown one is filled in, the known one kept.
    const next = write('cards-outlet-2.csv', [
      HEADER + ',outlet',
      `+8613900000401,460401,${holder(41)},4403,consumer,2024-01-02T10:00:00+08:00,${OP},440305-999`,
      `+8613900000402,460402,${holder(42)},4403,consumer,2024-01-02T10:00:00+08:00,${OP},440305-020`,
    ]);
    assert.equal(
      (await runImport(services.db, cardImport(services.pii, services.bus), { file: next })).accepted,
      2,
    );
    const after = await services.db
      .selectFrom('phone_cards')
      .select(['msisdn', 'outlet'])
      .where('msisdn', 'in', ['+8613900000401', '+8613900000402'])
      .orderBy('msisdn')
      .execute();
    assert.deepEqual(
      after.map((x) => x.outlet),
      ['440305-017', '440305-020'],
    );
  });

  test('cancelled_at: a card given back is registered or marked cancelled once; a later tenure is not touched', async () => {
    const H = HEADER + ',cancelled_at';
    // The number's tenures' statuses, oldest first.
    const status = async (msisdn: string) =>
      (
        await services.db
          .selectFrom('phone_cards')
          .select('status')
          .where('msisdn', '=', msisdn)
          .orderBy('activated_at')
          .execute()
      )
        .map((r) => r.status)
        .join(',');
    const cancels = async () =>
      (
        await services.db
          .selectFrom('audit_log')
          .select('id')
          .where('action', '=', 'phone_card.cancel')
          .execute()
      ).length;
    const inService = write('cards-c1.csv', [
      H,
      `+8613900000301,460301,${holder(31)},4403,consumer,2024-01-02T10:00:00+08:00,${OP},`,
      `+8613900000302,460302,${holder(32)},4403,consumer,2024-01-02T10:00:00+08:00,${OP},`,
    ]);
    await runImport(services.db, cardImport(services.pii, services.bus), { file: inService });
    assert.equal(await status('+8613900000301'), 'active');
    const before = await cancels();
    const update = write('cards-c2.csv', [
      H,
      // The operator's next file: 301 given back.
      `+8613900000301,460301,${holder(31)},4403,consumer,2024-01-02T10:00:00+08:00,${OP},2025-03-01T09:00:00+08:00`,
      // 302 now someone else's number: this older row, in another name, is its history.
      `+8613900000302,460302,${holder(33)},4403,consumer,2020-01-02T10:00:00+08:00,${OP},2021-03-01T09:00:00+08:00`,
      // Never registered, already cancelled.
      `+8613900000303,460303,${holder(34)},4403,consumer,2024-01-02T10:00:00+08:00,${OP},2025-01-01T00:00:00+08:00`,
      `+8613900000304,460304,${holder(35)},4403,consumer,2024-01-02T10:00:00+08:00,${OP},not a time`,
      `+8613900000305,460305,${holder(36)},4403,consumer,2024-01-02T10:00:00+08:00,${OP},2023-01-01T00:00:00+08:00`,
    ]);
    const r = await runImport(services.db, cardImport(services.pii, services.bus), { file: update });
    assert.equal(r.accepted, 3);
    assert.equal(r.rejected, 2);
    const reasons = fs.readFileSync(r.rejectFile!, 'utf8');
    assert.match(reasons, /cancelled_at is not an ISO 8601 time/);
    assert.match(reasons, /cancelled_at is before activated_at/);
    assert.equal(await status('+8613900000301'), 'cancelled');
    assert.equal(
      await status('+8613900000302'),
      'cancelled,active',
      'the earlier tenure is kept as history; the present holder’s card is untouched',
    );
    assert.equal(await status('+8613900000303'), 'cancelled');
    assert.equal(await cancels(), before + 1, 'one cancellation audited');
    // The same cancellation again, in another file: nothing new.
    const again = write('cards-c3.csv', [
      H,
      `+8613900000301,460301,${holder(31)},4403,consumer,2024-01-02T10:00:00+08:00,${OP},2025-03-01T09:00:00+08:00`,
    ]);
    await runImport(services.db, cardImport(services.pii, services.bus), { file: again });
    assert.equal(await cancels(), before + 1, 'not audited twice');
  });

  test('a recycled number: each holder’s tenure is kept, in whichever order the file lists them', async () => {
    const H = HEADER + ',cancelled_at';
    const OLD = '2020-01-02T10:00:00+08:00';
    const GIVEN_BACK = '2021-03-01T09:00:00+08:00';
    const NEW = '2022-05-01T10:00:00+08:00';
    const tenures = async (msisdn: string) =>
      services.db
        .selectFrom('phone_cards as c')
        .innerJoin('persons as p', 'p.id', 'c.holder_person_id')
        .select(['c.id', 'c.status', 'c.cancelled_at', 'c.holder_person_id', 'p.id_number_hash'])
        .where('c.msisdn', '=', msisdn)
        .orderBy('c.activated_at')
        .execute();
    const file = write('cards-recycled.csv', [
      H,
      // 310: the former holder's row first, then the present one's.
      `+8613900000310,460310,${holder(51)},4403,consumer,${OLD},${OP},${GIVEN_BACK}`,
      `+8613900000310,460410,${holder(52)},4403,consumer,${NEW},${OP},`,
      // 311: the present holder's row first, then the former one's.
      `+8613900000311,460411,${holder(54)},4403,consumer,${NEW},${OP},`,
      `+8613900000311,460311,${holder(53)},4403,consumer,${OLD},${OP},${GIVEN_BACK}`,
    ]);
    const r = await runImport(services.db, cardImport(services.pii, services.bus), { file });
    assert.equal(r.rejected, 0, r.rejectFile ? fs.readFileSync(r.rejectFile, 'utf8') : '');
    assert.equal(r.accepted, 4);
    for (const msisdn of ['+8613900000310', '+8613900000311']) {
      const t = await tenures(msisdn);
      assert.deepEqual(
        t.map((x) => x.status),
        ['cancelled', 'active'],
        msisdn,
      );
      assert.equal(t[0]!.cancelled_at?.toISOString(), new Date(GIVEN_BACK).toISOString());
      assert.notEqual(t[0]!.holder_person_id, t[1]!.holder_person_id);
      assert.equal(t[1]!.cancelled_at, null);
    }
    const before = await tenures('+8613900000310');
    // Once more, in another file with a third person: the number is the present holder's, so a
    // third holder is refused; the old tenure listed as in service does not come back.
    const again = write('cards-recycled-2.csv', [
      H,
      `+8613900000310,460510,${holder(55)},4403,consumer,2023-01-01T10:00:00+08:00,${OP},`,
      `+8613900000310,460310,${holder(51)},4403,consumer,${OLD},${OP},`,
      `+8613900000310,460410,${holder(52)},4403,consumer,${NEW},${OP},`,
    ]);
    const r2 = await runImport(services.db, cardImport(services.pii, services.bus), { file: again });
    assert.equal(r2.accepted, 2);
    assert.equal(r2.rejected, 1);
    assert.match(fs.readFileSync(r2.rejectFile!, 'utf8'), /phone_card_exists|registered to another holder/);
    assert.deepEqual(await tenures('+8613900000310'), before, 'nothing changed');
  });

  test('importing the same file again changes nothing', async () => {
    const file = path.join(dir, 'cards.csv');
    const before = await cardCount('+86139');
    const r = await runImport(services.db, cardImport(services.pii, services.bus), { file });
    assert.equal(r.status, 'already_imported');
    assert.equal(await cardCount('+86139'), before);
  });

  test('an interrupted import resumes after the last committed batch, losing and doubling nothing', async () => {
    const lines = [HEADER];
    for (let i = 0; i < 25; i++) {
      lines.push(
        `+86139100000${String(i).padStart(2, '0')},4600100000${String(i).padStart(2, '0')},${holder(100 + i)},4403,consumer,2024-03-01T09:00:00+08:00,${OP}`,
      );
    }
    const file = write('big.csv', lines);
    let batches = 0;
    await assert.rejects(
      runImport(services.db, cardImport(services.pii, services.bus), {
        file,
        batchSize: 10,
        onProgress: () => {
          if (++batches === 1) throw new Error('simulated crash');
        },
      }),
      /simulated crash/,
    );
    assert.equal(await cardCount('+861391000'), 10, 'the first batch committed');
    const r = await runImport(services.db, cardImport(services.pii, services.bus), { file, batchSize: 10 });
    assert.equal(r.status, 'done');
    assert.equal(r.resumedAfterLine, 11);
    assert.equal(r.accepted, 25);
    assert.equal(await cardCount('+861391000'), 25);
  });

  test('accounts, NDJSON, with unknown extra columns kept out of the way', async () => {
    const file = write('accounts.ndjson', [
      JSON.stringify({
        account: '6217000099990001',
        institution: '示范银行 Demo Bank',
        holder_id: holder(1),
        account_type: 'personal',
        opened_at: '2020-05-01T00:00:00+08:00',
        branch: 'X',
      }),
      '{"account": broken json',
      JSON.stringify({
        account: '6217000099990002',
        institution: '示范银行 Demo Bank',
        holder_id: holder(2),
        account_type: 'savings',
        opened_at: '2020-05-01T00:00:00+08:00',
      }),
    ]);
    const r = await runImport(services.db, accountImport(services.pii, services.bus), { file });
    assert.equal(r.accepted, 1);
    assert.equal(r.rejected, 2);
    // the holder imported with the cards is the same person
    const person = await services.db
      .selectFrom('bank_accounts')
      .innerJoin('phone_cards', 'phone_cards.holder_person_id', 'bank_accounts.holder_person_id')
      .select('phone_cards.msisdn')
      .where('bank_accounts.account', '=', '6217000099990001')
      .execute();
    assert.deepEqual(
      person.map((p) => p.msisdn),
      ['+8613900000001'],
    );
  });

  test('closed_at: an account the bank closed is registered or marked closed once, and stays closed', async () => {
    const BANK = '示范银行 Demo Bank';
    const H = 'account,institution,holder_id,account_type,opened_at,closed_at';
    const OPENED = '2020-05-01T00:00:00+08:00';
    const CLOSED = '2024-09-30T12:00:00+08:00';
    const account = async (number: string) =>
      services.db
        .selectFrom('bank_accounts')
        .select(['status', 'closed_at'])
        .where('account', '=', number)
        .executeTakeFirst();
    const closes = async () =>
      (
        await services.db
          .selectFrom('audit_log')
          .select('details')
          .where('action', '=', 'bank_account.close')
          .execute()
      ).map((r) => r.details as { was: string; institutionOrgId: string; personId: string });
    // The bank's first file, without the column: two accounts in service.
    const inService = write('accounts-c1.csv', [
      'account,institution,holder_id,account_type,opened_at',
      `6217000099980001,${BANK},${holder(61)},personal,${OPENED}`,
      `6217000099980002,${BANK},${holder(62)},personal,${OPENED}`,
    ]);
    assert.equal(
      (await runImport(services.db, accountImport(services.pii, services.bus), { file: inService })).accepted,
      2,
    );
    assert.deepEqual(await account('6217000099980001'), { status: 'active', closed_at: null });
    const before = (await closes()).length;
    const update = write('accounts-c2.csv', [
      H,
      // 9801 closed by the bank.
      `6217000099980001,${BANK},${holder(61)},personal,${OPENED},${CLOSED}`,
      // Still in service: the column left empty.
      `6217000099980006,${BANK},${holder(67)},personal,${OPENED},`,
      // Never registered, already closed.
      `6217000099980003,${BANK},${holder(63)},personal,${OPENED},${CLOSED}`,
      `6217000099980004,${BANK},${holder(64)},personal,${OPENED},not a time`,
      `6217000099980005,${BANK},${holder(65)},personal,${OPENED},2019-01-01T00:00:00+08:00`,
      // 9802 is 62's: a closure in another holder's name is refused, and 9802 stays as it is.
      `6217000099980002,${BANK},${holder(66)},personal,${OPENED},${CLOSED}`,
    ]);
    const r = await runImport(services.db, accountImport(services.pii, services.bus), { file: update });
    assert.deepEqual([r.accepted, r.rejected], [3, 3]);
    const reasons = fs.readFileSync(r.rejectFile!, 'utf8');
    assert.match(reasons, /closed_at is not an ISO 8601 time with offset/);
    assert.match(reasons, /closed_at is before opened_at/);
    assert.match(reasons, /bank_account_exists|registered to another holder/);
    const closedAt = new Date(CLOSED).toISOString();
    const seen = async (number: string) => {
      const a = await account(number);
      return a && [a.status, a.closed_at?.toISOString() ?? null];
    };
    assert.deepEqual(await seen('6217000099980001'), ['closed', closedAt]);
    assert.deepEqual(await seen('6217000099980002'), ['active', null]);
    assert.deepEqual(await seen('6217000099980003'), ['closed', closedAt]);
    assert.deepEqual(await seen('6217000099980006'), ['active', null]);
    assert.equal(await account('6217000099980004'), undefined);
    assert.equal(await account('6217000099980005'), undefined);
    const audited = (await closes()).slice(before);
    assert.equal(audited.length, 1, 'one closure audited (the account registered closed is an add)');
    assert.equal(audited[0]!.was, 'active');
    assert.ok(audited[0]!.institutionOrgId && audited[0]!.personId, 'the institution and person are named');
    // The same closure again, then a later file naming both closed accounts without closed_at:
    // nothing changes (a closure is final), and nothing more is audited.
    const again = write('accounts-c3.csv', [
      H,
      `6217000099980001,${BANK},${holder(61)},personal,${OPENED},${CLOSED}`,
    ]);
    assert.equal(
      (await runImport(services.db, accountImport(services.pii, services.bus), { file: again })).accepted,
      1,
    );
    const later = write('accounts-c4.csv', [
      'account,institution,holder_id,account_type,opened_at',
      `6217000099980001,${BANK},${holder(61)},personal,${OPENED}`,
      `6217000099980003,${BANK},${holder(63)},personal,${OPENED}`,
    ]);
    assert.equal(
      (await runImport(services.db, accountImport(services.pii, services.bus), { file: later })).accepted,
      2,
    );
    for (const number of ['6217000099980001', '6217000099980003'])
      assert.deepEqual(await seen(number), ['closed', closedAt], number);
    assert.equal((await closes()).length, before + 1, 'not audited twice');
  });

  test('a file that is not the declared format stops before anything is written', async () => {
    const wrong = write('wrong.csv', [
      'ts,caller,callee',
      '2024-01-01T00:00:00Z,+8613800000000,+8613800000001',
    ]);
    await assert.rejects(
      runImport(services.db, cardImport(services.pii, services.bus), { file: wrong }),
      (e: Error) => {
        assert.ok(e instanceof FileFormatError);
        assert.match(e.message, /missing column\(s\) msisdn/);
        return true;
      },
    );
    const gbk = path.join(dir, 'gbk.csv');
    fs.writeFileSync(
      gbk,
      Buffer.concat([Buffer.from(HEADER + '\n'), Buffer.from([0xd6, 0xd0, 0xce, 0xc4, 0x2c, 0x0a])]),
    );
    await assert.rejects(
      runImport(services.db, cardImport(services.pii, services.bus), { file: gbk }),
      /not UTF-8 \(perhaps GBK\)/,
    );
    const runs = await services.db.selectFrom('import_runs').select('file_name').execute();
    assert.ok(!runs.some((r) => r.file_name === 'wrong.csv' || r.file_name === 'gbk.csv'));
  });
});
