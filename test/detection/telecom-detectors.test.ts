import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { addCard, cardOf, newContext, withdrawAtEnd, withdrawEnded } from '../../src/detection/detector.ts';
import type { DetectionContext, Detector } from '../../src/detection/detector.ts';
import type { CallRecord, CardRecord, Detection } from '../../src/detection/records.ts';
import { DEFAULT_SIMBOX_PARAMS, simboxDetector } from '../../src/detection/detectors/simbox.ts';
import { fraudCallerDetector } from '../../src/detection/detectors/fraud-caller.ts';
import { iotMisuseDetector, isCnMobile } from '../../src/detection/detectors/iot-misuse.ts';
import { spoofedCallerDetector } from '../../src/detection/detectors/spoofed-caller.ts';
import { cardLimitDetector } from '../../src/detection/detectors/card-limit.ts';
import {
  isSnapshotable,
  restore,
  restoreDetectors,
  snapshot,
  snapshotDetectors,
} from '../../src/detection/checkpoint.ts';

const T0 = Date.parse('2026-03-02T09:00:00+08:00');
const MIN = 60_000;
const HOUR = 3600_000;
const DAY = 86_400_000;

/** +86 139 0000 nnnn style mobiles. */
const mob = (n: number, prefix = '139'): string => `+86${prefix}${String(n).padStart(8, '0')}`;

function card(msisdn: string, o: Partial<CardRecord> = {}): CardRecord {
  return {
    msisdn,
    imsi: '46000' + msisdn.slice(-10),
    holderId: 'H-' + msisdn,
    holderRegion: 'GD',
    cardType: 'consumer',
    activatedAt: T0 - 3 * 365 * DAY,
    operator: 'cmcc',
    ...o,
  };
}

function call(ts: number, caller: string, callee: string, o: Partial<CallRecord> = {}): CallRecord {
  return {
    ts,
    kind: 'voice',
    caller,
    callee,
    durationS: 30,
    imsi: null,
    imei: null,
    cellId: null,
    origin: 'onnet',
    ...o,
  };
}

/** Feeds records in time order, draining every 5 minutes of stream time; returns all detections. */
function run(d: Detector, ctx: DetectionContext, records: CallRecord[], final = true): Detection[] {
  const sorted = [...records].sort((a, b) => a.ts - b.ts);
  const out: Detection[] = [];
  let lastDrain = -Infinity;
  let now = 0;
  for (const r of sorted) {
    now = r.ts;
    d.onCall!(r, ctx);
    if (now - lastDrain >= 5 * MIN) {
      out.push(...d.drain(now, false, ctx));
      lastDrain = now;
    }
  }
  out.push(...d.drain(now, final, ctx));
  return out;
}

// ---------------------------------------------------------------- simbox

/** A GoIP gateway: 8 cards through one IMEI on one cell, each calling strangers every 60 s. */
function gateway(
  from: number,
  calls: number,
  strangerBase = 0,
): { cards: CardRecord[]; records: CallRecord[] } {
  const cards: CardRecord[] = [];
  const records: CallRecord[] = [];
  for (let k = 0; k < 8; k++) {
    const msisdn = mob(1000 + k, '150');
    cards.push(card(msisdn));
    for (let i = 0; i < calls; i++)
      records.push(
        call(from + i * 60_000 + k * 5000, msisdn, mob(strangerBase + 100_000 + k * 1000 + i, '138'), {
          imsi: '4600000000' + String(k).padStart(5, '0'),
          imei: '860000000000001',
          cellId: 'CELL-GW',
          durationS: 20,
        }),
      );
  }
  return { cards, records };
}

/** A busy salesperson: many customers, most of whom call back; moves between cells. */
function salesperson(from: number): { cards: CardRecord[]; records: CallRecord[] } {
  const me = mob(7777, '135');
  const records: CallRecord[] = [];
  let t = from;
  for (let i = 0; i < 40; i++) {
    t += (1 + ((i * 7919) % 23)) * MIN;
    const customer = mob(500_000 + (i % 30), '137');
    records.push(
      call(t, me, customer, {
        imsi: '460001234500001',
        imei: '350000000000077',
        cellId: `CELL-${i % 5}`,
        durationS: 120 + ((i * 31) % 400),
      }),
    );
    if (i % 3 !== 2) records.push(call(t + 10 * MIN, customer, me, { durationS: 90, origin: 'offnet' }));
  }
  return { cards: [card(me)], records };
}

describe('simbox', () => {
  it('reports the gateway IMEI with its cards, and each card', () => {
    const gw = gateway(T0, 30);
    const ctx = newContext(gw.cards, []);
    const d = simboxDetector();
    const out = run(d, ctx, gw.records);
    const imei = out.filter((x) => x.subjectKind === 'imei');
    assert.equal(imei.length, 1);
    assert.equal(imei[0]!.subject, '860000000000001');
    assert.equal(imei[0]!.detector, 'simbox');
    const ev = imei[0]!.evidence as { imsiCount: number; msisdns: string[]; cells: string[] };
    assert.ok(ev.imsiCount >= 4);
    assert.ok(ev.msisdns.every((m) => gw.cards.some((c) => c.msisdn === m)));
    assert.deepEqual(ev.cells, ['CELL-GW']);
    const cards = out.filter((x) => x.subjectKind === 'msisdn');
    assert.deepEqual(cards.map((x) => x.subject).sort(), gw.cards.map((c) => c.msisdn).sort());
    for (const x of cards) {
      assert.ok(x.score >= 0.6 && x.score <= 1);
      const e = x.evidence as { imsisOnImei: number; cellChanges: number; gapCv: number | null };
      assert.equal(e.cellChanges, 0);
      assert.ok(e.imsisOnImei >= 4);
      assert.ok(e.gapCv !== null && e.gapCv < 0.15);
      assert.equal(ctx.flaggedNumbers.get(x.subject)?.detector, 'simbox');
    }
  });

  it('does not report a busy salesperson whose customers call back', () => {
    const s = salesperson(T0);
    const ctx = newContext(s.cards, []);
    assert.deepEqual(run(simboxDetector(), ctx, s.records), []);
  });

  it('does not report a human call centre: several mass-calling phones on one cell, irregular timing', () => {
    const cards: CardRecord[] = [];
    const records: CallRecord[] = [];
    for (let k = 0; k < 6; k++) {
      const msisdn = mob(3100 + k, '187');
      cards.push(card(msisdn));
      let t = T0 + k * MIN;
      for (let i = 0; i < 40; i++) {
        const dur = i % 7 === 0 ? 200 : 5 + ((i * 13 + k) % 25);
        records.push(
          call(t, msisdn, mob(300_000 + k * 100 + i, '138'), {
            imsi: `4600300000000${k}`,
            imei: `35300000000000${k}`,
            cellId: 'CELL-CC',
            durationS: dur,
          }),
        );
        // A person dials the next number after a pause with an exponential-like spread.
        const u = (((i * 7919 + k * 104729) % 997) + 1) / 998;
        t += Math.round(dur + 15 - 90 * Math.log(u)) * 1000;
      }
    }
    assert.deepEqual(run(simboxDetector(), newContext(cards, []), records), []);
  });

  it('reports once per episode and forgets the subjects after the window and quiet period', () => {
    const d = simboxDetector();
    const first = gateway(T0, 30);
    const ctx = newContext(first.cards, []);
    const a = run(d, ctx, first.records, false);
    assert.equal(a.length, 9);
    // More of the same, in the same episode (and into the next window): nothing new.
    const more = gateway(T0 + 30 * MIN, 60, 50_000);
    assert.deepEqual(run(d, ctx, more.records, false), []);
    const more2 = gateway(T0 + 25 * HOUR, 30, 90_000);
    assert.deepEqual(run(d, ctx, more2.records, false), []);
    assert.ok(d.size() > 0);
    d.drain(T0 + 5 * DAY, true, ctx);
    assert.equal(d.size(), 0);
    // A new episode after the quiet period is reported again.
    const later = gateway(T0 + 6 * DAY, 30);
    assert.equal(run(d, ctx, later.records).length, 9);
  });
});

