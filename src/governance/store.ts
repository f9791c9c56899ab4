import crypto from 'node:crypto';
import { sql, type Kysely, type Selectable } from 'kysely';
import type { DB } from '../core/db/schema.ts';
import type { EventBus } from '../core/bus/types.ts';
import { publishAll } from '../core/bus/outbox.ts';
import type { EventType } from '../core/bus/events.ts';
import { actorColumns, audit, SYSTEM, timelineEntry, type Actor } from '../core/audit.ts';
import { AppError, badRequest, conflict, forbidden, notFound } from '../core/errors.ts';
import type { Principal } from '../identity/model.ts';
import { piiContext, type PiiCipher } from '../privacy/crypto.ts';
import { maskIdNumber } from '../privacy/mask.ts';
import { registerEncryptedTable } from '../privacy/rotate.ts';
import { canonicalIndicator } from '../registry/service.ts';
import { DETECTOR_MEASURES, holderKey } from '../detection/store.ts';
import type { DetectorName, SubjectKind } from '../detection/records.ts';
import {
  DEFAULT_DEADLINE_MINUTES,
  DEFAULT_REVIEW_DAYS,
  INSTRUCTION_APPROVAL_THRESHOLD,
  LEGAL_BASIS_IDS,
  MEASURE_TARGETS,
  MEASURES_NEEDING_APPROVAL,
  TARGET_INSTITUTIONS,
  type LegalBasisId,
} from './catalogue.ts';
import {
  CARD_FUNCTIONS,
  type CardFunction,
  type InstructionAction,
  type InstructionMeasure,
  type InstructionsTable,
  type InstructionStatus,
  type TargetKind,
} from './tables.ts';
import './events.ts';

/**
 * Disposal instructions (docs/governance.md): the one channel through which the centre tells an
 * operator, bank or internet service to act on a card, account, link or person. Each names its
 * reason and legal basis, goes to exactly one institution, must be acknowledged (received,
 * executed) or contested, and every change is a timeline entry, an audit record and an event,
 * written in one transaction. Heavy measures and large batches from analysts wait for a
 * supervisor: a wrongly cut card is a citizen without a phone.
 */

registerEncryptedTable({
  table: 'instructions',
  idColumn: 'id',
  keyIdColumn: 'target_key_id',
  columns: ['target_enc'],
});

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
/** Longest deadline an issuer may set: a month. */
export const MAX_DEADLINE_MINUTES = 31 * 24 * 60;

export interface GovernanceServices {
  db: Kysely<DB>;
  bus: Pick<EventBus, 'publish'>;
  pii: PiiCipher;
}

export interface TimelineEntry {
  at: string;
  action: InstructionAction;
  status: InstructionStatus;
  actor: string;
  actorKind: string;
  organisationId: string | null;
  note: string | null;
}

export interface InstructionView {
  id: string;
  status: InstructionStatus;
  target: { kind: TargetKind; value: string; masked: boolean };
  measure: InstructionMeasure;
  functions: CardFunction[];
  reason: string;
  legalBasis: LegalBasisId;
  issuingOrganisationId: string;
  issuedBy: string;
  receivingOrganisationId: string;
  receivingOrganisation: string;
  /** The receiving institution's IANA zone: deadlines are shown in it. */
  timeZone: string;
  deadlineMinutes: number;
  /** Null until issued. */
  deadline: string | null;
  /** The deadline in the institution's local time, with its offset. */
  deadlineLocal: string | null;
  expiresAt: string;
  expiresAtLocal: string;
  detectionId: string | null;
  listingId: string | null;
  approvedBy: string | null;
  approvedAt: string | null;
  issuedAt: string | null;
  receivedAt: string | null;
  executedAt: string | null;
  executionNote: string | null;
  contestedAt: string | null;
  contestReason: string | null;
  withdrawnAt: string | null;
  withdrawReason: string | null;
  overdue: boolean;
  overdueAt: string | null;
  /** restore: the instruction it undoes. */
  restoresInstructionId: string | null;
  /** lifted or restore: the upheld appeal behind it. */
  appealId: string | null;
  createdAt: string;
  /** Detail only: every change, oldest first. */
  timeline?: TimelineEntry[];
  /** Detail only: the restore instructions sent to undo this one. */
  restoredBy?: string[];
}

type Row = Selectable<InstructionsTable> & { time_zone: string; receiving_name: string };

const isoOrNull = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());

/**
 * An instant as local wall time in `timeZone` with its UTC offset (`2026-11-02T16:00:00+08:00`):
 * what the institution's staff read. An unknown zone falls back to UTC rather than failing a read.
 */
export function localTime(at: Date, timeZone: string): string {
  let parts: Intl.DateTimeFormatPart[];
  try {
    parts = new Intl.DateTimeFormat('en-CA', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
      timeZoneName: 'longOffset',
    }).formatToParts(at);
  } catch {
    return at.toISOString().replace(/\.\d{3}Z$/, '+00:00');
  }
  const p = Object.fromEntries(parts.map((x) => [x.type, x.value])) as Record<string, string>;
  const zone = p.timeZoneName ?? 'GMT';
  const offset = zone === 'GMT' ? '+00:00' : zone.replace('GMT', '');
  return `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}:${p.second}${offset}`;
}

