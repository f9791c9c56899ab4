import { test } from 'node:test';
import assert from 'node:assert/strict';
import { testApp, signInCookie } from '../helpers/app.ts';
import { listReports } from '../../src/reports/service.ts';
import { seedDemo, isEmpty, DEMO_PASSWORD, demoIdNumber, luhnComplete } from '../../src/demo/seed.ts';
import { isValidPrcIdNumber } from '../../src/privacy/idnumber.ts';
import { ORGANISATION_KINDS, ROLES } from '../../src/identity/model.ts';

test('the demo seeds every kind of organisation and role, and every user can sign in', async () => {
  const { app, services, close } = await testApp();
  try {
    assert.equal(await isEmpty(services.db), true);
    const summary = await seedDemo(services);
    assert.equal(await isEmpty(services.db), false);

    const kinds = new Set(
      (await services.db.selectFrom('organisations').select('kind').execute()).map((r) => r.kind),
    );
    assert.deepEqual([...kinds].sort(), [...ORGANISATION_KINDS].sort());
    const roles = new Set(summary.users.flatMap((u) => u.roles));
    assert.deepEqual([...roles].sort(), [...ROLES].sort());

    for (const u of summary.users) {
      const cookie = await signInCookie(app, u.username, DEMO_PASSWORD);
      const me = await app.inject({ method: 'GET', url: '/v1/auth/session', headers: { cookie } });
      assert.equal(me.json<{ user: { username: string } }>().user.username, u.username);
    }

    const persons = await services.db.selectFrom('persons').select(['id']).execute();
    assert.equal(persons.length, summary.persons);
    const cards = await services.db.selectFrom('phone_cards').select(['msisdn', 'card_type']).execute();
    assert.equal(cards.length, summary.phoneCards);
    assert.ok(cards.some((c) => c.card_type === 'iot'));
    assert.ok(cards.every((c) => /^\+\d{8,15}$/.test(c.msisdn)));
    const accounts = await services.db.selectFrom('bank_accounts').select(['account']).execute();
    assert.equal(accounts.length, summary.bankAccounts);
    assert.ok(summary.phoneCards > summary.persons && summary.bankAccounts >= summary.persons);
    // listings a newcomer can check, and the national allowlist
    const listings = await services.db.selectFrom('listings').select(['kind', 'status']).execute();
    assert.equal(listings.length, summary.listings);
    assert.ok(summary.listings >= 10);
    assert.ok(listings.every((l) => l.status === 'active'));
    // reports in the triage queue, the scam in progress first
    const queue = await listReports(services.db);
    assert.equal(queue.length, summary.reports);
    assert.ok(queue[0]!.lostMoney && queue[0]!.ageGroup === 'elderly', JSON.stringify(queue[0]));
    const listedKinds = new Set(listings.map((l) => l.kind));
    for (const k of ['phone', 'domain', 'url', 'bank_account', 'internet_account', 'app'])
      assert.ok(listedKinds.has(k as never), k);
    // detections in the review queue, and the holders in them are demo persons (joinable by keyed hash)
    const detections = await services.db
      .selectFrom('detections')
      .select(['detector', 'subject_kind', 'subject_key', 'status'])
      .execute();
    assert.equal(detections.length, summary.detections);
    assert.ok(detections.every((d) => d.status === 'open'));
    const holders = detections.filter((d) => d.subject_kind === 'holder').map((d) => d.subject_key);
    assert.ok(holders.length >= 2);
    const detectedPersons = await services.db
      .selectFrom('persons')
      .select('id')
      .where('id_number_hash', 'in', holders)
      .execute();
    assert.equal(detectedPersons.length, holders.length, 'each detected holder is a demo person');
    const protectedRows = await services.db.selectFrom('protected_indicators').select('value').execute();
    assert.ok(protectedRows.some((r) => r.value === 'short:CN:110'));
  } finally {
    await close();
  }
});

test('demo identity numbers and card numbers are valid', () => {
  assert.ok(isValidPrcIdNumber(demoIdNumber('110101', '19850312', 0, 'm')));
  assert.ok(isValidPrcIdNumber(demoIdNumber('510107', '19480618', 4, 'f')));
  const card = luhnComplete('621700001000010');
  assert.equal(card.length, 16);
  // Luhn: the full number's checksum is 0 mod 10, and changing the last digit breaks it
  const luhn = (s: string) =>
    [...s].reverse().reduce((sum, ch, i) => {
      let d = Number(ch);
      if (i % 2 === 1) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
      return sum + d;
    }, 0) % 10;
  assert.equal(luhn(card), 0);
  assert.notEqual(luhn(card.slice(0, -1) + String((Number(card.at(-1)) + 1) % 10)), 0);
});
