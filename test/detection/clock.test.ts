import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { simulate } from '../../src/detection/simulate/index.ts';
import { runDetection } from '../../src/detection/run.ts';
import { allDetectors } from '../../src/detection/detectors/index.ts';
import { Clock, shiftMark } from '../../src/detection/detectors/common.ts';
import type { SimboxDetector } from '../../src/detection/detectors/simbox.ts';
import { FraudCallerCardState, fraudCallerDetector } from '../../src/detection/detectors/fraud-caller.ts';
import type { Detector } from '../../src/detection/detector.ts';
import { clocksOf, movingClocks, worldFiles } from '../helpers/detection.ts';

const DAY = 86_400_000;

describe('the call detectors’ clock', () => {
  test('its origin is a whole day, a day before the first time; times go there and back', () => {
    const c = new Clock();
    const first = Date.parse('2026-11-23T15:04:05.678+08:00');
    const t = c.rel(first);
    assert.equal(c.origin % DAY, 0);
    assert.ok(t > DAY && t <= 2 * DAY, `the first time is a day and a bit after the origin (${t})`);
    assert.equal(c.abs(t), first);
    // Later times do not move it.
    const later = first + 20 * DAY;
    assert.equal(c.rel(later), later - c.origin);
    assert.ok(c.rel(later) < 2 ** 31, 'twenty days later a time is still a small integer');
    assert.equal(c.abs(c.rel(later)), later);
  });

  test('a time read before the first record, or no time, sets nothing', () => {
    const c = new Clock();
    assert.equal(c.of(5 * DAY), 5 * DAY);
    assert.equal(c.rel(-Infinity), -Infinity);
    assert.equal(c.started, false);
    c.rel(5 * DAY + 1);
    assert.equal(c.origin, 4 * DAY);
  });

  test('moves its origin by whole days, to the whole day a day or more before stream time', () => {
    const c = new Clock();
    assert.equal(c.shiftFor(100 * DAY), 0, 'not before the first record');
    c.rel(10 * DAY + 5);
    assert.equal(c.origin, 9 * DAY);
    assert.equal(c.shiftFor(9 * DAY + 11 * DAY), 0, 'not before 12 days past the origin');
    const now = 9 * DAY + 12 * DAY + 3_600_000;
    assert.equal(c.shiftFor(now), 11 * DAY, 'to the whole day a day before now');
    let shifted = 0;
    c.advance(now, (by) => (shifted = by));
    assert.equal(shifted, 11 * DAY, 'the states are shifted by as much');
    assert.equal(c.origin, 20 * DAY);
    assert.equal(c.rel(now), DAY + 3_600_000);
    assert.equal(c.abs(c.rel(now)), now);
    c.step = 1;
    c.rebaseAfterMs = 0;
    assert.equal(c.shiftFor(now), DAY + 3_600_000 - 1, 'tests move it to a millisecond before now');
    c.rebaseAfterMs = Infinity;
    c.advance(now, () => assert.fail('not moved when it is not time'));
    assert.equal(c.origin, 20 * DAY);
  });

  test('fraud_caller: a card waiting out newHolderWaitMs keeps when it began, before the origin too', () => {
    const d = fraudCallerDetector();
    const c = d.clock;
    const t0 = Date.parse('2026-11-01T00:00:00Z');
    c.rel(t0);
    const card = (n: number, heldSince: number | null, reportedAt: number) => {
      const s = new FraudCallerCardState(`+8613800000${n}`, null, c.of(t0 + 13 * DAY));
      if (heldSince !== null) {
        s.held = true;
        s.heldSince = c.of(heldSince);
      }
      s.reportedAt = reportedAt < 0 ? -1 : c.of(reportedAt);
      d.cards.set(s.msisdn, s);
      return s;
    };
    const waiting = card(1, t0 + 2 * DAY + 5, -1);
    const reported = card(2, t0 + DAY, t0 + 2 * DAY);
    const never = card(3, null, -1);
    d.drain(t0 + 13 * DAY, false);
    assert.equal(c.origin, t0 + 12 * DAY, 'moved, to the whole day a day before stream time');
    assert.equal(c.abs(waiting.heldSince), t0 + 2 * DAY + 5, 'the wait began when it did');
    assert.ok(waiting.held && waiting.heldSince < 0, 'before the origin');
    assert.equal(c.abs(waiting.from), t0 + 13 * DAY);
    assert.equal(c.abs(reported.heldSince), t0 + DAY);
    assert.equal(reported.reportedAt, 0, 'a mark: reported, before the origin');
    assert.ok(!never.held);
    assert.equal(never.reportedAt, -1, 'not reported stays so');
  });

  test('a mark (a time only compared with 0) stays at 0 or above; none stays none', () => {
    assert.equal(shiftMark(-1, DAY), -1);
    assert.equal(shiftMark(3 * DAY, DAY), 2 * DAY);
    assert.equal(shiftMark(DAY / 2, DAY), 0);
    assert.equal(shiftMark(0, DAY), 0);
  });
});

/** On the epoch, as every time was before the clocks: no origin, and none moved. */
function onEpoch(ds: Detector[]): Detector[] {
  for (const c of clocksOf(ds)) {
    c.origin = 0;
    c.started = true;
    c.rebaseAfterMs = Infinity;
  }
  return ds;
}

const TIME = /^(from|lastTs|lastOutTs|lastEnd|reportedAt|heldSince)$/;
/** Compared by sign only: whether the subject was reported (or held), not when. */
const MARK = /^reportedAt$/;

/**
 * Calls `fn` with every time field of every state the clocked detectors hold in their maps, and of
 * the states those hold in their fields (a card's IMEI or cell, which a sweep may have dropped
 * from its own map), with the clock it is on.
 */
