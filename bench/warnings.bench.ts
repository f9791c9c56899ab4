/**
 * Warning before the payment (docs/warnings.md, "Warning before the payment"): on simulated worlds
 * (the worlds bench/funds.bench.ts traces money on), the share of victims the contact watch
 * (src/warnings/contact-watch.ts) warns before their first transfer, how many minutes ahead, and
 * how many people it warns who were not victims.
 *
 * Per seed: the world is generated; the call detectors (simbox, fraud_caller, iot_misuse,
 * spoofed_caller, defaults) see the call records in stream-time order and are drained every minute
 * of stream time, as `interdict detect` does; a number is flagged at the stream time its detection
 * is handed out. The watch sees the same records and flags. Truth: the victims are the payers of
 * the world's victim payments that the data shows (truth.json `funds` without `offData`), each
 * person by the holder of the paying account, with the time of their first such payment.
 * Variants of the watch (other thresholds, lookbacks, SMS) run beside the default on the same
 * stream, for the sweep the defaults were chosen by.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BenchResult } from './harness.ts';
import { simulate } from '../src/detection/simulate/index.ts';
import { allDetectors } from '../src/detection/detectors/index.ts';
import { addAccount, addCard, newContext } from '../src/detection/detector.ts';
import { Interner } from '../src/detection/intern.ts';
import { ACCOUNTS, CALLS, CARDS, TRANSACTIONS, readRecordBatches } from '../src/detection/parse.ts';
import type { Detection, Truth } from '../src/detection/records.ts';
import {
  ContactWatch,
  flagsOf,
  DEFAULT_CONTACT_WATCH_PARAMS,
  type ContactTrigger,
  type ContactWatchParams,
} from '../src/warnings/contact-watch.ts';

/** The worlds bench/funds.bench.ts scores fund tracing on. */
const SEEDS = [1, 2, 3];
/** 30 victims is a small sample: the sweep, and a pooled default, run on seeds 1–10. */
const SWEEP_SEEDS = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
const WORLD = { people: 5000, days: 3 };
/** As `interdict detect` (src/detection/run.ts). */
const DRAIN_EVERY_MS = 60_000;
const CALL_DETECTORS = new Set(['simbox', 'fraud_caller', 'iot_misuse', 'spoofed_caller']);
const HOUR = 3_600_000;

/** The default watch first; the others are the sweep behind its thresholds. */
const VARIANTS: {
  label: string;
  params: Partial<ContactWatchParams>;
  /** Flags reach this watch so much later (ms): slower detectors, for the retroactive path. */
  flagDelayMs?: number;
}[] = [
  { label: 'default', params: {} },
  { label: 'long call ≥ 60 s', params: { longCallS: 60 } },
  { label: 'long call ≥ 120 s', params: { longCallS: 120 } },
  { label: 'long call ≥ 180 s', params: { longCallS: 180 } },
  { label: 'long call ≥ 240 s', params: { longCallS: 240 } },
  { label: 'long call ≥ 600 s', params: { longCallS: 600 } },
  { label: 'lookback 1 h', params: { lookbackMs: HOUR } },
  { label: 'lookback 3 h', params: { lookbackMs: 3 * HOUR } },
  { label: 'lookback 24 h', params: { lookbackMs: 24 * HOUR } },
  { label: 'no lookback (at call end only)', params: { lookbackMs: 0 } },
  { label: '2 long calls per caller', params: { perCaller: 2 } },
  { label: 'also SMS from flagged numbers', params: { smsFromFlagged: true } },
  { label: 'flags 1 h late', params: {}, flagDelayMs: HOUR },
  { label: 'flags 1 h late, no lookback', params: { lookbackMs: 0 }, flagDelayMs: HOUR },
  { label: 'flags 3 h late', params: {}, flagDelayMs: 3 * HOUR },
  { label: 'flags 3 h late, no lookback', params: { lookbackMs: 0 }, flagDelayMs: 3 * HOUR },
];

interface Victim {
  holder: string;
  firstPaidAt: number;
  /** The number whose long call preceded the payments (truth.json's `potential_victim` note). */
  scammer: string | null;
}

type Outcome = 'at_call_end' | 'retroactive' | 'too_late' | 'never';

