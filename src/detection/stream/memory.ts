import type { ReadEntry, RecordStream, Routed, StoredRecords } from './types.ts';
import { DEFAULT_PARTITIONS, type StreamEntry } from './types.ts';
import { callRecordOf } from '../records.ts';
import { unsettledOf } from './route.ts';

/**
 * A call record is handed to each reader as its own copy, as the other streams decode one per
 * read: a worker links it to its numbers' entries (src/detection/intern.ts), which must reach
 * neither the publisher's object nor another reader.
 */
function readCopy(e: StreamEntry): StreamEntry {
  return e.kind === 'call' ? { kind: 'call', gseq: e.gseq, record: callRecordOf(e.record) } : e;
}

/** A record stream in this process's memory (tests and one-off runs; nothing survives the process). */
export class MemoryRecordStream implements RecordStream {
  readonly kind = 'memory' as const;
  private readonly log: Routed[] = [];
  private waiters: (() => void)[] = [];

  constructor(readonly partitions = DEFAULT_PARTITIONS) {}

  async append(batch: readonly Routed[]): Promise<void> {
    for (const r of batch) this.log.push({ entry: { ...r.entry }, partitions: r.partitions });
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  async head(): Promise<{ gseq: number; lastTickAt: number | null; ended: boolean }> {
    let lastTickAt: number | null = null;
    for (let i = this.log.length - 1; i >= 0; i--) {
      const e = this.log[i]!.entry;
      if (e.kind === 'tick' || e.kind === 'end') {
        lastTickAt = e.now;
        break;
      }
    }
    const last = this.log[this.log.length - 1]?.entry;
    return { gseq: last?.gseq ?? 0, lastTickAt, ended: last?.kind === 'end' };
  }

  async unsettled(): Promise<StreamEntry[]> {
    const log = this.log;
    return unsettledOf(
      (function* () {
        for (let i = log.length - 1; i >= 0; i--) yield [log[i]!.entry];
      })(),
    );
  }

  async read(
    partitions: readonly number[],
    cursor: number,
    limit: number,
    waitMs: number,
  ): Promise<ReadEntry[]> {
    const out = this.scan(partitions, cursor, limit);
    if (out.length > 0 || waitMs <= 0) return out;
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, waitMs);
      this.waiters.push(() => {
        clearTimeout(t);
        resolve();
      });
    });
    return this.scan(partitions, cursor, limit);
  }

  private scan(partitions: readonly number[], cursor: number, limit: number): ReadEntry[] {
    const out: ReadEntry[] = [];
    // gseq is the position: entries are appended in gseq order, so binary search the start.
    let lo = 0;
    let hi = this.log.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.log[mid]!.entry.gseq <= cursor) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < this.log.length && out.length < limit; i++) {
      const r = this.log[i]!;
      if (r.partitions === null || r.partitions.some((p) => partitions.includes(p)))
        out.push({ entry: readCopy(r.entry), cursor: r.entry.gseq });
    }
    return out;
  }

  async stored(): Promise<StoredRecords> {
    return { fromGseq: this.log[0]?.entry.gseq ?? null, bytes: 0, units: this.log.length };
  }

  async close(): Promise<void> {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
}
