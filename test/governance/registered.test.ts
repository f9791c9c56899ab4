import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { testApp, seedUser, signInCookie } from '../helpers/app.ts';
import type { Api, Services } from '../../src/api/types.ts';
import type { HoldingsView } from '../../src/governance/registered.ts';
import { SYSTEM } from '../../src/core/audit.ts';
import {
  addBankAccount,
  addPhoneCard,
  ensurePerson,
  recordCancelledPhoneCard,
  recordClosedBankAccount,
} from '../../src/privacy/service.ts';
import { piiContext } from '../../src/privacy/crypto.ts';
import { demoIdNumber, luhnComplete } from '../../src/demo/seed.ts';
import { CHALLENGE_MAX_ATTEMPTS, citizenOf, CITIZEN_SESSION_MS } from '../../src/governance/registered.ts';

/** "Registered in my name": identity by SMS code, the holdings with limits, and "not mine". */

let app: Api;
let services: Services;
let close: () => Promise<void>;
let telcoOp: string;
let telcoId: string;
let bankId: string;
let otherCardId: string;

const ZHANG = { name: '张伟', id: demoIdNumber('110101', '19850312', 0, 'm') };
const cards = ['+8613900000001', '+8613900000002'];
const OTHER = { name: '王芳', id: demoIdNumber('310104', '19900721', 1, 'f'), card: '+8613900000009' };

/** The deployment's detector parameters: the holder is shown the limits card_limit runs with. */
const paramsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'interdict-registered-'));
const paramsFile = path.join(paramsDir, 'params.json');

before(async () => {
  fs.writeFileSync(
    paramsFile,
    JSON.stringify({ card_limit: { nationalLimit: 4, operatorLimits: { Telco: 1 } } }),
  );
  ({ app, services, close } = await testApp({ INTERDICT_DETECTOR_PARAMS: paramsFile }));
  await seedUser(services, { org: 'Centre', kind: 'anti_fraud_centre', username: 'ana', roles: ['analyst'] });
  ({ organisationId: telcoId } = await seedUser(services, {
    org: 'Telco',
    kind: 'telecom_operator',
    username: 'telco.op',
    roles: ['institution_operator'],
  }));
  ({ organisationId: bankId } = await seedUser(services, {
    org: 'Bank',
    kind: 'bank',
    username: 'bank.op',
    roles: ['institution_operator'],
  }));
  telcoOp = await signInCookie(app, 'telco.op');
  const zhang = await ensurePerson(services.db, services.pii, services.bus, SYSTEM, {
    name: ZHANG.name,
    idNumber: ZHANG.id,
  });
  // The second was opened at a sales outlet the operator names.
  for (const msisdn of cards)
    await addPhoneCard(services.db, SYSTEM, {
      msisdn,
      imsi: null,
      holderPersonId: zhang.id,
      operatorOrgId: telcoId,
      cardType: 'consumer',
      holderRegion: null,
      activatedAt: '2022-05-01T00:00:00+08:00',
      ...(msisdn === cards[1] && { outlet: '110101-017' }),
    });
  await addBankAccount(services.db, SYSTEM, {
    account: luhnComplete('621700001234567'),
    institutionOrgId: bankId,
    holderPersonId: zhang.id,
    accountType: 'personal',
    openedAt: '2019-01-10T00:00:00+08:00',
  });
  const other = await ensurePerson(services.db, services.pii, services.bus, SYSTEM, {
    name: OTHER.name,
    idNumber: OTHER.id,
  });
  otherCardId = await addPhoneCard(services.db, SYSTEM, {
    msisdn: OTHER.card,
    imsi: null,
    holderPersonId: other.id,
    operatorOrgId: telcoId,
    cardType: 'consumer',
    holderRegion: null,
    activatedAt: null,
  });
});
after(async () => {
  await close();
  fs.rmSync(paramsDir, { recursive: true, force: true });
});

/** 张伟's person id. */
async function citizenOfId(): Promise<string> {
  const card = await services.db
    .selectFrom('phone_cards')
    .select('holder_person_id')
    .where('msisdn', '=', cards[0]!)
    .executeTakeFirstOrThrow();
  return card.holder_person_id!;
}

let client = 0;
const anon = () => ({ remoteAddress: `10.8.${++client >> 8}.${client & 255}` });
const ask = (body: object) =>
  app.inject({ method: 'POST', url: '/v1/me/verification', payload: body, ...anon() });
const confirm = (id: string, code: string) =>
  app.inject({ method: 'POST', url: `/v1/me/verification/${id}/confirm`, payload: { code }, ...anon() });
