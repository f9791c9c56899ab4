import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  normalizeIndicator,
  urlLookupExpressions,
  type IndicatorKind,
  type NormalizeOptions,
} from '../../src/core/normalize/index.ts';
import {
  Allowlist,
  DecisionEngine,
  MAX_BATCH,
  PolicySet,
  RegistryIndex,
  SCAM_CATEGORIES,
  SCAM_CATEGORY_LIST,
  defaultAllowlist,
  type DecisionEvent,
  type DecisionParty,
  type ListingRecord,
  type Policy,
} from '../../src/registry/engine/index.ts';

const NOW = Date.UTC(2026, 10, 23, 12, 0, 0);
let seq = 0;

function canon(kind: IndicatorKind, raw: string, opts?: NormalizeOptions): string {
  const r = normalizeIndicator(kind, raw, opts);
  assert.ok(r.ok, `${kind} ${raw}: ${JSON.stringify(r)}`);
  return r.value;
}

function listing(kind: IndicatorKind, value: string, over: Partial<ListingRecord> = {}): ListingRecord {
  seq++;
  return {
    id: `L${seq}`,
    kind,
    value,
    category: 'impersonate_police',
    confidence: 0.95,
    status: 'active',
    expiresAt: null,
    version: seq,
    ...over,
  };
}

function engineWith(listings: ListingRecord[], opts: { allowlist?: Allowlist; policies?: PolicySet } = {}) {
  const index = new RegistryIndex();
  index.load(listings);
  return new DecisionEngine({ index, clock: () => NOW, ...opts });
}

const ev = (
  kind: DecisionEvent['kind'],
  parties: [string, IndicatorKind, string][],
  more: Partial<DecisionEvent> = {},
) =>
  ({
    kind,
    parties: parties.map(([role, k, value]) => ({ role, kind: k, value })),
    ...more,
  }) satisfies DecisionEvent;

const ids = (d: { matches: readonly { listingId: string }[] }) => d.matches.map((m) => m.listingId).sort();

test('the taxonomy has the 14 categories with both labels', () => {
  assert.equal(SCAM_CATEGORY_LIST.length, 14);
  for (const c of SCAM_CATEGORY_LIST) {
    const info = SCAM_CATEGORIES[c];
    assert.equal(info.code, c);
    assert.ok(info.zh && info.en && info.zhReason && info.enReason);
  }
  assert.equal(SCAM_CATEGORIES.impersonate_police.zh, '冒充公检法及政府机关');
});

test('every kind matches, from the forms people write', () => {
  const L = {
    phone: listing('phone', '+8613800138000', { id: 'phone' }),
    card: listing('bank_account', canon('bank_account', '6222 0212 3456 7890 128'), { id: 'card' }),
    acct: listing(
      'bank_account',
      canon('bank_account', '1234 5678 9012', { accountType: 'account', institution: '工商银行' }),
      {
        id: 'acct',
      },
    ),
    pay: listing('payment_account', canon('payment_account', '支付宝 138 0013 8000'), { id: 'pay' }),
    net: listing('internet_account', canon('internet_account', '微信号: abc_123'), { id: 'net' }),
    dev: listing('device', '490154203237518', { id: 'dev' }),
    app: listing('app', 'pkg:com.evil.loan', { id: 'app' }),
    ip: listing('ip', '203.0.113.9', { id: 'ip' }),
    dom: listing('domain', 'evil-shop.com', { id: 'dom' }),
  };
  const e = engineWith(Object.values(L));
  const one = (kind: IndicatorKind, raw: string, opts?: NormalizeOptions) =>
    ids(
      e.decide({
        kind: 'transfer',
        parties: [{ role: 'payee', kind, value: raw, ...(opts ? { opts } : {}) }],
      }),
    );
  assert.deepEqual(one('phone', '+86 138-0013-8000'), ['phone']);
  assert.deepEqual(one('phone', '８６１３８００１３８０００'), ['phone']);
  assert.deepEqual(one('bank_account', '6222021234567890128'), ['card']);
  assert.deepEqual(one('bank_account', '123456789012', { accountType: 'account', institution: 'ICBC' }), [
    'acct',
  ]);
  assert.deepEqual(one('payment_account', 'alipay:+8613800138000'), ['pay']);
  assert.deepEqual(one('internet_account', 'wechat:ABC_123'), ['net']);
  assert.deepEqual(one('device', '49015420323751'), ['dev']); // 14 digits: check digit appended
  assert.deepEqual(one('app', 'https://play.google.com/store/apps/details?id=com.evil.loan'), ['app']);
  assert.deepEqual(one('ip', '3405803785'), ['ip']);
  assert.deepEqual(one('domain', 'WWW.Evil-Shop.com.'), ['dom']);
  assert.deepEqual(one('domain', 'https://pay.evil-shop.com/login'), ['dom']);
  assert.deepEqual(one('phone', '+86 139 0000 0000'), []);
  assert.deepEqual(one('domain', 'evil-shop.com.cn'), []);
});

