import crypto from 'node:crypto';
import { sql, type Kysely, type Selectable } from 'kysely';
import type { DB } from '../core/db/schema.ts';
import type { EventBus } from '../core/bus/types.ts';
import { publishAll } from '../core/bus/outbox.ts';
import type { EventMap } from '../core/bus/events.ts';
import { audit, type Actor } from '../core/audit.ts';
import { badRequest, conflict, forbidden, notFound } from '../core/errors.ts';
import type { Principal } from '../identity/model.ts';
import { piiContext, type PiiCipher } from '../privacy/crypto.ts';
import { parseIdentityDocument } from '../privacy/idnumber.ts';
import { maskIdNumber } from '../privacy/mask.ts';
import { registerEncryptedTable } from '../privacy/rotate.ts';
import { canonicalIndicator, resolveSource, writeSubmissions } from '../registry/service.ts';
import { isScamCategory, type ScamCategory } from '../registry/engine/taxonomy.ts';
import { DETECTORS, SUBJECT_KINDS, type Detection, type DetectorName, type SubjectKind } from './records.ts';
import type { DetectionStatus, DetectionsTable, RecommendedMeasure } from './tables.ts';
import './events.ts';

/**
 * Stored detections (docs/detection.md, "Detections in the registry"). Every detection from a
 * batch run, a streaming worker or an institution's own detector is stored once per episode and
 * becomes a review item for the centre's analysts, with the measures it recommends. Confirming a
 * detection of a number or an account lists it in the registry (source `detector`); rejecting it
 * is remembered with its facts, so the same subject firing again on the same facts is suppressed
 * instead of queued. Nothing is listed or restricted without an analyst: detectors are evidence,
 * not verdicts, and a wrongly cut card is a defect.
 */

registerEncryptedTable({
  table: 'detections',
  idColumn: 'id',
  keyIdColumn: 'subject_key_id',
  columns: ['subject_enc'],
});

/** A rejection keeps suppressing its subject this long. */
export const REJECTION_MEMORY_MS = 180 * 86_400_000;
/** A detection scoring this much above the rejected one is news, even on the same facts. */
export const SUPPRESS_SCORE_MARGIN = 0.1;
/** …and so is one whose facts are more than this share new (a new payer, device or cell). */
export const SUPPRESS_NEW_FACTS_SHARE = 0.5;
const MAX_FACTS = 200;
const MAX_EVIDENCE_BYTES = 16_384;

/**
 * What each detector recommends, and whether its subject can be listed. A spoofed number belongs
 * to an innocent subscriber whose number was borrowed: it is flagged for the gateways, never
 * listed. A potential victim is warned, never listed. A holder over the card limit is asked to
 * re-verify: dealers open cards in other people's names.
 */
export const DETECTOR_MEASURES: Record<
  DetectorName,
  { measures: RecommendedMeasure[]; listAs: ScamCategory | null }
> = {
  simbox: {
    measures: [
      { measure: 'restrict', target: 'subject', reason: 'the card or device runs in a SIM box' },
      { measure: 're_verify', target: 'holder', reason: 'the holder must show they use the card themselves' },
    ],
    listAs: 'sim_box',
  },
  fraud_caller: {
    measures: [
      {
        measure: 're_verify',
        target: 'holder',
        reason: 'the card is used by someone other than its real-name holder',
      },
      { measure: 'restrict', target: 'subject', reason: 'mass calls to strangers until re-verified' },
    ],
    listAs: 'card_account_dealing',
  },
  iot_misuse: {
    measures: [
      { measure: 'restrict', target: 'subject', reason: 'an IoT card making voice calls or P2P SMS' },
    ],
    listAs: 'card_account_dealing',
  },
  spoofed_caller: {
    measures: [
      {
        measure: 'flag',
        target: 'subject',
        reason: 'the number is being spoofed: block or label calls presenting it from gateways',
      },
    ],
    listAs: null,
  },
  card_limit: {
    measures: [
      {
        measure: 're_verify',
        target: 'holder',
        reason: 'more cards than the limit, or opened in a burst',
      },
    ],
    listAs: null,
  },
  mule_account: {
    measures: [
      { measure: 'flag', target: 'subject', reason: 'receives from many and passes money on fast' },
      { measure: 're_verify', target: 'holder', reason: 'the holder must explain the account’s use' },
    ],
    listAs: 'card_account_dealing',
  },
  potential_victim: {
    measures: [
      {
        measure: 'warn',
        target: 'subject',
        reason: 'called by a flagged or listed number, then paid a new or flagged payee',
      },
    ],
    listAs: null,
  },
};

