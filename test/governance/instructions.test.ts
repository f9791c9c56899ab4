import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { testApp, seedUser, signInCookie } from '../helpers/app.ts';
import type { Api, Services } from '../../src/api/types.ts';
import { SYSTEM } from '../../src/core/audit.ts';
import { createApiKey, createOrganisation } from '../../src/identity/service.ts';
import type { Principal } from '../../src/identity/model.ts';
import { decideDetection, holderKey, recordDetections } from '../../src/detection/store.ts';
import type { Detection } from '../../src/detection/records.ts';
import { INSTRUCTION_APPROVAL_THRESHOLD } from '../../src/governance/catalogue.ts';
import {
  acknowledgeInstruction,
  approveInstruction,
  createInstruction,
  escalateOverdue,
  getInstruction,
  localTime,
} from '../../src/governance/store.ts';

let app: Api;
let services: Services;
let close: () => Promise<void>;
let analyst: string;
let supervisor: string;
let auditor: string;
let telcoOp: string;
let bankOp: string;
let telcoKey: string;
let telcoReadOnlyKey: string;
let centreId: string;
let telcoId: string;
let nyTelcoId: string;
let bankId: string;
let ispId: string;
let anaPrincipal: Principal;
let supPrincipal: Principal;

const HOLDER = '11010519491231002X';

before(async () => {
  ({ app, services, close } = await testApp());
  const ana = await seedUser(services, {
    org: 'Centre',
    kind: 'anti_fraud_centre',
    username: 'ana',
    roles: ['analyst'],
  });
  centreId = ana.organisationId;
  const sup = await seedUser(services, {
    org: 'Centre',
    kind: 'anti_fraud_centre',
    username: 'sup',
    roles: ['supervisor'],
  });
  await seedUser(services, { org: 'Centre', kind: 'anti_fraud_centre', username: 'aud', roles: ['auditor'] });
  ({ organisationId: telcoId } = await seedUser(services, {
    org: 'Telco',
    kind: 'telecom_operator',
    username: 'telco.op',
    roles: ['institution_operator'],
  }));
  nyTelcoId = await createOrganisation(services.db, services.bus, SYSTEM, {
    name: 'NY Telco',
    kind: 'telecom_operator',
    timeZone: 'America/New_York',
  });
  ({ organisationId: bankId } = await seedUser(services, {
    org: 'Bank',
    kind: 'bank',
    username: 'bank.op',
    roles: ['institution_operator'],
  }));
  ispId = await createOrganisation(services.db, services.bus, SYSTEM, {
    name: 'ISP',
    kind: 'internet_service',
  });
  analyst = await signInCookie(app, 'ana');
  supervisor = await signInCookie(app, 'sup');
  auditor = await signInCookie(app, 'aud');
  telcoOp = await signInCookie(app, 'telco.op');
  bankOp = await signInCookie(app, 'bank.op');
  telcoKey = (
    await createApiKey(services.db, services.bus, SYSTEM, {
      organisationId: telcoId,
      name: 'inbox',
      scopes: ['instructions:read', 'instructions:write'],
    })
  ).key;
  telcoReadOnlyKey = (
    await createApiKey(services.db, services.bus, SYSTEM, {
      organisationId: telcoId,
      name: 'reader',
      scopes: ['instructions:read'],
    })
  ).key;
  const base = {
    kind: 'user',
    organisationId: centreId,
    organisationKind: 'anti_fraud_centre',
    scopes: [],
  } as const;
  anaPrincipal = { ...base, id: ana.userId, name: 'ana', roles: ['analyst'] };
  supPrincipal = { ...base, id: sup.userId, name: 'sup', roles: ['supervisor'] };
});
after(() => close());

const auth = (who: string) =>
  who.startsWith('interdict_session=') ? { cookie: who } : { authorization: `Bearer ${who}` };
const post = (url: string, who: string, payload?: object) =>
  app.inject({ method: 'POST', url, headers: auth(who), ...(payload ? { payload } : {}) });
