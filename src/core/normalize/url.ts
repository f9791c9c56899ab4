/**
 * URL canonicalisation after Google Safe Browsing v4 ("URLs and Hashing"), and the host-suffix ×
 * path-prefix lookup expressions built from it.
 *
 * The authority is split by hand, the way browsers split it (the last `@` ends the userinfo, `\` counts
 * as `/`), so the canonical host is where a browser would actually go. Then each component is
 * canonicalised as the spec says: percent-unescape until stable, host dots trimmed and collapsed,
 * IPv4 in any form to a dotted quad, IDN to punycode, lowercase; path `/./` and `/../` resolved and `//`
 * collapsed; finally bytes <= 0x20, >= 0x7f, `#` and `%` percent-escaped with uppercase hex. Every
 * port is dropped (the spec's `:1234` example), and so are userinfo and fragment.
 *
 * Working text is a "byte string": one char per byte (0–255) of the URL's UTF-8 form. The C1 controls
 * U+0080–U+009F are taken as the single bytes 0x80–0x9F (they only occur when bytes were decoded as
 * Latin-1, and the spec's `http://\x01\x80.com/` example means the byte).
 */
import { Buffer } from 'node:buffer';
import { domainToASCII, domainToUnicode } from 'node:url';
import { parse as parseDomain } from 'tldts';
import { fail, fullwidthToAscii, type NormalizeResult, type NormalizeSuccess } from './errors.ts';
import {
  IPV4_OUT_OF_RANGE,
  formatIpv4,
  formatIpv6,
  ipv4MappedAddress,
  parseIpv4Loose,
  parseIpv6,
} from './ip.ts';

export interface CanonicalUrlFields {
  /** The canonical URL with scheme, e.g. `http://www.google.com/` (also `value`). */
  readonly url: string;
  /** What Safe Browsing hashes: host + path + `?query` (the query only when not empty), no scheme. */
  readonly expression: string;
  readonly scheme: 'http' | 'https';
  /** Canonical host: lowercase ASCII (punycode), dotted-quad IPv4, or `[IPv6]`. */
  readonly host: string;
  /** Canonical path, always starting with `/`. */
  readonly path: string;
  /** Canonical query without `?`; `''` for a bare `?`, null when there is none. */
  readonly query: string | null;
  /** Registrable domain of the host (public suffix list, private suffixes included); null for IPs. */
  readonly registrableDomain: string | null;
  readonly hostIsIp: boolean;
  /** Port written in the URL (dropped from `url`), or null. */
  readonly port: number | null;
}

export type CanonicalUrl = NormalizeSuccess<CanonicalUrlFields>;
export type CanonicalUrlResult = NormalizeResult<CanonicalUrlFields>;

/** Longest input accepted, in UTF-16 units. */
export const MAX_URL_LENGTH = 16384;

