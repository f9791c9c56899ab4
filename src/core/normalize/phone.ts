/**
 * Phone numbers → E.164 (`+8613800138000`), with country, line type and national format.
 *
 * Parsing and validation are libphonenumber-js's (the `max` metadata: the smaller sets carry no line
 * types for CN). Two things are ours: picking the number out of surrounding text, and CN short service
 * numbers (110, 95588, 10086, …), which libphonenumber does not classify; those get the canonical form
 * `short:CN:<digits>` and `lineType: 'SHORT_CODE'`.
 *
 * CN mobiles (the bulk of the traffic) skip the full parse: their validity and line type depend only on
 * the leading digits, so they are asked of libphonenumber once per 7-digit prefix and remembered.
 * test/core/normalize/phone.test.ts checks that the shortcut agrees with the full parse.
 */
import {
  findPhoneNumbersInText,
  parsePhoneNumberFromString,
  validatePhoneNumberLength,
  type CountryCode,
  type PhoneNumber,
  type PhoneNumberType,
} from 'libphonenumber-js/max';
import { fail, fullwidthToAscii, type NormalizeResult } from './errors.ts';

export type ShortCodeCategory =
  'emergency' | 'anti_fraud' | 'bank_hotline' | 'operator_hotline' | 'government' | 'service_hotline';

export interface ShortCodeInfo {
  readonly category: ShortCodeCategory;
  readonly name: string;
}

const sc = (category: ShortCodeCategory, name: string): ShortCodeInfo => Object.freeze({ category, name });

/**
 * CN short service numbers we recognise, dialled without area code. Any other `95` + 3–6 digits
 * (the national enterprise-hotline range) is accepted as `service_hotline`; any other short digit
 * string is not a phone number. Fraud calls and texts spoof these, so they are worth keying.
 */
export const CN_SHORT_CODES: Readonly<Record<string, ShortCodeInfo>> = Object.freeze({
  // Emergency
  '110': sc('emergency', 'police'),
  '119': sc('emergency', 'fire'),
  '120': sc('emergency', 'ambulance'),
  '122': sc('emergency', 'traffic police'),
  '112': sc('emergency', 'emergency (GSM)'),
  '999': sc('emergency', 'Red Cross ambulance (Beijing)'),
  '12110': sc('emergency', 'police by SMS'),
  '12119': sc('emergency', 'forest fire'),
  '12122': sc('emergency', 'highway rescue'),
  '12395': sc('emergency', 'maritime search and rescue'),
  // Anti-fraud
  '96110': sc('anti_fraud', 'anti-fraud warning and advice'),
  '12381': sc('anti_fraud', 'MIIT anti-fraud early-warning SMS'),
  '12321': sc('anti_fraud', 'spam and fraud reporting centre'),
  // Government
  '12345': sc('government', 'government service hotline'),
  '12315': sc('government', 'consumer complaints (market regulation)'),
  '12363': sc('government', 'PBOC financial consumer protection'),
  '12378': sc('government', 'banking and insurance consumer protection'),
  '12333': sc('government', 'human resources and social security'),
  '12366': sc('government', 'taxation'),
  '12348': sc('government', 'legal services'),
  '12369': sc('government', 'environmental protection'),
  '12320': sc('government', 'health'),
  '12355': sc('government', 'youth services'),
  '12338': sc('government', 'women’s rights'),
  '12388': sc('government', 'discipline inspection'),
  '12389': sc('government', 'police conduct complaints'),
  // Operators
  '10086': sc('operator_hotline', 'China Mobile'),
  '10010': sc('operator_hotline', 'China Unicom'),
  '10000': sc('operator_hotline', 'China Telecom'),
  '10099': sc('operator_hotline', 'China Broadnet'),
  '10001': sc('operator_hotline', 'China Telecom self-service'),
  '10011': sc('operator_hotline', 'China Unicom self-service'),
  '114': sc('operator_hotline', 'directory enquiries'),
  // Banks
  '95588': sc('bank_hotline', 'ICBC'),
  '95533': sc('bank_hotline', 'China Construction Bank'),
  '95599': sc('bank_hotline', 'Agricultural Bank of China'),
  '95566': sc('bank_hotline', 'Bank of China'),
  '95559': sc('bank_hotline', 'Bank of Communications'),
  '95555': sc('bank_hotline', 'China Merchants Bank'),
  '95580': sc('bank_hotline', 'Postal Savings Bank of China'),
  '95558': sc('bank_hotline', 'China CITIC Bank'),
  '95568': sc('bank_hotline', 'China Minsheng Bank'),
  '95595': sc('bank_hotline', 'China Everbright Bank'),
  '95528': sc('bank_hotline', 'Shanghai Pudong Development Bank'),
  '95561': sc('bank_hotline', 'Industrial Bank'),
  '95577': sc('bank_hotline', 'Hua Xia Bank'),
  '95508': sc('bank_hotline', 'China Guangfa Bank'),
  '95511': sc('bank_hotline', 'Ping An'),
  // Other enterprise and public-service hotlines
  '95598': sc('service_hotline', 'State Grid'),
  '95518': sc('service_hotline', 'PICC'),
  '95519': sc('service_hotline', 'China Life'),
  '95500': sc('service_hotline', 'China Pacific Insurance'),
  '12306': sc('service_hotline', 'China Railway'),
});

