import { PrincipalCache } from '../../src/identity/cache.ts';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import type { Api, Services } from '../../src/api/types.ts';
import { buildServer } from '../../src/api/server.ts';
import { loadConfig } from '../../src/core/config.ts';
import { migrateToLatest } from '../../src/core/db/migrate.ts';
import { createLogger } from '../../src/core/log.ts';
import { auditMigrations, SYSTEM } from '../../src/core/audit.ts';
import { busMigrations } from '../../src/core/bus/migrations.ts';
import { createEventBus } from '../../src/core/bus/index.ts';
import { identityMigrations } from '../../src/identity/migrations.ts';
import { identityRoutes } from '../../src/identity/routes.ts';
import { createApiKey, createOrganisation, createUser } from '../../src/identity/service.ts';
import type { OrganisationKind, Role } from '../../src/identity/model.ts';
import { privacyMigrations } from '../../src/privacy/migrations.ts';
import { privacyRoutes } from '../../src/privacy/routes.ts';
import { loadPiiCipher } from '../../src/privacy/crypto.ts';
import { addBankAccount, addPhoneCard, createPerson } from '../../src/privacy/service.ts';
import { openTestDatabase } from '../helpers/db.ts';

const PASSWORD = 'correct-horse-battery';

function makeId(region: string, birth: string, seq: string): string {
  const first17 = `${region}${birth}${seq}`;
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * (2 ** (17 - i) % 11);
  const c = (12 - (sum % 11)) % 11;
  return first17 + (c === 10 ? 'X' : String(c));
}

let app: Api;
let services: Services;
let closeAll: () => Promise<void>;
const logLines: string[] = [];
const org: Record<string, string> = {};
const cookies: Record<string, string> = {};
let bankKey: string;
let bankKeyWithoutScope: string;

const WANG = { name: '王小明', idNumber: makeId('110101', '19451001', '017') };
const ZHAO = { name: '赵丽', idNumber: makeId('370202', '19880808', '028') };
let wang: string;
let zhao: string;

before(async () => {
  const database = await openTestDatabase();
  await migrateToLatest(database.db, {
    ...auditMigrations,
    ...busMigrations,
    ...identityMigrations,
    ...privacyMigrations,
  });
  const config = loadConfig({ INTERDICT_DATA_DIR: '/nonexistent', LOG_LEVEL: 'info' });
  config.dataDir = 'memory://';
  const sink = new Writable({
    write(chunk, _enc, cb) {
      logLines.push(String(chunk));
      cb();
    },
  });
  const log = createLogger('info', sink);
  const bus = await createEventBus({ db: database.db });
  services = {
    config,
    database,
    db: database.db,
    bus,
    log,
    pii: loadPiiCipher(config),
    principals: new PrincipalCache(),
  };
  app = await buildServer(services, { routes: [identityRoutes, privacyRoutes] });
  await app.ready();
  closeAll = async () => {
    await app.close();
    await bus.close();
    await database.close();
  };

  const { db } = services;
  for (const [name, kind] of [
    ['Centre', 'anti_fraud_centre'],
    ['Bank A', 'bank'],
    ['Bank B', 'bank'],
    ['Telecom T', 'telecom_operator'],
  ] as const) {
    org[name] = await createOrganisation(db, bus, SYSTEM, { name, kind });
  }
  const users: [string, string, OrganisationKind, Role[]][] = [
    ['analyst', 'Centre', 'anti_fraud_centre', ['analyst']],
    ['supervisor', 'Centre', 'anti_fraud_centre', ['supervisor']],
    ['auditor', 'Centre', 'anti_fraud_centre', ['auditor']],
    ['admin', 'Centre', 'anti_fraud_centre', ['administrator']],
    ['banka.op', 'Bank A', 'bank', ['institution_operator']],
    ['banka.auditor', 'Bank A', 'bank', ['auditor']],
    ['telecom.op', 'Telecom T', 'telecom_operator', ['institution_operator']],
  ];
  for (const [username, orgName, , roles] of users) {
    await createUser(db, bus, SYSTEM, {
      organisationId: org[orgName]!,
      username,
      displayName: username,
      password: PASSWORD,
      roles,
    });
    const res = await app.inject({
      method: 'POST',
      url: '/v1/auth/session',
      payload: { username, password: PASSWORD },
    });
    assert.equal(res.statusCode, 200, res.body);
    cookies[username] = `interdict_session=${res.cookies.find((c) => c.name === 'interdict_session')!.value}`;
  }
  bankKey = (
    await createApiKey(db, bus, SYSTEM, {
      organisationId: org['Bank A']!,
      name: 'core',
      scopes: ['persons:read'],
    })
  ).key;
  bankKeyWithoutScope = (
    await createApiKey(db, bus, SYSTEM, {
      organisationId: org['Bank A']!,
      name: 'other',
      scopes: ['listings:read'],
    })
  ).key;

  wang = await createPerson(db, services.pii, bus, SYSTEM, { ...WANG, organisationId: org['Centre']! });
  zhao = await createPerson(db, services.pii, bus, SYSTEM, { ...ZHAO, organisationId: org['Centre']! });
  await addPhoneCard(db, SYSTEM, {
    msisdn: '+8613700001234',
    holderPersonId: wang,
    operatorOrgId: org['Telecom T']!,
    activatedAt: '2020-05-06T00:00:00Z',
  });
  await addBankAccount(db, SYSTEM, {
    account: '6222000011112222',
    institutionOrgId: org['Bank A']!,
    holderPersonId: wang,
    openedAt: '2018-01-01T00:00:00Z',
  });
  await addBankAccount(db, SYSTEM, {
    account: '6217000099998888',
    institutionOrgId: org['Bank B']!,
    holderPersonId: wang,
  });
  await addBankAccount(db, SYSTEM, {
    account: '6217000077776666',
    institutionOrgId: org['Bank B']!,
    holderPersonId: zhao,
  });
});
after(() => closeAll());