const get = (url: string, who: string) => app.inject({ method: 'GET', url, headers: auth(who) });

type View = {
  id: string;
  status: string;
  measure: string;
  functions: string[];
  target: { kind: string; value: string; masked: boolean };
  receivingOrganisationId: string;
  deadline: string | null;
  deadlineLocal: string | null;
  deadlineMinutes: number;
  receivedAt: string | null;
  executedAt: string | null;
  executionNote: string | null;
  contestReason: string | null;
  overdue: boolean;
  detectionId: string | null;
  timeline?: { action: string; status: string; actor: string; note: string | null }[];
};

let seq = 0;
/** A fresh valid mobile number per call, so tests do not collide. */
const msisdn = () => `+86138${String(10_000_000 + seq++).slice(-8)}`;

const restrictCard = (over: Record<string, unknown> = {}) => ({
  target: { kind: 'msisdn', value: msisdn() },
  measure: 'restrict_functions',
  functions: ['outgoing_calls', 'sms'],
  reason: 'mass calls to strangers from a card in a SIM box',
  legalBasis: 'atof_art11',
  receivingOrganisationId: telcoId,
  ...over,
});

async function issue(body: object = restrictCard(), who = analyst): Promise<View> {
  const r = await post('/v1/instructions', who, body);
  assert.equal(r.statusCode, 201, r.body);
  return r.json() as View;
}

async function eventsOf(type: string): Promise<Record<string, unknown>[]> {
  const rows = await services.db.selectFrom('bus_events').select(['data']).where('type', '=', type).execute();
  return rows.map(
    (e) => (typeof e.data === 'string' ? JSON.parse(e.data) : e.data) as Record<string, unknown>,
  );
}

describe('issuing instructions', () => {
  test('an analyst restricts a card: issued at once to the operator, with deadline, event, audit and timeline', async () => {
    const before = Date.now();
    const v = await issue();
    assert.equal(v.status, 'issued');
    assert.deepEqual(v.functions, ['outgoing_calls', 'sms']);
    assert.equal(v.deadlineMinutes, 24 * 60, 'default deadline for restrict_functions');
    const due = Date.parse(v.deadline!);
    assert.ok(due >= before + 24 * 3_600_000 && due <= Date.now() + 24 * 3_600_000);
    const ev = (await eventsOf('instruction.issued')).find((e) => e.id === v.id);
    assert.ok(ev, 'instruction.issued published');
    assert.equal(ev.receivingOrganisationId, telcoId);
    assert.equal(ev.target, v.target.value);
    const a = await services.db
      .selectFrom('audit_log')
      .select(['action', 'actor_name'])
      .where('target_id', '=', v.id)
      .execute();
    assert.deepEqual(a, [{ action: 'instruction.create', actor_name: 'ana' }]);
    const d = (await get(`/v1/instructions/${v.id}`, analyst)).json() as View;
    assert.deepEqual(
      d.timeline!.map((t) => [t.action, t.status, t.actor]),
      [['created', 'issued', 'ana']],
    );
  });

  test('bad input is a clear 400', async () => {
    const cases: [object, string][] = [
      [
        restrictCard({ measure: 'suspend_card', target: { kind: 'account', value: '6222020000000001' } }),
        'measure_target_mismatch',
      ],
      [restrictCard({ functions: [] }), 'functions_required'],
      [restrictCard({ measure: 're_verify', functions: ['sms'] }), 'functions_not_applicable'],
      [restrictCard({ receivingOrganisationId: bankId }), 'institution_kind_mismatch'],
      [restrictCard({ receivingOrganisationId: centreId }), 'institution_kind_mismatch'],
      [
        restrictCard({ receivingOrganisationId: '00000000-0000-4000-8000-000000000000' }),
        'unknown_institution',
      ],
      [restrictCard({ target: { kind: 'msisdn', value: 'not a number' } }), 'invalid_target'],
      [restrictCard({ expiresAt: '2020-01-01' }), 'invalid_expiry'],
      [restrictCard({ detectionId: '00000000-0000-4000-8000-000000000000' }), 'unknown_detection'],
      [restrictCard({ legalBasis: 'art_999' }), 'validation_failed'],
      [restrictCard({ reason: '   ' }), 'validation_failed'],
      [restrictCard({ functions: ['outgoing_calls', 'teleport'] }), 'validation_failed'],
    ];
    for (const [body, code] of cases) {
      const r = await post('/v1/instructions', analyst, body);
      assert.equal(r.statusCode, 400, `${code}: ${r.body}`);
      assert.equal(r.json().code, code, r.body);
    }
  });

  test("the issuer's reference makes a resend answer the first instruction", async () => {
    const first = await issue({ ...restrictCard(), ref: 'batch-7:line-3' });
    const again = await post('/v1/instructions', analyst, { ...restrictCard(), ref: 'batch-7:line-3' });
    assert.equal(again.statusCode, 200, again.body);
    assert.equal((again.json() as View).id, first.id);
    const other = await issue({ ...restrictCard(), ref: 'batch-7:line-4' });
    assert.notEqual(other.id, first.id);
  });

  test('institutions and auditors cannot issue', async () => {
    assert.equal((await post('/v1/instructions', telcoOp, restrictCard())).statusCode, 403);
    assert.equal((await post('/v1/instructions', auditor, restrictCard())).statusCode, 403);
    assert.equal((await post('/v1/instructions', telcoKey, restrictCard())).statusCode, 403);
  });

  test('a link block goes to an internet service, within the hour', async () => {
    const v = await issue({
      target: { kind: 'url', value: 'http://fake-bank-login.example/verify' },
      measure: 'block_link',
      reason: 'phishing page posing as a bank',
      legalBasis: 'atof_art32',
      receivingOrganisationId: ispId,
    });
    assert.equal(v.deadlineMinutes, 60);
  });
});