/** Which registry kind a subject is listed as, when its detector lists at all. */
function listingKindOf(kind: SubjectKind): 'phone' | 'bank_account' | null {
  return kind === 'msisdn' ? 'phone' : kind === 'account' ? 'bank_account' : null;
}

export interface DetectionView {
  id: string;
  organisationId: string | null;
  detector: DetectorName;
  subjectKind: SubjectKind;
  /** The number, IMEI or account; a holder's masked id number. */
  subject: string;
  /** True for holders: the id number is personal data and never leaves the database in clear. */
  subjectMasked: boolean;
  score: number;
  window: { from: string; to: string };
  evidence: Record<string, unknown>;
  measures: RecommendedMeasure[];
  /** Whether confirming lists the subject in the registry. */
  listable: boolean;
  status: DetectionStatus;
  suppressedBy: string | null;
  listingId: string | null;
  decidedBy: string | null;
  decidedAt: string | null;
  decisionReason: string | null;
  /** Other episodes of the same subject (any status), newest first, at most 10 (detail only). */
  history?: { id: string; status: DetectionStatus; score: number; from: string; to: string }[];
  createdAt: string;
}

type Row = Selectable<DetectionsTable>;

function viewOf(r: Row): DetectionView {
  const detector = r.detector as DetectorName;
  const kind = r.subject_kind as SubjectKind;
  return {
    id: r.id,
    organisationId: r.organisation_id,
    detector,
    subjectKind: kind,
    subject: r.subject_display,
    subjectMasked: kind === 'holder',
    score: Math.round(Number(r.score) * 1000) / 1000,
    window: { from: new Date(r.window_from).toISOString(), to: new Date(r.window_to).toISOString() },
    evidence:
      typeof r.evidence === 'string' ? (JSON.parse(r.evidence) as Record<string, unknown>) : r.evidence,
    measures: typeof r.measures === 'string' ? (JSON.parse(r.measures) as RecommendedMeasure[]) : r.measures,
    listable: DETECTOR_MEASURES[detector].listAs !== null && listingKindOf(kind) !== null,
    status: r.status,
    suppressedBy: r.suppressed_by,
    listingId: r.listing_id,
    decidedBy: r.decided_by,
    decidedAt: r.decided_at === null ? null : new Date(r.decided_at).toISOString(),
    decisionReason: r.decision_reason,
    createdAt: new Date(r.created_at).toISOString(),
  };
}

/**
 * The identifiers an evidence object names (string leaves: cells, IMEIs, numbers, accounts,
 * rules), sorted and capped: "the same facts" is compared on these, never on counts that grow.
 */
export function factsOf(evidence: unknown): string[] {
  const out = new Set<string>();
  const walk = (v: unknown, depth: number): void => {
    if (out.size >= MAX_FACTS || depth > 4) return;
    if (typeof v === 'string') {
      if (v.length <= 100) out.add(v);
    } else if (Array.isArray(v)) for (const x of v) walk(x, depth + 1);
    else if (v !== null && typeof v === 'object') for (const x of Object.values(v)) walk(x, depth + 1);
  };
  walk(evidence, 0);
  return [...out].sort();
}

/**
 * Whether a new detection repeats a rejected one: no clearly higher score, and at most
 * SUPPRESS_NEW_FACTS_SHARE of its facts new.
 */
export function repeatsRejection(
  next: { score: number; facts: readonly string[] },
  rejected: { score: number; facts: readonly string[] },
): boolean {
  if (next.score >= rejected.score + SUPPRESS_SCORE_MARGIN) return false;
  if (next.facts.length === 0) return true;
  const known = new Set(rejected.facts);
  let fresh = 0;
  for (const f of next.facts) if (!known.has(f)) fresh++;
  return fresh / next.facts.length <= SUPPRESS_NEW_FACTS_SHARE;
}

