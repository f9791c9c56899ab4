import fs from 'node:fs';
import { parse as parseCsvSync } from 'csv-parse/sync';
import { Interner, type Interned } from './intern.ts';
import type { AccountRecord, CallRecord, CardRecord, TransactionRecord } from './records.ts';

/**
 * Fast readers of the detection inputs (docs/formats.md): phone cards, accounts, call records,
 * transactions, as CSV with a header or NDJSON with the same keys. The hot path
 * (`readRecordBatches`) cuts plain CSV lines by hand out of the bytes, a chunk of records at a
 * time, and falls back to a real CSV parser for a line with a quote; times are read without
 * Date.parse (ISO 8601 with offset, the day cached). A bad row gives its line number and reason
 * and never stops the others; unknown extra columns are kept out of the way, not rejected.
 */

/** Why a row was refused (`RecordKind.build`). */
export class RowRejection {
  constructor(readonly reason: string) {}
}

/**
 * A built record, or why not. The record itself, not wrapped: a wrapper object per row was 40 bytes
 * of the 675 the call path allocated per record (docs/detection.md, "Throughput").
 */
export type RowResult<T> = T | RowRejection;

// --- time --------------------------------------------------------------------------------------

let cachedDay = '';
let cachedDayMs = 0;

/** `2026-11-30T10:15:30(.123)?(Z|+08:00|+0800)` → epoch ms, or NaN. */
export function parseIsoTime(s: string): number {
  const n = s.length;
  if (n < 17 || s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45 || (s.charCodeAt(10) | 32) !== 116)
    return NaN;
  let dayMs: number;
  // Records in time order share the day: compare in place, no slice per record.
  if (cachedDay !== '' && s.startsWith(cachedDay)) dayMs = cachedDayMs;
  else {
    const y = digits(s, 0, 4);
    const mo = digits(s, 5, 2);
    const d = digits(s, 8, 2);
    if (y < 0 || mo < 1 || mo > 12 || d < 1 || d > 31) return NaN;
    dayMs = Date.UTC(y, mo - 1, d);
    if (new Date(dayMs).getUTCDate() !== d) return NaN;
    cachedDay = s.slice(0, 10);
    cachedDayMs = dayMs;
  }
  const h = digits(s, 11, 2);
  const mi = digits(s, 14, 2);
  if (h < 0 || h > 23 || mi < 0 || mi > 59 || s.charCodeAt(13) !== 58) return NaN;
  let i = 16;
  let sec = 0;
  let ms = 0;
  if (s.charCodeAt(i) === 58) {
    sec = digits(s, i + 1, 2);
    if (sec < 0 || sec > 60) return NaN;
    i += 3;
    if (s.charCodeAt(i) === 46) {
      let j = i + 1;
      let frac = 0;
      let scale = 100;
      while (j < n) {
        const c = s.charCodeAt(j) - 48;
        if (c < 0 || c > 9) break;
        frac += c * scale;
        scale /= 10;
        j++;
      }
      if (j === i + 1) return NaN;
      ms = Math.floor(frac);
      i = j;
    }
  }
  let offset: number;
  const z = s.charCodeAt(i);
  if ((z | 32) === 122 && i + 1 === n) offset = 0;
  else if (z === 43 || z === 45) {
    const oh = digits(s, i + 1, 2);
    const om = s.charCodeAt(i + 3) === 58 ? digits(s, i + 4, 2) : digits(s, i + 3, 2);
    const end = s.charCodeAt(i + 3) === 58 ? i + 6 : i + 5;
    if (oh < 0 || om < 0 || end !== n) return NaN;
    offset = (z === 45 ? -1 : 1) * (oh * 60 + om) * 60_000;
  } else return NaN;
  return dayMs + h * 3_600_000 + mi * 60_000 + sec * 1000 + ms - offset;
}

let cachedByteDay = new Uint8Array(10);
let cachedByteDayMs = NaN;

/**
 * `parseIsoTime` of the bytes `buf[a, b)` for the shape every record file has,
 * `2026-11-30T10:15:30+08:00` (or `…Z`): no string made. NaN for anything else, which the caller
 * then reads as a string with `parseIsoTime` (fractions, `+0800`, and bad times with their reason).
 */