describe('deadlines in the institution’s time zone', () => {
  test('the deadline is issue time plus the minutes, shown in the receiving institution’s zone', async () => {
    const now = Date.parse('2026-11-02T08:00:00Z');
    const input = {
      target: { kind: 'msisdn' as const, value: msisdn() },
      measure: 're_verify' as const,
      reason: 'card used by someone else',
      legalBasis: 'atof_art11',
      deadlineMinutes: 90,
    };
    const ny = (
      await createInstruction(
        services,
        anaPrincipal,
        { ...input, receivingOrganisationId: nyTelcoId },
        { now },
      )
    ).instruction;
    const sh = (
      await createInstruction(
        services,
        anaPrincipal,
        { ...input, target: { kind: 'msisdn', value: msisdn() }, receivingOrganisationId: telcoId },
        { now },
      )
    ).instruction;
    assert.equal(ny.deadline, '2026-11-02T09:30:00.000Z');
    assert.equal(sh.deadline, '2026-11-02T09:30:00.000Z');
    assert.equal(ny.timeZone, 'America/New_York');
    // New York is on standard time after the first Sunday of November; Shanghai is always +08:00.
    assert.equal(ny.deadlineLocal, '2026-11-02T04:30:00-05:00');
    assert.equal(sh.deadlineLocal, '2026-11-02T17:30:00+08:00');
    assert.equal(
      localTime(new Date('2026-07-01T12:00:00Z'), 'America/New_York'),
      '2026-07-01T08:00:00-04:00',
    );
    assert.equal(localTime(new Date('2026-07-01T12:00:00Z'), 'Not/AZone'), '2026-07-01T12:00:00+00:00');
  });
});

