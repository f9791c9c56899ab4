import crypto from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { testApp, seedUser, signInCookie } from '../helpers/app.ts';
import { seedCardHolder } from '../helpers/people.ts';
import type { Api, Services } from '../../src/api/types.ts';
import { SYSTEM } from '../../src/core/audit.ts';
import { createApiKey } from '../../src/identity/service.ts';
import { addPhoneCard, ensurePerson, recordCancelledPhoneCard } from '../../src/privacy/service.ts';
import { piiContext } from '../../src/privacy/crypto.ts';
import { demoIdNumber } from '../../src/demo/seed.ts';
import { recordDetections } from '../../src/detection/store.ts';
import { warningRoutes, warningRoutesWith } from '../../src/warnings/routes.ts';
import { escalateDue } from '../../src/warnings/service.ts';
import { accountKey, msisdnKey } from '../../src/warnings/cooling-off.ts';
import { containsLink } from '../../src/warnings/plan.ts';

/**
 * Warnings end to end over HTTP on a real database and bus: triggers open one warning per person
 * per episode, the plan escalates by deadline, outcomes close it (a false alarm teaches the
 * detector and suppresses; already paid opens a fund case), and clear data shows on one route only.
 */

let app: Api;
let services: Services;
let close: () => Promise<void>;
let analyst: string;
let supervisor: string;
let bankKeyWithout: string;
let bankKeyWith: string;
let telco: string;
const consumer = `warnings-test-${crypto.randomBytes(4).toString('hex')}`;

const CHEN = {
  name: '陈静',
  id: demoIdNumber('510107', '19480618', 4, 'f'),
  card: '+8613810000401',
  account: '6217000010000401',
};
const ZHAO = { name: '赵敏', id: demoIdNumber('110105', '20100402', 6, 'f'), card: '+8613810000601' };
const ZHANG = { name: '张伟', id: demoIdNumber('110101', '19850312', 0, 'm'), card: '+8613810000001' };
const LIU = { name: '刘洋', id: demoIdNumber('330106', '19951130', 3, 'm'), card: '+8613810000301' };
const WU = { name: '吴刚', id: demoIdNumber('350203', '19731027', 9, 'm'), card: '+8613810000901' };
const STRANGER = '+8613999990000';

