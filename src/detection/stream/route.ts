import type { DetectionContext } from '../detector.ts';
import type { CallRecord, Detection, SubjectKind, TransactionRecord } from '../records.ts';
import type { RecordStream, Routed, StreamEntry } from './types.ts';

/**
 * Routing and ownership (docs/detection.md, "Streaming"). A record goes to the partition of every
 * key it touches: a call to its caller's, callee's, IMEI's and cell's partitions and to those of
 * the holders of the caller's and callee's cards; a transfer to every partition (see
 * `transactionPartitions`). A worker thus sees every record about the subjects it owns; it runs every
 * detector on that superset and emits only the detections whose subject lives in a partition it
 * owns, so each detection has exactly one owner however the partitions are spread over workers.
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

type Holders = Pick<DetectionContext, 'cardsByMsisdn' | 'accountsByNumber'>;

function add(set: number[], p: number): void {
  if (!set.includes(p)) set.push(p);
}

export function callPartitions(r: CallRecord, ref: Holders, n: number): number[] {
  const ps: number[] = [];
  add(ps, partitionOf('msisdn', r.caller, n));
  add(ps, partitionOf('msisdn', r.callee, n));
  if (r.imei !== null) add(ps, partitionOf('imei', r.imei, n));
  if (r.cellId !== null) add(ps, partitionOf('cell', r.cellId, n));
  const a = ref.cardsByMsisdn.get(r.caller);
  if (a) add(ps, partitionOf('holder', a.holderId, n));
  const b = ref.cardsByMsisdn.get(r.callee);
  if (b) add(ps, partitionOf('holder', b.holderId, n));
  return ps;
}

/**
 * Transfers go to every partition: the money detectors follow the transfer graph (flags
 * propagating hop by hop, a holder's accounts joined to their calls), which no key routing keeps
 * whole, and transfers are few next to call records. So every worker holds the same money state
 * and `mule_account` agrees however the partitions are spread.
 */
export function transactionPartitions(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
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
    private readonly ref: Holders,
    private readonly batchSize = 2000,
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
    await this.push(
      { kind: 'call', gseq: 0, record: r },
      callPartitions(r, this.ref, this.stream.partitions),
      r.ts,
    );
  }

  async transaction(t: TransactionRecord): Promise<void> {
    await this.push(
      { kind: 'transaction', gseq: 0, record: t },
      transactionPartitions(this.stream.partitions),
      t.ts,
    );
  }

  private async push(entry: StreamEntry, partitions: number[], now: number): Promise<void> {
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
