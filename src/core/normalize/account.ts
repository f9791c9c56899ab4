/**
 * Accounts: bank cards, other bank accounts, payment accounts (Alipay, WeChat Pay, …) and internet
 * accounts (WeChat, QQ, Telegram, …). Canonical values:
 *
 * - bank card: the digits (`6222021234567890128`); Luhn must pass.
 * - bank account (not a card): the digits, or `institution:digits` when the institution is known
 *   (`icbc:0200001234567890`); known Chinese bank names map to short codes (工商银行 → icbc).
 * - payment account: `provider:id`, id being E.164 for a phone, lowercase for an e-mail address, else
 *   the provider's account id (`alipay:+8613800138000`, `alipay:2088102122524333`).
 * - internet account: `platform:id` (`wechat:abc_123`, `qq:12345678`, `telegram:durov`,
 *   `whatsapp:+8613800138000`).
 */
import { domainToASCII } from 'node:url';
import { fail, fullwidthToAscii, type NormalizeResult } from './errors.ts';
import { normalizePhone } from './phone.ts';
import type { CountryCode } from 'libphonenumber-js/max';

/** Luhn (mod 10) check over a string of ASCII digits. */
export function luhnValid(digits: string): boolean {
  const n = digits.length;
  if (n < 2) return false;
  let sum = 0;
  let double = false;
  for (let i = n - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return false;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

const SEPARATORS = /[\s\-‐‑‒–—]/g;

/** Digits of `raw` once full-width is folded and spaces and dashes removed; null if anything else remains. */
function digitsOf(raw: string): string | null {
  const s = fullwidthToAscii(raw).replace(SEPARATORS, '');
  return /^\d+$/.test(s) ? s : null;
}

// --- Bank cards and accounts --------------------------------------------------------------------

export interface BankCardFields {
  /** Issuer identification: the first 6 digits. */
  readonly bin: string;
  readonly last4: string;
}

export type BankCardResult = NormalizeResult<BankCardFields>;

/** A payment card number: 12–19 digits passing Luhn. `value` is the digits. */
export function normalizeBankCard(raw: string): BankCardResult {
  if (typeof raw !== 'string' || raw.trim().length === 0) return fail('input_empty');
  if (raw.length > 64) return fail('input_too_long');
  const digits = digitsOf(raw);
  if (digits === null) return fail('card_invalid_chars');
  if (digits.length < 12 || digits.length > 19) return fail('card_bad_length');
  if (!luhnValid(digits)) return fail('card_luhn_failed');
  return { ok: true, value: digits, bin: digits.slice(0, 6), last4: digits.slice(-4) };
}

export interface BankAccountFields {
  readonly digits: string;
  /** Normalised institution code or name, or null. */
  readonly institution: string | null;
}

export type BankAccountResult = NormalizeResult<BankAccountFields>;

export interface BankAccountOptions {
  /** Bank or institution: a code (`ICBC`) or a name (`中国工商银行`); see BANK_ALIASES. */
  institution?: string;
}

/** Names and codes of major Chinese banks → the code used in canonical values. */
export const BANK_ALIASES: Readonly<Record<string, string>> = Object.freeze({
  icbc: 'icbc',
  工商银行: 'icbc',
  中国工商银行: 'icbc',
  工行: 'icbc',
  ccb: 'ccb',
  建设银行: 'ccb',
  中国建设银行: 'ccb',
  建行: 'ccb',
  abc: 'abc',
  农业银行: 'abc',
  中国农业银行: 'abc',
  农行: 'abc',
  boc: 'boc',
  中国银行: 'boc',
  中行: 'boc',
  bocom: 'bocom',
  交通银行: 'bocom',
  交行: 'bocom',
  cmb: 'cmb',
  招商银行: 'cmb',
  招行: 'cmb',
  psbc: 'psbc',
  邮储银行: 'psbc',
  邮政储蓄银行: 'psbc',
  中国邮政储蓄银行: 'psbc',
  citic: 'citic',
  中信银行: 'citic',
  cmbc: 'cmbc',
  民生银行: 'cmbc',
  中国民生银行: 'cmbc',
  ceb: 'ceb',
  光大银行: 'ceb',
  中国光大银行: 'ceb',
  spdb: 'spdb',
  浦发银行: 'spdb',
  上海浦东发展银行: 'spdb',
  cib: 'cib',
  兴业银行: 'cib',
  hxb: 'hxb',
  华夏银行: 'hxb',
  cgb: 'cgb',
  广发银行: 'cgb',
  pab: 'pab',
  平安银行: 'pab',
});

/** NFKC, trimmed, lowercase, single spaces; mapped through `aliases`. Null when empty; '' when it has ':'. */
function normalizeName(raw: string | undefined, aliases: Readonly<Record<string, string>>): string | null {
  if (raw === undefined) return null;
  const s = raw.normalize('NFKC').trim().toLowerCase().replace(/\s+/g, ' ');
  if (s.length === 0) return null;
  if (s.includes(':')) return '';
  return aliases[s] ?? aliases[s.replace(/ /g, '')] ?? s;
}

/**
 * A bank account number that is not (or not known to be) a card: 8–30 digits, no check digit.
 * `value` is `institution:digits` when an institution is given, else the digits.
 */
export function normalizeBankAccount(raw: string, opts?: BankAccountOptions): BankAccountResult {
  if (typeof raw !== 'string' || raw.trim().length === 0) return fail('input_empty');
  if (raw.length > 96) return fail('input_too_long');
  const institution = normalizeName(opts?.institution, BANK_ALIASES);
  if (institution === '') return fail('bank_account_bad_institution');
  const digits = digitsOf(raw);
  if (digits === null) return fail('bank_account_invalid_chars');
  if (digits.length < 8 || digits.length > 30) return fail('bank_account_bad_length');
  return { ok: true, value: institution === null ? digits : `${institution}:${digits}`, digits, institution };
}

// --- Shared id helpers --------------------------------------------------------------------------

export type AccountIdType = 'phone' | 'email' | 'username' | 'number' | 'account_id';

const EMAIL = /^[^\s@:]+@[^\s@:]+\.[^\s@:]+$/;
const PHONE_LIKE = /^\+?[\d\s\-().]{5,24}$/;

function normalizeEmail(s: string): string | null {
  if (!EMAIL.test(s)) return null;
  const at = s.lastIndexOf('@');
  const domain = domainToASCII(s.slice(at + 1));
  if (domain === '' || !domain.includes('.')) return null;
  return `${s.slice(0, at).toLowerCase()}@${domain}`;
}

/** E.164 if `s` reads as a (non-short) phone number, else null. */
function phoneId(s: string, region: CountryCode): string | null {
  if (!PHONE_LIKE.test(s)) return null;
  const p = normalizePhone(s, { defaultRegion: region });
  return p.ok && p.lineType !== 'SHORT_CODE' ? p.value : null;
}

/** Generic id: NFKC, lowercase, 1–64 chars, no whitespace or ':'. */
function genericId(s: string): string | null {
  const id = s.normalize('NFKC').toLowerCase();
  return id.length >= 1 && id.length <= 64 && !/[\s:]/.test(id) ? id : null;
}

interface IdOutcome {
  id: string;
  idType: AccountIdType;
}

// --- Payment accounts ---------------------------------------------------------------------------

/** Names of payment providers → the code used in canonical values. Other names are kept (lowercase). */
export const PAYMENT_PROVIDER_ALIASES: Readonly<Record<string, string>> = Object.freeze({
  alipay: 'alipay',
  支付宝: 'alipay',
  zfb: 'alipay',
  wechatpay: 'wechatpay',
  'wechat pay': 'wechatpay',
  weixinpay: 'wechatpay',
  'weixin pay': 'wechatpay',
  wxpay: 'wechatpay',
  微信支付: 'wechatpay',
  unionpay: 'unionpay',
  银联: 'unionpay',
  云闪付: 'unionpay',
  paypal: 'paypal',
  jdpay: 'jdpay',
  京东支付: 'jdpay',
});

export interface PaymentAccountFields {
  readonly provider: string;
  readonly id: string;
  readonly idType: AccountIdType;
}

export type PaymentAccountResult = NormalizeResult<PaymentAccountFields>;

export interface PaymentAccountOptions {
  /** Provider (`alipay`, `支付宝`, `wechatpay`, …); may instead prefix the text (`支付宝 138…`). */
  provider?: string;
  /** Region for phone numbers without a country code. Default `CN`. */
  defaultRegion?: CountryCode;
}

const ALIPAY_USER_ID = /^2088\d{12}$/;

/** A payment account: `provider:id`, where the id is a phone (E.164), e-mail, or provider account id. */
export function normalizePaymentAccount(raw: string, opts?: PaymentAccountOptions): PaymentAccountResult {
  if (typeof raw !== 'string' || raw.trim().length === 0) return fail('input_empty');
  if (raw.length > 256) return fail('input_too_long');
  const text = fullwidthToAscii(raw).trim();
  let provider = normalizeName(opts?.provider, PAYMENT_PROVIDER_ALIASES);
  let rest = text;
  const prefixed = splitPrefix(text, PAYMENT_PREFIXES);
  if (prefixed) {
    if (provider !== null && provider !== prefixed.key) return fail('payment_provider_mismatch');
    provider = prefixed.key;
    rest = prefixed.rest;
  }
  if (provider === null || provider === '' || !/^[\p{L}\p{N}_ .-]{1,32}$/u.test(provider)) {
    return fail('payment_unknown_provider');
  }
  const region = opts?.defaultRegion ?? 'CN';
  const out = paymentId(rest, provider, region);
  if (out === null) return fail('payment_bad_id');
  return { ok: true, value: `${provider}:${out.id}`, provider, id: out.id, idType: out.idType };
}

function paymentId(s: string, provider: string, region: CountryCode): IdOutcome | null {
  if (provider === 'alipay' && ALIPAY_USER_ID.test(s)) return { id: s, idType: 'account_id' };
  const email = normalizeEmail(s);
  if (email !== null) return { id: email, idType: 'email' };
  const phone = phoneId(s, region);
  if (phone !== null) return { id: phone, idType: 'phone' };
  if (provider === 'alipay') return null;
  const id = genericId(s);
  return id === null ? null : { id, idType: 'account_id' };
}

// --- Internet accounts --------------------------------------------------------------------------

export const INTERNET_PLATFORMS = [
  'wechat',
  'qq',
  'alipay',
  'telegram',
  'whatsapp',
  'weibo',
  'douyin',
  'other',
] as const;
export type InternetPlatform = (typeof INTERNET_PLATFORMS)[number];

/** Words that name a platform at the start of a text (`微信号: abc`, `QQ 12345678`, `tg @name`). */
export const PLATFORM_ALIASES: Readonly<Record<string, InternetPlatform>> = Object.freeze({
  wechat: 'wechat',
  weixin: 'wechat',
  wx: 'wechat',
  vx: 'wechat',
  v信: 'wechat',
  微信: 'wechat',
  微信号: 'wechat',
  威信: 'wechat',
  薇信: 'wechat',
  qq: 'qq',
  qq号: 'qq',
  扣扣: 'qq',
  alipay: 'alipay',
  支付宝: 'alipay',
  支付宝账号: 'alipay',
  zfb: 'alipay',
  telegram: 'telegram',
  tg: 'telegram',
  电报: 'telegram',
  纸飞机: 'telegram',
  whatsapp: 'whatsapp',
  weibo: 'weibo',
  微博: 'weibo',
  douyin: 'douyin',
  抖音: 'douyin',
  抖音号: 'douyin',
  other: 'other',
});

interface PrefixTable {
  /** Lowercase names, longest first. */
  names: readonly string[];
  map: Readonly<Record<string, string>>;
}

function prefixTable(map: Readonly<Record<string, string>>): PrefixTable {
  return { names: Object.keys(map).sort((a, b) => b.length - a.length), map };
}

const PLATFORM_PREFIXES = prefixTable(PLATFORM_ALIASES);
const PAYMENT_PREFIXES = prefixTable(PAYMENT_PROVIDER_ALIASES);
const NAME_SUFFIX = /^\s*(?:号|账号|帐号|id(?=\s*[:=]|\s))/i;
const NAME_SEPARATOR = /^\s*[:=]?\s*/;
const ASCII_ALNUM = /[a-z0-9]/i;

/**
 * Splits a leading platform or provider name off `text`: `wechat:abc`, `QQ 12345678`, `微信号: abc`,
 * `支付宝138…`. An ASCII name must be followed by a separator, so `wxabc` is not `wx` + `abc`.
 */
function splitPrefix(text: string, table: PrefixTable): { key: string; rest: string } | null {
  const lower = text.toLowerCase();
  for (const name of table.names) {
    if (!lower.startsWith(name)) continue;
    let i = name.length;
    const suffix = NAME_SUFFIX.exec(text.slice(i));
    if (suffix) i += suffix[0].length;
    const sep = NAME_SEPARATOR.exec(text.slice(i))![0];
    if (sep.length === 0 && ASCII_ALNUM.test(text[i - 1]!)) continue;
    const rest = text.slice(i + sep.length).trim();
    return rest.length === 0 ? null : { key: table.map[name]!, rest };
  }
  return null;
}

/** Links that name a platform and an account: t.me/x, wa.me/86…, weibo.com/u/123, weibo.com/name. */
function splitLink(text: string): { key: InternetPlatform; rest: string } | null {
  const m =
    /^(?:https?:\/\/)?(?:www\.)?(t\.me|telegram\.me|wa\.me|weibo\.com|m\.weibo\.cn)\/(?:u\/)?([^/?#\s]+)\/?(?:[?#].*)?$/i.exec(
      text,
    );
  if (!m) return null;
  const site = m[1]!.toLowerCase();
  const id = m[2]!;
  if (site === 't.me' || site === 'telegram.me') return { key: 'telegram', rest: id };
  if (site === 'wa.me') return { key: 'whatsapp', rest: /^\d+$/.test(id) ? '+' + id : id };
  return { key: 'weibo', rest: id };
}

export interface InternetAccountFields {
  readonly platform: InternetPlatform;
  readonly id: string;
  readonly idType: AccountIdType;
}

export type InternetAccountResult = NormalizeResult<InternetAccountFields>;

export interface InternetAccountOptions {
  /** The platform; may instead be named in the text (`wechat:abc`, `QQ 12345678`, `微信号: abc`). */
  platform?: InternetPlatform | string;
  /** Region for phone numbers without a country code. Default `CN`. */
  defaultRegion?: CountryCode;
}

const WECHAT_ID = /^[a-z][a-z0-9_-]{5,19}$/;
const WECHAT_WXID = /^wxid_[a-z0-9]{4,}$/;
const QQ_NUMBER = /^[1-9]\d{4,10}$/;
const TELEGRAM_USERNAME = /^[a-z][a-z0-9_]{3,30}[a-z0-9]$/;
const DOUYIN_ID = /^[a-z0-9_.]{2,30}$/;
const WEIBO_NAME = /^[\p{L}\p{N}_-]{2,30}$/u;

/**
 * An account on an internet platform: `platform:id`. Per platform: wechat — WeChat ID (letter, then
 * 6–20 letters, digits, `_`, `-`), `wxid_…`, a phone number or a legacy QQ number; qq — 5–11 digits;
 * alipay — phone, e-mail or 2088… user id; telegram — @username (5–32, case-insensitive) or phone;
 * whatsapp — phone; weibo — numeric uid or nickname; douyin — Douyin id; other — any id without
 * spaces. Usernames are lowercased; phones become E.164.
 */
export function normalizeInternetAccount(raw: string, opts?: InternetAccountOptions): InternetAccountResult {
  if (typeof raw !== 'string' || raw.trim().length === 0) return fail('input_empty');
  if (raw.length > 256) return fail('input_too_long');
  const text = fullwidthToAscii(raw).trim();
  let platform: InternetPlatform | null = null;
  if (opts?.platform !== undefined) {
    const p = PLATFORM_ALIASES[opts.platform.normalize('NFKC').trim().toLowerCase()];
    if (p === undefined) return fail('internet_unknown_platform');
    platform = p;
  }
  let rest = text;
  const named = splitLink(text) ?? splitPrefix(text, PLATFORM_PREFIXES);
  if (named) {
    const key = named.key as InternetPlatform;
    if (platform !== null && platform !== key && platform !== 'other')
      return fail('internet_platform_mismatch');
    platform = key;
    rest = named.rest;
  }
  if (platform === null) return fail('internet_unknown_platform');
  const out = internetId(rest, platform, opts?.defaultRegion ?? 'CN');
  if (out === null) return fail('internet_bad_id');
  return { ok: true, value: `${platform}:${out.id}`, platform, id: out.id, idType: out.idType };
}

function internetId(s: string, platform: InternetPlatform, region: CountryCode): IdOutcome | null {
  switch (platform) {
    case 'wechat': {
      const id = s.toLowerCase();
      if (WECHAT_ID.test(id) || WECHAT_WXID.test(id)) return { id, idType: 'username' };
      const phone = phoneId(s, region);
      if (phone !== null) return { id: phone, idType: 'phone' };
      return QQ_NUMBER.test(s) ? { id: s, idType: 'number' } : null;
    }
    case 'qq': {
      const m = /^([1-9]\d{4,10})@qq\.com$/i.exec(s);
      const n = m ? m[1]! : s.replace(/[\s-]/g, '');
      return QQ_NUMBER.test(n) ? { id: n, idType: 'number' } : null;
    }
    case 'alipay':
      return paymentId(s, 'alipay', region);
    case 'telegram': {
      if (s.startsWith('+')) {
        const phone = phoneId(s, region);
        return phone === null ? null : { id: phone, idType: 'phone' };
      }
      const id = (s.startsWith('@') ? s.slice(1) : s).toLowerCase();
      return TELEGRAM_USERNAME.test(id) ? { id, idType: 'username' } : null;
    }
    case 'whatsapp': {
      const phone = phoneId(s, region);
      return phone === null ? null : { id: phone, idType: 'phone' };
    }
    case 'weibo': {
      const id = (s.startsWith('@') ? s.slice(1) : s).normalize('NFKC').toLowerCase();
      if (/^\d{5,11}$/.test(id)) return { id, idType: 'number' };
      return WEIBO_NAME.test(id) ? { id, idType: 'username' } : null;
    }
    case 'douyin': {
      const id = s.toLowerCase();
      return DOUYIN_ID.test(id) ? { id, idType: 'username' } : null;
    }
    case 'other': {
      const email = normalizeEmail(s);
      if (email !== null) return { id: email, idType: 'email' };
      const id = genericId(s);
      return id === null ? null : { id, idType: 'account_id' };
    }
  }
}
