import { connect, nanos, type NatsConnection } from '@nats-io/transport-node';
import {
  DeliverPolicy,
  DiscardPolicy,
  JetStreamApiError,
  RetentionPolicy,
  StorageType,
  jetstream,
  jetstreamManager,
  type Consumer,
  type JetStreamClient,
  type JetStreamManager,
} from '@nats-io/jetstream';
import type { ReadEntry, RecordStream, Routed, StreamEntry } from './types.ts';
import { DEFAULT_PARTITIONS } from './types.ts';

const STREAM_NOT_FOUND = 10059;
/** Publishes awaited together (acks), in order on one connection. */
const IN_FLIGHT = 1000;

export interface NatsRecordStreamOptions {
  /** One URL or several, comma-separated. */
  natsUrl: string;
  /** The event bus's stream name (NATS_STREAM); records go to `<name>_RECORDS`. */
  natsStream?: string;
  partitions?: number;
  /** How long JetStream keeps records (default 7 days). */
  maxAgeMs?: number;
  replicas?: number;
}

/** Wire form of an entry: `{g, k, …}` (gseq, kind, then the record or the clock fields). */
function encode(e: StreamEntry): Uint8Array {
  const o =
    e.kind === 'call' || e.kind === 'transaction'
      ? { g: e.gseq, k: e.kind, r: e.record }
      : e.kind === 'tick'
        ? { g: e.gseq, k: e.kind, now: e.now, drain: e.drain }
        : { g: e.gseq, k: e.kind, now: e.now };
  return new TextEncoder().encode(JSON.stringify(o));
}

function decode(data: Uint8Array): StreamEntry {
  const o = JSON.parse(new TextDecoder().decode(data)) as {
    g: number;
    k: StreamEntry['kind'];
    r?: never;
    now?: number;
    drain?: boolean;
  };
  if (o.k === 'call' || o.k === 'transaction') return { kind: o.k, gseq: o.g, record: o.r! };
  if (o.k === 'tick') return { kind: 'tick', gseq: o.g, now: o.now!, drain: o.drain! };
  return { kind: 'end', gseq: o.g, now: o.now! };
}

/**
 * The record stream on NATS JetStream: its own stream (`<NATS_STREAM>_RECORDS`, subjects
 * `<prefix>.<partition>` and `<prefix>.clock`, beside the event bus's stream), published in
 * batches with acks. A worker reads its partitions and the clock with one ordered consumer
 * filtered on their subjects, from the stream sequence after its checkpoint: the stream keeps
 * the sequencer's order, the checkpoint holds the position, so no acks or durable consumers are
 * needed (needs nats-server 2.10 for several filter subjects).
 */
export class NatsRecordStream implements RecordStream {
  readonly kind = 'nats' as const;
  readonly partitions: number;
  readonly name: string;
  readonly prefix: string;
  private constructor(
    private readonly nc: NatsConnection,
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    /** Servers from 2.10 filter a consumer on several subjects; older ones get one filter. */
    private readonly multiFilter: boolean,
    name: string,
    partitions: number,
  ) {
    this.name = name;
    this.prefix = name.toLowerCase();
    this.partitions = partitions;
  }

  static async open(o: NatsRecordStreamOptions): Promise<NatsRecordStream> {
    const base = o.natsStream ?? 'INTERDICT';
    if (!/^[A-Za-z0-9_-]+$/.test(base))
      throw new Error(`NATS stream name "${base}" must be letters, digits, "_" or "-"`);
    const servers = o.natsUrl
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const nc = await connect({ servers, name: 'interdict-records' });
    try {
      const jsm = await jetstreamManager(nc);
      const s = new NatsRecordStream(
        nc,
        jetstream(nc),
        jsm,
        versionAtLeast(nc.info?.version, 2, 10),
        `${base}_RECORDS`,
        o.partitions ?? DEFAULT_PARTITIONS,
      );
      await s.ensure(o.maxAgeMs ?? 7 * 86_400_000, o.replicas ?? 1);
      return s;
    } catch (err) {
      await nc.close();
      throw err;
    }
  }

