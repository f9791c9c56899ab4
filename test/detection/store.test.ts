import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { testApp, seedUser, signInCookie } from '../helpers/app.ts';
import type { Api, Services } from '../../src/api/types.ts';
import { SYSTEM } from '../../src/core/audit.ts';
import { createApiKey } from '../../src/identity/service.ts';
import { factsOf, holderKey, recordDetections, repeatsRejection } from '../../src/detection/store.ts';
import type { Detection } from '../../src/detection/records.ts';
import { piiKeyUsage, rotatePiiKeys } from '../../src/privacy/rotate.ts';
import { EmbeddedRecordStream } from '../../src/detection/stream/embedded.ts';
import { publishRecords } from '../../src/detection/stream/publish.ts';
import { sampleCall } from '../helpers/stream.ts';

let app: Api;
let services: Services;
let close: () => Promise<void>;
let analyst: string;
let auditor: string;
let bankKey: string;
let bankId: string;
let otherBankKey: string;
let operatorUser: string;

const T0 = Date.parse('2026-11-02T08:00:00+08:00');

before(async () => {
  ({ app, services, close } = await testApp());
  await seedUser(services, { org: 'Centre', kind: 'anti_fraud_centre', username: 'ana', roles: ['analyst'] });
  await seedUser(services, { org: 'Centre', kind: 'anti_fraud_centre', username: 'aud', roles: ['auditor'] });
  await seedUser(services, {
    org: 'Centre',
    kind: 'anti_fraud_centre',
    username: 'centre.admin',
    roles: ['administrator'],
  });
  ({ organisationId: bankId } = await seedUser(services, {
    org: 'Bank',
    kind: 'bank',
    username: 'bank.op',
    roles: ['institution_operator'],
  }));
  const { organisationId: otherId } = await seedUser(services, {
    org: 'Other Bank',
    kind: 'bank',
    username: 'other.op',
    roles: ['institution_operator'],
  });
  await seedUser(services, {
    org: 'Telco',
    kind: 'telecom_operator',
    username: 'telco.op',
    roles: ['institution_operator'],
  });
  analyst = await signInCookie(app, 'ana');
  auditor = await signInCookie(app, 'aud');
  operatorUser = await signInCookie(app, 'bank.op');
  const key = async (organisationId: string, scopes: ('detections:write' | 'detections:read')[]) =>
    (await createApiKey(services.db, services.bus, SYSTEM, { organisationId, name: 'detectors', scopes }))
      .key;
  bankKey = await key(bankId, ['detections:write', 'detections:read']);
  otherBankKey = await key(otherId, ['detections:read']);
});
after(() => close());

const mule = (account: string, payers: string[], score = 0.8, from = T0): Detection => ({
  detector: 'mule_account',
  subjectKind: 'account',
  subject: account,
  score,
  window: { from, to: from + 3_600_000 },
  evidence: { payers, passThrough: 0.97, dwellMinutes: 12 },
});

const post = (detections: unknown[], key = bankKey) =>
  app.inject({
    method: 'POST',
    url: '/v1/detections',
    headers: { authorization: `Bearer ${key}` },
    payload: { detections },
  });

const get = (url: string, cookieOrKey: string) =>
  app.inject({
    method: 'GET',
    url,
    headers: cookieOrKey.startsWith('interdict_session=')
      ? { cookie: cookieOrKey }
      : { authorization: `Bearer ${cookieOrKey}` },
  });

const decide = (id: string, body: object, cookie = analyst) =>
  app.inject({ method: 'POST', url: `/v1/detections/${id}/decision`, headers: { cookie }, payload: body });

type View = {
  id: string;
  status: string;
  subject: string;
  subjectMasked: boolean;
  listable: boolean;
  listingId: string | null;
  measures: { measure: string }[];
  suppressedBy: string | null;
  history?: { id: string }[];
};

