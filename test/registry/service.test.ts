import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import type { Database } from '../../src/core/db/index.ts';
import { migrateToLatest } from '../../src/core/db/migrate.ts';
import { createEventBus, type EventBus } from '../../src/core/bus/index.ts';
import { SYSTEM, type Actor } from '../../src/core/audit.ts';
import { AppError } from '../../src/core/errors.ts';
import { allMigrations } from '../../src/migrations.ts';
import { createOrganisation, createUser } from '../../src/identity/service.ts';
import { registryMigrations } from '../../src/registry/migrations.ts';
import { DAY_MS } from '../../src/registry/confidence.ts';
import { addProtected, findProtected, listProtected, removeProtected } from '../../src/registry/allowlist.ts';
import {
  addSightings,
  changeListing,
  decideReview,
  delist,
  expireDue,
  getListing,
  listIndicator,
  listReviews,
  refreshConfidence,
  searchListings,
  writeSubmissions,
  type ListResult,
  type Submission,
} from '../../src/registry/service.ts';
import { changesSince, currentVersion, snapshot } from '../../src/registry/snapshot.ts';
import { openTestDatabase } from '../helpers/db.ts';

let database: Database;
let bus: EventBus;
let centre: string;
let bank: string;
let bank2: string;
let analyst: Actor;
let supervisor: Actor;
let bankKey: Actor;

before(async () => {
  database = await openTestDatabase();
  await migrateToLatest(database.db, { ...allMigrations, ...registryMigrations });
  bus = await createEventBus({ db: database.db });
  centre = await createOrganisation(database.db, bus, SYSTEM, { name: 'Centre', kind: 'anti_fraud_centre' });
  bank = await createOrganisation(database.db, bus, SYSTEM, { name: 'Bank A', kind: 'bank' });
  bank2 = await createOrganisation(database.db, bus, SYSTEM, { name: 'Bank B', kind: 'bank' });
  const u = (username: string, role: 'analyst' | 'supervisor') =>
    createUser(database.db, bus, SYSTEM, {
      organisationId: centre,
      username,
      displayName: username,
      password: 'correct-horse-battery',
      roles: [role],
    });
  analyst = { kind: 'user', id: await u('ana', 'analyst'), name: 'ana', organisationId: centre };
  supervisor = { kind: 'user', id: await u('sup', 'supervisor'), name: 'sup', organisationId: centre };
  bankKey = { kind: 'api_key', id: crypto.randomUUID(), name: 'bank-a-key', organisationId: bank };
});
after(async () => {
  await bus.close();
  await database.close();
});

const db = () => database.db;
const analystSource = () => ({
  kind: 'analyst' as const,
  organisationId: centre,
  reporterRef: 'id' in analyst ? analyst.id : '',
});
const institution = (org = bank) => ({ kind: 'institution' as const, organisationId: org });

async function events(key: string) {
  const rows = await db()
    .selectFrom('bus_events')
    .select(['type', 'key', 'data'])
    .where('key', '=', key)
    .orderBy('seq')
    .execute();
  return rows.map((r) => ({
    type: r.type,
    data: (typeof r.data === 'string' ? JSON.parse(r.data) : r.data) as Record<string, unknown>,
  }));
}

function listed(r: ListResult) {
  if (r.outcome === 'review' || !r.listing) throw new Error(`expected a listing, got ${JSON.stringify(r)}`);
  return r.listing;
}

async function expectAppError(p: Promise<unknown>, status: number, code: string) {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof AppError, String(err));
    assert.equal(err.status, status, err.message);
    assert.equal(err.code, code, err.message);
    return true;
  });
}