const as = (user: string) => ({ cookie: cookies[user]! });
const accessCount = async () =>
  Number(
    (
      await services.db
        .selectFrom('personal_data_access')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );

function problem(
  res: { statusCode: number; json(): unknown; headers: Record<string, unknown> },
  status: number,
  code: string,
) {
  assert.equal(res.statusCode, status);
  assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
  assert.equal((res.json() as { code: string }).code, code);
}

describe('GET /v1/persons', () => {
  test('masked list with counts, one access record per person, not cacheable', async () => {
    const before = await accessCount();
    const res = await app.inject({ method: 'GET', url: '/v1/persons', headers: as('analyst') });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.headers['cache-control'], 'no-store');
    const { items } = res.json() as { items: Record<string, unknown>[] };
    assert.equal(items.length, 2);
    const w = items.find((i) => i.id === wang)!;
    assert.deepEqual(Object.keys(w).sort(), [
      'bankAccountCount',
      'createdAt',
      'id',
      'idNumber',
      'name',
      'phoneCardCount',
    ]);
    assert.equal(w.name, '王**');
    assert.equal(w.idNumber, `110***********${WANG.idNumber.slice(-4)}`);
    assert.equal(w.phoneCardCount, 1);
    assert.equal(w.bankAccountCount, 2);
    assert.match(String(w.createdAt), /^\d{4}-\d{2}-\d{2}T/);
    assert.equal(await accessCount(), before + 2);
    const recs = await services.db
      .selectFrom('personal_data_access')
      .selectAll()
      .orderBy('id', 'desc')
      .limit(2)
      .execute();
    assert.ok(
      recs.every((r) => r.purpose === 'search' && !r.clear && r.request_id === res.headers['x-request-id']),
    );
  });

  test('search by phone number, account, or (in the body) identity number', async () => {
    const get = async (q: string) =>
      (
        (
          await app.inject({
            method: 'GET',
            url: `/v1/persons?q=${encodeURIComponent(q)}&limit=10`,
            headers: as('auditor'),
          })
        ).json() as {
          items: { id: string }[];
        }
      ).items.map((i) => i.id);
    assert.deepEqual(await get('13700001234'), [wang]);
    assert.deepEqual(await get('6217000077776666'), [zhao]);
    assert.deepEqual(await get(ZHAO.idNumber), [zhao]);
    const res = await app.inject({
      method: 'POST',
      url: '/v1/persons/search',
      headers: as('admin'),
      payload: { q: WANG.idNumber },
    });
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(
      (res.json() as { items: { id: string }[] }).items.map((i) => i.id),
      [wang],
    );
  });

  test('centre staff only; limit checked; unauthenticated 401', async () => {
    problem(
      await app.inject({ method: 'GET', url: '/v1/persons', headers: as('banka.op') }),
      403,
      'forbidden',
    );
    problem(
      await app.inject({
        method: 'GET',
        url: '/v1/persons',
        headers: { authorization: `Bearer ${bankKey}` },
      }),
      403,
      'forbidden',
    );
    problem(await app.inject({ method: 'GET', url: '/v1/persons' }), 401, 'unauthenticated');
    problem(
      await app.inject({ method: 'GET', url: '/v1/persons?limit=1000', headers: as('analyst') }),
      400,
      'validation_failed',
    );
    problem(
      await app.inject({ method: 'GET', url: '/v1/persons?purpose=nonsense', headers: as('analyst') }),
      400,
      'purpose_required',
    );
  });
});