// Control characters are the point of these patterns: the spec trims and escapes them.
// eslint-disable-next-line no-control-regex
const TRIM = /^[\x00-\x20\u00a0\u3000]+|[\x00-\x20\u00a0\u3000]+$/g;
const TAB_CR_LF = /[\t\r\n]/g;
const SCHEME = /^([a-zA-Z][a-zA-Z0-9+.-]*):/;
const PORT_AFTER_COLON = /^\d+(?:[/\\?]|$)/;
const NON_ASCII = /[\u0080-\uffff]/;
// eslint-disable-next-line no-control-regex
const NEEDS_ESCAPE = /[\x00-\x20\x7f-\xff#%]/;
/** Characters WHATWG forbids in a host; such hosts are not handed to the IDN converter. */
// eslint-disable-next-line no-control-regex
const FORBIDDEN_HOST_CHAR = /[\x00-\x20#%/:<>?@[\\\]^|\x7f]/;
const HEX = '0123456789ABCDEF';
const UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Canonicalises `raw` (a URL as written: with or without scheme, padded, with tabs or line breaks,
 * full-width `：／`, `hxxp://` defanged). `value` is the canonical URL with scheme.
 */
export function canonicalizeUrl(raw: string): CanonicalUrlResult {
  if (typeof raw !== 'string') return fail('input_empty');
  if (raw.length > MAX_URL_LENGTH) return fail('url_too_long');
  let s = raw.replace(TRIM, '');
  if (s.length === 0) return fail('input_empty');
  s = s.replace(TAB_CR_LF, '');
  const hash = s.indexOf('#');
  if (hash !== -1) s = s.slice(0, hash);
  // Indexes in `f` are indexes in `s`: the fold maps one UTF-16 unit to one.
  const f = fullwidthToAscii(s, { dots: true });

  // Scheme.
  let scheme: 'http' | 'https' | null = null;
  let at = 0;
  const m = SCHEME.exec(f);
  if (m && !PORT_AFTER_COLON.test(f.slice(m[0].length))) {
    const name = m[1]!.toLowerCase();
    if (name === 'http' || name === 'hxxp') scheme = 'http';
    else if (name === 'https' || name === 'hxxps') scheme = 'https';
    else return fail('url_bad_scheme');
    at = m[0].length;
    while (at < f.length && (f.charCodeAt(at) === 47 || f.charCodeAt(at) === 92)) at++;
  } else if (f.startsWith('//')) {
    at = 2;
    while (at < f.length && (f.charCodeAt(at) === 47 || f.charCodeAt(at) === 92)) at++;
  }
  const hadScheme = scheme !== null;

  // Authority: up to the first / \ or ?.
  let authEnd = at;
  while (authEnd < f.length) {
    const c = f.charCodeAt(authEnd);
    if (c === 47 || c === 92 || c === 63) break;
    authEnd++;
  }
  let authority = f.slice(at, authEnd);
  const atSign = authority.lastIndexOf('@');
  if (atSign !== -1) {
    // Without a scheme, "name@example.com" is an e-mail address, not a link.
    if (!hadScheme) return fail('url_unparseable');
    authority = authority.slice(atSign + 1);
  }
  if (authority.includes('[.]')) authority = authority.replaceAll('[.]', '.');

  let hostText: string;
  let portText: string | null = null;
  if (authority.charCodeAt(0) === 91 /* [ */) {
    const close = authority.indexOf(']');
    if (close === -1) return fail('url_bad_host');
    hostText = authority.slice(0, close + 1);
    const rest = authority.slice(close + 1);
    if (rest !== '') {
      if (rest.charCodeAt(0) !== 58) return fail('url_bad_host');
      portText = rest.slice(1);
    }
  } else {
    const colon = authority.lastIndexOf(':');
    if (colon === -1) hostText = authority;
    else {
      hostText = authority.slice(0, colon);
      portText = authority.slice(colon + 1);
    }
  }
  let port: number | null = null;
  if (portText !== null && portText !== '') {
    if (!/^\d{1,5}$/.test(portText)) return fail('url_bad_port');
    port = Number(portText);
    if (port > 65535) return fail('url_bad_port');
  }
  if (!hadScheme && /\s/.test(s)) return fail('url_unparseable');

  const hostResult = canonicalHost(hostText);
  if (typeof hostResult === 'string') return fail(hostResult);
  const { host, isIp } = hostResult;

  // Path and query, from the unfolded text.
  let pathRaw: string;
  let queryRaw: string | null;
  if (authEnd >= s.length) {
    pathRaw = '';
    queryRaw = null;
  } else if (f.charCodeAt(authEnd) === 63 /* ? */) {
    pathRaw = '';
    queryRaw = s.slice(authEnd + 1);
  } else {
    const q = s.indexOf('?', authEnd + 1);
    pathRaw = '/' + (q === -1 ? s.slice(authEnd + 1) : s.slice(authEnd + 1, q));
    queryRaw = q === -1 ? null : s.slice(q + 1);
  }
  if (pathRaw.includes('\\')) pathRaw = pathRaw.replaceAll('\\', '/');
  let pathBytes = unescapeFully(toBytes(pathRaw));
  // An unescaped %3F starts the query, as in the reference implementations.
  const qInPath = pathBytes.indexOf('?');
  let queryBytes = queryRaw === null ? null : unescapeFully(toBytes(queryRaw));
  if (qInPath !== -1) {
    const tail = pathBytes.slice(qInPath + 1);
    queryBytes = queryBytes === null ? tail : tail + '?' + queryBytes;
    pathBytes = pathBytes.slice(0, qInPath);
  }
  const path = escapeBytes(canonicalPath(pathBytes));
  const query = queryBytes === null ? null : escapeBytes(queryBytes);

  if (!hadScheme) {
    // Without a scheme, only a dotted or bracketed address, or a name ending in a known public suffix,
    // is taken for a link (not "3279880203", "notaurl" or "file.txt").
    if (isIp) {
      if (!/[.[]/.test(hostText)) return fail('url_unparseable');
    } else {
      const d = parseDomain(host, LENIENT_TLD_OPTIONS);
      if (!host.includes('.') || d.domain === null || !(d.isIcann || d.isPrivate))
        return fail('url_unparseable');
    }
  }
  const finalScheme = scheme ?? 'http';
  const url = `${finalScheme}://${host}${path}${query === null ? '' : '?' + query}`;
  return {
    ok: true,
    value: url,
    url,
    expression: query ? `${host}${path}?${query}` : host + path,
    scheme: finalScheme,
    host,
    path,
    query,
    registrableDomain: isIp ? null : registrableDomainOf(host),
    hostIsIp: isIp,
    port,
  };
}

const TLD_OPTIONS = { allowPrivateDomains: true, extractHostname: false, detectIp: false } as const;
const LENIENT_TLD_OPTIONS = { ...TLD_OPTIONS, validateHostname: false } as const;
const HOST_NAME = /^(?:[a-z0-9_-]{1,63}\.)*[a-z0-9_-]{1,63}$/;

export interface HostDomain {
  /** Registrable domain. */
  readonly domain: string;
  readonly publicSuffix: string;
  /** The suffix is from the private section of the public suffix list. */
  readonly isPrivate: boolean;
}

/**
 * The registrable domain of a canonical (lowercase ASCII) host name, by the public suffix list with
 * its private section. Labels are 1–63 of `a-z 0-9 _ -` (punycode ones must decode), the registered
 * label may not start or end with `-`, the whole name is at most 253 characters, and the suffix must
 * be on the list.
 * normalizeDomain and the URL's `registrableDomain` both come from here.
 */
export function hostDomain(
  host: string,
): HostDomain | 'domain_invalid' | 'domain_no_registrable' | 'domain_unknown_suffix' {
  if (host.length > 253 || !HOST_NAME.test(host)) return 'domain_invalid';
  if (host.includes('xn--') && domainToASCII(host) === '') return 'domain_invalid'; // bad punycode
  const d = parseDomain(host, LENIENT_TLD_OPTIONS);
  if (!d.isIcann && !d.isPrivate) return 'domain_unknown_suffix';
  if (d.domain === null || d.publicSuffix === null) return 'domain_no_registrable';
  // The registered label: the domain's first.
  const dot = d.domain.indexOf('.');
  if (d.domain.charCodeAt(0) === 45 || d.domain.charCodeAt(dot - 1) === 45) return 'domain_invalid';
  return { domain: d.domain, publicSuffix: d.publicSuffix, isPrivate: d.isPrivate === true };
}

function registrableDomainOf(host: string): string | null {
  const d = hostDomain(host);
  return typeof d === 'string' ? null : d.domain;
}

type HostOutcome = { host: string; isIp: boolean } | 'url_no_host' | 'url_bad_host';

function canonicalHost(hostText: string): HostOutcome {
  let h = unescapeFully(toBytes(hostText));
  if (h.length === 0) return 'url_no_host';
  if (h.charCodeAt(0) === 91 /* [ */) {
    if (h.charCodeAt(h.length - 1) !== 93) return 'url_bad_host';
    const groups = parseIpv6(h.slice(1, -1));
    if (groups === null) return 'url_bad_host';
    const v4 = ipv4MappedAddress(groups);
    return v4 === -1 ? { host: `[${formatIpv6(groups)}]`, isIp: true } : { host: formatIpv4(v4), isIp: true };
  }
  // Characters that delimit URL parts cannot be in a host a browser would visit.
  if (/[/\\?@:]/.test(h)) return 'url_bad_host';
  h = tidyDots(h);
  if (h.length === 0) return 'url_no_host';
  if (NON_ASCII.test(h) && !FORBIDDEN_HOST_CHAR.test(h)) {
    const unicode = decodeUtf8(h);
    if (unicode !== null) {
      const ascii = domainToASCII(unicode);
      if (ascii !== '') h = tidyDots(ascii);
    }
  }
  const addr = parseIpv4Loose(h);
  if (addr >= 0) return { host: formatIpv4(addr), isIp: true };
  if (addr === IPV4_OUT_OF_RANGE) return 'url_bad_host';
  return { host: escapeBytes(asciiLower(h)), isIp: false };
}

/** Strips leading and trailing dots and collapses runs of dots. */
function tidyDots(h: string): string {
  if (!h.includes('.')) return h;
  let start = 0;
  let end = h.length;
  while (start < end && h.charCodeAt(start) === 46) start++;
  while (end > start && h.charCodeAt(end - 1) === 46) end--;
  h = h.slice(start, end);
  return h.includes('..') ? h.replace(/\.{2,}/g, '.') : h;
}

function asciiLower(s: string): string {
  return /[A-Z]/.test(s) ? s.replace(/[A-Z]+/g, (x) => x.toLowerCase()) : s;
}

/** Resolves `.` and `..` segments, then collapses runs of `/`. Input starts with `/` or is empty. */
function canonicalPath(p: string): string {
  if (p.length === 0) return '/';
  if (!p.includes('/.') && !p.includes('//')) return p;
  if (p.includes('/.')) {
    const segs = p.split('/');
    const out: string[] = [];
    const last = segs.length - 1;
    for (let i = 1; i <= last; i++) {
      const seg = segs[i]!;
      if (seg === '.') {
        if (i === last) out.push('');
      } else if (seg === '..') {
        out.pop();
        if (i === last) out.push('');
      } else {
        out.push(seg);
      }
    }
    p = '/' + out.join('/');
  }
  return p.includes('//') ? p.replace(/\/{2,}/g, '/') : p;
}

/** UTF-8 bytes of `s` as a byte string (C1 controls U+0080–U+009F taken as single bytes). */
function toBytes(s: string): string {
  if (!NON_ASCII.test(s)) return s;
  let out = '';
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if (c < 0xa0) {
      out += s[i];
      continue;
    }
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        i++;
      }
    }
    if (c >= 0xd800 && c <= 0xdfff) c = 0xfffd; // lone surrogate
    if (c < 0x800) out += String.fromCharCode(0xc0 | (c >> 6), 0x80 | (c & 63));
    else if (c < 0x10000)
      out += String.fromCharCode(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
    else
      out += String.fromCharCode(
        0xf0 | (c >> 18),
        0x80 | ((c >> 12) & 63),
        0x80 | ((c >> 6) & 63),
        0x80 | (c & 63),
      );
  }
  return out;
}

function decodeUtf8(bytes: string): string | null {
  try {
    return UTF8.decode(Buffer.from(bytes, 'latin1'));
  } catch {
    return null;
  }
}

function hexVal(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 70) return c - 55;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}

