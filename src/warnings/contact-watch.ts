import type { CallOrigin, CallRecord, Detection } from '../detection/records.ts';
import type { RecordObserver } from '../detection/run.ts';

/**
 * The contact watch (docs/warnings.md, "Warning before the payment"): warns a person while a scam
 * is still talk, before any money moves. A `potential_victim` detection needs the transfer, so it
 * comes too late to stop the first one; a long call from a number known to be fraudulent does not.
 *
 * Fed in stream-time order with call and SMS records and "number flagged at t" notices (a call
 * detector fired on it), it hands out `fraud_call` triggers:
 *
 * - `long_call_from_flagged`: a call of at least `longCallS` from a number already flagged (or
 *   listed in the registry), at the end of the call;
 * - `flagged_after_long_call`: when a number becomes flagged, each person it held a long call with
 *   in the last `lookbackMs` gets a trigger at that moment (scammers are usually flagged only after
 *   a few dozen calls, often after the victim's call, but before the victim pays).
 *
 * SMS from flagged numbers (`fraud_sms`, reason `sms_from_flagged`) are off by default: without
 * the text, an SMS from a mass caller says nothing of the person who got it (bench/warnings.bench.ts
 * measures the cost).
 *
 * Memory is bounded: per caller not (yet) flagged, its last `perCaller` long calls, dropped
 * `lookbackMs` after the last one ended; flags expire after `flaggedMs`; the callees warned in the
 * last `episodeMs`. Triggers aside, the hot path allocates nothing for a short call, an SMS or a
 * long call from a caller already remembered.
 */

export type ContactTriggerKind = 'fraud_call' | 'fraud_sms';
export type ContactTriggerReason = 'long_call_from_flagged' | 'flagged_after_long_call' | 'sms_from_flagged';

export interface ContactTrigger {
  kind: ContactTriggerKind;
  /** When the trigger holds (epoch ms): the call's end, or the flag's time for a retroactive one. */
  at: number;
  /** The person to warn (E.164). */
  callee: string;
  /** The flagged or listed number. */
  caller: string;
  durationS: number;
  reason: ContactTriggerReason;
}

export interface ContactWatchParams {
  /**
   * A call this long (s) from a flagged number warns its callee: 300 s. On the simulated worlds
   * (bench/warnings.bench.ts, seeds 1–10) 120, 180, 240 and 300 s warn the same 95 of 100 victims
   * before they pay, while the people warned who did not pay fall from about 5,000 (120 s), 1,400
   * (180 s) and 500 (240 s) to 27 (300 s): a mass caller's pitch that goes nowhere lasts a few
   * minutes at most, a scam that gets someone to pay takes longer. The simulator's victim calls
   * last 5–40 min by construction, so a real scam won in under 5 min is not measured: tune on
   * recorded warning outcomes.
   */
  longCallS: number;
  /**
   * How far back (ms) a new flag reaches for long calls already held: 6 h. Victims pay 20–150 min
   * after the call in the simulator; a flag hours late still warns them, which after a payment
   * still starts the "already paid" path (stop-payment, fund case) sooner.
   */
  lookbackMs: number;
  /** Long calls remembered per caller not yet flagged (the most recent ones): 16. */
  perCaller: number;
  /** One trigger per callee per episode: no second one within this long (ms) of the last: 24 h. */
  episodeMs: number;
  /** A flag holds this long (ms) after it was raised: 7 days. */
  flaggedMs: number;
  /** Warn on an SMS from a flagged number: off. */
  smsFromFlagged: boolean;
  /** Expired state is swept at most this often (ms of stream time): 10 min. */
  sweepEveryMs: number;
}

export const DEFAULT_CONTACT_WATCH_PARAMS: ContactWatchParams = {
  longCallS: 300,
  lookbackMs: 6 * 3_600_000,
  perCaller: 16,
  episodeMs: 24 * 3_600_000,
  flaggedMs: 7 * 86_400_000,
  smsFromFlagged: false,
  sweepEveryMs: 10 * 60_000,
};

