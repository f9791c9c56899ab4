/** Small helpers the call detectors share: number hashing, the partner set, clamping, rounding. */
import type { CallRecord } from '../records.ts';

/** FNV-1a of a number's characters (32-bit). Numbers are hashed once per record, never stored twice. */
export function hashNumber(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h | 0;
}

/** `hashNumber(r.caller)`, computed once per number by its interned entry when the record has one. */
export function callerHash(r: CallRecord): number {
  const e = r.callerRef;
  return e === undefined ? hashNumber(r.caller) : e.hash;
}

/** `hashNumber(r.callee)`, the same way. */
export function calleeHash(r: CallRecord): number {
  const e = r.calleeRef;
  return e === undefined ? hashNumber(r.callee) : e.hash;
}

export function clamp01(x: number): number {
  return x <= 0 ? 0 : x >= 1 ? 1 : x;
}

/** A day in ms: a clock's origin is a whole day, and moves by whole days. */
const DAY_MS = 86_400_000;

/** How far past its origin a clock's times may grow before a sweep moves the origin forward. */
export const REBASE_AFTER_MS = 12 * DAY_MS;

/**
 * Where a call detector's times start. Its states keep times as milliseconds since `origin`, not
 * since 1970: V8 keeps a field holding an integer below 2³¹ in the object itself, but one holding
 * an epoch time (about 1.8·10¹²) in a number object of its own, one more object to read and for
 * the collector to copy for every time in every state (docs/detection.md, "Small-integer
 * times"). The first record sets the origin (`rel`), a whole day before it. Records come in time
 * order, so no time a state keeps is negative until the origin moves: the detectors' sweeps move
 * it forward (`advance`) once their times pass `rebaseAfterMs`, to the start of a whole day one
 * to two days before stream time, and shift every time their states keep by as much. A time may
 * then be negative; a time only ever compared with 0 (`reportedAt`, whose −1 means "not
 * reported") is kept at 0 or above (`shiftMark`). Everything a detector hands out (detections,
 * flags) and compares with reference data (a card's activation) is on the epoch: `abs`.
 */
export class Clock {
  origin = 0;
  started = false;
  /** Stream time past the origin at which a sweep moves it (tests move it at every sweep). */
  rebaseAfterMs = REBASE_AFTER_MS;
  /** What the origin is a multiple of, and how far before stream time it goes (tests: 1 ms). */
  step = DAY_MS;

  /** Time `ts` (epoch ms) as this clock's; the first one sets the origin. */
  rel(ts: number): number {
    if (!this.started) this.start(ts);
    return ts - this.origin;
  }

  /** Epoch time `ts` as this clock's, without setting the origin (a drain before any record). */
  of(ts: number): number {
    return ts - this.origin;
  }

  /** This clock's time `t` on the epoch. */
  abs(t: number): number {
    return t + this.origin;
  }

  /**
   * How far to move the origin forward at stream time `now` (epoch ms), 0 for not now: to the
   * whole `step` a `step` or more before `now` (`advance`).
   */
  shiftFor(now: number): number {
    if (!this.started) return 0;
    const t = now - this.origin;
    if (!(t >= this.rebaseAfterMs)) return 0;
    const d = Math.floor((t - this.step) / this.step) * this.step;
    return d > 0 ? d : 0;
  }

  /**
   * Moves the origin forward when it is time (`shiftFor`), after `shift(by)` has shifted every time
   * the caller's states keep back by as much. Called from the sweeps.
   */
  advance(now: number, shift: (by: number) => void): void {
    const by = this.shiftFor(now);
    if (by === 0) return;
    shift(by);
    this.origin += by;
  }

  private start(ts: number): void {
    if (!Number.isFinite(ts)) return;
    this.origin = Math.floor(ts / DAY_MS) * DAY_MS - DAY_MS;
    this.started = true;
  }
}

/**
 * Mark `t` (a time only ever compared with 0: −1 for none) shifted back by `d`: a time stays a time,
 * at 0 or above.
 */
export function shiftMark(t: number, d: number): number {
  return t < 0 ? t : t - d > 0 ? t - d : 0;
}

/** The subject called this partner. */
export const OUT = 1;
/** The partner called the subject. */
export const IN = 2;

/** A partner key's home slot, before the table's mask. */
function slotOf(key: number): number {
  return (key >>> 2) ^ (key >>> 17);
}

/**
 * A card's partners in its current window (`PartnerWindows`): its counts, the window's times, and
 * where its partner slots are in the windows' slab. The slots are an open-addressing table of
 * 32-bit number hashes, the low two bits holding the OUT/IN flags; they count distinct callees,
 * repeated callees and two-way ("social") partners without allocating per call. Beyond
 * `PartnerWindows.maxPartners` a card's new partners are still counted but no longer remembered.
 */