describe('approval', () => {
  test('an analyst’s card suspension waits for a supervisor, unseen by the operator until approved', async () => {
    const v = await issue(
      restrictCard({ measure: 'suspend_card', functions: undefined, legalBasis: 'atof_art31' }),
    );
    assert.equal(v.status, 'awaiting_approval');
    assert.equal(v.deadline, null, 'the deadline starts when it goes out');
    assert.ok(!(await eventsOf('instruction.issued')).some((e) => e.id === v.id), 'not issued yet');
    const inbox = (await get('/v1/instructions', telcoOp)).json() as { items: View[] };
    assert.ok(!inbox.items.some((i) => i.id === v.id));
    assert.equal((await get(`/v1/instructions/${v.id}`, telcoOp)).statusCode, 404);
    assert.equal((await post(`/v1/instructions/${v.id}/receipt`, telcoOp)).statusCode, 404);
    assert.equal((await post(`/v1/instructions/${v.id}/approve`, analyst, {})).statusCode, 403);

    const ok = await post(`/v1/instructions/${v.id}/approve`, supervisor, { note: 'evidence is strong' });
    assert.equal(ok.statusCode, 200, ok.body);
    const approved = ok.json() as View & { approvedBy: string };
    assert.equal(approved.status, 'issued');
    assert.equal(approved.approvedBy, 'sup');
    assert.ok(approved.deadline);
    assert.ok((await eventsOf('instruction.issued')).some((e) => e.id === v.id));
    const again = await post(`/v1/instructions/${v.id}/approve`, supervisor, {});
    assert.equal(again.statusCode, 409);
    assert.equal(again.json().code, 'instruction_not_awaiting_approval');
    const inbox2 = (await get('/v1/instructions', telcoOp)).json() as { items: View[] };
    assert.ok(inbox2.items.some((i) => i.id === v.id));
  });

  test('a supervisor’s own suspension goes out directly', async () => {
    const v = await issue(restrictCard({ measure: 'suspend_card', functions: undefined }), supervisor);
    assert.equal(v.status, 'issued');
  });

  test('the issuer cannot approve their own instruction', async () => {
    // A supervisor who issued as an analyst (say, before a promotion) still needs a second pair of eyes.
    const asAnalyst: Principal = { ...supPrincipal, roles: ['analyst'] };
    const { instruction } = await createInstruction(services, asAnalyst, {
      target: { kind: 'holder', value: HOLDER },
      measure: 'refuse_new_cards_accounts',
      reason: 'sold cards opened in their name',
      legalBasis: 'atof_art31',
      receivingOrganisationId: telcoId,
    });
    assert.equal(instruction.status, 'awaiting_approval');
    await assert.rejects(approveInstruction(services, supPrincipal, instruction.id), {
      code: 'approval_by_issuer',
    });
  });
});

