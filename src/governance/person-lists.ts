import crypto from 'node:crypto';
import { sql, type Kysely, type Selectable } from 'kysely';
import type { DB } from '../core/db/schema.ts';
import type { EventBus } from '../core/bus/types.ts';
import { publishAll } from '../core/bus/outbox.ts';
import type { EventType } from '../core/bus/events.ts';
import { actorColumns, audit, SYSTEM, type Actor } from '../core/audit.ts';
import { AppError, badRequest, conflict, forbidden, notFound } from '../core/errors.ts';
import type { Principal } from '../identity/model.ts';
import { piiContext, type PiiCipher } from '../privacy/crypto.ts';
import { parseIdentityDocument, type IdentityDocument } from '../privacy/idnumber.ts';
import { maskIdNumber, maskName } from '../privacy/mask.ts';
import type { Reader } from '../privacy/policy.ts';
import { registerEncryptedTable } from '../privacy/rotate.ts';
import { ensurePerson, idNumberHash } from '../privacy/service.ts';
import {
  CREDIT_RESTRICTIONS,
  PERSON_LISTS,
  REMOVAL_KINDS,
  type CreditRestriction,
  type PersonList,
  type PersonListingAction,
  type PersonListingsTable,
  type PersonListingStatus,
  type RemovalKind,
} from './person-lists-tables.ts';
import './person-lists-events.ts';

/**
 * Lists of persons (docs/governance.md, "Lists of persons"): credit punishment of persons who sold,
 * rented or lent cards or accounts, and exit restriction of persons involved in fraud abroad.
 *
 * - The centre's supervisors designate, remove, record the notice and review; nobody else writes.
 * - Credit punishment is read by the centre's analysts, supervisors and auditors. Exit restriction
 *   is seen by supervisors and auditors only: to anyone else a listing of it does not exist (404).
 *   Banks and operators never browse a list: they get the opening decision (person-lists-openings.ts).
 * - One active listing per person per list: a second designation joins it (later end, added
 *   restrictions, capped at three years from the listing's start) instead of adding another.
 * - Every read of a listing's personal data, masked or clear, appends a `personal_data_access`
 *   record (purpose `person_list`, reference: the listing), in the transaction of the read.
 * - Every change is a timeline entry, an audit record and an event, in one transaction.
 */

registerEncryptedTable({
  table: 'person_listings',
  idColumn: 'id',
  keyIdColumn: 'key_id',
  columns: ['id_number_enc', 'name_enc'],
});

/** A term is 6 months to 3 years (both lists; Anti-Telecom and Online Fraud Law art. 31, 36). */
export const TERM_MIN_MONTHS = 6;
export const TERM_MAX_MONTHS = 36;
/** An exit restriction is reviewed at least this often (default review date, and after each review). */
export const REVIEW_EVERY_MONTHS = 6;
/** A designation may start this far ahead of the clock (clock skew), not later. */
const START_SKEW_MS = 5 * 60_000;

/** The articles each list may cite; the first is the default. */
export const LIST_LEGAL_BASES: Record<PersonList, readonly string[]> = {
  credit_punishment: ['atof_art31'],
  exit_restriction: ['atof_art36'],
};

/** The purpose recorded for reads of a listing (privacy access log). */
export const LIST_PURPOSE = 'person_list';

export interface PersonListServices {
  db: Kysely<DB>;
  bus: Pick<EventBus, 'publish'>;
  pii: PiiCipher;
}

export interface PersonListingTimelineEntry {
  at: string;
  action: PersonListingAction;
  status: PersonListingStatus;
  endsAt: string;
  actor: string;
  actorKind: string;
  organisationId: string | null;
  note: string | null;
  ref: string | null;
}

export interface PersonListingView {
  id: string;
  list: PersonList;
  status: PersonListingStatus;
  /** Masked unless the reader is a supervisor reading one listing. */
  person: { idType: string; idNumber: string; name: string; masked: boolean };
  restrictions: CreditRestriction[];
  reason: string;
  legalBasis: string;
  organisationId: string;
  designatedBy: string;
  startsAt: string;
  endsAt: string;
  reviewAt: string | null;
  /** Exit restriction: the review date passed while active. */
  reviewDue: boolean;
  noticeSentAt: string | null;
  endedAt: string | null;
  removedAt: string | null;
  removalKind: RemovalKind | null;
  removeReason: string | null;
  removedBy: string | null;
  ref: string | null;
  createdAt: string;
  updatedAt: string;
  /** Detail only: every change, oldest first. */
  timeline?: PersonListingTimelineEntry[];
}

type Row = Selectable<PersonListingsTable>;

const iso = (d: Date | string) => new Date(d).toISOString();
const isoOrNull = (d: Date | string | null) => (d === null ? null : iso(d));

function inTx<T>(q: Kysely<DB>, fn: (tx: Kysely<DB>) => Promise<T>): Promise<T> {
  return q.isTransaction ? fn(q) : q.transaction().execute(fn);
}