/** The stored key of a holder: the keyed hash the persons table uses, so the two can be joined. */
export function holderKey(pii: PiiCipher, holderId: string): string {
  try {
    const doc = parseIdentityDocument(holderId);
    return pii.lookupHash('id_number', `${doc.type}:${doc.value}`);
  } catch {
    return pii.lookupHash('holder_id', holderId.trim());
  }
}

export interface StoreServices {
  db: Kysely<DB>;
  bus: Pick<EventBus, 'publish'>;
  pii: PiiCipher;
}

export interface RecordResult {
  /** New review items (open). */
  stored: number;
  /** Already stored for this episode (a rerun or a replay): nothing reported twice. */
  duplicates: number;
  /** Repeating the facts of a rejected detection: stored as suppressed, not queued. */
  suppressed: number;
  ids: string[];
}

/** Checks a detection from outside (an institution's detector, a file): 400 on anything malformed. */
export function checkDetection(d: Detection, i = 0): void {
  const at = `detection ${i + 1}`;
  if (!(DETECTORS as readonly string[]).includes(d.detector))
    throw badRequest('invalid_detection', `${at}: detector must be one of ${DETECTORS.join(', ')}`);
  if (!(SUBJECT_KINDS as readonly string[]).includes(d.subjectKind))
    throw badRequest('invalid_detection', `${at}: subjectKind must be one of ${SUBJECT_KINDS.join(', ')}`);
  if (typeof d.subject !== 'string' || !d.subject.trim() || d.subject.length > 100)
    throw badRequest('invalid_detection', `${at}: subject is 1–100 characters`);
  if (!(d.score >= 0 && d.score <= 1)) throw badRequest('invalid_detection', `${at}: score is 0..1`);
  const { from, to } = d.window ?? {};
  if (!Number.isFinite(from) || !Number.isFinite(to) || (to as number) < (from as number))
    throw badRequest('invalid_detection', `${at}: window needs from ≤ to (epoch ms)`);
  if (JSON.stringify(d.evidence ?? {}).length > MAX_EVIDENCE_BYTES)
    throw badRequest('invalid_detection', `${at}: evidence is at most ${MAX_EVIDENCE_BYTES} bytes of JSON`);
}

/**
 * Stores detections idempotently, each once per (organisation, detector, subject, episode
 * start): the second time it is a duplicate and changes nothing. New ones whose subject was
 * rejected before on the same facts are stored as `suppressed`. One `detection.raised` event per
 * new open detection, in the same transaction.
 */
export async function recordDetections(
  s: StoreServices,
  organisationId: string | null,
  detections: readonly Detection[],
  opts: { now?: number } = {},
): Promise<RecordResult> {
  const out: RecordResult = { stored: 0, duplicates: 0, suppressed: 0, ids: [] };
  if (detections.length === 0) return out;
  detections.forEach(checkDetection);
  const now = opts.now ?? Date.now();
  // Batches keep each transaction short (PGlite has one connection).
  for (let i = 0; i < detections.length; i += 500) {
    await s.db.transaction().execute(async (tx) => {
      const batch = detections.slice(i, i + 500);
      const rows = batch.map((d) => rowOf(s.pii, organisationId, d));
      const rejected = await latestRejections(
        tx,
        rows.map((r) => [r.detector, r.subject_kind, r.subject_key] as const),
        now,
      );
      for (const r of rows) {
        const rej = rejected.get(`${r.detector}\u0000${r.subject_kind}\u0000${r.subject_key}`);
        if (rej && repeatsRejection({ score: r.score, facts: r.facts }, rej)) {
          r.status = 'suppressed';
          r.suppressed_by = rej.id;
        }
      }
      const inserted = await tx
        .insertInto('detections')
        .values(rows)
        .onConflict((oc) =>
          oc
            .columns(['organisation_id', 'detector', 'subject_kind', 'subject_key', 'window_from'])
            .doNothing(),
        )
        .returning(['id', 'status'])
        .execute();
      const fresh = new Set(inserted.map((x) => x.id));
      out.duplicates += rows.length - inserted.length;
      const events: { type: 'detection.raised'; data: EventMap['detection.raised'] }[] = [];
      for (const r of rows) {
        if (!fresh.has(r.id)) continue;
        out.ids.push(r.id);
        if (r.status === 'suppressed') {
          out.suppressed++;
          continue;
        }
        out.stored++;
        events.push({
          type: 'detection.raised',
          data: {
            id: r.id,
            detector: r.detector as DetectorName,
            subjectKind: r.subject_kind as SubjectKind,
            subject: r.subject_key,
            score: r.score,
            organisationId,
            measures: DETECTOR_MEASURES[r.detector as DetectorName].measures.map((m) => m.measure),
          },
        });
      }
      await publishAll(s.bus, tx, events);
    });
  }
  return out;
}

