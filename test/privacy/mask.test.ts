import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { maskAccount, maskIdNumber, maskName, maskPhone } from '../../src/privacy/mask.ts';
import { decide, parsePurpose, POLICY, PURPOSE_KINDS, type Reader } from '../../src/privacy/policy.ts';
import type { OrganisationKind, Role } from '../../src/identity/model.ts';
import { normaliseAccount, normaliseMsisdn } from '../../src/privacy/normalise.ts';

describe('masking', () => {
  test('names keep their first character', () => {
    assert.equal(maskName('张三'), '张*');
    assert.equal(maskName('张三丰'), '张**');
    assert.equal(maskName('欧阳娜娜'), '欧***');
    assert.equal(maskName('John Smith'), 'J*** S****');
    assert.equal(maskName('  Ann   Lee '), 'A** L**');
    assert.equal(maskName('张'), '*');
    assert.equal(maskName('阿卜杜·热合曼'), '阿******');
  });
  test('identity numbers keep the first 3 and last 4', () => {
    assert.equal(maskIdNumber('110105194912311234'), '110***********1234');
    assert.equal(maskIdNumber('11010519491231002X'), '110***********002X');
    assert.equal(maskIdNumber('E12345678'), '*******78');
  });
  test('phone numbers keep the country code, the first 3 and last 4', () => {
    assert.equal(maskPhone('+8613812345678'), '+86 138****5678');
    assert.equal(maskPhone('+861440123456789'), '+86 144******6789'); // 13-digit IoT number
    assert.equal(maskPhone('+12025550123'), '+1 202***0123');
    assert.equal(maskPhone('+442079460000'), '+44 207***0000');
  });
  test('account numbers keep the last 4', () => {
    assert.equal(maskAccount('6222021234567890123'), '***************0123');
    assert.equal(maskAccount('12345'), '***45');
  });
});

describe('normalisation of holdings', () => {
  test('phone numbers', () => {
    assert.equal(normaliseMsisdn('138 1234 5678'), '+8613812345678');
    assert.equal(normaliseMsisdn('+86 138-1234-5678'), '+8613812345678');
    assert.equal(normaliseMsisdn('008613812345678'), '+8613812345678');
    assert.equal(normaliseMsisdn('8613812345678'), '+8613812345678');
    assert.equal(normaliseMsisdn('1440123456789'), '+861440123456789');
    assert.equal(normaliseMsisdn('hello'), null);
  });
  test('accounts', () => {
    assert.equal(normaliseAccount('6222 0212-3456 7890'), '6222021234567890');
    assert.equal(normaliseAccount('ab12'), 'AB12');
    assert.equal(normaliseAccount('1'), null);
  });
});

describe('purposes', () => {
  test('kind:reference, and kinds whose reference is optional', () => {
    assert.deepEqual(parsePurpose('appeal:APL-2026-0001'), { kind: 'appeal', ref: 'APL-2026-0001' });
    assert.deepEqual(parsePurpose('statistics'), { kind: 'statistics', ref: null });
    assert.deepEqual(parsePurpose('audit:2026-Q1'), { kind: 'audit', ref: '2026-Q1' });
    assert.deepEqual(parsePurpose('case:CASE/2026:7'), { kind: 'case', ref: 'CASE/2026:7' });
  });
  test('missing, unknown or malformed purposes are 400 purpose_required', () => {
    for (const bad of [
      undefined,
      null,
      '',
      '  ',
      'curiosity',
      'case',
      'case:',
      'case: x',
      'CASE:1',
      'case:-x',
      `case:${'x'.repeat(200)}`,
    ]) {
      assert.throws(() => parsePurpose(bad), { status: 400, code: 'purpose_required' }, String(bad));
    }
  });
});

describe('policy', () => {
  const user = (organisationKind: OrganisationKind, roles: Role[]): Reader => ({
    kind: 'user',
    id: 'u',
    name: 'u',
    organisationId: 'o',
    organisationKind,
    roles,
    scopes: [],
  });
  const clear = (r: Reader, purpose: string) => decide(r, parsePurpose(purpose)).clear;

  test('centre analysts and supervisors: clear for case, appeal, fund_case and warning only', () => {
    for (const role of ['analyst', 'supervisor'] as const) {
      const r = user('anti_fraud_centre', [role]);
      for (const p of ['case:1', 'appeal:1', 'fund_case:1', 'warning:1'])
        assert.equal(clear(r, p), true, `${role} ${p}`);
      for (const p of ['report:1', 'verification:1', 'instruction:1', 'statistics', 'audit', 'search']) {
        assert.equal(clear(r, p), false, `${role} ${p}`);
      }
      assert.equal(decide(r, parsePurpose('case:1')).persons, 'all');
    }
  });
  test('auditors and administrators are always masked', () => {
    for (const role of ['auditor', 'administrator'] as const) {
      for (const kind of PURPOSE_KINDS) {
        assert.equal(clear(user('anti_fraud_centre', [role]), `${kind}:X1`), false, `${role} ${kind}`);
      }
    }
  });
  test('institution operators: own customers, clear for verification and instruction', () => {
    for (const orgKind of ['bank', 'telecom_operator'] as const) {
      const r = user(orgKind, ['institution_operator']);
      assert.equal(decide(r, parsePurpose('verification:V1')).persons, 'own_customers');
      assert.equal(clear(r, 'verification:V1'), true);
      assert.equal(clear(r, 'instruction:I1'), true);
      assert.equal(clear(r, 'case:C1'), false);
      assert.equal(clear(user(orgKind, ['administrator']), 'verification:V1'), false);
    }
  });
  test('internet services and the public see nobody', () => {
    assert.equal(
      decide(user('internet_service', ['institution_operator']), parsePurpose('case:1')).persons,
      'none',
    );
    assert.equal(decide(user('public', ['analyst']), parsePurpose('case:1')).persons, 'none');
  });
  test('several roles: the union', () => {
    assert.equal(clear(user('anti_fraud_centre', ['auditor', 'analyst']), 'case:1'), true);
  });
  test('the system', () => {
    const sys: Reader = { kind: 'system', name: 'warnings' };
    assert.equal(clear(sys, 'warning:W1'), true);
    assert.equal(clear(sys, 'case:C1'), false);
    assert.equal(decide(sys, parsePurpose('case:C1')).persons, 'all');
  });
  test('the table only names known purposes', () => {
    for (const rule of POLICY) for (const p of rule.clearFor) assert.ok(PURPOSE_KINDS.includes(p));
  });
});
