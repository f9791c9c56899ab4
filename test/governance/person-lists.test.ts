import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { testApp, seedUser, signInCookie } from '../helpers/app.ts';
import type { Api, Services } from '../../src/api/types.ts';
import type { DecisionNode } from '../../src/registry/decisions.ts';
import { SYSTEM } from '../../src/core/audit.ts';
import { createApiKey, createOrganisation } from '../../src/identity/service.ts';
import { addBankAccount, addPhoneCard, ensurePerson } from '../../src/privacy/service.ts';
import { demoIdNumber } from '../../src/demo/seed.ts';
import {
  addMonths,
  endDuePersonListings,
  removePersonListing,
  TERM_MAX_MONTHS,
} from '../../src/governance/person-lists.ts';

let app: Api;
let services: Services;
let node: DecisionNode;
let close: () => Promise<void>;
let analyst: string;
let supervisor: string;
let auditor: string;
let bankOp: string;
let bankKey: string;
let telcoKey: string;
let telcoId: string;
let bankId: string;

let seq = 0;
/** A fresh valid PRC identity number per call. */
const idNumber = () => demoIdNumber('110101', '19850312', 100 + seq++, seq % 2 ? 'm' : 'f');

const DAY = 86_400_000;
const inMonths = (n: number, from = new Date()) => addMonths(from, n).toISOString();

before(async () => {
  let n: DecisionNode;
  ({ app, services, node: n, close } = await testApp());
  node = n;
  await seedUser(services, { org: 'Centre', kind: 'anti_fraud_centre', username: 'ana', roles: ['analyst'] });
  await seedUser(services, {
    org: 'Centre',
    kind: 'anti_fraud_centre',
    username: 'sup',
    roles: ['supervisor'],
  });
  await seedUser(services, { org: 'Centre', kind: 'anti_fraud_centre', username: 'aud', roles: ['auditor'] });
  ({ organisationId: bankId } = await seedUser(services, {
    org: 'Bank',
    kind: 'bank',
    username: 'bank.op',
    roles: ['institution_operator'],
  }));
  telcoId = await createOrganisation(services.db, services.bus, SYSTEM, {
    name: 'Telco',
    kind: 'telecom_operator',
  });
  analyst = await signInCookie(app, 'ana');
  supervisor = await signInCookie(app, 'sup');
  auditor = await signInCookie(app, 'aud');
  bankOp = await signInCookie(app, 'bank.op');
  const key = async (organisationId: string) =>
    (
      await createApiKey(services.db, services.bus, SYSTEM, {
        organisationId,
        name: 'openings',
        scopes: ['decisions:write'],
      })
    ).key;
  bankKey = await key(bankId);
  telcoKey = await key(telcoId);
  await node.start();
});
after(() => close());

const auth = (who: string) =>
  who.startsWith('interdict_session=') ? { cookie: who } : { authorization: `Bearer ${who}` };
const post = (url: string, who: string, payload?: object) =>
  app.inject({ method: 'POST', url, headers: auth(who), ...(payload ? { payload } : {}) });
const get = (url: string, who: string) => app.inject({ method: 'GET', url, headers: auth(who) });

type View = {
  id: string;
  list: string;
  status: string;
  person: { idNumber: string; name: string; masked: boolean };
  restrictions: string[];
  legalBasis: string;
  startsAt: string;
  endsAt: string;
  reviewAt: string | null;
  noticeSentAt: string | null;
  removalKind: string | null;
  removeReason: string | null;
  timeline?: { action: string; status: string; note: string | null; ref: string | null }[];
};

const credit = (id: string, over: Record<string, unknown> = {}) => ({
  list: 'credit_punishment',
  idNumber: id,
  name: '杨磊',
  reason: 'sold four phone cards to a fraud ring',
  endsAt: inMonths(12),
  ...over,
});
const exit = (id: string, over: Record<string, unknown> = {}) => ({
  list: 'exit_restriction',
  idNumber: id,
  name: '吴刚',
  reason: 'returned from a scam compound abroad',
  endsAt: inMonths(24),
  ...over,
});

async function designate(body: object, who = supervisor): Promise<{ outcome: string; listing: View }> {
  const res = await post('/v1/person-lists', who, body);
  assert.ok(res.statusCode === 200 || res.statusCode === 201, res.body);
  return res.json();
}

