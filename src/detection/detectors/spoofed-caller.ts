/**
 * `spoofed_caller`: calls that present a number their caller does not hold (docs/detection.md,
 * "spoofed_caller"). Fraud call centres abroad present domestic numbers (a local mobile, a bank's
 * or the police's landline) so that their calls are answered. Three rules, subject the presented
 * number (`subjectKind: 'msisdn'`):
 *
 * 1. `intl`: a call that entered through an international gateway (`origin: 'intl'`) presenting a
 *    CN number (+86…). A real CN subscriber roaming abroad reaches home through the roaming
 *    network, not as an international-gateway call, so this is spoofing on its face.
 *    Score 0.95 for a CN mobile, 0.85 for any other +86 number.
 * 2. `overlap`: a CN mobile holding two calls at once from two places: a call starts while the
 *    number's previous call (ts .. ts + duration) is still running, and the two come from
 *    different devices (both IMEIs known and different), or, IMEI unknown, from different cells,
 *    or one on-net and one off-net. One device with call waiting (same IMEI) is not a sign; two
 *    off-net calls are not judged (no device or cell to compare). Score 0.9 with two IMEIs, 0.8
 *    otherwise.
 * 3. `switch` / `jump`: two on-net calls less than `jumpWindowMs` (default 10 min) apart, from
 *    different cells, and either from two devices (IMEIs known and different: a SIM moves between
 *    phones in minutes only when it has been cloned) or from cells in different regions, where a
 *    cell's region is `cellRegion(cellId)`. Cell ids are opaque by default, so the region test
 *    needs the operator's convention, e.g. `cellRegion: (c) => c.slice(0, N)` when cell ids carry
 *    an N-character region prefix (the simulator's cells do: `cellRegion` in
 *    src/detection/simulate). A traveller changes region over hours, not minutes, on one phone.
 *    Score 0.85 with both signs, 0.75 for two devices, 0.7 for a region jump on one device.
 *
 * State: per CN mobile seen calling, its last call (end time, cell, IMEI, origin), dropped
 * `stateMs` (default 24 h) after that call ended; a reported number is remembered for `quietMs`
 * (default 24 h) of silence, so it is reported once per episode. A last call older than the jump
 * window decides nothing, so `stateMs` changes no detection: it is a day so that a number calling
 * a few times a day keeps one state rather than being dropped and built again between its calls
 * (that churn was most of this detector's cost). Flagged numbers go into
 * `ctx.flaggedNumbers`.
 */
import type { DetectionContext, Detector } from '../detector.ts';
import type { CallOrigin, CallRecord, Detection } from '../records.ts';
import { isCnMobile } from './iot-misuse.ts';
import { Clock, expireNumberFlags, FLAG_TTL_MS, round, shiftMark } from './common.ts';

export interface SpoofedCallerParams {
  /**
   * How long the last call of a number is kept after it ended (ms); at least `jumpWindowMs`. Any
   * value from there on gives the same detections: it trades memory for state churn.
   */
  stateMs: number;
  /** A reported number is reported again only after this much silence (ms). */
  quietMs: number;
  /** Region of a cell, or null when unknown; null (the default): cells are opaque, no region test. */
  cellRegion: ((cellId: string) => string | null) | null;
  /** Two on-net calls from two devices or two regions closer than this are suspect (ms). */
  jumpWindowMs: number;
  /**
   * How long a flag this detector put in `ctx.flaggedNumbers` stays once its episode is over (ms;
   * a number still in an episode keeps its flag).
   */
  flagTtlMs: number;
  /**
   * How often `drain` sweeps expired state (stream ms). A sweep visits every state (a cache miss
   * each), so by default it runs a quarter of `stateMs` apart: expired state stays at most that much
   * longer.
   */
  sweepEveryMs: number;
}

export const DEFAULT_SPOOFED_CALLER_PARAMS: SpoofedCallerParams = Object.freeze({
  stateMs: 24 * 3600_000,
  quietMs: 24 * 3600_000,
  cellRegion: null,
  jumpWindowMs: 10 * 60_000,
  flagTtlMs: FLAG_TTL_MS,
  sweepEveryMs: 6 * 3600_000,
});

