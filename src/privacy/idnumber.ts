import { AppError } from '../core/errors.ts';

/**
 * Identity documents. The PRC resident identity number (GB 11643-1999) carries the region of
 * registration, the birth date and the sex:
 *
 *   RRRRRR YYYYMMDD SSS C    region (6) · birth date (8) · sequence (3, odd = male) · check (1)
 *
 * The check character is ISO 7064 MOD 11-2 over the first 17 digits (`X` stands for 10). The
 * 15-digit numbers issued before 1999 (RRRRRR YYMMDD SSS, born 19YY) are converted to 18.
 * Residence permits of Hong Kong, Macao and Taiwan residents (regions 81/82/83) use the same
 * format. Other documents are given as `type:value` (e.g. `passport:E12345678`) and carry no
 * birth date. Messages never repeat the number: they may reach logs.
 */

export const ID_TYPES = [
  'prc_resident',
  'passport',
  'hk_macao_permit',
  'taiwan_permit',
  'foreign_permanent_residence',
  'other',
] as const;
export type IdType = (typeof ID_TYPES)[number];

export type Sex = 'male' | 'female';

export interface IdentityDocument {
  type: IdType;
  /** Normalised: upper case, no spaces; PRC numbers always 18 characters. */
  value: string;
  /** `YYYY-MM-DD`, or null for documents that do not carry it. */
  birthDate: string | null;
  sex: Sex | null;
  /** First 6 digits of a PRC number: the administrative division of registration. */
  regionCode: string | null;
}

export interface PrcIdNumber extends IdentityDocument {
  type: 'prc_resident';
  birthDate: string;
  sex: Sex;
  regionCode: string;
}

export const invalidIdNumber = (why: string) =>
  new AppError(400, 'invalid_id_number', `the identity number ${why}`);

const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK_CHARS = '10X98765432';
/** Provinces and equivalents (first two digits); 81–83: residence permits of HK, Macao, Taiwan residents. */
const PROVINCES = new Set([
  '11', '12', '13', '14', '15', '21', '22', '23', '31', '32', '33', '34', '35', '36', '37', '41', '42', '43', '44', '45', '46',
  '50', '51', '52', '53', '54', '61', '62', '63', '64', '65', '71', '81', '82', '83',
]); // prettier-ignore
const EARLIEST_YEAR = 1890;

/** The ISO 7064 MOD 11-2 check character of the first 17 digits. */
export function prcCheckCharacter(first17: string): string {
  if (!/^\d{17}$/.test(first17)) throw new Error('the check character needs exactly 17 digits');
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * WEIGHTS[i]!;
  return CHECK_CHARS[sum % 11]!;
}

/** Converts a 15-digit number (pre-1999, born 19YY) to its 18-character form. */
export function convertLegacyIdNumber(id15: string): string {
  const s = clean(id15);
  if (!/^\d{15}$/.test(s)) throw invalidIdNumber('must have 15 digits to convert');
  const first17 = `${s.slice(0, 6)}19${s.slice(6)}`;
  return first17 + prcCheckCharacter(first17);
}

/**
 * Validates a PRC resident identity number (18 characters, or 15 digits converted to 18):
 * format, province, a real birth date not after `today`, and the check character.
 */
export function parsePrcIdNumber(input: string, today: Date = new Date()): PrcIdNumber {
  let s = clean(input);
  if (/^\d{15}$/.test(s)) s = convertLegacyIdNumber(s);
  if (!/^\d{17}[\dX]$/.test(s))
    throw invalidIdNumber('must have 18 characters (17 digits and a digit or X) or 15 digits');
  if (!PROVINCES.has(s.slice(0, 2))) throw invalidIdNumber('does not start with a known province code');
  const birthDate = `${s.slice(6, 10)}-${s.slice(10, 12)}-${s.slice(12, 14)}`;
  if (!isRealDate(birthDate)) throw invalidIdNumber('does not contain a valid birth date');
  if (Number(birthDate.slice(0, 4)) < EARLIEST_YEAR || birthDate > isoDate(today, 'Asia/Shanghai')) {
    throw invalidIdNumber('contains a birth date out of range');
  }
  if (prcCheckCharacter(s.slice(0, 17)) !== s[17]) throw invalidIdNumber('has a wrong check character');
  return {
    type: 'prc_resident',
    value: s,
    birthDate,
    sex: Number(s[16]) % 2 === 1 ? 'male' : 'female',
    regionCode: s.slice(0, 6),
  };
}

export function isValidPrcIdNumber(input: string, today?: Date): boolean {
  try {
    parsePrcIdNumber(input, today);
    return true;
  } catch {
    return false;
  }
}

/**
 * Any identity document: a bare number is a PRC resident identity number; otherwise
 * `type:value` with a type of ID_TYPES (or `type` given apart). Values of other documents are
 * upper-cased, stripped of spaces and must be 4–32 of A-Z 0-9 and `-`.
 */
export function parseIdentityDocument(
  input: string,
  opts: { type?: string; today?: Date } = {},
): IdentityDocument {
  let type = opts.type?.trim().toLowerCase();
  let value = input;
  const m = /^\s*([A-Za-z_]+)\s*:(.*)$/s.exec(input);
  if (m) {
    if (type && type !== m[1]!.toLowerCase()) throw invalidIdNumber('names two different document types');
    type = m[1]!.toLowerCase();
    value = m[2]!;
  }
  type ??= 'prc_resident';
  if (!(ID_TYPES as readonly string[]).includes(type)) {
    throw invalidIdNumber(`has an unknown document type; use one of ${ID_TYPES.join(', ')}`);
  }
  if (type === 'prc_resident') return parsePrcIdNumber(value, opts.today);
  const v = clean(value);
  if (!/^[A-Z0-9-]{4,32}$/.test(v)) throw invalidIdNumber('must be 4–32 letters, digits or -');
  return { type: type as IdType, value: v, birthDate: null, sex: null, regionCode: null };
}

/** Full years of age on a day (a 29 February birthday counts from 1 March in other years). */
export function ageOn(birthDate: string, on: Date | string = new Date(), timeZone = 'Asia/Shanghai'): number {
  if (!isRealDate(birthDate)) throw new Error('birthDate must be YYYY-MM-DD');
  const day = typeof on === 'string' ? on.slice(0, 10) : isoDate(on, timeZone);
  if (!isRealDate(day)) throw new Error('on must be a date or YYYY-MM-DD');
  let age = Number(day.slice(0, 4)) - Number(birthDate.slice(0, 4));
  if (day.slice(5) < birthDate.slice(5)) age--;
  return age;
}

/** NFKC (full-width digits), no whitespace, upper case. */
function clean(s: string): string {
  return s.normalize('NFKC').replace(/\s+/g, '').toUpperCase();
}

function isRealDate(ymd: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(ymd);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const dt = new Date(Date.UTC(y, mo - 1, d));
  return dt.getUTCFullYear() === y && dt.getUTCMonth() === mo - 1 && dt.getUTCDate() === d;
}

/** The calendar day of an instant in a time zone, as YYYY-MM-DD. */
export function isoDate(at: Date, timeZone: string): string {
  return new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(at);
}
