/**
 * `potential_victim`: persons who were called or texted by a number that the call detectors
 * flagged (`ctx.flaggedNumbers`) or that the registry lists (`ctx.listed('phone', …)`), and who
 * then, within `windowMs` (default 48 h), transfer money to a new payee or to a flagged or listed
 * account (docs/detection.md, "potential_victim"). Calls and transfers are joined through the
 * holder: the callee's card (`ctx.cardsByMsisdn`) and the payer's account (`ctx.accountsByNumber`)
 * name the same `holderId`. The subject is the holder id (`subjectKind: 'holder'`); the evidence
 * names only the caller number, the call time, kind and duration, and the transfer id, amount,
 * payee and time.
 *
 * Ordering. A number is often flagged by a telecom detector only after the victim's call went by,
 * and a mule account after the victim paid it. So:
 * - for each callee holder the detector keeps the last `callsPerHolder` calls of the window
 *   (caller, time, duration, kind) in a ring, whether or not the caller is flagged yet, plus a
 *   small protected ring of `flaggedCallsPerHolder` calls whose caller was already flagged when
 *   the call arrived (so ordinary calls cannot push a known fraud call out);
 * - callers are checked against `flaggedNumbers` and the registry when the transfer arrives;
 * - a transfer to a new or flagged payee by a holder who had calls in the window but did not
 *   score is kept as a candidate (at most `candidatesPerHolder` per holder) for `lateFlagMs`; its
 *   payee and the callers of its window are watched (`watchPerKey` holders per key), and at
 *   `drain` (every `recheckEveryMs` of stream time) the numbers and accounts flagged since the last
 *   look re-check the candidates of the holders watching them, so a number or payee flagged after
 *   the transfer still fires. At the end of the input every candidate is re-checked.
 *
 * New payee: the detector keeps per holder (the payer account's holder: a person's own accounts
 * share one history) the payees paid in the last `payeeMemoryMs` (default 90 days), at most
 * `payeesPerPayer` (least recently paid dropped first). At the start of the stream every payee is
 * new.
 *
 * Score: the fraud contact c = 1 − Π(1 − wᵢ) over the flagged calls before the transfer. A voice
 * call weighs clamp((duration − shortCallS) / (longCallS − shortCallS)) (60 s / 600 s: hang-ups
 * weigh nothing), an SMS `smsWeight` (0.3); each is scaled by how soon the payment followed the end
 * of the call (1 for `promptMs`, 3 h, then falling over `recencyScaleMs`, 12 h). Paying a flagged or
 * listed account makes c = 1 − (1 − c)·0.4; a new payee only, 0.8·c. Then × amount (0.4 + 0.6 × the
 * order of magnitude between `minAmount` and `largeAmount`). Reported at ≥ `minScore` (0.4), after
 * `holdMs` (1 h) in which the paying account must not be flagged (a mule forwarding to the next
 * layer is no victim).
 *
 * Episodes: a holder is reported once, then not again for `episodeGapMs` (default 7 days).
 */
import type { DetectionContext, Detector } from '../detector.ts';
import type { CallRecord, Detection, TransactionRecord } from '../records.ts';

export interface VictimParams {
  /** Calls count for transfers made within this time after them (ms). Default 48 h. */
  windowMs: number;
  /** Calls kept per callee holder (ring). */
  callsPerHolder: number;
  /** Calls from already-flagged numbers kept per holder in a protected ring. */
  flaggedCallsPerHolder: number;
  /** A voice call this long (s) or shorter weighs nothing (a hang-up, a refusal). */
  shortCallS: number;
  /** A voice call this long (s) weighs fully. */
  longCallS: number;
  /** Transfers within this of the end of the call get the full recency (ms). */
  promptMs: number;
  /** Beyond `promptMs`, recency is 1 / (1 + (excess / recencyScaleMs)²). */
  recencyScaleMs: number;
  /** Weight of one SMS from a flagged number. */
  smsWeight: number;
  /** Transfers below this are ignored (minor units). */
  minAmount: number;
  /** Transfers at or above this get the full amount factor (minor units). */
  largeAmount: number;
  /** How long payees are remembered per payer (ms). */
  payeeMemoryMs: number;
  payeesPerPayer: number;
  /** Candidates kept per holder, and how long after the transfer a late flag still counts (ms). */
  candidatesPerHolder: number;
  lateFlagMs: number;
  recheckEveryMs: number;
  /** Holders remembered per watched number or account (for re-checks on a late flag). */
  watchPerKey: number;
  /** Quiet time after a report before the same holder may be reported again (ms). */
  episodeGapMs: number;
  /**
   * A detection is held this long after its transfer and dropped if the paying account is flagged
   * meanwhile (a mule forwarding money is not a victim) (ms).
   */
  holdMs: number;
  minScore: number;
  sweepEveryMs: number;
}

