/**
 * The decision engine: for one event (a call, an SMS, a link visit, a transfer, an account or card
 * opening) it matches every party against the in-memory registry, applies the policy for the
 * event's channel and institution, and answers allow / warn / review / block with a score, the
 * matched listings and reasons in Chinese and English. Pure in-process computation, no I/O: the
 * storage side feeds listings in (RegistryIndex.load / upsert / remove) and drains sightings out.
 *
 * Hot path: a miss allocates nothing (the per-policy no-match decision is shared and frozen, the
 * match scratch arrays are reused, URL lookup expressions are hashed in place as substrings of the
 * canonical URL). Objects are built only for decisions that matched something or had bad input.
 */
import {
  INDICATOR_KINDS,
  canonicalizeUrl,
  normalizeDomain,
  normalizeIndicator,
  normalizePhone,
  type IndicatorKind,
  type NormalizeFailure,
} from '../../core/normalize/index.ts';
import { defaultAllowlist, type Allowlist, type ProtectedEntry } from './allowlist.ts';
import { extractIndicators } from './extract.ts';
import {
  PolicySet,
  ShadowReport,
  actionName,
  compilePolicy,
  type CompiledPolicy,
  type Policy,
} from './policy.ts';
import {
  listedReason,
  malformedReason,
  protectedReason,
  scamTextReason,
  underAppealReason,
} from './reasons.ts';
import {
  CONFIDENCE_SCALE,
  KIND_DOMAIN,
  KIND_IP,
  KIND_PHONE,
  KIND_URL,
  KIND_URL_HOST,
  RegistryIndex,
  STATUS_UNDER_APPEAL,
  kindCode,
} from './registry-index.ts';
import { SCAM_CATEGORY_LIST, categoryCode } from './taxonomy.ts';
import {
  EVENT_KINDS,
  LISTING_STATUSES,
  type Decision,
  type DecisionEvent,
  type DecisionMatch,
  type DecisionParty,
  type DecisionReason,
  type DecisionWarning,
  type EventKind,
  type ListingRecord,
} from './types.ts';

/** Most events in one decideBatch call (the batch route's limit). */
export const MAX_BATCH = 10_000;
/** Host labels considered for suffix matching (a valid host has at most 127). */
const MAX_LABELS = 128;
const DAY_MS = 86_400_000;

export interface EngineOptions {
  /** The listings (default: a new empty index). */
  index?: RegistryIndex;
  /** Protected parties (default: defaultAllowlist()). */
  allowlist?: Allowlist;
  /** Policies in force and in shadow (default: the national defaults). */
  policies?: PolicySet;
  /** Epoch ms for events without occurredAt (default Date.now). */
  clock?: () => number;
  /** Reads SMS texts for the policies' content rules (the reports capability's classifier). */
  classifier?: ContentClassifier | null;
}

/** A message classifier: `normal` or a scam category, with its probability. */
export type ContentClassifier = (text: string) => { label: string; probability: number };

export interface DecideOptions {
  /** Use this policy instead of selecting one from the engine's PolicySet. */
  policy?: Policy;
  /**
   * Also evaluate this policy and report its action in `decision.shadow`. Default: the PolicySet's
   * shadow on the event's selection path, if any (null: none).
   */
  shadowPolicy?: Policy | null;
  /** Count active vs shadow actions here (default for PolicySet shadows: the engine's own report). */
  shadowReport?: ShadowReport;
  /** Count matched listings as sightings (default true; replays should say false). */
  countSightings?: boolean;
}

/** One aggregated sighting count, for the storage side to add to the database. */
export interface Sighting {
  listingId: string;
  kind: IndicatorKind;
  value: string;
  /** UTC day, `YYYY-MM-DD`. */
  day: string;
  channel: EventKind;
  count: number;
}

/** An event from the registry stream, as the storage side hands it over. */
export type ListingChange =
  | { op: 'upsert'; listing: ListingRecord }
  | { op: 'remove'; kind: IndicatorKind; value: string; version: number };

