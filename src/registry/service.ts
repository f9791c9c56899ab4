import crypto from 'node:crypto';
import { sql, type Kysely, type Selectable } from 'kysely';
import type { DB } from '../core/db/schema.ts';
import { audit, type Actor } from '../core/audit.ts';
import { publishAll, type EventBus, type EventMap } from '../core/bus/index.ts';
import { AppError, badRequest, conflict, notFound } from '../core/errors.ts';
import {
  INDICATOR_KINDS,
  canonicalizeUrl,
  isIndicatorKind,
  normalizeIndicator,
  type IndicatorKind,
  type NormalizeOptions,
} from '../core/normalize/index.ts';
import { findProtected, type ProtectionHit } from './allowlist.ts';
import { computeConfidence, defaultTrust, DAY_MS } from './confidence.ts';
import { isScamCategory, type ScamCategory } from './engine/taxonomy.ts';
import { findLookalikes, loadCompiledBrands, type CompiledBrand } from './lookalike.ts';
import './events.ts';
import {
  SOURCE_KINDS,
  type HistoryAction,
  type ListingState,
  type ListingStatus,
  type ListingsTable,
  type LookalikeMark,
  type ReviewDetails,
  type ReviewReason,
  type ReviewStatus,
  type SourceKind,
  type StoredSource,
} from './tables.ts';

/**
 * The registry's write and read paths (docs/registry.md). Every change of a listing — listed,
 * corroborated, changed, delisted, expired — takes a new version from `listing_version_seq`,
 * appends to `listing_history` and publishes its event, in the transaction of the change.
 *
 * Versions are taken under one transaction-scoped advisory lock (`lockListingVersions`), so
 * listing writers commit in version order: a reader that sees version v has seen every version
 * below it, and a feed or an engine catching up "since v" never skips a change that commits late.
 * The price is that writers of listings queue for each other (for the length of a transaction).
 */

export type Publisher = Pick<EventBus, 'publish'>;

/** Below this a new listing waits in review (`pending_review`) unless an analyst listed it. */
export const MIN_ACTIVE_CONFIDENCE = 0.3;
/** Trust of the look-alike detector source added to a listing that imitates a protected brand. */
export const LOOKALIKE_TRUST = 0.5;
/** How long a listing lasts when nobody says, by kind (days); extended when corroborated. */
export const DEFAULT_TTL_DAYS: Readonly<Record<IndicatorKind, number>> = Object.freeze({
  phone: 180,
  url: 30,
  domain: 90,
  ip: 30,
  bank_account: 365,
  payment_account: 365,
  internet_account: 180,
  device: 365,
  app: 180,
});
/** Evidence references kept per listing (the oldest go first). */
export const MAX_EVIDENCE = 50;
export const MAX_VALUE_LENGTH = 2048;

const LOCK_KEY = 0x4c495354; // 'LIST'

/** Serialises listing writers until the transaction ends (see the module comment). */
export async function lockListingVersions(tx: Kysely<DB>): Promise<void> {
  await sql`select pg_advisory_xact_lock(${LOCK_KEY}::bigint)`.execute(tx);
}

function inTx<T>(q: Kysely<DB>, fn: (tx: Kysely<DB>) => Promise<T>): Promise<T> {
  return q.isTransaction ? fn(q) : q.transaction().execute(fn);
}

// --- Values ----------------------------------------------------------------------------------------

export interface CanonicalIndicator {
  kind: IndicatorKind;
  /** What the registry keys on; url: the Safe Browsing expression (host/path?query, no scheme). */
  value: string;
  /** domain: the full host given; url: its host; else null. */
  host: string | null;
}

export type CanonicalResult =
  ({ ok: true } & CanonicalIndicator) | { ok: false; code: string; reason: string };

/** The registry's canonical form of a raw indicator (docs/normalisation.md; URLs as expressions). */
export function canonicalIndicator(kind: string, raw: string, opts: NormalizeOptions = {}): CanonicalResult {
  if (!isIndicatorKind(kind)) {
    return {
      ok: false,
      code: 'kind_unknown',
      reason: `unknown indicator kind (one of ${INDICATOR_KINDS.join(', ')})`,
    };
  }
  let value: string;
  let host: string | null = null;
  if (kind === 'url') {
    const u = canonicalizeUrl(raw);
    if (!u.ok) return { ok: false, code: u.code, reason: u.reason };
    value = u.expression;
    host = u.hostIsIp ? null : u.host;
  } else {
    const r = normalizeIndicator(kind, raw, opts);
    if (!r.ok) return { ok: false, code: r.code, reason: r.reason };
    value = r.value;
    if (kind === 'domain') host = (r as { host: string }).host;
  }
  if (value.length > MAX_VALUE_LENGTH) {
    return {
      ok: false,
      code: 'value_too_long',
      reason: `the canonical value is longer than ${MAX_VALUE_LENGTH}`,
    };
  }
  return { ok: true, kind, value, host };
}

/** As canonicalIndicator, or 400 with the normaliser's code and reason. */
export function requireCanonical(kind: string, raw: string, opts?: NormalizeOptions): CanonicalIndicator {
  const c = canonicalIndicator(kind, raw, opts);
  if (!c.ok) throw badRequest(c.code, `value: ${c.reason}`, { field: 'value' });
  return c;
}

export function requireCategory(category: string): ScamCategory {
  if (!isScamCategory(category)) throw badRequest('category_unknown', `unknown scam category "${category}"`);
  return category;
}

/** Evidence references: trimmed, non-empty, at most 500 characters, no duplicates. */
export function cleanEvidence(refs: readonly string[] | undefined): string[] {
  const out: string[] = [];
  for (const r of refs ?? []) {
    const t = String(r).trim();
    if (!t) continue;
    if (t.length > 500)
      throw badRequest('invalid_evidence', 'an evidence reference is at most 500 characters');
    if (!out.includes(t)) out.push(t);
  }
  return out;
}

/** The end of the UTC day after `ms`: default expiries fall on day boundaries. */
function ceilDay(ms: number): number {
  return Math.ceil(ms / DAY_MS) * DAY_MS;
}

function toMs(v: Date | string | number | null | undefined, what: string): number | null | undefined {
  if (v === undefined) return undefined;
  if (v === null) return null;
  const d = v instanceof Date ? v.getTime() : typeof v === 'number' ? v : Date.parse(v);
  if (!Number.isFinite(d)) throw badRequest('invalid_date', `${what} is not a date`);
  return d;
}

// --- Views -----------------------------------------------------------------------------------------

type ListingRow = Selectable<ListingsTable>;

export interface ListingView {
  id: string;
  kind: IndicatorKind;
  value: string;
  category: ScamCategory;
  confidence: number;
  status: ListingStatus;
  firstSeen: Date;
  lastSeen: Date;
  expiresAt: Date | null;
  version: number;
  evidence: string[];
  lookalike: LookalikeMark | null;
  createdAt: Date;
  updatedAt: Date;
}

const round4 = (x: number) => Math.round(x * 10_000) / 10_000;
const ms = (d: Date | string) => (d instanceof Date ? d.getTime() : Date.parse(d));

export function toView(r: ListingRow): ListingView {
  return {
    id: r.id,
    kind: r.kind,
    value: r.value,
    category: r.category,
    confidence: round4(Number(r.confidence)),
    status: r.status,
    firstSeen: new Date(r.first_seen),
    lastSeen: new Date(r.last_seen),
    expiresAt: r.expires_at === null ? null : new Date(r.expires_at),
    version: Number(r.version),
    evidence: parseJson<string[]>(r.evidence) ?? [],
    lookalike: parseJson<LookalikeMark>(r.lookalike),
    createdAt: new Date(r.created_at),
    updatedAt: new Date(r.updated_at),
  };
}

