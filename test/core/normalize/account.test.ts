import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  luhnValid,
  normalizeBankAccount,
  normalizeBankCard,
  normalizeInternetAccount,
  normalizePaymentAccount,
  type InternetAccountOptions,
} from '../../../src/core/normalize/account.ts';

function failCode(r: { ok: boolean; code?: string }): string | undefined {
  assert.ok(!r.ok, `expected failure, got ${JSON.stringify(r)}`);
  return r.code;
}

test('luhnValid', () => {
  for (const good of [
    '4111111111111111',
    '5555555555554444',
    '378282246310005',
    '6222021234567890128',
    '79927398713',
    '0'.repeat(16),
  ]) {
    assert.equal(luhnValid(good), true, good);
  }
  for (const bad of ['4111111111111112', '79927398710', '1', '', '4111 1111 1111 1111', '41111111111111a1']) {
    assert.equal(luhnValid(bad), false, bad);
  }
});

test('bank cards: digits after stripping spaces, dashes and full-width; Luhn must pass', () => {
  const cases: [string, string][] = [
    ['4111 1111 1111 1111', '4111111111111111'],
    ['4111-1111-1111-1111', '4111111111111111'],
    ['  4111111111111111 ', '4111111111111111'],
    ['６２２２ ０２１２ ３４５６ ７８９０ １２８', '6222021234567890128'],
    ['6222\u00a00212\u00a03456\u00a07890\u00a0128', '6222021234567890128'],
    ['3782 822463 10005', '378282246310005'],
  ];
  for (const [input, value] of cases) {
    const r = normalizeBankCard(input);
    assert.ok(r.ok, input);
    assert.equal(r.value, value, input);
    assert.equal(r.bin, value.slice(0, 6), input);
    assert.equal(r.last4, value.slice(-4), input);
  }
  assert.equal(failCode(normalizeBankCard('4111 1111 1111 1112')), 'card_luhn_failed');
  assert.equal(failCode(normalizeBankCard('6222 0212 3456 7890')), 'card_luhn_failed');
  assert.equal(failCode(normalizeBankCard('4111 1111 111')), 'card_bad_length');
  assert.equal(failCode(normalizeBankCard('4'.repeat(20))), 'card_bad_length');
  assert.equal(failCode(normalizeBankCard('4111 1111 1111 111x')), 'card_invalid_chars');
  assert.equal(failCode(normalizeBankCard('卡号 4111111111111111')), 'card_invalid_chars');
  assert.equal(failCode(normalizeBankCard('')), 'input_empty');
});

test('bank accounts (not cards): 8–30 digits, institution:digits when the institution is known', () => {
  const plain = normalizeBankAccount('0200 0012 3456 7890');
  assert.ok(plain.ok);
  assert.equal(plain.value, '0200001234567890');
  assert.equal(plain.institution, null);
  for (const name of ['ICBC', 'icbc', '中国工商银行', '工商银行', '工行', ' ICBC ']) {
    const r = normalizeBankAccount('0200-0012-3456-7890', { institution: name });
    assert.ok(r.ok, name);
    assert.equal(r.value, 'icbc:0200001234567890', name);
    assert.equal(r.institution, 'icbc', name);
  }
  const other = normalizeBankAccount('12345678', { institution: 'Bank of  Somewhere' });
  assert.ok(other.ok);
  assert.equal(other.value, 'bank of somewhere:12345678');
  // A Luhn-failing number is fine as an account.
  assert.ok(normalizeBankAccount('6222 0212 3456 7890').ok);
  assert.equal(normalizeBankAccount('123', {}).ok, false);
  assert.equal(failCode(normalizeBankAccount('1234567')), 'bank_account_bad_length');
  assert.equal(failCode(normalizeBankAccount('1'.repeat(31))), 'bank_account_bad_length');
  assert.equal(failCode(normalizeBankAccount('1234-5678-abcd')), 'bank_account_invalid_chars');
  assert.equal(
    failCode(normalizeBankAccount('12345678', { institution: 'a:b' })),
    'bank_account_bad_institution',
  );
  const blank = normalizeBankAccount('12345678', { institution: '  ' });
  assert.ok(blank.ok);
  assert.equal(blank.value, '12345678');
});