  private async ensure(maxAgeMs: number, replicas: number): Promise<void> {
    try {
      const info = await this.jsm.streams.info(this.name);
      const had = /partitions=(\d+)/.exec(info.config.description ?? '')?.[1];
      if (had !== undefined && Number(had) !== this.partitions)
        throw new Error(`record stream ${this.name} has ${had} partitions, not ${this.partitions}`);
      return;
    } catch (err) {
      if (!(err instanceof JetStreamApiError && err.code === STREAM_NOT_FOUND)) throw err;
    }
    await this.jsm.streams.add({
      name: this.name,
      subjects: [`${this.prefix}.>`],
      max_age: nanos(maxAgeMs),
      storage: StorageType.File,
      retention: RetentionPolicy.Limits,
      discard: DiscardPolicy.Old,
      num_replicas: replicas,
      // Stream metadata needs nats-server 2.10; the description carries the partition count.
      description: `Interdict call records and transactions for streaming detection; partitions=${this.partitions}`,
    });
  }

  /** A partition's subject; `null`: every worker's, `clock` for ticks and the end, `all` for records. */
  private subject(p: number | null, entry?: StreamEntry): string {
    if (p !== null) return `${this.prefix}.${p}`;
    return `${this.prefix}.${entry && entry.kind !== 'tick' && entry.kind !== 'end' ? 'all' : 'clock'}`;
  }

  async append(batch: readonly Routed[]): Promise<void> {
    let inFlight: Promise<unknown>[] = [];
    for (const { entry, partitions } of batch) {
      const data = encode(entry);
      for (const p of partitions ?? [null]) {
        inFlight.push(this.js.publish(this.subject(p, entry), data));
        if (inFlight.length >= IN_FLIGHT) {
          await Promise.all(inFlight);
          inFlight = [];
        }
      }
    }
    await Promise.all(inFlight);
  }

  async head(): Promise<{ gseq: number; lastTickAt: number | null; ended: boolean }> {
    const info = await this.jsm.streams.info(this.name);
    if (info.state.messages === 0) return { gseq: 0, lastTickAt: null, ended: false };
    const last = await this.jsm.streams.getMessage(this.name, { seq: info.state.last_seq });
    const tick = await this.jsm.streams.getMessage(this.name, { last_by_subj: this.subject(null) });
    const e = last ? decode(last.data) : null;
    const t = tick ? decode(tick.data) : null;
    return {
      gseq: e?.gseq ?? 0,
      lastTickAt: t && (t.kind === 'tick' || t.kind === 'end') ? t.now : null,
      ended: e?.kind === 'end',
    };
  }

  private reader: {
    key: string;
    subjects: Set<string>;
    returned: number;
    consumer: Consumer;
    lastGseq: number;
  } | null = null;

  async read(
    partitions: readonly number[],
    cursor: number,
    limit: number,
    waitMs: number,
  ): Promise<ReadEntry[]> {
    const key = partitions.join(',');
    if (!this.reader || this.reader.key !== key || this.reader.returned !== cursor) {
      const subjects = [...partitions.map((p) => this.subject(p)), this.subject(null), `${this.prefix}.all`];
      const consumer = await this.js.consumers.get(this.name, {
        // Before 2.10: every subject, and the others are skipped here.
        filter_subjects: this.multiFilter ? subjects : `${this.prefix}.>`,
        deliver_policy: DeliverPolicy.StartSequence,
        opt_start_seq: cursor + 1,
      });
      this.reader = { key, subjects: new Set(subjects), returned: cursor, consumer, lastGseq: 0 };
    }
    const r = this.reader;
    const out: ReadEntry[] = [];
    const msgs = await r.consumer.fetch({ max_messages: limit, expires: Math.max(1000, waitMs) });
    for await (const m of msgs) {
      if (!r.subjects.has(m.subject)) continue;
      const entry = decode(m.data);
      // The same entry in two of the partitions read: keep the first.
      if (entry.gseq <= r.lastGseq) continue;
      r.lastGseq = entry.gseq;
      r.returned = m.seq;
      out.push({ entry, cursor: m.seq });
    }
    return out;
  }

  /** Deletes the record stream (tests). */
  async destroy(): Promise<void> {
    await this.jsm.streams.delete(this.name);
  }

  async close(): Promise<void> {
    await this.nc.drain().catch(() => this.nc.close());
  }
}

function versionAtLeast(v: string | undefined, major: number, minor: number): boolean {
  const m = /^v?(\d+)\.(\d+)/.exec(v ?? '');
  if (!m) return false;
  const [a, b] = [Number(m[1]), Number(m[2])];
  return a > major || (a === major && b >= minor);
}
