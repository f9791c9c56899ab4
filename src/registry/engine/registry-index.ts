/**
 * RegistryIndex: the decision engine's in-memory store of listings, keyed by (kind, canonical value),
 * compact enough for ~10,000,000 listings of mixed kinds in well under 2.5 GB and answering a lookup
 * with one hash and (for a miss) usually one cache line of the table.
 *
 * Layout (no JS object per listing; everything lives in typed arrays):
 *
 * - Hash table: open addressing, linear probing, power-of-two capacity, load ≤ 0.7. One slot is two
 *   int32 side by side, `[fingerprint, record + 1]` (0 = empty), so a probe reads one cache line.
 *   Keys are hashed with two independent seeded 32-bit hashes of (kind, value): the first picks the
 *   slot, the second is the fingerprint. A fingerprint match is always confirmed against the stored
 *   value, so collisions (of slot, of fingerprint, or of both) cost time, never correctness.
 * - Records: 32 bytes each, two per cache line (a hit reads one line), in chunks of 65,536 records
 *   (growth allocates a chunk, never copies the whole store): uint32 `kind | category | status |
 *   flags`, `confidence×10⁴ | id length`, value offset, value length, id offset, expiry (epoch
 *   seconds, 0 = none), then the version as a float64.
 * - Strings: values and ids live in a byte arena of 16 MiB pages: Latin-1 when every UTF-16 unit is
 *   below 256 (all canonical forms but non-Latin bank or platform names), else 2 bytes per unit.
 *   Lower-case UUID ids (the registry's) are packed into 16 bytes.
 *
 * Every update is O(1) amortised and lookups never wait: when the table fills, a table of twice the
 * size is allocated and entries move over incrementally, a few dozen slots per write, while lookups
 * consult the new table and then the old one. Removals leave a tombstone record that keeps the
 * version, so an older event arriving late cannot resurrect a removed listing.
 */
import { Buffer } from 'node:buffer';
import { INDICATOR_KINDS, type IndicatorKind } from '../../core/normalize/index.ts';
import { SCAM_CATEGORY_LIST, categoryCode } from './taxonomy.ts';
import { LISTING_STATUSES, type ListingRecord, type ListingStatus } from './types.ts';

/** Numeric codes of indicator kinds (position in INDICATOR_KINDS). */
export const KIND_PHONE = 0;
export const KIND_URL = 1;
export const KIND_DOMAIN = 2;
export const KIND_IP = 3;

/** Numeric code of an indicator kind (its position in INDICATOR_KINDS), or -1. */
export function kindCode(kind: string): number {
  switch (kind) {
    case 'phone':
      return 0;
    case 'url':
      return 1;
    case 'domain':
      return 2;
    case 'ip':
      return 3;
    case 'bank_account':
      return 4;
    case 'payment_account':
      return 5;
    case 'internet_account':
      return 6;
    case 'device':
      return 7;
    case 'app':
      return 8;
    default:
      return -1;
  }
}

/** Status codes: the position in LISTING_STATUSES; REMOVED is the tombstone. */
export const STATUS_ACTIVE = 0;
export const STATUS_UNDER_APPEAL = 3;
export const STATUS_REMOVED = 5;
/** Internal: a url host marker (see addHostMarker). */
const STATUS_MARKER = 6;
/** Internal kind of url host markers. */
export const KIND_URL_HOST = 15;
const STATUS_CODE: ReadonlyMap<string, number> = new Map(LISTING_STATUSES.map((s, i) => [s, i]));

/** Confidence is kept as an integer number of 1/10,000. */
export const CONFIDENCE_SCALE = 10_000;

const CHUNK_BITS = 16;
const CHUNK = 1 << CHUNK_BITS;
const CHUNK_MASK = CHUNK - 1;
const PAGE_BITS = 24;
const PAGE_SIZE = 1 << PAGE_BITS;
const PAGE_MASK = PAGE_SIZE - 1;
const MAX_ARENA = 2 ** 32;
const MAX_STRING = 65_535;
/** Old-table slots moved per write while the table grows. */
const MIGRATE_STEP = 32;

/**
 * A record is 32 bytes (two per cache line): uint32 [kind | category << 8 | status << 16 |
 * flags << 24, confidence | id length << 16, value offset, value length, id offset, expiry], then
 * the version as a float64.
 */
const REC_BYTES = 32;
const REC_U32 = 8;
const REC_F64 = 4;

const FLAG_VALUE_WIDE = 1;
const FLAG_ID_WIDE = 2;
const FLAG_ID_UUID = 4;