export function parseIsoTimeBytes(buf: Uint8Array, a: number, b: number): number {
  const n = b - a;
  if (n !== 25 && n !== 20) return NaN;
  if (buf[a + 4] !== 45 || buf[a + 7] !== 45 || (buf[a + 10]! | 32) !== 116) return NaN;
  let dayMs = cachedByteDayMs;
  const day = cachedByteDay;
  for (let i = 0; i < 10; i++)
    if (day[i] !== buf[a + i]) {
      dayMs = NaN;
      break;
    }
  if (Number.isNaN(dayMs)) {
    const y = byteDigits(buf, a, 4);
    const mo = byteDigits(buf, a + 5, 2);
    const d = byteDigits(buf, a + 8, 2);
    if (y < 0 || mo < 1 || mo > 12 || d < 1 || d > 31) return NaN;
    dayMs = Date.UTC(y, mo - 1, d);
    if (new Date(dayMs).getUTCDate() !== d) return NaN;
    cachedByteDay = buf.slice(a, a + 10);
    cachedByteDayMs = dayMs;
  }
  const h = byteDigits(buf, a + 11, 2);
  const mi = byteDigits(buf, a + 14, 2);
  const sec = byteDigits(buf, a + 17, 2);
  if (h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 60) return NaN;
  if (buf[a + 13] !== 58 || buf[a + 16] !== 58) return NaN;
  const z = buf[a + 19]!;
  let offset: number;
  if (n === 20) {
    if ((z | 32) !== 122) return NaN;
    offset = 0;
  } else {
    if ((z !== 43 && z !== 45) || buf[a + 22] !== 58) return NaN;
    const oh = byteDigits(buf, a + 20, 2);
    const om = byteDigits(buf, a + 23, 2);
    if (oh < 0 || om < 0) return NaN;
    offset = (z === 45 ? -1 : 1) * (oh * 60 + om) * 60_000;
  }
  return dayMs + h * 3_600_000 + mi * 60_000 + sec * 1000 - offset;
}