// ---------------------------------------------------------------- fraud_caller

/** Locals of region GD on cell GD-17 with ordinary two-way calls (they teach the cell its region). */
function locals(from: number): { cards: CardRecord[]; records: CallRecord[] } {
  const cards: CardRecord[] = [];
  const records: CallRecord[] = [];
  for (let k = 0; k < 6; k++) {
    const a = mob(2000 + k, '136');
    const b = mob(3000 + k, '136');
    cards.push(card(a), card(b));
    records.push(
      call(from + k * MIN, a, b, { cellId: 'GD-17', imei: `35100000000000${k}`, imsi: `4600100000000${k}` }),
    );
    records.push(
      call(from + 30 * MIN + k * MIN, b, a, {
        cellId: 'GD-17',
        imei: `35200000000000${k}`,
        imsi: `4600200000000${k}`,
      }),
    );
  }
  return { cards, records };
}

describe('fraud_caller', () => {
  it('reports a new card from another region mass-calling strangers with short calls', () => {
    const loc = locals(T0 - 2 * HOUR);
    const dealt = mob(4242, '188');
    const dealtCard = card(dealt, { holderRegion: 'HN', holderId: 'H-dealt', activatedAt: T0 - 5 * DAY });
    const ctx = newContext([...loc.cards, dealtCard, card(mob(4243, '188'), { holderId: 'H-dealt' })], []);
    const records = [...loc.records];
    let t = T0;
    for (let i = 0; i < 40; i++) {
      t += (40 + ((i * 37) % 200)) * 1000;
      records.push(
        call(t, dealt, mob(600_000 + i, '139'), {
          cellId: 'GD-17',
          imei: '359999000000001',
          imsi: '460009999900001',
          durationS: i % 5 === 0 ? 240 : 15,
        }),
      );
    }
    // One callee calls back: still strangers.
    records.push(call(t + MIN, mob(600_003, '139'), dealt, { origin: 'offnet' }));
    const d = fraudCallerDetector();
    const out = run(d, ctx, records);
    assert.equal(out.length, 1);
    const x = out[0]!;
    assert.equal(x.detector, 'fraud_caller');
    assert.equal(x.subjectKind, 'msisdn');
    assert.equal(x.subject, dealt);
    const e = x.evidence as Record<string, unknown>;
    assert.equal(e.holderRegion, 'HN');
    assert.equal(e.cellRegion, 'GD');
    assert.equal(e.holderCards, 2);
    assert.equal(e.cardAgeDays, 5);
    assert.ok((e.shortCallRatio as number) >= 0.7);
    assert.ok(!JSON.stringify(e).includes('H-dealt'), 'no holder id in evidence');
    assert.equal(ctx.flaggedNumbers.get(dealt)?.detector, 'fraud_caller');
    // More of the same: nothing new.
    const again: CallRecord[] = [];
    for (let i = 0; i < 40; i++)
      again.push(
        call(t + 2 * HOUR + i * MIN, dealt, mob(700_000 + i, '139'), { cellId: 'GD-17', durationS: 10 }),
      );
    assert.deepEqual(run(d, ctx, again, false), []);
    assert.ok(d.size() > 0);
    d.drain(t + 10 * DAY, true, ctx);
    assert.deepEqual(d.stats(), { cards: 0, imeis: 0, cells: 0, lives: 0 });
  });

  it('does not report a busy salesperson whose customers call back', () => {
    const s = salesperson(T0);
    const ctx = newContext(s.cards, []);
    assert.deepEqual(run(fraudCallerDetector(), ctx, s.records), []);
  });

  it('does not report a long-standing local telemarketer with one card', () => {
    const loc = locals(T0 - 2 * HOUR);
    const me = mob(8888, '135');
    const ctx = newContext([...loc.cards, card(me)], []);
    const records = [...loc.records];
    for (let i = 0; i < 40; i++)
      records.push(call(T0 + i * 3 * MIN, me, mob(800_000 + i, '139'), { cellId: 'GD-17', durationS: 20 }));
    assert.deepEqual(run(fraudCallerDetector(), ctx, records), []);
  });

  it('does not report a courier’s new work card calling its neighbourhood; the same calls across the country it does', () => {
    // A new hire's work card, five days old, in its holder's region: 40 short calls to the day's
    // recipients, every one a stranger. The simulator's couriers (plantCouriers) were reported so.
    const courier = (holderRegion: string, calleeRegions: readonly string[]) => {
      const loc = locals(T0 - 2 * HOUR);
      const work = mob(5150, '176');
      const cards = [
        ...loc.cards,
        card(work, { holderId: 'H-courier', holderRegion, activatedAt: T0 - 5 * DAY }),
        card(mob(5151, '176'), { holderId: 'H-courier', holderRegion }),
      ];
      const records = [...loc.records];
      for (let i = 0; i < 40; i++) {
        const to = mob(900_000 + i, '139');
        cards.push(card(to, { holderRegion: calleeRegions[i % calleeRegions.length] }));
        records.push(call(T0 + i * 9 * MIN, work, to, { cellId: 'GD-17', durationS: 20 + (i % 20) }));
      }
      return { ctx: newContext(cards, []), records, work };
    };
    const home = courier('GD', ['GD']);
    assert.deepEqual(run(fraudCallerDetector(), home.ctx, home.records), []);
    // Without the rule, the same card is reported.
    const without = courier('GD', ['GD']);
    assert.deepEqual(
      run(fraudCallerDetector({ minLocalShare: 2 }), without.ctx, without.records).map((d) => d.subject),
      [without.work],
    );
    // Calling people all over the country, or held far away: newness counts.
    const country = courier('GD', ['GD', 'HN', 'SC', 'BJ', 'ZJ']);
    const nationwide = run(fraudCallerDetector(), country.ctx, country.records);
    assert.deepEqual(
      nationwide.map((d) => [d.subject, (d.evidence as Record<string, unknown>).localCalleeShare]),
      [[country.work, 0.2]],
    );
    // Held far away, and the holder's other card as new as this one, never seen: newness counts
    // (at once here; by default after `newHolderWaitMs`, in "a migrant's card" below).
    const far = courier('HN', ['GD']);
    const other = far.ctx.cardsByHolder.get('H-courier')!.find((c) => c.msisdn !== far.work)!;
    const dealt = newContext(
      [...far.ctx.cardsByMsisdn.values()].map((c) => (c === other ? { ...c, activatedAt: T0 - 5 * DAY } : c)),
      [],
    );
    assert.deepEqual(
      run(fraudCallerDetector({ newHolderWaitMs: 0 }), dealt, far.records).map((d) => d.subject),
      [far.work],
    );
  });

  describe('a migrant’s card (settledCardMs)', () => {
    // A courier registered in HN who lives and works in GD: the work card, in their own name, is
    // used in GD; their everyday card, three years old, is used there too. The simulator's migrant
    // couriers (plantMigrants) were reported so, old work cards as well as new ones.
    const migrant = (o: {
      workAgeDays: number;
      calleeRegions: readonly string[];
      everyday: 'seen here' | 'seen far' | 'unseen' | 'new';
      /** The work card's cell (GD-17's region is learned from the locals). */
      cell?: string;
      /** The everyday card's age, when not that of `everyday` (three years, or five days when new). */
      everydayAgeDays?: number;
      /** Days after the everyday card's evening that the work card's calls begin (0). */
      workAfterDays?: number;
      /** The work card's calls (40) and the minutes between them (9). */
      workCalls?: number;
      workEveryMin?: number;
      /** Hours from T0 of the everyday card's evening with friends (−2). */
      everydayAtH?: number;
    }) => {
      const loc = locals(T0 - 3 * HOUR);
      const work = mob(6160, '176');
      const own = mob(6161, '176');
      const cards = [
        ...loc.cards,
        card(work, { holderId: 'H-migrant', holderRegion: 'HN', activatedAt: T0 - o.workAgeDays * DAY }),
        card(own, {
          holderId: 'H-migrant',
          holderRegion: 'HN',
          activatedAt:
            o.everydayAgeDays !== undefined
              ? T0 - o.everydayAgeDays * DAY
              : o.everyday === 'new'
                ? T0 - 5 * DAY
                : T0 - 3 * 365 * DAY,
        }),
      ];
      const records = [...loc.records];
      if (o.everyday === 'seen here' || o.everyday === 'seen far') {
        // An evening's calls with four friends, each calling back: an everyday life on a cell.
        const cell = o.everyday === 'seen here' ? 'GD-17' : 'HN-03';
        if (o.everyday === 'seen far')
          for (let k = 0; k < 6; k++) {
            const a = mob(4000 + k, '136');
            const b = mob(4100 + k, '136');
            cards.push(card(a, { holderRegion: 'HN' }), card(b, { holderRegion: 'HN' }));
            records.push(call(T0 - 3 * HOUR + k * MIN, a, b, { cellId: 'HN-03' }));
            records.push(call(T0 - 150 * MIN + k * MIN, b, a, { cellId: 'HN-03' }));
          }
        const evening = T0 + (o.everydayAtH ?? -2) * HOUR;
        for (let k = 0; k < 4; k++) {
          const friend = mob(2000 + k, '136');
          records.push(call(evening + k * 5 * MIN, own, friend, { cellId: cell, durationS: 300 }));
          records.push(call(evening + 30 * MIN + k * 5 * MIN, friend, own, { durationS: 200 }));
        }
      }
      for (let i = 0; i < (o.workCalls ?? 40); i++) {
        const to = mob(910_000 + i, '139');
        cards.push(card(to, { holderRegion: o.calleeRegions[i % o.calleeRegions.length] }));
        records.push(
          call(T0 + (o.workAfterDays ?? 0) * DAY + i * (o.workEveryMin ?? 9) * MIN, work, to, {
            cellId: o.cell ?? 'GD-17',
            durationS: 20 + (i % 20),
          }),
        );
      }
      return { ctx: newContext(cards, []), records, work };
    };
    const reported = (m: ReturnType<typeof migrant>, params = {}) =>
      run(fraudCallerDetector(params), m.ctx, m.records).map((d) => [
        d.subject,
        (d.evidence as Record<string, unknown>).parts,
      ]);
    const OFF = { settledCardMs: Infinity };

    it('an old work card calling people all over the country, its holder living here: not away', () => {
      const country = ['GD', 'HN', 'SC', 'BJ', 'ZJ', 'SH', 'FJ'];
      const m = migrant({ workAgeDays: 400, calleeRegions: country, everyday: 'seen here' });
      assert.deepEqual(reported(m), []);
      // The counterfactuals: the rule off, or the everyday card living far away, or new.
      assert.equal(
        reported(migrant({ workAgeDays: 400, calleeRegions: country, everyday: 'seen here' }), OFF).length,
        1,
      );
      const far = reported(migrant({ workAgeDays: 400, calleeRegions: country, everyday: 'seen far' }));
      assert.equal(far.length, 1);
      assert.equal((far[0]![1] as Record<string, number>).away, 1);
      assert.equal(
        reported(migrant({ workAgeDays: 400, calleeRegions: country, everyday: 'new' })).length,
        1,
      );
    });

    it('a new work card calling its neighbourhood: it serves the place, though the everyday card is not seen yet', () => {
      const m = migrant({ workAgeDays: 5, calleeRegions: ['GD', 'GD', 'GD', 'HN'], everyday: 'unseen' });
      const d = run(fraudCallerDetector({ minScore: 0 }), m.ctx, m.records);
      assert.equal(d.length, 1);
      const e = d[0]!.evidence as Record<string, unknown>;
      assert.equal(e.holderSettled, 'serves');
      assert.equal(e.holderEstablished, true);
      assert.equal(e.calleeRegion, 'GD');
      assert.deepEqual(
        [(e.parts as Record<string, number>).away, (e.parts as Record<string, number>).newCard],
        [0, 0],
      );
      assert.deepEqual(reported(m), []);
      assert.equal(reported(m, OFF).length, 1);
      // Its holder with no card in service long enough (a dealt identity's fresh cards): the callees
      // alone make it not away, but its newness counts, and with no callee calling back it is
      // reported (at once here; by default after `newHolderWaitMs`, below).
      const fresh = migrant({ workAgeDays: 5, calleeRegions: ['GD', 'GD', 'GD', 'HN'], everyday: 'new' });
      const f = run(fraudCallerDetector({ newHolderWaitMs: 0 }), fresh.ctx, fresh.records);
      assert.equal(f.length, 1);
      const fe = f[0]!.evidence as Record<string, unknown>;
      assert.deepEqual(
        [
          fe.holderSettled,
          fe.holderEstablished,
          (fe.parts as Record<string, number>).away,
          (fe.parts as Record<string, number>).newCard,
        ],
        ['serves', false, 0, 1],
      );
    });

    it('an old work card calling its neighbourhood, the everyday card new: the work card itself is in service long enough', () => {
      const m = migrant({ workAgeDays: 400, calleeRegions: ['GD', 'GD', 'GD', 'HN'], everyday: 'new' });
      const d = run(fraudCallerDetector({ minScore: 0 }), m.ctx, m.records);
      assert.equal((d[0]!.evidence as Record<string, unknown>).holderSettled, 'serves');
      assert.deepEqual(reported(m), []);
      assert.equal(reported(m, OFF).length, 1);
      // Calling the country, it is away: reported.
      const country = migrant({
        workAgeDays: 400,
        calleeRegions: ['GD', 'HN', 'SC', 'BJ', 'ZJ'],
        everyday: 'new',
      });
      assert.equal(reported(country).length, 1);
    });

    it('a new work card calling the country, its holder living here: not away, but its newness counts', () => {
      const m = migrant({
        workAgeDays: 5,
        calleeRegions: ['GD', 'HN', 'SC', 'BJ', 'ZJ'],
        everyday: 'seen here',
      });
      const d = run(fraudCallerDetector(), m.ctx, m.records);
      assert.equal(d.length, 1);
      const e = d[0]!.evidence as Record<string, unknown>;
      assert.equal(e.holderSettled, 'lives');
      assert.deepEqual(
        [(e.parts as Record<string, number>).away, (e.parts as Record<string, number>).newCard],
        [0, 1],
      );
    });

    it('where its callees are held: by the vote on a cell of unknown region, exactly on a known one', () => {
      // On a cell whose region is not learned yet (away unknown, 0): GD holds three in four of its
      // callees by the vote, so it serves GD and, its holder established, its newness is cleared.
      const unknown = migrant({
        workAgeDays: 5,
        calleeRegions: ['GD', 'GD', 'GD', 'HN'],
        everyday: 'unseen',
        cell: 'XX-99',
      });
      const d = run(fraudCallerDetector({ minScore: 0 }), unknown.ctx, unknown.records);
      const e = d[0]!.evidence as Record<string, unknown>;
      assert.deepEqual(
        [e.cellRegion, e.holderSettled, e.calleeRegion, (e.parts as Record<string, number>).newCard],
        [null, 'serves', 'GD', 0],
      );
      assert.deepEqual(reported(unknown), []);
      assert.equal(reported(unknown, OFF).length, 1);
      // Three in five of its callees held in GD, the rest in SC and BJ by turns: the vote's lead
      // over them says a fifth, the count on GD-17 (whose region is known) says three fifths.
      const mixed = migrant({
        workAgeDays: 400,
        calleeRegions: ['GD', 'SC', 'GD', 'BJ', 'GD'],
        everyday: 'unseen',
      });
      const m = run(fraudCallerDetector({ minScore: 0 }), mixed.ctx, mixed.records);
      const me = m[0]!.evidence as Record<string, unknown>;
      assert.deepEqual(
        [me.holderSettled, me.calleeRegion, me.localCalleeShare, (me.parts as Record<string, number>).away],
        ['serves', 'GD', 0.6, 0],
      );
      assert.deepEqual(reported(mixed), []);
      assert.equal(reported(mixed, OFF).length, 1);
    });

    // A newcomer: both cards weeks old, no card in service `settledCardMs`. The everyday card's
    // social life in the place the work card serves is what tells the holder lives there. The
    // simulator's migrant couriers were reported so (5,000 × 7, seeds 115 and 120).
    const GD_MOSTLY = ['GD', 'GD', 'GD', 'HN'];
    const COUNTRY = ['GD', 'HN', 'SC', 'BJ', 'ZJ'];
    /** Reported at once, not after `newHolderWaitMs`. */
    const NOW = { newHolderWaitMs: 0 };
    /** A newcomer's 12-day-old work card calling mostly GD, their 20-day-old everyday card seen here. */
    const newcomer = (o: Partial<Parameters<typeof migrant>[0]> = {}) =>
      migrant({
        workAgeDays: 12,
        calleeRegions: GD_MOSTLY,
        everyday: 'seen here',
        everydayAgeDays: 20,
        ...o,
      });
    const parts = (m: ReturnType<typeof migrant>) => {
      const d = run(fraudCallerDetector({ minScore: 0 }), m.ctx, m.records);
      const e = d[0]!.evidence as Record<string, unknown>;
      const x = e.parts as Record<string, number>;
      return [e.holderSettled, e.holderEstablished, x.away, x.newCard];
    };

    it('a newcomer on a cell of unknown region: the everyday card lives where its callees are', () => {
      const m = newcomer({ cell: 'XX-99' });
      assert.deepEqual(parts(m), ['lives', true, 0, 0]);
      assert.deepEqual(reported(m), []);
      // Unseen, the everyday card proves nothing: it serves the place, but its newness counts.
      const unseen = newcomer({ everyday: 'unseen', cell: 'XX-99' });
      assert.deepEqual(parts(unseen), ['serves', false, 0, 1]);
      assert.equal(reported(unseen, NOW).length, 1);
    });

    it('a newcomer whose everyday card came after the work card: it counts when the work card serves its place', () => {
      const m = newcomer({ workAgeDays: 20, everydayAgeDays: 10 });
      assert.deepEqual(parts(m), ['lives', true, 0, 0]);
      assert.deepEqual(reported(m), []);
      // Calling the country, it does not: away, new, reported.
      const country = newcomer({ workAgeDays: 20, everydayAgeDays: 10, calleeRegions: COUNTRY });
      const d = run(fraudCallerDetector(), country.ctx, country.records);
      assert.equal(d.length, 1);
      const x = (d[0]!.evidence as Record<string, unknown>).parts as Record<string, number>;
      assert.deepEqual([x.away, x.newCard], [1, 1]);
    });

    it('an everyday card silent for days is remembered where it lives (socialMemoryMs)', () => {
      // Its evening with friends, then no call of its own for three days: its state goes with its
      // window, its social life stays.
      const m = newcomer({ workAfterDays: 3 });
      const d = fraudCallerDetector({ minScore: 0 });
      const e = run(d, m.ctx, m.records)[0]!.evidence as Record<string, unknown>;
      assert.equal(e.holderSettled, 'lives');
      assert.equal(d.cards.has(mob(6161, '176')), false, 'the everyday card’s state was dropped');
      assert.deepEqual(reported(m), []);
      assert.equal(reported(m, { ...NOW, socialMemoryMs: 0 }).length, 1);
      // Eight days on, it is forgotten (cells' regions given, as learned ones are forgotten too).
      const later = newcomer({ workAfterDays: 8 });
      const cellRegion = (c: string) => c.split('-')[0]!;
      assert.equal(reported(later, { ...NOW, cellRegion }).length, 1);
      assert.deepEqual(reported(later, { ...NOW, cellRegion, socialMemoryMs: 10 * DAY }), []);
    });

    it('a fresh identity serving the place is held newHolderWaitMs for its everyday card, then reported', () => {
      // 60 calls 20 minutes apart: 20 hours. Nothing of the everyday card is seen: reported at its
      // first call 12 hours after it could first have been (its 20th).
      const long = { workCalls: 60, workEveryMin: 20 };
      const alone = newcomer({ ...long, everyday: 'new', everydayAgeDays: 5 });
      const d = run(fraudCallerDetector(), alone.ctx, alone.records);
      assert.equal(d.length, 1);
      const e = d[0]!.evidence as Record<string, unknown>;
      assert.deepEqual([e.holderSettled, e.holderEstablished, e.heldHours], ['serves', false, 12]);
      assert.equal(d[0]!.window.to - T0, 55 * 20 * MIN, 'its first call past the wait');
      // Its everyday card, as new, shows its evening with friends here during the wait: not reported.
      const seen = newcomer({ ...long, everydayAgeDays: 5, everydayAtH: 10 });
      assert.deepEqual(reported(seen), []);
      assert.equal(reported(seen, NOW).length, 1, 'reported at once, before the evening');
      // A card reportable without its newness (calling the country, far from its holder) is not held.
      const country = newcomer({ ...long, everyday: 'new', everydayAgeDays: 5, calleeRegions: COUNTRY });
      const c = run(fraudCallerDetector(), country.ctx, country.records);
      assert.equal(c.length, 1);
      assert.equal(c[0]!.window.to - T0, 19 * 20 * MIN, 'its 20th call');
      assert.equal((c[0]!.evidence as Record<string, unknown>).heldHours, undefined);
    });

    it('an everyday card already flagged proves nothing', () => {
      const country = ['GD', 'HN', 'SC', 'BJ', 'ZJ', 'SH', 'FJ'];
      const m = migrant({ workAgeDays: 400, calleeRegions: country, everyday: 'seen here' });
      m.ctx.flaggedNumbers.set(mob(6161, '176'), { detector: 'simbox', at: T0 - DAY });
      assert.equal(reported(m).length, 1);
    });
  });
});

