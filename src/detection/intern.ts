import { hashNumber } from './detectors/common.ts';
import type { CallRecord, CardRecord } from './records.ts';

/**
 * One string per distinct field value, straight from the bytes of a file (the parser's hot path).
 * A call file names the same numbers, IMSIs, IMEIs and cells over and over; decoding each field
 * into a new string costs a native call, a fresh hash at every Map lookup and a full comparison
 * against the key found. An interned field is the same string object every time: it is not
 * decoded again, its hash is computed once, and Map lookups compare it by pointer.
 *
 * The hot path is memory-bound (state for tens of thousands of subjects does not fit in the
 * caches), so a lookup touches one table slot: its hash, length, id and the first 20 bytes of the
 * value side by side in one Int32Array (longer values are compared against their string). Only
 * ASCII is interned (a UTF-8 field is decoded as usual). The table is cleared (`trim`, between
 * chunks) once it holds `maxSize` values, so memory stays bounded in a long input: strings and
 * `Interned` entries already handed out stay valid, only the sharing restarts.
 */
export class Interner {
  /** Per slot: hash, length, id + 1 (0: empty), then the first 20 bytes of the value. */
  private table: Int32Array;
  private mask: number;
  /** By id. */
  private strings: string[] = [];
  private entries: (Interned | undefined)[] = [];
  /** By id: bits the reader set on a value once it checked it (`mark`), so as not to check it again. */
  private marks = new Uint8Array(1 << 14);
  /** By id: the `turn` in which the value's entry was last handed out (`dropQuietEntries`). */
  private entryTurn = new Uint32Array(1 << 14);
  private turn = 1;
  /** Id of the value of the last `intern` call. */
  lastId = -1;

  constructor(
    private readonly maxSize = 1 << 19,
    capacity = 1 << 14,
  ) {
    this.table = new Int32Array(capacity * SLOT);
    this.mask = capacity - 1;
  }

  get size(): number {
    return this.strings.length;
  }

  /** Table slots (it grows to keep at most half of them full). */
  get capacity(): number {
    return this.mask + 1;
  }

  /** The string of the ASCII bytes `buf[a, b)`: the same object for the same bytes. */
  intern(buf: Buffer, a: number, b: number): string {
    const n = b - a;
    // The bytes four at a time, little-endian: each word goes into the hash (an FNV-style multiply
    // and shift; `home` mixes the result), and the first five are the value's inline words. A byte
    // at a time, this loop was most of the interner's time.
    let h = 0x811c9dc5 ^ n;
    let w0 = 0;
    let w1 = 0;
    let w2 = 0;
    let w3 = 0;
    let w4 = 0;
    for (let i = 0; i < n; i += 4) {
      const k = a + i;
      const left = n - i;
      const w =
        left >= 4
          ? buf[k]! | (buf[k + 1]! << 8) | (buf[k + 2]! << 16) | (buf[k + 3]! << 24)
          : left === 3
            ? buf[k]! | (buf[k + 1]! << 8) | (buf[k + 2]! << 16)
            : left === 2
              ? buf[k]! | (buf[k + 1]! << 8)
              : buf[k]!;
      h = Math.imul(h ^ w, 0x01000193);
      h ^= h >>> 15;
      if (i < INLINE) {
        if (i === 0) w0 = w;
        else if (i === 4) w1 = w;
        else if (i === 8) w2 = w;
        else if (i === 12) w3 = w;
        else w4 = w;
      }
    }
    const t = this.table;
    const mask = this.mask;
    let i = home(h) & mask;
    for (;;) {
      const o = i * SLOT;
      const id1 = t[o + 2]!;
      if (id1 === 0) break;
      if (
        t[o] === h &&
        t[o + 1] === n &&
        t[o + 3] === w0 &&
        t[o + 4] === w1 &&
        t[o + 5] === w2 &&
        t[o + 6] === w3 &&
        t[o + 7] === w4
      ) {
        const s = this.strings[id1 - 1]!;
        if (n <= INLINE || sameTail(s, buf, a, n)) {
          this.lastId = id1 - 1;
          return s;
        }
      }
      i = (i + 1) & mask;
    }
    const s = buf.toString('latin1', a, b);
    if ((this.strings.length + 1) * 2 > mask + 1) this.grow();
    const id = this.strings.length;
    this.strings.push(s);
    this.entries.push(undefined);
    this.place(h, n, id, w0, w1, w2, w3, w4);
    this.lastId = id;
    return s;
  }