// --- hashing -------------------------------------------------------------------------------------

// The two hashes of the last hashed key (module state: no allocation per lookup).
let H1 = 0;
let H2 = 0;

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/**
 * Hashes (kind, s[a..b)) into H1, H2. MurmurHash3 (x86, 32-bit) over pairs of UTF-16 units, twice:
 * the block mixing `k` is shared, the two states use different seeds, rotations and constants, and
 * each is finished by fmix32. Two units per step keep the dependency chain short.
 */
function hashRange(seed1: number, seed2: number, kind: number, s: string, a: number, b: number): void {
  let x = seed1 ^ Math.imul(kind + 1, 0x9e3779b1);
  let y = seed2 ^ Math.imul(kind + 1, 0x85ebca77);
  let i = a;
  for (const last = b - 1; i < last; i += 2) {
    let k = s.charCodeAt(i) | (s.charCodeAt(i + 1) << 16);
    k = Math.imul(k, 0xcc9e2d51);
    k = Math.imul((k << 15) | (k >>> 17), 0x1b873593);
    x ^= k;
    x = (Math.imul((x << 13) | (x >>> 19), 5) + 0xe6546b64) | 0;
    y ^= k;
    y = (Math.imul((y << 17) | (y >>> 15), 9) + 0x7f4a7c15) | 0;
  }
  if (i < b) {
    let k = Math.imul(s.charCodeAt(i), 0xcc9e2d51);
    k = Math.imul((k << 15) | (k >>> 17), 0x1b873593);
    x ^= k;
    y ^= k;
  }
  H1 = fmix(x ^ (b - a));
  H2 = fmix(y ^ (b - a));
}

/** The same hash over a string stored in the arena (Latin-1 bytes or 2-byte units). */
function hashBytes(
  seed1: number,
  seed2: number,
  kind: number,
  page: Uint8Array,
  p: number,
  len: number,
  wide: boolean,
): void {
  let x = seed1 ^ Math.imul(kind + 1, 0x9e3779b1);
  let y = seed2 ^ Math.imul(kind + 1, 0x85ebca77);
  const step = wide ? 2 : 1;
  let i = 0;
  for (; i < len - 1; i += 2, p += 2 * step) {
    const c0 = wide ? page[p]! | (page[p + 1]! << 8) : page[p]!;
    const c1 = wide ? page[p + 2]! | (page[p + 3]! << 8) : page[p + 1]!;
    let k = c0 | (c1 << 16);
    k = Math.imul(k, 0xcc9e2d51);
    k = Math.imul((k << 15) | (k >>> 17), 0x1b873593);
    x ^= k;
    x = (Math.imul((x << 13) | (x >>> 19), 5) + 0xe6546b64) | 0;
    y ^= k;
    y = (Math.imul((y << 17) | (y >>> 15), 9) + 0x7f4a7c15) | 0;
  }
  if (i < len) {
    const c0 = wide ? page[p]! | (page[p + 1]! << 8) : page[p]!;
    let k = Math.imul(c0, 0xcc9e2d51);
    k = Math.imul((k << 15) | (k >>> 17), 0x1b873593);
    x ^= k;
    y ^= k;
  }
  H1 = fmix(x ^ len);
  H2 = fmix(y ^ len);
}

/** The slot's control byte: 8 bits of the fingerprint, never 0 (0 marks an empty slot). */
function ctrlByte(h2: number): number {
  return h2 >>> 24 || 1;
}

function randomSeed(): number {
  return crypto.getRandomValues(new Int32Array(1))[0]!;
}

const HEX = '0123456789abcdef';

function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}

/** A lower-case canonical UUID (`8-4-4-4-12` hex)? Those ids are packed into 16 bytes. */
function isLowerUuid(id: string): boolean {
  if (id.length !== 36) return false;
  for (let i = 0; i < 36; i++) {
    const c = id.charCodeAt(i);
    if (i === 8 || i === 13 || i === 18 || i === 23) {
      if (c !== 45) return false;
    } else if (hexDigit(c) < 0) return false;
  }
  return true;
}

export interface RegistryIndexOptions {
  /** Listings to size the table for up front (default 1,024). */
  capacity?: number;
  /** Hash seeds (default random per index, so nobody can aim values at one slot). */
  seed?: [number, number];
  /**
   * Test hook: the two hashes are ANDed with these masks. `[0, 0]` makes every key collide in slot
   * and fingerprint, so every lookup is decided by comparing stored values.
   */
  hashMasks?: [number, number];
  /** Highest table load before it grows (default 0.7). */
  maxLoad?: number;
}