export class PartnerWindow {
  from: number;
  /** The card's last outbound record. */
  lastTs: number;
  /** Set when a sweep drops it: a copy cached on a number's entry (src/detection/intern.ts) is stale. */
  dropped = false;
  /** Partners remembered. */
  size = 0;
  /** Distinct partners the card called. */
  outDistinct = 0;
  /** Outbound records to a partner already called in the window. */
  outRepeat = 0;
  /** Partners with calls in both directions. */
  social = 0;
  constructor(
    ts: number,
    /** Its slots: `PartnerWindows.slab[off … off + cap)`, `cap` a power of two. */
    public off: number,
    public cap: number,
  ) {
    this.from = this.lastTs = ts;
  }
}

/** Slots a window starts with, and keeps when it rolls over holding no more than `KEEP_SLOTS`. */
const MIN_SLOTS = 16;
const KEEP_SLOTS = 64;

/**
 * Per card, the people it called and was called by in a window of `windowMs` that starts at its
 * first outbound record and rolls over at the first outbound record past its end; inbound records
 * count while the card's window is open. simbox and fraud_caller both count exactly this, so
 * detectors with the same window share one (`allDetectors`): each record is counted once, not
 * once per detector (a partner probe is a cache miss on the hot path). Every detector using it
 * calls `see` first thing for every call record; whichever comes first counts the record, and
 * all of them read the result (`caller`, `callee`, and whether the record made a partner two-way).
 *
 * Every card's slots are a block of one Int32Array, the slab, handed out by size (a power of two)
 * and given back to a free list per size when a card's set grows or its window is dropped: a
 * probe reads the card's object and its block, where a typed array per card was three objects
 * (itself, its buffer, the store) and 250 bytes before the first slot (docs/detection.md,
 * "Throughput"). The slab keeps the most blocks held at once: memory is proportional to the cards
 * active together, not to history.
 */
export class PartnerWindows {
  cards = new Map<string, PartnerWindow>();
  slab = new Int32Array(MIN_SLOTS * 1024);
  /** The slab's first never-used slot. */
  top = 0;
  /** Free blocks by size: `free[k]` holds the offsets of free blocks of 2^k slots. */
  free: number[][] = [];
  /** Records counted so far. */
  seen = 0;
  /** The last record's caller's window (null for an international record) … */
  caller: PartnerWindow | null = null;
  /** … and its callee's, when the callee has one open. */
  callee: PartnerWindow | null = null;
  /** Whether the last record made the partner two-way for the caller, for the callee. */
  callerSocial = false;
  calleeSocial = false;
  nextSweep = -Infinity;
  /** The windows' times are this clock's (`Clock`). */
  clock = new Clock();

  constructor(
    readonly windowMs: number,
    readonly maxPartners = 4096,
  ) {}

  /**
   * Counts record `r` unless another detector already did: `n` is how many records the calling
   * detector had seen before this one. Returns its new count.
   */
  see(r: CallRecord, n: number): number {
    if (n < this.seen) return n + 1;
    this.seen = n + 1;
    const ts = this.clock.rel(r.ts);
    if (r.origin !== 'intl') {
      const ref = r.callerRef;
      let w: PartnerWindow | undefined;
      if (ref !== undefined && ref.windowOf === this && !(ref.window as PartnerWindow).dropped)
        w = ref.window as PartnerWindow;
      else {
        w = this.cards.get(r.caller);
        if (w === undefined) {
          w = new PartnerWindow(ts, this.alloc(MIN_SLOTS), MIN_SLOTS);
          this.cards.set(r.caller, w);
        }
        if (ref !== undefined) {
          ref.window = w;
          ref.windowOf = this;
        }
      }
      if (ts - w.from > this.windowMs) {
        w.from = ts;
        this.clear(w);
      }
      w.lastTs = ts;
      this.callerSocial = this.add(w, calleeHash(r), OUT);
      this.caller = w;
    } else {
      this.caller = null;
      this.callerSocial = false;
    }
    const cr = r.calleeRef;
    let c: PartnerWindow | undefined;
    if (cr !== undefined && cr.windowOf === this && !(cr.window as PartnerWindow).dropped)
      c = cr.window as PartnerWindow;
    else {
      c = this.cards.get(r.callee);
      // Only found windows are cached: a number with none is looked up again next time.
      if (c !== undefined && cr !== undefined) {
        cr.window = c;
        cr.windowOf = this;
      }
    }
    if (c !== undefined && ts - c.from <= this.windowMs) {
      this.calleeSocial = this.add(c, callerHash(r), IN);
      this.callee = c;
    } else {
      this.callee = null;
      this.calleeSocial = false;
    }
    return n + 1;
  }