const CN_95_RANGE = sc('service_hotline', '95 enterprise hotline');

/** The CN short service number `digits`, or undefined. */
export function lookupCnShortCode(digits: string): ShortCodeInfo | undefined {
  const known = CN_SHORT_CODES[digits];
  if (known) return known;
  if (
    digits.length >= 5 &&
    digits.length <= 8 &&
    digits.charCodeAt(0) === 57 &&
    digits.charCodeAt(1) === 53
  ) {
    return /^95\d{3,6}$/.test(digits) ? CN_95_RANGE : undefined;
  }
  return undefined;
}

export type PhoneLineType = PhoneNumberType | 'SHORT_CODE' | 'IOT' | 'UNKNOWN';

/**
 * CN machine-to-machine (IoT) numbers: 13 digits in MIIT's 140/141/144/146/148 and 1064x blocks.
 * libphonenumber does not know them; operators' card files and CDRs carry them.
 */
const CN_IOT = /^(?:14[01468]\d{10}|1064\d{9})$/;

function cnIotNational(digits: string, plus: boolean, region: CountryCode): string | null {
  let n: string | null = null;
  if (plus) n = digits.startsWith('86') ? digits.slice(2) : null;
  else if (digits.startsWith('0086')) n = digits.slice(4);
  else if (digits.length === 15 && digits.startsWith('86')) n = digits.slice(2);
  else if (region === 'CN') n = digits;
  return n !== null && CN_IOT.test(n) ? n : null;
}

export interface PhoneFields {
  /** ISO 3166 region (`CN`, `US`), or `001` for non-geographic numbers such as +800. */
  readonly country: string;
  readonly lineType: PhoneLineType;
  /** The number's region differs from `defaultRegion`. */
  readonly foreign: boolean;
  /** National format, e.g. `138 0013 8000`, `010 1234 5678`; the bare digits for short codes. */
  readonly national: string;
  /** Present for short codes only. */
  readonly shortCode?: ShortCodeInfo;
}

export type PhoneResult = NormalizeResult<PhoneFields>;

export interface PhoneOptions {
  /** Region for numbers written without a country code. Default `CN`. */
  defaultRegion?: CountryCode;
}

const MAX_INPUT = 1024;
const BARE_NUMBER = /^\+?\d+$/;

/**
 * Normalises a phone number written in any common form, alone or inside text: `138-0013-8000`,
 * `+86 138 0013 8000`, `0086…`, `86…`, `(010)1234-5678`, `0755 8888 8888`, `+1 650 253 0000`,
 * `00 44 20 7946 0958`, full-width digits, "call 138-0013-8000 now". Returns E.164 in `value`, or for CN
 * short service numbers `short:CN:<digits>`.
 */
export function normalizePhone(raw: string, opts?: PhoneOptions): PhoneResult {
  if (typeof raw !== 'string' || raw.length === 0) return fail('input_empty');
  if (raw.length > MAX_INPUT) return fail('input_too_long');
  const region: CountryCode = opts?.defaultRegion ?? 'CN';
  const text = fullwidthToAscii(raw);
  const run = bestRun(text);
  if (run === null) return fail('phone_unparseable');
  const { candidate, digits, plus } = run;

  // CN short service numbers: bare in CN, or after an explicit +86 / 0086.
  if (digits.length <= 10) {
    let national: string | null = null;
    if (plus) national = digits.startsWith('86') ? digits.slice(2) : null;
    else if (region === 'CN') national = digits.startsWith('0086') ? digits.slice(4) : digits;
    if (national !== null) {
      const info = lookupCnShortCode(national);
      if (info) return shortCodeResult(national, info, region);
    }
  }

  const iot = digits.length >= 13 ? cnIotNational(digits, plus, region) : null;
  if (iot !== null) {
    return {
      ok: true,
      value: '+86' + iot,
      country: 'CN',
      lineType: 'IOT',
      foreign: region !== 'CN',
      national: iot,
    };
  }

  // The text is this one number and nothing else (no other digits a search could find).
  const alone = candidate.length === text.length || candidate === text.trim();
  const bare = alone && BARE_NUMBER.test(candidate);
  const national = cnMobileNational(digits, plus, region);
  if (national !== null) {
    const info = mobilePrefixInfo(national.slice(0, 7));
    if (info === INVALID_PREFIX) {
      if (alone) return fail('phone_invalid_for_region');
    } else if (info !== null) {
      return mobileResult(national, info, region);
    }
  }

  // Everything else takes a full libphonenumber parse (tens of µs): the results of recent texts
  // are kept, since traffic repeats numbers (premium-rate senders, landlines, foreign callers).
  const key = region + '\u0000' + text;
  const memo = fullParses.get(key);
  if (memo !== undefined) return memo;
  const r = fullParse(text, candidate, digits, plus, bare, region);
  if (fullParses.size >= FULL_PARSE_CACHE_MAX) fullParses.clear();
  fullParses.set(key, r);
  return r;
}