export interface IndexStats {
  /** Listings stored (any status but removed). */
  listings: number;
  /** Tombstones of removed listings (kept for version ordering). */
  tombstones: number;
  /** Url host markers (one per host with a url listing). */
  urlHosts: number;
  byStatus: Record<ListingStatus, number>;
  tableSlots: number;
  growing: boolean;
  arenaBytes: number;
  /** Arena bytes of ids replaced by later versions (not reclaimed). */
  garbageBytes: number;
}

export class RegistryIndex {
  private readonly seed1: number;
  private readonly seed2: number;
  private readonly m1: number;
  private readonly m2: number;
  private readonly maxLoad: number;

  private tab: Int32Array;
  private ctrl: Uint8Array;
  private mask: number;
  private old: Int32Array | null = null;
  private oldCtrl: Uint8Array | null = null;
  private oldMask = 0;
  private migratePos = 0;

  private nrec = 0;
  private tombs = 0;
  private markers = 0;
  private readonly statusCount = new Float64Array(LISTING_STATUSES.length);
  private maxVersion = 0;

  /** Records, 32 bytes each (see REC_BYTES), in chunks; recsF views the same buffers as float64. */
  private readonly recs: Uint32Array[] = [];
  private readonly recsF: Float64Array[] = [];

  private readonly pages: Uint8Array[] = [];
  private pageUsed = 0;
  private arenaUsed = 0;
  private garbage = 0;

  // The lookup batch (batchAdd / batchFind).
  private bn = 0;
  private bKind = new Int32Array(64);
  private bA = new Int32Array(64);
  private bB = new Int32Array(64);
  private bH1 = new Int32Array(64);
  private bH2 = new Int32Array(64);
  private readonly bStr: string[] = [];
  /** Sink of the touching loads (kept so the loads are not optimised away). */
  private touched = 0;

  constructor(opts: RegistryIndexOptions = {}) {
    this.seed1 = opts.seed?.[0] ?? randomSeed();
    this.seed2 = opts.seed?.[1] ?? randomSeed();
    this.m1 = opts.hashMasks?.[0] ?? -1;
    this.m2 = opts.hashMasks?.[1] ?? -1;
    this.maxLoad = Math.min(0.9, Math.max(0.3, opts.maxLoad ?? 0.7));
    const cap = tableCapacityFor(opts.capacity ?? 1024, this.maxLoad);
    this.tab = new Int32Array(cap * 2);
    this.ctrl = new Uint8Array(cap);
    this.mask = cap - 1;
    this.allocChunk(Math.min(CHUNK, Math.max(256, opts.capacity ?? 1024)));
    this.pages.push(new Uint8Array(Math.min(PAGE_SIZE, Math.max(4096, (opts.capacity ?? 1024) * 32))));
  }

  // --- public API ------------------------------------------------------------------------------

  /** Listings stored (every status but removed). */
  get size(): number {
    return this.nrec - this.tombs - this.markers;
  }

  /** The highest version applied (upserts and removals). */
  get snapshotVersion(): number {
    return this.maxVersion;
  }

  /** True while entries are moving to a larger table. */
  get growing(): boolean {
    return this.old !== null;
  }

  /**
   * Applies a listing if its version is above the stored one for its (kind, value), or if the
   * indicator is new. Returns whether it was applied. Throws RangeError on malformed records.
   */
  upsert(rec: ListingRecord): boolean {
    const kind = kindCode(rec.kind);
    if (kind < 0) throw new RangeError(`unknown indicator kind ${String(rec.kind)}`);
    const cat = categoryCode(rec.category);
    if (cat < 0) throw new RangeError(`unknown category ${String(rec.category)}`);
    const status = STATUS_CODE.get(rec.status);
    if (status === undefined) throw new RangeError(`unknown status ${String(rec.status)}`);
    const conf = rec.confidence;
    if (typeof conf !== 'number' || !(conf >= 0 && conf <= 1))
      throw new RangeError(`confidence must be in 0..1, got ${String(conf)}`);
    return this.put(
      kind,
      rec.value,
      rec.id,
      cat,
      Math.round(conf * CONFIDENCE_SCALE),
      status,
      expirySeconds(rec.expiresAt),
      rec.version,
    );
  }

  /**
   * Removes the listing of (kind, value) if `version` is above the stored one. A tombstone keeps the
   * version, so an upsert with an older version arriving later is ignored. Returns whether applied.
   */
  remove(kind: IndicatorKind, value: string, version: number): boolean {
    const k = kindCode(kind);
    if (k < 0) throw new RangeError(`unknown indicator kind ${String(kind)}`);
    return this.put(k, value, '', 0, 0, STATUS_REMOVED, 0, version);
  }