test("the issue's example: a URL matches its domain listing and a url listing of a path prefix", () => {
  const e = engineWith([
    listing('domain', 'evil.example', { id: 'dom', confidence: 0.92 }),
    listing('url', 'evil.example/x/', { id: 'url', category: 'loan', confidence: 0.7 }),
    listing('url', 'evil.example/z/', { id: 'other-path' }),
    listing('url', 'b.evil.example/x/y', { id: 'exact-path' }),
  ]);
  const d = e.decide(ev('url_visit', [['url', 'url', 'https://a.b.evil.example/x/y?q']]));
  assert.deepEqual(ids(d), ['dom', 'exact-path', 'url']);
  assert.equal(d.action, 'block');
  assert.equal(d.policy.id, 'national:url_visit');
  const dom = d.matches.find((m) => m.listingId === 'dom')!;
  assert.deepEqual(
    { kind: dom.kind, value: dom.value, role: dom.role, category: dom.category, confidence: dom.confidence },
    { kind: 'domain', value: 'evil.example', role: 'url', category: 'impersonate_police', confidence: 0.92 },
  );
  const zh = d.reasons.map((r) => r.zh);
  assert.ok(zh.includes('域名 evil.example 被列为"冒充公检法"诈骗（置信度 0.92）'), zh.join('\n'));
  assert.ok(
    d.reasons.some((r) => r.en === 'URL evil.example/x/ is listed for fake loans (confidence 0.70)'),
    d.reasons.map((r) => r.en).join('\n'),
  );
  // The pre-normalised path gives the same on a canonical URL or its expression.
  assert.deepEqual(
    ids(e.decideNormalised(ev('url_visit', [['url', 'url', 'http://a.b.evil.example/x/y?q']]))),
    ids(d),
  );
  assert.deepEqual(
    ids(e.decideNormalised(ev('url_visit', [['url', 'url', 'a.b.evil.example/x/y?q']]))),
    ids(d),
  );
});

test('url matching looks up exactly the Safe Browsing expressions', () => {
  const urls = [
    'http://a.b.c/1/2.html?param=1',
    'http://a.b.c.d.e.f.g/1.html',
    'http://1.2.3.4/1/',
    'http://a.b.c/saw-wbp/x/y/z/deep/file.html?q',
    'http://example.co.uk/',
    'https://www.example.com/a//b/../c/?',
    'http://[2001:db8::1]/x/y',
  ];
  for (const u of urls) {
    const expressions = urlLookupExpressions(u);
    assert.ok(expressions.length > 0, u);
    const e = engineWith(expressions.map((x, i) => listing('url', x, { id: `x${i}` })));
    const d = e.decide(ev('url_visit', [['url', 'url', u]]));
    assert.deepEqual(ids(d), expressions.map((_, i) => `x${i}`).sort(), u);
    // Expressions of other paths and hosts do not match.
    const e2 = engineWith(
      expressions.flatMap((x) => [
        listing('url', x + 'zz/'),
        listing('url', 'q' + x),
        listing('url', x.replace(/\/[^/]*$/, '/nope/')),
      ]),
    );
    assert.deepEqual(
      e2
        .decide(ev('url_visit', [['url', 'url', u]]))
        .matches.map((m) => m.value)
        .filter((v) => !expressions.includes(v)),
      [],
      u,
    );
  }
});