// ---------------------------------------------------------------- iot_misuse

describe('iot_misuse', () => {
  const iot = '+861440000000001';
  const iotCard = card(iot, { cardType: 'iot', holderId: '' });

  it('reports an IoT card making voice calls to several people', () => {
    const ctx = newContext([iotCard], []);
    const d = iotMisuseDetector();
    const records = [0, 1, 2, 3].map((i) =>
      call(T0 + i * MIN, iot, mob(10 + i), { cellId: 'C9', imei: '86111' }),
    );
    const out = run(d, ctx, records, false);
    assert.equal(out.length, 1);
    assert.equal(out[0]!.subject, iot);
    assert.equal(out[0]!.subjectKind, 'msisdn');
    const e = out[0]!.evidence as Record<string, unknown>;
    assert.equal(e.voiceCallees, 3);
    assert.equal(ctx.flaggedNumbers.get(iot)?.detector, 'iot_misuse');
    // Once per episode.
    const more = [4, 5, 6].map((i) => call(T0 + i * MIN, iot, mob(10 + i)));
    assert.deepEqual(run(d, ctx, more, false), []);
    assert.equal(d.size(), 1);
    d.drain(T0 + 3 * DAY, true, ctx);
    assert.equal(d.size(), 0);
  });

  it('reports person-to-person SMS from an IoT card', () => {
    const ctx = newContext([iotCard], []);
    const records = [0, 1, 2].map((i) => call(T0 + i * MIN, iot, mob(40 + i), { kind: 'sms', durationS: 0 }));
    const out = run(iotMisuseDetector(), ctx, records);
    assert.equal(out.length, 1);
    assert.equal((out[0]!.evidence as Record<string, unknown>).p2pSmsRecipients, 3);
  });

  it('does not report SMS to platform short codes, a watch calling two parents, or consumer cards', () => {
    const watch = '+861440000000002';
    const ctx = newContext([iotCard, card(watch, { cardType: 'iot' }), card(mob(5))], []);
    const records: CallRecord[] = [];
    for (let i = 0; i < 50; i++) {
      records.push(call(T0 + i * MIN, iot, 'short:CN:10086', { kind: 'sms', durationS: 0 }));
      records.push(call(T0 + i * MIN, iot, '+86106900000000', { kind: 'sms', durationS: 0 }));
      records.push(call(T0 + i * MIN, iot, '+861440000000099', { kind: 'sms', durationS: 0 }));
      records.push(call(T0 + i * MIN, watch, mob(60 + (i % 2))));
      records.push(call(T0 + i * MIN, mob(5), mob(100 + i)));
    }
    const d = iotMisuseDetector();
    assert.deepEqual(run(d, ctx, records), []);
    assert.ok(isCnMobile('+8613912345678'));
    assert.ok(!isCnMobile('+86106900000000'));
  });
});

