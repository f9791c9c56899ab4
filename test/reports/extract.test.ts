import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chineseNumber, extractIndicators, type Extraction } from '../../src/reports/extract.ts';

type ListName = keyof Extraction;

function values(text: string, list: ListName, opts?: { defaultRegion?: string }): string[] {
  return extractIndicators(text, opts)[list].map((i) => i.value);
}

function total(x: Extraction): number {
  return Object.values(x).reduce((n, l: unknown[]) => n + l.length, 0);
}

/** Every span's raw text is the original text at its offsets. */
function checkSpans(text: string, x: Extraction): void {
  for (const list of Object.values(x) as { spans: { start: number; end: number; raw: string }[] }[][]) {
    for (const ind of list) {
      for (const sp of ind.spans) assert.equal(text.slice(sp.start, sp.end), sp.raw);
    }
  }
}

test('phones in every written form, with spans into the original text', () => {
  const text =
    '请拨打 +86 138 0013 8000 或 138-0013-8000，全角１３８００１３８０００，空格 1 3 8 0 0 1 3 8 0 0 0，' +
    '中文一三八零零一三八零零零，幺三八零零幺三八零零零，夹杂138*0013*8000、1🔥3🔥8\u200b0013 8000';
  const x = extractIndicators(text);
  checkSpans(text, x);
  assert.equal(x.phones.length, 1);
  const p = x.phones[0]!;
  assert.equal(p.value, '+8613800138000');
  assert.equal(p.lineType, 'MOBILE');
  assert.deepEqual(
    p.spans.map((s) => s.raw),
    [
      '+86 138 0013 8000',
      '138-0013-8000',
      '１３８００１３８０００',
      '1 3 8 0 0 1 3 8 0 0 0',
      '一三八零零一三八零零零',
      '幺三八零零幺三八零零零',
      '138*0013*8000',
      '1🔥3🔥8\u200b0013 8000',
    ],
  );
  assert.equal(p.spans[0]!.start, text.indexOf('+86'));
});

test('landlines, service numbers, 400/800 and international numbers', () => {
  assert.deepEqual(values('座机(010) 6552 9999，或 0755-8888-8888', 'phones'), [
    '+861065529999',
    '+8675588888888',
  ]);
  const x = extractIndicators('工行客服95588，反诈专线96110，热线400-812-3123，免费电话 800 123 4567');
  assert.deepEqual(
    x.phones.map((p) => p.value),
    ['short:CN:95588', 'short:CN:96110', '+864008123123', '+868001234567'],
  );
  assert.equal(x.phones[0]!.shortCode?.category, 'bank_hotline');
  assert.deepEqual(values('Call +1 650 253 0000 or 0044 20 7946 0958 today', 'phones'), [
    '+16502530000',
    '+442079460958',
  ]);
  assert.deepEqual(values('请拨打110报警', 'phones'), ['short:CN:110']);
  assert.deepEqual(values('Call (650) 253-0000', 'phones', { defaultRegion: 'US' }), ['+16502530000']);
});

test('no phones in dates, times, amounts, order numbers, codes and long digit runs', () => {
  const negatives = [
    '日期 2026-11-30 12:30，2026/11/30，2026.11.30',
    '金额 13800元，¥13800138000，5,000,000 元',
    '订单号 13800138000，快递单号 1380013800012345',
    '验证码 955880，请勿泄露',
    'order #13800138000 shipped',
    '1380013800013900139000 and ' + '9'.repeat(40),
    '共有110个人，120次，第12345名',
    '版本 1.3.8, pi 3.14159',
  ];
  for (const t of negatives) assert.deepEqual(values(t, 'phones'), [], t);
});

test('a Luhn-valid 16–19 digit run is a bank card, not a phone', () => {
  const text = '卡号 6222 0212 3456 7890 128，也可转 6222-0212-3456-7890-128 或6222021234567890128';
  const x = extractIndicators(text);
  checkSpans(text, x);
  assert.deepEqual(
    x.bankCards.map((c) => [c.value, c.bin, c.last4, c.spans.length]),
    [['6222021234567890128', '622202', '0128', 3]],
  );
  assert.deepEqual(x.phones, []);
  // Luhn fails: neither a card nor a phone.
  const y = extractIndicators('卡号 6222 0212 3456 7890 129');
  assert.equal(y.bankCards.length + y.phones.length, 0);
  // A Visa test number in English text.
  assert.deepEqual(values('card 4111 1111 1111 1111 exp 12/29', 'bankCards'), ['4111111111111111']);
});

