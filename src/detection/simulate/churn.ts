import fs from 'node:fs';
import path from 'node:path';

/**
 * A world that churns, for the memory checks (test/detection/memory.test.ts, bench "detection"):
 * every day brings `cohort` new subscribers calling each other and new accounts paying each other,
 * three numbers presented from abroad, an IoT card making voice calls and a mule account, and none
 * of them is seen again. The simulator's worlds keep the same people and fraudsters from day to
 * day, so they cannot show whether detector state grows with history; this one shows it at once
 * (what the detectors hold must follow one day's subjects, not all the days').
 */
export interface ChurnWorld {
  cards: string;
  accounts: string;
  calls: string;
  transactions: string;
  /** Midnight (+08:00) of the first day, epoch ms. */
  start: number;
  /** Per day: numbers flagged by design (3 presented from abroad, 1 IoT card) and mule accounts. */
  plantedPerDay: { spoofed: number; iot: number; mule: number };
}

const DAY = 86_400_000;

export function writeChurnWorld(
  dir: string,
  opts: { days: number; cohort: number; start?: number },
): ChurnWorld {
  const DAYS = opts.days;
  const COHORT = opts.cohort;
  const T0 = opts.start ?? Date.parse('2026-06-01T00:00:00+08:00');
  if (COHORT < 110 || COHORT > 900_000) throw new Error('cohort: 110 to 900,000 a day');
  fs.mkdirSync(dir, { recursive: true });
  const iso = (ms: number) => new Date(ms + 8 * 3600_000).toISOString().slice(0, 19) + '+08:00';
  const num = (day: number, i: number, prefix = '139') =>
    `+86${prefix}${String(day * 1_000_000 + i).padStart(8, '0')}`;
  const acct = (day: number, i: number) => `62220${String(day * 1_000_000 + i).padStart(10, '0')}`;

  const cards = ['msisdn,imsi,holder_id,holder_region,card_type,activated_at,operator'];
  const accounts = ['account,institution,holder_id,account_type,opened_at'];
  const calls: [number, string][] = [];
  const txns: [number, string][] = [];
  const call = (ts: number, caller: string, callee: string, origin: string, dur: number, dev = '') =>
    calls.push([
      ts,
      `${iso(ts)},voice,${caller},${callee},${dur},${dev ? '46000' + dev : ''},${dev ? '35' + dev : ''},${dev ? 'C-' + dev.slice(-3) : ''},${origin}`,
    ]);
  let txn = 0;
  const pay = (ts: number, from: string, to: string, yuan: number) =>
    txns.push([ts, `${iso(ts)},T${++txn},${from},${to},${yuan}.00,CNY,mobile`]);
  for (let d = 0; d < DAYS; d++) {
    const day = T0 + d * DAY;
    for (let i = 0; i < COHORT; i++) {
      const holder = `H${d}-${i}`;
      // Opened years apart (cards opened together at one outlet would be a burst: card_limit's).
      const opened = iso(day - (400 + i * 30) * DAY);
      cards.push(
        `${num(d, i)},46000${String(d * 1_000_000 + i).padStart(10, '0')},${holder},GD,consumer,${opened},cmcc`,
      );
      accounts.push(`${acct(d, i)},ICBC,${holder},personal,${opened}`);
      // Each calls three of the day's cohort, one of whom calls back: ordinary phones.
      for (let k = 1; k <= 3; k++) {
        const ts = day + 8 * 3600_000 + ((i * 37 + k * 997) % 36_000) * 1000;
        call(
          ts,
          num(d, i),
          num(d, (i + k) % COHORT),
          'onnet',
          60 + k * 20,
          `${d}${String(i).padStart(7, '0')}`,
        );
        if (k === 1) call(ts + 600_000, num(d, (i + k) % COHORT), num(d, i), 'onnet', 45);
      }
      pay(
        day + 12 * 3600_000 + Math.floor((i * 8 * 3600) / COHORT) * 1000,
        acct(d, i),
        acct(d, (i + 1) % COHORT),
        150,
      );
    }
    // Three numbers presented from abroad, new each day.
    for (let k = 0; k < 3; k++)
      call(day + 10 * 3600_000 + k * 60_000, num(d, COHORT + k), num(d, k), 'intl', 90);
    // An IoT card making voice calls to four people.
    const iot = `+86144${String(d * 100).padStart(8, '0')}`;
    cards.push(`${iot},46004${d},,GD,iot,${iso(day - 100 * DAY - d * 3600_000)},cmcc`);
    for (let k = 0; k < 4; k++) call(day + 11 * 3600_000 + k * 60_000, iot, num(d, 20 + k), 'onnet', 40);
    // A mule: a week-old account fed by four of the day's accounts, passing it all on at night.
    const mule = acct(d, COHORT);
    accounts.push(`${mule},ICBC,M${d},personal,${iso(day - 7 * DAY)}`);
    for (let k = 0; k < 4; k++)
      pay(day + 13 * 3600_000 + k * 600_000, acct(d, 40 + k), mule, 4_000 + k * 500);
    pay(day + 14 * 3600_000, mule, acct(d, 100), 16_900);
    pay(day + 14 * 3600_000 + 300_000, mule, acct(d, 101), 500);
  }
  const files = {
    cards: path.join(dir, 'cards.csv'),
    accounts: path.join(dir, 'accounts.csv'),
    calls: path.join(dir, 'calls.csv'),
    transactions: path.join(dir, 'transactions.csv'),
  };
  const sorted = (rows: [number, string][], header: string) =>
    [header, ...rows.sort((a, b) => a[0] - b[0]).map((r) => r[1])].join('\n') + '\n';
  fs.writeFileSync(files.cards, cards.join('\n') + '\n');
  fs.writeFileSync(files.accounts, accounts.join('\n') + '\n');
  fs.writeFileSync(files.calls, sorted(calls, 'ts,kind,caller,callee,duration_s,imsi,imei,cell_id,origin'));
  fs.writeFileSync(
    files.transactions,
    sorted(txns, 'ts,txn_id,payer_account,payee_account,amount,currency,channel'),
  );
  return { ...files, start: T0, plantedPerDay: { spoofed: 3, iot: 1, mule: 1 } };
}
