/**
 * URLs, bare domains, app download links and package names in folded text.
 *
 * One regex finds host-like stretches: labels of ASCII letters, digits, `_` and `-` joined by a dot or
 * a written-out dot (`[.]`, `(.)`, `(dot)`, `点`, `。`, ` . ` with spaces on both sides), with an
 * optional scheme (`http`, `https`, `hxxp`, `hxxps`), port and path. The match is rebuilt without the
 * evasion and handed to canonicalizeUrl, which only takes a scheme-less text for a link when its host
 * ends in a public suffix (tldts / Public Suffix List) or is an IP address.
 */
import {
  canonicalizeUrl,
  normalizeApp,
  normalizeInternetAccount,
  type CanonicalUrlResult,
} from '../../core/normalize/index.ts';
import type { Collector, UrlIndicator, AppIndicator, InternetAccountIndicator } from './types.ts';

const LABEL = '[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?';
/** Written-out dots. Spaces only on both sides (`www . evil . com`), never one (`end. Next`). */
const DOT =
  '(?:\\.|[ \\t]{1,3}\\.[ \\t]{1,3}|[ \\t]{0,2}(?:\\[\\.\\]|\\(\\.\\)|\\{\\.\\}|\\[dot\\]|\\(dot\\)|\\{dot\\}|\\[点\\]|\\(点\\))[ \\t]{0,2}|点|。)';
const URL_RE = new RegExp(
  '(?<![a-z0-9_.@-])' +
    '(?:(h[tx]{2}ps?)[ \\t]?(?::|\\[:\\])[ \\t]?[/\\\\]{2}[ \\t]?)?' + // 1 scheme
    `((?:${LABEL}${DOT})+${LABEL})` + // 2 host
    '(:\\d{1,5})?' + // 3 port
    '([/?#][!#-&(-;=?-~]*)?', // 4 path, query (no quotes, < or >)
  'gi',
);

const PLAIN_HOST = /^[a-z0-9_.-]+$/i;
const DOT_TOKEN =
  /[ \t]*(?:\[\.\]|\(\.\)|\{\.\}|\[dot\]|\(dot\)|\{dot\}|\[点\]|\(点\))[ \t]*|[ \t]+\.[ \t]+|点|。/gi;