export const DEFAULT_VICTIM_PARAMS: VictimParams = {
  windowMs: 48 * 3_600_000,
  callsPerHolder: 16,
  flaggedCallsPerHolder: 4,
  shortCallS: 60,
  longCallS: 600,
  promptMs: 3 * 3_600_000,
  recencyScaleMs: 12 * 3_600_000,
  smsWeight: 0.3,
  minAmount: 10_000,
  largeAmount: 1_000_000,
  payeeMemoryMs: 90 * 86_400_000,
  payeesPerPayer: 32,
  candidatesPerHolder: 4,
  lateFlagMs: 48 * 3_600_000,
  recheckEveryMs: 10 * 60_000,
  watchPerKey: 64,
  episodeGapMs: 7 * 86_400_000,
  holdMs: 3_600_000,
  minScore: 0.4,
  sweepEveryMs: 24 * 3_600_000,
};

/** A ring of at most `cap` calls (parallel arrays grown on demand; `dur` < 0 marks an SMS). */
class CallRing {
  ts: number[] = [];
  caller: string[] = [];
  dur: number[] = [];
  /** Next slot to overwrite once full. */
  next = 0;
  constructor(readonly cap: number) {}
  get size(): number {
    return this.ts.length;
  }
  clear(): void {
    this.ts.length = this.caller.length = this.dur.length = 0;
    this.next = 0;
  }
  push(ts: number, caller: string, dur: number): void {
    if (this.ts.length < this.cap) {
      this.ts.push(ts);
      this.caller.push(caller);
      this.dur.push(dur);
      return;
    }
    const i = this.next;
    this.ts[i] = ts;
    this.caller[i] = caller;
    this.dur[i] = dur;
    this.next = i + 1 === this.cap ? 0 : i + 1;
  }
}

interface Candidate {
  ts: number;
  payer: string;
  txnId: string;
  amount: number;
  payee: string;
  newPayee: boolean;
}

/**
 * One person (holder): the calls they received in the window and the payees they paid within the
 * payee memory, in one entry so a transfer costs one lookup. Parts are allocated when first used
 * and dropped when their window has passed.
 */
class PersonState {
  calls: CallRing | null = null;
  flagged: CallRing | null = null;
  lastCallTs = -Infinity;
  payee: string[] | null = null;
  payeeTs: number[] | null = null;
  lastPayTs = -Infinity;
  reportedAt = -Infinity;
  candidates: Candidate[] | null = null;
}

interface Match {
  score: number;
  from: number;
  calls: { caller: string; at: number; kind: 'voice' | 'sms'; durationS: number; flaggedBy: string }[];
  payeeFlagged: boolean;
  hoursAfterCall: number;
}

export interface VictimDetector extends Detector {
  /** Persons (holders) with call or payee state (for tests and metrics). */
  stateSize(): number;
}