type NewRow = {
  id: string;
  organisation_id: string | null;
  detector: string;
  subject_kind: string;
  subject_key: string;
  subject_display: string;
  subject_key_id: string | null;
  subject_enc: Uint8Array | null;
  score: number;
  window_from: Date;
  window_to: Date;
  evidence: string;
  facts: string[];
  measures: string;
  status: DetectionStatus;
  suppressed_by: string | null;
};

function rowOf(pii: PiiCipher, organisationId: string | null, d: Detection): NewRow {
  const id = crypto.randomUUID();
  let key = d.subject.trim();
  let display = key;
  let keyId: string | null = null;
  let enc: Uint8Array | null = null;
  if (d.subjectKind === 'holder') {
    const holder = key;
    key = holderKey(pii, holder);
    display = maskIdNumber(holder);
    const e = pii.encrypt(holder, piiContext('detections', 'subject_enc', id));
    keyId = e.keyId;
    enc = e.ciphertext;
  }
  const evidence = d.evidence ?? {};
  return {
    id,
    organisation_id: organisationId,
    detector: d.detector,
    subject_kind: d.subjectKind,
    subject_key: key,
    subject_display: display,
    subject_key_id: keyId,
    subject_enc: enc,
    score: Math.round(d.score * 1000) / 1000,
    window_from: new Date(d.window.from),
    window_to: new Date(d.window.to),
    evidence: JSON.stringify(evidence),
    facts: factsOf(evidence),
    measures: JSON.stringify(DETECTOR_MEASURES[d.detector].measures),
    status: 'open',
    suppressed_by: null,
  };
}

async function latestRejections(
  q: Kysely<DB>,
  subjects: readonly (readonly [string, string, string])[],
  now: number,
): Promise<Map<string, { id: string; score: number; facts: string[] }>> {
  const out = new Map<string, { id: string; score: number; facts: string[] }>();
  if (subjects.length === 0) return out;
  const keys = [...new Set(subjects.map((s) => s[2]))];
  const rows = await q
    .selectFrom('detections')
    .select(['id', 'detector', 'subject_kind', 'subject_key', 'score', 'facts', 'decided_at'])
    .where('status', '=', 'rejected')
    .where('subject_key', 'in', keys)
    .where('decided_at', '>=', new Date(now - REJECTION_MEMORY_MS))
    .orderBy('decided_at', 'desc')
    .execute();
  for (const r of rows) {
    const k = `${r.detector}\u0000${r.subject_kind}\u0000${r.subject_key}`;
    if (!out.has(k)) out.set(k, { id: r.id, score: Number(r.score), facts: r.facts ?? [] });
  }
  return out;
}

/** Centre staff see every detection; an operator's or bank's people only their own organisation's. */
function visibleOrg(p: Principal): string | null | 'all' {
  if (p.kind === 'user' && p.organisationKind === 'anti_fraud_centre') {
    if (!p.roles.some((r) => r === 'analyst' || r === 'supervisor' || r === 'auditor')) throw forbidden();
    return 'all';
  }
  return p.organisationId;
}

export interface ListQuery {
  status?: DetectionStatus | undefined;
  detector?: DetectorName | undefined;
  subjectKind?: SubjectKind | undefined;
  /** A number, IMEI or account, or a holder's id number (matched through its keyed hash). */
  subject?: string | undefined;
  minScore?: number | undefined;
  limit?: number | undefined;
  /** Paging: the `next` of the previous page. */
  after?: string | undefined;
}

