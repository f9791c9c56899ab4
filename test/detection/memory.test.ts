import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runDetection } from '../../src/detection/run.ts';
import { writeChurnWorld } from '../../src/detection/simulate/churn.ts';
import { heldState, type DetectionContext, type Detector } from '../../src/detection/detector.ts';
import type { CallRecord, TransactionRecord } from '../../src/detection/records.ts';
import { simboxDetector } from '../../src/detection/detectors/simbox.ts';
import { fraudCallerDetector } from '../../src/detection/detectors/fraud-caller.ts';
import { iotMisuseDetector } from '../../src/detection/detectors/iot-misuse.ts';
import { spoofedCallerDetector } from '../../src/detection/detectors/spoofed-caller.ts';
import { cardLimitDetector } from '../../src/detection/detectors/card-limit.ts';
import { muleAccountDetector } from '../../src/detection/detectors/mule-account.ts';
import { potentialVictimDetector } from '../../src/detection/detectors/potential-victim.ts';

/**
 * The issue's "memory proportional to active subjects, not to history", over a world that churns
 * (src/detection/simulate/churn.ts: new subscribers, accounts and fraud every day, none seen
 * again). What the detectors hold must follow one day's subjects, not all the days': it grows
 * sixteenfold here when a sweep or a flag's expiry is missing.
 */
const DAY = 86_400_000;
const DAYS = 16;
const T0 = Date.parse('2026-06-01T00:00:00+08:00');
/** Subscribers and accounts new each day. */
const COHORT = 150;

interface Sample {
  held: Record<string, number>;
  flaggedNumbers: number;
  flaggedAccounts: number;
}

/** Sees every record after the detectors; samples what they hold when a new day starts. */
function probe(detectors: readonly Detector[], samples: Sample[]): Detector {
  let day = -1;
  const look = (ts: number, ctx: DetectionContext) => {
    const d = Math.floor((ts - T0) / DAY);
    if (d === day) return;
    day = d;
    const held: Record<string, number> = {};
    for (const x of detectors) held[x.name] = heldState(x);
    samples.push({
      held,
      flaggedNumbers: ctx.flaggedNumbers.size,
      flaggedAccounts: ctx.flaggedAccounts.size,
    });
  };
  return {
    name: 'potential_victim',
    onCall: (r: CallRecord, ctx: DetectionContext) => look(r.ts, ctx),
    onTransaction: (t: TransactionRecord, ctx: DetectionContext) => look(t.ts, ctx),
    drain: () => [],
  };
}

describe('detector memory over a long run with new subjects every day', () => {
  let dir = '';
  const samples: Sample[] = [];
  const byDetector: Record<string, number> = {};
  let names: string[] = [];

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'interdict-memory-'));
    const w = writeChurnWorld(dir, { days: DAYS, cohort: COHORT, start: T0 });
    const files = { cards: w.cards, accounts: w.accounts, calls: w.calls, transactions: w.transactions };
    // Flags live three days here, so that sixteen days show whether they expire.
    const flagTtlMs = 3 * DAY;
    const detectors: Detector[] = [
      simboxDetector({ flagTtlMs }),
      fraudCallerDetector({ flagTtlMs }),
      iotMisuseDetector({ flagTtlMs }),
      spoofedCallerDetector({ flagTtlMs }),
      cardLimitDetector(),
      muleAccountDetector({ flagTtlMs }),
      // A person's payees are remembered 90 days by default (a new payee is the signal): three here.
      potentialVictimDetector({ payeeMemoryMs: 3 * DAY }),
    ];
    names = detectors.map((d) => d.name);
    const r = await runDetection(files, [...detectors, probe(detectors, samples)], { emit: () => undefined });
    Object.assign(byDetector, r.byDetector);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('the world is what it says: a sample a day, fraud flagged every day', () => {
    assert.equal(samples.length, DAYS);
    assert.equal(byDetector.spoofed_caller, 3 * DAYS);
    assert.equal(byDetector.iot_misuse, DAYS);
    assert.equal(byDetector.mule_account, DAYS);
  });

  it('every detector holds about one day of subjects, not every day seen', () => {
    // Day 5 on, every window (the longest, mule_account's, is 72 h) has filled.
    const settled = samples.slice(5, 8);
    const last = samples[samples.length - 1]!;
    for (const name of names) {
      const base = Math.max(...settled.map((s) => s.held[name]!));
      const series = samples.map((s) => s.held[name]).join(' ');
      assert.ok(last.held[name]! <= Math.max(10, 1.25 * base), `${name} grew with history: ${series}`);
    }
    // The detectors that keep windows did hold the day's subjects: the check is not vacuous.
    for (const name of ['simbox', 'fraud_caller', 'mule_account', 'potential_victim'])
      assert.ok(last.held[name]! >= COHORT / 2, `${name} held ${last.held[name]}`);
  });

  it('flags on numbers and accounts expire: the maps follow recent fraud, not all of it', () => {
    const last = samples[samples.length - 1]!;
    const series = (k: 'flaggedNumbers' | 'flaggedAccounts') => samples.map((s) => s[k]).join(' ');
    // Four numbers and one account are flagged a day; with three-day flags at most about four days'.
    assert.ok(
      last.flaggedNumbers > 0 && last.flaggedNumbers <= 4 * 5,
      `numbers: ${series('flaggedNumbers')}`,
    );
    assert.ok(
      last.flaggedAccounts > 0 && last.flaggedAccounts <= 5,
      `accounts: ${series('flaggedAccounts')}`,
    );
  });
});