function viewOf(r: Row): InstructionView {
  const deadline = r.deadline_at === null ? null : new Date(r.deadline_at);
  const expires = new Date(r.expires_at);
  return {
    id: r.id,
    status: r.status,
    target: { kind: r.target_kind, value: r.target_display, masked: r.target_kind === 'holder' },
    measure: r.measure,
    functions: r.functions ?? [],
    reason: r.reason,
    legalBasis: r.legal_basis as LegalBasisId,
    issuingOrganisationId: r.issuing_organisation_id,
    issuedBy: r.issued_by,
    receivingOrganisationId: r.receiving_organisation_id,
    receivingOrganisation: r.receiving_name,
    timeZone: r.time_zone,
    deadlineMinutes: r.deadline_minutes,
    deadline: deadline?.toISOString() ?? null,
    deadlineLocal: deadline ? localTime(deadline, r.time_zone) : null,
    expiresAt: expires.toISOString(),
    expiresAtLocal: localTime(expires, r.time_zone),
    detectionId: r.detection_id,
    listingId: r.listing_id,
    approvedBy: r.approved_by,
    approvedAt: isoOrNull(r.approved_at),
    issuedAt: isoOrNull(r.issued_at),
    receivedAt: isoOrNull(r.received_at),
    executedAt: isoOrNull(r.executed_at),
    executionNote: r.execution_note,
    contestedAt: isoOrNull(r.contested_at),
    contestReason: r.contest_reason,
    withdrawnAt: isoOrNull(r.withdrawn_at),
    withdrawReason: r.withdraw_reason,
    overdue: r.overdue_at !== null,
    overdueAt: isoOrNull(r.overdue_at),
    restoresInstructionId: r.restores_instruction_id,
    appealId: r.appeal_id,
    createdAt: new Date(r.created_at).toISOString(),
  };
}

const selectRows = (q: Kysely<DB>) =>
  q
    .selectFrom('instructions as i')
    .innerJoin('organisations as o', 'o.id', 'i.receiving_organisation_id')
    .selectAll('i')
    .select(['o.time_zone as time_zone', 'o.name as receiving_name']);

async function loadViews(q: Kysely<DB>, ids: readonly string[]): Promise<InstructionView[]> {
  if (ids.length === 0) return [];
  const rows = await selectRows(q).where('i.id', 'in', ids).execute();
  const byId = new Map(rows.map((r) => [r.id, viewOf(r as Row)]));
  return ids.map((id) => byId.get(id)).filter((v): v is InstructionView => v !== undefined);
}

// --- Targets ------------------------------------------------------------------------------------

interface PreparedTarget {
  key: string;
  display: string;
  keyId: string | null;
  enc: Uint8Array | null;
}

/** The canonical form of a target (the registry's normalisers), or 400. A holder is encrypted under `id`. */
export function prepareTarget(pii: PiiCipher, id: string, kind: TargetKind, raw: string): PreparedTarget {
  const value = raw.trim();
  if (!value) throw badRequest('invalid_target', 'target.value is required');
  if (kind === 'holder') {
    const e = pii.encrypt(value, piiContext('instructions', 'target_enc', id));
    return { key: holderKey(pii, value), display: maskIdNumber(value), keyId: e.keyId, enc: e.ciphertext };
  }
  const tries =
    kind === 'msisdn'
      ? (['phone'] as const)
      : kind === 'account'
        ? (['bank_account', 'payment_account'] as const)
        : ([kind] as const);
  let reason = '';
  for (const k of tries) {
    const c = canonicalIndicator(k, value);
    if (c.ok) return { key: c.value, display: c.value, keyId: null, enc: null };
    reason ||= c.reason;
  }
  throw badRequest('invalid_target', `target.value is not a valid ${kind}: ${reason}`);
}

// --- Creating -----------------------------------------------------------------------------------

export interface InstructionInput {
  target: { kind: TargetKind; value: string };
  measure: InstructionMeasure;
  functions?: CardFunction[] | undefined;
  reason: string;
  legalBasis: string;
  receivingOrganisationId: string;
  /** Minutes from issue; default by measure (DEFAULT_DEADLINE_MINUTES). */
  deadlineMinutes?: number | undefined;
  /** Expiry or review date (ISO 8601); default by measure (DEFAULT_REVIEW_DAYS). */
  expiresAt?: string | undefined;
  detectionId?: string | undefined;
  listingId?: string | undefined;
  /** The issuer's own reference: the same reference from the same organisation finds the first. */
  ref?: string | undefined;
}

interface Plan {
  id: string;
  kind: TargetKind;
  target: PreparedTarget;
  measure: InstructionMeasure;
  functions: CardFunction[];
  reason: string;
  legalBasis: LegalBasisId;
  receivingOrganisationId: string;
  deadlineMinutes: number;
  expiresAt: Date;
  detectionId: string | null;
  listingId: string | null;
  ref?: string | null;
  restoresInstructionId?: string | null;
  appealId?: string | null;
}

export function checkLegalBasis(v: string): LegalBasisId {
  if (!(LEGAL_BASIS_IDS as readonly string[]).includes(v))
    throw badRequest('invalid_legal_basis', `legalBasis must be one of ${LEGAL_BASIS_IDS.join(', ')}`);
  return v as LegalBasisId;
}

export function checkMeasure(
  kind: TargetKind,
  measure: InstructionMeasure,
  functions: readonly string[],
): void {
  const fits = MEASURE_TARGETS[measure];
  if (!fits.includes(kind))
    throw badRequest(
      'measure_target_mismatch',
      `${measure} applies to ${fits.join(' or ')} targets, not to a ${kind}`,
    );
  if (measure === 'restrict_functions') {
    if (functions.length === 0)
      throw badRequest(
        'functions_required',
        `restrict_functions needs functions among ${CARD_FUNCTIONS.join(', ')}`,
      );
    const bad = functions.filter((f) => !(CARD_FUNCTIONS as readonly string[]).includes(f));
    if (bad.length) throw badRequest('invalid_functions', `unknown functions: ${bad.join(', ')}`);
  } else if (functions.length) {
    throw badRequest('functions_not_applicable', 'functions apply to restrict_functions only');
  }
}

