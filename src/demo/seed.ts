import type { Kysely } from 'kysely';
import type { DB } from '../core/db/schema.ts';
import type { Services } from '../api/types.ts';
import { SYSTEM } from '../core/audit.ts';
import { createOrganisation, createUser } from '../identity/service.ts';
import type { OrganisationKind, Role } from '../identity/model.ts';
import {
  ensurePerson,
  addPhoneCard,
  addBankAccount,
  recordCancelledPhoneCard,
  recordClosedBankAccount,
} from '../privacy/service.ts';
import { prcCheckCharacter } from '../privacy/idnumber.ts';
import { Progress } from '../cli/progress.ts';
import { seedProtected } from '../registry/allowlist.ts';
import { listIndicator } from '../registry/service.ts';
import { submitReport, type ReportInput } from '../reports/service.ts';
import { recordDetections } from '../detection/store.ts';
import type { Detection } from '../detection/records.ts';
import { seedPersonLists } from './person-lists.ts';
import { seedAppeals } from './appeals.ts';
import { seedFunds } from './funds.ts';
import { seedWarnings } from './warnings.ts';

/** Every demo user signs in with this password; the demo is for looking around, not for production. */
export const DEMO_PASSWORD = 'Interdict-demo-2026';

const ORGANISATIONS: { key: string; name: string; kind: OrganisationKind }[] = [
  { key: 'centre', name: '示范反诈中心 Demo Anti-Fraud Centre', kind: 'anti_fraud_centre' },
  { key: 'mobile', name: '示范移动 Demo Mobile', kind: 'telecom_operator' },
  { key: 'telecom', name: '示范电信 Demo Telecom', kind: 'telecom_operator' },
  { key: 'bank', name: '示范银行 Demo Bank', kind: 'bank' },
  { key: 'pay', name: '示范支付 Demo Pay', kind: 'bank' },
  { key: 'internet', name: '示范互联网 Demo Internet', kind: 'internet_service' },
  { key: 'public', name: '社会公众 The Public', kind: 'public' },
];

const USERS: { username: string; displayName: string; org: string; roles: Role[] }[] = [
  { username: 'centre.admin', displayName: '管理员 Admin', org: 'centre', roles: ['administrator'] },
  { username: 'centre.analyst', displayName: '分析员 李明 Li Ming', org: 'centre', roles: ['analyst'] },
  { username: 'centre.supervisor', displayName: '主管 王静 Wang Jing', org: 'centre', roles: ['supervisor'] },
  { username: 'centre.auditor', displayName: '审计员 赵越 Zhao Yue', org: 'centre', roles: ['auditor'] },
  {
    username: 'telecom.admin',
    displayName: '移动管理员 Mobile Admin',
    org: 'mobile',
    roles: ['administrator'],
  },
  {
    username: 'telecom.operator',
    displayName: '移动值班员 Mobile Operator',
    org: 'mobile',
    roles: ['institution_operator'],
  },
  {
    username: 'bank.operator',
    displayName: '银行值班员 Bank Operator',
    org: 'bank',
    roles: ['institution_operator'],
  },
  {
    username: 'isp.operator',
    displayName: '平台值班员 Internet Operator',
    org: 'internet',
    roles: ['institution_operator'],
  },
];

/** Names, home regions and birth dates of the demo persons: a few elderly people and a minor among them. */
const PERSONS: { name: string; region: string; born: string; sex: 'm' | 'f' }[] = [
  { name: '张伟', region: '110101', born: '19850312', sex: 'm' },
  { name: '王芳', region: '310104', born: '19900721', sex: 'f' },
  { name: '李娜', region: '440305', born: '19780105', sex: 'f' },
  { name: '刘洋', region: '330106', born: '19951130', sex: 'm' },
  { name: '陈静', region: '510107', born: '19480618', sex: 'f' },
  { name: '杨磊', region: '420111', born: '19880909', sex: 'm' },
  { name: '赵敏', region: '110105', born: '20100402', sex: 'f' },
  { name: '黄强', region: '440106', born: '19520223', sex: 'm' },
  { name: '周婷', region: '320102', born: '19990815', sex: 'f' },
  { name: '吴刚', region: '350203', born: '19731027', sex: 'm' },
  { name: '徐丽', region: '610113', born: '19660514', sex: 'f' },
  { name: 'Michael Smith', region: '', born: '', sex: 'm' },
];