  /** The stored listing of (kind, value), or null (absent or removed). */
  get(kind: IndicatorKind, value: string): ListingRecord | null {
    const k = kindCode(kind);
    if (k < 0 || typeof value !== 'string') return null;
    const r = this.find(k, value, 0, value.length);
    if (r < 0 || this.statusAt(r) >= STATUS_REMOVED) return null;
    return this.recordAt(r);
  }

  /**
   * Bulk load (a snapshot): sizes the table once for what is coming (`expectedSize`, or the length of
   * an array), then upserts every record. Returns how many were applied.
   */
  load(records: Iterable<ListingRecord>, opts: { expectedSize?: number } = {}): number {
    const expected = opts.expectedSize ?? (Array.isArray(records) ? records.length : 0);
    if (expected > 0) this.reserve(this.nrec + expected);
    let applied = 0;
    for (const r of records) if (this.upsert(r)) applied++;
    return applied;
  }

  /**
   * Grows the table at once to hold `n` listings below the maximum load. A full rehash: meant for
   * start-up and snapshot loads, before decisions are served. Ordinary growth is incremental.
   */
  reserve(n: number): void {
    const cap = tableCapacityFor(n, this.maxLoad);
    if (cap <= this.mask + 1) return;
    this.finishMigration();
    this.tab = new Int32Array(cap * 2);
    this.ctrl = new Uint8Array(cap);
    this.mask = cap - 1;
    for (let r = 0; r < this.nrec; r++) {
      this.rehashRecord(r);
      this.insertSlot(this.tab, this.ctrl, this.mask, H1 & this.m1, H2 & this.m2, r);
    }
  }

  /** Bytes held by the index's typed arrays (table(s), records, string arena). */
  memoryBytes(): number {
    let n =
      this.tab.byteLength +
      this.ctrl.byteLength +
      (this.old?.byteLength ?? 0) +
      (this.oldCtrl?.byteLength ?? 0);
    for (const c of this.recs) n += c.byteLength;
    for (const p of this.pages) n += p.byteLength;
    return n + this.statusCount.byteLength;
  }

  stats(): IndexStats {
    const byStatus = {} as Record<ListingStatus, number>;
    LISTING_STATUSES.forEach((s, i) => (byStatus[s] = this.statusCount[i]!));
    return {
      listings: this.size,
      tombstones: this.tombs,
      urlHosts: this.markers,
      byStatus,
      tableSlots: this.mask + 1,
      growing: this.growing,
      arenaBytes: this.arenaUsed,
      garbageBytes: this.garbage,
    };
  }

  /** Every stored listing (removed ones excluded), in insertion order. For export and checks. */
  *entries(): IterableIterator<ListingRecord> {
    for (let r = 0; r < this.nrec; r++) if (this.statusAt(r) < STATUS_REMOVED) yield this.recordAt(r);
  }

  // --- hot path (used by the engine) -----------------------------------------------------------

  /**
   * The record number of (kind, s[a..b)), any status (tombstones included), or -1. No allocation.
   */
  find(kind: number, s: string, a: number, b: number): number {
    hashRange(this.seed1, this.seed2, kind, s, a, b);
    return this.probe(H1 & this.m1, H2 & this.m2, kind, s, a, b);
  }

  /**
   * Batched lookups, for the several keys of one decision. A random access to a table of hundreds of
   * megabytes costs ~200 ns when each waits for the last (a probe branches on what it read), but
   * ~20 ns when the loads are independent. batchAdd hashes a key; batchTouch loads the slots of all
   * keys of the batch without branching on them, so those loads overlap; batchFind(j) then probes
   * key j, whose cache line is already there. batchReset starts a new batch.
   */
  batchReset(): void {
    this.bn = 0;
  }

  /** Adds (kind, s[a..b)) to the batch and returns its position. */
  batchAdd(kind: number, s: string, a: number, b: number): number {
    hashRange(this.seed1, this.seed2, kind, s, a, b);
    const h1 = H1 & this.m1;
    const j = this.bn++;
    if (j === this.bH1.length) this.growBatch();
    this.bKind[j] = kind;
    this.bA[j] = a;
    this.bB[j] = b;
    this.bH1[j] = h1;
    this.bH2[j] = H2 & this.m2;
    this.bStr[j] = s;
    return j;
  }

