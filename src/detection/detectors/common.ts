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

/** The subject called this partner. */
export const OUT = 1;
/** The partner called the subject. */
export const IN = 2;

/** A partner key's home slot, before the table's mask. */
function slotOf(key: number): number {
  return (key >>> 2) ^ (key >>> 17);
}

/**
 * The people a subject talked to in its window, as 32-bit number hashes in an open-addressing
 * table (one Int32Array; the low two bits of a slot hold the OUT/IN flags). Counts distinct
 * callees, repeated callees and two-way ("social") partners without allocating per call. Beyond
 * `maxSize` partners new ones are still counted but no longer remembered.
 */
export class PartnerSet {
  private slots: Int32Array;
  private mask: number;
  size = 0;
  /** Distinct partners the subject called. */
  outDistinct = 0;
  /** Outbound records to a partner already called in the window. */
  outRepeat = 0;
  /** Partners with calls in both directions. */
  social = 0;

  constructor(
    private readonly maxSize = 4096,
    capacity = 16,
  ) {
    this.slots = new Int32Array(capacity);
    this.mask = capacity - 1;
  }

  /** Records a contact with the partner of hash `h` in direction `dir`; true when it just became two-way. */
  add(h: number, dir: number): boolean {
    let key = h & ~3;
    if (key === 0) key = 4;
    const slots = this.slots;
    const mask = this.mask;
    let i = slotOf(key) & mask;
    for (;;) {
      const v = slots[i]!;
      if (v === 0) break;
      if ((v & ~3) === key) {
        if ((v & dir) !== 0) {
          if (dir === OUT) this.outRepeat++;
          return false;
        }
        slots[i] = v | dir;
        if (dir === OUT) this.outDistinct++;
        this.social++;
        return true;
      }
      i = (i + 1) & mask;
    }
    if (dir === OUT) this.outDistinct++;
    if (this.size >= this.maxSize) return false;
    slots[i] = key | dir;
    if (++this.size * 2 > slots.length) this.grow();
    return false;
  }

  /** The slot `add(h, …)` probes first, read and nothing else (src/detection/detectors/prefetch.ts). */
  slotAt(h: number): number {
    const key = h & ~3;
    return this.slots[slotOf(key) & this.mask]!;
  }

  clear(): void {
    if (this.slots.length > 64) {
      this.slots = new Int32Array(16);
      this.mask = 15;
    } else this.slots.fill(0);
    this.size = this.outDistinct = this.outRepeat = this.social = 0;
  }

  private grow(): void {
    const old = this.slots;
    const slots = new Int32Array(old.length * 2);
    const mask = slots.length - 1;
    for (let j = 0; j < old.length; j++) {
      const v = old[j]!;
      if (v === 0) continue;
      const key = v & ~3;
      let i = slotOf(key) & mask;
      while (slots[i] !== 0) i = (i + 1) & mask;
      slots[i] = v;
    }
    this.slots = slots;
    this.mask = mask;
  }
}

/**
 * A card's partners in its current window (`PartnerWindows`): the partner set itself, with the
 * window's times beside its counts in one object (one cache miss per card and record, not two).
 */
export class PartnerWindow extends PartnerSet {
  from: number;
  /** The card's last outbound record. */
  lastTs: number;
  /** Set when a sweep drops it: a copy cached on a number's entry (src/detection/intern.ts) is stale. */
  dropped = false;
  constructor(ts: number) {
    super();
    this.from = this.lastTs = ts;
  }
}

/**
 * Per card, the people it called and was called by in a window of `windowMs` that starts at its
 * first outbound record and rolls over at the first outbound record past its end; inbound records
 * count while the card's window is open. simbox and fraud_caller both count exactly this, so
 * detectors with the same window share one (`allDetectors`): each record is counted once, not
 * once per detector (a partner-set probe is a cache miss on the hot path). Every detector using it
 * calls `see` first thing for every call record; whichever comes first counts the record, and
 * all of them read the result (`caller`, `callee`, and whether the record made a partner two-way).
 */
export class PartnerWindows {
  cards = new Map<string, PartnerWindow>();
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

  constructor(readonly windowMs: number) {}

  /**
   * Counts record `r` unless another detector already did: `n` is how many records the calling
   * detector had seen before this one. Returns its new count.
   */
  see(r: CallRecord, n: number): number {
    if (n < this.seen) return n + 1;
    this.seen = n + 1;
    const ts = r.ts;
    if (r.origin !== 'intl') {
      const ref = r.callerRef;
      let w: PartnerWindow | undefined;
      if (ref !== undefined && ref.windowOf === this.cards && !(ref.window as PartnerWindow).dropped)
        w = ref.window as PartnerWindow;
      else {
        w = this.cards.get(r.caller);
        if (w === undefined) {
          w = new PartnerWindow(ts);
          this.cards.set(r.caller, w);
        }
        if (ref !== undefined) {
          ref.window = w;
          ref.windowOf = this.cards;
        }
      }
      if (ts - w.from > this.windowMs) {
        w.from = ts;
        w.clear();
      }
      w.lastTs = ts;
      this.callerSocial = w.add(calleeHash(r), OUT);
      this.caller = w;
    } else {
      this.caller = null;
      this.callerSocial = false;
    }
    const cr = r.calleeRef;
    let c: PartnerWindow | undefined;
    if (cr !== undefined && cr.windowOf === this.cards && !(cr.window as PartnerWindow).dropped)
      c = cr.window as PartnerWindow;
    else {
      c = this.cards.get(r.callee);
      // Only found windows are cached: a number with none is looked up again next time.
      if (c !== undefined && cr !== undefined) {
        cr.window = c;
        cr.windowOf = this.cards;
      }
    }
    if (c !== undefined && ts - c.from <= this.windowMs) {
      this.calleeSocial = c.add(callerHash(r), IN);
      this.callee = c;
    } else {
      this.callee = null;
      this.calleeSocial = false;
    }
    return n + 1;
  }

  /**
   * Drops the windows of cards silent for a window (their next record would roll them over).
   * Called from the detectors' sweeps; runs at most once per `everyMs`, whichever detector asks.
   */
  sweep(now: number, everyMs: number, final: boolean): void {
    if (!final && now < this.nextSweep) return;
    this.nextSweep = now + everyMs;
    this.cards.forEach((w, k) => {
      if (now - w.lastTs > this.windowMs) {
        w.dropped = true;
        this.cards.delete(k);
      }
    });
  }

  /** Windows held (for `heldState`). */
  heldState(): number {
    return this.cards.size;
  }
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
