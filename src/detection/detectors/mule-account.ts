/**
 * `mule_account`: accounts that receive money from many unrelated payers (or from accounts already
 * flagged as mules, or a payment `potential_victim` took for a victim's) and pass it on fast, the signature of the accounts victims' money runs through
 * before cash-out (docs/detection.md, "mule_account").
 *
 * Transfers under `minAmount` (100.00, shopping mostly) are skipped before any lookup.
 *
 * Per account the detector keeps the inflows and outflows of the last `windowMs` (default 72 h) in
 * small parallel arrays (no object per transfer). Outflows consume inflows first-in first-out, so
 * each outflow knows how long the money it moves sat in the account (its dwell time); money that
 * left within `maxDwellMs` (default 24 h: mules often hold money until the small hours) of arriving is "passed through fast". Inflows that expire
 * from the window with money left on them become the account's `oldBalance`, consumed first by
 * later outflows (that is the merchant who pays suppliers monthly: its outflows move old money),
 * and outflows beyond everything seen (a balance from before the stream) are never fast. Each
 * inflow also keeps how much of it went to established businesses: payers whose money bought
 * something (friends' shares of a trip the organiser paid for) are no fan-in (`minPurchaseShare`).
 *
 * On each outflow a cheap gate is checked: window inflow ≥ `minInflow` (≥ `minHopInflow` for a
 * hop: money from or to a flagged or listed account, or a victim's payment; ≥ `minRelayInflow`
 * for an account that passed on nearly all, then judged only as a chain's end), fast pass-through
 * (fast-out / in) ≥ `minPassThrough` and fast share of the outflow (fast-out / out) ≥
 * `minFastOutShare` (an account paying out far more than it got spends its own balance). Only then
 * are the costly features computed (distinct payers, payers already flagged or listed, payees,
 * cash-out, night share, structuring, account age) and, if fan-in ≥ `minPayers` (2), or at least
 * `minUpstreamShare` of the inflow came from flagged accounts, or at least `minDownstreamShare` of
 * the outflow went to flagged accounts while fast-out / in and fast-out / out are both ≥
 * `minHopPassThrough` (hop propagation both ways; a victim paying a mule, even out of a salary
 * that just came in, is not a hop), the score; at ≥ `minScore` the account is flagged: it goes into
 * `ctx.flaggedAccounts` at once (so downstream hops and `potential_victim` see it) and its
 * detection is handed out by the next `drain`. When an account is flagged, the accounts it paid and
 * the accounts that paid it in the window are re-evaluated (up to `maxHops` deep): a downstream hop that passed the money on
 * before its upstream was flagged is still caught.
 *
 * An account with one payer (or one that gave `maxMainPayerShare` of its inflow) and no flagged
 * neighbour fires too when it is the last of a chain of relays (`minRelayChain`, or
 * `minRelayChainToCash` when it drew the money in cash with another sign): accounts in a row, each
 * passing on nearly all of what the one before sent it, fast.
 *
 * Score (noisy-or of weighted features, each in [0,1]):
 *   score = 1 − Π (1 − wᵢ·xᵢ)  over
 *   passThrough (fast-out/in, 0.5), dwell (1 − mean dwell / maxDwell, 0.3),
 *   fanIn ((payers − 1) / (fanInSaturation − 1), 0.5), flagged neighbours (the larger of the share
 *   received from and the share sent to flagged accounts, 0.6),
 *   fanOut (payees ≥ 2 or cash-out share, 0.2), newAccount (opened < newAccountMs ago, 0.2),
 *   night (share of transfers 00:00–06:00 local, 0.15), structuring (amounts just under the
 *   reporting thresholds, count / 3, 0.25), shell (corporate account that is new, 0.1).
 *
 * Episodes: an account is reported once per episode; the episode ends when the account has been
 * quiet for `windowMs` (its state then expires and is dropped). Flags this detector put in
 * `ctx.flaggedAccounts` expire after `flagTtlMs` (default 30 days).
 */
import type { DetectionContext, Detector } from '../detector.ts';
import type { Detection, TransactionRecord } from '../records.ts';