test('punycode and Unicode hosts match the same listing', () => {
  const puny = canon('domain', '例子.中国');
  assert.ok(puny.startsWith('xn--'));
  const e = engineWith([
    listing('domain', puny, { id: 'dom' }),
    listing('url', `${canon('domain', 'аpple.com')}/login`, { id: 'homoglyph' }),
  ]);
  assert.deepEqual(ids(e.decide(ev('url_visit', [['url', 'url', 'http://www.例子.中国/pay']]))), ['dom']);
  assert.deepEqual(ids(e.decide(ev('url_visit', [['url', 'url', `http://www.${puny}/pay`]]))), ['dom']);
  assert.deepEqual(ids(e.decide(ev('url_visit', [['domain', 'domain', '例子。中国']]))), ['dom']);
  assert.deepEqual(ids(e.decide(ev('url_visit', [['url', 'url', 'http://аpple.com/login']]))), ['homoglyph']);
  assert.deepEqual(ids(e.decide(ev('url_visit', [['url', 'url', 'http://apple.com/login']]))), []);
});

test('hostile URLs (userinfo, decimal, hex, octal, escaped IP hosts) match the IP listing', () => {
  const e = engineWith([
    listing('ip', '1.2.3.4', { id: 'ip' }),
    listing('url', '1.2.3.4/admin/', { id: 'ipurl' }),
  ]);
  for (const u of [
    'http://bank.com@1.2.3.4/',
    'http://16909060/',
    'http://0x01020304/',
    'http://0x1.0x2.0x3.0x4/',
    'http://01.02.03.04/',
    'http://%31.%32.%33.%34/',
    'http://[::ffff:1.2.3.4]/',
    'http://www.bank.com:443@1.2.3.4:8080/',
  ])
    assert.deepEqual(ids(e.decide(ev('url_visit', [['url', 'url', u]]))), ['ip'], u);
  assert.deepEqual(ids(e.decide(ev('url_visit', [['url', 'url', 'http://user:pw@16909060/admin/x']]))), [
    'ip',
    'ipurl',
  ]);
  assert.deepEqual(ids(e.decide(ev('url_visit', [['url', 'url', 'http://1.2.3.5/']]))), []);
  const v6 = engineWith([listing('ip', '2001:db8::1', { id: 'v6' })]);
  assert.deepEqual(ids(v6.decide(ev('url_visit', [['url', 'url', 'http://[2001:DB8:0::1]:8443/x']]))), [
    'v6',
  ]);
});