const NUMERIC_HOST = /^[\d.]+$/;
const DOTTED_QUAD = /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;
const TRAILING_PUNCT = /[.,;:!?'")\]}>*]+$/;

/** Top labels of reversed-domain Android package names (`com.tencent.mm`). */
const PACKAGE_ROOTS = new Set([
  'com',
  'cn',
  'org',
  'net',
  'io',
  'me',
  'tv',
  'top',
  'xyz',
  'app',
  'vip',
  'cc',
]);
const PACKAGE_SEGMENT = /^[a-z][a-z0-9_]*$/i;

/**
 * Public suffixes that are also common file extensions: a bare `setup.zip` or `README.md` is a file
 * name. With a scheme, `www.` or a path they are still read as links.
 */
const FILE_LIKE_SUFFIXES = new Set(['zip', 'mov', 'md', 'py', 'sh', 'rs', 'ps', 'cc', 'so', 'pl', 'ai']);

/** Well-known URL shorteners (registrable domain or host). */
const SHORTENERS = new Set([
  't.cn',
  'url.cn',
  'dwz.cn',
  'suo.im',
  'suo.nz',
  'bit.ly',
  'tinyurl.com',
  'goo.gl',
  'is.gd',
  'v.gd',
  'ow.ly',
  't.co',
  'rebrand.ly',
  'cutt.ly',
  'rb.gy',
  'tiny.cc',
  'shorturl.at',
  'reurl.cc',
  's.id',
  'u.nu',
  'dwz.mk',
  'sohu.gg',
]);

const PLAY_HOST = 'play.google.com';
const APPLE_STORE = /^(?:apps|itunes)\.apple\.com$/;
const APPLE_ID = /\/id(\d{6,12})(?:[/?]|$)/;

export function extractUrls(c: Collector): void {
  const s = c.folded.s;
  URL_RE.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = URL_RE.exec(s)) !== null) {
    const a = m.index;
    let raw = m[0];
    const scheme = m[1];
    const hostWritten = m[2]!;
    let path = m[4] ?? '';
    // Trailing sentence punctuation is not part of the link.
    if (path !== '') {
      const trail = TRAILING_PUNCT.exec(path);
      if (trail) {
        path = path.slice(0, path.length - trail[0].length);
        raw = raw.slice(0, raw.length - trail[0].length);
      }
    }
    const b = a + raw.length;
    const obfuscatedHost = !PLAIN_HOST.test(hostWritten);
    const host = obfuscatedHost ? hostWritten.replace(DOT_TOKEN, '.') : hostWritten;
    const obfuscated = obfuscatedHost || (scheme !== undefined && /x/i.test(scheme));
    const labels = host.split('.');

    if (scheme === undefined) {
      if (NUMERIC_HOST.test(host)) {
        // Numbers with dots (3.5, 138.0013.8000, versions) are not links; a dotted quad with a port or
        // path is.
        if (!(DOTTED_QUAD.test(host) && (m[3] !== undefined || path.length > 1))) continue;
      } else if (path === '' && m[3] === undefined) {
        if (isPackageName(labels)) {
          addPackage(c, host, a, b);
          continue;
        }
        const tld = labels[labels.length - 1]!;
        if (labels[0]!.toLowerCase() !== 'www') {
          if (FILE_LIKE_SUFFIXES.has(tld.toLowerCase())) continue;
          // `Hello.World`, `fine.Then`: prose with a missing space, not a link.
          if (/^[A-Z][a-z]+$/.test(tld)) continue;
        }
      }
    }

    const rebuilt = (scheme ? scheme + '://' : '') + host + (m[3] ?? '') + path;
    const u = urlOf(rebuilt);
    if (!u.ok) continue;
    c.take(a, b);
    const shortener =
      SHORTENERS.has(u.host) || (u.registrableDomain !== null && SHORTENERS.has(u.registrableDomain));
    c.add<UrlIndicator>('url', u.value, a, b, {
      host: u.host,
      registrableDomain: u.registrableDomain,
      schemeless: scheme === undefined,
      obfuscated,
      shortener,
    });
    appFromUrl(c, u.value, u.host, u.path, a, b);
    accountFromUrl(c, u.host, u.value, a, b);
  }
}

/** canonicalizeUrl results by rebuilt text; dropped whole when full (see phoneOf in digits.ts). */
const urlCache = new Map<string, CanonicalUrlResult>();
const URL_CACHE_MAX = 20_000;

function urlOf(text: string): CanonicalUrlResult {
  let r = urlCache.get(text);
  if (r === undefined) {
    r = canonicalizeUrl(text);
    if (urlCache.size >= URL_CACHE_MAX) urlCache.clear();
    urlCache.set(text, r);
  }
  return r;
}

function isPackageName(labels: string[]): boolean {
  return (
    labels.length >= 3 &&
    PACKAGE_ROOTS.has(labels[0]!.toLowerCase()) &&
    labels.every((l) => PACKAGE_SEGMENT.test(l))
  );
}

function addPackage(c: Collector, name: string, a: number, b: number): void {
  const r = normalizeApp(name);
  if (r.ok) c.add<AppIndicator>('app', r.value, a, b, { form: 'package' });
}

function appFromUrl(c: Collector, url: string, host: string, path: string, a: number, b: number): void {
  if (host === PLAY_HOST) {
    const r = normalizeApp(url);
    if (r.ok) c.add<AppIndicator>('app', r.value, a, b, { form: 'package' });
    return;
  }
  if (APPLE_STORE.test(host)) {
    const id = APPLE_ID.exec(path);
    if (id) c.add<AppIndicator>('app', `appstore:${id[1]!}`, a, b, { form: 'store' });
    return;
  }
  if (/\.apk$/i.test(path)) c.add<AppIndicator>('app', url, a, b, { form: 'download' });
}

function accountFromUrl(c: Collector, host: string, url: string, a: number, b: number): void {
  if (host !== 't.me' && host !== 'telegram.me' && host !== 'wa.me') return;
  const r = normalizeInternetAccount(url.replace(/\/$/, ''));
  if (r.ok) {
    c.add<InternetAccountIndicator>('internet_account', r.value, a, b, { platform: r.platform, id: r.id });
  }
}
