import { normalizePhone } from '../core/normalize/index.ts';

/** Canonical forms of the identifiers persons hold, on the shared normalisers. */

/** E.164 (`+8613812345678`) by the shared phone normaliser, IoT numbers included; null for anything else (short codes too). */
export function normaliseMsisdn(input: string): string | null {
  const r = normalizePhone(input);
  return r.ok && r.value.startsWith('+') ? r.value : null;
}

/** Upper case, no spaces or hyphens, 4–40 letters and digits. Null if not an account number. */
export function normaliseAccount(input: string): string | null {
  const s = input.normalize('NFKC').replace(/[\s-]/g, '').toUpperCase();
  return /^[A-Z0-9]{4,40}$/.test(s) ? s : null;
}