test('URLs, plain and obfuscated, canonicalised', () => {
  const text =
    '登录 www . evil . com 或 ｗｗｗ．ｅｖｉｌ．ｃｏｍ，或 evil点com、evil[.]com/x、hxxp://bad(dot)top/login?a=1，' +
    '还有 evil。cn 和 HTTPS://Secure-Bank.COM.cn:8443/a/../b。';
  const x = extractIndicators(text);
  checkSpans(text, x);
  assert.deepEqual(
    x.urls.map((u) => [u.value, u.spans.map((s) => s.raw)]),
    [
      ['http://www.evil.com/', ['www . evil . com', 'ｗｗｗ．ｅｖｉｌ．ｃｏｍ']],
      ['http://evil.com/', ['evil点com']],
      ['http://evil.com/x', ['evil[.]com/x']],
      ['http://bad.top/login?a=1', ['hxxp://bad(dot)top/login?a=1']],
      ['http://evil.cn/', ['evil。cn']],
      ['https://secure-bank.com.cn/b', ['HTTPS://Secure-Bank.COM.cn:8443/a/../b']],
    ],
  );
  assert.equal(x.urls[0]!.obfuscated, true);
  assert.equal(x.urls[0]!.schemeless, true);
  assert.equal(x.urls[5]!.obfuscated, false);
  assert.equal(x.urls[5]!.registrableDomain, 'secure-bank.com.cn');
});

test('scheme-less links need a real public suffix; shorteners are flagged', () => {
  const x = extractIndicators(
    'See file.txt, e.g. this, i.e. that, Node.js, report.pdf, setup.zip, Hello.World and 3.5万; ' +
      'but evil-site.top/path?a=1. Short: t.cn/AbCd and https://bit.ly/3xYz.',
  );
  assert.deepEqual(
    x.urls.map((u) => [u.value, u.shortener]),
    [
      ['http://evil-site.top/path?a=1', false],
      ['http://t.cn/AbCd', true],
      ['https://bit.ly/3xYz', true],
    ],
  );
  assert.deepEqual(values('mail me at someone@example.com', 'urls'), []);
  assert.deepEqual(values('访问 192.168.1.20:8080/admin 或 10.0.0.1', 'urls'), ['http://192.168.1.20/admin']);
});

test('amounts in Chinese and English', () => {
  const text =
    '转账5000元，¥5,000，5万，3.5万元，五万元，RMB 2000，$300，USD 1,200.50，£100，HK$80，€20，十万元，一万五千元，两万五';
  const x = extractIndicators(text);
  checkSpans(text, x);
  assert.deepEqual(
    x.amounts.map((a) => [a.currency, a.amount, a.spans.length]),
    [
      ['CNY', '5000', 2],
      ['CNY', '50000', 2],
      ['CNY', '35000', 1],
      ['CNY', '2000', 1],
      ['USD', '300', 1],
      ['USD', '1200.5', 1],
      ['GBP', '100', 1],
      ['HKD', '80', 1],
      ['EUR', '20', 1],
      ['CNY', '100000', 1],
      ['CNY', '15000', 1],
    ],
  );
  assert.deepEqual(values('pay 300 dollars or 2000 RMB', 'amounts'), ['USD:300', 'CNY:2000']);
  assert.deepEqual(values('5万人参加，3万次下载，一万个理由', 'amounts'), []);
});

test('Chinese numerals', () => {
  assert.equal(chineseNumber('五万'), '50000');
  assert.equal(chineseNumber('三千五百'), '3500');
  assert.equal(chineseNumber('一万五'), '15000');
  assert.equal(chineseNumber('一万零五'), '10005');
  assert.equal(chineseNumber('十二万'), '120000');
  assert.equal(chineseNumber('三点五万'), '35000');
  assert.equal(chineseNumber('两亿'), '200000000');
  assert.equal(chineseNumber('一二三'), null);
});