/** The receiving institution: an operator, bank or internet service that can carry out this target's measures. */
export async function checkInstitution(q: Kysely<DB>, id: string, kind: TargetKind): Promise<void> {
  const org = await q.selectFrom('organisations').select(['kind']).where('id', '=', id).executeTakeFirst();
  if (!org) throw badRequest('unknown_institution', 'receivingOrganisationId names no organisation');
  const allowed = TARGET_INSTITUTIONS[kind];
  if (!(allowed as readonly string[]).includes(org.kind))
    throw badRequest(
      'institution_kind_mismatch',
      `a ${kind} target is instructed to a ${allowed.join(' or ')}, not to a ${org.kind}`,
    );
}

export function expiryOf(measure: InstructionMeasure, input: string | undefined, now: number): Date {
  if (input === undefined) return new Date(now + DEFAULT_REVIEW_DAYS[measure] * DAY_MS);
  const t = Date.parse(input);
  if (Number.isNaN(t)) throw badRequest('invalid_expiry', 'expiresAt must be an ISO 8601 date or time');
  if (t <= now) throw badRequest('invalid_expiry', 'expiresAt must be in the future');
  return new Date(t);
}

export function deadlineOf(measure: InstructionMeasure, minutes: number | undefined): number {
  const m = minutes ?? DEFAULT_DEADLINE_MINUTES[measure];
  if (!Number.isInteger(m) || m < 1 || m > MAX_DEADLINE_MINUTES)
    throw badRequest(
      'invalid_deadline',
      `deadlineMinutes is a whole number from 1 to ${MAX_DEADLINE_MINUTES}`,
    );
  return m;
}

function isCentreStaff(p: Principal, roles: readonly string[]): boolean {
  return (
    p.kind === 'user' && p.organisationKind === 'anti_fraud_centre' && p.roles.some((r) => roles.includes(r))
  );
}

function requireIssuer(p: Principal): void {
  if (!isCentreStaff(p, ['analyst', 'supervisor']))
    throw forbidden("instructions are issued by the centre's analysts and supervisors");
}

const isSupervisor = (p: Principal) => p.roles.includes('supervisor');

/** Whether a new instruction waits for a supervisor: an analyst's heavy measure, or part of a large request. */
function needsApproval(
  p: Principal,
  measure: InstructionMeasure,
  requestSize: number,
  threshold: number,
): boolean {
  if (isSupervisor(p)) return false;
  return MEASURES_NEEDING_APPROVAL.includes(measure) || requestSize > threshold;
}

type BusEvent = { type: EventType; data: unknown };

function targetFields(r: { target_kind: TargetKind; target_key: string }) {
  return { targetKind: r.target_kind, target: r.target_key };
}

function issuedEvent(r: Selectable<InstructionsTable>): BusEvent {
  return {
    type: 'instruction.issued',
    data: {
      id: r.id,
      measure: r.measure,
      functions: r.functions ?? [],
      ...targetFields(r),
      legalBasis: r.legal_basis,
      issuingOrganisationId: r.issuing_organisation_id,
      receivingOrganisationId: r.receiving_organisation_id,
      deadline: new Date(r.deadline_at!).toISOString(),
      expiresAt: new Date(r.expires_at).toISOString(),
      detectionId: r.detection_id,
      listingId: r.listing_id,
    },
  };
}

function changeEvent(
  type: EventType,
  r: Selectable<InstructionsTable>,
  status: InstructionStatus,
  extra: Record<string, unknown> = {},
): BusEvent {
  return {
    type,
    data: {
      id: r.id,
      measure: r.measure,
      ...targetFields(r),
      receivingOrganisationId: r.receiving_organisation_id,
      status,
      ...extra,
    },
  };
}

async function timeline(
  q: Kysely<DB>,
  entries: {
    id: string;
    action: InstructionAction;
    status: InstructionStatus;
    note?: string | null;
    at: Date;
  }[],
  actor: Actor,
): Promise<void> {
  if (entries.length === 0) return;
  const who = actorColumns(actor);
  await q
    .insertInto('instruction_events')
    .values(
      entries.map((e) => ({
        instruction_id: e.id,
        at: e.at,
        action: e.action,
        status: e.status,
        note: e.note ?? null,
        ...who,
      })),
    )
    .execute();
}

