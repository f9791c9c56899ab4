/**
 * Phone numbers and bank cards in folded text.
 *
 * A single pass cuts the text into digit runs: groups of digits (ASCII, or Chinese numerals
 * 〇零一二三四五六七八九幺两 and 壹贰叁肆伍陆柒捌玖) joined by at most three separator characters
 * (spaces, `- . / * _ ~ | ( ) [ ] # ·` …). A group is never split, so a long digit string is one
 * thing (an order or tracking number), not a phone number hidden inside. Windows of whole groups are then
 * tried: first 16–19 digits passing Luhn (a card, never a phone), then the longest window that has a
 * plausible phone shape and that normalizePhone accepts as valid.
 */
import type { CountryCode } from 'libphonenumber-js/max';
import {
  CN_SHORT_CODES,
  lookupCnShortCode,
  normalizeBankCard,
  normalizePhone,
  type PhoneResult,
} from '../../core/normalize/index.ts';
import type { BankCardIndicator, Collector, PhoneIndicator } from './types.ts';

interface Group {
  /** Folded range. */
  a: number;
  b: number;
  digits: string;
  cjk: boolean;
  /** Inside a URL, amount or account id already taken. */
  blocked: boolean;
  /** Used by a card or phone. */
  used: boolean;
}

const CN_DIGIT_CHARS: Readonly<Record<string, string>> = {
  〇: '0',
  零: '0',
  一: '1',
  幺: '1',
  二: '2',
  两: '2',
  三: '3',
  四: '4',
  五: '5',
  六: '6',
  七: '7',
  八: '8',
  九: '9',
  壹: '1',
  贰: '2',
  叁: '3',
  肆: '4',
  伍: '5',
  陆: '6',
  柒: '7',
  捌: '8',
  玖: '9',
};

/** Code unit → digit value (0–9) for ASCII and Chinese digits, else -1. */
const DIGIT_VALUE = new Int8Array(0x10000).fill(-1);
for (let d = 0; d <= 9; d++) DIGIT_VALUE[48 + d] = d;
for (const [ch, d] of Object.entries(CN_DIGIT_CHARS)) DIGIT_VALUE[ch.charCodeAt(0)] = Number(d);

/** Separators allowed between digit groups (at most MAX_GAP in a row). */
const GAP = new Set([
  ' ',
  '\t',
  '-',
  '.',
  '/',
  '\\',
  '*',
  '_',
  '~',
  '|',
  '(',
  ')',
  '[',
  ']',
  '#',
  '·',
  '•',
  '、',
]);
const MAX_GAP = 3;
/** Longest window tried, in digits (15-digit E.164 after a `00` prefix and `+`). */
const MAX_PHONE_DIGITS = 17;

/** Text right before a window that says the number is not a phone number (order, code, ID, card). */
const NOT_PHONE_CUE =
  /(?:订单|单号|编号|流水|运单|快递|物流|工号|学号|发票|验证码|校验码|动态码|密码|身份证|证件|卡号|银行卡|账号|帐号|尾号|order|ref|tracking|invoice|code|otp|pin|card|account|id)[^\d\n]{0,6}$/i;
/** Text right before a window that says the number is not a card either. */
const NOT_CARD_CUE =
  /(?:订单|单号|编号|流水|运单|快递|物流|工号|学号|发票|验证码|身份证|证件|order|ref|tracking|invoice)[^\d\n]{0,6}$/i;
/** Text right before a short number that says it is one to call. */
const PHONE_CUE = /(?:电话|致电|拨打|热线|客服|来电|报警|回电|call|tel|phone|dial|hotline)[^\d\n]{0,6}$/i;
/** A character right after that makes the number a quantity or a date part. */
const AFTER_NOT_PHONE = /^[ \t]?(?:[%‰年月日号时分秒个件次岁天周元块万亿倍]|kg|km|mb|gb)/i;

export function extractDigits(c: Collector, region: CountryCode): void {
  const s = c.folded.s;
  const n = s.length;
  let i = 0;
  while (i < n) {
    if (DIGIT_VALUE[s.charCodeAt(i)]! < 0) {
      i++;
      continue;
    }
    // A run: groups separated by short gaps.
    const groups: Group[] = [];
    let j = i;
    for (;;) {
      const a = j;
      let digits = '';
      const cjk = s.charCodeAt(j) > 57;
      while (j < n) {
        const code = s.charCodeAt(j);
        const d = DIGIT_VALUE[code]!;
        if (d < 0 || code > 57 !== cjk) break;
        digits += cjk ? String(d) : s[j]!;
        j++;
      }
      groups.push({ a, b: j, digits, cjk, blocked: c.isTaken(a, j), used: false });
      // Gap to the next group.
      let k = j;
      while (k < n && k - j < MAX_GAP && GAP.has(s[k]!)) k++;
      if (k < n && DIGIT_VALUE[s.charCodeAt(k)]! >= 0) {
        j = k;
        continue;
      }
      break;
    }
    scanRun(c, groups, region);
    i = j;
  }
}

/**
 * normalizePhone results by input and region. Scam messages repeat their number, and traffic repeats
 * the same few numbers; the cache is dropped whole when it fills.
 */
const phoneCache = new Map<string, PhoneResult>();
const PHONE_CACHE_MAX = 20_000;