function eventCode(kind: string): number {
  switch (kind) {
    case 'call':
      return 0;
    case 'sms':
      return 1;
    case 'url_visit':
      return 2;
    case 'transfer':
      return 3;
    case 'account_opening':
      return 4;
    case 'card_opening':
      return 5;
    default:
      return -1;
  }
}

export class DecisionEngine {
  readonly index: RegistryIndex;
  readonly allowlist: Allowlist;
  readonly policies: PolicySet;
  private readonly clock: () => number;
  /** Set by whoever owns a classifier (decision nodes: the reports capability's default model). */
  classifier: ContentClassifier | null;
  /** The classifier's reading of the current decision's text: category code (-1: none) and probability. */
  private cCat = -1;
  private cP = 0;

  /** Sightings: UTC day → (record × 8 + channel → count). Keys stay small integers. */
  private sightings = new Map<number, Map<number, number>>();
  private sightingsDay = -1;
  private sightingsOfDay: Map<number, number> | null = null;
  /** Reports of the PolicySet's shadows, by compiled shadow policy. */
  private readonly reports = new Map<CompiledPolicy, ShadowReport>();

  // Per-decision scratch (the engine is synchronous and not re-entrant).
  private nm = 0;
  private readonly mRec: number[] = [];
  private readonly mSlot: number[] = [];
  private readonly mStatus: number[] = [];
  private readonly order: number[] = [];
  /** Per planned lookup: party slot; for url host markers the host start and urlEnds offset (else -1). */
  private readonly bSlot: number[] = [];
  private readonly bHost: number[] = [];
  private readonly bEnds: number[] = [];
  /** Path variant ends of the URLs of the decision (see matchUrl). */
  private urlEnds = new Int32Array(256);
  private urlEndsUsed = 0;
  /** Per party slot (event parties, then content indicators): kind code, canonical value, role. */
  private readonly sKind: number[] = [];
  private readonly sValue: string[] = [];
  private readonly sRole: string[] = [];
  private nowMs = 0;
  private nowSec = -1;
  private occurredAt: number | undefined = undefined;
  private lastFailure: NormalizeFailure | null = null;
  private readonly starts = new Int32Array(MAX_LABELS);

  constructor(opts: EngineOptions = {}) {
    this.index = opts.index ?? new RegistryIndex();
    this.allowlist = opts.allowlist ?? defaultAllowlist();
    this.policies = opts.policies ?? new PolicySet();
    this.clock = opts.clock ?? Date.now;
    this.classifier = opts.classifier ?? null;
  }

  /** Decides on an event whose party values are as written: each is normalised first. */
  decide(event: DecisionEvent, opts?: DecideOptions): Decision {
    return this.run(event, true, opts);
  }

  /**
   * Decides on an event whose party values are already canonical (E.164 numbers, canonical URLs
   * `http://host/path?query` or their expressions, host names, canonical accounts): no normalisation,
   * no allocation on a miss. Values are not validated: a non-canonical value simply does not match.
   * `content`, if given, is still scanned; callers that extract themselves pass the indicators as
   * `content_url` / `content_phone` parties instead.
   */
  decideNormalised(event: DecisionEvent, opts?: DecideOptions): Decision {
    return this.run(event, false, opts);
  }

  /** Decides on up to MAX_BATCH events. */
  decideBatch(events: readonly DecisionEvent[], opts?: DecideOptions & { normalised?: boolean }): Decision[] {
    if (events.length > MAX_BATCH) throw new RangeError(`at most ${MAX_BATCH} events per batch`);
    const out = new Array<Decision>(events.length);
    const normalise = opts?.normalised !== true;
    for (let i = 0; i < events.length; i++) out[i] = this.run(events[i]!, normalise, opts);
    return out;
  }

