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

/**
 * The unsettled records of a stream read backwards (`backwards`: entries in descending gseq, a
 * chunk at a time): every call and transaction after the last clock entry, and those just before
 * it at its time (the record that moved the clock, and any of the same millisecond). A record
 * after a tick is at or after its time (the publisher rejects older ones: `TimeOrder.floor`), and
 * one before it at or before (the tick follows the first record past the drain point), so these
 * are exactly the records a new publish may carry again without being too late. Bounded by the
 * stream time between ticks (`DRAIN_EVERY_MS`).
 */
export async function unsettledOf(
  backwards: AsyncIterable<readonly StreamEntry[]> | Iterable<readonly StreamEntry[]>,
): Promise<StreamEntry[]> {
  const out: StreamEntry[] = [];
  let tickAt: number | null = null;
  let below = Infinity;
  for await (const chunk of backwards)
    for (const e of chunk) {
      // The same entry in the messages of two partitions (NATS): once.
      if (e.gseq >= below) continue;
      below = e.gseq;
      if (e.kind === 'tick' || e.kind === 'end') {
        if (tickAt !== null) return out;
        tickAt = e.now;
      } else if (e.kind === 'call' || e.kind === 'transaction') {
        if (tickAt !== null && e.record.ts < tickAt) return out;
        out.push(e);
      }
    }
  return out;
}

/**
 * A call record or transaction as a key: the same facts give the same key. Calls carry no id, so
 * every field counts; a transaction's id alone could be reused by a bank for another transfer.
 */
export function recordKey(e: StreamRecordEntry): string {
  if (e.kind === 'call') {
    const c = e.record;
    return `c ${c.ts} ${c.kind} ${c.caller} ${c.callee} ${c.durationS} ${c.imsi} ${c.imei} ${c.cellId} ${c.origin}`;
  }
  const t = e.record;
  return `t ${t.ts} ${t.txnId} ${t.payer} ${t.payee} ${t.amount} ${t.currency} ${t.channel}`;
}

type StreamRecordEntry =
  { kind: 'call'; record: CallRecord } | { kind: 'transaction'; record: TransactionRecord };

/** Stream time between drains: the batch runner's cadence (src/detection/run.ts). */
export const DRAIN_EVERY_MS = 60_000;

/**
 * The single writer of a record stream: numbers entries (gseq), routes them, and adds the clock
 * entries exactly where the batch runner drains (after the record whose time is `DRAIN_EVERY_MS`
 * past the last drain point), so workers drain at the same stream times as `interdict detect`.
 * It resumes from the stream's head, so successive publishes continue one stream, and a record
 * the workers have not acted on yet is not appended twice (`unsettled`).
 */
export class Sequencer {
  private gseq = 0;
  private lastDrain = -Infinity;
  private lastNow = 0;
  private ended = false;
  private buffer: Routed[] = [];
  private ready = false;
  /**
   * The stream's unsettled records (`unsettledOf`) by key, with how many times each is there: a
   * publish started again (after a crash, or over a file that overlaps the last one) skips them
   * rather than hand the workers the same call or transfer twice. Null once none is left, or once
   * a record later than all of them comes (records come in time order): past that point no
   * record is looked up, so the rest of a publish pays nothing for it.
   */
  private unsettled: Map<string, number> | null = null;
  /** The time of the latest unsettled record. */
  private unsettledUntil = -Infinity;
  /** Records skipped as already in the stream. */
  already = 0;

  /** Whether records are still looked up among the stream's unsettled ones. */
  get checking(): boolean {
    return this.unsettled !== null;
  }

  constructor(
    readonly stream: RecordStream,
    private readonly batchSize = 2000,
    /** Seals the holder ids of published cards and accounts (reference.ts); without it they go as they are. */
    private readonly pii?: PiiCipher,
    /** Awaited before every append: the publisher lease's renewal (publisher.ts), which throws once lost. */
    private readonly beforeAppend?: () => Promise<void>,
  ) {}

  private async init(): Promise<void> {
    if (this.ready) return;
    const h = await this.stream.head();
    if (h.ended) throw new Error('the record stream has ended (its input was closed with `end`)');
    this.gseq = h.gseq;
    this.lastDrain = h.lastTickAt ?? -Infinity;
    // No clock entry, no record: the first record is followed by one in the same append.
    if (h.lastTickAt !== null) {
      const m = new Map<string, number>();
      for (const e of await this.stream.unsettled())
        if (e.kind === 'call' || e.kind === 'transaction') {
          const k = recordKey(e);
          m.set(k, (m.get(k) ?? 0) + 1);
          if (e.record.ts > this.unsettledUntil) this.unsettledUntil = e.record.ts;
        }
      this.unsettled = m.size > 0 ? m : null;
    }
    this.ready = true;
  }

  /** Whether the record is one of the stream's unsettled ones not yet matched (then it is not published). */
  private isAlready(e: StreamRecordEntry): boolean {
    const m = this.unsettled;
    if (m === null) return false;
    if (e.record.ts > this.unsettledUntil) {
      this.unsettled = null;
      return false;
    }
    const k = recordKey(e);
    const n = m.get(k);
    if (n === undefined) return false;
    if (n > 1) m.set(k, n - 1);
    else if (m.delete(k) && m.size === 0) this.unsettled = null;
    this.already++;
    return true;
  }

  /** Appends a call record; false when the stream already has it (`unsettled`), and it is skipped. */
  call(r: CallRecord): Promise<boolean> {
    return this.record({ kind: 'call', gseq: 0, record: r });
  }

  /** Appends a transaction; false when the stream already has it, as `call`. */
  transaction(t: TransactionRecord): Promise<boolean> {
    return this.record({ kind: 'transaction', gseq: 0, record: t });
  }

  private async record(e: StreamEntry & StreamRecordEntry): Promise<boolean> {
    if (!this.ready) await this.init();
    if (this.isAlready(e)) return false;
    await this.push(e, null, e.record.ts);
    return true;
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
    await this.beforeAppend?.();
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
