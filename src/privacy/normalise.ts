/**
 * Canonical forms of the identifiers persons hold. Kept minimal here; the shared normalisers
 * (src/core/normalize) take over when they land.
 */

/** E.164 (`+8613812345678`). Chinese 11-digit mobile and 13-digit IoT numbers get +86. Null if not a number. */
export function normaliseMsisdn(input: string): string | null {
  let s = input.normalize('NFKC').replace(/[\s().-]/g, '');
  if (s.startsWith('00')) s = `+${s.slice(2)}`;
  if (/^1\d{10}$/.test(s) || /^1\d{12}$/.test(s)) s = `+86${s}`;
  else if (/^86(1\d{10}|1\d{12})$/.test(s)) s = `+${s}`;
  return /^\+[1-9]\d{6,14}$/.test(s) ? s : null;
}

/** Upper case, no spaces or hyphens, 4–40 letters and digits. Null if not an account number. */
export function normaliseAccount(input: string): string | null {
  const s = input.normalize('NFKC').replace(/[\s-]/g, '').toUpperCase();
  return /^[A-Z0-9]{4,40}$/.test(s) ? s : null;
}