/**
 * Percent-unescapes until no `%XX` is left, as the spec's "repeatedly unescape" does, in one pass:
 * escapes cannot overlap, so the result does not depend on the order, and a new escape can only end
 * at the newest output character. Malformed escapes stay as they are. Linear even for `%252525…`.
 */
function unescapeFully(s: string): string {
  const first = s.indexOf('%');
  if (first === -1) return s;
  const out: number[] = [];
  for (let k = first; k < s.length; k++) {
    out.push(s.charCodeAt(k));
    let n = out.length;
    while (n >= 3 && out[n - 3] === 37) {
      const hi = hexVal(out[n - 2]!);
      const lo = hexVal(out[n - 1]!);
      if (hi < 0 || lo < 0) break;
      out.length = n - 3;
      out.push(hi * 16 + lo);
      n = out.length;
    }
  }
  let text = s.slice(0, first);
  for (let k = 0; k < out.length; k += 4096) text += String.fromCharCode(...out.slice(k, k + 4096));
  return text;
}

/** Escapes bytes <= 0x20, >= 0x7f, `#` and `%` as `%XX` (uppercase hex). */
function escapeBytes(s: string): string {
  if (!NEEDS_ESCAPE.test(s)) return s;
  let out = '';
  let from = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f || c === 35 || c === 37) {
      out += s.slice(from, i) + '%' + HEX[c >> 4] + HEX[c & 15];
      from = i + 1;
    }
  }
  return out + s.slice(from);
}