export interface MuleParams {
  /** Sliding window over which flows are compared (ms). */
  windowMs: number;
  /** Money that leaves within this time of arriving is passed through "fast" (ms). */
  maxDwellMs: number;
  /** Transfers under this are ignored, in and out (minor units). */
  minAmount: number;
  /** Minimum inflow in the window before the account is considered (minor units). */
  minInflow: number;
  /**
   * The same for a hop: an account that received money from a flagged or listed account or a
   * victim's payment, or paid to one, is considered from this inflow on (minor units). A victim's
   * 1,500 yuan laundered through six mules is as much a chain as a larger sum: under `minInflow`
   * none of its hops was looked at.
   */
  minHopInflow: number;
  /**
   * The same for the end of a chain of relays with nothing flagged around it (`minRelayChain`): an
   * account that passed on nearly all of a smaller inflow is judged from this on, only as such an
   * end (minor units). A victim's 1,900 yuan went down three accounts to an ATM at night unseen
   * under `minInflow`; people pass a 150-yuan share along the same day.
   */
  minRelayInflow: number;
  /** Minimum fast pass-through ratio (fast outflow / inflow in the window). */
  minPassThrough: number;
  /**
   * Minimum share of the window's outflow that was money received within `maxDwellMs` (fast
   * outflow ÷ outflow): a mule passes on what it just got, an account paying out far more than it
   * received is spending its own balance.
   */
  minFastOutShare: number;
  /** Minimum distinct payers (fan-in) unless fed by flagged accounts; the holder's own accounts are no payers. */
  minPayers: number;
  /**
   * Money from other accounts of the account's own holder (by the accounts file's `holder_id`),
   * none of them flagged or listed, is the holder's already: it is nobody's payment, and its payer
   * is no payer. An account more than this share of whose inflow was such money is moving its
   * holder's own money (gathering it for a purchase, moving it to the card they spend from) and is
   * judged as a one-payer account: reported only with a flagged or listed neighbour or at the end
   * of a chain of other people's relays, in which its own hops are not counted (`relayChain`).
   * Until 2026-12-03 there was no such rule: with the simulator's own-account moves
   * (`plantOwnMoves`), mule_account's precision fell to 0.41 on the 200,000-person world and to
   * 0.82–0.96 on nine of ten smaller ones (docs/detection.md).
   */
  maxOwnShare: number;
  /**
   * An account that got at least this share of its window inflow from one payer is judged as a
   * one-payer account whatever else came in (reported only with a flagged or listed neighbour or at
   * the end of a chain of relays): the fan-in is nominal. People forward what a friend sent on the
   * day a neighbour repaid them 340 yuan, and pass their salary on to their savings at night.
   */
  maxMainPayerShare: number;
  /**
   * An account whose only sign is passing money on (no flagged or listed neighbour, not new, no
   * money leaving at night, no structuring) fires only when its money moved on within this, as a
   * mean dwell (ms): people get two transfers and pay a bill later the same day, or forward what a
   * friend paid back to a relative who draws it at the bank, and in a large population that looks
   * like pass-through hundreds of times a week. Drawing the money in cash is no sign by itself (it
   * was until 2026-12-03, with 2 hours here: the simulator's forwarded sums, `plantForwards`, were
   * then reported as mules on nine of ten worlds, docs/detection.md). Nor is the number of payers
   * (until 2026-12-03 the rule held up to 3 payers): friends who chipped in for a purchase have
   * many, and the organiser may pay a person out of the shares before paying the merchant, or pay
   * the merchant the next morning, when the payment to the person has already been judged. The
   * end of a chain of `minRelayChain` relays is allowed `chainMaxDwellMs` instead.
   */
  plainMaxDwellMs: number;
  /**
   * The same bound for the end of a chain of `minRelayChain` relays (ms): three people in a row
   * passing the same money on is structure, yet a forward (a friend's repayment sent on to a
   * relative who draws it) that happens to follow an unrelated transfer of about the same sum
   * makes one too. Until 2026-12-03, night, chains had the plain bound: three relays by day that
   * kept a victim's 15,800.00 about an hour each before an ATM were held back (5,000 × 7, seed
   * 117). Without a bound, such a coincidence whose end held the money two hours was reported
   * (100,000 × 3, seed 9). 90 minutes lies between the two: a choice on two cases, not a finding.
   */
  chainMaxDwellMs: number;
  /**
   * Money collected for a payment: in an account that paid established businesses in the window
   * (corporate accounts open `establishedPayeeMs` or longer, neither flagged nor listed), a payer
   * at least this share of whose money went to such businesses or is still in the account chipped
   * in for a purchase and is not counted among the payers, unless something else points at a mule
   * (flagged or listed money or a victim's payment coming in, a new account, two amounts or more
   * just under a reporting threshold). Friends chip in for a trip, a dinner, a class fund or a
   * group order, and the organiser pays the merchant, at once or hours later, at night too
   * (paying a merchant online at 01:00 is no mule's night run), and may pay rent or a friend in
   * the same days out of other money. Whose money went where is the window's first-in first-out
   * matching (money older than the window is spent first, so the last shares may still be in the
   * account when the merchant is paid). Mules pass money on to the next layer (new accounts,
   * shells, old personal accounts bought from their holders: a person is no business) or take it
   * out as cash; one that pays an established business is caught once that business is flagged or
   * listed, or when a victim's payment came in. Until 2026-12-03 there was no such rule: with the
   * simulator's collections (`plantCollections`), precision fell to 0.78–0.87 on 5,000-person
   * worlds and to about 0.5 on 30-day ones (docs/detection.md).
   */
  minPurchaseShare: number;
  /**
   * Or all such payers, when the account paid established businesses at least this share of what
   * they gave it in the window (money is money: a friend paid back out of a salary a day before
   * the shares came in takes them first in first-out order).
   */
  minPurchaseCover: number;
  /** How long a business must have had its account to count as established (ms, `minPurchaseShare`). */
  establishedPayeeMs: number;
  /** Fan-in at which the fan-in feature saturates. */
  fanInSaturation: number;
  /** Share of the inflow from flagged or listed accounts that makes an account a downstream hop. */
  minUpstreamShare: number;
  /**
   * Share of the outflow paid to flagged or listed accounts that makes an account an upstream hop
   * (see `minHopPassThrough`).
   */
  minDownstreamShare: number;
  /**
   * An account whose only signs are passing money on and paying flagged or listed accounts (no
   * flagged payer, not new, no money leaving at night, no structuring) is an upstream hop only when
   * its money moved on within this, as a mean dwell (ms). A victim whose call is not in the data
   * borrows from a relative in the evening and pays the scammer's account the next morning: 95 %
   * of a fresh inflow paid to a flagged account, but after 17 hours (100,000 × 3, seed 9; the
   * victim's own account was reported as a mule until 2026-12-03, night). Layers of a mule network
   * pass money on within minutes to hours, or at night. A victim who borrows and pays within half a
   * day still looks like a hop.
   */
  hopMaxDwellMs: number;
  /**
   * The same, when most of what it received came from people's long-held personal accounts
   * (`establishedPersonMs`): a relative's loan, as far as the data shows (ms, mean dwell). A victim
   * got 7,600.00 from a relative's account of 12 years at 11:33 and paid 7,300.00 of it to the
   * scammer's account at 22:00 (5,000 × 7, seed 144): reported as a hop under `hopMaxDwellMs`. The
   * first layer of a network fed by a victim's own account moves the money on within minutes to
   * two hours by day (or at night, another sign); a victim who borrows and pays within this still
   * looks like a hop.
   */
  borrowedMaxDwellMs: number;
  /** A personal account held at least this long is a person's own, not a layer's (ms). */
  establishedPersonMs: number;
  /**
   * An upstream hop passes on nearly all it received (fast outflow ÷ inflow) and pays out nearly
   * only money it had just received (fast outflow ÷ outflow): a victim paying a mule out of a salary
   * that just came in, plus savings, or keeping part of it, is not a hop.
   */
  minHopPassThrough: number;
  /**
   * An upstream hop is not one when at least this share of what it received came from established
   * employers (`employerMinAgeMs`): a person who pays a scammer out of the pay that just came in is
   * the scammer's victim, not a layer of the mule chain (shells that feed a chain are weeks old).
   */
  maxPayrollShareForHop: number;
  /** A corporate account (not flagged or listed) opened at least this long before pays wages (ms). */
  employerMinAgeMs: number;
  /** How deep a new flag re-evaluates the accounts downstream (and upstream) of it. */
  maxHops: number;
  /**
   * Accounts in a row, each passing on nearly all it received (`minHopPassThrough` both ways,
   * not wages), each fed mainly by the one before, that make the last of them a layer of a chain
   * even with a single payer and no flagged neighbour yet: victims' money is laundered through
   * chains of one-payer accounts, and a chain of ordinary people each passing on what the one
   * before just sent is rare.
   */
  minRelayChain: number;
  /**
   * The same, when the last of them took (`minHopPassThrough` of) its outflow out as cash, at night,
   * from a new account or in structured sums: relays that end at a cash machine are the chain's end.
   */
  minRelayChainToCash: number;
  /** An account opened less than this before the transfer is new (ms). */
  newAccountMs: number;
  /** Reporting thresholds (minor units); amounts in [t·(1 − structuringBand), t) are structuring. */
  structuringThresholds: number[];
  structuringBand: number;
  /** Local time offset for "night" (minutes east of UTC; 480 = China Standard Time). */
  tzOffsetMin: number;
  /** Night is [nightFromHour, nightToHour) local. */
  nightFromHour: number;
  nightToHour: number;
  /** Channels that take the money out of the banking system. */
  cashOutChannels: string[];
  /** Cap on the transfers kept per account per direction (older ones are folded into totals). */
  maxEntries: number;
  /** Minimum score to report. */
  minScore: number;
  /** How long a flag this detector set stays in `ctx.flaggedAccounts` (ms). */
  flagTtlMs: number;
  /** How often (stream time) idle state is swept (ms). */
  sweepEveryMs: number;
}