const me = (method: 'GET' | 'POST', url: string, cookie?: string, payload?: object) =>
  app.inject({ method, url, ...anon(), headers: cookie ? { cookie } : {}, ...(payload ? { payload } : {}) });

/** Plays the SMS gateway: the codes in the outbox, newest last. */
async function outboxCodes(): Promise<string[]> {
  const rows = await services.db.selectFrom('outbound_messages').selectAll().orderBy('created_at').execute();
  return rows.map((r) => {
    const body = services.pii.decrypt(
      r.key_id,
      r.body_enc,
      piiContext('outbound_messages', 'body_enc', r.id),
    );
    return /\d{6}/.exec(body)![0];
  });
}

async function signIn(): Promise<string> {
  const r = await ask({ idNumber: ZHANG.id, name: ZHANG.name, phone: cards[0] });
  assert.equal(r.statusCode, 202, r.body);
  const code = (await outboxCodes()).at(-1)!;
  const c = await confirm(r.json<{ challengeId: string }>().challengeId, code);
  assert.equal(c.statusCode, 200, c.body);
  const cookie = String(c.headers['set-cookie']);
  assert.match(cookie, /interdict_citizen=.*Path=\/v1\/me.*HttpOnly/);
  return cookie.split(';')[0]!;
}

describe('registered in my name', () => {
  test('asking for a code answers alike whether or not the details match; only a match sends an SMS', async () => {
    const wrongName = await ask({ idNumber: ZHANG.id, name: '张三', phone: cards[0] });
    const othersPhone = await ask({ idNumber: ZHANG.id, name: ZHANG.name, phone: OTHER.card });
    const unknown = await ask({
      idNumber: demoIdNumber('440305', '19780105', 2, 'f'),
      name: '李娜',
      phone: cards[1],
    });
    for (const r of [wrongName, othersPhone, unknown]) {
      assert.equal(r.statusCode, 202, r.body);
      assert.deepEqual(Object.keys(r.json()).sort(), ['challengeId', 'expiresAt', 'message']);
    }
    assert.equal((await outboxCodes()).length, 0, 'no SMS for details that do not match');
    const right = await ask({ idNumber: ZHANG.id, name: '张 伟', phone: '139 0000 0002' });
    assert.equal(right.statusCode, 202);
    assert.deepEqual(Object.keys(right.json()).sort(), ['challengeId', 'expiresAt', 'message']);
    assert.equal((await outboxCodes()).length, 1);
    // A challenge made for details that matched nobody never passes, whatever the code.
    const id = wrongName.json<{ challengeId: string }>().challengeId;
    assert.equal((await confirm(id, (await outboxCodes())[0]!)).statusCode, 400);
  });

  test('bad input is a clear 400', async () => {
    const r = await ask({ idNumber: '123', name: ZHANG.name, phone: cards[0] });
    assert.equal(r.statusCode, 400);
    const p = await ask({ idNumber: ZHANG.id, name: ZHANG.name, phone: 'my phone' });
    assert.equal(p.json<{ code: string }>().code, 'invalid_phone');
  });

  test('a code allows five tries, then even the right one fails', async () => {
    const r = await ask({ idNumber: ZHANG.id, name: ZHANG.name, phone: cards[0] });
    const id = r.json<{ challengeId: string }>().challengeId;
    const code = (await outboxCodes()).at(-1)!;
    const wrong = code === '000000' ? '111111' : '000000';
    for (let i = 0; i < CHALLENGE_MAX_ATTEMPTS; i++) {
      const c = await confirm(id, wrong);
      assert.equal(c.statusCode, 400);
      assert.equal(c.json<{ code: string }>().code, 'invalid_code');
    }
    assert.equal((await confirm(id, code)).statusCode, 400);
  });

  test('the holdings need the session; they are masked, with the limits, and the read is recorded', async () => {
    assert.equal((await me('GET', '/v1/me/holdings')).statusCode, 401);
    const cookie = await signIn();
    const r = await me('GET', '/v1/me/holdings', cookie);
    assert.equal(r.statusCode, 200, r.body);
    const h = r.json<HoldingsView>();
    assert.equal(h.person.name, '张*');
    assert.equal(h.phoneCards.length, 2);
    assert.deepEqual(
      h.phoneCards.map((c) => c.msisdn),
      ['+86 139****0001', '+86 139****0002'],
    );
    assert.equal(h.bankAccounts.length, 1);
    assert.match(h.bankAccounts[0]!.account, /^\*+\d{4}$/);
    // The configured limits: 4 nationally, the default 5 at an operator, and Telco's own 1.
    assert.deepEqual(
      [h.limits.phoneCards.national, h.limits.phoneCards.perOperator, h.limits.phoneCards.held],
      [4, 5, 2],
    );
    assert.deepEqual(h.limits.phoneCards.byOperator, [{ operator: 'Telco', held: 2, limit: 1 }]);
    for (const secret of [ZHANG.id, cards[0]!, OTHER.card]) assert.ok(!r.body.includes(secret));
    const reads = await services.db
      .selectFrom('personal_data_access')
      .select(['purpose', 'actor_kind'])
      .where('purpose', '=', 'self_service')
      .execute();
    assert.equal(reads.length, 1);
    assert.equal(reads[0]!.actor_kind, 'citizen');
  });

  test('a forged or expired session is refused', async () => {
    const cookie = await signIn();
    const token = decodeURIComponent(cookie.split('=')[1]!);
    const [personId, exp] = token.split('.');
    const forged = `interdict_citizen=${encodeURIComponent(`${personId}.${Number(exp) + 3_600_000}.${token.split('.')[2]}`)}`;
    assert.equal((await me('GET', '/v1/me/holdings', forged)).statusCode, 401);
    assert.equal(citizenOf(services, token), personId);
    assert.equal(citizenOf(services, token, Date.now() + CITIZEN_SESSION_MS + 1_000), null);
  });

  test('"not mine" opens a dispute and a re-verification in the institution’s inbox, once', async () => {
    const cookie = await signIn();
    const h = (await me('GET', '/v1/me/holdings', cookie)).json<{
      phoneCards: { id: string; outlet: string | null }[];
    }>();
    // The holder sees where the card was opened, when its operator said.
    assert.deepEqual(
      h.phoneCards.map((c) => c.outlet),
      [null, '110101-017'],
    );
    const cardId = h.phoneCards[1]!.id;
    const r = await me('POST', '/v1/me/holdings/not-mine', cookie, { kind: 'phone_card', id: cardId });
    assert.equal(r.statusCode, 201, r.body);
    const { instructionId } = r.json<{ instructionId: string }>();
    const inbox = await app.inject({
      method: 'GET',
      url: `/v1/instructions/${instructionId}`,
      headers: { cookie: telcoOp },
    });
    assert.equal(inbox.statusCode, 200, inbox.body);
    const i = inbox.json<{ measure: string; status: string; target: { value: string }; reason: string }>();
    assert.deepEqual([i.measure, i.status, i.target.value], ['re_verify', 'issued', cards[1]]);
    assert.match(i.reason, /not theirs/);
    assert.match(i.reason, /\(opened at outlet 110101-017\)\.$/, 'the operator is told where to look');
    const again = await me('POST', '/v1/me/holdings/not-mine', cookie, { kind: 'phone_card', id: cardId });
    assert.equal(again.statusCode, 200);
    assert.equal(again.json<{ instructionId: string }>().instructionId, instructionId);
    const after = (await me('GET', '/v1/me/holdings', cookie)).json<{
      phoneCards: { disputed: boolean }[];
    }>();
    assert.deepEqual(
      after.phoneCards.map((c) => c.disputed),
      [false, true],
    );
    // Someone else's card is not found, like a card that does not exist.
    const others = await me('POST', '/v1/me/holdings/not-mine', cookie, {
      kind: 'phone_card',
      id: otherCardId,
    });
    assert.equal(others.statusCode, 404);
  });

  test('a number once held and given back is listed as given back, and not counted as held', async () => {
    const zhang = await citizenOfId();
    // Zhang held the number that is now 王芳's, years ago.
    assert.equal(
      await recordCancelledPhoneCard(services.db, SYSTEM, {
        msisdn: OTHER.card,
        holderPersonId: zhang,
        operatorOrgId: telcoId,
        activatedAt: '2015-03-01T00:00:00+08:00',
        cancelledAt: '2018-06-30T12:00:00+08:00',
      }),
      'history',
    );
    // The tests before used up the hour's codes.
    await services.db.deleteFrom('citizen_challenges').where('person_id', '=', zhang).execute();
    const cookie = await signIn();
    const h = (await me('GET', '/v1/me/holdings', cookie)).json<{
      phoneCards: { id: string; status: string; cancelledAt: string | null }[];
      limits: { phoneCards: { held: number } };
    }>();
    assert.deepEqual(
      h.phoneCards.map((c) => [c.status, c.cancelledAt]),
      [
        ['cancelled', '2018-06-30T04:00:00.000Z'],
        ['active', null],
        ['active', null],
      ],
    );
    assert.notEqual(h.phoneCards[0]!.id, otherCardId);
    assert.equal(h.limits.phoneCards.held, 2, 'a card given back is not held');
    // "Not mine" on it would re-verify the number's present holder: refused.
    const r = await me('POST', '/v1/me/holdings/not-mine', cookie, {
      kind: 'phone_card',
      id: h.phoneCards[0]!.id,
    });
    assert.equal(r.statusCode, 409, r.body);
    assert.equal(r.json<{ code: string }>().code, 'card_given_back');
    const disputes = await services.db.selectFrom('holding_disputes').select('holding_id').execute();
    assert.deepEqual(
      disputes.map((d) => d.holding_id),
      [h.phoneCards[2]!.id],
      'only the earlier test’s dispute',
    );
    // 王芳's card, the number's present one, is untouched.
    const present = await services.db
      .selectFrom('phone_cards')
      .select(['status', 'holder_person_id'])
      .where('id', '=', otherCardId)
      .executeTakeFirstOrThrow();
    assert.equal(present.status, 'active');
  });

  test('an account the bank closed is listed as closed, with when; "not mine" still reaches the bank', async () => {
    const zhang = await citizenOfId();
    const held = {
      account: luhnComplete('621700001234567'),
      institutionOrgId: bankId,
      holderPersonId: zhang,
      accountType: 'personal' as const,
      openedAt: '2019-01-10T00:00:00+08:00',
    };
    // The account registered in service is closed by the bank's file; saying so again changes nothing.
    assert.equal(
      await recordClosedBankAccount(services.db, SYSTEM, { ...held, closedAt: '2024-02-29T12:00:00+08:00' }),
      'closed',
    );
    assert.equal(
      await recordClosedBankAccount(services.db, SYSTEM, { ...held, closedAt: '2024-02-29T12:00:00+08:00' }),
      'unchanged',
    );
    // Named again without a closure, it stays closed: a bank opens a new account, it does not reopen one.
    const heldId = await addBankAccount(services.db, SYSTEM, held);
    // One the registry never had, closed years ago: registered as closed.
    const old = {
      ...held,
      account: luhnComplete('621700007654321'),
      openedAt: '2010-03-01T00:00:00+08:00',
      closedAt: '2016-07-15T12:00:00+08:00',
    };
    assert.equal(await recordClosedBankAccount(services.db, SYSTEM, old), 'registered');
    // The number is unique at its bank and not reissued: in another holder's name it is a conflict.
    const other = await services.db
      .selectFrom('phone_cards')
      .select('holder_person_id')
      .where('id', '=', otherCardId)
      .executeTakeFirstOrThrow();
    await assert.rejects(
      recordClosedBankAccount(services.db, SYSTEM, { ...old, holderPersonId: other.holder_person_id }),
      { code: 'bank_account_exists' },
    );
    const closures = await services.db
      .selectFrom('audit_log')
      .select(['target_id', 'details'])
      .where('action', '=', 'bank_account.close')
      .execute();
    assert.deepEqual(
      closures.map((c) => [c.target_id, c.details]),
      [[heldId, { institutionOrgId: bankId, personId: zhang, was: 'active' }]],
      'audited once, naming the bank, the person and the status before',
    );
    await services.db.deleteFrom('citizen_challenges').where('person_id', '=', zhang).execute();
    const cookie = await signIn();
    const h = (await me('GET', '/v1/me/holdings', cookie)).json<{
      bankAccounts: { id: string; status: string; openedAt: string | null; closedAt: string | null }[];
    }>();
    assert.deepEqual(
      h.bankAccounts.map((a) => [a.status, a.openedAt, a.closedAt]),
      [
        ['closed', '2010-02-28T16:00:00.000Z', '2016-07-15T04:00:00.000Z'],
        ['closed', '2019-01-09T16:00:00.000Z', '2024-02-29T04:00:00.000Z'],
      ],
    );
    // "Not mine" on a closed account is allowed: its number is nobody else's, and the bank must
    // still find out who opened it in this person's name.
    const r = await me('POST', '/v1/me/holdings/not-mine', cookie, {
      kind: 'bank_account',
      id: h.bankAccounts[1]!.id,
    });
    assert.equal(r.statusCode, 201, r.body);
    const instruction = await services.db
      .selectFrom('instructions')
      .select(['receiving_organisation_id', 'measure'])
      .where('id', '=', r.json<{ instructionId: string }>().instructionId)
      .executeTakeFirstOrThrow();
    assert.deepEqual([instruction.receiving_organisation_id, instruction.measure], [bankId, 're_verify']);
  });

  test('at most five codes an hour for one person', async () => {
    let last = 0;
    for (let i = 0; i < 6; i++)
      last = (await ask({ idNumber: ZHANG.id, name: ZHANG.name, phone: cards[0] })).statusCode;
    assert.equal(last, 429);
  });
});
