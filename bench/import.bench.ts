/**
 * Listing import through the real path (`interdict import listings`): NDJSON file → checks →
 * batched multi-row writes with sources, history and events → import_runs position.
 * BENCH_IMPORT_ROWS sets the size (default 100,000); the 10M target is extrapolated and said so.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BenchResult } from './harness.ts';
import { openTestDatabase } from '../test/helpers/db.ts';
import { migrateToLatest } from '../src/core/db/migrate.ts';
import { allMigrations } from '../src/migrations.ts';
import { createEventBus } from '../src/core/bus/index.ts';
import { runImport } from '../src/core/importer/run.ts';
import { listingImport } from '../src/registry/imports.ts';

const CATEGORIES = [
  'impersonate_police',
  'customer_service_refund',
  'loan',
  'investment_pension',
  'click_farming',
];

function row(i: number): string {
  const category = CATEGORIES[i % CATEGORIES.length]!;
  switch (i % 4) {
    case 0:
      return JSON.stringify({ kind: 'phone', value: `+86139${String(10_000_000 + i).slice(-8)}`, category });
    case 1:
      return JSON.stringify({ kind: 'domain', value: `scam-${i.toString(36)}.com`, category });
    case 2:
      return JSON.stringify({ kind: 'internet_account', value: `wechat:kefu_${i.toString(36)}`, category });
    default:
      return JSON.stringify({ kind: 'url', value: `http://bad-${i.toString(36)}.net/pay/`, category });
  }
}

export async function run(): Promise<BenchResult[]> {
  const n = Number(process.env.BENCH_IMPORT_ROWS ?? 100_000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'interdict-bench-import-'));
  const file = path.join(dir, 'listings.ndjson');
  const out = fs.createWriteStream(file);
  for (let i = 0; i < n; i++) out.write(row(i) + '\n');
  await new Promise<void>((r) => out.end(r));
  const database = await openTestDatabase();
  try {
    await migrateToLatest(database.db, allMigrations);
    const bus = await createEventBus({ db: database.db });
    const t0 = process.hrtime.bigint();
    const r = await runImport(database.db, listingImport(bus), { file, batchSize: 5_000 });
    const secs = Number(process.hrtime.bigint() - t0) / 1e9;
    await bus.close();
    const rate = r.accepted / secs;
    const where = process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite';
    return [
      {
        name: `import listings (${n.toLocaleString('en-US')} rows, NDJSON, ${where})`,
        value: rate,
        unit: 'listings/s',
        target: '10M in < 3 min (≥ 55,600/s) on PostgreSQL',
        note: `${r.accepted} accepted, ${r.rejected} rejected in ${secs.toFixed(1)} s; 10M at this rate: ${(10_000_000 / rate / 60).toFixed(0)} min. Each listing writes listing, source, history and event rows.`,
      },
    ];
  } finally {
    await database.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
