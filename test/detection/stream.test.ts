import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { simulate } from '../../src/detection/simulate/index.ts';
import { runDetection } from '../../src/detection/run.ts';
import { allDetectors } from '../../src/detection/detectors/index.ts';
import {
  addAccount,
  addCard,
  heldState,
  newContext,
  withdrawEnded,
  type Detector,
} from '../../src/detection/detector.ts';
import { cardLimitDetector } from '../../src/detection/detectors/card-limit.ts';
import {
  DETECTORS as DETECTOR_NAMES,
  type AccountRecord,
  type CallRecord,
  type CardRecord,
  type Detection,
} from '../../src/detection/records.ts';
import { ImeiState } from '../../src/detection/detectors/simbox.ts';
import { PartnerWindow, PartnerWindows } from '../../src/detection/detectors/common.ts';
import type { SimboxDetector } from '../../src/detection/detectors/simbox.ts';
import { movingClocks, worldFiles } from '../helpers/detection.ts';
import v8 from 'node:v8';
import {
  detectorClasses,
  isSnapshotable,
  restore,
  restoreDetectors,
  snapshot,
  snapshotDetectors,
  SnapshotError,
  StateMismatchError,
} from '../../src/detection/checkpoint.ts';
import { muleAccountDetector } from '../../src/detection/detectors/mule-account.ts';
import { potentialVictimDetector } from '../../src/detection/detectors/potential-victim.ts';
import { MemoryRecordStream } from '../../src/detection/stream/memory.ts';
import { migrateToLatest } from '../../src/core/db/migrate.ts';
import type { Database } from '../../src/core/db/index.ts';
import { streamMigrations } from '../../src/detection/stream/migrations.ts';
import { EmbeddedRecordStream, ENTRIES_PER_ROW } from '../../src/detection/stream/embedded.ts';
import { sql } from 'kysely';
import { connect } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import {
  ENTRIES_PER_MESSAGE,
  NatsRecordStream,
  positionOf,
  resumeAt,
} from '../../src/detection/stream/nats.ts';
import {
  DbCheckpointStore,
  MemoryCheckpointStore,
  type CheckpointStore,
} from '../../src/detection/stream/checkpoints.ts';
import {
  loadReference,
  mergeFiles,
  publishRecords,
  type Reference,
  type StreamRecord,
} from '../../src/detection/stream/publish.ts';
import { ownerOf, partitionOf, recordKey, Sequencer } from '../../src/detection/stream/route.ts';
import { acquirePublisher } from '../../src/detection/stream/publisher.ts';
import type { AppError } from '../../src/core/errors.ts';
import type { RecordStream, StreamEntry } from '../../src/detection/stream/types.ts';
import { recordStreamStatus } from '../../src/detection/stream/status.ts';
import { paramsFingerprint, parseDetectorParams } from '../../src/detection/params.ts';
import { DEFAULT_FEED_TIMES } from '../../src/detection/stream/feeds.ts';
import {
  DetectionWorker,
  parsePartitions,
  partitionSetName,
  type WorkerOptions,
} from '../../src/detection/stream/worker.ts';
import { openTestDatabase, usingNats } from '../helpers/db.ts';
import { sampleCall } from '../helpers/stream.ts';
import { NumberEntries } from '../../src/detection/intern.ts';
import crypto from 'node:crypto';
import { PiiCipher } from '../../src/privacy/crypto.ts';
import { piiKeyUsage, rotatePiiKeys } from '../../src/privacy/rotate.ts';
import { allMigrations } from '../../src/migrations.ts';
import { SYSTEM } from '../../src/core/audit.ts';
import {
  ContactObserver,
  ContactWatch,
  flagsOf,
  type ContactTrigger,
} from '../../src/warnings/contact-watch.ts';

/**
 * Streaming detection (docs/detection.md, "Streaming") on a simulated world: the stream gives
 * what the batch run gives, a worker restored from its checkpoint reports nothing twice, and two
 * workers give what one gives.
 */

let dir: string;
let ref: Reference;
let records: StreamRecord[];
let batch: Detection[];
let database: Database;
const lookupKey = crypto.randomBytes(32);
const k1 = crypto.randomBytes(32);
/** The personal-data keys checkpoints are encrypted under. */
const pii = new PiiCipher([{ id: 'k1', key: k1 }], lookupKey);

const files = () => worldFiles(dir);

/**
 * Stream entries read back against the records published: the same values, and each record with
 * the keys of one the file reader builds, in its order (one shape for the detectors' call sites).
 */
function assertSameShape(entries: readonly { kind: string }[], sent: readonly StreamRecord[]): void {
  const read = entries.filter((e) => e.kind === 'call' || e.kind === 'transaction') as StreamRecord[];
  assert.equal(read.length, sent.length);
  for (let i = 0; i < sent.length; i++) {
    const a = read[i]!;
    const b = sent[i]!;
    assert.equal(a.kind, b.kind);
    assert.deepEqual(Object.keys(a.record), Object.keys(b.record), `keys of entry ${i}`);
    assert.deepEqual(a.record, b.record, `values of entry ${i}`);
  }
  assert.ok(
    read.some((e) => e.kind === 'call') && read.some((e) => e.kind === 'transaction'),
    'both kinds were compared',
  );
}

/** Every entry of a stream now after position `from`, in reads of up to 1,000. */
async function readEntries(stream: RecordStream, from = 0): Promise<StreamEntry[]> {
  const all = Array.from({ length: stream.partitions }, (_, i) => i);
  const out: StreamEntry[] = [];
  let cursor = from;
  for (;;) {
    const b = await stream.read(all, cursor, 1000, 20);
    if (b.length === 0) return out;
    out.push(...b.map((e) => e.entry));
    cursor = b.at(-1)!.cursor;
  }
}

/** A detection set as sorted lines (the whole detection: subject, score, window, evidence). */
const lines = (ds: readonly Detection[]) => ds.map((d) => JSON.stringify(d)).sort();

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'interdict-stream-'));
  await simulate({ people: 1000, days: 2, seed: 5, outDir: dir });
  batch = [];
  await runDetection(files(), allDetectors(), { emit: (d) => batch.push(d) });
  ref = await loadReference(files());
  records = [];
  for await (const r of mergeFiles(files())) records.push(r);
  database = await openTestDatabase();
  await migrateToLatest(database.db, streamMigrations);
});

