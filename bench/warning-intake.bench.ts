/**
 * Warnings under load (src/warnings): how fast triggers are taken (a flagged mass caller can warn
 * thousands of people in one go: each trigger opens a warning with its plan, SMS and events, or
 * merges into the person's open one), how long the operators' queue page takes with many open, and
 * how long one escalation pass takes when many deadlines fall due together. On the database of the
 * environment (PGlite by default; PostgreSQL with DATABASE_URL).
 */
import type { BenchResult } from './harness.ts';
import { testApp } from '../test/helpers/app.ts';
import { SYSTEM } from '../src/core/audit.ts';
import { escalateDue, intakeTrigger, listWarnings } from '../src/warnings/service.ts';

const PEOPLE = Number(process.env.BENCH_WARNING_PEOPLE ?? 2_000);

export async function run(): Promise<BenchResult[]> {
  const { services, close } = await testApp();
  try {
    const db = services.database.kind;
    const source = { source: 'bench', organisationId: null };
    const phone = (i: number) => `+86139${String(10_000_000 + i).slice(-8)}`;
    const trigger = (i: number) => ({
      kind: 'fraud_call' as const,
      person: { msisdn: phone(i) },
      amountAtRisk: 100_000 + (i % 50) * 100_000,
      summary: 'a 12-minute call from a flagged number',
    });
    let t = performance.now();
    for (let i = 0; i < PEOPLE; i++) await intakeTrigger(services, SYSTEM, trigger(i), source);
    const openSecs = (performance.now() - t) / 1000;
    t = performance.now();
    let merged = 0;
    for (let i = 0; i < PEOPLE; i++)
      if ((await intakeTrigger(services, SYSTEM, trigger(i), source)).merged) merged++;
    const mergeSecs = (performance.now() - t) / 1000;
    if (merged !== PEOPLE) throw new Error(`${merged} of ${PEOPLE} second triggers merged`);
    const times: number[] = [];
    for (let i = 0; i < 40; i++) {
      const s = performance.now();
      await listWarnings(services, { limit: 50, ...(i % 2 ? { channel: 'call' as const } : {}) });
      times.push(performance.now() - s);
    }
    times.sort((a, b) => a - b);
    // Every step's deadline is at most a day away: a day later every open warning is due.
    t = performance.now();
    const { escalated } = await escalateDue(services, Date.now() + 86_400_000);
    const escalateSecs = (performance.now() - t) / 1000;
    return [
      {
        name: `warning triggers opening a warning each (plan, SMS queued, events, audit), ${db}`,
        value: PEOPLE / openSecs,
        unit: 'triggers/s',
        note: `${PEOPLE.toLocaleString('en-US')} people, one at a time (no batching)`,
      },
      {
        name: `warning triggers merging into the person's open warning, ${db}`,
        value: PEOPLE / mergeSecs,
        unit: 'triggers/s',
      },
      {
        name: `warning operators' queue page (50 by priority) with ${PEOPLE.toLocaleString('en-US')} open, p95, ${db}`,
        value: times[Math.floor(times.length * 0.95)]!,
        unit: 'ms',
      },
      {
        name: `one escalation pass with every open warning due, ${db}`,
        value: escalateSecs * 1000,
        unit: 'ms',
        note: `${escalated.toLocaleString('en-US')} warnings escalated`,
      },
    ];
  } finally {
    await close();
  }
}