const FULL_PARSE_CACHE_MAX = 50_000;
const fullParses = new Map<string, PhoneResult>();

function fullParse(
  text: string,
  candidate: string,
  digits: string,
  plus: boolean,
  bare: boolean,
  region: CountryCode,
): PhoneResult {
  const parsed = parsePhoneNumberFromString(candidate, { defaultCountry: region, extract: false });
  if (parsed && parsed.isValid()) return fromParsed(parsed, region);

  // The best-looking run did not hold a valid number: let libphonenumber search the whole text
  // (it separates e.g. a date from a number that follows it, or two numbers written together).
  if (!bare) {
    for (const found of findPhoneNumbersInText(text, { defaultCountry: region })) {
      if (found.number.isValid()) return fromParsed(found.number, region);
    }
  }
  return explainInvalid(candidate, digits, plus, region, parsed !== undefined);
}

/** True if `s` is exactly the E.164 form of a valid (non-short) number, e.g. `+8613800138000`. */
export function isValidE164(s: string): boolean {
  if (typeof s !== 'string' || !/^\+[1-9]\d{6,14}$/.test(s)) return false;
  const r = normalizePhone(s);
  return r.ok && r.value === s;
}

interface Run {
  candidate: string;
  digits: string;
  plus: boolean;
}

/** Digits, the separators people put in numbers (spaces, tab, + ( ) - . /) and their Unicode variants. */
function isRunChar(c: number): boolean {
  if (c < 0x80) {
    return (
      (c >= 48 && c <= 57) || c === 32 || c === 9 || c === 43 || c === 40 || c === 41 || (c >= 45 && c <= 47)
    );
  }
  // no-break and thin spaces, hyphens and dashes, minus sign
  return (
    c === 0xa0 || (c >= 0x2000 && c <= 0x200a) || (c >= 0x2010 && c <= 0x2015) || c === 0x202f || c === 0x2212
  );
}

/** The stretch of number-like characters with the most digits (the first, on a tie). */
function bestRun(text: string): Run | null {
  let best: Run | null = null;
  let bestCount = 0;
  let i = 0;
  const n = text.length;
  while (i < n) {
    if (!isRunChar(text.charCodeAt(i))) {
      i++;
      continue;
    }
    const start = i;
    let digits = '';
    while (i < n && isRunChar(text.charCodeAt(i))) {
      const c = text.charCodeAt(i);
      if (c >= 48 && c <= 57) digits += text[i];
      i++;
    }
    if (digits.length > bestCount) {
      const candidate = text.slice(start, i).trim();
      const firstDigit = candidate.search(/\d/);
      bestCount = digits.length;
      best = { candidate, digits, plus: candidate.slice(0, firstDigit).includes('+') };
    }
  }
  return best;
}

function shortCodeResult(digits: string, info: ShortCodeInfo, region: CountryCode): PhoneResult {
  return {
    ok: true,
    value: `short:CN:${digits}`,
    country: 'CN',
    lineType: 'SHORT_CODE',
    foreign: region !== 'CN',
    national: digits,
    shortCode: info,
  };
}

function fromParsed(p: PhoneNumber, region: CountryCode): PhoneResult {
  const country = p.country ?? '001';
  return {
    ok: true,
    value: p.number,
    country,
    lineType: p.getType() ?? 'UNKNOWN',
    foreign: country !== region,
    national: p.formatNational(),
  };
}

