import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { simulate } from '../../src/detection/simulate/index.ts';
import { internerCapacity, runDetection } from '../../src/detection/run.ts';
import { allDetectors } from '../../src/detection/detectors/index.ts';
import { simboxDetector, type SimboxDetector } from '../../src/detection/detectors/simbox.ts';
import { fraudCallerDetector, type FraudCallerDetector } from '../../src/detection/detectors/fraud-caller.ts';
import { PartnerWindows } from '../../src/detection/detectors/common.ts';
import { prefetchCallState } from '../../src/detection/detectors/prefetch.ts';
import { addCard, newContext } from '../../src/detection/detector.ts';
import { Interner } from '../../src/detection/intern.ts';
import { ACCOUNTS, CALLS, CARDS, readRecordBatches } from '../../src/detection/parse.ts';
import { scoreDetections } from '../../src/detection/score.ts';
import type { CallRecord, Detection, Truth } from '../../src/detection/records.ts';
import { worldFiles } from '../helpers/detection.ts';

let dir: string;
let truth: Truth;
const files = () => worldFiles(dir);

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'interdict-detect-'));
  truth = await simulate({ people: 2000, days: 2, seed: 11, outDir: dir });
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

async function detect(): Promise<Detection[]> {
  const out: Detection[] = [];
  await runDetection(files(), allDetectors(), { emit: (d) => out.push(d) });
  return out;
}

/** Call detectors, and a context holding the world's cards read with `interner`. */
async function callDetectorsWithCards(interner: Interner) {
  const ds = allDetectors().filter((d) => d.onCall);
  const ctx = newContext([], []);
  for await (const b of readRecordBatches(files().cards, CARDS, { interner }))
    for (const c of b) addCard(ctx, c);
  return { ds, ctx };
}

