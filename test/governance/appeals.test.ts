import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { testApp, seedUser, signInCookie } from '../helpers/app.ts';
import { seedCardHolder } from '../helpers/people.ts';
import type { Api, Services } from '../../src/api/types.ts';
import { SYSTEM } from '../../src/core/audit.ts';
import { addPhoneCard, ensurePerson, recordCancelledPhoneCard } from '../../src/privacy/service.ts';
import { listIndicator } from '../../src/registry/service.ts';
import { demoIdNumber } from '../../src/demo/seed.ts';
import { recordDetections } from '../../src/detection/store.ts';
import { piiContext } from '../../src/privacy/crypto.ts';

/**
 * Appeals end to end over HTTP: a holder appeals against measures on their card, the answer never
 * reveals what was found, the institution verifies, a reviewer other than the issuer upholds, and
 * every measure is lifted at once with a restore instruction in the operator's inbox.
 */

let app: Api;
let services: Services;
let close: () => Promise<void>;
let analyst: string;
let reviewer: string;
let supervisor: string;
let telcoOp: string;
let bankOp: string;
let telcoId: string;

const ZHOU = { name: '周婷', id: demoIdNumber('320102', '19990815', 8, 'f'), card: '+8613800000001' };
const LI = { name: '李强', id: demoIdNumber('440106', '19520223', 7, 'm'), card: '+8613800000002' };
const NOBODY_CARD = '+8613800000009';

before(async () => {
  ({ app, services, close } = await testApp());
  await seedUser(services, { org: 'Centre', kind: 'anti_fraud_centre', username: 'ana', roles: ['analyst'] });
  await seedUser(services, { org: 'Centre', kind: 'anti_fraud_centre', username: 'rev', roles: ['analyst'] });
  await seedUser(services, {
    org: 'Centre',
    kind: 'anti_fraud_centre',
    username: 'sup',
    roles: ['supervisor'],
  });
  ({ organisationId: telcoId } = await seedUser(services, {
    org: 'Telco',
    kind: 'telecom_operator',
    username: 'telco.op',
    roles: ['institution_operator'],
  }));
  await seedUser(services, {
    org: 'Bank',
    kind: 'bank',
    username: 'bank.op',
    roles: ['institution_operator'],
  });
  analyst = await signInCookie(app, 'ana');
  reviewer = await signInCookie(app, 'rev');
  supervisor = await signInCookie(app, 'sup');
  telcoOp = await signInCookie(app, 'telco.op');
  bankOp = await signInCookie(app, 'bank.op');
  for (const p of [ZHOU, LI]) await seedCardHolder(services, { telcoId }, p);
});
after(() => close());

// Public routes are rate-limited per client: each anonymous request comes from its own address.
let client = 0;
const from = (cookie: string | null) =>
  cookie ? { headers: { cookie } } : { remoteAddress: `10.7.${++client >> 8}.${client & 255}` };
const post = (url: string, cookie: string | null, payload?: object) =>
  app.inject({ method: 'POST', url, ...from(cookie), ...(payload ? { payload } : {}) });
const get = (url: string, cookie: string | null) => app.inject({ method: 'GET', url, ...from(cookie) });

async function issue(value: string, measure: string, extra: object = {}): Promise<string> {
  const res = await post('/v1/instructions', analyst, {
    target: { kind: 'msisdn', value },
    measure,
    ...(measure === 'restrict_functions' ? { functions: ['outgoing_calls', 'sms'] } : {}),
    reason: 'mass calling of strangers from a new card',
    legalBasis: 'atof_art11',
    receivingOrganisationId: telcoId,
    ...extra,
  });
  assert.equal(res.statusCode, 201, res.body);
  return res.json<{ id: string }>().id;
}

async function execute(id: string): Promise<void> {
  assert.equal((await post(`/v1/instructions/${id}/receipt`, telcoOp)).statusCode, 200);
  assert.equal((await post(`/v1/instructions/${id}/execution`, telcoOp, { note: 'done' })).statusCode, 200);
}