  /**
   * Replays events (recent traffic) through the active policy and `shadowPolicy` and counts how many
   * decisions the shadow would change. Sightings are not counted.
   */
  replayShadow(
    events: Iterable<DecisionEvent>,
    shadowPolicy: Policy,
    opts: { policy?: Policy; normalised?: boolean } = {},
  ): ShadowReport {
    const report = new ShadowReport(
      opts.policy ? compilePolicy(opts.policy).ref : null,
      compilePolicy(shadowPolicy).ref,
    );
    const o: DecideOptions = { shadowPolicy, shadowReport: report, countSightings: false };
    if (opts.policy) o.policy = opts.policy;
    for (const e of events) this.run(e, opts.normalised !== true, o);
    return report;
  }

  /** The running report of the PolicySet shadow `p` (created when the shadow first decides). */
  shadowReportFor(p: Policy): ShadowReport | null {
    return this.reports.get(compilePolicy(p)) ?? null;
  }

  /** Reports of every PolicySet shadow that has decided something. */
  shadowReports(): ShadowReport[] {
    return [...this.reports.values()];
  }

  /** Applies registry changes (snapshot rows or bus events) to the index; returns how many applied. */
  apply(changes: Iterable<ListingChange>): number {
    let n = 0;
    for (const c of changes) {
      const ok =
        c.op === 'upsert' ? this.index.upsert(c.listing) : this.index.remove(c.kind, c.value, c.version);
      if (ok) n++;
    }
    return n;
  }

  /** Sightings counted since the last drain (per listing, UTC day and channel), and resets them. */
  drainSightings(): Sighting[] {
    const days = this.sightings;
    this.sightings = new Map();
    this.sightingsDay = -1;
    this.sightingsOfDay = null;
    const out: Sighting[] = [];
    for (const [day, counts] of days) {
      const date = new Date(day * DAY_MS).toISOString().slice(0, 10);
      for (const [key, count] of counts) {
        const r = Math.floor(key / 8);
        out.push({
          listingId: this.index.idAt(r),
          kind: INDICATOR_KINDS[this.index.kindAt(r)]!,
          value: this.index.valueAt(r),
          day: date,
          channel: EVENT_KINDS[key & 7]!,
          count,
        });
      }
    }
    return out;
  }

  /** Sighting counts waiting to be drained. */
  get pendingSightings(): number {
    let n = 0;
    for (const m of this.sightings.values()) n += m.size;
    return n;
  }

  // --- the decision ----------------------------------------------------------------------------