test('payment accounts: provider:id with phone, e-mail or account id', () => {
  const cases: [string, { provider?: string }, string][] = [
    ['138 0013 8000', { provider: 'alipay' }, 'alipay:+8613800138000'],
    ['+86 138-0013-8000', { provider: '支付宝' }, 'alipay:+8613800138000'],
    ['支付宝 13800138000', {}, 'alipay:+8613800138000'],
    ['支付宝：138 0013 8000', {}, 'alipay:+8613800138000'],
    ['alipay:Foo.Bar@Example.COM', {}, 'alipay:foo.bar@example.com'],
    ['2088102122524333', { provider: 'Alipay' }, 'alipay:2088102122524333'],
    ['13800138000', { provider: 'WeChat Pay' }, 'wechatpay:+8613800138000'],
    ['微信支付 wxid_abc123', {}, 'wechatpay:wxid_abc123'],
    ['someone@example.com', { provider: 'PayPal' }, 'paypal:someone@example.com'],
    ['user@例子.中国', { provider: 'paypal' }, 'paypal:user@xn--fsqu00a.xn--fiqs8s'],
    ['13800138000', { provider: '云闪付' }, 'unionpay:+8613800138000'],
    ['AbC123', { provider: 'newpay' }, 'newpay:abc123'],
  ];
  for (const [input, opts, value] of cases) {
    const r = normalizePaymentAccount(input, opts);
    assert.ok(r.ok, `${input}: ${JSON.stringify(r)}`);
    assert.equal(r.value, value, input);
  }
  const p = normalizePaymentAccount('13800138000', { provider: 'alipay' });
  assert.ok(p.ok);
  assert.equal(p.provider, 'alipay');
  assert.equal(p.id, '+8613800138000');
  assert.equal(p.idType, 'phone');
  assert.equal(failCode(normalizePaymentAccount('13800138000')), 'payment_unknown_provider');
  assert.equal(
    failCode(normalizePaymentAccount('13800138000', { provider: 'a:b' })),
    'payment_unknown_provider',
  );
  assert.equal(
    failCode(normalizePaymentAccount('支付宝 13800138000', { provider: 'wechatpay' })),
    'payment_provider_mismatch',
  );
  assert.equal(failCode(normalizePaymentAccount('not an id', { provider: 'alipay' })), 'payment_bad_id');
  assert.equal(failCode(normalizePaymentAccount('has space', { provider: 'wechatpay' })), 'payment_bad_id');
});