test('internet and payment accounts after cue words', () => {
  const text =
    '加微信：abc_123，QQ 12345678，加V：xyz888，扣扣：87654321，企鹅号 55667788，TG @durov_bot1，' +
    'whatsapp +1 650 253 0000，支付宝：13800138000，vx：Wechat_Fan，PayPal: Scam@Example.com';
  const x = extractIndicators(text);
  checkSpans(text, x);
  assert.deepEqual(
    x.internetAccounts.map((a) => a.value),
    [
      'wechat:abc_123',
      'qq:12345678',
      'wechat:xyz888',
      'qq:87654321',
      'qq:55667788',
      'telegram:durov_bot1',
      'whatsapp:+16502530000',
      'alipay:+8613800138000',
      'wechat:wechat_fan',
    ],
  );
  assert.deepEqual(
    x.paymentAccounts.map((a) => a.value),
    ['paypal:scam@example.com'],
  );
  // QQ numbers are not phones; a phone written as an account id is both.
  assert.deepEqual(
    x.phones.map((p) => p.value),
    ['+16502530000', '+8613800138000'],
  );
  // Invalid ids and words that only contain a cue.
  assert.deepEqual(values('加微信：ab，QQ 0123，wxabcdef，微信支付成功', 'internetAccounts'), []);
  assert.deepEqual(values('Join t.me/durov or wa.me/8613800138000', 'internetAccounts'), [
    'telegram:durov',
    'whatsapp:+8613800138000',
  ]);
});

test('apps: names after cue words, download links, package names, store links', () => {
  const text =
    '下载《安心贷》APP，安装“极速借”客户端，链接 http://evil.top/dl/loan.apk，包名 com.evil.loan，' +
    'https://play.google.com/store/apps/details?id=com.foo.bar 和 https://apps.apple.com/cn/app/x/id1234567890';
  const x = extractIndicators(text);
  checkSpans(text, x);
  assert.deepEqual(
    x.apps.map((a) => [a.form, a.value]),
    [
      ['name', 'name:安心贷'],
      ['name', 'name:极速借'],
      ['download', 'http://evil.top/dl/loan.apk'],
      ['package', 'pkg:com.evil.loan'],
      ['package', 'pkg:com.foo.bar'],
      ['store', 'appstore:1234567890'],
    ],
  );
  assert.deepEqual(
    x.urls.map((u) => u.host),
    ['evil.top', 'play.google.com', 'apps.apple.com'],
  );
});

test('a mixed English scam message', () => {
  const text =
    'URGENT: your parcel is held. Pay a $2.99 fee at hxxps://parcel-redelivery[.]top/pay within 12 hours ' +
    'or call +44 20 7946 0958. Ref 2026113012345678.';
  const x = extractIndicators(text);
  checkSpans(text, x);
  assert.deepEqual(
    x.urls.map((u) => u.value),
    ['https://parcel-redelivery.top/pay'],
  );
  assert.deepEqual(
    x.amounts.map((a) => a.value),
    ['USD:2.99'],
  );
  assert.deepEqual(
    x.phones.map((p) => p.value),
    ['+442079460958'],
  );
  assert.equal(x.bankCards.length, 0);
});

test('hostile inputs finish quickly and find nothing', () => {
  const inputs = [
    '1'.repeat(100_000),
    '1 '.repeat(50_000),
    'a'.repeat(100_000),
    'a.'.repeat(50_000),
    '《'.repeat(50_000) + '》'.repeat(50_000),
    '下载' + '《“「'.repeat(30_000),
    'a' + ' '.repeat(100_000) + '. com',
    '一'.repeat(100_000),
    '😀\u200b'.repeat(50_000),
    '5,'.repeat(50_000),
    '加微信'.repeat(30_000),
    Array.from({ length: 100_000 }, (_, i) => 'a.-_ 1[(《“@:/'[(i * 7919) % 14]).join(''),
  ];
  for (const t of inputs) {
    const started = performance.now();
    const x = extractIndicators(t);
    const ms = performance.now() - started;
    assert.equal(total(x), 0, t.slice(0, 20));
    assert.ok(ms < 3000, `${ms} ms for ${JSON.stringify(t.slice(0, 20))}`);
  }
  assert.equal(total(extractIndicators('')), 0);
  assert.equal(total(extractIndicators(undefined as unknown as string)), 0);
});

test('a 2 KB message extracts in well under a millisecond on average', () => {
  const base =
    '【银行】尊敬的客户，您的账户存在风险，请立即拨打 400-812-3123 或加微信：abc_123 联系客服，' +
    '登录 www . evil . com/verify 领取补偿金5000元，卡号 6222 0212 3456 7890 128。' +
    'Download the app at hxxp://bad[.]top/a.apk or call +1 650 253 0000. ';
  let msg = '';
  while (msg.length < 2048) msg += base;
  msg = msg.slice(0, 2048);
  for (let i = 0; i < 100; i++) extractIndicators(msg);
  const n = 500;
  const started = performance.now();
  for (let i = 0; i < n; i++) extractIndicators(msg);
  const avg = (performance.now() - started) / n;
  // Generous bound: test machines are shared; measured ~0.3–0.6 ms.
  assert.ok(avg < 5, `${avg} ms per 2 KB message`);
});
