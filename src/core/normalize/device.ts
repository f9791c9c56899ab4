/**
 * Devices and apps. A device is its IMEI, canonically the 15 digits with a correct check digit
 * (`490154203237518`). An app is its package name (`pkg:com.example.app`) or the SHA-256 of its
 * package file (`sha256:` + 64 lowercase hex).
 */
import { fail, fullwidthToAscii, type NormalizeResult } from './errors.ts';

export interface ImeiFields {
  /** Type Allocation Code: the first 8 digits (make and model). */
  readonly tac: string;
  /** The check digit was computed here (14-digit input, or IMEISV). */
  readonly checkDigitComputed: boolean;
  /** Software version number, when the input was a 16-digit IMEISV. */
  readonly svn?: string;
}

export type ImeiResult = NormalizeResult<ImeiFields>;

/** The Luhn check digit for a 14-digit IMEI body. */
export function imeiCheckDigit(body: string): number {
  let sum = 0;
  for (let i = 0; i < body.length; i++) {
    let d = body.charCodeAt(i) - 48;
    // Counting from the right of the full 15 digits, every second digit is doubled: here the odd indexes.
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return (10 - (sum % 10)) % 10;
}

/**
 * An IMEI: 15 digits with a valid check digit, or 14 digits (the check digit is added), or a 16-digit
 * IMEISV (the 2-digit software version is dropped and the check digit computed). Spaces, dashes, `/`
 * and a leading `IMEI:` label are ignored. Placeholder IMEIs (one digit repeated) are refused.
 */
export function normalizeImei(raw: string): ImeiResult {
  if (typeof raw !== 'string' || raw.trim().length === 0) return fail('input_empty');
  if (raw.length > 64) return fail('input_too_long');
  const s = fullwidthToAscii(raw)
    .trim()
    .replace(/^imei(?:sv)?\s*(?:no\.?|number|号|码)?\s*[:#=]?\s*/i, '')
    .replace(/[\s\-/.]/g, '');
  if (!/^\d+$/.test(s)) return fail('imei_invalid_chars');
  if (s.length < 14 || s.length > 16) return fail('imei_bad_length');
  const body = s.slice(0, 14);
  if (/^(\d)\1*$/.test(body)) return fail('imei_placeholder');
  const check = imeiCheckDigit(body);
  if (s.length === 15 && s.charCodeAt(14) - 48 !== check) return fail('imei_check_digit');
  const value = body + String(check);
  const tac = body.slice(0, 8);
  if (s.length === 16) return { ok: true, value, tac, checkDigitComputed: true, svn: s.slice(14) };
  return { ok: true, value, tac, checkDigitComputed: s.length === 14 };
}

export interface AppFields {
  readonly form: 'package' | 'sha256';
  /** The package name or the hash, without the prefix. */
  readonly id: string;
}

export type AppResult = NormalizeResult<AppFields>;

const PACKAGE = /^[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)+$/;
const STORE_LINK =
  /^(?:https?:\/\/play\.google\.com\/store\/apps\/details|market:\/\/details)\?(?:.*&)?id=([^&#\s]+)/i;

/**
 * An app: an Android-style package name (two or more dot-separated segments of letters, digits and `_`,
 * each starting with a letter; lowercased) → `pkg:com.example.app`, or a SHA-256 hash (64 hex, `:` or
 * spaces between bytes allowed) → `sha256:<64 lowercase hex>`. Accepts `pkg:`/`package:`/`sha256:`
 * prefixes and Google Play links. MD5 and SHA-1 hashes are refused (`app_unsupported_hash`).
 */
export function normalizeApp(raw: string): AppResult {
  if (typeof raw !== 'string' || raw.trim().length === 0) return fail('input_empty');
  if (raw.length > 512) return fail('input_too_long');
  let s = fullwidthToAscii(raw).trim();
  const link = STORE_LINK.exec(s);
  if (link) s = decodeURIComponentSafe(link[1]!);
  let wanted: 'package' | 'sha256' | null = null;
  const prefix = /^(pkg|package|sha-?256)\s*:\s*/i.exec(s);
  if (prefix) {
    wanted =
      prefix[1]!.toLowerCase() === 'pkg' || prefix[1]!.toLowerCase() === 'package' ? 'package' : 'sha256';
    s = s.slice(prefix[0].length);
  }
  if (wanted !== 'package') {
    const hex = /^[0-9a-f]{2}(?:[: ]?[0-9a-f]{2})*$/i.test(s) ? s.replace(/[: ]/g, '').toLowerCase() : null;
    if (hex !== null && hex.length === 64)
      return { ok: true, value: `sha256:${hex}`, form: 'sha256', id: hex };
    if (hex !== null && (hex.length === 32 || hex.length === 40) && wanted === null) {
      return fail('app_unsupported_hash');
    }
    if (wanted === 'sha256') return fail('app_invalid');
  }
  const pkg = s.toLowerCase();
  if (pkg.length <= 255 && PACKAGE.test(pkg))
    return { ok: true, value: `pkg:${pkg}`, form: 'package', id: pkg };
  return fail('app_invalid');
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