  /** The entry of the value of id `id` (from `lastId`), made on first use. */
  entry(id: number): Interned {
    let e = this.entries[id];
    if (e === undefined) {
      e = new Interned(this.strings[id]!);
      this.entries[id] = e;
    }
    if (id >= this.entryTurn.length) {
      const t = new Uint32Array(Math.max(id + 1, this.entryTurn.length * 2));
      t.set(this.entryTurn);
      this.entryTurn = t;
    }
    this.entryTurn[id] = this.turn;
    return e;
  }

  /** Whether the value of id `id` has an entry now (one was handed out and not let go since). */
  hasEntry(id: number): boolean {
    return this.entries[id] !== undefined;
  }

  /** Whether the value of id `id` carries mark `bit`. */
  marked(id: number, bit: number): boolean {
    return id < this.marks.length && (this.marks[id]! & bit) !== 0;
  }

  /** Sets mark `bit` on the value of id `id` (a fact about the value alone, such as its form). */
  mark(id: number, bit: number): void {
    if (id >= this.marks.length) {
      const m = new Uint8Array(Math.max(id + 1, this.marks.length * 2));
      m.set(this.marks);
      this.marks = m;
    }
    this.marks[id]! |= bit;
  }

  /**
   * Clears the table once it holds `maxSize` values. Called between chunks, never inside a row:
   * ids (`lastId`) of the row being read must stay valid until it is built.
   */
  trim(): void {
    if (this.strings.length >= this.maxSize) this.clear();
  }

  /**
   * Lets go of the entries not handed out since the last call (the values stay interned): an entry
   * holds what the detectors cached on it even after a sweep dropped it, so the runner calls this
   * once a day of stream time (`runDetection`) and the entries of numbers gone quiet go; a number
   * heard within the day keeps its entry. Entries handed out stay valid.
   */
  dropQuietEntries(): void {
    const es = this.entries;
    const turns = this.entryTurn;
    const now = this.turn;
    for (let id = 0; id < es.length; id++)
      if (es[id] !== undefined && (id >= turns.length || turns[id] !== now)) es[id] = undefined;
    this.turn = now + 1;
  }

  clear(): void {
    this.table.fill(0);
    this.strings = [];
    this.entries = [];
    this.entryTurn.fill(0);
    this.marks.fill(0);
  }

  private place(
    h: number,
    n: number,
    id: number,
    w0: number,
    w1: number,
    w2: number,
    w3: number,
    w4: number,
  ): void {
    const t = this.table;
    const mask = this.mask;
    let i = home(h) & mask;
    while (t[i * SLOT + 2] !== 0) i = (i + 1) & mask;
    const o = i * SLOT;
    t[o] = h;
    t[o + 1] = n;
    t[o + 2] = id + 1;
    t[o + 3] = w0;
    t[o + 4] = w1;
    t[o + 5] = w2;
    t[o + 6] = w3;
    t[o + 7] = w4;
  }

  private grow(): void {
    const old = this.table;
    this.table = new Int32Array(old.length * 2);
    this.mask = this.table.length / SLOT - 1;
    for (let o = 0; o < old.length; o += SLOT)
      if (old[o + 2] !== 0)
        this.place(
          old[o]!,
          old[o + 1]!,
          old[o + 2]! - 1,
          old[o + 3]!,
          old[o + 4]!,
          old[o + 5]!,
          old[o + 6]!,
          old[o + 7]!,
        );
  }
}

const SLOT = 8;
/** Bytes of a value kept in its slot: numbers, IMSIs, IMEIs, account numbers and id numbers fit. */
const INLINE = 20;

/** Spreads FNV's bits over the slot index (its low bits alone cluster badly on digit strings). */
function home(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return h ^ (h >>> 16);
}

