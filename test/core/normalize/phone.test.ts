import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import {
  CN_SHORT_CODES,
  isValidE164,
  lookupCnShortCode,
  normalizePhone,
  type PhoneResult,
} from '../../../src/core/normalize/phone.ts';

function ok(r: PhoneResult) {
  assert.ok(r.ok, `expected success, got ${JSON.stringify(r)}`);
  return r;
}

function code(r: PhoneResult): string {
  assert.ok(!r.ok, `expected failure, got ${JSON.stringify(r)}`);
  return r.code;
}

test('a CN mobile in every written form gives one E.164 value', () => {
  const forms = [
    '13800138000',
    '138 0013 8000',
    '138-0013-8000',
    '138.0013.8000',
    '(138) 0013 8000',
    '+86 138 0013 8000',
    '+86-138-0013-8000',
    '+8613800138000',
    '(+86) 13800138000',
    '008613800138000',
    '0086 138 0013 8000',
    '8613800138000',
    '86 138 0013 8000',
    '１３８００１３８０００',
    '＋８６ １３８ ００１３ ８０００',
    '１３８－００１３－８０００',
    '  13800138000\n',
    '\u300013800138000\u3000',
    '138\u00a00013\u00a08000',
    '138\u20130013\u20138000',
    '+86\u202f138\u20090013\u20098000',
  ];
  for (const f of forms) {
    const r = ok(normalizePhone(f));
    assert.equal(r.value, '+8613800138000', f);
    assert.equal(r.country, 'CN', f);
    assert.equal(r.lineType, 'MOBILE', f);
    assert.equal(r.foreign, false, f);
    assert.equal(r.national, '138 0013 8000', f);
  }
});

test('numbers are picked out of surrounding text', () => {
  const cases: [string, string][] = [
    ['call 138-0013-8000 now', '+8613800138000'],
    ['电话：138-0013-8000，谢谢', '+8613800138000'],
    ['联系人张三 13912345678 (微信同号)', '+8613912345678'],
    ['Tel: +86 (0)10 1234 5678', '+861012345678'],
    ['2024-01-01 13800138000', '+8613800138000'],
    ['order 12 paid, call 13800138000', '+8613800138000'],
    ['13800138000/13900139000', '+8613800138000'],
    ['138 0013 8000 转 123', '+8613800138000'],
    ['客服电话 0755-8888 8888。', '+8675588888888'],
  ];
  for (const [input, want] of cases) assert.equal(ok(normalizePhone(input)).value, want, input);
});

test('CN landlines with the trunk 0 and area code', () => {
  const cases: [string, string, string][] = [
    ['010-12345678', '+861012345678', '010 1234 5678'],
    ['(010) 1234 5678', '+861012345678', '010 1234 5678'],
    ['010 1234 5678', '+861012345678', '010 1234 5678'],
    ['01012345678', '+861012345678', '010 1234 5678'],
    ['+86 10 1234 5678', '+861012345678', '010 1234 5678'],
    ['0086-10-12345678', '+861012345678', '010 1234 5678'],
    ['021-1234-5678', '+862112345678', '021 1234 5678'],
    ['0755 8888 8888', '+8675588888888', '0755 8888 8888'],
    ['0755-88888888', '+8675588888888', '0755 8888 8888'],
    ['075588888888', '+8675588888888', '0755 8888 8888'],
    ['+86 755 8888 8888', '+8675588888888', '0755 8888 8888'],
    ['0571-87654321', '+8657187654321', '0571 8765 4321'],
  ];
  for (const [input, value, national] of cases) {
    const r = ok(normalizePhone(input));
    assert.equal(r.value, value, input);
    assert.equal(r.lineType, 'FIXED_LINE', input);
    assert.equal(r.national, national, input);
    assert.equal(r.country, 'CN', input);
  }
});

test('400 and 800 numbers are regular numbers with their own line types', () => {
  const shared = ok(normalizePhone('400-810-8888'));
  assert.equal(shared.value, '+864008108888');
  assert.equal(shared.lineType, 'SHARED_COST');
  const free = ok(normalizePhone('800 820 8820'));
  assert.equal(free.value, '+868008208820');
  assert.equal(free.lineType, 'TOLL_FREE');
});

