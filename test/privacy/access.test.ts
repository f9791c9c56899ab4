import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { openTestDatabase } from '../helpers/db.ts';
import type { Database } from '../../src/core/db/index.ts';
import type { DB } from '../../src/core/db/schema.ts';
import { migrateToLatest } from '../../src/core/db/migrate.ts';
import { auditMigrations, SYSTEM } from '../../src/core/audit.ts';
import { busMigrations } from '../../src/core/bus/migrations.ts';
import { createEventBus, type EventBus } from '../../src/core/bus/index.ts';
import { identityMigrations } from '../../src/identity/migrations.ts';
import { createOrganisation } from '../../src/identity/service.ts';
import type { OrganisationKind, Principal, Role } from '../../src/identity/model.ts';
import { privacyMigrations } from '../../src/privacy/migrations.ts';
import { PiiCipher, piiContext } from '../../src/privacy/crypto.ts';
import {
  addBankAccount,
  addPhoneCard,
  createPerson,
  ensurePerson,
  holdings,
  recordClosedBankAccount,
} from '../../src/privacy/service.ts';
import {
  findPersonByIdNumber,
  listAccessLog,
  listPersons,
  personAges,
  readPerson,
} from '../../src/privacy/access.ts';
import { piiKeyUsage, rehashPersons, rotatePiiKeys } from '../../src/privacy/rotate.ts';

/** Valid PRC numbers, check character computed from the ISO 7064 MOD 11-2 definition. */
function makeId(region: string, birth: string, seq: string): string {
  const first17 = `${region}${birth}${seq}`;
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * (2 ** (17 - i) % 11);
  const c = (12 - (sum % 11)) % 11;
  return first17 + (c === 10 ? 'X' : String(c));
}

const k1 = crypto.randomBytes(32);
const lookupKey = crypto.randomBytes(32);
const cipher = new PiiCipher([{ id: 'k1', key: k1 }], lookupKey);

let database: Database;
let db: Kysely<DB>;
let bus: EventBus;
const org: Record<string, string> = {};

function principal(
  orgName: string,
  kind: OrganisationKind,
  roles: Role[],
  name = `${orgName}.${roles.join('+')}`,
): Principal {
  return {
    kind: 'user',
    id: crypto.randomUUID(),
    name,
    organisationId: org[orgName]!,
    organisationKind: kind,
    roles,
    scopes: [],
  };
}

const ZHANG = { name: '张三丰', idNumber: makeId('110105', '19500315', '013') };
const LI = { name: '李小红', idNumber: makeId('440305', '20100704', '022') }; // a minor
const SMITH = { name: 'John Smith', idNumber: 'passport:E12345678' };
let zhang: string;
let li: string;
let smith: string;

async function accessCount(): Promise<number> {
  const r = await db
    .selectFrom('personal_data_access')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(r.n);
}
async function lastAccess(n = 1) {
  return db.selectFrom('personal_data_access').selectAll().orderBy('id', 'desc').limit(n).execute();
}

before(async () => {
  database = await openTestDatabase();
  db = database.db;
  await migrateToLatest(db, {
    ...auditMigrations,
    ...busMigrations,
    ...identityMigrations,
    ...privacyMigrations,
  });
  bus = await createEventBus({ db });
  for (const [name, kind] of [
    ['Centre', 'anti_fraud_centre'],
    ['Bank A', 'bank'],
    ['Bank B', 'bank'],
    ['Telecom T', 'telecom_operator'],
    ['Web W', 'internet_service'],
  ] as const) {
    org[name] = await createOrganisation(db, bus, SYSTEM, { name, kind });
  }
  const centreAnalyst = principal('Centre', 'anti_fraud_centre', ['analyst']);
  zhang = await createPerson(db, cipher, bus, centreAnalyst, ZHANG);
  li = await createPerson(db, cipher, bus, SYSTEM, { ...LI, organisationId: org['Telecom T']! });
  smith = await createPerson(db, cipher, bus, centreAnalyst, SMITH);
  await addBankAccount(db, SYSTEM, {
    account: '6222 0212 3456 7890 123',
    institutionOrgId: org['Bank A']!,
    holderPersonId: zhang,
    openedAt: '2015-04-01',
  });
  await addBankAccount(db, SYSTEM, {
    account: '6217001111222233334',
    institutionOrgId: org['Bank B']!,
    holderPersonId: zhang,
  });
  await addPhoneCard(db, SYSTEM, {
    msisdn: '13812345678',
    holderPersonId: zhang,
    operatorOrgId: org['Telecom T']!,
    activatedAt: '2019-01-02T03:04:05Z',
    imsi: '460001234567890',
  });
  await addPhoneCard(db, SYSTEM, {
    msisdn: '+8613900001111',
    holderPersonId: li,
    operatorOrgId: org['Telecom T']!,
  });
  await addBankAccount(db, SYSTEM, {
    account: '6217009999888877776',
    institutionOrgId: org['Bank B']!,
    holderPersonId: li,
  });
});
after(async () => {
  await bus.close();
  await database.close();
});