test('expiry and status: only active and unexpired listings match, under appeal at most warns', () => {
  const e = engineWith([
    listing('phone', '+8613800000001', { id: 'expired-time', expiresAt: NOW - 1000 }),
    listing('phone', '+8613800000002', { id: 'later', expiresAt: NOW + 60_000 }),
    listing('phone', '+8613800000003', { id: 'expired', status: 'expired' }),
    listing('phone', '+8613800000004', { id: 'delisted', status: 'delisted' }),
    listing('phone', '+8613800000005', { id: 'pending', status: 'pending_review' }),
    listing('phone', '+8613800000006', { id: 'appeal', status: 'under_appeal', confidence: 0.99 }),
  ]);
  const call = (n: string, more: Partial<DecisionEvent> = {}) =>
    e.decide(ev('call', [['caller', 'phone', n]], more));
  assert.deepEqual(ids(call('+8613800000001')), []);
  assert.deepEqual(ids(call('+8613800000001', { occurredAt: NOW - 5000 })), ['expired-time']);
  assert.deepEqual(ids(call('+8613800000002')), ['later']);
  assert.deepEqual(ids(call('+8613800000002', { occurredAt: NOW + 61_000 })), []);
  for (const n of ['+8613800000003', '+8613800000004', '+8613800000005'])
    assert.equal(call(n).action, 'allow');
  const appeal = call('+8613800000006');
  assert.equal(appeal.action, 'warn');
  assert.equal(appeal.matches[0]!.status, 'under_appeal');
  assert.equal(appeal.matches[0]!.action, 'warn');
  assert.ok(appeal.reasons.some((r) => r.code === 'under_appeal'));
  assert.equal(appeal.score, 0.495, 'an appealed listing counts half');
});

test('allowlist: a protected party is never blocked, its matches are reported, capped at review', () => {
  const e = engineWith(
    [
      listing('phone', 'short:CN:95588', { id: 'spoofed-bank', confidence: 0.99 }),
      listing('domain', 'gov.cn.evil.example', { id: 'not-gov' }),
      listing('url', 'www.mps.gov.cn/x/', { id: 'gov-page' }),
      listing('phone', '+8613800138000', { id: 'scammer' }),
    ],
    { allowlist: defaultAllowlist() },
  );
  const d = e.decide(ev('call', [['caller', 'phone', '+86 95588']]));
  assert.equal(d.action, 'review');
  assert.deepEqual(ids(d), ['spoofed-bank']);
  assert.equal(d.matches[0]!.action, 'review');
  const prot = d.reasons.find((r) => r.code === 'protected');
  assert.ok(prot && prot.zh.includes('95588') && prot.en.includes('ICBC'), JSON.stringify(d.reasons));
  // Another party is still blocked.
  assert.equal(
    e.decide(
      ev('call', [
        ['caller', 'phone', '95588'],
        ['callee', 'phone', '13800138000'],
      ]),
    ).action,
    'block',
  );
  // Domains under gov.cn.
  assert.equal(e.decide(ev('url_visit', [['url', 'url', 'https://www.mps.gov.cn/x/y']])).action, 'review');
  assert.equal(e.decide(ev('url_visit', [['url', 'url', 'https://gov.cn.evil.example/']])).action, 'block');
  // Custom entries with a single label, and a URL entry.
  const a = new Allowlist();
  assert.equal(typeof a.addRaw('phone', '400-810-8888', 'Bank card centre'), 'object');
  assert.equal(a.addRaw('phone', 'not a number', 'x'), 'phone_unparseable');
  const a2 = new Allowlist([
    { kind: 'url', value: 'bank.example/notice/', label: 'notice page' },
    { kind: 'ip', value: '1.2.3.4', label: 'bank gateway' },
    { kind: 'ip', value: '2001:db8::1', label: 'v6 gateway' },
  ]);
  assert.equal(a2.protects('url', 'http://bank.example/notice/a.html')?.label, 'notice page');
  assert.equal(a2.protects('url', 'bank.example/notice/a.html')?.label, 'notice page');
  assert.equal(a2.protects('url', 'http://bank.example/other'), null);
  assert.equal(a2.protects('url', 'https://1.2.3.4/x')?.label, 'bank gateway');
  assert.equal(a2.protects('url', 'http://[2001:db8::1]/x')?.label, 'v6 gateway');
  assert.equal(a2.remove('url', 'bank.example/notice/'), true);
  assert.equal(a2.protects('url', 'http://bank.example/notice/a.html'), null);
  const e2 = engineWith([listing('phone', canon('phone', '400-810-8888'))], { allowlist: a });
  const d2 = e2.decide(ev('call', [['caller', 'phone', '4008108888']]));
  assert.equal(d2.action, 'review');
  assert.ok(d2.reasons.some((r) => r.en.includes('(Bank card centre)')));
});

