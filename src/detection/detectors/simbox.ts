/**
 * `simbox`: cards operated in SIM boxes, GoIP gateways and modem pools (docs/detection.md,
 * "simbox"). A SIM box terminates bulk or bypass traffic through many SIM cards in one device
 * at one place; its cards look like no person's phone:
 *
 * - device: many IMSIs through one IMEI (a gateway's slots), or several mass-calling cards
 *   parked on the same cell (a modem pool, one IMEI per modem);
 * - stationary: the card never changes cell;
 * - heavy outbound to many distinct callees, few inbound calls, and no ordinary social circle
 *   (the people it calls rarely call it, and it rarely calls anyone twice);
 * - machine-regular timing: a low coefficient of variation (CV) of the gaps between its calls.
 *
 * Subjects: the gateway IMEI is reported as one detection (`subjectKind: 'imei'`, the IMSIs and
 * msisdns seen through it in its evidence) AND each card is reported as its own detection
 * (`subjectKind: 'msisdn'`), so ground truth kept either way (per device or per card) can be
 * scored. Flagged cards go into `ctx.flaggedNumbers` at once (for `potential_victim`).
 *
 * Windows: per card and per IMEI the detector keeps counters over a window of `windowMs`
 * (default 24 h) that starts at the subject's first record and rolls over (counters reset) when a
 * record arrives past its end. State is dropped once the subject has been silent for `windowMs`
 * (or, when reported, for `quietMs`): memory is proportional to the subjects active in the last
 * window. A subject is reported once per episode; a new episode starts after `quietMs` of
 * silence.
 *
 * Score of a card (only when the gate holds: outbound ≥ `minOutbound` (≥ `minOutboundOnGateway`
 * through a gateway IMEI), distinct callees / outbound ≥ `minDistinctRatio`, inbound / outbound
 * ≤ `maxInboundRatio`, two-way partners / distinct callees ≤ `maxSocialRatio`):
 *   score = 0.3·device + 0.2·stationary + 0.3·regular + 0.2·strangers, reported at ≥ `minScore`
 *   device     = max((imsis on its IMEI − 2) / (minImsisPerImei − 2),
 *                    regular · (mass-calling cards on its cell − 1) / (minCardsPerCell − 1)), in [0,1]
 *                (two IMSIs are a dual-SIM phone: no evidence; several mass-calling cards on one
 *                cell are a modem pool only when their timing is machine-regular, otherwise they
 *                are as likely a human call centre, which is `fraud_caller`'s)
 *   stationary = 1 − cell changes / maxCellChanges, at least 0
 *   regular    = 1 at CV ≤ cvRegular, 0 at CV ≥ cvIrregular, linear between
 *                (0 with fewer than `minGapsForTiming` gaps)
 *   strangers  = (distinct callees / outbound) · (1 − two-way partners / distinct callees)
 * Score of an IMEI (gate: ≥ `minImsisPerImei` IMSIs, at most `maxImeiCells` cells, outbound ≥
 * `minOutbound`, inbound / outbound ≤ `maxInboundRatio`):
 *   score = 0.6·min(1, (imsis − 1) / (2·(minImsisPerImei − 1))) + 0.4·(1 − inbound ratio / maxInboundRatio)
 */
import type { DetectionContext, Detector } from '../detector.ts';
import type { CallRecord, Detection } from '../records.ts';
import {
  append,
  clamp01,
  Clock,
  expireNumberFlags,
  FLAG_TTL_MS,
  PartnerWindows,
  type PartnerWindow,
  round,
  shiftMark,
} from './common.ts';

/**
 * Per IMEI: the distinct IMSIs (and the msisdns that used them) seen through it in its window,
 * and its traffic. Small arrays: an ordinary phone holds one or two entries.
 */
export class ImeiState {
  from: number;
  lastTs: number;
  reportedAt = -1;
  imsis: string[];
  msisdns: string[];
  out = 0;
  inb = 0;
  lastCell: string | null = null;
  cellChanges = 0;
  cells: string[] = [];
  /** Bumped when the window rolls, so that every card re-registers its IMSI. */
  epoch = 0;
  /** IMSIs of the previous window (cards re-register over the first minutes of a new one). */
  prevImsis = 0;

  constructor(
    readonly imei: string,
    ts: number,
    imsi: string,
    msisdn: string,
  ) {
    this.from = this.lastTs = ts;
    this.imsis = [imsi];
    this.msisdns = [msisdn];
  }