const events = async (type: string, id: string) =>
  (await services.db.selectFrom('bus_events').select(['data']).where('type', '=', type).execute())
    .map((r) => r.data as { id: string } & Record<string, unknown>)
    .filter((d) => d.id === id);

const accessRecords = (purpose: string, ref: string) =>
  services.db
    .selectFrom('personal_data_access')
    .selectAll()
    .where('purpose', '=', purpose)
    .where('purpose_ref', '=', ref)
    .execute();

describe('designation', () => {
  test('a supervisor designates; the answer is masked, the person encrypted, the read recorded, an event out', async () => {
    const id = idNumber();
    const res = await post('/v1/person-lists', supervisor, credit(id, { restrictions: ['new_cards'] }));
    assert.equal(res.statusCode, 201, res.body);
    const { outcome, listing } = res.json() as { outcome: string; listing: View };
    assert.equal(outcome, 'created');
    assert.equal(listing.status, 'active');
    assert.equal(listing.legalBasis, 'atof_art31');
    assert.deepEqual(listing.restrictions, ['new_cards']);
    assert.equal(listing.person.masked, true);
    assert.equal(listing.person.idNumber, `${id.slice(0, 3)}***********${id.slice(-4)}`);
    assert.equal(listing.person.name, '杨*');

    const row = await services.db
      .selectFrom('person_listings')
      .selectAll()
      .where('id', '=', listing.id)
      .executeTakeFirstOrThrow();
    assert.ok(!Buffer.from(row.id_number_enc).toString('latin1').includes(id), 'the id number is encrypted');
    const person = await services.db
      .selectFrom('persons')
      .select(['id', 'id_number_hash'])
      .where('id', '=', row.person_id)
      .executeTakeFirstOrThrow();
    assert.equal(row.person_key, person.id_number_hash, 'the same keyed hash as persons');

    const reads = await accessRecords('person_list', listing.id);
    assert.equal(reads.length, 1);
    assert.equal(reads[0]!.person_id, row.person_id);
    assert.equal(reads[0]!.clear, false);

    const [ev] = await events('person_listing.designated', listing.id);
    assert.ok(ev);
    assert.equal(ev.person, row.person_key, 'events carry the keyed hash');
    assert.equal(ev.joined, false);
    assert.ok(!JSON.stringify(ev).includes(id));
  });

  test('analysts, institutions and API keys may not designate; institutions do not browse', async () => {
    assert.equal((await post('/v1/person-lists', analyst, credit(idNumber()))).statusCode, 403);
    assert.equal((await post('/v1/person-lists', bankOp, credit(idNumber()))).statusCode, 403);
    assert.equal((await post('/v1/person-lists', bankKey, credit(idNumber()))).statusCode, 403);
    assert.equal((await get('/v1/person-lists', bankOp)).statusCode, 403);
    assert.equal((await get('/v1/person-lists', bankKey)).statusCode, 403);
    assert.equal((await post('/v1/person-lists/lookup', bankOp, { idNumber: idNumber() })).statusCode, 403);
  });

  test('terms: 6 months to 3 years, ends in the future, starts not in the future; bad input is a clear 400', async () => {
    const start = new Date(Date.now() - 30 * DAY);
    const cases: [object, string, RegExp][] = [
      [credit(idNumber(), { endsAt: inMonths(5) }), 'invalid_term', /6 months to 3 years/],
      [
        credit(idNumber(), { startsAt: start.toISOString(), endsAt: addMonths(start, 37).toISOString() }),
        'invalid_term',
        /between/,
      ],
      [credit(idNumber(), { startsAt: inMonths(1), endsAt: inMonths(13) }), 'invalid_term', /future/],
      [credit(idNumber(), { endsAt: 'next year' }), 'invalid_term', /ISO 8601/],
      [exit(idNumber(), { restrictions: ['new_cards'] }), 'restrictions_not_applicable', /credit punishment/],
      [credit(idNumber(), { legalBasis: 'atof_art36' }), 'invalid_legal_basis', /atof_art31/],
      [credit(idNumber(), { reviewAt: inMonths(3) }), 'review_not_applicable', /exit restriction/],
      [exit(idNumber(), { reviewAt: inMonths(30) }), 'invalid_review', /not after endsAt/],
      [credit('110101198503121234'), 'invalid_id_number', /identity number/],
    ];
    for (const [body, code, detail] of cases) {
      const res = await post('/v1/person-lists', supervisor, body);
      assert.equal(res.statusCode, 400, `${code}: ${res.body}`);
      assert.match(res.headers['content-type'] as string, /application\/problem\+json/);
      const p = res.json() as { code: string; detail: string };
      assert.equal(p.code, code, res.body);
      assert.match(p.detail, detail);
    }
    // The boundaries themselves are fine.
    const ok = await post(
      '/v1/person-lists',
      supervisor,
      credit(idNumber(), { endsAt: inMonths(TERM_MAX_MONTHS) }),
    );
    assert.equal(ok.statusCode, 201, ok.body);
  });

  test('a second designation of an active person joins: later end, added restrictions, capped at 3 years', async () => {
    const id = idNumber();
    const start = new Date(Date.now() - 200 * DAY);
    const first = await designate(
      credit(id, {
        startsAt: start.toISOString(),
        endsAt: addMonths(start, 12).toISOString(),
        restrictions: ['new_cards'],
        ref: 'case-1',
      }),
    );
    const second = await designate(
      credit(id, {
        restrictions: ['new_accounts'],
        endsAt: inMonths(30),
        reason: 'rented out a bank account',
      }),
    );
    assert.equal(second.outcome, 'joined');
    assert.equal(second.listing.id, first.listing.id);
    assert.deepEqual(second.listing.restrictions, ['new_cards', 'new_accounts']);
    // Asked for 30 months from now; the cap is 36 months from the listing's start.
    assert.equal(second.listing.endsAt, addMonths(start, TERM_MAX_MONTHS).toISOString());
    const active = await services.db
      .selectFrom('person_listings')
      .select('id')
      .where('list', '=', 'credit_punishment')
      .where('status', '=', 'active')
      .where(
        'person_key',
        '=',
        (
          await services.db
            .selectFrom('person_listings')
            .select('person_key')
            .where('id', '=', first.listing.id)
            .executeTakeFirstOrThrow()
        ).person_key,
      )
      .execute();
    assert.equal(active.length, 1, 'one active listing per person per list');

    const shown = (await get(`/v1/person-lists/${first.listing.id}`, analyst)).json() as View;
    assert.deepEqual(
      shown.timeline!.map((t) => [t.action, t.ref]),
      [
        ['designated', 'case-1'],
        ['joined', null],
      ],
    );
    assert.match(shown.timeline![1]!.note!, /capped at/);
    const evs = await events('person_listing.designated', first.listing.id);
    assert.deepEqual(
      evs.map((e) => e.joined),
      [false, true],
    );

    // The same reference again: the same listing, unchanged, no new timeline entry.
    const again = await designate(
      credit(id, { restrictions: ['new_cards'], ref: 'case-1', endsAt: inMonths(13) }),
    );
    assert.equal(again.outcome, 'existing');
    assert.equal(again.listing.id, first.listing.id);
    const after = (await get(`/v1/person-lists/${first.listing.id}`, analyst)).json() as View;
    assert.equal(after.timeline!.length, 2);
  });

  test('the same person may be on both lists at once: each list has its own listing', async () => {
    const id = idNumber();
    const a = await designate(credit(id));
    const b = await designate(exit(id));
    assert.equal(a.outcome, 'created');
    assert.equal(b.outcome, 'created');
    assert.notEqual(a.listing.id, b.listing.id);
    assert.equal(b.listing.legalBasis, 'atof_art36');
    assert.ok(b.listing.reviewAt, 'an exit restriction gets a review date');
    assert.ok(Date.parse(b.listing.reviewAt!) <= Date.parse(b.listing.endsAt));
  });
});