describe('batch detection over a simulated world', () => {
  test('every record is read, and the telecom detectors find what was planted', async () => {
    const ds = await detect();
    const scores = scoreDetections(truth, ds);
    const by = Object.fromEntries(scores.map((s) => [s.detector, s]));
    // Floors a little under the targets, on one small world (the benchmark runs several seeds).
    for (const d of ['simbox', 'iot_misuse', 'spoofed_caller', 'card_limit', 'fraud_caller'] as const) {
      assert.ok(by[d]!.planted > 0, `${d} planted`);
      assert.ok(by[d]!.precision >= 0.9 && by[d]!.recall >= 0.9, `${d}: ${JSON.stringify(by[d])}`);
    }
    for (const r of fs.readdirSync(dir).filter((f) => f.endsWith('.rejects.ndjson')))
      assert.fail(`rows rejected from a simulated file: ${r}`);
  });

  test('the same input gives the same detections (a rerun reports nothing new)', async () => {
    const key = (d: Detection) =>
      `${d.detector}|${d.subjectKind}|${d.subject}|${d.window.from}|${d.window.to}`;
    const a = (await detect()).map(key).sort();
    const b = (await detect()).map(key).sort();
    assert.deepEqual(a, b);
    assert.equal(new Set(a).size, a.length, 'no subject twice for one episode');
  });
  test('reading the state of the records ahead (prefetch) changes no state and no detection', async () => {
    // The file runner reads each record's state two records ahead; here the same records go
    // through two sets of detectors, with and without those reads, and their states must match.
    const run = async (ahead: boolean) => {
      const interner = new Interner();
      const { ds, ctx } = await callDetectorsWithCards(interner);
      let read = 0;
      let records = 0;
      const out: Detection[] = [];
      for await (const b of readRecordBatches(files().calls, CALLS, { interner })) {
        for (let i = 0; i < b.length; i++) {
          if (ahead && i + 2 < b.length) read += prefetchCallState(b[i + 2]!);
          for (const d of ds) d.onCall!(b[i]!, ctx);
        }
        records += b.length;
        for (const d of ds) out.push(...d.drain(b[b.length - 1]!.ts, false, ctx));
      }
      return { read, records, ds, ctx, out };
    };
    const plain = await run(false);
    const ahead = await run(true);
    assert.ok(plain.records > 20_000, `records (${plain.records})`);
    assert.ok(ahead.read > 0, 'the prefetch read state');
    // Compared as objects: snapshots of equal state may differ in bytes (an array of whole numbers
    // is written as integers or as doubles, after how V8 happened to store it).
    assert.deepStrictEqual(ahead.ds, plain.ds, 'the same state with and without the reads ahead');
    assert.deepStrictEqual(ahead.ctx.flaggedNumbers, plain.ctx.flaggedNumbers);
    assert.ok(plain.out.length > 0);
    assert.deepEqual(ahead.out, plain.out);
  });

  test('letting go of quiet numbers’ shared entries (daily in the runner) changes no state and no detection', async () => {
    // The runner lets go of the entries of numbers quiet for a day of stream time, so that they do
    // not hold dropped states for ever; here after every batch, the most often possible.
    const run = async (drop: boolean) => {
      const interner = new Interner();
      const { ds, ctx } = await callDetectorsWithCards(interner);
      const out: Detection[] = [];
      for await (const b of readRecordBatches(files().calls, CALLS, { interner })) {
        for (const r of b) for (const d of ds) d.onCall!(r, ctx);
        for (const d of ds) out.push(...d.drain(b[b.length - 1]!.ts, false, ctx));
        if (drop) interner.dropQuietEntries();
      }
      return { ds, ctx, out };
    };
    const kept = await run(false);
    const dropped = await run(true);
    assert.ok(dropped.out.length > 0);
    assert.deepEqual(dropped.out, kept.out);
    assert.deepStrictEqual(dropped.ds, kept.ds, 'the same state');
    // A number heard since the last turn keeps its entry; one quiet for a whole turn gets a new
    // one (the value is the same string), and the old entry stays whole for whoever holds it.
    const interner = new Interner();
    const buf = Buffer.from('+8613800000001');
    const s = interner.intern(buf, 0, buf.length);
    const e1 = interner.entry(interner.lastId);
    interner.dropQuietEntries();
    interner.intern(buf, 0, buf.length);
    assert.equal(interner.entry(interner.lastId), e1, 'heard within the turn: kept');
    interner.dropQuietEntries();
    interner.dropQuietEntries();
    assert.equal(interner.intern(buf, 0, buf.length), s);
    const e2 = interner.entry(interner.lastId);
    assert.notEqual(e2, e1, 'quiet for a turn: a new entry');
    assert.equal(e2.value, s);
    assert.equal(e1.value, s, 'an entry handed out stays whole');
  });

  test('the runner lets go, once a day of stream time, of the entries of numbers quiet for that day', async () => {
    const calls = path.join(dir, 'quiet-calls.csv');
    const at = (day: number, s: number) =>
      new Date(Date.UTC(2026, 10, day) - 8 * 3600_000 + s * 1000).toISOString().replace('.000Z', 'Z');
    const row = (ts: string, a: string, b: string) => `${ts},voice,${a},${b},60,,,,offnet`;
    const [A, B, C, D] = ['+8613800000001', '+8613800000002', '+8613800000003', '+8613800000004'];
    const rows: [number, string][] = [];
    // A and B talk on day 1 only; C and D every 30 s for four days (records are read a batch of
    // 1,024 ahead of the detectors: entries go out with the batch).
    for (let h = 1; h < 23; h++) rows.push([h * 3600, row(at(1, h * 3600), A, B)]);
    for (let t = 0; t < 4 * 86_400; t += 30) rows.push([t + 1, row(at(1, t + 1), C, D)]);
    rows.sort((x, y) => x[0] - y[0]);
    const header = 'ts,kind,caller,callee,duration_s,imsi,imei,cell_id,origin';
    fs.writeFileSync(calls, [header, ...rows.map((x) => x[1])].join('\n') + '\n');
    const interner = new Interner();
    const r = await runDetection({ calls }, allDetectors(), { emit: () => undefined, interner });
    assert.equal(r.calls, rows.length);
    const entry = (n: string) => {
      interner.intern(Buffer.from(n), 0, n.length);
      return interner.hasEntry(interner.lastId);
    };
    assert.deepEqual(
      [A, B, C, D].map(entry),
      [false, false, true, true],
      'the day-1 numbers’ entries are gone; the others’ are kept',
    );
  });

  test('calls and transactions a little out of order: the same detections as in order', async () => {
    const f = files();
    /** Moves every 40th row two rows on when its time is strictly before both (minutes at most). */
    const disorder = (file: string): { file: string; moved: number } => {
      const [header, ...rows] = fs.readFileSync(file, 'utf8').trimEnd().split('\n');
      const at = (r: string) => Date.parse(r.slice(0, r.indexOf(',')));
      let moved = 0;
      for (let i = 5; i + 2 < rows.length; i += 40) {
        const t = at(rows[i]!);
        if (!(t < at(rows[i + 1]!) && t < at(rows[i + 2]!) && at(rows[i + 2]!) - t < 300_000)) continue;
        rows.splice(i + 2, 0, rows.splice(i, 1)[0]!);
        moved++;
      }
      const out = file.replace(/\.csv$/, '.disordered.csv');
      fs.writeFileSync(out, [header, ...rows].join('\n') + '\n');
      return { file: out, moved };
    };
    const calls = disorder(f.calls);
    const txns = disorder(f.transactions);
    assert.ok(calls.moved > 100 && txns.moved > 10, `${calls.moved} calls, ${txns.moved} transactions moved`);
    const sorted = (ds: Detection[]) => ds.map((d) => JSON.stringify(d)).sort();
    const got: Detection[] = [];
    const r = await runDetection({ ...f, calls: calls.file, transactions: txns.file }, allDetectors(), {
      emit: (d) => got.push(d),
    });
    assert.deepEqual(r.rejected, {});
    assert.deepEqual(sorted(got), sorted(await detect()));
    // Allowed no disorder: each row moved on is now behind the two it jumped, and rejected.
    const strict = await runDetection({ ...f, calls: calls.file, transactions: txns.file }, [], {
      emit: () => undefined,
      latenessMs: 0,
    });
    assert.deepEqual(strict.rejected, { [calls.file]: calls.moved, [txns.file]: txns.moved });
    for (const x of [calls, txns]) fs.rmSync(x.file);
    for (const x of strict.rejectFiles) fs.rmSync(x);
  });

  test('several calls and transactions files (switches, banks): merged in time order, the same detections as one', async () => {
    const f = files();
    /** The rows of `file` in two files by a column's value (a switch per caller, a bank per payer). */
    const split = (file: string, column: number): [string, string] => {
      const [header, ...rows] = fs.readFileSync(file, 'utf8').trimEnd().split('\n');
      const parts: [string[], string[]] = [[], []];
      for (const r of rows) parts[Number(r.split(',')[column]!.at(-1)) % 2]!.push(r);
      return parts.map((p, i) => {
        const out = file.replace(/\.csv$/, `.${i}.csv`);
        fs.writeFileSync(out, [header, ...p].join('\n') + '\n');
        return out;
      }) as [string, string];
    };
    const calls = split(f.calls, 2);
    const txns = split(f.transactions, 2);
    const sorted = (ds: Detection[]) => ds.map((d) => JSON.stringify(d)).sort();
    const rows = (file: string) => fs.readFileSync(file, 'utf8').trimEnd().split('\n').length - 1;
    const whole = await detect();
    /** The calls in the order the detectors get them. */
    const order = (seen: string[]) => ({
      onCall: (c: { ts: number; caller: string; callee: string }) =>
        void seen.push(`${c.ts} ${c.caller} ${c.callee}`),
      onDetections: () => undefined,
    });
    for (const [c, t] of [
      [calls, txns],
      [
        [calls[1], calls[0]],
        [txns[1], txns[0]],
      ],
    ]) {
      const got: Detection[] = [];
      const seen: string[] = [];
      const r = await runDetection({ ...f, calls: c, transactions: t }, allDetectors(), {
        emit: (d) => got.push(d),
        observer: order(seen),
      });
      assert.deepEqual(r.rejected, {});
      assert.deepEqual([r.calls, r.transactions], [rows(f.calls), rows(f.transactions)]);
      assert.ok(whole.length > 0);
      assert.deepEqual(sorted(got), sorted(whole));
      // In time order across the files: never a step back.
      const times = seen.map((x) => Number(x.split(' ')[0]));
      assert.ok(times.every((x, i) => i === 0 || x >= times[i - 1]!));
      assert.equal(seen.length, r.calls);
    }
    for (const x of [...calls, ...txns]) fs.rmSync(x);
  });

  test('the interner is sized once from the reference files: loading them never grows it', async () => {
    const f = files();
    const capacity = internerCapacity(f);
    const interner = new Interner(undefined, capacity);
    for await (const _ of readRecordBatches(f.cards, CARDS, { interner }));
    for await (const _ of readRecordBatches(f.accounts, ACCOUNTS, { interner }));
    assert.equal(interner.capacity, capacity, 'not grown while loading');
    assert.ok(
      interner.size * 2 <= capacity && interner.size * 8 > capacity,
      `${interner.size} of ${capacity}`,
    );
    // No reference file, or one that cannot be read: the default; a huge one: at most 2^20 slots.
    assert.equal(internerCapacity({ calls: f.calls }), 1 << 14);
    assert.equal(internerCapacity({ cards: path.join(dir, 'missing.csv') }), 1 << 14);
    const huge = path.join(dir, 'huge-cards.csv');
    fs.writeFileSync(huge, '');
    fs.truncateSync(huge, 2 ** 30);
    assert.equal(internerCapacity({ cards: huge }), 1 << 20);
    fs.rmSync(huge);
  });

  test('simbox and fraud_caller sharing their partner windows detect what each does alone', async () => {
    const shared = allDetectors();
    const [simbox, fraud] = shared as [SimboxDetector, FraudCallerDetector];
    assert.equal(simbox.windows, fraud.windows, 'allDetectors shares one');
    const alone = [simboxDetector(), fraudCallerDetector(), ...allDetectors().slice(2)];
    assert.notEqual((alone[0] as SimboxDetector).windows, (alone[1] as FraudCallerDetector).windows);
    const lines = async (ds: typeof shared) => {
      const out: string[] = [];
      await runDetection(files(), ds, { emit: (d) => out.push(JSON.stringify(d)) });
      return out.sort();
    };
    const a = await lines(shared);
    assert.ok(a.some((l) => l.includes('"fraud_caller"')) && a.some((l) => l.includes('"simbox"')));
    assert.deepEqual(a, await lines(alone));
    // Each record was counted once: the shared windows hold what simbox's own windows hold.
    const counts = (w: PartnerWindows) =>
      [...w.cards].map(([k, x]) => [k, w.clock.abs(x.from), x.outDistinct, x.outRepeat, x.social]);
    const own = (alone[0] as SimboxDetector).windows;
    assert.ok(own.cards.size > 1000, `windows held (${own.cards.size})`);
    assert.deepEqual(counts(simbox.windows), counts(own));
    assert.equal(fraud.windowsSeen, simbox.windowsSeen);
    // A detector with another window keeps its own.
    const w = new PartnerWindows(24 * 3600_000);
    assert.equal(simboxDetector({}, w).windows, w);
    assert.notEqual(fraudCallerDetector({ windowMs: 12 * 3600_000 }, w).windows, w);
  });
});