/** `n` calendar months after `d` (UTC), the day clamped to the month's last: 31 Aug + 6 → 28/29 Feb. */
export function addMonths(d: Date, n: number): Date {
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth() + n;
  const last = new Date(Date.UTC(y, m + 1, 0)).getUTCDate();
  return new Date(
    Date.UTC(
      y,
      m,
      Math.min(d.getUTCDate(), last),
      d.getUTCHours(),
      d.getUTCMinutes(),
      d.getUTCSeconds(),
      d.getUTCMilliseconds(),
    ),
  );
}

function viewOf(r: Row, now: number, clear?: { idNumber: string; name: string }): PersonListingView {
  const reviewAt = r.review_at === null ? null : new Date(r.review_at);
  return {
    id: r.id,
    list: r.list,
    status: r.status,
    person: {
      idType: r.id_type,
      idNumber: clear?.idNumber ?? r.id_display,
      name: clear?.name ?? r.name_display,
      masked: clear === undefined,
    },
    restrictions: r.restrictions ?? [],
    reason: r.reason,
    legalBasis: r.legal_basis,
    organisationId: r.organisation_id,
    designatedBy: r.designated_by,
    startsAt: iso(r.starts_at),
    endsAt: iso(r.ends_at),
    reviewAt: reviewAt?.toISOString() ?? null,
    reviewDue: r.status === 'active' && reviewAt !== null && reviewAt.getTime() <= now,
    noticeSentAt: isoOrNull(r.notice_sent_at),
    endedAt: isoOrNull(r.ended_at),
    removedAt: isoOrNull(r.removed_at),
    removalKind: r.removal_kind,
    removeReason: r.remove_reason,
    removedBy: r.removed_by,
    ref: r.external_ref,
    createdAt: iso(r.created_at),
    updatedAt: iso(r.updated_at),
  };
}

// --- Who may do what ---------------------------------------------------------------------------

const isCentre = (p: Principal, roles: readonly string[]) =>
  p.kind === 'user' && p.organisationKind === 'anti_fraud_centre' && p.roles.some((r) => roles.includes(r));

/** The lists a reader sees at all: credit punishment by the centre's staff, exit restriction by supervisors and auditors. */
export function visibleLists(p: Principal): PersonList[] {
  const out: PersonList[] = [];
  if (isCentre(p, ['analyst', 'supervisor', 'auditor'])) out.push('credit_punishment');
  if (isCentre(p, ['supervisor', 'auditor'])) out.push('exit_restriction');
  return out;
}

function requireReader(p: Principal): PersonList[] {
  const lists = visibleLists(p);
  if (lists.length === 0) throw forbidden("lists of persons are read by the anti-fraud centre's staff");
  return lists;
}

function requireDesignator(p: Principal): void {
  if (!isCentre(p, ['supervisor']))
    throw forbidden("lists of persons are designated and changed by the centre's supervisors");
}

/** Supervisors read one listing in clear (they serve the notice and decide appeals); everyone else masked. */
const readsClear = (p: Principal) => isCentre(p, ['supervisor']);

const notFoundListing = () => notFound('person listing');

// --- Access records ----------------------------------------------------------------------------

/**
 * Appends one `personal_data_access` record per listing read (the person it names, purpose
 * `purpose:<listing id>`), in the reading transaction. The log's own reader (privacy/access.ts
 * listAccessLog) shows them with every other read of the person.
 */
export async function recordListingReads(
  tx: Kysely<DB>,
  reader: Reader,
  rows: readonly { id: string; person_id: string }[],
  fields: readonly string[],
  purpose: string,
  clear: boolean,
  requestId?: string,
): Promise<void> {
  if (rows.length === 0) return;
  const who = {
    actor_kind: reader.kind,
    actor_id: reader.kind === 'system' ? null : reader.id,
    actor_name: reader.name,
    organisation_id: reader.kind === 'system' ? null : reader.organisationId,
    fields: [...fields],
    purpose,
    clear,
    request_id: requestId ?? null,
  };
  await tx
    .insertInto('personal_data_access')
    .values(rows.map((r) => ({ ...who, person_id: r.person_id, purpose_ref: r.id })))
    .execute();
}

