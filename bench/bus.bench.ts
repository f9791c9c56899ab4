/**
 * Event bus: latency from a publishing transaction's commit to the end of the handler (the
 * handler's effect written), and end-to-end throughput. In-process on PGlite always; in-process
 * on PostgreSQL when DATABASE_URL is set; NATS JetStream + PostgreSQL when both DATABASE_URL and
 * NATS_URL are set, with the publisher and the consumer as two separate nodes (own pools, own
 * NATS connections) on the same database: the registry's "applied on every node" path.
 */
import crypto from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { sql, type Kysely } from 'kysely';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import type { BenchResult } from './harness.ts';
import { openDatabase, type Database } from '../src/core/db/index.ts';
import type { DB } from '../src/core/db/schema.ts';
import { migrateToLatest } from '../src/core/db/migrate.ts';
import { busMigrations, MemoryEventBus, NatsEventBus, type EventBus } from '../src/core/bus/index.ts';
import { openTestDatabase } from '../test/helpers/db.ts';

const LATENCY_SAMPLES = 300;
const THROUGHPUT_EVENTS = 3000;
const PER_TRANSACTION = 50;

interface Setup {
  label: string;
  /** The node that publishes (and, on NATS, relays). */
  publisher: EventBus;
  publisherDb: Kysely<DB>;
  /** The node whose consumer applies the events. */
  consumer: EventBus;
  close(): Promise<void>;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function waitFor(cond: () => boolean, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`bus bench: timed out after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 1));
  }
}

async function measure(s: Setup): Promise<BenchResult[]> {
  const handledAt = new Map<string, number>();
  await sql`create table if not exists bench_bus_effects (event_id uuid primary key)`.execute(s.publisherDb);
  await s.consumer.subscribe({
    consumer: `bench-${crypto.randomBytes(4).toString('hex')}`,
    types: ['user.disabled'],
    from: 'new',
    async handler(ev, { tx }) {
      await sql`insert into bench_bus_effects (event_id) values (${ev.id})`.execute(tx);
      handledAt.set(ev.id, performance.now());
    },
  });
  await s.consumer.start();
  await s.publisher.start();

  // Latency: one business transaction at a time, commit → handler done. The transaction cannot
  // wake the consumer (it does not know when it commits), so this includes the poll interval.
  const latencies: number[] = [];
  for (let i = 0; i < LATENCY_SAMPLES + 20; i++) {
    const ev = await s.publisherDb
      .transaction()
      .execute((tx) => s.publisher.publish(tx, 'user.disabled', { userId: crypto.randomUUID() }));
    const committed = performance.now();
    await waitFor(() => handledAt.has(ev.id), 10_000);
    if (i >= 20) latencies.push(handledAt.get(ev.id)! - committed); // the first ones warm up
    await new Promise((r) => setTimeout(r, Math.random() * 60)); // not in step with the poll
  }
  latencies.sort((a, b) => a - b);

  // publishNow wakes this node's consumers / relay at once.
  const nowLatencies: number[] = [];
  for (let i = 0; i < 100; i++) {
    const t = performance.now();
    const ev = await s.publisher.publishNow('user.disabled', { userId: crypto.randomUUID() });
    await waitFor(() => handledAt.has(ev.id), 10_000);
    nowLatencies.push(handledAt.get(ev.id)! - t);
  }
  nowLatencies.sort((a, b) => a - b);

  // Throughput: batches of events per transaction, as fast as they are taken.
  const ids: string[] = [];
  const t0 = performance.now();
  for (let b = 0; b < THROUGHPUT_EVENTS / PER_TRANSACTION; b++) {
    await s.publisherDb.transaction().execute(async (tx) => {
      for (let i = 0; i < PER_TRANSACTION; i++) {
        ids.push((await s.publisher.publish(tx, 'user.disabled', { userId: crypto.randomUUID() })).id);
      }
    });
  }
  const published = performance.now();
  await waitFor(() => handledAt.has(ids[ids.length - 1]!), 120_000);
  const done = performance.now();
  await s.close();

  const target = s.label.startsWith('NATS')
    ? '< 1000 ms (commit on one node → effect on another)'
    : undefined;
  return [
    { name: `${s.label}: commit → handled p50`, value: percentile(latencies, 50), unit: 'ms' },
    {
      name: `${s.label}: commit → handled p99`,
      value: percentile(latencies, 99),
      unit: 'ms',
      ...(target ? { target } : {}),
      note: `${LATENCY_SAMPLES} sequential transactions; looks again 2–22 ms after a publish in a transaction, else every 50 ms`,
    },
    { name: `${s.label}: publishNow → handled p50`, value: percentile(nowLatencies, 50), unit: 'ms' },
    { name: `${s.label}: publishNow → handled p99`, value: percentile(nowLatencies, 99), unit: 'ms' },
    {
      name: `${s.label}: end-to-end throughput`,
      value: THROUGHPUT_EVENTS / ((done - t0) / 1000),
      unit: 'events/s',
      note: `${THROUGHPUT_EVENTS} events, ${PER_TRANSACTION} per transaction; publishing alone ${Math.round(THROUGHPUT_EVENTS / ((published - t0) / 1000))}/s; one consumer, handler writes one row`,
    },
  ];
}

async function memorySetup(label: string, database: Database): Promise<Setup> {
  await migrateToLatest(database.db, busMigrations);
  const bus = new MemoryEventBus({ db: database.db, pruneIntervalMs: 0 });
  return {
    label,
    publisher: bus,
    publisherDb: database.db,
    consumer: bus,
    async close() {
      await bus.close();
      await database.close();
    },
  };
}

async function natsSetup(natsUrl: string): Promise<Setup> {
  const database = await openTestDatabase();
  await migrateToLatest(database.db, busMigrations);
  // a second node: its own pool on the same database, its own NATS connection
  const other = await openDatabase({ databaseUrl: database.url!, dataDir: '' });
  const stream = `BENCH_BUS_${crypto.randomBytes(4).toString('hex').toUpperCase()}`;
  const publisher = new NatsEventBus({ db: database.db, natsUrl, stream, pruneIntervalMs: 0 });
  const consumer = new NatsEventBus({ db: other.db, natsUrl, stream, pruneIntervalMs: 0 });
  return {
    label: 'NATS + PostgreSQL, two nodes',
    publisher,
    publisherDb: database.db,
    consumer,
    async close() {
      await consumer.close();
      await publisher.close();
      const nc = await connect({ servers: natsUrl });
      await (await jetstreamManager(nc)).streams.delete(stream).catch(() => undefined);
      await nc.close();
      await other.close();
      await database.close();
    },
  };
}

export async function run(): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  results.push(
    ...(await measure(await memorySetup('in-process, PGlite', await openDatabase({ dataDir: 'memory://' })))),
  );
  if (process.env.DATABASE_URL) {
    results.push(...(await measure(await memorySetup('in-process, PostgreSQL', await openTestDatabase()))));
    if (process.env.NATS_URL) results.push(...(await measure(await natsSetup(process.env.NATS_URL))));
  }
  return results;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const r of await run())
    console.log(`${r.name}: ${r.value.toFixed(1)} ${r.unit}${r.target ? ` (target ${r.target})` : ''}`);
}