describe('the institution inbox', () => {
  test('each institution sees its own instructions only; others are not found', async () => {
    const v = await issue();
    const mine = (await get('/v1/instructions?limit=500', telcoKey)).json() as { items: View[] };
    assert.ok(mine.items.some((i) => i.id === v.id));
    assert.ok(mine.items.every((i) => i.receivingOrganisationId === telcoId));
    const bank = (await get('/v1/instructions?limit=500', bankOp)).json() as { items: View[] };
    assert.ok(!bank.items.some((i) => i.id === v.id));
    const other = await get(`/v1/instructions/${v.id}`, bankOp);
    assert.equal(other.statusCode, 404);
    assert.ok(!other.body.includes(v.target.value), 'reveals nothing');
    assert.equal((await post(`/v1/instructions/${v.id}/receipt`, bankOp)).statusCode, 404);
    // The centre sees all, and filters by institution.
    const centre = (await get(`/v1/instructions?institution=${telcoId}&limit=500`, auditor)).json() as {
      items: View[];
    };
    assert.ok(centre.items.some((i) => i.id === v.id));
    assert.ok(centre.items.every((i) => i.receivingOrganisationId === telcoId));
  });

  test('a read-only key cannot acknowledge; the centre cannot acknowledge for an institution', async () => {
    const v = await issue();
    assert.equal((await post(`/v1/instructions/${v.id}/receipt`, telcoReadOnlyKey)).statusCode, 403);
    assert.equal((await post(`/v1/instructions/${v.id}/receipt`, analyst)).statusCode, 403);
  });

  test('receipt, then execution: repeats are idempotent, wrong order is 409', async () => {
    const v = await issue();
    const early = await post(`/v1/instructions/${v.id}/execution`, telcoKey, {});
    assert.equal(early.statusCode, 409);
    assert.equal(early.json().code, 'instruction_not_received');

    const r1 = await post(`/v1/instructions/${v.id}/receipt`, telcoKey);
    assert.equal(r1.statusCode, 200, r1.body);
    assert.equal(r1.json().status, 'received');
    const r2 = await post(`/v1/instructions/${v.id}/receipt`, telcoOp);
    assert.equal(r2.statusCode, 200);
    assert.equal(r2.json().receivedAt, r1.json().receivedAt, 'unchanged');

    const e1 = await post(`/v1/instructions/${v.id}/execution`, telcoKey, {
      note: 'calls and SMS barred at 10:02',
    });
    assert.equal(e1.statusCode, 200, e1.body);
    assert.equal(e1.json().status, 'executed');
    assert.equal(e1.json().executionNote, 'calls and SMS barred at 10:02');
    const e2 = await post(`/v1/instructions/${v.id}/execution`, telcoKey, { note: 'again' });
    assert.equal(e2.statusCode, 200);
    assert.equal(e2.json().executionNote, 'calls and SMS barred at 10:02', 'a repeat changes nothing');
    assert.equal(e2.json().executedAt, e1.json().executedAt);

    const late = await post(`/v1/instructions/${v.id}/contest`, telcoKey, { reason: 'too late' });
    assert.equal(late.statusCode, 409);
    assert.equal(late.json().code, 'instruction_executed');

    const d = (await get(`/v1/instructions/${v.id}`, telcoOp)).json() as View;
    assert.deepEqual(
      d.timeline!.map((t) => t.action),
      ['created', 'received', 'executed'],
    );
    assert.equal((await eventsOf('instruction.received')).filter((e) => e.id === v.id).length, 1);
    assert.equal((await eventsOf('instruction.executed')).filter((e) => e.id === v.id).length, 1);
    const audits = await services.db
      .selectFrom('audit_log')
      .select('action')
      .where('target_id', '=', v.id)
      .orderBy('id')
      .execute();
    assert.deepEqual(
      audits.map((a) => a.action),
      ['instruction.create', 'instruction.receipt', 'instruction.execution'],
    );
  });

  test('contest with a reason, then the centre withdraws; acknowledgements after that are 409', async () => {
    const v = await issue();
    const noReason = await post(`/v1/instructions/${v.id}/contest`, telcoOp, {});
    assert.equal(noReason.statusCode, 400);
    const c = await post(`/v1/instructions/${v.id}/contest`, telcoOp, {
      reason: 'the card belongs to a hospital',
    });
    assert.equal(c.statusCode, 200, c.body);
    assert.equal(c.json().status, 'contested');
    assert.equal(c.json().contestReason, 'the card belongs to a hospital');
    const c2 = await post(`/v1/instructions/${v.id}/contest`, telcoOp, { reason: 'again' });
    assert.equal(c2.statusCode, 200);
    assert.equal(c2.json().contestReason, 'the card belongs to a hospital');
    const ex = await post(`/v1/instructions/${v.id}/execution`, telcoOp, {});
    assert.equal(ex.statusCode, 409);
    assert.equal(ex.json().code, 'instruction_contested');

    assert.equal((await post(`/v1/instructions/${v.id}/withdraw`, telcoOp, { reason: 'x' })).statusCode, 403);
    const w = await post(`/v1/instructions/${v.id}/withdraw`, analyst, { reason: 'the contest is right' });
    assert.equal(w.statusCode, 200, w.body);
    assert.equal(w.json().status, 'withdrawn');
    assert.equal(
      (await post(`/v1/instructions/${v.id}/withdraw`, analyst, { reason: 'again' })).statusCode,
      200,
    );
    const after = await post(`/v1/instructions/${v.id}/receipt`, telcoOp);
    assert.equal(after.statusCode, 409);
    assert.equal(after.json().code, 'instruction_withdrawn');
    const contested = (await eventsOf('instruction.contested')).find((e) => e.id === v.id);
    assert.ok(contested);
    assert.ok(!JSON.stringify(contested).includes('hospital'), 'free-text reasons stay out of events');
    const withdrawn = (await eventsOf('instruction.withdrawn')).filter((e) => e.id === v.id);
    assert.equal(withdrawn.length, 1, 'withdrawing twice publishes once');
    assert.equal(withdrawn[0]!.previous, 'contested');
  });
});

