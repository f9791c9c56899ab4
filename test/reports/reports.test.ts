import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { testApp, seedUser, signInCookie } from '../helpers/app.ts';
import type { Api, Services } from '../../src/api/types.ts';
import { SYSTEM } from '../../src/core/audit.ts';
import type { IndicatorKind } from '../../src/core/normalize/index.ts';
import { createApiKey } from '../../src/identity/service.ts';
import { coordinationOf, reportUrgency } from '../../src/reports/triage.ts';
import { checkEvidence } from '../../src/reports/evidence.ts';
import { newReceiptCode, parseReceiptCode } from '../../src/reports/receipt.ts';

let app: Api;
let services: Services;
let close: () => Promise<void>;
let analyst: string;
let auditor: string;
let bankKey: string;
let bankId: string;

before(async () => {
  const dir = `/tmp/interdict-evidence-test-${process.pid}-${Date.now()}`;
  ({ app, services, close } = await testApp({ INTERDICT_EVIDENCE_DIR: dir }));
  services.config.evidenceDir = dir;
  await seedUser(services, { org: 'Centre', kind: 'anti_fraud_centre', username: 'ana', roles: ['analyst'] });
  await seedUser(services, { org: 'Centre', kind: 'anti_fraud_centre', username: 'aud', roles: ['auditor'] });
  ({ organisationId: bankId } = await seedUser(services, {
    org: 'Bank',
    kind: 'bank',
    username: 'bank.admin',
    roles: ['administrator'],
  }));
  analyst = await signInCookie(app, 'ana');
  auditor = await signInCookie(app, 'aud');
  bankKey = (
    await createApiKey(services.db, services.bus, SYSTEM, {
      organisationId: bankId,
      name: 'clues',
      scopes: ['reports:write'],
    })
  ).key;
});
after(() => close());

let ipCounter = 0;
/** A citizen on their own network (or on `net`, a shared /24). */
function citizen(net?: string) {
  ipCounter++;
  const ip = net ? `${net}.${(ipCounter % 250) + 1}` : `10.${ipCounter >> 8}.${ipCounter & 255}.7`;
  return { ip, device: `device-${ipCounter}` };
}

const report = (body: unknown, who = citizen()) =>
  app.inject({
    method: 'POST',
    url: '/v1/reports',
    payload: body as object,
    remoteAddress: who.ip,
    headers: { 'x-device-id': who.device },
  });

type Receipt = {
  id: string;
  receiptCode: string;
  category: string;
  urgency: number;
  indicators: { kind: string; value: string; role: string }[];
  classification: { label: string } | null;
};

const listingOf = (kind: IndicatorKind, value: string) =>
  services.db
    .selectFrom('listings')
    .select(['id', 'status', 'confidence'])
    .where('kind', '=', kind)
    .where('value', '=', value)
    .executeTakeFirst();

