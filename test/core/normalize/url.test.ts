import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  canonicalizeUrl,
  toUnicodeHost,
  urlLookupExpressions,
  type CanonicalUrlResult,
} from '../../../src/core/normalize/url.ts';
import { normalizeDomain } from '../../../src/core/normalize/domain.ts';

function ok(r: CanonicalUrlResult) {
  assert.ok(r.ok, `expected success, got ${JSON.stringify(r)}`);
  return r;
}

function canon(raw: string): string {
  return ok(canonicalizeUrl(raw)).url;
}

function code(raw: string): string {
  const r = canonicalizeUrl(raw);
  assert.ok(!r.ok, `expected failure for ${JSON.stringify(raw)}, got ${JSON.stringify(r)}`);
  return r.code;
}

// The canonicalisation examples published in the Safe Browsing v4 "URLs and Hashing" document.
const SPEC_EXAMPLES: [string, string][] = [
  ['http://host/%25%32%35', 'http://host/%25'],
  ['http://host/%25%32%35%25%32%35', 'http://host/%25%25'],
  ['http://host/%2525252525252525', 'http://host/%25'],
  ['http://host/asdf%25%32%35asd', 'http://host/asdf%25asd'],
  ['http://host/%%%25%32%35asd%%', 'http://host/%25%25%25asd%25%25'],
  ['http://www.google.com/', 'http://www.google.com/'],
  [
    'http://%31%36%38%2e%31%38%38%2e%39%39%2e%32%36/%2E%73%65%63%75%72%65/%77%77%77%2E%65%62%61%79%2E%63%6F%6D/',
    'http://168.188.99.26/.secure/www.ebay.com/',
  ],
  [
    'http://195.127.0.11/uploads/%20%20%20%20/.verify/.eBaysecure=updateuserdataxplimnbqmn-xplmvalidateinfoswqpcmlx=hgplmcx/',
    'http://195.127.0.11/uploads/%20%20%20%20/.verify/.eBaysecure=updateuserdataxplimnbqmn-xplmvalidateinfoswqpcmlx=hgplmcx/',
  ],
  [
    'http://host%23.com/%257Ea%2521b%2540c%2523d%2524e%25f%255E00%252611%252A22%252833%252944_55%252B',
    'http://host%23.com/~a!b@c%23d$e%25f^00&11*22(33)44_55+',
  ],
  ['http://3279880203/blah', 'http://195.127.0.11/blah'],
  ['http://www.google.com/blah/..', 'http://www.google.com/'],
  ['www.google.com/', 'http://www.google.com/'],
  ['www.google.com', 'http://www.google.com/'],
  ['http://www.evil.com/blah#frag', 'http://www.evil.com/blah'],
  ['http://www.GOOgle.com/', 'http://www.google.com/'],
  ['http://www.google.com.../', 'http://www.google.com/'],
  ['http://www.google.com/foo\tbar\rbaz\n2', 'http://www.google.com/foobarbaz2'],
  ['http://www.google.com/q?', 'http://www.google.com/q?'],
  ['http://www.google.com/q?r?', 'http://www.google.com/q?r?'],
  ['http://www.google.com/q?r?s', 'http://www.google.com/q?r?s'],
  ['http://evil.com/foo#bar#baz', 'http://evil.com/foo'],
  ['http://evil.com/foo;', 'http://evil.com/foo;'],
  ['http://evil.com/foo?bar;', 'http://evil.com/foo?bar;'],
  ['http://\x01\x80.com/', 'http://%01%80.com/'],
  ['http://notrailingslash.com', 'http://notrailingslash.com/'],
  ['http://www.gotaport.com:1234/', 'http://www.gotaport.com/'],
  ['  http://www.google.com/  ', 'http://www.google.com/'],
  ['http:// leadingspace.com/', 'http://%20leadingspace.com/'],
  ['http://%20leadingspace.com/', 'http://%20leadingspace.com/'],
  ['%20leadingspace.com/', 'http://%20leadingspace.com/'],
  ['https://www.securesite.com/', 'https://www.securesite.com/'],
  ['http://host.com/ab%23cd', 'http://host.com/ab%23cd'],
  ['http://host.com//twoslashes?more//slashes', 'http://host.com/twoslashes?more//slashes'],
];

test('Safe Browsing canonicalisation examples', () => {
  for (const [input, want] of SPEC_EXAMPLES) assert.equal(canon(input), want, JSON.stringify(input));
});