function byteDigits(buf: Uint8Array, at: number, len: number): number {
  let v = 0;
  for (let i = at; i < at + len; i++) {
    const c = buf[i]! - 48;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v;
}

function digits(s: string, at: number, len: number): number {
  let v = 0;
  for (let i = at; i < at + len; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v;
}

// --- fields ------------------------------------------------------------------------------------

/** `^\+[1-9]\d{6,14}$` by hand: twice per call record, without the regex engine. */
function isE164(s: string): boolean {
  const n = s.length;
  if (n < 8 || n > 16 || s.charCodeAt(0) !== 43) return false;
  const c1 = s.charCodeAt(1);
  if (c1 < 49 || c1 > 57) return false;
  for (let i = 2; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}
/** `1234.5` → 123450 minor units, or NaN: `^\d{1,13}(\.\d{1,2})?$` by hand, once per transaction. */
export function parseAmount(s: string): number {
  const n = s.length;
  let i = 0;
  let v = 0;
  for (; i < n; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) break;
    v = v * 10 + c;
  }
  if (i === 0 || i > 13) return NaN;
  if (i === n) return v * 100;
  const frac = n - i - 1;
  if (s.charCodeAt(i) !== 46 || frac < 1 || frac > 2) return NaN;
  const d1 = s.charCodeAt(i + 1) - 48;
  if (d1 < 0 || d1 > 9) return NaN;
  if (frac === 1) return v * 100 + d1 * 10;
  const d2 = s.charCodeAt(i + 2) - 48;
  if (d2 < 0 || d2 > 9) return NaN;
  return v * 100 + d1 * 10 + d2;
}

/** `^[A-Z]{3}$` without the regex engine. */
function isCurrency(s: string): boolean {
  if (s.length !== 3) return false;
  for (let i = 0; i < 3; i++) {
    const c = s.charCodeAt(i);
    if (c < 65 || c > 90) return false;
  }
  return true;
}

// --- lines -------------------------------------------------------------------------------------

/** The lines of a file, with 1-based numbers, read in large chunks (no readline overhead). */
export async function* fileLines(file: string): AsyncGenerator<{ no: number; line: string }> {
  let rest = '';
  let no = 0;
  for await (const chunk of fs.createReadStream(file, { encoding: 'utf8', highWaterMark: 1 << 20 })) {
    const text = rest + (chunk as string);
    let start = 0;
    for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', start)) {
      no++;
      const end = i > start && text.charCodeAt(i - 1) === 13 ? i - 1 : i;
      yield { no, line: text.slice(start, end) };
      start = i + 1;
    }
    rest = text.slice(start);
  }
  if (rest.length > 0) yield { no: no + 1, line: rest };
}

/** Splits one CSV line: by hand when it has no quote, else with the real parser. */
export function splitCsv(line: string): string[] {
  if (line.indexOf('"') === -1) return line.split(',');
  try {
    const rows = parseCsvSync(line, { relax_column_count: true }) as string[][];
    return rows[0] ?? [];
  } catch {
    return [];
  }
}

export type Format = 'csv' | 'ndjson';

export function formatOf(file: string, declared?: string): Format {
  if (declared === 'csv' || declared === 'ndjson') return declared;
  if (declared) throw new Error(`unknown format ${declared}: csv or ndjson`);
  return /\.(ndjson|jsonl)$/i.test(file) ? 'ndjson' : 'csv';
}

// --- rows --------------------------------------------------------------------------------------

/** Reads one kind of record from a file; `columns` are the required ones, in the order. */
export interface RecordKind<T> {
  name: string;
  columns: readonly string[];
  /**
   * Columns a file may leave out, after `columns` in the values `build` gets (empty when the file
   * has no such column).
   */
  optional?: readonly string[];
  /**
   * Columns whose values seldom repeat (times, ids, amounts): decoded each time, never interned.
   * The others (numbers, IMSIs, IMEIs, cells, accounts, kinds) are interned (src/detection/intern.ts).
   */
  unique?: readonly string[];
  /** A time column the reader may parse straight from the bytes (`parseIsoTimeBytes`). */
  time?: string;
  /**
   * From the values of the required columns, in `columns` order. `time` is the `time` column
   * already parsed, or NaN when it is to be read from `v` (then `v` holds it). `facts`, from the
   * file reader, spares reading the strings themselves.
   */
  build(v: readonly string[], time: number, facts?: RowFacts): RowResult<T>;
  /** Required columns (indexes) that must hold E.164 numbers: checked once per distinct value. */
  e164?: readonly number[];
  /**
   * Hands a built record the shared entries of its interned values (`entry(i)` for the value of
   * required column `i`, undefined when it was not interned); only when the reader was given an
   * interner (`runDetection`).
   */
  link?(value: T, entry: (i: number) => Interned | undefined): void;
  /** The record's time, for kinds read in time order (`ReadOptions.order`). */
  timeOf?(value: T): number;
}

/** The interner's mark of a value accepted as an E.164 number. */
const E164_MARK = 1;

const fail = (reason: string): RowRejection => new RowRejection(reason);

/**
 * What the file reader knows of a row's values without reading them: a value's string is an
 * object elsewhere in memory, and on the hot path reading it (even its length) is a cache miss.
 * Per required column, in `columns` order.
 */
export interface RowFacts {
  /** The value's length in the file's bytes; -1 when not known (then read the string). */
  len: Int32Array;
  /** 1: the value is an interned one an earlier row of this column already had checked as E.164. */
  e164: Uint8Array;
}

/** Whether value `i` of the row is empty, from the reader's facts when it has them. */
function empty(v: readonly string[], i: number, facts: RowFacts | undefined): boolean {
  const n = facts === undefined ? -1 : facts.len[i]!;
  return n < 0 ? v[i] === '' : n === 0;
}

/** Whether value `i` is E.164: known from an earlier row, or checked. */
function e164At(v: readonly string[], i: number, facts: RowFacts | undefined): boolean {
  return (facts !== undefined && facts.e164[i] === 1) || isE164(v[i]!);
}

export const CALLS: RecordKind<CallRecord> = {
  name: 'call records',
  columns: ['ts', 'kind', 'caller', 'callee', 'duration_s', 'imsi', 'imei', 'cell_id', 'origin'],
  unique: ['ts'],
  time: 'ts',
  e164: [2, 3],
  build(v, time, facts) {
    const ts = Number.isNaN(time) ? parseIsoTime(v[0]!) : time;
    if (Number.isNaN(ts)) return fail(`ts: not an ISO 8601 time with offset: ${v[0]!.slice(0, 40)}`);
    const kind = v[1];
    if (kind !== 'voice' && kind !== 'sms') return fail('kind: voice or sms');
    if (!e164At(v, 2, facts)) return fail(`caller: not an E.164 number: ${v[2]!.slice(0, 20)}`);
    if (!e164At(v, 3, facts)) return fail(`callee: not an E.164 number: ${v[3]!.slice(0, 20)}`);
    const d = empty(v, 4, facts) ? 0 : Number(v[4]);
    if (!(d >= 0 && d < 86_400)) return fail('duration_s: seconds, 0 to 86399');
    const origin = v[8];
    if (origin !== 'onnet' && origin !== 'offnet' && origin !== 'intl')
      return fail('origin: onnet, offnet or intl');
    return {
      ts,
      // The literals, not the file's strings: the detectors compare them on every record, and
      // two internalised strings compare by pointer.
      kind: kind === 'voice' ? 'voice' : 'sms',
      caller: v[2]!,
      callee: v[3]!,
      durationS: d,
      imsi: empty(v, 5, facts) ? null : v[5]!,
      imei: empty(v, 6, facts) ? null : v[6]!,
      cellId: empty(v, 7, facts) ? null : v[7]!,
      origin: origin === 'onnet' ? 'onnet' : origin === 'offnet' ? 'offnet' : 'intl',
      // Set by `link` when read with an interner; here so that every record has one shape.
      callerRef: undefined,
      calleeRef: undefined,
    };
  },
  link(c, entry) {
    c.callerRef = entry(2);
    c.calleeRef = entry(3);
  },
  timeOf: (c) => c.ts,
};

export const TRANSACTIONS: RecordKind<TransactionRecord> = {
  name: 'transactions',
  columns: ['ts', 'txn_id', 'payer_account', 'payee_account', 'amount', 'currency', 'channel'],
  unique: ['ts', 'txn_id', 'amount'],
  time: 'ts',
  build(v, time, facts) {
    const ts = Number.isNaN(time) ? parseIsoTime(v[0]!) : time;
    if (Number.isNaN(ts)) return fail(`ts: not an ISO 8601 time with offset: ${v[0]!.slice(0, 40)}`);
    // Emptiness from the reader's facts: the accounts' strings are read only by the detectors
    // that need them (two thirds of transfers are too small for any lookup).
    if (empty(v, 1, facts)) return fail('txn_id: required');
    if (empty(v, 2, facts)) return fail('payer_account: required');
    // Cash taken out at an ATM or a counter has no payee account: the money left the system.
    const cashOut = v[6] === 'atm' || v[6] === 'counter';
    if (empty(v, 3, facts) && !cashOut)
      return fail('payee_account: required (empty only for atm and counter cash-outs)');
    const amount = parseAmount(v[4]!);
    if (Number.isNaN(amount) || amount <= 0) return fail(`amount: a positive decimal: ${v[4]!.slice(0, 20)}`);
    if (!isCurrency(v[5]!)) return fail('currency: a three-letter code');
    return {
      ts,
      txnId: v[1]!,
      payer: v[2]!,
      payee: v[3]!,
      amount,
      currency: v[5]!,
      channel: v[6] || 'other',
    };
  },
  timeOf: (t) => t.ts,
};

/**
 * An optional end time (a card's `cancelled_at`, an account's `closed_at`): undefined when empty,
 * the epoch ms, or the reason the row is rejected (not a time, or before `start`).
 */
function endTime(v: string, start: number, name: string, startName: string): number | undefined | string {
  if (v === '') return undefined;
  const t = parseIsoTime(v);
  if (Number.isNaN(t)) return `${name}: not an ISO 8601 time with offset: ${v.slice(0, 40)}`;
  return t < start ? `${name}: before ${startName}` : t;
}

export const CARDS: RecordKind<CardRecord> = {
  name: 'phone cards',
  columns: ['msisdn', 'imsi', 'holder_id', 'holder_region', 'card_type', 'activated_at', 'operator'],
  optional: ['cancelled_at', 'outlet'],
  unique: ['activated_at', 'cancelled_at'],
  time: 'activated_at',
  build(v, time) {
    if (!isE164(v[0]!)) return fail(`msisdn: not an E.164 number: ${v[0]!.slice(0, 20)}`);
    const type = v[4];
    if (type !== 'consumer' && type !== 'iot') return fail('card_type: consumer or iot');
    const at = Number.isNaN(time) ? parseIsoTime(v[5]!) : time;
    if (Number.isNaN(at)) return fail('activated_at: not an ISO 8601 time with offset');
    const cancelledAt = endTime(v[7]!, at, 'cancelled_at', 'activated_at');
    if (typeof cancelledAt === 'string') return fail(cancelledAt);
    const outlet = v[8]!;
    if (outlet.length > 64) return fail('outlet: at most 64 characters');
    return {
      msisdn: v[0]!,
      imsi: v[1]!,
      holderId: v[2]!,
      holderRegion: v[3]!,
      cardType: type,
      activatedAt: at,
      operator: v[6]!,
      ...(cancelledAt !== undefined && { cancelledAt }),
      ...(outlet !== '' && { outlet }),
    };
  },
};

export const ACCOUNTS: RecordKind<AccountRecord> = {
  name: 'accounts',
  columns: ['account', 'institution', 'holder_id', 'account_type', 'opened_at'],
  optional: ['closed_at'],
  unique: ['opened_at', 'closed_at'],
  time: 'opened_at',
  build(v, time) {
    if (!v[0]) return fail('account: required');
    const type = v[3];
    if (type !== 'personal' && type !== 'corporate') return fail('account_type: personal or corporate');
    const at = Number.isNaN(time) ? parseIsoTime(v[4]!) : time;
    if (Number.isNaN(at)) return fail('opened_at: not an ISO 8601 time with offset');
    const closedAt = endTime(v[5]!, at, 'closed_at', 'opened_at');
    if (typeof closedAt === 'string') return fail(closedAt);
    return {
      account: v[0]!,
      institution: v[1]!,
      holderId: v[2]!,
      accountType: type,
      openedAt: at,
      ...(closedAt !== undefined && { closedAt }),
    };
  },
};

/**
 * Records handed out at a time, at most: a 1 MiB read holds about 9,000 call records, and handed
 * out whole they all stayed alive (and were copied by the young-generation GC) until the last was
 * seen. Measured on a 50,000-person world, four alternating runs each: 100,279 to 120,769 call
 * records/s against 95,396 to 108,153 whole (6% on average, within this machine's noise).
 */
export const RECORDS_PER_BATCH = 1024;

export class FormatError extends Error {}

type RejectFn = (line: number, reason: string, raw: string) => void;

/**
 * How much out of time order a call or transaction file may be (ms) for `interdict detect` and
 * `interdict detect publish`: records from several switches or systems, or written when a call
 * ended, come a little out of order; within this they are put back in order, beyond it rejected.
 */
export const DEFAULT_LATENESS_MS = 300_000;

/** Reading records in time order (`readRecordBatches`). */
export interface OrderOptions {
  /** A record up to this much earlier than the latest one read is put back in its place (ms). */
  latenessMs: number;
  /**
   * Stream time already acted on (the record stream's last tick): an earlier record is rejected,
   * whatever the lateness.
   */
  floor?: number;
  /** At most this many records held (default `MAX_HELD`): beyond, the oldest go on early. */
  maxHeld?: number;
}

/**
 * Records `TimeOrder` holds at most: a lateness holds its span of records (300 s of a national
 * feed at 10,000 records/s is 3 million, about 450 MB), and `--max-lateness` may be a day. Past
 * this the oldest are handed on early; a record that then comes before one handed on is rejected,
 * as a late one is (docs/formats.md, "Order").
 */
export const MAX_HELD = 1_000_000;

export interface ReadOptions {
  format?: string;
  onReject?: RejectFn;
  interner?: Interner;
  /** Hand out the records in time order (stable for equal times); kinds with `timeOf` only. */
  order?: OrderOptions;
}

/** How the reason of a record rejected by `TimeOrder.floor` begins (`detect publish` counts them apart). */
export const BEFORE_LAST_TICK = "ts: before the record stream's last tick";

/**
 * Puts records back in time order within a lateness (docs/formats.md, "Order"): a record is held
 * until no record that may still come can precede it, i.e. until one `latenessMs` later has been
 * read; a record more than `latenessMs` before the latest one read is late (its place was handed
 * out already). Input already in order is appended and handed out as it comes; equal times keep
 * the file's order.
 *
 * One wrong clock must not make the rest of a file late: a record more than `gapMs` (the lateness,
 * and at least an hour) ahead of those before it, or the first one, moves the order on only once
 * the next record agrees with it. If the next one is more than `gapMs` before it, back where the
 * others were, the jump was a lone record out of line: it is taken out (`add` returns its tag, to
 * reject) and the file reads on.
 */
export class TimeOrder<T, Tag = unknown> {
  /**
   * The records held are `items[head, tail)`, their times `times[head, tail)`. The arrays never
   * shrink and are compacted in place (`release`): no new array per record or per release, and the
   * times in a typed array (moved in a plain array, each would be boxed on the heap).
   */
  private items: (T | undefined)[] = [];
  private times = new Float64Array(1024);
  private head = 0;
  private tail = 0;
  /** The time of the latest record added (a pending jump not counted). */
  latest = -Infinity;
  /** A jump ahead waiting for the next record: the last record added, at the end of the buffer. */
  private pending: { ts: number; tag: Tag } | null = null;
  /** How far ahead a record must be to wait for the next one's word. */
  readonly gapMs: number;
  /** The time of the last record handed on: an earlier one has lost its place. */
  private released = -Infinity;

  constructor(
    readonly latenessMs: number,
    readonly floor = -Infinity,
    readonly maxHeld = MAX_HELD,
  ) {
    this.gapMs = Math.max(latenessMs, 3_600_000);
  }

  /** Why a record of time `ts` cannot be added, or null. */
  late(ts: number): string | null {
    if (ts < this.floor)
      return `${BEFORE_LAST_TICK} (${new Date(this.floor).toISOString()}): published already, or too late (the workers have acted on that time)`;
    if (ts < this.latest - this.latenessMs)
      return `ts: ${Math.ceil((this.latest - ts) / 1000)} s earlier than a record already read (at most ${this.latenessMs / 1000} s out of order: --max-lateness)`;
    if (ts < this.released)
      return `ts: ${Math.ceil((this.released - ts) / 1000)} s earlier than a record already handed on: ${this.maxHeld} records were held within --max-lateness, the most kept in memory`;
    return null;
  }

  /** Whether a record of time `ts` jumps ahead (then `add` needs its tag, to reject it if it stays alone). */
  jumps(ts: number): boolean {
    return this.latest === -Infinity || ts > this.latest + this.gapMs;
  }

  /**
   * Adds a record that is not `late`, with a tag when it `jumps`. Returns the tag of the pending
   * jump it shows to be out of line (taken out again), or null.
   */
  add(x: T, ts: number, tag: Tag | null): Tag | null {
    let outlier: Tag | null = null;
    const p = this.pending;
    const items = this.items;
    if (p !== null) {
      this.pending = null;
      if (ts >= p.ts - this.gapMs) {
        if (p.ts > this.latest) this.latest = p.ts;
      } else {
        items[--this.tail] = undefined;
        outlier = p.tag;
      }
    }
    const end = this.tail;
    if (end === items.length) items.push(undefined);
    let times = this.times;
    if (end === times.length) {
      times = new Float64Array(end * 2);
      times.set(this.times);
      this.times = times;
    }
    let i = end;
    while (i > this.head && times[i - 1]! > ts) i--;
    if (i < end) {
      items.copyWithin(i + 1, i, end);
      times.copyWithin(i + 1, i, end);
    }
    items[i] = x;
    times[i] = ts;
    this.tail = end + 1;
    if (tag !== null && this.jumps(ts)) this.pending = { ts, tag };
    else if (ts > this.latest) this.latest = ts;
    return outlier;
  }

  /** Moves into `out` the records no later record can precede (every record with `all`). */
  release(out: T[], all: boolean): void {
    const times = this.times;
    const items = this.items;
    const n = this.tail;
    const cut = this.latest - this.latenessMs;
    const keep = this.maxHeld;
    let h = this.head;
    while (h < n && (all || times[h]! <= cut || n - h > keep)) {
      out.push(items[h]!);
      // Not kept alive here once handed on: a record lives as long as its reader needs it.
      items[h++] = undefined;
    }
    if (h > this.head && times[h - 1]! > this.released) this.released = times[h - 1]!;
    if (all) this.pending = null;
    if (h === n) {
      h = 0;
      this.tail = 0;
    } else if (h > 1024 && h * 2 > n) {
      items.copyWithin(0, h, n);
      times.copyWithin(0, h, n);
      items.fill(undefined, n - h, n);
      this.tail = n - h;
      h = 0;
    }
    this.head = h;
  }

  /** Records held. */
  get size(): number {
    return this.tail - this.head;
  }
}

/** One file or several, as the commands take them (`--calls a.csv --calls b.csv`): as a list. */
export function filesOf(f: string | readonly string[] | undefined): string[] {
  return f === undefined ? [] : typeof f === 'string' ? [f] : [...f];
}

/**
 * Several files' records (each in time order, as `readRecordBatches` with `order` hands them out)
 * merged into one time order, in arrays of at most `RECORDS_PER_BATCH`: the files of several
 * switches or systems for one period. Records of equal times go in the order of the sources (the
 * first file's first), so batch and stream, which both merge through here, see one order.
 */
export async function* mergeByTime<T>(
  sources: readonly AsyncIterator<T[]>[],
  timeOf: (x: T) => number,
): AsyncGenerator<T[]> {
  if (sources.length === 1) {
    for (let b = await sources[0]!.next(); !b.done; b = await sources[0]!.next()) yield b.value;
    return;
  }
  const k = sources.length;
  const batches: (T[] | null)[] = Array.from({ length: k }, () => null);
  const at = new Int32Array(k);
  /** The next batch of source `i` with a record in it, or null at its end. */
  const refill = async (i: number): Promise<void> => {
    for (;;) {
      const b = await sources[i]!.next();
      if (b.done) {
        batches[i] = null;
        return;
      }
      if (b.value.length > 0) {
        batches[i] = b.value;
        at[i] = 0;
        return;
      }
    }
  };
  for (let i = 0; i < k; i++) await refill(i);
  let out: T[] = [];
  for (;;) {
    let best = -1;
    let bestTs = Infinity;
    for (let i = 0; i < k; i++) {
      const b = batches[i];
      if (!b) continue;
      const ts = timeOf(b[at[i]!]!);
      if (best === -1 || ts < bestTs) {
        best = i;
        bestTs = ts;
      }
    }
    if (best === -1) break;
    const b = batches[best]!;
    out.push(b[at[best]!]!);
    if (++at[best]! === b.length) await refill(best);
    if (out.length >= RECORDS_PER_BATCH) {
      yield out;
      out = [];
    }
  }
  if (out.length > 0) yield out;
}

/**
 * Several files of `kind` (`filesOf`), each read as `readRecordBatches` reads it with `opts` and
 * its own reject function, merged into one time order (`mergeByTime`); null when there are none.
 */
export function readMergedBatches<T>(
  files: readonly string[],
  kind: RecordKind<T>,
  opts: Omit<ReadOptions, 'onReject'> & { order: OrderOptions },
  onReject: (file: string) => RejectFn,
): AsyncGenerator<T[]> | null {
  if (files.length === 0) return null;
  const readers = files.map((file) => readRecordBatches(file, kind, { ...opts, onReject: onReject(file) }));
  return mergeByTime(readers, kind.timeOf!);
}

/**
 * Reads `file` as records of `kind`: each good row, and each bad one with its line and reason
 * (to `onReject`). A file whose header lacks a required column, or that is not the declared
 * format, stops with a FormatError before any record is handed out.
 */
export async function* readRecords<T>(
  file: string,
  kind: RecordKind<T>,
  opts: ReadOptions = {},
): AsyncGenerator<T> {
  for await (const batch of readRecordBatches(file, kind, opts)) yield* batch;
}

/**
 * `readRecords` a chunk at a time: the good records of each 1 MiB read, in file order, at most
 * `RECORDS_PER_BATCH` at a time (never an empty batch). This is the hot path of `interdict
 * detect`: one awaited step per batch instead of per record, and the CSV fields are cut straight
 * out of the bytes (no line string, no split array). Each field is its own flat string, not a slice of the chunk (a sliced key costs about
 * twice as much in a Map, and kept every chunk alive while one of its numbers stayed a key). Fields
 * that repeat (numbers, IMSIs, IMEIs, cells, accounts, kinds) are interned: one string per distinct
 * value, found from the bytes without decoding (src/detection/intern.ts); the others are decoded,
 * reused when equal to the row before, and the `time` column is parsed from the bytes. Given an
 * `interner` (shared by the files of one run), records also get their values' shared entries
 * (`kind.link`).
 */
export async function* readRecordBatches<T>(
  file: string,
  kind: RecordKind<T>,
  opts: ReadOptions = {},
): AsyncGenerator<T[]> {
  const format = formatOf(file, opts.format);
  const reject = opts.onReject ?? (() => undefined);
  const interner = opts.interner ?? new Interner();
  const ncols = kind.columns.length;
  /** The required columns, then the optional ones. */
  const names = columnsOf(kind);
  const nvals = names.length;
  const values: string[] = new Array<string>(nvals).fill('');
  /** Per column of `names`: the interner's id of its value in this row, or -1. */
  const ids = new Int32Array(nvals).fill(-1);
  const link = opts.interner !== undefined ? kind.link : undefined;
  const entry = (i: number): Interned | undefined => (ids[i]! >= 0 ? interner.entry(ids[i]!) : undefined);
  const facts: RowFacts = { len: new Int32Array(nvals).fill(-1), e164: new Uint8Array(nvals) };
  const e164 = kind.e164 ?? [];
  /** Per file column: the value of the previous row, reused when the bytes are the same. */
  let previous: string[] = [];
  let index: number[] | null = null;
  /** File column → position in `values`, or -1 for a column no one needs. */
  let want: Int32Array | null = null;
  /** File column → 1 when its values are interned. */
  let interned: Uint8Array | null = null;
  /** File columns a row must have: up to the last required one. */
  let needed = 0;
  /** File column of `kind.time`, or -1. */
  let timeCol = -1;
  let no = 0;
  let out: T[] = [];
  if (opts.order !== undefined && kind.timeOf === undefined)
    throw new Error(`${kind.name} have no time order`);
  const order =
    opts.order === undefined
      ? null
      : new TimeOrder<T, { line: number; raw: string }>(
          opts.order.latenessMs,
          opts.order.floor,
          opts.order.maxHeld,
        );
  const timeOf = kind.timeOf!;

  const text = (buf: Buffer, start: number, end: number) => buf.toString('utf8', start, end);

  /** One non-empty line `buf[start, end)`, number `no`. */
  const line = (buf: Buffer, start: number, end: number, quoted: boolean): void => {
    if (index === null) {
      index = header(file, format, kind, text(buf, start, end));
      want = new Int32Array(Math.max(...index) + 1).fill(-1);
      needed = Math.max(...index.slice(0, ncols)) + 1;
      interned = new Uint8Array(want.length);
      for (let i = 0; i < index.length; i++) {
        if (index[i]! < 0) continue; // an optional column the file does not have: always empty
        want[index[i]!] = i;
        if (!kind.unique?.includes(names[i]!)) interned[index[i]!] = 1;
      }
      previous = new Array<string>(want.length).fill('');
      if (kind.time !== undefined) timeCol = index[kind.columns.indexOf(kind.time)]!;
      if (format === 'csv') return;
    }
    let time = NaN;
    if (format === 'csv') {
      if (!quoted) {
        // Plain line: walk the commas (ASCII, so never inside a UTF-8 character).
        const w = want!;
        const intern = interned!;
        const last = w.length;
        let col = 0;
        let a = start;
        while (col < last) {
          let b = a;
          let high = 0;
          while (b < end) {
            const c = buf[b]!;
            if (c === 44) break;
            high |= c;
            b++;
          }
          const k = w[col]!;
          if (k >= 0) facts.len[k] = b - a;
          if (k < 0 || (col === timeCol && !Number.isNaN((time = parseIsoTimeBytes(buf, a, b))))) {
            // Not needed, or a time read straight from the bytes.
          } else if (high < 128 && intern[col] === 1) {
            values[k] = interner.intern(buf, a, b);
            ids[k] = interner.lastId;
          } else {
            ids[k] = -1;
            const prev = previous[col]!;
            const n = b - a;
            let same = prev.length === n;
            for (let j = 0; same && j < n; j++) same = prev.charCodeAt(j) === buf[a + j];
            if (same) values[k] = prev;
            else if (high < 128) values[k] = previous[col] = buf.toString('latin1', a, b);
            else {
              // Not ASCII: decoded, and not kept for reuse (bytes and UTF-16 units don't compare).
              values[k] = buf.toString('utf8', a, b);
              previous[col] = '';
            }
          }
          col++;
          if (b >= end) break;
          a = b + 1;
        }
        if (col < last) {
          if (col < needed) {
            reject(no, `expected ${ncols} columns or more`, text(buf, start, end).slice(0, 500));
            return;
          }
          // A row that stops before its optional columns: they are empty.
          for (; col < last; col++) {
            const k = w[col]!;
            if (k >= 0) {
              values[k] = '';
              ids[k] = -1;
              facts.len[k] = 0;
            }
          }
        }
      } else {
        ids.fill(-1);
        facts.len.fill(-1);
        const ln = text(buf, start, end);
        const f = splitCsv(ln);
        for (let i = 0; i < nvals; i++) {
          let x = index[i]! < 0 ? '' : f[index[i]!];
          if (x === undefined && i >= ncols) x = '';
          if (x === undefined) {
            reject(no, `expected ${ncols} columns or more`, ln.slice(0, 500));
            return;
          }
          values[i] = x;
        }
      }
    } else {
      ids.fill(-1);
      facts.len.fill(-1);
      const ln = text(buf, start, end);
      let o: Record<string, unknown>;
      try {
        o = JSON.parse(ln) as Record<string, unknown>;
      } catch {
        reject(no, 'not a JSON object', ln.slice(0, 500));
        return;
      }
      if (typeof o !== 'object' || o === null || Array.isArray(o)) {
        reject(no, 'not a JSON object', ln.slice(0, 500));
        return;
      }
      for (let i = 0; i < nvals; i++) {
        const x = o[names[i]!];
        values[i] = x === undefined || x === null ? '' : String(x);
      }
    }
    for (const k of e164) facts.e164[k] = ids[k]! >= 0 && interner.marked(ids[k]!, E164_MARK) ? 1 : 0;
    const r = kind.build(values, time, facts);
    if (!(r instanceof RowRejection)) {
      for (const k of e164) if (ids[k]! >= 0) interner.mark(ids[k]!, E164_MARK);
      if (order === null) {
        if (link !== undefined) link(r, entry);
        out.push(r);
        return;
      }
      const ts = timeOf(r);
      const late = order.late(ts);
      if (late !== null) {
        reject(no, late, text(buf, start, end).slice(0, 500));
        return;
      }
      if (link !== undefined) link(r, entry);
      const tag = order.jumps(ts) ? { line: no, raw: text(buf, start, end).slice(0, 500) } : null;
      const outlier = order.add(r, ts, tag);
      if (outlier !== null)
        reject(
          outlier.line,
          `ts: more than ${order.gapMs / 1000} s ahead of the records before and after it: a wrong clock?`,
          outlier.raw,
        );
      order.release(out, false);
    } else reject(no, r.reason, text(buf, start, end).slice(0, 500));
  };

  let rest: Buffer | null = null;
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 1 << 20 })) {
    const buf: Buffer = rest === null ? (chunk as Buffer) : Buffer.concat([rest, chunk as Buffer]);
    interner.trim();
    let start = 0;
    // The next quote in the chunk: lines before it take the plain path.
    let quote = buf.indexOf(34);
    for (let i = buf.indexOf(10); i !== -1; i = buf.indexOf(10, start)) {
      no++;
      const end = i > start && buf[i - 1] === 13 ? i - 1 : i;
      if (end > start) {
        const quoted = quote !== -1 && quote < end;
        line(buf, start, end, quoted);
        if (quoted) quote = buf.indexOf(34, i);
      }
      start = i + 1;
      if (out.length >= RECORDS_PER_BATCH) {
        yield out;
        out = [];
      }
    }
    rest = start < buf.length ? buf.subarray(start) : null;
    if (out.length > 0) {
      yield out;
      out = [];
    }
  }
  if (rest !== null) {
    no++;
    line(rest, 0, rest.length, rest.indexOf(34) !== -1);
  }
  order?.release(out, true);
  for (let i = 0; i < out.length; i += RECORDS_PER_BATCH) yield out.slice(i, i + RECORDS_PER_BATCH);
  if (index === null) throw new FormatError(`${file} is empty: expected ${kind.name}`);
}