  /** Counts a record through this IMEI, rolling the window when `ts` is past it. */
  note(
    ts: number,
    imsi: string,
    msisdn: string,
    cell: string | null,
    windowMs: number,
    quietMs: number,
  ): void {
    if (ts - this.from > windowMs) {
      if (ts - this.lastTs > quietMs) this.reportedAt = -1;
      this.prevImsis = ts - this.lastTs > windowMs ? 0 : this.imsis.length;
      this.from = ts;
      this.epoch++;
      this.imsis.length = 0;
      this.msisdns.length = 0;
      this.cells.length = 0;
      this.out = this.inb = this.cellChanges = 0;
      this.lastCell = null;
    }
    this.lastTs = ts;
    this.out++;
    const imsis = this.imsis;
    let found = false;
    for (let i = 0; i < imsis.length; i++)
      if (imsis[i] === imsi) {
        found = true;
        break;
      }
    if (!found && imsis.length < 256) {
      this.imsis = append(imsis, imsi);
      this.msisdns = append(this.msisdns, msisdn);
    }
    if (cell !== null && cell !== this.lastCell) {
      if (this.lastCell !== null) this.cellChanges++;
      this.lastCell = cell;
      if (this.cells.length < 8 && !this.cells.includes(cell)) this.cells = append(this.cells, cell);
    }
  }
}

// ---------------------------------------------------------------- simbox

export interface SimboxParams {
  /** Counting window per card and per IMEI (ms). */
  windowMs: number;
  /** A reported subject is reported again only after this much silence (ms). */
  quietMs: number;
  /** Outbound records in the window before a card is scored. */
  minOutbound: number;
  /** The same, for a card whose IMEI already carries `minImsisPerImei` IMSIs. */
  minOutboundOnGateway: number;
  /** Distinct callees / outbound records at least this (mass calling, not repeated dialling). */
  minDistinctRatio: number;
  /** Inbound / outbound at most this. */
  maxInboundRatio: number;
  /** Two-way partners / distinct callees at most this (no social circle). */
  maxSocialRatio: number;
  /** Distinct IMSIs through one IMEI in the window that make it a gateway. */
  minImsisPerImei: number;
  /** Distinct cells a gateway IMEI may use in its window (a box stays put; one neighbour allowed). */
  maxImeiCells: number;
  /** Mass-calling, stationary cards on one cell that make it a modem pool. */
  minCardsPerCell: number;
  /** Cell changes at which `stationary` reaches 0. */
  maxCellChanges: number;
  /** CV of inter-call gaps at or below which timing is fully machine-regular. */
  cvRegular: number;
  /** CV at or above which timing counts as human. */
  cvIrregular: number;
  /** Gaps needed before timing is judged. */
  minGapsForTiming: number;
  /** Report at this score or above. */
  minScore: number;
  /**
   * How long a flag this detector put in `ctx.flaggedNumbers` stays once its episode is over (ms;
   * a number still in an episode keeps its flag).
   */
  flagTtlMs: number;
  /**
   * How often `drain` sweeps expired state (stream ms). A sweep visits every state (a cache miss
   * each), so by default it runs a quarter of the 24 h window apart: expired state stays at most that much longer.
   */
  sweepEveryMs: number;
}

export const DEFAULT_SIMBOX_PARAMS: SimboxParams = Object.freeze({
  windowMs: 24 * 3600_000,
  quietMs: 24 * 3600_000,
  minOutbound: 20,
  minOutboundOnGateway: 10,
  minDistinctRatio: 0.7,
  maxInboundRatio: 0.2,
  maxSocialRatio: 0.2,
  minImsisPerImei: 6,
  maxImeiCells: 2,
  minCardsPerCell: 4,
  maxCellChanges: 4,
  cvRegular: 0.15,
  cvIrregular: 0.4,
  minGapsForTiming: 8,
  minScore: 0.6,
  flagTtlMs: FLAG_TTL_MS,
  sweepEveryMs: 6 * 3600_000,
});