// ---------------------------------------------------------------- spoofed_caller

describe('spoofed_caller', () => {
  it('reports an international-gateway call presenting a CN number, once', () => {
    const ctx = newContext([], []);
    const d = spoofedCallerDetector();
    const n = mob(1234, '139');
    const out = run(
      d,
      ctx,
      [
        call(T0, n, mob(1), { origin: 'intl' }),
        call(T0 + MIN, n, mob(2), { origin: 'intl' }),
        call(T0 + 2 * MIN, '+442071234567', mob(3), { origin: 'intl' }),
      ],
      false,
    );
    assert.equal(out.length, 1);
    assert.equal(out[0]!.subject, n);
    assert.equal((out[0]!.evidence as Record<string, unknown>).rule, 'intl');
    assert.equal(out[0]!.score, 0.95);
    assert.equal(ctx.flaggedNumbers.get(n)?.detector, 'spoofed_caller');
    assert.equal(d.size(), 1);
    d.drain(T0 + 2 * DAY, true, ctx);
    assert.equal(d.size(), 0);
  });

  it('reports a number holding two calls at once from two devices', () => {
    const ctx = newContext([], []);
    const n = mob(4321, '139');
    const out = run(spoofedCallerDetector(), ctx, [
      call(T0, n, mob(1), { durationS: 600, cellId: 'BJ-0001', imei: '861', imsi: '4601' }),
      call(T0 + 2 * MIN, n, mob(2), { durationS: 60, cellId: 'SZ-0042', imei: '862', imsi: '4601' }),
    ]);
    assert.equal(out.length, 1);
    const e = out[0]!.evidence as Record<string, unknown>;
    assert.equal(e.rule, 'overlap');
    assert.deepEqual(e.cells, ['BJ-0001', 'SZ-0042']);
    assert.equal(out[0]!.score, 0.9);
  });

  it('reports a jump between regions within minutes when cells carry a region prefix', () => {
    const ctx = newContext([], []);
    const n = mob(4322, '139');
    const out = run(spoofedCallerDetector({ cellRegion: (c) => c.slice(0, 2) }), ctx, [
      call(T0, n, mob(1), { durationS: 30, cellId: 'BJ-0001', imei: '861' }),
      call(T0 + 3 * MIN, n, mob(2), { durationS: 30, cellId: 'SZ-0042', imei: '861' }),
    ]);
    assert.equal(out.length, 1);
    assert.deepEqual((out[0]!.evidence as Record<string, unknown>).regions, ['BJ', 'SZ']);
  });

  it('reports a number on two phones in two cells minutes apart (a clone)', () => {
    const ctx = newContext([], []);
    const n = mob(4323, '139');
    const out = run(spoofedCallerDetector(), ctx, [
      call(T0, n, mob(1), { durationS: 60, cellId: 'BJ-0001', imei: '861' }),
      call(T0 + 4 * MIN, n, mob(2), { durationS: 30, cellId: 'GZ-0042', imei: '869' }),
    ]);
    assert.equal(out.length, 1);
    const e = out[0]!.evidence as Record<string, unknown>;
    assert.equal(e.rule, 'switch');
    assert.deepEqual(e.imeis, ['861', '869']);
    assert.equal(out[0]!.score, 0.75);
  });

  it('does not report a traveller on two cells hours apart, or call waiting on one phone', () => {
    const ctx = newContext([], []);
    const n = mob(5555, '139');
    const out = run(spoofedCallerDetector({ cellRegion: (c) => c.slice(0, 2) }), ctx, [
      call(T0, n, mob(1), { durationS: 300, cellId: 'BJ-0001', imei: '861' }),
      call(T0 + 3 * HOUR, n, mob(2), { durationS: 300, cellId: 'SH-0077', imei: '861' }),
      // Call waiting: a second call during the first, same phone, handed over to the next cell.
      call(T0 + 3 * HOUR + MIN, n, mob(3), { durationS: 60, cellId: 'SH-0078', imei: '861' }),
      call(T0 + 3 * HOUR + 20 * MIN, n, mob(4), { durationS: 60, cellId: 'SH-0079', imei: '861' }),
    ]);
    assert.deepEqual(out, []);
  });
});