export const DEFAULT_MULE_PARAMS: MuleParams = {
  windowMs: 72 * 3_600_000,
  maxDwellMs: 24 * 3_600_000,
  minAmount: 10_000,
  minInflow: 200_000,
  minHopInflow: 10_000,
  minRelayInflow: 50_000,
  minPassThrough: 0.7,
  minFastOutShare: 0.7,
  minPayers: 2,
  maxOwnShare: 0.5,
  maxMainPayerShare: 0.9,
  plainMaxDwellMs: 30 * 60_000,
  chainMaxDwellMs: 90 * 60_000,
  minPurchaseShare: 0.5,
  minPurchaseCover: 0.9,
  establishedPayeeMs: 180 * 86_400_000,
  fanInSaturation: 8,
  minUpstreamShare: 0.5,
  minDownstreamShare: 0.5,
  hopMaxDwellMs: 12 * 3_600_000,
  borrowedMaxDwellMs: 3 * 3_600_000,
  establishedPersonMs: 365 * 86_400_000,
  minHopPassThrough: 0.9,
  maxPayrollShareForHop: 0.5,
  employerMinAgeMs: 365 * 86_400_000,
  maxHops: 6,
  minRelayChain: 3,
  minRelayChainToCash: 2,
  newAccountMs: 30 * 86_400_000,
  structuringThresholds: [5_000_000, 1_000_000],
  structuringBand: 0.02,
  tzOffsetMin: 480,
  nightFromHour: 0,
  nightToHour: 6,
  cashOutChannels: ['atm', 'counter', 'abroad'],
  maxEntries: 256,
  minScore: 0.6,
  flagTtlMs: 30 * 86_400_000,
  sweepEveryMs: 6 * 3_600_000,
};

/**
 * Stride of an inflow entry in `AccountState.ins`: ts, amount, amount left (FIFO), amount passed
 * on to established businesses (`minPurchaseShare`).
 */
const IN = 4;
/**
 * Stride of an outflow entry in `AccountState.outs`: ts, amount, fast, dwell×amount, matched, cash
 * (0, `CASH`, or `CASH_ABROAD` for a transfer abroad).
 */
const OUT = 6;
const CASH = 1;
const CASH_ABROAD = 2;
/** The channel of transfers abroad (docs/formats.md): one of the cash-out points, and a sign. */
const ABROAD = 'abroad';

/**
 * Per-account state: the inflows and outflows of the window, interleaved in two number arrays
 * (plus the counterparties) with head indexes, so a transfer allocates nothing but array growth.
 */
export class AccountState {
  ins: number[] = [];
  inPayer: string[] = [];
  /** First live inflow (entry index). */
  inHead = 0;
  /** First inflow with money left on it (FIFO consumption). */
  inCursor = 0;
  outs: number[] = [];
  outPayee: string[] = [];
  outHead = 0;
  /** Money from inflows that left the window unspent (consumed first, never fast). */
  oldBalance = 0;
  inSum = 0;
  outSum = 0;
  fastSum = 0;
  /** Σ amount × dwell over matched outflow money in the window, and Σ matched amount. */
  dwellSum = 0;
  matchedSum = 0;
  lastTs = 0;
  /** Set when reported in the current episode. */
  flaggedAt = -1;
  /** Inflows ever pushed, and those and the fast outflow at the last evaluation that did not fire. */
  inPushed = 0;
  evalInPushed = -1;
  evalFast = 0;
  /** How many victims' payments into it (`ctx.victimPayments`) the last evaluation saw. */
  evalVictims = 0;
  get inCount(): number {
    return this.inPayer.length;
  }
  get outCount(): number {
    return this.outPayee.length;
  }
}