describe('stored detections', () => {
  test('a bank sends detections once per episode: a resend is a duplicate, nothing is queued twice', async () => {
    const ds = [mule('6222020000000001', ['6222000000000011', '6222000000000012'])];
    const first = await post(ds);
    assert.equal(first.statusCode, 200, first.body);
    const { ids, ...counts } = first.json() as { ids: string[] };
    assert.equal(ids.length, 1);
    assert.deepEqual(counts, { stored: 1, duplicates: 0, suppressed: 0 });
    const again = await post(ds);
    assert.equal(again.json().duplicates, 1);
    assert.equal(again.json().stored, 0);
    const q = await get('/v1/detections?detector=mule_account', analyst);
    assert.equal(q.statusCode, 200);
    const items = (q.json() as { items: View[] }).items.filter((d) => d.subject === '6222020000000001');
    assert.equal(items.length, 1);
    assert.deepEqual(
      items[0]!.measures.map((m) => m.measure),
      ['flag', 're_verify'],
    );
    assert.equal(items[0]!.listable, true);
  });

  test('a raised detection is an event with the measures it recommends', async () => {
    const r = await post([mule('6222020000000002', ['6222000000000021'])]);
    const id = (r.json() as { ids: string[] }).ids[0]!;
    const ev = await services.db
      .selectFrom('bus_events')
      .select(['type', 'data'])
      .where('type', '=', 'detection.raised')
      .execute();
    const mine = ev
      .map(
        (e) =>
          (typeof e.data === 'string' ? JSON.parse(e.data) : e.data) as { id: string; measures: string[] },
      )
      .find((d) => d.id === id);
    assert.ok(mine, 'detection.raised published');
    assert.deepEqual(mine.measures, ['flag', 're_verify']);
  });

  test("an institution sees only its own organisation's detections; the centre sees all", async () => {
    const other = await get('/v1/detections?detector=mule_account', otherBankKey);
    assert.equal(other.statusCode, 200);
    assert.equal((other.json() as { items: View[] }).items.length, 0);
    const own = await get('/v1/detections?detector=mule_account', operatorUser);
    assert.ok((own.json() as { items: View[] }).items.length >= 2);
    const id = (own.json() as { items: View[] }).items[0]!.id;
    assert.equal((await get(`/v1/detections/${id}`, otherBankKey)).statusCode, 404);
    assert.equal((await get(`/v1/detections/${id}`, auditor)).statusCode, 200);
    // The centre's administrators manage users, not cases.
    const admin = await signInCookie(app, 'centre.admin');
    assert.equal((await get('/v1/detections', admin)).statusCode, 403);
  });

  test('the centre does not post detections; bad detections get a clear 400 and nothing is stored', async () => {
    const r = await app.inject({
      method: 'POST',
      url: '/v1/detections',
      headers: { cookie: analyst },
      payload: { detections: [mule('6222020000000003', [])] },
    });
    assert.equal(r.statusCode, 403);
    const bad = await post([
      mule('6222020000000004', []),
      { ...mule('6222020000000005', []), window: { from: T0 + 10, to: T0 } },
    ]);
    assert.equal(bad.statusCode, 400);
    assert.match(bad.json().detail, /detection 2: window/);
    const none = await get('/v1/detections?subject=6222020000000004', analyst);
    assert.equal(
      (none.json() as { items: View[] }).items.length,
      0,
      'the good one of a bad batch is not half-stored',
    );
    const unknown = await post([{ ...mule('6222020000000006', []), detector: 'astrology' }]);
    assert.equal(unknown.statusCode, 400);
    assert.equal(unknown.headers['content-type'], 'application/problem+json; charset=utf-8');
  });

  test('a holder is personal data: stored encrypted, shown masked, found by id number', async () => {
    const holder = '11010519491231002X';
    const d: Detection = {
      detector: 'potential_victim',
      subjectKind: 'holder',
      subject: holder,
      score: 0.9,
      window: { from: T0, to: T0 + 600_000 },
      evidence: { hoursAfterCall: 0.3, newPayee: true },
    };
    await recordDetections(services, null, [d]);
    const r = await get(`/v1/detections?subject=${holder}`, analyst);
    const [v] = (r.json() as { items: View[] }).items;
    assert.ok(v);
    assert.equal(v.subjectMasked, true);
    assert.equal(v.subject, '110***********002X');
    assert.ok(!r.body.includes(holder), 'the id number never leaves in clear');
    const row = await services.db
      .selectFrom('detections')
      .select(['subject_key', 'subject_enc'])
      .where('id', '=', v.id)
      .executeTakeFirstOrThrow();
    assert.equal(row.subject_key, holderKey(services.pii, holder));
    assert.ok(!Buffer.from(row.subject_enc!).toString('latin1').includes(holder));
    // A victim is warned, never listed: confirming hands the warning on and lists nothing.
    const c = await decide(v.id, { decision: 'confirm', reason: 'called by a listed number, paid at once' });
    assert.equal(c.statusCode, 200, c.body);
    assert.equal((c.json() as View).listingId, null);
    assert.equal((c.json() as View).status, 'confirmed');
  });

  test('key rotation covers stored holders; detections of accounts and numbers hold no ciphertext', async () => {
    // Account detections were stored above: their key-id column is null, and rotation must
    // neither count it as a key nor refuse to run.
    const usage = (await piiKeyUsage(services.db)).detections!;
    assert.deepEqual(Object.keys(usage), [services.pii.activeKeyId]);
    const r = await rotatePiiKeys(services.db, services.pii, SYSTEM);
    assert.equal(r.remaining, 0);
  });

  test('confirming a mule account lists it with a detector source; a second decision is 409', async () => {
    const r = await post([mule('6222020000000007', ['6222000000000071', '6222000000000072'], 0.9)]);
    const id = (r.json() as { ids: string[] }).ids[0]!;
    const auditorTry = await decide(id, { decision: 'confirm', reason: 'x' }, auditor);
    assert.equal(auditorTry.statusCode, 403);
    const noReason = await decide(id, { decision: 'confirm', reason: ' ' });
    assert.equal(noReason.statusCode, 400);
    const c = await decide(id, { decision: 'confirm', reason: 'fan-in from 14 victims, cash-out at ATM' });
    assert.equal(c.statusCode, 200, c.body);
    const v = c.json() as View;
    assert.ok(v.listingId);
    const listing = await services.db
      .selectFrom('listings')
      .select(['kind', 'value', 'status', 'category'])
      .where('id', '=', v.listingId)
      .executeTakeFirstOrThrow();
    assert.deepEqual(listing, {
      kind: 'bank_account',
      value: '6222020000000007',
      status: 'active',
      category: 'card_account_dealing',
    });
    const src = await services.db
      .selectFrom('listing_sources')
      .select(['source_kind', 'reporter_ref', 'organisation_id'])
      .where('listing_id', '=', v.listingId)
      .execute();
    assert.deepEqual(src, [
      { source_kind: 'detector', reporter_ref: 'mule_account', organisation_id: bankId },
    ]);
    const twice = await decide(id, { decision: 'reject', reason: 'changed my mind' });
    assert.equal(twice.statusCode, 409);
  });

  test('a spoofed number belongs to an innocent subscriber: confirming flags it and never lists it', async () => {
    const d: Detection = {
      detector: 'spoofed_caller',
      subjectKind: 'msisdn',
      subject: '+8613800138000',
      score: 0.95,
      window: { from: T0, to: T0 + 60_000 },
      evidence: { rule: 'intl_presenting_domestic', calls: 40 },
    };
    const [id] = (await recordDetections(services, null, [d])).ids;
    const c = await decide(id!, {
      decision: 'confirm',
      reason: 'gateway traffic presenting a mobile number',
    });
    const v = c.json() as View;
    assert.equal(v.listable, false);
    assert.equal(v.listingId, null);
    assert.deepEqual(
      v.measures.map((m) => m.measure),
      ['flag'],
    );
    const listed = await services.db
      .selectFrom('listings')
      .select('id')
      .where('value', '=', '+8613800138000')
      .executeTakeFirst();
    assert.equal(listed, undefined);
  });

  test('a rejection is remembered: the same facts are suppressed, new facts or a clearly higher score queue again', async () => {
    const payers = ['6222000000000081', '6222000000000082', '6222000000000083'];
    const first = await post([mule('6222020000000008', payers, 0.7)]);
    const id = (first.json() as { ids: string[] }).ids[0]!;
    assert.equal(
      (await decide(id, { decision: 'reject', reason: 'a market stall: many small sales' })).statusCode,
      200,
    );
    const day = 86_400_000;
    const same = await post([mule('6222020000000008', payers, 0.72, T0 + day)]);
    assert.deepEqual([same.json().stored, same.json().suppressed], [0, 1]);
    const sup = await get(`/v1/detections/${(same.json() as { ids: string[] }).ids[0]}`, analyst);
    assert.equal((sup.json() as View).status, 'suppressed');
    assert.equal((sup.json() as View).suppressedBy, id);
    assert.ok(
      (sup.json() as View).history!.some((h) => h.id === id),
      'the detail shows the rejected episode',
    );
    const news = await post([
      mule(
        '6222020000000008',
        ['6222000000000091', '6222000000000092', '6222000000000093'],
        0.72,
        T0 + 2 * day,
      ),
    ]);
    assert.equal(news.json().stored, 1, 'new payers are new facts');
    const stronger = await post([mule('6222020000000008', payers, 0.85, T0 + 3 * day)]);
    assert.equal(stronger.json().stored, 1, 'a clearly higher score is news');
  });

  test('the queue is ordered by score and pages with a cursor', async () => {
    const ds = [0.31, 0.55, 0.42, 0.99, 0.77].map((score, i) => ({
      ...mule(`62220300000000${10 + i}`, [`62220000000001${10 + i}`], score),
    }));
    await post(ds);
    const seen: number[] = [];
    const ids: string[] = [];
    let after: string | null = null;
    do {
      const url: string = `/v1/detections?detector=mule_account&minScore=0.3&limit=2${after ? `&after=${encodeURIComponent(after)}` : ''}`;
      const r = await get(url, analyst);
      assert.equal(r.statusCode, 200, r.body);
      const page = r.json() as { items: { id: string; score: number }[]; next: string | null };
      seen.push(...page.items.map((x) => x.score));
      ids.push(...page.items.map((x) => x.id));
      after = page.next;
    } while (after);
    assert.deepEqual(
      seen,
      [...seen].sort((a, b) => b - a),
    );
    for (const s of [0.31, 0.55, 0.42, 0.99, 0.77]) assert.ok(seen.includes(s));
    assert.equal(new Set(ids).size, ids.length, 'no detection on two pages');
    const bad = await get('/v1/detections?after=garbage', analyst);
    assert.equal(bad.statusCode, 400);
    const sum = await get('/v1/detections/summary', analyst);
    const items = (sum.json() as { items: { detector: string; status: string; count: number }[] }).items;
    assert.ok(items.some((x) => x.detector === 'mule_account' && x.status === 'open' && x.count >= 5));
  });
});

