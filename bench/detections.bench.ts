/**
 * Stored detections (src/detection/store.ts): how fast detections enter the review queue (checked,
 * deduplicated per episode, holders encrypted, one event each), how fast a rerun is recognised as
 * duplicates, and how long the analysts' queue query takes with many stored. On the database of
 * the environment (PGlite by default; PostgreSQL with DATABASE_URL).
 */
import type { BenchResult } from './harness.ts';
import { testApp } from '../test/helpers/app.ts';
import { listDetections, recordDetections } from '../src/detection/store.ts';
import type { Detection } from '../src/detection/records.ts';
import type { Principal } from '../src/identity/model.ts';

const N = Number(process.env.BENCH_DETECTIONS ?? 20_000);
const BATCH = 1000;

function world(n: number): Detection[] {
  const t0 = Date.parse('2026-11-02T00:00:00+08:00');
  const out: Detection[] = [];
  for (let i = 0; i < n; i++) {
    const k = i % 4;
    out.push({
      detector: (['simbox', 'mule_account', 'potential_victim', 'card_limit'] as const)[k]!,
      subjectKind: (['msisdn', 'account', 'holder', 'holder'] as const)[k]!,
      subject:
        k === 0
          ? `+86171${String(10_000_000 + i).slice(-8)}`
          : k === 1
            ? `62284804${String(10_000_000_000 + i).slice(-11)}`
            : `passport:E${String(10_000_000 + i)}`,
      score: ((i * 7919) % 1000) / 1000,
      window: { from: t0 + i * 1000, to: t0 + i * 1000 + 3_600_000 },
      evidence: { cells: [`110105-${i % 5000}`], outbound: i % 300, payers: i % 17 },
    });
  }
  return out;
}

export async function run(): Promise<BenchResult[]> {
  const { services, close } = await testApp();
  try {
    const ds = world(N);
    let t = performance.now();
    for (let i = 0; i < ds.length; i += BATCH) await recordDetections(services, null, ds.slice(i, i + BATCH));
    const storeSecs = (performance.now() - t) / 1000;
    t = performance.now();
    let dup = 0;
    for (let i = 0; i < ds.length; i += BATCH)
      dup += (await recordDetections(services, null, ds.slice(i, i + BATCH))).duplicates;
    const rerunSecs = (performance.now() - t) / 1000;
    if (dup !== N) throw new Error(`a rerun found ${dup} duplicates of ${N}`);
    const centre = await services.db
      .insertInto('organisations')
      .values({ id: crypto.randomUUID(), name: 'Bench Centre', kind: 'anti_fraud_centre' })
      .returning('id')
      .executeTakeFirstOrThrow();
    const analyst: Principal = {
      kind: 'user',
      id: 'bench',
      name: 'bench',
      organisationId: centre.id,
      organisationKind: 'anti_fraud_centre',
      roles: ['analyst'],
      scopes: [],
    };
    const times: number[] = [];
    for (let i = 0; i < 50; i++) {
      const s = performance.now();
      await listDetections(services, analyst, { limit: 50, ...(i % 2 ? { detector: 'mule_account' } : {}) });
      times.push(performance.now() - s);
    }
    times.sort((a, b) => a - b);
    const db = services.database.kind;
    return [
      {
        name: `detections stored (checked, once per episode, holders encrypted, one event each), ${db}`,
        value: N / storeSecs,
        unit: 'detections/s',
        note: `${N.toLocaleString('en-US')} detections in batches of ${BATCH}`,
      },
      {
        name: `a rerun of the same detections recognised as duplicates, ${db}`,
        value: N / rerunSecs,
        unit: 'detections/s',
      },
      {
        name: `review queue page (50 by score) with ${N.toLocaleString('en-US')} stored, p95, ${db}`,
        value: times[Math.floor(times.length * 0.95)]!,
        unit: 'ms',
      },
    ];
  } finally {
    await close();
  }
}