/** Views of `ids` (in that order) as `reader` may see them, recording the read. */
async function readViews(
  q: Kysely<DB>,
  pii: PiiCipher,
  reader: Principal,
  ids: readonly string[],
  opts: { clear?: boolean; timeline?: boolean; requestId?: string; now?: number } = {},
): Promise<PersonListingView[]> {
  if (ids.length === 0) return [];
  const lists = visibleLists(reader);
  const now = opts.now ?? Date.now();
  return inTx(q, async (tx) => {
    const rows = await tx.selectFrom('person_listings').selectAll().where('id', 'in', ids).execute();
    const byId = new Map(rows.filter((r) => lists.includes(r.list)).map((r) => [r.id, r]));
    const seen = ids.map((id) => byId.get(id)).filter((r): r is Row => r !== undefined);
    const clear = opts.clear === true && readsClear(reader);
    const views = seen.map((r) =>
      viewOf(
        r,
        now,
        clear
          ? {
              idNumber: pii.decrypt(
                r.key_id,
                r.id_number_enc,
                piiContext('person_listings', 'id_number_enc', r.id),
              ),
              name: pii.decrypt(r.key_id, r.name_enc, piiContext('person_listings', 'name_enc', r.id)),
            }
          : undefined,
      ),
    );
    if (opts.timeline && views.length) {
      const events = await tx
        .selectFrom('person_listing_events')
        .selectAll()
        .where(
          'listing_id',
          'in',
          views.map((v) => v.id),
        )
        .orderBy('id')
        .execute();
      for (const v of views)
        v.timeline = events
          .filter((e) => e.listing_id === v.id)
          .map((e) => ({
            at: iso(e.at),
            action: e.action,
            status: e.status,
            endsAt: iso(e.ends_at),
            actor: e.actor_name,
            actorKind: e.actor_kind,
            organisationId: e.organisation_id,
            note: e.note,
            ref: e.ref,
          }));
    }
    await recordListingReads(tx, reader, seen, ['name', 'idNumber'], LIST_PURPOSE, clear, opts.requestId);
    return views;
  });
}

// --- Designating -------------------------------------------------------------------------------

export interface DesignationInput {
  list: string;
  /** A bare PRC resident identity number, or `type:value` (privacy/idnumber.ts). */
  idNumber: string;
  idType?: string | undefined;
  name: string;
  /** Credit punishment: default all of CREDIT_RESTRICTIONS; exit restriction: none. */
  restrictions?: readonly string[] | undefined;
  reason: string;
  /** Default: the list's article (LIST_LEGAL_BASES). */
  legalBasis?: string | undefined;
  /** ISO 8601; default now; not in the future. */
  startsAt?: string | undefined;
  /** ISO 8601: 6 months to 3 years after the start, and in the future. */
  endsAt: string;
  /** Exit restriction: the first review (default 6 months on, within the term). */
  reviewAt?: string | undefined;
  /** The designating organisation's own reference: the same reference again finds the listing. */
  ref?: string | undefined;
}

/** A designation checked and ready to write (no personal data leaves this but into the database). */
export interface CheckedDesignation {
  list: PersonList;
  doc: IdentityDocument;
  key: string;
  name: string;
  restrictions: CreditRestriction[];
  reason: string;
  legalBasis: string;
  startsAt: Date;
  endsAt: Date;
  reviewAt: Date | null;
  ref: string | null;
}

function parseTime(field: string, v: string): Date {
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw badRequest('invalid_term', `${field} must be an ISO 8601 date or time`);
  return new Date(t);
}

const day = (d: Date) => d.toISOString().slice(0, 10);

/**
 * Everything a designation must satisfy, checked without writing (the CLI checks a whole file with
 * it before importing any line). Bad input is a 400 naming the field.
 */