  /**
   * Loads the table slot of every key in the batch, in a loop that does nothing else, so the
   * processor has them all in flight at once.
   */
  batchTouch(from = 0, to = this.bn): void {
    const ctrl = this.ctrl;
    const mask = this.mask;
    const h = this.bH1;
    let acc = 0;
    for (let j = from; j < to; j++) acc ^= ctrl[h[j]! & mask]!;
    this.touched ^= acc;
  }

  get batchSize(): number {
    return this.bn;
  }

  /** The record number of batch key j (as find), or -1. */
  batchFind(j: number): number {
    return this.probe(this.bH1[j]!, this.bH2[j]!, this.bKind[j]!, this.bStr[j]!, this.bA[j]!, this.bB[j]!);
  }

  private growBatch(): void {
    const n = this.bH1.length * 2;
    const g = (a: Int32Array) => {
      const b = new Int32Array(n);
      b.set(a);
      return b;
    };
    this.bKind = g(this.bKind);
    this.bA = g(this.bA);
    this.bB = g(this.bB);
    this.bH1 = g(this.bH1);
    this.bH2 = g(this.bH2);
  }

  private probe(h1: number, h2: number, kind: number, s: string, a: number, b: number): number {
    const c = ctrlByte(h2);
    const ctrl = this.ctrl;
    const mask = this.mask;
    let pos = h1 & mask;
    for (;;) {
      const x = ctrl[pos]!;
      if (x === 0) break;
      if (x === c) {
        const tab = this.tab;
        if (tab[2 * pos] === h2) {
          const r = tab[2 * pos + 1]! - 1;
          if (this.equalsAt(r, kind, s, a, b)) return r;
        }
      }
      pos = (pos + 1) & mask;
    }
    const oldCtrl = this.oldCtrl;
    if (oldCtrl !== null) {
      const old = this.old!;
      const omask = this.oldMask;
      pos = h1 & omask;
      for (;;) {
        const x = oldCtrl[pos]!;
        if (x === 0) break;
        if (x === c && old[2 * pos] === h2) {
          const r = old[2 * pos + 1]! - 1;
          if (this.equalsAt(r, kind, s, a, b)) return r;
        }
        pos = (pos + 1) & omask;
      }
    }
    return -1;
  }

  /**
   * The status code of record `r` if it matches at `nowSec` (active or under appeal, not expired),
   * else -1.
   */
  matchStatus(r: number, nowSec: number): number {
    const u = this.recs[r >>> CHUNK_BITS]!;
    const base = (r & CHUNK_MASK) * REC_U32;
    const st = (u[base]! >>> 16) & 255;
    if (st !== STATUS_ACTIVE && st !== STATUS_UNDER_APPEAL) return -1;
    const exp = u[base + 5]!;
    if (exp !== 0 && nowSec >= exp) return -1;
    return st;
  }

  kindAt(r: number): number {
    return this.recs[r >>> CHUNK_BITS]![(r & CHUNK_MASK) * REC_U32]! & 255;
  }

  categoryAt(r: number): number {
    return (this.recs[r >>> CHUNK_BITS]![(r & CHUNK_MASK) * REC_U32]! >>> 8) & 255;
  }

  statusAt(r: number): number {
    return (this.recs[r >>> CHUNK_BITS]![(r & CHUNK_MASK) * REC_U32]! >>> 16) & 255;
  }

  /** Confidence in 1/10,000. */
  confidenceAt(r: number): number {
    return this.recs[r >>> CHUNK_BITS]![(r & CHUNK_MASK) * REC_U32 + 1]! & 0xffff;
  }

  versionAt(r: number): number {
    return this.recsF[r >>> CHUNK_BITS]![(r & CHUNK_MASK) * REC_F64 + 3]!;
  }

  /** Expiry in epoch seconds, 0 for none. */
  expiryAt(r: number): number {
    return this.recs[r >>> CHUNK_BITS]![(r & CHUNK_MASK) * REC_U32 + 5]!;
  }

  valueAt(r: number): string {
    const u = this.recs[r >>> CHUNK_BITS]!;
    const base = (r & CHUNK_MASK) * REC_U32;
    return this.readString(u[base + 2]!, u[base + 3]!, ((u[base]! >>> 24) & FLAG_VALUE_WIDE) !== 0);
  }

