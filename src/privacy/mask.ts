import { parsePhoneNumberFromString } from 'libphonenumber-js';

/**
 * Masked forms of personal data, shown wherever the reader's role and purpose do not need the
 * clear value (docs/privacy.md, "Masking"). One `*` per hidden character.
 */

const HAN = /\p{Script=Han}/u;

/**
 * Names keep their first character: `张三` → `张*`, `欧阳娜娜` → `欧***`. Names without Chinese
 * characters keep the first letter of each word: `John Smith` → `J*** S****`.
 */
export function maskName(name: string): string {
  const n = name.trim();
  if (!n) return '';
  if (HAN.test(n)) {
    const chars = [...n.replace(/\s+/g, '')];
    return chars.length === 1 ? '*' : chars[0] + '*'.repeat(chars.length - 1);
  }
  return n
    .split(/\s+/)
    .map((w) => {
      const chars = [...w];
      return chars.length === 1 ? '*' : chars[0] + '*'.repeat(chars.length - 1);
    })
    .join(' ');
}

/**
 * Identity numbers keep the first 3 and last 4 characters (`110***********1234`); shorter
 * documents (passports…, under 14 characters) keep the last 2 only, so most stays hidden.
 */
export function maskIdNumber(value: string): string {
  const chars = [...value];
  if (chars.length >= 14) return keepEdges(chars, 3, 4);
  if (chars.length > 4) return keepEdges(chars, 0, 2);
  return '*'.repeat(chars.length);
}

/**
 * Phone numbers keep the country code, then the first 3 and last 4 digits of the national
 * number: `+8613812345678` → `+86 138****5678`.
 */
export function maskPhone(e164: string): string {
  const p = e164.startsWith('+') ? parsePhoneNumberFromString(e164) : undefined;
  if (p && p.nationalNumber.length >= 8) {
    return `+${p.countryCallingCode} ${keepEdges([...p.nationalNumber], 3, 4)}`;
  }
  const chars = [...e164];
  return chars.length >= 8 ? keepEdges(chars, 3, 4) : keepEdges(chars, 0, Math.min(2, chars.length - 1));
}

/** Account numbers keep the last 4 characters: `6222021234567890123` → `***************0123`. */
export function maskAccount(account: string): string {
  const chars = [...account];
  return chars.length > 6 ? keepEdges(chars, 0, 4) : keepEdges(chars, 0, Math.min(2, chars.length - 1));
}

function keepEdges(chars: string[], head: number, tail: number): string {
  tail = Math.max(0, tail);
  if (chars.length <= head + tail) return '*'.repeat(chars.length);
  return (
    chars.slice(0, head).join('') +
    '*'.repeat(chars.length - head - tail) +
    chars.slice(chars.length - tail).join('')
  );
}