describe('holders are personal data', () => {
  test('a holder target is stored encrypted, shown masked, and published as its keyed hash', async () => {
    const v = await issue(
      {
        target: { kind: 'holder', value: HOLDER },
        measure: 're_verify',
        reason: 'more cards than the limit',
        legalBasis: 'atof_art11',
        receivingOrganisationId: telcoId,
      },
      supervisor,
    );
    assert.equal(v.target.masked, true);
    assert.notEqual(v.target.value, HOLDER);
    const r = await get(`/v1/instructions/${v.id}`, telcoOp);
    assert.ok(!r.body.includes(HOLDER));
    const row = await services.db
      .selectFrom('instructions')
      .select(['target_key', 'target_enc'])
      .where('id', '=', v.id)
      .executeTakeFirstOrThrow();
    assert.equal(row.target_key, holderKey(services.pii, HOLDER));
    assert.ok(!Buffer.from(row.target_enc!).toString('latin1').includes(HOLDER));
    const ev = (await eventsOf('instruction.issued')).find((e) => e.id === v.id)!;
    assert.equal(ev.target, holderKey(services.pii, HOLDER));
    assert.ok(!JSON.stringify(ev).includes(HOLDER));
  });
});

const T0 = Date.parse('2026-11-02T08:00:00+08:00');
const detection = (
  d: Partial<Detection> & Pick<Detection, 'detector' | 'subjectKind' | 'subject'>,
): Detection => ({
  score: 0.9,
  window: { from: T0, to: T0 + 3_600_000 },
  evidence: { note: d.subject },
  ...d,
});

async function confirmedDetections(orgId: string | null, ds: Detection[]): Promise<string[]> {
  const { ids } = await recordDetections(services, orgId, ds);
  await services.db.updateTable('detections').set({ status: 'confirmed' }).where('id', 'in', ids).execute();
  return ids;
}

