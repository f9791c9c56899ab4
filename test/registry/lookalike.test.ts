import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  brandDomains,
  compileBrands,
  damerauLevenshtein,
  findLookalikes,
  maxEdits,
  parseHost,
  skeleton,
} from '../../src/registry/lookalike.ts';
import { SEED_BRANDS } from '../../src/registry/allowlist.ts';

const brands = compileBrands(SEED_BRANDS);
const first = (input: string) => findLookalikes(input, brands)[0];

describe('look-alikes', () => {
  test('skeletons fold homoglyphs, digits and letter pairs', () => {
    assert.equal(skeleton('аpple'), skeleton('apple'), 'Cyrillic а');
    assert.equal(skeleton('раураl'), skeleton('paypal'), 'Cyrillic р а у');
    assert.equal(skeleton('g00gle'), skeleton('google'), 'zeros');
    assert.equal(skeleton('app1e'), skeleton('apple'), 'one for l');
    assert.equal(skeleton('rnps'), skeleton('mps'), 'rn for m');
    assert.equal(skeleton('lcbc'), skeleton('icbc'), 'l for i');
    assert.equal(skeleton('ícbc'), skeleton('icbc'), 'accents');
    assert.equal(skeleton('ΑΡΡLΕ'.toLowerCase()), skeleton('apple'), 'Greek capitals');
  });

  test('Damerau-Levenshtein counts a swap as one edit', () => {
    assert.equal(damerauLevenshtein('icbc', 'icbc'), 0);
    assert.equal(damerauLevenshtein('icbc', 'ibcc'), 1);
    assert.equal(damerauLevenshtein('icbc', 'icb'), 1);
    assert.equal(damerauLevenshtein('cmbchina', 'cmbhcina'), 1);
    assert.equal(damerauLevenshtein('alipay', 'aliapy-x', 1), 2, 'stops above max');
    assert.equal(maxEdits(3), 0);
    assert.equal(maxEdits(4), 1);
    assert.equal(maxEdits(8), 2);
  });

  test('lcbc.com.cn imitates icbc.com.cn', () => {
    assert.deepEqual(first('lcbc.com.cn'), { brand: 'ICBC', domain: 'icbc.com.cn', reason: 'homoglyph' });
    assert.equal(first('https://www.lcbc.com.cn/login')?.brand, 'ICBC');
  });

  test('Cyrillic аpple.com and its punycode form are one look-alike', () => {
    const u = first('аpple.com');
    const p = first('xn--pple-43d.com');
    assert.deepEqual(u, { brand: 'Apple', domain: 'apple.com', reason: 'idn_homoglyph' });
    assert.deepEqual(p, u);
    assert.equal(parseHost('xn--pple-43d.com')?.unicodeHost, 'аpple.com');
  });

  test('the brand in a subdomain', () => {
    assert.deepEqual(first('icbc.com.cn.login.example'), {
      brand: 'ICBC',
      domain: 'icbc.com.cn',
      reason: 'brand_in_subdomain',
    });
    assert.equal(first('http://icbc.secure-pay.com/x')?.reason, 'brand_in_subdomain');
    assert.equal(first('www.qq.com.evil.cn')?.brand, 'Tencent');
  });

  test('edit distance, other suffixes and brand names in the label', () => {
    assert.deepEqual(first('cmbchnia.com'), {
      brand: 'China Merchants Bank',
      domain: 'cmbchina.com',
      reason: 'edit_distance',
      distance: 1,
    });
    assert.equal(first('icbc.cn')?.reason, 'other_suffix');
    assert.equal(first('icbc-secure.com')?.reason, 'brand_in_name');
    assert.equal(first('qq-login.com')?.reason, 'brand_in_name');
    assert.equal(first('1oo86.cn')?.brand, 'China Mobile');
  });

  test('the brands’ own names and unrelated names are not look-alikes', () => {
    for (const d of [
      'icbc.com.cn',
      'www.icbc.com.cn',
      'mybank.icbc.com.cn',
      'apple.com',
      'support.apple.com',
    ]) {
      assert.deepEqual(findLookalikes(d, brands), [], d);
    }
    for (const d of ['example.com', 'qqq.com', 'boca.com', 'wikipedia.org', 'baidu.com', 'sina.com.cn']) {
      assert.deepEqual(findLookalikes(d, brands), [], d);
    }
    assert.deepEqual(findLookalikes('not a host', brands), []);
    assert.deepEqual(findLookalikes('1.2.3.4', brands), []);
  });

  test('brand domains are checked and kept as registrable names', () => {
    assert.deepEqual(brandDomains(['WWW.ICBC.com.cn', 'icbc.com.cn']), ['icbc.com.cn']);
    assert.throws(() => brandDomains(['com.cn']), /not a domain name/);
    assert.throws(() => brandDomains([]), /at least one/);
  });
});
