import { canonicalizeUrl, luhnValid, normalizePhone, type IndicatorKind } from '../core/normalize/index.ts';

/** What a bare argument most likely is: a link, a number, or an account. */
export function guessKind(value: string): IndicatorKind {
  const v = value.trim();
  if (/^[a-z]+:\/\//i.test(v) || /^[^\s/]+\.[a-z]{2,}(\/|$)/i.test(v)) {
    return canonicalizeUrl(v).ok ? 'url' : 'domain';
  }
  const digits = v.replace(/[\s-]/g, '');
  if (/^\d{15,19}$/.test(digits) && luhnValid(digits)) return 'bank_account';
  if (normalizePhone(v).ok) return 'phone';
  if (/^[a-z]+:/i.test(v)) return 'internet_account';
  return 'phone';
}