describe('GET /v1/persons/:id', () => {
  test('no purpose: 400 purpose_required, nothing recorded', async () => {
    const before = await accessCount();
    problem(
      await app.inject({ method: 'GET', url: `/v1/persons/${wang}`, headers: as('analyst') }),
      400,
      'purpose_required',
    );
    problem(
      await app.inject({ method: 'GET', url: `/v1/persons/${wang}?purpose=case`, headers: as('analyst') }),
      400,
      'purpose_required',
    );
    assert.equal(await accessCount(), before);
  });

  test('an analyst with an appeal: clear values', async () => {
    const res = await app.inject({
      method: 'GET',
      url: `/v1/persons/${wang}?purpose=appeal:APL-2026-0001`,
      headers: as('analyst'),
    });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.headers['cache-control'], 'no-store');
    assert.deepEqual(res.json(), {
      id: wang,
      idType: 'prc_resident',
      name: WANG.name,
      idNumber: WANG.idNumber,
      birthDate: '1945-10-01',
      masked: false,
      phoneCards: [
        {
          msisdn: '+8613700001234',
          operator: 'Telecom T',
          cardType: 'consumer',
          activatedAt: '2020-05-06T00:00:00.000Z',
          status: 'active',
          cancelledAt: null,
        },
      ],
      bankAccounts: [
        {
          account: '6222000011112222',
          institution: 'Bank A',
          accountType: 'personal',
          openedAt: '2018-01-01T00:00:00.000Z',
          status: 'active',
          closedAt: null,
        },
        {
          account: '6217000099998888',
          institution: 'Bank B',
          accountType: 'personal',
          openedAt: null,
          status: 'active',
          closedAt: null,
        },
      ],
    });
    const [rec] = await services.db
      .selectFrom('personal_data_access')
      .selectAll()
      .orderBy('id', 'desc')
      .limit(1)
      .execute();
    assert.equal(rec!.actor_name, 'analyst');
    assert.equal(rec!.purpose, 'appeal');
    assert.equal(rec!.purpose_ref, 'APL-2026-0001');
    assert.equal(rec!.clear, true);
  });

  test('an auditor: masked', async () => {
    const res = await app.inject({
      method: 'GET',
      url: `/v1/persons/${wang}?purpose=audit`,
      headers: as('auditor'),
    });
    const body = res.json() as {
      masked: boolean;
      name: string;
      birthDate: string | null;
      phoneCards: { msisdn: string }[];
    };
    assert.equal(body.masked, true);
    assert.equal(body.name, '王**');
    assert.equal(body.birthDate, null);
    assert.equal(body.phoneCards[0]!.msisdn, '+86 137****1234');
  });

  test("an institution operator: own customer's own accounts; someone else's customer is 404", async () => {
    const res = await app.inject({
      method: 'GET',
      url: `/v1/persons/${wang}?purpose=verification:KYC-77`,
      headers: as('banka.op'),
    });
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json() as {
      masked: boolean;
      name: string;
      bankAccounts: { institution: string }[];
      phoneCards: unknown[];
    };
    assert.equal(body.masked, false);
    assert.equal(body.name, WANG.name);
    assert.deepEqual(
      body.bankAccounts.map((a) => a.institution),
      ['Bank A'],
    );
    assert.deepEqual(body.phoneCards, []);
    const before = await accessCount();
    const other = await app.inject({
      method: 'GET',
      url: `/v1/persons/${zhao}?purpose=verification:KYC-77`,
      headers: as('banka.op'),
    });
    problem(other, 404, 'not_found');
    assert.equal(await accessCount(), before);
    const tel = await app.inject({
      method: 'GET',
      url: `/v1/persons/${wang}?purpose=instruction:INS-1`,
      headers: as('telecom.op'),
    });
    assert.deepEqual(
      (tel.json() as { phoneCards: { msisdn: string }[] }).phoneCards.map((c) => c.msisdn),
      ['+8613700001234'],
    );
  });

  test('API keys need persons:read', async () => {
    const ok = await app.inject({
      method: 'GET',
      url: `/v1/persons/${wang}?purpose=verification:V1`,
      headers: { authorization: `Bearer ${bankKey}` },
    });
    assert.equal(ok.statusCode, 200, ok.body);
    const [rec] = await services.db
      .selectFrom('personal_data_access')
      .selectAll()
      .orderBy('id', 'desc')
      .limit(1)
      .execute();
    assert.equal(rec!.actor_kind, 'api_key');
    assert.equal(rec!.actor_name, 'core');
    problem(
      await app.inject({
        method: 'GET',
        url: `/v1/persons/${wang}?purpose=verification:V1`,
        headers: { authorization: `Bearer ${bankKeyWithoutScope}` },
      }),
      403,
      'forbidden',
    );
  });

  test('a malformed id is a validation error', async () => {
    problem(
      await app.inject({ method: 'GET', url: '/v1/persons/nope?purpose=case:C1', headers: as('analyst') }),
      400,
      'validation_failed',
    );
  });
});