describe('persons at rest', () => {
  test('the database never holds a name or identity number in clear', async () => {
    const tables = await sql<{ table_name: string }>`
      select table_name from information_schema.tables where table_schema = current_schema() and table_type = 'BASE TABLE'`.execute(
      db,
    );
    const secrets = [ZHANG, LI, SMITH].flatMap((p) => [
      p.name,
      p.idNumber.replace('passport:', ''),
      p.idNumber.slice(0, 14),
    ]);
    for (const { table_name } of tables.rows) {
      const rows = await sql<{ t: string }>`select t::text as t from ${sql.table(table_name)} t`.execute(db);
      for (const r of rows.rows) {
        for (const s of secrets) {
          assert.ok(!r.t.includes(s), `${table_name} holds a secret in clear`);
          assert.ok(!r.t.includes(Buffer.from(s).toString('hex')), `${table_name} holds a secret's bytes`);
        }
      }
    }
    const raw = await db.selectFrom('persons').selectAll().where('id', '=', zhang).executeTakeFirstOrThrow();
    for (const col of [raw.name_enc, raw.id_number_enc, raw.birth_date_enc!]) {
      assert.ok(Buffer.isBuffer(col));
      for (const s of [ZHANG.name, ZHANG.idNumber, '1950-03-15'])
        assert.equal(col.indexOf(Buffer.from(s)), -1);
    }
    assert.equal(raw.key_id, 'k1');
    assert.equal(raw.region_code, '110105');
    assert.equal(raw.id_type, 'prc_resident');
    assert.equal(cipher.decrypt('k1', raw.name_enc, piiContext('persons', 'name_enc', zhang)), ZHANG.name);
    const passport = await db
      .selectFrom('persons')
      .selectAll()
      .where('id', '=', smith)
      .executeTakeFirstOrThrow();
    assert.equal(passport.birth_date_enc, null);
    assert.equal(passport.region_code, null);
  });

  test('a ciphertext moved to another row does not decrypt', async () => {
    const a = await db.selectFrom('persons').selectAll().where('id', '=', zhang).executeTakeFirstOrThrow();
    assert.throws(() => cipher.decrypt('k1', a.name_enc, piiContext('persons', 'name_enc', li)));
    assert.throws(() => cipher.decrypt('k1', a.name_enc, piiContext('persons', 'id_number_enc', zhang)));
  });

  test('creating is idempotent by identity number, whatever its spelling', async () => {
    const centre = principal('Centre', 'anti_fraud_centre', ['analyst']);
    const again = await ensurePerson(db, cipher, bus, centre, {
      name: 'Someone Else',
      idNumber: ` ${ZHANG.idNumber.toLowerCase()} `,
    });
    assert.deepEqual(again, { id: zhang, created: false });
    const legacy = makeId('110105', '19500315', '013');
    const id15 = legacy.slice(0, 6) + legacy.slice(8, 17);
    assert.equal(await createPerson(db, cipher, bus, centre, { name: 'x', idNumber: id15 }), zhang);
    const audits = await db
      .selectFrom('audit_log')
      .select('target_id')
      .where('action', '=', 'person.create')
      .execute();
    assert.equal(audits.filter((a) => a.target_id === zhang).length, 1);
    assert.equal(audits.length, 3);
  });

  test('person.created is published with the recording organisation, without personal data', async () => {
    const events = await sql<{ key: string; data: Record<string, unknown> }>`
      select key, data from bus_events where type = 'person.created' order by seq`.execute(db);
    assert.deepEqual(
      events.rows.map((e) => e.data),
      [
        { personId: zhang, organisationId: org['Centre'] },
        { personId: li, organisationId: org['Telecom T'] },
        { personId: smith, organisationId: org['Centre'] },
      ],
    );
  });

  test('bad input', async () => {
    const centre = principal('Centre', 'anti_fraud_centre', ['analyst']);
    await assert.rejects(
      createPerson(db, cipher, bus, centre, { name: '王五', idNumber: '110105195003150130' }),
      {
        code: 'invalid_id_number',
      },
    );
    await assert.rejects(
      createPerson(db, cipher, bus, centre, { name: ' ', idNumber: makeId('110105', '19600101', '011') }),
      {
        code: 'invalid_name',
      },
    );
  });

  test('holdings: validation, idempotency, conflicts, counts', async () => {
    assert.deepEqual(await holdings(db, zhang), { phoneCards: 1, bankAccounts: 2 });
    assert.deepEqual(await holdings(db, smith), { phoneCards: 0, bankAccounts: 0 });
    const card = (
      await db
        .selectFrom('phone_cards')
        .select('id')
        .where('msisdn', '=', '+8613812345678')
        .executeTakeFirstOrThrow()
    ).id;
    assert.equal(
      await addPhoneCard(db, SYSTEM, {
        msisdn: '+86 138 1234 5678',
        holderPersonId: zhang,
        operatorOrgId: org['Telecom T']!,
      }),
      card,
    );
    await assert.rejects(
      addPhoneCard(db, SYSTEM, {
        msisdn: '13812345678',
        holderPersonId: li,
        operatorOrgId: org['Telecom T']!,
      }),
      {
        code: 'phone_card_exists',
      },
    );
    // A company's card of that number, given back years ago: history beside Zhang's, registered once.
    const given = {
      msisdn: '13812345678',
      holderPersonId: null,
      operatorOrgId: org['Telecom T']!,
      activatedAt: '2010-01-01T00:00:00+08:00',
      status: 'cancelled' as const,
      cancelledAt: '2012-01-01T00:00:00+08:00',
    };
    const history = await addPhoneCard(db, SYSTEM, given);
    assert.notEqual(history, card);
    assert.equal(await addPhoneCard(db, SYSTEM, given), history, 'again: the same card');
    assert.equal(
      await addPhoneCard(db, SYSTEM, { ...given, status: 'active', cancelledAt: null }),
      history,
      'an older listing of it in service does not bring it back',
    );
    await assert.rejects(
      addPhoneCard(db, SYSTEM, { msisdn: '13800000000', holderPersonId: li, operatorOrgId: org['Bank A']! }),
      {
        code: 'invalid_organisation',
      },
    );
    await assert.rejects(
      addPhoneCard(db, SYSTEM, { msisdn: '12', holderPersonId: li, operatorOrgId: org['Telecom T']! }),
      {
        code: 'invalid_msisdn',
      },
    );
    await assert.rejects(
      addPhoneCard(db, SYSTEM, {
        msisdn: '13800000000',
        holderPersonId: crypto.randomUUID(),
        operatorOrgId: org['Telecom T']!,
      }),
      { code: 'not_found' },
    );
    await assert.rejects(
      addBankAccount(db, SYSTEM, {
        account: '6222021234567890123',
        institutionOrgId: org['Bank A']!,
        holderPersonId: li,
      }),
      { code: 'bank_account_exists' },
    );
    // The same account number at another institution is another account.
    await addBankAccount(db, SYSTEM, {
      account: '6222021234567890123',
      institutionOrgId: org['Bank B']!,
      holderPersonId: null,
      accountType: 'corporate',
    });
  });
});