/**
 * The review queue: open detections by score, highest first (other statuses newest first), with
 * a cursor for the next page.
 */
export async function listDetections(
  s: { db: Kysely<DB>; pii: PiiCipher },
  reader: Principal,
  query: ListQuery,
): Promise<{ items: DetectionView[]; next: string | null }> {
  const org = visibleOrg(reader);
  const limit = Math.min(Math.max(query.limit ?? 50, 1), 500);
  const status = query.status ?? 'open';
  let q = s.db.selectFrom('detections').selectAll().where('status', '=', status);
  if (org !== 'all')
    q = org === null ? q.where('organisation_id', 'is', null) : q.where('organisation_id', '=', org);
  if (query.detector) q = q.where('detector', '=', query.detector);
  if (query.subjectKind) q = q.where('subject_kind', '=', query.subjectKind);
  if (query.minScore !== undefined) q = q.where('score', '>=', query.minScore);
  if (query.subject) {
    const v = query.subject.trim();
    q = q.where('subject_key', 'in', [v, holderKey(s.pii, v)]);
  }
  // Cursor: "<score>|<created_at ISO>|<id>" for the queue, "<created_at ISO>|<id>" otherwise.
  const byScore = status === 'open';
  if (query.after) {
    const parts = query.after.split('|');
    if (byScore) {
      const [sc, at, id] = parts;
      if (parts.length !== 3 || !Number.isFinite(Number(sc)) || Number.isNaN(Date.parse(at!)))
        throw badRequest('invalid_cursor', 'after must be the `next` of a previous page');
      q = q.where(
        sql<boolean>`(score, created_at, id) < (${Number(sc)}::real, ${new Date(at!)}, ${id}::uuid)`,
      );
    } else {
      const [at, id] = parts;
      if (parts.length !== 2 || Number.isNaN(Date.parse(at!)))
        throw badRequest('invalid_cursor', 'after must be the `next` of a previous page');
      q = q.where(sql<boolean>`(created_at, id) < (${new Date(at!)}, ${id}::uuid)`);
    }
  }
  q = byScore
    ? q.orderBy('score', 'desc').orderBy('created_at', 'desc').orderBy('id', 'desc')
    : q.orderBy('created_at', 'desc').orderBy('id', 'desc');
  const rows = await q.limit(limit + 1).execute();
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  const next =
    rows.length > limit && last
      ? byScore
        ? `${Number(last.score)}|${new Date(last.created_at).toISOString()}|${last.id}`
        : `${new Date(last.created_at).toISOString()}|${last.id}`
      : null;
  return { items: page.map(viewOf), next };
}

/** Counts per detector and status, within what the reader may see. */
export async function detectionSummary(
  db: Kysely<DB>,
  reader: Principal,
): Promise<{ detector: DetectorName; status: DetectionStatus; count: number }[]> {
  const org = visibleOrg(reader);
  let q = db
    .selectFrom('detections')
    .select(['detector', 'status', sql<number>`count(*)::int`.as('n')])
    .groupBy(['detector', 'status']);
  if (org !== 'all')
    q = org === null ? q.where('organisation_id', 'is', null) : q.where('organisation_id', '=', org);
  const rows = await q.execute();
  return rows
    .map((r) => ({ detector: r.detector as DetectorName, status: r.status, count: Number(r.n) }))
    .sort(
      (a, b) =>
        DETECTORS.indexOf(a.detector) - DETECTORS.indexOf(b.detector) || (a.status < b.status ? -1 : 1),
    );
}

