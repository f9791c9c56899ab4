/**
 * Human-readable reasons, in Chinese and English, built only for decisions that matched something.
 */
import { NORMALIZE_ERRORS, type IndicatorKind } from '../../core/normalize/index.ts';
import { SCAM_CATEGORIES, type ScamCategory } from './taxonomy.ts';
import type { DecisionReason } from './types.ts';

const NOUN: Record<IndicatorKind, { zh: string; en: string }> = {
  phone: { zh: '号码', en: 'Number' },
  url: { zh: '网址', en: 'URL' },
  domain: { zh: '域名', en: 'Domain' },
  ip: { zh: 'IP 地址', en: 'IP address' },
  bank_account: { zh: '银行账户', en: 'Bank account' },
  payment_account: { zh: '支付账户', en: 'Payment account' },
  internet_account: { zh: '网络账号', en: 'Internet account' },
  device: { zh: '设备', en: 'Device' },
  app: { zh: '应用', en: 'App' },
};

/** A canonical value as people read it (`short:CN:95588` → `95588`). */
export function displayValue(kind: IndicatorKind, value: string): string {
  if (kind === 'phone' && value.startsWith('short:')) return value.slice(value.lastIndexOf(':') + 1);
  return value;
}

/** `号码 +8613800138000 被列为"冒充公检法"诈骗（置信度 0.92）` / `Number … is listed for …`. */
export function listedReason(
  code: string,
  kind: IndicatorKind,
  value: string,
  category: ScamCategory,
  confidence: number,
): DecisionReason {
  const n = NOUN[kind];
  const c = SCAM_CATEGORIES[category];
  const v = displayValue(kind, value);
  const conf = confidence.toFixed(2);
  return {
    code,
    zh: `${n.zh} ${v} 被列为${c.zhReason}（置信度 ${conf}）`,
    en: `${n.en} ${v} is listed for ${c.enReason} (confidence ${conf})`,
  };
}

export function underAppealReason(kind: IndicatorKind, value: string): DecisionReason {
  const n = NOUN[kind];
  const v = displayValue(kind, value);
  return {
    code: 'under_appeal',
    zh: `${n.zh} ${v} 的列入正在申诉中，最多予以提示`,
    en: `The listing of ${n.en.toLowerCase()} ${v} is under appeal: a warning at most`,
  };
}

export function protectedReason(
  kind: IndicatorKind,
  value: string,
  label: string | { zh: string; en: string },
): DecisionReason {
  const n = NOUN[kind];
  const v = displayValue(kind, value);
  const zh = typeof label === 'string' ? label : label.zh;
  const en = typeof label === 'string' ? label : label.en;
  return {
    code: 'protected',
    zh: `${n.zh} ${v} 在保护名单中（${zh}），不予拦截，转人工复核`,
    en: `${n.en} ${v} is protected (${en}): never blocked, held for review instead`,
  };
}

export function malformedReason(roles: string[], codes: string[]): DecisionReason {
  const en = codes.map((c) => NORMALIZE_ERRORS[c as keyof typeof NORMALIZE_ERRORS] ?? c).join('; ');
  return {
    code: 'malformed_party',
    zh: `无法识别的参与方：${roles.join('、')}（${codes.join('、')}）`,
    en: `Could not read ${roles.join(', ')}: ${en}`,
  };
}

/** `短信内容疑似"冒充公检法"诈骗（概率 0.97）` / `The text reads as …`. */
export function scamTextReason(code: string, category: ScamCategory, probability: number): DecisionReason {
  const c = SCAM_CATEGORIES[category];
  const p = probability.toFixed(2);
  return {
    code,
    zh: `短信内容疑似${c.zhReason}（概率 ${p}）`,
    en: `The text reads as ${c.enReason} (probability ${p})`,
  };
}
