/**
 * `iot_misuse`: IoT (machine-to-machine) cards used as phones (docs/detection.md, "iot_misuse").
 * IoT cards are sold in bulk to companies for meters, trackers and vending machines, with
 * lighter real-name checks than consumer cards; fraud rings buy them and put them in phones or
 * gateways. A machine does not make voice calls to many people nor text CN mobiles, so:
 *
 * - voice: an IoT card (`cardType: 'iot'` in the card file; for numbers not in it, a CN IoT
 *   number: +86 14[01468]… or +86 1064… with 13 national digits) making voice calls to at least
 *   `minVoiceCallees` distinct numbers in the window (a child's watch calling its two parents,
 *   or a lift's emergency phone calling its service line, stays below);
 * - person-to-person SMS: SMS to at least `minSmsRecipients` distinct CN mobiles
 *   (+86 1[3-9] + 9 digits). SMS to short codes (`short:CN:…`, 95…, 10086), 106 platform numbers
 *   and other IoT numbers is what IoT cards normally send and never counts.
 *
 * Only IoT cards that did one of these get state (a Map entry with a counter window of
 * `windowMs`, default 24 h, starting at the first such record); it is dropped after `windowMs` of
 * silence, or `quietMs` after a report. A card is reported once per episode (a new episode after
 * `quietMs` of silence) and goes into `ctx.flaggedNumbers`.
 *
 * Score: 0.6 + 0.4 · min(1, max(voice callees / (3·minVoiceCallees), SMS recipients /
 * (3·minSmsRecipients))), so the bare threshold scores 0.73 and three times it scores 1.
 */
import { cardOf, type DetectionContext, type Detector } from '../detector.ts';
import type { Interned } from '../intern.ts';
import type { CallRecord, Detection } from '../records.ts';
import { calleeHash, clamp01, Clock, expireNumberFlags, FLAG_TTL_MS, round, shiftMark } from './common.ts';

export interface IotMisuseParams {
  /** Counting window (ms). */
  windowMs: number;
  /** A reported card is reported again only after this much silence (ms). */
  quietMs: number;
  /** Distinct callees of voice calls in the window that make misuse. */
  minVoiceCallees: number;
  /** Distinct CN mobiles texted in the window that make misuse. */
  minSmsRecipients: number;
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

export const DEFAULT_IOT_MISUSE_PARAMS: IotMisuseParams = Object.freeze({
  windowMs: 24 * 3600_000,
  quietMs: 24 * 3600_000,
  minVoiceCallees: 3,
  minSmsRecipients: 3,
  flagTtlMs: FLAG_TTL_MS,
  sweepEveryMs: 6 * 3600_000,
});

const PLUS = 43;
const D0 = 48;

/** A CN mobile in E.164: `+861[3-9]` and 9 more digits (14 characters). No allocation. */
export function isCnMobile(s: string): boolean {
  if (s.length !== 14 || s.charCodeAt(0) !== PLUS || s.charCodeAt(1) !== 56 || s.charCodeAt(2) !== 54)
    return false;
  if (s.charCodeAt(3) !== 49) return false;
  const c4 = s.charCodeAt(4);
  if (c4 < 51 || c4 > 57) return false;
  for (let i = 5; i < 14; i++) {
    const c = s.charCodeAt(i) - D0;
    if (c < 0 || c > 9) return false;
  }
  return true;
}

/** A CN IoT number in E.164: +86 then 14[01468] + 10 digits or 1064 + 9 digits (13 national digits). */
export function isCnIotNumber(s: string): boolean {
  if (s.length !== 16 || !s.startsWith('+861')) return false;
  const c4 = s.charCodeAt(4);
  const c5 = s.charCodeAt(5);
  if (c4 === 52) return c5 === 48 || c5 === 49 || c5 === 52 || c5 === 54 || c5 === 56;
  return c4 === 48 && c5 === 54 && s.charCodeAt(6) === 52;
}

/** Per IoT card (msisdn) in its window. */
export class IotState {
  from: number;
  lastTs: number;
  reportedAt = -1;
  /** Set when a sweep drops it: a copy cached on a number's entry (src/detection/intern.ts) is stale. */
  dropped = false;
  voice = 0;
  sms = 0;
  /** Hashes of distinct voice callees / SMS recipients (small: misuse is reported early). */
  readonly voiceCallees = new Set<number>();
  readonly smsRecipients = new Set<number>();