describe('citizen reports', () => {
  test('a call report gets a receipt code that shows its status and nothing personal', async () => {
    const res = await report({
      kind: 'call',
      subject: { phone: '171 2345 6789' },
      content: '自称公安局民警，说我涉嫌洗钱，要求把钱转到安全账户',
      contactPhone: '13912345678',
      language: 'zh',
    });
    assert.equal(res.statusCode, 201, res.body);
    const r = res.json<Receipt>();
    assert.match(r.receiptCode, /^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$/);
    assert.deepEqual(
      r.indicators.filter((i) => i.role === 'subject'),
      [{ kind: 'phone', value: '+8617123456789', role: 'subject' }],
    );
    assert.equal(r.category, 'impersonate_police', 'the classifier read the description');
    const rec = await app.inject({ method: 'GET', url: `/v1/receipts/${r.receiptCode.toLowerCase()}` });
    assert.equal(rec.statusCode, 200, rec.body);
    const body = rec.json<{ status: string; message: { zh: string; en: string } }>();
    assert.equal(body.status, 'open');
    assert.match(body.message.zh, /96110/);
    assert.doesNotMatch(rec.body, /13912345678|1712345|公安局民警/);
    // the contact is stored encrypted, not as written
    const row = await services.db
      .selectFrom('reports')
      .select(['contact_enc'])
      .where('id', '=', r.id)
      .executeTakeFirstOrThrow();
    assert.ok(row.contact_enc && !Buffer.from(row.contact_enc).toString('latin1').includes('13912345678'));
  });

  test('an SMS report: the links and numbers in the text are extracted, even when broken up', async () => {
    const res = await report({
      kind: 'sms',
      subject: { phone: '+86 170 1111 2222' },
      content: '【ETC】您的ETC已失效，请登录 etc-renew . top /auth 重新认证，或致电 4008 123 456',
    });
    assert.equal(res.statusCode, 201, res.body);
    const r = res.json<Receipt>();
    const content = r.indicators.filter((i) => i.role === 'content').map((i) => `${i.kind}:${i.value}`);
    assert.ok(
      content.some((c) => c.startsWith('url:etc-renew.top/')),
      content.join(', '),
    );
    assert.ok(content.includes('phone:+864008123456'), content.join(', '));
    assert.ok(r.classification, 'the text was classified');
  });

  test('bad input gets a clear problem and stores nothing', async () => {
    const before = await services.db
      .selectFrom('reports')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    const cases: [unknown, number, string][] = [
      [{ kind: 'call', content: 'they called me' }, 400, 'subject_missing'],
      [{ kind: 'call', subject: { phone: 'call me maybe' } }, 400, 'invalid_subject'],
      [{ kind: 'sms', content: 'x'.repeat(10_001) }, 400, 'validation_failed'],
      [{ kind: 'other', content: '' }, 400, 'content_missing'],
      [
        { kind: 'link', subject: { url: 'http://ok.example/' }, loss: { amount: 'lots' } },
        400,
        'invalid_loss',
      ],
      [{ kind: 'teleport' }, 400, 'validation_failed'],
    ];
    for (const [body, status, code] of cases) {
      const res = await report(body);
      assert.equal(res.statusCode, status, `${JSON.stringify(body).slice(0, 80)} → ${res.body}`);
      assert.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8');
      assert.equal(res.json<{ code: string }>().code, code);
    }
    const afterCount = await services.db
      .selectFrom('reports')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    assert.equal(Number(afterCount.n), Number(before.n));
    const badCode = await app.inject({ method: 'GET', url: '/v1/receipts/not-a-code' });
    assert.equal(badCode.statusCode, 400);
    const unknown = await app.inject({ method: 'GET', url: `/v1/receipts/${newReceiptCode()}` });
    assert.equal(unknown.statusCode, 404);
  });

  test('independent reporters of one number make a listing; two are not enough', async () => {
    const number = '+8617055501234';
    for (let i = 0; i < 2; i++)
      assert.equal((await report({ kind: 'call', subject: { phone: number } })).statusCode, 201);
    assert.equal(await listingOf('phone', number), undefined, 'two reports do not list');
    assert.equal((await report({ kind: 'call', subject: { phone: number } })).statusCode, 201);
    const l = await listingOf('phone', number);
    assert.ok(l, 'the third independent reporter sends it to the registry');
    const sources = await services.db
      .selectFrom('listing_sources')
      .select(['source_kind', 'reporter_ref'])
      .where('listing_id', '=', l.id)
      .execute();
    assert.equal(sources.length, 3);
    assert.ok(sources.every((s) => s.source_kind === 'report' && s.reporter_ref.length > 0));
    assert.ok(!sources.some((s) => /10\.\d+\.\d+\.7/.test(s.reporter_ref)), 'no raw address is kept');
  });

  test('coordinated reports from linked, new reporters are held, not listed', async () => {
    const number = '+8617055509999';
    for (let i = 0; i < 6; i++) {
      const res = await report({ kind: 'call', subject: { phone: number } }, citizen('192.0.2'));
      assert.equal(res.statusCode, 201);
    }
    const c = await services.db
      .selectFrom('listing_candidates')
      .selectAll()
      .where('value', '=', number)
      .executeTakeFirstOrThrow();
    assert.equal(c.status, 'held');
    assert.ok((c.coordination as { reasons: string[] }).reasons.includes('linked_reporters'));
    const l = await listingOf('phone', number);
    assert.ok(!l || l.status !== 'active', 'a held candidate does not make an active listing');
  });

  test('an analyst sees held candidates with their reasons and can release one to the registry', async () => {
    const number = '+8617055509999';
    const held = await app.inject({
      method: 'GET',
      url: '/v1/candidates?status=held',
      headers: { cookie: analyst },
    });
    assert.equal(held.statusCode, 200, held.body);
    const item = held
      .json<{ items: { value: string; coordination: { reasons: string[] } | null }[] }>()
      .items.find((i) => i.value === number);
    assert.ok(item?.coordination?.reasons.includes('linked_reporters'));
    const decide = (body: object, cookie = analyst) =>
      app.inject({ method: 'POST', url: '/v1/candidates/decision', headers: { cookie }, payload: body });
    assert.equal(
      (await decide({ kind: 'phone', value: number, decision: 'release', reason: 'ok' }, auditor)).statusCode,
      403,
    );
    const r = await decide({
      kind: 'phone',
      value: number,
      decision: 'release',
      reason: 'one office network, but the callers are confirmed victims',
    });
    assert.equal(r.statusCode, 200, r.body);
    assert.equal(r.json<{ status: string }>().status, 'submitted');
    const l = await listingOf('phone', number);
    assert.ok(l, 'released to the registry');
    const sources = await services.db
      .selectFrom('listing_sources')
      .select('source_kind')
      .where('listing_id', '=', l.id)
      .execute();
    assert.equal(sources.length, 6);
    const again = await decide({ kind: 'phone', value: number, decision: 'reject', reason: 'no' });
    assert.equal(again.statusCode, 409);
  });

  test('an allowlisted number never auto-lists, however many report it', async () => {
    for (let i = 0; i < 5; i++)
      assert.equal((await report({ kind: 'call', subject: { phone: '95588' } })).statusCode, 201);
    const c = await services.db
      .selectFrom('listing_candidates')
      .select('status')
      .where('value', '=', 'short:CN:95588')
      .executeTakeFirstOrThrow();
    assert.equal(c.status, 'protected');
    assert.equal(await listingOf('phone', 'short:CN:95588'), undefined);
    const reviews = await services.db
      .selectFrom('listing_reviews')
      .select('id')
      .where('value', '=', 'short:CN:95588')
      .execute();
    assert.equal(reviews.length, 0, 'anonymous reports do not even open a review');
  });

  test('one device may file at most 20 reports a day', async () => {
    const who = citizen();
    let last = { statusCode: 0, code: '' };
    for (let i = 0; i < 21; i++) {
      const res = await report({ kind: 'link', subject: { url: `http://spam-${i}.example.org/` } }, who);
      last = { statusCode: res.statusCode, code: res.json<{ code?: string }>().code ?? '' };
      if (i < 20) assert.equal(res.statusCode, 201, `report ${i}: ${res.body}`);
    }
    assert.deepEqual(last, { statusCode: 429, code: 'too_many_reports' });
  });
});

