import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  INDICATOR_KINDS,
  NORMALIZE_ERRORS,
  fail,
  fullwidthToAscii,
  isIndicatorKind,
  normalizeIndicator,
  type IndicatorKind,
} from '../../../src/core/normalize/index.ts';

test('fullwidthToAscii folds full-width forms one unit for one', () => {
  assert.equal(fullwidthToAscii('１３８－００１３－８０００'), '138-0013-8000');
  assert.equal(fullwidthToAscii('ＡＢＣ＋＠：／？＃～'), 'ABC+@:/?#~');
  assert.equal(fullwidthToAscii('a\u3000b'), 'a b');
  assert.equal(fullwidthToAscii('例子。中国'), '例子。中国');
  assert.equal(fullwidthToAscii('例子。中国', { dots: true }), '例子.中国');
  assert.equal(fullwidthToAscii('a｡b', { dots: true }), 'a.b');
  const plain = 'already ascii';
  assert.equal(fullwidthToAscii(plain), plain);
  const mixed = 'ｈｔｔｐ：／／例子。中国／ｘ';
  assert.equal(fullwidthToAscii(mixed, { dots: true }).length, mixed.length);
});

test('normalizeIndicator dispatches on kind', () => {
  const cases: [IndicatorKind, string, object, string][] = [
    ['phone', '138-0013-8000', {}, '+8613800138000'],
    ['phone', '(650) 253-0000', { defaultRegion: 'US' }, '+16502530000'],
    ['url', 'www.GOOgle.com', {}, 'http://www.google.com/'],
    ['domain', 'www.Example.com.', {}, 'example.com'],
    ['ip', '0xC0A80101', {}, '192.168.1.1'],
    ['bank_account', '4111 1111 1111 1111', {}, '4111111111111111'],
    ['bank_account', '4111 1111 1111 1111', { institution: 'ICBC' }, '4111111111111111'],
    ['bank_account', '0200 0012 3456 7890', { institution: '工商银行' }, 'icbc:0200001234567890'],
    ['bank_account', '0200 0012 3456 7890', {}, '0200001234567890'],
    [
      'bank_account',
      '4111 1111 1111 1111',
      { accountType: 'account', institution: 'icbc' },
      'icbc:4111111111111111',
    ],
    ['payment_account', '13800138000', { provider: 'alipay' }, 'alipay:+8613800138000'],
    ['internet_account', '微信号: abc_123', {}, 'wechat:abc_123'],
    ['internet_account', '12345678', { platform: 'qq' }, 'qq:12345678'],
    ['device', '49015420323751', {}, '490154203237518'],
    ['app', 'com.Example.App', {}, 'pkg:com.example.app'],
  ];
  for (const [kind, raw, opts, value] of cases) {
    const r = normalizeIndicator(kind, raw, opts);
    assert.ok(r.ok, `${kind} ${raw}: ${JSON.stringify(r)}`);
    assert.equal(r.value, value, `${kind} ${raw}`);
  }
  const card = normalizeIndicator('bank_account', '4111 1111 1111 1112', { accountType: 'card' });
  assert.ok(!card.ok);
  assert.equal(card.code, 'card_luhn_failed');
  const unknown = normalizeIndicator('fax' as IndicatorKind, '123');
  assert.ok(!unknown.ok);
  assert.equal(unknown.code, 'kind_unknown');
});

test('every kind rejects the empty string without throwing', () => {
  for (const kind of INDICATOR_KINDS) {
    const r = normalizeIndicator(kind, '', { provider: 'alipay', platform: 'qq' });
    assert.ok(!r.ok, kind);
    assert.equal(r.code, 'input_empty', kind);
  }
});

test('kinds and error codes', () => {
  assert.deepEqual(
    [...INDICATOR_KINDS],
    ['phone', 'url', 'domain', 'ip', 'bank_account', 'payment_account', 'internet_account', 'device', 'app'],
  );
  assert.equal(isIndicatorKind('phone'), true);
  assert.equal(isIndicatorKind('fax'), false);
  for (const [c, reason] of Object.entries(NORMALIZE_ERRORS)) {
    assert.match(c, /^[a-z0-9]+(?:_[a-z0-9]+)*$/);
    assert.ok(reason.length > 0);
    const f = fail(c as keyof typeof NORMALIZE_ERRORS);
    assert.deepEqual({ ...f }, { ok: false, code: c, reason });
    assert.ok(Object.isFrozen(f));
  }
});
