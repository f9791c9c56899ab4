import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ageOn,
  convertLegacyIdNumber,
  isValidPrcIdNumber,
  parseIdentityDocument,
  parsePrcIdNumber,
  prcCheckCharacter,
} from '../../src/privacy/idnumber.ts';

/**
 * Test helper, independent of the code under test: the ISO 7064 MOD 11-2 check character,
 * computed from its definition (weights 2^(17-i) mod 11; check = (12 - sum mod 11) mod 11).
 */
function check(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * (2 ** (17 - i) % 11);
  const c = (12 - (sum % 11)) % 11;
  return c === 10 ? 'X' : String(c);
}
const makeId = (region: string, birth: string, seq: string) => {
  const first17 = `${region}${birth}${seq}`;
  return first17 + check(first17);
};

describe('PRC resident identity number', () => {
  test('the examples of GB 11643-1999 pass, including an X check character', () => {
    assert.equal(prcCheckCharacter('11010519491231002'), 'X');
    const a = parsePrcIdNumber('11010519491231002X');
    assert.deepEqual(a, {
      type: 'prc_resident',
      value: '11010519491231002X',
      birthDate: '1949-12-31',
      sex: 'female',
      regionCode: '110105',
    });
    // The standard's other example is born in 1880: its check character is right, but no living
    // person was born before 1890, so it is refused as out of range.
    assert.equal(prcCheckCharacter('44052418800101001'), '4');
    assert.throws(() => parsePrcIdNumber('440524188001010014'), /out of range/);
  });

  test('the helper and the implementation agree on many numbers', () => {
    for (let i = 0; i < 2000; i++) {
      const first17 = `110101${1950 + (i % 60)}0${1 + (i % 9)}1${i % 10}${String(i % 1000).padStart(3, '0')}`;
      assert.equal(prcCheckCharacter(first17), check(first17));
    }
  });

  test('computed valid numbers parse to birth date, sex and region', () => {
    const male = makeId('440305', '19900215', '123');
    const p = parsePrcIdNumber(male);
    assert.equal(p.birthDate, '1990-02-15');
    assert.equal(p.sex, 'male');
    assert.equal(p.regionCode, '440305');
    assert.equal(parsePrcIdNumber(makeId('310104', '20100704', '002')).sex, 'female');
  });

  test('lower-case x, spaces and full-width digits are normalised', () => {
    assert.equal(parsePrcIdNumber(' 110105 19491231 002x ').value, '11010519491231002X');
    const full = '１１０１０５１９４９１２３１００２Ｘ';
    assert.equal(parsePrcIdNumber(full).value, '11010519491231002X');
  });

  test('a wrong check character, a bad date, an unknown province or a bad length fail', () => {
    const good = makeId('110101', '19800101', '011');
    const wrong = good.slice(0, 17) + (good[17] === '0' ? '1' : '0');
    assert.throws(() => parsePrcIdNumber(wrong), { code: 'invalid_id_number', message: /check character/ });
    assert.throws(() => parsePrcIdNumber(makeId('110101', '19800230', '011')), /birth date/);
    assert.throws(() => parsePrcIdNumber(makeId('990101', '19800101', '011')), /province/);
    assert.throws(() => parsePrcIdNumber(makeId('110101', '18800101', '011')), /out of range/);
    assert.throws(() => parsePrcIdNumber('1101011980010101'), /18 characters/);
    assert.equal(isValidPrcIdNumber(good), true);
    assert.equal(isValidPrcIdNumber(wrong), false);
  });

  test('a birth date after today fails', () => {
    const future = makeId('110101', '20300101', '011');
    assert.throws(() => parsePrcIdNumber(future, new Date('2026-01-01T00:00:00Z')), /out of range/);
    assert.equal(parsePrcIdNumber(future, new Date('2031-01-01T00:00:00Z')).birthDate, '2030-01-01');
  });

  test('errors never repeat the number', () => {
    const bad = makeId('110101', '19800101', '011').slice(0, 17) + 'Y';
    try {
      parsePrcIdNumber(bad);
      assert.fail('should throw');
    } catch (err) {
      assert.ok(!(err as Error).message.includes(bad.slice(0, 10)));
    }
  });

  test('15-digit legacy numbers convert to 18 (born 19YY)', () => {
    const id15 = '110105491231002'; // the standard example's legacy form
    assert.equal(convertLegacyIdNumber(id15), '11010519491231002X');
    const p = parsePrcIdNumber(id15);
    assert.equal(p.value, '11010519491231002X');
    assert.equal(p.birthDate, '1949-12-31');
    assert.equal(p.sex, 'female');
    assert.equal(convertLegacyIdNumber('440305900215123'), makeId('440305', '19900215', '123'));
    assert.throws(() => parsePrcIdNumber('110105491331002'), /birth date/);
  });
});

describe('other identity documents', () => {
  test('type:value is accepted without birth date', () => {
    assert.deepEqual(parseIdentityDocument('passport: e1234 5678'), {
      type: 'passport',
      value: 'E12345678',
      birthDate: null,
      sex: null,
      regionCode: null,
    });
    assert.equal(parseIdentityDocument('E12345678', { type: 'passport' }).type, 'passport');
    assert.equal(parseIdentityDocument(makeId('110101', '19800101', '011')).type, 'prc_resident');
    assert.equal(
      parseIdentityDocument(`prc_resident:${makeId('110101', '19800101', '011')}`).birthDate,
      '1980-01-01',
    );
  });
  test('unknown types and bad values fail', () => {
    assert.throws(() => parseIdentityDocument('library_card:12345'), { code: 'invalid_id_number' });
    assert.throws(() => parseIdentityDocument('passport:E1'), /4–32/);
    assert.throws(() => parseIdentityDocument('passport:E1234567', { type: 'other' }), /two different/);
  });
});

describe('ageOn', () => {
  test('counts full years', () => {
    assert.equal(ageOn('1990-02-15', '2026-02-14'), 35);
    assert.equal(ageOn('1990-02-15', '2026-02-15'), 36);
    assert.equal(ageOn('2008-06-01', '2026-05-31'), 17);
    assert.equal(ageOn('2008-06-01', '2026-06-01'), 18);
  });
  test('29 February birthdays count from 1 March in common years', () => {
    assert.equal(ageOn('2000-02-29', '2018-02-28'), 17);
    assert.equal(ageOn('2000-02-29', '2018-03-01'), 18);
    assert.equal(ageOn('2000-02-29', '2020-02-29'), 20);
  });
  test('a Date is read in the Asia/Shanghai calendar by default', () => {
    // 2026-02-14T17:00Z is already 15 February in Beijing.
    assert.equal(ageOn('1990-02-15', new Date('2026-02-14T17:00:00Z')), 36);
    assert.equal(ageOn('1990-02-15', new Date('2026-02-14T17:00:00Z'), 'UTC'), 35);
  });
  test('from an identity number', () => {
    const p = parsePrcIdNumber(makeId('110101', '19560310', '021'));
    assert.equal(ageOn(p.birthDate, '2026-03-09'), 69);
  });
});