describe('registry service', () => {
  test('listing a value records history, an event and the audit trail', async () => {
    const before = Date.now();
    const r = await listIndicator(db(), bus, bankKey, {
      kind: 'phone',
      value: '138-0013-8000',
      category: 'loan',
      source: institution(),
      evidence: ['case:2026-001', ' case:2026-001 '],
    });
    assert.equal(r.outcome, 'listed');
    const l = listed(r);
    assert.equal(l.value, '+8613800138000');
    assert.equal(l.status, 'active');
    assert.equal(l.confidence, 0.8);
    assert.deepEqual(l.evidence, ['case:2026-001']);
    assert.ok(
      l.expiresAt && l.expiresAt.getTime() >= before + 180 * DAY_MS,
      'default expiry for phones: 180 days',
    );

    const d = await getListing(db(), l.id);
    assert.equal(d.history.length, 1);
    assert.equal(d.history[0]!.action, 'listed');
    assert.equal(d.history[0]!.before, null);
    assert.equal(d.history[0]!.after.version, l.version);
    assert.equal(d.history[0]!.actorName, 'bank-a-key');
    assert.deepEqual(
      d.sources.map((s) => [s.kind, s.organisationId, s.count]),
      [['institution', bank, 1]],
    );
    const ev = await events(l.id);
    assert.deepEqual(
      ev.map((e) => e.type),
      ['listing.created'],
    );
    assert.deepEqual(ev[0]!.data, {
      id: l.id,
      kind: 'phone',
      value: '+8613800138000',
      category: 'loan',
      confidence: 0.8,
      status: 'active',
      expiresAt: l.expiresAt!.getTime(),
      version: l.version,
    });
    const a = await db().selectFrom('audit_log').selectAll().where('target_id', '=', l.id).execute();
    assert.deepEqual(
      a.map((x) => x.action),
      ['listing.list'],
    );
  });

  test('corroboration raises the confidence and never duplicates', async () => {
    const first = listed(
      await listIndicator(db(), bus, bankKey, {
        kind: 'phone',
        value: '13900139000',
        category: 'loan',
        source: institution(),
      }),
    );
    const again = await listIndicator(db(), bus, bankKey, {
      kind: 'phone',
      value: '+86 139 0013 9000',
      category: 'romance',
      source: institution(),
    });
    assert.equal(again.outcome, 'corroborated');
    assert.equal(listed(again).id, first.id);
    assert.equal(listed(again).confidence, 0.8, 'the same source again is not corroboration');
    assert.equal(listed(again).version, first.version, 'nothing changed: no new version');
    assert.equal(listed(again).category, 'loan', 'only analysts change the category');

    const other = listed(
      await listIndicator(db(), bus, bankKey, {
        kind: 'phone',
        value: '13900139000',
        category: 'loan',
        source: institution(bank2),
      }),
    );
    assert.equal(other.confidence, 0.96);
    assert.ok(other.version > first.version, 'other.version > first.version');
    const byAnalyst = listed(
      await listIndicator(db(), bus, analyst, {
        kind: 'phone',
        value: '0086 139-0013-9000',
        category: 'investment_pension',
        source: analystSource(),
      }),
    );
    assert.equal(byAnalyst.category, 'investment_pension');
    assert.equal(byAnalyst.confidence, 0.998);

    const rows = await db()
      .selectFrom('listings')
      .select('id')
      .where('value', '=', '+8613900139000')
      .execute();
    assert.equal(rows.length, 1);
    const d = await getListing(db(), first.id);
    assert.equal(d.sources.length, 3);
    assert.equal(d.sources.find((s) => s.organisationId === bank)!.count, 2);
    assert.deepEqual(
      d.history.map((h) => h.action),
      ['listed', 'corroborated', 'corroborated'],
    );
    const ev = await events(first.id);
    assert.deepEqual(
      ev.map((e) => [e.type, e.data.action ?? null]),
      [
        ['listing.created', null],
        ['listing.changed', 'corroborated'],
        ['listing.changed', 'corroborated'],
      ],
    );
  });

  test("an analyst's confirmation beats a hundred anonymous reports", async () => {
    const subs: Submission[] = Array.from({ length: 100 }, (_, i) => ({
      kind: 'phone',
      value: '+8613700137000',
      host: null,
      category: 'prize',
      source: { kind: 'report', organisationId: null, reporterRef: `citizen-${i}`, trust: 0.05 },
      evidence: [],
    }));
    await writeSubmissions(db(), bus, SYSTEM, subs);
    const reported = (await searchListings(db(), { q: '13700137000' })).items[0]!;
    const confirmed = listed(
      await listIndicator(db(), bus, analyst, {
        kind: 'phone',
        value: '13600136000',
        category: 'prize',
        source: analystSource(),
      }),
    );
    assert.ok(reported.confidence < confirmed.confidence, `${reported.confidence} < ${confirmed.confidence}`);
    assert.ok(reported.confidence > 0.5, 'reported.confidence > 0.5');
    assert.equal(reported.status, 'active');
    const d = await getListing(db(), reported.id);
    assert.equal(d.sources.length, 100);
    assert.equal(d.history.length, 1, 'one batch: one change');
  });

  test('a low-confidence listing waits in review until corroborated', async () => {
    const report = (i: number) => ({ kind: 'report' as const, reporterRef: `r${i}` });
    const r = await listIndicator(db(), bus, SYSTEM, {
      kind: 'domain',
      value: 'cheap-loans-now.com',
      category: 'loan',
      source: report(0),
    });
    assert.equal(r.outcome, 'listed');
    const l = listed(r);
    assert.equal(l.status, 'pending_review');
    assert.ok(r.reviewId, 'r.reviewId');
    const open = await listReviews(db(), { reason: 'low_confidence' });
    assert.ok(
      open.some((x) => x.id === r.reviewId && x.listingId === l.id),
      'open.some((x) => x.id === r.reviewId && x.listingId === l.id)',
    );
    let last = l;
    for (let i = 1; i < 10; i++) {
      last = listed(
        await listIndicator(db(), bus, SYSTEM, {
          kind: 'domain',
          value: 'www.cheap-loans-now.com',
          category: 'loan',
          source: report(i),
        }),
      );
    }
    assert.equal(last.status, 'active');
    assert.ok(last.confidence >= 0.3, 'last.confidence >= 0.3');
    const review = (await listReviews(db(), { status: 'accepted' })).find((x) => x.id === r.reviewId);
    assert.equal(review?.decidedBy, 'corroboration');
  });

  test('protected values go to review, never into the registry', async () => {
    const cases: [string, string, string][] = [
      ['phone', '110', 'short:CN:110'],
      ['phone', '+86 95588', 'short:CN:95588'],
      ['phone', '96110', 'short:CN:96110'],
      ['domain', 'www.mps.gov.cn', 'mps.gov.cn'],
      ['domain', 'portal.beijing.gov.cn', 'beijing.gov.cn'],
      ['url', 'https://www.gov.cn/zhengce/', 'www.gov.cn/zhengce/'],
      ['domain', 'icbc.com.cn', 'icbc.com.cn'],
    ];
    for (const [kind, value, canonical] of cases) {
      for (const actor of [bankKey, analyst]) {
        const r = await listIndicator(db(), bus, actor, {
          kind,
          value,
          category: 'impersonate_police',
          source: actor === analyst ? analystSource() : institution(),
        });
        assert.equal(r.outcome, 'review', `${kind} ${value}`);
        if (r.outcome === 'review') assert.equal(r.reason, 'protected_indicator');
      }
      const n = await db()
        .selectFrom('listings')
        .select('id')
        .where('kind', '=', kind as 'phone')
        .where('value', '=', canonical)
        .execute();
      assert.equal(n.length, 0, `${canonical} is not listed`);
      const reviews = (await listReviews(db())).filter(
        (x) => x.value === canonical && x.reason === 'protected_indicator',
      );
      assert.equal(reviews.length, 1, 'one open review per value');
      assert.equal(reviews[0]!.submissions, 2);
      assert.ok(reviews[0]!.details.protected?.label, 'reviews[0]!.details.protected?.label');
    }
  });

  test('look-alikes of protected brands are marked and boosted', async () => {
    const l = listed(
      await listIndicator(db(), bus, bankKey, {
        kind: 'domain',
        value: 'https://lcbc.com.cn/login',
        category: 'impersonate_police',
        source: institution(),
      }),
    );
    assert.deepEqual(l.lookalike, { brand: 'ICBC', domain: 'icbc.com.cn', reason: 'homoglyph' });
    assert.equal(l.confidence, 0.9, 'institution 0.8 and the look-alike detector 0.5');
    const d = await getListing(db(), l.id);
    assert.ok(
      d.sources.some((s) => s.kind === 'detector' && s.reporterRef === 'lookalike:ICBC'),
      'd.sources.some((s) => s.kind === detector && s.reporterRef === lookalike:ICBC)',
    );

    const cyr = listed(
      await listIndicator(db(), bus, bankKey, {
        kind: 'domain',
        value: 'аpple.com',
        category: 'shopping',
        source: institution(),
      }),
    );
    assert.equal(cyr.value, 'xn--pple-43d.com');
    assert.equal(cyr.lookalike?.reason, 'idn_homoglyph');
    const sub = listed(
      await listIndicator(db(), bus, bankKey, {
        kind: 'url',
        value: 'http://icbc.com.cn.login.example.com/pay?x=1',
        category: 'impersonate_police',
        source: institution(),
      }),
    );
    assert.equal(sub.value, 'icbc.com.cn.login.example.com/pay?x=1');
    assert.equal(sub.lookalike?.reason, 'brand_in_subdomain');
    const plain = listed(
      await listIndicator(db(), bus, bankKey, {
        kind: 'domain',
        value: 'unrelated-shop.com',
        category: 'shopping',
        source: institution(),
      }),
    );
    assert.equal(plain.lookalike, null);
    assert.equal(plain.confidence, 0.8);

    // The brand's label under another suffix may be the brand's own: review, unless an analyst lists it.
    const other = await listIndicator(db(), bus, bankKey, {
      kind: 'domain',
      value: 'icbc.cn',
      category: 'impersonate_police',
      source: institution(),
    });
    assert.equal(other.outcome, 'review');
    if (other.outcome === 'review') assert.equal(other.reason, 'lookalike_of_protected');
    const byAnalyst = await listIndicator(db(), bus, analyst, {
      kind: 'domain',
      value: 'icbc.xyz',
      category: 'impersonate_police',
      source: analystSource(),
    });
    assert.equal(byAnalyst.outcome, 'listed');
  });

  test('changes and delisting keep history with strictly increasing versions', async () => {
    const l = listed(
      await listIndicator(db(), bus, analyst, {
        kind: 'bank_account',
        value: '6222 0212 3456 7890 128',
        category: 'card_account_dealing',
        source: analystSource(),
      }),
    );
    await changeListing(db(), bus, analyst, l.id, {
      category: 'investment_pension',
      reason: 'case file says investment',
    });
    await changeListing(db(), bus, analyst, l.id, { status: 'under_appeal', reason: 'appeal APL-1' });
    const back = await changeListing(db(), bus, supervisor, l.id, {
      status: 'active',
      reason: 'appeal rejected',
    });
    assert.equal(back.status, 'active');
    const gone = await delist(db(), bus, analyst, l.id, 'false positive: account holder verified');
    assert.equal(gone.status, 'delisted');
    await expectAppError(delist(db(), bus, analyst, l.id, 'again'), 409, 'already_delisted');
    await expectAppError(
      changeListing(db(), bus, analyst, l.id, { category: 'investment_pension', reason: 'same' }),
      400,
      'nothing_to_change',
    );
    await expectAppError(
      changeListing(db(), bus, analyst, l.id, { category: 'romance', reason: ' ' }),
      400,
      'reason_required',
    );
    await expectAppError(
      changeListing(db(), bus, analyst, l.id, { status: 'delisted' as 'active', reason: 'x' }),
      400,
      'invalid_status',
    );

    const d = await getListing(db(), l.id);
    assert.deepEqual(
      d.history.map((h) => h.action),
      ['listed', 'changed', 'appeal_opened', 'appeal_closed', 'delisted'],
    );
    for (let i = 1; i < d.history.length; i++) {
      assert.ok(d.history[i]!.version > d.history[i - 1]!.version, 'versions strictly increase');
      assert.deepEqual(
        d.history[i]!.before,
        d.history[i - 1]!.after,
        'each change starts where the last ended',
      );
    }
    assert.equal(d.history.at(-1)!.reason, 'false positive: account holder verified');
    const ev = await events(l.id);
    assert.deepEqual(
      ev.map((e) => e.type),
      ['listing.created', 'listing.changed', 'listing.changed', 'listing.changed', 'listing.delisted'],
    );
    assert.equal(ev.at(-1)!.data.reason, 'false positive: account holder verified');
    const versions = ev.map((e) => e.data.version as number);
    assert.deepEqual(
      versions,
      [...versions].sort((a, b) => a - b),
    );

    // Resubmitted by an institution: review; by an analyst: listed again.
    const resub = await listIndicator(db(), bus, bankKey, {
      kind: 'bank_account',
      value: '6222021234567890128',
      category: 'loan',
      source: institution(),
    });
    assert.equal(resub.outcome, 'review');
    if (resub.outcome === 'review') assert.equal(resub.reason, 'previously_delisted');
    const relisted = await listIndicator(db(), bus, analyst, {
      kind: 'bank_account',
      value: '6222021234567890128',
      category: 'loan',
      source: analystSource(),
    });
    assert.equal(relisted.outcome, 'relisted');
    assert.equal(listed(relisted).status, 'active');
  });

  test('expireDue expires what is due, and a new submission relists it', async () => {
    const now = Date.now();
    const soon = listed(
      await listIndicator(db(), bus, analyst, {
        kind: 'ip',
        value: '203.0.113.7',
        category: 'other',
        source: analystSource(),
        expiresAt: new Date(now + 3_600_000),
      }),
    );
    const later = listed(
      await listIndicator(db(), bus, analyst, {
        kind: 'ip',
        value: '203.0.113.8',
        category: 'other',
        source: analystSource(),
      }),
    );
    await expectAppError(
      listIndicator(db(), bus, analyst, {
        kind: 'ip',
        value: '203.0.113.9',
        category: 'other',
        source: analystSource(),
        expiresAt: new Date(now - 1000),
      }),
      400,
      'invalid_expiry',
    );
    const n = await expireDue(db(), bus, now + 2 * 3_600_000);
    assert.ok(n >= 1, 'n >= 1');
    const d = await getListing(db(), soon.id);
    assert.equal(d.status, 'expired');
    assert.equal(d.history.at(-1)!.action, 'expired');
    assert.equal((await getListing(db(), later.id)).status, 'active');
    const ev = await events(soon.id);
    assert.equal(ev.at(-1)!.type, 'listing.changed');
    assert.equal(ev.at(-1)!.data.status, 'expired');
    assert.equal(await expireDue(db(), bus, now + 2 * 3_600_000), 0, 'nothing left to expire');

    const back = await listIndicator(db(), bus, bankKey, {
      kind: 'ip',
      value: '203.0.113.7',
      category: 'other',
      source: institution(),
    });
    assert.equal(back.outcome, 'relisted');
    assert.equal(listed(back).status, 'active');
    assert.ok(
      listed(back).expiresAt!.getTime() > now + 29 * DAY_MS,
      'listed(back).expiresAt!.getTime() > now + 29 * DAY_MS',
    );
  });

  test('refreshConfidence lets confidence decay without new submissions', async () => {
    const t0 = Date.now();
    const l = listed(
      await listIndicator(
        db(),
        bus,
        bankKey,
        { kind: 'device', value: '490154203237518', category: 'sim_box', source: institution() },
        { now: t0 },
      ),
    );
    assert.equal(l.confidence, 0.8);
    const r = await refreshConfidence(db(), bus, t0 + 90 * DAY_MS, { batchSize: 7 });
    assert.ok(r.checked >= 1 && r.changed >= 1, JSON.stringify(r));
    const d = await getListing(db(), l.id);
    assert.equal(d.confidence, 0.4, 'one half-life later');
    assert.equal(d.history.at(-1)!.action, 'changed');
    assert.equal(d.history.at(-1)!.reason, 'confidence decay');
    assert.equal((await events(l.id)).at(-1)!.data.confidence, 0.4);
    const again = await refreshConfidence(db(), bus, t0 + 90 * DAY_MS);
    assert.equal(again.changed, 0, 'nothing moved since');
    // Sighted since: the sources count as seen again.
    await addSightings(db(), [{ listingId: l.id, day: new Date(t0 + 89 * DAY_MS), channel: 'call' }]);
    await refreshConfidence(db(), bus, t0 + 90 * DAY_MS);
    assert.ok((await getListing(db(), l.id)).confidence > 0.79, 're-sighted');
  });

  test('unparseable values and unknown categories are 400 with the reason', async () => {
    await expectAppError(
      listIndicator(db(), bus, analyst, {
        kind: 'phone',
        value: 'call me',
        category: 'loan',
        source: analystSource(),
      }),
      400,
      'phone_unparseable',
    );
    await expectAppError(
      listIndicator(db(), bus, analyst, {
        kind: 'domain',
        value: 'localhost',
        category: 'loan',
        source: analystSource(),
      }),
      400,
      'domain_unknown_suffix',
    );
    await expectAppError(
      listIndicator(db(), bus, analyst, {
        kind: 'fax',
        value: '123',
        category: 'loan',
        source: analystSource(),
      }),
      400,
      'kind_unknown',
    );
    await expectAppError(
      listIndicator(db(), bus, analyst, {
        kind: 'phone',
        value: '13800138000',
        category: 'alien_abduction',
        source: analystSource(),
      }),
      400,
      'category_unknown',
    );
  });

  test('search by value as written, kind, status and category, in pages', async () => {
    const hit = await searchListings(db(), { q: '138 0013 8000' });
    assert.deepEqual(
      hit.items.map((i) => i.value),
      ['+8613800138000'],
    );
    assert.deepEqual((await searchListings(db(), { q: 'lcbc.com.cn', kind: 'domain' })).items.length, 1);
    assert.deepEqual((await searchListings(db(), { q: 'nothing-like-this.example' })).items, []);
    const all: string[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 50; page++) {
      const r = await searchListings(db(), { kind: 'phone', limit: 2, ...(cursor ? { cursor } : {}) });
      all.push(...r.items.map((i) => i.id));
      assert.ok(
        r.items.every((i) => i.kind === 'phone'),
        'r.items.every((i) => i.kind === phone)',
      );
      if (!r.nextCursor) break;
      cursor = r.nextCursor;
    }
    assert.equal(new Set(all).size, all.length, 'no listing on two pages');
    const phones = await db().selectFrom('listings').select('id').where('kind', '=', 'phone').execute();
    assert.equal(all.length, phones.length);
    const gone = listed(
      await listIndicator(db(), bus, analyst, {
        kind: 'internet_account',
        value: 'wechat:scam_helper_01',
        category: 'romance',
        source: analystSource(),
      }),
    );
    await delist(db(), bus, analyst, gone.id, 'search test');
    const delisted = await searchListings(db(), { status: 'delisted' });
    assert.ok(
      delisted.items.length >= 1 && delisted.items.every((i) => i.status === 'delisted'),
      'delisted.items.length >= 1 && delisted.items.every((i) => i.status === delisted)',
    );
    const prize = await searchListings(db(), { category: 'prize' });
    assert.ok(
      prize.items.length >= 2 && prize.items.every((i) => i.category === 'prize'),
      'prize.items.length >= 2 && prize.items.every((i) => i.category === prize)',
    );
    await expectAppError(searchListings(db(), { cursor: 'abc' }), 400, 'invalid_cursor');
  });

  test('sightings add up per listing, day and channel', async () => {
    const l = (await searchListings(db(), { q: '13800138000' })).items[0]!;
    await addSightings(db(), [
      { listingId: l.id, day: '2026-03-01', channel: 'call', count: 3 },
      { listingId: l.id, day: '2026-03-01', channel: 'call' },
      { listingId: l.id, day: '2026-03-01', channel: 'sms', count: 2 },
    ]);
    await addSightings(db(), [
      { listingId: l.id, day: new Date('2026-03-01T23:00:00Z'), channel: 'call', count: 10 },
    ]);
    const rows = await sql<{ channel: string; count: number }>`
      select channel, count from sightings_daily where listing_id = ${l.id}::uuid order by channel`.execute(
      db(),
    );
    assert.deepEqual(
      rows.rows.map((r) => [r.channel, Number(r.count)]),
      [
        ['call', 14],
        ['sms', 2],
      ],
    );
    await expectAppError(
      addSightings(db(), [{ listingId: l.id, day: '2026-03-01', channel: 'Bad Channel' }]),
      400,
      'invalid_channel',
    );
    const d = await getListing(db(), l.id, { sightingDays: 100_000 });
    assert.deepEqual(
      d.sightings.map((s) => [s.day, s.channel, s.count]),
      [
        ['2026-03-01', 'call', 14],
        ['2026-03-01', 'sms', 2],
      ],
    );
  });

  test('snapshot streams the matching listings; changesSince catches up', async () => {
    const v0 = await currentVersion(db());
    const snap = [];
    for await (const r of snapshot(db(), { batchSize: 3 })) snap.push(r);
    const matching = await db()
      .selectFrom('listings')
      .select('id')
      .where('status', 'in', ['active', 'under_appeal'])
      .execute();
    assert.equal(snap.length, matching.length);
    assert.ok(
      snap.every((r) => r.status === 'active' || r.status === 'under_appeal'),
      'snap.every((r) => r.status === active || r.status === under_appeal)',
    );
    assert.ok(
      snap.every((r) => r.version <= v0),
      'snap.every((r) => r.version <= v0)',
    );
    assert.equal(new Set(snap.map((r) => r.id)).size, snap.length);

    const target = snap[0]!;
    await delist(db(), bus, supervisor, target.id, 'snapshot test');
    const fresh = listed(
      await listIndicator(db(), bus, analyst, {
        kind: 'app',
        value: 'com.fake.bankapp',
        category: 'impersonate_police',
        source: analystSource(),
      }),
    );
    const c1 = await changesSince(db(), v0, 1);
    assert.equal(c1.records.length, 1);
    assert.equal(c1.records[0]!.id, target.id);
    assert.equal(c1.records[0]!.status, 'delisted');
    assert.equal(c1.more, true);
    const c2 = await changesSince(db(), c1.version, 10);
    assert.deepEqual(
      c2.records.map((r) => r.id),
      [fresh.id],
    );
    assert.equal(c2.more, false);
    assert.equal(c2.version, fresh.version);
    const c3 = await changesSince(db(), c2.version);
    assert.deepEqual(c3, { records: [], version: c2.version, more: false });
    await expectAppError(changesSince(db(), -1), 400, 'invalid_version');
  });

  test('reviews: accepting lists, rejecting delists, the allowlist always wins', async () => {
    const open = await listReviews(db());
    const police = open.find((r) => r.value === 'short:CN:110')!;
    await expectAppError(
      decideReview(db(), bus, supervisor, police.id, { decision: 'accept', reason: 'spoofed' }),
      409,
      'still_protected',
    );
    const rejected = await decideReview(db(), bus, supervisor, police.id, {
      decision: 'reject',
      reason: 'the real police line',
    });
    assert.equal(rejected.review.status, 'rejected');
    assert.equal(rejected.review.decidedBy, 'sup');
    await expectAppError(
      decideReview(db(), bus, supervisor, police.id, { decision: 'accept', reason: 'x' }),
      409,
      'review_closed',
    );

    // Low confidence: accept makes it active, reject delists it.
    const a = await listIndicator(db(), bus, SYSTEM, {
      kind: 'domain',
      value: 'maybe-scam-a.com',
      category: 'shopping',
      source: { kind: 'report', reporterRef: 'x' },
    });
    const b = await listIndicator(db(), bus, SYSTEM, {
      kind: 'domain',
      value: 'maybe-scam-b.com',
      category: 'shopping',
      source: { kind: 'report', reporterRef: 'x' },
    });
    const acc = await decideReview(db(), bus, supervisor, a.reviewId!, {
      decision: 'accept',
      reason: 'checked the shop',
      category: 'game_trading',
    });
    assert.equal(acc.listing?.status, 'active');
    assert.equal(acc.listing?.category, 'game_trading');
    const rej = await decideReview(db(), bus, supervisor, b.reviewId!, {
      decision: 'reject',
      reason: 'a real shop',
    });
    assert.equal(rej.listing?.status, 'delisted');
    assert.equal((await getListing(db(), acc.listing!.id)).history.at(-1)!.action, 'review_accepted');
    assert.equal((await getListing(db(), rej.listing!.id)).history.at(-1)!.action, 'review_rejected');
    assert.equal((await events(rej.listing!.id)).at(-1)!.type, 'listing.delisted');

    // Same-label look-alike (icbc.cn by an institution): accepting lists it with the proposer's source.
    const look = open.find((r) => r.value === 'icbc.cn' && r.reason === 'lookalike_of_protected')!;
    const lk = await decideReview(db(), bus, supervisor, look.id, {
      decision: 'accept',
      reason: 'not ICBC’s',
    });
    assert.equal(lk.listing?.status, 'active');
    assert.equal(lk.listing?.value, 'icbc.cn');
    const d = await getListing(db(), lk.listing!.id);
    assert.equal(d.history[0]!.action, 'review_accepted');
    assert.deepEqual(d.sources.map((s) => s.kind).sort(), ['detector', 'institution']);
    const audits = await db()
      .selectFrom('audit_log')
      .select('action')
      .where('target_id', '=', look.id)
      .orderBy('id')
      .execute();
    assert.deepEqual(
      audits.map((x) => x.action),
      ['listing.review_opened', 'listing_review.accept'],
    );
  });

  test('protecting a value delists what it covers; unprotecting lets it be listed', async () => {
    const dom = listed(
      await listIndicator(db(), bus, analyst, {
        kind: 'domain',
        value: 'hotline-bank.cn',
        category: 'other',
        source: analystSource(),
      }),
    );
    const url = listed(
      await listIndicator(db(), bus, analyst, {
        kind: 'url',
        value: 'https://www.hotline-bank.cn/a',
        category: 'other',
        source: analystSource(),
      }),
    );
    const keep = listed(
      await listIndicator(db(), bus, analyst, {
        kind: 'url',
        value: 'https://nothotline-bank.cn/a',
        category: 'other',
        source: analystSource(),
      }),
    );
    const p = await addProtected(db(), bus, supervisor, {
      kind: 'domain',
      value: 'hotline-bank.cn',
      label: 'A real bank',
    });
    assert.equal(p.delisted, 2);
    assert.equal((await getListing(db(), dom.id)).status, 'delisted');
    assert.equal((await getListing(db(), url.id)).history.at(-1)!.reason, 'protected: A real bank');
    assert.equal((await getListing(db(), keep.id)).status, 'active');
    await expectAppError(
      addProtected(db(), bus, supervisor, { kind: 'domain', value: 'www.hotline-bank.cn', label: 'x' }),
      409,
      'already_protected',
    );
    await expectAppError(
      addProtected(db(), bus, supervisor, { kind: 'phone', value: 'nope', label: 'x' }),
      400,
      'phone_unparseable',
    );
    assert.equal((await listProtected(db(), { q: 'real bank' })).length, 1);

    const [hit] = await findProtected(db(), [
      { kind: 'domain', value: 'hotline-bank.cn', host: 'hotline-bank.cn' },
    ]);
    assert.equal(hit?.label, 'A real bank');
    await removeProtected(db(), supervisor, p.id, 'it was not a bank');
    const again = await listIndicator(db(), bus, analyst, {
      kind: 'domain',
      value: 'hotline-bank.cn',
      category: 'other',
      source: analystSource(),
    });
    assert.equal(again.outcome, 'relisted');
    const audits = await db()
      .selectFrom('audit_log')
      .select('action')
      .where('target_id', '=', p.id)
      .orderBy('id')
      .execute();
    assert.deepEqual(
      audits.map((x) => x.action),
      ['allowlist.add', 'allowlist.remove'],
    );
    // The seed protects a public suffix and every name under it.
    assert.ok(
      (await listProtected(db(), { kind: 'domain' })).some((x) => x.value === 'gov.cn'),
      '(await listProtected(db(), { kind: domain })).some((x) => x.value === gov.cn)',
    );
  });

  test('a batch merges duplicates and writes its events in one go', async () => {
    const v0 = await currentVersion(db());
    const subs: Submission[] = [];
    for (let i = 0; i < 30; i++) {
      const s: Submission = {
        kind: 'phone',
        value: `+86135001350${String(i).padStart(2, '0')}`,
        host: null,
        category: 'click_farming',
        source: { kind: 'feed', organisationId: null, reporterRef: 'feed-x', trust: 0.6 },
        evidence: [`feed-x:${i}`],
      };
      subs.push(s, { ...s, evidence: [`feed-x:${i}b`] });
    }
    const out = await writeSubmissions(db(), bus, SYSTEM, subs);
    assert.equal(out.filter((o) => o.outcome === 'listed').length, 30);
    assert.equal(out.filter((o) => o.outcome === 'corroborated').length, 30);
    const c = await changesSince(db(), v0, 1000);
    assert.equal(c.records.length, 30);
    const ev = await db()
      .selectFrom('bus_events')
      .select('type')
      .where('type', '=', 'listing.created')
      .where(
        'key',
        'in',
        c.records.map((r) => r.id),
      )
      .execute();
    assert.equal(ev.length, 30);
    const one = await getListing(db(), c.records[0]!.id);
    assert.equal(one.evidence.length, 2, 'evidence of both rows');
    assert.equal(one.history.length, 1, 'the same source again with more evidence: no new version');
  });

  test('concurrent writers get distinct, commit-ordered versions', async () => {
    const v0 = await currentVersion(db());
    await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        listIndicator(db(), bus, bankKey, {
          kind: 'phone',
          value: `+8613300133${String(i).padStart(3, '0')}`,
          category: 'loan',
          source: institution(),
        }),
      ),
    );
    const c = await changesSince(db(), v0, 100);
    assert.equal(c.records.length, 12);
    const hist = await db()
      .selectFrom('listing_history')
      .select('version')
      .where('version', '>', v0)
      .execute();
    assert.equal(new Set(hist.map((h) => Number(h.version))).size, hist.length);
  });
});
