/**
 * IP addresses → dotted-quad IPv4 (`192.168.1.1`) or RFC 5952 IPv6 (`2001:db8::1`).
 *
 * IPv4 is read the way inet_aton(3) and browsers (WHATWG URL) read it, so every form that reaches the
 * same host gives the same value: `3232235777`, `0xC0A80101`, `0300.0250.1.1` (octal: a leading 0
 * means octal), `192.168.257`. IPv4-mapped IPv6 (`::ffff:192.168.1.1`) becomes the IPv4 address.
 */
import { fail, fullwidthToAscii, type NormalizeResult } from './errors.ts';

export interface IpFields {
  readonly version: 4 | 6;
  /** The input was not four plain decimal numbers (IPv4), or was an IPv4-mapped IPv6 address. */
  readonly nonStandard: boolean;
  /** Port written after the address (`1.2.3.4:8080`, `[::1]:443`); not part of `value`. */
  readonly port?: number;
}

export type IpResult = NormalizeResult<IpFields>;

/** `parseIpv4Loose`: the text is not IPv4 syntax (it may be a host name). */
export const NOT_IPV4 = -1;
/** `parseIpv4Loose`: the text is all numbers but does not fit in an IPv4 address. */
export const IPV4_OUT_OF_RANGE = -2;

/**
 * Reads 1–4 dot-separated numbers, each decimal, octal (leading `0`) or hex (`0x`); the last fills the
 * remaining bytes (`10.1` = 10.0.0.1). Returns the address as an unsigned 32-bit number, or NOT_IPV4 or
 * IPV4_OUT_OF_RANGE.
 */
export function parseIpv4Loose(s: string): number {
  const n = s.length;
  if (n === 0 || n > 64) return NOT_IPV4;
  const c0 = s.charCodeAt(0);
  if (c0 < 48 || c0 > 57) return NOT_IPV4;
  const parts: number[] = [];
  let start = 0;
  let overflow = false;
  for (let i = 0; i <= n; i++) {
    if (i < n && s.charCodeAt(i) !== 46) continue;
    if (parts.length === 4) return NOT_IPV4;
    const v = parseIpv4Part(s, start, i);
    if (v === -1) return NOT_IPV4;
    if (v === -2) overflow = true;
    parts.push(v);
    start = i + 1;
  }
  if (overflow) return IPV4_OUT_OF_RANGE;
  const count = parts.length;
  let addr = 0;
  for (let i = 0; i < count - 1; i++) {
    const p = parts[i]!;
    if (p > 255) return IPV4_OUT_OF_RANGE;
    addr = addr * 256 + p;
  }
  const last = parts[count - 1]!;
  const room = 256 ** (5 - count);
  if (last >= room) return IPV4_OUT_OF_RANGE;
  return addr * room + last;
}

/** One number of a loose IPv4 address: its value, -1 if not a number, -2 if above 2^32. */
function parseIpv4Part(s: string, from: number, to: number): number {
  if (from === to) return -1;
  let radix = 10;
  let i = from;
  if (s.charCodeAt(i) === 48 && to - from > 1) {
    const x = s.charCodeAt(i + 1);
    if (x === 120 || x === 88) {
      radix = 16;
      i += 2;
    } else {
      radix = 8;
      i += 1;
    }
  }
  let v = 0;
  for (; i < to; i++) {
    const c = s.charCodeAt(i);
    let d: number;
    if (c >= 48 && c <= 57) d = c - 48;
    else if (c >= 97 && c <= 102) d = c - 87;
    else if (c >= 65 && c <= 70) d = c - 55;
    else return -1;
    if (d >= radix) return -1;
    v = v * radix + d;
  }
  return v > 0xffffffff ? -2 : v;
}

export function formatIpv4(addr: number): string {
  return `${Math.floor(addr / 0x1000000) & 255}.${(addr >>> 16) & 255}.${(addr >>> 8) & 255}.${addr & 255}`;
}

const STRICT_V4 = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

