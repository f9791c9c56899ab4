import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  addAccount,
  newContext,
  withdrawAtEnd,
  withdrawEnded,
  type DetectionContext,
  type Detector,
} from '../../src/detection/detector.ts';
import type {
  AccountRecord,
  CallRecord,
  CardRecord,
  Detection,
  TransactionRecord,
} from '../../src/detection/records.ts';
import { muleAccountDetector } from '../../src/detection/detectors/mule-account.ts';
import { potentialVictimDetector } from '../../src/detection/detectors/potential-victim.ts';

const H = 3_600_000;
const DAY = 24 * H;
/** A Monday 10:00 in Beijing. */
const T0 = Date.parse('2026-03-02T10:00:00+08:00');

function account(
  acct: string,
  holderId: string,
  openedAt = T0 - 800 * DAY,
  type: 'personal' | 'corporate' = 'personal',
): AccountRecord {
  return { account: acct, institution: 'ICBC', holderId, accountType: type, openedAt };
}

function card(msisdn: string, holderId: string): CardRecord {
  return {
    msisdn,
    imsi: '46000' + msisdn.slice(-10),
    holderId,
    holderRegion: '110000',
    cardType: 'consumer',
    activatedAt: T0 - 900 * DAY,
    operator: 'CMCC',
  };
}

/** `mule_account` without the rule for money collected for a payment (`minPurchaseShare`). */
const NO_PURCHASE_RULE = { minPurchaseShare: 2, minPurchaseCover: Infinity };

let txnSeq = 0;
function txn(ts: number, payer: string, payee: string, yuan: number, channel = 'mobile'): TransactionRecord {
  return {
    ts,
    txnId: `T${++txnSeq}`,
    payer,
    payee,
    amount: Math.round(yuan * 100),
    currency: 'CNY',
    channel,
  };
}

function call(
  ts: number,
  caller: string,
  callee: string,
  durationS: number,
  kind: 'voice' | 'sms' = 'voice',
) {
  const r: CallRecord = {
    ts,
    kind,
    caller,
    callee,
    durationS,
    imsi: null,
    imei: null,
    cellId: null,
    origin: 'offnet',
  };
  return r;
}

type Ev = { call: CallRecord } | { txn: TransactionRecord } | { flagNumber: string; ts: number };

/** Runs events in time order through the detectors, draining after each, then a final drain. */
function run(detectors: Detector[], ctx: DetectionContext, events: Ev[], finalAt?: number): Detection[] {
  const ts = (e: Ev) => ('call' in e ? e.call.ts : 'txn' in e ? e.txn.ts : e.ts);
  const sorted = [...events].sort((a, b) => ts(a) - ts(b));
  const out: Detection[] = [];
  let now = T0;
  for (const e of sorted) {
    now = ts(e);
    if ('call' in e) for (const d of detectors) d.onCall?.(e.call, ctx);
    else if ('txn' in e) for (const d of detectors) d.onTransaction?.(e.txn, ctx);
    else ctx.flaggedNumbers.set(e.flagNumber, { detector: 'fraud_caller', at: e.ts });
    for (const d of detectors) out.push(...d.drain(now, false, ctx));
  }
  for (const d of detectors) out.push(...d.drain(finalAt ?? now, true, ctx));
  return out;
}

describe('mule_account', () => {
  const mules = ['M1', 'M2A', 'M2B', 'M3', 'M4'];
  const accounts: AccountRecord[] = [
    ...mules.map((m, i) => account(m, `HM${i}`, T0 - (10 + i) * DAY)),
    ...Array.from({ length: 6 }, (_, i) => account(`V${i}`, `HV${i}`)),
    account('SHOP', 'HSHOP', T0 - 700 * DAY, 'corporate'),
    account('SUPPLIER', 'HSUP', T0 - 900 * DAY, 'corporate'),
    account('EMPLOYER', 'HEMP', T0 - 900 * DAY, 'corporate'),
    account('WORKER', 'HWORK'),
    account('LANDLORD', 'HLAND'),
    account('FAMILY', 'HFAM'),
    ...Array.from({ length: 3 }, (_, i) => account(`REL${i}`, `HREL${i}`)),
    ...Array.from({ length: 40 }, (_, i) => account(`CUST${i}`, `HCUST${i}`)),
  ];

  function world(): Ev[] {
    const ev: Ev[] = [];
    // Six victims pay M1 within three hours, one just under 50,000.00.
    const paid = [30_000, 42_000, 49_500, 18_000, 25_000, 35_000];
    // One pays at a bank counter (a `counter` transfer into an account is an inflow, not cash-out).
    paid.forEach((y, i) =>
      ev.push({ txn: txn(T0 + i * 0.5 * H, `V${i}`, 'M1', y, i === 2 ? 'counter' : 'mobile') }),
    );
    const total = paid.reduce((a, b) => a + b, 0);
    // Split: M1 → M2A (60 %) → M3 before M1 is flagged; then M1 → M2B (38 %).
    ev.push({ txn: txn(T0 + 4 * H, 'M1', 'M2A', total * 0.6) });
    ev.push({ txn: txn(T0 + 4.05 * H, 'M2A', 'M3', total * 0.6) });
    ev.push({ txn: txn(T0 + 4.1 * H, 'M1', 'M2B', total * 0.38) });
    // Merge at M3, layer to M4, cash out at ATMs.
    ev.push({ txn: txn(T0 + 5.5 * H, 'M2B', 'M3', total * 0.38) });
    ev.push({ txn: txn(T0 + 6.5 * H, 'M3', 'M4', total * 0.97) });
    for (let k = 0; k < 4; k++)
      ev.push({ txn: txn(T0 + (7 + k * 0.3) * H, 'M4', k === 3 ? '' : `ATM-00${k}`, total * 0.24, 'atm') });
    // Merchant: 40 customers over three days, pays a supplier 80 % of it on day 3.
    for (let i = 0; i < 40; i++) ev.push({ txn: txn(T0 + i * 1.8 * H, `CUST${i}`, 'SHOP', 350 + i * 10) });
    ev.push({ txn: txn(T0 + 3 * DAY, 'SHOP', 'SUPPLIER', 16_000) });
    // Salary then rent an hour later.
    ev.push({ txn: txn(T0 - H, 'EMPLOYER', 'WORKER', 15_000) });
    ev.push({ txn: txn(T0, 'WORKER', 'LANDLORD', 5_000) });
    // Family account: three relatives, slow modest spending.
    for (let i = 0; i < 3; i++) ev.push({ txn: txn(T0 + i * 5 * H, `REL${i}`, 'FAMILY', 2_000) });
    ev.push({ txn: txn(T0 + 2 * DAY, 'FAMILY', 'LANDLORD', 1_000) });
    return ev;
  }

  test('a 4-hop chain with a split and a merge: every mule, no decoy', () => {
    const ctx = newContext([], accounts);
    const det = muleAccountDetector();
    const out = run([det], ctx, world());
    const subjects = out.map((d) => d.subject).sort();
    assert.deepEqual(subjects, [...mules].sort());
    for (const d of out) {
      assert.equal(d.detector, 'mule_account');
      assert.equal(d.subjectKind, 'account');
      assert.ok(d.score >= 0.6 && d.score <= 1, `${d.subject} ${d.score}`);
      assert.ok(d.window.from <= d.window.to);
      assert.ok(ctx.flaggedAccounts.has(d.subject));
    }
    const m1 = out.find((d) => d.subject === 'M1');
    assert.equal(m1?.evidence.payers, 6);
    assert.equal(m1?.evidence.structuring, 1);
    assert.equal(m1?.evidence.newAccount, true);
    const m4 = out.find((d) => d.subject === 'M4');
    assert.equal(m4?.evidence.cashOutShare, 1);
    assert.equal(m4?.evidence.fromFlaggedShare, 1);
    // M2A passed the money on before M1 was flagged: caught by propagation.
    assert.equal(out.find((d) => d.subject === 'M2A')?.evidence.propagationDepth, 1);
    for (const decoy of ['SHOP', 'WORKER', 'FAMILY', 'SUPPLIER', 'LANDLORD'])
      assert.ok(!ctx.flaggedAccounts.has(decoy), decoy);
  });

  test('a small sum that left a mule before it was flagged is followed hop by hop; the same sums between ordinary people are not', () => {
    const small = [...accounts, ...['S1', 'S2', 'P1', 'P2'].map((a) => account(a, `H${a}`))];
    // 1,500.00 of M1's leaves for S1 before M1 is flagged (at its transfer to M2A), and is passed
    // on within the hour, by day, through old accounts, to a cash machine: two relays by day are no
    // chain on their own (three would be: "chains of one-payer relays"), but these follow M1.
    // P1 forwards 1,500.00 as fast, from a payer no one flagged, and P2 draws it by day. (A third
    // relay after P2 would make a chain: "chains of one-payer relays".)
    const chain = (from: string, via: string[], at: number): Ev[] =>
      via.map((to, i) => ({
        txn: txn(
          at + i * 0.02 * H,
          i === 0 ? from : via[i - 1]!,
          to,
          1_500 - 20 * i,
          to === '' ? 'atm' : 'mobile',
        ),
      }));
    const events = [
      ...world(),
      ...chain('M1', ['S1', 'S2', ''], 3.9 * H + T0),
      ...chain('FRIEND', ['P1', 'P2', ''], T0),
    ];
    const ctx = newContext([], small);
    const out = run([muleAccountDetector()], ctx, events);
    assert.deepEqual(out.map((d) => d.subject).sort(), [...mules, 'S1', 'S2'].sort());
    const depth = (a: string) => out.find((d) => d.subject === a)?.evidence.propagationDepth;
    assert.deepEqual(['S1', 'S2'].map(depth), [1, 2]);
    for (const a of ['S1', 'S2'])
      assert.equal(
        out.find((d) => d.subject === a)?.evidence.inflow,
        (1_500 - 20 * (Number(a[1]) - 1)) * 100,
      );
    for (const a of ['P1', 'P2']) assert.ok(!ctx.flaggedAccounts.has(a), a);
    // The least sum a hop is looked at from is a parameter: at the larger sums' 2,000.00 the chain goes unseen.
    const strict = run([muleAccountDetector({ minHopInflow: 200_000 })], newContext([], small), events);
    assert.deepEqual(strict.map((d) => d.subject).sort(), [...mules].sort());
  });

  test('once per episode, and state expires with the window', () => {
    const ctx = newContext([], accounts);
    const det = muleAccountDetector();
    const ev = world();
    // More victims and more cash-out in the same episode.
    for (let i = 0; i < 3; i++) ev.push({ txn: txn(T0 + (8 + i) * H, `V${i}`, 'M1', 20_000) });
    ev.push({ txn: txn(T0 + 12 * H, 'M1', 'M2A', 60_000) });
    ev.push({ txn: txn(T0 + 13 * H, 'M2A', 'M4', 60_000) });
    ev.push({ txn: txn(T0 + 14 * H, 'M4', 'ATM-9', 60_000, 'atm') });
    const out = run([det], ctx, ev);
    const counts = new Map<string, number>();
    for (const d of out) counts.set(d.subject, (counts.get(d.subject) ?? 0) + 1);
    for (const m of mules) assert.equal(counts.get(m), 1, m);
    assert.ok(det.stateSize() > 0);
    assert.deepEqual(det.drain(T0 + 3 * DAY + 73 * H, false, ctx), []);
    assert.equal(det.stateSize(), 0);
    // Flags this detector set expire too.
    det.drain(T0 + 40 * DAY, true, ctx);
    assert.equal(ctx.flaggedAccounts.size, 0);
  });

  test('a new episode after a quiet window is reported again', () => {
    const ctx = newContext([], accounts);
    const det = muleAccountDetector();
    const later = 10 * DAY;
    const ev = world();
    for (let i = 0; i < 4; i++) ev.push({ txn: txn(T0 + later + i * H, `V${i}`, 'M1', 20_000) });
    ev.push({ txn: txn(T0 + later + 5 * H, 'M1', 'ATM-1', 80_000, 'atm') });
    const out = run([det], ctx, ev);
    assert.equal(out.filter((d) => d.subject === 'M1').length, 2);
  });
});