describe('institution clues', () => {
  test('a clue with its reference lists its subject; a resubmission is recognised', async () => {
    const body = {
      ref: 'BANK-2026-0001',
      kind: 'account',
      subject: { account: { value: '6222 0212 3456 7898' } },
      content: 'mule account received 12 transfers from victims in one hour',
      category: 'card_account_dealing',
    };
    const headers = { authorization: `Bearer ${bankKey}` };
    const first = await app.inject({ method: 'POST', url: '/v1/clues', payload: body, headers });
    assert.equal(first.statusCode, 201, first.body);
    const again = await app.inject({ method: 'POST', url: '/v1/clues', payload: body, headers });
    assert.equal(again.statusCode, 200);
    assert.equal(again.json<{ duplicate: boolean; id: string }>().duplicate, true);
    assert.equal(again.json<{ id: string }>().id, first.json<{ id: string }>().id);
    const l = await listingOf('bank_account', first.json<Receipt>().indicators[0]!.value);
    assert.ok(l, 'the subject went to the registry');
    const src = await services.db
      .selectFrom('listing_sources')
      .select(['source_kind', 'organisation_id'])
      .where('listing_id', '=', l.id)
      .execute();
    assert.deepEqual(src, [{ source_kind: 'institution', organisation_id: bankId }]);
    const anon = await app.inject({ method: 'POST', url: '/v1/clues', payload: body });
    assert.equal(anon.statusCode, 401);
  });
});