/** Parses an IPv6 address (no brackets, no zone) into 8 groups, or null. */
export function parseIpv6(s: string): number[] | null {
  if (s.length < 2 || s.length > 45) return null;
  const dbl = s.indexOf('::');
  if (dbl !== -1 && s.indexOf('::', dbl + 1) !== -1) return null;
  const head = dbl === -1 ? s : s.slice(0, dbl);
  const tail = dbl === -1 ? '' : s.slice(dbl + 2);
  const a = head === '' ? [] : head.split(':');
  const b = tail === '' ? [] : tail.split(':');
  const groups: number[] = [];
  const tailGroups: number[] = [];
  const read = (list: string[], out: number[], mayEndInV4: boolean): boolean => {
    for (let i = 0; i < list.length; i++) {
      const g = list[i]!;
      if (mayEndInV4 && i === list.length - 1 && g.includes('.')) {
        if (!STRICT_V4.test(g)) return false;
        const q = g.split('.').map(Number);
        out.push((q[0]! << 8) | q[1]!, (q[2]! << 8) | q[3]!);
        continue;
      }
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return false;
      out.push(parseInt(g, 16));
    }
    return true;
  };
  if (!read(a, groups, dbl === -1)) return null;
  if (!read(b, tailGroups, true)) return null;
  const total = groups.length + tailGroups.length;
  if (dbl === -1) return total === 8 ? groups : null;
  if (total > 7) return null;
  while (groups.length + tailGroups.length < 8) groups.push(0);
  return groups.concat(tailGroups);
}

/** RFC 5952 text form: lowercase, no leading zeros, the longest run (2+) of zero groups as `::`. */
export function formatIpv6(groups: readonly number[]): string {
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (bestLen < 2) return groups.map((g) => g.toString(16)).join(':');
  const left = groups
    .slice(0, bestStart)
    .map((g) => g.toString(16))
    .join(':');
  const right = groups
    .slice(bestStart + bestLen)
    .map((g) => g.toString(16))
    .join(':');
  return `${left}::${right}`;
}

/** IPv4-mapped (`::ffff:a.b.c.d`) → the IPv4 address as a number, else -1. */
export function ipv4MappedAddress(groups: readonly number[]): number {
  for (let i = 0; i < 5; i++) if (groups[i] !== 0) return -1;
  if (groups[5] !== 0xffff) return -1;
  return groups[6]! * 65536 + groups[7]!;
}

/**
 * Normalises an IPv4 or IPv6 address, optionally in brackets and/or with a port. Accepts full-width
 * digits and `。` as dots.
 */
export function normalizeIp(raw: string): IpResult {
  if (typeof raw !== 'string') return fail('input_empty');
  let s = fullwidthToAscii(raw, { dots: true }).trim();
  if (s.length === 0) return fail('input_empty');
  if (s.length > 64) return fail('ip_invalid');
  let port: number | undefined;
  if (s.charCodeAt(0) === 91 /* [ */) {
    const close = s.indexOf(']');
    if (close === -1) return fail('ip_invalid');
    const rest = s.slice(close + 1);
    if (rest !== '') {
      if (!/^:\d{1,5}$/.test(rest)) return fail('ip_invalid');
      port = Number(rest.slice(1));
      if (port > 65535) return fail('ip_invalid');
    }
    s = s.slice(1, close);
    if (!s.includes(':')) return fail('ip_invalid');
  } else {
    const colon = s.indexOf(':');
    if (colon !== -1 && colon === s.lastIndexOf(':') && /^\d{1,5}$/.test(s.slice(colon + 1))) {
      port = Number(s.slice(colon + 1));
      if (port > 65535) return fail('ip_invalid');
      s = s.slice(0, colon);
    }
  }
  if (s.includes(':')) {
    if (s.includes('%')) return fail('ip_zone_id');
    const groups = parseIpv6(s);
    if (groups === null) return fail('ip_invalid');
    const v4 = ipv4MappedAddress(groups);
    if (v4 !== -1) return ipResult(formatIpv4(v4), 4, true, port);
    return ipResult(formatIpv6(groups), 6, false, port);
  }
  const addr = parseIpv4Loose(s);
  if (addr < 0) return fail('ip_invalid');
  const value = formatIpv4(addr);
  return ipResult(value, 4, value !== s, port);
}

function ipResult(value: string, version: 4 | 6, nonStandard: boolean, port: number | undefined): IpResult {
  return port === undefined
    ? { ok: true, value, version, nonStandard }
    : { ok: true, value, version, nonStandard, port };
}