/**
 * Checks `file`'s first line against `kind` (the header, or the first NDJSON record); throws a
 * FormatError as `readRecords` would, without reading the rest.
 */
export async function checkHeader<T>(file: string, kind: RecordKind<T>, declared?: string): Promise<void> {
  const format = formatOf(file, declared);
  for await (const { line } of fileLines(file)) {
    if (line.length === 0) continue;
    header(file, format, kind, line);
    return;
  }
  throw new FormatError(`${file} is empty: expected ${kind.name}`);
}

function header<T>(file: string, format: Format, kind: RecordKind<T>, first: string): number[] {
  if (format === 'ndjson') {
    let o: unknown;
    try {
      o = JSON.parse(first);
    } catch {
      throw new FormatError(`${file} is not NDJSON: its first line is not a JSON object`);
    }
    if (typeof o !== 'object' || o === null || Array.isArray(o))
      throw new FormatError(`${file} is not NDJSON: its first line is not a JSON object`);
    const missing = kind.columns.filter((c) => !(c in (o as object)));
    if (missing.length)
      throw new FormatError(
        `${file} is not a file of ${kind.name}: its first record lacks ${missing.join(', ')}`,
      );
    return columnsOf(kind).map((_, i) => i);
  }
  if (first.startsWith('{'))
    throw new FormatError(`${file} looks like NDJSON, not CSV: use a .ndjson name or --format ndjson`);
  const cols = splitCsv(first.replace(/^\uFEFF/, '')).map((c) => c.trim().toLowerCase());
  const missing = kind.columns.filter((c) => !cols.includes(c));
  if (missing.length)
    throw new FormatError(
      `${file} is not a file of ${kind.name}: the header lacks ${missing.join(', ')} (expected ${kind.columns.join(',')})`,
    );
  return columnsOf(kind).map((c) => cols.indexOf(c));
}

/** A kind's required columns, then its optional ones: the order of the values `build` gets. */
function columnsOf<T>(kind: RecordKind<T>): readonly string[] {
  return kind.optional ? [...kind.columns, ...kind.optional] : kind.columns;
}