// ---------------------------------------------------------------- card_limit

describe('card_limit', () => {
  it('reports a holder over the limit once, and not a family of four', () => {
    const cards: CardRecord[] = [];
    for (let i = 0; i < 7; i++)
      cards.push(
        card(mob(9000 + i), {
          holderId: 'H-dealer',
          operator: i < 4 ? 'cmcc' : 'cucc',
          activatedAt: T0 - (100 + i * 40) * DAY,
        }),
      );
    for (let i = 0; i < 4; i++)
      cards.push(card(mob(9100 + i), { holderId: 'H-family', activatedAt: T0 - i * 300 * DAY }));
    const ctx = newContext(cards, []);
    const d = cardLimitDetector();
    const out = d.drain(T0, false, ctx);
    assert.equal(out.length, 1);
    const x = out[0]!;
    assert.equal(x.subjectKind, 'holder');
    assert.equal(x.subject, 'H-dealer');
    const e = x.evidence as {
      cards: number;
      overBy: number;
      operators: { operator: string; cards: number }[];
    };
    assert.equal(e.cards, 7);
    assert.equal(e.overBy, 2);
    assert.deepEqual(
      e.operators.map((o) => [o.operator, o.cards]),
      [
        ['cmcc', 4],
        ['cucc', 3],
      ],
    );
    assert.ok(x.score >= 0.6 && x.score <= 1);
    // Each holder once.
    assert.deepEqual(d.drain(T0 + DAY, true, ctx), []);
    // A stricter per-operator limit catches four at one operator.
    const strict = cardLimitDetector({ perOperatorLimit: 3 });
    assert.deepEqual(
      strict
        .drain(T0, true, ctx)
        .map((y) => y.subject)
        .sort(),
      ['H-dealer', 'H-family'],
    );
  });

  it('reports cards activated in a burst at one operator', () => {
    const cards: CardRecord[] = [];
    // Background: 200 activations spread over a year.
    for (let i = 0; i < 200; i++)
      cards.push(card(mob(20_000 + i), { holderRegion: 'HN', activatedAt: T0 - 365 * DAY + i * 43 * HOUR }));
    // The burst: 12 cards in 6 minutes, each for a different holder.
    const burst = Array.from({ length: 12 }, (_, i) =>
      card(mob(30_000 + i), { holderRegion: 'HN', holderId: `H-b${i}`, activatedAt: T0 + i * 30_000 }),
    );
    // As many activations at another operator, spread over days: no burst.
    for (let i = 0; i < 12; i++)
      cards.push(card(mob(40_000 + i), { holderRegion: 'HN', operator: 'ctcc', activatedAt: T0 + i * DAY }));
    const ctx = newContext([...cards, ...burst], []);
    const d = cardLimitDetector();
    const out = d.drain(T0 + HOUR, true, ctx);
    assert.deepEqual(out.map((x) => x.subject).sort(), burst.map((c) => c.msisdn).sort());
    for (const x of out) {
      assert.equal(x.subjectKind, 'msisdn');
      const e = x.evidence as Record<string, unknown>;
      assert.equal(e.rule, 'burst');
      assert.equal(e.operator, 'cmcc');
      assert.equal(e.region, null);
      assert.equal(e.burstCards, 12);
      assert.ok(!JSON.stringify(e).includes('H-b'), 'no holder ids in evidence');
      assert.equal(ctx.flaggedNumbers.get(x.subject)?.detector, 'card_limit');
    }
    assert.deepEqual(d.drain(T0 + 2 * HOUR, true, ctx), []);
  });

  it('groups a burst by its outlet when the cards name one: a card activated elsewhere meanwhile is not in it', () => {
    const cards: CardRecord[] = [];
    // Background over a year at the operator's outlets.
    for (let i = 0; i < 200; i++)
      cards.push(
        card(mob(60_000 + i), {
          activatedAt: T0 - 365 * DAY + i * 43 * HOUR,
          outlet: `HN-${String(i % 20).padStart(3, '0')}`,
        }),
      );
    // A dealer's 12 cards in 6 minutes at one agent outlet, which had activated nothing before …
    const burst = Array.from({ length: 12 }, (_, i) =>
      card(mob(61_000 + i), { holderId: `H-d${i}`, activatedAt: T0 + i * 30_000, outlet: 'HN-041' }),
    );
    // … and, in those minutes, an ordinary card at an outlet across the country.
    const innocent = card(mob(62_000), {
      holderId: 'H-innocent',
      activatedAt: T0 + 100_000,
      outlet: 'SZ-003',
    });
    const withOutlets = newContext([...cards, ...burst, innocent], []);
    const out = cardLimitDetector().drain(T0 + HOUR, true, withOutlets);
    assert.deepEqual(out.map((x) => x.subject).sort(), burst.map((c) => c.msisdn).sort());
    for (const x of out)
      assert.deepEqual(
        [(x.evidence as { outlet: string }).outlet, (x.evidence as { burstCards: number }).burstCards],
        ['HN-041', 12],
      );
    // Without outlets (a card file that names none), grouped by operator: the ordinary card is taken in.
    const bare = [...cards, ...burst, innocent].map(({ outlet: _, ...c }) => c);
    const grouped = cardLimitDetector().drain(T0 + HOUR, true, newContext(bare, []));
    assert.ok(grouped.some((x) => x.subject === innocent.msisdn));
    assert.equal(grouped.length, 13);
  });

  it('rescans when a number moves to another holder, though the number of cards stays the same', () => {
    // Five cards: at the limit, not over it. A sixth number belongs to someone else.
    const cards = Array.from({ length: 5 }, (_, i) =>
      card(mob(50_000 + i), { holderId: 'H-five', activatedAt: T0 - (10 + i) * DAY }),
    );
    const other = card(mob(50_100), { holderId: 'H-other', activatedAt: T0 - 400 * DAY });
    const ctx = newContext([...cards, other], []);
    const d = cardLimitDetector();
    assert.deepEqual(d.drain(T0, false, ctx), []);
    // The other number is recycled to H-five (published into the stream while workers run).
    addCard(ctx, { ...other, holderId: 'H-five', activatedAt: T0 + HOUR });
    assert.equal(ctx.cardsByMsisdn.size, 6, 'the count did not change');
    const out = d.drain(T0 + 2 * HOUR, false, ctx);
    assert.deepEqual(
      out.map((x) => [x.subject, (x.evidence as { cards: number }).cards]),
      [['H-five', 6]],
    );
  });
});