interface Features {
  /** Distinct payers, the holder's own accounts and payers who paid for a purchase left out. */
  payers: number;
  /** Payers left out as shares of a purchase (`minPurchaseShare`). */
  purchasePayers: number;
  /** Share of the inflow from the holder's own other accounts (`maxOwnShare`). */
  ownShare: number;
  /** Share of the inflow from its largest payer, when that payer gave more than half (`maxMainPayerShare`). */
  mainPayerShare: number;
  /** Share of the inflow from flagged or listed accounts, or that was a victim's payment. */
  upstreamShare: number;
  /** Share of the inflow that `potential_victim` took for a victim's payment (`ctx.victimPayments`). */
  victimShare: number;
  /** Share of the inflow from other people's long-held personal accounts (`establishedPersonMs`). */
  peopleShare: number;
  downstreamShare: number;
  payees: number;
  cashOutShare: number;
  /** Whether money left through a transfer abroad (channel `abroad`). */
  abroad: boolean;
  nightShare: number;
  /** Whether money left at night (the passing on, not a friend's transfer that came in at night). */
  nightOut: boolean;
  structuring: number;
  meanDwellMs: number;
  newAccount: boolean;
  corporate: boolean;
  from: number;
  /** Relays in a row ending at the account (`minRelayChain`); 0 when not looked at. */
  relayChain: number;
}

export interface MuleDetector extends Detector {
  /** Accounts with live state (for tests and metrics). */
  stateSize(): number;
}

/** `gate` outcomes. */
const GATE_NO = 0;
const GATE_FULL = 1;
const GATE_RELAY = 2;

/** Scratch for counting distinct counterparties (emptied after each use; not state). */
const scratchSet = new Set<string>();
/**
 * Scratch for the payers other than employers, the holder's own accounts, flagged or listed ones:
 * those who may have paid shares of a purchase (`minPurchaseShare`) and the others, likewise.
 */
const purchaseSet = new Set<string>();
const plainSet = new Set<string>();
/** Scratch for the other payers (employers, flagged or listed accounts, victims), likewise. */
const otherSet = new Set<string>();

/**
 * The detector. All state is in plain fields (maps, arrays, `AccountState`) so that a checkpoint
 * can copy it generically.
 */
export class MuleAccountDetector implements MuleDetector {
  readonly name = 'mule_account' as const;
  readonly p: MuleParams;
  cashOut: Set<string>;
  states = new Map<string, AccountState>();
  pending: Detection[] = [];
  /** Accounts this detector put in `ctx.flaggedAccounts`, and when. */
  ownFlags = new Map<string, number>();
  lastSweep = -8.64e15;

  constructor(params: Partial<MuleParams> = {}) {
    this.p = { ...DEFAULT_MULE_PARAMS, ...params };
    this.cashOut = new Set(this.p.cashOutChannels);
  }

  stateSize(): number {
    return this.states.size;
  }

  private dropIn(s: AccountState): void {
    const o = s.inHead * IN;
    s.inSum -= s.ins[o + 1] as number;
    s.oldBalance += s.ins[o + 2] as number;
    s.ins[o + 2] = 0;
    s.inHead++;
    if (s.inCursor < s.inHead) s.inCursor = s.inHead;
  }

  private dropOut(s: AccountState): void {
    const o = s.outHead * OUT;
    s.outSum -= s.outs[o + 1] as number;
    s.fastSum -= s.outs[o + 2] as number;
    s.dwellSum -= s.outs[o + 3] as number;
    s.matchedSum -= s.outs[o + 4] as number;
    s.outHead++;
  }

  private expire(s: AccountState, now: number): void {
    const cutoff = now - this.p.windowMs;
    while (s.inHead < s.inCount && (s.ins[s.inHead * IN] as number) < cutoff) this.dropIn(s);
    while (s.outHead < s.outCount && (s.outs[s.outHead * OUT] as number) < cutoff) this.dropOut(s);
    this.compact(s);
  }

  private compact(s: AccountState): void {
    // Moved down in place (splice would allocate an array of the removed entries).
    if (s.inHead > 32 && s.inHead * 2 > s.inCount) {
      const h = s.inHead;
      const n = s.inCount;
      s.ins.copyWithin(0, h * IN);
      s.ins.length = (n - h) * IN;
      s.inPayer.copyWithin(0, h);
      s.inPayer.length = n - h;
      s.inCursor -= h;
      s.inHead = 0;
    }
    if (s.outHead > 32 && s.outHead * 2 > s.outCount) {
      const h = s.outHead;
      const n = s.outCount;
      s.outs.copyWithin(0, h * OUT);
      s.outs.length = (n - h) * OUT;
      s.outPayee.copyWithin(0, h);
      s.outPayee.length = n - h;
      s.outHead = 0;
    }
  }

  private touch(s: AccountState, now: number): void {
    this.expire(s, now);
    // A quiet window ends the episode.
    if (s.flaggedAt >= 0 && s.lastTs < now - this.p.windowMs) s.flaggedAt = -1;
    s.lastTs = now;
  }