  constructor(ts: number) {
    this.from = this.lastTs = ts;
  }
}

/**
 * The detector. All state is in its own fields, so that a streaming checkpoint can snapshot it
 * (src/detection/checkpoint.ts).
 */
export class IotMisuseDetector implements Detector {
  readonly name = 'iot_misuse' as const;
  readonly p: IotMisuseParams;
  states = new Map<string, IotState>();
  pending: Detection[] = [];
  nextSweep = -Infinity;
  /** Its states' times are this clock's (`Clock`). */
  clock = new Clock();

  constructor(params: Partial<IotMisuseParams> = {}) {
    this.p = { ...DEFAULT_IOT_MISUSE_PARAMS, ...params };
  }

  /** IoT cards held in memory; 0 once every window has passed. */
  size(): number {
    return this.states.size;
  }

  onCall(r: CallRecord, ctx: DetectionContext): void {
    const p = this.p;
    const voice = r.kind === 'voice';
    // Cheap filters first: an SMS only matters when it goes to a CN mobile; voice only to numbers.
    if (voice ? r.callee.charCodeAt(0) !== PLUS : !isCnMobile(r.callee)) return;
    const ref = r.callerRef;
    if (r.origin === 'intl' || !isIot(r.caller, ref, ctx)) return;
    const ts = this.clock.rel(r.ts);
    let s: IotState | undefined;
    if (ref !== undefined && ref.iotOf === this.states && !(ref.iot as IotState).dropped)
      s = ref.iot as IotState;
    else {
      s = this.states.get(r.caller);
      if (s === undefined) {
        s = new IotState(ts);
        this.states.set(r.caller, s);
      }
      if (ref !== undefined) {
        ref.iot = s;
        ref.iotOf = this.states;
      }
    }
    // (A new state starts at `ts`: it never rolls here.)
    if (ts - s.from > p.windowMs) {
      if (ts - s.lastTs > p.quietMs) s.reportedAt = -1;
      s.from = ts;
      s.voice = s.sms = 0;
      s.voiceCallees.clear();
      s.smsRecipients.clear();
    }
    s.lastTs = ts;
    if (s.reportedAt >= 0) return;
    if (voice) {
      s.voice++;
      s.voiceCallees.add(calleeHash(r));
    } else {
      s.sms++;
      s.smsRecipients.add(calleeHash(r));
    }
    const v = s.voiceCallees.size;
    const m = s.smsRecipients.size;
    if (v < p.minVoiceCallees && m < p.minSmsRecipients) return;
    const score = 0.6 + 0.4 * clamp01(Math.max(v / (3 * p.minVoiceCallees), m / (3 * p.minSmsRecipients)));
    s.reportedAt = ts;
    ctx.flaggedNumbers.set(r.caller, { detector: 'iot_misuse', at: this.clock.abs(ts) });
    const card = ctx.cardsByMsisdn.get(r.caller);
    this.pending.push({
      detector: 'iot_misuse',
      subjectKind: 'msisdn',
      subject: r.caller,
      score: round(score),
      window: { from: this.clock.abs(s.from), to: this.clock.abs(ts) },
      evidence: {
        cardType: 'iot',
        knownCard: card !== undefined,
        operator: card === undefined ? null : card.operator,
        voiceCalls: s.voice,
        voiceCallees: v,
        p2pSms: s.sms,
        p2pSmsRecipients: m,
        imei: r.imei,
        cell: r.cellId,
      },
    });
  }

  drain(now: number, final: boolean, ctx?: DetectionContext): Detection[] {
    if (final || now >= this.nextSweep) {
      const p = this.p;
      const keep = Math.max(p.quietMs, p.windowMs);
      const t = this.clock.of(now);
      this.states.forEach((s, k) => {
        if (t - s.lastTs > (s.reportedAt >= 0 ? keep : p.windowMs)) {
          s.dropped = true;
          this.states.delete(k);
        }
      });
      if (ctx) expireNumberFlags(ctx.flaggedNumbers, this.name, now, p.flagTtlMs, (k) => this.states.has(k));
      // Times past small integers: the origin moves, the states' times with it (`Clock`).
      this.clock.advance(now, (by) =>
        this.states.forEach((s) => {
          s.from -= by;
          s.lastTs -= by;
          s.reportedAt = shiftMark(s.reportedAt, by);
        }),
      );
      this.nextSweep = now + p.sweepEveryMs;
    }
    const out = this.pending;
    this.pending = [];
    return out;
  }
}

function isIot(msisdn: string, ref: Interned | undefined, ctx: DetectionContext): boolean {
  const card = cardOf(ctx, msisdn, ref);
  return card === undefined ? isCnIotNumber(msisdn) : card.cardType === 'iot';
}

export function iotMisuseDetector(params: Partial<IotMisuseParams> = {}): IotMisuseDetector {
  return new IotMisuseDetector(params);
}