async function waitFor<T>(what: string, probe: () => Promise<T | null | undefined | false>): Promise<T> {
  const until = Date.now() + 15_000;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

before(async () => {
  ({ app, services, close } = await testApp({}, (mods) =>
    mods.map((m) => (m === warningRoutes ? warningRoutesWith({ consumer, escalateEveryMs: 0 }) : m)),
  ));
  await seedUser(services, { org: 'Centre', kind: 'anti_fraud_centre', username: 'ana', roles: ['analyst'] });
  await seedUser(services, {
    org: 'Centre',
    kind: 'anti_fraud_centre',
    username: 'sup',
    roles: ['supervisor'],
  });
  const { organisationId: telcoId } = await seedUser(services, {
    org: 'Telco',
    kind: 'telecom_operator',
    username: 'telco.op',
    roles: ['institution_operator'],
  });
  const { organisationId: bankId } = await seedUser(services, {
    org: 'Bank',
    kind: 'bank',
    username: 'bank.op',
    roles: ['institution_operator'],
  });
  analyst = await signInCookie(app, 'ana');
  supervisor = await signInCookie(app, 'sup');
  bankKeyWithout = (
    await createApiKey(services.db, services.bus, SYSTEM, {
      organisationId: bankId,
      name: 'stops',
      scopes: ['stop_payments:read'],
    })
  ).key;
  bankKeyWith = (
    await createApiKey(services.db, services.bus, SYSTEM, {
      organisationId: bankId,
      name: 'warn',
      scopes: ['warnings:write'],
    })
  ).key;
  const people: { name: string; id: string; card: string; account?: string }[] = [CHEN, ZHAO, ZHANG, LIU, WU];
  telco = telcoId;
  for (const p of people) await seedCardHolder(services, { telcoId, bankId }, p);
  await services.bus.start();
});
after(() => close());

let client = 0;
const who = (w: string | null) =>
  w === null
    ? { remoteAddress: `10.9.${++client >> 8}.${client & 255}` }
    : w.startsWith('interdict_session=')
      ? { headers: { cookie: w } }
      : { headers: { authorization: `Bearer ${w}` } };
const post = (url: string, w: string | null, payload: object) =>
  app.inject({ method: 'POST', url, payload, ...who(w) });
const put = (url: string, w: string, payload: object) =>
  app.inject({ method: 'PUT', url, payload, ...who(w) });
const get = (url: string, w: string | null) => app.inject({ method: 'GET', url, ...who(w) });

async function trigger(body: object, w = analyst) {
  const res = await post('/v1/warnings/triggers', w, body);
  assert.equal(res.statusCode, 201, res.body);
  return res.json<{ warningId: string; reference: string; merged: boolean; suppressed: boolean }>();
}

type Warning = {
  id: string;
  status: string;
  riskLevel: string;
  priority: number;
  deadlineAt: string | null;
  overdue: boolean;
  channelPlan: { channel: string; status: string }[];
  triggers: { kind: string; suppressed: boolean }[];
  person: {
    maskedName: string;
    maskedPhone: string;
    ageYears: number | null;
    ageGroup: string | null;
    name?: string | null;
    phone?: string | null;
  };
  outcome: { kind: string; fundCaseId: string | null } | null;
  script: { body: string } | null;
  smsText: string | null;
};
const detail = async (id: string, w = analyst) => {
  const res = await get(`/v1/warnings/${id}`, w);
  assert.equal(res.statusCode, 200, res.body);
  return res.json<Warning>();
};

async function outbox(): Promise<{ to: string; body: string; purpose: string }[]> {
  const rows = await services.db.selectFrom('outbound_messages').selectAll().orderBy('created_at').execute();
  const dec = (r: (typeof rows)[number], col: 'recipient_enc' | 'body_enc') =>
    services.pii.decrypt(r.key_id, r[col], piiContext('outbound_messages', col, r.id));
  return rows.map((r) => ({ to: dec(r, 'recipient_enc'), body: dec(r, 'body_enc'), purpose: r.purpose }));
}

async function busEvents(type: string, id: string) {
  const rows = await services.db
    .selectFrom('bus_events')
    .select(['type', 'data'])
    .where('type', '=', type)
    .execute();
  return rows
    .map((r) => (typeof r.data === 'string' ? JSON.parse(r.data) : r.data) as Record<string, unknown>)
    .filter((d) => d.id === id);
}

describe('warnings', () => {
  test('triggers about one person merge into one warning per episode, with the priority recomputed', async () => {
    const a = await trigger({
      kind: 'fraud_call',
      person: { msisdn: CHEN.card },
      scamType: 'impersonate_police',
      summary: '31 min call from a listed number',
    });
    assert.equal(a.merged, false);
    assert.match(a.reference, /^WRN-\d{4}-\d{6}$/);
    const first = await detail(a.warningId);
    // By the account, the same person: the same warning.
    const b = await trigger(
      {
        kind: 'flagged_payee',
        person: { account: CHEN.account },
        amountAtRisk: 5_000_000,
        summary: 'transfer to a flagged account',
      },
      bankKeyWith,
    );
    assert.deepEqual([b.warningId, b.merged], [a.warningId, true]);
    const c = await trigger({ kind: 'link_visit', person: { idNumber: CHEN.id } });
    assert.deepEqual([c.warningId, c.merged], [a.warningId, true]);
    const w = await detail(a.warningId);
    assert.equal(w.triggers.length, 3);
    assert.ok(w.priority > first.priority, `${w.priority} > ${first.priority}`);
    assert.equal(w.riskLevel, 'high');
    assert.deepEqual(
      [w.person.ageYears !== null && w.person.ageYears >= 78, w.person.ageGroup],
      [true, 'elderly'],
    );
    const open = await services.db
      .selectFrom('warnings')
      .select('id')
      .where('person_id', 'is not', null)
      .where('status', '=', 'open')
      .execute();
    assert.equal(open.filter((o) => o.id === a.warningId).length, 1);
    // The events carry keyed hashes only: the decision node can match the payer's account.
    const [opened] = await busEvents('warning.opened', a.warningId);
    assert.ok(opened);
    const merged = await busEvents('warning.merged', a.warningId);
    assert.equal(merged.length, 2);
    assert.ok((merged[0]!.accountKeys as string[]).includes(accountKey(services.pii, CHEN.account)));
    assert.ok((opened.msisdnKeys as string[]).includes(msisdnKey(services.pii, CHEN.card)));
    assert.ok(!JSON.stringify([opened, ...merged]).includes(CHEN.card.slice(3)));
  });

  test('an SMS goes out at once, plain text from the library, without a link', async () => {
    const { warningId } = await trigger({
      kind: 'fraud_sms',
      person: { msisdn: ZHAO.card },
      scamType: 'game_trading',
    });
    const w = await detail(warningId);
    assert.equal(w.person.ageGroup, 'minor');
    const sms = (await outbox()).filter((m) => m.to === ZHAO.card);
    assert.equal(sms.length, 1);
    assert.equal(sms[0]!.purpose, 'warning');
    assert.ok(!containsLink(sms[0]!.body));
    assert.match(sms[0]!.body, /游戏/);
    assert.equal(sms[0]!.body, w.smsText);
    assert.match(w.script!.body, /家长/, 'the script for minors asks for a guardian');
  });

  test('an SMS or push text with a link is refused; a stale version is 409; analysts may not edit', async () => {
    const list = await get('/v1/warning-content?scamType=loan&channel=sms&language=zh', analyst);
    assert.equal(list.statusCode, 200);
    const item = list.json<{ items: { id: string; version: number; title: string; body: string }[] }>()
      .items[0]!;
    const linked = await put(`/v1/warning-content/${item.id}`, supervisor, {
      title: item.title,
      body: `${item.body} 详情见 loan-help.cn`,
      version: item.version,
    });
    assert.equal(linked.statusCode, 400);
    assert.match(linked.body, /link_in_text/);
    assert.equal(
      (
        await put(`/v1/warning-content/${item.id}`, analyst, {
          title: item.title,
          body: item.body,
          version: item.version,
        })
      ).statusCode,
      403,
    );
    const ok = await put(`/v1/warning-content/${item.id}`, supervisor, {
      title: item.title,
      body: `${item.body}`.replace('。', '！'),
      version: item.version,
    });
    assert.equal(ok.statusCode, 200, ok.body);
    assert.equal(ok.json<{ version: number }>().version, item.version + 1);
    const stale = await put(`/v1/warning-content/${item.id}`, supervisor, {
      title: item.title,
      body: item.body,
      version: item.version,
    });
    assert.equal(stale.statusCode, 409);
    const created = await post('/v1/warning-content', supervisor, {
      scamType: 'click_farming',
      audience: 'everyone',
      channel: 'app_push',
      language: 'zh',
      title: '刷单返利都是诈骗',
      body: '点赞返利、做任务赚佣金，先让你垫钱的都是诈骗。请停止转账。',
    });
    assert.equal(created.statusCode, 201, created.body);
  });

  test('priority orders the queue: elderly and minors before an adult with the same trigger', async () => {
    const adult = await trigger({ kind: 'fraud_sms', person: { msisdn: ZHANG.card } });
    const res = await get('/v1/warnings?status=open&limit=200', analyst);
    assert.equal(res.statusCode, 200);
    const items = res.json<{ items: { id: string; priority: number; person: Record<string, unknown> }[] }>()
      .items;
    const at = (id: string) => items.findIndex((i) => i.id === id);
    const zhao = (
      await services.db
        .selectFrom('warnings')
        .select('id')
        .where('phone_display', 'like', '%0601')
        .executeTakeFirstOrThrow()
    ).id;
    assert.ok(at(zhao) >= 0 && at(zhao) < at(adult.warningId));
    for (let i = 1; i < items.length; i++) assert.ok(items[i - 1]!.priority >= items[i]!.priority);
    // The queue is masked: no clear name or number.
    assert.ok(!res.body.includes(ZHANG.card) && !res.body.includes(ZHANG.name));
    assert.equal(items[0]!.person.name, undefined);
  });

  test('escalation by deadline: call → visit → overdue, with a fake clock', async () => {
    const { warningId } = await trigger({
      kind: 'relative_report',
      person: { msisdn: WU.card },
      amountAtRisk: 2_000_000,
    });
    const w = await detail(warningId);
    assert.equal(w.channelPlan.find((s) => s.status === 'active')?.channel, 'call');
    const due = Date.parse(w.deadlineAt!);
    await escalateDue(services, due - 1_000);
    assert.equal((await detail(warningId)).channelPlan[2]!.status, 'active', 'not before its deadline');
    assert.ok((await escalateDue(services, due + 1_000)).escalated >= 1);
    const v = await detail(warningId);
    assert.deepEqual(
      v.channelPlan.map((s) => s.status),
      ['skipped', 'done', 'unanswered', 'active'],
    );
    const callVisit = await get('/v1/warnings?channel=visit', analyst);
    assert.ok(callVisit.json<{ items: { id: string }[] }>().items.some((i) => i.id === warningId));
    await escalateDue(services, Date.parse(v.deadlineAt!) + 1_000);
    const o = await detail(warningId);
    assert.equal(o.overdue, true);
    assert.equal(o.status, 'open');
    assert.equal(o.deadlineAt, null);
    const overdue = await get('/v1/warnings?overdue=true', analyst);
    assert.ok(overdue.json<{ items: { id: string }[] }>().items.some((i) => i.id === warningId));
    assert.equal((await busEvents('warning.escalated', warningId)).length, 2);
  });

  test('an unanswered call recorded by an operator escalates at once; answered ends the plan', async () => {
    const { warningId } = await trigger({
      kind: 'flagged_payee',
      person: { msisdn: LIU.card },
      amountAtRisk: 900_000,
    });
    const before = await detail(warningId);
    assert.equal(before.channelPlan.find((s) => s.status === 'active')?.channel, 'call');
    const r1 = await post(`/v1/warnings/${warningId}/attempts`, analyst, {
      channel: 'call',
      result: 'unanswered',
    });
    assert.equal(r1.statusCode, 200, r1.body);
    assert.equal(r1.json<Warning>().channelPlan.find((s) => s.status === 'active')?.channel, 'visit');
    const r2 = await post(`/v1/warnings/${warningId}/attempts`, analyst, {
      channel: 'visit',
      result: 'answered',
      note: 'met at home',
    });
    assert.equal(r2.json<Warning>().deadlineAt, null);
    const out = await post(`/v1/warnings/${warningId}/outcome`, analyst, {
      kind: 'dissuaded',
      note: 'stopped the transfer',
    });
    assert.equal(out.statusCode, 200, out.body);
    assert.equal(out.json<Warning>().status, 'closed');
    assert.equal(
      (await post(`/v1/warnings/${warningId}/outcome`, analyst, { kind: 'dissuaded' })).statusCode,
      409,
    );
    const [closed] = await busEvents('warning.closed', warningId);
    assert.equal(closed?.outcome, 'dissuaded');
    const stats = await get('/v1/warnings/statistics?days=30', analyst);
    assert.equal(stats.statusCode, 200);
    const st = stats.json<{
      opened: number;
      byOutcome: Record<string, number>;
      medianMinutesToFirstContact: number | null;
      escalations: number;
    }>();
    assert.ok(st.opened >= 4);
    assert.ok(st.byOutcome.dissuaded! >= 1);
    assert.notEqual(st.medianMinutesToFirstContact, null);
    assert.ok(st.escalations >= 3);
  });

  test('already_paid needs the payment and opens a fund case at once', async () => {
    const { warningId } = await trigger({ kind: 'fraud_call', person: { idNumber: CHEN.id } });
    assert.equal(
      (await post(`/v1/warnings/${warningId}/outcome`, analyst, { kind: 'already_paid' })).statusCode,
      400,
    );
    const res = await post(`/v1/warnings/${warningId}/outcome`, analyst, {
      kind: 'already_paid',
      payment: {
        amount: 4_800_000,
        payerAccount: CHEN.account,
        payeeAccount: '6228480402564890019',
        paidAt: new Date().toISOString(),
      },
    });
    assert.equal(res.statusCode, 200, res.body);
    const w = res.json<Warning>();
    assert.equal(w.outcome?.kind, 'already_paid');
    assert.ok(w.outcome?.fundCaseId);
    const fc = await services.db
      .selectFrom('fund_cases')
      .selectAll()
      .where('id', '=', w.outcome!.fundCaseId!)
      .executeTakeFirstOrThrow();
    assert.equal(fc.warning_id, warningId);
    assert.equal(fc.source, 'warning');
  });

  test('a potential_victim detection becomes a warning; a false alarm rejects it and suppresses the same kind for 7 days', async () => {
    const person = { name: '徐丽', id: demoIdNumber('610113', '19660514', 10, 'f') };
    await ensurePerson(services.db, services.pii, services.bus, SYSTEM, {
      name: person.name,
      idNumber: person.id,
    });
    const t = Date.now() - 3_600_000;
    const rec = await recordDetections(services, null, [
      {
        detector: 'potential_victim',
        subjectKind: 'holder',
        subject: person.id,
        score: 0.9,
        window: { from: t, to: t + 1_800_000 },
        evidence: {
          calls: [{ caller: '+8617112340001', durationS: 1800 }],
          transfer: { amount: 3_000_000, payee: '6228480402564890019' },
        },
      },
    ]);
    assert.equal(rec.stored, 1);
    const w = await waitFor('the warning from the detection', () =>
      services.db
        .selectFrom('warning_triggers')
        .select('warning_id')
        .where('detection_id', '=', rec.ids[0]!)
        .executeTakeFirst(),
    );
    const v = await detail(w.warning_id);
    assert.equal(v.triggers[0]!.kind, 'potential_victim');
    assert.equal(v.person.maskedName, '徐*');
    const res = await post(`/v1/warnings/${w.warning_id}/outcome`, analyst, {
      kind: 'false_alarm',
      note: 'she paid her own landlord',
    });
    assert.equal(res.statusCode, 200, res.body);
    const d = await services.db
      .selectFrom('detections')
      .select('status')
      .where('id', '=', rec.ids[0]!)
      .executeTakeFirstOrThrow();
    assert.equal(d.status, 'rejected');
    // The same kind of trigger within 7 days: recorded, no warning.
    const again = await trigger({ kind: 'potential_victim', person: { idNumber: person.id } });
    assert.deepEqual([again.suppressed, again.warningId], [true, w.warning_id]);
    const open = await services.db
      .selectFrom('warnings')
      .select('id')
      .where('status', '=', 'open')
      .where('subject_key', 'like', 'person:%')
      .execute();
    assert.ok(!open.some((o) => o.id === w.warning_id));
    const stats = (await get('/v1/warnings/statistics', analyst)).json<{ suppressed: number }>();
    assert.ok(stats.suppressed >= 1);
  });

  test('access: a bank key without warnings:write gets 403; the detail is for the centre only', async () => {
    const body = { kind: 'flagged_payee', person: { msisdn: STRANGER }, amountAtRisk: 100_000 };
    assert.equal((await post('/v1/warnings/triggers', bankKeyWithout, body)).statusCode, 403);
    assert.equal((await post('/v1/warnings/triggers', null, body)).statusCode, 401);
    const ok = await trigger(body, bankKeyWith);
    assert.equal((await get(`/v1/warnings/${ok.warningId}`, bankKeyWith)).statusCode, 403);
    assert.equal((await get('/v1/warnings', bankKeyWithout)).statusCode, 403);
  });

  test('clear name and number on the detail route only, and that read is in the access log', async () => {
    const { warningId, reference } = await trigger({ kind: 'fraud_call', person: { msisdn: ZHANG.card } });
    const before = await services.db
      .selectFrom('personal_data_access')
      .select('id')
      .where('purpose', '=', 'warning')
      .where('purpose_ref', '=', reference)
      .where('actor_kind', '=', 'user')
      .execute();
    const list = await get('/v1/warnings', analyst);
    assert.ok(!list.body.includes(ZHANG.card) && !list.body.includes(ZHANG.name));
    const w = await detail(warningId);
    assert.equal(w.person.name, ZHANG.name);
    assert.equal(w.person.phone, ZHANG.card);
    assert.notEqual(w.person.maskedPhone, ZHANG.card);
    const reads = await services.db
      .selectFrom('personal_data_access')
      .selectAll()
      .where('purpose', '=', 'warning')
      .where('purpose_ref', '=', reference)
      .where('actor_kind', '=', 'user')
      .execute();
    assert.equal(reads.length, before.length + 1);
    assert.equal(reads.at(-1)!.clear, true);
    assert.deepEqual(reads.at(-1)!.fields, ['name', 'phone']);
  });

  test('a recycled number names its present holder, not the one who gave it back', async () => {
    const number = '+8613810007777';
    const person = async (p: { name: string; id: string }) =>
      (await ensurePerson(services.db, services.pii, services.bus, SYSTEM, { name: p.name, idNumber: p.id }))
        .id;
    // 陈静 held it until 2019 (her row first in the table), 吴刚 since 2020.
    await recordCancelledPhoneCard(services.db, SYSTEM, {
      msisdn: number,
      holderPersonId: await person(CHEN),
      operatorOrgId: telco,
      activatedAt: '2015-01-01T00:00:00+08:00',
      cancelledAt: '2019-01-01T00:00:00+08:00',
    });
    await addPhoneCard(services.db, SYSTEM, {
      msisdn: number,
      holderPersonId: await person(WU),
      operatorOrgId: telco,
      activatedAt: '2020-01-01T00:00:00+08:00',
    });
    const { warningId } = await trigger({ kind: 'fraud_call', person: { msisdn: number } });
    assert.equal((await detail(warningId)).person.name, WU.name);
    // 陈静's warning keys leave out the number she gave back.
    const chen = await trigger({ kind: 'fraud_call', person: { idNumber: CHEN.id } });
    const row = await services.db
      .selectFrom('warnings')
      .select('msisdn_keys')
      .where('id', '=', chen.warningId)
      .executeTakeFirstOrThrow();
    const wu = await services.db
      .selectFrom('warnings')
      .select('msisdn_keys')
      .where('id', '=', warningId)
      .executeTakeFirstOrThrow();
    assert.equal(row.msisdn_keys.length, 1, 'her own card only');
    assert.ok(
      wu.msisdn_keys.every((k) => !row.msisdn_keys.includes(k)),
      'no key of the recycled number among hers',
    );
  });

  test('a relative report is always 202 and opens an urgent warning for a known number', async () => {
    const res = await post('/v1/warnings/relative-report', null, {
      phone: '138 1000 0301',
      reporterPhone: '+8613911112222',
      relation: '儿子',
      note: '我爸正在和“警察”视频通话',
    });
    assert.equal(res.statusCode, 202);
    const bad = await post('/v1/warnings/relative-report', null, {
      phone: 'not a number',
      reporterPhone: 'x',
    });
    assert.equal(bad.statusCode, 202);
    assert.deepEqual(bad.json(), res.json());
    const t = await services.db
      .selectFrom('warning_triggers')
      .selectAll()
      .where('kind', '=', 'relative_report')
      .where('source', '=', 'public')
      .execute();
    assert.equal(t.length, 1);
    assert.ok(t[0]!.detail_enc && !Buffer.from(t[0]!.detail_enc).toString().includes('13911112222'));
  });
});