  onTransaction(t: TransactionRecord, ctx: DetectionContext): void {
    const now = t.ts;
    const amount = t.amount;
    // Small transfers (two thirds of all, shopping mostly) cannot move a victim's money: skipped
    // before any lookup.
    if (amount < this.p.minAmount) return;
    // Cash-out: a cash-out channel to no known account (a counter transfer into an account is not).
    const cash = this.cashOut.has(t.channel) && (t.payee === '' || !ctx.accountsByNumber.has(t.payee));
    // Inflow to the payee (cash-out ends the chain: no state for the cash point).
    if (!cash && t.payee !== t.payer && t.payee !== '') {
      let r = this.states.get(t.payee);
      if (!r) {
        r = new AccountState();
        this.states.set(t.payee, r);
      } else this.touch(r, now);
      r.lastTs = now;
      r.ins.push(now, amount, amount, 0);
      r.inPushed++;
      r.inPayer.push(t.payer);
      r.inSum += amount;
      if (r.inCount - r.inHead > this.p.maxEntries) {
        this.dropIn(r);
        this.compact(r);
      }
    }
    // Outflow from the payer: only accounts seen receiving have state (others cannot pass through).
    const s = this.states.get(t.payer);
    if (!s) return;
    this.touch(s, now);
    let left = amount;
    let fast = 0;
    let dwell = 0;
    let matched = 0;
    if (s.oldBalance > 0) {
      const take = s.oldBalance < left ? s.oldBalance : left;
      s.oldBalance -= take;
      left -= take;
      dwell += take * this.p.windowMs;
      matched += take;
    }
    const ins = s.ins;
    const business = !cash && left > 0 && s.inCursor < s.inCount && this.isBusiness(t.payee, now, ctx);
    while (left > 0 && s.inCursor < s.inCount) {
      const o = s.inCursor * IN;
      const avail = ins[o + 2] as number;
      const take = avail < left ? avail : left;
      const d = now - (ins[o] as number);
      ins[o + 2] = avail - take;
      if (business) ins[o + 3] = (ins[o + 3] as number) + take;
      left -= take;
      dwell += take * d;
      matched += take;
      if (d <= this.p.maxDwellMs) fast += take;
      if (avail - take <= 0) s.inCursor++;
    }
    s.outs.push(now, amount, fast, dwell, matched, cash ? (t.channel === ABROAD ? CASH_ABROAD : CASH) : 0);
    s.outPayee.push(t.payee);
    s.outSum += amount;
    s.fastSum += fast;
    s.dwellSum += dwell;
    s.matchedSum += matched;
    if (s.outCount - s.outHead > this.p.maxEntries) {
      this.dropOut(s);
      this.compact(s);
    }
    // Re-evaluate only when something changed since the last evaluation that did not fire:
    // a new inflow (new payers) or fast outflow grown by a tenth.
    if (s.flaggedAt < 0 && fast > 0 && (s.inPushed !== s.evalInPushed || s.fastSum > s.evalFast * 1.1))
      this.evaluate(t.payer, s, now, ctx, 0);
  }

  /**
   * GATE_NO, GATE_FULL, or GATE_RELAY: a small sum (under `minInflow`) passed on nearly whole, judged
   * only as the end of a chain of relays.
   */
  private gate(account: string, s: AccountState, ctx: DetectionContext): number {
    const p = this.p;
    // More passed on fast than the window received: the inflows that paid for it have left the
    // window (their time is up before the outflows'), and whose money it was (a salary, say) is no
    // longer known. Judged again once those outflows have left too, or new money came in.
    if (s.fastSum > s.inSum) return GATE_NO;
    if (!(s.fastSum >= p.minPassThrough * s.inSum && s.fastSum >= p.minFastOutShare * s.outSum))
      return GATE_NO;
    if (s.inSum >= p.minInflow) return GATE_FULL;
    // A small sum is looked at as a hop, or as the end of a chain of relays: ordinary people pass
    // small sums on all the time, but seldom three in a row, or two to a cash machine at night.
    if (s.inSum < p.minHopInflow) return GATE_NO;
    if (touchesFlagged(account, s, ctx)) return GATE_FULL;
    return s.inSum >= p.minRelayInflow &&
      s.fastSum >= p.minHopPassThrough * s.inSum &&
      s.fastSum >= p.minHopPassThrough * s.outSum
      ? GATE_RELAY
      : GATE_NO;
  }