  private run(event: DecisionEvent, normalise: boolean, opts: DecideOptions | undefined): Decision {
    const channel = eventCode(event.kind);
    if (channel < 0) throw new RangeError(`unknown event kind ${String(event.kind)}`);
    const parties = event.parties;
    if (!Array.isArray(parties)) throw new TypeError('event.parties must be an array');

    let policy: CompiledPolicy;
    let shadow: CompiledPolicy | null = null;
    let report: ShadowReport | null = null;
    const inst = event.institutionId;
    if (opts === undefined) {
      policy = this.policies.selectCached(channel, event.kind, inst);
      shadow = this.policies.selectShadowCached(channel, event.kind, inst);
      if (shadow !== null) report = this.reportFor(policy, shadow);
    } else {
      policy = opts.policy
        ? compilePolicy(opts.policy)
        : this.policies.selectCached(channel, event.kind, inst);
      if (opts.shadowPolicy) {
        shadow = compilePolicy(opts.shadowPolicy);
        report = opts.shadowReport ?? null;
      } else if (opts.shadowPolicy === undefined && opts.policy === undefined) {
        shadow = this.policies.selectShadowCached(channel, event.kind, inst);
        if (shadow !== null) report = opts.shadowReport ?? this.reportFor(policy, shadow);
      }
    }

    this.nm = 0;
    this.index.batchReset();
    this.urlEndsUsed = 0;
    this.nowSec = -1;
    this.occurredAt = event.occurredAt;
    let warnings: DecisionWarning[] | null = null;
    const np = parties.length;
    for (let i = 0; i < np; i++) {
      const p: DecisionParty = parties[i]!;
      if (typeof p !== 'object' || p === null) {
        this.sKind[i] = -1;
        (warnings ??= []).push(
          warning(p, i, 'party_invalid', 'a party is an object with role, kind and value'),
        );
        continue;
      }
      const k = kindCode(p.kind);
      this.sRole[i] = p.role;
      this.sKind[i] = k;
      if (k < 0) {
        (warnings ??= []).push(warning(p, i, 'kind_unknown', 'unknown indicator kind'));
        continue;
      }
      let v: string | null = p.value;
      if (typeof v !== 'string' || v.length === 0) v = null;
      else if (normalise) v = this.normaliseParty(k, p);
      if (v === null) {
        const f = this.lastFailure;
        (warnings ??= []).push(
          warning(p, i, f?.code ?? 'input_empty', f?.reason ?? 'the value is empty or not a string'),
        );
        this.lastFailure = null;
        this.sKind[i] = -1;
        continue;
      }
      this.sValue[i] = v;
      if (k === KIND_URL) {
        if (!this.matchUrl(v, i)) {
          (warnings ??= []).push(warning(p, i, 'url_unparseable', 'the value is not a canonical URL'));
          this.sKind[i] = -1;
        }
      } else if (k === KIND_DOMAIN) {
        this.matchDomain(v, 0, v.length, i);
      } else {
        this.lookup(k, v, 0, v.length, i);
      }
    }

    let slots = np;
    const content = event.content;
    if (typeof content === 'string' && content.length > 0) {
      const found = extractIndicators(content);
      for (const u of found.urls) {
        this.sRole[slots] = 'content_url';
        this.sKind[slots] = KIND_URL;
        this.sValue[slots] = u;
        this.matchUrl(u, slots++);
      }
      for (const ph of found.phones) {
        this.sRole[slots] = 'content_phone';
        this.sKind[slots] = KIND_PHONE;
        this.sValue[slots] = ph;
        this.lookup(KIND_PHONE, ph, 0, ph.length, slots++);
      }
    }

    // The text itself, read by the classifier, only when some policy has a rule for it.
    this.cCat = -1;
    if (
      event.kind === 'sms' &&
      this.classifier !== null &&
      typeof content === 'string' &&
      content.length > 0 &&
      (policy.contentRules.length > 0 || (shadow !== null && shadow.contentRules.length > 0))
    ) {
      const c = this.classifier(content);
      if (c.label !== 'normal') {
        const cat = categoryCode(c.label);
        if (cat >= 0) {
          this.cCat = cat;
          this.cP = c.probability;
        }
      }
    }

    this.resolve();
    if (this.nm === 0 && warnings === null && this.cCat < 0) {
      if (shadow === null) return policy.allowDecision;
      if (report !== null) report.record(0, 0);
      return policy.allowWithShadow(shadow);
    }
    return this.build(channel, policy, shadow, report, warnings, opts?.countSightings !== false);
  }

  private reportFor(policy: CompiledPolicy, shadow: CompiledPolicy): ShadowReport {
    let r = this.reports.get(shadow);
    if (r === undefined) this.reports.set(shadow, (r = new ShadowReport(policy.ref, shadow.ref)));
    return r;
  }

  /** The canonical value to match for a party, or null (the failure in lastFailure). */
  private normaliseParty(k: number, p: DecisionParty): string | null {
    switch (k) {
      case KIND_PHONE: {
        const r = normalizePhone(p.value, p.opts);
        if (r.ok) return r.value;
        this.lastFailure = r;
        return null;
      }
      case KIND_URL: {
        const r = canonicalizeUrl(p.value);
        if (r.ok) return r.url;
        this.lastFailure = r;
        return null;
      }
      case KIND_DOMAIN: {
        // The full host: its registrable domain and every parent are looked up.
        const r = normalizeDomain(p.value);
        if (r.ok) return r.host;
        this.lastFailure = r;
        return null;
      }
      default: {
        const r = normalizeIndicator(INDICATOR_KINDS[k]!, p.value, p.opts);
        if (r.ok) return r.value;
        this.lastFailure = r;
        return null;
      }
    }
  }