describe('mule_account: passing money on is not enough alone', () => {
  // The case of a 200,000-person world: two friends send money within half an hour, the account pays a
  // larger bill in the evening. Pass-through near 1, two payers, nothing else.
  const accounts = [
    account('PERSON', 'HP'),
    account('FRIEND1', 'HF1'),
    account('FRIEND2', 'HF2'),
    account('BILL', 'HB'),
    account('BILL2', 'HB2'),
  ];
  const day = (dwellH: number, payees = 1, at = T0): Ev[] => [
    { txn: txn(at, 'FRIEND1', 'PERSON', 5_300) },
    { txn: txn(at + 0.25 * H, 'FRIEND2', 'PERSON', 1_700) },
    { txn: txn(at + 0.25 * H + dwellH * H, 'PERSON', 'BILL', payees === 1 ? 7_000 : 3_500) },
    ...(payees === 1 ? [] : [{ txn: txn(at + 0.3 * H + dwellH * H, 'PERSON', 'BILL2', 3_500) }]),
  ];

  test('an ordinary account paying a bill hours later is not a mule; the same money moved on in minutes is', () => {
    for (const payees of [1, 2]) {
      const slow = newContext([], accounts);
      assert.deepEqual(run([muleAccountDetector()], slow, day(5, payees)), [], `payees ${payees}`);
      const fast = newContext([], accounts);
      const out = run([muleAccountDetector()], fast, day(0.1, payees));
      assert.deepEqual(
        out.map((d) => d.subject),
        ['PERSON'],
        `payees ${payees}`,
      );
    }
    // The bound is a parameter.
    const ctx = newContext([], accounts);
    assert.equal(run([muleAccountDetector({ plainMaxDwellMs: 12 * H })], ctx, day(5)).length, 1);
  });

  test('drawing the money in cash is no sign by itself: a relative draws a forwarded sum at the bank', () => {
    // Two transfers (one of them a son forwarding what a friend paid back), drawn at the counter an
    // hour later: by day, an old account, nothing but the flow.
    const drawn = (at: number): Ev[] => [
      { txn: txn(at, 'FRIEND1', 'PERSON', 5_300) },
      { txn: txn(at + 0.25 * H, 'FRIEND2', 'PERSON', 1_700) },
      { txn: txn(at + 1.25 * H, 'PERSON', '', 6_900, 'counter') },
    ];
    assert.deepEqual(run([muleAccountDetector()], newContext([], accounts), drawn(T0)), []);
    // With the plain rule's earlier bound of 2 hours it fired.
    const before = run(
      [muleAccountDetector({ plainMaxDwellMs: 2 * H })],
      newContext([], accounts),
      drawn(T0),
    );
    assert.deepEqual(
      before.map((d) => d.subject),
      ['PERSON'],
    );
    // The same at 01:00 is a sign.
    const night = run([muleAccountDetector()], newContext([], accounts), drawn(T0 + 15 * H));
    assert.deepEqual(
      night.map((d) => d.subject),
      ['PERSON'],
    );
  });

  test('three payers are still plain: a relative who also got a forward draws it all at the bank', () => {
    const drawn: Ev[] = [
      { txn: txn(T0, 'FRIEND1', 'PERSON', 3_000) },
      { txn: txn(T0 + 2 * H, 'FRIEND2', 'PERSON', 2_000) },
      { txn: txn(T0 + 3 * H, 'BILL', 'PERSON', 2_500) },
      { txn: txn(T0 + 5 * H, 'PERSON', '', 7_400, 'atm') },
    ];
    assert.deepEqual(run([muleAccountDetector()], newContext([], accounts), drawn), []);
    // A friend's transfer that came in at 00:30 is no sign either: money leaving at night is.
    const lateFriend = [{ txn: txn(T0 - 9.5 * H, 'FRIEND1', 'PERSON', 3_000) }, ...drawn.slice(1)];
    assert.deepEqual(run([muleAccountDetector()], newContext([], accounts), lateFriend), []);
    const nightOut = [...drawn.slice(0, 3), { txn: txn(T0 + 15 * H, 'PERSON', '', 7_400, 'atm') }];
    assert.equal(run([muleAccountDetector()], newContext([], accounts), nightOut).length, 1);
  });

  test('any other sign lifts the rule: a new account, a night transfer, a flagged payer', () => {
    const fresh = accounts.map((a) => (a.account === 'PERSON' ? account('PERSON', 'HP', T0 - 5 * DAY) : a));
    assert.equal(run([muleAccountDetector()], newContext([], fresh), day(5)).length, 1, 'new account');
    // The same day, starting at 21:00: the bill is paid at 02:30.
    assert.equal(
      run([muleAccountDetector()], newContext([], accounts), day(5, 1, T0 + 11 * H)).length,
      1,
      'night',
    );
    const ctx = newContext([], accounts);
    ctx.flaggedAccounts.set('FRIEND1', { detector: 'mule_account', at: T0 - H });
    assert.equal(run([muleAccountDetector()], ctx, day(5)).length, 1, 'flagged payer');
  });
});

describe('mule_account: fan-in is no sign alone either', () => {
  const FRIENDS = Array.from({ length: 9 }, (_, i) => `F${i}`);
  const accounts = [
    account('ORG', 'HORG'),
    ...FRIENDS.map((f) => account(f, `H${f}`)),
    account('PERSON', 'HP'),
    account('SHOP', 'HSHOP', T0 - 900 * DAY, 'corporate'),
    account('NEIGHBOUR', 'HN'),
    account('RELATIVE', 'HR'),
    account('EMPLOYER', 'HEMP', T0 - 900 * DAY, 'corporate'),
    account('SAVINGS', 'HP'),
  ];
  const reported = (ev: Ev[], params = {}) =>
    run([muleAccountDetector(params)], newContext([], accounts), ev).map((d) => d.subject);

  test('an organiser who pays a person out of the shares the evening before paying the shop is no mule; the same passed on in minutes is', () => {
    // As on a 5,000-person, 14-day world, seed 51: nine friends pay 850.00 each over three and a
    // half hours, the organiser sends a person 7,100.00 at 23:30 and the shop 8,500.00 the next
    // morning. At 23:30 the shop is not paid yet: nine payers, nearly all passed on.
    const shares = (gapMin: number): Ev[] =>
      FRIENDS.map((f, i): Ev => ({ txn: txn(T0 + 4 * H + i * gapMin * 60_000, f, 'ORG', 850) }));
    const evening: Ev[] = [
      ...shares(25),
      { txn: txn(T0 + 13.5 * H, 'ORG', 'PERSON', 7_100) },
      { txn: txn(T0 + 21.8 * H, 'ORG', 'SHOP', 8_500, 'online') },
    ];
    assert.deepEqual(reported(evening), []);
    // Without the plain rule (as for more than three payers until 2026-12-03): reported.
    assert.deepEqual(reported(evening, { plainMaxDwellMs: Infinity }), ['ORG']);
    // Shares two minutes apart, all of it to the person five minutes after the last: fast.
    const fast: Ev[] = [...shares(2), { txn: txn(T0 + 4.35 * H, 'ORG', 'PERSON', 7_600) }];
    assert.deepEqual(reported(fast), ['ORG']);
  });

  test('one payer who gave nine tenths of the money makes a one-payer account: a forward on the day a neighbour paid back, a salary moved on', () => {
    // As on seed 51: a neighbour repays 340.00 at noon; at 15:30 a friend sends 5,400.00, forwarded
    // 16 minutes later to a relative who draws 5,390.00 at an ATM half an hour after. Two payers
    // and 26 minutes' mean dwell were a mule to the plain rule, and the relative its next hop.
    const forward: Ev[] = [
      { txn: txn(T0 + 2.9 * H, 'NEIGHBOUR', 'PERSON', 340) },
      { txn: txn(T0 + 5.5 * H, 'F0', 'PERSON', 5_400) },
      { txn: txn(T0 + 5.77 * H, 'PERSON', 'RELATIVE', 5_400) },
      { txn: txn(T0 + 6.28 * H, 'RELATIVE', '', 5_390, 'atm') },
    ];
    assert.deepEqual(reported(forward), []);
    assert.deepEqual(reported(forward, { maxMainPayerShare: 1.01 }), ['PERSON', 'RELATIVE']);
    // Two friends giving 5,400.00 and 1,200.00 (82 % and 18 %), passed on within 20 minutes on
    // average, are fan-in still.
    const two: Ev[] = [{ txn: txn(T0 + 5.17 * H, 'F1', 'PERSON', 1_200) }, ...forward.slice(1, 3)];
    two[2] = { txn: txn(T0 + 5.77 * H, 'PERSON', 'RELATIVE', 6_500) };
    assert.deepEqual(reported(two), ['PERSON']);
    // As on a 2,000-person, 30-day world, seed 10: a friend's 180.00, a salary of 10,057.00 at
    // 10:54, and at 00:47 13,700.00 moved to the holder's account at another bank (spent there at
    // 01:01, some of it money from before the stream).
    const salary: Ev[] = [
      { txn: txn(T0 - 39 * H, 'F2', 'ORG', 180) },
      { txn: txn(T0 + 0.9 * H, 'EMPLOYER', 'ORG', 10_057, 'online') },
      { txn: txn(T0 + 14.8 * H, 'ORG', 'SAVINGS', 13_700) },
    ];
    assert.deepEqual(reported(salary), []);
    assert.deepEqual(reported(salary, { maxMainPayerShare: 1.01 }), ['ORG']);
  });
});