describe('triage', () => {
  let urgentId: string;
  let urgentCode: string;
  test('money being lost now and elderly victims come first', async () => {
    const res = await report({
      kind: 'call',
      subject: { phone: '+8617099990000' },
      content: 'My mother is on the phone with a "police officer" and is transferring her savings now',
      loss: { amount: '200000', ongoing: true, method: 'bank_transfer' },
      ageGroup: 'elderly',
      forRelative: true,
      language: 'en',
    });
    assert.equal(res.statusCode, 201, res.body);
    urgentId = res.json<Receipt>().id;
    urgentCode = res.json<Receipt>().receiptCode;
    const q = await app.inject({ method: 'GET', url: '/v1/reports', headers: { cookie: analyst } });
    assert.equal(q.statusCode, 200, q.body);
    const items = q.json<{
      items: { id: string; priority: number; lostMoney: boolean; moneyLostNow: boolean }[];
    }>().items;
    assert.equal(items[0]!.id, urgentId);
    assert.ok(items[0]!.lostMoney && items[0]!.moneyLostNow);
    for (let i = 1; i < items.length; i++) assert.ok(items[i - 1]!.priority >= items[i]!.priority);
  });

  test('the detail shows indicators, the classifier and a masked contact; the public cannot read it', async () => {
    const d = await app.inject({
      method: 'GET',
      url: `/v1/reports/${urgentId}`,
      headers: { cookie: auditor },
    });
    assert.equal(d.statusCode, 200, d.body);
    const body = d.json<{ indicators: unknown[]; classification: { features: unknown[] } | null }>();
    assert.ok(body.indicators.length >= 1);
    assert.ok(body.classification && body.classification.features.length > 0);
    const anon = await app.inject({ method: 'GET', url: `/v1/reports/${urgentId}` });
    assert.equal(anon.statusCode, 401);
    const bank = await app.inject({
      method: 'GET',
      url: `/v1/reports/${urgentId}`,
      headers: { authorization: `Bearer ${bankKey}` },
    });
    assert.equal(bank.statusCode, 403);
  });

  test('confirming lists the indicators as the analyst; the reporter sees the outcome', async () => {
    const noReason = await app.inject({
      method: 'POST',
      url: `/v1/reports/${urgentId}/decision`,
      headers: { cookie: analyst },
      payload: { decision: 'confirm', reason: ' ' },
    });
    assert.equal(noReason.statusCode, 400);
    const byAuditor = await app.inject({
      method: 'POST',
      url: `/v1/reports/${urgentId}/decision`,
      headers: { cookie: auditor },
      payload: { decision: 'confirm', reason: 'ok' },
    });
    assert.equal(byAuditor.statusCode, 403);
    const ok = await app.inject({
      method: 'POST',
      url: `/v1/reports/${urgentId}/decision`,
      headers: { cookie: analyst },
      payload: {
        decision: 'confirm',
        reason: 'caller matches the impersonation script',
        category: 'impersonate_police',
        publicNote: 'The number is now blocked.',
      },
    });
    assert.equal(ok.statusCode, 200, ok.body);
    const l = await listingOf('phone', '+8617099990000');
    assert.equal(l?.status, 'active');
    const again = await app.inject({
      method: 'POST',
      url: `/v1/reports/${urgentId}/decision`,
      headers: { cookie: analyst },
      payload: { decision: 'reject', reason: 'changed my mind' },
    });
    assert.equal(again.statusCode, 409);
    const rec = await app.inject({ method: 'GET', url: `/v1/receipts/${urgentCode}` });
    assert.equal(rec.json<{ status: string }>().status, 'confirmed');
    assert.equal(rec.json<{ note: string }>().note, 'The number is now blocked.');
  });

  test('a merged report follows the report it joined; a rejected one says so', async () => {
    const a = (await report({ kind: 'call', subject: { phone: '+8617099990000' } })).json<Receipt>();
    const m = await app.inject({
      method: 'POST',
      url: `/v1/reports/${a.id}/decision`,
      headers: { cookie: analyst },
      payload: { decision: 'merge', reason: 'same caller', mergeInto: urgentId },
    });
    assert.equal(m.statusCode, 200, m.body);
    const rec = await app.inject({ method: 'GET', url: `/v1/receipts/${a.receiptCode}` });
    assert.equal(rec.json<{ status: string }>().status, 'confirmed');
    const b = (
      await report({ kind: 'link', subject: { url: 'https://my-own-shop.example.com/' } })
    ).json<Receipt>();
    const r = await app.inject({
      method: 'POST',
      url: `/v1/reports/${b.id}/decision`,
      headers: { cookie: analyst },
      payload: { decision: 'reject', reason: 'a legitimate shop' },
    });
    assert.equal(r.statusCode, 200);
    const rb = await app.inject({ method: 'GET', url: `/v1/receipts/${b.receiptCode}` });
    assert.equal(rb.json<{ status: string }>().status, 'rejected');
    const rep = await services.db
      .selectFrom('reporter_reputation')
      .select(['rejected'])
      .where('rejected', '>', 0)
      .execute();
    assert.equal(rep.length, 1, "the reporter's record remembers the rejection");
  });
});

