import { test } from 'node:test';
import assert from 'node:assert/strict';
import { normalizeDomain, type DomainResult } from '../../../src/core/normalize/domain.ts';

function ok(r: DomainResult) {
  assert.ok(r.ok, `expected success, got ${JSON.stringify(r)}`);
  return r;
}

function code(raw: string): string {
  const r = normalizeDomain(raw);
  assert.ok(!r.ok, `expected failure for ${JSON.stringify(raw)}, got ${JSON.stringify(r)}`);
  return r.code;
}

test('the value is the registrable domain, lowercase, without trailing dot', () => {
  const cases: [string, string, string][] = [
    ['example.com', 'example.com', 'example.com'],
    ['www.Example.COM.', 'example.com', 'www.example.com'],
    ['  WWW.EXAMPLE.COM  ', 'example.com', 'www.example.com'],
    ['a.b.c.example.co.uk', 'example.co.uk', 'a.b.c.example.co.uk'],
    ['login.icbc.com.cn', 'icbc.com.cn', 'login.icbc.com.cn'],
    ['.example.com', 'example.com', 'example.com'],
    ['ｅｘａｍｐｌｅ。ｃｏｍ', 'example.com', 'example.com'],
    ['ｗｗｗ．ｅｘａｍｐｌｅ．ｃｏｍ', 'example.com', 'www.example.com'],
    ['my_host.example.com', 'example.com', 'my_host.example.com'],
    ['-login.secure.example.com', 'example.com', '-login.secure.example.com'],
  ];
  for (const [input, value, host] of cases) {
    const r = ok(normalizeDomain(input));
    assert.equal(r.value, value, input);
    assert.equal(r.host, host, input);
  }
  const r = ok(normalizeDomain('shop.example.com.cn'));
  assert.equal(r.publicSuffix, 'com.cn');
  assert.equal(r.isPrivateSuffix, false);
});

test('private suffixes: foo.github.io is registrable as itself', () => {
  const r = ok(normalizeDomain('foo.github.io'));
  assert.equal(r.value, 'foo.github.io');
  assert.equal(r.publicSuffix, 'github.io');
  assert.equal(r.isPrivateSuffix, true);
  assert.equal(ok(normalizeDomain('deep.page.foo.github.io')).value, 'foo.github.io');
  assert.equal(ok(normalizeDomain('evil.blogspot.com')).value, 'evil.blogspot.com');
  assert.equal(code('github.io'), 'domain_no_registrable');
});

test('Unicode and punycode forms of a domain give one value', () => {
  const u = ok(normalizeDomain('例子.中国'));
  const p = ok(normalizeDomain('xn--fsqu00a.xn--fiqs8s'));
  assert.equal(u.value, 'xn--fsqu00a.xn--fiqs8s');
  assert.equal(p.value, u.value);
  assert.equal(u.unicode, '例子.中国');
  assert.equal(p.unicode, '例子.中国');
  assert.equal(ok(normalizeDomain('www.例子。中国')).value, u.value);
  assert.equal(ok(normalizeDomain('BÜCHER.de')).value, 'xn--bcher-kva.de');
  assert.equal(ok(normalizeDomain('xn--bcher-kva.de')).unicode, 'bücher.de');
});

test('homoglyph domains stay distinct from the real one', () => {
  const fake = ok(normalizeDomain('аpple.com')); // Cyrillic а
  assert.equal(fake.value, 'xn--pple-43d.com');
  assert.equal(fake.unicode, 'аpple.com');
  assert.notEqual(fake.value, ok(normalizeDomain('apple.com')).value);
  assert.equal(ok(normalizeDomain('pаypal.com')).value, 'xn--pypal-4ve.com');
});

test('URLs, host:port and e-mail addresses give their domain', () => {
  assert.equal(ok(normalizeDomain('https://www.example.com/path?q=1')).value, 'example.com');
  assert.equal(ok(normalizeDomain('http://bank.com@login.evil.com.cn/')).value, 'evil.com.cn');
  assert.equal(ok(normalizeDomain('example.com:443')).value, 'example.com');
  assert.equal(ok(normalizeDomain('support@Evil.COM')).value, 'evil.com');
  assert.equal(ok(normalizeDomain('hxxp://evil[.]com/x')).value, 'evil.com');
});

test('rejects IPs, suffix-only and invalid names, with a code', () => {
  const cases: [string, string][] = [
    ['', 'input_empty'],
    ['1.2.3.4', 'domain_is_ip'],
    ['3232235777', 'domain_is_ip'],
    ['[::1]', 'domain_is_ip'],
    ['2001:db8::1', 'domain_is_ip'],
    ['http://192.168.1.1/', 'domain_is_ip'],
    ['com', 'domain_no_registrable'],
    ['co.uk', 'domain_no_registrable'],
    ['com.cn', 'domain_no_registrable'],
    ['localhost', 'domain_unknown_suffix'],
    ['file.txt', 'domain_unknown_suffix'],
    ['evil.example', 'domain_unknown_suffix'],
    ['a..b.com', 'domain_invalid'],
    ['-bad.com', 'domain_invalid'],
    ['bad-.com', 'domain_invalid'],
    ['sp ace.com', 'domain_invalid'],
    ['xn--zz.com', 'domain_invalid'],
    ['a'.repeat(64) + '.com', 'domain_invalid'],
    [('a'.repeat(60) + '.').repeat(5) + 'com', 'domain_invalid'],
    ['999.1.1.1', 'domain_invalid'],
    ['ftp://example.com/', 'domain_invalid'],
    ['...', 'domain_invalid'],
  ];
  for (const [input, want] of cases) assert.equal(code(input), want, input);
});