describe('POST /v1/persons/lookup', () => {
  test('finds by identity number in the body; same answer as the detail', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/persons/lookup',
      headers: as('supervisor'),
      payload: { idNumber: ZHAO.idNumber.toLowerCase(), purpose: 'fund_case:FC-3' },
    });
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json() as { id: string; name: string; masked: boolean };
    assert.equal(body.id, zhao);
    assert.equal(body.name, ZHAO.name);
    assert.equal(body.masked, false);
  });

  test('purpose required, unknown fields rejected, bad numbers 400, unknown 404', async () => {
    problem(
      await app.inject({
        method: 'POST',
        url: '/v1/persons/lookup',
        headers: as('analyst'),
        payload: { idNumber: ZHAO.idNumber },
      }),
      400,
      'purpose_required',
    );
    problem(
      await app.inject({
        method: 'POST',
        url: '/v1/persons/lookup',
        headers: as('analyst'),
        payload: { idNumber: ZHAO.idNumber, purpose: 'case:C', x: 1 },
      }),
      400,
      'validation_failed',
    );
    problem(
      await app.inject({
        method: 'POST',
        url: '/v1/persons/lookup',
        headers: as('analyst'),
        payload: { idNumber: '12345', purpose: 'case:C' },
      }),
      400,
      'invalid_id_number',
    );
    problem(
      await app.inject({
        method: 'POST',
        url: '/v1/persons/lookup',
        headers: as('analyst'),
        payload: { idNumber: makeId('110101', '19700101', '011'), purpose: 'case:C' },
      }),
      404,
      'not_found',
    );
    problem(
      await app.inject({
        method: 'POST',
        url: '/v1/persons/lookup',
        headers: as('banka.op'),
        payload: { idNumber: ZHAO.idNumber, purpose: 'verification:V' },
      }),
      404,
      'not_found',
    );
  });
});