test('canonical URLs are fixed points', () => {
  for (const [, want] of SPEC_EXAMPLES) assert.equal(canon(want), want, want);
});

test('result fields: url, expression, host, path, query, registrable domain', () => {
  const r = ok(canonicalizeUrl('HTTPS://User:Pw@A.B.Evil-Bank.COM.cn.:8443/x/./y/../z?q=1#top'));
  assert.equal(r.value, 'https://a.b.evil-bank.com.cn/x/z?q=1');
  assert.equal(r.url, r.value);
  assert.equal(r.expression, 'a.b.evil-bank.com.cn/x/z?q=1');
  assert.equal(r.scheme, 'https');
  assert.equal(r.host, 'a.b.evil-bank.com.cn');
  assert.equal(r.path, '/x/z');
  assert.equal(r.query, 'q=1');
  assert.equal(r.registrableDomain, 'evil-bank.com.cn');
  assert.equal(r.hostIsIp, false);
  assert.equal(r.port, 8443);
  const bare = ok(canonicalizeUrl('http://example.com/q?'));
  assert.equal(bare.query, '');
  assert.equal(bare.expression, 'example.com/q');
  assert.equal(ok(canonicalizeUrl('http://example.com/q')).query, null);
  assert.equal(ok(canonicalizeUrl('http://shop.foo.github.io/')).registrableDomain, 'foo.github.io');
  // No registrable domain without a known public suffix (.example is reserved, not on the list).
  assert.equal(ok(canonicalizeUrl('http://intranet/')).registrableDomain, null);
  assert.equal(ok(canonicalizeUrl('http://a.b.evil.example/')).registrableDomain, null);
  assert.equal(ok(canonicalizeUrl('http://a.-bad.com/')).registrableDomain, null);
  assert.equal(ok(canonicalizeUrl('http://xn--zz.com/')).registrableDomain, null);
  assert.equal(ok(canonicalizeUrl('http://%20leadingspace.com/')).registrableDomain, null);
});

test('userinfo is dropped and the host is where a browser goes', () => {
  assert.equal(canon('http://bank.com@evil.example/'), 'http://evil.example/');
  assert.equal(canon('http://www.icbc.com.cn:password@evil.example/login'), 'http://evil.example/login');
  assert.equal(canon('http://a@b@evil.example/'), 'http://evil.example/');
  // A backslash ends the authority in browsers, so this goes to evil.com, not bank.com.
  assert.equal(canon('http://evil.com\\@bank.com/'), 'http://evil.com/@bank.com/');
  assert.equal(canon('http://evil.com\\path\\to'), 'http://evil.com/path/to');
  assert.equal(canon('http:\\\\evil.com/'), 'http://evil.com/');
  assert.equal(canon('http:evil.com/x'), 'http://evil.com/x');
  assert.equal(canon('//evil.com/x'), 'http://evil.com/x');
  // Escaped delimiters inside a host make it one no browser would visit.
  assert.equal(code('http://bank.com%40evil.example/'), 'url_bad_host');
  assert.equal(code('http://evil.com%2Fbank.com/'), 'url_bad_host');
});

test('IP hosts in decimal, hex, octal and short forms become dotted quads', () => {
  const cases: [string, string][] = [
    ['http://3232235777/', 'http://192.168.1.1/'],
    ['http://0xC0A80101/', 'http://192.168.1.1/'],
    ['http://0xc0.0xa8.0x01.0x01/', 'http://192.168.1.1/'],
    ['http://0300.0250.0001.0001/', 'http://192.168.1.1/'],
    ['http://192.168.257/', 'http://192.168.1.1/'],
    ['http://192.11010305/', 'http://192.168.1.1/'],
    ['http://127.1/', 'http://127.0.0.1/'],
    ['http://012.034.01.055/', 'http://10.28.1.45/'],
    ['http://12.0x12.01234/', 'http://12.18.2.156/'],
    ['http://4294967295/', 'http://255.255.255.255/'],
    ['http://192.168.1.1./', 'http://192.168.1.1/'],
    ['http://%31%39%32.168.1.1/', 'http://192.168.1.1/'],
    ['http://１９２．１６８．１．１/', 'http://192.168.1.1/'],
  ];
  for (const [input, want] of cases) {
    const r = ok(canonicalizeUrl(input));
    assert.equal(r.url, want, input);
    assert.equal(r.hostIsIp, true, input);
    assert.equal(r.registrableDomain, null, input);
  }
  // As in browsers (WHATWG URL), a number too big for its place makes the host invalid.
  assert.equal(code('http://999.1.1.1/'), 'url_bad_host');
  assert.equal(code('http://276.2.3/'), 'url_bad_host');
  assert.equal(code('http://4294967296/'), 'url_bad_host');
  // Not all-numeric: a host name, not an address.
  assert.equal(ok(canonicalizeUrl('http://1.2.3.4.5/')).hostIsIp, false);
});