  private now(): number {
    if (this.nowSec < 0) {
      const t = this.occurredAt;
      this.nowMs = typeof t === 'number' && Number.isFinite(t) ? t : this.clock();
      this.nowSec = Math.floor(this.nowMs / 1000);
    }
    return this.nowSec;
  }

  /** Plans the lookup of (k, s[a..b)) for party slot `slot` (see RegistryIndex.batchAdd). */
  private lookup(k: number, s: string, a: number, b: number, slot: number): void {
    const j = this.index.batchAdd(k, s, a, b);
    this.bSlot[j] = slot;
    this.bHost[j] = -1;
  }

  /**
   * Runs the planned lookups; matches go to the m* scratch arrays. A url host marker that is found
   * plans the path expressions under that host, which run in the next round.
   */
  private resolve(): void {
    const idx = this.index;
    let start = 0;
    for (let end = idx.batchSize; start < end; start = end, end = idx.batchSize) {
      if (end - start > 1) idx.batchTouch(start, end);
      for (let j = start; j < end; j++) {
        const r = idx.batchFind(j);
        if (r < 0) continue;
        const slot = this.bSlot[j]!;
        const h = this.bHost[j]!;
        if (h >= 0) {
          // A host with url listings: its path expressions.
          const u = this.sValue[slot]!;
          const o = this.bEnds[j]!;
          const ends = this.urlEnds;
          for (let e = o + 1, last = o + 1 + ends[o]!; e < last; e++)
            this.lookup(KIND_URL, u, h, ends[e]!, slot);
          continue;
        }
        const st = idx.matchStatus(r, this.now());
        if (st < 0) continue;
        const m = this.nm++;
        this.mRec[m] = r;
        this.mSlot[m] = slot;
        this.mStatus[m] = st;
      }
    }
  }

  /** Plans the url host marker lookup of u[h..he), whose path variants are at urlEnds[o]. */
  private lookupUrlHost(u: string, h: number, he: number, o: number, slot: number): void {
    const j = this.index.batchAdd(KIND_URL_HOST, u, h, he);
    this.bSlot[j] = slot;
    this.bHost[j] = h;
    this.bEnds[j] = o;
  }

  /** Domain listings for the host s[a..b) and each parent with two labels or more. */
  private matchDomain(s: string, a: number, b: number, slot: number): void {
    let i = a;
    for (let labels = 0; labels < MAX_LABELS; labels++) {
      const dot = s.indexOf('.', i);
      if (dot === -1 || dot >= b) return; // s[i..b) is one label: not a domain
      this.lookup(KIND_DOMAIN, s, i, b, slot);
      i = dot + 1;
    }
  }

