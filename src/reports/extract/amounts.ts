/**
 * Money amounts in folded text: `5000元`, `¥5,000`, `5万`, `3.5万元`, `五万元`, `RMB 2000`, `$300`,
 * `USD 1,200.50`, `£100`, `HK$80`, `100 euros`. The amount is an exact decimal string (no floats).
 */
import type { AmountIndicator, Collector, Currency } from './types.ts';

const NUM = '(\\d{1,3}(?:,\\d{3})+(?:\\.\\d{1,4})?|\\d{1,15}(?:\\.\\d{1,4})?)(?![\\d,.]\\d)';
const MULT = '(百万|千万|万|亿|千|[kw](?![a-z]))';
const PREFIX = '(HK\\$|US\\$|RMB|CNY|USD|GBP|EUR|HKD|人民币|港币|港元|美元|[¥$£€])';
const UNIT =
  '(元整|元|块钱|块|人民币|美元|美金|英镑|欧元|港币|港元|RMB|CNY|USD|GBP|EUR|HKD|yuan|dollars?|bucks|pounds?|euros?)';
/** Words that make `5万` a count, not money: 5万人, 3万次, 10万公里. */
const COUNTED = '(?!人|个|次|条|名|户|字|件|份|步|粉|公里|米|册|套|台|辆|张|平|股|吨|斤|头|只|家|位|多人)';
const CN_DIGITS = '零〇一二两三四五六七八九';
const CN_NUM = `([一二两三四五六七八九十][${CN_DIGITS}十百千万亿]{0,15}(?:点[${CN_DIGITS}]{1,4})?)`;

const AMOUNT_RE = new RegExp(
  [
    // 1 prefix currency, 2 number, 3 multiplier, 4 optional unit after
    `(?<![a-z])${PREFIX}[ \\t]{0,2}${NUM}[ \\t]?${MULT}?(?:[ \\t]?${UNIT})?`,
    // 5 number, 6 multiplier, 7 unit
    `(?<![\\d.,])${NUM}[ \\t]{0,2}${MULT}?[ \\t]{0,2}${UNIT}(?![a-z])`,
    // 8 number, 9 万/亿 alone
    `(?<![\\d.,])${NUM}(万|亿)${COUNTED}`,
    // 10 Chinese numeral, 11 unit (optional: then the numeral must end in 万 or 亿)
    `(?<![${CN_DIGITS}十百千万亿])${CN_NUM}(元整|元|块钱|块|美元|美金|英镑|欧元|港币|港元)?${COUNTED}`,
  ].join('|'),
  'gi',
);

const CURRENCY: Readonly<Record<string, Currency>> = {
  '¥': 'CNY',
  rmb: 'CNY',
  cny: 'CNY',
  人民币: 'CNY',
  元: 'CNY',
  元整: 'CNY',
  块: 'CNY',
  块钱: 'CNY',
  yuan: 'CNY',
  $: 'USD',
  us$: 'USD',
  usd: 'USD',
  美元: 'USD',
  美金: 'USD',
  dollar: 'USD',
  dollars: 'USD',
  bucks: 'USD',
  '£': 'GBP',
  gbp: 'GBP',
  英镑: 'GBP',
  pound: 'GBP',
  pounds: 'GBP',
  '€': 'EUR',
  eur: 'EUR',
  欧元: 'EUR',
  euro: 'EUR',
  euros: 'EUR',
  hk$: 'HKD',
  hkd: 'HKD',
  港币: 'HKD',
  港元: 'HKD',
};

const MULTIPLIER: Readonly<Record<string, number>> = {
  千: 3,
  k: 3,
  万: 4,
  w: 4,
  百万: 6,
  千万: 7,
  亿: 8,
};

export function extractAmounts(c: Collector): void {
  const s = c.folded.s;
  AMOUNT_RE.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = AMOUNT_RE.exec(s)) !== null) {
    const a = m.index;
    const b = a + m[0].length;
    if (c.isTaken(a, b)) continue;
    let currency: Currency | undefined;
    let amount: string | null = null;
    if (m[1] !== undefined) {
      currency = CURRENCY[m[1].toLowerCase()];
      const unit = m[4] === undefined ? undefined : CURRENCY[m[4].toLowerCase()];
      if (unit !== undefined && unit !== currency && !(m[1] === '$' && unit === 'HKD')) continue;
      amount = scale(m[2]!, m[3]);
    } else if (m[5] !== undefined) {
      currency = CURRENCY[m[7]!.toLowerCase()];
      amount = scale(m[5], m[6]);
    } else if (m[8] !== undefined) {
      currency = 'CNY';
      amount = scale(m[8], m[9]);
    } else if (m[10] !== undefined) {
      const cn = m[10];
      if (m[11] === undefined && !/[万亿]$/.test(cn)) continue;
      currency = m[11] === undefined ? 'CNY' : CURRENCY[m[11]];
      amount = chineseNumber(cn);
    }
    if (currency === undefined || amount === null) continue;
    c.take(a, b);
    c.add<AmountIndicator>('amount', `${currency}:${amount}`, a, b, { amount, currency });
  }
}

