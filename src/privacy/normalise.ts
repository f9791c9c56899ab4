import { normalizePhone } from '../core/normalize/index.ts';

/** Canonical forms of the identifiers persons hold, on the shared normalisers. */

/** E.164 (`+8613812345678`) by the shared phone normaliser, IoT numbers included; null for anything else (short codes too). */
export function normaliseMsisdn(input: string): string | null {
  const r = normalizePhone(input);
  return r.ok && r.value.startsWith('+') ? r.value : null;
}

/**
 * Whether two written names are the same person's name as far as spelling goes: case, width and
 * spacing do not count (`zhang  wei` is `Zhang Wei`; `张 伟` is `张伟`).
 */
export function sameName(a: string, b: string): boolean {
  const norm = (s: string) => {
    const t = s.normalize('NFKC').trim().toLowerCase().replace(/\s+/g, ' ');
    return /[\u3400-\u9fff]/.test(t) ? t.replace(/\s/g, '') : t;
  };
  return norm(a) !== '' && norm(a) === norm(b);
}

/** Upper case, no spaces or hyphens, 4–40 letters and digits. Null if not an account number. */
export function normaliseAccount(input: string): string | null {
  const s = input.normalize('NFKC').replace(/[\s-]/g, '').toUpperCase();
  return /^[A-Z0-9]{4,40}$/.test(s) ? s : null;
}
