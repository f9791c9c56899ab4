import crypto from 'node:crypto';
import { sql, type Kysely, type Selectable } from 'kysely';
import type { DB } from '../core/db/schema.ts';
import { publishAll } from '../core/bus/outbox.ts';
import type { EventType } from '../core/bus/events.ts';
import { actorColumns, audit, SYSTEM, timelineEntry, type Actor } from '../core/audit.ts';
import { AppError, badRequest, conflict, forbidden, notFound } from '../core/errors.ts';
import type { Principal } from '../identity/model.ts';
import { piiContext } from '../privacy/crypto.ts';
import { parseIdentityDocument } from '../privacy/idnumber.ts';
import { sameName } from '../privacy/normalise.ts';
import { maskAccount, maskIdNumber, maskName, maskPhone } from '../privacy/mask.ts';
import { registerEncryptedTable } from '../privacy/rotate.ts';
import { canonicalIndicator, changeListing, delist } from '../registry/service.ts';
import { formatReceiptCode, newReceiptCode, parseReceiptCode } from '../reports/receipt.ts';
import { idNumberHash } from '../privacy/service.ts';
import { APPEAL_RESPONSE_DAYS } from './catalogue.ts';
import {
  OPEN_APPEAL_STATUSES,
  type AppealAction,
  type AppealChannel,
  type AppealMeasureKind,
  type AppealsTable,
  type AppealStatus,
  type AppealSubjectKind,
  type CompensationStatus,
  type HolderOnRecord,
  type UseResult,
  type VerificationMethod,
  type VerificationResult,
} from './appeal-tables.ts';
import { IN_FORCE, liftInstruction, type GovernanceServices } from './store.ts';
import { removePersonListing, visibleLists } from './person-lists.ts';
import type { InstructionMeasure, InstructionStatus, TargetKind } from './tables.ts';
import './events.ts';
import { queueSms } from './sms.ts';

/**
 * Objections and appeals (docs/governance.md, "Appeals"). A person names a measure (by number,
 * account, internet account, the notice's number, or "a measure against me") and identifies
 * themselves; the platform finds the instructions and listings that stand against it. Whether
 * anything was found, or belongs to someone else, never shows in the answer: every appeal gets
 * the same receipt. A reviewer who did not issue the measure decides after the holder's identity
 * and real use are verified; upholding lifts every measure at once, sends restore instructions
 * to the institutions that had acted, and delists the listings.
 */

registerEncryptedTable({
  table: 'appeals',
  idColumn: 'id',
  keyIdColumn: 'appellant_key_id',
  columns: ['name_enc', 'id_number_enc', 'contact_enc'],
});

const DAY_MS = 86_400_000;

/** What a rejected appellant can still do (PRC Administrative Reconsideration and Litigation Laws). */
export const FURTHER_REMEDIES = {
  zh: '如不服本决定，可自知道之日起六十日内申请行政复议，或自知道之日起六个月内依法提起行政诉讼。',
  en: 'If you disagree, you may apply for administrative reconsideration within 60 days, or bring an administrative lawsuit within six months, of learning of this decision.',
} as const;

const RECEIVED_MESSAGE = {
  zh: '申诉已受理。请保存回执编号，用它查询进度、补充材料。我们会核实您的身份和号码、账户的实际使用情况，并在答复期限前作出决定。',
  en: 'Your appeal is received. Keep the receipt code: it is how you follow the appeal and add evidence. We will verify your identity and your real use of the card or account, and decide by the date given.',
} as const;

// --- Views ----------------------------------------------------------------------------------------

export interface AppealMeasureView {
  kind: AppealMeasureKind;
  id: string;
  /** Instruction: its measure; listing: its category. */
  what: string;
  target: string;
  statusBefore: string;
  status: string;
  /** Instruction: the institution that carries it out. */
  organisationId: string | null;
  organisation: string | null;
  liftedAt: string | null;
  restoreInstructionId: string | null;
  /** The restore instruction's status, when one was sent. */
  restoreStatus: InstructionStatus | null;
}

export interface AppealTimelineEntry {
  at: string;
  action: AppealAction;
  status: AppealStatus;
  actor: string;
  actorKind: string;
  organisationId: string | null;
  note: string | null;
}

export interface CompensationView {
  id: string;
  amount: string;
  currency: string;
  description: string;
  status: CompensationStatus;
  amountGranted: string | null;
  decisionReasons: string | null;
  decidedBy: string | null;
  decidedAt: string | null;
  createdAt: string;
}

export interface AppealView {
  id: string;
  receiptCode: string;
  status: AppealStatus;
  channel: AppealChannel;
  counterOrganisationId: string | null;
  subject: { kind: AppealSubjectKind; value: string };
  /** Masked name and id number. */
  appellant: string;
  identityOnRecord: boolean;
  holderOnRecord: HolderOnRecord;
  measureCount: number;
  respondBy: string;
  /** Open past its service deadline. */
  overdue: boolean;
  verification: {
    identity: VerificationResult | null;
    use: UseResult | null;
    method: VerificationMethod | null;
    note: string | null;
    by: string | null;
    at: string | null;
  };
  decision: { reasons: string; by: string; at: string } | null;
  createdAt: string;
  /** Detail only. */
  explanation?: string;
  language?: 'zh' | 'en';
  contact?: string | null;
  measures?: AppealMeasureView[];
  timeline?: AppealTimelineEntry[];
  evidence?: { id: string; fileName: string; mediaType: string; size: number; createdAt: string }[];
  compensation?: CompensationView[];
  /** When every restore instruction was carried out; null while any is pending or none was needed. */
  restoredAt?: string | null;
}

type Row = Selectable<AppealsTable> & { measure_count: number | string };

const iso = (d: Date | string) => new Date(d).toISOString();
const isoOrNull = (d: Date | string | null) => (d === null ? null : iso(d));

function viewOf(r: Row, now: number): AppealView {
  const open = OPEN_APPEAL_STATUSES.includes(r.status);
  return {
    id: r.id,
    receiptCode: formatReceiptCode(r.receipt_code),
    status: r.status,
    channel: r.channel,
    counterOrganisationId: r.counter_organisation_id,
    subject: { kind: r.subject_kind, value: r.subject_display },
    appellant: r.appellant_display,
    identityOnRecord: r.identity_on_record,
    holderOnRecord: r.holder_on_record,
    measureCount: Number(r.measure_count),
    respondBy: iso(r.respond_by),
    overdue: open && new Date(r.respond_by).getTime() < now,
    verification: {
      identity: r.verification_identity,
      use: r.verification_use,
      method: r.verification_method,
      note: r.verification_note,
      by: r.verified_by,
      at: isoOrNull(r.verified_at),
    },
    decision:
      r.decided_at && r.decided_by
        ? { reasons: r.decision_reasons ?? '', by: r.decided_by, at: iso(r.decided_at) }
        : null,
    createdAt: iso(r.created_at),
  };
}

const selectRows = (q: Kysely<DB>) =>
  q
    .selectFrom('appeals as a')
    .selectAll('a')
    .select((eb) =>
      eb
        .selectFrom('appeal_measures as m')
        .select(eb.fn.countAll<number>().as('n'))
        .whereRef('m.appeal_id', '=', 'a.id')
        .as('measure_count'),
    );

// --- Who may do what -----------------------------------------------------------------------------

const isCentre = (p: Principal, roles: readonly string[]) =>
  p.kind === 'user' && p.organisationKind === 'anti_fraud_centre' && p.roles.some((r) => roles.includes(r));

const INSTITUTION_KINDS = ['telecom_operator', 'bank', 'internet_service'];
const isInstitution = (p: Principal) =>
  INSTITUTION_KINDS.includes(p.organisationKind) &&
  p.roles.some((r) => r === 'institution_operator' || r === 'administrator');

