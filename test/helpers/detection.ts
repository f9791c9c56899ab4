import path from 'node:path';
import type { Detector } from '../../src/detection/detector.ts';
import type { Clock } from '../../src/detection/detectors/common.ts';
import type { SimboxDetector } from '../../src/detection/detectors/simbox.ts';

/** The four files `simulate` writes into `dir`, as `runDetection` takes them. */
export function worldFiles(dir: string): {
  cards: string;
  accounts: string;
  calls: string;
  transactions: string;
} {
  return {
    cards: path.join(dir, 'cards.csv'),
    accounts: path.join(dir, 'accounts.csv'),
    calls: path.join(dir, 'calls.csv'),
    transactions: path.join(dir, 'transactions.csv'),
  };
}

/**
 * The clocks of `allDetectors()` (src/detection/detectors/common.ts, `Clock`): every detector's
 * that has one, and the partner windows' (simbox's, shared with fraud_caller).
 */
export function clocksOf(ds: readonly Detector[]): Clock[] {
  const out: Clock[] = [];
  for (const d of ds) {
    const c = (d as { clock?: Clock }).clock;
    if (c !== undefined) out.push(c);
  }
  out.push((ds[0] as SimboxDetector).windows.clock);
  return out;
}

/** `ds` with their clocks' origins moved at every sweep, by `step` ms. */
export function movingClocks<T extends readonly Detector[]>(ds: T, step: number): T {
  for (const c of clocksOf(ds)) {
    c.rebaseAfterMs = 0;
    c.step = step;
  }
  return ds;
}