/** A valid PRC identity number for the demo (correct check character, sequence by index). */
export function demoIdNumber(region: string, born: string, index: number, sex: 'm' | 'f'): string {
  const seq = 100 + index * 2 + (sex === 'm' ? 1 : 0); // odd sequence: male, even: female
  const first17 = `${region}${born}${String(seq).padStart(3, '0')}`;
  return first17 + prcCheckCharacter(first17);
}

/** A card number that passes the Luhn check. */
export function luhnComplete(partial: string): string {
  let sum = 0;
  for (let i = 0; i < partial.length; i++) {
    let d = Number(partial[partial.length - 1 - i]);
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return partial + String((10 - (sum % 10)) % 10);
}

/** Listings a newcomer can check at once (`interdict check +8617012345678`, the console's check page). */
const LISTINGS: { kind: string; value: string; category: string }[] = [
  { kind: 'phone', value: '+86 170 1234 5678', category: 'impersonate_police' },
  { kind: 'phone', value: '+86 171 8765 4321', category: 'customer_service_refund' },
  { kind: 'phone', value: '+86 165 0000 1111', category: 'loan' },
  { kind: 'phone', value: '+852 5123 4567', category: 'impersonate_boss_or_acquaintance' },
  { kind: 'domain', value: 'refund-taobao-service.com', category: 'customer_service_refund' },
  { kind: 'domain', value: 'icbc-secure-login.com', category: 'impersonate_police' },
  { kind: 'domain', value: 'quick-loan-cn.net', category: 'loan' },
  { kind: 'url', value: 'http://pension-invest.example.org/vip/', category: 'investment_pension' },
  { kind: 'bank_account', value: '6222 0212 3456 7894', category: 'card_account_dealing' },
  { kind: 'internet_account', value: 'wechat:refund_kefu_888', category: 'customer_service_refund' },
  { kind: 'internet_account', value: 'qq:88886666', category: 'click_farming' },
  { kind: 'app', value: 'com.fake.securitycheck', category: 'impersonate_police' },
];

/** Citizens' reports waiting in the triage queue (a scam in progress first), from distinct demo devices. */
const REPORTS: ReportInput[] = [
  {
    kind: 'call',
    subject: { phone: '+86 171 8888 0001' },
    content: '我妈妈正在和自称公安局的警官通话，对方说她的银行卡涉嫌洗钱，要她把钱转到安全账户',
    loss: { amount: '80000', ongoing: true, method: 'bank_transfer' },
    ageGroup: 'elderly',
    forRelative: true,
    language: 'zh',
  },
  {
    kind: 'sms',
    subject: { phone: '+86 170 5555 0199' },
    content:
      '您好，我是淘宝客服，您购买的商品质量有问题，我们将为您办理退款，请登录 refund-taobao-service.com 填写银行卡号和验证码',
    language: 'zh',
  },
  {
    kind: 'link',
    subject: { url: 'http://cheap-loan.example.top/apply' },
    content: '无抵押秒批贷款，先交 2000 元保证金',
    loss: { amount: '2000', paidAt: '2026-11-20T09:30:00+08:00', method: 'alipay' },
    language: 'zh',
  },
  {
    kind: 'sms',
    subject: { phone: '+44 7911 123456' },
    content: 'WINNER!! You have won a £1000 prize. Call 09061701461 to claim now',
    language: 'en',
  },
  {
    kind: 'internet_account',
    subject: { internetAccount: { platform: 'wechat', id: 'laoban_zhang_88' } },
    content: '冒充我们公司老板加我微信，让我给供应商转账',
    ageGroup: 'adult',
    language: 'zh',
  },
];

export interface DemoSummary {
  password: string;
  users: { username: string; organisation: string; roles: Role[] }[];
  organisations: number;
  persons: number;
  phoneCards: number;
  bankAccounts: number;
  listings: number;
  reports: number;
  detections: number;
  warnings: number;
  fundCases: number;
}

/**
 * Whether this database holds the seeded demo (its centre organisation): the demo shows one-time
 * codes on screen for want of an SMS gateway; a real deployment never does.
 */
export async function holdsDemo(db: Kysely<DB>): Promise<boolean> {
  const row = await db
    .selectFrom('organisations')
    .select('id')
    .where('name', '=', ORGANISATIONS[0]!.name)
    .where('kind', '=', 'anti_fraud_centre')
    .executeTakeFirst();
  return row !== undefined;
}

export async function isEmpty(db: Kysely<DB>): Promise<boolean> {
  const row = await db.selectFrom('organisations').select('id').limit(1).executeTakeFirst();
  return !row;
}

/** Seeds a small, believable world: the five kinds of organisation, users of every role, people and what they hold. */
export async function seedDemo(s: Services, opts: { progress?: boolean } = {}): Promise<DemoSummary> {
  const steps = ORGANISATIONS.length + USERS.length + PERSONS.length;
  const bar = opts.progress ? new Progress('demo', steps) : null;
  const org: Record<string, string> = {};
  for (const o of ORGANISATIONS) {
    org[o.key] = await createOrganisation(s.db, s.bus, SYSTEM, { name: o.name, kind: o.kind });
    bar?.tick();
  }
  for (const u of USERS) {
    await createUser(s.db, s.bus, SYSTEM, {
      organisationId: org[u.org]!,
      username: u.username,
      displayName: u.displayName,
      password: DEMO_PASSWORD,
      roles: u.roles,
    });
    bar?.tick();
  }
  let cards = 0;
  let accounts = 0;
  const operators = [org.mobile!, org.telecom!];
  const banks = [org.bank!, org.pay!];
  for (const [i, p] of PERSONS.entries()) {
    const idNumber = p.region
      ? demoIdNumber(p.region, p.born, i, p.sex)
      : `passport:E${String(4_000_000 + i * 7919)}`;
    const { id } = await ensurePerson(s.db, s.pii, s.bus, SYSTEM, {
      name: p.name,
      idNumber,
      organisationId: org.centre!,
    });
    // Most hold one or two cards; person 5 (杨磊) holds eight across two operators, over the usual limit.
    const cardCount = i === 5 ? 8 : 1 + (i % 2);
    for (let c = 0; c < cardCount; c++) {
      await addPhoneCard(s.db, SYSTEM, {
        msisdn: `+86138${String(10_000_000 + i * 100 + c).slice(-8)}`,
        imsi: `46000${String(1_000_000_000 + i * 100 + c)}`,
        holderPersonId: id,
        operatorOrgId: operators[(i + c) % 2]!,
        cardType: 'consumer',
        holderRegion: p.region.slice(0, 4) || null,
        activatedAt: new Date(Date.UTC(2020 + (i % 6), (i * 3 + c) % 12, 1 + c)).toISOString(),
        // A sales outlet of the holder's region, as operators' card files name it.
        outlet: p.region ? `${p.region}-${String(1 + ((i + c) % 40)).padStart(3, '0')}` : null,
      });
      cards++;
    }
    for (let a = 0; a < 1 + (i % 3 === 0 ? 1 : 0); a++) {
      await addBankAccount(s.db, SYSTEM, {
        account: luhnComplete(`62170000${String(1_000_000 + i * 10 + a).padStart(7, '0')}`),
        institutionOrgId: banks[(i + a) % 2]!,
        holderPersonId: id,
        accountType: 'personal',
        openedAt: new Date(Date.UTC(2015 + (i % 9), (i * 5 + a) % 12, 10)).toISOString(),
      });
      accounts++;
    }
    bar?.tick();
  }
  // Numbers are recycled: 张伟 (person 0) held, until 2019, the number that is 王芳's (person 1) now.
  const zhang = await s.db
    .selectFrom('phone_cards')
    .select('holder_person_id')
    .where('msisdn', '=', '+8613810000000')
    .executeTakeFirstOrThrow();
  await recordCancelledPhoneCard(s.db, SYSTEM, {
    msisdn: '+8613810000100',
    imsi: '460001000000050',
    holderPersonId: zhang.holder_person_id,
    operatorOrgId: org.mobile!,
    cardType: 'consumer',
    holderRegion: '1101',
    activatedAt: '2016-04-01T10:00:00+08:00',
    cancelledAt: '2019-02-01T12:00:00+08:00',
  });
  cards++;
  // And an account of his that the bank closed in 2021: listed as closed, like the card given back.
  await recordClosedBankAccount(s.db, SYSTEM, {
    account: luhnComplete('621700002000001'),
    institutionOrgId: org.bank!,
    holderPersonId: zhang.holder_person_id,
    accountType: 'personal',
    openedAt: '2017-06-10T10:00:00+08:00',
    closedAt: '2021-08-31T12:00:00+08:00',
  });
  accounts++;
  // An IoT card with no natural-person holder (a smart meter), for the detectors to come.
  await addPhoneCard(s.db, SYSTEM, {
    msisdn: '+861440000000001',
    imsi: '460041000000001',
    holderPersonId: null,
    operatorOrgId: org.mobile!,
    cardType: 'iot',
    activatedAt: '2024-03-01T00:00:00+08:00',
  });
  cards++;
  await seedProtected(s.db, SYSTEM);
  let listings = 0;
  for (const l of LISTINGS) {
    const r = await listIndicator(s.db, s.bus, SYSTEM, {
      ...l,
      source: { kind: 'analyst', reporterRef: 'demo' },
    });
    if (r.outcome !== 'review') listings++;
  }
  for (const [i, r] of REPORTS.entries()) {
    const device = s.pii.lookupHash('reporter', `demo-device-${i}`);
    await submitReport(s, r, {
      channel: 'public',
      reporterKey: device,
      networkKey: s.pii.lookupHash('reporter_network', `demo-network-${i}`),
    });
  }
  const detections = await seedDetections(s, org, (i) => {
    const p = PERSONS[i]!;
    return demoIdNumber(p.region, p.born, i, p.sex);
  });
  await seedPersonLists(s, (i) => {
    const p = PERSONS[i]!;
    return { idNumber: demoIdNumber(p.region, p.born, i, p.sex), name: p.name };
  });
  const zhou = PERSONS[8]!;
  await seedAppeals(s, org, demoIdNumber(zhou.region, zhou.born, 8, zhou.sex));
  accounts += (await seedFunds(s, org)).bankAccounts;
  const warnings = await seedWarnings(s, org);
  bar?.stop();
  return {
    password: DEMO_PASSWORD,
    users: USERS.map((u) => ({
      username: u.username,
      organisation: ORGANISATIONS.find((o) => o.key === u.org)!.name,
      roles: u.roles,
    })),
    organisations: ORGANISATIONS.length,
    persons: PERSONS.length,
    phoneCards: cards,
    bankAccounts: accounts,
    listings,
    reports: REPORTS.length,
    detections,
    warnings,
    fundCases: 1,
  };
}

/**
 * A review queue for the detection page: what the operators' and banks' detectors would have
 * raised this morning in the demo world (a SIM box, the IoT meter making calls, a spoofed number,
 * 杨磊's eight cards, a mule account, and 陈静, 78, paying after a long call from the SIM box).
 */
async function seedDetections(
  s: Services,
  org: Record<string, string>,
  idNumberOf: (personIndex: number) => string,
): Promise<number> {
  const t = Date.now() - 6 * 3_600_000;
  const h = 3_600_000;
  const box = ['+8617112340001', '+8617112340002', '+8617112340003'];
  const w = (from: number, hours: number) => ({ from, to: from + hours * h });
  const mobile: Detection[] = [
    {
      detector: 'simbox',
      subjectKind: 'imei',
      subject: '356938035643809',
      score: 0.97,
      window: w(t, 3),
      evidence: { imsis: 24, msisdns: box, outbound: 2310, inboundRatio: 0.004, cells: ['110105-0042'] },
    },
    ...box.map((msisdn, i): Detection => ({
      detector: 'simbox',
      subjectKind: 'msisdn',
      subject: msisdn,
      score: 0.93 - i * 0.02,
      window: w(t + i * 60_000, 3),
      evidence: { imei: '356938035643809', outbound: 180 - i * 9, distinctCallees: 176 - i * 9, gapCv: 0.08 },
    })),
    {
      detector: 'iot_misuse',
      subjectKind: 'msisdn',
      subject: '+861440000000001',
      score: 0.9,
      window: w(t + h, 2),
      evidence: { cardType: 'iot', voiceCalls: 37, p2pSms: 0, distinctCallees: 35 },
    },
    {
      detector: 'spoofed_caller',
      subjectKind: 'msisdn',
      subject: '+8613912345678',
      score: 0.88,
      window: w(t + 2 * h, 1),
      evidence: { rule: 'intl_presenting_domestic', gatewayCalls: 41, homeNetworkActive: true },
    },
    {
      detector: 'card_limit',
      subjectKind: 'holder',
      subject: idNumberOf(5),
      score: 0.9,
      window: w(t - 30 * 24 * h, 24),
      evidence: { rule: 'over_limit', cards: 8, nationalLimit: 5, overBy: 3 },
    },
  ];
  const bank: Detection[] = [
    {
      detector: 'mule_account',
      subjectKind: 'account',
      subject: '6228480402564890019',
      score: 0.91,
      window: w(t + 3 * h, 2),
      evidence: {
        payers: 9,
        payees: 2,
        passThrough: 0.98,
        meanDwellMinutes: 14,
        newAccount: true,
        nightShare: 0.6,
      },
    },
  ];
  const platform: Detection[] = [
    {
      detector: 'potential_victim',
      subjectKind: 'holder',
      subject: idNumberOf(4),
      score: 0.95,
      window: w(t + 4 * h, 1),
      evidence: {
        calls: [{ caller: box[0], durationS: 1840, flaggedBy: 'simbox' }],
        transfer: { amount: 4_800_000, payee: '6228480402564890019' },
        newPayee: true,
        payeeFlagged: true,
        hoursAfterCall: 0.4,
      },
    },
  ];
  let n = 0;
  n += (await recordDetections(s, org.mobile!, mobile)).stored;
  n += (await recordDetections(s, org.bank!, bank)).stored;
  n += (await recordDetections(s, null, platform)).stored;
  return n;
}

export function printDemoSummary(d: DemoSummary, out: NodeJS.WritableStream): void {
  const w = Math.max(...d.users.map((u) => u.username.length));
  out.write(
    `\nDemo seeded: ${d.organisations} organisations, ${d.persons} persons, ${d.phoneCards} phone cards, ${d.bankAccounts} bank accounts, ${d.listings} listings, ${d.reports} reports, ${d.detections} detections, ${d.warnings} warnings, ${d.fundCases} fund case.\n` +
      `Sign in with any of these users; the password of all is ${d.password}\n`,
  );
  for (const u of d.users)
    out.write(`  ${u.username.padEnd(w)}  ${u.roles.join(',').padEnd(21)} ${u.organisation}\n`);
}