/**
 * Narrows an appeal query to what an institution may see: the appeals taken at its counter, and
 * those against measures it was instructed to carry out (it verifies the holder and real use, and
 * executes the restore).
 */
function institutionScope(q: ReturnType<typeof selectRows>, orgId: string) {
  return q.where((eb) =>
    eb.or([
      eb('a.counter_organisation_id', '=', orgId),
      eb.exists(
        eb
          .selectFrom('appeal_measures as m')
          .innerJoin('instructions as i', 'i.id', 'm.ref_id')
          .select('m.ref_id')
          .whereRef('m.appeal_id', '=', 'a.id')
          .where('m.kind', '=', 'instruction')
          .where('i.receiving_organisation_id', '=', orgId),
      ),
    ]),
  );
}

async function institutionSees(q: Kysely<DB>, orgId: string, appealId: string): Promise<boolean> {
  const hit = await institutionScope(selectRows(q), orgId).where('a.id', '=', appealId).executeTakeFirst();
  return hit !== undefined;
}

async function requireReader(q: Kysely<DB>, p: Principal, appealId: string): Promise<void> {
  if (isCentre(p, ['analyst', 'supervisor', 'auditor'])) return;
  if (isInstitution(p) && (await institutionSees(q, p.organisationId, appealId))) return;
  // Not the centre's staff, or not this institution's appeal: it does not exist for the reader.
  throw notFound('appeal');
}

// --- Submitting ----------------------------------------------------------------------------------

export interface AppealInput {
  subject: { kind: AppealSubjectKind; value?: string | undefined };
  appellant: { idNumber: string; name: string; contactPhone?: string | undefined };
  explanation: string;
  language?: 'zh' | 'en' | undefined;
}

export type AppealVia = { channel: 'web' } | { channel: 'counter'; principal: Principal };

export interface AppealReceipt {
  receiptCode: string;
  status: AppealStatus;
  respondBy: string;
  message: { zh: string; en: string };
}

