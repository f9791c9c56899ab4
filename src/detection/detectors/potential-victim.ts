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
 * share one history) the payees paid at least `minAmount` in the last `payeeMemoryMs` (default 90 days), at most
 * `payeesPerPayer` (least recently paid dropped first). At the start of the stream every payee is
 * new.
 *
 * Score: the fraud contact c = 1 − Π(1 − wᵢ) over the flagged calls before the transfer. A voice
 * call weighs clamp((duration − shortCallS) / (longCallS − shortCallS)) (60 s / 600 s: hang-ups
 * weigh nothing), an SMS `smsWeight` (0.3); each is scaled by how soon the payment followed the end
 * of the call (1 for `promptMs`, 3 h, then falling over `recencyScaleMs`, 12 h). Calls from a number
 * flagged by `spoofed_caller` count only when they came through an international gateway (the
 * number's owner is not the fraudster). Below `minContact` (0.1) there was no real contact (SIM
 * boxes ring strangers who hang up) and nothing is reported, whatever the payee. Paying a flagged or
 * listed account makes c = 1 − (1 − c)·0.4; a new payee only, 0.8·c. Then × amount (0.4 + 0.6 × the
 * order of magnitude between `minAmount` and `largeAmount`). Reported at ≥ `minScore` (0.4), after
 * `holdMs` (1 h) in which the paying account must not be flagged or listed (a mule forwarding to
 * the next layer is no victim).
 *
 * Forwarding. A mule's holder is a person too, and gets spam calls like anyone; when their mule
 * account passes victims' money on to the next layer (a new payee, often one already flagged) it
 * looks like a victim paying until `mule_account` has seen enough of that account to flag it,
 * which can take hours (night forwarding, more inflows). So a transfer that passes on money the
 * paying account received from other people just before (at least `forwardShare`, 0.5, of its
 * amount arrived from payers other than the holder within `forwardWindowMs`, 24 h, the dwell
 * `mule_account` counts as fast) is held `forwardHoldMs` (24 h) instead: long enough for the mule
 * verdict. A victim pays from their own money and is reported after the short hold; one who
 * happened to be paid (a salary) just before is reported late, not lost. The detector keeps the
 * last `inflowsPerAccount` inflows per account for this.
 *
 * Episodes: a holder is reported once, then not again for `episodeGapMs` (default 7 days).
 */
import { cardOf, type DetectionContext, type Detector } from '../detector.ts';
import type { CallRecord, Detection, TransactionRecord } from '../records.ts';
import { hashNumber } from './common.ts';

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
  /**
   * Minimum fraud contact (1 − Π(1 − wᵢ) over the flagged calls, before the payee counts): SIM
   * boxes and call centres ring thousands of strangers, and a hang-up is not a conversation.
   */
  minContact: number;
  /** Transfers below this are ignored (minor units). */
  minAmount: number;
  /**
   * Money moved to another of the payer's own accounts (the same holder) opened at least this long
   * before is still the payer's: no payment (ms). One opened since is not exempt: victims are told
   * to open a new "safe" account and move their savings there, then to hand over its card.
   */
  ownAccountMinAgeMs: number;
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
  /** Inflows from other people within this before a transfer count as money being passed on (ms). */
  forwardWindowMs: number;
  /** A transfer at least this share of which arrived within `forwardWindowMs` is forwarding. */
  forwardShare: number;
  /** How long a forwarding transfer's detection waits for its payer to be flagged (ms). */
  forwardHoldMs: number;
  /** Inflows kept per account for the forwarding test. */
  inflowsPerAccount: number;
  /**
   * How long a reported victim's payment stays in `ctx.victimPayments` for `mule_account` (ms):
   * its window, in which the payee passing the money on counts.
   */
  victimPaymentMs: number;
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
  minContact: 0.1,
  minAmount: 10_000,
  ownAccountMinAgeMs: 30 * 86_400_000,
  largeAmount: 1_000_000,
  payeeMemoryMs: 90 * 86_400_000,
  payeesPerPayer: 32,
  candidatesPerHolder: 4,
  lateFlagMs: 48 * 3_600_000,
  recheckEveryMs: 10 * 60_000,
  watchPerKey: 64,
  episodeGapMs: 7 * 86_400_000,
  holdMs: 3_600_000,
  forwardWindowMs: 24 * 3_600_000,
  forwardShare: 0.5,
  forwardHoldMs: 24 * 3_600_000,
  inflowsPerAccount: 8,
  victimPaymentMs: 72 * 3_600_000,
  minScore: 0.4,
  sweepEveryMs: 24 * 3_600_000,
};