/** Per card (msisdn) in its window. */
export class SimboxCardState {
  from: number;
  lastTs: number;
  reportedAt = -1;
  /** Set when a sweep drops it: a copy cached on a number's entry (src/detection/intern.ts) is stale. */
  dropped = false;
  out = 0;
  inb = 0;
  lastCell: string | null = null;
  /**
   * The last IMEI and IMSI. Compared as strings: read through the interner, a value is the same
   * string object every time, and equal objects compare without reading their characters.
   */
  imeiKey: string | null = null;
  imsiKey: string | null = null;
  /** The `epoch` of `imei` in which this card last registered its IMSI there. */
  imeiEpoch = -1;
  cellChanges = 0;
  imei: ImeiState | null = null;
  /** Welford over inter-call gaps (seconds). */
  gapN = 0;
  gapMean = 0;
  gapM2 = 0;
  lastOutTs = 0;
  /** Counted as a mass-calling stationary card on `cell`. */
  cell: SimboxCellState | null = null;

  constructor(
    readonly msisdn: string,
    ts: number,
  ) {
    this.from = this.lastTs = ts;
  }

  roll(ts: number, quietMs: number): void {
    if (ts - this.lastTs > quietMs) this.reportedAt = -1;
    this.from = ts;
    this.out = this.inb = this.cellChanges = this.gapN = this.gapMean = this.gapM2 = 0;
    this.lastCell = null;
    this.imeiKey = this.imsiKey = null;
    this.imei = null;
    this.cell = null;
  }
}

/** Per cell: the mass-calling stationary cards on it in its window (a modem pool's). */
export class SimboxCellState {
  readonly cards: string[] = [];
  constructor(
    public from: number,
    public lastTs: number,
  ) {}
}

/**
 * The detector. All state is in its own fields (maps of the exported state classes), so that a
 * streaming checkpoint can snapshot it (src/detection/checkpoint.ts).
 */
export class SimboxDetector implements Detector {
  readonly name = 'simbox' as const;
  readonly p: SimboxParams;
  cards = new Map<string, SimboxCardState>();
  imeis = new Map<string, ImeiState>();
  cells = new Map<string, SimboxCellState>();
  pending: Detection[] = [];
  nextSweep = -Infinity;
  /** The cards' partners in their windows, shared with fraud_caller when its window is the same. */
  readonly windows: PartnerWindows;
  /** Records this detector has shown to `windows`. */
  windowsSeen = 0;
  /** Its states' times are this clock's (`Clock`). */
  clock = new Clock();

  constructor(params: Partial<SimboxParams> = {}, windows?: PartnerWindows) {
    this.p = { ...DEFAULT_SIMBOX_PARAMS, ...params };
    this.windows =
      windows !== undefined && windows.windowMs === this.p.windowMs
        ? windows
        : new PartnerWindows(this.p.windowMs);
  }

  /** Subjects held in memory (cards + IMEIs + cells); 0 once every window has passed. */
  size(): number {
    return this.cards.size + this.imeis.size + this.cells.size;
  }