interface Subject {
  kind: AppealSubjectKind;
  key: string;
  display: string;
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function canonicalSubject(kind: AppealSubjectKind, raw: string | undefined, appellantKey: string): Subject {
  if (kind === 'person') return { kind, key: appellantKey, display: 'measures against the appellant' };
  const value = (raw ?? '').trim();
  if (!value) throw badRequest('subject_required', `subject.value is required for a ${kind}`);
  if (kind === 'notice') {
    if (!UUID_RE.test(value))
      throw badRequest('invalid_notice', 'subject.value is the notice number printed on the notice');
    return { kind, key: value.toLowerCase(), display: value.toLowerCase() };
  }
  const tries =
    kind === 'msisdn'
      ? (['phone'] as const)
      : kind === 'account'
        ? (['bank_account', 'payment_account'] as const)
        : (['internet_account'] as const);
  let reason = '';
  for (const k of tries) {
    const c = canonicalIndicator(k, value);
    if (c.ok)
      return {
        kind,
        key: c.value,
        display: kind === 'msisdn' ? maskPhone(c.value) : kind === 'account' ? maskAccount(c.value) : c.value,
      };
    reason ||= c.reason;
  }
  throw badRequest('invalid_subject', `subject.value is not a valid ${kind}: ${reason}`);
}

interface Found {
  holder: HolderOnRecord;
  instructions: { id: string; status: InstructionStatus }[];
  listings: { id: string; status: string }[];
  personListings: { id: string; status: string }[];
}

/** The card's or account's holder by the operators' and banks' records, relative to the appellant. */
async function holderOf(
  q: Kysely<DB>,
  kind: TargetKind,
  key: string,
  personId: string | null,
  appellantKey: string,
): Promise<HolderOnRecord> {
  if (kind === 'holder') return key === appellantKey ? 'appellant' : 'other';
  let holders: (string | null)[] = [];
  if (kind === 'msisdn') {
    const rows = await q
      .selectFrom('phone_cards')
      .select(['holder_person_id', 'status'])
      .where('msisdn', '=', key)
      .execute();
    // A recycled number: its present holder, not those who gave it back; all of them when none holds it now.
    const present = rows.filter((r) => r.status !== 'cancelled');
    holders = (present.length > 0 ? present : rows).map((r) => r.holder_person_id);
  } else if (kind === 'account') {
    const rows = await q
      .selectFrom('bank_accounts')
      .select('holder_person_id')
      .where('account', '=', key.toUpperCase().replace(/[\s-]/g, ''))
      .execute();
    holders = rows.map((r) => r.holder_person_id);
  }
  if (holders.length === 0 || holders.every((h) => h === null)) return 'unknown';
  return personId !== null && holders.includes(personId) ? 'appellant' : 'other';
}

const LISTING_KINDS: Partial<Record<TargetKind, readonly string[]>> = {
  msisdn: ['phone'],
  account: ['bank_account', 'payment_account'],
  internet_account: ['internet_account'],
};

/**
 * The measures standing against what the appellant named. A card or account on record as someone
 * else's yields nothing: an appeal cannot reach another person's measures.
 */
async function findMeasures(
  q: Kysely<DB>,
  subject: Subject,
  personId: string | null,
  appellantKey: string,
): Promise<Found> {
  let targetKind: TargetKind;
  let targetKey: string;
  if (subject.kind === 'notice') {
    const r = await q
      .selectFrom('instructions')
      .select(['target_kind', 'target_key'])
      .where('id', '=', subject.key)
      .executeTakeFirst();
    if (!r) return { holder: 'unknown', instructions: [], listings: [], personListings: [] };
    targetKind = r.target_kind;
    targetKey = r.target_key;
  } else {
    targetKind = subject.kind === 'person' ? 'holder' : subject.kind;
    targetKey = subject.key;
  }
  const holder = await holderOf(q, targetKind, targetKey, personId, appellantKey);
  if (holder === 'other') return { holder, instructions: [], listings: [], personListings: [] };
  const instructions = await q
    .selectFrom('instructions')
    .select(['id', 'status'])
    .where('target_kind', '=', targetKind)
    .where('target_key', '=', targetKey)
    .where('status', 'in', IN_FORCE)
    .where('measure', '!=', 'restore')
    .orderBy('created_at')
    .execute();
  const kinds = LISTING_KINDS[targetKind];
  const listings = kinds
    ? await q
        .selectFrom('listings')
        .select(['id', 'status'])
        .where('kind', 'in', kinds as never)
        .where('value', '=', targetKey)
        .where('status', 'in', ['active', 'under_appeal'])
        .execute()
    : [];
  // "A measure against me": the lists of persons too (an ended term still marks the record: credit repair).
  const personListings =
    subject.kind === 'person'
      ? await q
          .selectFrom('person_listings')
          .select(['id', 'status'])
          .where('person_key', '=', appellantKey)
          .where('status', 'in', ['active', 'ended'])
          .execute()
      : [];
  return { holder, instructions, listings, personListings };
}

/** Service deadline: APPEAL_RESPONSE_DAYS from receipt. */
export const respondByOf = (now: number) => new Date(now + APPEAL_RESPONSE_DAYS * DAY_MS);

type BusEvent = { type: EventType; data: unknown };

async function appealTimeline(
  q: Kysely<DB>,
  id: string,
  action: AppealAction,
  status: AppealStatus,
  actor: Actor,
  note: string | null,
  at: Date,
): Promise<void> {
  await q
    .insertInto('appeal_events')
    .values({ appeal_id: id, at, action, status, note, ...actorColumns(actor) })
    .execute();
}

/** The appellant, as an actor in timelines and audit records: never their name. */
const APPELLANT: Actor = { kind: 'system', name: 'appellant' };

/**
 * Receives an appeal (public web form, or an institution's counter on the person's behalf).
 * The answer is the same whether or not a measure was found: a receipt and the service deadline.
 * A second appeal by the same person on the same subject while one is open joins it.
 */
export async function submitAppeal(
  s: GovernanceServices,
  input: AppealInput,
  via: AppealVia,
  opts: { requestId?: string; now?: number } = {},
): Promise<AppealReceipt & { id: string; joined: boolean }> {
  const now = opts.now ?? Date.now();
  if (via.channel === 'counter' && !isInstitution(via.principal))
    throw forbidden('appeals are taken at the counters of operators, banks and internet services');
  let doc;
  try {
    doc = parseIdentityDocument(input.appellant.idNumber);
  } catch (err) {
    throw err instanceof AppError ? err : badRequest('invalid_id_number', 'the identity number is not valid');
  }
  const name = input.appellant.name.trim();
  if (!name || name.length > 100) throw badRequest('invalid_name', 'the name is 1 to 100 characters');
  const explanation = input.explanation.trim();
  if (!explanation || explanation.length > 4000)
    throw badRequest('invalid_explanation', 'the explanation is 1 to 4000 characters');
  let contact: string | null = null;
  if (input.appellant.contactPhone?.trim()) {
    const c = canonicalIndicator('phone', input.appellant.contactPhone);
    if (!c.ok) throw badRequest('invalid_contact_phone', `the contact phone is not valid: ${c.reason}`);
    contact = c.value;
  }
  const appellantKey = idNumberHash(s.pii, doc.type, doc.value);
  const subject = canonicalSubject(input.subject.kind, input.subject.value, appellantKey);
  const at = new Date(now);
  const actor: Actor = via.channel === 'counter' ? (via.principal as Actor) : APPELLANT;

  const attempt = () =>
    s.db.transaction().execute(async (tx) => {
      const open = await tx
        .selectFrom('appeals')
        .select(['id', 'receipt_code', 'status', 'respond_by'])
        .where('appellant_key', '=', appellantKey)
        .where('subject_kind', '=', subject.kind)
        .where('subject_key', '=', subject.key)
        .where('status', 'in', OPEN_APPEAL_STATUSES)
        .forUpdate()
        .executeTakeFirst();
      if (open) {
        await appealTimeline(tx, open.id, 'joined', open.status, actor, explanation.slice(0, 2000), at);
        await tx.updateTable('appeals').set({ updated_at: at }).where('id', '=', open.id).execute();
        return {
          id: open.id,
          code: open.receipt_code,
          status: open.status,
          respondBy: new Date(open.respond_by),
          joined: true,
        };
      }
      const person = await tx
        .selectFrom('persons')
        .select(['id', 'key_id', 'name_enc'])
        .where('id_number_hash', '=', appellantKey)
        .executeTakeFirst();
      const identityOnRecord =
        person !== undefined &&
        sameName(
          s.pii.decrypt(person.key_id, person.name_enc, piiContext('persons', 'name_enc', person.id)),
          name,
        );
      const found = await findMeasures(tx, subject, person?.id ?? null, appellantKey);
      const id = crypto.randomUUID();
      const code = newReceiptCode();
      const enc = (col: string, plain: string) =>
        s.pii.encrypt(plain, piiContext('appeals', col, id)).ciphertext;
      const respondBy = respondByOf(now);
      const counter = via.channel === 'counter';
      await tx
        .insertInto('appeals')
        .values({
          id,
          receipt_code: code,
          status: 'received',
          channel: via.channel,
          counter_organisation_id: counter ? via.principal.organisationId : null,
          subject_kind: subject.kind,
          subject_key: subject.key,
          subject_display: subject.display,
          appellant_key: appellantKey,
          appellant_person_id: person?.id ?? null,
          appellant_key_id: s.pii.activeKeyId,
          name_enc: enc('name_enc', name),
          id_number_enc: enc('id_number_enc', `${doc.type}:${doc.value}`),
          contact_enc: contact ? enc('contact_enc', contact) : null,
          appellant_display: `${maskName(name)} ${maskIdNumber(doc.value)}`,
          identity_on_record: identityOnRecord,
          holder_on_record: found.holder,
          explanation,
          language: input.language ?? 'zh',
          respond_by: respondBy,
          // At a counter the person stood there with their identity document.
          ...(counter
            ? {
                verification_identity: 'confirmed' as const,
                verification_method: 'counter' as const,
                verified_by: via.principal.name,
                verified_at: at,
              }
            : {}),
          created_at: at,
          updated_at: at,
        })
        .execute();
      const links = [
        ...found.instructions.map((i) => ({
          appeal_id: id,
          kind: 'instruction' as const,
          ref_id: i.id,
          status_before: i.status,
        })),
        ...found.listings.map((l) => ({
          appeal_id: id,
          kind: 'listing' as const,
          ref_id: l.id,
          status_before: l.status,
        })),
        ...found.personListings.map((l) => ({
          appeal_id: id,
          kind: 'person_listing' as const,
          ref_id: l.id,
          status_before: l.status,
        })),
      ];
      if (links.length) await tx.insertInto('appeal_measures').values(links).execute();
      // Only the holder on record, named correctly, softens a listing while the appeal runs: otherwise
      // a fraudster could weaken the listing of their own number by appealing against it.
      if (identityOnRecord && found.holder === 'appellant')
        for (const l of found.listings)
          if (l.status === 'active')
            await changeListing(tx, s.bus, SYSTEM, l.id, {
              status: 'under_appeal',
              reason: `appeal ${formatReceiptCode(code)} by the holder on record`,
            });
      if (contact)
        await queueSms(tx, s.pii, contact, receivedSms(input.language ?? 'zh', code, respondBy), 'appeal');
      await appealTimeline(tx, id, 'received', 'received', actor, null, at);
      await audit(
        tx,
        actor,
        {
          action: 'appeal.receive',
          targetKind: 'appeal',
          targetId: id,
          details: {
            channel: via.channel,
            subjectKind: subject.kind,
            measures: links.length,
            holderOnRecord: found.holder,
            identityOnRecord,
          },
        },
        opts.requestId,
      );
      await publishAll(s.bus, tx, [
        {
          type: 'appeal.received',
          data: {
            id,
            channel: via.channel,
            subjectKind: subject.kind,
            measures: links.length,
            respondBy: respondBy.toISOString(),
          },
        },
      ]);
      return { id, code, status: 'received' as AppealStatus, respondBy, joined: false };
    });

  let r;
  try {
    r = await attempt();
  } catch (err) {
    // Two submissions at once: the open-appeal index let one in; the other joins it.
    if ((err as { code?: string }).code !== '23505') throw err;
    r = await attempt();
  }
  return {
    id: r.id,
    joined: r.joined,
    receiptCode: formatReceiptCode(r.code),
    status: r.status,
    respondBy: r.respondBy.toISOString(),
    message: RECEIVED_MESSAGE,
  };
}

function receivedSms(lang: 'zh' | 'en', code: string, respondBy: Date): string {
  const day = respondBy.toISOString().slice(0, 10);
  return lang === 'zh'
    ? `【反诈】您的申诉已受理，回执编号 ${formatReceiptCode(code)}。我们将在 ${day} 前作出决定，请凭回执编号在申诉页面查询。`
    : `[Anti-fraud] Your appeal is received, receipt ${formatReceiptCode(code)}. A decision is due by ${day}; follow it with the receipt code on the appeal page.`;
}

function decidedSms(lang: 'zh' | 'en', code: string, outcome: 'upheld' | 'rejected'): string {
  const c = formatReceiptCode(code);
  if (lang === 'zh')
    return outcome === 'upheld'
      ? `【反诈】您的申诉（回执 ${c}）已获支持，相关措施已解除，服务正在恢复。理由请凭回执编号在申诉页面查询。`
      : `【反诈】您的申诉（回执 ${c}）未获支持。理由及复议、诉讼途径请凭回执编号在申诉页面查询。`;
  return outcome === 'upheld'
    ? `[Anti-fraud] Your appeal ${c} is upheld: the measure is lifted and the service is being restored. The reasons are on the appeal page (receipt code).`
    : `[Anti-fraud] Your appeal ${c} is not upheld. The reasons, and how to seek review or go to court, are on the appeal page (receipt code).`;
}

// --- The appellant's view, by receipt -------------------------------------------------------------

export interface AppealReceiptView {
  receiptCode: string;
  status: AppealStatus;
  receivedAt: string;
  respondBy: string;
  evidenceFiles: number;
  decision: {
    outcome: 'upheld' | 'rejected';
    reasons: string;
    decidedAt: string;
    /** Upheld: restoration done (every institution carried out its restore instruction). */
    restored: boolean | null;
    furtherRemedies: { zh: string; en: string } | null;
  } | null;
  compensation: {
    status: CompensationStatus;
    amount: string;
    currency: string;
    amountGranted: string | null;
  }[];
}

async function appealByReceipt(q: Kysely<DB>, typed: string) {
  const code = parseReceiptCode(typed);
  if (!code)
    throw badRequest('invalid_receipt', 'a receipt code is 12 letters and digits, e.g. ABCD-EFGH-JKMN');
  const r = await q.selectFrom('appeals').selectAll().where('receipt_code', '=', code).executeTakeFirst();
  if (!r) throw notFound('appeal');
  return r;
}

/** Restoration state of an upheld appeal: whether every restore instruction was carried out, and when. */
async function restoration(q: Kysely<DB>, appealId: string): Promise<{ done: boolean; at: string | null }> {
  const rows = await q
    .selectFrom('appeal_measures as m')
    .innerJoin('instructions as i', 'i.id', 'm.restore_instruction_id')
    .select(['i.status', 'i.executed_at'])
    .where('m.appeal_id', '=', appealId)
    .execute();
  if (rows.some((r) => r.status !== 'executed')) return { done: false, at: null };
  const last = rows.reduce<number>(
    (m, r) => Math.max(m, r.executed_at ? new Date(r.executed_at).getTime() : 0),
    0,
  );
  return { done: true, at: last ? new Date(last).toISOString() : null };
}

/** What the appellant sees: status, dates, the decision with its reasons. Nothing about other people. */
export async function getAppealReceipt(q: Kysely<DB>, typed: string): Promise<AppealReceiptView> {
  const r = await appealByReceipt(q, typed);
  const files = await q
    .selectFrom('appeal_evidence')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('appeal_id', '=', r.id)
    .executeTakeFirstOrThrow();
  const claims = await q
    .selectFrom('compensation_claims')
    .select(['status', 'amount', 'currency', 'amount_granted'])
    .where('appeal_id', '=', r.id)
    .orderBy('created_at')
    .execute();
  let decision: AppealReceiptView['decision'] = null;
  if ((r.status === 'upheld' || r.status === 'rejected') && r.decided_at) {
    decision = {
      outcome: r.status,
      reasons: r.decision_reasons ?? '',
      decidedAt: iso(r.decided_at),
      restored: r.status === 'upheld' ? (await restoration(q, r.id)).done : null,
      furtherRemedies: r.status === 'rejected' ? FURTHER_REMEDIES : null,
    };
  }
  return {
    receiptCode: formatReceiptCode(r.receipt_code),
    status: r.status,
    receivedAt: iso(r.created_at),
    respondBy: iso(r.respond_by),
    evidenceFiles: Number(files.n),
    decision,
    compensation: claims.map((c) => ({
      status: c.status,
      amount: String(c.amount),
      currency: c.currency,
      amountGranted: c.amount_granted === null ? null : String(c.amount_granted),
    })),
  };
}

/** The appeal an evidence file is added to: open ones only. */
export async function openAppealForEvidence(q: Kysely<DB>, typed: string): Promise<{ id: string }> {
  const r = await appealByReceipt(q, typed);
  if (!OPEN_APPEAL_STATUSES.includes(r.status))
    throw conflict('appeal_closed', `the appeal is ${r.status}: evidence is added while it is open`);
  return { id: r.id };
}

export async function recordEvidenceAdded(q: Kysely<DB>, appealId: string, fileName: string): Promise<void> {
  const r = await q
    .selectFrom('appeals')
    .select('status')
    .where('id', '=', appealId)
    .executeTakeFirstOrThrow();
  await appealTimeline(q, appealId, 'evidence_added', r.status, APPELLANT, fileName, new Date());
}

/** The appellant withdraws by receipt: listings softened while it ran are active again. */
export async function withdrawAppeal(
  s: GovernanceServices,
  typed: string,
  opts: { requestId?: string; now?: number } = {},
): Promise<AppealReceiptView> {
  const now = opts.now ?? Date.now();
  const r0 = await appealByReceipt(s.db, typed);
  await s.db.transaction().execute(async (tx) => {
    const r = await tx
      .selectFrom('appeals')
      .selectAll()
      .where('id', '=', r0.id)
      .forUpdate()
      .executeTakeFirstOrThrow();
    if (r.status === 'withdrawn') return;
    if (!OPEN_APPEAL_STATUSES.includes(r.status))
      throw conflict('appeal_decided', `the appeal is ${r.status} already`);
    const at = new Date(now);
    await tx
      .updateTable('appeals')
      .set({ status: 'withdrawn', updated_at: at })
      .where('id', '=', r.id)
      .execute();
    await reactivateListings(tx, s, r, SYSTEM, 'withdrawn');
    await appealTimeline(tx, r.id, 'withdrawn', 'withdrawn', APPELLANT, null, at);
    await audit(
      tx,
      APPELLANT,
      { action: 'appeal.withdraw', targetKind: 'appeal', targetId: r.id },
      opts.requestId,
    );
  });
  return getAppealReceipt(s.db, typed);
}

/** Listings this appeal put under appeal go back to active (rejected or withdrawn). */
async function reactivateListings(
  tx: Kysely<DB>,
  s: GovernanceServices,
  r: Selectable<AppealsTable>,
  actor: Actor,
  outcome: string,
): Promise<void> {
  const rows = await tx
    .selectFrom('appeal_measures as m')
    .innerJoin('listings as l', 'l.id', 'm.ref_id')
    .select(['l.id', 'l.status'])
    .where('m.appeal_id', '=', r.id)
    .where('m.kind', '=', 'listing')
    .where('l.status', '=', 'under_appeal')
    .execute();
  for (const l of rows)
    await changeListing(tx, s.bus, actor, l.id, {
      status: 'active',
      reason: `appeal ${formatReceiptCode(r.receipt_code)} ${outcome}`,
    });
}

// --- Reviewing ------------------------------------------------------------------------------------

export interface AppealQuery {
  status?: AppealStatus | undefined;
  overdue?: boolean | undefined;
  limit?: number | undefined;
  after?: string | undefined;
}

/**
 * The review queue: open appeals by service deadline first (the centre sees all; an institution
 * the appeals at its counter or against its instructions), then by receipt, with a cursor.
 */
export async function listAppeals(
  s: { db: Kysely<DB> },
  reader: Principal,
  query: AppealQuery,
  now: number = Date.now(),
): Promise<{ items: AppealView[]; next: string | null }> {
  const limit = Math.min(Math.max(query.limit ?? 50, 1), 200);
  let q = selectRows(s.db);
  if (!isCentre(reader, ['analyst', 'supervisor', 'auditor'])) {
    if (!isInstitution(reader)) throw forbidden();
    q = institutionScope(q, reader.organisationId);
  }
  if (query.status) q = q.where('a.status', '=', query.status);
  if (query.overdue !== undefined)
    q = query.overdue
      ? q.where('a.status', 'in', OPEN_APPEAL_STATUSES).where('a.respond_by', '<', new Date(now))
      : q.where((eb) =>
          eb.or([eb('a.status', 'not in', OPEN_APPEAL_STATUSES), eb('a.respond_by', '>=', new Date(now))]),
        );
  if (query.after) {
    const [at, id, ...rest] = query.after.split('|');
    if (rest.length || !id || Number.isNaN(Date.parse(at!)) || !UUID_RE.test(id))
      throw badRequest('invalid_cursor', 'after must be the `next` of a previous page');
    q = q.where(sql<boolean>`(a.respond_by, a.id) > (${new Date(at!)}, ${id}::uuid)`);
  }
  const rows = await q
    .orderBy('a.respond_by')
    .orderBy('a.id')
    .limit(limit + 1)
    .execute();
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return {
    items: page.map((r) => viewOf(r as Row, now)),
    next: rows.length > limit && last ? `${iso(last.respond_by)}|${last.id}` : null,
  };
}

const MEASURE_NAMES: Record<InstructionMeasure, string> = {
  re_verify: 're_verify',
  restrict_functions: 'restrict_functions',
  suspend_card: 'suspend_card',
  restrict_internet_account: 'restrict_internet_account',
  suspend_internet_account: 'suspend_internet_account',
  block_link: 'block_link',
  restrict_account_non_counter: 'restrict_account_non_counter',
  refuse_new_cards_accounts: 'refuse_new_cards_accounts',
  restore: 'restore',
};

async function measuresOf(
  q: Kysely<DB>,
  appealId: string,
  lists: readonly string[],
): Promise<AppealMeasureView[]> {
  const ins = await q
    .selectFrom('appeal_measures as m')
    .innerJoin('instructions as i', 'i.id', 'm.ref_id')
    .innerJoin('organisations as o', 'o.id', 'i.receiving_organisation_id')
    .leftJoin('instructions as r', 'r.id', 'm.restore_instruction_id')
    .select([
      'm.ref_id',
      'm.status_before',
      'm.lifted_at',
      'm.restore_instruction_id',
      'i.measure',
      'i.target_display',
      'i.status',
      'i.receiving_organisation_id',
      'o.name as org_name',
      'r.status as restore_status',
    ])
    .where('m.appeal_id', '=', appealId)
    .where('m.kind', '=', 'instruction')
    .orderBy('i.created_at')
    .execute();
  const lst = await q
    .selectFrom('appeal_measures as m')
    .innerJoin('listings as l', 'l.id', 'm.ref_id')
    .select(['m.ref_id', 'm.status_before', 'm.lifted_at', 'l.category', 'l.value', 'l.status'])
    .where('m.appeal_id', '=', appealId)
    .where('m.kind', '=', 'listing')
    .execute();
  // A list the reader may not see is left out (exit restriction: supervisors and auditors only).
  const persons = lists.length
    ? await q
        .selectFrom('appeal_measures as m')
        .innerJoin('person_listings as p', 'p.id', 'm.ref_id')
        .select(['m.ref_id', 'm.status_before', 'm.lifted_at', 'p.list', 'p.id_display', 'p.status'])
        .where('m.appeal_id', '=', appealId)
        .where('m.kind', '=', 'person_listing')
        .where('p.list', 'in', lists as never)
        .execute()
    : [];
  return [
    ...persons.map((r) => ({
      kind: 'person_listing' as const,
      id: r.ref_id,
      what: r.list,
      target: r.id_display,
      statusBefore: r.status_before,
      status: r.status,
      organisationId: null,
      organisation: null,
      liftedAt: isoOrNull(r.lifted_at),
      restoreInstructionId: null,
      restoreStatus: null,
    })),
    ...ins.map((r) => ({
      kind: 'instruction' as const,
      id: r.ref_id,
      what: MEASURE_NAMES[r.measure],
      target: r.target_display,
      statusBefore: r.status_before,
      status: r.status,
      organisationId: r.receiving_organisation_id,
      organisation: r.org_name,
      liftedAt: isoOrNull(r.lifted_at),
      restoreInstructionId: r.restore_instruction_id,
      restoreStatus: (r.restore_status as InstructionStatus | null) ?? null,
    })),
    ...lst.map((r) => ({
      kind: 'listing' as const,
      id: r.ref_id,
      what: r.category,
      target: r.value,
      statusBefore: r.status_before,
      status: r.status,
      organisationId: null,
      organisation: null,
      liftedAt: isoOrNull(r.lifted_at),
      restoreInstructionId: null,
      restoreStatus: null,
    })),
  ];
}

/**
 * One appeal with the appellant's explanation, its measures, timeline, evidence and compensation
 * claims. Reading it is a read of the appellant's personal data: recorded with purpose `appeal`.
 */
export async function getAppeal(
  s: GovernanceServices,
  reader: Principal,
  id: string,
  opts: { requestId?: string; now?: number } = {},
): Promise<AppealView> {
  if (!UUID_RE.test(id)) throw notFound('appeal');
  await requireReader(s.db, reader, id);
  const r = await selectRows(s.db).where('a.id', '=', id).executeTakeFirst();
  if (!r) throw notFound('appeal');
  const v = viewOf(r as Row, opts.now ?? Date.now());
  v.explanation = r.explanation;
  v.language = r.language;
  v.contact = r.contact_enc
    ? maskPhone(s.pii.decrypt(r.appellant_key_id, r.contact_enc, piiContext('appeals', 'contact_enc', r.id)))
    : null;
  v.measures = await measuresOf(s.db, id, visibleLists(reader));
  const events = await s.db
    .selectFrom('appeal_events')
    .selectAll()
    .where('appeal_id', '=', id)
    .orderBy('id')
    .execute();
  v.timeline = events.map(timelineEntry);
  const files = await s.db
    .selectFrom('appeal_evidence')
    .selectAll()
    .where('appeal_id', '=', id)
    .orderBy('created_at')
    .execute();
  v.evidence = files.map((f) => ({
    id: f.id,
    fileName: f.file_name,
    mediaType: f.media_type,
    size: f.size,
    createdAt: iso(f.created_at),
  }));
  v.compensation = await claimsOf(s.db, id);
  v.restoredAt = r.status === 'upheld' ? (await restoration(s.db, id)).at : null;
  if (r.appellant_person_id)
    await s.db
      .insertInto('personal_data_access')
      .values({
        actor_kind: reader.kind,
        actor_id: reader.id,
        actor_name: reader.name,
        organisation_id: reader.organisationId,
        person_id: r.appellant_person_id,
        fields: ['name', 'idNumber'],
        purpose: 'appeal',
        purpose_ref: formatReceiptCode(r.receipt_code),
        clear: false,
        request_id: opts.requestId ?? null,
      })
      .execute();
  return v;
}

/** One evidence file of an appeal the reader may see (the route streams it and audits the read). */
export async function appealEvidence(
  s: { db: Kysely<DB> },
  reader: Principal,
  id: string,
  evidenceId: string,
): Promise<Selectable<DB['appeal_evidence']>> {
  if (!UUID_RE.test(id) || !UUID_RE.test(evidenceId)) throw notFound('evidence');
  await requireReader(s.db, reader, id);
  const e = await s.db
    .selectFrom('appeal_evidence')
    .selectAll()
    .where('id', '=', evidenceId)
    .where('appeal_id', '=', id)
    .executeTakeFirst();
  if (!e) throw notFound('evidence');
  return e;
}

export interface VerificationInput {
  identity: VerificationResult;
  use: UseResult;
  method: VerificationMethod;
  note?: string | undefined;
}

/**
 * Records the re-verification of the appellant's identity and of their real use of the card or
 * account: by the centre, or by the institution holding it. Both recorded: under review.
 */
export async function verifyAppeal(
  s: GovernanceServices,
  p: Principal,
  id: string,
  input: VerificationInput,
  opts: { requestId?: string; now?: number } = {},
): Promise<AppealView> {
  if (!UUID_RE.test(id)) throw notFound('appeal');
  if (!isCentre(p, ['analyst', 'supervisor'])) {
    if (!isInstitution(p) || !(await institutionSees(s.db, p.organisationId, id))) throw notFound('appeal');
  }
  const note = input.note?.trim() || null;
  if (note && note.length > 2000) throw badRequest('invalid_note', 'a note is at most 2000 characters');
  const now = opts.now ?? Date.now();
  await s.db.transaction().execute(async (tx) => {
    const r = await tx.selectFrom('appeals').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
    if (!r) throw notFound('appeal');
    if (!OPEN_APPEAL_STATUSES.includes(r.status))
      throw conflict(
        'appeal_decided',
        `the appeal is ${r.status}: verification is recorded while it is open`,
      );
    const at = new Date(now);
    await tx
      .updateTable('appeals')
      .set({
        status: 'under_review',
        verification_identity: input.identity,
        verification_use: input.use,
        verification_method: input.method,
        verification_note: note,
        verified_by: p.name,
        verified_at: at,
        updated_at: at,
      })
      .where('id', '=', id)
      .execute();
    await appealTimeline(
      tx,
      id,
      'verified',
      'under_review',
      p as Actor,
      `identity ${input.identity}, use ${input.use} (${input.method})${note ? `: ${note}` : ''}`,
      at,
    );
    await audit(
      tx,
      p as Actor,
      {
        action: 'appeal.verify',
        targetKind: 'appeal',
        targetId: id,
        details: { identity: input.identity, use: input.use, method: input.method },
      },
      opts.requestId,
    );
  });
  return getAppeal(s, p, id, opts);
}

export interface AppealDecisionInput {
  outcome: 'upheld' | 'rejected';
  reasons: string;
}

/**
 * Decides an appeal, by the centre's analyst or supervisor who neither issued nor approved any of
 * its measures. Upheld needs the identity and the real use verified, and lifts everything at once
 * in one transaction: instructions lifted (restore instructions to institutions that had acted),
 * listings delisted. Rejected puts softened listings back and tells the appellant where to go next.
 */
export async function decideAppeal(
  s: GovernanceServices,
  p: Principal,
  id: string,
  input: AppealDecisionInput,
  opts: { requestId?: string; now?: number } = {},
): Promise<AppealView> {
  if (!isCentre(p, ['analyst', 'supervisor']))
    throw forbidden("appeals are decided by the centre's reviewers");
  if (!UUID_RE.test(id)) throw notFound('appeal');
  const reasons = input.reasons.trim();
  if (!reasons) throw badRequest('reasons_required', 'a decision states its reasons in writing');
  if (reasons.length > 4000) throw badRequest('invalid_reasons', 'reasons are at most 4000 characters');
  const now = opts.now ?? Date.now();
  await s.db.transaction().execute(async (tx) => {
    const r = await tx.selectFrom('appeals').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
    if (!r) throw notFound('appeal');
    if (!OPEN_APPEAL_STATUSES.includes(r.status))
      throw conflict('appeal_decided', `the appeal is ${r.status} already`);
    const measures = await tx
      .selectFrom('appeal_measures as m')
      .leftJoin('instructions as i', 'i.id', 'm.ref_id')
      .select(['m.kind', 'm.ref_id', 'i.issued_by_id', 'i.approved_by', 'i.detection_id'])
      .where('m.appeal_id', '=', id)
      .execute();
    const persons = await tx
      .selectFrom('appeal_measures as m')
      .innerJoin('person_listings as l', 'l.id', 'm.ref_id')
      .select(['m.ref_id', 'l.list', 'l.designated_by_id'])
      .where('m.appeal_id', '=', id)
      .where('m.kind', '=', 'person_listing')
      .execute();
    if (persons.some((l) => !visibleLists(p).includes(l.list)))
      throw forbidden('an appeal against an exit restriction is decided by a supervisor');
    if (
      persons.some((l) => l.designated_by_id === p.id) ||
      measures.some((m) => m.kind === 'instruction' && (m.issued_by_id === p.id || m.approved_by === p.name))
    )
      throw new AppError(
        403,
        'reviewer_issued_measure',
        'an appeal is decided by someone who neither issued nor approved the measure',
      );
    if (
      input.outcome === 'upheld' &&
      (r.verification_identity !== 'confirmed' ||
        (r.verification_use !== 'confirmed' && r.verification_use !== 'not_applicable'))
    )
      throw conflict(
        'verification_required',
        "upholding needs the appellant's identity and real use of the card or account verified first",
      );
    const at = new Date(now);
    const code = formatReceiptCode(r.receipt_code);
    const lifted: string[] = [];
    const restores: string[] = [];
    const delisted: string[] = [];
    const overturned: string[] = [];
    const removedFromLists: string[] = [];
    const detectionEvents: BusEvent[] = [];
    if (input.outcome === 'upheld') {
      const note = `appeal ${code} upheld: ${reasons}`.slice(0, 2000);
      for (const m of measures) {
        if (m.kind === 'instruction') {
          const out = await liftInstruction(tx, s, p, m.ref_id, { appealId: id, note }, now, opts.requestId);
          if (!out.lifted) continue;
          lifted.push(m.ref_id);
          if (m.detection_id && !overturned.includes(m.detection_id)) {
            const ev = await overturnDetection(
              tx,
              p,
              m.detection_id,
              `overturned on appeal ${code}: ${reasons}`,
              at,
            );
            if (ev) {
              overturned.push(m.detection_id);
              detectionEvents.push(ev);
            }
          }
          if (out.restoreInstructionId) restores.push(out.restoreInstructionId);
          await tx
            .updateTable('appeal_measures')
            .set({ lifted_at: at, restore_instruction_id: out.restoreInstructionId })
            .where('appeal_id', '=', id)
            .where('kind', '=', 'instruction')
            .where('ref_id', '=', m.ref_id)
            .execute();
        } else if (m.kind === 'person_listing') {
          const out = await removePersonListing(tx, s, m.ref_id, p as Actor, note, {
            kind: 'appeal_upheld',
            ...(opts.requestId ? { requestId: opts.requestId } : {}),
            now,
          });
          if (!out.changed) continue;
          removedFromLists.push(m.ref_id);
          await tx
            .updateTable('appeal_measures')
            .set({ lifted_at: at })
            .where('appeal_id', '=', id)
            .where('kind', '=', 'person_listing')
            .where('ref_id', '=', m.ref_id)
            .execute();
        } else {
          const l = await tx
            .selectFrom('listings')
            .select('status')
            .where('id', '=', m.ref_id)
            .executeTakeFirst();
          if (!l || (l.status !== 'active' && l.status !== 'under_appeal')) continue;
          await delist(tx, s.bus, p as Actor, m.ref_id, note, {
            action: 'appeal_closed',
            ...(opts.requestId ? { requestId: opts.requestId } : {}),
          });
          delisted.push(m.ref_id);
          await tx
            .updateTable('appeal_measures')
            .set({ lifted_at: at })
            .where('appeal_id', '=', id)
            .where('kind', '=', 'listing')
            .where('ref_id', '=', m.ref_id)
            .execute();
        }
      }
    } else {
      await reactivateListings(tx, s, r, p as Actor, 'rejected');
    }
    await tx
      .updateTable('appeals')
      .set({
        status: input.outcome,
        decision_reasons: reasons,
        decided_by_id: p.id,
        decided_by: p.name,
        decided_at: at,
        updated_at: at,
      })
      .where('id', '=', id)
      .execute();
    await appealTimeline(tx, id, input.outcome, input.outcome, p as Actor, reasons.slice(0, 2000), at);
    // The person is told: the decision's gist by SMS, the reasons on the receipt page.
    if (r.contact_enc) {
      const phone = s.pii.decrypt(
        r.appellant_key_id,
        r.contact_enc,
        piiContext('appeals', 'contact_enc', r.id),
      );
      await queueSms(tx, s.pii, phone, decidedSms(r.language, r.receipt_code, input.outcome), 'appeal');
    }
    await audit(
      tx,
      p as Actor,
      {
        action: `appeal.${input.outcome === 'upheld' ? 'uphold' : 'reject'}`,
        targetKind: 'appeal',
        targetId: id,
        details: { lifted, restores, delisted, overturned, removedFromLists },
      },
      opts.requestId,
    );
    const ev: BusEvent = {
      type: 'appeal.decided',
      data: {
        id,
        status: input.outcome,
        liftedInstructions: lifted,
        restoreInstructions: restores,
        delistedListings: delisted,
        overturnedDetections: overturned,
        removedPersonListings: removedFromLists,
      },
    };
    await publishAll(s.bus, tx, [ev, ...detectionEvents]);
  });
  return getAppeal(s, p, id, opts);
}

/**
 * The feedback to detectors: a confirmed detection whose measure was lifted on appeal becomes
 * rejected, so the rejection memory (detection/store.ts) keeps the same facts from firing again.
 */
async function overturnDetection(
  tx: Kysely<DB>,
  p: Principal,
  id: string,
  why: string,
  at: Date,
): Promise<BusEvent | null> {
  const d = await tx
    .selectFrom('detections')
    .select(['id', 'detector', 'subject_kind', 'subject_key', 'status'])
    .where('id', '=', id)
    .forUpdate()
    .executeTakeFirst();
  if (!d || d.status !== 'confirmed') return null;
  await tx
    .updateTable('detections')
    .set({
      status: 'rejected',
      decision_reason: why.slice(0, 2000),
      decided_by: p.name,
      decided_at: at,
      updated_at: at,
    })
    .where('id', '=', id)
    .execute();
  await audit(tx, p as Actor, {
    action: 'detection.overturn',
    targetKind: 'detection',
    targetId: id,
    details: { detector: d.detector },
  });
  return {
    type: 'detection.decided',
    data: {
      id,
      detector: d.detector,
      subjectKind: d.subject_kind,
      subject: d.subject_key,
      decision: 'reject',
      listingId: null,
      measures: [],
    },
  };
}

// --- Compensation ---------------------------------------------------------------------------------

async function claimsOf(q: Kysely<DB>, appealId: string): Promise<CompensationView[]> {
  const rows = await q
    .selectFrom('compensation_claims')
    .selectAll()
    .where('appeal_id', '=', appealId)
    .orderBy('created_at')
    .execute();
  return rows.map((c) => ({
    id: c.id,
    amount: String(c.amount),
    currency: c.currency,
    description: c.description,
    status: c.status,
    amountGranted: c.amount_granted === null ? null : String(c.amount_granted),
    decisionReasons: c.decision_reasons,
    decidedBy: c.decided_by,
    decidedAt: isoOrNull(c.decided_at),
    createdAt: iso(c.created_at),
  }));
}

const AMOUNT_RE = /^\d{1,15}(\.\d{1,2})?$/;

/** A claim for losses caused by a measure that was lifted on appeal: filed by receipt, once per appeal while open. */
export async function claimCompensation(
  s: GovernanceServices,
  typed: string,
  input: { amount: string; currency?: string | undefined; description: string },
  opts: { requestId?: string } = {},
): Promise<AppealReceiptView> {
  const amount = input.amount.trim();
  if (!AMOUNT_RE.test(amount) || Number(amount) <= 0)
    throw badRequest(
      'invalid_amount',
      'the amount is a positive decimal with at most two places, e.g. 350.00',
    );
  const currency = (input.currency ?? 'CNY').trim().toUpperCase();
  if (!/^[A-Z]{3}$/.test(currency)) throw badRequest('invalid_currency', 'the currency is an ISO 4217 code');
  const description = input.description.trim();
  if (!description || description.length > 4000)
    throw badRequest('invalid_description', 'the description is 1 to 4000 characters');
  const r0 = await appealByReceipt(s.db, typed);
  await s.db.transaction().execute(async (tx) => {
    const r = await tx
      .selectFrom('appeals')
      .selectAll()
      .where('id', '=', r0.id)
      .forUpdate()
      .executeTakeFirstOrThrow();
    if (r.status !== 'upheld')
      throw conflict('appeal_not_upheld', 'compensation is claimed for a measure lifted on appeal');
    const pending = await tx
      .selectFrom('compensation_claims')
      .select('id')
      .where('appeal_id', '=', r.id)
      .where('status', '=', 'filed')
      .executeTakeFirst();
    if (pending)
      throw conflict('claim_pending', 'a claim for this appeal is already waiting for its decision');
    const id = crypto.randomUUID();
    await tx
      .insertInto('compensation_claims')
      .values({ id, appeal_id: r.id, amount, currency, description, status: 'filed' })
      .execute();
    await appealTimeline(
      tx,
      r.id,
      'compensation_claimed',
      r.status,
      APPELLANT,
      `${amount} ${currency}`,
      new Date(),
    );
    await audit(
      tx,
      APPELLANT,
      { action: 'compensation.claim', targetKind: 'compensation_claim', targetId: id },
      opts.requestId,
    );
  });
  return getAppealReceipt(s.db, typed);
}

/** A supervisor decides a claim with reasons: granted (in full), partly granted (an amount), or refused. */
export async function decideCompensation(
  s: GovernanceServices,
  p: Principal,
  claimId: string,
  input: {
    outcome: 'granted' | 'partly_granted' | 'refused';
    amountGranted?: string | undefined;
    reasons: string;
  },
  opts: { requestId?: string } = {},
): Promise<CompensationView> {
  if (!isCentre(p, ['supervisor'])) throw forbidden('compensation claims are decided by supervisors');
  if (!UUID_RE.test(claimId)) throw notFound('compensation claim');
  const reasons = input.reasons.trim();
  if (!reasons) throw badRequest('reasons_required', 'a decision states its reasons in writing');
  let appealId = '';
  await s.db.transaction().execute(async (tx) => {
    const c = await tx
      .selectFrom('compensation_claims')
      .selectAll()
      .where('id', '=', claimId)
      .forUpdate()
      .executeTakeFirst();
    if (!c) throw notFound('compensation claim');
    if (c.status !== 'filed') throw conflict('claim_decided', `the claim is ${c.status} already`);
    appealId = c.appeal_id;
    const claimed = Number(c.amount);
    let granted: string | null;
    if (input.outcome === 'granted') granted = String(c.amount);
    else if (input.outcome === 'refused') granted = '0.00';
    else {
      const g = input.amountGranted?.trim() ?? '';
      if (!AMOUNT_RE.test(g) || Number(g) <= 0 || Number(g) >= claimed)
        throw badRequest(
          'invalid_amount',
          'a partly granted claim names an amount above 0 and below the amount claimed',
        );
      granted = g;
    }
    const at = new Date();
    await tx
      .updateTable('compensation_claims')
      .set({
        status: input.outcome,
        amount_granted: granted,
        decision_reasons: reasons,
        decided_by: p.name,
        decided_at: at,
      })
      .where('id', '=', claimId)
      .execute();
    const a = await tx
      .selectFrom('appeals')
      .select('status')
      .where('id', '=', c.appeal_id)
      .executeTakeFirstOrThrow();
    await appealTimeline(
      tx,
      c.appeal_id,
      'compensation_decided',
      a.status,
      p as Actor,
      `${input.outcome}: ${granted} ${c.currency}`,
      at,
    );
    await audit(
      tx,
      p as Actor,
      {
        action: 'compensation.decide',
        targetKind: 'compensation_claim',
        targetId: claimId,
        details: { outcome: input.outcome, granted },
      },
      opts.requestId,
    );
  });
  const claims = await claimsOf(s.db, appealId);
  return claims.find((c) => c.id === claimId)!;
}

// --- Statistics -----------------------------------------------------------------------------------

export interface AppealStatistics {
  from: string;
  to: string;
  received: number;
  open: number;
  overdue: number;
  upheld: number;
  rejected: number;
  withdrawn: number;
  /** Hours from receipt to decision: median and 90th percentile (null without decisions). */
  hoursToDecision: { median: number | null; p90: number | null };
  /** Minutes from an upheld decision to the last restore instruction carried out. */
  minutesToRestoration: { median: number | null; p90: number | null; pending: number };
  byInstitution: { organisationId: string; organisation: string; appeals: number; upheld: number }[];
  byMeasure: { measure: string; appeals: number; upheld: number }[];
  /** Instructions issued in the period and the share later lifted: a quality signal for detectors and listings. */
  lifted: { instructions: number; lifted: number; share: number | null };
  byDetector: { detector: string; instructions: number; lifted: number; share: number | null }[];
  compensation: { claims: number; granted: number; amountGranted: string };
}

function quantile(sorted: number[], q: number): number | null {
  if (sorted.length === 0) return null;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return Math.round(sorted[i]! * 10) / 10;
}

/** Appeals received in [from, to): counts, times, and how often measures are later lifted. The centre only. */
export async function appealStatistics(
  s: { db: Kysely<DB> },
  reader: Principal,
  range: { from?: string | undefined; to?: string | undefined },
  now: number = Date.now(),
): Promise<AppealStatistics> {
  if (!isCentre(reader, ['analyst', 'supervisor', 'auditor'])) throw forbidden();
  const to = range.to ? Date.parse(range.to) : now;
  const from = range.from ? Date.parse(range.from) : to - 90 * DAY_MS;
  if (Number.isNaN(from) || Number.isNaN(to) || from >= to)
    throw badRequest('invalid_range', 'from and to are ISO 8601 dates, from before to');
  const f = new Date(from);
  const t = new Date(to);
  const appeals = await s.db
    .selectFrom('appeals')
    .select(['id', 'status', 'created_at', 'decided_at', 'respond_by'])
    .where('created_at', '>=', f)
    .where('created_at', '<', t)
    .execute();
  const count = (st: AppealStatus) => appeals.filter((a) => a.status === st).length;
  const decisionHours = appeals
    .filter((a) => a.decided_at)
    .map((a) => (new Date(a.decided_at!).getTime() - new Date(a.created_at).getTime()) / 3_600_000)
    .sort((a, b) => a - b);
  const upheldIds = appeals.filter((a) => a.status === 'upheld').map((a) => a.id);
  const restoreMinutes: number[] = [];
  let pending = 0;
  for (const a of appeals.filter((x) => x.status === 'upheld')) {
    const r = await restoration(s.db, a.id);
    if (!r.done) pending++;
    else if (r.at) restoreMinutes.push((Date.parse(r.at) - new Date(a.decided_at!).getTime()) / 60_000);
  }
  restoreMinutes.sort((a, b) => a - b);
  const links = appeals.length
    ? await s.db
        .selectFrom('appeal_measures as m')
        .innerJoin('instructions as i', 'i.id', 'm.ref_id')
        .innerJoin('organisations as o', 'o.id', 'i.receiving_organisation_id')
        .select(['m.appeal_id', 'i.measure', 'i.receiving_organisation_id', 'o.name'])
        .where('m.kind', '=', 'instruction')
        .where(
          'm.appeal_id',
          'in',
          appeals.map((a) => a.id),
        )
        .execute()
    : [];
  const upheld = new Set(upheldIds);
  const byOrg = new Map<
    string,
    { organisationId: string; organisation: string; appeals: Set<string>; upheld: Set<string> }
  >();
  const byMeasure = new Map<string, { appeals: Set<string>; upheld: Set<string> }>();
  for (const l of links) {
    const o = byOrg.get(l.receiving_organisation_id) ?? {
      organisationId: l.receiving_organisation_id,
      organisation: l.name,
      appeals: new Set<string>(),
      upheld: new Set<string>(),
    };
    o.appeals.add(l.appeal_id);
    if (upheld.has(l.appeal_id)) o.upheld.add(l.appeal_id);
    byOrg.set(l.receiving_organisation_id, o);
    const m = byMeasure.get(l.measure) ?? { appeals: new Set<string>(), upheld: new Set<string>() };
    m.appeals.add(l.appeal_id);
    if (upheld.has(l.appeal_id)) m.upheld.add(l.appeal_id);
    byMeasure.set(l.measure, m);
  }
  const issued = await s.db
    .selectFrom('instructions as i')
    .leftJoin('detections as d', 'd.id', 'i.detection_id')
    .select(['i.status', 'd.detector'])
    .where('i.measure', '!=', 'restore')
    .where('i.issued_at', '>=', f)
    .where('i.issued_at', '<', t)
    .execute();
  const share = (a: number, b: number) => (b === 0 ? null : Math.round((a / b) * 1000) / 1000);
  const det = new Map<string, { instructions: number; lifted: number }>();
  for (const i of issued) {
    if (!i.detector) continue;
    const d = det.get(i.detector) ?? { instructions: 0, lifted: 0 };
    d.instructions++;
    if (i.status === 'lifted') d.lifted++;
    det.set(i.detector, d);
  }
  const liftedCount = issued.filter((i) => i.status === 'lifted').length;
  const claims = appeals.length
    ? await s.db
        .selectFrom('compensation_claims')
        .select(['status', 'amount_granted'])
        .where(
          'appeal_id',
          'in',
          appeals.map((a) => a.id),
        )
        .execute()
    : [];
  const grantedCents = claims.reduce(
    (sum, c) => sum + (c.amount_granted === null ? 0 : Math.round(Number(c.amount_granted) * 100)),
    0,
  );
  return {
    from: f.toISOString(),
    to: t.toISOString(),
    received: appeals.length,
    open: appeals.filter((a) => OPEN_APPEAL_STATUSES.includes(a.status)).length,
    overdue: appeals.filter(
      (a) => OPEN_APPEAL_STATUSES.includes(a.status) && new Date(a.respond_by).getTime() < now,
    ).length,
    upheld: count('upheld'),
    rejected: count('rejected'),
    withdrawn: count('withdrawn'),
    hoursToDecision: { median: quantile(decisionHours, 0.5), p90: quantile(decisionHours, 0.9) },
    minutesToRestoration: {
      median: quantile(restoreMinutes, 0.5),
      p90: quantile(restoreMinutes, 0.9),
      pending,
    },
    byInstitution: [...byOrg.values()]
      .map((o) => ({
        organisationId: o.organisationId,
        organisation: o.organisation,
        appeals: o.appeals.size,
        upheld: o.upheld.size,
      }))
      .sort((a, b) => b.appeals - a.appeals),
    byMeasure: [...byMeasure.entries()]
      .map(([measure, m]) => ({ measure, appeals: m.appeals.size, upheld: m.upheld.size }))
      .sort((a, b) => b.appeals - a.appeals),
    lifted: { instructions: issued.length, lifted: liftedCount, share: share(liftedCount, issued.length) },
    byDetector: [...det.entries()]
      .map(([detector, d]) => ({ detector, ...d, share: share(d.lifted, d.instructions) }))
      .sort((a, b) => a.detector.localeCompare(b.detector)),
    compensation: {
      claims: claims.length,
      granted: claims.filter((c) => c.status === 'granted' || c.status === 'partly_granted').length,
      amountGranted: (grantedCents / 100).toFixed(2),
    },
  };
}