/** Inserts planned instructions (issued at once, or awaiting approval), with timeline, audit and events. */
async function insertPlans(
  tx: Kysely<DB>,
  s: GovernanceServices,
  issuer: Principal,
  plans: readonly Plan[],
  awaiting: (p: Plan) => boolean,
  now: number,
  requestId: string | undefined,
): Promise<void> {
  if (plans.length === 0) return;
  const at = new Date(now);
  const rows = plans.map((p) => {
    const wait = awaiting(p);
    return {
      id: p.id,
      status: (wait ? 'awaiting_approval' : 'issued') as InstructionStatus,
      target_kind: p.kind,
      target_key: p.target.key,
      target_display: p.target.display,
      target_key_id: p.target.keyId,
      target_enc: p.target.enc,
      measure: p.measure,
      functions: p.functions,
      reason: p.reason,
      legal_basis: p.legalBasis,
      issuing_organisation_id: issuer.organisationId,
      issued_by_id: issuer.id,
      issued_by: issuer.name,
      receiving_organisation_id: p.receivingOrganisationId,
      deadline_minutes: p.deadlineMinutes,
      deadline_at: wait ? null : new Date(now + p.deadlineMinutes * MINUTE_MS),
      expires_at: p.expiresAt,
      detection_id: p.detectionId,
      listing_id: p.listingId,
      external_ref: p.ref ?? null,
      restores_instruction_id: p.restoresInstructionId ?? null,
      appeal_id: p.appealId ?? null,
      issued_at: wait ? null : at,
      created_at: at,
      updated_at: at,
    };
  });
  const inserted = await tx.insertInto('instructions').values(rows).returningAll().execute();
  await timeline(
    tx,
    inserted.map((r) => ({ id: r.id, action: 'created' as const, status: r.status, at })),
    issuer as Actor,
  );
  for (const r of inserted)
    await audit(
      tx,
      issuer as Actor,
      {
        action: 'instruction.create',
        targetKind: 'instruction',
        targetId: r.id,
        details: {
          status: r.status,
          measure: r.measure,
          targetKind: r.target_kind,
          target: r.target_key,
          receivingOrganisationId: r.receiving_organisation_id,
          legalBasis: r.legal_basis,
          detectionId: r.detection_id,
        },
      },
      requestId,
    );
  await publishAll(s.bus, tx, inserted.filter((r) => r.status === 'issued').map(issuedEvent));
}

/** One instruction from an analyst or supervisor. A detection's measure already instructed answers the existing one. */
export async function createInstruction(
  s: GovernanceServices,
  issuer: Principal,
  input: InstructionInput,
  opts: { requestId?: string; now?: number } = {},
): Promise<{ instruction: InstructionView; created: boolean }> {
  requireIssuer(issuer);
  const now = opts.now ?? Date.now();
  const reason = input.reason.trim();
  if (!reason) throw badRequest('reason_required', 'an instruction needs a reason');
  const legalBasis = checkLegalBasis(input.legalBasis);
  if (input.measure === 'restore')
    throw badRequest(
      'restore_not_issued',
      'restore instructions are sent by the platform when an appeal is upheld or a carried-out instruction is withdrawn',
    );
  const functions = [...new Set(input.functions ?? [])];
  checkMeasure(input.target.kind, input.measure, functions);
  const deadlineMinutes = deadlineOf(input.measure, input.deadlineMinutes);
  const expiresAt = expiryOf(input.measure, input.expiresAt, now);
  const id = crypto.randomUUID();
  const target = prepareTarget(s.pii, id, input.target.kind, input.target.value);
  let existing: string | null = null;
  await s.db.transaction().execute(async (tx) => {
    await checkInstitution(tx, input.receivingOrganisationId, input.target.kind);
    if (input.detectionId) {
      const d = await tx
        .selectFrom('detections')
        .select('id')
        .where('id', '=', input.detectionId)
        .executeTakeFirst();
      if (!d) throw badRequest('unknown_detection', 'detectionId names no detection');
      const prior = await tx
        .selectFrom('instructions')
        .select('id')
        .where('detection_id', '=', input.detectionId)
        .where('measure', '=', input.measure)
        .executeTakeFirst();
      if (prior) {
        existing = prior.id;
        return;
      }
    }
    const ref = input.ref?.trim();
    if (ref) {
      if (ref.length > 200) throw badRequest('invalid_ref', 'a reference is at most 200 characters');
      const prior = await tx
        .selectFrom('instructions')
        .select('id')
        .where('issuing_organisation_id', '=', issuer.organisationId)
        .where('external_ref', '=', ref)
        .executeTakeFirst();
      if (prior) {
        existing = prior.id;
        return;
      }
    }
    if (input.listingId) {
      const l = await tx
        .selectFrom('listings')
        .select('id')
        .where('id', '=', input.listingId)
        .executeTakeFirst();
      if (!l) throw badRequest('unknown_listing', 'listingId names no listing');
    }
    const plan: Plan = {
      id,
      kind: input.target.kind,
      target,
      measure: input.measure,
      functions,
      reason,
      legalBasis,
      receivingOrganisationId: input.receivingOrganisationId,
      deadlineMinutes,
      expiresAt,
      detectionId: input.detectionId ?? null,
      listingId: input.listingId ?? null,
      ref: ref || null,
    };
    await insertPlans(
      tx,
      s,
      issuer,
      [plan],
      (p) => needsApproval(issuer, p.measure, 1, INSTRUCTION_APPROVAL_THRESHOLD),
      now,
      opts.requestId,
    );
  });
  const [v] = await loadViews(s.db, [existing ?? id]);
  return { instruction: v!, created: existing === null };
}

// --- From confirmed detections -----------------------------------------------------------------

export interface FromDetectionsInput {
  detectionIds: string[];
  reason?: string | undefined;
  legalBasis: string;
  deadlineMinutes?: number | undefined;
  expiresAt?: string | undefined;
}

export interface SkippedMeasure {
  detectionId: string;
  measure: string;
  reason: string;
}

export interface FromDetectionsResult {
  created: InstructionView[];
  /** Already instructed for the same detection and measure: unchanged. */
  existing: InstructionView[];
  /** Recommended measures that are no instruction (flags, warnings) or cannot be instructed. */
  skipped: SkippedMeasure[];
}

/**
 * A detector's recommendation as an instruction: `restrict` a card cuts its outgoing calls and
 * SMS (an account loses its non-counter services); `re_verify` the holder is asked of the
 * institution holding the card or account (or, for a holder detection, of the person's cards and
 * accounts there). Flags are registry labels and warnings belong to the warning channel: neither
 * is an instruction. A device (IMEI) has no institution to instruct.
 */