function parseJson<T>(v: unknown): T | null {
  if (v === null || v === undefined) return null;
  return (typeof v === 'string' ? JSON.parse(v) : v) as T;
}

export function stateOf(r: ListingRow | ListingView): ListingState {
  const v = 'firstSeen' in r ? r : toView(r);
  return {
    id: v.id,
    kind: v.kind,
    value: v.value,
    category: v.category,
    confidence: v.confidence,
    status: v.status,
    expiresAt: v.expiresAt === null ? null : v.expiresAt.getTime(),
    version: v.version,
  };
}

// --- Changes: history rows and events ---------------------------------------------------------------

export interface Change {
  before: ListingState | null;
  after: ListingState;
  action: HistoryAction;
  reason: string | null;
}

function eventOf(c: Change): { type: keyof EventMap; data: EventMap[keyof EventMap] } {
  if (c.before === null) return { type: 'listing.created', data: { ...c.after } };
  if (c.after.status === 'delisted' && c.before.status !== 'delisted') {
    return { type: 'listing.delisted', data: { ...c.after, reason: c.reason ?? c.action } };
  }
  return { type: 'listing.changed', data: { ...c.after, action: c.action, reason: c.reason } };
}

/**
 * Appends the history rows and publishes the events of `changes` (the listings rows are already
 * written), in the caller's transaction.
 */
export async function recordChanges(
  tx: Kysely<DB>,
  bus: Publisher,
  actor: Actor,
  changes: readonly Change[],
): Promise<void> {
  if (changes.length === 0) return;
  const actorId = 'id' in actor ? actor.id : null;
  const orgId = 'organisationId' in actor ? actor.organisationId : null;
  await sql`
    insert into listing_history
      (listing_id, version, actor_kind, actor_name, actor_id, organisation_id, action, before, after, reason)
    select u.listing_id, u.version, ${actor.kind}, ${actor.name}, ${actorId}, ${orgId}::uuid,
           u.action, u.before::jsonb, u.after::jsonb, u.reason
    from unnest(${changes.map((c) => c.after.id)}::uuid[], ${changes.map((c) => c.after.version)}::bigint[],
                ${changes.map((c) => c.action)}::text[],
                ${changes.map((c) => (c.before ? JSON.stringify(c.before) : null))}::text[],
                ${changes.map((c) => JSON.stringify(c.after))}::text[], ${changes.map((c) => c.reason)}::text[])
      as u(listing_id, version, action, before, after, reason)`.execute(tx);
  await publishAll(
    bus,
    tx,
    changes.map(eventOf).map((e) => ({ ...e, key: (e.data as { id: string }).id })),
  );
}

async function takeVersions(tx: Kysely<DB>, n: number): Promise<number[]> {
  if (n === 0) return [];
  const r = await sql<{ v: number }>`
    select nextval('listing_version_seq')::bigint as v from generate_series(1, ${n}::int)`.execute(tx);
  return r.rows.map((x) => Number(x.v)).sort((a, b) => a - b);
}

// --- Submissions: list or corroborate ----------------------------------------------------------------

export interface SourceSpec {
  kind: SourceKind;
  organisationId?: string | null;
  /** Opaque id of the reporter (user id, detector or feed name, keyed hash of a citizen); never personal data. */
  reporterRef?: string | null;
  /** 0..1; default by kind (confidence.ts). */
  trust?: number;
  /** detector: its score 0..1, scaling the detector trust. */
  score?: number;
}

/** A normalised submission (what listIndicator and the importer hand to writeSubmissions). */
export interface Submission extends CanonicalIndicator {
  category: ScamCategory;
  source: StoredSource;
  evidence: string[];
  /** Epoch ms; null: no expiry (analysts only); undefined: the default for the kind. */
  expiresAt?: number | null;
  /** Accepted by a supervisor: no review gate but the allowlist. */
  force?: boolean;
  action?: HistoryAction;
  reason?: string | null;
}

export function resolveSource(s: SourceSpec): StoredSource {
  if (!(SOURCE_KINDS as readonly string[]).includes(s.kind)) {
    throw badRequest('source_kind_unknown', `source kind must be one of ${SOURCE_KINDS.join(', ')}`);
  }
  const trust = s.trust ?? defaultTrust(s.kind, s.score);
  if (!(trust >= 0 && trust <= 1)) throw badRequest('invalid_trust', 'trust is a number from 0 to 1');
  const ref = (s.reporterRef ?? '').trim();
  if (ref.length > 200)
    throw badRequest('invalid_reporter_ref', 'a reporter reference is at most 200 characters');
  return { kind: s.kind, organisationId: s.organisationId ?? null, reporterRef: ref, trust };
}

export type SubmissionOutcome =
  | { outcome: 'listed' | 'corroborated' | 'relisted'; listingId: string; reviewId: string | null }
  | { outcome: 'review'; reason: ReviewReason; listingId: string | null; reviewId: string };

interface WorkingSource extends StoredSource {
  firstAt: number;
  lastAt: number;
  count: number;
  dirty: boolean;
}

interface Working {
  id: string;
  kind: IndicatorKind;
  value: string;
  category: ScamCategory;
  confidence: number;
  status: ListingStatus;
  firstSeen: number;
  lastSeen: number;
  expiresAt: number | null;
  version: number;
  evidence: string[];
  lookalike: LookalikeMark | null;
  sources: Map<string, WorkingSource>;
  lastSighted: number | null;
  /** The state after the latest change (its version is filled in when versions are taken). */
  state: ListingState | null;
  touched: boolean;
  promoted: boolean;
  /** This batch's change of the listing, if any. */
  pending: Change | null;
}

interface PendingReview {
  key: string;
  listingId: string | null;
  sub: Submission;
  reason: ReviewReason;
  confidence: number;
  details: ReviewDetails;
  submissions: number;
  outcomeIndexes: number[];
}

const keyOf = (kind: string, value: string) => `${kind}\u0000${value}`;
const sourceKey = (s: StoredSource) => `${s.kind}\u0000${s.organisationId ?? ''}\u0000${s.reporterRef}`;

export interface WriteOptions {
  now?: Date | number;
  /** Look-alike brands, when the caller holds them already (the importer, per run). */
  brands?: readonly CompiledBrand[];
}

/**
 * Lists or corroborates each submission, in order, in the caller's transaction: one statement per
 * table for the whole batch (listings upserted with `on conflict (kind, value)`), so a batch of
 * thousands costs a handful of round trips. Protected values, resubmitted delisted values and
 * same-label look-alikes (from others than analysts) go to the review queue instead. A listing
 * touched several times in one batch gets one change (version, history row, event): the batch's
 * first action with its final state.
 */