test('policy selection: institution and channel, national channel, institution *, national *', () => {
  const mk = (
    id: string,
    channel: Policy['channel'],
    institutionId: string | null,
    action: Policy['default'],
  ): Policy => ({
    id,
    version: 1,
    channel,
    institutionId,
    rules: [],
    default: action,
  });
  const set = new PolicySet([
    mk('nat-*', '*', null, 'warn'),
    mk('nat-call', 'call', null, 'review'),
    mk('bank-transfer', 'transfer', 'bank-1', 'block'),
    mk('bank-*', '*', 'bank-1', 'allow'),
  ]);
  const e = engineWith([listing('phone', '+8613800138000')], { policies: set });
  const p = (kind: DecisionEvent['kind'], inst?: string) =>
    e.decide(ev(kind, [['x', 'phone', '13800138000']], inst ? { institutionId: inst } : {}));
  assert.deepEqual(
    [p('transfer', 'bank-1').policy.id, p('transfer', 'bank-1').action],
    ['bank-transfer', 'block'],
  );
  assert.equal(p('call', 'bank-1').policy.id, 'nat-call');
  assert.equal(p('sms', 'bank-1').policy.id, 'bank-*');
  assert.equal(p('sms', 'bank-2').policy.id, 'nat-*');
  assert.equal(p('transfer').policy.id, 'nat-*');
  assert.equal(p('call').action, 'review');
  // A miss is allowed under any policy, with the selected policy named.
  assert.deepEqual(
    e.decide(ev('transfer', [['x', 'phone', '13900139000']], { institutionId: 'bank-1' })).policy,
    {
      id: 'bank-transfer',
      version: 1,
    },
  );
  // An empty set falls back to the built-in national default.
  const empty = engineWith([listing('phone', '+8613800138000', { confidence: 0.75 })], {
    policies: new PolicySet([]),
  });
  assert.deepEqual([empty.decide(ev('call', [['x', 'phone', '13800138000']])).action], ['review']);
  assert.throws(() => set.set({ ...mk('bad', 'fax' as 'call', null, 'allow') }), /channel/);
});

test('rules: first match wins per listing, the most severe listing decides', () => {
  const policy: Policy = {
    id: 'p',
    version: 3,
    channel: '*',
    institutionId: null,
    default: 'warn',
    rules: [
      { categories: ['loan'], minConfidence: 0.5, action: 'allow', reason: 'loans_tolerated' },
      { kinds: ['device'], action: 'review', reason: 'device' },
      { partyRoles: ['payee'], minConfidence: 0.9, action: 'block', reason: 'payee' },
      { minConfidence: 0.9, action: 'review' },
    ],
  };
  const e = engineWith([
    listing('phone', '+8613800000001', { id: 'loan', category: 'loan', confidence: 0.99 }),
    listing('phone', '+8613800000002', { id: 'low', confidence: 0.3 }),
    listing('phone', '+8613800000003', { id: 'high', confidence: 0.95 }),
    listing('device', '490154203237518', { id: 'dev', confidence: 0.1 }),
  ]);
  const d = (parties: [string, IndicatorKind, string][]) => e.decide(ev('transfer', parties), { policy });
  assert.equal(d([['payee', 'phone', '13800000001']]).action, 'allow');
  assert.equal(d([['payee', 'phone', '13800000001']]).reasons[0]!.code, 'loans_tolerated');
  assert.equal(d([['payee', 'phone', '13800000002']]).action, 'warn', 'no rule: the default');
  assert.equal(d([['payee', 'phone', '13800000003']]).action, 'block');
  assert.equal(d([['payer', 'phone', '13800000003']]).action, 'review');
  assert.equal(d([['payer', 'device', '490154203237518']]).action, 'review');
  const all = d([
    ['payer', 'phone', '13800000001'],
    ['payer', 'phone', '13800000002'],
    ['payee', 'phone', '13800000003'],
  ]);
  assert.equal(all.action, 'block');
  assert.deepEqual(
    all.matches.map((m) => [m.listingId, m.action]),
    [
      ['loan', 'allow'],
      ['low', 'warn'],
      ['high', 'block'],
    ],
  );
  // score = 1 − (1 − .99)(1 − .3)(1 − .95)
  assert.equal(all.score, Math.round((1 - 0.01 * 0.7 * 0.05) * 10_000) / 10_000);
  assert.deepEqual(all.policy, { id: 'p', version: 3 });
});