function mapMeasure(
  measure: string,
  subjectKind: SubjectKind,
): { measure: InstructionMeasure; kind: TargetKind; functions: CardFunction[] } | { skip: string } {
  if (measure === 'flag') return { skip: 'a flag is a registry label, not an instruction' };
  if (measure === 'warn') return { skip: 'warnings go through the warning channel, not instructions' };
  if (subjectKind === 'imei') return { skip: 'a device (IMEI) has no institution to instruct' };
  if (measure === 'restrict') {
    if (subjectKind === 'msisdn')
      return { measure: 'restrict_functions', kind: 'msisdn', functions: ['outgoing_calls', 'sms'] };
    if (subjectKind === 'account')
      return { measure: 'restrict_account_non_counter', kind: 'account', functions: [] };
    return { skip: `restrict does not apply to a ${subjectKind}` };
  }
  if (measure === 're_verify') return { measure: 're_verify', kind: subjectKind, functions: [] };
  return { skip: `unknown measure ${measure}` };
}

export async function instructFromDetections(
  s: GovernanceServices,
  issuer: Principal,
  input: FromDetectionsInput,
  opts: { requestId?: string; now?: number; approvalThreshold?: number } = {},
): Promise<FromDetectionsResult> {
  requireIssuer(issuer);
  const now = opts.now ?? Date.now();
  const threshold = opts.approvalThreshold ?? INSTRUCTION_APPROVAL_THRESHOLD;
  const legalBasis = checkLegalBasis(input.legalBasis);
  const ids = [...new Set(input.detectionIds)];
  if (ids.length === 0) throw badRequest('detections_required', 'detectionIds names no detection');
  const given = input.reason?.trim() || null;
  const out: FromDetectionsResult = { created: [], existing: [], skipped: [] };
  const createdIds: string[] = [];
  const existingIds: string[] = [];
  await s.db.transaction().execute(async (tx) => {
    const detections = await tx
      .selectFrom('detections as d')
      .leftJoin('organisations as o', 'o.id', 'd.organisation_id')
      .select([
        'd.id',
        'd.status',
        'd.detector',
        'd.subject_kind',
        'd.subject_key',
        'd.subject_key_id',
        'd.subject_enc',
        'd.organisation_id',
        'o.kind as organisation_kind',
      ])
      .where('d.id', 'in', ids)
      .forUpdate('d')
      .execute();
    const found = new Set(detections.map((d) => d.id));
    const missing = ids.filter((id) => !found.has(id));
    if (missing.length) throw notFound(`detection ${missing.join(', ')}`);
    const unconfirmed = detections.filter((d) => d.status !== 'confirmed').map((d) => d.id);
    if (unconfirmed.length)
      throw new AppError(
        409,
        'detections_not_confirmed',
        `only confirmed detections become instructions; not confirmed: ${unconfirmed.join(', ')}`,
        { detectionIds: unconfirmed },
      );
    const prior = await tx
      .selectFrom('instructions')
      .select(['id', 'detection_id', 'measure'])
      .where('detection_id', 'in', ids)
      .execute();
    const priorBy = new Map(prior.map((p) => [`${p.detection_id}\u0000${p.measure}`, p.id]));
    const plans: Plan[] = [];
    for (const d of detections) {
      const detector = d.detector as DetectorName;
      const kind = d.subject_kind as SubjectKind;
      for (const rec of DETECTOR_MEASURES[detector].measures) {
        const skip = (why: string) =>
          out.skipped.push({ detectionId: d.id, measure: rec.measure, reason: why });
        const m = mapMeasure(rec.measure, kind);
        if ('skip' in m) {
          skip(m.skip);
          continue;
        }
        const had = priorBy.get(`${d.id}\u0000${m.measure}`);
        if (had) {
          existingIds.push(had);
          continue;
        }
        if (d.organisation_id === null || d.organisation_kind === null) {
          skip("the platform's own worker fired it: no institution to receive it");
          continue;
        }
        if (!(TARGET_INSTITUTIONS[m.kind] as readonly string[]).includes(d.organisation_kind)) {
          skip(`a ${m.kind} target is not instructed to a ${d.organisation_kind}`);
          continue;
        }
        const id = crypto.randomUUID();
        let target: PreparedTarget;
        if (m.kind === 'holder') {
          if (d.subject_key_id === null || d.subject_enc === null) {
            skip('the holder’s id number is not stored');
            continue;
          }
          const plain = s.pii.decrypt(
            d.subject_key_id,
            d.subject_enc,
            piiContext('detections', 'subject_enc', d.id),
          );
          target = prepareTarget(s.pii, id, 'holder', plain);
        } else {
          target = { key: d.subject_key, display: d.subject_key, keyId: null, enc: null };
        }
        plans.push({
          id,
          kind: m.kind,
          target,
          measure: m.measure,
          functions: m.functions,
          reason: given ?? `${detector}: ${rec.reason}`,
          legalBasis,
          receivingOrganisationId: d.organisation_id,
          deadlineMinutes: deadlineOf(m.measure, input.deadlineMinutes),
          expiresAt: expiryOf(m.measure, input.expiresAt, now),
          detectionId: d.id,
          listingId: null,
        });
        priorBy.set(`${d.id}\u0000${m.measure}`, id);
      }
    }
    await insertPlans(
      tx,
      s,
      issuer,
      plans,
      (p) => needsApproval(issuer, p.measure, plans.length, threshold),
      now,
      opts.requestId,
    );
    createdIds.push(...plans.map((p) => p.id));
  });
  out.created = await loadViews(s.db, createdIds);
  out.existing = await loadViews(s.db, [...new Set(existingIds)]);
  return out;
}

// --- State changes ------------------------------------------------------------------------------