after(async () => {
  await database?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Runs workers (one per partition set) over the stream to its end; all their detections. */
async function runWorkers(
  stream: RecordStream,
  sets: number[][],
  opts: {
    detectors?: () => Detector[];
    files?: boolean;
    pii?: PiiCipher;
    reportFrom?: number;
    observer?: WorkerOptions['observer'];
  } = {},
): Promise<{ detections: Detection[]; workers: DetectionWorker[] }> {
  const detections: Detection[] = [];
  const files = opts.files ?? true;
  const workers = sets.map(
    (partitions) =>
      new DetectionWorker({
        stream,
        partitions,
        detectors: opts.detectors ?? allDetectors,
        cards: files ? ref.cards : [],
        accounts: files ? ref.accounts : [],
        ...(opts.pii ? { pii: opts.pii } : {}),
        ...(opts.reportFrom !== undefined ? { reportFrom: opts.reportFrom } : {}),
        ...(opts.observer ? { observer: opts.observer } : {}),
        sink: async (ds) => void detections.push(...ds),
        waitMs: 50,
      }),
  );
  for (const w of workers) await w.start();
  await Promise.all(workers.map((w) => w.done));
  return { detections, workers };
}

async function freshEmbedded(partitions = 8): Promise<EmbeddedRecordStream> {
  await database.db.deleteFrom('detection_records').execute();
  await database.db.deleteFrom('detection_checkpoints').execute();
  return new EmbeddedRecordStream(database.db, partitions, 10);
}

/** Waits until the worker has processed everything published so far. */
async function caughtUp(w: DetectionWorker, stream: RecordStream): Promise<void> {
  const { gseq } = await stream.head();
  const end = Date.now() + 30_000;
  while (w.stats.gseq < gseq) {
    if (Date.now() > end) throw new Error(`worker stuck at gseq ${w.stats.gseq} of ${gseq}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('routing', () => {
  test('partition sets are parsed and named, partitions are stable and in range', () => {
    assert.deepEqual(parsePartitions('0-3,6', 8), [0, 1, 2, 3, 6]);
    assert.throws(() => parsePartitions('6-9', 8), /outside/);
    assert.throws(() => parsePartitions('x', 8), /not a partition/);
    assert.equal(partitionSetName([3, 0, 1, 2, 6], 8), 'p8:0-3,6');
    const p = partitionOf('msisdn', '+8613800000000', 8);
    assert.ok(p >= 0 && p < 8);
    assert.equal(partitionOf('msisdn', '+8613800000000', 8), p);
    const d = { subjectKind: 'msisdn', subject: '+8613800000000' } as Detection;
    assert.equal(ownerOf(d, 8), p);
  });
});

describe('the publisher orders records as the batch runner does', () => {
  test('files a little out of order publish the same sequence; before the last tick is rejected', async () => {
    const f = files();
    const moved = (file: string) => {
      const [header, ...rows] = fs.readFileSync(file, 'utf8').trimEnd().split('\n');
      const at = (r: string) => Date.parse(r.slice(0, r.indexOf(',')));
      for (let i = 3; i + 1 < rows.length; i += 25)
        if (at(rows[i]!) < at(rows[i + 1]!) && at(rows[i + 1]!) - at(rows[i]!) < 300_000)
          rows.splice(i, 2, rows[i + 1]!, rows[i]!);
      const out = file.replace(/\.csv$/, '.moved.csv');
      fs.writeFileSync(out, [header, ...rows].join('\n') + '\n');
      return out;
    };
    const calls = moved(f.calls);
    const transactions = moved(f.transactions);
    assert.notEqual(fs.readFileSync(calls, 'utf8'), fs.readFileSync(f.calls, 'utf8'));
    assert.notEqual(fs.readFileSync(transactions, 'utf8'), fs.readFileSync(f.transactions, 'utf8'));
    const key = (r: StreamRecord) =>
      r.kind === 'call' ? `c ${r.record.ts} ${r.record.caller} ${r.record.callee}` : `t ${r.record.txnId}`;
    const got: string[] = [];
    const rejected: string[] = [];
    for await (const r of mergeFiles({ calls, transactions }, (file, line, reason) =>
      rejected.push(`${file}:${line} ${reason}`),
    ))
      got.push(key(r));
    assert.deepEqual(rejected, []);
    assert.deepEqual(got, records.map(key));
    // A second publish after the stream's last tick: what is older is rejected, the rest kept.
    const floor = records[Math.floor(records.length / 2)]!.record.ts;
    const after: string[] = [];
    const late: string[] = [];
    for await (const r of mergeFiles({ calls, transactions }, (_file, _line, reason) => late.push(reason), {
      latenessMs: 300_000,
      floor,
    }))
      after.push(key(r));
    assert.deepEqual(after, records.filter((r) => r.record.ts >= floor).map(key));
    assert.equal(late.length, records.length - after.length);
    assert.ok(late.every((x) => /before the record stream's last tick/.test(x)));
    fs.rmSync(calls);
    fs.rmSync(transactions);
    for (const x of [calls, transactions]) fs.rmSync(`${x}.rejects.ndjson`, { force: true });
  });
});

describe('several files of a kind', () => {
  test('are published in the order the batch runner gives the detectors, each record once', async () => {
    const f = files();
    const split = (file: string): string[] => {
      const [header, ...rows] = fs.readFileSync(file, 'utf8').trimEnd().split('\n');
      return [0, 1].map((k) => {
        const out = file.replace(/\.csv$/, `.switch${k}.csv`);
        fs.writeFileSync(out, [header, ...rows.filter((_, i) => i % 2 === k)].join('\n') + '\n');
        return out;
      });
    };
    const calls = split(f.calls);
    const transactions = split(f.transactions);
    const key = (r: StreamRecord) =>
      r.kind === 'call' ? `c ${r.record.ts} ${r.record.caller} ${r.record.callee}` : `t ${r.record.txnId}`;
    const got: StreamRecord[] = [];
    for await (const r of mergeFiles({ calls, transactions })) got.push(r);
    assert.deepEqual(got.map(key).sort(), records.map(key).sort());
    assert.ok(got.every((r, i) => i === 0 || r.record.ts >= got[i - 1]!.record.ts));
    const seen: string[] = [];
    await runDetection({ ...f, calls, transactions }, [], {
      emit: () => undefined,
      observer: {
        onCall: (c) => void seen.push(key({ kind: 'call', record: c })),
        onDetections: () => undefined,
      },
    });
    assert.deepEqual(got.filter((r) => r.kind === 'call').map(key), seen);
    for (const x of [...calls, ...transactions]) fs.rmSync(x);
  });
});

describe('streamed call records get their numbers’ shared entries', () => {
  test('one entry and one string per number; numbers gone quiet for two generations lose theirs', () => {
    const DAY = 86_400_000;
    const entries = new NumberEntries(3, DAY);
    const call = (caller: string, callee: string, ts = 0): CallRecord => ({
      ...(sampleCall(0, 0).record as CallRecord),
      ts,
      caller,
      callee,
    });
    // Two string objects of one value, as two decoded records give.
    const a = call(['+86138', '00000001'].join(''), '+8613900000002');
    const b = call(['+861380', '0000001'].join(''), '+8613900000003');
    entries.link(a);
    entries.link(b);
    assert.equal(a.callerRef, b.callerRef, 'the same number, the same entry');
    assert.equal(a.callerRef!.value, '+8613800000001');
    assert.equal(b.caller, '+8613800000001');
    assert.notEqual(a.calleeRef, b.calleeRef);
    const first = a.callerRef!;
    // The young generation is full (3 numbers): a fourth starts a new one. A number of the last
    // generation keeps its entry when heard again ...
    entries.link(call('+8613900000004', '+8613900000005'));
    const c = call('+8613800000001', '+8613900000006');
    entries.link(c);
    assert.equal(c.callerRef, first, 'heard within a generation: kept');
    // ... one not heard for two generations (here a day of stream time each) gets a new entry;
    // the old entry stays whole for whoever holds it.
    entries.link(call('+8613900000007', '+8613900000008', DAY));
    entries.link(call('+8613900000009', '+8613900000010', 2 * DAY));
    const d = call('+8613800000001', '+8613900000011', 2 * DAY + 1);
    entries.link(d);
    assert.notEqual(d.callerRef, first, 'quiet for two generations: a new entry');
    assert.equal(first.value, '+8613800000001');
    assert.equal(first.hash, d.callerRef!.hash);
  });

  test('a worker links its own copies: the published records and other readers are untouched', async () => {
    const stream = new MemoryRecordStream(8);
    const some = records.slice(0, 300);
    await publishRecords(stream, some, { end: true });
    await runWorkers(stream, [ALL]);
    for (const r of some) if (r.kind === 'call') assert.equal(r.record.callerRef, undefined);
    const [x, y] = [await readEntries(stream), await readEntries(stream)];
    const i = x.findIndex((e) => e.kind === 'call');
    assert.notEqual(x[i], y[i]);
    assertSameShape(x, some);
  });
});

describe('checkpoint snapshots', () => {
  test('class instances come back with their prototypes, shared references and typed arrays', () => {
    const m = new ImeiState('862998030004768', 1000, '460001', '+8613800000001');
    m.note(2000, '460002', '+8613800000002', 'c1', 86_400_000, 86_400_000);
    // A card's partner window: 40 callees (its block grown from 16 slots to 128), one of them two-way.
    const ps = new PartnerWindows(86_400_000);
    const call = (caller: string, callee: string, ts: number): CallRecord => ({
      ...(sampleCall(0, 0).record as CallRecord),
      ts,
      caller,
      callee,
      origin: 'onnet',
    });
    const A = '+8613800000001';
    const B = (i: number) => `+86139${String(i).padStart(8, '0')}`;
    let n = 0;
    for (let i = 1; i <= 40; i++) n = ps.see(call(A, B(i), 1000 + i), n);
    n = ps.see(call(B(7), A, 2000), n);
    assert.equal(ps.calleeSocial, true);
    const state = {
      byCard: new Map([
        ['a', m],
        ['b', m],
      ]),
      partners: ps,
      seen: new Set(['x']),
    };
    const back = restore(snapshot(state)) as typeof state;
    const a = back.byCard.get('a')!;
    assert.ok(a instanceof ImeiState);
    assert.equal(a, back.byCard.get('b'), 'one IMEI shared by two cards stays one object');
    assert.deepEqual(a.imsis, ['460001', '460002']);
    a.note(3000, '460003', '+8613800000003', 'c1', 86_400_000, 86_400_000);
    assert.equal(a.imsis.length, 3, 'methods work on the restored instance');
    assert.ok(back.partners instanceof PartnerWindows);
    const w = back.partners.cards.get(A)!;
    assert.ok(w instanceof PartnerWindow);
    assert.deepEqual([w.outDistinct, w.social, w.cap], [40, 1, 128]);
    n = back.partners.see(call(A, B(5), 3000), n);
    assert.equal(back.partners.caller, w);
    assert.equal(w.outRepeat, 1, 'a known partner is still known');
    n = back.partners.see(call(A, B(41), 3001), n);
    assert.equal(w.outDistinct, 41);
    // The free blocks come back too: a new card growing to 32 slots takes the 32 A gave up.
    assert.deepEqual([...back.partners.free], [...ps.free]);
    const C = '+8613800000099';
    for (let i = 1; i <= 9; i++) n = back.partners.see(call(C, B(100 + i), 3002 + i), n);
    assert.deepEqual([back.partners.cards.get(C)!.cap, back.partners.cards.get(C)!.off], [32, 16]);
    assert.deepEqual([...back.seen], ['x']);
  });

  test('an instance of an unexported class is refused, naming where it is', () => {
    class Hidden {
      n = 1;
    }
    assert.throws(
      () => snapshot({ m: new Map([['k', new Hidden()]]) }),
      (err: unknown) => {
        assert.ok(err instanceof SnapshotError);
        assert.match(err.message, /\$\.m\.get\(k\).*Hidden/);
        return true;
      },
    );
    assert.doesNotThrow(() => snapshot(new Hidden(), detectorClasses(Hidden)));
  });

  test('a snapshot of another build’s detector state is refused before anything is put back', () => {
    const ds = allDetectors();
    const ctx = newContext(ref.cards, ref.accounts);
    for (const x of records.slice(0, Math.floor(records.length / 2)))
      for (const d of ds)
        if (x.kind === 'call') d.onCall?.(x.record, ctx);
        else d.onTransaction?.(x.record, ctx);
    for (const d of ds) d.drain(records[Math.floor(records.length / 2)]!.record.ts, false, ctx);
    assert.ok(ctx.flaggedNumbers.size > 0, 'the first half flagged numbers');
    const bytes = snapshotDetectors(ds, ctx);
    const held = ds.map(heldState);
    // The same build restores it.
    const same = allDetectors();
    const sameCtx = newContext(ref.cards, ref.accounts);
    restoreDetectors(bytes, same, sameCtx);
    assert.deepEqual(same.map(heldState), held);
    const windows = (d: Detector) => (d as unknown as { windows: unknown }).windows;
    assert.equal(windows(same[0]!), windows(same[1]!), 'simbox and fraud_caller still share their windows');
    assert.equal(sameCtx.flaggedNumbers.size, ctx.flaggedNumbers.size);
    assert.deepEqual(sameCtx.flaggedAccounts, ctx.flaggedAccounts);
    // The victims' payments potential_victim shares with mule_account come back too.
    if (ctx.victimPayments.size === 0) ctx.victimPayments.set('PAYEE', [{ payer: 'PAYER', at: 1 }]);
    const withPayments = newContext(ref.cards, ref.accounts);
    restoreDetectors(snapshotDetectors(ds, ctx), allDetectors(), withPayments);
    assert.deepEqual(withPayments.victimPayments, ctx.victimPayments);
    // A build whose state classes differ (here: one more class) refuses it and changes nothing.
    const other = detectorClasses(CallerCount);
    assert.notEqual(other.fingerprint(), detectorClasses().fingerprint());
    const fresh = allDetectors();
    const freshCtx = newContext(ref.cards, ref.accounts);
    assert.throws(
      () => restoreDetectors(bytes, fresh, freshCtx, other),
      (err: unknown) => {
        assert.ok(err instanceof StateMismatchError);
        assert.match(err.message, /another build/);
        return true;
      },
    );
    assert.deepEqual(fresh.map(heldState), allDetectors().map(heldState), 'the detectors are still fresh');
    assert.notDeepEqual(held, allDetectors().map(heldState), 'the snapshot held more than fresh detectors');
    assert.equal(freshCtx.flaggedNumbers.size, 0, 'no flag was put back');
    // A snapshot from before builds were recorded in it is refused the same way.
    const old = v8.serialize({
      detectors: ds.map((d) => ({ name: d.name, fields: {} })),
      flaggedNumbers: new Map(),
      flaggedAccounts: new Map(),
    });
    assert.throws(() => restoreDetectors(old, allDetectors(), newContext([], [])), /written before/);
  });
});

/**
 * The same detectors with their state out of reach behind closures, as a detector that is not
 * snapshot-able keeps it: a worker running them falls back to replaying.
 */
function asClosures(ds: Detector[]): Detector[] {
  return ds.map((d) => ({
    name: d.name,
    ...(d.onCall && { onCall: d.onCall.bind(d) }),
    ...(d.onTransaction && { onTransaction: d.onTransaction.bind(d) }),
    drain: d.drain.bind(d),
  }));
}

describe('the contact watch in a stream', () => {
  test('two workers hand out exactly the batch run’s warning triggers, each once', async () => {
    const key = (t: ContactTrigger) => JSON.stringify(t);
    const inBatch: ContactTrigger[] = [];
    await runDetection(files(), allDetectors(), {
      emit: () => undefined,
      observer: new ContactObserver(new ContactWatch(), (t) => inBatch.push(t)),
    });
    assert.ok(inBatch.length > 0, 'the world has long calls from flagged numbers');
    const stream = new MemoryRecordStream(8);
    await publishRecords(stream, records, { end: true });
    const inStream: ContactTrigger[] = [];
    const workers = [
      [0, 1, 2],
      [3, 4, 5, 6, 7],
    ].map(
      (partitions) =>
        new DetectionWorker({
          stream,
          partitions,
          detectors: allDetectors,
          cards: ref.cards,
          accounts: ref.accounts,
          sink: async () => undefined,
          waitMs: 50,
          observer: (owns) => new ContactObserver(new ContactWatch(), (t) => inStream.push(t), owns),
        }),
    );
    for (const w of workers) await w.start();
    await Promise.all(workers.map((w) => w.done));
    assert.deepEqual(inStream.map(key).sort(), inBatch.map(key).sort());
    // Nothing is listed here: every trigger's caller is a number the call detectors flagged.
    const flagged = new Set(batch.flatMap((d) => flagsOf(d)?.numbers ?? []));
    for (const t of inBatch) assert.ok(flagged.has(t.caller), `${t.caller} was flagged`);
  });

  test('a worker restarted from its checkpoint hands out exactly the uninterrupted run’s triggers', async () => {
    const key = (t: ContactTrigger) => JSON.stringify(t);
    const inBatch: ContactTrigger[] = [];
    await runDetection(files(), allDetectors(), {
      emit: () => undefined,
      observer: new ContactObserver(new ContactWatch(), (t) => inBatch.push(t)),
    });
    /** Two workers one after the other, the second from the first's checkpoint half-way. */
    const restarted = async (keepWatch: boolean) => {
      const stream = new MemoryRecordStream(8);
      const store = new MemoryCheckpointStore();
      const out: ContactTrigger[] = [];
      let settled = 0;
      const worker = () =>
        new DetectionWorker({
          stream,
          partitions: [0, 1, 2, 3, 4, 5, 6, 7],
          detectors: allDetectors,
          cards: ref.cards,
          accounts: ref.accounts,
          sink: async () => undefined,
          checkpoints: store,
          waitMs: 10,
          observer: (owns) => {
            const o = new ContactObserver(
              new ContactWatch(),
              (t) => out.push(t),
              owns,
              async () => void settled++,
            );
            // Without its state in the checkpoint, the watch starts empty after the restart.
            return keepWatch
              ? o
              : { onCall: (r) => o.onCall(r), onDetections: (ds, n) => o.onDetections(ds, n) };
          },
        });
      const half = Math.floor(records.length / 2);
      await publishRecords(stream, records.slice(0, half));
      const first = worker();
      await first.start();
      await caughtUp(first, stream);
      await first.stop();
      await publishRecords(stream, records.slice(half), { end: true });
      const second = worker();
      await second.start();
      await second.done;
      assert.equal(second.stats.mode, 'snapshot');
      return { out, settled };
    };
    const kept = await restarted(true);
    assert.ok(kept.settled > 0, 'the triggers were settled before a checkpoint');
    assert.equal(new Set(kept.out.map(key)).size, kept.out.length, 'no trigger twice');
    assert.deepEqual(kept.out.map(key).sort(), inBatch.map(key).sort());
    // The same restart with a watch that forgets: long calls held before the checkpoint no longer
    // warn when their caller is flagged after it.
    const forgot = await restarted(false);
    assert.notDeepEqual(forgot.out.map(key).sort(), inBatch.map(key).sort());
  });
});

const ALL = [0, 1, 2, 3, 4, 5, 6, 7];

/** A checkpointing worker on every partition with the world's cards and accounts; detections to `out`. */
/** A consumer card for the reference-data tests: number and IMSI from `i`, given back at `cancelledAt` if set. */
function streamCard(i: number, holderId: string, activatedAt: number, cancelledAt?: number): CardRecord {
  return {
    msisdn: `+861370000${String(i).padStart(4, '0')}`,
    imsi: `46000100000${String(i).padStart(4, '0')}`,
    holderId,
    holderRegion: '110101',
    cardType: 'consumer',
    activatedAt,
    operator: 'cmcc',
    ...(cancelledAt !== undefined && { cancelledAt }),
  };
}

/**
 * A fresh in-memory record stream over an empty checkpoint table, the table's store and where a
 * worker's detections go: the start of every stop-and-restart test.
 */
async function restartable(): Promise<{
  stream: MemoryRecordStream;
  store: DbCheckpointStore;
  out: Detection[];
}> {
  await database.db.deleteFrom('detection_checkpoints').execute();
  return { stream: new MemoryRecordStream(8), store: new DbCheckpointStore(database.db, pii), out: [] };
}

function checkpointed(
  stream: RecordStream,
  store: CheckpointStore,
  out: Detection[],
  o: Partial<WorkerOptions> = {},
): DetectionWorker {
  return new DetectionWorker({
    stream,
    partitions: ALL,
    detectors: allDetectors,
    cards: ref.cards,
    accounts: ref.accounts,
    sink: async (ds) => void out.push(...ds),
    checkpoints: store,
    waitMs: 10,
    ...o,
  });
}

/**
 * What the restart tests share: a first worker reads half the world and stops (checkpointing);
 * `between` looks at what it left; the rest arrives while no worker runs, and a second worker
 * takes over to the end.
 */
async function stopHalfwayThenResume(
  stream: RecordStream,
  make: (nth: number) => DetectionWorker,
  between: (first: DetectionWorker) => Promise<void> = async () => undefined,
): Promise<{ first: DetectionWorker; second: DetectionWorker; half: number }> {
  const half = Math.floor(records.length / 2);
  const { first, second } = await stopThenResume(
    stream,
    make,
    () => publishRecords(stream, records.slice(0, half)),
    () => publishRecords(stream, records.slice(half), { end: true }),
    between,
  );
  return { first, second, half };
}

/**
 * The same with any two publishes: a first worker reads what `publishFirst` put in and stops
 * (checkpointing); `between` looks at what it left; `publishRest` (which ends the input) runs while
 * no worker does, and a second worker takes over to the end.
 */
async function stopThenResume(
  stream: RecordStream,
  make: (nth: number) => DetectionWorker,
  publishFirst: () => Promise<unknown>,
  publishRest: () => Promise<unknown>,
  between: (first: DetectionWorker) => Promise<void> = async () => undefined,
): Promise<{ first: DetectionWorker; second: DetectionWorker }> {
  await publishFirst();
  const first = make(0);
  await first.start();
  await caughtUp(first, stream);
  await first.stop();
  await between(first);
  await publishRest();
  const second = make(1);
  await second.start();
  await second.done;
  return { first, second };
}

describe('streaming detection on the embedded record stream', () => {
  test('one worker on every partition gives exactly the batch run’s detections', async () => {
    const stream = await freshEmbedded();
    await publishRecords(stream, records, { end: true });
    const { detections, workers } = await runWorkers(stream, [[0, 1, 2, 3, 4, 5, 6, 7]]);
    assert.ok(batch.length > 50, `a world with detections (${batch.length})`);
    assert.equal(workers[0]!.stats.records, records.length);
    assert.deepEqual(lines(detections), lines(batch));
  });

  test('with --report-from, workers give the batch run’s detections from that time and withhold the same history', async () => {
    // The world's second day: its first is history the detectors learn from.
    const from = Date.parse('2026-11-03T00:00:00+08:00');
    const kept: Detection[] = [];
    const whole = await runDetection(files(), allDetectors(), {
      emit: (d) => kept.push(d),
      reportFrom: from,
    });
    assert.ok(
      whole.withheld > 0 && kept.length > 0,
      `history withheld (${whole.withheld}), the rest reported`,
    );
    const stream = await freshEmbedded();
    await publishRecords(stream, records, { end: true });
    // The contact watch sees the history (a number flagged after it warns the people it held long
    // calls with just before) but hands out nothing while the worker reads it. Every number counts
    // as listed here, so that the history has triggers.
    const seen: ContactTrigger[] = [];
    const handed: ContactTrigger[] = [];
    /** Per callee, its last trigger of the history (not handed out). */
    const historyOf = new Map<string, number>();
    for (const sets of [
      [ALL],
      [
        [0, 1, 2, 3],
        [4, 5, 6, 7],
      ],
    ]) {
      const { detections, workers } = await runWorkers(stream, sets, {
        reportFrom: from,
        ...(sets.length === 1 && {
          observer: (owns, replaying, history) => {
            const watch = new ContactWatch({}, () => true);
            return new ContactObserver(
              watch,
              (t) => {
                seen.push(t);
                if (history()) {
                  historyOf.set(t.callee, t.at);
                  watch.unwarn(t);
                } else if (!replaying()) handed.push(t);
              },
              owns,
            );
          },
        }),
      });
      assert.deepEqual(lines(detections), lines(kept), `${sets.length} worker(s)`);
      assert.equal(
        workers.reduce((n, w) => n + w.stats.withheld, 0),
        whole.withheld,
        `${sets.length} worker(s): each history detection withheld by its owner`,
      );
    }
    assert.ok(
      seen.some((t) => t.at < from) && handed.length > 0,
      `triggers in the history (${seen.length} in all) and after it (${handed.length})`,
    );
    for (const t of handed) assert.ok(t.at >= from, `${new Date(t.at).toISOString()} is not history`);
    // A callee whose trigger in the history was not handed out is warned after it, within the
    // watch's episode (24 h) of the one not handed out.
    assert.ok(
      handed.some((t) => t.at - (historyOf.get(t.callee) ?? -Infinity) < 24 * 3_600_000),
      'warned after a trigger of the history',
    );
  });

  test('records come back in the file reader’s shape: the same fields, in the same order', async () => {
    const stream = await freshEmbedded();
    const some = records.slice(0, 400);
    await publishRecords(stream, some);
    assertSameShape(await readEntries(stream), some);
  });

  test('records are packed into rows, read back in order with any limit, resumed inside a row; rows of earlier builds still read', async () => {
    const stream = await freshEmbedded();
    // Two rows as the table held them before packing: one record each.
    const old = records.slice(0, 2);
    await database.db
      .insertInto('detection_records')
      .values(
        old.map((r, i) => ({
          gseq: i + 1,
          partitions: null,
          kind: r.kind,
          payload: JSON.stringify(r.record),
        })),
      )
      .execute();
    // A row packed as builds before positional entries packed it: `{g, k, r}` objects.
    const v1 = records.slice(2, 5);
    await database.db
      .insertInto('detection_records')
      .values({
        gseq: 5,
        partitions: null,
        kind: 'pack',
        payload: JSON.stringify(v1.map((r, i) => ({ g: 3 + i, k: r.kind, r: r.record }))),
      })
      .execute();
    const day = records.slice(5, 1505);
    await publishRecords(stream, day, { end: true });
    const newest = await database.db
      .selectFrom('detection_records')
      .select('payload')
      .where('kind', '=', 'pack')
      .orderBy('gseq', 'desc')
      .executeTakeFirstOrThrow();
    assert.ok(Array.isArray((JSON.parse(newest.payload) as unknown[])[0]), 'entries are written positional');
    const { gseq, ended } = await stream.head();
    assert.equal(ended, true);
    const rows = await database.db.selectFrom('detection_records').select(['kind']).execute();
    assert.ok(
      rows.some((r) => r.kind === 'pack'),
      'some rows hold several records',
    );
    assert.ok(rows.length < gseq / 2, `${gseq} entries in ${rows.length} rows`);
    const all: { gseq: number; cursor: number }[] = [];
    let cursor = 0;
    for (;;) {
      const b = await stream.read([0, 1, 2, 3, 4, 5, 6, 7], cursor, 3, 10);
      if (b.length === 0) break;
      assert.ok(b.length <= 3, 'a read returns at most its limit');
      all.push(...b.map((e) => ({ gseq: e.entry.gseq, cursor: e.cursor })));
      cursor = b.at(-1)!.cursor;
    }
    assert.deepEqual(
      all.map((e) => e.gseq),
      Array.from({ length: gseq }, (_, i) => i + 1),
    );
    assertSameShape(await readEntries(stream), [...old, ...v1, ...day]);
    // From a position inside a packed row, by a reader that has not read before.
    const packed = await database.db
      .selectFrom('detection_records')
      .select(['gseq', 'payload'])
      .where('kind', '=', 'pack')
      .orderBy('gseq')
      .executeTakeFirstOrThrow();
    const inside = Number(packed.gseq) - 1;
    const rest = await readEntries(new EmbeddedRecordStream(database.db, 8, 10), inside);
    assert.deepEqual(
      rest.map((e) => e.gseq),
      Array.from({ length: gseq - inside }, (_, i) => inside + 1 + i),
    );
  });

  test('a worker restored from its checkpoint continues without reporting anything twice', async () => {
    const stream = await freshEmbedded();
    const store = new DbCheckpointStore(database.db, pii);
    const out: Detection[] = [];
    const detectors = () => asClosures(allDetectors());
    const { second } = await stopHalfwayThenResume(
      stream,
      () => checkpointed(stream, store, out, { detectors }),
      async (first) => {
        const saved = await store.load(first.name);
        assert.ok(saved && saved.gseq > 0, 'stopping saved a checkpoint');
        assert.ok(out.length > 0, 'the first half already reported some');
      },
    );
    assert.equal(second.stats.mode, 'replay', 'closure detectors: state rebuilt by replay');
    assert.ok(second.stats.replayed > 0, 'what the first worker reported was withheld');
    assert.equal(new Set(lines(out)).size, out.length, 'nothing reported twice');
    assert.deepEqual(lines(out), lines(batch));
  });

  test('with state snapshots a restored worker resumes after its position, not from the start', async () => {
    const stream = await freshEmbedded();
    const store = new MemoryCheckpointStore();
    const out: Detection[] = [];
    const { second, half } = await stopHalfwayThenResume(
      stream,
      () =>
        checkpointed(stream, store, out, {
          detectors: () => [new BusyCaller()],
          classes: detectorClasses(BusyCaller, CallerCount),
        }),
      async (first) => assert.equal(first.stats.mode, 'snapshot'),
    );
    assert.ok(second.stats.records < records.length - half + 10, 'the second worker read only the rest');
    // The uninterrupted run, for comparison.
    const whole = await runWorkers(stream, [[0, 1, 2, 3, 4, 5, 6, 7]], {
      detectors: () => [new BusyCaller()],
    });
    assert.ok(whole.detections.length > 5, `busy callers found (${whole.detections.length})`);
    assert.equal(new Set(lines(out)).size, out.length, 'nothing reported twice');
    assert.deepEqual(lines(out), lines(whole.detections));
  });
  test('detectors keeping state in their fields (mule_account, potential_victim) resume from a snapshot', async () => {
    const detectors = () => [muleAccountDetector(), potentialVictimDetector()];
    assert.ok(detectors().every(isSnapshotable), 'both keep their state in their own fields');
    const whole = new MemoryRecordStream(8);
    await publishRecords(whole, records, { end: true });
    const expected = (await runWorkers(whole, [ALL], { detectors })).detections;
    assert.ok(expected.length > 20, `mules found (${expected.length})`);
    const { stream, store, out } = await restartable();
    const { second, half } = await stopHalfwayThenResume(
      stream,
      () => checkpointed(stream, store, out, { detectors }),
      async (first) => assert.ok((await store.load(first.name))?.state, 'the state was saved'),
    );
    assert.equal(second.stats.mode, 'snapshot');
    assert.equal(second.stats.records, records.length - half, 'the second worker read only the rest');
    assert.equal(new Set(lines(out)).size, out.length, 'nothing reported twice');
    assert.deepEqual(lines(out), lines(expected));
  });

  test('all built-in detectors resume from a snapshot, reading only the rest of the stream', async () => {
    assert.ok(allDetectors().every(isSnapshotable), 'every built-in detector keeps its state in its fields');
    const { stream, store, out } = await restartable();
    const { second, half } = await stopHalfwayThenResume(
      stream,
      () => checkpointed(stream, store, out),
      async (first) => {
        assert.equal(first.stats.mode, 'snapshot');
        assert.ok((await store.load(first.name))?.state, 'the state was saved');
        const before = new Set<string>(out.map((d) => d.detector));
        for (const name of ['simbox', 'fraud_caller', 'card_limit'])
          assert.ok(before.has(name), `the first half already reported ${name}`);
      },
    );
    assert.equal(second.stats.mode, 'snapshot');
    assert.equal(second.stats.records, records.length - half, 'the second worker read only the rest');
    assert.equal(second.stats.replayed, 0, 'nothing was replayed');
    assert.equal(new Set(lines(out)).size, out.length, 'nothing reported twice');
    // The batch run is the uninterrupted run (one worker on every partition gives exactly it, above).
    assert.deepEqual(lines(out), lines(batch));
  });

  test('a worker saves the parameters it runs with; a restart with others says so, and status shows workers that differ', async () => {
    const { stream, store, out } = await restartable();
    const before = paramsFingerprint();
    const lower = parseDetectorParams('{"card_limit": {"nationalLimit": 3}}', 'test');
    const after = paramsFingerprint(lower);
    assert.notEqual(before, after);
    assert.equal(
      paramsFingerprint(parseDetectorParams('{"simbox": {"windowMs": 86400000}}', 'test')),
      before,
    );
    const { first, second } = await stopHalfwayThenResume(
      stream,
      (nth) =>
        nth === 0
          ? checkpointed(stream, store, out, { params: before })
          : checkpointed(stream, store, out, { detectors: () => allDetectors(lower), params: after }),
      async (w) => {
        assert.equal((await store.load(w.name))!.params, before, 'saved with the checkpoint');
        assert.equal(w.stats.paramsChanged, undefined);
      },
    );
    assert.equal(first.stats.paramsChanged, undefined);
    assert.equal(second.stats.paramsChanged, `${before} → ${after}`);
    assert.equal((await store.load(second.name))!.params, after);

    // A second worker of the stream checkpointed with the defaults: both are shown as differing.
    const status = () =>
      recordStreamStatus(database.db, stream, { recordStreamKeepMs: 7 * 86_400_000, ...DEFAULT_FEED_TIMES });
    const saved = (await store.load(second.name))!;
    await store.save({ ...saved, worker: 'p8:other', params: before });
    let st = await status();
    assert.deepEqual(
      st.workers.map((w) => [w.worker, w.params, w.paramsDiffer]),
      [
        [second.name, after, true],
        ['p8:other', before, true],
      ].sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
    );
    // The same parameters, or one saved before they were recorded: nothing differs.
    await store.save({ ...saved, worker: 'p8:other', params: after });
    st = await status();
    assert.ok(st.workers.every((w) => !w.paramsDiffer));
    // Against the platform's configuration (the defaults here): the worker that ran the lower limit
    // is off the platform's parameters, the one that ran the defaults is not.
    await store.save({ ...saved, worker: 'p8:other', params: before });
    const configured = await recordStreamStatus(database.db, stream, {
      recordStreamKeepMs: 7 * 86_400_000,
      ...DEFAULT_FEED_TIMES,
      detectorParamsFile: undefined,
    });
    assert.equal(configured.platformParams, before);
    assert.deepEqual(
      configured.workers.map((w) => [w.worker, w.paramsOffPlatform]),
      [
        [second.name, true],
        ['p8:other', false],
      ].sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
    );
    assert.equal(st.platformParams, null, 'without a configuration nothing is compared');
    assert.ok(st.workers.every((w) => !w.paramsOffPlatform));
    await store.save({ ...saved, worker: 'p8:other', params: null });
    st = await status();
    assert.deepEqual(
      st.workers.map((w) => [w.params, w.paramsDiffer]).sort(),
      [
        [after, false],
        [null, false],
      ].sort(),
    );
  });

  test('a worker whose detectors moved their clocks’ origins resumes on the saved clocks', async () => {
    // Origins moved at every sweep (src/detection/detectors/common.ts, Clock): the snapshot holds
    // times on moved origins, and the clocks that say where.
    const made: Detector[][] = [];
    const moving = () => {
      const ds = movingClocks(allDetectors(), 1);
      made.push(ds);
      return ds;
    };
    const { stream, store, out } = await restartable();
    const { second } = await stopHalfwayThenResume(stream, () =>
      checkpointed(stream, store, out, { detectors: moving }),
    );
    assert.equal(second.stats.mode, 'snapshot');
    assert.equal(second.stats.replayed, 0, 'nothing was replayed');
    const firstRecord = Math.min(...records.map((r) => r.record.ts));
    const moved = (made[0]![0] as SimboxDetector).clock;
    assert.ok(moved.origin > firstRecord + 86_400_000, `the first worker's origin moved (${moved.origin})`);
    assert.equal(new Set(lines(out)).size, out.length, 'nothing reported twice');
    assert.deepEqual(lines(out), lines(batch));
  });
});

describe('checkpoint state is personal data: encrypted at rest', () => {
  /** Every holder id of the world's cards: what the state must not show in the clear. */
  const holders = () => [...new Set(ref.cards.map((c) => c.holderId))].filter((h) => h.length >= 8);
  const clearIn = (bytes: Uint8Array) => {
    const text = Buffer.from(bytes).toString('latin1');
    return holders().filter((h) => text.includes(h));
  };

  test('the saved state names no holder in the clear; it restores, and a worker resumes from it', async () => {
    const { stream, store, out } = await restartable();
    let plain: Uint8Array | null = null;
    const { second } = await stopHalfwayThenResume(
      stream,
      () => checkpointed(stream, store, out),
      async (first) => {
        const row = await database.db
          .selectFrom('detection_checkpoints')
          .select(['state', 'state_key'])
          .where('worker', '=', first.name)
          .executeTakeFirstOrThrow();
        assert.equal(row.state_key, 'k1');
        plain = (await store.load(first.name))!.state;
        assert.ok(plain && plain.length > 1000, 'a state was saved');
        // The plain snapshot does hold holders (potential_victim keys its persons by them): the
        // check below would catch them.
        assert.ok(clearIn(plain).length > 10, 'the snapshot itself names holders');
        assert.deepEqual(clearIn(row.state!), [], 'the stored row names none');
        assert.notDeepEqual(Buffer.from(row.state!), Buffer.from(plain));
      },
    );
    assert.equal(second.stats.mode, 'snapshot');
    assert.equal(second.stats.rebuilt, undefined, 'restored, not rebuilt');
    assert.equal(second.stats.replayed, 0);
    assert.deepEqual(lines(out), lines(batch));
  });

  test('a state saved before encryption is read as it was, and encrypted at the next save', async () => {
    await database.db.deleteFrom('detection_checkpoints').execute();
    const store = new DbCheckpointStore(database.db, pii);
    const state = new Uint8Array([1, 2, 3, 250]);
    await database.db
      .insertInto('detection_checkpoints')
      .values({
        worker: 'old',
        partitions: '0,1',
        cursor: 7,
        gseq: 9,
        ended: false,
        state: Buffer.from(state),
      })
      .execute();
    const cp = await store.load('old');
    assert.deepEqual(
      { ...cp, state: [...cp!.state!] },
      // Saved before parameters were recorded: none known.
      {
        worker: 'old',
        partitions: [0, 1],
        cursor: 7,
        gseq: 9,
        ended: false,
        state: [...state],
        params: null,
      },
    );
    await store.save({ ...cp!, gseq: 10 });
    const row = await database.db
      .selectFrom('detection_checkpoints')
      .select(['state', 'state_key'])
      .where('worker', '=', 'old')
      .executeTakeFirstOrThrow();
    assert.equal(row.state_key, 'k1');
    assert.notDeepEqual([...row.state!], [...state]);
    assert.deepEqual([...(await store.load('old'))!.state!], [...state]);
  });

  test('a state whose key is gone, or that was tampered with, is rebuilt by replay; nothing twice', async () => {
    const stream = await freshEmbedded();
    const store = new DbCheckpointStore(database.db, pii);
    const out: Detection[] = [];
    // The second worker runs with a key set that no longer holds k1.
    const other = new PiiCipher([{ id: 'k9', key: crypto.randomBytes(32) }], lookupKey);
    const { second } = await stopHalfwayThenResume(stream, (nth) =>
      checkpointed(stream, nth === 0 ? store : new DbCheckpointStore(database.db, other), out),
    );
    assert.match(second.stats.rebuilt ?? '', /cannot be decrypted \(no key "k1"/);
    assert.ok(second.stats.replayed > 0, 'what the first worker reported was withheld');
    assert.equal(new Set(lines(out)).size, out.length, 'nothing reported twice');
    assert.deepEqual(lines(out), lines(batch));

    // A flipped byte fails authentication: the same fallback, never a crash or a wrong state.
    const row = await database.db
      .selectFrom('detection_checkpoints')
      .select(['worker', 'state'])
      .executeTakeFirstOrThrow();
    const bad = Buffer.from(row.state!);
    bad[bad.length >> 1]! ^= 1;
    await database.db
      .updateTable('detection_checkpoints')
      .set({ state: bad })
      .where('worker', '=', row.worker)
      .execute();
    const cp = await new DbCheckpointStore(database.db, other).load(row.worker);
    assert.equal(cp!.state, null);
    assert.match(cp!.stateError!, /failed authentication/);
  });

  test('key rotation re-encrypts checkpoint states byte for byte; the old key can then go', async () => {
    const db2 = await openTestDatabase();
    try {
      await migrateToLatest(db2.db, allMigrations);
      const store = new DbCheckpointStore(db2.db, pii);
      const state = crypto.randomBytes(5000);
      await store.save({ worker: 'p8:0-7', partitions: [0], cursor: 1, gseq: 2, ended: false, state });
      await store.save({
        worker: 'replaying',
        partitions: [1],
        cursor: 0,
        gseq: 5,
        ended: false,
        state: null,
      });
      assert.deepEqual((await piiKeyUsage(db2.db)).detection_checkpoints, { k1: 1 });
      const k2 = crypto.randomBytes(32);
      const rotated = new PiiCipher(
        [
          { id: 'k2', key: k2 },
          { id: 'k1', key: k1 },
        ],
        lookupKey,
      );
      const r = await rotatePiiKeys(db2.db, rotated, SYSTEM);
      assert.equal(r.remaining, 0);
      assert.deepEqual((await piiKeyUsage(db2.db)).detection_checkpoints, { k2: 1 });
      const onlyNew = new PiiCipher([{ id: 'k2', key: k2 }], lookupKey);
      const back = await new DbCheckpointStore(db2.db, onlyNew).load('p8:0-7');
      assert.equal(back!.stateError, undefined);
      assert.ok(Buffer.from(back!.state!).equals(state), 'the binary state survived as bytes');
    } finally {
      await db2.close();
    }
  });
});

describe('cards and accounts published into the stream', () => {
  /** Holder ids long enough not to occur by chance in other text. */
  const holderIds = () => [...new Set(ref.cards.map((c) => c.holderId))].filter((h) => h.length >= 8);

  test('workers started without files get them from the stream: the batch run’s detections; holders sealed', async () => {
    const stream = await freshEmbedded();
    await publishRecords(stream, records, { end: true, reference: ref, pii });
    const rows = await database.db.selectFrom('detection_records').select('payload').execute();
    const text = rows.map((r) => r.payload).join('\n');
    assert.ok(text.includes(ref.cards[0]!.msisdn), 'the cards are in the stream');
    assert.deepEqual(
      holderIds().filter((h) => text.includes(h)),
      [],
      'no holder id in the clear',
    );
    const { detections, workers } = await runWorkers(stream, [[0, 1, 2, 3, 4, 5, 6, 7]], {
      files: false,
      pii,
    });
    assert.equal(workers[0]!.stats.reference, ref.cards.length + ref.accounts.length);
    assert.equal(workers[0]!.stats.records, records.length, 'reference entries are not records');
    for (const name of ['card_limit', 'potential_victim', 'fraud_caller'])
      assert.ok(
        detections.some((d) => d.detector === name),
        `${name} fired (it needs the cards and accounts)`,
      );
    assert.deepEqual(lines(detections), lines(batch));
    // Two workers split the output, as with files.
    const two = await runWorkers(
      stream,
      [
        [0, 1, 2, 3],
        [4, 5, 6, 7],
      ],
      { files: false, pii },
    );
    assert.deepEqual(lines(two.detections), lines(batch));
  });

  test('a sealed holder needs the keys: a worker without them stops with a clear error', async () => {
    const stream = new MemoryRecordStream(8);
    await publishRecords(stream, records.slice(0, 10), {
      end: true,
      reference: { cards: ref.cards.slice(0, 3) },
      pii,
    });
    let failed: unknown = null;
    const w = new DetectionWorker({
      stream,
      partitions: ALL,
      detectors: allDetectors,
      sink: async () => undefined,
      waitMs: 10,
      onError: (err) => (failed = err),
    });
    await w.start();
    await w.done;
    assert.match(String(failed), /holder is sealed; the worker needs the personal-data keys/);
  });

  test('a restarted worker keeps what the stream gave it: the snapshot holds it', async () => {
    const { stream, store, out } = await restartable();
    await publishRecords(stream, [], { reference: ref, pii });
    const { first, second } = await stopHalfwayThenResume(stream, () =>
      checkpointed(stream, store, out, { cards: [], accounts: [], pii }),
    );
    assert.equal(first.stats.reference, ref.cards.length + ref.accounts.length);
    assert.equal(second.stats.reference, 0, 'the second worker read no reference entry');
    assert.equal(second.stats.mode, 'snapshot');
    assert.equal(second.stats.replayed, 0);
    assert.equal(new Set(lines(out)).size, out.length, 'nothing reported twice');
    assert.deepEqual(lines(out), lines(batch));
  });

  test('cards given back are withdrawn when stream time reaches their cancellation, and stay so after a restart', async () => {
    const { stream, store, out } = await restartable();
    const t0 = Date.parse('2026-11-02T09:00:00+08:00');
    const card = (i: number, holderId: string, cancelledAt?: number) =>
      streamCard(i, holderId, t0 - 400 * 86_400_000, cancelledAt);
    // Seven cards ever in one name, two given back a day before the records start: five in service.
    const returned = Array.from({ length: 7 }, (_, i) =>
      card(i, 'H-returned-0001', i < 2 ? t0 - 86_400_000 : undefined),
    );
    const make = () =>
      checkpointed(stream, store, out, {
        cards: [],
        accounts: [],
        pii,
        detectors: () => [cardLimitDetector()],
      });
    const later = t0 + 3 * 3_600_000;
    const { first, second } = await stopThenResume(
      stream,
      make,
      () =>
        publishRecords(
          stream,
          Array.from({ length: 20 }, (_, i) => sampleCall(i, t0)),
          { reference: { cards: returned }, pii },
        ),
      // A new card in another name later changes the cards, and card_limit rescans: a restored
      // worker that had put the two cancelled cards back would now see seven.
      () =>
        publishRecords(
          stream,
          Array.from({ length: 10 }, (_, i) => sampleCall(i, later)),
          { reference: { cards: [card(100, 'H-other-00001')] }, pii, end: true },
        ),
      async (first) => {
        // The checkpoint keeps the five in service, not the two withdrawn: it would grow with history.
        const saved = await store.load(first.name);
        const kept = restoreDetectors(saved!.state!, [cardLimitDetector()], newContext([], []));
        assert.deepEqual(
          kept.reference.cards.map((c) => c.msisdn),
          returned.slice(2).map((c) => c.msisdn),
        );
      },
    );
    assert.equal(first.stats.reference, 7);
    assert.equal(second.stats.mode, 'snapshot');
    assert.equal(second.stats.reference, 1);
    assert.deepEqual(out, [], 'no holder over the limit');
    // A snapshot puts back the cards as they were, the withdrawn ones withdrawn, at the same version.
    const before = newContext([], []);
    for (const c of returned) addCard(before, c);
    withdrawEnded(before, t0);
    const snap = snapshotDetectors([cardLimitDetector()], before, undefined, undefined, {
      cards: returned,
      accounts: [],
    });
    const after = newContext([], []);
    restoreDetectors(snap, [cardLimitDetector()], after);
    assert.equal(after.cardsByHolder.get('H-returned-0001')!.length, 5);
    assert.equal(after.cardsByMsisdn.has(returned[0]!.msisdn), false);
    assert.equal(after.nextWithdrawalAt, Infinity);
    assert.equal(after.cardsVersion, before.cardsVersion);
    // The same entries in one batch of files give the same: nothing.
    const ctx = newContext([...returned, card(100, 'H-other-00001')], []);
    withdrawEnded(ctx, t0);
    assert.equal(ctx.cardsByHolder.get('H-returned-0001')!.length, 5);
    assert.deepEqual(cardLimitDetector().drain(t0, true, ctx), []);
    // Without the cancellations the same holder is over the limit: the test can tell.
    const ignoring = newContext(
      returned.map(({ cancelledAt: _, ...c }) => c),
      [],
    );
    assert.deepEqual(
      cardLimitDetector()
        .drain(t0, true, ignoring)
        .map((d) => d.subject),
      ['H-returned-0001'],
    );
  });

  test('a streamed card that replaced a file’s card and was then given back stays in the checkpoint', async () => {
    const { stream, store, out } = await restartable();
    const t0 = Date.parse('2026-11-02T09:00:00+08:00');
    const DAY = 86_400_000;
    // The files: six cards in one name, over the limit of five.
    const files = Array.from({ length: 6 }, (_, i) => streamCard(i, 'H-six-000001', t0 - 900 * DAY));
    // The stream: the first number went to someone else, who gave it back before the records.
    const recycled = streamCard(0, 'H-next-00001', t0 - 100 * DAY, t0 - DAY);
    const make = () =>
      checkpointed(stream, store, out, {
        cards: files,
        accounts: [],
        pii,
        detectors: () => [cardLimitDetector()],
      });
    const { second } = await stopThenResume(
      stream,
      make,
      () =>
        publishRecords(
          stream,
          Array.from({ length: 5 }, (_, i) => sampleCall(i, t0)),
          { reference: { cards: [recycled] }, pii },
        ),
      // A card in another name changes the cards: card_limit counts again.
      () =>
        publishRecords(
          stream,
          Array.from({ length: 5 }, (_, i) => sampleCall(i, t0 + 3_600_000)),
          { reference: { cards: [streamCard(50, 'H-other-00001', t0 - 10 * DAY)] }, pii, end: true },
        ),
    );
    assert.equal(second.stats.mode, 'snapshot');
    // Five cards left in the name, after the restart too: the withdrawn card is kept to replace the file's again.
    assert.deepEqual(out, []);
  });

  test('a closed account published after the present one of its number changes nothing, also after a restart; closings are withdrawn', async () => {
    const { stream, store, out } = await restartable();
    const t0 = Date.parse('2026-11-02T09:00:00+08:00');
    const DAY = 86_400_000;
    const FRAUD = '+8617000000099';
    const VICTIM = '+8613800000001';
    const cards: CardRecord[] = [VICTIM, FRAUD].map((msisdn, i) => ({
      msisdn,
      imsi: `46000100000000${i}`,
      holderId: i === 0 ? 'ID-VIC' : 'ID-DEALT',
      holderRegion: '110101',
      cardType: 'consumer',
      activatedAt: t0 - 900 * DAY,
      operator: 'cmcc',
    }));
    // A reissued account number: its former holder's, closed, then the victim's.
    const base = { account: 'W-1', institution: 'PAY', accountType: 'personal' as const };
    const present: AccountRecord = { ...base, holderId: 'ID-VIC', openedAt: t0 - 100 * DAY };
    const former: AccountRecord = {
      ...base,
      holderId: 'ID-FORMER',
      openedAt: t0 - 900 * DAY,
      closedAt: t0 - 200 * DAY,
    };
    const make = () =>
      checkpointed(stream, store, out, {
        cards,
        accounts: [],
        pii,
        listed: (kind, v) => kind === 'phone' && v === FRAUD,
        detectors: () => [potentialVictimDetector()],
      });
    const call: CallRecord = {
      ts: t0,
      kind: 'voice',
      caller: FRAUD,
      callee: VICTIM,
      durationS: 1500,
      imsi: null,
      imei: null,
      cellId: null,
      origin: 'offnet',
    };
    const payment = {
      ts: t0 + 3 * 3_600_000,
      txnId: 'T-1',
      payer: 'W-1',
      payee: 'MULE',
      amount: 4_800_000,
      currency: 'CNY',
      channel: 'mobile',
    };
    const { first, second } = await stopThenResume(
      stream,
      make,
      () =>
        publishRecords(stream, [{ kind: 'call', record: call }], {
          reference: { accounts: [present, former] },
          pii,
        }),
      () => publishRecords(stream, [{ kind: 'transaction', record: payment }], { pii, end: true }),
    );
    assert.equal(first.stats.reference, 2);
    assert.equal(second.stats.mode, 'snapshot');
    assert.deepEqual(
      out.map((d) => [d.detector, d.subject]),
      [['potential_victim', 'ID-VIC']],
    );
    // A snapshot keeps the accounts taken, and puts a closing not yet reached back on the schedule.
    const closing: AccountRecord = {
      ...base,
      account: 'A-2',
      holderId: 'ID-C',
      openedAt: t0 - DAY,
      closedAt: t0 + DAY,
    };
    const before = newContext([], []);
    for (const a of [present, closing]) addAccount(before, a);
    withdrawEnded(before, t0);
    const snap = snapshotDetectors([potentialVictimDetector()], before, undefined, undefined, {
      cards: [],
      accounts: [present, closing],
    });
    const after = newContext([], []);
    restoreDetectors(snap, [potentialVictimDetector()], after);
    assert.equal(after.accountsByNumber.get('W-1')?.holderId, 'ID-VIC');
    assert.equal(after.nextWithdrawalAt, t0 + DAY);
    withdrawEnded(after, t0 + DAY);
    assert.deepEqual([...after.accountsByNumber.keys()], ['W-1']);
  });

  test('a card published later replaces the one of the same number: a recycled number leaves its old holder', () => {
    const ctx = newContext(ref.cards.slice(0, 0), []);
    const card = (msisdn: string, holderId: string) => ({
      msisdn,
      imsi: '460001234567890',
      holderId,
      holderRegion: '110000',
      cardType: 'consumer' as const,
      activatedAt: 0,
      operator: 'op',
    });
    addCard(ctx, card('+8613800000001', 'A'));
    addCard(ctx, card('+8613800000002', 'A'));
    addCard(ctx, card('+8613800000001', 'B'));
    assert.deepEqual(
      ctx.cardsByHolder.get('A')!.map((c) => c.msisdn),
      ['+8613800000002'],
    );
    assert.deepEqual(
      ctx.cardsByHolder.get('B')!.map((c) => c.msisdn),
      ['+8613800000001'],
    );
    assert.equal(ctx.cardsByMsisdn.get('+8613800000001')!.holderId, 'B');
    addCard(ctx, card('+8613800000002', 'B'));
    assert.equal(ctx.cardsByHolder.has('A'), false, 'a holder left with no card is gone');
    const account = (n: string, holderId: string) => ({
      account: n,
      institution: 'bank',
      holderId,
      accountType: 'personal' as const,
      openedAt: 0,
    });
    addAccount(ctx, account('62220001', 'A'));
    addAccount(ctx, account('62220001', 'B'));
    assert.equal(
      ctx.accountsByNumber.get('62220001')!.holderId,
      'B',
      'the later account replaces the earlier',
    );
  });
});

describe('retention and status of the embedded record stream', () => {
  const DAY = 86_400_000;
  /** Every entry the stream still holds, in order. */
  const kept = async (stream: RecordStream) => (await readEntries(stream)).map((e) => e.gseq);

  test('prune keeps the last days of stream time and what an active worker has not read; a worker resumes as if nothing was pruned', async () => {
    const stream = await freshEmbedded();
    const store = new DbCheckpointStore(database.db, pii);
    const out: Detection[] = [];
    const half = Math.floor(records.length / 2);
    await publishRecords(stream, records.slice(0, half));
    const first = checkpointed(stream, store, out);
    await first.start();
    await caughtUp(first, stream);
    await first.stop();
    // The rest arrives while the worker is down.
    await publishRecords(stream, records.slice(half), { end: true });
    // Keep one hour: everything older than an hour before the last tick may go, but the stopped
    // worker (checkpointed just now) has read only half: it holds the rest back.
    const r = await stream.prune({ keepMs: 3_600_000 });
    assert.equal(r.heldBy, first.name);
    assert.equal(r.through, first.stats.gseq);
    assert.ok(r.deleted > 0);
    const held = r.through;
    const status = await recordStreamStatus(database.db, stream, {
      recordStreamKeepMs: 3_600_000,
      ...DEFAULT_FEED_TIMES,
    });
    assert.ok(status.stored.fromGseq! > 1 && status.stored.fromGseq! <= held + 1);
    assert.deepEqual(
      status.workers.map((w) => [w.worker, w.behind > 0, w.stalled, w.missed]),
      [[first.name, true, false, false]],
    );
    const second = checkpointed(stream, store, out);
    await second.start();
    await second.done;
    assert.ok(held > 0);
    assert.equal(second.stats.mode, 'snapshot');
    assert.deepEqual(lines(out), lines(batch), 'the resumed worker missed nothing');
    const before = await kept(stream);
    assert.ok(before[0]! > held, 'the pruned entries are gone');
    // With the worker done, a prune keeps exactly the last hours of stream time.
    const head = await stream.head();
    const day = await stream.prune({ keepMs: 6 * 3_600_000 });
    assert.equal(day.heldBy, null);
    assert.ok(day.deleted > 0);
    const after = await kept(stream);
    assert.deepEqual(
      after,
      before.filter((g) => g > day.through),
      'only entries up to `through` went',
    );
    const ticks = (await readEntries(stream)).filter((e) => e.kind === 'tick');
    assert.ok(
      ticks[0]!.kind === 'tick' && ticks[0]!.now > head.lastTickAt! - 6 * 3_600_000,
      'nothing older than six hours',
    );
    assert.equal(after.at(-1), head.gseq, 'the head stays');
    const h2 = await stream.head();
    assert.deepEqual(h2, head, 'head and last tick unchanged');
    // Nothing left to prune: a second run deletes nothing.
    assert.equal((await stream.prune({ keepMs: 6 * 3_600_000 })).deleted, 0);
  });

  test('a worker silent past the retention holds nothing back; status shows it stalled and missing entries', async () => {
    const stream = await freshEmbedded();
    await publishRecords(stream, records, { end: true });
    // A worker that read a tenth and then went silent two weeks ago (wall time).
    const tenth = Math.floor(records.length / 10);
    await database.db
      .insertInto('detection_checkpoints')
      .values({
        worker: 'p8:0-3',
        partitions: '0,1,2,3',
        cursor: tenth,
        gseq: tenth,
        ended: false,
        state: null,
        saved_at: new Date(Date.now() - 14 * DAY),
      })
      .execute();
    let st = await recordStreamStatus(database.db, stream, {
      recordStreamKeepMs: DAY,
      ...DEFAULT_FEED_TIMES,
    });
    assert.deepEqual(
      st.workers.map((w) => [w.worker, w.mode, w.behind > 0, w.stalled, w.missed]),
      [['p8:0-3', 'replay', true, true, false]],
    );
    const r = await stream.prune({ keepMs: DAY, activeMs: 7 * DAY });
    assert.equal(r.heldBy, null, 'a worker silent for two weeks does not hold rows back');
    assert.ok(r.through > tenth);
    st = await recordStreamStatus(database.db, stream, { recordStreamKeepMs: DAY, ...DEFAULT_FEED_TIMES });
    assert.equal(st.workers[0]!.missed, true, 'it will never read what it missed');
    assert.equal(st.stored.fromGseq, (await readEntries(stream))[0]!.gseq);
    assert.ok(st.stored.bytes > 0 && st.stored.units > 0);
    assert.equal(st.head.ended, true);
  });
});

describe('what the embedded record stream keeps, as status shows it', () => {
  test('rows counted while the table is small, the planner’s estimate beyond', async () => {
    const stream = await freshEmbedded();
    await publishRecords(stream, records.slice(0, 3 * ENTRIES_PER_ROW));
    const rows = async () =>
      Number(
        (
          await database.db
            .selectFrom('detection_records')
            .select((eb) => eb.fn.countAll().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
    const counted = await stream.stored();
    assert.equal(counted.units, await rows());
    assert.ok(counted.units >= 3 && counted.bytes > 0);
    // A table past the size counted exactly: the estimate vacuum and analyze keep, not a count.
    const big = new EmbeddedRecordStream(database.db, 8, 10, 0);
    await sql`analyze detection_records`.execute(database.db);
    const analysed = await rows();
    assert.equal((await big.stored()).units, analysed, 'just analysed: the estimate is the count');
    await publishRecords(stream, records.slice(3 * ENTRIES_PER_ROW, 6 * ENTRIES_PER_ROW), { end: true });
    assert.ok((await rows()) > analysed);
    assert.equal((await big.stored()).units, analysed, 'the estimate, until the next analyze');
    assert.equal((await stream.stored()).units, await rows(), 'a small table is counted');
  });
});

describe('a checkpoint written by another build', () => {
  test('is not restored: the worker rebuilds its state by replay and reports nothing twice', async () => {
    const stream = new MemoryRecordStream(8);
    const store = new MemoryCheckpointStore();
    const out: Detection[] = [];
    // `classes` stands for the build: one more class is what an upgraded detector looks like.
    const upgraded = detectorClasses(CallerCount);
    const { second } = await stopHalfwayThenResume(
      stream,
      (nth) => checkpointed(stream, store, out, { classes: nth === 0 ? detectorClasses() : upgraded }),
      async (first) => {
        assert.ok((await store.load(first.name))?.state, 'the first build saved a snapshot');
        assert.ok(out.length > 0, 'the first half already reported some');
      },
    );
    assert.match(second.stats.rebuilt ?? '', /another build.*replay/);
    assert.equal(second.stats.records, records.length, 'the whole stream was read again');
    assert.ok(second.stats.replayed > 0, 'what the first build reported was withheld');
    assert.equal(new Set(lines(out)).size, out.length, 'nothing reported twice');
    assert.deepEqual(lines(out), lines(batch));
    // Its own checkpoint is a snapshot of the new build, which a third worker of it restores.
    const third = checkpointed(stream, store, out, { classes: upgraded });
    await third.start();
    assert.equal(third.stats.rebuilt, undefined);
    assert.equal((await store.load(third.name))?.gseq, (await stream.head()).gseq);
    await third.stop();
  });
});

/** Two or more workers together give exactly one worker's detections: every detector, every field. */
function compareSplit(one: Detection[], split: Detection[], label: string) {
  assert.equal(new Set(lines(split)).size, split.length, `${label}: no detection from two workers`);
  for (const d of DETECTOR_NAMES)
    assert.ok(
      one.some((x) => x.detector === d),
      `the world fires ${d}`,
    );
  assert.deepEqual(lines(split), lines(one), label);
}

describe('a publish started again appends nothing twice', () => {
  /**
   * Half the world, then the world again from the first record at the stream's last tick (a
   * publish started over after a crash: `mergeFiles` rejects what is older, `floor`): the records
   * the stream had after its last tick are skipped, the rest appended; the stream holds each
   * record once, in the order of one publish.
   */
  async function overlapping(stream: RecordStream): Promise<void> {
    const half = Math.floor(records.length / 2);
    assert.deepEqual(await publishRecords(stream, records.slice(0, half)), { published: half, already: 0 });
    const { lastTickAt } = await stream.head();
    assert.ok(lastTickAt !== null);
    const from = records.findIndex((r) => r.record.ts >= lastTickAt);
    assert.ok(from < half, 'the first publish has records at or after its last tick');
    const unsettled = await stream.unsettled();
    assert.deepEqual(
      unsettled.map((e) => recordKey(e as StreamRecord)).sort(),
      records.slice(from, half).map(recordKey).sort(),
    );
    assert.deepEqual(await publishRecords(stream, records.slice(from), { end: true }), {
      published: records.length - half,
      already: half - from,
    });
    const read = (await readEntries(stream)).filter((e) => e.kind === 'call' || e.kind === 'transaction');
    assert.deepEqual(
      read.map((e) => recordKey(e as StreamRecord)),
      records.map(recordKey),
    );
  }

  test('memory record stream', async () => {
    await overlapping(new MemoryRecordStream());
  });

  test('embedded record stream: the workers give exactly the batch run’s detections', async () => {
    const stream = await freshEmbedded();
    await overlapping(stream);
    const { detections } = await runWorkers(stream, [ALL]);
    assert.deepEqual(lines(detections), lines(batch));
  });

  test('NATS JetStream record stream', { skip: !usingNats() && 'NATS_URL is not set' }, async () => {
    const stream = await NatsRecordStream.open({
      natsUrl: process.env.NATS_URL!,
      natsStream: `TEST_${process.pid}_${Date.now()}_AGAIN`,
      partitions: 4,
    });
    try {
      await overlapping(stream);
    } finally {
      await stream.destroy();
      await stream.close();
    }
  });

  test('the same call twice is skipped as often as the stream has it; a new one is appended', async () => {
    const stream = new MemoryRecordStream();
    const t0 = Date.parse('2026-11-01T00:00:00Z');
    // A clock entry after calls 0 and 2; calls 3 and 4 are the same call, after the last tick.
    const calls = [0, 1, 2, 3].map((i) => sampleCall(i, t0));
    const twice = [...calls, sampleCall(3, t0)];
    assert.deepEqual(await publishRecords(stream, twice), { published: 5, already: 0 });
    assert.equal((await stream.head()).lastTickAt, t0 + 60_000);
    // Call 2 moved the clock (it is before the tick, at its time): unsettled with 3 and 3 again.
    assert.deepEqual(
      (await stream.unsettled()).map((e) => (e as StreamRecord).record.ts),
      [t0 + 90_000, t0 + 90_000, t0 + 60_000],
    );
    // A publish that lacks some of them stops looking up at its first later record.
    const other = new MemoryRecordStream();
    await publishRecords(other, twice);
    const partial = new Sequencer(other);
    assert.equal(await partial.call(sampleCall(3, t0).record as CallRecord), false);
    assert.equal(partial.checking, true, 'two of the three are still to come');
    assert.equal(await partial.call(sampleCall(4, t0).record as CallRecord), true);
    assert.equal(partial.checking, false, 'past the latest unsettled record: no more lookups');
    const again = [
      sampleCall(2, t0),
      sampleCall(3, t0),
      sampleCall(3, t0),
      sampleCall(3, t0),
      sampleCall(4, t0),
    ];
    assert.deepEqual(await publishRecords(stream, again), { published: 2, already: 3 });
    const read = (await readEntries(stream)).filter((e) => e.kind === 'call');
    assert.deepEqual(
      read.map((e) => (e as StreamRecord).record.ts - t0),
      [0, 30_000, 60_000, 90_000, 90_000, 90_000, 120_000],
    );
  });
});

describe('one publisher at a time per record stream', () => {
  test('a second is refused naming the first; a lapsed lease is taken over, and its old holder stops before writing', async () => {
    await database.db.deleteFrom('detection_publishers').execute();
    const a = await acquirePublisher(database.db, 'embedded', 'detect publish on host-a, process 1', {
      renewMs: 0,
    });
    await assert.rejects(
      acquirePublisher(database.db, 'embedded', 'detect publish on host-b, process 2'),
      (e: AppError) =>
        e.status === 409 &&
        e.code === 'publisher_busy' &&
        /another publish is writing to the embedded record stream \(detect publish on host-a, process 1, since \S+, last heard \S+\)/.test(
          e.message,
        ),
    );
    // Status (API, CLI, console) names it.
    const stream0 = await freshEmbedded();
    const shown = (
      await recordStreamStatus(database.db, stream0, {
        recordStreamKeepMs: 86_400_000,
        ...DEFAULT_FEED_TIMES,
      })
    ).publisher;
    assert.equal(shown?.holder, 'detect publish on host-a, process 1');
    assert.equal(shown?.lapsed, false);
    // Another stream is another lease.
    const other = await acquirePublisher(database.db, 'nats:OTHER', 'detect publish on host-b, process 2');
    await other.release();
    await a.check();
    await a.release();
    const b = await acquirePublisher(database.db, 'embedded', 'detect publish on host-b, process 2');
    await b.release();

    // A stalls: its lease lapses (not renewed for a minute) and C takes the stream over.
    const stalled = await acquirePublisher(database.db, 'embedded', 'detect publish on host-a, process 3', {
      renewMs: 0,
    });
    await assert.rejects(
      acquirePublisher(database.db, 'embedded', 'early'),
      /publisher_busy|another publish/,
    );
    await sql`update detection_publishers set renewed_at = now() - interval '2 minutes'`.execute(database.db);
    assert.equal(
      (
        await recordStreamStatus(database.db, stream0, {
          recordStreamKeepMs: 86_400_000,
          ...DEFAULT_FEED_TIMES,
        })
      ).publisher?.lapsed,
      true,
    );
    const c = await acquirePublisher(database.db, 'embedded', 'detect publish on host-c, process 4');
    const stream = await freshEmbedded();
    await assert.rejects(
      publishRecords(stream, records.slice(0, 5000), { lease: stalled }),
      (e: AppError) => e.code === 'publisher_lease_lost',
    );
    assert.equal((await stream.head()).gseq, 0, 'nothing written without the lease');
    // Its release leaves the new holder's lease alone.
    await stalled.release();
    await assert.rejects(acquirePublisher(database.db, 'embedded', 'late'), /another publish/);
    assert.deepEqual(await publishRecords(stream, records.slice(0, 5000), { lease: c }), {
      published: 5000,
      already: 0,
    });
    // A publish told to wait takes the stream once the holder lets go; one that waits too little is refused.
    const told: string[] = [];
    await assert.rejects(
      acquirePublisher(database.db, 'embedded', 'impatient', { waitMs: 200, onWait: (m) => told.push(m) }),
      /publisher_busy|another publish/,
    );
    assert.equal(told.length, 1);
    assert.match(told[0]!, /detect publish on host-c, process 4/);
    let handedOver = false;
    const waiting = acquirePublisher(database.db, 'embedded', 'patient', { waitMs: 30_000 }).then((l) => {
      assert.ok(handedOver, 'not before the holder let go');
      return l;
    });
    await new Promise((r) => setTimeout(r, 300));
    handedOver = true;
    await c.release();
    await (await waiting).release();
    assert.deepEqual(await database.db.selectFrom('detection_publishers').selectAll().execute(), []);
    assert.equal(
      (
        await recordStreamStatus(database.db, stream, {
          recordStreamKeepMs: 86_400_000,
          ...DEFAULT_FEED_TIMES,
        })
      ).publisher,
      null,
    );
  });
});

describe('two workers give the same detections as one', () => {
  test('embedded record stream', async () => {
    const stream = await freshEmbedded();
    await publishRecords(stream, records, { end: true });
    const one = await runWorkers(stream, [[0, 1, 2, 3, 4, 5, 6, 7]]);
    const two = await runWorkers(stream, [
      [0, 1, 2, 3],
      [4, 5, 6, 7],
    ]);
    // Every worker reads every record (the detectors join numbers across keys); each emits its own.
    assert.deepEqual(
      two.workers.map((w) => w.stats.records),
      [records.length, records.length],
    );
    assert.ok(
      two.workers.every((w) => w.stats.detections > 0),
      'the output is spread',
    );
    compareSplit(one.detections, two.detections, 'two workers');
    const four = await runWorkers(stream, [
      [0, 4],
      [1, 5],
      [2, 6],
      [3, 7],
    ]);
    compareSplit(one.detections, four.detections, 'four workers');
  });

  test('NATS JetStream record stream', { skip: !usingNats() && 'NATS_URL is not set' }, async () => {
    const stream = await NatsRecordStream.open({
      natsUrl: process.env.NATS_URL!,
      natsStream: `TEST_${process.pid}_${Date.now()}`,
      partitions: 4,
    });
    try {
      // A day of the world (a message per record, on the subject every worker reads).
      const day = records.filter((r) => r.record.ts < records[0]!.record.ts + 86_400_000);
      await publishRecords(stream, day, { end: true });
      const one = await runWorkers(stream, [[0, 1, 2, 3]]);
      const two = await runWorkers(stream, [
        [0, 1],
        [2, 3],
      ]);
      assert.equal(one.workers[0]!.stats.records, day.length);
      compareSplit(one.detections, two.detections, 'two workers on NATS');
      // Opened to be watched (no partition count, as `detect status` and the API do): the stream's.
      const watch = await NatsRecordStream.open({
        natsUrl: process.env.NATS_URL!,
        natsStream: stream.name.replace(/_RECORDS$/, ''),
      });
      assert.equal(watch.partitions, 4);
      await watch.close();
      // Cards and accounts through NATS, holders sealed: a worker without files finds the same.
      const withRef = await NatsRecordStream.open({
        natsUrl: process.env.NATS_URL!,
        natsStream: `TEST_${process.pid}_${Date.now()}_REF`,
        partitions: 4,
      });
      try {
        await publishRecords(withRef, day, { end: true, reference: ref, pii });
        const fromStream = await runWorkers(withRef, [[0, 1, 2, 3]], { files: false, pii });
        assert.equal(fromStream.workers[0]!.stats.reference, ref.cards.length + ref.accounts.length);
        assert.deepEqual(lines(fromStream.detections), lines(one.detections));
      } finally {
        await withRef.destroy();
        await withRef.close();
      }
    } finally {
      await stream.destroy();
      await stream.close();
    }
  });
});

describe('the NATS record stream packs entries into messages', () => {
  test('a position inside a message resumes after exactly the entries read', () => {
    // The last entry of a message is the message's sequence alone, as positions were when a
    // message held one entry: checkpoints saved then still resume at the next message.
    assert.equal(positionOf(41, 2, 3), 41);
    assert.deepEqual(resumeAt(41), { seq: 42, skip: 0 });
    for (const [seq, i, n] of [
      [1, 0, 2],
      [7, 3, 500],
      [2 ** 39, ENTRIES_PER_MESSAGE - 2, ENTRIES_PER_MESSAGE],
    ] as const) {
      const c = positionOf(seq, i, n);
      assert.ok(Number.isSafeInteger(c), `${c} is a safe integer`);
      assert.deepEqual(resumeAt(c), { seq, skip: i + 1 });
    }
  });

  test(
    'many entries per message, read back in order with any limit, resumed mid-message, and old one-entry messages still read',
    { skip: !usingNats() && 'NATS_URL is not set' },
    async () => {
      const name = `TEST_PACK_${process.pid}_${Date.now()}`;
      const stream = await NatsRecordStream.open({ natsUrl: process.env.NATS_URL!, natsStream: name });
      const nc = await connect({ servers: process.env.NATS_URL! });
      try {
        // Two entries as a stream written before packing held them: one JSON object per message.
        const js = jetstream(nc);
        const old = records.slice(0, 2);
        for (let i = 0; i < old.length; i++)
          await js.publish(
            `${stream.prefix}.all`,
            JSON.stringify({ g: i + 1, k: old[i]!.kind, r: old[i]!.record }),
          );
        const day = records.slice(2, 2 + 3 * ENTRIES_PER_MESSAGE);
        const { published: total } = await publishRecords(stream, day, { end: true });
        assert.equal(total, day.length);
        const { gseq } = await stream.head();
        const info = await (await jetstreamManager(nc)).streams.info(`${name}_RECORDS`);
        assert.ok(
          info.state.messages < gseq / 10,
          `${gseq} entries in ${info.state.messages} messages: packed, not one per message`,
        );
        // What it keeps, as `detect status` shows it: from the first entry, in these messages.
        const kept = await stream.stored();
        assert.deepEqual(
          { from: kept.fromGseq, units: kept.units, bytes: kept.bytes },
          { from: 1, units: info.state.messages, bytes: info.state.bytes },
        );
        // The retention follows the configuration: opened again with another, the stream takes it.
        const reopened = await NatsRecordStream.open({
          natsUrl: process.env.NATS_URL!,
          natsStream: name,
          maxAgeMs: 3 * 86_400_000,
        });
        await reopened.close();
        const updated = await (await jetstreamManager(nc)).streams.info(`${name}_RECORDS`);
        assert.equal(updated.config.max_age, 3 * 86_400_000 * 1_000_000);
        assert.deepEqual(updated.config.subjects, info.config.subjects);

        // Everything, in gseq order, each once, with a limit that cuts messages in the middle.
        const readAll = async (s: NatsRecordStream, from: number) => {
          const got: { gseq: number; cursor: number }[] = [];
          let cursor = from;
          for (;;) {
            const batch = await s.read([0, 1, 2, 3, 4, 5, 6, 7], cursor, 7, 50);
            if (batch.length === 0) break;
            assert.ok(batch.length <= 7, 'a read returns at most its limit');
            for (const e of batch) got.push({ gseq: e.entry.gseq, cursor: e.cursor });
            cursor = batch.at(-1)!.cursor;
          }
          return got;
        };
        const all = await readAll(stream, 0);
        assert.deepEqual(
          all.map((e) => e.gseq),
          Array.from({ length: gseq }, (_, i) => i + 1),
        );
        const fromStart = await NatsRecordStream.open({ natsUrl: process.env.NATS_URL!, natsStream: name });
        try {
          assertSameShape(await readEntries(fromStart), [...old, ...day]);
        } finally {
          await fromStart.close();
        }
        const first = all.slice(0, 2).map((e) => e.gseq);
        assert.deepEqual(first, [1, 2], 'the old one-entry messages come first');

        // A reader that never saw the stream, from a position in the middle of a message.
        const mid = all.findIndex((e, i) => i > 10 && resumeAt(e.cursor).skip > 0);
        assert.ok(mid > 0, 'some position is inside a message');
        const again = await NatsRecordStream.open({ natsUrl: process.env.NATS_URL!, natsStream: name });
        try {
          const rest = await readAll(again, all[mid]!.cursor);
          assert.deepEqual(
            rest.map((e) => e.gseq),
            all.slice(mid + 1).map((e) => e.gseq),
            'exactly the entries after the position',
          );
        } finally {
          await again.close();
        }
        const h = await stream.head();
        assert.equal(h.ended, true);
        assert.equal(h.gseq, gseq);
      } finally {
        await nc.close();
        await stream.destroy();
        await stream.close();
      }
    },
  );
});

/** Per-caller counters of a test detector kept in an exported class (as detectors are asked to). */
export class CallerCount {
  n = 0;
  first = 0;
  reported = false;
  constructor(first: number) {
    this.first = first;
  }
}

/** A class-based detector (its state in its own fields): callers with 30 calls in their window. */
export class BusyCaller implements Detector {
  readonly name = 'fraud_caller' as const;
  counts = new Map<string, CallerCount>();
  pending: Detection[] = [];
  onCall(r: CallRecord): void {
    let c = this.counts.get(r.caller);
    if (!c) this.counts.set(r.caller, (c = new CallerCount(r.ts)));
    if (++c.n === 30 && !c.reported) {
      c.reported = true;
      this.pending.push({
        detector: 'fraud_caller',
        subjectKind: 'msisdn',
        subject: r.caller,
        score: 1,
        window: { from: c.first, to: r.ts },
        evidence: { calls: c.n },
      });
    }
  }
  drain(): Detection[] {
    return this.pending.splice(0);
  }
}