interface VariantScore {
  victims: number;
  outcome: Record<Outcome, number>;
  /** Minutes between the warning and the first payment, for victims warned before it. */
  aheadMinutes: number[];
  /**
   * Victims warned before paying by a call from the number that scammed them. The others were
   * warned, by chance, after a long enough call from another flagged number.
   */
  byOwnScammer: number;
  /** Minutes between the first payment and the warning, for victims warned after it. */
  lateMinutes: number[];
  warnedPeople: number;
  falseAlarms: number;
  /** False alarms whose caller is a fraud number by the truth (a long call with a scammer, no payment). */
  falseFromFraudCallers: number;
}

interface SeedRun {
  seed: number;
  scores: VariantScore[];
  flaggedNumbers: number;
  flaggedFraud: number;
  callRecords: number;
  peakCallers: number;
  peakLongCalls: number;
  seconds: number;
}

const files = (dir: string) => ({
  cards: path.join(dir, 'cards.csv'),
  accounts: path.join(dir, 'accounts.csv'),
  calls: path.join(dir, 'calls.csv'),
  transactions: path.join(dir, 'transactions.csv'),
});

export async function run(): Promise<BenchResult[]> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'interdict-bench-warnings-'));
  const runs: SeedRun[] = [];
  try {
    for (const seed of SWEEP_SEEDS) {
      const dir = path.join(root, `w${seed}`);
      const truth = await simulate({ ...WORLD, seed, outDir: dir });
      runs.push(await runSeed(seed, dir, truth));
      fs.rmSync(dir, { recursive: true, force: true });
    }
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
  return report(runs);
}