  idAt(r: number): string {
    const u = this.recs[r >>> CHUNK_BITS]!;
    const base = (r & CHUNK_MASK) * REC_U32;
    const off = u[base + 4]!;
    const len = u[base + 1]! >>> 16;
    const flags = u[base]! >>> 24;
    if (flags & FLAG_ID_UUID) {
      const page = this.pages[off >>> PAGE_BITS]!;
      const p = off & PAGE_MASK;
      let s = '';
      for (let i = 0; i < 16; i++) {
        if (i === 4 || i === 6 || i === 8 || i === 10) s += '-';
        const b = page[p + i]!;
        s += HEX[b >> 4]! + HEX[b & 15]!;
      }
      return s;
    }
    return this.readString(off, len, (flags & FLAG_ID_WIDE) !== 0);
  }

  recordAt(r: number): ListingRecord {
    const exp = this.expiryAt(r);
    return {
      id: this.idAt(r),
      kind: INDICATOR_KINDS[this.kindAt(r)]!,
      value: this.valueAt(r),
      category: SCAM_CATEGORY_LIST[this.categoryAt(r)]!,
      confidence: this.confidenceAt(r) / CONFIDENCE_SCALE,
      status: LISTING_STATUSES[this.statusAt(r)] ?? 'delisted',
      expiresAt: exp === 0 ? null : exp * 1000,
      version: this.versionAt(r),
    };
  }

  // --- internals -------------------------------------------------------------------------------

  /** Upsert by codes (the validated form of upsert/remove). */
  private put(
    kind: number,
    value: string,
    id: string,
    cat: number,
    confQ: number,
    status: number,
    expiry: number,
    version: number,
  ): boolean {
    if (typeof value !== 'string' || value.length === 0 || value.length > MAX_STRING)
      throw new RangeError('value must be a string of 1 to 65,535 characters');
    if (typeof id !== 'string' || id.length > MAX_STRING) throw new RangeError('id must be a string');
    if (typeof version !== 'number' || !Number.isFinite(version))
      throw new RangeError('version must be a finite number');
    const r = this.find(kind, value, 0, value.length);
    const h1 = H1 & this.m1;
    const h2 = H2 & this.m2;
    if (r >= 0) {
      const u = this.recs[r >>> CHUNK_BITS]!;
      const f = this.recsF[r >>> CHUNK_BITS]!;
      const base = (r & CHUNK_MASK) * REC_U32;
      const vi = (r & CHUNK_MASK) * REC_F64 + 3;
      if (!(version > f[vi]!)) return false;
      const meta = u[base]!;
      this.countStatus((meta >>> 16) & 255, -1);
      this.countStatus(status, +1);
      u[base] = (meta & 0xff0000ff) | (cat << 8) | (status << 16);
      u[base + 1] = (u[base + 1]! & 0xffff0000) | confQ;
      u[base + 5] = expiry;
      f[vi] = version;
      if (status !== STATUS_REMOVED && !this.idEquals(r, id)) this.writeId(r, id, true);
      if (version > this.maxVersion) this.maxVersion = version;
      this.migrateStep();
      return true;
    }
    this.insertNew(kind, value, id, cat, confQ, status, expiry, version, h1, h2);
    if (kind === KIND_URL) this.addHostMarker(value);
    return true;
  }

  /**
   * Url listings also put a marker of their host (`evil.example` for `evil.example/x/`) into the
   * table, under an internal kind: a URL is looked up host by host first, and its path expressions
   * only under hosts that have a url listing. Markers are never removed (a stale one costs a few
   * lookups, not correctness) and are not listings (not in size, entries or get).
   */
  private addHostMarker(expression: string): void {
    let he = expression.indexOf('/');
    if (he < 0) he = expression.length;
    if (he === 0) return;
    if (this.find(KIND_URL_HOST, expression, 0, he) >= 0) return;
    const host = he === expression.length ? expression : expression.slice(0, he);
    this.insertNew(KIND_URL_HOST, host, '', 0, 0, STATUS_MARKER, 0, 0, H1 & this.m1, H2 & this.m2);
  }

  private insertNew(
    kind: number,
    value: string,
    id: string,
    cat: number,
    confQ: number,
    status: number,
    expiry: number,
    version: number,
    h1: number,
    h2: number,
  ): void {
    const rec = this.nrec;
    this.ensureRecord(rec);
    const u = this.recs[rec >>> CHUNK_BITS]!;
    const base = (rec & CHUNK_MASK) * REC_U32;
    const wide = !isLatin1(value);
    u[base] = kind | (cat << 8) | (status << 16) | ((wide ? FLAG_VALUE_WIDE : 0) << 24);
    u[base + 1] = confQ;
    u[base + 2] = this.writeString(value, wide);
    u[base + 3] = value.length;
    u[base + 5] = expiry;
    this.recsF[rec >>> CHUNK_BITS]![(rec & CHUNK_MASK) * REC_F64 + 3] = version;
    this.nrec++;
    this.writeId(rec, id, false);
    this.countStatus(status, +1);
    if (version > this.maxVersion) this.maxVersion = version;
    this.insertSlot(this.tab, this.ctrl, this.mask, h1, h2, rec);
    if (this.nrec > (this.mask + 1) * this.maxLoad) this.startMigration();
    else this.migrateStep();
  }