describe('mule_account: chains of one-payer relays', () => {
  // The 2,000-person, 30-day world of seed 8: a victim whose calls are not in the data pays A, and
  // the money goes A → B → C → D → cash machine, one payer per account, nobody flagged yet.
  const names = ['VICTIM', 'A', 'B', 'C', 'D', 'EMPLOYER', 'W', 'L', 'M', 'N', 'X', 'Y'];
  const accounts = names.map((a) =>
    a === 'EMPLOYER' ? account(a, `H${a}`, T0 - 900 * DAY, 'corporate') : account(a, `H${a}`),
  );
  /** The chain through `via`, the first transfer at `at`, each next `gapsH` hours later, yuan falling by 40 a hop. */
  const chain = (from: string, via: string[], at: number, gapsH: number[], yuan = 9_500): Ev[] => {
    let ts = at;
    return via.map((to, i) => {
      if (i > 0) ts += gapsH[i - 1]! * H;
      return {
        txn: txn(ts, i === 0 ? from : via[i - 1]!, to, yuan - 40 * i, to === '' ? 'atm' : 'mobile'),
      };
    });
  };
  // From 10:00 to 02:30 the next morning.
  const four = () => chain('VICTIM', ['A', 'B', 'C', 'D', ''], T0, [14, 1.4, 0.2, 0.3]);

  test('four accounts in a row, each passing on what the one before sent, are all layers of a chain', () => {
    const ctx = newContext([], accounts);
    const out = run([muleAccountDetector()], ctx, four());
    assert.deepEqual(out.map((d) => d.subject).sort(), ['A', 'B', 'C', 'D']);
    // The first account with three relays behind it (itself included) fires; the rest follow from it.
    const c = out.find((d) => d.subject === 'C');
    assert.equal(c?.evidence.relayChain, 3);
    assert.equal(c?.evidence.payers, 1);
    assert.equal(c?.evidence.fromFlaggedShare, 0);
    assert.ok(!ctx.flaggedAccounts.has('VICTIM'));
    // Without the rule (a chain longer than any here), none of them is seen.
    const off = muleAccountDetector({ minRelayChain: 9, minRelayChainToCash: 9 });
    assert.deepEqual(run([off], newContext([], accounts), four()), []);
  });

  test('two relays end at a cash machine at night: both; by day, or into an account, not enough', () => {
    // 17:36, then 02:36 and 03:18.
    const night = chain('VICTIM', ['X', 'Y', ''], T0 + 7.6 * H, [9, 0.7], 3_600);
    const cash = run([muleAccountDetector()], newContext([], accounts), night);
    assert.deepEqual(cash.map((d) => d.subject).sort(), ['X', 'Y']);
    assert.equal(cash.find((d) => d.subject === 'Y')?.evidence.relayChain, 2);
    // A son forwards his friend's repayment to his mother, who draws it at the bank: by day,
    // through old accounts, nothing but the flow.
    const day = chain('VICTIM', ['X', 'Y', ''], T0, [2, 0.7], 3_600);
    assert.deepEqual(run([muleAccountDetector()], newContext([], accounts), day), []);
    // The same by day from a new account is a sign.
    const young = accounts.map((a) => (a.account === 'Y' ? account('Y', 'HY', T0 - 9 * DAY) : a));
    const fresh = run([muleAccountDetector()], newContext([], young), day);
    assert.deepEqual(fresh.map((d) => d.subject).sort(), ['X', 'Y']);
    // The same by day and into an account (X → Y → B, each within the hour): no cash, no chain of three.
    const noCash = run(
      [muleAccountDetector()],
      newContext([], accounts),
      chain('VICTIM', ['X', 'Y', 'B'], T0, [0.5, 0.5], 3_600),
    );
    assert.deepEqual(noCash, []);
  });

  test('two relays by day that end abroad, or at a company’s cash machine, are a chain', () => {
    // As on 5,000-person, 7-day worlds (seeds 145 and 153): a victim whose call is not in the data
    // pays X at 10:00; X passes it to Y within the hour, and Y sends it abroad, or Y, a company's
    // account of weeks, draws it at a cash machine. Two whole networks were missed before.
    const abroad: Ev[] = [
      ...chain('VICTIM', ['X', 'Y'], T0, [0.9], 24_900),
      { txn: txn(T0 + 1.8 * H, 'Y', 'FOREIGN1', 24_800, 'abroad') },
    ];
    const out = run([muleAccountDetector()], newContext([], accounts), abroad);
    assert.deepEqual(out.map((d) => d.subject).sort(), ['X', 'Y']);
    assert.equal(out.find((d) => d.subject === 'Y')?.evidence.relayChain, 2);
    assert.equal(out.find((d) => d.subject === 'Y')?.evidence.abroad, true);
    const company = accounts.map((a) =>
      a.account === 'Y' ? account('Y', 'HY', T0 - 80 * DAY, 'corporate') : a,
    );
    const day = chain('VICTIM', ['X', 'Y', ''], T0, [0.9, 0.8], 24_900);
    assert.deepEqual(
      run([muleAccountDetector()], newContext([], company), day)
        .map((d) => d.subject)
        .sort(),
      ['X', 'Y'],
    );
    // The same flows through a person's account of years, drawn at the machine: a forward to family.
    assert.deepEqual(run([muleAccountDetector()], newContext([], accounts), day), []);
  });

  test('small sums make chains too: a victim’s 1,900.00 through three accounts to a cash machine at night', () => {
    // As on a 2,000-person, 30-day world (seed 11): 22:14, 22:51, 23:47, cash at 00:17. Under
    // `minInflow` (2,000.00) none of the three was looked at before 2026-12-03.
    const small = chain('VICTIM', ['A', 'B', 'C', ''], T0 + 12.25 * H, [0.6, 0.95, 0.5], 1_900);
    const out = run([muleAccountDetector()], newContext([], accounts), small);
    assert.deepEqual(out.map((d) => d.subject).sort(), ['A', 'B', 'C']);
    assert.equal(out.find((d) => d.subject === 'C')?.evidence.relayChain, 3);
    // With the cash drawn by day, three relays in a row still make a chain.
    const byDay = chain('VICTIM', ['A', 'B', 'C', ''], T0, [0.6, 0.95, 0.5], 1_900);
    assert.deepEqual(
      run([muleAccountDetector()], newContext([], accounts), byDay)
        .map((d) => d.subject)
        .sort(),
      ['A', 'B', 'C'],
    );
    // A son forwards a friend's 1,500.00 to his mother, who draws it at the bank by day: no chain.
    const forward = chain('VICTIM', ['X', 'Y', ''], T0, [0.3, 0.7], 1_500);
    assert.deepEqual(run([muleAccountDetector()], newContext([], accounts), forward), []);
    // Under `minRelayInflow` (500.00) no chain: people pass a share of a dinner along the same day.
    const share = chain('VICTIM', ['A', 'B', 'C', ''], T0 + 12.25 * H, [0.6, 0.95, 0.5], 490);
    assert.deepEqual(run([muleAccountDetector()], newContext([], accounts), share), []);
    assert.deepEqual(
      run([muleAccountDetector({ minRelayInflow: 10_000 })], newContext([], accounts), share)
        .map((d) => d.subject)
        .sort(),
      ['A', 'B', 'C'],
    );
    // A small sum from three payers passed on is judged only as a chain: not fan-in.
    const fanIn: Ev[] = [
      { txn: txn(T0, 'L', 'W', 600) },
      { txn: txn(T0 + 0.1 * H, 'M', 'W', 600) },
      { txn: txn(T0 + 0.2 * H, 'N', 'W', 600) },
      { txn: txn(T0 + 0.3 * H, 'W', 'X', 1_790) },
    ];
    assert.deepEqual(run([muleAccountDetector()], newContext([], accounts), fanIn), []);
    // The same sums from 2,000.00 up are fan-in passed on within minutes: reported.
    const larger = fanIn.map((e, i) =>
      'txn' in e ? { txn: { ...e.txn, amount: i < 3 ? 70_000 : 209_000 } } : e,
    );
    assert.deepEqual(
      run([muleAccountDetector()], newContext([], accounts), larger).map((d) => d.subject),
      ['W'],
    );
  });

  test('a chain of three is a sign: relays holding the money an hour each by day still make it', () => {
    // As on a 5,000-person, 7-day world (seed 117): a victim whose call is not in the data pays
    // 15,800.00 at 08:42; it goes through three accounts weeks old and is drawn at an ATM at 11:57,
    // each hop about an hour later. Nothing but the flow, so the plain rule (`plainMaxDwellMs`)
    // held each of them back until 2026-12-03, night.
    const slow = chain('VICTIM', ['A', 'B', 'C', ''], T0 - 1.3 * H, [1.2, 0.9, 1.15], 15_800);
    const out = run([muleAccountDetector()], newContext([], accounts), slow);
    assert.deepEqual(out.map((d) => d.subject).sort(), ['A', 'B', 'C']);
    const c = out.find((d) => d.subject === 'C')!;
    assert.equal(c.evidence.relayChain, 3);
    assert.ok((c.evidence.meanDwellMinutes as number) > 30);
    // Two relays with the same hours (a son forwarding a repayment to his mother, who draws it):
    // no chain of three, and the plain rule holds.
    const two = chain('VICTIM', ['X', 'Y', ''], T0 - 1.3 * H, [1.2, 0.9], 15_800);
    assert.deepEqual(run([muleAccountDetector()], newContext([], accounts), two), []);
    // With the plain bound for chains too, as before, the three are not reported either.
    const plain = muleAccountDetector({ chainMaxDwellMs: 30 * 60_000 });
    assert.deepEqual(run([plain], newContext([], accounts), slow), []);
  });

  test('a chain whose end held the money hours is plain: a forward after an unrelated transfer', () => {
    // As on a 100,000-person, 3-day world (seed 9): 780.00 comes to A at 10:25, A pays 800.00 to
    // a friend at 14:18, who forwards 750.00 to a relative at 15:32, who draws 730.00 at the
    // counter at 17:30. Three relays in a row, the last holding the money two hours.
    const ev: Ev[] = [
      { txn: txn(T0 + 0.4 * H, 'VICTIM', 'A', 780) },
      { txn: txn(T0 + 4.3 * H, 'A', 'B', 800) },
      { txn: txn(T0 + 5.5 * H, 'B', 'C', 750) },
      { txn: txn(T0 + 7.5 * H, 'C', '', 730, 'counter') },
    ];
    assert.deepEqual(run([muleAccountDetector()], newContext([], accounts), ev), []);
    // Without the chain's bound it was reported, and B before it. (A, too, until A's money from a
    // person's account of years, paid on after 3.9 hours, fell under `borrowedMaxDwellMs`.)
    const unbounded = run([muleAccountDetector({ chainMaxDwellMs: Infinity })], newContext([], accounts), ev);
    assert.deepEqual(unbounded.map((d) => d.subject).sort(), ['B', 'C']);
    assert.deepEqual(
      run(
        [muleAccountDetector({ chainMaxDwellMs: Infinity, borrowedMaxDwellMs: 12 * H })],
        newContext([], accounts),
        ev,
      )
        .map((d) => d.subject)
        .sort(),
      ['A', 'B', 'C'],
    );
  });

  test('wages are not a relay: a salary paid on in full heads no chain', () => {
    // W pays all of the salary that just came in to L, who passes it to M, who passes it to N:
    // without wages W would be the third relay behind M.
    const ev = chain('EMPLOYER', ['W', 'L', 'M', 'N'], T0 + 14 * H, [0.3, 0.3, 0.3]);
    assert.deepEqual(run([muleAccountDetector()], newContext([], accounts), ev), []);
    // From a person instead of an employer, the same flows make M a layer.
    const person = chain('VICTIM', ['W', 'L', 'M', 'N'], T0 + 14 * H, [0.3, 0.3, 0.3]);
    const out = run([muleAccountDetector()], newContext([], accounts), person);
    assert.equal(out.find((d) => d.subject === 'M')?.evidence.relayChain, 3);
  });
});