describe('evidence', () => {
  const PNG = Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    Buffer.from('0000000d49484452', 'hex'),
    Buffer.alloc(64, 1),
  ]);
  test('a screenshot is stored by its hash and read back by analysts; disguised files are refused', async () => {
    const r = (
      await report({ kind: 'link', subject: { url: 'http://pay-fine.example.net/' } })
    ).json<Receipt>();
    const up = await app.inject({
      method: 'POST',
      url: `/v1/receipts/${r.receiptCode}/evidence`,
      payload: PNG,
      headers: { 'content-type': 'image/png', 'x-file-name': '../../etc/shot.png' },
    });
    assert.equal(up.statusCode, 201, up.body);
    const exe = await app.inject({
      method: 'POST',
      url: `/v1/receipts/${r.receiptCode}/evidence`,
      payload: Buffer.concat([Buffer.from('MZ'), Buffer.alloc(100)]),
      headers: { 'content-type': 'image/jpeg' },
    });
    assert.equal(exe.statusCode, 415);
    assert.equal(exe.json<{ code: string }>().code, 'evidence_mismatch');
    const txt = await app.inject({
      method: 'POST',
      url: `/v1/receipts/${r.receiptCode}/evidence`,
      payload: 'hello',
      headers: { 'content-type': 'text/plain' },
    });
    assert.equal(txt.statusCode, 415);
    const detail = await app.inject({
      method: 'GET',
      url: `/v1/reports/${r.id}`,
      headers: { cookie: analyst },
    });
    const ev = detail.json<{ evidence: { id: string; fileName: string }[] }>().evidence;
    assert.equal(ev.length, 1);
    assert.equal(ev[0]!.fileName, 'shot.png', 'no path survives in the name');
    const dl = await app.inject({
      method: 'GET',
      url: `/v1/reports/${r.id}/evidence/${ev[0]!.id}`,
      headers: { cookie: analyst },
    });
    assert.equal(dl.statusCode, 200);
    assert.equal(dl.headers['content-type'], 'image/png');
    assert.deepEqual(dl.rawPayload, PNG);
    const logged = await services.db
      .selectFrom('audit_log')
      .select('action')
      .where('action', '=', 'report.evidence_read')
      .execute();
    assert.equal(logged.length, 1);
  });
});