const MAX_HOST_SUFFIXES = 4;
const MAX_PATH_PREFIXES = 4;

/**
 * The Safe Browsing lookup expressions for a canonical URL, exact first: hosts are the exact host then
 * up to 4 suffixes built from its last 5 labels, longest first, never the bare TLD (an IP host: only
 * itself); paths are the exact path with query (when there is one), the exact path, then up to 4 prefixes
 * from `/`, each ending in `/`. Takes a canonicalizeUrl success or a URL string (canonicalised first;
 * a string that does not canonicalise gives `[]`).
 */
export function urlLookupExpressions(canonical: CanonicalUrl | string): string[] {
  let c: CanonicalUrl;
  if (typeof canonical === 'string') {
    const r = canonicalizeUrl(canonical);
    if (!r.ok) return [];
    c = r;
  } else {
    c = canonical;
  }
  const hosts = [c.host];
  if (!c.hostIsIp) {
    const labels = c.host.split('.');
    const n = labels.length;
    for (let i = Math.max(1, n - (MAX_HOST_SUFFIXES + 1)); i < n - 1; i++)
      hosts.push(labels.slice(i).join('.'));
  }
  const paths: string[] = [];
  if (c.query) paths.push(`${c.path}?${c.query}`);
  paths.push(c.path);
  // Prefixes: "/", then "/a/", "/a/b/", … over the directory part of the path.
  const lastSlash = c.path.lastIndexOf('/');
  let prefixes = 0;
  for (let i = 0; i <= lastSlash && prefixes < MAX_PATH_PREFIXES; i = c.path.indexOf('/', i + 1)) {
    if (i === -1) break;
    const prefix = c.path.slice(0, i + 1);
    prefixes++;
    if (prefix !== c.path) paths.push(prefix);
  }
  const out: string[] = [];
  for (const h of hosts) for (const p of paths) out.push(h + p);
  return out;
}

/** A canonical host in Unicode for display (`xn--pple-43d.com` → `аpple.com`); IPs unchanged. */
export function toUnicodeHost(host: string): string {
  if (host.charCodeAt(0) === 91 || parseIpv4Loose(host) >= 0 || !host.includes('xn--')) return host;
  const u = domainToUnicode(host);
  return u === '' ? host : u;
}