test('internet accounts: platform:id, from options or from the text', () => {
  const cases: [string, InternetAccountOptions, string][] = [
    ['wechat:abc_123', {}, 'wechat:abc_123'],
    ['WeChat: Abc_123', {}, 'wechat:abc_123'],
    ['微信号: abc_123', {}, 'wechat:abc_123'],
    ['微信号：abc_123', {}, 'wechat:abc_123'],
    ['微信 abc_123', {}, 'wechat:abc_123'],
    ['vx: zhang_san88', {}, 'wechat:zhang_san88'],
    ['wx：zhang-san88', {}, 'wechat:zhang-san88'],
    ['wechat id: zhangsan88', {}, 'wechat:zhangsan88'],
    ['Zhang_San88', { platform: 'wechat' }, 'wechat:zhang_san88'],
    ['wxid_k1j2h3g4f5', { platform: 'wechat' }, 'wechat:wxid_k1j2h3g4f5'],
    ['138 0013 8000', { platform: 'wechat' }, 'wechat:+8613800138000'],
    ['12345678', { platform: 'wechat' }, 'wechat:12345678'],
    ['QQ 12345678', {}, 'qq:12345678'],
    ['qq:12345678', {}, 'qq:12345678'],
    ['QQ号12345678', {}, 'qq:12345678'],
    ['QQ号：１２３４５６７８', {}, 'qq:12345678'],
    ['12345678@qq.com', { platform: 'qq' }, 'qq:12345678'],
    ['10001', { platform: 'QQ' }, 'qq:10001'],
    ['支付宝 138 0013 8000', {}, 'alipay:+8613800138000'],
    ['foo@example.com', { platform: 'alipay' }, 'alipay:foo@example.com'],
    ['@Durov', { platform: 'telegram' }, 'telegram:durov'],
    ['durov', { platform: 'telegram' }, 'telegram:durov'],
    ['tg @durov_bot', {}, 'telegram:durov_bot'],
    ['telegram: @Some_User1', {}, 'telegram:some_user1'],
    ['https://t.me/durov', {}, 'telegram:durov'],
    ['t.me/Durov', {}, 'telegram:durov'],
    ['+86 138 0013 8000', { platform: 'telegram' }, 'telegram:+8613800138000'],
    ['+86 138 0013 8000', { platform: 'whatsapp' }, 'whatsapp:+8613800138000'],
    ['wa.me/8613800138000', {}, 'whatsapp:+8613800138000'],
    ['https://wa.me/16502530000', {}, 'whatsapp:+16502530000'],
    ['whatsapp: +1 650 253 0000', {}, 'whatsapp:+16502530000'],
    ['weibo.com/u/1234567890', {}, 'weibo:1234567890'],
    ['微博 @某某用户', {}, 'weibo:某某用户'],
    ['抖音号: Dy_123.abc', {}, 'douyin:dy_123.abc'],
    ['dy123456', { platform: 'douyin' }, 'douyin:dy123456'],
    ['Some-Handle', { platform: 'other' }, 'other:some-handle'],
  ];
  for (const [input, opts, value] of cases) {
    const r = normalizeInternetAccount(input, opts);
    assert.ok(r.ok, `${input}: ${JSON.stringify(r)}`);
    assert.equal(r.value, value, input);
  }
  const r = normalizeInternetAccount('QQ 12345678');
  assert.ok(r.ok);
  assert.deepEqual([r.platform, r.id, r.idType], ['qq', '12345678', 'number']);
});

test('internet accounts: platform rules are enforced', () => {
  const cases: [string, InternetAccountOptions, string][] = [
    ['abc_123', {}, 'internet_unknown_platform'],
    ['wxabcdef', {}, 'internet_unknown_platform'],
    ['abc', { platform: 'myspace' }, 'internet_unknown_platform'],
    ['qq:abc', {}, 'internet_bad_id'],
    ['0123456', { platform: 'qq' }, 'internet_bad_id'],
    ['123456789012', { platform: 'qq' }, 'internet_bad_id'],
    ['abc', { platform: 'telegram' }, 'internet_bad_id'],
    ['@1durov', { platform: 'telegram' }, 'internet_bad_id'],
    ['durov_', { platform: 'telegram' }, 'internet_bad_id'],
    ['abc', { platform: 'wechat' }, 'internet_bad_id'],
    ['1abcdefg', { platform: 'wechat' }, 'internet_bad_id'],
    ['abcdefghijklmnopqrstu', { platform: 'wechat' }, 'internet_bad_id'],
    ['not a phone', { platform: 'whatsapp' }, 'internet_bad_id'],
    ['wechat:abc123', { platform: 'qq' }, 'internet_platform_mismatch'],
    ['has space', { platform: 'other' }, 'internet_bad_id'],
    ['', { platform: 'qq' }, 'input_empty'],
  ];
  for (const [input, opts, want] of cases) {
    assert.equal(failCode(normalizeInternetAccount(input, opts)), want, `${input} ${JSON.stringify(opts)}`);
  }
});