  private features(account: string, s: AccountState, now: number, ctx: DetectionContext): Features {
    scratchSet.clear();
    const acct = ctx.accountsByNumber.get(account);
    const holder = acct === undefined || acct.holderId === '' ? null : acct.holderId;
    let own = 0;
    let upstream = 0;
    let fromVictims = 0;
    const victims = ctx.victimPayments.get(account);
    let payroll = 0;
    let night = 0;
    let nightOut = false;
    let structuring = 0;
    let from = now;
    const tz = this.p.tzOffsetMin * 60_000;
    const isNight = (ts: number): boolean => {
      const h = Math.floor(((((ts + tz) % 86_400_000) + 86_400_000) % 86_400_000) / 3_600_000);
      return h >= this.p.nightFromHour && h < this.p.nightToHour;
    };
    const isStructuring = (a: number): boolean => {
      for (const th of this.p.structuringThresholds)
        if (a < th && a >= th * (1 - this.p.structuringBand)) return true;
      return false;
    };
    let paidBusiness = false;
    /** Money from payers other than employers, the holder's own accounts, flagged or listed ones. */
    let plainIn = 0;
    /** The part of `plainIn` from personal accounts held `establishedPersonMs` or longer. */
    let peopleIn = 0;
    const establishedBefore = now - this.p.establishedPersonMs;
    for (let i = s.inHead; i < s.inCount; i++) {
      const payer = s.inPayer[i] as string;
      const ts = s.ins[i * IN] as number;
      const a = s.ins[i * IN + 1] as number;
      if (ts < from) from = ts;
      if ((s.ins[i * IN + 3] as number) > 0) paidBusiness = true;
      if (victims !== undefined && paidByVictim(victims, payer, ts)) {
        fromVictims += a;
        upstream += a;
      } else if (ctx.flaggedAccounts.has(payer) || ctx.listed('bank_account', payer)) upstream += a;
      else if (holder !== null && ctx.accountsByNumber.get(payer)?.holderId === holder) {
        own += a;
        continue;
      } else if (this.paysWages(payer, now, ctx)) payroll += a;
      else {
        plainIn += a;
        const pa = ctx.accountsByNumber.get(payer);
        if (pa !== undefined && pa.accountType === 'personal' && pa.openedAt <= establishedBefore)
          peopleIn += a;
        // Paid on to a business or still here: a share of a purchase, if the account paid a
        // business and nothing else points at a mule (below).
        if ((s.ins[i * IN + 3] as number) + (s.ins[i * IN + 2] as number) >= this.p.minPurchaseShare * a)
          purchaseSet.add(payer);
        else plainSet.add(payer);
        if (isNight(ts)) night++;
        if (isStructuring(a)) structuring++;
        continue;
      }
      otherSet.add(payer);
      if (isNight(ts)) night++;
      if (isStructuring(a)) structuring++;
    }
    // Counted below, once it is known whether the account paid businesses for them.
    let cashAmt = 0;
    let abroad = false;
    let downstream = 0;
    let businessOut = 0;
    for (let i = s.outHead; i < s.outCount; i++) {
      const a = s.outs[i * OUT + 1] as number;
      let business = false;
      const cash = s.outs[i * OUT + 5] as number;
      if (cash !== 0) {
        cashAmt += a;
        if (cash === CASH_ABROAD) abroad = true;
      } else {
        const payee = s.outPayee[i] as string;
        scratchSet.add(payee);
        if (ctx.flaggedAccounts.has(payee) || ctx.listed('bank_account', payee)) downstream += a;
        else if (this.isBusiness(payee, now, ctx)) {
          businessOut += a;
          business = true;
        }
      }
      if (isNight(s.outs[i * OUT] as number)) {
        night++;
        // Paying an established business online at 01:00 is no mule's night run.
        if (!business) nightOut = true;
      }
      if (isStructuring(a)) structuring++;
    }
    const payees = scratchSet.size;
    scratchSet.clear();
    const newAccount = acct !== undefined && now - acct.openedAt <= this.p.newAccountMs;
    // Shares of a purchase are left out only when nothing else points at a mule: those whose money
    // went to businesses, or all of them when the businesses got (nearly) as much as they gave.
    // (A payer may be in several sets, with a victim's payment and a share, say: counted once.)
    const otherSign = !paidBusiness || upstream > 0 || newAccount || structuring >= 2;
    const countPlain = otherSign || businessOut < this.p.minPurchaseCover * plainIn;
    if (otherSign) purchaseSet.forEach((p) => otherSet.add(p));
    if (countPlain) plainSet.forEach((p) => otherSet.add(p));
    else plainSet.forEach((p) => purchaseSet.add(p));
    const payers = otherSet.size;
    let purchasePayers = 0;
    if (!otherSign)
      purchaseSet.forEach((p) => {
        if (!otherSet.has(p)) purchasePayers++;
      });
    otherSet.clear();
    plainSet.clear();
    purchaseSet.clear();
    const n = s.inCount - s.inHead + s.outCount - s.outHead;
    return {
      payers,
      purchasePayers,
      ownShare: s.inSum > 0 ? Math.min(1, own / s.inSum) : 0,
      upstreamShare: s.inSum > 0 ? Math.min(1, upstream / s.inSum) : 0,
      victimShare: s.inSum > 0 ? Math.min(1, fromVictims / s.inSum) : 0,
      peopleShare: s.inSum > 0 ? Math.min(1, peopleIn / s.inSum) : 0,
      downstreamShare:
        s.outSum > 0 &&
        s.fastSum >= this.p.minHopPassThrough * s.outSum &&
        s.fastSum >= this.p.minHopPassThrough * s.inSum &&
        payroll < this.p.maxPayrollShareForHop * s.inSum
          ? Math.min(1, downstream / s.outSum)
          : 0,
      payees,
      cashOutShare: s.outSum > 0 ? cashAmt / s.outSum : 0,
      abroad,
      nightShare: n > 0 ? night / n : 0,
      nightOut,
      structuring,
      meanDwellMs: s.matchedSum > 0 ? s.dwellSum / s.matchedSum : this.p.windowMs,
      newAccount,
      corporate: acct?.accountType === 'corporate',
      from,
      relayChain: 0,
      mainPayerShare: mainPayerShare(s),
    };
  }

  private score(s: AccountState, f: Features): number {
    const passThrough = Math.min(1, s.fastSum / s.inSum);
    const x: [number, number][] = [
      [0.5, passThrough],
      [0.3, Math.max(0, 1 - f.meanDwellMs / this.p.maxDwellMs)],
      [0.5, Math.min(1, Math.max(0, (f.payers - 1) / (this.p.fanInSaturation - 1)))],
      [0.6, Math.max(f.upstreamShare, f.downstreamShare)],
      [0.2, f.payees >= 2 ? 1 : f.cashOutShare],
      [0.2, f.newAccount ? 1 : 0],
      [0.15, f.nightShare],
      [0.25, Math.min(1, f.structuring / 3)],
      [0.1, f.corporate && f.newAccount ? 1 : 0],
    ];
    let keep = 1;
    for (const [w, v] of x) keep *= 1 - w * v;
    return Math.round((1 - keep) * 1000) / 1000;
  }