test('international numbers keep their country and are foreign to CN', () => {
  const us = ok(normalizePhone('+1 650 253 0000'));
  assert.deepEqual(
    {
      value: us.value,
      country: us.country,
      lineType: us.lineType,
      foreign: us.foreign,
      national: us.national,
    },
    {
      value: '+16502530000',
      country: 'US',
      lineType: 'FIXED_LINE_OR_MOBILE',
      foreign: true,
      national: '(650) 253-0000',
    },
  );
  const gb = ok(normalizePhone('00 44 20 7946 0958'));
  assert.equal(gb.value, '+442079460958');
  assert.equal(gb.country, 'GB');
  assert.equal(gb.lineType, 'FIXED_LINE');
  assert.equal(gb.foreign, true);
  assert.equal(ok(normalizePhone('001 650 253 0000')).value, '+16502530000');
  assert.equal(ok(normalizePhone('+44 (0)20 7946 0958')).value, '+442079460958');
  const nonGeo = ok(normalizePhone('+800 1234 5678'));
  assert.equal(nonGeo.country, '001');
  assert.equal(nonGeo.lineType, 'TOLL_FREE');
});

test('defaultRegion decides numbers without a country code, and what is foreign', () => {
  const us = ok(normalizePhone('(650) 253-0000', { defaultRegion: 'US' }));
  assert.equal(us.value, '+16502530000');
  assert.equal(us.foreign, false);
  const cnFromUs = ok(normalizePhone('+86 138 0013 8000', { defaultRegion: 'US' }));
  assert.equal(cnFromUs.value, '+8613800138000');
  assert.equal(cnFromUs.foreign, true);
  assert.equal(code(normalizePhone('13800138000', { defaultRegion: 'US' })), 'phone_invalid_for_region');
  assert.equal(ok(normalizePhone('011 86 138 0013 8000', { defaultRegion: 'US' })).value, '+8613800138000');
});

test('CN short service numbers get short:CN:<digits> with a category', () => {
  const cases: [string, string, string][] = [
    ['110', 'short:CN:110', 'emergency'],
    ['120', 'short:CN:120', 'emergency'],
    ['119', 'short:CN:119', 'emergency'],
    ['122', 'short:CN:122', 'emergency'],
    ['12110', 'short:CN:12110', 'emergency'],
    ['96110', 'short:CN:96110', 'anti_fraud'],
    ['12321', 'short:CN:12321', 'anti_fraud'],
    ['12381', 'short:CN:12381', 'anti_fraud'],
    ['95588', 'short:CN:95588', 'bank_hotline'],
    ['955 88', 'short:CN:95588', 'bank_hotline'],
    ['９５５３３', 'short:CN:95533', 'bank_hotline'],
    ['10086', 'short:CN:10086', 'operator_hotline'],
    ['10010', 'short:CN:10010', 'operator_hotline'],
    ['10000', 'short:CN:10000', 'operator_hotline'],
    ['12345', 'short:CN:12345', 'government'],
    ['12315', 'short:CN:12315', 'government'],
    ['95598', 'short:CN:95598', 'service_hotline'],
    ['95105588', 'short:CN:95105588', 'service_hotline'],
    ['95123', 'short:CN:95123', 'service_hotline'],
    ['+86 95588', 'short:CN:95588', 'bank_hotline'],
    ['0086 95588', 'short:CN:95588', 'bank_hotline'],
    ['【工商银行】请致电95588', 'short:CN:95588', 'bank_hotline'],
  ];
  for (const [input, value, category] of cases) {
    const r = ok(normalizePhone(input));
    assert.equal(r.value, value, input);
    assert.equal(r.lineType, 'SHORT_CODE', input);
    assert.equal(r.country, 'CN', input);
    assert.equal(r.shortCode?.category, category, input);
    assert.equal(r.national, value.slice('short:CN:'.length), input);
  }
  assert.equal(ok(normalizePhone('95588')).shortCode?.name, 'ICBC');
  // Outside CN a bare short number is not a phone number; with +86 it is still the CN one.
  assert.equal(code(normalizePhone('95588', { defaultRegion: 'US' })), 'phone_too_short');
  const fromUs = ok(normalizePhone('+86 95588', { defaultRegion: 'US' }));
  assert.equal(fromUs.value, 'short:CN:95588');
  assert.equal(fromUs.foreign, true);
});

