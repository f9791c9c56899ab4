/**
 * `fraud_caller`: cards used by fraud call centres rather than by their real-name holders
 * (docs/detection.md, "fraud_caller"). Centres buy cards from card dealers (opened in other
 * people's names, often far away, often many per name) and burn them: a newly activated card
 * suddenly calls many strangers, mostly short calls, and nobody calls back.
 *
 * Gate (per card, over a window of `windowMs`, default 24 h, from its first record; counters reset
 * when a record arrives past the window's end): outbound ≥ `minOutbound`, distinct callees /
 * outbound ≥ `minDistinctRatio`, inbound / outbound ≤ `maxInboundRatio`, two-way partners /
 * distinct callees ≤ `maxSocialRatio` (the callees are strangers: they rarely call back, and the
 * card rarely answers anyone), and not on a gateway IMEI (≥ `gatewayImsis` IMSIs through its IMEI:
 * that is `simbox`'s case). A busy salesperson fails the gate: customers call back.
 *
 * Score, reported at ≥ `minScore`:
 *   0.2·strangers + 0.15·short + 0.2·newCard + 0.25·away + 0.1·manyCards + 0.1·volume
 *   strangers = distinct callees / outbound · (1 − social ratio / maxSocialRatio)
 *   short     = share of voice calls shorter than `shortCallS` (0 without voice calls)
 *   newCard   = 1 when the card was activated at most `newCardMs` before its window began,
 *               falling linearly to 0 at 3·newCardMs (0 for cards not in the card file)
 *   away      = 1 when the region of its cell differs from the card's holder_region, 0 when it
 *               is the same or unknown
 *   manyCards = (cards of the holder − 1) / (manyCards − 1), capped at 1
 *   volume    = outbound / (3·minOutbound), capped at 1
 *
 * Region of a cell: cell ids are opaque, so by default the detector learns it from the traffic:
 * each card that shows an ordinary social life (a partner it both called and was called by)
 * votes its holder_region for the cell it was on; the cell's region is
 * the region with most votes once it has `minCellVotes` votes and a majority (a card votes again
 * only when it has moved to another cell). Fraud cards have
 * no two-way partners, so they do not vote the call centre's cell into their holders' region.
 * Cell votes are kept `cellMemoryMs` (default 7 days) after the last vote. When the operator's
 * cell ids carry a region (a prefix, say), pass `cellRegion` instead.
 *
 * State is dropped after `windowMs` of silence (or `quietMs` after a report); a card is reported
 * once per episode (a new one after `quietMs` of silence) and goes into `ctx.flaggedNumbers`.
 */
import { cardOf, type DetectionContext, type Detector } from '../detector.ts';
import type { CallRecord, CardRecord, Detection } from '../records.ts';
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