  private countStatus(status: number, d: number): void {
    if (status === STATUS_REMOVED) this.tombs += d;
    else if (status === STATUS_MARKER) this.markers += d;
    else this.statusCount[status] = this.statusCount[status]! + d;
  }

  private equalsAt(r: number, kind: number, s: string, a: number, b: number): boolean {
    const u = this.recs[r >>> CHUNK_BITS]!;
    const base = (r & CHUNK_MASK) * REC_U32;
    const meta = u[base]!;
    if ((meta & 255) !== kind || u[base + 3] !== b - a) return false;
    const off = u[base + 2]!;
    const page = this.pages[off >>> PAGE_BITS]!;
    let p = off & PAGE_MASK;
    if ((meta >>> 24) & FLAG_VALUE_WIDE) {
      for (let i = a; i < b; i++, p += 2)
        if ((page[p]! | (page[p + 1]! << 8)) !== s.charCodeAt(i)) return false;
    } else {
      for (let i = a; i < b; i++, p++) if (page[p] !== s.charCodeAt(i)) return false;
    }
    return true;
  }

  private idEquals(r: number, id: string): boolean {
    return this.idAt(r) === id;
  }

  private writeId(r: number, id: string, replacing: boolean): void {
    const u = this.recs[r >>> CHUNK_BITS]!;
    const base = (r & CHUNK_MASK) * REC_U32;
    let flags = u[base]! >>> 24;
    if (replacing) {
      const oldLen = u[base + 1]! >>> 16;
      this.garbage += flags & FLAG_ID_UUID ? 16 : flags & FLAG_ID_WIDE ? oldLen * 2 : oldLen;
    }
    flags &= FLAG_VALUE_WIDE;
    let off: number;
    if (isLowerUuid(id)) {
      flags |= FLAG_ID_UUID;
      off = this.alloc(16);
      const page = this.pages[off >>> PAGE_BITS]!;
      let p = off & PAGE_MASK;
      for (let i = 0; i < 36; i += 2) {
        if (id.charCodeAt(i) === 45) i++;
        page[p++] = (hexDigit(id.charCodeAt(i)) << 4) | hexDigit(id.charCodeAt(i + 1));
      }
    } else {
      const wide = !isLatin1(id);
      if (wide) flags |= FLAG_ID_WIDE;
      off = id.length === 0 ? 0 : this.writeString(id, wide);
    }
    u[base] = (u[base]! & 0x00ffffff) | (flags << 24);
    u[base + 1] = (u[base + 1]! & 0xffff) | (id.length << 16);
    u[base + 4] = off;
  }

  private writeString(s: string, wide: boolean): number {
    const n = wide ? s.length * 2 : s.length;
    const off = this.alloc(n);
    const page = this.pages[off >>> PAGE_BITS]!;
    let p = off & PAGE_MASK;
    if (wide) {
      for (let i = 0; i < s.length; i++) {
        const c = s.charCodeAt(i);
        page[p++] = c & 255;
        page[p++] = c >>> 8;
      }
    } else {
      for (let i = 0; i < s.length; i++) page[p++] = s.charCodeAt(i);
    }
    return off;
  }

  private readString(off: number, len: number, wide: boolean): string {
    if (len === 0) return '';
    const page = this.pages[off >>> PAGE_BITS]!;
    const p = off & PAGE_MASK;
    if (!wide) return Buffer.from(page.buffer, page.byteOffset + p, len).toString('latin1');
    let s = '';
    for (let i = 0; i < len; i++) s += String.fromCharCode(page[p + 2 * i]! | (page[p + 2 * i + 1]! << 8));
    return s;
  }

