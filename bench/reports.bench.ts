/**
 * The reports capability's hot paths: indicator extraction from message texts, SMS decisions that
 * run the classifier under the national content rule, and citizens' reports through the whole
 * service (normalise, extract, classify, store, count reporters) on the database in use.
 * Texts are generated (no corpus is read), deterministic, in Chinese and English, a third with a
 * link, number or card written to evade filters.
 */
import crypto from 'node:crypto';
import type { BenchResult } from './harness.ts';
import { extractIndicators } from '../src/reports/extract.ts';
import { DecisionEngine, type DecisionEvent } from '../src/registry/engine/index.ts';
import { classify } from '../src/reports/classifier/index.ts';
import { defaultClassifier } from '../src/reports/classify.ts';
import { testApp } from '../test/helpers/app.ts';
import { submitReport } from '../src/reports/service.ts';

const ZH = [
  '我是北京市公安局的警官，你的银行卡涉嫌洗钱，请把钱转到安全账户 6222 0212 3456 7898',
  '【示范移动】您本月话费账单已出，应缴 58.00 元，可登录掌上营业厅查询明细。',
  '您好，我是淘宝客服，您购买的商品有质量问题，办理退款请加微信 kefu_8866 或访问 www . refund-tb . top',
  '无抵押秒批贷款，额度 5万，先交 2000 元保证金，详询 138-0013-8000',
  '【示范银行】您尾号 1234 的账户于 11 月 29 日转入 3,000.00 元。',
];
const EN = [
  'WINNER!! You have won a £1000 prize. Call 09061701461 or visit hxxp://claim-prize[.]example.com now',
  'Hey, are we still on for dinner at 7? Let me know.',
  'Your parcel is held at customs, pay the $2.99 fee at http://parcel-fee.example.top/pay',
  'Your verification code is 482910. Do not share it with anyone.',
];

function texts(n: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const pool = i % 3 === 2 ? EN : ZH;
    out.push(`${pool[i % pool.length]!} #${i}`);
  }
  return out;
}

function rate(n: number, fn: (i: number) => void): number {
  for (let i = 0; i < Math.min(n, 2000); i++) fn(i); // warm-up
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) fn(i);
  return n / (Number(process.hrtime.bigint() - t0) / 1e9);
}

export async function run(): Promise<BenchResult[]> {
  const out: BenchResult[] = [];
  const msgs = texts(50_000);
  const n = msgs.length;
  const extract = rate(n, (i) => extractIndicators(msgs[i]!));
  out.push({
    name: 'indicator extraction from message texts (one core)',
    value: extract,
    unit: 'messages/s',
    note: 'phones in any written form, broken-up links, Luhn cards, amounts, accounts, apps; zh and en mix',
  });

  const model = defaultClassifier();
  const engine = new DecisionEngine({ classifier: (t) => classify(model, t) });
  const events: DecisionEvent[] = msgs.map((content, i) => ({
    kind: 'sms',
    parties: [{ role: 'sender', kind: 'phone', value: `+86170${String(10_000_000 + i).slice(-8)}` }],
    content,
  }));
  let warned = 0;
  const sms = rate(n, (i) => {
    if (engine.decide(events[i]!).action !== 'allow') warned++;
  });
  out.push({
    name: 'SMS decisions with the classifier (content rule), one core',
    value: sms,
    unit: 'decisions/s',
    target: 'classifier ≥ 20,000 messages/s/core',
    note: `normalise sender, extract and match links and numbers, classify the text; ${Math.round((100 * warned) / (n + Math.min(n, 2000)))}% warned`,
  });

  const { services, close } = await testApp();
  try {
    const reports = 500;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < reports; i++) {
      await submitReport(
        services,
        {
          kind: 'sms',
          subject: { phone: `+86171${String(20_000_000 + (i % 200)).slice(-8)}` },
          content: msgs[i]!,
        },
        {
          channel: 'public',
          reporterKey: crypto.createHash('sha256').update(`r${i}`).digest('hex'),
          networkKey: `n${i % 97}`,
        },
      );
    }
    const secs = Number(process.hrtime.bigint() - t0) / 1e9;
    out.push({
      name: `citizen reports through the service (${process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite'})`,
      value: reports / secs,
      unit: 'reports/s',
      note: `${reports} reports, 200 distinct numbers (candidates reach the registry as reporters agree); one at a time, one transaction each`,
    });
  } finally {
    await close();
  }
  return out;
}