describe('cancelled cards', () => {
  /** Seven cards ever held by one holder, two of them given back on `cancelledAt`. */
  const holderOfSeven = (cancelledAt: number): CardRecord[] =>
    Array.from({ length: 7 }, (_, i) =>
      card(mob(60_000 + i), {
        holderId: 'H-returned',
        activatedAt: T0 - (400 + i) * DAY,
        ...(i < 2 && { cancelledAt }),
      }),
    );

  it('a holder is judged on the cards in service: cards given back before the records do not count', () => {
    const ctx = newContext(holderOfSeven(T0 - 30 * DAY), []);
    const d = cardLimitDetector();
    // Before any record the cancellations are pending; the first record's time reaches them.
    assert.equal(ctx.cardsByHolder.get('H-returned')?.length, 7);
    assert.equal(ctx.nextWithdrawalAt, T0 - 30 * DAY);
    withdrawEnded(ctx, T0);
    assert.equal(ctx.cardsByHolder.get('H-returned')?.length, 5);
    assert.equal(ctx.cardsByMsisdn.has(mob(60_000)), false, 'a cancelled number is no longer looked up');
    assert.equal(ctx.nextWithdrawalAt, Infinity);
    assert.deepEqual(d.drain(T0, true, ctx), []);
  });

  it('a holder over the limit until cards are given back is reported while over it, once', () => {
    const ctx = newContext(holderOfSeven(T0 + DAY), []);
    const d = cardLimitDetector();
    withdrawEnded(ctx, T0);
    const out = d.drain(T0, false, ctx);
    assert.deepEqual(
      out.map((x) => [x.subject, (x.evidence as { cards: number }).cards]),
      [['H-returned', 7]],
    );
    withdrawEnded(ctx, T0 + 2 * DAY);
    assert.equal(ctx.cardsByHolder.get('H-returned')?.length, 5);
    assert.deepEqual(d.drain(T0 + 2 * DAY, true, ctx), [], 'the episode is not reported again');
  });

  it('cards alone (no record, no stream time): every cancellation in the file has happened', () => {
    const ctx = newContext(holderOfSeven(T0 + 400 * DAY), []);
    withdrawAtEnd(ctx, 0);
    assert.deepEqual(cardLimitDetector().drain(0, true, ctx), []);
  });

  it('a cancelled card of an earlier tenure leaves the number with its present holder, in any order', () => {
    const former = card(mob(61_000), {
      holderId: 'H-former',
      activatedAt: T0 - 900 * DAY,
      cancelledAt: T0 - 200 * DAY,
    });
    const present = card(mob(61_000), { holderId: 'H-present', activatedAt: T0 - 100 * DAY });
    for (const order of [
      [former, present],
      [present, former],
    ]) {
      const ctx = newContext(order, []);
      withdrawEnded(ctx, T0);
      assert.equal(ctx.cardsByMsisdn.get(mob(61_000))?.holderId, 'H-present');
      assert.deepEqual([...ctx.cardsByHolder.keys()], ['H-present']);
    }
    // The same card, cancelled later (an operator's update), replaces the card in service.
    const ctx = newContext([present], []);
    assert.equal(addCard(ctx, { ...present, cancelledAt: T0 + HOUR }), true);
    assert.equal(addCard(ctx, former), false, 'history: not taken');
    withdrawEnded(ctx, T0 + 2 * HOUR);
    assert.equal(ctx.cardsByMsisdn.size, 0);
    // A cancellation in the past, learnt after stream time passed it, takes effect at once.
    assert.equal(addCard(ctx, { ...present, msisdn: mob(61_001), cancelledAt: T0 }), true);
    assert.equal(ctx.cardsByMsisdn.size, 0);
  });

  it('a call to a number after its cancellation finds no holder', () => {
    const victim = card(mob(62_000), { holderId: 'H-gone', cancelledAt: T0 - DAY });
    const ctx = newContext([victim], []);
    assert.equal(cardOf(ctx, victim.msisdn, undefined)?.holderId, 'H-gone');
    withdrawEnded(ctx, T0);
    assert.equal(cardOf(ctx, victim.msisdn, undefined), undefined);
  });
});