export function potentialVictimDetector(params: Partial<VictimParams> = {}): VictimDetector {
  const p: VictimParams = { ...DEFAULT_VICTIM_PARAMS, ...params };
  const people = new Map<string, PersonState>();
  const withCandidates = new Set<string>();
  /** Number or account → the holders whose candidates mention it, until their candidates expire. */
  const watch = new Map<string, { holders: string[]; until: number }>();
  /** Flags already looked at (key → their `at`), to find the new ones at each re-check. */
  const seenNumbers = new Map<string, number>();
  const seenAccounts = new Map<string, number>();
  const touched = new Set<string>();
  const pending: Detection[] = [];
  const held: { due: number; payer: string; d: Detection }[] = [];
  let lastSweep = -Infinity;
  let lastRecheck = -Infinity;

  function onCall(r: CallRecord, ctx: DetectionContext): void {
    const card = ctx.cardsByMsisdn.get(r.callee);
    if (!card) return;
    let h = people.get(card.holderId);
    if (!h) {
      h = new PersonState();
      people.set(card.holderId, h);
    }
    const dur = r.kind === 'sms' ? -1 : r.durationS;
    if (h.lastCallTs < r.ts - p.windowMs) {
      // The window passed since the last call: reuse the rings empty.
      h.calls?.clear();
      h.flagged?.clear();
    }
    if (ctx.flaggedNumbers.has(r.caller)) {
      if (!h.flagged) h.flagged = new CallRing(p.flaggedCallsPerHolder);
      h.flagged.push(r.ts, r.caller, dur);
    } else {
      if (!h.calls) h.calls = new CallRing(p.callsPerHolder);
      h.calls.push(r.ts, r.caller, dur);
    }
    if (r.ts > h.lastCallTs) h.lastCallTs = r.ts;
  }

  /** Remembers `payee` for the person; returns whether it was new (not paid within the memory). */
  function notePayee(h: PersonState, payee: string, ts: number): boolean {
    h.lastPayTs = ts;
    const list = h.payee;
    const tss = h.payeeTs;
    if (!list || !tss) {
      h.payee = [payee];
      h.payeeTs = [ts];
      return true;
    }
    const cutoff = ts - p.payeeMemoryMs;
    let oldest = 0;
    for (let i = 0; i < list.length; i++) {
      if (list[i] === payee) {
        const known = (tss[i] as number) >= cutoff;
        tss[i] = ts;
        return !known;
      }
      if ((tss[i] as number) < (tss[oldest] as number)) oldest = i;
    }
    if (list.length < p.payeesPerPayer) {
      list.push(payee);
      tss.push(ts);
    } else {
      list[oldest] = payee;
      tss[oldest] = ts;
    }
    return true;
  }

  function callWeight(dur: number): number {
    if (dur < 0) return p.smsWeight;
    return Math.min(1, Math.max(0, (dur - p.shortCallS) / (p.longCallS - p.shortCallS)));
  }

  /** Weight of a contact that ended `dt` ms before the transfer. */
  function recency(dt: number): number {
    const x = dt - p.promptMs;
    if (x <= 0) return 1;
    const r = x / p.recencyScaleMs;
    return 1 / (1 + r * r);
  }

  /** 0.4 for `minAmount`, rising with the order of magnitude to 1 at `largeAmount`. */
  function amountFactor(amount: number): number {
    const x = Math.log(amount / p.minAmount) / Math.log(p.largeAmount / p.minAmount);
    return 0.4 + 0.6 * Math.min(1, Math.max(0, x));
  }

  function scan(
    ring: CallRing | null,
    from: number,
    to: number,
    ctx: DetectionContext,
    acc: { keep: number; latest: number; earliest: number; calls: Match['calls'] },
  ): void {
    if (!ring) return;
    for (let k = 0; k < ring.size; k++) {
      const ts = ring.ts[k] as number;
      if (ts < from || ts > to) continue;
      const caller = ring.caller[k] as string;
      const f = ctx.flaggedNumbers.get(caller);
      const by = f ? f.detector : ctx.listed('phone', caller) ? 'registry' : null;
      if (!by) continue;
      const dur = ring.dur[k] as number;
      const end = ts + (dur > 0 ? dur * 1000 : 0);
      acc.keep *= 1 - callWeight(dur) * recency(to - end);
      if (ts > acc.latest) acc.latest = ts;
      if (ts < acc.earliest) acc.earliest = ts;
      acc.calls.push({
        caller,
        at: ts,
        kind: dur < 0 ? 'sms' : 'voice',
        durationS: dur < 0 ? 0 : dur,
        flaggedBy: by,
      });
    }
  }

  function match(h: PersonState, c: Candidate, ctx: DetectionContext, flagged?: boolean): Match | null {
    const payeeFlagged = flagged ?? (ctx.flaggedAccounts.has(c.payee) || ctx.listed('bank_account', c.payee));
    if (!c.newPayee && !payeeFlagged) return null;
    // A payer account itself flagged (a mule forwarding to the next layer) is no victim.
    if (ctx.flaggedAccounts.has(c.payer)) return null;
    const acc = { keep: 1, latest: -Infinity, earliest: Infinity, calls: [] as Match['calls'] };
    const from = c.ts - p.windowMs;
    scan(h.flagged, from, c.ts, ctx, acc);
    scan(h.calls, from, c.ts, ctx, acc);
    if (acc.calls.length === 0) return null;
    let contact = 1 - acc.keep;
    contact = payeeFlagged ? 1 - (1 - contact) * 0.4 : contact * 0.8;
    const dt = c.ts - acc.latest;
    const score = Math.round(contact * amountFactor(c.amount) * 1000) / 1000;
    if (score < p.minScore) return null;
    // Longest calls first; at most three in the evidence.
    acc.calls.sort((a, b) => b.durationS - a.durationS || b.at - a.at);
    if (acc.calls.length > 3) acc.calls.length = 3;
    return {
      score,
      from: acc.earliest,
      calls: acc.calls,
      payeeFlagged,
      hoursAfterCall: Math.round((dt / 3_600_000) * 10) / 10,
    };
  }

  function report(holderId: string, h: PersonState, c: Candidate, m: Match): void {
    h.reportedAt = c.ts;
    h.candidates = null;
    withCandidates.delete(holderId);
    held.push({
      due: c.ts + p.holdMs,
      payer: c.payer,
      d: {
        detector: 'potential_victim',
        subjectKind: 'holder',
        subject: holderId,
        score: m.score,
        window: { from: m.from, to: c.ts },
        evidence: {
          calls: m.calls,
          transfer: { txnId: c.txnId, at: c.ts, amount: c.amount, payee: c.payee },
          newPayee: c.newPayee,
          payeeFlagged: m.payeeFlagged,
          hoursAfterCall: m.hoursAfterCall,
        },
      },
    });
  }

  function onTransaction(t: TransactionRecord, ctx: DetectionContext): void {
    const acct = ctx.accountsByNumber.get(t.payer);
    if (!acct) return; // no holder: nothing to join
    let h = people.get(acct.holderId);
    if (!h) {
      h = new PersonState();
      people.set(acct.holderId, h);
    }
    const isNew = notePayee(h, t.payee, t.ts);
    if (h.lastCallTs < t.ts - p.windowMs) return;
    if (t.amount < p.minAmount || t.ts - h.reportedAt < p.episodeGapMs) return;
    const payeeFlagged = ctx.flaggedAccounts.has(t.payee) || ctx.listed('bank_account', t.payee);
    if (!isNew && !payeeFlagged) return;
    if (ctx.flaggedAccounts.has(t.payer)) return;
    const c: Candidate = {
      ts: t.ts,
      payer: t.payer,
      txnId: t.txnId,
      amount: t.amount,
      payee: t.payee,
      newPayee: isNew,
    };
    const m = match(h, c, ctx, payeeFlagged);
    if (m) {
      report(acct.holderId, h, c, m);
      return;
    }
    // Keep it: the caller or payee may be flagged later.
    if (!h.candidates) h.candidates = [];
    if (h.candidates.length >= p.candidatesPerHolder) h.candidates.shift();
    h.candidates.push(c);
    withCandidates.add(acct.holderId);
    const until = t.ts + p.lateFlagMs;
    addWatch(t.payee, acct.holderId, until);
    watchCallers(h.calls, acct.holderId, t.ts, until);
    watchCallers(h.flagged, acct.holderId, t.ts, until);
  }

  function addWatch(key: string, holderId: string, until: number): void {
    const w = watch.get(key);
    if (!w) {
      watch.set(key, { holders: [holderId], until });
      return;
    }
    const hs = w.holders;
    // Bounded: a popular payee (a merchant) watched by many holders keeps the latest ones.
    if (hs[hs.length - 1] !== holderId) {
      if (hs.length >= p.watchPerKey) hs.shift();
      hs.push(holderId);
    }
    if (until > w.until) w.until = until;
  }

  function watchCallers(ring: CallRing | null, holderId: string, ts: number, until: number): void {
    if (!ring) return;
    const from = ts - p.windowMs;
    for (let k = 0; k < ring.size; k++) {
      const at = ring.ts[k] as number;
      if (at >= from && at <= ts) addWatch(ring.caller[k] as string, holderId, until);
    }
  }

  /** Marks the holders watching numbers or accounts flagged since the last look. */
  function newFlags(flags: Map<string, { at: number }>, seen: Map<string, number>): void {
    for (const [key, f] of flags) {
      if (seen.get(key) === f.at) continue;
      seen.set(key, f.at);
      const w = watch.get(key);
      if (w) for (const h of w.holders) touched.add(h);
    }
  }

  /**
   * Re-checks the candidates of the holders that watch a number or account flagged since the last
   * re-check (all candidates at the end of the input, which also sees late registry listings).
   */
  function recheck(now: number, final: boolean, ctx: DetectionContext): void {
    touched.clear();
    newFlags(ctx.flaggedNumbers, seenNumbers);
    newFlags(ctx.flaggedAccounts, seenAccounts);
    for (const holderId of final ? withCandidates : touched) {
      const h = people.get(holderId);
      const cs = h?.candidates;
      if (!h || !cs) {
        withCandidates.delete(holderId);
        continue;
      }
      for (const c of cs) {
        const m = match(h, c, ctx);
        if (m) {
          report(holderId, h, c, m);
          break;
        }
      }
    }
    touched.clear();
  }

  /** Drops expired candidates, watches and seen flags. */
  function expireCandidates(now: number, ctx: DetectionContext): void {
    for (const holderId of withCandidates) {
      const h = people.get(holderId);
      const cs = h?.candidates;
      const keep = cs ? cs.filter((c) => c.ts + p.lateFlagMs >= now) : [];
      if (h) h.candidates = keep.length > 0 ? keep : null;
      if (keep.length === 0) withCandidates.delete(holderId);
    }
    for (const [k, w] of watch) if (w.until < now) watch.delete(k);
    for (const k of seenNumbers.keys()) if (!ctx.flaggedNumbers.has(k)) seenNumbers.delete(k);
    for (const k of seenAccounts.keys()) if (!ctx.flaggedAccounts.has(k)) seenAccounts.delete(k);
  }

  function drain(now: number, final: boolean, ctx: DetectionContext): Detection[] {
    if (final || now - lastRecheck >= p.recheckEveryMs) {
      lastRecheck = now;
      recheck(now, final, ctx);
    }
    if (final || now - lastSweep >= p.sweepEveryMs) {
      lastSweep = now;
      expireCandidates(now, ctx);
      const cutoff = now - p.windowMs;
      const payeeCut = now - p.payeeMemoryMs;
      for (const [k, h] of people) {
        if (h.lastCallTs < cutoff) h.calls = h.flagged = null;
        if (h.lastPayTs < payeeCut) h.payee = h.payeeTs = null;
        if (h.calls || h.flagged || h.payee || h.candidates || now - h.reportedAt < p.episodeGapMs) continue;
        people.delete(k);
      }
    }
    // Release the held detections that are due, unless their payer has been flagged meanwhile.
    let k = 0;
    for (const x of held) {
      if (!final && x.due > now) held[k++] = x;
      else if (!ctx.flaggedAccounts.has(x.payer)) pending.push(x.d);
    }
    held.length = k;
    if (pending.length === 0) return [];
    return pending.splice(0, pending.length);
  }

  return {
    name: 'potential_victim',
    onCall,
    onTransaction,
    drain,
    stateSize: () => people.size,
  };
}