export async function writeSubmissions(
  tx: Kysely<DB>,
  bus: Publisher,
  actor: Actor,
  subs: readonly Submission[],
  opts: WriteOptions = {},
): Promise<SubmissionOutcome[]> {
  if (subs.length === 0) return [];
  if (!tx.isTransaction) return tx.transaction().execute((t) => writeSubmissions(t, bus, actor, subs, opts));
  await lockListingVersions(tx);
  const now =
    opts.now === undefined ? Date.now() : typeof opts.now === 'number' ? opts.now : opts.now.getTime();
  const brands =
    opts.brands ??
    (subs.some((s) => s.host !== null) ? await loadCompiledBrands(tx) : ([] as CompiledBrand[]));
  const hits = await findProtected(
    tx,
    subs.map((s) => ({ kind: s.kind, value: s.value, host: s.kind === 'domain' ? s.value : s.host })),
  );
  const work = await loadWorking(tx, subs);

  const outcomes: SubmissionOutcome[] = new Array(subs.length);
  const reviews = new Map<string, PendingReview>();
  const changes: Change[] = [];
  const addReview = (
    i: number,
    sub: Submission,
    reason: ReviewReason,
    w: Working | undefined,
    extra: ReviewDetails,
  ) => {
    const k = `${keyOf(sub.kind, sub.value)}\u0000${reason}`;
    const existing = reviews.get(k);
    if (existing) {
      existing.submissions++;
      existing.outcomeIndexes.push(i);
      return;
    }
    const confidence = computeConfidence(
      [...(w?.sources.values() ?? []), { ...sub.source, lastAt: now }],
      now,
    );
    reviews.set(k, {
      key: k,
      listingId: w?.id ?? null,
      sub,
      reason,
      confidence,
      details: {
        source: sub.source,
        evidence: sub.evidence,
        ...(sub.expiresAt !== undefined ? { expiresAt: sub.expiresAt } : {}),
        ...extra,
      },
      submissions: 1,
      outcomeIndexes: [i],
    });
  };

  for (let i = 0; i < subs.length; i++) {
    const sub = subs[i]!;
    const key = keyOf(sub.kind, sub.value);
    let w = work.get(key);
    const hit: ProtectionHit | null = hits[i] ?? null;
    if (hit) {
      addReview(i, sub, 'protected_indicator', w, { protected: hit });
      continue;
    }
    const look = sub.host ? findLookalikes(sub.host, brands)[0] : undefined;
    const gated = !sub.force && sub.source.kind !== 'analyst';
    if (gated && w?.status === 'delisted') {
      addReview(i, sub, 'previously_delisted', w, {});
      continue;
    }
    if (gated && !w && look?.reason === 'other_suffix') {
      addReview(i, sub, 'lookalike_of_protected', w, { lookalike: look });
      continue;
    }

    const isNew = !w;
    if (!w) {
      w = {
        id: crypto.randomUUID(),
        kind: sub.kind,
        value: sub.value,
        category: sub.category,
        confidence: 0,
        status: 'pending_review',
        firstSeen: now,
        lastSeen: now,
        expiresAt: null,
        version: 0,
        evidence: [],
        lookalike: null,
        sources: new Map(),
        lastSighted: null,
        state: null,
        touched: true,
        promoted: false,
        pending: null,
      };
      work.set(key, w);
    }
    w.touched = true;
    const before = w.state;
    const prevStatus = isNew ? null : w.status;

    let newSource = false;
    const addSource = (s: StoredSource) => {
      const k = sourceKey(s);
      const cur = w!.sources.get(k);
      if (cur) {
        cur.count++;
        cur.lastAt = now;
        cur.trust = s.trust;
        cur.dirty = true;
      } else {
        w!.sources.set(k, { ...s, firstAt: now, lastAt: now, count: 1, dirty: true });
        newSource = true;
      }
    };
    addSource(sub.source);
    if (look && !w.lookalike) {
      w.lookalike = { brand: look.brand, domain: look.domain, reason: look.reason };
      addSource({
        kind: 'detector',
        organisationId: null,
        reporterRef: `lookalike:${look.brand}`,
        trust: LOOKALIKE_TRUST,
      });
    }
    const confidence = computeConfidence([...w.sources.values()], now, { lastSightedAt: w.lastSighted });
    const trusted =
      sub.force === true || sub.source.kind === 'analyst' || confidence >= MIN_ACTIVE_CONFIDENCE;

    // Category: the first submitter's, then only analysts (or a reviewer) change it, or fill `other`.
    if (isNew || sub.force || sub.source.kind === 'analyst' || w.category === 'other')
      w.category = sub.category;
    for (const e of sub.evidence) if (!w.evidence.includes(e)) w.evidence.push(e);
    if (w.evidence.length > MAX_EVIDENCE) w.evidence = w.evidence.slice(-MAX_EVIDENCE);
    w.expiresAt = nextExpiry(w, sub, isNew, now);
    w.lastSeen = now;
    w.confidence = confidence;

    let relisted = false;
    switch (prevStatus) {
      case null:
        w.status = trusted ? 'active' : 'pending_review';
        break;
      case 'pending_review':
        if (trusted) {
          w.status = 'active';
          w.promoted = true;
        }
        break;
      case 'expired':
      case 'delisted':
        w.status = trusted ? 'active' : 'pending_review';
        relisted = true;
        break;
      default:
        break; // active, under_appeal: stay
    }

    const after: ListingState = {
      id: w.id,
      kind: w.kind,
      value: w.value,
      category: w.category,
      confidence: w.confidence,
      status: w.status,
      expiresAt: w.expiresAt,
      version: 0,
    };
    const stateChanged =
      !before ||
      before.category !== after.category ||
      before.confidence !== after.confidence ||
      before.status !== after.status ||
      before.expiresAt !== after.expiresAt;
    if (stateChanged || newSource) {
      if (w.pending) {
        // One change per listing per batch: the batch's first action, its final state.
        w.pending.after = after;
      } else {
        w.pending = {
          before,
          after,
          action: sub.action ?? (isNew || relisted ? 'listed' : 'corroborated'),
          reason: sub.reason ?? (relisted ? `relisted (was ${prevStatus})` : null),
        };
        changes.push(w.pending);
      }
      w.state = after;
    }
    outcomes[i] = {
      outcome: isNew ? 'listed' : relisted ? 'relisted' : 'corroborated',
      listingId: w.id,
      reviewId: null,
    };
    if (w.status === 'pending_review' && (isNew || prevStatus !== 'pending_review')) {
      addReview(i, sub, 'low_confidence', w, {});
    }
  }

  // A listing that left pending_review later in this batch needs no low-confidence review.
  for (const [k, r] of reviews) {
    if (r.reason !== 'low_confidence') continue;
    const w = work.get(keyOf(r.sub.kind, r.sub.value));
    if (!w || w.status === 'pending_review') continue;
    reviews.delete(k);
    for (const i of r.outcomeIndexes) {
      const o = outcomes[i];
      if (o && o.outcome !== 'review') o.reviewId = null;
    }
  }

  // Versions, in the order of the changes.
  const versions = await takeVersions(tx, changes.length);
  changes.forEach((c, i) => (c.after.version = versions[i]!));
  const touched = [...work.values()].filter((w) => w.touched);
  for (const w of touched) if (w.state) w.version = w.state.version;

  await upsertListings(tx, touched, now);
  await upsertSources(tx, touched);
  await recordChanges(tx, bus, actor, changes);

  const promoted = touched.filter((w) => w.promoted).map((w) => w.id);
  if (promoted.length) {
    await tx
      .updateTable('listing_reviews')
      .set({
        status: 'accepted',
        decided_by: 'corroboration',
        decided_at: new Date(now),
        decision_reason: `confidence reached ${MIN_ACTIVE_CONFIDENCE}`,
        updated_at: new Date(now),
      })
      .where('listing_id', 'in', promoted)
      .where('reason', '=', 'low_confidence')
      .where('status', '=', 'open')
      .execute();
  }

  if (reviews.size) {
    const ids = await upsertReviews(tx, actor, [...reviews.values()], work);
    for (const r of reviews.values()) {
      const reviewId = ids.get(r.key)!;
      for (const i of r.outcomeIndexes) {
        const o = outcomes[i];
        if (o && o.outcome !== 'review') o.reviewId = reviewId;
        else
          outcomes[i] = {
            outcome: 'review',
            reason: r.reason,
            listingId: work.get(keyOf(r.sub.kind, r.sub.value))?.id ?? null,
            reviewId,
          };
      }
    }
  }
  return outcomes;
}

function nextExpiry(w: Working, sub: Submission, isNew: boolean, now: number): number | null {
  const def = ceilDay(now + DEFAULT_TTL_DAYS[sub.kind] * DAY_MS);
  const decides = sub.force === true || sub.source.kind === 'analyst';
  if (sub.expiresAt !== undefined && sub.expiresAt !== null) {
    if (decides || isNew) return sub.expiresAt;
    return w.expiresAt === null ? null : Math.max(w.expiresAt, sub.expiresAt);
  }
  if (sub.expiresAt === null && decides) return null;
  if (isNew) return def;
  if (w.status === 'expired' || w.status === 'delisted') return def;
  return w.expiresAt === null ? null : Math.max(w.expiresAt, def);
}