/**
 * Which of a flagged number's calls the flag covers. A spoofed number belongs to an innocent
 * subscriber: only the calls presenting it through an international gateway (`origin: 'intl'`)
 * are the scammer's.
 */
export interface FlagScope {
  origin?: CallOrigin;
}

/** A caller's last long calls: a ring of `perCaller` slots, reused once the caller expires. */
interface CallerRing {
  callees: string[];
  ends: Float64Array;
  durations: Int32Array;
  origins: CallOrigin[];
  /** Next slot to write. */
  head: number;
  /** Slots in use (≤ perCaller). */
  count: number;
  /** The latest end of a call in the ring (epoch ms). */
  lastEnd: number;
}

interface Flag {
  at: number;
  /** null: every call of the number. */
  origin: CallOrigin | null;
}

/** A watch's state as plain data (a stream worker's checkpoint keeps it: `snapshot`, `restore`). */
export interface ContactWatchState {
  recent: Map<string, CallerRing>;
  flagged: Map<string, Flag>;
  warned: Map<string, number>;
  nextSweep: number;
  suppressed: number;
}

export class ContactWatch {
  readonly params: ContactWatchParams;
  private readonly listed: (msisdn: string) => boolean;
  private readonly recent = new Map<string, CallerRing>();
  private readonly free: CallerRing[] = [];
  private readonly flagged = new Map<string, Flag>();
  private readonly warned = new Map<string, number>();
  private nextSweep = -Infinity;
  private suppressedCount = 0;

  constructor(params: Partial<ContactWatchParams> = {}, listed: (msisdn: string) => boolean = () => false) {
    this.params = { ...DEFAULT_CONTACT_WATCH_PARAMS, ...params };
    if (this.params.perCaller < 1) throw new Error('perCaller must be at least 1');
    this.listed = listed;
  }

  /** What the watch holds now (memory is proportional to these). */
  get size(): { callers: number; longCalls: number; flagged: number; warned: number } {
    let longCalls = 0;
    for (const r of this.recent.values()) longCalls += r.count;
    return { callers: this.recent.size, longCalls, flagged: this.flagged.size, warned: this.warned.size };
  }

  /** Triggers not handed out because the callee was already warned in the episode. */
  get suppressed(): number {
    return this.suppressedCount;
  }

  /** The state now, as plain data (the maps are the watch's own: serialise before changing it). */
  snapshot(): ContactWatchState {
    return {
      recent: this.recent,
      flagged: this.flagged,
      warned: this.warned,
      nextSweep: this.nextSweep,
      suppressed: this.suppressedCount,
    };
  }

  /** Takes over a snapshot's state (the parameters stay this watch's own). */
  restore(s: ContactWatchState): void {
    this.recent.clear();
    for (const [k, ring] of s.recent) this.recent.set(k, ring);
    this.flagged.clear();
    for (const [k, f] of s.flagged) this.flagged.set(k, f);
    this.warned.clear();
    for (const [k, at] of s.warned) this.warned.set(k, at);
    this.free.length = 0;
    this.nextSweep = s.nextSweep;
    this.suppressedCount = s.suppressed;
  }

  /** One call or SMS record, in stream-time order. A trigger when it warns its callee. */
  onCall(r: CallRecord): ContactTrigger | null {
    if (r.ts >= this.nextSweep) this.sweep(r.ts);
    const p = this.params;
    if (r.kind === 'sms') {
      if (!p.smsFromFlagged || !this.isFlagged(r.caller, r.origin, r.ts)) return null;
      return this.trigger('fraud_sms', r.ts, r.callee, r.caller, 0, 'sms_from_flagged');
    }
    if (r.durationS < p.longCallS) return null;
    const end = r.ts + r.durationS * 1000;
    if (this.isFlagged(r.caller, r.origin, r.ts))
      return this.trigger('fraud_call', end, r.callee, r.caller, r.durationS, 'long_call_from_flagged');
    this.remember(r.caller, r.callee, end, r.durationS, r.origin);
    return null;
  }