async function lockRow(tx: Kysely<DB>, id: string) {
  return tx.selectFrom('instructions').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
}

/** A supervisor's approval (never the issuer's own): the instruction goes out, its deadline starts now. */
export async function approveInstruction(
  s: GovernanceServices,
  supervisor: Principal,
  id: string,
  opts: { requestId?: string; now?: number; note?: string | undefined } = {},
): Promise<InstructionView> {
  if (!isCentreStaff(supervisor, ['supervisor'])) throw forbidden('instructions are approved by supervisors');
  const now = opts.now ?? Date.now();
  await s.db.transaction().execute(async (tx) => {
    const r = await lockRow(tx, id);
    if (!r) throw notFound('instruction');
    if (r.status !== 'awaiting_approval')
      throw conflict(
        'instruction_not_awaiting_approval',
        `the instruction is ${r.status}, not awaiting approval`,
      );
    if (r.issued_by_id === supervisor.id)
      throw new AppError(
        403,
        'approval_by_issuer',
        'an instruction is approved by another supervisor than its issuer',
      );
    const at = new Date(now);
    const [u] = await tx
      .updateTable('instructions')
      .set({
        status: 'issued',
        approved_by: supervisor.name,
        approved_at: at,
        issued_at: at,
        deadline_at: new Date(now + r.deadline_minutes * MINUTE_MS),
        updated_at: at,
      })
      .where('id', '=', id)
      .returningAll()
      .execute();
    await timeline(
      tx,
      [{ id, action: 'approved', status: 'issued', note: opts.note ?? null, at }],
      supervisor as Actor,
    );
    await audit(
      tx,
      supervisor as Actor,
      {
        action: 'instruction.approve',
        targetKind: 'instruction',
        targetId: id,
        details: { issuedBy: r.issued_by },
      },
      opts.requestId,
    );
    await publishAll(s.bus, tx, [issuedEvent(u!)]);
  });
  const [v] = await loadViews(s.db, [id]);
  return v!;
}

/** The centre takes an instruction back (after a contest, or a mistake). Withdrawing twice changes nothing. */
export async function withdrawInstruction(
  s: GovernanceServices,
  actor: Principal,
  id: string,
  reasonText: string,
  opts: { requestId?: string; now?: number } = {},
): Promise<InstructionView> {
  requireIssuer(actor);
  const reason = reasonText.trim();
  if (!reason) throw badRequest('reason_required', 'a withdrawal needs a reason');
  const now = opts.now ?? Date.now();
  await s.db.transaction().execute(async (tx) => {
    const r = await lockRow(tx, id);
    if (!r) throw notFound('instruction');
    if (r.status === 'withdrawn') return;
    if (r.status === 'expired' || r.status === 'lifted')
      throw conflict(`instruction_${r.status}`, `the instruction is ${r.status} already`);
    const at = new Date(now);
    await tx
      .updateTable('instructions')
      .set({ status: 'withdrawn', withdrawn_at: at, withdraw_reason: reason, updated_at: at })
      .where('id', '=', id)
      .execute();
    await timeline(tx, [{ id, action: 'withdrawn', status: 'withdrawn', note: reason, at }], actor as Actor);
    // The institution may already have acted: it is told to undo, not left to guess.
    const restoreId =
      r.received_at !== null && r.measure !== 'restore'
        ? await sendRestore(tx, s, actor, r, `withdrawn: ${reason}`, null, now, opts.requestId)
        : null;
    await audit(
      tx,
      actor as Actor,
      {
        action: 'instruction.withdraw',
        targetKind: 'instruction',
        targetId: id,
        details: { reason, previous: r.status, restoreInstructionId: restoreId },
      },
      opts.requestId,
    );
    await publishAll(s.bus, tx, [
      changeEvent('instruction.withdrawn', r, 'withdrawn', { previous: r.status }),
    ]);
  });
  const [v] = await loadViews(s.db, [id]);
  return v!;
}

// --- Lifting and restoring ---------------------------------------------------------------------

/** Statuses in which a measure stands (or may be being carried out): what an appeal can lift. */
export const IN_FORCE: readonly InstructionStatus[] = [
  'awaiting_approval',
  'issued',
  'received',
  'executed',
  'contested',
];

const MEASURE_WORDS: Record<InstructionMeasure, string> = {
  re_verify: 're-verification',
  restrict_functions: 'restriction of functions',
  suspend_card: 'suspension of the card',
  restrict_internet_account: 'restriction of the internet account',
  suspend_internet_account: 'suspension of the internet account',
  block_link: 'blocking of the link',
  restrict_account_non_counter: 'restriction of non-counter services',
  refuse_new_cards_accounts: 'refusal of new cards and accounts',
  restore: 'restoration',
};

/**
 * Sends, in the caller's transaction, the instruction that undoes `r` to the institution that
 * received it: same target, same legal basis, issued at once (undoing never waits for approval).
 */