export function checkDesignation(
  pii: PiiCipher,
  input: DesignationInput,
  now = Date.now(),
): CheckedDesignation {
  if (!(PERSON_LISTS as readonly string[]).includes(input.list))
    throw badRequest('invalid_list', `list must be one of ${PERSON_LISTS.join(', ')}`);
  const list = input.list as PersonList;
  const name = (input.name ?? '').normalize('NFC').trim().replace(/\s+/g, ' ');
  // eslint-disable-next-line no-control-regex
  if (!name || name.length > 200 || /[\u0000-\u001f\u007f]/.test(name))
    throw badRequest('invalid_name', 'name must be 1–200 characters without control characters');
  const doc = parseIdentityDocument(input.idNumber ?? '', input.idType ? { type: input.idType } : {});
  const reason = (input.reason ?? '').trim();
  if (!reason) throw badRequest('reason_required', 'a designation needs a reason');
  if (reason.length > 2000) throw badRequest('invalid_reason', 'reason is at most 2000 characters');

  const given = [...new Set((input.restrictions ?? []).map((r) => r.trim()).filter(Boolean))];
  let restrictions: CreditRestriction[] = [];
  if (list === 'credit_punishment') {
    const bad = given.filter((r) => !(CREDIT_RESTRICTIONS as readonly string[]).includes(r));
    if (bad.length)
      throw badRequest(
        'invalid_restrictions',
        `unknown restrictions ${bad.join(', ')}; use some of ${CREDIT_RESTRICTIONS.join(', ')}`,
      );
    restrictions = (given.length ? given : [...CREDIT_RESTRICTIONS]) as CreditRestriction[];
    restrictions.sort((a, b) => CREDIT_RESTRICTIONS.indexOf(a) - CREDIT_RESTRICTIONS.indexOf(b));
  } else if (given.length) {
    throw badRequest('restrictions_not_applicable', 'restrictions apply to credit punishment only');
  }

  const allowedBases = LIST_LEGAL_BASES[list];
  const legalBasis = input.legalBasis?.trim() || allowedBases[0]!;
  if (!allowedBases.includes(legalBasis))
    throw badRequest(
      'invalid_legal_basis',
      `a ${list} cites ${allowedBases.join(' or ')}, not ${legalBasis}`,
    );

  const startsAt = input.startsAt?.trim() ? parseTime('startsAt', input.startsAt) : new Date(now);
  if (startsAt.getTime() > now + START_SKEW_MS)
    throw badRequest('invalid_term', 'startsAt is in the future: designate when the term begins');
  if (!input.endsAt?.trim()) throw badRequest('invalid_term', 'endsAt is required');
  const endsAt = parseTime('endsAt', input.endsAt);
  if (endsAt.getTime() <= now) throw badRequest('invalid_term', 'endsAt has passed: the term is over');
  const earliest = addMonths(startsAt, TERM_MIN_MONTHS);
  const latest = addMonths(startsAt, TERM_MAX_MONTHS);
  // The clock skew's allowance: a term picked as "six months from now" a moment before is not refused.
  if (
    endsAt.getTime() < earliest.getTime() - START_SKEW_MS ||
    endsAt.getTime() > latest.getTime() + START_SKEW_MS
  )
    throw badRequest(
      'invalid_term',
      `a ${list} lasts ${TERM_MIN_MONTHS} months to ${TERM_MAX_MONTHS / 12} years: endsAt between ${day(earliest)} and ${day(latest)}`,
    );

  let reviewAt: Date | null = null;
  if (list === 'exit_restriction') {
    if (input.reviewAt?.trim()) {
      reviewAt = parseTime('reviewAt', input.reviewAt);
      if (reviewAt.getTime() <= now || reviewAt > endsAt)
        throw badRequest('invalid_review', 'reviewAt must be in the future and not after endsAt');
    } else {
      const next = addMonths(new Date(Math.max(now, startsAt.getTime())), REVIEW_EVERY_MONTHS);
      reviewAt = next < endsAt ? next : endsAt;
    }
  } else if (input.reviewAt?.trim()) {
    throw badRequest('review_not_applicable', 'a review date applies to exit restriction only');
  }

  const ref = input.ref?.trim() || null;
  if (ref !== null && ref.length > 200)
    throw badRequest('invalid_ref', 'a reference is at most 200 characters');
  return {
    list,
    doc,
    key: idNumberHash(pii, doc.type, doc.value),
    name,
    restrictions,
    reason,
    legalBasis,
    startsAt,
    endsAt,
    reviewAt,
    ref,
  };
}

type BusEvent = { type: EventType; data: unknown };

function listingFields(r: Row, status: PersonListingStatus = r.status) {
  return {
    id: r.id,
    list: r.list,
    person: r.person_key,
    restrictions: r.restrictions ?? [],
    legalBasis: r.legal_basis,
    organisationId: r.organisation_id,
    startsAt: iso(r.starts_at),
    endsAt: iso(r.ends_at),
    status,
  };
}

const designatedEvent = (r: Row, joined: boolean): BusEvent => ({
  type: 'person_listing.designated',
  data: { ...listingFields(r), joined, reviewAt: isoOrNull(r.review_at) },
});

async function timeline(
  tx: Kysely<DB>,
  actor: Actor,
  entries: {
    id: string;
    action: PersonListingAction;
    status: PersonListingStatus;
    endsAt: Date | string;
    note?: string | null;
    ref?: string | null;
    at: Date;
  }[],
): Promise<void> {
  if (entries.length === 0) return;
  const who = actorColumns(actor);
  await tx
    .insertInto('person_listing_events')
    .values(
      entries.map((e) => ({
        listing_id: e.id,
        at: e.at,
        action: e.action,
        status: e.status,
        ends_at: e.endsAt,
        note: e.note ?? null,
        ref: e.ref ?? null,
        ...who,
      })),
    )
    .execute();
}

export type DesignationOutcome = 'created' | 'joined' | 'existing';

const isUniqueViolation = (err: unknown) =>
  typeof err === 'object' && err !== null && (err as { code?: unknown }).code === '23505';

/**
 * Puts a person on a list, by a centre supervisor. A person already active on the same list is
 * joined: the later end wins (capped at three years from the listing's start), restrictions are
 * added, the designation is a `joined` timeline entry. The same `ref` from the same organisation
 * again answers the listing it made or joined, unchanged (`existing`).
 */
export async function designatePerson(
  s: PersonListServices,
  issuer: Principal,
  input: DesignationInput,
  opts: { requestId?: string; now?: number } = {},
): Promise<{ outcome: DesignationOutcome; listing: PersonListingView }> {
  requireDesignator(issuer);
  const now = opts.now ?? Date.now();
  const plan = checkDesignation(s.pii, input, now);
  let result: { outcome: DesignationOutcome; id: string };
  try {
    result = await s.db
      .transaction()
      .execute((tx) => writeDesignation(tx, s, issuer, plan, now, opts.requestId));
  } catch (err) {
    // Two designations of the same person at once: the second finds the first on a retry.
    if (isUniqueViolation(err))
      throw conflict('designation_conflict', 'the person was designated at the same moment: send it again');
    throw err;
  }
  const [listing] = await readViews(s.db, s.pii, issuer, [result.id], { now, requestId: opts.requestId });
  return { outcome: result.outcome, listing: listing! };
}