test('IPv6 literals are compressed and lowercased; IPv4-mapped ones become IPv4', () => {
  assert.equal(canon('http://[2001:DB8:0:0:0:0:0:1]:8080/x'), 'http://[2001:db8::1]/x');
  assert.equal(canon('http://[2001:470:1:18::114]/'), 'http://[2001:470:1:18::114]/');
  assert.equal(canon('http://[::ffff:192.168.1.1]/'), 'http://192.168.1.1/');
  assert.equal(ok(canonicalizeUrl('http://[::1]/')).hostIsIp, true);
  assert.equal(code('http://[2001:db8::zz]/'), 'url_bad_host');
  assert.equal(code('http://[::1/'), 'url_bad_host');
});

test('IDN hosts are stored in punycode; homoglyphs stay distinct', () => {
  const fake = ok(canonicalizeUrl('http://аpple.com/login')); // Cyrillic а
  assert.equal(fake.host, 'xn--pple-43d.com');
  assert.equal(fake.url, 'http://xn--pple-43d.com/login');
  assert.equal(fake.registrableDomain, 'xn--pple-43d.com');
  assert.notEqual(fake.host, ok(canonicalizeUrl('http://apple.com/login')).host);
  assert.equal(toUnicodeHost(fake.host), 'аpple.com');
  // Percent-encoded UTF-8, upper case and the punycode form itself all land on the same host.
  assert.equal(canon('http://%D0%B0pple.com/login'), fake.url);
  assert.equal(canon('http://АPPLE.com/login'), fake.url);
  assert.equal(canon('http://xn--pple-43d.com/login'), fake.url);
  assert.equal(canon('http://www.ümlat.com/'), 'http://www.xn--mlat-zra.com/');
  assert.equal(canon('http://例子.中国/'), 'http://xn--fsqu00a.xn--fiqs8s/');
  assert.equal(canon('http://例子。中国/'), 'http://xn--fsqu00a.xn--fiqs8s/');
  assert.equal(toUnicodeHost('xn--fsqu00a.xn--fiqs8s'), '例子.中国');
  assert.equal(toUnicodeHost('192.168.1.1'), '192.168.1.1');
  assert.equal(toUnicodeHost('example.com'), 'example.com');
});

test('paths: dot segments, double slashes, escapes; the query is only unescaped and re-escaped', () => {
  const cases: [string, string][] = [
    ['http://a.com/foo/.././bar/./../foo.html', 'http://a.com/foo.html'],
    ['http://a.com/a/b/../../../../c', 'http://a.com/c'],
    ['http://a.com/a/b/.', 'http://a.com/a/b/'],
    ['http://a.com/a/b/..', 'http://a.com/a/'],
    ['http://a.com/a/%2E%2E/b', 'http://a.com/b'],
    ['http://a.com/a/%2e/b', 'http://a.com/a/b'],
    ['http://a.com//a//b///c////', 'http://a.com/a/b/c/'],
    ['http://a.com/a//../b', 'http://a.com/a/b'],
    ['http://a.com/..%2F..%2Fetc/passwd', 'http://a.com/etc/passwd'],
    ['http://a.com/café', 'http://a.com/caf%C3%A9'],
    ['http://a.com/caf%C3%A9', 'http://a.com/caf%C3%A9'],
    ['http://a.com/caf%c3%a9', 'http://a.com/caf%C3%A9'],
    ['http://a.com/%41%42%43', 'http://a.com/ABC'],
    ['http://a.com/a b', 'http://a.com/a%20b'],
    ['http://a.com/%00%7F', 'http://a.com/%00%7F'],
    ['http://a.com/?a=%41&b=c d', 'http://a.com/?a=A&b=c%20d'],
    ['http://a.com/x?next=/../y//z', 'http://a.com/x?next=/../y//z'],
    ['http://a.com/x?q=中文', 'http://a.com/x?q=%E4%B8%AD%E6%96%87'],
    ['http://a.com/a%3Fb', 'http://a.com/a?b'],
    ['http://a.com?x', 'http://a.com/?x'],
  ];
  for (const [input, want] of cases) assert.equal(canon(input), want, input);
  const split = ok(canonicalizeUrl('http://a.com/a%3Fb?c'));
  assert.equal(split.path, '/a');
  assert.equal(split.query, 'b?c');
});