async function loadWorking(tx: Kysely<DB>, subs: readonly Submission[]): Promise<Map<string, Working>> {
  const work = new Map<string, Working>();
  const seen = new Set<string>();
  const kinds: string[] = [];
  const values: string[] = [];
  for (const s of subs) {
    const k = keyOf(s.kind, s.value);
    if (seen.has(k)) continue;
    seen.add(k);
    kinds.push(s.kind);
    values.push(s.value);
  }
  const rows = await sql<ListingRow>`
    select l.* from listings l
    join unnest(${kinds}::text[], ${values}::text[]) as c(kind, value) on l.kind = c.kind and l.value = c.value`.execute(
    tx,
  );
  if (rows.rows.length === 0) return work;
  const ids = rows.rows.map((r) => r.id);
  const [sources, sightings] = await Promise.all([
    sql<{
      listing_id: string;
      source_kind: SourceKind;
      organisation_id: string | null;
      reporter_ref: string;
      trust: number;
      first_at: Date;
      last_at: Date;
      count: number;
    }>`select * from listing_sources where listing_id = any(${ids}::uuid[])`.execute(tx),
    sql<{ listing_id: string; day: string }>`
      select listing_id, max(day)::text as day from sightings_daily
      where listing_id = any(${ids}::uuid[]) group by listing_id`.execute(tx),
  ]);
  const byId = new Map<string, Working>();
  for (const r of rows.rows) {
    const v = toView(r);
    const w: Working = {
      id: v.id,
      kind: v.kind,
      value: v.value,
      category: v.category,
      confidence: v.confidence,
      status: v.status,
      firstSeen: v.firstSeen.getTime(),
      lastSeen: v.lastSeen.getTime(),
      expiresAt: v.expiresAt === null ? null : v.expiresAt.getTime(),
      version: v.version,
      evidence: v.evidence,
      lookalike: v.lookalike,
      sources: new Map(),
      lastSighted: null,
      state: stateOf(v),
      touched: false,
      promoted: false,
      pending: null,
    };
    work.set(keyOf(v.kind, v.value), w);
    byId.set(v.id, w);
  }
  for (const s of sources.rows) {
    const src: WorkingSource = {
      kind: s.source_kind,
      organisationId: s.organisation_id,
      reporterRef: s.reporter_ref,
      trust: Number(s.trust),
      firstAt: ms(s.first_at),
      lastAt: ms(s.last_at),
      count: Number(s.count),
      dirty: false,
    };
    byId.get(s.listing_id)?.sources.set(sourceKey(src), src);
  }
  // A sighting counts from the end of its day.
  for (const s of sightings.rows) {
    const w = byId.get(s.listing_id);
    if (w) w.lastSighted = Date.parse(`${s.day}T00:00:00Z`) + DAY_MS - 1;
  }
  return work;
}

const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());

async function upsertListings(tx: Kysely<DB>, ws: readonly Working[], now: number): Promise<void> {
  if (ws.length === 0) return;
  await sql`
    insert into listings (id, kind, value, category, confidence, status, first_seen, last_seen, expires_at,
                          version, evidence, lookalike, created_at, updated_at)
    select u.id, u.kind, u.value, u.category, u.confidence, u.status, u.first_seen, u.last_seen, u.expires_at,
           u.version, u.evidence::jsonb, u.lookalike::jsonb, ${iso(now)}::timestamptz, ${iso(now)}::timestamptz
    from unnest(${ws.map((w) => w.id)}::uuid[], ${ws.map((w) => w.kind)}::text[], ${ws.map((w) => w.value)}::text[],
                ${ws.map((w) => w.category)}::text[], ${ws.map((w) => w.confidence)}::real[],
                ${ws.map((w) => w.status)}::text[], ${ws.map((w) => iso(w.firstSeen))}::timestamptz[],
                ${ws.map((w) => iso(w.lastSeen))}::timestamptz[], ${ws.map((w) => iso(w.expiresAt))}::timestamptz[],
                ${ws.map((w) => w.version)}::bigint[], ${ws.map((w) => JSON.stringify(w.evidence))}::text[],
                ${ws.map((w) => (w.lookalike ? JSON.stringify(w.lookalike) : null))}::text[])
      as u(id, kind, value, category, confidence, status, first_seen, last_seen, expires_at, version, evidence, lookalike)
    on conflict (kind, value) do update set
      category = excluded.category, confidence = excluded.confidence, status = excluded.status,
      last_seen = excluded.last_seen, expires_at = excluded.expires_at, version = excluded.version,
      evidence = excluded.evidence, lookalike = excluded.lookalike, updated_at = excluded.updated_at`.execute(
    tx,
  );
}

async function upsertSources(tx: Kysely<DB>, ws: readonly Working[]): Promise<void> {
  const rows: (WorkingSource & { listingId: string })[] = [];
  for (const w of ws) for (const s of w.sources.values()) if (s.dirty) rows.push({ ...s, listingId: w.id });
  if (rows.length === 0) return;
  await sql`
    insert into listing_sources (listing_id, source_kind, organisation_id, reporter_ref, trust, first_at, last_at, count)
    select * from unnest(${rows.map((r) => r.listingId)}::uuid[], ${rows.map((r) => r.kind)}::text[],
                         ${rows.map((r) => r.organisationId)}::uuid[], ${rows.map((r) => r.reporterRef)}::text[],
                         ${rows.map((r) => r.trust)}::real[], ${rows.map((r) => iso(r.firstAt))}::timestamptz[],
                         ${rows.map((r) => iso(r.lastAt))}::timestamptz[], ${rows.map((r) => r.count)}::int[])
    on conflict (listing_id, source_kind, organisation_id, reporter_ref) do update set
      trust = excluded.trust, last_at = excluded.last_at, count = excluded.count`.execute(tx);
}

async function upsertReviews(
  tx: Kysely<DB>,
  actor: Actor,
  rs: readonly PendingReview[],
  work: Map<string, Working>,
): Promise<Map<string, string>> {
  const actorId = 'id' in actor ? actor.id : null;
  const orgId = 'organisationId' in actor ? actor.organisationId : null;
  const listingIds = rs.map((r) => r.listingId ?? work.get(keyOf(r.sub.kind, r.sub.value))?.id ?? null);
  const res = await sql<{ id: string; kind: string; value: string; reason: string }>`
    insert into listing_reviews (id, listing_id, kind, value, category, proposed_confidence, reason, details,
                                 proposer_kind, proposer_name, proposer_id, organisation_id, submissions)
    select u.id, u.listing_id, u.kind, u.value, u.category, u.confidence, u.reason, u.details::jsonb,
           ${actor.kind}, ${actor.name}, ${actorId}, ${orgId}::uuid, u.submissions
    from unnest(${rs.map(() => crypto.randomUUID())}::uuid[], ${listingIds}::uuid[], ${rs.map((r) => r.sub.kind)}::text[],
                ${rs.map((r) => r.sub.value)}::text[], ${rs.map((r) => r.sub.category)}::text[],
                ${rs.map((r) => r.confidence)}::real[], ${rs.map((r) => r.reason)}::text[],
                ${rs.map((r) => JSON.stringify(r.details))}::text[], ${rs.map((r) => r.submissions)}::int[])
      as u(id, listing_id, kind, value, category, confidence, reason, details, submissions)
    on conflict (kind, value, reason) where status = 'open' do update set
      submissions = listing_reviews.submissions + excluded.submissions,
      listing_id = coalesce(excluded.listing_id, listing_reviews.listing_id),
      updated_at = now()
    returning id, kind, value, reason`.execute(tx);
  const out = new Map<string, string>();
  for (const r of res.rows) out.set(`${keyOf(r.kind, r.value)}\u0000${r.reason}`, r.id);
  return out;
}

