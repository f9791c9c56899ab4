/**
 * A simple extractor of links and phone numbers from message text (sms content), built on the
 * normalisers. A full extractor (obfuscations, QR codes, short-link expansion) comes later.
 *
 * - The text is cut to its first 4,096 characters.
 * - Links: `http(s)://…` (also `hxxp(s)`, full-width `：／／`) up to a space, a quote, `<>` or any
 *   non-ASCII character (Chinese text and full-width punctuation); and bare host names
 *   (`evil.example.com/pay`, `t.cn/abc`) not preceded by `@`, `.`, `/` or a word character.
 *   Trailing `.,;:!?)]}'"` is dropped. A candidate counts when canonicalizeUrl accepts it (bare names
 *   need a known public suffix).
 * - Phone numbers: after removing the links and folding full-width digits, runs of digits with spaces, dashes or brackets, 5 to 15
 *   digits (longer runs are split at spaces), that normalizePhone accepts (E.164 or a CN short number).
 *   Shorter digit runs (amounts, codes) are ignored.
 * - At most 10 links and 10 numbers, without duplicates, in the order they appear.
 */
import { canonicalizeUrl, fullwidthToAscii, normalizePhone } from '../../core/normalize/index.ts';

export const MAX_CONTENT_SCAN = 4096;
export const MAX_EXTRACTED = 10;

// URL bodies are printable ASCII: they end at a space, a quote, `<>` or any non-ASCII character
// (Chinese text and full-width punctuation usually follow a link directly).
const BODY = '[!#-&(-;=?-_a-~]';
const URL_WITH_SCHEME = new RegExp(`(?<![a-z])(?:https?|hxxps?)(?::|\uff1a)(?:[/\uff0f]){2}${BODY}+`, 'gi');
const BARE_URL = new RegExp(
  `(?<![\\w@./-])(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\\.)+(?:[a-z]{2,24}|xn--[a-z0-9-]{1,59})(?::\\d{1,5})?(?![\\w@-])(?:/${BODY}*)?`,
  'gi',
);
const PHONE_RUN = /(?<![\w+])\+?\(?\d[\d ()-]*\d(?!\w)/g;
const TRAILING = /[.,;:!?)\]}'"]+$/;

export interface ExtractedIndicators {
  /** Canonical URLs (`http://host/path?query`). */
  urls: string[];
  /** E.164 numbers or `short:CN:<digits>`. */
  phones: string[];
}

export function extractIndicators(text: string): ExtractedIndicators {
  const urls: string[] = [];
  const phones: string[] = [];
  if (typeof text !== 'string' || text.length === 0) return { urls, phones };
  let t = text.length > MAX_CONTENT_SCAN ? text.slice(0, MAX_CONTENT_SCAN) : text;

  const addUrl = (raw: string) => {
    if (urls.length >= MAX_EXTRACTED) return;
    const c = canonicalizeUrl(raw.replace(TRAILING, ''));
    if (c.ok && !urls.includes(c.url)) urls.push(c.url);
  };
  const hasDot = t.includes('.');
  if (hasDot || t.includes('//') || t.includes('／／')) {
    for (const m of t.matchAll(URL_WITH_SCHEME)) addUrl(m[0]);
    t = t.replace(URL_WITH_SCHEME, ' ');
    if (hasDot) {
      for (const m of t.matchAll(BARE_URL)) addUrl(m[0]);
      t = t.replace(BARE_URL, ' ');
    }
  }

  t = fullwidthToAscii(t);
  for (const m of t.matchAll(PHONE_RUN)) {
    const run = m[0];
    const digits = countDigits(run);
    if (digits < 5) continue;
    const pieces = digits > 15 ? run.split(/\s+/) : [run];
    for (const piece of pieces) {
      if (phones.length >= MAX_EXTRACTED) break;
      if (countDigits(piece) < 5) continue;
      const p = normalizePhone(piece);
      if (p.ok && !phones.includes(p.value)) phones.push(p.value);
    }
  }
  return { urls, phones };
}

function countDigits(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) n++;
  }
  return n;
}