/** "Never" for times, finite so that state survives a JSON snapshot. */
const NEVER = -8.64e15;

/** A ring of at most `cap` calls (grown on demand, then overwritten oldest first). */
export class CallRing {
  /**
   * Per call, side by side: its time, its duration (−1 for an SMS) and 1 when it came in through
   * an international gateway (one array rather than three: one cache miss per record, not three).
   */
  tdi: number[] = [];
  caller: string[] = [];
  /**
   * Calls held (the first `size` slots). Cleared by resetting it, not the arrays: a person's ring
   * is emptied every time the window passes between two calls, and arrays cut to length 0 give
   * back their storage, to be grown again at the next call.
   */
  size = 0;
  /** Next slot to overwrite once full. */
  next = 0;
  constructor(public cap: number) {}
  clear(): void {
    this.size = this.next = 0;
  }
  push(ts: number, caller: string, dur: number, intl: number): void {
    let i: number;
    if (this.size < this.cap) i = this.size++;
    else {
      i = this.next;
      this.next = i + 1 === this.cap ? 0 : i + 1;
    }
    const t = this.tdi;
    const o = i * 3;
    if (o < t.length) {
      t[o] = ts;
      t[o + 1] = dur;
      t[o + 2] = intl;
      this.caller[i] = caller;
    } else {
      t.push(ts, dur, intl);
      this.caller.push(caller);
    }
  }
}

/**
 * The last inflows of one account, for the forwarding test: a ring of at most `cap` (time and
 * amount interleaved in one number array; the payer's holder, '' when unknown, beside it).
 */
export class RecentInflows {
  tsAmount: number[] = [];
  payerHolder: string[] = [];
  next = 0;
  lastTs = NEVER;
  constructor(public cap: number) {}
  push(ts: number, amount: number, payerHolder: string): void {
    if (this.payerHolder.length < this.cap) {
      this.tsAmount.push(ts, amount);
      this.payerHolder.push(payerHolder);
    } else {
      const i = this.next;
      this.tsAmount[i * 2] = ts;
      this.tsAmount[i * 2 + 1] = amount;
      this.payerHolder[i] = payerHolder;
      this.next = i + 1 === this.cap ? 0 : i + 1;
    }
    if (ts > this.lastTs) this.lastTs = ts;
  }
  /** Money received in `(to − windowMs, to]` from payers other than `holderId`. */
  fromOthers(to: number, windowMs: number, holderId: string): number {
    let sum = 0;
    const from = to - windowMs;
    for (let i = 0; i < this.payerHolder.length; i++) {
      const ts = this.tsAmount[i * 2] as number;
      if (ts > from && ts <= to && this.payerHolder[i] !== holderId)
        sum += this.tsAmount[i * 2 + 1] as number;
    }
    return sum;
  }
}