async function writeDesignation(
  tx: Kysely<DB>,
  s: PersonListServices,
  issuer: Principal,
  plan: CheckedDesignation,
  now: number,
  requestId: string | undefined,
): Promise<{ outcome: DesignationOutcome; id: string }> {
  const at = new Date(now);
  if (plan.ref) {
    const prior = await tx
      .selectFrom('person_listing_events')
      .select('listing_id')
      .where('organisation_id', '=', issuer.organisationId)
      .where('ref', '=', plan.ref)
      .executeTakeFirst();
    if (prior) return { outcome: 'existing', id: prior.listing_id };
  }
  const active = await tx
    .selectFrom('person_listings')
    .selectAll()
    .where('list', '=', plan.list)
    .where('person_key', '=', plan.key)
    .where('status', '=', 'active')
    .forUpdate()
    .executeTakeFirst();

  if (active) {
    const cap = addMonths(new Date(active.starts_at), TERM_MAX_MONTHS);
    const wanted = plan.endsAt > new Date(active.ends_at) ? plan.endsAt : new Date(active.ends_at);
    const endsAt = wanted > cap ? cap : wanted;
    const restrictions = CREDIT_RESTRICTIONS.filter(
      (r) => active.restrictions.includes(r) || plan.restrictions.includes(r),
    );
    const reviewAt =
      plan.list === 'exit_restriction' && movesReview(plan, active) ? plan.reviewAt : active.review_at;
    const [u] = await tx
      .updateTable('person_listings')
      .set({ ends_at: endsAt, restrictions, review_at: reviewAt, updated_at: at })
      .where('id', '=', active.id)
      .returningAll()
      .execute();
    const capped = wanted > cap ? ` (capped at ${day(cap)}, three years from the start)` : '';
    await timeline(tx, issuer as Actor, [
      {
        id: active.id,
        action: 'joined',
        status: 'active',
        endsAt,
        note: `${plan.reason}${capped}`,
        ref: plan.ref,
        at,
      },
    ]);
    await audit(
      tx,
      issuer as Actor,
      {
        action: 'person_listing.join',
        targetKind: 'person_listing',
        targetId: active.id,
        details: {
          list: plan.list,
          previousEndsAt: iso(active.ends_at),
          endsAt: endsAt.toISOString(),
          restrictions,
          legalBasis: plan.legalBasis,
          ref: plan.ref,
        },
      },
      requestId,
    );
    await publishAll(s.bus, tx, [designatedEvent(u!, true)]);
    return { outcome: 'joined', id: active.id };
  }

  const id = crypto.randomUUID();
  const person = await ensurePerson(
    tx,
    s.pii,
    s.bus,
    issuer as Actor,
    {
      name: plan.name,
      idNumber: `${plan.doc.type}:${plan.doc.value}`,
      organisationId: issuer.organisationId,
    },
    requestId,
  );
  const enc = (column: string, plain: string) =>
    s.pii.encrypt(plain, piiContext('person_listings', column, id)).ciphertext;
  const [row] = await tx
    .insertInto('person_listings')
    .values({
      id,
      list: plan.list,
      status: 'active',
      person_key: plan.key,
      person_id: person.id,
      id_type: plan.doc.type,
      key_id: s.pii.activeKeyId,
      id_number_enc: enc('id_number_enc', plan.doc.value),
      name_enc: enc('name_enc', plan.name),
      id_display: maskIdNumber(plan.doc.value),
      name_display: maskName(plan.name),
      restrictions: plan.restrictions,
      reason: plan.reason,
      legal_basis: plan.legalBasis,
      organisation_id: issuer.organisationId,
      designated_by_id: issuer.id,
      designated_by: issuer.name,
      starts_at: plan.startsAt,
      ends_at: plan.endsAt,
      review_at: plan.reviewAt,
      external_ref: plan.ref,
      created_at: at,
      updated_at: at,
    })
    .returningAll()
    .execute();
  await timeline(tx, issuer as Actor, [
    { id, action: 'designated', status: 'active', endsAt: plan.endsAt, note: plan.reason, ref: plan.ref, at },
  ]);
  await audit(
    tx,
    issuer as Actor,
    {
      action: 'person_listing.designate',
      targetKind: 'person_listing',
      targetId: id,
      details: {
        list: plan.list,
        restrictions: plan.restrictions,
        legalBasis: plan.legalBasis,
        startsAt: plan.startsAt.toISOString(),
        endsAt: plan.endsAt.toISOString(),
        ref: plan.ref,
      },
    },
    requestId,
  );
  await publishAll(s.bus, tx, [designatedEvent(row!, false)]);
  return { outcome: 'created', id };
}

