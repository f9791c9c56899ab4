import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  IPV4_OUT_OF_RANGE,
  NOT_IPV4,
  formatIpv6,
  normalizeIp,
  parseIpv4Loose,
  parseIpv6,
  type IpResult,
} from '../../../src/core/normalize/ip.ts';

function ok(r: IpResult) {
  assert.ok(r.ok, `expected success, got ${JSON.stringify(r)}`);
  return r;
}

test('IPv4 in every form inet_aton accepts becomes a dotted quad', () => {
  const cases: [string, string, boolean][] = [
    ['192.168.1.1', '192.168.1.1', false],
    [' 192.168.1.1 ', '192.168.1.1', false],
    ['3232235777', '192.168.1.1', true],
    ['0xC0A80101', '192.168.1.1', true],
    ['0xc0.0xa8.1.1', '192.168.1.1', true],
    ['0300.0250.1.1', '192.168.1.1', true],
    ['192.168.257', '192.168.1.1', true],
    ['192.11010305', '192.168.1.1', true],
    ['127.1', '127.0.0.1', true],
    ['010.1.1.1', '8.1.1.1', true],
    ['0', '0.0.0.0', true],
    ['255.255.255.255', '255.255.255.255', false],
    ['１９２．１６８．１．１', '192.168.1.1', false],
    ['192。168。1。1', '192.168.1.1', false],
  ];
  for (const [input, value, nonStandard] of cases) {
    const r = ok(normalizeIp(input));
    assert.equal(r.value, value, input);
    assert.equal(r.version, 4, input);
    assert.equal(r.nonStandard, nonStandard, input);
  }
});

test('IPv6 becomes RFC 5952 text', () => {
  const cases: [string, string][] = [
    ['2001:0DB8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    ['2001:db8::0:1', '2001:db8::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'],
    ['0:0:0:0:0:0:0:0', '::'],
    ['::1', '::1'],
    ['1::', '1::'],
    ['[2001:db8::1]', '2001:db8::1'],
    ['FE80::ABCD', 'fe80::abcd'],
    ['::192.0.2.1', '::c000:201'],
    ['64:ff9b::192.0.2.33', '64:ff9b::c000:221'],
  ];
  for (const [input, value] of cases) {
    const r = ok(normalizeIp(input));
    assert.equal(r.value, value, input);
    assert.equal(r.version, 6, input);
  }
});

test('IPv4-mapped IPv6 becomes the IPv4 address', () => {
  for (const input of [
    '::ffff:192.168.1.1',
    '::FFFF:c0a8:101',
    '0:0:0:0:0:ffff:192.168.1.1',
    '[::ffff:192.168.1.1]',
  ]) {
    const r = ok(normalizeIp(input));
    assert.equal(r.value, '192.168.1.1', input);
    assert.equal(r.version, 4, input);
    assert.equal(r.nonStandard, true, input);
  }
});

test('ports are read and left out of the value', () => {
  const v4 = ok(normalizeIp('1.2.3.4:8080'));
  assert.equal(v4.value, '1.2.3.4');
  assert.equal(v4.port, 8080);
  const v6 = ok(normalizeIp('[2001:db8::1]:443'));
  assert.equal(v6.value, '2001:db8::1');
  assert.equal(v6.port, 443);
  assert.equal(ok(normalizeIp('1.2.3.4')).port, undefined);
});

test('rejects what is not an address', () => {
  const cases: [string, string][] = [
    ['', 'input_empty'],
    ['abc', 'ip_invalid'],
    ['256.1.1.1', 'ip_invalid'],
    ['1.2.3.4.5', 'ip_invalid'],
    ['1.2.3.', 'ip_invalid'],
    ['4294967296', 'ip_invalid'],
    ['08.1.1.1', 'ip_invalid'],
    ['1:2:3:4:5:6:7:8:9', 'ip_invalid'],
    ['1::2::3', 'ip_invalid'],
    ['12345::1', 'ip_invalid'],
    ['::1.2.3', 'ip_invalid'],
    ['1.2.3.4:99999', 'ip_invalid'],
    ['[::1', 'ip_invalid'],
    ['fe80::1%eth0', 'ip_zone_id'],
  ];
  for (const [input, want] of cases) {
    const r = normalizeIp(input);
    assert.ok(!r.ok, input);
    assert.equal(r.code, want, input);
  }
});

test('low-level helpers', () => {
  assert.equal(parseIpv4Loose('example.com'), NOT_IPV4);
  assert.equal(parseIpv4Loose('1.2.3.256'), IPV4_OUT_OF_RANGE);
  assert.equal(parseIpv4Loose('99999999999'), IPV4_OUT_OF_RANGE);
  assert.equal(parseIpv4Loose('0x7f.1'), 0x7f000001);
  assert.deepEqual(parseIpv6('2001:db8::1'), [0x2001, 0xdb8, 0, 0, 0, 0, 0, 1]);
  assert.equal(parseIpv6('2001:db8::1%eth0'), null);
  assert.equal(formatIpv6([0, 0, 0, 0, 0, 0, 0, 0]), '::');
  assert.equal(formatIpv6([1, 0, 1, 0, 1, 0, 1, 0]), '1:0:1:0:1:0:1:0');
});
