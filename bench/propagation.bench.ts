/**
 * Propagation: a listing committed through node A's service is applied by node B's decision
 * engine. Two nodes with their own connections and buses; over NATS JetStream and PostgreSQL when
 * NATS_URL and DATABASE_URL are set, else the in-process bus on PGlite (one process, one node pair).
 */
import crypto from 'node:crypto';
import type { BenchResult } from './harness.ts';
import { openTestDatabase } from '../test/helpers/db.ts';
import { openDatabase } from '../src/core/db/index.ts';
import { migrateToLatest } from '../src/core/db/migrate.ts';
import { allMigrations } from '../src/migrations.ts';
import { createEventBus } from '../src/core/bus/index.ts';
import { loadConfig } from '../src/core/config.ts';
import { createLogger } from '../src/core/log.ts';
import { loadPiiCipher } from '../src/privacy/crypto.ts';
import { PrincipalCache } from '../src/identity/cache.ts';
import { SYSTEM } from '../src/core/audit.ts';
import { listIndicator } from '../src/registry/service.ts';
import { DecisionNode } from '../src/registry/decisions.ts';
import type { Services } from '../src/api/types.ts';

const N = 200;

export async function run(): Promise<BenchResult[]> {
  const a = await openTestDatabase();
  const nats = process.env.NATS_URL;
  const stream = `BENCH_${crypto.randomBytes(4).toString('hex').toUpperCase()}`;
  // node B: its own connection pool (PostgreSQL) or, on PGlite, the same embedded database
  const b = a.url ? await openDatabase({ databaseUrl: a.url, dataDir: '' }) : a;
  await migrateToLatest(a.db, allMigrations);
  const config = loadConfig({ LOG_LEVEL: 'silent' });
  config.dataDir = 'memory://';
  const log = createLogger('silent');
  const pii = loadPiiCipher(config);
  const busA = await createEventBus({ db: a.db, natsUrl: nats, stream, log });
  const busB = nats ? await createEventBus({ db: b.db, natsUrl: nats, stream, log }) : busA;
  const servicesB: Services = {
    config,
    database: b,
    db: b.db,
    bus: busB,
    log,
    pii,
    principals: new PrincipalCache(),
  };
  const node = new DecisionNode(servicesB, { nodeId: `bench-${stream}`, catchUpEveryMs: 60_000 });
  await node.start();
  await busA.start();
  if (busB !== busA) await busB.start();
  const latencies: number[] = [];
  try {
    for (let i = 0; i < N; i++) {
      const value = `+86139${String(20_000_000 + i).slice(-8)}`;
      await listIndicator(a.db, busA, SYSTEM, {
        kind: 'phone',
        value,
        category: 'loan',
        source: { kind: 'analyst' },
      });
      const committed = performance.now();
      while (!node.index.get('phone', value)) {
        if (performance.now() - committed > 10_000) throw new Error('not applied within 10 s');
        await new Promise((r) => setImmediate(r));
      }
      latencies.push(performance.now() - committed);
    }
  } finally {
    await node.stop();
    await busA.close();
    if (busB !== busA) await busB.close();
    if (b !== a) await b.close();
    await a.close();
  }
  latencies.sort((x, y) => x - y);
  const q = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]!;
  const how = nats ? 'NATS JetStream + PostgreSQL, two nodes' : 'in-process bus, PGlite';
  return [
    { name: `propagation commit → applied on node B, p50 (${how})`, value: q(0.5), unit: 'ms' },
    {
      name: `propagation commit → applied on node B, p99 (${how})`,
      value: q(0.99),
      unit: 'ms',
      target: '< 1,000 ms',
      note: `${N} listings, one at a time`,
    },
  ];
}