// ---------------------------------------------------------------- checkpoints

describe('flags on numbers', () => {
  it('expire flagTtlMs after they were set once the episode is over, and stay while it lasts', () => {
    const ctx = newContext([], []);
    const d = spoofedCallerDetector();
    const gone = mob(2001);
    const active = mob(2002);
    // A flag another detector set: never this detector's to drop.
    ctx.flaggedNumbers.set(mob(2003), { detector: 'simbox', at: T0 });
    d.onCall(call(T0, gone, mob(1), { origin: 'intl' }), ctx);
    d.onCall(call(T0, active, mob(2), { origin: 'intl' }), ctx);
    assert.equal(d.drain(T0, false, ctx).length, 2);
    // `active` keeps presenting itself from abroad twice a day for 40 days: one long episode.
    const flags = () => {
      const out: string[] = [];
      for (const n of [gone, active, mob(2003)]) if (ctx.flaggedNumbers.has(n)) out.push(n);
      return out;
    };
    const seen = new Map<number, string[]>();
    for (let t = T0 + 12 * HOUR; t <= T0 + 40 * DAY; t += 12 * HOUR) {
      d.onCall(call(t, active, mob(3), { origin: 'intl' }), ctx);
      assert.deepEqual(d.drain(t, false, ctx), [], 'one episode, reported once');
      if (t === T0 + 29 * DAY || t === T0 + 31 * DAY) seen.set(t, flags());
    }
    assert.deepEqual(seen.get(T0 + 29 * DAY), [gone, active, mob(2003)], 'every flag within 30 days');
    assert.deepEqual(seen.get(T0 + 31 * DAY), [active, mob(2003)], 'the ended episode lost its flag');
    // Once `active` falls silent too, its flag (set 40 days ago) goes with its state.
    d.drain(T0 + 42 * DAY, true, ctx);
    assert.equal(d.size(), 0);
    assert.deepEqual(flags(), [mob(2003)]);
  });

  it('a shorter flagTtlMs is honoured by every call detector that flags numbers', () => {
    const iot = '+861440000000009';
    const ctx = newContext([card(iot, { cardType: 'iot', holderId: '' })], []);
    const d = iotMisuseDetector({ flagTtlMs: 2 * DAY });
    run(
      d,
      ctx,
      [0, 1, 2, 3].map((i) => call(T0 + i * MIN, iot, mob(10 + i))),
      false,
    );
    assert.equal(ctx.flaggedNumbers.get(iot)?.detector, 'iot_misuse');
    d.drain(T0 + DAY + 2 * HOUR, false, ctx);
    assert.ok(ctx.flaggedNumbers.has(iot), 'younger than the TTL');
    d.drain(T0 + 3 * DAY, true, ctx);
    assert.ok(!ctx.flaggedNumbers.has(iot));
    // simbox and fraud_caller take the same parameter.
    assert.equal(simboxDetector({ flagTtlMs: 5 }).p.flagTtlMs, 5);
    assert.equal(fraudCallerDetector().p.flagTtlMs, 30 * DAY);
  });
});

