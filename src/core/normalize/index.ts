/**
 * The normalisation core: turns what people and systems write into canonical indicator values, keyed
 * by (kind, value) in the indicator registry. Pure functions, no I/O; failures are values, not throws.
 * Canonical forms are described in docs/normalisation.md.
 */
import type { CountryCode } from 'libphonenumber-js/max';
import {
  normalizeBankAccount,
  normalizeBankCard,
  normalizeInternetAccount,
  normalizePaymentAccount,
  type BankAccountResult,
  type BankCardResult,
  type InternetAccountResult,
  type InternetPlatform,
  type PaymentAccountResult,
} from './account.ts';
import { normalizeApp, normalizeImei, type AppResult, type ImeiResult } from './device.ts';
import { normalizeDomain, type DomainResult } from './domain.ts';
import { fail } from './errors.ts';
import { normalizeIp, type IpResult } from './ip.ts';
import { normalizePhone, type PhoneResult } from './phone.ts';
import { canonicalizeUrl, type CanonicalUrlResult } from './url.ts';

export * from './errors.ts';
export * from './phone.ts';
export * from './url.ts';
export * from './domain.ts';
export * from './ip.ts';
export * from './account.ts';
export * from './device.ts';

export const INDICATOR_KINDS = [
  'phone',
  'url',
  'domain',
  'ip',
  'bank_account',
  'payment_account',
  'internet_account',
  'device',
  'app',
] as const;

export type IndicatorKind = (typeof INDICATOR_KINDS)[number];

export function isIndicatorKind(s: string): s is IndicatorKind {
  return (INDICATOR_KINDS as readonly string[]).includes(s);
}

export interface NormalizeOptions {
  /** phone, payment_account, internet_account: region for numbers without a country code (default CN). */
  defaultRegion?: CountryCode;
  /** bank_account: the bank or institution. */
  institution?: string;
  /**
   * bank_account: `card` requires a valid card number (Luhn); `account` takes 8–30 digits as they are,
   * prefixed by the institution when given. Unset: a 12–19 digit Luhn-valid number is a card (its value
   * is the digits alone: card numbers are unique across banks), anything else an account.
   */
  accountType?: 'card' | 'account';
  /** payment_account: provider (alipay, wechatpay, …). */
  provider?: string;
  /** internet_account: platform (wechat, qq, telegram, …). */
  platform?: InternetPlatform | string;
}

export interface IndicatorResults {
  phone: PhoneResult;
  url: CanonicalUrlResult;
  domain: DomainResult;
  ip: IpResult;
  bank_account: BankCardResult | BankAccountResult;
  payment_account: PaymentAccountResult;
  internet_account: InternetAccountResult;
  device: ImeiResult;
  app: AppResult;
}

/**
 * Normalises `raw` as an indicator of `kind`. The `value` of a success is the canonical form the
 * registry keys on; an unknown kind gives `kind_unknown`.
 */
export function normalizeIndicator<K extends IndicatorKind>(
  kind: K,
  raw: string,
  opts?: NormalizeOptions,
): IndicatorResults[K];
export function normalizeIndicator(
  kind: IndicatorKind,
  raw: string,
  opts: NormalizeOptions = {},
): IndicatorResults[IndicatorKind] {
  switch (kind) {
    case 'phone':
      return normalizePhone(raw, opts);
    case 'url':
      return canonicalizeUrl(raw);
    case 'domain':
      return normalizeDomain(raw);
    case 'ip':
      return normalizeIp(raw);
    case 'bank_account':
      if (opts.accountType === 'card') return normalizeBankCard(raw);
      if (opts.accountType === undefined) {
        const card = normalizeBankCard(raw);
        if (card.ok) return card;
      }
      return normalizeBankAccount(raw, opts);
    case 'payment_account':
      return normalizePaymentAccount(raw, opts);
    case 'internet_account':
      return normalizeInternetAccount(raw, opts);
    case 'device':
      return normalizeImei(raw);
    case 'app':
      return normalizeApp(raw);
    default:
      return fail('kind_unknown');
  }
}