  /**
   * Records a contact of window `w` with the partner of hash `h` in direction `dir`; true when it
   * just became two-way.
   */
  add(w: PartnerWindow, h: number, dir: number): boolean {
    let key = h & ~3;
    if (key === 0) key = 4;
    const slab = this.slab;
    const off = w.off;
    const mask = w.cap - 1;
    let i = slotOf(key) & mask;
    for (;;) {
      const v = slab[off + i]!;
      if (v === 0) break;
      if ((v & ~3) === key) {
        if ((v & dir) !== 0) {
          if (dir === OUT) w.outRepeat++;
          return false;
        }
        slab[off + i] = v | dir;
        if (dir === OUT) w.outDistinct++;
        w.social++;
        return true;
      }
      i = (i + 1) & mask;
    }
    if (dir === OUT) w.outDistinct++;
    if (w.size >= this.maxPartners) return false;
    slab[off + i] = key | dir;
    if (++w.size * 2 > w.cap) this.grow(w);
    return false;
  }

  /** The slot `add(w, h, …)` probes first, read and nothing else (src/detection/detectors/prefetch.ts). */
  slotAt(w: PartnerWindow, h: number): number {
    return this.slab[w.off + (slotOf(h & ~3) & (w.cap - 1))]!;
  }

  /**
   * Drops the windows of cards silent for a window (their next record would roll them over), and
   * gives their blocks back. Called from the detectors' sweeps; runs at most once per `everyMs`,
   * whichever detector asks.
   */
  sweep(now: number, everyMs: number, final: boolean): void {
    if (!final && now < this.nextSweep) return;
    this.nextSweep = now + everyMs;
    const t = this.clock.of(now);
    this.cards.forEach((w, k) => {
      if (t - w.lastTs > this.windowMs) {
        w.dropped = true;
        this.release(w.off, w.cap);
        this.cards.delete(k);
      }
    });
    // Times past small integers: the origin moves (`Clock`). A dropped window is never read again.
    this.clock.advance(now, (by) =>
      this.cards.forEach((w) => {
        w.from -= by;
        w.lastTs -= by;
      }),
    );
  }

  /** Windows held (for `heldState`). */
  heldState(): number {
    return this.cards.size;
  }

  /** Empties window `w` for its next window (a large block is given back for a small one). */
  private clear(w: PartnerWindow): void {
    if (w.cap > KEEP_SLOTS) {
      this.release(w.off, w.cap);
      w.off = this.alloc(MIN_SLOTS);
      w.cap = MIN_SLOTS;
    } else this.slab.fill(0, w.off, w.off + w.cap);
    w.size = w.outDistinct = w.outRepeat = w.social = 0;
  }

  /** Moves window `w` to a block twice as large. */
  private grow(w: PartnerWindow): void {
    const cap = w.cap * 2;
    const off = this.alloc(cap);
    const slab = this.slab;
    const mask = cap - 1;
    for (let j = w.off; j < w.off + w.cap; j++) {
      const v = slab[j]!;
      if (v === 0) continue;
      let i = slotOf(v & ~3) & mask;
      while (slab[off + i] !== 0) i = (i + 1) & mask;
      slab[off + i] = v;
    }
    this.release(w.off, w.cap);
    w.off = off;
    w.cap = cap;
  }

  /** A zeroed block of `cap` slots. */
  private alloc(cap: number): number {
    const list = this.free[31 - Math.clz32(cap)];
    if (list !== undefined && list.length > 0) return list.pop()!;
    const off = this.top;
    if (off + cap > this.slab.length) {
      let n = this.slab.length * 2;
      while (off + cap > n) n *= 2;
      const slab = new Int32Array(n);
      slab.set(this.slab.subarray(0, off));
      this.slab = slab;
    }
    this.top = off + cap;
    return off;
  }

  /** Gives a block back, zeroed. */
  private release(off: number, cap: number): void {
    this.slab.fill(0, off, off + cap);
    const k = 31 - Math.clz32(cap);
    (this.free[k] ??= []).push(off);
  }
}

/**
 * `a` with `v` appended: a new one-element array when `a` is empty. An empty array that is pushed
 * to grows room for 16 values (and one cut to length 0 gives its room back first), while most of
 * the per-card lists here (an IMEI's IMSIs and cells) never hold a second value: 54,000 IMEIs'
 * lists took 38 MB of a 200 MB heap that way (docs/detection.md, "Throughput").
 */
export function append<T>(a: T[], v: T): T[] {
  if (a.length === 0) return [v];
  a.push(v);
  return a;
}

/** Scores and ratios in evidence: three decimals. */
export function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/** Default life of a flag a call detector put in `ctx.flaggedNumbers` after its episode ended. */
export const FLAG_TTL_MS = 30 * 86_400_000;

/**
 * Drops the flags `detector` put in `flagged` that are older than `ttlMs` and whose episode is
 * over (`live(msisdn)` false: the detector no longer holds the number's state). Without this the
 * map would grow with every number ever flagged, i.e. with history; a number still misbehaving
 * keeps its flag however old it is. Called from the detectors' sweeps.
 */
export function expireNumberFlags(
  flagged: Map<string, { detector: string; at: number }>,
  detector: string,
  now: number,
  ttlMs: number,
  live: (msisdn: string) => boolean,
): void {
  const cut = now - ttlMs;
  flagged.forEach((f, k) => {
    if (f.detector === detector && f.at < cut && !live(k)) flagged.delete(k);
  });
}