export interface FraudCallerParams {
  /** Counting window per card (ms). */
  windowMs: number;
  /** A reported card is reported again only after this much silence (ms). */
  quietMs: number;
  /** Outbound records in the window before a card is judged. */
  minOutbound: number;
  /** Distinct callees / outbound at least this. */
  minDistinctRatio: number;
  /** Inbound / outbound at most this. */
  maxInboundRatio: number;
  /** Two-way partners / distinct callees at most this. */
  maxSocialRatio: number;
  /** A voice call shorter than this is short (s). */
  shortCallS: number;
  /** A card activated at most this before its window began is new (ms). */
  newCardMs: number;
  /** Cards of one holder at which `manyCards` reaches 1. */
  manyCards: number;
  /** Distinct IMSIs through the card's IMEI at which it is a gateway (left to `simbox`). */
  gatewayImsis: number;
  /** Region of a cell; null (default) learns it from the holder regions of ordinary cards. */
  cellRegion: ((cellId: string) => string | null) | null;
  /** Votes a cell needs before its learned region is used. */
  minCellVotes: number;
  /** Learned cell regions are forgotten this long after the cell's last vote (ms). */
  cellMemoryMs: number;
  /**
   * A new card at home calling its neighbourhood is a new job, not a dealt card: when the card is
   * used in its holder's region (`away` 0) and at least this share of its callees with a card in
   * the card file hold it in the same region (of at least `minKnownCallees`), the card's newness
   * does not count. A courier's or an estate agent's new work card calls the people of its area;
   * a fraud centre casts its net over the country (a region rarely holds a tenth of its callees).
   * Since the rule came (2026-12-03) its share was 0.8; with migrants in the simulator
   * (`plantMigrants`), a courier's neighbourhood held 0.79 of its callees, so it is half (a place
   * where people live also holds people registered elsewhere).
   */
  minLocalShare: number;
  /** Callees with a known card needed before `minLocalShare` is judged. */
  minKnownCallees: number;
  /**
   * A migrant's card is not away. People registered in one region often live and work in another; a
   * card used away from its holder's region is taken to be at its holder's home, `away` 0, when
   * another card of the holder, not flagged, lives an everyday life there (in service `newCardMs`,
   * activated before this one, or any when this one serves the place; `minSocialPartners` two-way
   * partners, the last on a cell of that region, or of the served one while the cell's region is
   * not known), or when the card serves the place: at least `minLocalShare` of its (at least
   * `minKnownCallees`) callees with a known card are held in that region (or in one region, when
   * its cell's is not known). Its newness then does not count either when as many of its callees
   * are held there and the holder lives there or has a card (this one too; another not flagged) in
   * service at least this long (ms): no fresh identity. A dealt card's holder lives where the
   * identity was bought, and a fraud centre calls the country, not its street. Until 2026-12-03
   * there was no such rule: the simulator's migrant couriers (`plantMigrants`) were reported, old
   * cards as well as new ones (docs/detection.md). Infinity switches it off.
   */
  settledCardMs: number;
  /** Two-way partners a holder's other card needs to show where the holder lives (`settledCardMs`). */
  minSocialPartners: number;
  /**
   * How long a card's two-way partners are remembered after its state was dropped (ms). An everyday
   * card that makes few calls falls silent for a day now and then, and its state goes with its
   * window; its social life is what shows where its holder lives, so it is kept this much longer
   * (a count and a cell per card) and taken up again by the card's next state.
   */
  socialMemoryMs: number;
  /**
   * How long a card is held, from the first time it could be reported, when only its newness makes
   * it reportable and that newness counts only because its holder is not known to live where it
   * serves (`settledCardMs`: a fresh identity serving the place, with no everyday card seen there
   * yet) (ms). It is judged again at each of its calls: a newcomer's everyday card has this long
   * to show its social life, and the card is reported at its first call after the wait if it has
   * not. A card reportable without its newness is not held. 0 reports at once.
   */
  newHolderWaitMs: number;
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

export const DEFAULT_FRAUD_CALLER_PARAMS: FraudCallerParams = Object.freeze({
  windowMs: 24 * 3600_000,
  quietMs: 24 * 3600_000,
  minOutbound: 20,
  minDistinctRatio: 0.7,
  maxInboundRatio: 0.3,
  maxSocialRatio: 0.1,
  shortCallS: 60,
  newCardMs: 30 * 86_400_000,
  manyCards: 4,
  gatewayImsis: 8,
  cellRegion: null,
  minCellVotes: 3,
  cellMemoryMs: 7 * 86_400_000,
  minLocalShare: 0.5,
  minKnownCallees: 10,
  settledCardMs: 90 * 86_400_000,
  minSocialPartners: 3,
  socialMemoryMs: 7 * 86_400_000,
  newHolderWaitMs: 12 * 3600_000,
  minScore: 0.55,
  flagTtlMs: FLAG_TTL_MS,
  sweepEveryMs: 6 * 3600_000,
});

/** Per card (msisdn) in its window. */
export class FraudCallerCardState {
  from: number;
  lastTs: number;
  reportedAt = -1;
  /**
   * Held (`newHolderWaitMs`) in this episode, since `heldSince`: a time, which may be before the
   * clock's origin (negative) when the origin has moved since.
   */
  held = false;
  heldSince = 0;
  /** Set when a sweep drops it: a copy cached on a number's entry (src/detection/intern.ts) is stale. */
  dropped = false;
  out = 0;
  inb = 0;
  voice = 0;
  shortVoice = 0;
  /** Outbound records to numbers with a card in the card file, and of those, held in the card's holder region (`minLocalShare`). */
  knownCallees = 0;
  localCallees = 0;
  /**
   * Of the other `knownCallees` (not held in the holder's region): the region most are held in, by
   * a majority vote, and its lead, a lower bound on how many are (`settledCardMs`).
   */
  otherRegion: string | null = null;
  otherLead = 0;
  /** Of the other `knownCallees`, held in the region of the cell the card was on, when it was known. */
  hereCallees = 0;
  lastCell: string | null = null;
  votedCell: string | null = null;
  /** Two-way partners since the state began (across windows), and the cell of the last one (`settledCardMs`). */
  socialPartners = 0;
  socialCell: string | null = null;
  /**
   * The last IMEI and IMSI. Compared as strings: read through the interner, a value is the same
   * string object every time, and equal objects compare without reading their characters.
   */
  imeiKey: string | null = null;
  imsiKey: string | null = null;
  /** The `epoch` of `imeiState` in which this card last registered its IMSI there. */
  imeiEpoch = -1;
  imeiState: ImeiImsis | null = null;