test('default national policies: calls never review, transfers hold a listed payee', () => {
  const e = engineWith([
    listing('phone', '+8613800000001', { confidence: 0.7 }),
    listing('bank_account', '6222021234567890128', { confidence: 0.7 }),
    listing('phone', '+8613800000002', { confidence: 0.85, category: 'sim_box' }),
  ]);
  assert.equal(e.decide(ev('call', [['caller', 'phone', '13800000001']])).action, 'warn');
  assert.equal(e.decide(ev('call', [['caller', 'phone', '13800000002']])).action, 'block');
  assert.equal(e.decide(ev('transfer', [['payee', 'bank_account', '6222021234567890128']])).action, 'review');
  assert.equal(e.decide(ev('transfer', [['payer', 'bank_account', '6222021234567890128']])).action, 'warn');
});

test('shadow: the shadow action is reported and changed decisions are counted', () => {
  const active: Policy = {
    id: 'nat',
    version: 1,
    channel: '*',
    institutionId: null,
    default: 'warn',
    rules: [],
  };
  const next: Policy = {
    ...active,
    version: 2,
    rules: [{ minConfidence: 0.9, action: 'block' }],
  };
  const e = engineWith(
    [
      listing('phone', '+8613800000001', { confidence: 0.95 }),
      listing('phone', '+8613800000002', { confidence: 0.5 }),
    ],
    { policies: new PolicySet([active]) },
  );
  const events = [
    ev('call', [['caller', 'phone', '13800000001']]),
    ev('call', [['caller', 'phone', '13800000002']]),
    ev('call', [['caller', 'phone', '13900000000']]),
    ev('call', [['caller', 'phone', '13800000001']]),
  ];
  const d = e.decide(events[0]!, { shadowPolicy: next });
  assert.equal(d.action, 'warn');
  assert.deepEqual(d.shadow, { action: 'block', policy: { id: 'nat', version: 2 } });
  assert.deepEqual(e.decide(events[2]!, { shadowPolicy: next }).shadow?.action, 'allow');

  const report = e.replayShadow(events, next);
  assert.deepEqual(
    { total: report.total, changed: report.changed, by: report.byTransition() },
    { total: 4, changed: 2, by: { 'warn→block': 2 } },
  );
  assert.equal(report.count('warn', 'warn'), 1);
  assert.equal(report.toJSON().changedShare, 0.5);
  assert.equal(e.pendingSightings, 1, 'replays count no sightings (only the first decide above did)');
  assert.equal(e.drainSightings()[0]!.count, 1);

  // A shadow in the PolicySet runs beside the active policy on every decision.
  e.policies.setShadow(next);
  for (const x of events) assert.equal(e.decide(x).shadow?.policy.version, 2);
  const running = e.shadowReportFor(next)!;
  assert.equal(running.total, 4);
  assert.equal(running.changed, 2);
  assert.equal(e.policies.promoteShadow('*', null)?.version, 2);
  assert.equal(e.decide(events[0]!).action, 'block');
  assert.equal(e.decide(events[0]!).shadow, undefined);
});