describe('reading', () => {
  let creditId: string;
  let exitId: string;
  let id: string;
  before(async () => {
    id = idNumber();
    creditId = (await designate(credit(id))).listing.id;
    exitId = (await designate(exit(id))).listing.id;
  });

  test('detail: clear for a supervisor, masked for analysts and auditors; every read recorded', async () => {
    const sup = (await get(`/v1/person-lists/${creditId}`, supervisor)).json() as View;
    assert.equal(sup.person.masked, false);
    assert.equal(sup.person.idNumber, id);
    assert.equal(sup.person.name, '杨磊');
    const ana = (await get(`/v1/person-lists/${creditId}`, analyst)).json() as View;
    assert.equal(ana.person.masked, true);
    assert.notEqual(ana.person.idNumber, id);
    const aud = (await get(`/v1/person-lists/${creditId}`, auditor)).json() as View;
    assert.equal(aud.person.masked, true);
    const reads = await accessRecords('person_list', creditId);
    const byActor = new Map(reads.map((r) => [r.actor_name, r.clear]));
    assert.equal(byActor.get('sup'), true);
    assert.equal(byActor.get('ana'), false);
    assert.equal(byActor.get('aud'), false);
  });

  test('exit restriction: 404 for analysts (not 403), visible to supervisors and auditors', async () => {
    const res = await get(`/v1/person-lists/${exitId}`, analyst);
    assert.equal(res.statusCode, 404);
    assert.equal(
      (await get(`/v1/person-lists/00000000-0000-4000-8000-000000000000`, analyst)).statusCode,
      404,
    );
    assert.equal((await get(`/v1/person-lists/${exitId}`, auditor)).statusCode, 200);
    assert.equal((await get(`/v1/person-lists/${exitId}`, supervisor)).statusCode, 200);
    // An analyst reading it left no record: nothing was read.
    assert.ok((await accessRecords('person_list', exitId)).every((r) => r.actor_name !== 'ana'));

    const listed = (await get('/v1/person-lists?list=exit_restriction', analyst)).json() as { items: View[] };
    assert.deepEqual(listed.items, []);
    const all = (await get('/v1/person-lists?limit=500', analyst)).json() as { items: View[] };
    assert.ok(all.items.length > 0);
    assert.ok(all.items.every((v) => v.list === 'credit_punishment'));
    const supAll = (await get('/v1/person-lists?list=exit_restriction', supervisor)).json() as {
      items: View[];
    };
    assert.ok(supAll.items.some((v) => v.id === exitId));
    assert.ok(
      supAll.items.every((v) => v.person.masked),
      'lists are always masked',
    );

    const looked = (await post('/v1/person-lists/lookup', analyst, { idNumber: id })).json() as {
      items: View[];
    };
    assert.deepEqual(
      looked.items.map((v) => v.id),
      [creditId],
    );
    const supLooked = (await post('/v1/person-lists/lookup', supervisor, { idNumber: id })).json() as {
      items: View[];
    };
    assert.deepEqual(new Set(supLooked.items.map((v) => v.id)), new Set([creditId, exitId]));
  });

  test('list pages with a cursor and records one read per listing shown', async () => {
    const first = (await get('/v1/person-lists?limit=2', supervisor)).json() as {
      items: View[];
      next: string;
    };
    assert.equal(first.items.length, 2);
    assert.ok(first.next);
    const second = (
      await get(`/v1/person-lists?limit=2&after=${encodeURIComponent(first.next)}`, supervisor)
    ).json() as {
      items: View[];
    };
    assert.ok(second.items.length > 0);
    assert.ok(second.items.every((v) => !first.items.some((f) => f.id === v.id)));
    assert.equal((await get('/v1/person-lists?after=nonsense', supervisor)).statusCode, 400);
  });
});