/** A transfer to a new or flagged payee, kept for late flags. */
export interface Candidate {
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
export class PersonState {
  calls: CallRing | null = null;
  flagged: CallRing | null = null;
  lastCallTs = NEVER;
  /** Payees paid within the payee memory, as 32-bit hashes of the account (no strings kept). */
  payee: number[] | null = null;
  payeeTs: number[] | null = null;
  lastPayTs = NEVER;
  reportedAt = NEVER;
  candidates: Candidate[] | null = null;
  /** Set when a sweep drops it: a copy cached on a number's entry (src/detection/intern.ts) is stale. */
  dropped = false;
}

/** A detection waiting out its hold: released at `due` unless `payer` is flagged by then. */
export interface HeldDetection {
  due: number;
  payer: string;
  /** The transfer's payee ('' for cash) and time: its entry in `ctx.victimPayments`. */
  payee: string;
  at: number;
  d: Detection;
}

/** Holders whose candidates mention a number or account, until their candidates expire. */
export interface Watch {
  holders: string[];
  until: number;
}

interface Match {
  score: number;
  from: number;
  calls: { caller: string; at: number; kind: 'voice' | 'sms'; durationS: number; flaggedBy: string }[];
  payeeFlagged: boolean;
  hoursAfterCall: number;
}

interface ScanAcc {
  keep: number;
  latest: number;
  earliest: number;
  calls: Match['calls'];
}

export interface VictimDetector extends Detector {
  /** Persons (holders) with call or payee state (for tests and metrics). */
  stateSize(): number;
}

/**
 * The detector. All state is in plain fields (maps, arrays and the classes above) so that a
 * checkpoint can copy it generically.
 */
export class PotentialVictimDetector implements VictimDetector {
  readonly name = 'potential_victim' as const;
  readonly p: VictimParams;
  people = new Map<string, PersonState>();
  /** Payee account → its last inflows (for the forwarding test), while they are recent. */
  inflows = new Map<string, RecentInflows>();
  withCandidates = new Set<string>();
  /** Number or account → the holders whose candidates mention it, until their candidates expire. */
  watch = new Map<string, Watch>();
  /** Flags already looked at (key → their `at`), to find the new ones at each re-check. */
  seenNumbers = new Map<string, number>();
  seenAccounts = new Map<string, number>();
  touched = new Set<string>();
  pending: Detection[] = [];
  held: HeldDetection[] = [];
  lastSweep = NEVER;
  lastRecheck = NEVER;

  constructor(params: Partial<VictimParams> = {}) {
    this.p = { ...DEFAULT_VICTIM_PARAMS, ...params };
  }

  stateSize(): number {
    return this.people.size;
  }

  onCall(r: CallRecord, ctx: DetectionContext): void {
    const ref = r.calleeRef;
    const card = cardOf(ctx, r.callee, ref);
    if (!card) return;
    const p = this.p;
    let h: PersonState | undefined;
    // The callee's person, cached on its entry for this card (the card names the holder).
    if (
      ref !== undefined &&
      ref.victimOf === this.people &&
      ref.victimCard === card &&
      !(ref.victim as PersonState).dropped
    )
      h = ref.victim as PersonState;
    else {
      h = this.people.get(card.holderId);
      if (!h) {
        h = new PersonState();
        this.people.set(card.holderId, h);
      }
      if (ref !== undefined) {
        ref.victim = h;
        ref.victimOf = this.people;
        ref.victimCard = card;
      }
    }
    const dur = r.kind === 'sms' ? -1 : r.durationS;
    const intl = r.origin === 'intl' ? 1 : 0;
    if (h.lastCallTs < r.ts - p.windowMs) {
      // The window passed since the last call: reuse the rings empty.
      h.calls?.clear();
      h.flagged?.clear();
    }
    if (ctx.flaggedNumbers.has(r.caller)) {
      if (!h.flagged) h.flagged = new CallRing(p.flaggedCallsPerHolder);
      h.flagged.push(r.ts, r.caller, dur, intl);
    } else {
      if (!h.calls) h.calls = new CallRing(p.callsPerHolder);
      h.calls.push(r.ts, r.caller, dur, intl);
    }
    if (r.ts > h.lastCallTs) h.lastCallTs = r.ts;
  }