/** A joining exit restriction moves the review only when its designation names one earlier than the current. */
function movesReview(plan: CheckedDesignation, active: Row): boolean {
  return plan.reviewAt !== null && (active.review_at === null || plan.reviewAt < new Date(active.review_at));
}

// --- Ending early ------------------------------------------------------------------------------

async function lockRow(tx: Kysely<DB>, id: string) {
  return tx.selectFrom('person_listings').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
}

export interface RemovalResult {
  id: string;
  list: PersonList;
  status: PersonListingStatus;
  removalKind: RemovalKind | null;
  /** False when it was removed already (nothing changed). */
  changed: boolean;
}

/**
 * Removes a listing before its end: early removal, credit repair, an upheld appeal (the default
 * kind: the appeals channel calls this with just a reason) or a lifted exit restriction. Works in
 * `q`'s transaction when it is one. Idempotent: a removed listing is answered unchanged. An ended
 * listing can still be removed (an appeal upheld after the term clears the record). Checks no
 * role: callers decide who may (the routes: supervisors). No personal data is read or returned.
 */
export async function removePersonListing(
  q: Kysely<DB>,
  s: Pick<PersonListServices, 'bus'>,
  id: string,
  actor: Actor,
  reasonText: string,
  opts: { kind?: RemovalKind; requestId?: string; now?: number } = {},
): Promise<RemovalResult> {
  const reason = reasonText.trim();
  if (!reason) throw badRequest('reason_required', 'a removal needs a reason');
  if (reason.length > 2000) throw badRequest('invalid_reason', 'reason is at most 2000 characters');
  const kind = opts.kind ?? 'appeal_upheld';
  if (!(REMOVAL_KINDS as readonly string[]).includes(kind))
    throw badRequest('invalid_removal', `kind must be one of ${REMOVAL_KINDS.join(', ')}`);
  const now = opts.now ?? Date.now();
  return inTx(q, async (tx) => {
    const r = await lockRow(tx, id);
    if (!r) throw notFoundListing();
    if (r.status === 'removed')
      return { id, list: r.list, status: r.status, removalKind: r.removal_kind, changed: false };
    const at = new Date(now);
    const [u] = await tx
      .updateTable('person_listings')
      .set({
        status: 'removed',
        removed_at: at,
        removal_kind: kind,
        remove_reason: reason,
        removed_by: actor.name,
        updated_at: at,
      })
      .where('id', '=', id)
      .returningAll()
      .execute();
    await timeline(tx, actor, [
      { id, action: 'removed', status: 'removed', endsAt: r.ends_at, note: `${kind}: ${reason}`, at },
    ]);
    await audit(
      tx,
      actor,
      {
        action: 'person_listing.remove',
        targetKind: 'person_listing',
        targetId: id,
        details: { list: r.list, kind, reason, previous: r.status },
      },
      opts.requestId,
    );
    await publishAll(s.bus, tx, [
      {
        type: 'person_listing.removed',
        data: { ...listingFields(u!, 'removed'), previous: r.status, removal: kind },
      },
    ]);
    return { id, list: r.list, status: 'removed' as const, removalKind: kind, changed: true };
  });
}

/** A supervisor's removal through the API or CLI: a listing of a list they cannot see is not found. */
export async function removeListing(
  s: PersonListServices,
  actor: Principal,
  id: string,
  input: { kind: string; reason: string },
  opts: { requestId?: string; now?: number } = {},
): Promise<PersonListingView> {
  requireDesignator(actor);
  if (!(REMOVAL_KINDS as readonly string[]).includes(input.kind))
    throw badRequest('invalid_removal', `kind must be one of ${REMOVAL_KINDS.join(', ')}`);
  await visibleRow(s.db, actor, id);
  await removePersonListing(s.db, s, id, actor as Actor, input.reason, {
    kind: input.kind as RemovalKind,
    ...opts,
  });
  const [v] = await readViews(s.db, s.pii, actor, [id], { requestId: opts.requestId, now: opts.now });
  return v!;
}

async function visibleRow(q: Kysely<DB>, reader: Principal, id: string): Promise<Row> {
  const lists = requireReader(reader);
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) throw notFoundListing();
  const r = await q.selectFrom('person_listings').selectAll().where('id', '=', id).executeTakeFirst();
  if (!r || !lists.includes(r.list)) throw notFoundListing();
  return r;
}