describe('mule_account: a holder’s own money', () => {
  // Two in five people hold accounts at two or three banks and move money between them: gathered
  // for a purchase, or moved to the card they spend from. The simulator's own-account moves
  // (`plantOwnMoves`) were reported as mules on nine of ten worlds before this rule.
  const own = ['MAIN', 'SAVE1', 'SAVE2', 'CARD2', 'WALLET'].map((a) => account(a, 'HOWN'));
  const accounts = [
    ...own,
    ...['F1', 'F2', 'P1', 'P2', 'P3', 'VICTIM', 'X2', 'Y2'].map((a) => account(a, `H${a}`)),
    account('X', 'HX2'),
    account('Y', 'HY2'),
    account('SHOP', 'HSHOP', T0 - 900 * DAY, 'corporate'),
  ];
  const hop = (ts: number, from: string, to: string, yuan: number): Ev => ({
    txn: txn(ts, from, to, yuan, to === '' ? 'atm' : 'mobile'),
  });

  test('money gathered from one’s own accounts for a purchase is no fan-in; the same from two friends is', () => {
    // The purchase is from a private seller (a used car): paying an established business would be
    // money collected for a payment, which is no fan-in either (below).
    const gathered = (a: string, b: string): Ev[] => [
      hop(T0, a, 'MAIN', 12_000),
      hop(T0 + 0.1 * H, b, 'MAIN', 8_000),
      hop(T0 + 0.3 * H, 'MAIN', 'P1', 20_000),
    ];
    assert.deepEqual(run([muleAccountDetector()], newContext([], accounts), gathered('SAVE1', 'SAVE2')), []);
    const friends = run([muleAccountDetector()], newContext([], accounts), gathered('F1', 'F2'));
    assert.deepEqual(
      friends.map((d) => d.subject),
      ['MAIN'],
    );
    // An own account that is flagged is no longer the holder's own money: a flagged payer.
    const ctx = newContext([], accounts);
    ctx.flaggedAccounts.set('SAVE1', { detector: 'mule_account', at: T0 - H });
    const flagged = run([muleAccountDetector()], ctx, gathered('SAVE1', 'SAVE2'));
    assert.deepEqual(
      flagged.map((d) => [d.subject, d.evidence.fromFlaggedShare]),
      [['MAIN', 0.6]],
    );
  });

  test('money moved card to card and drawn at night is one person, no chain; three people are', () => {
    // From 01:30: MAIN → CARD2 → WALLET → cash machine, minutes apart.
    const moved = (via: string[]): Ev[] =>
      via.map((to, i) => hop(T0 + (15.5 + 0.3 * i) * H, i === 0 ? 'MAIN' : via[i - 1]!, to, 9_500));
    assert.deepEqual(
      run([muleAccountDetector()], newContext([], accounts), moved(['CARD2', 'WALLET', ''])),
      [],
    );
    const people: Ev[] = ['P1', 'P2', 'P3', ''].map((to, i) =>
      hop(T0 + (15.5 + 0.3 * i) * H, i === 0 ? 'VICTIM' : ['P1', 'P2', 'P3'][i - 1]!, to, 9_500),
    );
    const out = run([muleAccountDetector()], newContext([], accounts), people);
    assert.deepEqual(out.map((d) => d.subject).sort(), ['P1', 'P2', 'P3']);
  });

  test('mules moving a victim’s money between their own accounts still make a chain of two people', () => {
    // VICTIM → X → X2 (X's holder's) → Y → Y2 (Y's holder's) → cash machine, from 01:30.
    const via = ['X', 'X2', 'Y', 'Y2', ''];
    const accts = accounts.map((a) =>
      a.account === 'X2' ? account('X2', 'HX2') : a.account === 'Y2' ? account('Y2', 'HY2') : a,
    );
    const ev = via.map((to, i) =>
      hop(T0 + (15.5 + 0.3 * i) * H, i === 0 ? 'VICTIM' : via[i - 1]!, to, 9_500),
    );
    const out = run([muleAccountDetector()], newContext([], accts), ev);
    assert.deepEqual(out.map((d) => d.subject).sort(), ['X', 'X2', 'Y', 'Y2']);
    assert.equal(out.find((d) => d.subject === 'Y2')?.evidence.relayChain, 2);
  });
});