test('the short-code table is well formed', () => {
  const categories = new Set([
    'emergency',
    'anti_fraud',
    'bank_hotline',
    'operator_hotline',
    'government',
    'service_hotline',
  ]);
  for (const [digits, info] of Object.entries(CN_SHORT_CODES)) {
    assert.match(digits, /^\d{3,8}$/);
    assert.ok(categories.has(info.category), digits);
    assert.equal(lookupCnShortCode(digits), info);
  }
  assert.equal(lookupCnShortCode('12399'), undefined);
  assert.equal(lookupCnShortCode('9558'), undefined);
  assert.equal(lookupCnShortCode('951234567'), undefined);
});

test('rejects what is not a phone number, with a code', () => {
  const cases: [string, string][] = [
    ['', 'input_empty'],
    ['abc', 'phone_unparseable'],
    ['call me maybe', 'phone_unparseable'],
    ['+', 'phone_unparseable'],
    ['1', 'phone_too_short'],
    ['12', 'phone_too_short'],
    ['+86 123', 'phone_too_short'],
    ['1380013800', 'phone_too_short'],
    ['138001380001', 'phone_too_long'],
    ['12345678901234567890', 'phone_too_long'],
    ['+999 1234567', 'phone_invalid_country'],
    ['14100007919', 'phone_invalid_for_region'],
    ['+86 141 0000 7919', 'phone_invalid_for_region'],
    ['010-1234567', 'phone_invalid_for_region'],
    ['x'.repeat(2000), 'input_too_long'],
  ];
  for (const [input, want] of cases) assert.equal(code(normalizePhone(input)), want, input);
  const r = normalizePhone('abc');
  assert.ok(!r.ok && r.reason.length > 0);
  // Failures are shared frozen objects: failing allocates nothing.
  assert.equal(normalizePhone('abc'), normalizePhone('xyz'));
  assert.ok(Object.isFrozen(r));
  assert.equal(code(normalizePhone(undefined as unknown as string)), 'input_empty');
});

test('isValidE164 accepts exactly canonical valid numbers', () => {
  assert.equal(isValidE164('+8613800138000'), true);
  assert.equal(isValidE164('+16502530000'), true);
  assert.equal(isValidE164('+861012345678'), true);
  assert.equal(isValidE164('+86 138 0013 8000'), false);
  assert.equal(isValidE164('8613800138000'), false);
  assert.equal(isValidE164('13800138000'), false);
  assert.equal(isValidE164('+8614100007919'), false);
  assert.equal(isValidE164('+8695588'), false);
  assert.equal(isValidE164('+0123456789'), false);
  assert.equal(isValidE164(''), false);
});

test('the CN mobile shortcut agrees with a full libphonenumber parse', () => {
  // Deterministic pseudo-random numbers across every 1[3-9]x prefix.
  let seed = 12345;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  let valid = 0;
  for (let p = 130; p <= 199; p++) {
    for (let k = 0; k < 12; k++) {
      const national = String(p) + String(Math.floor(rand() * 1e8)).padStart(8, '0');
      const lib = parsePhoneNumberFromString(national, 'CN');
      const spaced = `${national.slice(0, 3)} ${national.slice(3, 7)} ${national.slice(7)}`;
      const dashed = `${national.slice(0, 3)}-${national.slice(3, 7)}-${national.slice(7)}`;
      for (const form of [national, '+86' + national, '+86 ' + spaced, dashed, '0086' + national]) {
        const r = normalizePhone(form);
        if (lib && lib.isValid()) {
          valid++;
          assert.ok(r.ok, form);
          assert.equal(r.value, lib.number, form);
          assert.equal(r.lineType, lib.getType(), form);
          assert.equal(r.national, lib.formatNational(), form);
        } else {
          assert.ok(!r.ok, form);
          assert.equal(r.code, 'phone_invalid_for_region', form);
        }
      }
    }
  }
  assert.ok(valid > 500, `only ${valid} valid samples`);
});

test('CN 13-digit IoT numbers are E.164 with line type IOT', () => {
  for (const raw of [
    '1440000000001',
    '+86 1440000000001',
    '008614400000000 01'.replace(' ', ''),
    '10648 1234 5678',
  ]) {
    const r = normalizePhone(raw);
    assert.ok(r.ok, raw);
    assert.equal(r.lineType, 'IOT');
    assert.match(r.value, /^\+86(144|1064)\d+$/);
  }
  assert.equal((normalizePhone('1440000000001') as { value: string }).value, '+861440000000001');
  // 13 digits outside the IoT blocks are not IoT numbers
  assert.equal(normalizePhone('1380000000001').ok, false);
});