test('full-width and defanged forms of the scheme and host', () => {
  assert.equal(canon('ｈｔｔｐ：／／ｗｗｗ．ｅｘａｍｐｌｅ。ｃｏｍ／pay'), 'http://www.example.com/pay');
  // The path is not folded: a browser would send the full-width characters as UTF-8.
  assert.equal(canon('http://example.com/ｐａｙ'), 'http://example.com/%EF%BD%90%EF%BD%81%EF%BD%99');
  assert.equal(canon('hxxp://evil[.]com/x'), 'http://evil.com/x');
  assert.equal(canon('hxxps://evil[.]example[.]com/'), 'https://evil.example.com/');
});

test('rejects what is not an http(s) URL, with a code', () => {
  const cases: [string, string][] = [
    ['', 'input_empty'],
    ['   ', 'input_empty'],
    ['hello world', 'url_unparseable'],
    ['just some text.', 'url_unparseable'],
    ['notaurl', 'url_unparseable'],
    ['file.txt', 'url_unparseable'],
    ['localhost:8080', 'url_unparseable'],
    ['3279880203', 'url_unparseable'],
    ['0xC0A80101', 'url_unparseable'],
    ['/relative/path', 'url_no_host'],
    ['user@example.com', 'url_unparseable'],
    ['javascript:alert(1)', 'url_bad_scheme'],
    ['mailto:someone@example.com', 'url_bad_scheme'],
    ['ftp://ftp.example.com/', 'url_bad_scheme'],
    ['data:text/html,<script>', 'url_bad_scheme'],
    ['tel:+8613800138000', 'url_bad_scheme'],
    ['http://', 'url_no_host'],
    ['http://#frag', 'url_no_host'],
    ['http://?q', 'url_no_host'],
    ['http://...', 'url_no_host'],
    ['http://example.com:99999/', 'url_bad_port'],
    ['http://example.com:80a/', 'url_bad_port'],
    ['http://' + 'a'.repeat(20000) + '.com/', 'url_too_long'],
  ];
  for (const [input, want] of cases) assert.equal(code(input), want, JSON.stringify(input));
  assert.equal(code(42 as unknown as string), 'input_empty');
});

test('without a scheme, text naming a real host is taken as http', () => {
  assert.equal(canon('example.com/path?x=1'), 'http://example.com/path?x=1');
  assert.equal(canon('Example.COM:8080'), 'http://example.com/');
  assert.equal(canon('192.168.1.1/admin'), 'http://192.168.1.1/admin');
  assert.equal(canon('foo.github.io'), 'http://foo.github.io/');
  assert.equal(canon('例子.中国'), 'http://xn--fsqu00a.xn--fiqs8s/');
});

test('the registrable domain agrees with normalizeDomain', () => {
  for (const u of [
    'http://a.b.example.co.uk/',
    'http://WWW.Example.com./',
    'http://foo.github.io/x',
    'http://аpple.com/',
    'http://例子.中国/',
    'http://-login.secure.example.com/',
    'http://my_host.example.com/',
  ]) {
    const r = ok(canonicalizeUrl(u));
    const d = normalizeDomain(r.host);
    assert.ok(d.ok, u);
    assert.equal(r.registrableDomain, d.value, u);
  }
});

test('lookup expressions: the spec examples', () => {
  assert.deepEqual(urlLookupExpressions('http://a.b.c/1/2.html?param=1'), [
    'a.b.c/1/2.html?param=1',
    'a.b.c/1/2.html',
    'a.b.c/',
    'a.b.c/1/',
    'b.c/1/2.html?param=1',
    'b.c/1/2.html',
    'b.c/',
    'b.c/1/',
  ]);
  assert.deepEqual(urlLookupExpressions('http://a.b.c.d.e.f.g/1.html'), [
    'a.b.c.d.e.f.g/1.html',
    'a.b.c.d.e.f.g/',
    'c.d.e.f.g/1.html',
    'c.d.e.f.g/',
    'd.e.f.g/1.html',
    'd.e.f.g/',
    'e.f.g/1.html',
    'e.f.g/',
    'f.g/1.html',
    'f.g/',
  ]);
  assert.deepEqual(urlLookupExpressions('http://1.2.3.4/1/'), ['1.2.3.4/1/', '1.2.3.4/']);
  assert.deepEqual(urlLookupExpressions('http://a.b/'), ['a.b/']);
  assert.deepEqual(urlLookupExpressions('http://b/'), ['b/']);
  assert.deepEqual(urlLookupExpressions('http://a.b/?'), ['a.b/']);
});