describe('mule_account: money collected for a payment', () => {
  // Friends chip in for a trip, a dinner or a class fund, and the organiser pays the merchant: a
  // fan-in from many payers passed on whole. The simulator's collections (`plantCollections`)
  // were reported as mules by the dozen before this rule (precision about 0.5 on 30-day worlds).
  const FRIENDS = Array.from({ length: 8 }, (_, i) => `F${i}`);
  // Without the plain rule (`plainMaxDwellMs`), which alone keeps these collections unreported
  // since 2026-12-03 (their shares sit 30 minutes or more on average): these tests show the
  // purchase rule alone, the last one the two together.
  const PLAIN_OFF = { plainMaxDwellMs: Infinity };
  const accounts = (org = account('ORG', 'HORG')): AccountRecord[] => [
    org,
    ...FRIENDS.map((f) => account(f, `H${f}`)),
    account('TRAVEL', 'HTRAVEL', T0 - 900 * DAY, 'corporate'),
    account('NEWCO', 'HNEWCO', T0 - 20 * DAY, 'corporate'),
    account('PERSON', 'HPERSON'),
    account('EMP', 'HEMP', T0 - 900 * DAY, 'corporate'),
  ];
  /**
   * Eight friends pay `share` (500.00) each, 10 minutes apart, from 10:00; the organiser pays
   * `amounts` (4,500.00, with their own share) `after` the last.
   */
  const collection = (payee: string, after = 0.3 * H, amounts = [4_500], share = 500): Ev[] => [
    ...FRIENDS.map((f, i): Ev => ({ txn: txn(T0 + (i * H) / 6, f, 'ORG', share) })),
    ...amounts.map((a, i): Ev => ({
      txn: txn(T0 + (7 * H) / 6 + after + i * 60_000, 'ORG', payee, a, 'online'),
    })),
  ];
  const reported = (ev: Ev[], ctx = newContext([], accounts())) =>
    run([muleAccountDetector(PLAIN_OFF)], ctx, ev).map((d) => d.subject);

  test('the organiser paying an established business is no mule, at once or at night; paying it on to a person or a new company is', () => {
    assert.deepEqual(reported(collection('TRAVEL')), []);
    // Paid online at 01:30, fourteen hours after the last share.
    assert.deepEqual(reported(collection('TRAVEL', 14 * H)), []);
    // Part of it to a person the organiser has long paid (rent, a friend who fronted a ticket): the
    // three shares left for the person are plain payers, the plain rule's to judge.
    const part = collection('TRAVEL', 0.3 * H, [3_000]).concat(
      collection('PERSON', 0.4 * H, [1_500]).slice(-1),
    );
    assert.deepEqual(
      run([muleAccountDetector()], newContext([], accounts()), part).map((d) => d.subject),
      [],
    );
    // Most of it to a person: not a payment to a business. The three shares the agency's 1,500.00
    // took first are left out (evidence `purchasePayers`); the other five payers count.
    const toPerson = run(
      [muleAccountDetector(PLAIN_OFF)],
      newContext([], accounts()),
      collection('TRAVEL', 0.3 * H, [1_500]).concat(collection('PERSON', 0.4 * H, [3_000]).slice(-1)),
    );
    assert.deepEqual(
      toPerson.map((d) => [d.subject, d.evidence.payers, d.evidence.purchasePayers]),
      [['ORG', 5, 3]],
    );
    // The same flows into a personal account or a company opened 20 days ago: the next layer.
    assert.deepEqual(reported(collection('PERSON')), ['ORG']);
    assert.deepEqual(reported(collection('NEWCO')), ['ORG']);
    // And without the rule, the established business too.
    assert.deepEqual(
      run(
        [muleAccountDetector({ ...PLAIN_OFF, ...NO_PURCHASE_RULE })],
        newContext([], accounts()),
        collection('TRAVEL'),
      ).map((d) => d.subject),
      ['ORG'],
    );
  });

  test('whose money went where: rent paid out of the salary the next day, or money older than the window spent first', () => {
    // The shares went to the travel agency; the next morning the salary comes in and the rent
    // (to a person) leaves within the hour: one payer's money moved on, the employer's.
    const rent: Ev[] = [
      ...collection('TRAVEL', 0.3 * H, [4_000]),
      { txn: txn(T0 + 23 * H, 'EMP', 'ORG', 6_000, 'online') },
      { txn: txn(T0 + 24 * H, 'ORG', 'PERSON', 5_000) },
    ];
    assert.deepEqual(reported(rent), []);
    assert.deepEqual(
      run([muleAccountDetector({ ...PLAIN_OFF, ...NO_PURCHASE_RULE })], newContext([], accounts()), rent).map(
        (d) => d.subject,
      ),
      ['ORG'],
    );
    // 4,864.00 left of a salary four days before (older than the 72 h window) is spent first: at
    // 05:00 the agency's 16,900.00 takes it and 12,036.00 of twelve shares of 1,300.00; a quarter
    // of the tenth share, the last two and a late 300.00 are still in the account (as on a
    // 2,000-person, 30-day world, seed 9, where the organiser had also sent a friend 150.00).
    // Counted, they were four payers moving money on.
    const many = Array.from({ length: 13 }, (_, i) => account(`G${i}`, `HG${i}`));
    const older: Ev[] = [
      { txn: txn(T0 - 4 * DAY, 'EMP', 'ORG', 6_000, 'online') },
      { txn: txn(T0 - 4 * DAY + H, 'ORG', 'PERSON', 1_136) },
      ...many.map((g, i): Ev => ({
        txn: txn(T0 + (i < 12 ? i * 0.4 * H : 8.5 * H), g.account, 'ORG', i < 12 ? 1_300 : 300),
      })),
      { txn: txn(T0 + 10 * H, 'ORG', 'PERSON', 150) },
      { txn: txn(T0 + 19 * H, 'ORG', 'TRAVEL', 16_900) },
    ];
    const ctx = () => newContext([], [...accounts(), ...many]);
    assert.deepEqual(
      run([muleAccountDetector(PLAIN_OFF)], ctx(), older).map((d) => d.subject),
      [],
    );
  });

  test('all the shares count as a purchase when the businesses got as much as the payers gave', () => {
    // The next morning the organiser first sends a friend 1,760.00 (out of money from before the
    // stream, which first-in first-out matching cannot know of: it takes the first four shares),
    // then pays the agency 3,900.00 of the 4,000.00 the shares came to (as on a 200,000-person
    // world, seed 5).
    const ev: Ev[] = [
      ...collection('TRAVEL', 20 * H, []),
      { txn: txn(T0 + 22 * H, 'ORG', 'PERSON', 1_760) },
      { txn: txn(T0 + 23 * H, 'ORG', 'TRAVEL', 3_900, 'online') },
    ];
    assert.deepEqual(reported(ev), []);
    assert.deepEqual(
      run(
        [muleAccountDetector({ ...PLAIN_OFF, minPurchaseCover: Infinity })],
        newContext([], accounts()),
        ev,
      ).map((d) => d.subject),
      ['ORG'],
    );
  });

  test('any other sign lifts it: flagged money in, a new account, structured sums, a flagged or listed business', () => {
    const flaggedPayer = newContext([], accounts());
    flaggedPayer.flaggedAccounts.set('F3', { detector: 'mule_account', at: T0 - H });
    assert.deepEqual(reported(collection('TRAVEL'), flaggedPayer), ['ORG']);
    // One share was a victim's payment (potential_victim took it for one): a mule buying goods.
    const victim = newContext([], accounts());
    victim.victimPayments.set('ORG', [{ payer: 'F2', at: T0 + (2 * H) / 6 }]);
    // Eight payers, the victim among them, counted once.
    assert.deepEqual(
      run([muleAccountDetector(PLAIN_OFF)], victim, collection('TRAVEL')).map((d) => [
        d.subject,
        d.evidence.payers,
      ]),
      [['ORG', 8]],
    );
    assert.deepEqual(
      reported(collection('TRAVEL'), newContext([], accounts(account('ORG', 'HORG', T0 - 10 * DAY)))),
      ['ORG'],
    );
    // 9,900.00 twice: two sums just under the 10,000.00 threshold. One such total is a coincidence.
    const big = (amounts: number[]): Ev[] =>
      collection('TRAVEL', 0.3 * H, amounts, amounts.reduce((a, b) => a + b) / FRIENDS.length);
    assert.deepEqual(reported(big([9_900, 9_900])), ['ORG']);
    assert.deepEqual(reported(big([9_900])), []);
    const flaggedBusiness = newContext([], accounts());
    flaggedBusiness.flaggedAccounts.set('TRAVEL', { detector: 'mule_account', at: T0 - H });
    assert.deepEqual(reported(collection('TRAVEL'), flaggedBusiness), ['ORG']);
    const listed = newContext([], accounts(), (kind, v) => kind === 'bank_account' && v === 'TRAVEL');
    assert.deepEqual(reported(collection('TRAVEL'), listed), ['ORG']);
  });
});

