import { test } from 'node:test';
import assert from 'node:assert/strict';
import { imeiCheckDigit, normalizeApp, normalizeImei } from '../../../src/core/normalize/device.ts';
import { luhnValid } from '../../../src/core/normalize/account.ts';

test('IMEI: 15 digits with a valid check digit', () => {
  const cases: [string, string][] = [
    ['490154203237518', '490154203237518'],
    ['49-015420-323751-8', '490154203237518'],
    ['49 015420 323751 8', '490154203237518'],
    ['IMEI: 35-209900-176148-1', '352099001761481'],
    ['imei 352099001761481', '352099001761481'],
    ['IMEI号：３５２０９９００１７６１４８１', '352099001761481'],
    ['35/209900/176148/1', '352099001761481'],
  ];
  for (const [input, value] of cases) {
    const r = normalizeImei(input);
    assert.ok(r.ok, `${input}: ${JSON.stringify(r)}`);
    assert.equal(r.value, value, input);
    assert.equal(r.tac, value.slice(0, 8), input);
    assert.equal(r.checkDigitComputed, false, input);
    assert.ok(luhnValid(r.value), input);
  }
});

test('IMEI: 14 digits get their check digit; IMEISV drops the software version', () => {
  const short = normalizeImei('49015420323751');
  assert.ok(short.ok);
  assert.equal(short.value, '490154203237518');
  assert.equal(short.checkDigitComputed, true);
  const sv = normalizeImei('4901542032375186');
  assert.ok(sv.ok);
  assert.equal(sv.value, '490154203237518');
  assert.equal(sv.svn, '86');
  assert.equal(sv.checkDigitComputed, true);
  assert.equal(imeiCheckDigit('49015420323751'), 8);
  assert.equal(imeiCheckDigit('35209900176148'), 1);
  for (let i = 0; i < 200; i++) {
    const body = String(10_000_000_000_000 + i * 7_919_113_457).slice(0, 14);
    assert.ok(luhnValid(body + String(imeiCheckDigit(body))), body);
  }
});

test('IMEI: wrong check digit, lengths, characters and placeholders are refused', () => {
  const cases: [string, string][] = [
    ['490154203237519', 'imei_check_digit'],
    ['352099001761480', 'imei_check_digit'],
    ['1234567890123', 'imei_bad_length'],
    ['12345678901234567', 'imei_bad_length'],
    ['49015420323751X', 'imei_invalid_chars'],
    ['A1000012345678', 'imei_invalid_chars'],
    ['000000000000000', 'imei_placeholder'],
    ['111111111111111', 'imei_placeholder'],
    ['00000000000000', 'imei_placeholder'],
    ['', 'input_empty'],
  ];
  for (const [input, want] of cases) {
    const r = normalizeImei(input);
    assert.ok(!r.ok, input);
    assert.equal(r.code, want, input);
  }
});

test('apps: package names → pkg:, lowercase', () => {
  const cases: [string, string][] = [
    ['com.example.app', 'pkg:com.example.app'],
    ['Com.Example.App', 'pkg:com.example.app'],
    ['  com.tencent.mm  ', 'pkg:com.tencent.mm'],
    ['pkg:com.x.y', 'pkg:com.x.y'],
    ['package: com.eg.fake_bank2', 'pkg:com.eg.fake_bank2'],
    ['ｃｏｍ．ｅｘａｍｐｌｅ．ａｐｐ', 'pkg:com.example.app'],
    ['https://play.google.com/store/apps/details?id=com.tencent.mm&hl=en', 'pkg:com.tencent.mm'],
    ['market://details?id=com.eg.app', 'pkg:com.eg.app'],
  ];
  for (const [input, value] of cases) {
    const r = normalizeApp(input);
    assert.ok(r.ok, `${input}: ${JSON.stringify(r)}`);
    assert.equal(r.value, value, input);
    assert.equal(r.form, 'package', input);
    assert.equal(r.id, value.slice(4), input);
  }
});

test('apps: SHA-256 hashes → sha256:, lowercase hex', () => {
  const hex = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
  for (const input of [
    hex,
    hex.toUpperCase(),
    `sha256:${hex}`,
    `SHA-256: ${hex.toUpperCase()}`,
    hex.match(/../g)!.join(':'),
    hex.match(/../g)!.join(' ').toUpperCase(),
  ]) {
    const r = normalizeApp(input);
    assert.ok(r.ok, input);
    assert.equal(r.value, `sha256:${hex}`, input);
    assert.equal(r.form, 'sha256', input);
    assert.equal(r.id, hex, input);
  }
});

test('apps: invalid names and other hashes are refused', () => {
  const cases: [string, string][] = [
    ['com', 'app_invalid'],
    ['1com.example', 'app_invalid'],
    ['com.1example', 'app_invalid'],
    ['com..example', 'app_invalid'],
    ['com.example.', 'app_invalid'],
    ['com.exa mple', 'app_invalid'],
    ['com.exa-mple', 'app_invalid'],
    ['sha256:abcd', 'app_invalid'],
    ['pkg:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', 'app_invalid'],
    ['d41d8cd98f00b204e9800998ecf8427e', 'app_unsupported_hash'],
    ['da39a3ee5e6b4b0d3255bfef95601890afd80709', 'app_unsupported_hash'],
    ['', 'input_empty'],
  ];
  for (const [input, want] of cases) {
    const r = normalizeApp(input);
    assert.ok(!r.ok, input);
    assert.equal(r.code, want, input);
  }
});