  /** Reserves n bytes in the arena; entries never straddle pages. Returns the global offset. */
  private alloc(n: number): number {
    let pi = this.pages.length - 1;
    let page = this.pages[pi]!;
    if (this.pageUsed + n > page.length) {
      if (page.length < PAGE_SIZE && this.pageUsed + n <= PAGE_SIZE) {
        // The first page starts small and doubles up to a full page (a copy of at most 8 MiB).
        let size = page.length * 2;
        while (size < this.pageUsed + n) size *= 2;
        const bigger = new Uint8Array(Math.min(PAGE_SIZE, size));
        bigger.set(page.subarray(0, this.pageUsed));
        this.pages[pi] = page = bigger;
      } else {
        if ((pi + 2) * PAGE_SIZE > MAX_ARENA)
          throw new RangeError('registry index string arena is full (4 GiB)');
        this.garbage += page.length - this.pageUsed;
        this.pages.push((page = new Uint8Array(PAGE_SIZE)));
        pi++;
        this.pageUsed = 0;
      }
    }
    const off = pi * PAGE_SIZE + this.pageUsed;
    this.pageUsed += n;
    this.arenaUsed += n;
    return off;
  }

  private allocChunk(size: number): void {
    const buf = new ArrayBuffer(size * REC_BYTES);
    this.recs.push(new Uint32Array(buf));
    this.recsF.push(new Float64Array(buf));
  }

  private ensureRecord(r: number): void {
    const ci = r >>> CHUNK_BITS;
    if (ci < this.recs.length) {
      const have = this.recs[ci]!.length / REC_U32;
      if ((r & CHUNK_MASK) < have) return;
      // Only the first chunk starts below full size: double it.
      const buf = new ArrayBuffer(Math.min(CHUNK, have * 2) * REC_BYTES);
      const u = new Uint32Array(buf);
      u.set(this.recs[ci]!);
      this.recs[ci] = u;
      this.recsF[ci] = new Float64Array(buf);
      return;
    }
    this.allocChunk(CHUNK);
  }

  private insertSlot(
    tab: Int32Array,
    ctrl: Uint8Array,
    mask: number,
    h1: number,
    h2: number,
    r: number,
  ): void {
    let pos = h1 & mask;
    while (ctrl[pos] !== 0) pos = (pos + 1) & mask;
    ctrl[pos] = ctrlByte(h2);
    tab[2 * pos] = h2;
    tab[2 * pos + 1] = r + 1;
  }

  /** Recomputes H1/H2 of record r from its stored kind and value. */
  private rehashRecord(r: number): void {
    const u = this.recs[r >>> CHUNK_BITS]!;
    const base = (r & CHUNK_MASK) * REC_U32;
    const meta = u[base]!;
    const off = u[base + 2]!;
    hashBytes(
      this.seed1,
      this.seed2,
      meta & 255,
      this.pages[off >>> PAGE_BITS]!,
      off & PAGE_MASK,
      u[base + 3]!,
      ((meta >>> 24) & FLAG_VALUE_WIDE) !== 0,
    );
  }

  private startMigration(): void {
    this.finishMigration();
    const cap = (this.mask + 1) * 2;
    this.old = this.tab;
    this.oldCtrl = this.ctrl;
    this.oldMask = this.mask;
    this.migratePos = 0;
    this.tab = new Int32Array(cap * 2);
    this.ctrl = new Uint8Array(cap);
    this.mask = cap - 1;
  }

  /** Moves the next MIGRATE_STEP slots of the old table into the new one. */
  private migrateStep(): void {
    const old = this.old;
    const oldCtrl = this.oldCtrl;
    if (old === null || oldCtrl === null) return;
    const end = Math.min(this.oldMask + 1, this.migratePos + MIGRATE_STEP);
    for (let i = this.migratePos; i < end; i++) {
      if (oldCtrl[i] === 0) continue;
      const e = old[2 * i + 1]!;
      this.rehashRecord(e - 1);
      this.insertSlot(this.tab, this.ctrl, this.mask, H1 & this.m1, old[2 * i]!, e - 1);
    }
    this.migratePos = end;
    if (end > this.oldMask) {
      this.old = null;
      this.oldCtrl = null;
    }
  }

  private finishMigration(): void {
    while (this.old !== null) this.migrateStep();
  }
}

function isLatin1(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 255) return false;
  return true;
}

/** Smallest power of two ≥ 16 holding n entries at load ≤ maxLoad. */
function tableCapacityFor(n: number, maxLoad: number): number {
  let cap = 16;
  while (cap * maxLoad < n) cap *= 2;
  return cap;
}

/** Epoch ms → epoch seconds rounded up (0 = no expiry). */
export function expirySeconds(expiresAt: number | null | undefined): number {
  if (expiresAt === null || expiresAt === undefined) return 0;
  if (typeof expiresAt !== 'number' || Number.isNaN(expiresAt))
    throw new RangeError('expiresAt must be epoch ms or null');
  return Math.min(0xffffffff, Math.max(1, Math.ceil(expiresAt / 1000)));
}