async function sendRestore(
  tx: Kysely<DB>,
  s: GovernanceServices,
  actor: Principal,
  r: Selectable<InstructionsTable>,
  why: string,
  appealId: string | null,
  now: number,
  requestId: string | undefined,
): Promise<string> {
  const id = crypto.randomUUID();
  let target: PreparedTarget = { key: r.target_key, display: r.target_display, keyId: null, enc: null };
  if (r.target_kind === 'holder' && r.target_key_id && r.target_enc) {
    // The holder's id number is encrypted under the original row: re-encrypt it under the new one.
    const plain = s.pii.decrypt(
      r.target_key_id,
      r.target_enc,
      piiContext('instructions', 'target_enc', r.id),
    );
    target = prepareTarget(s.pii, id, 'holder', plain);
  }
  const issued = r.issued_at ? new Date(r.issued_at).toISOString().slice(0, 10) : 'not issued';
  const reason = `Undo the ${MEASURE_WORDS[r.measure]} of instruction ${r.id} (${issued}): ${why}`.slice(
    0,
    2000,
  );
  await insertPlans(
    tx,
    s,
    actor,
    [
      {
        id,
        kind: r.target_kind,
        target,
        measure: 'restore',
        functions: r.functions ?? [],
        reason,
        legalBasis: r.legal_basis as LegalBasisId,
        receivingOrganisationId: r.receiving_organisation_id,
        deadlineMinutes: DEFAULT_DEADLINE_MINUTES.restore,
        expiresAt: new Date(now + DEFAULT_REVIEW_DAYS.restore * DAY_MS),
        detectionId: null,
        listingId: r.listing_id,
        restoresInstructionId: r.id,
        appealId,
      },
    ],
    () => false,
    now,
    requestId,
  );
  return id;
}

/**
 * Lifts one instruction in the caller's transaction because an appeal against it was upheld:
 * status `lifted`, a timeline entry, an audit record, `instruction.lifted`, and a restore
 * instruction when the institution had received it (it may have acted). An instruction no longer
 * in force is left as it is (`lifted: false`).
 */
export async function liftInstruction(
  tx: Kysely<DB>,
  s: GovernanceServices,
  actor: Principal,
  id: string,
  cause: { appealId: string; note: string },
  now: number,
  requestId?: string,
): Promise<{ lifted: boolean; restoreInstructionId: string | null }> {
  const r = await lockRow(tx, id);
  if (!r || !IN_FORCE.includes(r.status) || r.measure === 'restore')
    return { lifted: false, restoreInstructionId: null };
  const at = new Date(now);
  await tx
    .updateTable('instructions')
    .set({ status: 'lifted', appeal_id: cause.appealId, updated_at: at })
    .where('id', '=', id)
    .execute();
  await timeline(tx, [{ id, action: 'lifted', status: 'lifted', note: cause.note, at }], actor as Actor);
  const restoreId =
    r.received_at !== null
      ? await sendRestore(tx, s, actor, r, cause.note, cause.appealId, now, requestId)
      : null;
  await audit(
    tx,
    actor as Actor,
    {
      action: 'instruction.lift',
      targetKind: 'instruction',
      targetId: id,
      details: { previous: r.status, appealId: cause.appealId, restoreInstructionId: restoreId },
    },
    requestId,
  );
  await publishAll(s.bus, tx, [
    changeEvent('instruction.lifted', r, 'lifted', {
      previous: r.status,
      appealId: cause.appealId,
      restoreInstructionId: restoreId,
    }),
  ]);
  return { lifted: true, restoreInstructionId: restoreId };
}

export type Acknowledgement = 'receipt' | 'execution' | 'contest';

/**
 * What each acknowledgement moves from, and which states already include it (a repeat is
 * answered with the instruction unchanged: institutions retry, and a retry must not fail).
 */
const ACKS: Record<
  Acknowledgement,
  {
    from: readonly InstructionStatus[];
    to: InstructionStatus;
    done: readonly InstructionStatus[];
    action: InstructionAction;
    event: EventType;
  }
> = {
  receipt: {
    from: ['issued'],
    to: 'received',
    done: ['received', 'executed', 'contested'],
    action: 'received',
    event: 'instruction.received',
  },
  execution: {
    from: ['received'],
    to: 'executed',
    done: ['executed'],
    action: 'executed',
    event: 'instruction.executed',
  },
  contest: {
    from: ['issued', 'received'],
    to: 'contested',
    done: ['contested'],
    action: 'contested',
    event: 'instruction.contested',
  },
};

/** The institution's acknowledgement of its own instruction; anyone else's is not found. */
export async function acknowledgeInstruction(
  s: GovernanceServices,
  institution: Principal,
  id: string,
  ack: Acknowledgement,
  input: { note?: string | undefined; reason?: string | undefined } = {},
  opts: { requestId?: string; now?: number } = {},
): Promise<InstructionView> {
  if (institution.kind === 'user' && institution.organisationKind === 'anti_fraud_centre')
    throw forbidden('acknowledgements come from the receiving institution');
  const rule = ACKS[ack];
  const note = (ack === 'contest' ? input.reason : input.note)?.trim() || null;
  if (ack === 'contest' && !note) throw badRequest('reason_required', 'contesting needs a reason');
  const now = opts.now ?? Date.now();
  await s.db.transaction().execute(async (tx) => {
    const r = await lockRow(tx, id);
    // An instruction still awaiting approval has not been sent: it does not exist for the institution.
    if (!r || r.receiving_organisation_id !== institution.organisationId || r.status === 'awaiting_approval')
      throw notFound('instruction');
    if (rule.done.includes(r.status)) return;
    if (!rule.from.includes(r.status)) {
      const code =
        ack === 'execution' && r.status === 'issued' ? 'instruction_not_received' : `instruction_${r.status}`;
      throw conflict(code, `cannot acknowledge ${ack} of an instruction that is ${r.status}`);
    }
    const at = new Date(now);
    await tx
      .updateTable('instructions')
      .set({
        status: rule.to,
        updated_at: at,
        ...(ack === 'receipt' ? { received_at: at } : {}),
        ...(ack === 'execution' ? { executed_at: at, execution_note: note } : {}),
        ...(ack === 'contest' ? { contested_at: at, contest_reason: note } : {}),
      })
      .where('id', '=', id)
      .execute();
    await timeline(tx, [{ id, action: rule.action, status: rule.to, note, at }], institution as Actor);
    await audit(
      tx,
      institution as Actor,
      {
        action: `instruction.${ack}`,
        targetKind: 'instruction',
        targetId: id,
        details: { previous: r.status, ...(note ? { note } : {}) },
      },
      opts.requestId,
    );
    await publishAll(s.bus, tx, [changeEvent(rule.event, r, rule.to)]);
  });
  const [v] = await loadViews(s.db, [id]);
  return v!;
}