describe('partner windows', () => {
  const CALL = { kind: 'voice', durationS: 30, imsi: null, imei: null, cellId: null } as const;
  /** What `PartnerWindows` counts, kept the plain way: a Map of partners per card. */
  class Model {
    cards = new Map<
      string,
      {
        from: number;
        lastTs: number;
        partners: Map<string, number>;
        out: number;
        repeat: number;
        social: number;
      }
    >();
    constructor(
      readonly windowMs: number,
      readonly maxPartners: number,
    ) {}
    add(
      m: { partners: Map<string, number>; out: number; repeat: number; social: number },
      p: string,
      dir: number,
    ) {
      const f = m.partners.get(p);
      if (f !== undefined) {
        if ((f & dir) !== 0) {
          if (dir === 1) m.repeat++;
          return false;
        }
        m.partners.set(p, f | dir);
        if (dir === 1) m.out++;
        m.social++;
        return true;
      }
      if (dir === 1) m.out++;
      if (m.partners.size < this.maxPartners) m.partners.set(p, dir);
      return false;
    }
    see(r: { ts: number; caller: string; callee: string; origin: string }) {
      let callerSocial = false;
      if (r.origin !== 'intl') {
        let m = this.cards.get(r.caller);
        if (m === undefined) {
          m = { from: r.ts, lastTs: r.ts, partners: new Map(), out: 0, repeat: 0, social: 0 };
          this.cards.set(r.caller, m);
        }
        if (r.ts - m.from > this.windowMs) {
          Object.assign(m, { from: r.ts, partners: new Map(), out: 0, repeat: 0, social: 0 });
        }
        m.lastTs = r.ts;
        callerSocial = this.add(m, r.callee, 1);
      }
      const c = this.cards.get(r.callee);
      const calleeSocial = c !== undefined && r.ts - c.from <= this.windowMs && this.add(c, r.caller, 2);
      return [callerSocial, calleeSocial];
    }
    sweep(now: number) {
      for (const [k, m] of this.cards) if (now - m.lastTs > this.windowMs) this.cards.delete(k);
    }
  }

  for (const maxPartners of [4096, 24])
    test(`count what a plain map of partners counts, through growth, roll-overs and sweeps (at most ${maxPartners} remembered)`, () => {
      const H = 3600_000;
      const pw = new PartnerWindows(H, maxPartners);
      const model = new Model(H, maxPartners);
      let seed = 7;
      const rand = () => {
        seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
        return seed / 2 ** 32;
      };
      const num = (i: number) => `+86138${String(i).padStart(8, '0')}`;
      const counts = (w: { from: number; outDistinct: number; outRepeat: number; social: number } | null) =>
        w === null ? null : [pw.clock.abs(w.from), w.outDistinct, w.outRepeat, w.social];
      const modelCounts = (k: string, open: boolean) => {
        const m = model.cards.get(k);
        return m === undefined || !open ? null : [m.from, m.out, m.repeat, m.social];
      };
      let n = 0;
      let nextSweep = 0;
      let slabAfterDay1 = 0;
      let grown = 0;
      // Three days; a few heavy callers reach far past 16 slots; two thirds of the cards
      // are quiet on any given day, so windows are dropped and their blocks reused.
      for (let ts = 0; ts < 3 * 24 * H; ts += 5_000) {
        const day = Math.floor(ts / (24 * H));
        const heavy = rand() < 0.3;
        const caller = num(heavy ? Math.floor(rand() * 3) : 3 + day * 200 + Math.floor(rand() * 300));
        const callee = num(3 + Math.floor(rand() * 900));
        const r = { ...CALL, ts, caller, callee, origin: rand() < 0.05 ? 'intl' : 'onnet' } as CallRecord;
        n = pw.see(r, n);
        const [callerSocial, calleeSocial] = model.see(r);
        assert.equal(pw.callerSocial, callerSocial, `record ${n}: caller two-way`);
        assert.equal(pw.calleeSocial, calleeSocial, `record ${n}: callee two-way`);
        assert.deepEqual(counts(pw.caller), modelCounts(caller, r.origin !== 'intl'), `record ${n}: caller`);
        assert.deepEqual(counts(pw.callee), modelCounts(callee, pw.callee !== null), `record ${n}: callee`);
        for (const w of [pw.caller, pw.callee]) if (w !== null && w.cap > 16) grown++;
        if (ts >= nextSweep) {
          pw.sweep(ts, 15 * 60_000, true);
          model.sweep(ts);
          nextSweep = ts + 15 * 60_000;
        }
        if (ts === 24 * H) slabAfterDay1 = pw.slab.length;
      }
      assert.deepEqual(
        [...pw.cards].map(([k, w]) => [k, ...counts(w)!]).sort(),
        [...model.cards].map(([k, m]) => [k, m.from, m.out, m.repeat, m.social]).sort(),
      );
      assert.ok(grown > 0, 'some windows outgrew their first block');
      assert.ok(pw.cards.size < 2 * 300, `only the active cards are held (${pw.cards.size})`);
      assert.equal(pw.slab.length, slabAfterDay1, 'days 2 and 3 reuse the blocks of dropped windows');
    });
});