  /**
   * `msisdn` became flagged at `at` (a call detector fired on it): its future long calls warn at
   * once, and the people it held a long call with in the last `lookbackMs` are warned now.
   */
  flag(msisdn: string, at: number, scope: FlagScope = {}): ContactTrigger[] {
    const origin = scope.origin ?? null;
    const had = this.flagged.get(msisdn);
    // A flag on every call outranks one scoped to an origin.
    this.flagged.set(msisdn, { at, origin: had && had.origin === null ? null : origin });
    const ring = this.recent.get(msisdn);
    if (ring === undefined) return [];
    const out: ContactTrigger[] = [];
    const n = ring.callees.length;
    const since = at - this.params.lookbackMs;
    // Oldest first, so that triggers come out in call order.
    for (let k = ring.count; k > 0; k--) {
      const i = (ring.head - k + n) % n;
      const end = ring.ends[i]!;
      if (end < since) continue;
      if (origin !== null && ring.origins[i] !== origin) continue;
      // A call still running when the flag came warns at its end, as one from a flagged number.
      const running = end > at;
      const t = this.trigger(
        'fraud_call',
        running ? end : at,
        ring.callees[i]!,
        msisdn,
        ring.durations[i]!,
        running ? 'long_call_from_flagged' : 'flagged_after_long_call',
      );
      if (t) out.push(t);
    }
    if (origin === null) this.release(msisdn, ring);
    return out;
  }

  /**
   * Trigger `t`, just made, was not handed out (it is of the history before a worker's
   * `--report-from`): its callee was not warned, so a later trigger within the episode must not be
   * suppressed by it.
   */
  unwarn(t: ContactTrigger): void {
    if (this.warned.get(t.callee) === t.at) this.warned.delete(t.callee);
  }

  /** Drops what has expired by stream time `now` (also done by `onCall` every `sweepEveryMs`). */
  sweep(now: number): void {
    const p = this.params;
    this.recent.forEach((ring, caller) => {
      if (ring.lastEnd < now - p.lookbackMs) this.release(caller, ring);
    });
    this.flagged.forEach((f, n) => {
      if (now - f.at > p.flaggedMs) this.flagged.delete(n);
    });
    this.warned.forEach((at, callee) => {
      if (now - at >= p.episodeMs) this.warned.delete(callee);
    });
    this.nextSweep = now + p.sweepEveryMs;
  }

  private isFlagged(caller: string, origin: CallOrigin, now: number): boolean {
    const f = this.flagged.get(caller);
    if (f !== undefined && now - f.at <= this.params.flaggedMs && (f.origin === null || f.origin === origin))
      return true;
    return this.listed(caller);
  }

  private trigger(
    kind: ContactTriggerKind,
    at: number,
    callee: string,
    caller: string,
    durationS: number,
    reason: ContactTriggerReason,
  ): ContactTrigger | null {
    const last = this.warned.get(callee);
    if (last !== undefined && Math.abs(at - last) < this.params.episodeMs) {
      this.suppressedCount++;
      return null;
    }
    this.warned.set(callee, at);
    return { kind, at, callee, caller, durationS, reason };
  }

  private remember(caller: string, callee: string, end: number, durationS: number, origin: CallOrigin): void {
    let ring = this.recent.get(caller);
    if (ring === undefined) {
      ring = this.free.pop() ?? newRing(this.params.perCaller);
      this.recent.set(caller, ring);
    }
    const i = ring.head;
    ring.callees[i] = callee;
    ring.ends[i] = end;
    ring.durations[i] = durationS;
    ring.origins[i] = origin;
    ring.head = (i + 1) % ring.callees.length;
    if (ring.count < ring.callees.length) ring.count++;
    if (end > ring.lastEnd) ring.lastEnd = end;
  }