describe('the access layer', () => {
  test('no or malformed purpose: 400 purpose_required, nothing read, nothing recorded', async () => {
    const analyst = principal('Centre', 'anti_fraud_centre', ['analyst']);
    const before = await accessCount();
    for (const purpose of [undefined, '', 'because', 'case', 'case:']) {
      await assert.rejects(readPerson(db, cipher, analyst, zhang, { purpose }), {
        status: 400,
        code: 'purpose_required',
      });
      await assert.rejects(findPersonByIdNumber(db, cipher, analyst, ZHANG.idNumber, purpose), {
        code: 'purpose_required',
      });
      await assert.rejects(listPersons(db, cipher, analyst, { purpose }), { code: 'purpose_required' });
    }
    assert.equal(await accessCount(), before);
  });

  test('a centre analyst with a case gets clear values, and one access record', async () => {
    const analyst = principal('Centre', 'anti_fraud_centre', ['analyst'], 'analyst.wang');
    const before = await accessCount();
    const v = await readPerson(db, cipher, analyst, zhang, {
      purpose: 'case:CASE-2026-0042',
      requestId: 'req-1',
    });
    assert.equal(v.masked, false);
    assert.equal(v.name, ZHANG.name);
    assert.equal(v.idNumber, ZHANG.idNumber);
    assert.equal(v.birthDate, '1950-03-15');
    assert.deepEqual(
      v.phoneCards!.map((c) => [c.msisdn, c.operator, c.cardType, c.status, c.activatedAt?.toISOString()]),
      [['+8613812345678', 'Telecom T', 'consumer', 'active', '2019-01-02T03:04:05.000Z']],
    );
    assert.deepEqual(
      v.bankAccounts!.map((a) => [a.account, a.institution]),
      [
        ['6222021234567890123', 'Bank A'],
        ['6217001111222233334', 'Bank B'],
      ],
    );
    assert.equal(await accessCount(), before + 1);
    const [rec] = await lastAccess();
    assert.equal(rec!.person_id, zhang);
    assert.equal(rec!.actor_kind, 'user');
    assert.equal(rec!.actor_id, analyst.id);
    assert.equal(rec!.actor_name, 'analyst.wang');
    assert.equal(rec!.organisation_id, org['Centre']);
    assert.deepEqual(rec!.fields, ['name', 'idNumber', 'birthDate', 'phoneCards', 'bankAccounts']);
    assert.equal(rec!.purpose, 'case');
    assert.equal(rec!.purpose_ref, 'CASE-2026-0042');
    assert.equal(rec!.clear, true);
    assert.equal(rec!.request_id, 'req-1');
    assert.ok(rec!.at instanceof Date);
  });

  test('the same analyst for statistics is masked; still recorded', async () => {
    const analyst = principal('Centre', 'anti_fraud_centre', ['analyst']);
    const before = await accessCount();
    const v = await readPerson(db, cipher, analyst, zhang, { purpose: 'statistics' });
    assert.equal(v.masked, true);
    assert.equal(v.name, '张**');
    assert.equal(v.idNumber, `110***********${ZHANG.idNumber.slice(-4)}`);
    assert.equal(v.birthDate, null);
    assert.equal(v.phoneCards![0]!.msisdn, '+86 138****5678');
    assert.equal(v.bankAccounts![0]!.account, '***************0123');
    assert.equal(await accessCount(), before + 1);
    const [rec] = await lastAccess();
    assert.equal(rec!.clear, false);
    assert.equal(rec!.purpose, 'statistics');
    assert.equal(rec!.purpose_ref, null);
  });

  test('auditors and administrators see masked values whatever the purpose', async () => {
    for (const role of ['auditor', 'administrator'] as const) {
      const p = principal('Centre', 'anti_fraud_centre', [role]);
      const v = await readPerson(db, cipher, p, smith, { purpose: 'case:CASE-1' });
      assert.equal(v.masked, true);
      assert.equal(v.name, 'J*** S****');
      assert.equal(v.idNumber, '*******78');
      const [rec] = await lastAccess();
      assert.equal(rec!.clear, false);
      assert.equal(rec!.actor_name, p.name);
    }
  });

  test('fields: only those asked for are read and recorded', async () => {
    const analyst = principal('Centre', 'anti_fraud_centre', ['supervisor']);
    const v = await readPerson(db, cipher, analyst, li, { purpose: 'warning:W-7', fields: ['name'] });
    assert.deepEqual(v, { id: li, idType: 'prc_resident', masked: false, name: LI.name });
    const [rec] = await lastAccess();
    assert.deepEqual(rec!.fields, ['name']);
    await assert.rejects(readPerson(db, cipher, analyst, li, { purpose: 'warning:W-7', fields: [] }), {
      code: 'invalid_fields',
    });
  });

  test('an institution operator: own customers only, own holdings only, clear for verification', async () => {
    const bankA = principal('Bank A', 'bank', ['institution_operator']);
    const v = await readPerson(db, cipher, bankA, zhang, { purpose: 'verification:VER-1' });
    assert.equal(v.masked, false);
    assert.equal(v.name, ZHANG.name);
    assert.deepEqual(
      v.bankAccounts!.map((a) => a.institution),
      ['Bank A'],
    );
    assert.deepEqual(v.phoneCards, []);
    const masked = await readPerson(db, cipher, bankA, zhang, { purpose: 'case:C-1' });
    assert.equal(masked.masked, true);

    const telecom = principal('Telecom T', 'telecom_operator', ['institution_operator']);
    const t = await readPerson(db, cipher, telecom, li, { purpose: 'instruction:INS-9' });
    assert.equal(t.masked, false);
    assert.deepEqual(
      t.phoneCards!.map((c) => c.msisdn),
      ['+8613900001111'],
    );
    assert.deepEqual(t.bankAccounts, []);
  });

  test("someone else's customer, an unknown id, or a reader without a rule: 404, nothing recorded", async () => {
    const bankA = principal('Bank A', 'bank', ['institution_operator']);
    const web = principal('Web W', 'internet_service', ['institution_operator']);
    const analyst = principal('Centre', 'anti_fraud_centre', ['analyst']);
    const before = await accessCount();
    await assert.rejects(readPerson(db, cipher, bankA, li, { purpose: 'verification:V-2' }), {
      status: 404,
      code: 'not_found',
    });
    await assert.rejects(readPerson(db, cipher, bankA, smith, { purpose: 'verification:V-2' }), {
      status: 404,
    });
    await assert.rejects(findPersonByIdNumber(db, cipher, bankA, LI.idNumber, 'verification:V-2'), {
      status: 404,
    });
    await assert.rejects(readPerson(db, cipher, web, zhang, { purpose: 'case:C-1' }), { status: 404 });
    await assert.rejects(readPerson(db, cipher, analyst, crypto.randomUUID(), { purpose: 'case:C-1' }), {
      status: 404,
    });
    await assert.rejects(readPerson(db, cipher, analyst, 'not-a-uuid', { purpose: 'case:C-1' }), {
      status: 404,
    });
    assert.deepEqual(await listPersons(db, cipher, web, { purpose: 'search' }), []);
    assert.equal(await accessCount(), before);
  });

  test('find by identity number: through the keyed hash, any spelling', async () => {
    const analyst = principal('Centre', 'anti_fraud_centre', ['analyst']);
    const v = await findPersonByIdNumber(
      db,
      cipher,
      analyst,
      ZHANG.idNumber.toLowerCase(),
      'appeal:APL-2026-0001',
    );
    assert.equal(v.id, zhang);
    assert.equal(v.masked, false);
    const p = await findPersonByIdNumber(db, cipher, analyst, 'passport:e12345678', 'audit');
    assert.equal(p.id, smith);
    assert.equal(p.masked, true);
    await assert.rejects(
      findPersonByIdNumber(db, cipher, analyst, makeId('110105', '19600101', '011'), 'case:C'),
      { status: 404 },
    );
    await assert.rejects(findPersonByIdNumber(db, cipher, analyst, '123', 'case:C'), {
      code: 'invalid_id_number',
    });
    const [rec] = await lastAccess();
    assert.equal(rec!.person_id, smith);
    assert.equal(rec!.purpose, 'audit');
  });

  test('lists are masked and record one access per listed person, in one go', async () => {
    const analyst = principal('Centre', 'anti_fraud_centre', ['analyst']);
    const before = await accessCount();
    const items = await listPersons(db, cipher, analyst, { purpose: 'case:C-5', requestId: 'req-list' });
    assert.deepEqual(items.map((i) => i.id).sort(), [zhang, li, smith].sort());
    const z = items.find((i) => i.id === zhang)!;
    assert.equal(z.name, '张**');
    assert.equal(z.idNumber, `110***********${ZHANG.idNumber.slice(-4)}`);
    assert.equal(z.phoneCardCount, 1);
    assert.equal(z.bankAccountCount, 2);
    assert.equal(await accessCount(), before + 3);
    const recs = await lastAccess(3);
    assert.deepEqual(recs.map((r) => r.person_id).sort(), [zhang, li, smith].sort());
    for (const r of recs) {
      assert.equal(r.clear, false);
      assert.deepEqual(r.fields, ['name', 'idNumber']);
      assert.equal(r.request_id, 'req-list');
      assert.equal(r.purpose_ref, 'C-5');
    }
    const limited = await listPersons(db, cipher, analyst, { purpose: 'search', limit: 1 });
    assert.equal(limited.length, 1);
    assert.equal(await accessCount(), before + 4);
  });

  test('list search: identity number, phone number, account number; nothing found records nothing', async () => {
    const analyst = principal('Centre', 'anti_fraud_centre', ['analyst']);
    const ids = async (q: string) =>
      (await listPersons(db, cipher, analyst, { q, purpose: 'search' })).map((i) => i.id);
    assert.deepEqual(await ids(ZHANG.idNumber), [zhang]);
    assert.deepEqual(await ids('passport:E12345678'), [smith]);
    assert.deepEqual(await ids('139 0000 1111'), [li]);
    assert.deepEqual(await ids('+8613812345678'), [zhang]);
    assert.deepEqual(await ids('6217-0099-9988-8877-776'), [li]);
    // Li held Zhang's number years ago: found by it, after its present holder, and said to be former;
    // the card given back is not counted as held.
    const [liBefore] = await listPersons(db, cipher, analyst, { q: '139 0000 1111', purpose: 'search' });
    const former = await addPhoneCard(db, SYSTEM, {
      msisdn: '13812345678',
      holderPersonId: li,
      operatorOrgId: org['Telecom T']!,
      activatedAt: '2013-01-01T00:00:00+08:00',
      status: 'cancelled',
      cancelledAt: '2015-01-01T00:00:00+08:00',
    });
    try {
      const byNumber = await listPersons(db, cipher, analyst, { q: '+8613812345678', purpose: 'search' });
      assert.deepEqual(
        byNumber.map((i) => [i.id, i.numberHolder]),
        [
          [zhang, 'present'],
          [li, 'former'],
        ],
      );
      assert.equal(byNumber[1]!.phoneCardCount, liBefore!.phoneCardCount);
      const [liNow] = await listPersons(db, cipher, analyst, { q: '139 0000 1111', purpose: 'search' });
      assert.equal(liNow!.numberHolder, 'present', 'her own number');
      const byId = await listPersons(db, cipher, analyst, { q: ZHANG.idNumber, purpose: 'search' });
      assert.equal(byId[0]!.numberHolder, undefined, 'not searched by a number');
    } finally {
      await db.deleteFrom('phone_cards').where('id', '=', former).execute();
    }
    const before = await accessCount();
    assert.deepEqual(await ids(makeId('110105', '19600101', '011')), []);
    assert.deepEqual(await ids('###'), []);
    assert.equal(await accessCount(), before);
  });

  test('an institution lists only its own customers, with counts of its own holdings', async () => {
    const bankB = principal('Bank B', 'bank', ['administrator']);
    const items = await listPersons(db, cipher, bankB, { purpose: 'search' });
    assert.deepEqual(items.map((i) => i.id).sort(), [zhang, li].sort());
    const z = items.find((i) => i.id === zhang)!;
    assert.equal(z.bankAccountCount, 1);
    assert.equal(z.phoneCardCount, 0);
  });

  test('ages for warnings: system and clear-permitted readers; others 403', async () => {
    const sys = { kind: 'system' as const, name: 'warnings-worker' };
    const ages = await personAges(db, cipher, sys, [zhang, li, smith, crypto.randomUUID()], {
      purpose: 'warning:W-1',
      on: '2026-03-15',
    });
    assert.deepEqual(Object.fromEntries(ages), { [zhang]: 76, [li]: 15, [smith]: null });
    const recs = await lastAccess(3);
    for (const r of recs) {
      assert.equal(r.actor_kind, 'system');
      assert.equal(r.actor_name, 'warnings-worker');
      assert.equal(r.organisation_id, null);
      assert.deepEqual(r.fields, ['age']);
    }
    await assert.rejects(
      personAges(db, cipher, principal('Centre', 'anti_fraud_centre', ['auditor']), [zhang], {
        purpose: 'warning:W-1',
      }),
      { status: 403 },
    );
  });

  test('a read in a transaction that rolls back leaves no access record, and vice versa', async () => {
    const analyst = principal('Centre', 'anti_fraud_centre', ['analyst']);
    const before = await accessCount();
    await assert.rejects(
      db.transaction().execute(async (tx) => {
        await readPerson(tx, cipher, analyst, zhang, { purpose: 'case:C-9' });
        throw new Error('the caller failed');
      }),
      /caller failed/,
    );
    assert.equal(await accessCount(), before);
  });

  test('a closed account and a card given back say since when', async () => {
    const analyst = principal('Centre', 'anti_fraud_centre', ['analyst']);
    await addBankAccount(db, SYSTEM, {
      account: '6222029999000011112',
      institutionOrgId: org['Bank A']!,
      holderPersonId: smith,
      openedAt: '2016-02-01T00:00:00+08:00',
    });
    await recordClosedBankAccount(db, SYSTEM, {
      account: '6222029999000011112',
      institutionOrgId: org['Bank A']!,
      holderPersonId: smith,
      openedAt: '2016-02-01T00:00:00+08:00',
      closedAt: '2024-07-31T10:00:00+08:00',
    });
    await addPhoneCard(db, SYSTEM, {
      msisdn: '13900009999',
      holderPersonId: smith,
      operatorOrgId: org['Telecom T']!,
      activatedAt: '2015-01-01T00:00:00+08:00',
      status: 'cancelled',
      cancelledAt: '2020-03-01T00:00:00+08:00',
    });
    const v = await readPerson(db, cipher, analyst, smith, { purpose: 'case:CASE-2026-0043' });
    assert.deepEqual(
      v.bankAccounts!.map((a) => [a.status, a.closedAt?.toISOString() ?? null]),
      [['closed', '2024-07-31T02:00:00.000Z']],
    );
    assert.deepEqual(
      v.phoneCards!.map((c) => [c.status, c.cancelledAt?.toISOString() ?? null]),
      [['cancelled', '2020-02-29T16:00:00.000Z']],
    );
  });
});

