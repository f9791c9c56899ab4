import { LEGAL_BASES } from './catalogue.ts';
import type { InstructionMeasure } from './tables.ts';

const MEASURE_TEXT: Record<InstructionMeasure, { zh: string; en: string }> = {
  re_verify: { zh: '重新实名核验', en: 're-verification of the holder' },
  restrict_functions: { zh: '限制部分功能', en: 'restriction of some functions' },
  suspend_card: { zh: '暂停电话卡服务', en: 'suspension of the phone card' },
  restrict_internet_account: { zh: '限制账号功能', en: 'restriction of the internet account' },
  suspend_internet_account: { zh: '暂停账号服务', en: 'suspension of the internet account' },
  block_link: { zh: '拦截网址链接', en: 'blocking of the link' },
  restrict_account_non_counter: { zh: '暂停非柜面业务', en: 'suspension of non-counter services' },
  refuse_new_cards_accounts: { zh: '暂停办理新电话卡和账户', en: 'refusal of new phone cards and accounts' },
  restore: { zh: '恢复', en: 'restoration' },
};

/**
 * The notice the institution gives the holder with every measure: what, why, under which
 * article, and how to appeal with what to bring. Built from the instruction, in both languages.
 */
export function measureNotice(i: {
  id: string;
  measure: InstructionMeasure;
  reason: string;
  legalBasis: string;
  receivingOrganisation: string;
}): { zh: string; en: string } {
  const basis = LEGAL_BASES.find((b) => b.id === i.legalBasis);
  const m = MEASURE_TEXT[i.measure];
  const art = basis ? basis.article : '';
  if (i.measure === 'restore')
    return {
      zh: `经复核，此前对您的号码、账户或账号采取的措施已解除，${i.receivingOrganisation}正在恢复相关服务（通知编号 ${i.id}）。给您带来不便，深表歉意。`,
      en: `On review, the measure taken against your number, account or internet account is lifted and ${i.receivingOrganisation} is restoring the service (notice number ${i.id}). We apologise for the inconvenience.`,
    };
  return {
    zh:
      `您的号码、账户或账号已被采取"${m.zh}"措施。原因：${i.reason}。依据：《中华人民共和国反电信网络诈骗法》第${art}条。` +
      `如有异议，可在网上申诉页面或${i.receivingOrganisation}任一营业网点提出申诉，通知编号 ${i.id}。` +
      '请携带本人有效身份证件、涉及的电话卡或银行卡，以及本人实际使用的证明（话费账单、通话记录、交易流水等）。',
    en:
      `A measure applies to your number, account or internet account: ${m.en}. Reason: ${i.reason}. ` +
      `Legal basis: Anti-Telecom and Online Fraud Law of the PRC, article ${art}. ` +
      `To appeal, use the online appeal page or any counter of ${i.receivingOrganisation}, quoting notice number ${i.id}. ` +
      'Bring your identity document, the phone card or bank card concerned, and proof that you use it yourself (bills, call records, statements).',
  };
}
