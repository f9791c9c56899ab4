import crypto from 'node:crypto';

/**
 * Receipt codes: 12 Crockford base32 characters (60 random bits), shown as `XXXX-XXXX-XXXX`.
 * The code is the reporter's only key to the report (no account needed), so it is unguessable;
 * it is read case-insensitively with or without dashes, and O/I/L typed for 0/1/1 still work.
 */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

export function newReceiptCode(): string {
  const bytes = crypto.randomBytes(8);
  let v = bytes.readBigUInt64BE(0) >> 4n; // 60 bits
  let out = '';
  for (let i = 0; i < 12; i++) {
    out = ALPHABET[Number(v & 31n)]! + out;
    v >>= 5n;
  }
  return out;
}

/** The stored form of a code as typed, or null when it cannot be one. */
export function parseReceiptCode(typed: string): string | null {
  const s = typed.toUpperCase().replace(/[\s-]/g, '').replace(/O/g, '0').replace(/[IL]/g, '1');
  if (s.length !== 12) return null;
  for (const ch of s) if (!ALPHABET.includes(ch)) return null;
  return s;
}

export function formatReceiptCode(stored: string): string {
  return `${stored.slice(0, 4)}-${stored.slice(4, 8)}-${stored.slice(8, 12)}`;
}