export async function getDetection(
  s: { db: Kysely<DB> },
  reader: Principal,
  id: string,
): Promise<DetectionView> {
  const org = visibleOrg(reader);
  const r = await s.db.selectFrom('detections').selectAll().where('id', '=', id).executeTakeFirst();
  if (!r || (org !== 'all' && r.organisation_id !== org)) throw notFound('detection');
  const v = viewOf(r);
  const others = await s.db
    .selectFrom('detections')
    .select(['id', 'status', 'score', 'window_from', 'window_to'])
    .where('detector', '=', r.detector)
    .where('subject_kind', '=', r.subject_kind)
    .where('subject_key', '=', r.subject_key)
    .where('id', '!=', r.id)
    .$if(org !== 'all', (q) =>
      org === null ? q.where('organisation_id', 'is', null) : q.where('organisation_id', '=', org as string),
    )
    .orderBy('window_from', 'desc')
    .limit(10)
    .execute();
  v.history = others.map((o) => ({
    id: o.id,
    status: o.status,
    score: Math.round(Number(o.score) * 1000) / 1000,
    from: new Date(o.window_from).toISOString(),
    to: new Date(o.window_to).toISOString(),
  }));
  return v;
}

export interface DetectionDecision {
  decision: 'confirm' | 'reject';
  reason: string;
  /** confirm: list under this category instead of the detector's default. */
  category?: string | undefined;
}

/**
 * An analyst's decision. Confirming a listable detection (a number or an account from a detector
 * that lists) submits it to the registry with a `detector` source (the registry's own gates,
 * the allowlist and look-alikes, still apply); other confirmed detections hand their measures to
 * governance through `detection.decided`. Rejecting remembers the facts. Decided once (409 after).
 */
export async function decideDetection(
  s: StoreServices,
  actor: Principal,
  id: string,
  input: DetectionDecision,
  opts: { requestId?: string; now?: number } = {},
): Promise<DetectionView> {
  const reason = input.reason.trim();
  if (!reason) throw badRequest('reason_required', 'a decision needs a reason');
  if (input.category !== undefined && !isScamCategory(input.category))
    throw badRequest('invalid_category', `unknown category ${input.category}`);
  const now = opts.now ?? Date.now();
  await s.db.transaction().execute(async (tx) => {
    const r = await tx
      .selectFrom('detections')
      .selectAll()
      .where('id', '=', id)
      .forUpdate()
      .executeTakeFirst();
    if (!r) throw notFound('detection');
    if (r.status === 'confirmed' || r.status === 'rejected')
      throw conflict('detection_decided', `the detection was ${r.status} already`);
    const detector = r.detector as DetectorName;
    const kind = r.subject_kind as SubjectKind;
    let listingId: string | null = null;
    const rule = DETECTOR_MEASURES[detector];
    const listKind = listingKindOf(kind);
    if (input.decision === 'confirm' && rule.listAs !== null && listKind !== null) {
      const canon = canonicalIndicator(listKind, r.subject_key);
      if (!canon.ok) throw badRequest('unlistable_subject', `${r.subject_display}: ${canon.reason}`);
      const [o] = await writeSubmissions(
        tx,
        s.bus,
        actor as Actor,
        [
          {
            kind: canon.kind,
            value: canon.value,
            host: canon.host,
            category: (input.category as ScamCategory | undefined) ?? rule.listAs,
            source: resolveSource({
              kind: 'detector',
              organisationId: r.organisation_id,
              reporterRef: detector,
              score: Number(r.score),
            }),
            evidence: [`detection:${r.id}`],
            // The analyst confirmed it: no low-confidence gate, but the allowlist still applies.
            force: true,
            reason,
          },
        ],
        { now },
      );
      listingId = o?.listingId ?? null;
    }
    const status = input.decision === 'confirm' ? 'confirmed' : 'rejected';
    await tx
      .updateTable('detections')
      .set({
        status,
        listing_id: listingId,
        decided_by: actor.name,
        decided_at: new Date(now),
        decision_reason: reason,
        updated_at: new Date(now),
      })
      .where('id', '=', id)
      .execute();
    await s.bus.publish(tx, 'detection.decided', {
      id,
      detector,
      subjectKind: kind,
      subject: r.subject_key,
      decision: input.decision,
      listingId,
      measures: input.decision === 'confirm' ? rule.measures.map((m) => m.measure) : [],
    });
    await audit(
      tx,
      actor as Actor,
      {
        action: `detection.${input.decision}`,
        targetKind: 'detection',
        targetId: id,
        details: { reason, detector, subjectKind: kind, listingId, previous: r.status },
      },
      opts.requestId,
    );
  });
  return getDetection(s, actor, id);
}