  constructor(
    readonly msisdn: string,
    readonly card: CardRecord | null,
    ts: number,
  ) {
    this.from = this.lastTs = ts;
  }
}

/** Distinct IMSIs through an IMEI in a window: enough to leave gateways to `simbox`. */
export class ImeiImsis {
  imsis: string[] = [];
  /** Bumped when the window rolls, so that every card re-registers its IMSI. */
  epoch = 0;
  /** IMSIs of the previous window (cards re-register over the first minutes of a new one). */
  prevImsis = 0;
  constructor(
    public from: number,
    public lastTs = from,
  ) {}
}

/** A dropped card state's social life (`socialMemoryMs`): its two-way partners and the cell of the last. */
export class SocialLife {
  constructor(
    public partners: number,
    public cell: string | null,
    public lastTs: number,
  ) {}
}

/** Holder-region votes for a cell (its learned region). */
export class CellVotes {
  readonly counts = new Map<string, number>();
  leader: string | null = null;
  leaderCount = 0;
  total = 0;
  constructor(public lastTs: number) {}
}

/**
 * The detector. All state is in its own fields (maps of the exported state classes), so that a
 * streaming checkpoint can snapshot it (src/detection/checkpoint.ts).
 */
export class FraudCallerDetector implements Detector {
  readonly name = 'fraud_caller' as const;
  readonly p: FraudCallerParams;
  cards = new Map<string, FraudCallerCardState>();
  imeis = new Map<string, ImeiImsis>();
  cells = new Map<string, CellVotes>();
  /** By msisdn: the social life of cards whose state was dropped (`socialMemoryMs`). */
  lives = new Map<string, SocialLife>();
  pending: Detection[] = [];
  nextSweep = -Infinity;

  /** The cards' partners in their windows, shared with simbox when its window is the same. */
  readonly windows: PartnerWindows;
  /** Records this detector has shown to `windows`. */
  windowsSeen = 0;
  /** Its states' times are this clock's (`Clock`); cards' activation times are on the epoch. */
  clock = new Clock();

  constructor(params: Partial<FraudCallerParams> = {}, windows?: PartnerWindows) {
    this.p = { ...DEFAULT_FRAUD_CALLER_PARAMS, ...params };
    this.windows =
      windows !== undefined && windows.windowMs === this.p.windowMs
        ? windows
        : new PartnerWindows(this.p.windowMs);
  }

  /** Subjects held in memory (cards + IMEIs + cells with learned regions + remembered social lives). */
  size(): number {
    return this.cards.size + this.imeis.size + this.cells.size + this.lives.size;
  }

  /** The same, per map. */
  stats(): { cards: number; imeis: number; cells: number; lives: number } {
    return {
      cards: this.cards.size,
      imeis: this.imeis.size,
      cells: this.cells.size,
      lives: this.lives.size,
    };
  }