describe('opening decisions', () => {
  const held = idNumber();
  const bare = idNumber();
  const free = idNumber();
  const exiled = idNumber();
  let heldListing: string;

  before(async () => {
    // `held` holds a card and an account; `bare` holds nothing; both are credit-punished.
    const { id: personId } = await ensurePerson(services.db, services.pii, services.bus, SYSTEM, {
      name: '张伟',
      idNumber: held,
    });
    await addPhoneCard(services.db, SYSTEM, {
      msisdn: '+8613800990001',
      holderPersonId: personId,
      operatorOrgId: telcoId,
      cardType: 'consumer',
    });
    await addBankAccount(services.db, SYSTEM, {
      account: '6217000099000011',
      institutionOrgId: bankId,
      holderPersonId: personId,
      accountType: 'personal',
    });
    heldListing = (await designate(credit(held))).listing.id;
    await designate(credit(bare, { name: '王芳' }));
    await designate(exit(exiled));
  });

  const opening = (kind: string, id: string) => ({ kind, parties: [], applicant: { id_number: id } });
  type Decision = { action: string; reasons: { code: string; zh: string; en: string }[] };

  test('a listed person holding a card is refused a new card, with reason, legal basis and appeal', async () => {
    const res = await post('/v1/decisions', telcoKey, opening('card_opening', held));
    assert.equal(res.statusCode, 200, res.body);
    const d = res.json() as Decision;
    assert.equal(d.action, 'block');
    const r = d.reasons.find((x) => x.code === 'credit_punishment')!;
    assert.ok(r);
    assert.match(r.en, /credit punishment/);
    assert.match(r.en, /art\. 31/);
    assert.match(r.en, /appeal/);
    assert.match(r.zh, /第31条/);
    assert.match(r.zh, /申诉/);
    assert.ok(!r.en.includes(held), 'the id number is not repeated');
    const acct = (await post('/v1/decisions', bankKey, opening('account_opening', held))).json() as Decision;
    assert.equal(acct.action, 'block');
    const reads = await accessRecords('opening_decision', heldListing);
    assert.equal(reads.length, 2);
    assert.deepEqual(
      new Set(reads.flatMap((r) => r.fields)),
      new Set(['personList', 'phoneCards', 'bankAccounts']),
    );
  });

  test('basic services: a listed person holding none is allowed one, flagged for review', async () => {
    for (const [kind, key] of [
      ['card_opening', telcoKey],
      ['account_opening', bankKey],
    ] as const) {
      const d = (await post('/v1/decisions', key, opening(kind, bare))).json() as Decision;
      assert.equal(d.action, 'review', kind);
      assert.deepEqual(
        d.reasons.map((r) => r.code),
        ['credit_punishment_basic_service'],
      );
    }
  });

  test('not listed, or only exit-restricted: the opening is unaffected and nothing names the list', async () => {
    for (const id of [free, exiled]) {
      const d = (await post('/v1/decisions', telcoKey, opening('card_opening', id))).json() as Decision;
      assert.equal(d.action, 'allow');
      assert.deepEqual(d.reasons, []);
    }
  });

  test('a restriction the listing does not carry leaves the opening alone', async () => {
    const id = idNumber();
    await designate(credit(id, { restrictions: ['new_accounts'] }));
    const card = (await post('/v1/decisions', telcoKey, opening('card_opening', id))).json() as Decision;
    assert.equal(card.action, 'allow');
    const acct = (await post('/v1/decisions', bankKey, opening('account_opening', id))).json() as Decision;
    assert.equal(acct.action, 'review', 'no account held: a basic account, flagged');
  });

  test('the batch decides each opening; an applicant on another event or a bad id number is a 400', async () => {
    const res = await post('/v1/decisions/batch', telcoKey, {
      events: [
        opening('card_opening', held),
        { kind: 'call', parties: [{ role: 'caller', kind: 'phone', value: '+8613800138000' }] },
        opening('card_opening', bare),
        opening('card_opening', free),
      ],
    });
    assert.equal(res.statusCode, 200, res.body);
    const ds = (res.json() as { decisions: Decision[] }).decisions;
    assert.deepEqual(
      ds.map((d) => d.action),
      ['block', 'allow', 'review', 'allow'],
    );

    const wrong = await post('/v1/decisions/batch', telcoKey, {
      events: [opening('card_opening', free), { kind: 'call', parties: [], applicant: { id_number: held } }],
    });
    assert.equal(wrong.statusCode, 400);
    assert.equal((wrong.json() as { code: string }).code, 'applicant_not_applicable');
    assert.match((wrong.json() as { detail: string }).detail, /events\[1\]\.applicant/);
    const bad = await post('/v1/decisions', telcoKey, opening('card_opening', '110101198503121234'));
    assert.equal(bad.statusCode, 400);
    assert.equal((bad.json() as { code: string }).code, 'invalid_id_number');
    const extra = await post('/v1/decisions', telcoKey, {
      kind: 'card_opening',
      parties: [],
      applicant: { id_number: held, name: 'x' },
    });
    assert.equal(extra.statusCode, 400, 'the applicant is a strict object');
  });
});

