/**
 * Domain names → the registrable domain (`www.Example.COM.` → `example.com`), by the public suffix list
 * with its private section (so `foo.github.io` is registrable as itself). Unicode names are stored in
 * punycode: `例子.中国` and `xn--fsqu00a.xn--fiqs8s` give one value.
 */
import { domainToASCII, domainToUnicode } from 'node:url';
import { fail, fullwidthToAscii, type NormalizeResult } from './errors.ts';
import { IPV4_OUT_OF_RANGE, normalizeIp, parseIpv4Loose } from './ip.ts';
import { MAX_URL_LENGTH, canonicalizeUrl, hostDomain } from './url.ts';

export interface DomainFields {
  /** The full host name, lowercase ASCII, no trailing dot. */
  readonly host: string;
  /** Its public suffix (`com`, `com.cn`, `github.io`). */
  readonly publicSuffix: string;
  /** The suffix is from the private section of the list (`github.io`, `blogspot.com`). */
  readonly isPrivateSuffix: boolean;
  /** The registrable domain in Unicode, for display. */
  readonly unicode: string;
}

export type DomainResult = NormalizeResult<DomainFields>;

const NON_ASCII = /[\u0080-\uffff]/;

/**
 * Normalises a domain name. Also accepts a URL or `host:port` (its host is used) and an e-mail address
 * (the part after `@`). IP addresses are refused (`domain_is_ip`): use normalizeIp.
 */
export function normalizeDomain(raw: string): DomainResult {
  if (typeof raw !== 'string') return fail('input_empty');
  if (raw.length > MAX_URL_LENGTH) return fail('input_too_long');
  const s = fullwidthToAscii(raw.trim(), { dots: true });
  if (s.length === 0) return fail('input_empty');
  if (normalizeIp(s).ok) return fail('domain_is_ip');

  let host: string;
  if (/[/:\\?#]/.test(s)) {
    const u = canonicalizeUrl(s);
    if (!u.ok) return fail('domain_invalid');
    if (u.hostIsIp) return fail('domain_is_ip');
    host = u.host;
  } else {
    const at = s.lastIndexOf('@');
    host = at === -1 ? s : s.slice(at + 1);
  }

  host = host.replace(/^\.+|\.+$/g, '');
  if (host.length === 0 || host.includes('..')) return fail('domain_invalid');
  if (NON_ASCII.test(host) || host.includes('xn--')) {
    const ascii = domainToASCII(host);
    if (ascii === '') return fail('domain_invalid');
    host = ascii.replace(/\.+$/, '');
  } else {
    host = host.toLowerCase();
  }
  const ip = parseIpv4Loose(host);
  if (ip >= 0) return fail('domain_is_ip');
  if (ip === IPV4_OUT_OF_RANGE) return fail('domain_invalid');
  const d = hostDomain(host);
  if (typeof d === 'string') return fail(d);
  const unicode = d.domain.includes('xn--') ? domainToUnicode(d.domain) || d.domain : d.domain;
  return {
    ok: true,
    value: d.domain,
    host,
    publicSuffix: d.publicSuffix,
    isPrivateSuffix: d.isPrivate,
    unicode,
  };
}