describe('mule_account: victims are not hops', () => {
  const accounts: AccountRecord[] = [
    account('MULE', 'HMULE', T0 - 10 * DAY),
    account('VICTIM', 'HVICTIM'),
    account('EMPLOYER', 'HEMP', T0 - 900 * DAY, 'corporate'),
    account('SPENDER', 'HSPEND'),
    account('FRIEND1', 'HF1'),
    account('FRIEND2', 'HF2'),
    account('YOUNG', 'HYOUNG', T0 - 100 * DAY),
    ...Array.from({ length: 4 }, (_, i) => account(`V${i}`, `HV${i}`)),
  ];

  /** Four victims pay MULE, which passes it all to the ATM: MULE is flagged. */
  const flaggedMule = (): Ev[] => [
    ...Array.from({ length: 4 }, (_, i): Ev => ({ txn: txn(T0 + i * 0.2 * H, `V${i}`, 'MULE', 20_000) })),
    { txn: txn(T0 + 2 * H, 'MULE', '', 79_000, 'atm') },
  ];

  test('a victim paying a flagged mule out of a salary that just came in is not an upstream hop', () => {
    const ctx = newContext([], accounts);
    const det = muleAccountDetector();
    const ev = flaggedMule();
    // The salary arrives in the morning; in the afternoon the victim pays MULE 15,500.00:
    // the salary, 8,133.00, and savings. All of it went to a flagged account, half of it fast.
    ev.push({ txn: txn(T0 + 3 * H, 'EMPLOYER', 'VICTIM', 8_133) });
    ev.push({ txn: txn(T0 + 9 * H, 'VICTIM', 'MULE', 15_500) });
    // Another pays 70 % of a salary to MULE and keeps the rest.
    ev.push({ txn: txn(T0 + 3 * H, 'EMPLOYER', 'FRIEND1', 18_621) });
    ev.push({ txn: txn(T0 + 8 * H, 'FRIEND1', 'MULE', 13_100) });
    const out = run([det], ctx, ev);
    assert.deepEqual(
      out.map((d) => d.subject),
      ['MULE'],
    );
    // With the old, looser tests (half the outflow fast, no look at where the money came from) the
    // first victim would have been a hop.
    const loose = run(
      [
        muleAccountDetector({
          minHopPassThrough: 0.5,
          maxPayrollShareForHop: Infinity,
          minFastOutShare: 0.5,
        }),
      ],
      newContext([], accounts),
      ev,
    );
    assert.ok(loose.some((d) => d.subject === 'VICTIM'));
  });

  test('a victim paying nearly all of a salary to a flagged mule is not a hop; the same money from a young shell is', () => {
    const withShell = [...accounts, account('SHELL', 'HSHELL', T0 - 40 * DAY, 'corporate')];
    const ev = (payer: string): Ev[] => {
      const out = flaggedMule();
      // 14,597.00 comes in; seven hours later 14,200.00 of it goes to the flagged MULE.
      out.push({ txn: txn(T0 + 3 * H, payer, 'VICTIM', 14_597) });
      out.push({ txn: txn(T0 + 10 * H, 'VICTIM', 'MULE', 14_200) });
      return out;
    };
    const fromPay = run([muleAccountDetector()], newContext([], withShell), ev('EMPLOYER'));
    assert.deepEqual(
      fromPay.map((d) => d.subject),
      ['MULE'],
      'pay from an employer of years, paid on to the scammer: the victim is no hop',
    );
    const fromShell = run([muleAccountDetector()], newContext([], withShell), ev('SHELL'));
    assert.deepEqual(
      fromShell.map((d) => d.subject).sort(),
      ['MULE', 'VICTIM'],
      'a 40-day-old shell feeds hops',
    );
  });

  test('three days on, the salary gone from the window, a small sum coming in does not make the victim a hop', () => {
    const ev = flaggedMule();
    ev.push({ txn: txn(T0 + 3 * H, 'EMPLOYER', 'VICTIM', 14_597) });
    ev.push({ txn: txn(T0 + 10 * H, 'VICTIM', 'MULE', 14_200) });
    // 72 hours after the salary it leaves the window; the payment to MULE it paid for stays 7 more.
    // A friend sends 850.00 and the victim spends 800.00 of it within the hour.
    ev.push({ txn: txn(T0 + 76 * H, 'FRIEND1', 'VICTIM', 850) });
    ev.push({ txn: txn(T0 + 77 * H, 'VICTIM', 'SPENDER', 800) });
    const ctx = newContext([], accounts);
    const out = run([muleAccountDetector()], ctx, ev);
    // In the window: 850.00 in, 15,000.00 out (14,200.00 of it to the flagged MULE), all "fast":
    // more passed on than received, so whose money it was is no longer known.
    assert.deepEqual(
      out.map((d) => d.subject),
      ['MULE'],
    );
    assert.ok(!ctx.flaggedAccounts.has('VICTIM'));
  });

  test('a victim who borrowed and paid the scammer the next morning is not a hop (hopMaxDwellMs)', () => {
    // As on a 100,000-person, 3-day world (seed 9): a victim whose call is not in the data gets
    // 7,600.00 from a relative at 17:14 and pays 7,200.00 of it to the flagged MULE at 10:08 the
    // next day. 95 % of a fresh inflow to a flagged account, and nothing else.
    const ev = flaggedMule();
    ev.push({ txn: txn(T0 + 7.2 * H, 'FRIEND1', 'VICTIM', 7_600) });
    ev.push({ txn: txn(T0 + 24.1 * H, 'VICTIM', 'MULE', 7_200) });
    const out = run([muleAccountDetector()], newContext([], accounts), ev);
    assert.deepEqual(
      out.map((d) => d.subject),
      ['MULE'],
    );
    // FRIEND1's account is years old: `borrowedMaxDwellMs` (below) would stop it too.
    const unbounded = run(
      [muleAccountDetector({ hopMaxDwellMs: Infinity, borrowedMaxDwellMs: Infinity })],
      newContext([], accounts),
      ev,
    );
    assert.deepEqual(unbounded.map((d) => d.subject).sort(), ['MULE', 'VICTIM']);
    // Paid on within hours, it is a hop: the layer of a network, or a victim who paid the same
    // afternoon (the limit of the rule).
    const fast = flaggedMule();
    fast.push({ txn: txn(T0 + 3 * H, 'FRIEND1', 'VICTIM', 7_600) });
    fast.push({ txn: txn(T0 + 5 * H, 'VICTIM', 'MULE', 7_200) });
    assert.deepEqual(
      run([muleAccountDetector()], newContext([], accounts), fast)
        .map((d) => d.subject)
        .sort(),
      ['MULE', 'VICTIM'],
    );
  });

  test("money lent from a relative's account of years and paid to the scammer that evening is no hop (borrowedMaxDwellMs)", () => {
    // As on a 5,000-person, 7-day world (seed 144): 7,600.00 from a relative's account of years at
    // 11:33, 7,300.00 of it to the flagged MULE at 22:00, and nothing else.
    const lent = (payer: string, dwellH: number): Ev[] => [
      ...flaggedMule(),
      { txn: txn(T0 + 3 * H, payer, 'VICTIM', 7_600) },
      { txn: txn(T0 + (3 + dwellH) * H, 'VICTIM', 'MULE', 7_300) },
    ];
    assert.deepEqual(reported(lent('FRIEND1', 10.5)).sort(), ['MULE']);
    // Under `hopMaxDwellMs` alone (12 h), the victim was a hop.
    assert.deepEqual(reported(lent('FRIEND1', 10.5), { borrowedMaxDwellMs: 12 * H }).sort(), [
      'MULE',
      'VICTIM',
    ]);
    // From an account of months, not a person's own of years, the wider bound holds: a hop.
    assert.deepEqual(reported(lent('YOUNG', 10.5)).sort(), ['MULE', 'VICTIM']);
    // Passed on within two hours, as a network's first layer does: a hop (the limit of the rule).
    assert.deepEqual(reported(lent('FRIEND1', 1.5)).sort(), ['MULE', 'VICTIM']);
  });

  /** The accounts mule_account reports over `ev`, with `params` over its defaults. */
  const reported = (ev: Ev[], params: Parameters<typeof muleAccountDetector>[0] = {}) =>
    run([muleAccountDetector(params)], newContext([], accounts), ev).map((d) => d.subject);

  test('an account paying out far more than it received is spending its own money', () => {
    const ev: Ev[] = [
      // Two friends pay back 4,800.00; within hours the account pays 54,000.00 (a car, a deposit).
      { txn: txn(T0, 'FRIEND1', 'SPENDER', 2_400) },
      { txn: txn(T0 + H, 'FRIEND2', 'SPENDER', 2_400) },
      { txn: txn(T0 + 2 * H, 'SPENDER', 'EMPLOYER', 30_000) },
      { txn: txn(T0 + 2.5 * H, 'SPENDER', 'V0', 12_000) },
      { txn: txn(T0 + 3 * H, 'SPENDER', 'V1', 12_000) },
    ];
    assert.deepEqual(reported(ev), []);
    // Without the test (and with the plain rule's earlier 2 hours) it fired: two payers, all of
    // their money passed on within hours (to EMPLOYER, an established business: the collection
    // rule, `minPurchaseShare`, is lifted too, to show this test alone).
    assert.deepEqual(reported(ev, { minFastOutShare: 0, plainMaxDwellMs: 2 * H, ...NO_PURCHASE_RULE }), [
      'SPENDER',
    ]);
  });

  test('three payers and a day later two payments, one of them mostly from savings: not a mule', () => {
    // 3,980.00 comes in from three people; the next day the account pays 3,117.00 and then 4,000.00,
    // the second beyond all it received: 3,980.00 of its 7,117.00 out was money just received.
    const ev: Ev[] = [
      { txn: txn(T0, 'V0', 'SPENDER', 1_500) },
      { txn: txn(T0 + H, 'V1', 'SPENDER', 1_200) },
      { txn: txn(T0 + 2 * H, 'V2', 'SPENDER', 1_280) },
      { txn: txn(T0 + 20 * H, 'SPENDER', 'FRIEND1', 3_117) },
      { txn: txn(T0 + 21 * H, 'SPENDER', 'FRIEND2', 4_000) },
    ];
    assert.deepEqual(reported(ev), []);
    // At half the outflow (the default before 2026-12-03) it fired: a 200,000-person world had
    // one such account among its false positives, and a 5,000-person one had another, whose payer
    // (called by SIM-box numbers) then became a false potential victim. (Three payers now also
    // fall under the plain rule, `plainMaxDwellMs`: lifted here, to show this test alone.)
    assert.deepEqual(reported(ev, { minFastOutShare: 0.5, plainMaxDwellMs: 24 * H }), ['SPENDER']);
  });
});