  /** Evaluates `account`; if flagged, re-evaluates the accounts it paid, up to `maxHops` deep. */
  private evaluate(account: string, s: AccountState, now: number, ctx: DetectionContext, hop: number): void {
    const gate = this.gate(account, s, ctx);
    if (gate === GATE_NO) return;
    s.evalInPushed = s.inPushed;
    s.evalFast = s.fastSum;
    s.evalVictims = ctx.victimPayments.get(account)?.length ?? 0;
    const f = this.features(account, s, now, ctx);
    const flaggedNeighbour =
      f.upstreamShare >= this.p.minUpstreamShare || f.downstreamShare >= this.p.minDownstreamShare;
    // One payer (or one who gave nearly all), or the holder's own money moved on: only a flagged or
    // listed neighbour or a chain of other people's relays before it makes it a hop.
    if (
      (gate === GATE_RELAY ||
        f.payers < this.p.minPayers ||
        f.ownShare > this.p.maxOwnShare ||
        f.mainPayerShare >= this.p.maxMainPayerShare) &&
      !flaggedNeighbour
    ) {
      f.relayChain = this.relayChain(account, s, now, ctx);
      // The shorter chain to a cash machine needs a sign beyond the flow: people forward money to
      // a relative who draws it in cash, by day and through accounts they have had for years.
      const toCash = f.cashOutShare >= this.p.minHopPassThrough && signBeyondFlow(f);
      if (f.relayChain < (toCash ? this.p.minRelayChainToCash : this.p.minRelayChain)) return;
    }
    if (noOtherSign(f)) {
      // Passing money on alone needs speed (`plainMaxDwellMs`, `chainMaxDwellMs`); paying a flagged
      // account out of money just received, slowly, is a victim who borrowed to pay (`hopMaxDwellMs`,
      // sooner when a relative's account lent it: `borrowedMaxDwellMs`).
      const bound =
        f.downstreamShare > 0
          ? f.peopleShare > 0.5
            ? this.p.borrowedMaxDwellMs
            : this.p.hopMaxDwellMs
          : f.relayChain >= this.p.minRelayChain
            ? this.p.chainMaxDwellMs
            : this.p.plainMaxDwellMs;
      if (f.meanDwellMs > bound) return;
    }
    const sc = this.score(s, f);
    if (sc < this.p.minScore) return;
    s.flaggedAt = now;
    if (!ctx.flaggedAccounts.has(account)) {
      ctx.flaggedAccounts.set(account, { detector: 'mule_account', at: now });
      this.ownFlags.set(account, now);
    }
    this.pending.push({
      detector: 'mule_account',
      subjectKind: 'account',
      subject: account,
      score: sc,
      window: { from: f.from, to: now },
      evidence: {
        inflow: s.inSum,
        outflow: s.outSum,
        passThrough: Math.round((s.fastSum / s.inSum) * 1000) / 1000,
        meanDwellMinutes: Math.round(f.meanDwellMs / 60_000),
        payers: f.payers,
        payees: f.payees,
        fromFlaggedShare: Math.round(f.upstreamShare * 1000) / 1000,
        fromVictimShare: Math.round(f.victimShare * 1000) / 1000,
        toFlaggedShare: Math.round(f.downstreamShare * 1000) / 1000,
        cashOutShare: Math.round(f.cashOutShare * 1000) / 1000,
        nightShare: Math.round(f.nightShare * 1000) / 1000,
        structuring: f.structuring,
        newAccount: f.newAccount,
        corporate: f.corporate,
        propagationDepth: hop,
        ...(f.relayChain > 0 ? { relayChain: f.relayChain } : {}),
        ...(f.purchasePayers > 0 ? { purchasePayers: f.purchasePayers } : {}),
        ...(f.abroad ? { abroad: true } : {}),
      },
    });
    if (hop >= this.p.maxHops) return;
    // Downstream: the accounts this one paid in the window.
    for (let i = s.outHead; i < s.outCount; i++) {
      if (s.outs[i * OUT + 5] !== 0) continue;
      const payee = s.outPayee[i] as string;
      const d = this.states.get(payee);
      if (!d || d.flaggedAt >= 0) continue;
      this.expire(d, now);
      if (d.fastSum > 0) this.evaluate(payee, d, now, ctx, hop + 1);
    }
    // Upstream: the accounts that paid this one in the window and passed money through.
    for (let i = s.inHead; i < s.inCount; i++) {
      const payer = s.inPayer[i] as string;
      const u = this.states.get(payer);
      if (!u || u.flaggedAt >= 0 || u === s) continue;
      this.expire(u, now);
      if (u.fastSum > 0) this.evaluate(payer, u, now, ctx, hop + 1);
    }
  }

  /**
   * How many accounts in a row, ending at `account` (state `s`), are relays (`isRelay`), each fed
   * mainly (more than half its inflow) by the one before: the chain is followed through each
   * relay's main payer (`mainPayer`), at most `maxHops` deep. A relay fed mainly by another of
   * its holder's own accounts (not flagged or listed) is the same person as the one before it: it
   * is passed through, not counted, so the chain counts people passing money on, and one person's
   * money moved from card to card makes no chain.
   */
  private relayChain(account: string, s: AccountState, now: number, ctx: DetectionContext): number {
    let n = 0;
    let cur = s;
    let name = account;
    for (let step = 0; step <= 2 * this.p.maxHops && n <= this.p.maxHops; step++) {
      if (!this.isRelay(cur, now, ctx)) break;
      const payer = mainPayer(cur);
      if (payer === null || !ownMoney(name, payer, ctx)) n++;
      const u = payer === null ? undefined : this.states.get(payer);
      if (u === undefined || u === s || u === cur) break;
      this.expire(u, now);
      cur = u;
      name = payer!;
    }
    return n;
  }

  /**
   * Whether `s` passed on, fast, nearly all it received and nearly only money it had just
   * received (`minHopPassThrough` both ways), from `minHopInflow` up, and not wages
   * (`maxPayrollShareForHop`).
   */
  private isRelay(s: AccountState, now: number, ctx: DetectionContext): boolean {
    const p = this.p;
    if (s.inSum < p.minHopInflow || s.fastSum > s.inSum) return false;
    if (s.fastSum < p.minHopPassThrough * s.inSum || s.fastSum < p.minHopPassThrough * s.outSum) return false;
    let payroll = 0;
    for (let i = s.inHead; i < s.inCount; i++)
      if (this.paysWages(s.inPayer[i] as string, now, ctx)) payroll += s.ins[i * IN + 1] as number;
    return payroll < p.maxPayrollShareForHop * s.inSum;
  }

  /**
   * Whether `payee` is an established business (`minPurchaseShare`): a corporate account open
   * `establishedPayeeMs` or more before `now`, not flagged or listed.
   */
  private isBusiness(payee: string, now: number, ctx: DetectionContext): boolean {
    return establishedCompany(payee, now - this.p.establishedPayeeMs, ctx);
  }

  /**
   * Whether `payer` is an established employer: a corporate account opened `employerMinAgeMs` or
   * more before `now`, not flagged or listed.
   */
  private paysWages(payer: string, now: number, ctx: DetectionContext): boolean {
    return establishedCompany(payer, now - this.p.employerMinAgeMs, ctx);
  }