async function runSeed(seed: number, dir: string, truth: Truth): Promise<SeedRun> {
  const started = performance.now();
  const f = files(dir);
  const interner = new Interner();
  const ctx = newContext([], []);
  for await (const batch of readRecordBatches(f.cards, CARDS, { interner }))
    for (const c of batch) addCard(ctx, c);
  for await (const batch of readRecordBatches(f.accounts, ACCOUNTS, { interner }))
    for (const a of batch) addAccount(ctx, a);

  // Truth: each victim (holder of the paying account) and their first payment the data shows.
  const victimTxns = new Set((truth.funds ?? []).filter((x) => !x.offData).map((x) => x.victimTxnId));
  const victims = new Map<string, Victim>();
  for await (const batch of readRecordBatches(f.transactions, TRANSACTIONS))
    for (const t of batch) {
      if (!victimTxns.has(t.txnId)) continue;
      const holder = ctx.accountsByNumber.get(t.payer)?.holderId;
      if (!holder) throw new Error(`seed ${seed}: victim account ${t.payer} is in no account file`);
      const v = victims.get(holder);
      if (!v || t.ts < v.firstPaidAt) victims.set(holder, { holder, firstPaidAt: t.ts, scammer: null });
    }
  for (const p of truth.planted.potential_victim) {
    const v = victims.get(p.subject);
    const m = /^called by (\+\d+)$/.exec(p.note ?? '');
    if (v && m) v.scammer = m[1]!;
  }
  // The fraud numbers by the truth: planted callers, and the SIMs seen in planted gateways.
  const fraudNumbers = new Set<string>();
  for (const d of ['fraud_caller', 'iot_misuse', 'spoofed_caller'] as const)
    for (const p of truth.planted[d]) if (p.subjectKind === 'msisdn') fraudNumbers.add(p.subject);
  const gatewayImeis = new Set(truth.planted.simbox.map((p) => p.subject));

  const detectors = allDetectors().filter((d) => CALL_DETECTORS.has(d.name) && d.onCall);
  const watches = VARIANTS.map((v) => new ContactWatch(v.params));
  /** Per variant: callee → its first trigger. */
  const firstTrigger = VARIANTS.map(() => new Map<string, ContactTrigger>());
  const take = (k: number, t: ContactTrigger | null) => {
    if (t && !firstTrigger[k]!.has(t.callee)) firstTrigger[k]!.set(t.callee, t);
  };
  const flagged = new Set<string>();
  const flag = (d: Detection, now: number) => {
    const f = flagsOf(d);
    if (!f) return;
    const origin = f.scope.origin as 'intl' | undefined;
    for (const n of f.numbers) {
      flagged.add(n);
      for (let k = 0; k < watches.length; k++) {
        const delay = VARIANTS[k]!.flagDelayMs ?? 0;
        if (delay > 0) late[k]!.push({ at: now + delay, n, origin });
        else for (const t of watches[k]!.flag(n, now, f.scope)) take(k, t);
      }
    }
  };
  /** Per variant: flags waiting for their (delayed) time, in time order. */
  const late = VARIANTS.map(() => [] as { at: number; n: string; origin: 'intl' | undefined }[]);
  const deliver = (upTo: number) => {
    for (let k = 0; k < watches.length; k++) {
      const q = late[k]!;
      let i = 0;
      for (; i < q.length && q[i]!.at <= upTo; i++) {
        const { at, n, origin } = q[i]!;
        for (const t of watches[k]!.flag(n, at, origin ? { origin } : {})) take(k, t);
      }
      if (i > 0) q.splice(0, i);
    }
  };

  let lastDrain = -Infinity;
  let now = 0;
  let callRecords = 0;
  let peakCallers = 0;
  let peakLongCalls = 0;
  for await (const batch of readRecordBatches(f.calls, CALLS, { interner })) {
    for (const r of batch) {
      now = r.ts;
      callRecords++;
      if (r.imei !== null && gatewayImeis.has(r.imei)) fraudNumbers.add(r.caller);
      for (const d of detectors) d.onCall!(r, ctx);
      deliver(now);
      for (let k = 0; k < watches.length; k++) take(k, watches[k]!.onCall(r));
      if (now - lastDrain >= DRAIN_EVERY_MS) {
        if (lastDrain !== -Infinity)
          for (const d of detectors) for (const x of d.drain(now, false, ctx)) flag(x, now);
        lastDrain = now;
        const size = watches[0]!.size;
        peakCallers = Math.max(peakCallers, size.callers);
        peakLongCalls = Math.max(peakLongCalls, size.longCalls);
      }
    }
  }
  for (const d of detectors) for (const x of d.drain(now, true, ctx)) flag(x, now);
  deliver(Infinity);

  const holderOf = (msisdn: string) => ctx.cardsByMsisdn.get(msisdn)?.holderId ?? `number:${msisdn}`;
  const scores = firstTrigger.map((triggers): VariantScore => {
    // Per person: their earliest trigger.
    const byPerson = new Map<string, ContactTrigger>();
    for (const t of triggers.values()) {
      const p = holderOf(t.callee);
      const had = byPerson.get(p);
      if (!had || t.at < had.at) byPerson.set(p, t);
    }
    const outcome: Record<Outcome, number> = { at_call_end: 0, retroactive: 0, too_late: 0, never: 0 };
    const aheadMinutes: number[] = [];
    const lateMinutes: number[] = [];
    let byOwnScammer = 0;
    for (const v of victims.values()) {
      const t = byPerson.get(v.holder);
      if (!t) outcome.never++;
      else if (t.at >= v.firstPaidAt) {
        outcome.too_late++;
        lateMinutes.push((t.at - v.firstPaidAt) / 60_000);
      } else {
        outcome[t.reason === 'flagged_after_long_call' ? 'retroactive' : 'at_call_end']++;
        if (t.caller === v.scammer) byOwnScammer++;
        aheadMinutes.push((v.firstPaidAt - t.at) / 60_000);
      }
    }
    let falseAlarms = 0;
    let falseFromFraudCallers = 0;
    for (const [p, t] of byPerson)
      if (!victims.has(p)) {
        falseAlarms++;
        if (fraudNumbers.has(t.caller)) falseFromFraudCallers++;
      }
    return {
      victims: victims.size,
      outcome,
      aheadMinutes,
      byOwnScammer,
      lateMinutes,
      warnedPeople: byPerson.size,
      falseAlarms,
      falseFromFraudCallers,
    };
  });
  let flaggedFraud = 0;
  for (const n of flagged) if (fraudNumbers.has(n)) flaggedFraud++;
  return {
    seed,
    scores,
    flaggedNumbers: flagged.size,
    flaggedFraud,
    callRecords,
    peakCallers,
    peakLongCalls,
    seconds: (performance.now() - started) / 1000,
  };
}