const appeal = (
  person: { name: string; id: string },
  subject: object,
  explanation = 'This is my own card.',
) =>
  post('/v1/appeals', null, {
    subject,
    appellant: { idNumber: person.id, name: person.name, contactPhone: '+8613912345678' },
    explanation,
    language: 'zh',
  });

/** Plays the SMS gateway: the messages in the outbox, decrypted. */
async function outbox(): Promise<{ to: string; body: string }[]> {
  const rows = await services.db.selectFrom('outbound_messages').selectAll().orderBy('created_at').execute();
  const dec = (r: (typeof rows)[number], col: 'recipient_enc' | 'body_enc') =>
    services.pii.decrypt(r.key_id, r[col], piiContext('outbound_messages', col, r.id));
  return rows.map((r) => ({ to: dec(r, 'recipient_enc'), body: dec(r, 'body_enc') }));
}

async function listingStatus(value: string): Promise<string> {
  const r = await services.db
    .selectFrom('listings')
    .select('status')
    .where('kind', '=', 'phone')
    .where('value', '=', value)
    .executeTakeFirstOrThrow();
  return r.status;
}

type AppealOut = {
  id: string;
  receiptCode: string;
  status: string;
  holderOnRecord: string;
  identityOnRecord: boolean;
  measureCount: number;
  restoredAt?: string | null;
  measures?: { kind: string; id: string; status: string; restoreInstructionId: string | null }[];
};

async function appealByCode(code: string): Promise<AppealOut> {
  const list = await get('/v1/appeals?limit=200', analyst);
  assert.equal(list.statusCode, 200, list.body);
  const hit = list.json<{ items: AppealOut[] }>().items.find((a) => a.receiptCode === code);
  assert.ok(hit, `appeal ${code} in the queue`);
  return hit;
}