describe('the access log', () => {
  test('is append-only in the database', async () => {
    await assert.rejects(sql`update personal_data_access set clear = true`.execute(db), /append-only/);
    await assert.rejects(sql`delete from personal_data_access`.execute(db), /append-only/);
    await assert.rejects(sql`truncate personal_data_access`.execute(db), /append-only/);
  });

  test('lists newest first, by person, with a cursor; other organisations see their own reads', async () => {
    const auditor = principal('Centre', 'anti_fraud_centre', ['auditor']);
    const all = await listAccessLog(db, auditor, { limit: 500 });
    assert.ok(all.length > 10);
    assert.ok(all.every((e, i) => i === 0 || e.id < all[i - 1]!.id));
    const forLi = await listAccessLog(db, auditor, { personId: li });
    assert.ok(forLi.length > 0 && forLi.every((e) => e.personId === li));
    const page = await listAccessLog(db, auditor, { limit: 2, before: all[0]!.id });
    assert.deepEqual(
      page.map((e) => e.id),
      [all[1]!.id, all[2]!.id],
    );
    assert.ok(all.some((e) => e.purpose === 'case:CASE-2026-0042'));
    const bankAuditor = principal('Bank A', 'bank', ['auditor']);
    const own = await listAccessLog(db, bankAuditor);
    assert.ok(own.length > 0);
    assert.ok(own.every((e) => e.organisationId === org['Bank A']));
  });
});

