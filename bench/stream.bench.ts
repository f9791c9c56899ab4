/**
 * Streaming detection (src/detection/stream): records through the sequencer into a record stream
 * and out through a worker running every detector, on the in-memory stream (the engine alone),
 * the embedded stream (PGlite/PostgreSQL table: what a durable single-node deployment pays) and,
 * with NATS_URL, JetStream. Also what share of the records each of two workers has to read: the
 * measure of how far key partitioning spreads the work. BENCH_STREAM_PEOPLE sizes the world
 * (default 5,000 people, 2 days).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BenchResult } from './harness.ts';
import { simulate } from '../src/detection/simulate/index.ts';
import { allDetectors } from '../src/detection/detectors/index.ts';
import {
  loadReference,
  mergeFiles,
  publishRecords,
  type StreamRecord,
} from '../src/detection/stream/publish.ts';
import { MemoryRecordStream } from '../src/detection/stream/memory.ts';
import { EmbeddedRecordStream } from '../src/detection/stream/embedded.ts';
import { NatsRecordStream } from '../src/detection/stream/nats.ts';
import { DetectionWorker } from '../src/detection/stream/worker.ts';
import { streamMigrations } from '../src/detection/stream/migrations.ts';
import { migrateToLatest } from '../src/core/db/migrate.ts';
import type { RecordStream } from '../src/detection/stream/types.ts';
import { openTestDatabase } from '../test/helpers/db.ts';
import { ingestRecords } from '../src/detection/stream/ingest.ts';

const PEOPLE = Number(process.env.BENCH_STREAM_PEOPLE ?? 5000);
const DAYS = 2;

async function work(
  stream: RecordStream,
  ref: Awaited<ReturnType<typeof loadReference>>,
  partitions: number[],
) {
  const w = new DetectionWorker({
    stream,
    partitions,
    detectors: allDetectors,
    cards: ref.cards,
    accounts: ref.accounts,
    sink: async () => undefined,
    readBatch: 5000,
    waitMs: 20,
  });
  const t = performance.now();
  await w.start();
  await w.done;
  return { secs: (performance.now() - t) / 1000, records: w.stats.records, detections: w.stats.detections };
}

export async function run(): Promise<BenchResult[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'interdict-bench-stream-'));
  const out: BenchResult[] = [];
  const database = await openTestDatabase();
  try {
    await simulate({ people: PEOPLE, days: DAYS, seed: 1, outDir: dir });
    const files = {
      cards: path.join(dir, 'cards.csv'),
      accounts: path.join(dir, 'accounts.csv'),
      calls: path.join(dir, 'calls.csv'),
      transactions: path.join(dir, 'transactions.csv'),
    };
    const ref = await loadReference(files);
    const records: StreamRecord[] = [];
    for await (const r of mergeFiles(files)) records.push(r);
    const n = records.length;
    const world = `${n.toLocaleString('en-US')} records of ${PEOPLE.toLocaleString('en-US')} people over ${DAYS} days`;
    await migrateToLatest(database.db, streamMigrations);

    const backends: { name: string; open: () => Promise<RecordStream> }[] = [
      { name: 'in-memory stream', open: async () => new MemoryRecordStream(8) },
      {
        name: `embedded stream (${database.kind})`,
        open: async () => {
          await database.db.deleteFrom('detection_records').execute();
          return new EmbeddedRecordStream(database.db, 8, 10);
        },
      },
    ];
    if (process.env.NATS_URL)
      backends.push({
        name: 'NATS JetStream',
        open: () =>
          NatsRecordStream.open({
            natsUrl: process.env.NATS_URL!,
            natsStream: `BENCH${process.pid}`,
            partitions: 8,
          }),
      });
    for (const b of backends) {
      const stream = await b.open();
      try {
        let t = performance.now();
        await publishRecords(stream, records, { end: true });
        const pub = (performance.now() - t) / 1000;
        out.push({
          name: `publish (sequence, append) into the ${b.name}`,
          value: n / pub,
          unit: 'records/s',
          note: world,
        });
        const one = await work(stream, ref, [0, 1, 2, 3, 4, 5, 6, 7]);
        out.push({
          name: `one worker, every detector, reading the ${b.name}`,
          value: one.records / one.secs,
          unit: 'records/s',
          note: world,
        });
        if (stream instanceof EmbeddedRecordStream) {
          // Retention: what the hourly prune costs. Keeping 12 of the 48 hours drops three quarters.
          const before = await stream.stored();
          t = performance.now();
          const r = await stream.prune({ keepMs: 12 * 3_600_000 });
          const secs = (performance.now() - t) / 1000;
          out.push({
            name: `prune the ${b.name} to its retention (delete, then vacuum)`,
            value: r.through / secs,
            unit: 'entries/s',
            note: `${r.through.toLocaleString('en-US')} entries in ${r.deleted.toLocaleString('en-US')} of ${before.units.toLocaleString('en-US')} rows deleted in ${secs.toFixed(2)} s (keeping the last 12 of 48 hours of stream time); ${(before.bytes / 1048576).toFixed(1)} MiB before`,
          });
        }
        if (b.name === 'in-memory stream') {
          t = performance.now();
          const a = await work(stream, ref, [0, 1, 2, 3]);
          const c = await work(stream, ref, [4, 5, 6, 7]);
          out.push({
            name: 'two workers (partitions 0-3 and 4-7): share of the records each reads',
            value: (100 * Math.max(a.records, c.records)) / one.records,
            unit: '%',
            note: `${a.records.toLocaleString('en-US')} and ${c.records.toLocaleString('en-US')} of ${one.records.toLocaleString('en-US')}: every record goes to every worker (the detectors join numbers across devices, cells and flags), so the detections of two equal those of one; the workers split the output (${a.detections} and ${c.detections} detections)`,
          });
        }
      } finally {
        await stream.close();
      }
    }

    // Two parties sending over HTTP (feeds): the operator's calls and the bank's transactions in
    // six-hour slices by turns, each upload staged and merged at the watermark (the route's work
    // without the HTTP framing; the body is already on disk, as the route saves it first).
    await database.db.deleteFrom('detection_records').execute();
    const stream = new EmbeddedRecordStream(database.db, 8, 10);
    const slices = path.join(dir, 'slices');
    fs.mkdirSync(slices);
    const lines = (f: string) => fs.readFileSync(f, 'utf8').trimEnd().split('\n');
    const kinds = [
      { kind: 'calls' as const, lines: lines(files.calls), org: crypto.randomUUID() },
      { kind: 'transactions' as const, lines: lines(files.transactions), org: crypto.randomUUID() },
    ];
    const timeOf = (l: string) => Date.parse(l.slice(0, l.indexOf(',')));
    const times = kinds.flatMap((k) => k.lines.slice(1).map(timeOf));
    const start = Math.min(...times);
    const end = Math.max(...times) + 1;
    const uploads: { kind: 'calls' | 'transactions'; org: string; file: string; through?: number }[] = [];
    for (const k of kinds)
      uploads.push({
        kind: k.kind,
        org: k.org,
        file: path.join(slices, `${k.kind}-start.csv`),
        through: start,
      });
    for (let from = start, i = 0; from < end; from += 6 * 3_600_000, i++)
      for (const k of kinds) {
        const file = path.join(slices, `${k.kind}-${i}.csv`);
        const rows = k.lines.slice(1).filter((l) => timeOf(l) >= from && timeOf(l) < from + 6 * 3_600_000);
        fs.writeFileSync(file, [k.lines[0], ...rows].join('\n') + '\n');
        uploads.push({ kind: k.kind, org: k.org, file });
      }
    for (const k of kinds) {
      fs.writeFileSync(path.join(slices, `${k.kind}-start.csv`), k.lines[0] + '\n');
      uploads.push({
        kind: k.kind,
        org: k.org,
        file: path.join(slices, `${k.kind}-start.csv`),
        through: end,
      });
    }
    let accepted = 0;
    let published = 0;
    const t = performance.now();
    for (const u of uploads) {
      const r = await ingestRecords(stream, database.db, u.file, u.kind, {
        format: 'csv',
        holder: 'bench',
        organisationId: u.org,
        ...(u.through !== undefined && { through: u.through }),
      });
      accepted += r.accepted;
      published += r.merge?.published ?? 0;
    }
    const secs = (performance.now() - t) / 1000;
    out.push({
      name: `records sent by two feeds over HTTP, staged and merged at the watermark into the embedded stream (${database.kind})`,
      value: published / secs,
      unit: 'records/s',
      note: `${accepted.toLocaleString('en-US')} accepted, ${published.toLocaleString('en-US')} published in ${uploads.length} uploads (six-hour slices of calls and transactions by turns) in ${secs.toFixed(2)} s; ${world}`,
    });
  } finally {
    await database.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return out;
}
