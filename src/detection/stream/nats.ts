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
import type { ReadEntry, RecordStream, Routed, StoredRecords, StreamEntry } from './types.ts';
import { decodeEntries, encodeEntry, takeDecoded } from './wire.ts';
import { DEFAULT_PARTITIONS } from './types.ts';
import { unsettledOf } from './route.ts';

const STREAM_NOT_FOUND = 10059;
/** Messages published and awaited together (acks), in order on one connection. */
const IN_FLIGHT = 64;
/**
 * Entries packed into one message at most: a message per record cost a publish, an ack and a
 * delivery each (24,000 records/s published and 37,000 read, docs/detection.md); a few hundred
 * per message let the worker's detectors, not the stream, set the pace.
 */
export const ENTRIES_PER_MESSAGE = 500;
/**
 * JSON in one message at most, in UTF-16 units (three bytes each at worst: below the server's
 * max_payload, 1 MiB by default). An entry longer than this goes alone.
 */
const MESSAGE_BYTES = 256 * 1024;
/**
 * Positions (cursors) inside a message: `seq` alone means the whole message `seq` was read (as it
 * did when a message held one entry, so positions saved then still mean the same);
 * `seq + k·POSITION` means its first k entries were (k < ENTRIES_PER_MESSAGE, so below 2^53).
 */
const POSITION = 2 ** 40;

/** An entry's position: after the last entry of message `seq`, or after its first `k`. */
export function positionOf(seq: number, index: number, count: number): number {
  return index === count - 1 ? seq : seq + (index + 1) * POSITION;
}

/** Where to resume after `cursor`: the message to start at and how many of its entries to skip. */
export function resumeAt(cursor: number): { seq: number; skip: number } {
  const seq = cursor % POSITION;
  const k = Math.floor(cursor / POSITION);
  return k === 0 ? { seq: seq + 1, skip: 0 } : { seq, skip: k };
}

export interface NatsRecordStreamOptions {
  /** One URL or several, comma-separated. */
  natsUrl: string;
  /** The event bus's stream name (NATS_STREAM); records go to `<name>_RECORDS`. */
  natsStream?: string;
  /** Default: the existing stream's count, or `DEFAULT_PARTITIONS` for a new one. */
  partitions?: number;
  /** How long JetStream keeps records (default 7 days). */
  maxAgeMs?: number;
  replicas?: number;
}

/** A message's entries, in gseq order. */
function decode(data: Uint8Array): StreamEntry[] {
  return decodeEntries(new TextDecoder().decode(data));
}

/**
 * The record stream on NATS JetStream: its own stream (`<NATS_STREAM>_RECORDS`, subjects
 * `<prefix>.<partition>` and `<prefix>.clock`, beside the event bus's stream), published in
 * batches with acks, consecutive entries for the same subjects packed into one message (a JSON
 * array of up to `ENTRIES_PER_MESSAGE`). A worker reads its partitions and the clock with one ordered consumer
 * filtered on their subjects, from the stream sequence after its checkpoint: the stream keeps
 * the sequencer's order, the checkpoint holds the position, so no acks or durable consumers are
 * needed (needs nats-server 2.10 for several filter subjects).
 */