/**
 * Escalation: instructions out and not executed whose deadline passed are marked overdue once
 * (timeline, audit, `instruction.overdue`). Run every minute by one node (routes.ts).
 */
export async function escalateOverdue(
  s: GovernanceServices,
  now: number = Date.now(),
): Promise<{ escalated: number }> {
  let escalated = 0;
  for (;;) {
    const n = await s.db.transaction().execute(async (tx) => {
      const rows = await tx
        .selectFrom('instructions')
        .selectAll()
        .where('status', 'in', ['issued', 'received'])
        .where('overdue_at', 'is', null)
        .where('deadline_at', '<', new Date(now))
        .orderBy('deadline_at')
        .limit(500)
        .forUpdate()
        .skipLocked()
        .execute();
      if (rows.length === 0) return 0;
      const at = new Date(now);
      await tx
        .updateTable('instructions')
        .set({ overdue_at: at, updated_at: at })
        .where(
          'id',
          'in',
          rows.map((r) => r.id),
        )
        .execute();
      await timeline(
        tx,
        rows.map((r) => ({
          id: r.id,
          action: 'overdue' as const,
          status: r.status,
          note: `deadline ${new Date(r.deadline_at!).toISOString()} passed`,
          at,
        })),
        SYSTEM,
      );
      for (const r of rows)
        await audit(tx, SYSTEM, {
          action: 'instruction.overdue',
          targetKind: 'instruction',
          targetId: r.id,
          details: { status: r.status, deadline: new Date(r.deadline_at!).toISOString() },
        });
      await publishAll(
        s.bus,
        tx,
        rows.map((r) =>
          changeEvent('instruction.overdue', r, r.status, {
            deadline: new Date(r.deadline_at!).toISOString(),
          }),
        ),
      );
      return rows.length;
    });
    escalated += n;
    if (n < 500) return { escalated };
  }
}

// --- Reading ------------------------------------------------------------------------------------

/** The centre's analysts, supervisors and auditors see every instruction; an institution its inbox. */
function readerScope(p: Principal): 'all' | string {
  if (p.kind === 'user' && p.organisationKind === 'anti_fraud_centre') {
    if (!isCentreStaff(p, ['analyst', 'supervisor', 'auditor'])) throw forbidden();
    return 'all';
  }
  return p.organisationId;
}

export interface InstructionQuery {
  status?: InstructionStatus | undefined;
  institution?: string | undefined;
  measure?: InstructionMeasure | undefined;
  overdue?: boolean | undefined;
  limit?: number | undefined;
  after?: string | undefined;
}

/** Newest first, with a cursor (`<created_at ISO>|<id>`) for the next page. */
export async function listInstructions(
  s: { db: Kysely<DB> },
  reader: Principal,
  query: InstructionQuery,
): Promise<{ items: InstructionView[]; next: string | null }> {
  const scope = readerScope(reader);
  const limit = Math.min(Math.max(query.limit ?? 50, 1), 500);
  let q = selectRows(s.db);
  if (scope !== 'all')
    q = q.where('i.receiving_organisation_id', '=', scope).where('i.status', '!=', 'awaiting_approval');
  else if (query.institution) q = q.where('i.receiving_organisation_id', '=', query.institution);
  if (query.status) q = q.where('i.status', '=', query.status);
  if (query.measure) q = q.where('i.measure', '=', query.measure);
  if (query.overdue !== undefined) q = q.where('i.overdue_at', query.overdue ? 'is not' : 'is', null);
  if (query.after) {
    const [at, id, ...rest] = query.after.split('|');
    if (rest.length || !id || Number.isNaN(Date.parse(at!)) || !/^[0-9a-f-]{36}$/i.test(id))
      throw badRequest('invalid_cursor', 'after must be the `next` of a previous page');
    q = q.where(sql<boolean>`(i.created_at, i.id) < (${new Date(at!)}, ${id}::uuid)`);
  }
  const rows = await q
    .orderBy('i.created_at', 'desc')
    .orderBy('i.id', 'desc')
    .limit(limit + 1)
    .execute();
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return {
    items: page.map((r) => viewOf(r as Row)),
    next: rows.length > limit && last ? `${new Date(last.created_at).toISOString()}|${last.id}` : null,
  };
}

/** One instruction with its timeline; an institution's other instructions are not found. */
export async function getInstruction(
  s: { db: Kysely<DB> },
  reader: Principal,
  id: string,
): Promise<InstructionView> {
  const scope = readerScope(reader);
  const r = await selectRows(s.db).where('i.id', '=', id).executeTakeFirst();
  if (!r || (scope !== 'all' && (r.receiving_organisation_id !== scope || r.status === 'awaiting_approval')))
    throw notFound('instruction');
  const v = viewOf(r as Row);
  const events = await s.db
    .selectFrom('instruction_events')
    .selectAll()
    .where('instruction_id', '=', id)
    .orderBy('id')
    .execute();
  v.timeline = events.map(timelineEntry);
  const restores = await s.db
    .selectFrom('instructions')
    .select('id')
    .where('restores_instruction_id', '=', id)
    .orderBy('created_at')
    .execute();
  v.restoredBy = restores.map((x) => x.id);
  return v;
}
