/**
 * Result types, stable error codes and the one text helper every normaliser shares.
 *
 * Normalisers run on the decision engine's hot path, so they return a discriminated union instead of
 * throwing, and a failure is a frozen singleton per code: failing allocates nothing.
 */

/** Every `code` a normaliser can return, with the English `reason` that goes with it. */
export const NORMALIZE_ERRORS = {
  input_empty: 'the value is empty or not a string',
  input_too_long: 'the value is longer than any indicator of this kind can be',
  kind_unknown: 'unknown indicator kind',

  phone_unparseable: 'no phone number found in the text',
  phone_too_short: 'too few digits for a phone number',
  phone_too_long: 'too many digits for a phone number',
  phone_invalid_length: 'the number of digits does not fit this country',
  phone_invalid_country: 'the country calling code does not exist',
  phone_invalid_for_region: 'not a valid number in its country (no such number range)',

  url_unparseable: 'the text is not a URL',
  url_too_long: 'the URL is longer than 16384 characters',
  url_bad_scheme: 'only http and https URLs are accepted',
  url_no_host: 'the URL has no host',
  url_bad_host: 'the URL host is not a valid host name or IP address',
  url_bad_port: 'the URL port is not a number from 0 to 65535',

  domain_invalid: 'not a valid domain name',
  domain_is_ip: 'an IP address, not a domain name',
  domain_no_registrable: 'the name is a public suffix or a single label and has no registrable domain',
  domain_unknown_suffix: 'the name does not end in a known public suffix',

  ip_invalid: 'not a valid IPv4 or IPv6 address',
  ip_zone_id: 'IPv6 zone identifiers (%eth0) are local and not accepted',

  card_invalid_chars: 'a card number may contain only digits, spaces and dashes',
  card_bad_length: 'a card number has 12 to 19 digits',
  card_luhn_failed: 'the card number fails the Luhn check digit',

  bank_account_invalid_chars: 'a bank account number may contain only digits, spaces and dashes',
  bank_account_bad_length: 'a bank account number has 8 to 30 digits',
  bank_account_bad_institution: 'the institution name is empty or contains ":"',

  payment_unknown_provider: 'no or unknown payment provider',
  payment_provider_mismatch: 'the text names a different payment provider from the one given',
  payment_bad_id: 'the payment account is not a phone number, e-mail address or provider account id',

  internet_unknown_platform: 'no or unknown platform',
  internet_platform_mismatch: 'the text names a different platform from the one given',
  internet_bad_id: 'the account id does not follow the platform’s rules',

  imei_invalid_chars: 'an IMEI contains only digits',
  imei_bad_length: 'an IMEI has 14, 15 or 16 (IMEISV) digits',
  imei_check_digit: 'the IMEI check digit is wrong',
  imei_placeholder: 'a placeholder IMEI (all digits the same)',

  app_invalid: 'not an application package name or SHA-256 hash',
  app_unsupported_hash: 'only SHA-256 application hashes are accepted (this looks like MD5 or SHA-1)',
} as const;

export type NormalizeErrorCode = keyof typeof NORMALIZE_ERRORS;

export interface NormalizeFailure {
  readonly ok: false;
  readonly code: NormalizeErrorCode;
  readonly reason: string;
}

/** A successful normalisation: the canonical `value` plus kind-specific fields. */
export type NormalizeSuccess<Extra extends object = object> = {
  readonly ok: true;
  readonly value: string;
} & Extra;

export type NormalizeResult<Extra extends object = object> = NormalizeSuccess<Extra> | NormalizeFailure;

const FAILURES = Object.fromEntries(
  Object.entries(NORMALIZE_ERRORS).map(([code, reason]) => [
    code,
    Object.freeze({ ok: false, code, reason }),
  ]),
) as unknown as Record<NormalizeErrorCode, NormalizeFailure>;

/** The (shared, frozen) failure for `code`. */
export function fail(code: NormalizeErrorCode): NormalizeFailure {
  return FAILURES[code];
}

const WIDE = /[\u3000\u3002\uff01-\uff5e\uff61]/;

/**
 * Folds full-width ASCII variants (U+FF01–U+FF5E: `０-９`, `Ａ-Ｚ`, `＋`, `：`, `／`, `＠`, …) to ASCII and
 * the ideographic space U+3000 to a space. With `dots`, also the ideographic full stops `。` (U+3002) and
 * `｡` (U+FF61) to `.`, as people write them in domain names. Always maps one UTF-16 unit to one, so
 * indexes into the result are indexes into the input. Returns the input itself when nothing changes.
 */
export function fullwidthToAscii(s: string, opts?: { dots?: boolean }): string {
  if (!WIDE.test(s)) return s;
  const dots = opts?.dots === true;
  let out = '';
  let from = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let r = -1;
    if (c >= 0xff01 && c <= 0xff5e) r = c - 0xfee0;
    else if (c === 0x3000) r = 0x20;
    else if (dots && (c === 0x3002 || c === 0xff61)) r = 0x2e;
    if (r >= 0) {
      out += s.slice(from, i) + String.fromCharCode(r);
      from = i + 1;
    }
  }
  return from === 0 ? s : out + s.slice(from);
}