test('lookup expressions: at most 5 hosts and 6 paths', () => {
  const deep = urlLookupExpressions('http://a.b.c/1/2/3/4/5/6.html?x=y');
  const paths = ['/1/2/3/4/5/6.html?x=y', '/1/2/3/4/5/6.html', '/', '/1/', '/1/2/', '/1/2/3/'];
  assert.deepEqual(deep, [...paths.map((p) => 'a.b.c' + p), ...paths.map((p) => 'b.c' + p)]);
  const many = urlLookupExpressions('http://a.b.c.d.e.f.g.h.i/');
  assert.deepEqual(many, ['a.b.c.d.e.f.g.h.i/', 'e.f.g.h.i/', 'f.g.h.i/', 'g.h.i/', 'h.i/']);
  assert.deepEqual(urlLookupExpressions('http://a.b.c/1/2/3/'), [
    'a.b.c/1/2/3/',
    'a.b.c/',
    'a.b.c/1/',
    'a.b.c/1/2/',
    'b.c/1/2/3/',
    'b.c/',
    'b.c/1/',
    'b.c/1/2/',
  ]);
  assert.deepEqual(urlLookupExpressions('http://[2001:db8::1]/a/b'), [
    '[2001:db8::1]/a/b',
    '[2001:db8::1]/',
    '[2001:db8::1]/a/',
  ]);
});

test('lookup expressions reach the registrable domain of a deep host', () => {
  const r = ok(canonicalizeUrl('https://a.b.evil.example/x/y?q'));
  const exprs = urlLookupExpressions(r);
  assert.ok(exprs.includes('evil.example/'), exprs.join(' '));
  assert.ok(exprs.includes('a.b.evil.example/x/y?q'));
  assert.ok(exprs.includes('b.evil.example/x/'));
  assert.ok(!exprs.some((e) => e.startsWith('example/')), 'never the bare TLD');
  assert.equal(exprs[0], r.expression);
  assert.deepEqual(urlLookupExpressions(r), urlLookupExpressions('https://a.b.evil.example/x/y?q'));
  assert.deepEqual(urlLookupExpressions('not a url'), []);
});

test('canonicalisation is idempotent', () => {
  const inputs = [
    ...SPEC_EXAMPLES.map(([input]) => input),
    'http://bank.com@evil.example/',
    'http://evil.com\\@bank.com/',
    'http://аpple.com/login?next=/a b',
    'http://a.com/a%3Fb?c#d',
    'http://a.com/%2523?%2523',
    'http://[::ffff:1.2.3.4]:81/x/../y',
    'ｈｔｔｐ：／／例子。中国／ｐａｙ？ｘ＝１',
    'http://a.com/%E4%B8%AD/%zz/%',
    'http://%F0%9F%98%80.com/',
  ];
  for (const input of inputs) {
    const once = canon(input);
    assert.equal(canon(once), once, input);
  }
});

test('repeated unescaping matches the naive definition and stays linear', () => {
  const naive = (s: string): string => {
    for (;;) {
      const t = s.replace(/%([0-9a-fA-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
      if (t === s) return s;
      s = t;
    }
  };
  const escape = (s: string): string =>
    s.replace(
      // eslint-disable-next-line no-control-regex
      /[\x00-\x20\x7f-\xff#%]/g,
      (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0'),
    );
  let seed = 7;
  const alphabet = '%%%2533aA5e'; // no f: %3F would start the query
  for (let i = 0; i < 500; i++) {
    let p = '';
    for (let j = 0; j < 12; j++) {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      p += alphabet[seed % alphabet.length];
    }
    assert.equal(ok(canonicalizeUrl('http://a.com/x' + p)).path, escape('/x' + naive(p)), p);
  }
  const start = process.hrtime.bigint();
  const deep = ok(canonicalizeUrl('http://a.com/%' + '25'.repeat(8000)));
  assert.equal(deep.path, '/%25');
  assert.ok(Number(process.hrtime.bigint() - start) < 200e6, 'deeply nested escapes take linear time');
});