describe('instructions from confirmed detections', () => {
  test('recommended measures become instructions for the institution whose data fired them', async () => {
    const caller = msisdn();
    const {
      ids: [fraudId],
    } = await recordDetections(services, telcoId, [
      detection({ detector: 'fraud_caller', subjectKind: 'msisdn', subject: caller }),
    ]);
    const [simboxId] = await confirmedDetections(telcoId, [
      detection({ detector: 'simbox', subjectKind: 'imei', subject: '356938035643809' }),
    ]);
    const [muleId] = await confirmedDetections(bankId, [
      detection({ detector: 'mule_account', subjectKind: 'account', subject: '6222020000009001' }),
    ]);
    const [limitId] = await confirmedDetections(telcoId, [
      detection({ detector: 'card_limit', subjectKind: 'holder', subject: HOLDER }),
    ]);
    const [platformId] = await confirmedDetections(null, [
      detection({ detector: 'iot_misuse', subjectKind: 'msisdn', subject: msisdn() }),
    ]);
    const ids = [fraudId!, simboxId!, muleId!, limitId!, platformId!];

    const open = await post('/v1/instructions/from-detections', analyst, {
      detectionIds: ids,
      legalBasis: 'atof_art32',
    });
    assert.equal(open.statusCode, 409, open.body);
    assert.equal(open.json().code, 'detections_not_confirmed');
    assert.ok(open.json().detail.includes(fraudId!));
    assert.equal(
      (await services.db.selectFrom('instructions').select('id').where('detection_id', 'in', ids).execute())
        .length,
      0,
      'nothing is created when any detection is not confirmed',
    );

    await decideDetection(services, anaPrincipal, fraudId!, {
      decision: 'confirm',
      reason: 'matches the complaints',
    });
    const r = await post('/v1/instructions/from-detections', analyst, {
      detectionIds: ids,
      legalBasis: 'atof_art32',
    });
    assert.equal(r.statusCode, 200, r.body);
    const out = r.json() as {
      created: View[];
      existing: View[];
      skipped: { detectionId: string; measure: string; reason: string }[];
    };
    const made = out.created.map((v) => [v.detectionId, v.measure, v.target.kind, v.receivingOrganisationId]);
    assert.deepEqual(
      made.sort(),
      [
        [fraudId, 're_verify', 'msisdn', telcoId],
        [fraudId, 'restrict_functions', 'msisdn', telcoId],
        [muleId, 're_verify', 'account', bankId],
        [limitId, 're_verify', 'holder', telcoId],
      ].sort(),
    );
    const restrict = out.created.find((v) => v.measure === 'restrict_functions')!;
    assert.deepEqual(restrict.functions, ['outgoing_calls', 'sms']);
    assert.equal(restrict.target.value, caller);
    assert.ok(
      out.created.every((v) => v.status === 'issued'),
      'a small request goes out directly',
    );
    const holder = out.created.find((v) => v.target.kind === 'holder')!;
    assert.equal(holder.target.masked, true);
    assert.ok(!r.body.includes(HOLDER));
    const skipped = out.skipped.map((s) => [s.detectionId, s.measure]).sort();
    assert.deepEqual(
      skipped,
      [
        [simboxId, 'restrict'],
        [simboxId, 're_verify'],
        [muleId, 'flag'],
        [platformId, 'restrict'],
      ].sort(),
    );
    assert.equal(out.existing.length, 0);

    const again = await post('/v1/instructions/from-detections', analyst, {
      detectionIds: ids,
      legalBasis: 'atof_art32',
    });
    assert.equal(again.statusCode, 200, again.body);
    assert.equal(again.json().created.length, 0);
    assert.deepEqual(
      (again.json().existing as View[]).map((v) => v.id).sort(),
      out.created.map((v) => v.id).sort(),
      'the same detection and measure twice gives the existing instruction',
    );
    // The single route is idempotent on a detection's measure too.
    const single = await post(
      '/v1/instructions',
      analyst,
      restrictCard({ target: { kind: 'msisdn', value: caller }, detectionId: fraudId }),
    );
    assert.equal(single.statusCode, 200, single.body);
    assert.equal(single.json().id, restrict.id);
  });

  test('an analyst’s request above the threshold waits for a supervisor; a supervisor’s goes out', async () => {
    const n = INSTRUCTION_APPROVAL_THRESHOLD + 1;
    const ds = Array.from({ length: n }, () =>
      detection({ detector: 'iot_misuse', subjectKind: 'msisdn', subject: msisdn() }),
    );
    const ids = await confirmedDetections(telcoId, ds);
    const r = await post('/v1/instructions/from-detections', analyst, {
      detectionIds: ids,
      legalBasis: 'atof_art11',
      reason: 'IoT cards making voice calls',
    });
    assert.equal(r.statusCode, 200, r.body);
    const created = r.json().created as (View & { reason: string })[];
    assert.equal(created.length, n);
    assert.ok(created.every((v) => v.status === 'awaiting_approval'));
    assert.ok(created.every((v) => v.reason === 'IoT cards making voice calls'));

    const small = await confirmedDetections(
      telcoId,
      Array.from({ length: 2 }, () =>
        detection({ detector: 'iot_misuse', subjectKind: 'msisdn', subject: msisdn() }),
      ),
    );
    const s = await post('/v1/instructions/from-detections', analyst, {
      detectionIds: small,
      legalBasis: 'atof_art11',
    });
    assert.ok((s.json().created as View[]).every((v) => v.status === 'issued'));

    const more = await confirmedDetections(
      telcoId,
      Array.from({ length: n }, () =>
        detection({ detector: 'iot_misuse', subjectKind: 'msisdn', subject: msisdn() }),
      ),
    );
    const sup = await post('/v1/instructions/from-detections', supervisor, {
      detectionIds: more,
      legalBasis: 'atof_art11',
    });
    assert.ok((sup.json().created as View[]).every((v) => v.status === 'issued'));
  });

  test('unknown detections are 404', async () => {
    const r = await post('/v1/instructions/from-detections', analyst, {
      detectionIds: ['00000000-0000-4000-8000-000000000000'],
      legalBasis: 'atof_art32',
    });
    assert.equal(r.statusCode, 404);
  });
});