/** Records that the person was given notice (reason, term, how to appeal); a second time changes nothing. */
export async function recordNotice(
  s: PersonListServices,
  actor: Principal,
  id: string,
  input: { sentAt?: string | undefined; note?: string | undefined } = {},
  opts: { requestId?: string; now?: number } = {},
): Promise<PersonListingView> {
  requireDesignator(actor);
  await visibleRow(s.db, actor, id);
  const now = opts.now ?? Date.now();
  const sentAt = input.sentAt ? parseTime('sentAt', input.sentAt) : new Date(now);
  if (sentAt.getTime() > now + START_SKEW_MS)
    throw badRequest('invalid_notice', 'sentAt is in the future: record the notice once it is served');
  await s.db.transaction().execute(async (tx) => {
    const r = await lockRow(tx, id);
    if (!r) throw notFoundListing();
    if (r.notice_sent_at !== null) return;
    if (sentAt < new Date(r.created_at) && sentAt < new Date(r.starts_at))
      throw badRequest('invalid_notice', 'sentAt is before the designation');
    const at = new Date(now);
    await tx
      .updateTable('person_listings')
      .set({ notice_sent_at: sentAt, updated_at: at })
      .where('id', '=', id)
      .execute();
    await timeline(tx, actor as Actor, [
      {
        id,
        action: 'notice_sent',
        status: r.status,
        endsAt: r.ends_at,
        note: input.note?.trim() || `notice served ${sentAt.toISOString()}`,
        at,
      },
    ]);
    await audit(
      tx,
      actor as Actor,
      {
        action: 'person_listing.notice',
        targetKind: 'person_listing',
        targetId: id,
        details: { sentAt: sentAt.toISOString() },
      },
      opts.requestId,
    );
  });
  const [v] = await readViews(s.db, s.pii, actor, [id], { requestId: opts.requestId, now });
  return v!;
}

/**
 * The periodic review of an exit restriction: `continue` sets the next review (given, or six months
 * on, within the term); `lift` removes it (`review_lifted`). Credit punishment has no review (409).
 */
export async function reviewExitRestriction(
  s: PersonListServices,
  actor: Principal,
  id: string,
  input: { outcome: 'continue' | 'lift'; note: string; nextReviewAt?: string | undefined },
  opts: { requestId?: string; now?: number } = {},
): Promise<PersonListingView> {
  requireDesignator(actor);
  const row = await visibleRow(s.db, actor, id);
  if (row.list !== 'exit_restriction')
    throw conflict('review_not_applicable', 'only an exit restriction is reviewed');
  const note = input.note.trim();
  if (!note) throw badRequest('note_required', 'a review needs a note');
  const now = opts.now ?? Date.now();
  if (input.outcome === 'lift') {
    await removePersonListing(s.db, s, id, actor as Actor, note, { kind: 'review_lifted', ...opts });
  } else {
    await s.db.transaction().execute(async (tx) => {
      const r = await lockRow(tx, id);
      if (!r) throw notFoundListing();
      if (r.status !== 'active')
        throw conflict(`person_listing_${r.status}`, `the listing is ${r.status}: nothing to review`);
      const endsAt = new Date(r.ends_at);
      let next: Date;
      if (input.nextReviewAt) {
        next = parseTime('nextReviewAt', input.nextReviewAt);
        if (next.getTime() <= now || next > endsAt)
          throw badRequest('invalid_review', 'nextReviewAt must be in the future and not after the end');
      } else {
        const six = addMonths(new Date(now), REVIEW_EVERY_MONTHS);
        next = six < endsAt ? six : endsAt;
      }
      const at = new Date(now);
      await tx
        .updateTable('person_listings')
        .set({ review_at: next, updated_at: at })
        .where('id', '=', id)
        .execute();
      await timeline(tx, actor as Actor, [
        {
          id,
          action: 'reviewed',
          status: 'active',
          endsAt,
          note: `continued, next review ${day(next)}: ${note}`,
          at,
        },
      ]);
      await audit(
        tx,
        actor as Actor,
        {
          action: 'person_listing.review',
          targetKind: 'person_listing',
          targetId: id,
          details: { outcome: 'continue', nextReviewAt: next.toISOString() },
        },
        opts.requestId,
      );
    });
  }
  const [v] = await readViews(s.db, s.pii, actor, [id], { requestId: opts.requestId, now });
  return v!;
}

// --- Expiry ------------------------------------------------------------------------------------

/**
 * Ends active listings whose end passed (status `ended`, a timeline entry, an audit record and
 * `person_listing.ended` each, once). Run every minute by one node (person-lists-routes.ts).
 */
export async function endDuePersonListings(
  s: Pick<PersonListServices, 'db' | 'bus'>,
  now: number = Date.now(),
): Promise<{ ended: number }> {
  let ended = 0;
  for (;;) {
    const n = await s.db.transaction().execute(async (tx) => {
      const rows = await tx
        .selectFrom('person_listings')
        .selectAll()
        .where('status', '=', 'active')
        .where('ends_at', '<=', new Date(now))
        .orderBy('ends_at')
        .limit(500)
        .forUpdate()
        .skipLocked()
        .execute();
      if (rows.length === 0) return 0;
      const at = new Date(now);
      const updated = await tx
        .updateTable('person_listings')
        .set({ status: 'ended', ended_at: at, updated_at: at })
        .where(
          'id',
          'in',
          rows.map((r) => r.id),
        )
        .returningAll()
        .execute();
      await timeline(
        tx,
        SYSTEM,
        updated.map((r) => ({
          id: r.id,
          action: 'ended' as const,
          status: 'ended' as const,
          endsAt: r.ends_at,
          note: `term ended ${iso(r.ends_at)}`,
          at,
        })),
      );
      for (const r of updated)
        await audit(tx, SYSTEM, {
          action: 'person_listing.end',
          targetKind: 'person_listing',
          targetId: r.id,
          details: { list: r.list, endsAt: iso(r.ends_at) },
        });
      await publishAll(
        s.bus,
        tx,
        updated.map((r) => ({ type: 'person_listing.ended' as const, data: listingFields(r, 'ended') })),
      );
      return updated.length;
    });
    ended += n;
    if (n < 500) return { ended };
  }
}

