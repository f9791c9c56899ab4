import type { Detection, SubjectKind } from '../records.ts';
import type { RecordStream, Routed, StreamEntry } from './types.ts';
import type { AccountRecord, CallRecord, CardRecord, TransactionRecord } from '../records.ts';
import type { PiiCipher } from '../../privacy/crypto.ts';
import { sealHolder } from './reference.ts';

/**
 * Routing and ownership (docs/detection.md, "Streaming"). Every call record and transaction goes
 * to every worker (stored once, partitions `null`): the call detectors join numbers through shared
 * devices, cells and flags (`simbox` counts the IMSIs on a card's IMEI and the mass callers on its
 * cell; `potential_victim` asks whether the number calling a holder was flagged by the others;
 * `mule_account` follows the transfer graph), so a worker that saw only the records of its own keys
 * would score some subjects differently. Each worker therefore holds the whole state, runs every
 * detector, and emits only the detections whose subject falls in a partition it owns: every
 * detection has exactly one owner, and any spread of partitions over workers gives exactly the
 * detections of one worker. Partitions spread the output (and a worker's failure), not the reading.
 */

const KEY_PREFIX: Record<SubjectKind, string> = { msisdn: 'm', imei: 'i', holder: 'h', account: 'a' };

/** FNV-1a (32-bit) of `kind:value`: stable across processes and releases. */
export function partitionOf(kind: SubjectKind | 'cell', value: string, partitions: number): number {
  let h = 0x811c9dc5;
  const s = (kind === 'cell' ? 'c' : KEY_PREFIX[kind]) + ':' + value;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % partitions;
}

/** The partition that owns a detection: its subject's. */
export function ownerOf(d: Detection, partitions: number): number {
  return partitionOf(d.subjectKind, d.subject, partitions);
}

/** Stream time between drains: the batch runner's cadence (src/detection/run.ts). */
export const DRAIN_EVERY_MS = 60_000;

/**
 * The single writer of a record stream: numbers entries (gseq), routes them, and adds the clock
 * entries exactly where the batch runner drains (after the record whose time is `DRAIN_EVERY_MS`
 * past the last drain point), so workers drain at the same stream times as `interdict detect`.
 * It resumes from the stream's head, so successive publishes continue one stream.
 */
export class Sequencer {
  private gseq = 0;
  private lastDrain = -Infinity;
  private lastNow = 0;
  private ended = false;
  private buffer: Routed[] = [];
  private ready = false;

  constructor(
    readonly stream: RecordStream,
    private readonly batchSize = 2000,
    /** Seals the holder ids of published cards and accounts (reference.ts); without it they go as they are. */
    private readonly pii?: PiiCipher,
  ) {}

  private async init(): Promise<void> {
    if (this.ready) return;
    const h = await this.stream.head();
    if (h.ended) throw new Error('the record stream has ended (its input was closed with `end`)');
    this.gseq = h.gseq;
    this.lastDrain = h.lastTickAt ?? -Infinity;
    this.ready = true;
  }

  async call(r: CallRecord): Promise<void> {
    await this.push({ kind: 'call', gseq: 0, record: r }, null, r.ts);
  }

  async transaction(t: TransactionRecord): Promise<void> {
    await this.push({ kind: 'transaction', gseq: 0, record: t }, null, t.ts);
  }

  /**
   * A card for every worker's reference data (a new activation, or a number given to a new
   * holder). It does not move stream time: the clock follows the records.
   */
  async card(c: CardRecord): Promise<void> {
    const gseq = await this.next();
    const record = this.pii ? { ...c, holderId: sealHolder(this.pii, c.holderId, gseq) } : c;
    await this.buffered({ kind: 'card', gseq, record });
  }

  /** An account for every worker's reference data, as `card`. */
  async account(a: AccountRecord): Promise<void> {
    const gseq = await this.next();
    const record = this.pii ? { ...a, holderId: sealHolder(this.pii, a.holderId, gseq) } : a;
    await this.buffered({ kind: 'account', gseq, record });
  }

  private async next(): Promise<number> {
    if (!this.ready) await this.init();
    if (this.ended) throw new Error('the record stream has ended');
    return ++this.gseq;
  }

  private async buffered(entry: StreamEntry): Promise<void> {
    this.buffer.push({ entry, partitions: null });
    if (this.buffer.length >= this.batchSize) await this.flush();
  }

  private async push(entry: StreamEntry, partitions: number[] | null, now: number): Promise<void> {
    if (!this.ready) await this.init();
    if (this.ended) throw new Error('the record stream has ended');
    entry.gseq = ++this.gseq;
    this.lastNow = now;
    this.buffer.push({ entry, partitions });
    if (now - this.lastDrain >= DRAIN_EVERY_MS) {
      this.buffer.push({
        entry: { kind: 'tick', gseq: ++this.gseq, now, drain: this.lastDrain !== -Infinity },
        partitions: null,
      });
      this.lastDrain = now;
    }
    if (this.buffer.length >= this.batchSize) await this.flush();
  }

  /** Writes what is buffered (durable when it resolves). */
  async flush(): Promise<void> {
    if (this.buffer.length === 0) return;
    const batch = this.buffer;
    this.buffer = [];
    await this.stream.append(batch);
  }

  /** Closes the input: workers drain with `final` at the last record's time. */
  async end(): Promise<void> {
    if (!this.ready) await this.init();
    const now = this.lastNow || (this.lastDrain === -Infinity ? 0 : this.lastDrain);
    this.buffer.push({ entry: { kind: 'end', gseq: ++this.gseq, now }, partitions: null });
    this.ended = true;
    await this.flush();
  }

  get sequence(): number {
    return this.gseq;
  }
}