  onCall(r: CallRecord, ctx: DetectionContext): void {
    const p = this.p;
    const ts = this.clock.rel(r.ts);
    const w = this.windows;
    this.windowsSeen = w.see(r, this.windowsSeen);
    if (r.origin !== 'intl') {
      const ref = r.callerRef;
      let s: FraudCallerCardState | undefined;
      if (ref !== undefined && ref.fraudOf === this.cards && !(ref.fraud as FraudCallerCardState).dropped)
        s = ref.fraud as FraudCallerCardState;
      else {
        s = this.cards.get(r.caller);
        if (s === undefined) {
          s = new FraudCallerCardState(r.caller, cardOf(ctx, r.caller, ref) ?? null, ts);
          this.cards.set(r.caller, s);
          const life = this.lives.get(r.caller);
          if (life !== undefined) {
            s.socialPartners = life.partners;
            s.socialCell = life.cell;
            this.lives.delete(r.caller);
          }
        }
        if (ref !== undefined) {
          ref.fraud = s;
          ref.fraudOf = this.cards;
        }
      }
      // (A new state starts at `ts`: it never rolls here.)
      if (ts - s.from > p.windowMs) {
        if (ts - s.lastTs > p.quietMs) {
          s.reportedAt = -1;
          s.held = false;
        }
        s.from = ts;
        s.out =
          s.inb =
          s.voice =
          s.shortVoice =
          s.knownCallees =
          s.localCallees =
          s.otherLead =
          s.hereCallees =
            0;
        s.otherRegion = null;
        s.imeiState = null;
        s.imeiKey = s.imsiKey = null;
      }
      s.out++;
      s.lastTs = ts;
      if (r.kind === 'voice') {
        s.voice++;
        if (r.durationS < p.shortCallS) s.shortVoice++;
      }
      if (r.cellId !== null) s.lastCell = r.cellId;
      // Where its callees live (`minLocalShare`, `settledCardMs`): held in the holder's region, or
      // else which other region most (a majority vote: no per-region counts to keep).
      const card = s.card;
      if (card !== null && card.holderRegion !== '') {
        const to = cardOf(ctx, r.callee, r.calleeRef);
        if (to !== undefined && to.holderRegion !== '') {
          s.knownCallees++;
          if (to.holderRegion === card.holderRegion) s.localCallees++;
          else {
            if (to.holderRegion === s.otherRegion) s.otherLead++;
            else if (s.otherLead > 0) s.otherLead--;
            else {
              s.otherRegion = to.holderRegion;
              s.otherLead = 1;
            }
            if (r.cellId !== null && to.holderRegion === this.regionOf(r.cellId)) s.hereCallees++;
          }
        }
      }
      if (w.callerSocial) this.social(s, ts);
      if (r.imei !== null && r.imsi !== null) {
        let m = s.imeiState;
        if (m === null || r.imei !== s.imeiKey) {
          m = this.imeis.get(r.imei) ?? null;
          if (m === null) {
            m = new ImeiImsis(ts);
            this.imeis.set(r.imei, m);
          }
          s.imeiState = m;
          s.imeiKey = r.imei;
          s.imeiEpoch = -1;
        }
        if (ts - m.from > p.windowMs) {
          m.prevImsis = ts - m.lastTs > p.windowMs ? 0 : m.imsis.length;
          m.from = ts;
          m.imsis.length = 0;
          m.epoch++;
        }
        m.lastTs = ts;
        if (r.imsi !== s.imsiKey || s.imeiEpoch !== m.epoch) {
          // A new card in this device, or a new window: count the IMSI on the IMEI.
          s.imsiKey = r.imsi;
          s.imeiEpoch = m.epoch;
          const imsis = m.imsis;
          let found = false;
          for (let i = 0; i < imsis.length; i++)
            if (imsis[i] === r.imsi) {
              found = true;
              break;
            }
          if (!found && imsis.length < 64) m.imsis = append(imsis, r.imsi);
        }
      }
      if (s.reportedAt < 0 && s.out >= p.minOutbound) this.evaluate(s, w.caller!, ts, ctx);
    }
    const cr = r.calleeRef;
    let c: FraudCallerCardState | undefined;
    if (cr !== undefined && cr.fraudOf === this.cards && !(cr.fraud as FraudCallerCardState).dropped)
      c = cr.fraud as FraudCallerCardState;
    else {
      c = this.cards.get(r.callee);
      // Only found states are cached: a number with none is looked up again next time.
      if (c !== undefined && cr !== undefined) {
        cr.fraud = c;
        cr.fraudOf = this.cards;
      }
    }
    if (c !== undefined && ts - c.from <= p.windowMs) {
      c.inb++;
      if (w.calleeSocial) this.social(c, ts);
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

  private vote(cell: string, region: string, ts: number): void {
    let v = this.cells.get(cell);
    if (v === undefined) {
      v = new CellVotes(ts);
      this.cells.set(cell, v);
    }
    v.lastTs = ts;
    const n = (v.counts.get(region) ?? 0) + 1;
    v.counts.set(region, n);
    v.total++;
    if (n > v.leaderCount) {
      v.leaderCount = n;
      v.leader = region;
    }
  }

  private regionOf(cell: string): string | null {
    const p = this.p;
    if (p.cellRegion !== null) return p.cellRegion(cell);
    const v = this.cells.get(cell);
    if (v === undefined || v.leaderCount < p.minCellVotes || v.leaderCount * 2 <= v.total) return null;
    return v.leader;
  }

  /** `w`: the card's partner window (the same window as `s`). */
  private evaluate(s: FraudCallerCardState, w: PartnerWindow, ts: number, ctx: DetectionContext): void {
    const p = this.p;
    const ps = w;
    const distinctRatio = ps.outDistinct / s.out;
    const inRatio = s.inb / s.out;
    const socialRatio = ps.outDistinct === 0 ? 0 : ps.social / ps.outDistinct;
    if (distinctRatio < p.minDistinctRatio || inRatio > p.maxInboundRatio || socialRatio > p.maxSocialRatio)
      return;
    const imsisOnImei = s.imeiState === null ? 1 : Math.max(s.imeiState.imsis.length, s.imeiState.prevImsis);
    if (imsisOnImei >= p.gatewayImsis) return;
    const card = s.card;
    const strangers = distinctRatio * (1 - socialRatio / p.maxSocialRatio);
    const short = s.voice === 0 ? 0 : s.shortVoice / s.voice;
    let newCard = 0;
    let ageDays: number | null = null;
    let away = 0;
    let cellRegion: string | null = null;
    let holderCards = 0;
    if (card !== null) {
      const age = this.clock.abs(s.from) - card.activatedAt;
      ageDays = round(age / 86_400_000);
      newCard = clamp01(1 - (age - p.newCardMs) / (2 * p.newCardMs));
      if (s.lastCell !== null) {
        cellRegion = this.regionOf(s.lastCell);
        if (cellRegion !== null && card.holderRegion !== '' && cellRegion !== card.holderRegion) away = 1;
      }
      holderCards = card.holderId === '' ? 1 : (ctx.cardsByHolder.get(card.holderId)?.length ?? 1);
    }
    const known = s.knownCallees >= p.minKnownCallees;
    // Calling one region not the holder's, that of its cell (or, its cell's unknown, the one the
    // vote leads with): at least this share of its callees are held there (counted while the
    // cell's region was known, or the vote's lead; `minLocalShare`).
    const servedRegion = cellRegion ?? s.otherRegion;
    const served = !known
      ? 0
      : Math.max(
          servedRegion !== null && s.otherRegion === servedRegion ? s.otherLead : 0,
          cellRegion !== null ? s.hereCallees : 0,
        ) / s.knownCallees;
    // Away from the holder's region (or not known to be home), but where the holder lives: a
    // migrant (`settledCardMs`).
    const settled =
      card !== null && (away === 1 || served >= p.minLocalShare)
        ? this.settledHolder(
            card,
            away === 1 ? cellRegion : servedRegion,
            this.clock.abs(s.from),
            served,
            ctx,
          )
        : NOT_SETTLED;
    if (settled !== NOT_SETTLED) away = 0;
    // At home (a migrant's too), calling its neighbourhood: a new job's card (`minLocalShare`). Not
    // on the strength of its callees alone, which already made a migrant's card not away: its
    // holder must also live there or be no fresh identity.
    const localShare = !known ? null : settled !== NOT_SETTLED ? served : s.localCallees / s.knownCallees;
    const local =
      away === 0 && localShare !== null && localShare >= p.minLocalShare && settled !== SERVES_NEW_HOLDER;
    if (local) newCard = 0;
    const manyCards = clamp01((holderCards - 1) / (p.manyCards - 1));
    const volume = clamp01(s.out / (3 * p.minOutbound));
    const score =
      0.2 * strangers + 0.15 * short + 0.2 * newCard + 0.25 * away + 0.1 * manyCards + 0.1 * volume;
    if (score < p.minScore) return;
    // A newcomer's everyday card may not have shown its social life yet: wait for it
    // (`newHolderWaitMs`) when the newness is what makes the score.
    if (settled === SERVES_NEW_HOLDER && score - 0.2 * newCard < p.minScore) {
      if (!s.held) {
        s.held = true;
        s.heldSince = ts;
      }
      if (ts - s.heldSince < p.newHolderWaitMs) return;
    }
    s.reportedAt = ts;
    ctx.flaggedNumbers.set(s.msisdn, { detector: 'fraud_caller', at: this.clock.abs(ts) });
    this.pending.push({
      detector: 'fraud_caller',
      subjectKind: 'msisdn',
      subject: s.msisdn,
      score: round(score),
      window: { from: this.clock.abs(s.from), to: this.clock.abs(ts) },
      evidence: {
        outbound: s.out,
        inbound: s.inb,
        distinctCallees: ps.outDistinct,
        socialRatio: round(socialRatio),
        shortCallRatio: round(short),
        cardAgeDays: ageDays,
        holderRegion: card === null ? null : card.holderRegion,
        cell: s.lastCell,
        cellRegion,
        holderCards,
        ...(localShare !== null ? { localCalleeShare: round(localShare) } : {}),
        ...(settled !== NOT_SETTLED
          ? {
              holderSettled: settled === LIVES ? 'lives' : 'serves',
              holderEstablished: settled !== SERVES_NEW_HOLDER,
              calleeRegion: servedRegion,
            }
          : {}),
        ...(s.held ? { heldHours: round((ts - s.heldSince) / 3600_000) } : {}),
        parts: {
          strangers: round(strangers),
          short: round(short),
          newCard: round(newCard),
          away,
          manyCards: round(manyCards),
          volume: round(volume),
        },
      },
    });
  }

  /**
   * Whether `card`'s holder is settled where the card is used (`settledCardMs`; `from` on the
   * epoch, as cards' activation times are): LIVES when another card of theirs, not flagged, in
   * service `newCardMs` before `from`, activated before this one or (the card serving the place)
   * any, has `minSocialPartners` two-way partners (its state's, or remembered: `socialMemoryMs`),
   * the last on a cell of `region` (the card's cell's, or the served region's while that is not
   * known); else, when at least `minLocalShare` (`servedShare`) of the card's callees are held in
   * the region of its cell, SERVES if the holder has a card in service `settledCardMs` (this one,
   * or another not flagged, seen or not) and SERVES_NEW_HOLDER if not; else NOT_SETTLED.
   */
  private settledHolder(
    card: CardRecord,
    region: string | null,
    from: number,
    servedShare: number,
    ctx: DetectionContext,
  ): Settled {
    const p = this.p;
    if (card.holderId === '' || !(p.settledCardMs < Infinity)) return NOT_SETTLED;
    const theirs = ctx.cardsByHolder.get(card.holderId);
    if (theirs === undefined) return NOT_SETTLED;
    // A card in service `settledCardMs`, this one or another: not a fresh identity.
    let established = from - card.activatedAt >= p.settledCardMs;
    for (const c of theirs) {
      const age = from - c.activatedAt;
      // (An everyday card as new as a dealt one proves nothing, unless it came first or the card
      // judged calls the people of the place where that everyday card lives.)
      if (c === card || ctx.flaggedNumbers.has(c.msisdn)) continue;
      if (age < p.newCardMs && c.activatedAt >= card.activatedAt && servedShare < p.minLocalShare) continue;
      if (age >= p.settledCardMs) established = true;
      if (region === null) continue;
      const o = this.cards.get(c.msisdn) ?? this.lives.get(c.msisdn);
      if (o === undefined) continue;
      const partners = o instanceof SocialLife ? o.partners : o.socialPartners;
      const cell = o instanceof SocialLife ? o.cell : o.socialCell;
      if (partners < p.minSocialPartners || cell === null) continue;
      if (this.regionOf(cell) === region) return LIVES;
    }
    if (servedShare < p.minLocalShare) return NOT_SETTLED;
    return established ? SERVES : SERVES_NEW_HOLDER;
  }

  /**
   * Shifts every time the states keep back by `by`, as the clock's origin moves forward once times
   * pass small integers (`Clock.advance`). A card may hold an IMEI a sweep has dropped from its map:
   * shifted too, once.
   */
  private shift(by: number): void {
    const imeis = new Set<ImeiImsis>(this.imeis.values());
    this.cards.forEach((s) => {
      s.from -= by;
      s.lastTs -= by;
      s.reportedAt = shiftMark(s.reportedAt, by);
      // Not while not held: shifted every time, it would leave the small integers in a few months.
      if (s.held) s.heldSince -= by;
      if (s.imeiState !== null) imeis.add(s.imeiState);
    });
    for (const m of imeis) {
      m.from -= by;
      m.lastTs -= by;
    }
    this.lives.forEach((l) => {
      l.lastTs -= by;
    });
    this.cells.forEach((v) => {
      v.lastTs -= by;
    });
  }

  private sweep(now: number): void {
    const p = this.p;
    const keep = Math.max(p.quietMs, p.windowMs);
    // forEach, not for-of: destructured entries would allocate an array per state per sweep.
    this.lives.forEach((l, k) => {
      if (now - l.lastTs > p.socialMemoryMs) this.lives.delete(k);
    });
    this.cards.forEach((s, k) => {
      if (now - s.lastTs > (s.reportedAt >= 0 ? keep : p.windowMs)) {
        s.dropped = true;
        this.cards.delete(k);
        // Its social life outlives it (`socialMemoryMs`), unless it was reported (not an everyday card).
        if (s.socialPartners > 0 && s.reportedAt < 0 && now - s.lastTs <= p.socialMemoryMs)
          this.lives.set(k, new SocialLife(s.socialPartners, s.socialCell, s.lastTs));
      }
    });
    this.imeis.forEach((m, k) => {
      if (now - m.lastTs > p.windowMs) this.imeis.delete(k);
    });
    this.cells.forEach((v, k) => {
      if (now - v.lastTs > p.cellMemoryMs) this.cells.delete(k);
    });
  }

  private social(s: FraudCallerCardState, ts: number): void {
    // A two-way partner: an ordinary card; let it vote its holder's region for its cell.
    s.socialPartners++;
    if (s.lastCell !== null) s.socialCell = s.lastCell;
    const card = s.card;
    if (card === null || this.p.cellRegion !== null || s.lastCell === null || s.votedCell === s.lastCell)
      return;
    if (card.cardType !== 'consumer' || card.holderRegion === '') return;
    s.votedCell = s.lastCell;
    this.vote(s.lastCell, card.holderRegion, ts);
  }
}

/** `settledHolder`'s answers. */
const NOT_SETTLED = 0;
const SERVES_NEW_HOLDER = 1;
const SERVES = 2;
const LIVES = 3;
type Settled = typeof NOT_SETTLED | typeof SERVES_NEW_HOLDER | typeof SERVES | typeof LIVES;

export function fraudCallerDetector(
  params: Partial<FraudCallerParams> = {},
  windows?: PartnerWindows,
): FraudCallerDetector {
  return new FraudCallerDetector(params, windows);
}