function median(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

const warnedBefore = (s: VariantScore) => s.outcome.at_call_end + s.outcome.retroactive;
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const min1 = (x: number) => (Number.isNaN(x) ? '–' : `${x.toFixed(1)} min`);

function report(runs: SeedRun[]): BenchResult[] {
  const out: BenchResult[] = [];
  const d = DEFAULT_CONTACT_WATCH_PARAMS;
  const rule = `long call ≥ ${d.longCallS} s from a flagged number, lookback ${d.lookbackMs / HOUR} h, ${d.perCaller} long calls per caller, one trigger per person per ${d.episodeMs / HOUR} h`;
  for (const r of runs.filter((x) => SEEDS.includes(x.seed))) {
    const s = r.scores[0]!;
    const before = warnedBefore(s);
    const o = s.outcome;
    out.push(
      {
        name: `seed ${r.seed}: victims warned before their first transfer`,
        value: s.victims ? before / s.victims : 0,
        unit: '',
        note: `${before} of ${s.victims} victims (${s.byOwnScammer} by the call of the number that scammed them): ${o.at_call_end} at the end of the call, ${o.retroactive} when the caller was flagged later; ${o.too_late} warned only after paying${o.too_late ? ` (median ${min1(median(s.lateMinutes))} after)` : ''}, ${o.never} never warned; ${rule}`,
      },
      {
        name: `seed ${r.seed}: median warning ahead of the first transfer`,
        value: Number.isNaN(median(s.aheadMinutes)) ? 0 : Math.round(median(s.aheadMinutes) * 10) / 10,
        unit: 'min',
        note: `over the ${s.aheadMinutes.length} victims warned before paying; shortest ${min1(Math.min(...s.aheadMinutes))}, longest ${min1(Math.max(...s.aheadMinutes))}`,
      },
      {
        name: `seed ${r.seed}: people warned who were not victims (false alarms)`,
        value: s.falseAlarms,
        unit: 'people',
        note: `${pct(s.warnedPeople ? s.falseAlarms / s.warnedPeople : 0)} of the ${s.warnedPeople} people warned; ${s.falseFromFraudCallers} of them held a long call with a fraud number by the truth (and did not pay), ${s.falseAlarms - s.falseFromFraudCallers} with a number flagged wrongly; ${r.flaggedNumbers} numbers flagged, ${r.flaggedFraud} fraud by the truth; ${WORLD.people.toLocaleString('en-US')} people, ${WORLD.days} days`,
      },
    );
  }
  // The sweep: every variant pooled over the seeds.
  const pooled = VARIANTS.map((v, k) => {
    const ss = runs.map((r) => r.scores[k]!);
    const outcome = { at_call_end: 0, retroactive: 0, too_late: 0, never: 0 };
    for (const s of ss) for (const o of Object.keys(outcome) as Outcome[]) outcome[o] += s.outcome[o];
    const victims = ss.reduce((a, s) => a + s.victims, 0);
    const before = ss.reduce((a, s) => a + warnedBefore(s), 0);
    const own = ss.reduce((a, s) => a + s.byOwnScammer, 0);
    const falseAlarms = ss.reduce((a, s) => a + s.falseAlarms, 0);
    const warned = ss.reduce((a, s) => a + s.warnedPeople, 0);
    const ahead = median(ss.flatMap((s) => s.aheadMinutes));
    return { label: v.label, victims, before, own, falseAlarms, warned, ahead, outcome };
  });
  const seeds = `seeds ${SWEEP_SEEDS[0]}–${SWEEP_SEEDS[SWEEP_SEEDS.length - 1]} pooled`;
  for (const p of pooled) {
    const o = p.outcome;
    out.push({
      name: `${seeds}, ${p.label === 'default' ? `default (${d.longCallS} s, ${d.lookbackMs / HOUR} h)` : p.label}: victims warned before paying`,
      value: p.victims ? p.before / p.victims : 0,
      unit: '',
      note: `${p.before} of ${p.victims}, ${p.own} by their own scammer's call (${o.at_call_end} at call end, ${o.retroactive} retroactively; ${o.too_late} too late, ${o.never} never); median ${min1(p.ahead)} ahead; ${p.falseAlarms} false alarms (${pct(p.warned ? p.falseAlarms / p.warned : 0)} of ${p.warned} warned)`,
    });
  }
  const secs = runs.reduce((a, r) => a + r.seconds, 0);
  out.push({
    name: 'contact watch memory at its peak (default), largest over seeds',
    value: Math.max(...runs.map((r) => r.peakLongCalls)),
    unit: 'long calls held',
    note: `for ${Math.max(...runs.map((r) => r.peakCallers))} callers not flagged; ${runs.reduce((a, r) => a + r.callRecords, 0).toLocaleString('en-US')} call records over the seeds, detectors and ${VARIANTS.length} watches in ${secs.toFixed(1)} s`,
  });
  return out;
}
