import { accountRecordOf, callRecordOf, cardRecordOf, transactionRecordOf } from '../records.ts';
import type { ReadEntry, StreamEntry } from './types.ts';

/**
 * The wire form of stream entries, shared by the NATS stream (a message) and the embedded one (a
 * packed row): `{g, k, …}` per entry (gseq, kind, then the record or the clock fields), several
 * entries as a JSON array. Records are rebuilt in the file reader's shape.
 */
export function encodeEntry(e: StreamEntry): string {
  const o =
    e.kind === 'call' || e.kind === 'transaction' || e.kind === 'card' || e.kind === 'account'
      ? { g: e.gseq, k: e.kind, r: e.record }
      : e.kind === 'tick'
        ? { g: e.gseq, k: e.kind, now: e.now, drain: e.drain }
        : { g: e.gseq, k: e.kind, now: e.now };
  return JSON.stringify(o);
}

type WireEntry = { g: number; k: StreamEntry['kind']; r?: never; now?: number; drain?: boolean };

function fromWire(o: WireEntry): StreamEntry {
  if (o.k === 'call') return { kind: 'call', gseq: o.g, record: callRecordOf(o.r!) };
  if (o.k === 'transaction') return { kind: 'transaction', gseq: o.g, record: transactionRecordOf(o.r!) };
  if (o.k === 'card') return { kind: 'card', gseq: o.g, record: cardRecordOf(o.r!) };
  if (o.k === 'account') return { kind: 'account', gseq: o.g, record: accountRecordOf(o.r!) };
  if (o.k === 'tick') return { kind: 'tick', gseq: o.g, now: o.now!, drain: o.drain! };
  return { kind: 'end', gseq: o.g, now: o.now! };
}

/** Entries from their wire text, in gseq order: a JSON array of entries, or one entry alone. */
export function decodeEntries(text: string): StreamEntry[] {
  const o = JSON.parse(text) as WireEntry | WireEntry[];
  return Array.isArray(o) ? o.map(fromWire) : [fromWire(o)];
}

/** Entries a reader decoded (a packed message or row) and has not handed out yet. */
export interface Decoded {
  pending: ReadEntry[];
  next: number;
  /** The position of the last entry handed out. */
  returned: number;
}

/** Hands out up to `limit` of the decoded entries, in order, and notes the last one's position. */
export function takeDecoded(d: Decoded, limit: number): ReadEntry[] {
  const end = Math.min(d.pending.length, d.next + limit);
  const out = d.pending.slice(d.next, end);
  d.next = end;
  if (out.length > 0) d.returned = out[out.length - 1]!.cursor;
  return out;
}