describe('POST /v1/persons', () => {
  test('201 with a new id; 200 with the same id when the number is known', async () => {
    const idNumber = makeId('330106', '19991231', '035');
    const res = await app.inject({
      method: 'POST',
      url: '/v1/persons',
      headers: as('analyst'),
      payload: { name: '孙八', idNumber },
    });
    assert.equal(res.statusCode, 201, res.body);
    const { id } = res.json() as { id: string };
    const again = await app.inject({
      method: 'POST',
      url: '/v1/persons',
      headers: as('admin'),
      payload: { name: '孙八', idNumber },
    });
    assert.equal(again.statusCode, 200);
    assert.deepEqual(again.json(), { id });
    const ev = await services.db
      .selectFrom('bus_events')
      .select(['data'])
      .where('type', '=', 'person.created')
      .where('key', '=', id)
      .execute();
    assert.deepEqual(
      ev.map((e) => e.data),
      [{ personId: id, organisationId: org['Centre'] }],
    );
  });

  test('roles, validation', async () => {
    const payload = { name: '周九', idNumber: makeId('330106', '19991231', '043') };
    problem(
      await app.inject({ method: 'POST', url: '/v1/persons', headers: as('auditor'), payload }),
      403,
      'forbidden',
    );
    problem(
      await app.inject({ method: 'POST', url: '/v1/persons', headers: as('banka.op'), payload }),
      403,
      'forbidden',
    );
    problem(
      await app.inject({
        method: 'POST',
        url: '/v1/persons',
        headers: as('analyst'),
        payload: { ...payload, idNumber: '330106199912310430' },
      }),
      400,
      'invalid_id_number',
    );
    problem(
      await app.inject({
        method: 'POST',
        url: '/v1/persons',
        headers: as('analyst'),
        payload: { ...payload, birthDate: 'x' },
      }),
      400,
      'validation_failed',
    );
  });
});

describe('GET /v1/access-log', () => {
  test('auditors and administrators; newest first; by person; paging', async () => {
    const res = await app.inject({
      method: 'GET',
      url: `/v1/access-log?personId=${wang}&limit=3`,
      headers: as('auditor'),
    });
    assert.equal(res.statusCode, 200, res.body);
    const { items } = res.json() as {
      items: {
        id: number;
        personId: string;
        purpose: string;
        clear: boolean;
        fields: string[];
        actorName: string;
        at: string;
      }[];
    };
    assert.equal(items.length, 3);
    assert.deepEqual(Object.keys(items[0]!).sort(), [
      'actorName',
      'at',
      'clear',
      'fields',
      'id',
      'personId',
      'purpose',
    ]);
    assert.ok(items.every((i) => i.personId === wang));
    assert.ok(items[0]!.id > items[1]!.id);
    const next = await app.inject({
      method: 'GET',
      url: `/v1/access-log?personId=${wang}&limit=3&before=${items[2]!.id}`,
      headers: as('admin'),
    });
    assert.ok((next.json() as { items: { id: number }[] }).items.every((i) => i.id < items[2]!.id));
    const all = (
      await app.inject({ method: 'GET', url: '/v1/access-log?limit=500', headers: as('auditor') })
    ).json() as { items: typeof items };
    assert.ok(
      all.items.some((i) => i.purpose === 'appeal:APL-2026-0001' && i.clear && i.actorName === 'analyst'),
    );
  });

  test('a bank auditor sees the reads of its own organisation; analysts none', async () => {
    const res = await app.inject({ method: 'GET', url: '/v1/access-log', headers: as('banka.auditor') });
    const names = new Set((res.json() as { items: { actorName: string }[] }).items.map((i) => i.actorName));
    assert.deepEqual([...names].sort(), ['banka.op', 'core']);
    problem(
      await app.inject({ method: 'GET', url: '/v1/access-log', headers: as('analyst') }),
      403,
      'forbidden',
    );
  });
});

test('no name or identity number reaches the logs', () => {
  const all = logLines.join('');
  assert.ok(all.includes('incoming request'), 'the request log is captured');
  for (const s of [WANG.name, WANG.idNumber, ZHAO.name, ZHAO.idNumber.toLowerCase(), '孙八']) {
    // Identity numbers sent in the GET list's query string are the documented exception (use POST /v1/persons/search).
    if (s === ZHAO.idNumber) continue;
    assert.ok(!all.includes(s), `a log line holds ${s.slice(0, 1)}…`);
  }
});