describe('ending', () => {
  test('the expiry job ends listings past their end, once, with an event; openings are free again', async () => {
    const id = idNumber();
    const start = new Date(Date.now() - 170 * DAY);
    const { listing } = await designate(
      credit(id, { startsAt: start.toISOString(), endsAt: addMonths(start, 6).toISOString() }),
    );
    const before = (
      await post('/v1/decisions', telcoKey, {
        kind: 'card_opening',
        parties: [],
        applicant: { id_number: id },
      })
    ).json() as { action: string };
    assert.equal(before.action, 'review');
    const later = Date.parse(listing.endsAt) + 1000;
    const r = await endDuePersonListings(services, later);
    assert.ok(r.ended >= 1);
    assert.equal((await endDuePersonListings(services, later)).ended, 0, 'once');
    const shown = (await get(`/v1/person-lists/${listing.id}`, supervisor)).json() as View;
    assert.equal(shown.status, 'ended');
    assert.equal(shown.timeline!.at(-1)!.action, 'ended');
    assert.equal((await events('person_listing.ended', listing.id)).length, 1);
    // Past its end (by the clock of the decision), the listing no longer matches.
    await services.db
      .updateTable('person_listings')
      .set({ ends_at: new Date(Date.now() - 1000) })
      .where('id', '=', listing.id)
      .execute();
    const after = (
      await post('/v1/decisions', telcoKey, {
        kind: 'card_opening',
        parties: [],
        applicant: { id_number: id },
      })
    ).json() as { action: string };
    assert.equal(after.action, 'allow');
  });

  test('removal early, with kind and reason; again unchanged; the exported function is idempotent', async () => {
    const id = idNumber();
    const { listing } = await designate(credit(id));
    const res = await post(`/v1/person-lists/${listing.id}/remove`, supervisor, {
      kind: 'credit_repair',
      reason: 'repaid the victims and completed the course',
    });
    assert.equal(res.statusCode, 200, res.body);
    const v = res.json() as View;
    assert.equal(v.status, 'removed');
    assert.equal(v.removalKind, 'credit_repair');
    assert.equal(
      (
        await post(`/v1/person-lists/${listing.id}/remove`, supervisor, {
          kind: 'early_removal',
          reason: 'again',
        })
      ).statusCode,
      200,
    );
    const again = await removePersonListing(services.db, services, listing.id, SYSTEM, 'appeal APL-1 upheld');
    assert.equal(again.changed, false);
    assert.equal(again.status, 'removed');
    const evs = await events('person_listing.removed', listing.id);
    assert.equal(evs.length, 1);
    assert.equal(evs[0]!.removal, 'credit_repair');
    assert.equal(evs[0]!.previous, 'active');
    assert.equal(
      (await post(`/v1/person-lists/${listing.id}/remove`, analyst, { kind: 'early_removal', reason: 'x' }))
        .statusCode,
      403,
    );
    const d = (
      await post('/v1/decisions', telcoKey, {
        kind: 'card_opening',
        parties: [],
        applicant: { id_number: id },
      })
    ).json() as { action: string };
    assert.equal(d.action, 'allow');

    // Through the appeals channel's call: default kind appeal_upheld, in the caller's transaction.
    const other = (await designate(credit(idNumber()))).listing.id;
    const removed = await services.db
      .transaction()
      .execute((tx) => removePersonListing(tx, services, other, SYSTEM, 'appeal APL-2 upheld'));
    assert.equal(removed.changed, true);
    assert.equal(removed.removalKind, 'appeal_upheld');
  });

  test('notice once; exit restriction review continues or lifts; credit punishment has no review', async () => {
    const { listing } = await designate(exit(idNumber()));
    const n1 = (await post(`/v1/person-lists/${listing.id}/notice`, supervisor, {})).json() as View;
    assert.ok(n1.noticeSentAt);
    const n2 = (
      await post(`/v1/person-lists/${listing.id}/notice`, supervisor, { sentAt: new Date().toISOString() })
    ).json() as View;
    assert.equal(n2.noticeSentAt, n1.noticeSentAt);
    const next = inMonths(3);
    const cont = await post(`/v1/person-lists/${listing.id}/review`, supervisor, {
      outcome: 'continue',
      note: 'still under investigation',
      nextReviewAt: next,
    });
    assert.equal(cont.statusCode, 200, cont.body);
    assert.equal((cont.json() as View).reviewAt, next);
    assert.equal(
      (await post(`/v1/person-lists/${listing.id}/review`, analyst, { outcome: 'lift', note: 'x' }))
        .statusCode,
      403,
    );
    const lift = (
      await post(`/v1/person-lists/${listing.id}/review`, supervisor, {
        outcome: 'lift',
        note: 'case closed',
      })
    ).json() as View;
    assert.equal(lift.status, 'removed');
    assert.equal(lift.removalKind, 'review_lifted');
    const cp = (await designate(credit(idNumber()))).listing.id;
    const res = await post(`/v1/person-lists/${cp}/review`, supervisor, { outcome: 'continue', note: 'x' });
    assert.equal(res.statusCode, 409);
  });
});