// --- listIndicator ---------------------------------------------------------------------------------

export interface ListIndicatorInput {
  kind: string;
  /** As written: normalised here (docs/normalisation.md). */
  value: string;
  category: string;
  source: SourceSpec;
  evidence?: string[];
  /** Default by kind; null: until delisted (analysts only). */
  expiresAt?: Date | string | number | null;
  /** Normalisation hints: institution (bank accounts), provider (payment), platform (internet accounts). */
  normalize?: NormalizeOptions;
}

export type ListResult =
  | { outcome: 'listed' | 'corroborated' | 'relisted'; listing: ListingView; reviewId: string | null }
  | { outcome: 'review'; reason: ReviewReason; reviewId: string; listing: ListingView | null };

/**
 * Lists an indicator, or corroborates its listing (adds the source, recomputes the confidence,
 * extends the expiry), in one transaction with history, event and audit. A protected value is not
 * listed: a review opens and the outcome is `review` (docs/registry.md).
 */
export async function listIndicator(
  q: Kysely<DB>,
  bus: Publisher,
  actor: Actor,
  input: ListIndicatorInput,
  opts: { requestId?: string; now?: Date | number } = {},
): Promise<ListResult> {
  const c = requireCanonical(input.kind, input.value, input.normalize);
  const category = requireCategory(input.category);
  const source = resolveSource(input.source);
  const evidence = cleanEvidence(input.evidence);
  const expiresAt = toMs(input.expiresAt, 'expiresAt');
  const now =
    opts.now === undefined ? Date.now() : typeof opts.now === 'number' ? opts.now : opts.now.getTime();
  if (typeof expiresAt === 'number' && expiresAt <= now)
    throw badRequest('invalid_expiry', 'expiresAt is in the past');
  return inTx(q, async (tx) => {
    const [o] = await writeSubmissions(
      tx,
      bus,
      actor,
      [{ ...c, category, source, evidence, ...(expiresAt !== undefined ? { expiresAt } : {}) }],
      { now },
    );
    if (!o) throw new AppError(500, 'internal', 'no outcome');
    const listing = o.listingId ? await getListingView(tx, o.listingId) : null;
    await audit(
      tx,
      actor,
      o.outcome === 'review'
        ? {
            action: 'listing.review_opened',
            targetKind: 'listing_review',
            targetId: o.reviewId,
            details: { kind: c.kind, category, reason: o.reason, source: source.kind },
          }
        : {
            action: `listing.${o.outcome === 'corroborated' ? 'corroborate' : o.outcome === 'relisted' ? 'relist' : 'list'}`,
            targetKind: 'listing',
            targetId: o.listingId,
            details: {
              kind: c.kind,
              category,
              source: source.kind,
              confidence: listing?.confidence,
              status: listing?.status,
            },
          },
      opts.requestId,
    );
    if (o.outcome === 'review') return { outcome: 'review', reason: o.reason, reviewId: o.reviewId, listing };
    return { outcome: o.outcome, listing: listing!, reviewId: o.reviewId };
  });
}

// --- Reading ---------------------------------------------------------------------------------------