/** `1,200.50` × 10^k (k from the multiplier) as a plain decimal string. */
function scale(num: string, mult: string | undefined): string | null {
  const k = mult === undefined ? 0 : (MULTIPLIER[mult.toLowerCase()] ?? 0);
  const plain = num.replace(/,/g, '');
  const dot = plain.indexOf('.');
  let int = dot === -1 ? plain : plain.slice(0, dot);
  let frac = dot === -1 ? '' : plain.slice(dot + 1);
  if (k > 0) {
    frac = frac.padEnd(k, '0');
    int += frac.slice(0, k);
    frac = frac.slice(k);
  }
  return tidy(int, frac);
}

function tidy(int: string, frac: string): string | null {
  const i = int.replace(/^0+(?=\d)/, '');
  const f = frac.replace(/0+$/, '');
  const out = f === '' ? i : `${i}.${f}`;
  return out === '0' ? null : out;
}

const CN_DIGIT: Readonly<Record<string, number>> = {
  零: 0,
  〇: 0,
  一: 1,
  二: 2,
  两: 2,
  三: 3,
  四: 4,
  五: 5,
  六: 6,
  七: 7,
  八: 8,
  九: 9,
};
const CN_SMALL_UNIT: Readonly<Record<string, number>> = { 十: 10, 百: 100, 千: 1000 };

/**
 * A Chinese numeral (`五万`, `三千五百`, `一万五千`, `十二万`, `一万五` = 15000, `三点五万` = 35000) as a
 * decimal string, or null when it does not read as a number.
 */
export function chineseNumber(s: string): string | null {
  let intPart = s;
  let fracDigits = '';
  const p = s.indexOf('点');
  if (p !== -1) {
    intPart = s.slice(0, p);
    const rest = s.slice(p + 1);
    let i = 0;
    while (i < rest.length && CN_DIGIT[rest[i]!] !== undefined) fracDigits += String(CN_DIGIT[rest[i++]!]);
    // 三点五万: the big unit applies to the whole number.
    const bigUnit = rest.slice(i);
    if (bigUnit !== '' && bigUnit !== '万' && bigUnit !== '亿') return null;
    const whole = parseCnInt(intPart);
    if (whole === null) return null;
    const k = bigUnit === '万' ? 4 : bigUnit === '亿' ? 8 : 0;
    let frac = fracDigits.padEnd(k, '0');
    const int = (whole === 0n ? '' : whole.toString()) + frac.slice(0, k);
    frac = frac.slice(k);
    return tidy(int === '' ? '0' : int, frac);
  }
  const v = parseCnInt(intPart);
  return v === null || v === 0n ? null : v.toString();
}

/** Integer Chinese numeral with 十百千万亿 units; colloquial `一万五` (= 15000) and `三百二` allowed. */
function parseCnInt(s: string): bigint | null {
  if (s === '') return null;
  let total = 0n; // finished 亿 sections
  let section = 0n; // finished 万 section
  let small = 0n; // below 万
  let digit: bigint | null = null;
  let lastUnit = 0n; // value of the last unit seen, for colloquial trailing digits
  let zeroSeen = false;
  for (const ch of s) {
    const d = CN_DIGIT[ch];
    if (d !== undefined) {
      if (digit !== null && d !== 0) return null; // two digits in a row: not a numeral
      if (d === 0) zeroSeen = true;
      else digit = BigInt(d);
      continue;
    }
    const u = CN_SMALL_UNIT[ch];
    if (u !== undefined) {
      small += (digit ?? (u === 10 ? 1n : null) ?? 0n) * BigInt(u);
      if (digit === null && u !== 10) return null;
      digit = null;
      zeroSeen = false;
      lastUnit = BigInt(u);
      continue;
    }
    if (ch === '万') {
      section += (small + (digit ?? 0n)) * 10000n;
      small = 0n;
      digit = null;
      zeroSeen = false;
      lastUnit = 10000n;
      continue;
    }
    if (ch === '亿') {
      total += (section + small + (digit ?? 0n)) * 100000000n;
      section = 0n;
      small = 0n;
      digit = null;
      zeroSeen = false;
      lastUnit = 100000000n;
      continue;
    }
    return null;
  }
  if (digit !== null) {
    // 一万五 → 15000, 三百二 → 320 (a trailing digit right after a unit counts one unit down), 一万零五 → 10005.
    small += !zeroSeen && lastUnit >= 100n ? digit * (lastUnit / 10n) : digit;
  }
  return total + section + small;
}