function phoneOf(input: string, region: CountryCode): PhoneResult {
  const key = region + input;
  let r = phoneCache.get(key);
  if (r === undefined) {
    r = normalizePhone(input, { defaultRegion: region });
    if (phoneCache.size >= PHONE_CACHE_MAX) phoneCache.clear();
    phoneCache.set(key, r);
  }
  return r;
}

function scanRun(c: Collector, groups: Group[], region: CountryCode): void {
  const s = c.folded.s;
  // Cards: consecutive groups of at least 3 digits (the first at least 4), 16–19 digits, Luhn.
  for (let g = 0; g < groups.length; g++) {
    const first = groups[g]!;
    if (first.blocked || first.cjk || first.digits.length < 4) continue;
    if (NOT_CARD_CUE.test(before(s, first.a))) continue;
    let digits = '';
    let best = -1;
    for (let e = g; e < groups.length; e++) {
      const ge = groups[e]!;
      if (ge.blocked || ge.cjk || ge.digits.length < 3) break;
      digits += ge.digits;
      if (digits.length > 19) break;
      if (digits.length >= 16 && normalizeBankCard(digits).ok) best = e;
    }
    if (best === -1) continue;
    const last = groups[best]!;
    const r = normalizeBankCard(
      groups
        .slice(g, best + 1)
        .map((x) => x.digits)
        .join(''),
    );
    if (!r.ok) continue;
    for (let k = g; k <= best; k++) groups[k]!.used = true;
    c.add<BankCardIndicator>('bank_card', r.value, first.a, last.b, { bin: r.bin, last4: r.last4 });
    g = best;
  }

  // Phones: from each free group, the longest valid window.
  for (let g = 0; g < groups.length; g++) {
    const first = groups[g]!;
    if (first.blocked || first.used) continue;
    const plusAt = g === 0 ? plusBefore(s, first.a) : -1;
    const plus = plusAt !== -1;
    // The cue before the window is read lazily: most windows are not plausible at all.
    let cue: boolean | undefined;
    const ctx = () => before(s, plus ? plusAt : first.a);
    const ends: number[] = [];
    const totals: string[] = [];
    let digits = '';
    let cjk = false;
    for (let e = g; e < groups.length; e++) {
      const ge = groups[e]!;
      if (ge.blocked || ge.used) break;
      digits += ge.digits;
      cjk ||= ge.cjk;
      if (digits.length > MAX_PHONE_DIGITS) break;
      if (cjk && digits.length < 7) continue;
      const short = !plus && digits.length <= 8;
      if (short && cue === undefined) cue = PHONE_CUE.test(ctx());
      if (plausible(digits, plus, region, cue === true, e === groups.length - 1 && g === 0)) {
        ends.push(e);
        totals.push(digits);
      }
    }
    if (ends.length === 0) continue;
    const context = ctx();
    if (NOT_PHONE_CUE.test(context) || context.endsWith('第')) continue;
    for (let k = ends.length - 1; k >= 0; k--) {
      const e = ends[k]!;
      const last = groups[e]!;
      if (AFTER_NOT_PHONE.test(s.slice(last.b, last.b + 3))) continue;
      const d = totals[k]!;
      const r = phoneOf(plus ? '+' + d : d, region);
      if (!r.ok) continue;
      let a = plus ? plusAt : first.a;
      if (!plus && s[a - 1] === '(' && s[first.b] === ')') a--;
      for (let x = g; x <= e; x++) groups[x]!.used = true;
      c.add<PhoneIndicator>('phone', r.value, a, last.b, {
        country: r.country,
        lineType: r.lineType,
        ...(r.shortCode ? { shortCode: r.shortCode } : {}),
      });
      g = e;
      break;
    }
  }
}

/** Up to 16 folded characters before `a`. */
function before(s: string, a: number): string {
  return s.slice(Math.max(0, a - 16), a);
}

/** Index of a `+` right before `a` (spaces or `(` between allowed), or -1. */
function plusBefore(s: string, a: number): number {
  for (let k = a - 1; k >= 0 && k >= a - 3; k--) {
    const ch = s[k]!;
    if (ch === '+') return k;
    if (ch !== ' ' && ch !== '(') return -1;
  }
  return -1;
}

/**
 * Whether `d` has the shape of a phone number worth asking libphonenumber about. In CN: mobiles (11
 * digits from 13–19, or with 86 / 0086), landlines with the trunk 0 and area code, 400/800 numbers,
 * international numbers after `+` or `00`, and short service numbers: 95xxx/96xxx and the known 5-digit
 * ones bare (when they are the whole run), any known short code after a cue such as 拨打 or "call".
 * Bare 7–8 digit local numbers are not taken: they are too often something else.
 */
function plausible(d: string, plus: boolean, region: CountryCode, cue: boolean, wholeRun: boolean): boolean {
  const n = d.length;
  if (plus) return n >= 5 && n <= 15;
  if (d.startsWith('00')) return n >= 9 && n <= 17 && d[2] !== '0';
  if (region !== 'CN') return n >= 7 && n <= 15;
  if (d[0] === '0') return n >= 10 && n <= 12;
  if (n === 11) return d[0] === '1' && d[1]! >= '3';
  if (n === 13) return d.startsWith('861') && d[3]! >= '3';
  if (n === 10 && (d.startsWith('400') || d.startsWith('800'))) return true;
  if (n >= 3 && n <= 8 && lookupCnShortCode(d) !== undefined) {
    if (cue) return true;
    if (!wholeRun) return false;
    return CN_SHORT_CODES[d] !== undefined ? n >= 5 : n === 5;
  }
  return false;
}