describe('pure parts', () => {
  test('receipt codes are read forgivingly and never confused', () => {
    const c = newReceiptCode();
    assert.equal(parseReceiptCode(`${c.slice(0, 4)}-${c.slice(4, 8)}-${c.slice(8)}`.toLowerCase()), c);
    assert.equal(parseReceiptCode('OOOO-IIII-LLLL'), '000011111111');
    assert.equal(parseReceiptCode('UUUU-UUUU-UUUU'), null, 'U is not in the alphabet');
    assert.equal(parseReceiptCode('short'), null);
  });

  test('urgency ranks money lost now above money lost last month', () => {
    const now = Date.parse('2026-11-30T10:00:00Z');
    const base = { ageGroup: null, forRelative: false };
    const ongoing = reportUrgency(
      { ...base, loss: { amount: '5000', currency: 'CNY', paidAt: null, method: null, ongoing: true } },
      now,
    );
    const old = reportUrgency(
      {
        ...base,
        loss: {
          amount: '5000',
          currency: 'CNY',
          paidAt: '2026-10-01T00:00:00Z',
          method: null,
          ongoing: false,
        },
      },
      now,
    );
    assert.ok(ongoing > old);
    assert.ok(reportUrgency({ loss: null, ageGroup: 'elderly', forRelative: false }, now) > 0);
    assert.equal(reportUrgency({ ...base, loss: null }, now), 0);
  });

  test('a scam wave from many networks is not mistaken for coordination', () => {
    const t = Date.parse('2026-11-30T10:00:00Z');
    const wave = Array.from({ length: 30 }, (_, i) => ({
      firstSeen: t,
      reportedAt: t + i * 1000,
      networkKey: `net-${i}`,
      standing: 0,
    }));
    assert.equal(coordinationOf(wave), null);
    const linked = wave.map((f, i) => ({ ...f, networkKey: `net-${i % 2}` }));
    assert.deepEqual(coordinationOf(linked)?.reasons.sort(), ['burst', 'linked_reporters', 'new_reporters']);
  });

  test('evidence checks size and content, not the declared name', () => {
    assert.equal(checkEvidence('image/png', Buffer.alloc(0)).ok, false);
    const big = checkEvidence('image/png', Buffer.alloc(11 << 20));
    assert.equal(big.ok === false && big.status, 413);
    const wav = Buffer.concat([
      Buffer.from('RIFF'),
      Buffer.alloc(4),
      Buffer.from('WAVEfmt '),
      Buffer.alloc(8),
    ]);
    assert.equal(checkEvidence('audio/wav', wav).ok, true);
    assert.equal(checkEvidence('image/jpeg', wav).ok, false);
  });
});

describe('classification', () => {
  test('the classify route explains its reading; it needs a signed-in analyst or a key', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/classify',
      headers: { cookie: analyst },
      payload: {
        text: '您好，我是淘宝客服，您购买的商品质量有问题，我们将为您办理退款，请提供银行卡号和验证码',
      },
    });
    assert.equal(res.statusCode, 200, res.body);
    const p = res.json<{ label: string; features: unknown[] }>();
    assert.notEqual(p.label, 'normal');
    assert.ok(p.features.length > 0);
    const anon = await app.inject({ method: 'POST', url: '/v1/classify', payload: { text: 'hi' } });
    assert.equal(anon.statusCode, 401);
  });
});