/** Per presented caller number: its last call (times are the detector's clock's). */
export class NumberState {
  lastTs: number;
  lastEnd: number;
  lastCell: string | null;
  lastImei: string | null;
  lastOrigin: CallOrigin;
  reportedAt = -1;
  /** Set when a sweep drops it: a copy cached on a number's entry (src/detection/intern.ts) is stale. */
  dropped = false;

  constructor(r: CallRecord, ts: number) {
    this.lastTs = ts;
    this.lastEnd = ts + r.durationS * 1000;
    this.lastCell = r.cellId;
    this.lastImei = r.imei;
    this.lastOrigin = r.origin;
  }
}

/**
 * The detector. All state is in its own fields, so that a streaming checkpoint can snapshot it
 * (src/detection/checkpoint.ts).
 */
export class SpoofedCallerDetector implements Detector {
  readonly name = 'spoofed_caller' as const;
  readonly p: SpoofedCallerParams;
  /** How long a number's last call is kept (at least the jump window). */
  readonly stateMs: number;
  numbers = new Map<string, NumberState>();
  pending: Detection[] = [];
  nextSweep = -Infinity;
  /** Its states' times are this clock's (`Clock`). */
  clock = new Clock();

  constructor(params: Partial<SpoofedCallerParams> = {}) {
    this.p = { ...DEFAULT_SPOOFED_CALLER_PARAMS, ...params };
    this.stateMs = Math.max(this.p.stateMs, this.p.jumpWindowMs);
  }

  /** Numbers held in memory; 0 once every window has passed. */
  size(): number {
    return this.numbers.size;
  }

  onCall(r: CallRecord, ctx: DetectionContext): void {
    const p = this.p;
    const caller = r.caller;
    // +86…: 43 56 54.
    if (caller.charCodeAt(0) !== 43 || caller.charCodeAt(1) !== 56 || caller.charCodeAt(2) !== 54) return;
    const ts = this.clock.rel(r.ts);
    const intl = r.origin === 'intl';
    const mobile = isCnMobile(caller);
    if (!intl && !mobile) return;
    const ref = r.callerRef;
    let s: NumberState | undefined;
    if (ref !== undefined && ref.spoofedOf === this.numbers && !(ref.spoofed as NumberState).dropped)
      s = ref.spoofed as NumberState;
    else s = this.numbers.get(caller);
    if (s === undefined) {
      s = new NumberState(r, ts);
      this.numbers.set(caller, s);
      if (ref !== undefined) {
        ref.spoofed = s;
        ref.spoofedOf = this.numbers;
      }
      if (intl) {
        const card = ctx.cardsByMsisdn.get(caller);
        this.report(s, r, ctx, mobile ? 0.95 : 0.85, ts, {
          rule: 'intl',
          origin: 'intl',
          presentedMobile: mobile,
          knownCard: card !== undefined,
        });
      }
      return;
    }
    if (ref !== undefined) {
      ref.spoofed = s;
      ref.spoofedOf = this.numbers;
    }
    const quiet = ts - Math.max(s.lastTs, s.lastEnd) > p.quietMs;
    if (quiet) s.reportedAt = -1;
    if (s.reportedAt < 0) {
      if (intl) {
        const card = ctx.cardsByMsisdn.get(caller);
        this.report(s, r, ctx, mobile ? 0.95 : 0.85, ts, {
          rule: 'intl',
          origin: 'intl',
          presentedMobile: mobile,
          knownCard: card !== undefined,
        });
      } else if (ts < s.lastEnd && s.lastOrigin !== 'intl') {
        const o = r.origin;
        const lo = s.lastOrigin;
        let twoDevices = false;
        let twoPlaces = false;
        if (o === 'onnet' && lo === 'onnet') {
          if (r.imei !== null && s.lastImei !== null) twoDevices = r.imei !== s.lastImei;
          else twoPlaces = r.cellId !== null && s.lastCell !== null && r.cellId !== s.lastCell;
        } else if (o !== lo) twoPlaces = true;
        if (twoDevices || twoPlaces)
          this.report(s, r, ctx, twoDevices ? 0.9 : 0.8, s.lastTs, {
            rule: 'overlap',
            overlapS: round((s.lastEnd - ts) / 1000),
            origins: [lo, o],
            cells: [s.lastCell, r.cellId],
            imeis: [s.lastImei, r.imei],
          });
      } else if (
        r.origin === 'onnet' &&
        s.lastOrigin === 'onnet' &&
        r.cellId !== null &&
        s.lastCell !== null &&
        r.cellId !== s.lastCell &&
        ts - s.lastTs < p.jumpWindowMs
      ) {
        const twoDevices = r.imei !== null && s.lastImei !== null && r.imei !== s.lastImei;
        const a = p.cellRegion === null ? null : p.cellRegion(s.lastCell);
        const b = p.cellRegion === null ? null : p.cellRegion(r.cellId);
        const jump = a !== null && b !== null && a !== b;
        if (twoDevices || jump)
          this.report(s, r, ctx, twoDevices && jump ? 0.85 : twoDevices ? 0.75 : 0.7, s.lastTs, {
            rule: jump ? 'jump' : 'switch',
            minutesApart: round((ts - s.lastTs) / 60_000),
            cells: [s.lastCell, r.cellId],
            regions: jump ? [a, b] : null,
            imeis: [s.lastImei, r.imei],
          });
      }
    }
    // The last call: keep the one that ends later (a short call inside a long one does not
    // hide the long one from the next record).
    const end = ts + r.durationS * 1000;
    if (end >= s.lastEnd || ts >= s.lastEnd) {
      s.lastEnd = end;
      s.lastCell = r.cellId;
      s.lastImei = r.imei;
      s.lastOrigin = r.origin;
    }
    s.lastTs = ts;
  }