export class NatsRecordStream implements RecordStream {
  readonly kind = 'nats' as const;
  partitions: number;
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
      await s.ensure(o.maxAgeMs ?? 7 * 86_400_000, o.replicas ?? 1, o.partitions === undefined);
      return s;
    } catch (err) {
      await nc.close();
      throw err;
    }
  }

  /** `adopt`: no partition count was asked for; an existing stream's is taken. */
  private async ensure(maxAgeMs: number, replicas: number, adopt: boolean): Promise<void> {
    try {
      const info = await this.jsm.streams.info(this.name);
      const had = /partitions=(\d+)/.exec(info.config.description ?? '')?.[1];
      if (had !== undefined && adopt) this.partitions = Number(had);
      if (had !== undefined && Number(had) !== this.partitions)
        throw new Error(`record stream ${this.name} has ${had} partitions, not ${this.partitions}`);
      // The retention follows the configuration (INTERDICT_RECORD_STREAM_KEEP_DAYS).
      if (info.config.max_age !== nanos(maxAgeMs))
        await this.jsm.streams.update(this.name, { max_age: nanos(maxAgeMs) });
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

  /**
   * Publishes `batch` in order, consecutive entries for the same subjects packed into one message:
   * entries for every worker (records and clock entries) together, on the clock subject when the
   * message holds a clock entry (so `head` finds the last one) and on `all` otherwise; entries
   * routed to partitions together when they go to the same ones.
   */
  async append(batch: readonly Routed[]): Promise<void> {
    let inFlight: Promise<unknown>[] = [];
    let parts: string[] = [];
    let bytes = 0;
    let group: number[] | null | undefined = undefined;
    let clock = false;
    const send = async () => {
      if (group === undefined) return;
      const data = new TextEncoder().encode(`[${parts.join(',')}]`);
      if (group === null) inFlight.push(this.js.publish(`${this.prefix}.${clock ? 'clock' : 'all'}`, data));
      else for (const p of group) inFlight.push(this.js.publish(this.subject(p), data));
      parts = [];
      bytes = 0;
      group = undefined;
      clock = false;
      if (inFlight.length >= IN_FLIGHT) {
        await Promise.all(inFlight);
        inFlight = [];
      }
    };
    for (const { entry, partitions } of batch) {
      const json = encodeEntry(entry);
      if (
        group !== undefined &&
        (parts.length >= ENTRIES_PER_MESSAGE ||
          bytes + json.length > MESSAGE_BYTES ||
          !samePartitions(group, partitions))
      )
        await send();
      group = partitions;
      if (entry.kind === 'tick' || entry.kind === 'end') clock = true;
      parts.push(json);
      bytes += json.length + 1;
    }
    await send();
    await Promise.all(inFlight);
  }

  async stored(): Promise<StoredRecords> {
    const info = await this.jsm.streams.info(this.name);
    const st = info.state;
    if (st.messages === 0) return { fromGseq: null, bytes: st.bytes, units: 0 };
    const first = await this.jsm.streams.getMessage(this.name, { seq: st.first_seq });
    return {
      fromGseq: first ? (decode(first.data)[0]?.gseq ?? null) : null,
      bytes: st.bytes,
      units: st.messages,
    };
  }

  async head(): Promise<{ gseq: number; lastTickAt: number | null; ended: boolean }> {
    const info = await this.jsm.streams.info(this.name);
    if (info.state.messages === 0) return { gseq: 0, lastTickAt: null, ended: false };
    const last = await this.jsm.streams.getMessage(this.name, { seq: info.state.last_seq });
    const tick = await this.jsm.streams.getMessage(this.name, { last_by_subj: this.subject(null) });
    const e = last ? decode(last.data).at(-1) : undefined;
    const t = tick ? decode(tick.data).findLast((x) => x.kind === 'tick' || x.kind === 'end') : undefined;
    return {
      gseq: e?.gseq ?? 0,
      lastTickAt: t && (t.kind === 'tick' || t.kind === 'end') ? t.now : null,
      ended: e?.kind === 'end',
    };
  }

  async unsettled(): Promise<StreamEntry[]> {
    const { first_seq: first, last_seq: last, messages } = (await this.jsm.streams.info(this.name)).state;
    const jsm = this.jsm;
    const name = this.name;
    return unsettledOf(
      (async function* () {
        if (messages === 0) return;
        for (let seq = last; seq >= first; seq--) {
          // A message deleted or aged out is not there: null.
          const m = await jsm.streams.getMessage(name, { seq });
          if (m) yield decode(m.data).reverse();
        }
      })(),
    );
  }

  private reader: {
    key: string;
    subjects: Set<string>;
    /** The position of the last entry returned. */
    returned: number;
    consumer: Consumer;
    lastGseq: number;
    /** Entries of the first message the consumer delivers that were read before (`resumeAt`). */
    skip: number;
    startSeq: number;
    /** Entries decoded and not yet returned (a message holds more than a read may take). */
    pending: ReadEntry[];
    next: number;
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
      const at = resumeAt(cursor);
      const consumer = await this.js.consumers.get(this.name, {
        // Before 2.10: every subject, and the others are skipped here.
        filter_subjects: this.multiFilter ? subjects : `${this.prefix}.>`,
        deliver_policy: DeliverPolicy.StartSequence,
        opt_start_seq: at.seq,
      });
      this.reader = {
        key,
        subjects: new Set(subjects),
        returned: cursor,
        consumer,
        lastGseq: 0,
        skip: at.skip,
        startSeq: at.seq,
        pending: [],
        next: 0,
      };
    }
    const r = this.reader;
    if (r.next === r.pending.length) {
      r.pending = [];
      r.next = 0;
      const msgs = await r.consumer.fetch({
        max_messages: Math.max(1, Math.ceil(limit / ENTRIES_PER_MESSAGE)),
        expires: Math.max(1000, waitMs),
      });
      for await (const m of msgs) {
        if (!r.subjects.has(m.subject)) continue;
        const entries = decode(m.data);
        const from = m.seq === r.startSeq ? r.skip : 0;
        for (let i = from; i < entries.length; i++) {
          const entry = entries[i]!;
          // The same entry in two of the partitions read: keep the first.
          if (entry.gseq <= r.lastGseq) continue;
          r.lastGseq = entry.gseq;
          r.pending.push({ entry, cursor: positionOf(m.seq, i, entries.length) });
        }
      }
    }
    return takeDecoded(r, limit);
  }

  /** Deletes the record stream (tests). */
  async destroy(): Promise<void> {
    await this.jsm.streams.delete(this.name);
  }

  async close(): Promise<void> {
    await this.nc.drain().catch(() => this.nc.close());
  }
}

/** Whether entries routed to `a` and to `b` may share a message (the same partitions, or both every worker's). */
function samePartitions(a: number[] | null, b: number[] | null): boolean {
  if (a === null || b === null) return a === b;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function versionAtLeast(v: string | undefined, major: number, minor: number): boolean {
  const m = /^v?(\d+)\.(\d+)/.exec(v ?? '');
  if (!m) return false;
  const [a, b] = [Number(m[1]), Number(m[2])];
  return a > major || (a === major && b >= minor);
}