test('a malformed party gets a warning while the others still decide', () => {
  const e = engineWith([listing('phone', '+8613800138000', { id: 'p' })]);
  const d = e.decide(
    ev('sms', [
      ['sender', 'phone', '13800138000'],
      ['recipient', 'phone', '12'],
      ['url', 'url', 'ftp://x.example/'],
      ['payee', 'fax' as IndicatorKind, '1'],
      ['empty', 'phone', ''],
    ]),
  );
  assert.deepEqual(ids(d), ['p']);
  assert.equal(d.action, 'block');
  assert.deepEqual(
    d.warnings.map((w) => [w.party, w.index, w.code]),
    [
      ['recipient', 1, 'phone_too_short'],
      ['url', 2, 'url_bad_scheme'],
      ['payee', 3, 'kind_unknown'],
      ['empty', 4, 'input_empty'],
    ],
  );
  assert.ok(d.reasons.some((r) => r.code === 'malformed_party' && r.en.includes('too few digits')));
  // Nothing parses: not silently allowed, the policy's onMalformed applies (national: warn).
  const bad = e.decide(ev('call', [['caller', 'phone', 'anonymous']]));
  assert.equal(bad.action, 'warn');
  assert.equal(bad.warnings[0]!.code, 'phone_unparseable');
  const withNull = e.decide({
    kind: 'call',
    parties: [null as unknown as DecisionParty, { role: 'caller', kind: 'phone', value: '13800138000' }],
  });
  assert.deepEqual(
    [withNull.action, withNull.warnings[0]!.code, withNull.warnings[0]!.party],
    ['block', 'party_invalid', '0'],
  );
  // Pre-normalised: a url that is not canonical is a warning too.
  assert.equal(
    e.decideNormalised(ev('url_visit', [['url', 'url', 'no-path']])).warnings[0]!.code,
    'url_unparseable',
  );
});

test('sms content: links and numbers in the text are matched as content_url and content_phone', () => {
  const e = engineWith([
    listing('domain', 'evil-pay.com', { id: 'dom' }),
    listing('url', 't.cn/AbC9', { id: 'short' }),
    listing('phone', '+8613800138000', { id: 'tel' }),
    listing('phone', '+8613912345678', { id: 'tel2' }),
    listing('domain', 'example.com', { id: 'mail' }),
  ]);
  const d = e.decide(
    ev('sms', [['sender', 'phone', '13900001111']], {
      content:
        '【某银行】您的账户存在风险，请登录https://www.evil-pay.com/verify?id=1处理，或访问 t.cn/AbC9 。' +
        '客服电话：１３８-００１３-８０００，也可拨139 1234 5678。退款金额 50000 元，验证码 123456，邮箱 help@example.com',
    }),
  );
  assert.deepEqual(
    d.matches.map((m) => [m.listingId, m.role]),
    [
      ['dom', 'content_url'],
      ['short', 'content_url'],
      ['tel', 'content_phone'],
      ['tel2', 'content_phone'],
    ],
  );
  assert.deepEqual(d.warnings, [], 'content that does not parse is no warning');
  assert.equal(d.action, 'block');
});

test('sightings are counted per listing, UTC day and channel, then drained', () => {
  const e = engineWith([
    listing('phone', '+8613800138000', { id: 'p' }),
    listing('domain', 'evil.example', { id: 'd' }),
  ]);
  const day2 = NOW + 86_400_000;
  e.decide(ev('call', [['caller', 'phone', '13800138000']]));
  e.decide(ev('call', [['caller', 'phone', '13800138000']]));
  e.decide(ev('call', [['caller', 'phone', '13800138000']], { occurredAt: day2 }));
  e.decide(
    ev('sms', [
      ['sender', 'phone', '13800138000'],
      ['x', 'phone', '+86 138 0013 8000'],
    ]),
  );
  e.decide(ev('url_visit', [['url', 'url', 'http://evil.example/']]), { countSightings: false });
  e.decide(ev('url_visit', [['url', 'url', 'http://evil.example/']]));
  const s = e
    .drainSightings()
    .sort((a, b) => (a.listingId + a.day + a.channel).localeCompare(b.listingId + b.day + b.channel));
  assert.deepEqual(
    s.map((x) => [x.listingId, x.day, x.channel, x.count]),
    [
      ['d', '2026-11-23', 'url_visit', 1],
      ['p', '2026-11-23', 'call', 2],
      ['p', '2026-11-23', 'sms', 1],
      ['p', '2026-11-24', 'call', 1],
    ],
  );
  assert.equal(s[0]!.kind, 'domain');
  assert.deepEqual(e.drainSightings(), []);
});