describe('history before --report-from', () => {
  // A person pays her landlord the rent each month. On 1 December a listed number calls her for six
  // minutes, and an hour later she pays the rent. Read from 1 December only, the landlord is a new
  // payee and she is reported as a likely victim; with November read as history, he is a payee she
  // has paid before, and nothing is reported. A victim in November (a call, then a first payment to
  // a stranger) is a detection of the history: withheld, and written when the history is reported.
  const SCAM = '+8617000000001';
  const at = (day: string, hm: string) => `2026-${day}T${hm}:00+08:00`;
  let hdir: string;
  const write = (name: string, header: string, rows: string[]) => {
    fs.writeFileSync(path.join(hdir, name), [header, ...rows].join('\n') + '\n');
    return path.join(hdir, name);
  };
  const call = (ts: string, callee: string, s: number) => `${ts},voice,${SCAM},${callee},${s},,,,offnet`;
  const pay = (ts: string, id: string, payer: string, payee: string, yuan: number) =>
    `${ts},${id},${payer},${payee},${yuan}.00,CNY,mobile`;
  // Calls between the two women, so that stream time moves through November.
  const chat = (ts: string) => `${ts},voice,+8613800000001,+8613800000002,60,,,,offnet`;
  let history: { cards: string; accounts: string; calls: string; transactions: string };
  let december: { cards: string; accounts: string; calls: string; transactions: string };
  before(() => {
    hdir = fs.mkdtempSync(path.join(os.tmpdir(), 'interdict-history-'));
    const cards = write('cards.csv', 'msisdn,imsi,holder_id,holder_region,card_type,activated_at,operator', [
      `+8613800000001,460001000000001,110101198001011234,110101,consumer,2019-01-01T00:00:00+08:00,CMCC`,
      `+8613800000002,460001000000002,110101197502022345,110101,consumer,2018-01-01T00:00:00+08:00,CMCC`,
      // A holder of six cards since 2019: over the national limit of five now, whatever the history.
      ...Array.from(
        { length: 6 },
        (_, i) =>
          `+861390000000${i},46000200000000${i},110101197003034567,110101,consumer,2019-0${i + 1}-01T00:00:00+08:00,CMCC`,
      ),
    ]);
    const accounts = write('accounts.csv', 'account,institution,holder_id,account_type,opened_at', [
      `6222000000000001,ICBC,110101198001011234,personal,2015-01-01T00:00:00+08:00`,
      `6222000000000002,ICBC,110101197502022345,personal,2012-01-01T00:00:00+08:00`,
      `6222000000000009,ICBC,110101196001013456,personal,2010-01-01T00:00:00+08:00`,
      `6222000000000077,BOC,450101199901015678,personal,2026-10-20T00:00:00+08:00`,
    ]);
    const txnHeader = 'ts,txn_id,payer_account,payee_account,amount,currency,channel';
    const callHeader = 'ts,kind,caller,callee,duration_s,imsi,imei,cell_id,origin';
    const novCalls = [
      chat(at('11-01', '08:00')),
      call(at('11-10', '09:00'), '+8613800000002', 420),
      chat(at('11-12', '08:00')),
      chat(at('11-20', '08:00')),
    ];
    const novTxns = [
      pay(at('11-01', '10:00'), 'T1', '6222000000000001', '6222000000000009', 3200),
      pay(at('11-10', '10:00'), 'T2', '6222000000000002', '6222000000000077', 48000),
    ];
    const decCalls = [call(at('12-01', '09:00'), '+8613800000001', 400), chat(at('12-02', '08:00'))];
    const decTxns = [pay(at('12-01', '10:00'), 'T3', '6222000000000001', '6222000000000009', 3200)];
    history = {
      cards,
      accounts,
      calls: write('calls.csv', callHeader, [...novCalls, ...decCalls]),
      transactions: write('transactions.csv', txnHeader, [...novTxns, ...decTxns]),
    };
    december = {
      cards,
      accounts,
      calls: write('dec-calls.csv', callHeader, decCalls),
      transactions: write('dec-transactions.csv', txnHeader, decTxns),
    };
  });
  after(() => fs.rmSync(hdir, { recursive: true, force: true }));

  const listed = (kind: string, v: string) => kind === 'phone' && v === SCAM;
  const victims = async (input: typeof history, reportFrom?: number) => {
    const out: Detection[] = [];
    const r = await runDetection(input, allDetectors(), {
      emit: (d) => out.push(d),
      listed,
      ...(reportFrom !== undefined && { reportFrom }),
    });
    return {
      r,
      subjects: out.filter((d) => d.detector === 'potential_victim').map((d) => d.subject),
      overLimit: out.filter((d) => d.detector === 'card_limit').map((d) => d.subject),
    };
  };
  const DEC = Date.parse('2026-12-01T00:00:00+08:00');

  test('December alone: the landlord is a new payee, and the tenant is reported', async () => {
    const { subjects } = await victims(december);
    assert.deepEqual(subjects, ['110101198001011234']);
  });

  test('November as history: the rent is no new payee; November’s victim is withheld, not lost', async () => {
    const { r, subjects, overLimit } = await victims(history, DEC);
    assert.deepEqual(subjects, []);
    assert.equal(r.withheld, 1);
    // Holding six cards is a state, not history: reported, though the last was activated in 2019.
    assert.deepEqual(overLimit, ['110101197003034567']);
    // Reported from the start, the same files give November's victim, and still not the tenant.
    const all = await victims(history);
    assert.deepEqual(all.subjects, ['110101197502022345']);
    assert.equal(all.r.withheld, 0);
  });
});