function eachTime(
  ds: Detector[],
  fn: (where: string, field: string, t: number, c: Clock, state: object) => void,
): void {
  const visit = (s: object, c: Clock, where: string, depth: number) => {
    for (const [k, t] of Object.entries(s)) {
      if (typeof t === 'number' && TIME.test(k)) fn(where, k, t, c, s);
      else if (depth === 0 && t !== null && typeof t === 'object' && !(t instanceof Map) && !Array.isArray(t))
        visit(t as object, c, `${where}.${k}`, 1);
    }
  };
  const states = (o: object, c: Clock, name: string) => {
    for (const [field, v] of Object.entries(o))
      if (v instanceof Map)
        for (const [key, s] of v as Map<unknown, unknown>)
          if (s !== null && typeof s === 'object') visit(s, c, `${name}.${field}(${String(key)})`, 0);
  };
  for (const d of ds) {
    const c = (d as { clock?: Clock }).clock;
    if (c !== undefined) states(d, c, d.name);
  }
  const w = (ds[0] as SimboxDetector).windows;
  states(w, w.clock, 'windows');
}

/**
 * Every time the clocked detectors keep, on the epoch, by where it is kept. A mark is −1 when
 * none, else 1 (only that it is set); a wait's start is −1 when the card is not held.
 */
function times(ds: Detector[]): Map<string, number> {
  const out = new Map<string, number>();
  eachTime(ds, (where, k, t, c, s) => {
    const none = MARK.test(k) ? t < 0 : k === 'heldSince' && !(s as { held?: boolean }).held;
    out.set(`${where}.${k}`, none ? -1 : MARK.test(k) ? 1 : c.abs(t));
  });
  return out;
}

/**
 * Every time the clocked detectors keep is an integer V8 keeps unboxed (within ±2³¹), and none but
 * a call's end is later than the last record they saw (a time not shifted when its origin moved
 * would be).
 */
function assertSmallIntegers(ds: Detector[]): number {
  let last = -Infinity;
  eachTime(ds, (_, k, t, c) => {
    if (k === 'lastTs') last = Math.max(last, c.abs(t));
  });
  let n = 0;
  eachTime(ds, (where, k, t, c) => {
    assert.ok(Number.isInteger(t) && t >= -(2 ** 31) && t < 2 ** 31, `${where}.${k} = ${t}`);
    if (k !== 'lastEnd' && !(MARK.test(k) && t < 0))
      // (A mark before the origin is at the origin, which is at most a step before stream time.)
      assert.ok(c.abs(t) <= Math.max(last, c.origin), `${where}.${k} = ${t}: after the last record`);
    n++;
  });
  return n;
}

for (const world of [
  { people: 2000, days: 2, seed: 5, what: 'two days with every kind of fraud' },
  { people: 1000, days: 28, seed: 3, what: '28 days, past what 2³¹ ms from one origin holds' },
])
  describe(`detectors on their clocks, ${world.what}`, () => {
    let dir: string;
    const files = () => worldFiles(dir);
    before(async () => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'interdict-clock-'));
      await simulate({ people: world.people, days: world.days, seed: world.seed, outDir: dir });
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    const run = async (ds: Detector[]) => {
      const out: string[] = [];
      await runDetection(files(), ds, { emit: (d) => out.push(JSON.stringify(d)) });
      return out.sort();
    };
    let usual: string[];
    let usualDs: Detector[];
    before(async () => {
      usualDs = allDetectors();
      usual = await run(usualDs);
    });

    test('detect, byte for byte, what they detect with every time on the epoch', async () => {
      assert.equal(
        clocksOf(usualDs).length,
        5,
        'simbox, fraud_caller, iot_misuse, spoofed_caller and the windows',
      );
      const epoch = onEpoch(allDetectors());
      assert.deepEqual(usual, await run(epoch));
      for (const d of ['simbox', 'fraud_caller', 'spoofed_caller'])
        assert.ok(
          usual.some((l) => l.includes(`"detector":"${d}"`)),
          `${d} detected something`,
        );
      // What they hand out is on the epoch: windows within the world's days.
      const t0 = Math.min(...usual.map((l) => (JSON.parse(l) as { window: { from: number } }).window.from));
      assert.ok(t0 > 1e11, `windows are epoch times, not a clock's (${t0})`);
      // And what they keep is the same times.
      const kept = times(usualDs);
      assert.ok(kept.size > 1000, `times kept (${kept.size})`);
      assert.deepEqual(kept, times(epoch));
    });

    test('detect and keep, byte for byte, the same when their origins move at every sweep', async () => {
      const kept = times(usualDs);
      for (const step of [1, DAY]) {
        const ds = movingClocks(allDetectors(), step);
        assert.deepEqual(await run(ds), usual, `origins moved in steps of ${step} ms`);
        assert.deepEqual(times(ds), kept, `the same times kept, origins moved in steps of ${step} ms`);
        assertSmallIntegers(ds);
        for (const c of clocksOf(ds)) assert.ok(c.started && c.origin > 1e11, `origin ${c.origin}`);
      }
    });

    test('keep every time in their states as a small integer', () => {
      assert.ok(assertSmallIntegers(usualDs) > 1000);
      if (world.days > 24) {
        // The origin moved: 28 days of times from one origin would have passed 2³¹ ms.
        const first = Math.min(
          ...usual.map((l) => (JSON.parse(l) as { window: { from: number } }).window.from),
        );
        for (const c of clocksOf(usualDs))
          assert.ok(c.origin > first + 10 * DAY, `origin moved (${c.origin})`);
      }
    });
  });