test('misses allocate no decision; batches are limited; changes apply', () => {
  const e = engineWith([]);
  const a = e.decideNormalised(ev('call', [['caller', 'phone', '+8613800138000']]));
  const b = e.decide(ev('call', [['caller', 'phone', '13900139000']]));
  assert.equal(a, b, 'the no-match decision is shared');
  assert.ok(Object.isFrozen(a));
  assert.throws(() => e.decideBatch(new Array(MAX_BATCH + 1).fill(ev('call', []))), RangeError);
  assert.equal(
    e.apply([
      { op: 'upsert', listing: listing('phone', '+8613800138000', { id: 'x', version: 10 }) },
      { op: 'upsert', listing: listing('phone', '+8613800138000', { id: 'x', version: 9, confidence: 0.1 }) },
    ]),
    1,
  );
  const batch = e.decideBatch([
    ev('call', [['caller', 'phone', '13800138000']]),
    ev('call', [['caller', 'phone', '1']]),
  ]);
  assert.deepEqual(
    batch.map((d) => d.action),
    ['block', 'warn'],
  );
  assert.equal(e.apply([{ op: 'remove', kind: 'phone', value: '+8613800138000', version: 11 }]), 1);
  assert.equal(e.decide(ev('call', [['caller', 'phone', '13800138000']])).action, 'allow');
  assert.throws(() => e.decide({ kind: 'fax' as 'call', parties: [] }), RangeError);
});

test('shadow selection follows the selection path; url host markers do not outlive correctness', () => {
  const nat: Policy = {
    id: 'nat-call',
    version: 1,
    channel: 'call',
    institutionId: null,
    default: 'warn',
    rules: [],
  };
  const bank: Policy = {
    id: 'bank-call',
    version: 1,
    channel: 'call',
    institutionId: 'bank-1',
    default: 'block',
    rules: [],
  };
  const e = engineWith([listing('phone', '+8613800138000', { confidence: 0.5 })], {
    policies: new PolicySet([nat]),
  });
  e.policies.setShadow(bank);
  const call = (inst?: string) =>
    e.decide(ev('call', [['caller', 'phone', '13800138000']], inst ? { institutionId: inst } : {}));
  assert.deepEqual([call('bank-1').action, call('bank-1').shadow?.action], ['warn', 'block']);
  assert.equal(call('bank-2').shadow, undefined);
  assert.equal(call().shadow, undefined);
  assert.deepEqual(e.shadowReportFor(bank)?.byTransition(), { 'warn→block': 2 });
  e.policies.clearShadow('call', 'bank-1');
  assert.equal(call('bank-1').shadow, undefined);

  // A url listing removed: its host marker stays, the URL no longer matches.
  const u = engineWith([listing('url', 'evil.example/x/', { id: 'u', version: 1 })]);
  assert.deepEqual(ids(u.decide(ev('url_visit', [['url', 'url', 'http://evil.example/x/y']]))), ['u']);
  u.index.remove('url', 'evil.example/x/', 2);
  assert.deepEqual(ids(u.decide(ev('url_visit', [['url', 'url', 'http://evil.example/x/y']]))), []);
  assert.equal(u.index.size, 0);
  assert.equal(u.index.stats().urlHosts, 1);
});