  drain(now: number, final: boolean, ctx: DetectionContext): Detection[] {
    // A victim's payment `potential_victim` reported after its payee had moved the money on (its
    // caller was flagged later): the payee is evaluated again with it.
    if (ctx.victimPayments.size > 0)
      for (const [payee, list] of ctx.victimPayments) {
        const s = this.states.get(payee);
        if (s === undefined || s.flaggedAt >= 0 || s.evalVictims === list.length) continue;
        s.evalVictims = list.length;
        this.expire(s, now);
        if (s.fastSum > 0) this.evaluate(payee, s, now, ctx, 0);
      }
    if (final || now - this.lastSweep >= this.p.sweepEveryMs) {
      this.lastSweep = now;
      const cutoff = now - this.p.windowMs;
      for (const [k, s] of this.states) if (s.lastTs < cutoff) this.states.delete(k);
      const flagCut = now - this.p.flagTtlMs;
      for (const [k, at] of this.ownFlags) {
        if (at >= flagCut) continue;
        this.ownFlags.delete(k);
        const f = ctx.flaggedAccounts.get(k);
        if (f && f.detector === 'mule_account' && f.at === at) ctx.flaggedAccounts.delete(k);
      }
    }
    if (this.pending.length === 0) return [];
    return this.pending.splice(0, this.pending.length);
  }
}

/**
 * Whether money in `s`'s window came from a flagged or listed account or a victim's payment, or
 * went to a flagged or listed account: what makes a small sum a hop of a chain.
 */
function touchesFlagged(account: string, s: AccountState, ctx: DetectionContext): boolean {
  const victims = ctx.victimPayments.get(account);
  for (let i = s.inHead; i < s.inCount; i++) {
    const payer = s.inPayer[i] as string;
    if (victims !== undefined && paidByVictim(victims, payer, s.ins[i * IN] as number)) return true;
    if (ctx.flaggedAccounts.has(payer) || ctx.listed('bank_account', payer)) return true;
  }
  for (let i = s.outHead; i < s.outCount; i++) {
    if (s.outs[i * OUT + 5] !== 0) continue;
    const payee = s.outPayee[i] as string;
    if (ctx.flaggedAccounts.has(payee) || ctx.listed('bank_account', payee)) return true;
  }
  return false;
}

/** Whether the inflow from `payer` at `ts` is one of the victims' payments `list` names. */
function paidByVictim(list: readonly { payer: string; at: number }[], payer: string, ts: number): boolean {
  for (const x of list) if (x.at === ts && x.payer === payer) return true;
  return false;
}

/**
 * The payer of more than half of `s`'s inflow in its window, or null when there is none (a majority
 * vote weighted by amount, then a check: two passes, nothing allocated).
 */
function mainPayer(s: AccountState): string | null {
  const candidate = largestPayer(s);
  return candidate !== null && paidBy(s, candidate) * 2 > s.inSum ? candidate : null;
}

/** The share of `s`'s window inflow its main payer (`mainPayer`) gave, 0 when there is none. */
function mainPayerShare(s: AccountState): number {
  const candidate = largestPayer(s);
  if (candidate === null) return 0;
  const share = paidBy(s, candidate) / s.inSum;
  return share * 2 > 1 ? share : 0;
}

/** The only payer that can have given more than half of `s`'s inflow (a vote weighted by amount). */
function largestPayer(s: AccountState): string | null {
  let candidate: string | null = null;
  let weight = 0;
  for (let i = s.inHead; i < s.inCount; i++) {
    const payer = s.inPayer[i] as string;
    const a = s.ins[i * IN + 1] as number;
    if (payer === candidate) weight += a;
    else if (weight >= a) weight -= a;
    else {
      candidate = payer;
      weight = a - weight;
    }
  }
  return candidate;
}

/** What `payer` paid into `s` in its window. */
function paidBy(s: AccountState, payer: string): number {
  let sum = 0;
  for (let i = s.inHead; i < s.inCount; i++) if (s.inPayer[i] === payer) sum += s.ins[i * IN + 1] as number;
  return sum;
}

/**
 * Whether money `account` got from `payer` is its holder's own: both accounts are known and have
 * the same holder, and the payer is not flagged or listed (a mule moving a victim's money between
 * its own accounts is still a hop).
 */
function ownMoney(account: string, payer: string, ctx: DetectionContext): boolean {
  const holder = ctx.accountsByNumber.get(account)?.holderId;
  return (
    holder !== undefined &&
    holder !== '' &&
    ctx.accountsByNumber.get(payer)?.holderId === holder &&
    !ctx.flaggedAccounts.has(payer) &&
    !ctx.listed('bank_account', payer)
  );
}

/** A corporate account opened at or before `openedBy`, neither flagged nor listed. */
function establishedCompany(account: string, openedBy: number, ctx: DetectionContext): boolean {
  const a = ctx.accountsByNumber.get(account);
  return (
    a !== undefined &&
    a.accountType === 'corporate' &&
    a.openedAt <= openedBy &&
    !ctx.flaggedAccounts.has(account) &&
    !ctx.listed('bank_account', account)
  );
}

/**
 * Nothing but the flow, beside paying flagged accounts: no flagged payer and none of the signs of
 * `signBeyondFlow` (`plainMaxDwellMs`, `hopMaxDwellMs`).
 */
function noOtherSign(f: Features): boolean {
  return f.upstreamShare === 0 && !signBeyondFlow(f);
}

/**
 * What marks an account beyond the flow of money through it, and makes money taken out
 * (`minRelayChainToCash`) the end of a chain rather than a relative drawing what was forwarded to
 * them: money leaving at night, a new account, structured sums, a transfer abroad, or a company
 * account taking it out. People forward money to family who draw it at the counter by day from
 * accounts of years; a transfer abroad of money that just came in, or a company account drawing a
 * private person's money in cash, is how layered money leaves (a chain of two by day, 5,000 × 7
 * seeds 145 and 153: two whole networks missed before these two signs).
 */
function signBeyondFlow(f: Features): boolean {
  return f.nightOut || f.newAccount || f.structuring > 0 || f.abroad || companyCash(f);
}

/** A company account that took money out (in cash, or abroad). */
function companyCash(f: Features): boolean {
  return f.corporate && f.cashOutShare > 0;
}

export function muleAccountDetector(params: Partial<MuleParams> = {}): MuleAccountDetector {
  return new MuleAccountDetector(params);
}