// --- Reading -----------------------------------------------------------------------------------

export interface PersonListingQuery {
  list?: PersonList | undefined;
  status?: PersonListingStatus | undefined;
  /** Exit restrictions whose review date passed. */
  reviewDue?: boolean | undefined;
  limit?: number | undefined;
  after?: string | undefined;
}

/** Newest first, masked, with a cursor (`<created_at ISO>|<id>`); only the lists the reader may see. */
export async function listPersonListings(
  s: PersonListServices,
  reader: Principal,
  query: PersonListingQuery,
  opts: { requestId?: string; now?: number } = {},
): Promise<{ items: PersonListingView[]; next: string | null }> {
  const visible = requireReader(reader);
  const lists = query.list ? visible.filter((l) => l === query.list) : visible;
  // Asking for a list one may not see answers like an empty one: nothing is revealed.
  if (lists.length === 0) return { items: [], next: null };
  const now = opts.now ?? Date.now();
  const limit = Math.min(Math.max(query.limit ?? 50, 1), 500);
  let cursor: { at: Date; id: string } | null = null;
  if (query.after) {
    const [at, id, ...rest] = query.after.split('|');
    if (rest.length || !id || Number.isNaN(Date.parse(at!)) || !/^[0-9a-f-]{36}$/i.test(id))
      throw badRequest('invalid_cursor', 'after must be the `next` of a previous page');
    cursor = { at: new Date(at!), id };
  }
  return s.db.transaction().execute(async (tx) => {
    let q = tx.selectFrom('person_listings').selectAll().where('list', 'in', lists);
    if (query.status) q = q.where('status', '=', query.status);
    if (query.reviewDue !== undefined)
      q = query.reviewDue
        ? q.where('status', '=', 'active').where('review_at', '<=', new Date(now))
        : q.where((eb) => eb.or([eb('review_at', 'is', null), eb('review_at', '>', new Date(now))]));
    if (cursor) q = q.where(sql<boolean>`(created_at, id) < (${cursor.at}, ${cursor.id}::uuid)`);
    const rows = await q
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(limit + 1)
      .execute();
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    await recordListingReads(tx, reader, page, ['name', 'idNumber'], LIST_PURPOSE, false, opts.requestId);
    return {
      items: page.map((r) => viewOf(r, now)),
      next: rows.length > limit && last ? `${iso(last.created_at)}|${last.id}` : null,
    };
  });
}

/** One listing with its timeline; clear for supervisors, masked for others; invisible lists are 404. */
export async function getPersonListing(
  s: PersonListServices,
  reader: Principal,
  id: string,
  opts: { requestId?: string; now?: number } = {},
): Promise<PersonListingView> {
  await visibleRow(s.db, reader, id);
  const [v] = await readViews(s.db, s.pii, reader, [id], { ...opts, clear: true, timeline: true });
  if (!v) throw notFoundListing();
  return v;
}

/**
 * The listings of one person (by id number, matched through the keyed hash), newest first, of the
 * lists the reader may see. None: an empty list, whether or not the person is on another list.
 */
export async function lookupPersonListings(
  s: PersonListServices,
  reader: Principal,
  input: { idNumber: string; idType?: string | undefined; list?: PersonList | undefined },
  opts: { requestId?: string; now?: number } = {},
): Promise<PersonListingView[]> {
  const visible = requireReader(reader);
  const doc = parseIdentityDocument(input.idNumber, input.idType ? { type: input.idType } : {});
  const lists = input.list ? visible.filter((l) => l === input.list) : visible;
  if (lists.length === 0) return [];
  const rows = await s.db
    .selectFrom('person_listings')
    .select('id')
    .where('person_key', '=', idNumberHash(s.pii, doc.type, doc.value))
    .where('list', 'in', lists)
    .orderBy('created_at', 'desc')
    .execute();
  return readViews(
    s.db,
    s.pii,
    reader,
    rows.map((r) => r.id),
    opts,
  );
}

/** Thrown as 400 by callers that take a list name as text (CLI). */
export function checkList(v: string): PersonList {
  if (!(PERSON_LISTS as readonly string[]).includes(v))
    throw new AppError(400, 'invalid_list', `list must be one of ${PERSON_LISTS.join(', ')}`);
  return v as PersonList;
}