describe('checkpoints', () => {
  /** A bit of everything: a gateway, a salesperson, an IoT card texting people, a spoofed call. */
  function mixed(): { cards: CardRecord[]; records: CallRecord[] } {
    const gw = gateway(T0, 40);
    const sp = salesperson(T0);
    const iot = '+861401234567890';
    const records = [...gw.records, ...sp.records];
    for (let i = 0; i < 5; i++)
      records.push(call(T0 + (20 + 5 * i) * MIN, iot, mob(300 + i), { kind: 'sms', durationS: 0 }));
    records.push(call(T0 + 30 * MIN, mob(9999), mob(301), { origin: 'intl' }));
    records.sort((a, b) => a.ts - b.ts);
    return { cards: [...gw.cards, ...sp.cards, card(iot, { cardType: 'iot' })], records };
  }

  /** Feeds records, draining whenever a record starts a new 5-minute bucket of stream time. */
  function feed(d: Detector, ctx: DetectionContext, records: CallRecord[], prevTs: number): Detection[] {
    const out: Detection[] = [];
    for (const r of records) {
      if (Math.floor(r.ts / (5 * MIN)) !== Math.floor(prevTs / (5 * MIN)))
        out.push(...d.drain(r.ts, false, ctx));
      d.onCall?.(r, ctx);
      prevTs = r.ts;
    }
    return out;
  }

  const regionOf = (cell: string) => cell.slice(0, 6);
  const factories: [string, () => Detector][] = [
    ['simbox', () => simboxDetector()],
    ['fraud_caller', () => fraudCallerDetector({ gatewayImsis: 100, minScore: 0.3 })],
    ['iot_misuse', () => iotMisuseDetector()],
    ['spoofed_caller', () => spoofedCallerDetector({ cellRegion: regionOf })],
    ['card_limit', () => cardLimitDetector({ nationalLimit: 0, perOperatorLimit: 0 })],
  ];

  for (const [name, make] of factories)
    it(`${name} restored from a snapshot halfway continues as if never stopped`, () => {
      const { cards, records } = mixed();
      const half = Math.floor(records.length / 2);
      const end = records[records.length - 1]!.ts + DAY;
      const whole = make();
      assert.ok(isSnapshotable(whole), 'its state is in its own fields');
      const ctx = newContext(cards, []);
      const expected = [...feed(whole, ctx, records, -Infinity), ...whole.drain(end, true, ctx)];
      assert.ok(expected.length > 0, `${name} reports something in the mixed world`);

      const first = make();
      const ctx1 = newContext(cards, []);
      const got = feed(first, ctx1, records.slice(0, half), -Infinity);
      const bytes = snapshotDetectors([first], ctx1);
      const second = make();
      const ctx2 = newContext(cards, []);
      restoreDetectors(bytes, [second], ctx2);
      // Compared as values, not bytes: V8 writes an integer-valued time as an integer or as a double
      // by how its field happens to be stored (src/detection/detectors/common.ts, Clock).
      assert.deepEqual(
        restore(snapshotDetectors([second], ctx2)),
        restore(bytes),
        'the restored state is the saved one',
      );
      got.push(
        ...feed(second, ctx2, records.slice(half), records[half - 1]!.ts),
        ...second.drain(end, true, ctx2),
      );
      assert.deepEqual(got, expected);
      assert.deepEqual([...ctx2.flaggedNumbers], [...ctx.flaggedNumbers]);
    });

  it('a parameter holding a function comes from the fresh detector, not the snapshot', () => {
    const ctx = newContext([], []);
    const first = spoofedCallerDetector({ cellRegion: regionOf });
    first.onCall(call(T0, mob(1), mob(2), { cellId: 'CELL-A' }), ctx);
    const otherRegions = (cell: string) => cell;
    const second = spoofedCallerDetector({ cellRegion: otherRegions });
    restoreDetectors(snapshotDetectors([first], ctx), [second], ctx);
    assert.equal(second.p.cellRegion, otherRegions);
    assert.equal(second.size(), 1, 'the state came back');
  });

  it('parameters come from the fresh detector: new settings and parameters added by an upgrade apply', () => {
    const ctx = newContext([], []);
    const first = simboxDetector({ minOutbound: 20 });
    first.onCall(call(T0, mob(1), mob(2), { cellId: 'CELL-A' }), ctx);
    const bytes = snapshotDetectors([first], ctx);
    const second = simboxDetector({ minOutbound: 40 });
    restoreDetectors(bytes, [second], ctx);
    assert.equal(second.p.minOutbound, 40);
    assert.equal(second.size(), first.size(), 'the state came back');
    // A checkpoint written before parameters were left out, holding an older parameter set.
    const old = restore(bytes) as { detectors: { fields: Record<string, unknown> }[] };
    old.detectors[0]!.fields.p = { minOutbound: 20 };
    const third = simboxDetector({ minOutbound: 40 });
    restoreDetectors(snapshot(old), [third], ctx);
    assert.equal(third.p.minOutbound, 40);
    assert.equal(third.p.maxImeiCells, DEFAULT_SIMBOX_PARAMS.maxImeiCells, 'no parameter lost');
  });
});