  drain(now: number, final: boolean, ctx?: DetectionContext): Detection[] {
    if (final || now >= this.nextSweep) {
      const stateMs = this.stateMs;
      const keep = Math.max(this.p.quietMs, stateMs);
      const t = this.clock.of(now);
      // forEach, not for-of: destructured entries would allocate an array per number per sweep.
      this.numbers.forEach((s, k) => {
        const idle = t - Math.max(s.lastTs, s.lastEnd);
        if (idle > (s.reportedAt >= 0 ? keep : stateMs)) {
          s.dropped = true;
          this.numbers.delete(k);
        }
      });
      if (ctx)
        expireNumberFlags(ctx.flaggedNumbers, this.name, now, this.p.flagTtlMs, (k) => this.numbers.has(k));
      // Times past small integers: the origin moves, the states' times with it (`Clock`).
      this.clock.advance(now, (by) =>
        this.numbers.forEach((s) => {
          s.lastTs -= by;
          s.lastEnd -= by;
          s.reportedAt = shiftMark(s.reportedAt, by);
        }),
      );
      this.nextSweep = now + this.p.sweepEveryMs;
    }
    const out = this.pending;
    this.pending = [];
    return out;
  }

  private report(
    s: NumberState,
    r: CallRecord,
    ctx: DetectionContext,
    score: number,
    from: number,
    evidence: Record<string, unknown>,
  ): void {
    // `from` is the clock's, `r.ts` the epoch's.
    s.reportedAt = this.clock.of(r.ts);
    ctx.flaggedNumbers.set(r.caller, { detector: 'spoofed_caller', at: r.ts });
    this.pending.push({
      detector: 'spoofed_caller',
      subjectKind: 'msisdn',
      subject: r.caller,
      score: round(score),
      window: { from: this.clock.abs(from), to: r.ts + r.durationS * 1000 },
      evidence,
    });
  }
}

export function spoofedCallerDetector(params: Partial<SpoofedCallerParams> = {}): SpoofedCallerDetector {
  return new SpoofedCallerDetector(params);
}