describe('key rotation', () => {
  const k2 = crypto.randomBytes(32);
  const rotated = new PiiCipher(
    [
      { id: 'k2', key: k2 },
      { id: 'k1', key: k1 },
    ],
    lookupKey,
  );
  const extra: string[] = [];

  test('re-encrypts in batches under the new key, resumably; reads work throughout; hashes stay', async () => {
    for (let i = 0; i < 5; i++) {
      extra.push(
        await createPerson(db, cipher, undefined, SYSTEM, {
          name: `测试${i}`,
          idNumber: makeId('320102', `1980010${i + 1}`, '031'),
        }),
      );
    }
    const total = 3 + 5;
    assert.deepEqual((await piiKeyUsage(db)).persons, { k1: total });

    const partial = await rotatePiiKeys(db, rotated, SYSTEM, { batchSize: 3, maxBatches: 1 });
    assert.deepEqual(partial, { activeKeyId: 'k2', reencrypted: 3, remaining: total - 3 });
    assert.deepEqual((await piiKeyUsage(db)).persons, { k1: total - 3, k2: 3 });

    // Mixed keys: every person still reads.
    const analyst = principal('Centre', 'anti_fraud_centre', ['analyst']);
    for (const id of [zhang, li, smith, ...extra]) {
      const v = await readPerson(db, rotated, analyst, id, {
        purpose: 'case:ROT-1',
        fields: ['name', 'idNumber'],
      });
      assert.ok(v.name && !v.masked);
    }
    const progress: number[] = [];
    const rest = await rotatePiiKeys(db, rotated, SYSTEM, {
      batchSize: 3,
      onProgress: (p) => progress.push(p.reencrypted),
    });
    assert.deepEqual(rest, { activeKeyId: 'k2', reencrypted: total - 3, remaining: 0 });
    assert.deepEqual(progress, [3, 5]);
    assert.deepEqual((await piiKeyUsage(db)).persons, { k2: total });
    assert.deepEqual(await rotatePiiKeys(db, rotated, SYSTEM), {
      activeKeyId: 'k2',
      reencrypted: 0,
      remaining: 0,
    });
    assert.equal(
      (await db.selectFrom('audit_log').select('id').where('action', '=', 'pii.rotate').execute()).length,
      2,
    );

    // The old key can go: a cipher with k2 alone reads everything, and lookups still find people.
    const onlyNew = new PiiCipher([{ id: 'k2', key: k2 }], lookupKey);
    const v = await findPersonByIdNumber(db, onlyNew, analyst, ZHANG.idNumber, 'case:ROT-2');
    assert.equal(v.name, ZHANG.name);
    assert.equal(v.birthDate, '1950-03-15');
    for (const id of [li, smith, ...extra]) {
      assert.ok((await readPerson(db, onlyNew, analyst, id, { purpose: 'case:ROT-2' })).name);
    }
    // A cipher with the old key alone no longer reads them.
    await assert.rejects(readPerson(db, cipher, analyst, zhang, { purpose: 'case:ROT-3' }), /no key "k2"/);
  });

  test('refuses to run when rows use a key that is not configured', async () => {
    const stranger = new PiiCipher([{ id: 'k3', key: crypto.randomBytes(32) }], lookupKey);
    await assert.rejects(rotatePiiKeys(db, stranger, SYSTEM), /k2.*not configured/);
  });

  test('a new lookup key: rehashPersons recomputes every hash, in batches', async () => {
    const analyst = principal('Centre', 'anti_fraud_centre', ['analyst']);
    const newLookup = new PiiCipher([{ id: 'k2', key: k2 }], crypto.randomBytes(32));
    await assert.rejects(findPersonByIdNumber(db, newLookup, analyst, ZHANG.idNumber, 'case:H-1'), {
      status: 404,
    });
    const r = await rehashPersons(db, newLookup, SYSTEM, { batchSize: 3 });
    assert.equal(r.scanned, 8);
    assert.equal(r.rehashed, 8);
    assert.equal((await findPersonByIdNumber(db, newLookup, analyst, ZHANG.idNumber, 'case:H-1')).id, zhang);
    assert.equal(
      (await findPersonByIdNumber(db, newLookup, analyst, 'passport:E12345678', 'case:H-1')).id,
      smith,
    );
    assert.equal((await rehashPersons(db, newLookup, SYSTEM)).rehashed, 0, 'idempotent');
    // The person is still found as existing when recorded again.
    assert.equal(await createPerson(db, newLookup, undefined, SYSTEM, LI), li);
  });
});