  onCall(r: CallRecord, ctx: DetectionContext): void {
    const p = this.p;
    const ts = this.clock.rel(r.ts);
    const w = this.windows;
    this.windowsSeen = w.see(r, this.windowsSeen);
    if (r.origin !== 'intl') {
      const ref = r.callerRef;
      let s: SimboxCardState | undefined;
      if (ref !== undefined && ref.simboxOf === this.cards && !(ref.simbox as SimboxCardState).dropped)
        s = ref.simbox as SimboxCardState;
      else {
        s = this.cards.get(r.caller);
        if (s === undefined) {
          s = new SimboxCardState(r.caller, ts);
          this.cards.set(r.caller, s);
        }
        if (ref !== undefined) {
          ref.simbox = s;
          ref.simboxOf = this.cards;
        }
      }
      // (A new state starts at `ts`: it never rolls here.)
      if (ts - s.from > p.windowMs) s.roll(ts, p.quietMs);
      if (s.out > 0) {
        const gap = (ts - s.lastOutTs) / 1000;
        if (gap >= 0) {
          const d = gap - s.gapMean;
          s.gapMean += d / ++s.gapN;
          s.gapM2 += d * (gap - s.gapMean);
        }
      }
      s.out++;
      s.lastOutTs = s.lastTs = ts;
      const cell = r.cellId;
      let cellChanged = false;
      if (cell !== null) {
        if (cell !== s.lastCell) {
          if (s.lastCell !== null) s.cellChanges++;
          s.lastCell = cell;
          cellChanged = true;
        }
      }
      if (r.imei !== null && r.imsi !== null) {
        const newImei = r.imei !== s.imeiKey;
        let m = s.imei;
        if (m === null || newImei) {
          m = this.imeis.get(r.imei) ?? null;
          if (m === null) {
            m = new ImeiState(r.imei, ts, r.imsi, r.caller);
            this.imeis.set(r.imei, m);
          }
          s.imei = m;
        }
        if (
          newImei ||
          r.imsi !== s.imsiKey ||
          cellChanged ||
          s.imeiEpoch !== m.epoch ||
          ts - m.from > p.windowMs
        ) {
          // Something changed for this card: the full bookkeeping (new IMSI, new cell, new window).
          m.note(ts, r.imsi, r.caller, cell, p.windowMs, p.quietMs);
          s.imeiKey = r.imei;
          s.imsiKey = r.imsi;
          s.imeiEpoch = m.epoch;
        } else {
          m.out++;
          m.lastTs = ts;
        }
        if (m.reportedAt < 0 && m.imsis.length >= p.minImsisPerImei) this.evaluateImei(m, ts);
      }
      if (s.reportedAt < 0 && s.out >= p.minOutboundOnGateway) this.evaluateCard(s, w.caller!, ts, ctx);
    }
    const cr = r.calleeRef;
    let c: SimboxCardState | undefined;
    if (cr !== undefined && cr.simboxOf === this.cards && !(cr.simbox as SimboxCardState).dropped)
      c = cr.simbox as SimboxCardState;
    else {
      c = this.cards.get(r.callee);
      // Only found states are cached: a number with none is looked up again next time.
      if (c !== undefined && cr !== undefined) {
        cr.simbox = c;
        cr.simboxOf = this.cards;
      }
    }
    if (c !== undefined && ts - c.from <= p.windowMs) {
      c.inb++;
      if (c.imei !== null) c.imei.inb++;
    }
  }

  drain(now: number, final: boolean, ctx?: DetectionContext): Detection[] {
    if (final || now >= this.nextSweep) {
      this.sweep(this.clock.of(now));
      this.clock.advance(now, (by) => this.shift(by));
      this.windows.sweep(now, this.p.sweepEveryMs, final);
      if (ctx)
        expireNumberFlags(ctx.flaggedNumbers, this.name, now, this.p.flagTtlMs, (k) => this.cards.has(k));
      this.nextSweep = now + this.p.sweepEveryMs;
    }
    const out = this.pending;
    this.pending = [];
    return out;
  }

  private evaluateImei(m: ImeiState, ts: number): void {
    const p = this.p;
    if (m.out < p.minOutbound || m.cells.length > p.maxImeiCells) return;
    const inRatio = m.inb / m.out;
    if (inRatio > p.maxInboundRatio) return;
    const n = m.imsis.length;
    const score =
      0.6 * clamp01((n - 1) / (2 * (p.minImsisPerImei - 1))) + 0.4 * clamp01(1 - inRatio / p.maxInboundRatio);
    m.reportedAt = ts;
    this.pending.push({
      detector: 'simbox',
      subjectKind: 'imei',
      subject: m.imei,
      score: round(score),
      window: { from: this.clock.abs(m.from), to: this.clock.abs(ts) },
      evidence: {
        imsiCount: n,
        imsis: m.imsis.slice(),
        msisdns: m.msisdns.slice(),
        outbound: m.out,
        inbound: m.inb,
        inboundRatio: round(inRatio),
        cells: m.cells.slice(),
        cellChanges: m.cellChanges,
      },
    });
  }