  onTransaction(t: TransactionRecord, ctx: DetectionContext): void {
    const p = this.p;
    // Transfers under `minAmount` (two thirds of all, shopping mostly) neither fire, nor make a
    // payee known, nor make a later transfer forwarding: skipped before any lookup.
    if (t.amount < p.minAmount) return;
    const acct = ctx.accountsByNumber.get(t.payer);
    // The payee's recent inflows, for the forwarding test of its own later transfers.
    if (t.payee !== '') {
      let r = this.inflows.get(t.payee);
      if (!r) {
        r = new RecentInflows(p.inflowsPerAccount);
        this.inflows.set(t.payee, r);
      }
      r.push(t.ts, t.amount, acct ? acct.holderId : '');
    }
    if (!acct) return; // no holder: nothing to join
    let h = this.people.get(acct.holderId);
    if (!h) {
      h = new PersonState();
      this.people.set(acct.holderId, h);
    }
    const isNew = this.notePayee(h, t.payee, t.ts);
    if (h.lastCallTs < t.ts - p.windowMs) return;
    if (t.ts - h.reportedAt < p.episodeGapMs) return;
    const payeeFlagged = ctx.flaggedAccounts.has(t.payee) || ctx.listed('bank_account', t.payee);
    if (!isNew && !payeeFlagged) return;
    if (ctx.flaggedAccounts.has(t.payer)) return;
    // Money moved to another of the holder's own accounts is still theirs: no payment to anyone,
    // unless that account is new (`ownAccountMinAgeMs`).
    if (!payeeFlagged) {
      const own = ctx.accountsByNumber.get(t.payee);
      if (own?.holderId === acct.holderId && t.ts - own.openedAt >= p.ownAccountMinAgeMs) return;
    }
    const c: Candidate = {
      ts: t.ts,
      payer: t.payer,
      txnId: t.txnId,
      amount: t.amount,
      payee: t.payee,
      newPayee: isNew,
    };
    const m = this.match(h, c, ctx, payeeFlagged);
    if (m) {
      this.report(acct.holderId, h, c, m, ctx);
      return;
    }
    // Keep it: the caller or payee may be flagged later.
    if (!h.candidates) h.candidates = [];
    if (h.candidates.length >= p.candidatesPerHolder) h.candidates.shift();
    h.candidates.push(c);
    this.withCandidates.add(acct.holderId);
    const until = t.ts + p.lateFlagMs;
    this.addWatch(t.payee, acct.holderId, until);
    this.watchCallers(h.calls, acct.holderId, t.ts, until);
    this.watchCallers(h.flagged, acct.holderId, t.ts, until);
  }

  drain(now: number, final: boolean, ctx: DetectionContext): Detection[] {
    const p = this.p;
    if (final || now - this.lastRecheck >= p.recheckEveryMs) {
      this.lastRecheck = now;
      this.recheck(final, ctx);
    }
    if (final || now - this.lastSweep >= p.sweepEveryMs) {
      this.lastSweep = now;
      this.sweep(now, ctx);
    }
    // Release the held detections that are due, unless their payer has been flagged meanwhile.
    const held = this.held;
    if (held.length > 0) {
      let k = 0;
      for (const x of held) {
        if (!final && x.due > now) held[k++] = x;
        else if (!ctx.flaggedAccounts.has(x.payer) && !ctx.listed('bank_account', x.payer))
          this.pending.push(x.d);
        // The payer passes on others' money: no victim, so its payee's inflow was no victim's
        // payment either (mule_account would have counted it as such, and said so in evidence).
        else unpay(ctx, x);
      }
      held.length = k;
    }
    if (this.pending.length === 0) return [];
    return this.pending.splice(0, this.pending.length);
  }

  /** Remembers `payee` for the person; returns whether it was new (not paid within the memory). */
  private notePayee(h: PersonState, payeeAccount: string, ts: number): boolean {
    h.lastPayTs = ts;
    // A hash collision (odds ~payeesPerPayer / 2³²) would only take a new payee for a known one.
    const payee = hashNumber(payeeAccount);
    const list = h.payee;
    const tss = h.payeeTs;
    if (!list || !tss) {
      h.payee = [payee];
      h.payeeTs = [ts];
      return true;
    }
    const cutoff = ts - this.p.payeeMemoryMs;
    let oldest = 0;
    for (let i = 0; i < list.length; i++) {
      if (list[i] === payee) {
        const known = (tss[i] as number) >= cutoff;
        tss[i] = ts;
        return !known;
      }
      if ((tss[i] as number) < (tss[oldest] as number)) oldest = i;
    }
    if (list.length < this.p.payeesPerPayer) {
      list.push(payee);
      tss.push(ts);
    } else {
      list[oldest] = payee;
      tss[oldest] = ts;
    }
    return true;
  }

  private callWeight(dur: number): number {
    const p = this.p;
    if (dur < 0) return p.smsWeight;
    return Math.min(1, Math.max(0, (dur - p.shortCallS) / (p.longCallS - p.shortCallS)));
  }

  /** Weight of a contact that ended `dt` ms before the transfer. */
  private recency(dt: number): number {
    const x = dt - this.p.promptMs;
    if (x <= 0) return 1;
    const r = x / this.p.recencyScaleMs;
    return 1 / (1 + r * r);
  }