  /**
   * A canonical URL (`http(s)://host/path?query`) or an expression (`host/path?query`): its Safe
   * Browsing lookup expressions against url listings (each is a substring of the URL: no string is
   * built), its host and parents against domain listings, an IP host against ip listings. Returns
   * false if the text has no host and path.
   */
  private matchUrl(u: string, slot: number): boolean {
    const len = u.length;
    const hs = u.startsWith('http://') ? 7 : u.startsWith('https://') ? 8 : 0;
    const he = u.indexOf('/', hs);
    if (he <= hs) return false;
    const q = u.indexOf('?', he);
    const pathEnd = q < 0 ? len : q;

    // Path variants: the path with query (when not empty), the path, up to 4 prefixes from `/`,
    // kept in urlEnds[o + 1 …] with their count at urlEnds[o].
    if (this.urlEndsUsed + 8 > this.urlEnds.length) {
      const bigger = new Int32Array(this.urlEnds.length * 2);
      bigger.set(this.urlEnds);
      this.urlEnds = bigger;
    }
    const ends = this.urlEnds;
    const o = this.urlEndsUsed;
    let ne = o + 1;
    if (q >= 0 && q + 1 < len) ends[ne++] = len;
    ends[ne++] = pathEnd;
    const lastSlash = u.lastIndexOf('/', pathEnd - 1);
    let prefixes = 0;
    for (let i = he; i !== -1 && i <= lastSlash && prefixes < 4; i = u.indexOf('/', i + 1)) {
      prefixes++;
      if (i + 1 !== pathEnd) ends[ne++] = i + 1;
    }
    ends[o] = ne - o - 1;
    this.urlEndsUsed = ne;

    if (u.charCodeAt(hs) === 91 /* [ */) {
      if (u.charCodeAt(he - 1) !== 93) return false;
      this.lookupUrlHost(u, hs, he, o, slot);
      this.lookup(KIND_IP, u, hs + 1, he - 1, slot);
      return true;
    }

    // starts[j]: where the host suffix of j + 1 labels begins.
    const starts = this.starts;
    let m = 0;
    let labels = 1;
    let digitsAndDots = true;
    for (let i = he - 1; i >= hs; i--) {
      const c = u.charCodeAt(i);
      if (c === 46) {
        if (m < MAX_LABELS) starts[m++] = i + 1;
        labels++;
      } else if (c < 48 || c > 57) digitsAndDots = false;
    }
    if (m < MAX_LABELS) starts[m++] = hs;
    const isIpv4 = digitsAndDots && labels === 4;

    // Hosts: the exact host, then up to 4 suffixes from the last 5 labels (never the bare TLD).
    // Each is first looked up as a url host marker; its path expressions only if that is found.
    this.lookupUrlHost(u, hs, he, o, slot);
    if (isIpv4) {
      this.lookup(KIND_IP, u, hs, he, slot);
      return true;
    }
    for (let n = Math.min(labels - 1, 5); n >= 2; n--) this.lookupUrlHost(u, starts[n - 1]!, he, o, slot);
    // Domains: the host and every parent of two labels or more.
    for (let j = m - 1; j >= 1; j--) this.lookup(KIND_DOMAIN, u, starts[j]!, he, slot);
    return true;
  }

