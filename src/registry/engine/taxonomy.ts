/**
 * The scam taxonomy: the fraud categories a listing, a report or a detector score is filed under.
 * The whole platform uses these codes; the labels are what people read (console, reasons, reports).
 *
 * `zh` / `en` are labels (a column heading, a filter). `zhReason` / `enReason` are the phrases the
 * decision engine puts into sentences: `号码 … 被列为"冒充公检法"诈骗` / `Number … is listed for
 * impersonating police or government`.
 */

export interface ScamCategoryInfo {
  readonly code: string;
  /** Chinese label. */
  readonly zh: string;
  /** English label. */
  readonly en: string;
  /** Chinese phrase after 被列为 in a reason. */
  readonly zhReason: string;
  /** English phrase after "is listed for" in a reason. */
  readonly enReason: string;
}

const c = (code: string, zh: string, en: string, zhReason: string, enReason: string) =>
  Object.freeze({ code, zh, en, zhReason, enReason });

/** Every category, in a stable order (the order is the category's numeric code in the index). */
export const SCAM_CATEGORIES = Object.freeze({
  impersonate_police: c(
    'impersonate_police',
    '冒充公检法及政府机关',
    'Impersonating police or government',
    '"冒充公检法"诈骗',
    'impersonating police or government',
  ),
  customer_service_refund: c(
    'customer_service_refund',
    '冒充电商物流客服退款',
    'Fake customer-service refund',
    '"冒充客服退款"诈骗',
    'fake customer-service refunds',
  ),
  loan: c('loan', '虚假贷款', 'Fake loan', '"虚假贷款"诈骗', 'fake loans'),
  impersonate_boss_or_acquaintance: c(
    'impersonate_boss_or_acquaintance',
    '冒充领导、熟人',
    'Impersonating a boss or acquaintance',
    '"冒充领导熟人"诈骗',
    'impersonating a boss or acquaintance',
  ),
  investment_pension: c(
    'investment_pension',
    '虚假投资理财（含养老）',
    'Fake investment or pension scheme',
    '"虚假投资理财"诈骗',
    'fake investment or pension schemes',
  ),
  click_farming: c(
    'click_farming',
    '刷单返利（兼职）',
    'Click farming (paid part-time tasks)',
    '"刷单返利"诈骗',
    'click farming (paid part-time tasks)',
  ),
  shopping: c('shopping', '虚假网络购物', 'Fake online shopping', '"虚假购物"诈骗', 'fake online shopping'),
  game_trading: c(
    'game_trading',
    '虚假网络游戏产品交易',
    'Fake game-item trading',
    '"虚假游戏交易"诈骗',
    'fake game-item trading',
  ),
  romance: c('romance', '网络婚恋、交友', 'Romance scam', '"网络婚恋交友"诈骗', 'romance scams'),
  livestream_rewards: c(
    'livestream_rewards',
    '直播打赏',
    'Livestream reward scam',
    '"直播打赏"诈骗',
    'livestream reward scams',
  ),
  prize: c('prize', '虚假中奖', 'Fake prize', '"虚假中奖"诈骗', 'fake prizes'),
  card_account_dealing: c(
    'card_account_dealing',
    '买卖"两卡"（银行卡、电话卡）',
    'Dealing in bank or phone cards',
    '涉诈"两卡"买卖',
    'dealing in bank or phone cards for fraud',
  ),
  sim_box: c(
    'sim_box',
    '猫池、GOIP 等涉诈设备',
    'SIM box (GoIP) equipment',
    '"猫池/GOIP"涉诈设备',
    'SIM-box (GoIP) fraud equipment',
  ),
  other: c('other', '其他', 'Other', '其他类型诈骗', 'other fraud'),
} satisfies Record<string, ScamCategoryInfo>);

export type ScamCategory = keyof typeof SCAM_CATEGORIES;

/** The category codes in their stable order; `SCAM_CATEGORY_LIST[i]` has numeric code `i`. */
export const SCAM_CATEGORY_LIST = Object.freeze(Object.keys(SCAM_CATEGORIES)) as readonly ScamCategory[];

const CODE_OF: ReadonlyMap<string, number> = new Map(SCAM_CATEGORY_LIST.map((k, i) => [k, i]));

export function isScamCategory(s: unknown): s is ScamCategory {
  return typeof s === 'string' && CODE_OF.has(s);
}

/** Numeric code of a category (0…13), or -1. */
export function categoryCode(s: string): number {
  return CODE_OF.get(s) ?? -1;
}