describe('appeals', () => {
  let restrictId: string;
  let verifyId: string;
  let zhouCode: string;
  let zhouAppealId: string;

  test('measures stand against a citizen’s card: an executed restriction, an issued re-verification, a listing', async () => {
    await listIndicator(services.db, services.bus, SYSTEM, {
      kind: 'phone',
      value: ZHOU.card,
      category: 'impersonate_police',
      source: { kind: 'analyst', reporterRef: 'test' },
    });
    restrictId = await issue(ZHOU.card, 'restrict_functions');
    await execute(restrictId);
    verifyId = await issue(ZHOU.card, 're_verify');
    assert.equal(await listingStatus(ZHOU.card), 'active');
  });

  test('every appeal gets the same answer: found, someone else’s, or nothing there', async () => {
    const own = await appeal(ZHOU, { kind: 'msisdn', value: '138 0000 0001' });
    const others = await appeal(LI, { kind: 'msisdn', value: ZHOU.card });
    const nothing = await appeal(LI, { kind: 'msisdn', value: NOBODY_CARD });
    for (const r of [own, others, nothing]) {
      assert.equal(r.statusCode, 201, r.body);
      const body = r.json<Record<string, unknown>>();
      assert.deepEqual(Object.keys(body).sort(), ['message', 'receiptCode', 'respondBy', 'status']);
      assert.equal(body.status, 'received');
    }
    assert.deepEqual(own.json().message, others.json().message);
    zhouCode = own.json<{ receiptCode: string }>().receiptCode;
    assert.match(zhouCode, /^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$/);
    // The holder on record, named correctly: the listing is softened while the appeal runs.
    assert.equal(await listingStatus(ZHOU.card), 'under_appeal');

    const a = await appealByCode(zhouCode);
    zhouAppealId = a.id;
    assert.equal(a.holderOnRecord, 'appellant');
    assert.equal(a.identityOnRecord, true);
    assert.equal(a.measureCount, 3);
    const b = await appealByCode(others.json<{ receiptCode: string }>().receiptCode);
    assert.equal(b.holderOnRecord, 'other');
    assert.equal(b.measureCount, 0, "another person's card yields none of its measures");
  });

  test('a recycled number is its present holder’s: its former holder’s appeal reaches none of its measures', async () => {
    const number = '+8613800000777';
    const li = await ensurePerson(services.db, services.pii, services.bus, SYSTEM, {
      name: LI.name,
      idNumber: LI.id,
    });
    // 李强 held it until 2019 (his row first in the table); someone else holds it now.
    await recordCancelledPhoneCard(services.db, SYSTEM, {
      msisdn: number,
      holderPersonId: li.id,
      operatorOrgId: telcoId,
      activatedAt: '2012-01-01T00:00:00+08:00',
      cancelledAt: '2019-01-01T00:00:00+08:00',
    });
    const now = await ensurePerson(services.db, services.pii, services.bus, SYSTEM, {
      name: '孙丽',
      idNumber: demoIdNumber('110105', '19880303', 11, 'f'),
    });
    await addPhoneCard(services.db, SYSTEM, {
      msisdn: number,
      holderPersonId: now.id,
      operatorOrgId: telcoId,
      activatedAt: '2020-01-01T00:00:00+08:00',
    });
    await listIndicator(services.db, services.bus, SYSTEM, {
      kind: 'phone',
      value: number,
      category: 'impersonate_police',
      source: { kind: 'analyst', reporterRef: 'test' },
    });
    const r = await appeal(LI, { kind: 'msisdn', value: number }, 'This number was mine.');
    assert.equal(r.statusCode, 201, r.body);
    const a = await appealByCode(r.json<{ receiptCode: string }>().receiptCode);
    assert.equal(a.holderOnRecord, 'other');
    assert.equal(a.measureCount, 0);
    assert.equal(await listingStatus(number), 'active', 'not softened by a former holder');
  });

  test('a second appeal on the same measure joins the open one', async () => {
    const again = await appeal(ZHOU, { kind: 'msisdn', value: ZHOU.card }, 'I also attach my bills.');
    assert.equal(again.statusCode, 201);
    assert.equal(again.json<{ receiptCode: string }>().receiptCode, zhouCode);
    const detail = await get(`/v1/appeals/${zhouAppealId}`, analyst);
    const actions = detail.json<{ timeline: { action: string }[] }>().timeline.map((t) => t.action);
    assert.deepEqual(actions, ['received', 'joined']);
  });

  test('the receipt shows status and deadline, and no personal data', async () => {
    const r = await get(`/v1/appeals/receipts/${zhouCode.toLowerCase()}`, null);
    assert.equal(r.statusCode, 200, r.body);
    const v = r.json<{ status: string; decision: unknown; respondBy: string }>();
    assert.equal(v.status, 'received');
    assert.equal(v.decision, null);
    for (const secret of [ZHOU.name, ZHOU.id, ZHOU.card, '13800000001'])
      assert.ok(!r.body.includes(secret), `receipt leaks ${secret}`);
    assert.equal((await get('/v1/appeals/receipts/0000-0000-0000', null)).statusCode, 404);
    assert.equal((await get('/v1/appeals/receipts/not-a-code', null)).statusCode, 400);
  });

  test('evidence goes in by receipt; reviewers download it, other institutions cannot; the appellant is told by SMS', async () => {
    const png = Buffer.concat([Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'), Buffer.alloc(64)]);
    const up = await app.inject({
      method: 'POST',
      url: `/v1/appeals/receipts/${zhouCode}/evidence`,
      headers: { 'content-type': 'image/png', 'x-file-name': 'bill.png' },
      payload: png,
      remoteAddress: '10.7.200.1',
    });
    assert.equal(up.statusCode, 201, up.body);
    const detail = await get(`/v1/appeals/${zhouAppealId}`, reviewer);
    const [file] = detail.json<{ evidence: { id: string; fileName: string }[] }>().evidence;
    assert.equal(file!.fileName, 'bill.png');
    const down = await get(`/v1/appeals/${zhouAppealId}/evidence/${file!.id}`, reviewer);
    assert.equal(down.statusCode, 200);
    assert.deepEqual(down.rawPayload, png);
    assert.equal((await get(`/v1/appeals/${zhouAppealId}/evidence/${file!.id}`, bankOp)).statusCode, 404);
    const sms = await outbox();
    assert.ok(
      sms.some((m) => m.to === '+8613912345678' && m.body.includes(zhouCode) && m.body.includes('已受理')),
      'the receipt went to the contact phone by SMS',
    );
  });

  test('bad input is refused with a clear problem', async () => {
    const badId = await appeal(
      { name: '周婷', id: '320102199908150000' },
      { kind: 'msisdn', value: ZHOU.card },
    );
    assert.equal(badId.statusCode, 400);
    assert.match(badId.headers['content-type'] as string, /problem\+json/);
    const noValue = await appeal(ZHOU, { kind: 'account' });
    assert.equal(noValue.statusCode, 400);
    assert.equal(noValue.json<{ code: string }>().code, 'subject_required');
    const badNumber = await appeal(ZHOU, { kind: 'msisdn', value: 'call me' });
    assert.equal(badNumber.statusCode, 400);
    const badNotice = await appeal(ZHOU, { kind: 'notice', value: '12345' });
    assert.equal(badNotice.json<{ code: string }>().code, 'invalid_notice');
  });

  test('the institution that executed the measure sees the appeal; another institution does not', async () => {
    const telco = await get('/v1/appeals', telcoOp);
    assert.equal(telco.statusCode, 200);
    assert.ok(telco.json<{ items: AppealOut[] }>().items.some((a) => a.id === zhouAppealId));
    assert.equal((await get(`/v1/appeals/${zhouAppealId}`, bankOp)).statusCode, 404);
    const bank = await get('/v1/appeals', bankOp);
    assert.equal(bank.json<{ items: unknown[] }>().items.length, 0);
  });

  test('upholding needs verification, and a reviewer who did not issue the measure', async () => {
    const early = await post(`/v1/appeals/${zhouAppealId}/decision`, reviewer, {
      outcome: 'upheld',
      reasons: 'the holder uses the card',
    });
    assert.equal(early.statusCode, 409);
    assert.equal(early.json<{ code: string }>().code, 'verification_required');
    const verified = await post(`/v1/appeals/${zhouAppealId}/verification`, telcoOp, {
      identity: 'confirmed',
      use: 'confirmed',
      method: 'counter',
      note: 'identity card seen; ten years of ordinary calls to family',
    });
    assert.equal(verified.statusCode, 200, verified.body);
    assert.equal(verified.json<{ status: string }>().status, 'under_review');
    const byIssuer = await post(`/v1/appeals/${zhouAppealId}/decision`, analyst, {
      outcome: 'upheld',
      reasons: 'mine',
    });
    assert.equal(byIssuer.statusCode, 403);
    assert.equal(byIssuer.json<{ code: string }>().code, 'reviewer_issued_measure');
    const byTelco = await post(`/v1/appeals/${zhouAppealId}/decision`, telcoOp, {
      outcome: 'upheld',
      reasons: 'x',
    });
    assert.equal(byTelco.statusCode, 403);
  });

  test('an upheld appeal lifts every measure at once and the operator’s inbox gets the restore', async () => {
    const r = await post(`/v1/appeals/${zhouAppealId}/decision`, reviewer, {
      outcome: 'upheld',
      reasons: 'The card is used by its holder for ordinary calls; the detection was wrong.',
    });
    assert.equal(r.statusCode, 200, r.body);
    const v = r.json<AppealOut>();
    assert.equal(v.status, 'upheld');
    const restrict = v.measures!.find((m) => m.id === restrictId)!;
    const verify = v.measures!.find((m) => m.id === verifyId)!;
    assert.equal(restrict.status, 'lifted');
    assert.ok(restrict.restoreInstructionId, 'the executed restriction is restored');
    assert.equal(verify.status, 'lifted');
    assert.equal(verify.restoreInstructionId, null, 'nothing to undo for an instruction never received');
    assert.equal(await listingStatus(ZHOU.card), 'delisted');

    const inbox = await get('/v1/instructions?status=issued', telcoOp);
    const restore = inbox
      .json<{
        items: { id: string; measure: string; restoresInstructionId: string; functions: string[] }[];
      }>()
      .items.find((i) => i.measure === 'restore');
    assert.ok(restore, 'restore instruction in the inbox');
    assert.equal(restore.id, restrict.restoreInstructionId);
    assert.equal(restore.restoresInstructionId, restrictId);
    assert.deepEqual(restore.functions.sort(), ['outgoing_calls', 'sms']);
    const lifted = await get(`/v1/instructions/${restrictId}`, telcoOp);
    assert.equal(lifted.json<{ status: string }>().status, 'lifted');
    assert.deepEqual(lifted.json<{ restoredBy: string[] }>().restoredBy, [restore.id]);

    assert.ok(
      (await outbox()).some((m) => m.body.includes(zhouCode) && m.body.includes('已获支持')),
      'the appellant is told by SMS',
    );
    const receipt = await get(`/v1/appeals/receipts/${zhouCode}`, null);
    const d = receipt.json<{ decision: { outcome: string; restored: boolean; furtherRemedies: unknown } }>()
      .decision;
    assert.equal(d.outcome, 'upheld');
    assert.equal(d.restored, false);
    assert.equal(d.furtherRemedies, null);

    await execute(restore.id);
    const after = await get(`/v1/appeals/receipts/${zhouCode}`, null);
    assert.equal(after.json<{ decision: { restored: boolean } }>().decision.restored, true);
    const detail = await get(`/v1/appeals/${zhouAppealId}`, reviewer);
    assert.ok(detail.json<AppealOut>().restoredAt);

    const events = await services.db
      .selectFrom('bus_events')
      .select(['type'])
      .where('type', 'in', ['appeal.received', 'appeal.decided', 'instruction.lifted'])
      .execute();
    assert.ok(events.some((e) => e.type === 'appeal.decided'));
    assert.equal(events.filter((e) => e.type === 'instruction.lifted').length, 2);
    const reads = await services.db
      .selectFrom('personal_data_access')
      .select(['purpose', 'purpose_ref'])
      .where('purpose', '=', 'appeal')
      .execute();
    assert.ok(
      reads.some((x) => x.purpose_ref === zhouCode),
      'reading the appeal is recorded',
    );
  });

  test('a decided appeal cannot be decided again or withdrawn', async () => {
    const again = await post(`/v1/appeals/${zhouAppealId}/decision`, reviewer, {
      outcome: 'rejected',
      reasons: 'changed my mind',
    });
    assert.equal(again.statusCode, 409);
    assert.equal((await post(`/v1/appeals/receipts/${zhouCode}/withdraw`, null)).statusCode, 409);
  });

  test('compensation is claimed by receipt and decided by a supervisor', async () => {
    const claim = await post(`/v1/appeals/receipts/${zhouCode}/compensation`, null, {
      amount: '350.00',
      description: 'Two days without a phone: missed work calls',
    });
    assert.equal(claim.statusCode, 201, claim.body);
    const twice = await post(`/v1/appeals/receipts/${zhouCode}/compensation`, null, {
      amount: '10',
      description: 'again',
    });
    assert.equal(twice.statusCode, 409);
    const bad = await post(`/v1/appeals/receipts/${zhouCode}/compensation`, null, {
      amount: '-5',
      description: 'x',
    });
    assert.equal(bad.statusCode, 400);
    const detail = await get(`/v1/appeals/${zhouAppealId}`, reviewer);
    const claimId = detail.json<{ compensation: { id: string }[] }>().compensation[0]!.id;
    const byAnalyst = await post(`/v1/compensation-claims/${claimId}/decision`, reviewer, {
      outcome: 'granted',
      reasons: 'x',
    });
    assert.equal(byAnalyst.statusCode, 403);
    const tooMuch = await post(`/v1/compensation-claims/${claimId}/decision`, supervisor, {
      outcome: 'partly_granted',
      amountGranted: '400.00',
      reasons: 'x',
    });
    assert.equal(tooMuch.statusCode, 400);
    const decided = await post(`/v1/compensation-claims/${claimId}/decision`, supervisor, {
      outcome: 'partly_granted',
      amountGranted: '200.00',
      reasons: 'One working day lost, documented.',
    });
    assert.equal(decided.statusCode, 200, decided.body);
    assert.equal(decided.json<{ status: string; amountGranted: string }>().amountGranted, '200.00');
    const receipt = await get(`/v1/appeals/receipts/${zhouCode}`, null);
    assert.deepEqual(receipt.json<{ compensation: unknown[] }>().compensation, [
      { status: 'partly_granted', amount: '350.00', currency: 'CNY', amountGranted: '200.00' },
    ]);
  });

  test('a rejected appeal says how to seek review; a listing put under appeal goes back to active', async () => {
    await listIndicator(services.db, services.bus, SYSTEM, {
      kind: 'phone',
      value: LI.card,
      category: 'loan',
      source: { kind: 'analyst', reporterRef: 'test' },
    });
    const r = await appeal(LI, { kind: 'msisdn', value: LI.card });
    const code = r.json<{ receiptCode: string }>().receiptCode;
    assert.equal(await listingStatus(LI.card), 'under_appeal');
    const a = await appealByCode(code);
    const d = await post(`/v1/appeals/${a.id}/decision`, reviewer, {
      outcome: 'rejected',
      reasons: 'Call records show the card calling hundreds of strangers a day.',
    });
    assert.equal(d.statusCode, 200, d.body);
    assert.equal(await listingStatus(LI.card), 'active');
    const receipt = await get(`/v1/appeals/receipts/${code}`, null);
    const dec = receipt.json<{ decision: { outcome: string; furtherRemedies: { en: string } } }>().decision;
    assert.equal(dec.outcome, 'rejected');
    assert.match(dec.furtherRemedies.en, /administrative reconsideration within 60 days/);
  });

  test('a withdrawn appeal puts the listing back', async () => {
    const value = '+8613800000003';
    const { id } = await ensurePerson(services.db, services.pii, services.bus, SYSTEM, {
      name: '王芳',
      idNumber: demoIdNumber('310104', '19900721', 1, 'f'),
    });
    await addPhoneCard(services.db, SYSTEM, {
      msisdn: value,
      imsi: null,
      holderPersonId: id,
      operatorOrgId: telcoId,
      cardType: 'consumer',
      holderRegion: null,
      activatedAt: null,
    });
    await listIndicator(services.db, services.bus, SYSTEM, {
      kind: 'phone',
      value,
      category: 'loan',
      source: { kind: 'analyst', reporterRef: 'test' },
    });
    const r = await appeal(
      { name: '王 芳', id: demoIdNumber('310104', '19900721', 1, 'f') },
      { kind: 'msisdn', value },
    );
    const code = r.json<{ receiptCode: string }>().receiptCode;
    assert.equal(await listingStatus(value), 'under_appeal', 'spacing in the name does not matter');
    const w = await post(`/v1/appeals/receipts/${code}/withdraw`, null);
    assert.equal(w.statusCode, 200, w.body);
    assert.equal(w.json<{ status: string }>().status, 'withdrawn');
    assert.equal(await listingStatus(value), 'active');
  });

  test('withdrawing an executed instruction sends a restore; restore is never issued by hand', async () => {
    const id = await issue('+8613800000005', 'restrict_functions');
    await execute(id);
    const w = await post(`/v1/instructions/${id}/withdraw`, analyst, { reason: 'wrong number typed' });
    assert.equal(w.statusCode, 200, w.body);
    const detail = await get(`/v1/instructions/${id}`, analyst);
    assert.equal(detail.json<{ restoredBy: string[] }>().restoredBy.length, 1);
    const manual = await post('/v1/instructions', analyst, {
      target: { kind: 'msisdn', value: '+8613800000005' },
      measure: 'restore',
      reason: 'x',
      legalBasis: 'atof_art11',
      receivingOrganisationId: telcoId,
    });
    assert.equal(manual.statusCode, 400);
  });

  test('the notice tells the holder the reason, the article and how to appeal', async () => {
    const id = await issue('+8613800000006', 'suspend_card');
    const n = await get(`/v1/instructions/${id}/notice`, supervisor);
    assert.equal(n.statusCode, 200, n.body);
    const { zh, en } = n.json<{ zh: string; en: string }>();
    assert.match(en, /mass calling of strangers/);
    assert.match(en, /article 11/);
    assert.ok(en.includes(id) && zh.includes(id));
    // The notice number finds the measure in an appeal.
    const byNotice = await appeal(ZHOU, { kind: 'notice', value: id });
    assert.equal(byNotice.statusCode, 201);
  });

  test('an upheld appeal overturns the detection behind the measure: the same facts stop firing', async () => {
    const card = '+8613800000007';
    const who = { name: '赵敏', id: demoIdNumber('110105', '20100402', 6, 'f') };
    const { id: personId } = await ensurePerson(services.db, services.pii, services.bus, SYSTEM, {
      name: who.name,
      idNumber: who.id,
    });
    await addPhoneCard(services.db, SYSTEM, {
      msisdn: card,
      imsi: null,
      holderPersonId: personId,
      operatorOrgId: telcoId,
      cardType: 'consumer',
      holderRegion: null,
      activatedAt: null,
    });
    const t0 = Date.parse('2026-11-20T08:00:00Z');
    const detection = (w: number) => ({
      detector: 'fraud_caller' as const,
      subjectKind: 'msisdn' as const,
      subject: card,
      score: 0.92,
      window: { from: t0 + w, to: t0 + w + 3_600_000 },
      evidence: { callees: ['+8613911110001', '+8613911110002', '+8613911110003'], shortCallShare: 0.9 },
    });
    const [detectionId] = (await recordDetections(services, telcoId, [detection(0)])).ids;
    const confirm = await post(`/v1/detections/${detectionId}/decision`, analyst, {
      decision: 'confirm',
      reason: 'mass calling of strangers',
    });
    assert.equal(confirm.statusCode, 200, confirm.body);
    const instructionId = await issue(card, 'restrict_functions', { detectionId });
    await execute(instructionId);
    const code = (await appeal(who, { kind: 'msisdn', value: card })).json<{ receiptCode: string }>()
      .receiptCode;
    const a = await appealByCode(code);
    assert.equal(a.measureCount, 2, 'the restriction and the listing the confirmation made');
    await post(`/v1/appeals/${a.id}/verification`, telcoOp, {
      identity: 'confirmed',
      use: 'confirmed',
      method: 'records',
    });
    const d = await post(`/v1/appeals/${a.id}/decision`, reviewer, {
      outcome: 'upheld',
      reasons: 'A school volunteer calling parents about a trip: not fraud.',
    });
    assert.equal(d.statusCode, 200, d.body);
    const restoreId = d.json<AppealOut>().measures!.find((m) => m.id === instructionId)!.restoreInstructionId;
    assert.ok(restoreId);
    await execute(restoreId);
    const det = await services.db
      .selectFrom('detections')
      .select(['status', 'decision_reason'])
      .where('id', '=', detectionId!)
      .executeTakeFirstOrThrow();
    assert.equal(det.status, 'rejected');
    assert.match(det.decision_reason ?? '', /overturned on appeal/);
    assert.equal(await listingStatus(card), 'delisted');
    // The detector fires again tomorrow on the same facts: remembered, not queued.
    const again = await recordDetections(services, telcoId, [detection(86_400_000)]);
    assert.equal(again.suppressed, 1);
  });

  test('a person appeals against their credit punishment; only a supervisor who did not designate it decides', async () => {
    const who = { name: '黄强', id: demoIdNumber('440106', '19520223', 7, 'm') };
    await ensurePerson(services.db, services.pii, services.bus, SYSTEM, { name: who.name, idNumber: who.id });
    const designated = await post('/v1/person-lists', supervisor, {
      list: 'credit_punishment',
      idNumber: who.id,
      name: who.name,
      reason: 'lent his bank card to a stranger for money',
      endsAt: new Date(Date.now() + 365 * 86_400_000).toISOString(),
    });
    assert.equal(designated.statusCode, 201, designated.body);
    const listingId = designated.json<{ listing: { id: string } }>().listing.id;
    const code = (
      await appeal(who, { kind: 'person' }, 'The card was stolen; I reported it to the police.')
    ).json<{
      receiptCode: string;
    }>().receiptCode;
    const a = await appealByCode(code);
    const detail = await get(`/v1/appeals/${a.id}`, reviewer);
    const m = detail.json<AppealOut>().measures!;
    assert.deepEqual(
      m.map((x) => [x.kind, x.id]),
      [['person_listing', listingId]],
    );
    await post(`/v1/appeals/${a.id}/verification`, reviewer, {
      identity: 'confirmed',
      use: 'not_applicable',
      method: 'video',
    });
    const bySup = await post(`/v1/appeals/${a.id}/decision`, supervisor, { outcome: 'upheld', reasons: 'x' });
    assert.equal(bySup.statusCode, 403, 'the designating supervisor does not decide');
    const ok = await post(`/v1/appeals/${a.id}/decision`, reviewer, {
      outcome: 'upheld',
      reasons: 'A police report shows the card was stolen before it was used.',
    });
    assert.equal(ok.statusCode, 200, ok.body);
    const l = await services.db
      .selectFrom('person_listings')
      .select(['status', 'removal_kind'])
      .where('id', '=', listingId)
      .executeTakeFirstOrThrow();
    assert.deepEqual([l.status, l.removal_kind], ['removed', 'appeal_upheld']);
  });

  test('a counter takes an appeal on the person’s behalf, identity checked in person', async () => {
    const res = await post('/v1/appeals/counter', telcoOp, {
      subject: { kind: 'person' },
      appellant: { idNumber: LI.id, name: LI.name },
      explanation: 'Came to the counter with his identity card: cannot open a new card.',
    });
    assert.equal(res.statusCode, 201, res.body);
    const out = res.json<{ id: string; joined: boolean }>();
    assert.equal(out.joined, false);
    const detail = await get(`/v1/appeals/${out.id}`, telcoOp);
    assert.equal(detail.statusCode, 200, 'the counter’s institution follows its appeal');
    const v = detail.json<{ channel: string; verification: { identity: string; method: string } }>();
    assert.equal(v.channel, 'counter');
    assert.deepEqual([v.verification.identity, v.verification.method], ['confirmed', 'counter']);
    const byCentre = await post('/v1/appeals/counter', analyst, {
      subject: { kind: 'person' },
      appellant: { idNumber: LI.id, name: LI.name },
      explanation: 'x',
    });
    assert.equal(byCentre.statusCode, 403, 'counters are the institutions’');
  });

  test('the public form is rate-limited per client', async () => {
    let last = 0;
    for (let i = 0; i < 11; i++) {
      const r = await app.inject({
        method: 'POST',
        url: '/v1/appeals',
        remoteAddress: '10.99.0.1',
        payload: { subject: { kind: 'person' }, appellant: { idNumber: 'x', name: 'x' }, explanation: 'x' },
      });
      last = r.statusCode;
    }
    assert.equal(last, 429);
  });

  test('statistics count appeals, decisions, restoration and the share of measures lifted', async () => {
    const r = await get('/v1/appeals/statistics', supervisor);
    assert.equal(r.statusCode, 200, r.body);
    const s = r.json<{
      received: number;
      upheld: number;
      rejected: number;
      withdrawn: number;
      minutesToRestoration: { median: number | null; pending: number };
      byInstitution: { organisationId: string; appeals: number; upheld: number }[];
      lifted: { instructions: number; lifted: number };
      byDetector: { detector: string; instructions: number; lifted: number; share: number | null }[];
      compensation: { claims: number; amountGranted: string };
    }>();
    assert.equal(s.upheld, 3);
    assert.equal(s.rejected, 1);
    assert.equal(s.withdrawn, 1);
    assert.ok(s.received >= 6);
    assert.notEqual(s.minutesToRestoration.median, null);
    assert.equal(s.minutesToRestoration.pending, 0);
    const telco = s.byInstitution.find((o) => o.organisationId === telcoId)!;
    assert.equal(telco.upheld, 2);
    assert.equal(s.lifted.lifted, 3);
    assert.deepEqual(s.byDetector, [{ detector: 'fraud_caller', instructions: 1, lifted: 1, share: 1 }]);
    assert.deepEqual(s.compensation, { claims: 1, granted: 1, amountGranted: '200.00' });
    assert.equal((await get('/v1/appeals/statistics', telcoOp)).statusCode, 403);
  });
});