  /** `w`: the card's partner window (the same window as `s`). */
  private evaluateCard(s: SimboxCardState, w: PartnerWindow, ts: number, ctx: DetectionContext): void {
    const p = this.p;
    const imsisOnImei = s.imei === null ? 1 : Math.max(s.imei.imsis.length, s.imei.prevImsis);
    const onGateway = imsisOnImei >= p.minImsisPerImei;
    if (s.out < (onGateway ? p.minOutboundOnGateway : p.minOutbound)) return;
    const ps = w;
    const distinctRatio = ps.outDistinct / s.out;
    const inRatio = s.inb / s.out;
    const socialRatio = ps.outDistinct === 0 ? 0 : ps.social / ps.outDistinct;
    if (distinctRatio < p.minDistinctRatio || inRatio > p.maxInboundRatio || socialRatio > p.maxSocialRatio)
      return;
    // A mass-calling card on one cell: count it towards that cell's modem pool.
    if (s.cell === null && s.lastCell !== null && s.cellChanges <= 1) {
      let c = this.cells.get(s.lastCell);
      if (c === undefined) {
        c = new SimboxCellState(ts, ts);
        this.cells.set(s.lastCell, c);
      } else if (ts - c.from > p.windowMs) {
        c.from = ts;
        c.cards.length = 0;
      }
      c.lastTs = ts;
      if (c.cards.length < 256) c.cards.push(s.msisdn);
      s.cell = c;
    }
    const cardsOnCell = s.cell === null ? 1 : s.cell.cards.length;
    let cv = -1;
    let regular = 0;
    if (s.gapN >= p.minGapsForTiming && s.gapMean > 0) {
      cv = Math.sqrt(s.gapM2 / s.gapN) / s.gapMean;
      regular = clamp01((p.cvIrregular - cv) / (p.cvIrregular - p.cvRegular));
    }
    const device = Math.max(
      clamp01((imsisOnImei - 2) / (p.minImsisPerImei - 2)),
      regular * clamp01((cardsOnCell - 1) / (p.minCardsPerCell - 1)),
    );
    const stationary = s.lastCell === null ? 0 : clamp01(1 - s.cellChanges / p.maxCellChanges);
    const strangers = distinctRatio * (1 - socialRatio);
    const score = 0.3 * device + 0.2 * stationary + 0.3 * regular + 0.2 * strangers;
    if (score < p.minScore) return;
    s.reportedAt = ts;
    ctx.flaggedNumbers.set(s.msisdn, { detector: 'simbox', at: this.clock.abs(ts) });
    this.pending.push({
      detector: 'simbox',
      subjectKind: 'msisdn',
      subject: s.msisdn,
      score: round(score),
      window: { from: this.clock.abs(s.from), to: this.clock.abs(ts) },
      evidence: {
        outbound: s.out,
        inbound: s.inb,
        distinctCallees: ps.outDistinct,
        socialRatio: round(socialRatio),
        imei: s.imei === null ? null : s.imei.imei,
        imsisOnImei,
        cell: s.lastCell,
        cellChanges: s.cellChanges,
        massCallersOnCell: cardsOnCell,
        gapCv: cv < 0 ? null : round(cv),
        parts: {
          device: round(device),
          stationary: round(stationary),
          regular: round(regular),
          strangers: round(strangers),
        },
      },
    });
  }

  /**
   * Shifts every time the states keep back by `by`, as the clock's origin moves forward once times
   * pass small integers (`Clock.advance`). A card may hold an IMEI or a cell a sweep has dropped from
   * its map (it used it last): those are shifted too, each once.
   */
  private shift(by: number): void {
    const imeis = new Set<ImeiState>(this.imeis.values());
    const cells = new Set<SimboxCellState>(this.cells.values());
    this.cards.forEach((s) => {
      s.from -= by;
      s.lastTs -= by;
      s.lastOutTs -= by;
      s.reportedAt = shiftMark(s.reportedAt, by);
      if (s.imei !== null) imeis.add(s.imei);
      if (s.cell !== null) cells.add(s.cell);
    });
    for (const m of imeis) {
      m.from -= by;
      m.lastTs -= by;
      m.reportedAt = shiftMark(m.reportedAt, by);
    }
    for (const c of cells) {
      c.from -= by;
      c.lastTs -= by;
    }
  }

  private sweep(now: number): void {
    const p = this.p;
    const keep = Math.max(p.quietMs, p.windowMs);
    // forEach, not for-of: destructured entries would allocate an array per state per sweep.
    this.cards.forEach((s, k) => {
      if (now - s.lastTs > (s.reportedAt >= 0 ? keep : p.windowMs)) {
        s.dropped = true;
        this.cards.delete(k);
      }
    });
    this.imeis.forEach((m, k) => {
      if (now - m.lastTs > (m.reportedAt >= 0 ? keep : p.windowMs)) this.imeis.delete(k);
    });
    this.cells.forEach((c, k) => {
      if (now - c.lastTs > p.windowMs) this.cells.delete(k);
    });
  }
}

export function simboxDetector(params: Partial<SimboxParams> = {}, windows?: PartnerWindows): SimboxDetector {
  return new SimboxDetector(params, windows);
}