  private release(caller: string, ring: CallerRing): void {
    this.recent.delete(caller);
    ring.head = 0;
    ring.count = 0;
    ring.lastEnd = -Infinity;
    ring.callees.fill('');
    // Kept for reuse up to a point: a burst of callers does not pin its memory for good.
    if (this.free.length < 1024) this.free.push(ring);
  }
}

function newRing(n: number): CallerRing {
  return {
    callees: new Array<string>(n).fill(''),
    ends: new Float64Array(n),
    durations: new Int32Array(n),
    origins: new Array<CallOrigin>(n).fill('onnet'),
    head: 0,
    count: 0,
    lastEnd: -Infinity,
  };
}

/**
 * The numbers a detection flags for the watch. A call detector's number (fraud_caller, simbox,
 * iot_misuse), the numbers a SIM-box device carried, and a spoofed number only for its calls
 * through an international gateway (the number is an innocent subscriber's; a clone would need the
 * clone's device, so the other spoofing rules flag nothing here).
 */
export function flagsOf(d: Detection): { numbers: readonly string[]; scope: FlagScope } | null {
  if (d.subjectKind === 'msisdn') {
    if (d.detector === 'spoofed_caller')
      return d.evidence.rule === 'intl' ? { numbers: [d.subject], scope: { origin: 'intl' } } : null;
    if (d.detector === 'potential_victim' || d.detector === 'mule_account' || d.detector === 'card_limit')
      return null;
    return { numbers: [d.subject], scope: {} };
  }
  if (d.subjectKind === 'imei' && Array.isArray(d.evidence.msisdns))
    return { numbers: d.evidence.msisdns as string[], scope: {} };
  return null;
}

/**
 * The watch as an observer of a detection run (src/detection/run.ts, the stream workers): each call
 * record after the detectors had it, each drained detection flagging its numbers; the triggers go
 * to `emit` (in a stream worker, only those whose callee it owns: `owns`). In a stream worker the
 * watch's state goes into the checkpoints, and `settle` (delivering the triggers emitted so far)
 * runs before each, so a restarted worker neither forgets a long call nor loses a trigger.
 */
export class ContactObserver implements RecordObserver {
  constructor(
    readonly watch: ContactWatch,
    private readonly emit: (t: ContactTrigger) => void,
    private readonly owns: (callee: string) => boolean = () => true,
    private readonly settleEmitted: () => Promise<void> = async () => undefined,
  ) {}

  snapshot(): ContactWatchState {
    return this.watch.snapshot();
  }

  restore(state: unknown): void {
    this.watch.restore(state as ContactWatchState);
  }

  settle(): Promise<void> {
    return this.settleEmitted();
  }

  onCall(r: CallRecord): void {
    const t = this.watch.onCall(r);
    if (t && this.owns(t.callee)) this.emit(t);
  }

  onDetections(ds: readonly Detection[], now: number): void {
    for (const d of ds) {
      const f = flagsOf(d);
      if (!f) continue;
      for (const n of f.numbers)
        for (const t of this.watch.flag(n, now, f.scope)) if (this.owns(t.callee)) this.emit(t);
    }
  }
}

/** A contact trigger as the warnings take it (src/warnings/service.ts intakeTrigger). */
export function contactTriggerInput(t: ContactTrigger): {
  kind: ContactTriggerKind;
  at: string;
  person: { msisdn: string };
  summary: string;
} {
  const what =
    t.reason === 'sms_from_flagged'
      ? `an SMS from the flagged number ${t.caller}`
      : `a ${Math.round(t.durationS / 60)}-minute call from ${t.caller}` +
        (t.reason === 'flagged_after_long_call' ? ', flagged after the call' : ', already flagged');
  return { kind: t.kind, at: new Date(t.at).toISOString(), person: { msisdn: t.callee }, summary: what };
}