  /** Builds the decision of an event that matched something or had a malformed party. */
  private build(
    channel: number,
    policy: CompiledPolicy,
    shadow: CompiledPolicy | null,
    report: ShadowReport | null,
    warnings: DecisionWarning[] | null,
    countSightings: boolean,
  ): Decision {
    const idx = this.index;
    const nm = this.nm;
    const matches: DecisionMatch[] = [];
    const reasons: DecisionReason[] = [];
    let protectedBySlot: Map<number, ProtectedEntry | null> | null = null;
    let action = 0;
    let shadowAction = 0;
    let keep = 1;
    // Matches in party order (url path expressions are found in a later round than the rest).
    const order = this.order;
    for (let k = 0; k < nm; k++) {
      let i = k;
      while (i > 0 && this.mSlot[order[i - 1]!]! > this.mSlot[k]!) {
        order[i] = order[i - 1]!;
        i--;
      }
      order[i] = k;
    }
    for (let k = 0; k < nm; k++) {
      const m = order[k]!;
      const r = this.mRec[m]!;
      const slot = this.mSlot[m]!;
      const status = this.mStatus[m]!;
      const kc = idx.kindAt(r);
      const cat = idx.categoryAt(r);
      const confQ = idx.confidenceAt(r);
      const role = this.sRole[slot]!;
      const kind = INDICATOR_KINDS[kc]!;
      const value = idx.valueAt(r);
      const category = SCAM_CATEGORY_LIST[cat]!;
      const confidence = confQ / CONFIDENCE_SCALE;

      const rule = policy.ruleFor(cat, confQ, kc, role);
      let act = rule < 0 ? policy.defaultAction : policy.rules[rule]!.action;
      let sAct = shadow === null ? 0 : shadow.actionFor(cat, confQ, kc, role);
      reasons.push(
        listedReason(rule < 0 ? 'listed' : policy.rules[rule]!.reason, kind, value, category, confidence),
      );

      if (status === STATUS_UNDER_APPEAL) {
        if (act > 1) {
          act = 1;
          reasons.push(underAppealReason(kind, value));
        }
        if (sAct > 1) sAct = 1;
      }
      if (act > 2 || sAct > 2) {
        protectedBySlot ??= new Map();
        let prot = protectedBySlot.get(slot);
        if (prot === undefined) {
          prot = this.allowlist.protects(INDICATOR_KINDS[this.sKind[slot]!]!, this.sValue[slot]!);
          protectedBySlot.set(slot, prot);
        }
        if (prot !== null) {
          if (act > 2) {
            act = 2;
            reasons.push(
              protectedReason(INDICATOR_KINDS[this.sKind[slot]!]!, this.sValue[slot]!, prot.label),
            );
          }
          if (sAct > 2) sAct = 2;
        }
      }
      if (act > action) action = act;
      if (sAct > shadowAction) shadowAction = sAct;

      let first = true;
      for (let e = 0; e < k; e++)
        if (this.mRec[order[e]!] === r) {
          first = false;
          break;
        }
      if (first) {
        keep *= 1 - (status === STATUS_UNDER_APPEAL ? confidence / 2 : confidence);
        if (countSightings) this.countSighting(r, channel);
      }
      matches.push({
        listingId: idx.idAt(r),
        kind,
        value,
        category,
        confidence,
        role,
        status: LISTING_STATUSES[status]!,
        action: actionName(act),
      });
    }

    if (warnings !== null) {
      if (policy.onMalformed > action) action = policy.onMalformed;
      if (shadow !== null && shadow.onMalformed > shadowAction) shadowAction = shadow.onMalformed;
      reasons.push(
        malformedReason(
          warnings.map((w) => w.party),
          warnings.map((w) => w.code),
        ),
      );
    }
    let content: Decision['content'];
    if (this.cCat >= 0) {
      const cat = SCAM_CATEGORY_LIST[this.cCat]!;
      const p = Math.round(this.cP * 10_000) / 10_000;
      content = { label: cat, probability: p };
      const i = policy.contentRuleFor(this.cCat, this.cP);
      if (i >= 0) {
        const rule = policy.contentRules[i]!;
        if (rule.action > action) action = rule.action;
        reasons.push(scamTextReason(rule.reason, cat, p));
      }
      if (shadow !== null) {
        const j = shadow.contentRuleFor(this.cCat, this.cP);
        if (j >= 0 && shadow.contentRules[j]!.action > shadowAction)
          shadowAction = shadow.contentRules[j]!.action;
      }
    }
    if (report !== null) report.record(action, shadowAction);

    const decision: Decision = {
      action: actionName(action),
      score: Math.round((1 - keep) * 10_000) / 10_000,
      matches,
      reasons,
      warnings: warnings ?? [],
      policy: policy.ref,
    };
    if (content !== undefined) decision.content = content;
    if (shadow !== null) decision.shadow = { action: actionName(shadowAction), policy: shadow.ref };
    return decision;
  }

  private countSighting(r: number, channel: number): void {
    this.now();
    const day = Math.floor(this.nowMs / DAY_MS);
    let counts = this.sightingsOfDay;
    if (counts === null || day !== this.sightingsDay) {
      let c = this.sightings.get(day);
      if (c === undefined) this.sightings.set(day, (c = new Map()));
      this.sightingsDay = day;
      this.sightingsOfDay = counts = c;
    }
    const key = r * 8 + channel;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
}

function warning(p: DecisionParty, index: number, code: string, reason: string): DecisionWarning {
  return { party: typeof p?.role === 'string' ? p.role : String(index), index, code, reason };
}