function sameTail(s: string, buf: Buffer, a: number, n: number): boolean {
  for (let j = INLINE; j < n; j++) if (s.charCodeAt(j) !== buf[a + j]) return false;
  return true;
}

/**
 * A value's shared entry, handed to the call detectors with a call record (`callerRef`,
 * `calleeRef`): they keep here the state they last found for the number in their own maps, so
 * that most records need no Map lookup (a lookup is a few cache misses; the entry is already in
 * the cache from parsing). A cached state is used only while it came from the detector's current
 * map and no sweep has dropped it (`dropped` on the state; a restored checkpoint is a new map);
 * otherwise the detector looks the number up again. Only found states are cached (a miss is
 * looked up each time), so two entries of one number (after the interner was cleared, or from
 * two interners) never disagree. Not detector state: never snapshotted.
 */
export class Interned {
  /** `ctx.cardsByMsisdn.get(value)` (or undefined) while `cardsOf` / `cardsVersion` still match. */
  card: CardRecord | undefined = undefined;
  cardsOf: object | null = null;
  cardsVersion = -1;
  /** The number's partner window and the windows it is in (`PartnerWindows`, shared by simbox and fraud_caller). */
  window: unknown = undefined;
  windowOf: object | null = null;
  /** One slot per call detector that keeps per-number state: the state and the map it is in. */
  simbox: unknown = undefined;
  simboxOf: object | null = null;
  fraud: unknown = undefined;
  fraudOf: object | null = null;
  iot: unknown = undefined;
  iotOf: object | null = null;
  spoofed: unknown = undefined;
  spoofedOf: object | null = null;
  victim: unknown = undefined;
  victimOf: object | null = null;
  /** The card `victim` was found for (the person is its holder). */
  victimCard: unknown = undefined;

  /** `hashNumber(value)`: the call detectors hash their partners' numbers. */
  readonly hash: number;

  constructor(readonly value: string) {
    this.hash = hashNumber(value);
  }
}

/**
 * Shared entries for numbers that come as strings (the record stream decodes JSON): one `Interned`
 * per distinct number, and the number's one string, so that a streamed call record gets what a
 * file's record gets from the `Interner` (`callerRef`, `calleeRef`, and a caller and callee that
 * Map lookups compare by pointer).
 *
 * An entry also holds the states the detectors last cached on it, even after a sweep dropped
 * them, so the entries of numbers gone quiet must go. Two generations: a number is looked up in
 * the young one, then in the old one (and moved young); every `everyMs` of stream time, or when the
 * young one holds `maxSize` numbers, it becomes the old one and the old one is dropped. A number
 * heard within the last generation keeps its entry; memory is at most two generations' entries.
 * (A single table cleared only when full let a 30-day world's worker grow 10 MiB a day; a
 * generation smaller than the numbers active at once recreates entries all the time, slower than
 * none.) Entries handed out stay valid: a cached state is only ever used after it is checked
 * against the detector's map.
 */
export class NumberEntries {
  private young = new Map<string, Interned>();
  private old = new Map<string, Interned>();
  private nextTurn = -Infinity;

  constructor(
    private readonly maxSize = 1 << 17,
    private readonly everyMs = 86_400_000,
  ) {}

  of(value: string): Interned {
    let e = this.young.get(value);
    if (e !== undefined) return e;
    e = this.old.get(value) ?? new Interned(value);
    if (this.young.size >= this.maxSize) this.turn();
    this.young.set(value, e);
    return e;
  }

  /** Stream time `now` has come: a new generation when `everyMs` has passed since the last. */
  tick(now: number): void {
    if (now < this.nextTurn) return;
    this.nextTurn = now + this.everyMs;
    this.turn();
  }

  private turn(): void {
    this.old = this.young;
    this.young = new Map();
  }

  /** Gives a call record its numbers' entries, and their shared strings. */
  link(r: CallRecord): void {
    this.tick(r.ts);
    const a = this.of(r.caller);
    const b = this.of(r.callee);
    r.caller = a.value;
    r.callee = b.value;
    r.callerRef = a;
    r.calleeRef = b;
  }
}