function explainInvalid(
  candidate: string,
  digits: string,
  plus: boolean,
  region: CountryCode,
  parsed: boolean,
): PhoneResult {
  // CN mobiles have exactly 11 digits; libphonenumber only says "invalid" for 10 or 12.
  const cnNational = plus
    ? digits.startsWith('86')
      ? digits.slice(2)
      : null
    : region === 'CN'
      ? digits
      : null;
  if (cnNational !== null && /^1[3-9]/.test(cnNational)) {
    if (cnNational.length < 11) return fail('phone_too_short');
    if (cnNational.length > 11 && cnNational.length < 14) return fail('phone_too_long');
  }
  switch (validatePhoneNumberLength(candidate, { defaultCountry: region })) {
    case 'TOO_SHORT':
      return fail('phone_too_short');
    case 'TOO_LONG':
      return fail('phone_too_long');
    case 'INVALID_LENGTH':
      return fail('phone_invalid_length');
    case 'INVALID_COUNTRY':
      return fail('phone_invalid_country');
    case 'NOT_A_NUMBER':
      return digits.length < 3 ? fail('phone_too_short') : fail('phone_unparseable');
    default:
      if (digits.length > 17) return fail('phone_too_long');
      return parsed ? fail('phone_invalid_for_region') : fail('phone_unparseable');
  }
}

// --- CN mobile shortcut -------------------------------------------------------------------------

interface MobilePrefix {
  lineType: PhoneLineType;
  /** Digit-group lengths of the national format, e.g. [3, 4, 4]. */
  groups: number[];
}

/** Both samples of the prefix are invalid numbers. */
const INVALID_PREFIX = 'invalid';
/** Every CN mobile 7-digit block (13x–19x: 700,000) fits, so real traffic never empties the cache. */
const MOBILE_PREFIX_CACHE_MAX = 700_000;
const mobilePrefixes = new Map<string, MobilePrefix | typeof INVALID_PREFIX | null>();

/** The CN national number if `digits` is a CN mobile in one of the plain forms, else null. */
function cnMobileNational(digits: string, plus: boolean, region: CountryCode): string | null {
  let national: string;
  if (plus) {
    if (digits.length !== 13 || !digits.startsWith('86')) return null;
    national = digits.slice(2);
  } else if (region !== 'CN') {
    return null;
  } else if (digits.length === 11) {
    national = digits;
  } else if (digits.length === 13 && digits.startsWith('86')) {
    national = digits.slice(2);
  } else if (digits.length === 15 && digits.startsWith('0086')) {
    national = digits.slice(4);
  } else {
    return null;
  }
  const c1 = national.charCodeAt(1);
  return national.charCodeAt(0) === 49 && c1 >= 51 && c1 <= 57 ? national : null;
}

function mobileResult(national: string, info: MobilePrefix, region: CountryCode): PhoneResult {
  let formatted = '';
  let at = 0;
  for (const g of info.groups) {
    if (at > 0) formatted += ' ';
    formatted += national.slice(at, at + g);
    at += g;
  }
  return {
    ok: true,
    value: '+86' + national,
    country: 'CN',
    lineType: info.lineType,
    foreign: region !== 'CN',
    national: formatted,
  };
}

/**
 * What libphonenumber says about CN mobiles starting with `prefix7`: their line type and format,
 * INVALID_PREFIX, or null for "use the full parse". Two samples with different tails are asked; if they
 * disagree, the prefix alone does not decide.
 */
function mobilePrefixInfo(prefix7: string): MobilePrefix | typeof INVALID_PREFIX | null {
  const cached = mobilePrefixes.get(prefix7);
  if (cached !== undefined) return cached;
  let info: MobilePrefix | typeof INVALID_PREFIX | null = null;
  const a = parsePhoneNumberFromString('+86' + prefix7 + '0000', { extract: false });
  const b = parsePhoneNumberFromString('+86' + prefix7 + '9999', { extract: false });
  if (a && b && !a.isValid() && !b.isValid()) {
    info = INVALID_PREFIX;
  } else if (a && b && a.isValid() && b.isValid() && a.country === 'CN' && b.country === 'CN') {
    const ta = a.getType();
    const na = a.formatNational();
    const groups = na.split(' ').map((g) => g.length);
    if (
      ta !== undefined &&
      ta === b.getType() &&
      /^\d+( \d+)*$/.test(na) &&
      na.replace(/ /g, '') === a.nationalNumber &&
      b.formatNational().replace(/\d/g, '0') === na.replace(/\d/g, '0')
    ) {
      info = { lineType: ta, groups };
    }
  }
  if (mobilePrefixes.size >= MOBILE_PREFIX_CACHE_MAX) mobilePrefixes.clear();
  mobilePrefixes.set(prefix7, info);
  return info;
}