describe('the record stream’s status', () => {
  test('the centre sees the head, what is kept and every worker; others are refused', async () => {
    const stream = new EmbeddedRecordStream(services.db);
    const t = Date.parse('2026-11-02T08:00:00+08:00');
    await publishRecords(
      stream,
      Array.from({ length: 40 }, (_, i) => sampleCall(i, t)),
    );
    const { gseq } = await stream.head();
    await services.db
      .insertInto('detection_checkpoints')
      .values([
        {
          worker: 'p8:0-3',
          partitions: '0,1,2,3',
          cursor: gseq,
          gseq,
          ended: false,
          state: null,
          params: '0123456789ab',
        },
        {
          worker: 'p8:4-7',
          partitions: '4,5,6,7',
          cursor: 10,
          gseq: 10,
          ended: false,
          state: null,
          params: '0123456789ab',
          saved_at: new Date(Date.now() - 3_600_000),
        },
      ])
      .execute();

    // A publish that died two minutes ago still holds the stream.
    await services.db
      .insertInto('detection_publishers')
      .values({
        stream: 'embedded',
        holder: 'detect publish on ops-host, process 4242',
        token: 't',
        renewed_at: new Date(Date.now() - 120_000),
      })
      .execute();
    assert.equal((await app.inject({ method: 'GET', url: '/v1/detection-stream' })).statusCode, 401);
    assert.equal((await get('/v1/detection-stream', operatorUser)).statusCode, 403, 'a bank’s user');
    assert.equal((await get('/v1/detection-stream', bankKey)).statusCode, 403, 'a bank’s key');
    const r = await get('/v1/detection-stream', auditor);
    assert.equal(r.statusCode, 200, r.body);
    const st = r.json() as {
      kind: string;
      head: { gseq: number; lastTickAt: string; ended: boolean };
      stored: { fromGseq: number; units: number };
      keepMs: number;
      publisher: { holder: string; lapsed: boolean } | null;
      workers: { worker: string; behind: number; stalled: boolean; missed: boolean; mode: string }[];
    };
    assert.equal(st.publisher?.holder, 'detect publish on ops-host, process 4242');
    assert.equal(st.publisher?.lapsed, true);
    assert.equal(st.kind, 'embedded');
    assert.equal(st.head.gseq, gseq);
    // A tick every 60 s of stream time, at the records that reach it: the last at record 38.
    assert.equal(st.head.lastTickAt, new Date(t + 38 * 30_000).toISOString());
    assert.equal(st.head.ended, false);
    assert.equal(st.stored.fromGseq, 1);
    assert.equal(st.keepMs, 7 * 86_400_000);
    assert.deepEqual(
      st.workers.map((w) => [w.worker, w.behind, w.stalled, w.missed, w.mode]),
      [
        ['p8:0-3', 0, false, false, 'replay'],
        ['p8:4-7', gseq - 10, true, false, 'replay'],
      ],
    );
    // The same for Prometheus, on the open /metrics.
    const m = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    assert.match(m, /\ninterdict_record_stream_up 1\n/);
    assert.match(m, /\ninterdict_record_stream_publisher_lapsed 1\n/);
    assert.match(m, new RegExp(`\\ninterdict_record_stream_head_gseq ${gseq}\\n`));
    assert.match(m, new RegExp(`\\ninterdict_detection_worker_behind\\{worker="p8:4-7"\\} ${gseq - 10}\\n`));
    assert.match(m, /\ninterdict_detection_worker_stalled\{worker="p8:4-7"\} 1\n/);
    assert.match(m, /\ninterdict_detection_worker_stalled\{worker="p8:0-3"\} 0\n/);
    // Both ran the same parameters.
    assert.match(m, /\ninterdict_detection_worker_params_differ\{worker="p8:0-3"\} 0\n/);
    // Their fingerprint is not the platform's (the defaults): both are off it.
    assert.match(m, /\ninterdict_detection_worker_params_off_platform\{worker="p8:0-3"\} 1\n/);
    assert.match(m, /\ninterdict_detection_worker_checkpoint_age_seconds\{worker="p8:4-7"\} 36\d\d/);
    // A stream that cannot be read: /metrics still answers, `_up` 0, head NaN, no worker series (one
    // status per scrape is kept for a second, so the next scrape is after it).
    await new Promise((r) => setTimeout(r, 1100));
    await sql`alter table detection_records rename to detection_records_away`.execute(services.db);
    try {
      const down = await app.inject({ method: 'GET', url: '/metrics' });
      assert.equal(down.statusCode, 200);
      assert.match(down.body, /\ninterdict_record_stream_up 0\n/);
      assert.doesNotMatch(down.body, /interdict_detection_worker_behind\{/);
      assert.match(down.body, /\ninterdict_record_stream_head_gseq nan\n/i, 'unknown, not an empty stream');
      assert.match(down.body, /\ninterdict_record_stream_stored_bytes nan\n/i);
      assert.match(down.body, /\ninterdict_record_stream_publisher_lapsed nan\n/i);
    } finally {
      await sql`alter table detection_records_away rename to detection_records`.execute(services.db);
    }
  });
});

describe('the facts of a detection', () => {
  test('are its identifiers, not its counts', () => {
    assert.deepEqual(
      factsOf({ cells: ['C2', 'C1'], outbound: 340, rule: 'over_limit', nested: { imei: 'I1' } }),
      ['C1', 'C2', 'I1', 'over_limit'],
    );
  });
  test('repeat a rejection unless the score is clearly higher or most facts are new', () => {
    const rejected = { score: 0.7, facts: ['a', 'b', 'c', 'd'] };
    assert.equal(repeatsRejection({ score: 0.75, facts: ['a', 'b', 'c'] }, rejected), true);
    assert.equal(repeatsRejection({ score: 0.75, facts: ['a', 'b', 'x'] }, rejected), true);
    assert.equal(repeatsRejection({ score: 0.75, facts: ['a', 'x', 'y'] }, rejected), false);
    assert.equal(repeatsRejection({ score: 0.8, facts: ['a'] }, rejected), false);
  });
});
