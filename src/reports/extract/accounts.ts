/**
 * Internet and payment accounts written after a cue word (`加微信：abc_123`, `QQ 12345678`, `加V：xyz888`,
 * `TG @name`, `whatsapp +1 650 253 0000`, `PayPal: a@b.com`), and app names next to 下载/安装/APP/软件/客户端
 * (`下载《安心贷》`, `“XX金融”APP`). Ids are validated and canonicalised by the account and app normalisers.
 */
import { normalizeInternetAccount, normalizePaymentAccount } from '../../core/normalize/index.ts';
import type { InternetPlatform } from '../../core/normalize/index.ts';
import type { CountryCode } from 'libphonenumber-js/max';
import type { AppIndicator, Collector, InternetAccountIndicator, PaymentAccountIndicator } from './types.ts';

const ID =
  '(\\+\\d[\\d \\-]{5,18}\\d|1[3-9]\\d[ \\-]\\d{4}[ \\-]\\d{4}(?!\\d)|@?[a-z0-9_][a-z0-9_\\-.@]{1,63})';
const SEP = '[ \\t:=]{0,4}(?:是|为|:)?[ \\t:=]{0,3}';

const ACCOUNT_RE = new RegExp(
  '(?<![a-z0-9_])(?:' +
    '(加[ \\t]?(?:微信|威信|薇信|v信|vx|wx|微|v)|微信|威信|薇信|v信|vx|wx|weixin|wechat)' + // 1 wechat
    '|(qq|扣扣|企鹅)' + // 2 qq
    '|(支付宝|alipay|zfb)' + // 3 alipay
    '|(telegram|tg|电报|纸飞机)' + // 4 telegram
    '|(whatsapp)' + // 5 whatsapp
    '|(paypal|云闪付|京东支付|微信支付)' + // 6 payment provider
    ')(号码|号|账号|帐号|账户|id)?' + // 7
    `(${SEP})` + // 8
    ID, // 9
  'gi',
);

const PLATFORM_BY_GROUP: readonly InternetPlatform[] = ['wechat', 'qq', 'alipay', 'telegram', 'whatsapp'];
const PROVIDERS: Readonly<Record<string, string>> = {
  paypal: 'paypal',
  云闪付: 'unionpay',
  京东支付: 'jdpay',
  微信支付: 'wechatpay',
};
const ASCII_LETTER = /[a-z]/i;

export function extractAccounts(c: Collector, region: CountryCode): void {
  const s = c.folded.s;
  ACCOUNT_RE.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = ACCOUNT_RE.exec(s)) !== null) {
    const cueGroup = [1, 2, 3, 4, 5, 6].find((g) => m![g] !== undefined)!;
    const cue = m[cueGroup]!;
    let id = m[9]!.replace(/[.\-@]+$/, '');
    // `wxabc`, `tgxyz`: an ASCII cue glued to letters is a word, not a cue.
    if (m[7] === undefined && m[8] === '' && ASCII_LETTER.test(cue.slice(-1)) && ASCII_LETTER.test(id[0]!)) {
      ACCOUNT_RE.lastIndex = m.index + 1;
      continue;
    }
    const idStart = m.index + m[0].length - m[9]!.length;
    const idEnd = idStart + id.length;
    if (cueGroup === 6) {
      const provider = PROVIDERS[cue.toLowerCase()]!;
      const r = normalizePaymentAccount(id, { provider, defaultRegion: region });
      if (r.ok) {
        c.add<PaymentAccountIndicator>('payment_account', r.value, idStart, idEnd, {
          provider: r.provider,
          id: r.id,
        });
      }
      continue;
    }
    const platform = PLATFORM_BY_GROUP[cueGroup - 1]!;
    if (platform === 'telegram' && id.startsWith('@')) id = id.slice(1);
    const r = normalizeInternetAccount(id, { platform, defaultRegion: region });
    if (!r.ok) continue;
    c.add<InternetAccountIndicator>('internet_account', r.value, idStart, idEnd, {
      platform: r.platform,
      id: r.id,
    });
    // A QQ number or user name is not read again as a phone number; a phone number is both.
    if (r.idType !== 'phone') c.take(idStart, idEnd);
  }
}

const APP_CUE = '(?:下载|安装|app|软件|客户端|应用)';
const OPEN = '[《“"「『【]';
const CLOSE = '[》”"」』】]';
const NAME = '([^《》“”"「」『』【】\\n]{1,24})';
const APP_NAME_RE = new RegExp(
  `${APP_CUE}[^\\n《“"「『【]{0,4}?${OPEN}${NAME}${CLOSE}` + // 1: 下载《name》
    `|${OPEN}${NAME}${CLOSE}[ \\t]{0,2}(?:app|软件|客户端|平台)(?![a-z])`, // 2: “name”APP
  'gi',
);

export function extractAppNames(c: Collector): void {
  const s = c.folded.s;
  APP_NAME_RE.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = APP_NAME_RE.exec(s)) !== null) {
    const written = m[1] ?? m[2]!;
    const name = written.trim().toLowerCase().replace(/\s+/g, ' ');
    if (name.length === 0 || /^[\d\s.,:;!?]+$/.test(name)) continue;
    const a = m.index + m[0].indexOf(written);
    c.add<AppIndicator>('app', `name:${name}`, a, a + written.length, { form: 'name' });
    // Let an immediately following name be found too.
    APP_NAME_RE.lastIndex = a + written.length;
  }
}
