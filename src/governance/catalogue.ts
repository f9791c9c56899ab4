import type { InstructionMeasure, TargetKind } from './tables.ts';

/**
 * The legal bases an instruction can cite: articles of the PRC Anti-Telecom and Online Fraud
 * Law (中华人民共和国反电信网络诈骗法, in force 2022-12-01). The titles are short paraphrases for
 * screens, not the statute's text; an instruction cites the article by id. Add an article here
 * (and nowhere else) to make it citable; ids are stored, so never rename one.
 */
export const LEGAL_BASES = [
  {
    id: 'atof_art11',
    article: 11,
    zh: '涉诈异常电话卡重新实名核验，未通过的限制、暂停电话卡功能',
    en: 'Re-verification of abnormal phone cards; restriction or suspension when it fails',
  },
  {
    id: 'atof_art18',
    article: 18,
    zh: '异常账户和可疑交易的监测与处置（重新核验、限制或中止业务）',
    en: 'Abnormal bank and payment accounts: re-verification, restriction or suspension of services',
  },
  {
    id: 'atof_art20',
    article: 20,
    zh: '涉诈资金即时查询、紧急止付、快速冻结、及时解冻和资金返还',
    en: 'Fraud-related funds: immediate enquiry, emergency stop-payment, fast freezing, release and return',
  },
  {
    id: 'atof_art22',
    article: 22,
    zh: '涉诈异常互联网账号重新核验，限制功能、暂停服务',
    en: 'Abnormal internet accounts: re-verification, restriction of functions, suspension',
  },
  {
    id: 'atof_art31',
    article: 31,
    zh: '非法买卖、出租、出借电话卡、账户、账号：限制功能、停止非柜面业务、暂停新业务、限制入网',
    en: 'Selling, renting or lending cards and accounts: restrictions, no non-counter services, no new business',
  },
  {
    id: 'atof_art32',
    article: 32,
    zh: '涉诈异常情形的监测识别、动态封堵和处置，告知原因与申诉渠道',
    en: 'Detection, blocking and disposal of fraud-related anomalies, with notice of reason and appeal',
  },
  {
    id: 'atof_art34',
    article: 34,
    zh: '预警劝阻系统及对涉诈信息、网址链接的处置配合',
    en: 'Early-warning and dissuasion system, and cooperation in disposing of fraud information and links',
  },
  {
    id: 'atof_art36',
    article: 36,
    zh: '前往诈骗活动严重地区或因诈骗受过刑事处罚的人员，可决定六个月至三年内不准出境',
    en: 'Exit restriction, 6 months to 3 years, for persons involved in fraud abroad or punished for fraud',
  },
] as const;
export type LegalBasisId = (typeof LEGAL_BASES)[number]['id'];
export const LEGAL_BASIS_IDS = LEGAL_BASES.map((b) => b.id) as [LegalBasisId, ...LegalBasisId[]];

/** Which targets each measure can apply to; anything else is a 400. */
export const MEASURE_TARGETS: Record<InstructionMeasure, readonly TargetKind[]> = {
  re_verify: ['msisdn', 'account', 'internet_account', 'holder'],
  restrict_functions: ['msisdn'],
  suspend_card: ['msisdn'],
  restrict_internet_account: ['internet_account'],
  suspend_internet_account: ['internet_account'],
  block_link: ['domain', 'url'],
  restrict_account_non_counter: ['account'],
  refuse_new_cards_accounts: ['holder'],
  restore: ['msisdn', 'account', 'internet_account', 'domain', 'url', 'holder'],
};

/** Which kinds of institution can carry out a measure on each target: cards at operators, accounts at banks. */
export const TARGET_INSTITUTIONS: Record<
  TargetKind,
  readonly ('telecom_operator' | 'bank' | 'internet_service')[]
> = {
  msisdn: ['telecom_operator'],
  account: ['bank'],
  internet_account: ['internet_service'],
  // Operators block at DNS and gateways, platforms on their own services.
  domain: ['internet_service', 'telecom_operator'],
  url: ['internet_service', 'telecom_operator'],
  holder: ['telecom_operator', 'bank', 'internet_service'],
};

/** Minutes from issue to execute, when the issuer gives none: blocking a live link cannot wait a day. */
export const DEFAULT_DEADLINE_MINUTES: Record<InstructionMeasure, number> = {
  re_verify: 72 * 60,
  restrict_functions: 24 * 60,
  suspend_card: 24 * 60,
  restrict_internet_account: 24 * 60,
  suspend_internet_account: 24 * 60,
  block_link: 60,
  restrict_account_non_counter: 24 * 60,
  refuse_new_cards_accounts: 72 * 60,
  // A wrongly cut card is a citizen without a phone: undoing is faster than doing.
  restore: 60,
};

/** Days from creation to the expiry or review date, when the issuer gives none. */
export const DEFAULT_REVIEW_DAYS: Record<InstructionMeasure, number> = {
  re_verify: 30,
  restrict_functions: 90,
  suspend_card: 180,
  restrict_internet_account: 90,
  suspend_internet_account: 180,
  block_link: 365,
  restrict_account_non_counter: 180,
  refuse_new_cards_accounts: 180,
  restore: 30,
};

/** Measures an analyst cannot send alone: cutting a card or an account outright, or refusing a person. */
export const MEASURES_NEEDING_APPROVAL: readonly InstructionMeasure[] = [
  'suspend_card',
  'suspend_internet_account',
  'refuse_new_cards_accounts',
];

/** An analyst's request creating more instructions than this waits for a supervisor. */
export const INSTRUCTION_APPROVAL_THRESHOLD = 20;

/** Days from receipt within which an appeal is decided (its service deadline). */
export const APPEAL_RESPONSE_DAYS = 7;
