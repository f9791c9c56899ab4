/**
 * The simulator at the scale ("it scales to at least 10 million call records"): one world
 * of BENCH_SIM_PEOPLE (default 200,000) people over BENCH_SIM_DAYS (default 7) days, written to a
 * temporary folder and deleted after. Reports the records written, the rate and the peak resident
 * memory of the process; then mule_account's precision and recall on that world (coincidences that
 * look like mules grow with the population; the quality bench's worlds have 5,000 people).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BenchResult } from './harness.ts';
import { simulateWorld } from '../src/detection/simulate/index.ts';
import { runDetection } from '../src/detection/run.ts';
import { muleAccountDetector } from '../src/detection/detectors/mule-account.ts';
import { scoreDetections } from '../src/detection/score.ts';
import type { Detection } from '../src/detection/records.ts';

export async function run(): Promise<BenchResult[]> {
  const people = Number(process.env.BENCH_SIM_PEOPLE ?? 200_000);
  const days = Number(process.env.BENCH_SIM_DAYS ?? 7);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'interdict-bench-sim-'));
  try {
    const t0 = process.hrtime.bigint();
    const { counts, truth } = await simulateWorld({ people, days, seed: 5, outDir: dir });
    const secs = Number(process.hrtime.bigint() - t0) / 1e9;
    const bytes = fs.statSync(path.join(dir, 'calls.csv')).size;
    // maxRSS is in KiB, for the whole bench process (its earlier modules included).
    const peakMiB = process.resourceUsage().maxRSS / 1024;
    const ds: Detection[] = [];
    const t1 = process.hrtime.bigint();
    await runDetection(
      { accounts: path.join(dir, 'accounts.csv'), transactions: path.join(dir, 'transactions.csv') },
      [muleAccountDetector()],
      { emit: (d) => ds.push(d) },
    );
    const mSecs = Number(process.hrtime.bigint() - t1) / 1e9;
    const mule = scoreDetections(truth, ds).find((x) => x.detector === 'mule_account')!;
    return [
      {
        name: `simulate: call records written for ${people.toLocaleString('en-US')} people over ${days} days`,
        value: counts.calls,
        unit: 'call records',
        target: '≥ 10,000,000',
        note: `in ${secs.toFixed(1)} s (${Math.round(counts.calls / secs).toLocaleString('en-US')} call records/s), calls.csv ${(bytes / 2 ** 30).toFixed(2)} GiB; also ${counts.transactions.toLocaleString('en-US')} transactions, ${counts.cards.toLocaleString('en-US')} cards, ${counts.accounts.toLocaleString('en-US')} accounts; peak RSS of the bench process ${Math.round(peakMiB).toLocaleString('en-US')} MiB`,
      },
      {
        name: `mule_account on that world: lowest of precision and recall`,
        value: Math.min(mule.precision, mule.recall),
        unit: 'lowest of the two',
        target: '≥ 0.9 each',
        note: `precision ${mule.precision.toFixed(3)}, recall ${mule.recall.toFixed(3)} (${truth.planted.mule_account.length} mules planted among ${counts.accounts.toLocaleString('en-US')} accounts; ${counts.transactions.toLocaleString('en-US')} transactions in ${mSecs.toFixed(1)} s)`,
      },
    ];
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