describe('potential_victim', () => {
  const FRAUD = '+8617000000099';
  const LATE = '+8617000000077';
  const FRIEND = '+8613900000001';
  const people = ['VIC', 'VIC2', 'SHORT', 'SHORTPAY', 'NOCALL', 'OLDPAYEE', 'MULEPAY'];
  const msisdn = (i: number) => `+86138000000${String(i).padStart(2, '0')}`;
  const cards = [
    ...people.map((p, i) => card(msisdn(i), `ID-${p}`)),
    card(FRAUD, 'ID-DEALT'),
    card(LATE, 'ID-DEALT2'),
    card(FRIEND, 'ID-FRIEND'),
  ];
  const accounts = [
    ...people.map((p) => account(`A-${p}`, `ID-${p}`)),
    account('MULE', 'ID-MULE', T0 - 5 * DAY),
    account('NEWSHOP', 'ID-SHOP', T0 - 400 * DAY, 'corporate'),
    account('LANDLORD', 'ID-LAND'),
  ];
  const callee = (p: string) => msisdn(people.indexOf(p));

  function world(): Ev[] {
    return [
      { flagNumber: FRAUD, ts: T0 - DAY },
      // The victim: 25 minutes with a flagged number, then a new payee three hours later.
      { call: call(T0, FRAUD, callee('VIC'), 1500) },
      ...Array.from({ length: 5 }, (_, i) => ({
        call: call(T0 + (1 + i * 0.2) * H, FRIEND, callee('VIC'), 60),
      })),
      { txn: txn(T0 + 3 * H, 'A-VIC', 'MULE', 48_000) },
      // Same episode: a second payment is not a second report.
      { txn: txn(T0 + 5 * H, 'A-VIC', 'MULE2', 20_000) },
      // Called for 20 minutes by a number flagged only after the payment.
      { call: call(T0 + 2 * H, LATE, callee('VIC2'), 1200) },
      { txn: txn(T0 + 4 * H, 'A-VIC2', 'MULE3', 30_000) },
      { flagNumber: LATE, ts: T0 + 6 * H },
      // A short fraud call and no payment.
      { call: call(T0 + H, FRAUD, callee('SHORT'), 35) },
      // A short fraud call, then an ordinary new payee.
      { call: call(T0 + H, FRAUD, callee('SHORTPAY'), 30) },
      { txn: txn(T0 + 20 * H, 'A-SHORTPAY', 'NEWSHOP', 800) },
      // No fraud call at all, a new merchant.
      { call: call(T0 + H, FRIEND, callee('NOCALL'), 600) },
      { txn: txn(T0 + 2 * H, 'A-NOCALL', 'NEWSHOP', 3_000) },
      // A long fraud call but only the usual rent to a payee paid before.
      { txn: txn(T0 - 20 * DAY, 'A-OLDPAYEE', 'LANDLORD', 4_000) },
      { call: call(T0 + H, FRAUD, callee('OLDPAYEE'), 1300) },
      { txn: txn(T0 + 3 * H, 'A-OLDPAYEE', 'LANDLORD', 4_000) },
    ];
  }

  test('called by a flagged number, then a new payee: the holder; decoys not', () => {
    const ctx = newContext(cards, accounts);
    const det = potentialVictimDetector();
    const out = run([det], ctx, world());
    assert.deepEqual(out.map((d) => d.subject).sort(), ['ID-VIC', 'ID-VIC2']);
    const vic = out.find((d) => d.subject === 'ID-VIC');
    assert.ok(vic);
    assert.equal(vic.detector, 'potential_victim');
    assert.equal(vic.subjectKind, 'holder');
    assert.ok(vic.score >= 0.6 && vic.score <= 1, String(vic.score));
    assert.deepEqual(vic.window, { from: T0, to: T0 + 3 * H });
    assert.deepEqual(vic.evidence.calls, [
      { caller: FRAUD, at: T0, kind: 'voice', durationS: 1500, flaggedBy: 'fraud_caller' },
    ]);
    assert.deepEqual(vic.evidence.transfer, {
      txnId: (vic.evidence.transfer as { txnId: string }).txnId,
      at: T0 + 3 * H,
      amount: 4_800_000,
      payee: 'MULE',
    });
    assert.equal(vic.evidence.newPayee, true);
    // No more personal data than needed: not the victim's number nor account.
    const json = JSON.stringify(vic.evidence);
    assert.ok(!json.includes(callee('VIC')) && !json.includes('A-VIC'), json);
    const vic2 = out.find((d) => d.subject === 'ID-VIC2');
    assert.equal((vic2?.evidence.calls as { caller: string }[])[0]?.caller, LATE);
  });

  test('an account number reissued to a new holder: the payment is the present holder’s, in any order', () => {
    // W-1 was a former holder's until it was closed; it is the victim's now.
    const former = { ...account('W-1', 'ID-FORMER', T0 - 900 * DAY), closedAt: T0 - 200 * DAY };
    const present = account('W-1', 'ID-VIC', T0 - 100 * DAY);
    const events: Ev[] = [
      { flagNumber: FRAUD, ts: T0 - DAY },
      { call: call(T0, FRAUD, callee('VIC'), 1500) },
      { txn: txn(T0 + 3 * H, 'W-1', 'MULE', 48_000) },
    ];
    for (const order of [
      [former, present],
      [present, former],
    ]) {
      const ctx = newContext(cards, [...accounts.filter((a) => a.holderId !== 'ID-VIC'), ...order]);
      withdrawEnded(ctx, T0);
      assert.equal(ctx.accountsByNumber.get('W-1')?.holderId, 'ID-VIC');
      const out = run([potentialVictimDetector()], ctx, events);
      assert.deepEqual(
        out.map((d) => d.subject),
        ['ID-VIC'],
      );
    }
    // Taken as it comes, the former holder's closed account would have hidden the victim.
    const ctx = newContext(cards, [present]);
    ctx.accountsByNumber.set('W-1', former);
    assert.deepEqual(run([potentialVictimDetector()], ctx, events), []);
  });

  test('a closed account is known until stream time reaches its closing, then withdrawn', () => {
    const closing = { ...account('A-CLOSING', 'ID-C'), closedAt: T0 + H };
    const ctx = newContext([], [closing, account('A-OPEN', 'ID-O')]);
    assert.equal(ctx.nextWithdrawalAt, T0 + H);
    withdrawEnded(ctx, T0);
    assert.equal(ctx.accountsByNumber.get('A-CLOSING'), closing);
    withdrawEnded(ctx, T0 + H);
    assert.equal(ctx.accountsByNumber.has('A-CLOSING'), false);
    assert.equal(ctx.accountsByNumber.has('A-OPEN'), true);
    assert.equal(ctx.nextWithdrawalAt, Infinity);
    // A closing in the past, learnt after stream time passed it, takes effect at once.
    assert.equal(addAccount(ctx, { ...account('A-LATE', 'ID-L'), closedAt: T0 }), true);
    assert.equal(ctx.accountsByNumber.has('A-LATE'), false);
    // An account file alone has no stream time: every closing in it has happened.
    const files = newContext([], [{ ...account('A-GONE', 'ID-G'), closedAt: T0 + 900 * DAY }]);
    withdrawAtEnd(files, 0);
    assert.equal(files.accountsByNumber.size, 0);
    // The same account closed later (an institution's update) replaces the open one; its history does not.
    const upd = newContext([], [account('A-X', 'ID-X', T0 - 10 * DAY)]);
    assert.equal(
      addAccount(upd, { ...account('A-X', 'ID-OLD', T0 - 90 * DAY), closedAt: T0 - 20 * DAY }),
      false,
    );
    assert.equal(addAccount(upd, { ...account('A-X', 'ID-X', T0 - 10 * DAY), closedAt: T0 + DAY }), true);
    withdrawEnded(upd, T0 + DAY);
    assert.equal(upd.accountsByNumber.size, 0);
  });

  test('money moved to one’s own older account after a fraud call is no payment; to a new or flagged own account it is', () => {
    const events: Ev[] = [
      { flagNumber: FRAUD, ts: T0 - DAY },
      { call: call(T0, FRAUD, callee('VIC'), 1500) },
      { txn: txn(T0 + 3 * H, 'A-VIC', 'A-VIC-2', 48_000) },
    ];
    const mine = [...accounts, account('A-VIC-2', 'ID-VIC')];
    assert.deepEqual(run([potentialVictimDetector()], newContext(cards, mine), events), []);
    // Another person's account, the same transfer: the victim.
    const theirs = [...accounts, account('A-VIC-2', 'ID-SOMEONE')];
    assert.deepEqual(
      run([potentialVictimDetector()], newContext(cards, theirs), events).map((d) => d.subject),
      ['ID-VIC'],
    );
    // A new own account is no exemption: victims are told to open a "safe" account and move their savings there.
    const fresh = [...accounts, account('A-VIC-2', 'ID-VIC', T0 - 2 * DAY)];
    assert.deepEqual(
      run([potentialVictimDetector()], newContext(cards, fresh), events).map((d) => d.subject),
      ['ID-VIC'],
    );
    // An own account that is flagged (a card the scammer made them open) is paying the scam.
    const ctx = newContext(cards, mine);
    ctx.flaggedAccounts.set('A-VIC-2', { detector: 'mule_account', at: T0 - H });
    assert.deepEqual(
      run([potentialVictimDetector()], ctx, events).map((d) => d.subject),
      ['ID-VIC'],
    );
  });

  test('the payee of a victim’s payment that passes it on is a mule, and so is the next hop', () => {
    // MULE got the victim's 48,000 alone and moved it on within the hour; NEXT cashed it out.
    const passedOn: Ev[] = [
      { txn: txn(T0 + 3.5 * H, 'MULE', 'NEXT', 47_500) },
      { txn: txn(T0 + 4 * H, 'NEXT', '', 47_000, 'atm') },
      // VIC2's 30,000 moved on before her caller was flagged (T0 + 6 h): found at a later drain.
      { txn: txn(T0 + 4.5 * H, 'MULE3', 'NEXT3', 29_700) },
    ];
    const mules = (ds: Detector[]) =>
      run(ds, newContext(cards, accounts), [...world(), ...passedOn]).filter(
        (d) => d.detector === 'mule_account',
      );
    // mule_account alone: one payer, no flagged neighbour, an account five days old: not enough.
    assert.deepEqual(mules([muleAccountDetector()]), []);
    // With potential_victim (after it, as allDetectors runs them): the victim's payment is flagged money.
    const fused = mules([muleAccountDetector(), potentialVictimDetector()]);
    assert.deepEqual(fused.map((d) => d.subject).sort(), ['MULE', 'MULE3', 'NEXT']);
    const late = fused.find((d) => d.subject === 'MULE3')!;
    assert.ok(late.window.to >= T0 + 6 * H, 'when the victim was found, not before');
    assert.equal(late.evidence.fromVictimShare, 1);
    const m = fused.find((d) => d.subject === 'MULE')!;
    assert.equal(m.evidence.fromVictimShare, 1);
    assert.equal(m.evidence.payers, 1);
    const next = fused.find((d) => d.subject === 'NEXT')!;
    assert.equal(next.evidence.fromFlaggedShare, 1);
    assert.equal(next.evidence.fromVictimShare, 0);
    // The victim's account itself is no mule, and the shared payments expire with their window.
    const ctx = newContext(cards, accounts);
    const pv = potentialVictimDetector();
    run([muleAccountDetector(), pv], ctx, [...world(), ...passedOn], T0 + 5 * DAY);
    assert.ok(!ctx.flaggedAccounts.has('A-VIC'));
    assert.equal(ctx.victimPayments.size, 0, 'dropped after victimPaymentMs');
  });

  test('a number flagged after the transfer fires at the next drain, not only at the end', () => {
    const ctx = newContext(cards, accounts);
    const det = potentialVictimDetector();
    det.onCall?.(call(T0, LATE, callee('VIC2'), 1200), ctx);
    det.onTransaction?.(txn(T0 + H, 'A-VIC2', 'MULE3', 30_000), ctx);
    assert.deepEqual(det.drain(T0 + H, false, ctx), []);
    ctx.flaggedNumbers.set(LATE, { detector: 'fraud_caller', at: T0 + 2 * H });
    const out = det.drain(T0 + 2 * H, false, ctx);
    assert.equal(out.length, 1);
    assert.equal(out[0]?.subject, 'ID-VIC2');
    // A mule flagged after a brief call's payment also re-checks it (payee watched): 2.5 minutes
    // and a new payee do not score, 2.5 minutes and a flagged payee do.
    det.onCall?.(call(T0 + 3 * H, LATE, callee('SHORT'), 150), ctx);
    det.onTransaction?.(txn(T0 + 4 * H, 'A-SHORT', 'MULE9', 5_000), ctx);
    assert.deepEqual(det.drain(T0 + 4 * H, false, ctx), []);
    ctx.flaggedAccounts.set('MULE9', { detector: 'mule_account', at: T0 + 5 * H });
    assert.deepEqual(
      det.drain(T0 + 5 * H, false, ctx).map((d) => d.subject),
      ['ID-SHORT'],
    );
  });

  test('paying a flagged account strengthens a real contact; a hang-up is no contact', () => {
    const ctx = newContext(cards, accounts);
    const mule = muleAccountDetector();
    const det = potentialVictimDetector();
    ctx.flaggedAccounts.set('MULE', { detector: 'mule_account', at: T0 - H });
    const out = run(
      [mule, det],
      ctx,
      [
        { flagNumber: FRAUD, ts: T0 - DAY },
        // Three minutes with the fraud number, then a payee paid before, but now flagged.
        { call: call(T0, FRAUD, callee('MULEPAY'), 180) },
        { txn: txn(T0 - 30 * DAY, 'A-MULEPAY', 'MULE', 100) },
        { txn: txn(T0 + 2 * H, 'A-MULEPAY', 'MULE', 10_000) },
        // A 45-second hang-up from the same number (SIM boxes ring strangers), then the same
        // flagged account paid: no contact, not reported.
        { call: call(T0, FRAUD, callee('SHORT'), 45) },
        { txn: txn(T0 + 2 * H, 'A-SHORT', 'MULE', 10_000) },
      ],
      T0 + 3 * H,
    );
    const ds = out.filter((x) => x.detector === 'potential_victim');
    assert.deepEqual(
      ds.map((d) => d.subject),
      ['ID-MULEPAY'],
    );
    assert.equal(ds[0]?.evidence.payeeFlagged, true);
    assert.equal(ds[0]?.evidence.newPayee, false);
    // Without the minimum contact, the hang-up would have been enough.
    const loose = potentialVictimDetector({ minContact: 0 });
    loose.onCall(call(T0, FRAUD, callee('SHORT'), 45), ctx);
    loose.onTransaction(txn(T0 + 2 * H, 'A-SHORT', 'MULE', 10_000), ctx);
    assert.deepEqual(
      loose.drain(T0 + 4 * H, false, ctx).map((d) => d.subject),
      ['ID-SHORT'],
    );
  });

  test('a spoofed number counts only for the calls that came through an international gateway', () => {
    const ctx = newContext(cards, accounts);
    const det = potentialVictimDetector();
    // The real owner of a number that fraudsters present from abroad texts and calls a friend.
    ctx.flaggedNumbers.set(FRIEND, { detector: 'spoofed_caller', at: T0 - DAY });
    det.onCall(call(T0, FRIEND, callee('NOCALL'), 900), ctx);
    det.onTransaction(txn(T0 + H, 'A-NOCALL', 'NEWPAYEE1', 20_000), ctx);
    assert.deepEqual(det.drain(T0 + 3 * H, false, ctx), []);
    // The same number presented through an international gateway is the fraudster.
    det.onCall({ ...call(T0 + 4 * H, FRIEND, callee('VIC'), 900), origin: 'intl' }, ctx);
    det.onTransaction(txn(T0 + 5 * H, 'A-VIC', 'NEWPAYEE2', 20_000), ctx);
    assert.deepEqual(
      det.drain(T0 + 7 * H, false, ctx).map((d) => d.subject),
      ['ID-VIC'],
    );
  });

  test('a mule holder called by a fraud number who forwards money is no victim; real victims are', () => {
    const holders = ['MULEHOLDER', 'VIC', 'SALVIC'];
    const ctx = newContext(
      [...holders.map((p, i) => card(msisdn(50 + i), `ID-${p}`)), card(FRAUD, 'ID-DEALT')],
      [
        ...holders.map((p) => account(`A-${p}`, `ID-${p}`)),
        // The mule holder's second account, the mule.
        account('MULEACCT', 'ID-MULEHOLDER', T0 - 20 * DAY),
        account('EMPLOYER', 'ID-EMP', T0 - 900 * DAY, 'corporate'),
        ...Array.from({ length: 3 }, (_, i) => account(`P${i}`, `ID-P${i}`)),
      ],
    );
    ctx.flaggedNumbers.set(FRAUD, { detector: 'simbox', at: T0 - DAY });
    const det = potentialVictimDetector();
    const old = potentialVictimDetector({ forwardHoldMs: H });
    const both = [det, old];
    const feed = (e: CallRecord | TransactionRecord) => {
      for (const d of both)
        if ('txnId' in e) d.onTransaction(e, ctx);
        else d.onCall(e, ctx);
    };
    const drain = (now: number, final = false) =>
      both.map((d) => d.drain(now, final, ctx).map((x) => x.subject));
    // The salary victim is paid in the morning.
    feed(txn(T0 - 2 * H, 'EMPLOYER', 'A-SALVIC', 8_000));
    // Everyone gets a ten-minute call from the fraud number.
    holders.forEach((p, i) => feed(call(T0 + i * 60_000, FRAUD, msisdn(50 + i), 600)));
    // Three people pay the mule account.
    for (let i = 0; i < 3; i++) feed(txn(T0 + (0.5 + i * 0.2) * H, `P${i}`, 'MULEACCT', 20_000));
    // The victim pays from their own money, the salary victim mostly from the salary.
    feed(txn(T0 + 2 * H, 'A-VIC', 'SAFEACCOUNT', 48_000));
    feed(txn(T0 + 2.5 * H, 'A-SALVIC', 'SAFEACCOUNT2', 15_000));
    // The mule account passes the money on to a new payee.
    feed(txn(T0 + 3 * H, 'MULEACCT', 'NEXTMULE', 58_800));
    // After the short hold, the victim who paid from their own money is reported by both.
    assert.deepEqual(drain(T0 + 3.2 * H), [['ID-VIC'], ['ID-VIC']]);
    // The old rule (every detection held 1 h) reports the mule holder and the salary victim.
    assert.deepEqual(drain(T0 + 4.1 * H), [[], ['ID-SALVIC', 'ID-MULEHOLDER']]);
    // Eight hours after forwarding, mule_account has seen enough to flag the mule account.
    ctx.flaggedAccounts.set('MULEACCT', { detector: 'mule_account', at: T0 + 11 * H });
    assert.deepEqual(drain(T0 + 11 * H), [[], []]);
    // The salary victim's account is never flagged: reported once the long hold is over.
    const last = det.drain(T0 + 27 * H, false, ctx);
    assert.deepEqual(
      last.map((d) => d.subject),
      ['ID-SALVIC'],
    );
    assert.equal(last[0]?.evidence.paidFromFreshInflow, true);
    assert.deepEqual(det.drain(T0 + 30 * H, true, ctx), []);
  });

  test('a withheld report takes its payment back: the next account got no victim’s money', () => {
    const ctx = newContext(
      [card(msisdn(60), 'ID-MULEHOLDER'), card(msisdn(61), 'ID-VIC'), card(FRAUD, 'ID-DEALT')],
      [
        account('A-VIC', 'ID-VIC'),
        account('MULEACCT', 'ID-MULEHOLDER', T0 - 20 * DAY),
        ...Array.from({ length: 3 }, (_, i) => account(`P${i}`, `ID-P${i}`)),
      ],
    );
    ctx.flaggedNumbers.set(FRAUD, { detector: 'simbox', at: T0 - DAY });
    const det = potentialVictimDetector();
    det.onCall(call(T0, FRAUD, msisdn(60), 600), ctx);
    det.onCall(call(T0 + 60_000, FRAUD, msisdn(61), 600), ctx);
    for (let i = 0; i < 3; i++)
      det.onTransaction(txn(T0 + (0.5 + i * 0.2) * H, `P${i}`, 'MULEACCT', 20_000), ctx);
    det.onTransaction(txn(T0 + 2 * H, 'A-VIC', 'SAFEACCOUNT', 48_000), ctx);
    det.onTransaction(txn(T0 + 3 * H, 'MULEACCT', 'NEXTMULE', 58_800), ctx);
    // Both payments are held as victims' payments while their reports wait out their holds.
    assert.deepEqual([...ctx.victimPayments.keys()].sort(), ['NEXTMULE', 'SAFEACCOUNT']);
    assert.deepEqual(
      det.drain(T0 + 3.2 * H, false, ctx).map((d) => d.subject),
      ['ID-VIC'],
    );
    // The paying account is found to be a mule: its holder is no victim, and what it paid
    // NEXTMULE was no victim's payment; the real victim's payment stays.
    ctx.flaggedAccounts.set('MULEACCT', { detector: 'mule_account', at: T0 + 11 * H });
    assert.deepEqual(det.drain(T0 + 28 * H, false, ctx), []);
    assert.deepEqual([...ctx.victimPayments.keys()], ['SAFEACCOUNT']);
    assert.deepEqual(ctx.victimPayments.get('SAFEACCOUNT'), [{ payer: 'A-VIC', at: T0 + 2 * H }]);
  });

  test('state is bounded and expires', () => {
    const ctx = newContext(cards, accounts);
    const det = potentialVictimDetector({ callsPerHolder: 4 });
    // Ordinary calls after the fraud call push it out of a 4-call ring: not flagged when it
    // arrived, so it is forgotten (documented limit); a flagged caller is kept in the protected ring.
    const ev: Ev[] = [
      { flagNumber: FRAUD, ts: T0 - DAY },
      { call: call(T0, FRAUD, callee('VIC'), 1500) },
      ...Array.from({ length: 10 }, (_, i) => ({
        call: call(T0 + (1 + i * 0.1) * H, FRIEND, callee('VIC'), 60),
      })),
      { txn: txn(T0 + 3 * H, 'A-VIC', 'MULE', 48_000) },
    ];
    assert.equal(run([det], ctx, ev, T0 + 3 * H).length, 1);
    assert.ok(det.stateSize() > 0);
    det.drain(T0 + 100 * DAY, true, ctx);
    assert.equal(det.stateSize(), 0);
    // Payee history is capped per payer.
    const det2 = potentialVictimDetector({ payeesPerPayer: 8 });
    for (let i = 0; i < 1000; i++) det2.onTransaction?.(txn(T0 + i * 1000, 'A-NOCALL', `P${i}`, 200), ctx);
    // Payments under `minAmount` (shopping) leave no state at all.
    const det3 = potentialVictimDetector();
    for (let i = 0; i < 100; i++) det3.onTransaction(txn(T0 + i * 1000, 'A-NOCALL', `P${i}`, 99), ctx);
    assert.equal(det3.stateSize(), 0);
    assert.equal(det3.inflows.size, 0);
    assert.equal(det2.stateSize(), 1);
    assert.deepEqual(det2.drain(T0 + 2000 * 1000, true, ctx), []);
  });
});