  /** 0.4 for `minAmount`, rising with the order of magnitude to 1 at `largeAmount`. */
  private amountFactor(amount: number): number {
    const p = this.p;
    const x = Math.log(amount / p.minAmount) / Math.log(p.largeAmount / p.minAmount);
    return 0.4 + 0.6 * Math.min(1, Math.max(0, x));
  }

  private scan(ring: CallRing | null, from: number, to: number, ctx: DetectionContext, acc: ScanAcc): void {
    if (!ring) return;
    for (let k = 0; k < ring.size; k++) {
      const ts = ring.tdi[k * 3]!;
      if (ts < from || ts > to) continue;
      const caller = ring.caller[k] as string;
      const f = ctx.flaggedNumbers.get(caller);
      // A number flagged as spoofed belongs to a subscriber the fraudster impersonates through an
      // international gateway: only those calls are the fraudster's, not the owner's own.
      const byDetector =
        f && (f.detector !== 'spoofed_caller' || ring.tdi[k * 3 + 2] === 1) ? f.detector : null;
      const by = byDetector ?? (ctx.listed('phone', caller) ? 'registry' : null);
      if (!by) continue;
      const dur = ring.tdi[k * 3 + 1]!;
      const end = ts + (dur > 0 ? dur * 1000 : 0);
      acc.keep *= 1 - this.callWeight(dur) * this.recency(to - end);
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

  private match(h: PersonState, c: Candidate, ctx: DetectionContext, flagged?: boolean): Match | null {
    const p = this.p;
    const payeeFlagged = flagged ?? (ctx.flaggedAccounts.has(c.payee) || ctx.listed('bank_account', c.payee));
    if (!c.newPayee && !payeeFlagged) return null;
    // A payer account itself flagged (a mule forwarding to the next layer) is no victim.
    if (ctx.flaggedAccounts.has(c.payer)) return null;
    const acc: ScanAcc = { keep: 1, latest: NEVER, earliest: Infinity, calls: [] };
    const from = c.ts - p.windowMs;
    this.scan(h.flagged, from, c.ts, ctx, acc);
    this.scan(h.calls, from, c.ts, ctx, acc);
    if (acc.calls.length === 0) return null;
    let contact = 1 - acc.keep;
    // Hang-ups are not contact: paying a flagged account strengthens a contact, never replaces it.
    if (contact < p.minContact) return null;
    contact = payeeFlagged ? 1 - (1 - contact) * 0.4 : contact * 0.8;
    const dt = c.ts - acc.latest;
    const score = Math.round(contact * this.amountFactor(c.amount) * 1000) / 1000;
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

  /**
   * Whether the transfer passes on money the paying account received from other people just
   * before: at least `forwardShare` of its amount arrived from payers other than the holder within
   * `forwardWindowMs`. That is what a mule does; a victim pays from their own money.
   */
  private forwarding(holderId: string, c: Candidate): boolean {
    const r = this.inflows.get(c.payer);
    if (!r) return false;
    return r.fromOthers(c.ts, this.p.forwardWindowMs, holderId) >= this.p.forwardShare * c.amount;
  }

  private report(holderId: string, h: PersonState, c: Candidate, m: Match, ctx: DetectionContext): void {
    h.reportedAt = c.ts;
    // The payee, passing this money on, is the first account of a mule chain (mule_account).
    if (c.payee !== '') {
      const list = ctx.victimPayments.get(c.payee);
      const paid = { payer: c.payer, at: c.ts };
      if (list === undefined) ctx.victimPayments.set(c.payee, [paid]);
      else list.push(paid);
    }
    h.candidates = null;
    this.withCandidates.delete(holderId);
    const forwarding = this.forwarding(holderId, c);
    this.held.push({
      due: c.ts + (forwarding ? this.p.forwardHoldMs : this.p.holdMs),
      payer: c.payer,
      payee: c.payee,
      at: c.ts,
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
          paidFromFreshInflow: forwarding,
        },
      },
    });
  }

  private addWatch(key: string, holderId: string, until: number): void {
    const w = this.watch.get(key);
    if (!w) {
      this.watch.set(key, { holders: [holderId], until });
      return;
    }
    const hs = w.holders;
    // Bounded: a popular payee (a merchant) watched by many holders keeps the latest ones.
    if (hs[hs.length - 1] !== holderId) {
      if (hs.length >= this.p.watchPerKey) hs.shift();
      hs.push(holderId);
    }
    if (until > w.until) w.until = until;
  }

  private watchCallers(ring: CallRing | null, holderId: string, ts: number, until: number): void {
    if (!ring) return;
    const from = ts - this.p.windowMs;
    for (let k = 0; k < ring.size; k++) {
      const at = ring.tdi[k * 3]!;
      if (at >= from && at <= ts) this.addWatch(ring.caller[k] as string, holderId, until);
    }
  }

  /** Marks the holders watching numbers or accounts flagged since the last look. */
  private newFlags(flags: Map<string, { at: number }>, seen: Map<string, number>): void {
    for (const [key, f] of flags) {
      if (seen.get(key) === f.at) continue;
      seen.set(key, f.at);
      const w = this.watch.get(key);
      if (w) for (const h of w.holders) this.touched.add(h);
    }
  }

  /**
   * Re-checks the candidates of the holders that watch a number or account flagged since the last
   * re-check (all candidates at the end of the input, which also sees late registry listings).
   */
  private recheck(final: boolean, ctx: DetectionContext): void {
    const touched = this.touched;
    touched.clear();
    this.newFlags(ctx.flaggedNumbers, this.seenNumbers);
    this.newFlags(ctx.flaggedAccounts, this.seenAccounts);
    for (const holderId of final ? this.withCandidates : touched) {
      const h = this.people.get(holderId);
      const cs = h?.candidates;
      if (!h || !cs) {
        this.withCandidates.delete(holderId);
        continue;
      }
      for (const c of cs) {
        const m = this.match(h, c, ctx);
        if (m) {
          this.report(holderId, h, c, m, ctx);
          break;
        }
      }
    }
    touched.clear();
  }

  /** Drops expired candidates, watches, seen flags, inflows and idle persons. */
  private sweep(now: number, ctx: DetectionContext): void {
    const p = this.p;
    for (const holderId of this.withCandidates) {
      const h = this.people.get(holderId);
      const cs = h?.candidates;
      const keep = cs ? cs.filter((c) => c.ts + p.lateFlagMs >= now) : [];
      if (h) h.candidates = keep.length > 0 ? keep : null;
      if (keep.length === 0) this.withCandidates.delete(holderId);
    }
    for (const [k, w] of this.watch) if (w.until < now) this.watch.delete(k);
    const paidCut = now - p.victimPaymentMs;
    for (const [k, list] of ctx.victimPayments) {
      const keep = list.filter((x) => x.at >= paidCut);
      if (keep.length === 0) ctx.victimPayments.delete(k);
      else if (keep.length < list.length) ctx.victimPayments.set(k, keep);
    }
    for (const k of this.seenNumbers.keys()) if (!ctx.flaggedNumbers.has(k)) this.seenNumbers.delete(k);
    for (const k of this.seenAccounts.keys()) if (!ctx.flaggedAccounts.has(k)) this.seenAccounts.delete(k);
    // Inflows are asked about for transfers up to `lateFlagMs` after they were made (re-checks).
    const inflowCut = now - p.forwardWindowMs - p.lateFlagMs;
    for (const [k, r] of this.inflows) if (r.lastTs < inflowCut) this.inflows.delete(k);
    const cutoff = now - p.windowMs;
    const payeeCut = now - p.payeeMemoryMs;
    this.people.forEach((h, k) => {
      if (h.lastCallTs < cutoff) h.calls = h.flagged = null;
      if (h.lastPayTs < payeeCut) h.payee = h.payeeTs = null;
      if (h.calls || h.flagged || h.payee || h.candidates || now - h.reportedAt < p.episodeGapMs) return;
      h.dropped = true;
      this.people.delete(k);
    });
  }
}

/** Takes the payment of a withheld detection back out of `ctx.victimPayments`. */
function unpay(ctx: DetectionContext, x: HeldDetection): void {
  const list = ctx.victimPayments.get(x.payee);
  if (list === undefined) return;
  const i = list.findIndex((p) => p.payer === x.payer && p.at === x.at);
  if (i < 0) return;
  if (list.length === 1) ctx.victimPayments.delete(x.payee);
  else list.splice(i, 1);
}

export function potentialVictimDetector(params: Partial<VictimParams> = {}): PotentialVictimDetector {
  return new PotentialVictimDetector(params);
}