async function getListingView(q: Kysely<DB>, id: string): Promise<ListingView | null> {
  const r = await q.selectFrom('listings').selectAll().where('id', '=', id).executeTakeFirst();
  return r ? toView(r) : null;
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface SourceView {
  kind: SourceKind;
  organisationId: string | null;
  reporterRef: string;
  trust: number;
  firstAt: Date;
  lastAt: Date;
  count: number;
}

export interface HistoryView {
  version: number;
  at: Date;
  action: HistoryAction;
  actorKind: string;
  actorName: string;
  actorId: string | null;
  organisationId: string | null;
  reason: string | null;
  before: ListingState | null;
  after: ListingState;
}

export interface SightingView {
  day: string;
  channel: string;
  count: number;
}

export interface ListingDetail extends ListingView {
  sources: SourceView[];
  history: HistoryView[];
  sightings: SightingView[];
}

/** One listing with its sources, history (oldest first) and daily sightings (latest `sightingDays`). */
export async function getListing(
  q: Kysely<DB>,
  id: string,
  opts: { sightingDays?: number; historyLimit?: number } = {},
): Promise<ListingDetail> {
  if (!UUID_RE.test(id)) throw notFound('listing');
  const row = await q.selectFrom('listings').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound('listing');
  const days = opts.sightingDays ?? 90;
  const [sources, history, sightings] = await Promise.all([
    q
      .selectFrom('listing_sources')
      .selectAll()
      .where('listing_id', '=', id)
      .orderBy('first_at')
      .orderBy('source_kind')
      .execute(),
    q
      .selectFrom('listing_history')
      .selectAll()
      .where('listing_id', '=', id)
      .orderBy('version', 'desc')
      .limit(opts.historyLimit ?? 200)
      .execute(),
    sql<{ day: string; channel: string; count: number }>`
      select day::text as day, channel, count from sightings_daily
      where listing_id = ${id}::uuid and day > current_date - ${days}::int
      order by day desc, channel`.execute(q),
  ]);
  return {
    ...toView(row),
    sources: sources.map((s) => ({
      kind: s.source_kind,
      organisationId: s.organisation_id,
      reporterRef: s.reporter_ref,
      trust: round4(Number(s.trust)),
      firstAt: new Date(s.first_at),
      lastAt: new Date(s.last_at),
      count: Number(s.count),
    })),
    history: history.reverse().map((h) => ({
      version: Number(h.version),
      at: new Date(h.at),
      action: h.action,
      actorKind: h.actor_kind,
      actorName: h.actor_name,
      actorId: h.actor_id,
      organisationId: h.organisation_id,
      reason: h.reason,
      before: parseJson<ListingState>(h.before),
      after: parseJson<ListingState>(h.after)!,
    })),
    sightings: sightings.rows.map((s) => ({ day: s.day, channel: s.channel, count: Number(s.count) })),
  };
}

/** The listing of a raw indicator, or null. */
export async function findListing(
  q: Kysely<DB>,
  kind: string,
  raw: string,
  opts?: NormalizeOptions,
): Promise<ListingView | null> {
  const c = requireCanonical(kind, raw, opts);
  const r = await q
    .selectFrom('listings')
    .selectAll()
    .where('kind', '=', c.kind)
    .where('value', '=', c.value)
    .executeTakeFirst();
  return r ? toView(r) : null;
}

export interface SearchInput {
  kind?: IndicatorKind | undefined;
  /** An indicator as written: matched exactly after normalising it as each kind (or `kind`). */
  q?: string | undefined;
  category?: ScamCategory | undefined;
  status?: ListingStatus | undefined;
  limit?: number | undefined;
  /** `nextCursor` of the previous page. */
  cursor?: string | undefined;
}

export const MAX_SEARCH = 500;

/** Listings, most recently changed first (by version), filtered; pages by `nextCursor`. */
export async function searchListings(
  q: Kysely<DB>,
  input: SearchInput = {},
): Promise<{ items: ListingView[]; nextCursor: string | null }> {
  const limit = Math.min(Math.max(input.limit ?? 50, 1), MAX_SEARCH);
  let query = q
    .selectFrom('listings')
    .selectAll()
    .orderBy('version', 'desc')
    .limit(limit + 1);
  if (input.kind) query = query.where('kind', '=', input.kind);
  if (input.category) query = query.where('category', '=', input.category);
  if (input.status) query = query.where('status', '=', input.status);
  if (input.cursor !== undefined) {
    if (!/^\d{1,18}$/.test(input.cursor))
      throw badRequest('invalid_cursor', 'the cursor is not one this API gave');
    query = query.where('version', '<', Number(input.cursor));
  }
  if (input.q !== undefined && input.q.trim() !== '') {
    const raw = input.q.trim();
    const pairs = new Map<string, [IndicatorKind, string]>();
    for (const k of input.kind ? [input.kind] : INDICATOR_KINDS) {
      const c = canonicalIndicator(k, raw);
      if (c.ok) pairs.set(keyOf(k, c.value), [k, c.value]);
      pairs.set(keyOf(k, raw), [k, raw]);
    }
    const list = [...pairs.values()];
    query = query.where((eb) =>
      eb.or(list.map(([k, v]) => eb.and([eb('kind', '=', k), eb('value', '=', v)]))),
    );
  }
  const rows = await query.execute();
  const items = rows.slice(0, limit).map(toView);
  return { items, nextCursor: rows.length > limit ? String(items.at(-1)!.version) : null };
}

// --- Changing, delisting, expiring -----------------------------------------------------------------

export interface ChangeInput {
  category?: string;
  /** null: until delisted. */
  expiresAt?: Date | string | number | null;
  /** active, under_appeal or pending_review; delisting is delist(), expiry is expireDue(). */
  status?: 'active' | 'under_appeal' | 'pending_review';
  reason: string;
}

const CHANGE_STATUSES = ['active', 'under_appeal', 'pending_review'] as const;

function requireReason(reason: string | undefined | null): string {
  const r = (reason ?? '').trim();
  if (!r || r.length > 1000) throw badRequest('reason_required', 'give a reason (1–1000 characters)');
  return r;
}

/** Updates a listing row to `after` (version included) and records the change. */
async function commit(
  tx: Kysely<DB>,
  bus: Publisher,
  actor: Actor,
  before: ListingView,
  patch: { category?: ScamCategory; status?: ListingStatus; expiresAt?: number | null },
  action: HistoryAction,
  reason: string,
): Promise<ListingView> {
  const [version] = await takeVersions(tx, 1);
  const row = await tx
    .updateTable('listings')
    .set({
      ...(patch.category !== undefined ? { category: patch.category } : {}),
      ...(patch.status !== undefined ? { status: patch.status } : {}),
      ...(patch.expiresAt !== undefined ? { expires_at: iso(patch.expiresAt) } : {}),
      version: version!,
      updated_at: new Date(),
    })
    .where('id', '=', before.id)
    .returningAll()
    .executeTakeFirstOrThrow();
  const view = toView(row);
  await recordChanges(tx, bus, actor, [{ before: stateOf(before), after: stateOf(view), action, reason }]);
  return view;
}

async function lockedListing(tx: Kysely<DB>, id: string): Promise<ListingView> {
  if (!UUID_RE.test(id)) throw notFound('listing');
  await lockListingVersions(tx);
  const row = await tx.selectFrom('listings').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound('listing');
  return toView(row);
}

/** Changes a listing's category, expiry or status, with a reason (history, event, audit). */
export async function changeListing(
  q: Kysely<DB>,
  bus: Publisher,
  actor: Actor,
  id: string,
  input: ChangeInput,
  opts: { requestId?: string; now?: Date | number } = {},
): Promise<ListingView> {
  const reason = requireReason(input.reason);
  const category = input.category === undefined ? undefined : requireCategory(input.category);
  const expiresAt = toMs(input.expiresAt, 'expiresAt');
  const now = opts.now === undefined ? Date.now() : new Date(opts.now).getTime();
  if (typeof expiresAt === 'number' && expiresAt <= now)
    throw badRequest('invalid_expiry', 'expiresAt is in the past');
  if (input.status !== undefined && !(CHANGE_STATUSES as readonly string[]).includes(input.status)) {
    throw badRequest(
      'invalid_status',
      `status can be changed to ${CHANGE_STATUSES.join(', ')}; delist with /delist, expiry is set by expiresAt`,
    );
  }
  return inTx(q, async (tx) => {
    const cur = await lockedListing(tx, id);
    const patch: { category?: ScamCategory; status?: ListingStatus; expiresAt?: number | null } = {};
    if (category !== undefined && category !== cur.category) patch.category = category;
    const curExp = cur.expiresAt === null ? null : cur.expiresAt.getTime();
    if (expiresAt !== undefined && expiresAt !== curExp) patch.expiresAt = expiresAt;
    if (input.status !== undefined && input.status !== cur.status) patch.status = input.status;
    if (Object.keys(patch).length === 0) throw badRequest('nothing_to_change', 'the listing already is so');
    if (patch.status === 'active' || patch.status === 'under_appeal') {
      // No listing can block a protected value, whichever way it becomes active.
      const [hit] = await findProtected(tx, [
        { kind: cur.kind, value: cur.value, host: hostOfValue(cur.kind, cur.value) },
      ]);
      if (hit)
        throw conflict(
          'protected_indicator',
          `the value is on the allowlist (${hit.label}): it cannot be listed`,
        );
      // A lapsed listing made active again gets a fresh default expiry unless one is given.
      if (patch.expiresAt === undefined && curExp !== null && curExp <= now) {
        patch.expiresAt = ceilDay(now + DEFAULT_TTL_DAYS[cur.kind] * DAY_MS);
      }
    }
    const action: HistoryAction =
      patch.status === 'under_appeal'
        ? 'appeal_opened'
        : cur.status === 'under_appeal' && patch.status
          ? 'appeal_closed'
          : 'changed';
    const view = await commit(tx, bus, actor, cur, patch, action, reason);
    await audit(
      tx,
      actor,
      {
        action: 'listing.change',
        targetKind: 'listing',
        targetId: id,
        details: { ...patch, reason, fromStatus: cur.status },
      },
      opts.requestId,
    );
    return view;
  });
}

/** The host to check against protected domains for a stored value (domain, url expression). */
export function hostOfValue(kind: IndicatorKind, value: string): string | null {
  if (kind === 'domain') return value;
  if (kind === 'url') {
    const h = value.split(/[/?]/, 1)[0] ?? '';
    return h.startsWith('[') || /^\d+\.\d+\.\d+\.\d+$/.test(h) ? null : h;
  }
  return null;
}

/** Delists a listing with a reason (history, `listing.delisted`, audit). 409 if it is delisted already. */
export async function delist(
  q: Kysely<DB>,
  bus: Publisher,
  actor: Actor,
  id: string,
  reason: string,
  opts: { requestId?: string; action?: HistoryAction } = {},
): Promise<ListingView> {
  const why = requireReason(reason);
  return inTx(q, async (tx) => {
    const cur = await lockedListing(tx, id);
    if (cur.status === 'delisted') throw conflict('already_delisted', 'the listing is delisted already');
    const view = await commit(tx, bus, actor, cur, { status: 'delisted' }, opts.action ?? 'delisted', why);
    await audit(
      tx,
      actor,
      {
        action: 'listing.delist',
        targetKind: 'listing',
        targetId: id,
        details: { reason: why, fromStatus: cur.status },
      },
      opts.requestId,
    );
    return view;
  });
}

/**
 * Delists, in the caller's transaction, every listing a new allowlist entry covers: the same
 * value; for a domain, listings of it and of names under it and URLs on them. Returns how many.
 */
export async function delistMatching(
  tx: Kysely<DB>,
  bus: Publisher,
  actor: Actor,
  entry: { kind: IndicatorKind; value: string },
  reason: string,
  requestId?: string,
): Promise<number> {
  await lockListingVersions(tx);
  let query = tx.selectFrom('listings').select('id').where('status', '!=', 'delisted');
  if (entry.kind === 'domain') {
    const esc = entry.value.replace(/[\\%_]/g, (c) => `\\${c}`);
    const hostRe = `^([^/?]*\\.)?${entry.value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}([/?]|$)`;
    query = query.where((eb) =>
      eb.or([
        eb.and([
          eb('kind', '=', 'domain'),
          eb.or([eb('value', '=', entry.value), eb('value', 'like', `%.${esc}`)]),
        ]),
        eb.and([eb('kind', '=', 'url'), eb('value', '~', hostRe)]),
      ]),
    );
  } else {
    query = query.where('kind', '=', entry.kind).where('value', '=', entry.value);
  }
  const ids = (await query.execute()).map((r) => r.id);
  return bulkStatus(tx, bus, actor, ids, 'delisted', 'delisted', reason, requestId);
}

/** Sets the status of many listings with one version each, history and events; returns how many. */
async function bulkStatus(
  tx: Kysely<DB>,
  bus: Publisher,
  actor: Actor,
  ids: readonly string[],
  status: ListingStatus,
  action: HistoryAction,
  reason: string,
  requestId?: string,
): Promise<number> {
  if (ids.length === 0) return 0;
  const res = await sql<ListingRow & { old_status: ListingStatus; old_version: number }>`
    with cur as (select id, status, version from listings where id = any(${ids as string[]}::uuid[]))
    update listings l set status = ${status}, version = nextval('listing_version_seq'), updated_at = now()
    from cur where l.id = cur.id
    returning l.*, cur.status as old_status, cur.version as old_version`.execute(tx);
  const changes: Change[] = res.rows.map((r) => {
    const after = stateOf(r);
    return {
      before: { ...after, status: r.old_status, version: Number(r.old_version) },
      after,
      action,
      reason,
    };
  });
  changes.sort((a, b) => a.after.version - b.after.version);
  await recordChanges(tx, bus, actor, changes);
  if (changes.length) {
    await audit(
      tx,
      actor,
      {
        action: `listing.bulk_${status}`,
        targetKind: 'listing',
        targetId: null,
        details: { count: changes.length, reason },
      },
      requestId,
    );
  }
  return changes.length;
}

/**
 * Marks listings whose expiry has passed `expired` (active and pending ones), in transactions of
 * `batchSize`, with history and `listing.changed` events. Returns how many expired.
 */
export async function expireDue(
  q: Kysely<DB>,
  bus: Publisher,
  now: Date | number = Date.now(),
  opts: { batchSize?: number; actor?: Actor } = {},
): Promise<number> {
  const at = new Date(typeof now === 'number' ? now : now.getTime());
  const batch = Math.max(1, opts.batchSize ?? 1000);
  const actor: Actor = opts.actor ?? { kind: 'system', name: 'registry-expiry' };
  let total = 0;
  for (;;) {
    const n = await inTx(q, async (tx) => {
      await lockListingVersions(tx);
      const due = await tx
        .selectFrom('listings')
        .select('id')
        .where('status', 'in', ['active', 'pending_review'])
        .where('expires_at', '<=', at)
        .orderBy('expires_at')
        .limit(batch)
        .execute();
      return bulkStatus(
        tx,
        bus,
        actor,
        due.map((d) => d.id),
        'expired',
        'expired',
        'expiry reached',
      );
    });
    total += n;
    if (n < batch) return total;
  }
}

/**
 * Recomputes the confidence of the listings that match or wait (active, under appeal, pending)
 * at `now`, so decay shows without new submissions: a listing whose confidence moved by
 * `minDelta` or more (default 0.01) gets a new version, a history row (`changed`, reason
 * `confidence decay`) and a `listing.changed` event. Runs in transactions of `batchSize`.
 */
export async function refreshConfidence(
  q: Kysely<DB>,
  bus: Publisher,
  now: Date | number = Date.now(),
  opts: { batchSize?: number; minDelta?: number; actor?: Actor } = {},
): Promise<{ checked: number; changed: number }> {
  const at = typeof now === 'number' ? now : now.getTime();
  const batch = Math.max(1, opts.batchSize ?? 1000);
  const minDelta = opts.minDelta ?? 0.01;
  const actor: Actor = opts.actor ?? { kind: 'system', name: 'registry-decay' };
  let after = '00000000-0000-0000-0000-000000000000';
  let checked = 0;
  let changed = 0;
  for (;;) {
    const r = await inTx(q, async (tx) => {
      await lockListingVersions(tx);
      const rows = await tx
        .selectFrom('listings')
        .selectAll()
        .where('status', 'in', ['active', 'under_appeal', 'pending_review'])
        .where('id', '>', after)
        .orderBy('id')
        .limit(batch)
        .execute();
      if (rows.length === 0) return { n: 0, c: 0, last: after };
      const ids = rows.map((x) => x.id);
      const [sources, sightings] = await Promise.all([
        sql<{ listing_id: string; source_kind: SourceKind; trust: number; last_at: Date }>`
          select listing_id, source_kind, trust, last_at from listing_sources
          where listing_id = any(${ids}::uuid[])`.execute(tx),
        sql<{ listing_id: string; day: string }>`
          select listing_id, max(day)::text as day from sightings_daily
          where listing_id = any(${ids}::uuid[]) group by listing_id`.execute(tx),
      ]);
      const bySource = new Map<string, { kind: SourceKind; trust: number; lastAt: number }[]>();
      for (const s of sources.rows) {
        const list = bySource.get(s.listing_id) ?? [];
        list.push({ kind: s.source_kind, trust: Number(s.trust), lastAt: ms(s.last_at) });
        bySource.set(s.listing_id, list);
      }
      const sighted = new Map(
        sightings.rows.map((s) => [s.listing_id, Date.parse(`${s.day}T00:00:00Z`) + DAY_MS - 1]),
      );
      const moved: { row: ListingRow; confidence: number }[] = [];
      for (const row of rows) {
        const c = computeConfidence(bySource.get(row.id) ?? [], at, {
          lastSightedAt: sighted.get(row.id) ?? null,
        });
        if (Math.abs(c - round4(Number(row.confidence))) >= minDelta) moved.push({ row, confidence: c });
      }
      if (moved.length) {
        const versions = await takeVersions(tx, moved.length);
        await sql`
          update listings l set confidence = u.confidence, version = u.version, updated_at = now()
          from unnest(${moved.map((m) => m.row.id)}::uuid[], ${moved.map((m) => m.confidence)}::real[],
                      ${versions}::bigint[]) as u(id, confidence, version)
          where l.id = u.id`.execute(tx);
        const changes: Change[] = moved.map((m, i) => {
          const before = stateOf(m.row);
          return {
            before,
            after: { ...before, confidence: m.confidence, version: versions[i]! },
            action: 'changed',
            reason: 'confidence decay',
          };
        });
        await recordChanges(tx, bus, actor, changes);
        await audit(tx, actor, {
          action: 'listing.bulk_confidence',
          targetKind: 'listing',
          targetId: null,
          details: { count: moved.length },
        });
      }
      return { n: rows.length, c: moved.length, last: rows.at(-1)!.id };
    });
    checked += r.n;
    changed += r.c;
    after = r.last;
    if (r.n < batch) return { checked, changed };
  }
}

// --- Sightings -------------------------------------------------------------------------------------

export interface SightingInput {
  listingId: string;
  /** The UTC day (`YYYY-MM-DD`) or a time in it. */
  day: string | Date | number;
  /** call, sms, url_visit, transfer… */
  channel: string;
  count?: number;
}

const DAY_RE = /^\d{4}-\d{2}-\d{2}$/;
const CHANNEL_RE = /^[a-z][a-z0-9_]{0,31}$/;

/**
 * Adds matched-decision counts per listing, day and channel: one upsert
 * (`count = count + excluded.count`) for all rows, duplicates summed first. No version, no event.
 */
export async function addSightings(q: Kysely<DB>, rows: readonly SightingInput[]): Promise<number> {
  const sum = new Map<string, { listingId: string; day: string; channel: string; count: number }>();
  for (const r of rows) {
    const day =
      typeof r.day === 'string' && DAY_RE.test(r.day) ? r.day : new Date(r.day).toISOString().slice(0, 10);
    if (!DAY_RE.test(day)) throw badRequest('invalid_day', 'a sighting day is YYYY-MM-DD');
    if (!CHANNEL_RE.test(r.channel)) throw badRequest('invalid_channel', 'a channel is a lower-case word');
    const n = r.count ?? 1;
    if (!Number.isInteger(n) || n < 0)
      throw badRequest('invalid_count', 'a sighting count is a whole number ≥ 0');
    const k = `${r.listingId}|${day}|${r.channel}`;
    const cur = sum.get(k);
    if (cur) cur.count += n;
    else sum.set(k, { listingId: r.listingId, day, channel: r.channel, count: n });
  }
  const list = [...sum.values()];
  if (list.length === 0) return 0;
  await sql`
    insert into sightings_daily (listing_id, day, channel, count)
    select * from unnest(${list.map((r) => r.listingId)}::uuid[], ${list.map((r) => r.day)}::date[],
                         ${list.map((r) => r.channel)}::text[], ${list.map((r) => r.count)}::bigint[])
    on conflict (listing_id, day, channel) do update set count = sightings_daily.count + excluded.count`.execute(
    q,
  );
  return list.length;
}

// --- Reviews ---------------------------------------------------------------------------------------

export interface ReviewView {
  id: string;
  listingId: string | null;
  kind: IndicatorKind;
  value: string;
  category: ScamCategory;
  proposedConfidence: number;
  reason: ReviewReason;
  details: ReviewDetails;
  proposer: { kind: string; name: string; id: string | null; organisationId: string | null };
  submissions: number;
  status: ReviewStatus;
  decidedBy: string | null;
  decidedAt: Date | null;
  decisionReason: string | null;
  createdAt: Date;
  updatedAt: Date;
}

type ReviewRow = Selectable<DB['listing_reviews']>;

function reviewView(r: ReviewRow): ReviewView {
  return {
    id: r.id,
    listingId: r.listing_id,
    kind: r.kind,
    value: r.value,
    category: r.category,
    proposedConfidence: round4(Number(r.proposed_confidence)),
    reason: r.reason,
    details: parseJson<ReviewDetails>(r.details) ?? {},
    proposer: {
      kind: r.proposer_kind,
      name: r.proposer_name,
      id: r.proposer_id,
      organisationId: r.organisation_id,
    },
    submissions: Number(r.submissions),
    status: r.status,
    decidedBy: r.decided_by,
    decidedAt: r.decided_at === null ? null : new Date(r.decided_at),
    decisionReason: r.decision_reason,
    createdAt: new Date(r.created_at),
    updatedAt: new Date(r.updated_at),
  };
}

export async function listReviews(
  q: Kysely<DB>,
  opts: {
    status?: ReviewStatus | undefined;
    reason?: ReviewReason | undefined;
    limit?: number | undefined;
  } = {},
): Promise<ReviewView[]> {
  let query = q
    .selectFrom('listing_reviews')
    .selectAll()
    .orderBy('created_at', opts.status === 'open' || opts.status === undefined ? 'asc' : 'desc')
    .orderBy('id')
    .limit(Math.min(Math.max(opts.limit ?? 100, 1), 1000));
  query = query.where('status', '=', opts.status ?? 'open');
  if (opts.reason) query = query.where('reason', '=', opts.reason);
  return (await query.execute()).map(reviewView);
}

export async function getReview(q: Kysely<DB>, id: string): Promise<ReviewView> {
  if (!UUID_RE.test(id)) throw notFound('review');
  const r = await q.selectFrom('listing_reviews').selectAll().where('id', '=', id).executeTakeFirst();
  if (!r) throw notFound('review');
  return reviewView(r);
}

export interface ReviewDecision {
  decision: 'accept' | 'reject';
  reason: string;
  /** accept: list under this category instead of the proposed one. */
  category?: string;
}

/**
 * A supervisor's decision on a review. Accepting lists the value (a pending listing becomes
 * active); a protected value cannot be accepted while it is on the allowlist (409
 * `still_protected`). Rejecting closes the review; a pending listing is delisted.
 */
export async function decideReview(
  q: Kysely<DB>,
  bus: Publisher,
  actor: Actor,
  id: string,
  input: ReviewDecision,
  opts: { requestId?: string; now?: Date | number } = {},
): Promise<{ review: ReviewView; listing: ListingView | null }> {
  const reason = requireReason(input.reason);
  const category = input.category === undefined ? undefined : requireCategory(input.category);
  const now = opts.now === undefined ? Date.now() : new Date(opts.now).getTime();
  return inTx(q, async (tx) => {
    if (!UUID_RE.test(id)) throw notFound('review');
    await lockListingVersions(tx);
    const r = await tx.selectFrom('listing_reviews').selectAll().where('id', '=', id).executeTakeFirst();
    if (!r) throw notFound('review');
    if (r.status !== 'open') throw conflict('review_closed', `the review was ${r.status} already`);
    const review = reviewView(r);
    let listing: ListingView | null = review.listingId ? await getListingView(tx, review.listingId) : null;

    if (input.decision === 'accept') {
      const [hit] = await findProtected(tx, [
        { kind: review.kind, value: review.value, host: hostOfValue(review.kind, review.value) },
      ]);
      if (hit) {
        throw conflict(
          'still_protected',
          `the value is on the allowlist (${hit.label}): remove it from the allowlist before listing it`,
        );
      }
      if (review.reason === 'low_confidence' && listing && listing.status !== 'active') {
        const exp = listing.expiresAt === null ? null : listing.expiresAt.getTime();
        listing = await commit(
          tx,
          bus,
          actor,
          listing,
          {
            status: 'active',
            ...(category && category !== listing.category ? { category } : {}),
            ...(exp !== null && exp <= now
              ? { expiresAt: ceilDay(now + DEFAULT_TTL_DAYS[listing.kind] * DAY_MS) }
              : {}),
          },
          'review_accepted',
          reason,
        );
      } else if (review.reason !== 'low_confidence') {
        const d = review.details;
        const source = d.source ?? {
          kind: 'analyst' as const,
          organisationId: null,
          reporterRef: '',
          trust: 0.95,
        };
        const [o] = await writeSubmissions(
          tx,
          bus,
          actor,
          [
            {
              kind: review.kind,
              value: review.value,
              host: hostOfValue(review.kind, review.value),
              category: category ?? review.category,
              source,
              evidence: d.evidence ?? [],
              ...(d.expiresAt !== undefined ? { expiresAt: d.expiresAt } : {}),
              force: true,
              action: 'review_accepted',
              reason,
            },
          ],
          { now },
        );
        if (o?.listingId) listing = await getListingView(tx, o.listingId);
      }
    } else if (review.reason === 'low_confidence' && listing && listing.status === 'pending_review') {
      listing = await commit(tx, bus, actor, listing, { status: 'delisted' }, 'review_rejected', reason);
    }

    const decided = await tx
      .updateTable('listing_reviews')
      .set({
        status: input.decision === 'accept' ? 'accepted' : 'rejected',
        decided_by: actor.name,
        decided_by_id: 'id' in actor ? actor.id : null,
        decided_at: new Date(now),
        decision_reason: reason,
        listing_id: listing?.id ?? review.listingId,
        updated_at: new Date(now),
      })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
    await audit(
      tx,
      actor,
      {
        action: `listing_review.${input.decision}`,
        targetKind: 'listing_review',
        targetId: id,
        details: { reason: review.reason, decisionReason: reason, listingId: listing?.id ?? null },
      },
      opts.requestId,
    );
    return { review: reviewView(decided), listing };
  });
}