describe('overdue escalation', () => {
  test('past its deadline and not executed: marked overdue once, with event, audit and timeline', async () => {
    const now = Date.now();
    const mk = async () =>
      (
        await createInstruction(
          services,
          anaPrincipal,
          {
            target: { kind: 'msisdn', value: msisdn() },
            measure: 'restrict_functions',
            functions: ['data'],
            reason: 'SIM box',
            legalBasis: 'atof_art11',
            receivingOrganisationId: telcoId,
            deadlineMinutes: 60,
          },
          { now },
        )
      ).instruction;
    const late = await mk();
    const done = await mk();
    const telco: Principal = {
      kind: 'api_key',
      id: 'k',
      name: 'inbox',
      organisationId: telcoId,
      organisationKind: 'telecom_operator',
      roles: [],
      scopes: ['instructions:write'],
    };
    await acknowledgeInstruction(services, telco, done.id, 'receipt');
    await acknowledgeInstruction(services, telco, done.id, 'execution');

    await escalateOverdue(services, now + 59 * 60_000);
    assert.equal(
      (await getInstruction(services, anaPrincipal, late.id)).overdue,
      false,
      'not before the deadline',
    );

    const r = await escalateOverdue(services, now + 61 * 60_000);
    assert.ok(r.escalated >= 1);
    const v = await getInstruction(services, anaPrincipal, late.id);
    assert.equal(v.overdue, true);
    assert.equal(v.status, 'issued', 'overdue is a flag, not a state');
    assert.equal(v.timeline!.at(-1)!.action, 'overdue');
    assert.equal(v.timeline!.at(-1)!.actor, 'interdict');
    assert.equal((await getInstruction(services, anaPrincipal, done.id)).overdue, false, 'executed in time');

    await escalateOverdue(services, now + 120 * 60_000);
    assert.equal((await eventsOf('instruction.overdue')).filter((e) => e.id === late.id).length, 1, 'once');
    const audits = await services.db
      .selectFrom('audit_log')
      .select('action')
      .where('target_id', '=', late.id)
      .where('action', '=', 'instruction.overdue')
      .execute();
    assert.equal(audits.length, 1);

    const list = (await get('/v1/instructions?overdue=true&limit=500', telcoOp)).json() as { items: View[] };
    assert.ok(list.items.some((i) => i.id === late.id));
    assert.ok(list.items.every((i) => i.overdue));
  });
});

describe('listing', () => {
  test('filters by status and measure, pages with a cursor', async () => {
    const r = await get('/v1/instructions?measure=block_link&status=issued', analyst);
    assert.equal(r.statusCode, 200);
    const items = (r.json() as { items: View[] }).items;
    assert.ok(items.length >= 1);
    assert.ok(items.every((i) => i.measure === 'block_link' && i.status === 'issued'));
    const p1 = (await get('/v1/instructions?limit=2', analyst)).json() as { items: View[]; next: string };
    assert.equal(p1.items.length, 2);
    const p2 = (
      await get(`/v1/instructions?limit=2&after=${encodeURIComponent(p1.next)}`, analyst)
    ).json() as {
      items: View[];
    };
    assert.ok(p2.items.every((i) => !p1.items.some((j) => j.id === i.id)));
    assert.equal((await get('/v1/instructions?after=garbage', analyst)).statusCode, 400);
    const lb = (await get('/v1/instructions/legal-bases', telcoKey)).json() as { items: { id: string }[] };
    assert.ok(lb.items.some((b) => b.id === 'atof_art31'));
  });
});
