import crypto from 'node:crypto';
import { sql, type Kysely, type Selectable } from 'kysely';
import type { DB } from '../core/db/schema.ts';
import type { EventBus } from '../core/bus/index.ts';
import type { EventType } from '../core/bus/events.ts';
import { actorColumns, audit, SYSTEM, type Actor } from '../core/audit.ts';
import { AppError, badRequest, conflict, notFound } from '../core/errors.ts';
import { normalizeIndicator } from '../core/normalize/index.ts';
import type { Config } from '../core/config.ts';
import type { Principal } from '../identity/model.ts';
import { piiContext, type PiiCipher } from '../privacy/crypto.ts';
import { parseIdentityDocument } from '../privacy/idnumber.ts';
import { maskName, maskPhone } from '../privacy/mask.ts';
import { normaliseAccount, normaliseMsisdn } from '../privacy/normalise.ts';
import { decide, parsePurpose } from '../privacy/policy.ts';
import { registerEncryptedTable } from '../privacy/rotate.ts';
import { idNumberHash } from '../privacy/service.ts';
import { queueSms } from '../governance/sms.ts';
import { openFundCase } from '../funds/cases.ts';
import { accountKey, msisdnKey } from './cooling-off.ts';
import {
  activeStep,
  ageFrom,
  ageGroup,
  answered,
  audienceOf,
  deadlineOf,
  episodeAction,
  escalate,
  openPlan,
  replan,
  riskLevelOf,
  warningPriority,
} from './plan.ts';
import { pickContent } from './content.ts';
import {
  RISK_LEVELS,
  type AgeGroup,
  type Channel,
  type ChannelStep,
  type Language,
  type OutcomeKind,
  type RiskLevel,
  type TriggerKind,
  type WarningAction,
  type WarningsTable,
} from './tables.ts';
import './events.ts';

/**
 * Warnings (docs/warnings.md): triggers in, one warning per person per episode, the channel plan
 * and its escalation, what operators record, and the figures. Every change is one transaction
 * with its timeline row, audit record and bus event.
 */

registerEncryptedTable({ table: 'warnings', idColumn: 'id', keyIdColumn: 'key_id', columns: ['phone_enc'] });
registerEncryptedTable({
  table: 'warning_triggers',
  idColumn: 'id',
  keyIdColumn: 'detail_key_id',
  columns: ['detail_enc'],
});

export interface WarningServices {
  db: Kysely<DB>;
  bus: Pick<EventBus, 'publish'>;
  pii: PiiCipher;
  config?: Pick<Config, 'stopPaymentHours' | 'stopPaymentRenewals'> | undefined;
}

export interface CallOptions {
  now?: number;
  requestId?: string;
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const iso = (d: Date | string) => new Date(d).toISOString();
const isoOrNull = (d: Date | string | null) => (d === null ? null : iso(d));
const money = (v: string | number | null) => (v === null ? null : Number(v));

function inTx<T>(q: Kysely<DB>, fn: (tx: Kysely<DB>) => Promise<T>): Promise<T> {
  return q.isTransaction ? fn(q) : q.transaction().execute(fn);
}

// --- Views --------------------------------------------------------------------------------------

export interface WarningPersonView {
  maskedName: string;
  maskedPhone: string;
  ageYears: number | null;
  ageGroup: AgeGroup | null;
  name?: string | null;
  phone?: string | null;
}

export interface OutcomeView {
  kind: OutcomeKind;
  note: string | null;
  recordedBy: string;
  recordedAt: string;
  fundCaseId: string | null;
}

export interface WarningSummary {
  id: string;
  reference: string;
  status: 'open' | 'closed';
  riskLevel: RiskLevel;
  priority: number;
  scamType: string | null;
  person: WarningPersonView;
  amountAtRisk: number | null;
  deadlineAt: string | null;
  channelPlan: ChannelStep[];
  overdue: boolean;
  outcome: OutcomeView | null;
  openedAt: string;
  lastTriggerAt: string;
  closedAt: string | null;
  triggerCount: number;
}

export interface TriggerView {
  id: string;
  kind: TriggerKind;
  at: string;
  source: string;
  summary: string | null;
  detectionId: string | null;
  amountAtRisk: number | null;
  scamType: string | null;
  suppressed: boolean;
}

export interface TimelineEntry {
  at: string;
  action: WarningAction;
  channel: Channel | null;
  result: string | null;
  note: string | null;
  actor: string;
}

export interface WarningView extends Omit<WarningSummary, 'triggerCount'> {
  triggers: TriggerView[];
  timeline: TimelineEntry[];
  script: { title: string; body: string; language: Language } | null;
  smsText: string | null;
}

type Row = Selectable<WarningsTable>;

function summaryOf(r: Row, triggerCount: number): WarningSummary {
  return {
    id: r.id,
    reference: r.reference,
    status: r.status,
    riskLevel: r.risk_level,
    priority: r.priority,
    scamType: r.scam_type,
    person: {
      maskedName: r.name_display,
      maskedPhone: r.phone_display,
      ageYears: r.age_years,
      ageGroup: ageGroup(r.age_years),
    },
    amountAtRisk: money(r.amount_at_risk),
    deadlineAt: isoOrNull(r.deadline_at),
    channelPlan: r.channel_plan,
    overdue: r.overdue,
    outcome: r.outcome_kind
      ? {
          kind: r.outcome_kind,
          note: r.outcome_note,
          recordedBy: r.outcome_by ?? '',
          recordedAt: iso(r.outcome_at ?? r.updated_at),
          fundCaseId: r.fund_case_id,
        }
      : null,
    openedAt: iso(r.opened_at),
    lastTriggerAt: iso(r.last_trigger_at),
    closedAt: isoOrNull(r.closed_at),
    triggerCount,
  };
}

// --- Who the trigger is about -------------------------------------------------------------------

/** How a trigger names its person: at least one of these. */
export interface TriggerPerson {
  msisdn?: string | undefined;
  account?: string | undefined;
  idNumber?: string | undefined;
  /** The keyed id-number hash (a `potential_victim` detection's holder). */
  idNumberHash?: string | undefined;
}

interface Subject {
  key: string;
  personId: string | null;
  idType: string | null;
  /** E.164 to warn, or null (nobody to send to yet). */
  phone: string | null;
  nameDisplay: string;
  ageYears: number | null;
  language: Language;
  accountKeys: string[];
  msisdnKeys: string[];
}

/**
 * Finds the person (by id number, else the holder of the number, else of the account) and what the
 * warning needs of them: where to send it, masked name, age, language, keyed numbers and accounts.
 */
async function resolveSubject(
  tx: Kysely<DB>,
  pii: PiiCipher,
  who: TriggerPerson,
  now: number,
): Promise<Subject> {
  const msisdn = who.msisdn ? normaliseMsisdn(who.msisdn) : null;
  if (who.msisdn && !msisdn) throw badRequest('invalid_msisdn', 'person.msisdn is not a phone number');
  const account = who.account ? normaliseAccount(who.account) : null;
  if (who.account && !account) throw badRequest('invalid_account', 'person.account is not an account number');
  let idHash = who.idNumberHash ?? null;
  let idNumber: string | null = null;
  if (who.idNumber) {
    try {
      const doc = parseIdentityDocument(who.idNumber, { today: new Date(now) });
      idHash = idNumberHash(pii, doc.type, doc.value);
      idNumber = `${doc.type}:${doc.value}`;
    } catch (err) {
      if (err instanceof AppError) throw err;
      throw badRequest('invalid_id_number', 'person.idNumber is not a valid identity number');
    }
  }
  if (!msisdn && !account && !idHash)
    throw badRequest('person_required', 'name the person by msisdn, account or idNumber');

  let personId: string | null = null;
  if (idHash)
    personId =
      (await tx.selectFrom('persons').select('id').where('id_number_hash', '=', idHash).executeTakeFirst())
        ?.id ?? null;
  if (!personId && msisdn)
    personId =
      (
        await tx
          .selectFrom('phone_cards')
          .select('holder_person_id')
          .where('msisdn', '=', msisdn)
          // The number's present holder: its earlier holders gave it back (numbers are recycled).
          .where('status', '!=', 'cancelled')
          .executeTakeFirst()
      )?.holder_person_id ?? null;
  if (!personId && account)
    personId =
      (
        await tx
          .selectFrom('bank_accounts')
          .select('holder_person_id')
          .where('account', '=', account)
          .executeTakeFirst()
      )?.holder_person_id ?? null;

  const numbers = new Set<string>(msisdn ? [msisdn] : []);
  const accounts = new Set<string>(account ? [account] : []);
  let nameDisplay = '—';
  let ageYears: number | null = ageFrom({ idNumber }, now);
  let idType: string | null = null;
  let phone = msisdn;
  if (personId) {
    const p = await tx
      .selectFrom('persons')
      .select(['id', 'id_type', 'key_id', 'name_enc', 'birth_date_enc'])
      .where('id', '=', personId)
      .executeTakeFirstOrThrow();
    idType = p.id_type;
    nameDisplay = maskName(pii.decrypt(p.key_id, p.name_enc, piiContext('persons', 'name_enc', p.id)));
    const birth = p.birth_date_enc
      ? pii.decrypt(p.key_id, p.birth_date_enc, piiContext('persons', 'birth_date_enc', p.id))
      : null;
    ageYears = ageFrom({ birthDate: birth, idNumber }, now);
    const cards = await tx
      .selectFrom('phone_cards')
      .select(['msisdn', 'card_type', 'status'])
      .where('holder_person_id', '=', personId)
      .orderBy('activated_at')
      .orderBy('msisdn')
      .execute();
    // Not the numbers given back: they may be someone else's now (numbers are recycled).
    for (const c of cards) if (c.status !== 'cancelled') numbers.add(c.msisdn);
    phone ??= cards.find((c) => c.card_type === 'consumer' && c.status === 'active')?.msisdn ?? null;
    const accs = await tx
      .selectFrom('bank_accounts')
      .select('account')
      .where('holder_person_id', '=', personId)
      .execute();
    for (const a of accs) accounts.add(a.account);
  }
  const canonicalAccount = (a: string) => {
    const n = normalizeIndicator('bank_account', a);
    return n.ok ? n.value : a;
  };
  return {
    key: personId
      ? `person:${personId}`
      : idHash
        ? `id:${idHash}`
        : msisdn
          ? `msisdn:${pii.lookupHash('msisdn', msisdn)}`
          : `account:${pii.lookupHash('bank_account', account!)}`,
    personId,
    idType,
    phone,
    nameDisplay,
    ageYears,
    language: idType === 'passport' || idType === 'foreign_permanent_residence' ? 'en' : 'zh',
    accountKeys: [...accounts].map((a) => accountKey(pii, canonicalAccount(a))).sort(),
    msisdnKeys: [...numbers].map((n) => msisdnKey(pii, n)).sort(),
  };
}

/** The system's read of a person's data to build or send a warning: recorded like any other read. */
async function recordRead(
  tx: Kysely<DB>,
  reader: Actor,
  personId: string,
  fields: string[],
  reference: string,
  requestId: string | undefined,
  clear = true,
): Promise<void> {
  const a = actorColumns(reader);
  await tx
    .insertInto('personal_data_access')
    .values({
      ...a,
      person_id: personId,
      fields,
      purpose: 'warning',
      purpose_ref: reference,
      clear,
      request_id: requestId ?? null,
    })
    .execute();
}

// --- Triggers -----------------------------------------------------------------------------------

export interface TriggerInput {
  kind: TriggerKind;
  at?: string | undefined;
  person: TriggerPerson;
  scamType?: string | undefined;
  amountAtRisk?: number | undefined;
  summary?: string | undefined;
  detectionId?: string | undefined;
}

export interface TriggerSource {
  /** The organisation's name, or `public`. */
  source: string;
  organisationId: string | null;
  /** Encrypted with the trigger (a relative's number and words). */
  detail?: Record<string, string>;
}

export interface TriggerResult {
  warningId: string;
  reference: string;
  merged: boolean;
  suppressed: boolean;
}

async function nextReference(q: Kysely<DB>, now: number): Promise<string> {
  const r = await sql<{ n: string }>`select nextval('warning_seq')::text as n`.execute(q);
  return `WRN-${new Date(now).getUTCFullYear()}-${String(r.rows[0]!.n).padStart(6, '0')}`;
}

async function timeline(
  q: Kysely<DB>,
  warningId: string,
  actor: Actor,
  e: { action: WarningAction; channel?: Channel | null; result?: string | null; note?: string | null },
  now: number,
): Promise<void> {
  await q
    .insertInto('warning_events')
    .values({
      warning_id: warningId,
      at: new Date(now),
      action: e.action,
      channel: e.channel ?? null,
      result: e.result ?? null,
      note: e.note ?? null,
      ...actorColumns(actor),
    })
    .execute();
}

const eventBase = (r: Row) => ({
  id: r.id,
  reference: r.reference,
  riskLevel: r.risk_level,
  priority: r.priority,
  scamType: r.scam_type,
  accountKeys: r.account_keys,
  msisdnKeys: r.msisdn_keys,
});

async function publish(s: Pick<WarningServices, 'bus'>, q: Kysely<DB>, type: EventType, data: unknown) {
  await s.bus.publish(q, type as never, data as never);
}

/**
 * The first message at once (no push gateway is connected, so the push is recorded as not sent): the SMS from the content library for the scam type and the person's
 * audience, in their language, queued in the SMS outbox (plain text, never a link).
 */
async function sendFirstMessages(
  s: WarningServices,
  tx: Kysely<DB>,
  r: Row,
  phone: string | null,
  now: number,
): Promise<void> {
  await timeline(tx, r.id, SYSTEM, { action: 'sent', channel: 'app_push', result: 'no_gateway' }, now);
  const text = await pickContent(tx, r.scam_type, audienceOf(r.age_years), 'sms', r.language);
  if (phone && text) {
    await queueSms(tx, s.pii, phone, text.body, 'warning');
    await timeline(tx, r.id, SYSTEM, { action: 'sent', channel: 'sms', result: 'queued' }, now);
  } else {
    await timeline(tx, r.id, SYSTEM, { action: 'sent', channel: 'sms', result: 'no_number' }, now);
  }
}

async function triggersOf(q: Kysely<DB>, warningId: string) {
  return q
    .selectFrom('warning_triggers')
    .select(['kind', 'at', 'suppressed'])
    .where('warning_id', '=', warningId)
    .execute();
}

/**
 * Takes one trigger: opens a warning, joins the person's open one (or reopens one of the same
 * episode), or is recorded as suppressed after a false alarm. Works in the caller's transaction
 * (the bus consumer's) or in its own; two triggers at once for a new person open one warning.
 */
export async function intakeTrigger(
  s: WarningServices,
  actor: Actor,
  input: TriggerInput,
  from: TriggerSource,
  opts: CallOptions & { q?: Kysely<DB> } = {},
): Promise<TriggerResult> {
  const now = opts.now ?? Date.now();
  const at = input.at ? Date.parse(input.at) : now;
  if (Number.isNaN(at)) throw badRequest('invalid_at', 'at must be an ISO 8601 time');
  if (at > now + 5 * 60_000) throw badRequest('invalid_at', 'at is in the future');
  if (
    input.amountAtRisk !== undefined &&
    (!Number.isSafeInteger(input.amountAtRisk) || input.amountAtRisk < 0)
  )
    throw badRequest('invalid_amount', 'amountAtRisk is a whole number of fen, 0 or more');
  const run = (q: Kysely<DB>) =>
    inTx(q, (tx) => intakeIn(s, tx, actor, input, from, at, now, opts.requestId));
  if (opts.q) return run(opts.q);
  try {
    return await run(s.db);
  } catch (err) {
    // Two triggers at once for a new person: the one-open-warning index let one in; this one joins it.
    if ((err as { code?: string }).code !== '23505') throw err;
    return run(s.db);
  }
}

async function intakeIn(
  s: WarningServices,
  tx: Kysely<DB>,
  actor: Actor,
  input: TriggerInput,
  from: TriggerSource,
  at: number,
  now: number,
  requestId: string | undefined,
): Promise<TriggerResult> {
  if (input.detectionId) {
    const seen = await tx
      .selectFrom('warning_triggers as t')
      .innerJoin('warnings as w', 'w.id', 't.warning_id')
      .select(['w.id', 'w.reference', 't.suppressed'])
      .where('t.detection_id', '=', input.detectionId)
      .executeTakeFirst();
    // The same detection again (a redelivered event): already taken.
    if (seen)
      return { warningId: seen.id, reference: seen.reference, merged: true, suppressed: seen.suppressed };
  }
  const subj = await resolveSubject(tx, s.pii, input.person, now);
  const latest = await tx
    .selectFrom('warnings')
    .selectAll()
    .where('subject_key', '=', subj.key)
    .orderBy('opened_at', 'desc')
    .orderBy('id')
    .limit(1)
    .forUpdate()
    .executeTakeFirst();
  const latestTriggers = latest ? await triggersOf(tx, latest.id) : [];
  const action = episodeAction(
    latest
      ? {
          status: latest.status,
          outcomeKind: latest.outcome_kind,
          closedAt: latest.closed_at ? new Date(latest.closed_at).getTime() : null,
          lastTriggerAt: new Date(latest.last_trigger_at).getTime(),
          triggerKinds: latestTriggers.filter((t) => !t.suppressed).map((t) => t.kind),
        }
      : null,
    input.kind,
    at,
  );
  const triggerId = crypto.randomUUID();
  const detail = from.detail
    ? s.pii.encrypt(JSON.stringify(from.detail), piiContext('warning_triggers', 'detail_enc', triggerId))
        .ciphertext
    : null;
  const insertTrigger = (warningId: string, suppressed: boolean) =>
    tx
      .insertInto('warning_triggers')
      .values({
        id: triggerId,
        warning_id: warningId,
        kind: input.kind,
        at: new Date(at),
        source: from.source,
        organisation_id: from.organisationId,
        summary: input.summary?.trim().slice(0, 500) || null,
        detection_id: input.detectionId ?? null,
        amount_at_risk: input.amountAtRisk ?? null,
        scam_type: input.scamType ?? null,
        suppressed,
        detail_key_id: s.pii.activeKeyId,
        detail_enc: detail,
      })
      .execute();
  const auditIt = (action: string, id: string, details: Record<string, unknown>) =>
    audit(tx, actor, { action, targetKind: 'warning', targetId: id, details }, requestId);

  if (action === 'suppress') {
    await insertTrigger(latest!.id, true);
    await timeline(tx, latest!.id, actor, { action: 'suppressed', note: input.kind }, now);
    await auditIt('warning.suppress', latest!.id, { kind: input.kind });
    return { warningId: latest!.id, reference: latest!.reference, merged: false, suppressed: true };
  }

  if (action === 'open') {
    const id = crypto.randomUUID();
    const reference = await nextReference(tx, now);
    const priority = warningPriority({
      amountAtRisk: input.amountAtRisk ?? null,
      triggers: [{ kind: input.kind, at }],
      ageYears: subj.ageYears,
      now,
    });
    const risk = riskLevelOf(priority);
    const plan = openPlan(risk, now);
    const row = await tx
      .insertInto('warnings')
      .values({
        id,
        reference,
        status: 'open',
        subject_key: subj.key,
        person_id: subj.personId,
        risk_level: risk,
        priority,
        scam_type: input.scamType ?? null,
        name_display: subj.nameDisplay,
        phone_display: subj.phone ? maskPhone(subj.phone) : '—',
        key_id: s.pii.activeKeyId,
        phone_enc: subj.phone
          ? s.pii.encrypt(subj.phone, piiContext('warnings', 'phone_enc', id)).ciphertext
          : null,
        age_years: subj.ageYears,
        language: subj.language,
        amount_at_risk: input.amountAtRisk ?? null,
        channel_plan: JSON.stringify(plan),
        deadline_at: deadlineOf(plan),
        account_keys: subj.accountKeys,
        msisdn_keys: subj.msisdnKeys,
        opened_at: new Date(now),
        last_trigger_at: new Date(at),
        updated_at: new Date(now),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await insertTrigger(id, false);
    if (subj.personId)
      await recordRead(
        tx,
        SYSTEM,
        subj.personId,
        ['name', 'birthDate', 'phoneCards', 'bankAccounts'],
        reference,
        requestId,
      );
    await timeline(tx, id, actor, { action: 'opened', note: input.kind }, now);
    await sendFirstMessages(s, tx, row, subj.phone, now);
    await auditIt('warning.open', id, { kind: input.kind, riskLevel: risk, priority });
    await publish(s, tx, 'warning.opened', { ...eventBase(row), reopened: false, triggerKind: input.kind });
    return { warningId: id, reference, merged: false, suppressed: false };
  }

  // merge or reopen: the same episode, never a second warning.
  const w = latest!;
  await insertTrigger(w.id, false);
  const all = (await triggersOf(tx, w.id)).filter((t) => !t.suppressed);
  const amount = Math.max(money(w.amount_at_risk) ?? 0, input.amountAtRisk ?? 0) || null;
  const priority = warningPriority({
    amountAtRisk: amount,
    triggers: all.map((t) => ({ kind: t.kind, at: new Date(t.at).getTime() })),
    ageYears: subj.ageYears ?? w.age_years,
    now,
  });
  const risk = riskLevelOf(priority);
  const reopen = action === 'reopen';
  const plan = reopen
    ? openPlan(risk, now)
    : RISK_LEVELS.indexOf(risk) < RISK_LEVELS.indexOf(w.risk_level)
      ? replan(w.channel_plan, risk, now)
      : w.channel_plan;
  const union = (a: readonly string[], b: readonly string[]) => [...new Set([...a, ...b])].sort();
  const phone = w.phone_enc
    ? s.pii.decrypt(w.key_id, w.phone_enc, piiContext('warnings', 'phone_enc', w.id))
    : subj.phone;
  const row = await tx
    .updateTable('warnings')
    .set({
      status: 'open',
      priority,
      risk_level: risk,
      scam_type: w.scam_type ?? input.scamType ?? null,
      amount_at_risk: amount,
      channel_plan: JSON.stringify(plan),
      deadline_at: deadlineOf(plan),
      last_trigger_at: new Date(Math.max(at, new Date(w.last_trigger_at).getTime())),
      account_keys: union(w.account_keys, subj.accountKeys),
      msisdn_keys: union(w.msisdn_keys, subj.msisdnKeys),
      ...(w.phone_enc || !phone
        ? {}
        : {
            phone_enc: s.pii.encrypt(phone, piiContext('warnings', 'phone_enc', w.id)).ciphertext,
            key_id: s.pii.activeKeyId,
            phone_display: maskPhone(phone),
          }),
      ...(reopen
        ? {
            overdue: false,
            outcome_kind: null,
            outcome_note: null,
            outcome_by: null,
            outcome_at: null,
            fund_case_id: null,
            closed_at: null,
            opened_at: new Date(now),
          }
        : {}),
      updated_at: new Date(now),
    })
    .where('id', '=', w.id)
    .returningAll()
    .executeTakeFirstOrThrow();
  if (reopen) {
    await timeline(
      tx,
      w.id,
      actor,
      { action: 'reopened', note: `${input.kind}; was ${w.outcome_kind ?? 'closed'}` },
      now,
    );
    await sendFirstMessages(s, tx, row, phone, now);
    await auditIt('warning.reopen', w.id, { kind: input.kind, previousOutcome: w.outcome_kind, priority });
    await publish(s, tx, 'warning.opened', { ...eventBase(row), reopened: true, triggerKind: input.kind });
  } else {
    await timeline(tx, w.id, actor, { action: 'merged', note: input.kind }, now);
    await auditIt('warning.merge', w.id, { kind: input.kind, priority });
    await publish(s, tx, 'warning.merged', {
      ...eventBase(row),
      triggerKind: input.kind,
      triggerCount: all.length,
    });
  }
  return { warningId: w.id, reference: w.reference, merged: true, suppressed: false };
}

/**
 * A `potential_victim` detection's holder (the keyed id-number hash) becomes a trigger, with the
 * transfer it saw as the amount at risk. Other detections are not warnings.
 */
export async function triggerFromDetection(
  s: WarningServices,
  tx: Kysely<DB>,
  data: { id: string; detector: string; subjectKind: string; subject: string; organisationId: string | null },
  now = Date.now(),
): Promise<TriggerResult | null> {
  if (data.detector !== 'potential_victim') return null;
  const d = await tx
    .selectFrom('detections')
    .select(['evidence', 'window_to'])
    .where('id', '=', data.id)
    .executeTakeFirst();
  // Not a detection of this platform's database (a shared stream's other tenant): not ours to warn.
  if (!d) return null;
  const evidence = (d.evidence ?? {}) as { transfer?: { amount?: unknown } };
  const amount = evidence.transfer?.amount;
  const org = data.organisationId
    ? await tx
        .selectFrom('organisations')
        .select('name')
        .where('id', '=', data.organisationId)
        .executeTakeFirst()
    : undefined;
  const person: TriggerPerson =
    data.subjectKind === 'holder'
      ? { idNumberHash: data.subject }
      : data.subjectKind === 'msisdn'
        ? { msisdn: data.subject }
        : data.subjectKind === 'account'
          ? { account: data.subject }
          : {};
  if (!person.idNumberHash && !person.msisdn && !person.account) return null;
  return intakeTrigger(
    s,
    SYSTEM,
    {
      kind: 'potential_victim',
      person,
      detectionId: data.id,
      summary: 'potential victim: called by a flagged number, then paid',
      ...(typeof amount === 'number' && Number.isSafeInteger(amount) && amount >= 0
        ? { amountAtRisk: amount }
        : {}),
    },
    { source: org?.name ?? 'interdict', organisationId: data.organisationId },
    { q: tx, now },
  );
}

/** The durable bus consumer that turns `potential_victim` detections into warnings. */
export const WARNING_CONSUMER = 'warnings-detections';

export function subscribeDetections(
  s: WarningServices & { bus: Pick<EventBus, 'publish' | 'subscribe'> },
  consumer = WARNING_CONSUMER,
) {
  return s.bus.subscribe({
    consumer,
    types: ['detection.raised'],
    from: 'new',
    handler: async (ev, ctx) => {
      await triggerFromDetection(s, ctx.tx, ev.data);
    },
  });
}

// --- Channel steps ------------------------------------------------------------------------------

async function lockOpen(tx: Kysely<DB>, id: string): Promise<Row> {
  if (!UUID_RE.test(id)) throw notFound('warning');
  const w = await tx.selectFrom('warnings').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
  if (!w) throw notFound('warning');
  if (w.status !== 'open') throw conflict('warning_closed', `warning ${w.reference} is closed already`);
  return w;
}

/** Ends the active step unanswered and starts the next channel; after the visit, overdue. */
async function escalateIn(s: WarningServices, tx: Kysely<DB>, w: Row, actor: Actor, now: number) {
  const e = escalate(w.channel_plan, w.risk_level, now);
  if (!e.from) return w;
  const row = await tx
    .updateTable('warnings')
    .set({
      channel_plan: JSON.stringify(e.plan),
      deadline_at: deadlineOf(e.plan),
      overdue: e.next === null,
      escalations: w.escalations + 1,
      updated_at: new Date(now),
    })
    .where('id', '=', w.id)
    .returningAll()
    .executeTakeFirstOrThrow();
  await timeline(
    tx,
    w.id,
    actor,
    { action: 'escalated', channel: e.from, result: 'unanswered', note: e.next },
    now,
  );
  if (e.next === null) await timeline(tx, w.id, actor, { action: 'overdue', channel: e.from }, now);
  await publish(s, tx, 'warning.escalated', { ...eventBase(row), from: e.from, to: e.next });
  return row;
}

/**
 * The escalation job: every open warning whose active step is past its deadline moves to the next
 * channel (each in its own transaction, so one failure does not hold the others).
 */
export async function escalateDue(s: WarningServices, now = Date.now()): Promise<{ escalated: number }> {
  const due = await s.db
    .selectFrom('warnings')
    .select('id')
    .where('status', '=', 'open')
    .where('overdue', '=', false)
    .where('deadline_at', '<=', new Date(now))
    .orderBy('deadline_at')
    .limit(200)
    .execute();
  let escalated = 0;
  for (const { id } of due) {
    await s.db.transaction().execute(async (tx) => {
      const w = await tx
        .selectFrom('warnings')
        .selectAll()
        .where('id', '=', id)
        .forUpdate()
        .executeTakeFirst();
      // Answered or closed meanwhile: nothing to do.
      if (!w || w.status !== 'open' || w.deadline_at === null || new Date(w.deadline_at).getTime() > now)
        return;
      await escalateIn(s, tx, w, SYSTEM, now);
      escalated++;
    });
  }
  return { escalated };
}

export interface AttemptInput {
  channel: Channel;
  result: 'answered' | 'unanswered';
  note?: string | undefined;
}

/** An operator tried a channel: answered ends the plan there; unanswered on the active step escalates at once. */
export async function recordAttempt(
  s: WarningServices,
  p: Principal,
  id: string,
  input: AttemptInput,
  opts: CallOptions = {},
): Promise<WarningView> {
  const now = opts.now ?? Date.now();
  await s.db.transaction().execute(async (tx) => {
    const w = await lockOpen(tx, id);
    const note = input.note?.trim().slice(0, 2000) || null;
    await timeline(
      tx,
      w.id,
      p,
      { action: 'attempt', channel: input.channel, result: input.result, note },
      now,
    );
    if (input.result === 'answered') {
      const plan = answered(w.channel_plan, input.channel, now);
      await tx
        .updateTable('warnings')
        .set({ channel_plan: JSON.stringify(plan), deadline_at: deadlineOf(plan), updated_at: new Date(now) })
        .where('id', '=', w.id)
        .execute();
    } else if (activeStep(w.channel_plan)?.channel === input.channel) {
      await escalateIn(s, tx, w, p, now);
    }
    await audit(
      tx,
      p,
      {
        action: 'warning.attempt',
        targetKind: 'warning',
        targetId: w.id,
        details: { channel: input.channel, result: input.result },
      },
      opts.requestId,
    );
  });
  return getWarning(s, p, id, opts);
}

// --- Outcomes -----------------------------------------------------------------------------------

export interface PaymentInput {
  amount: number;
  payerAccount: string;
  payeeAccount: string;
  txnId?: string | undefined;
  paidAt: string;
}

export interface OutcomeInput {
  kind: OutcomeKind;
  note?: string | undefined;
  payment?: PaymentInput | undefined;
}

/**
 * The feedback to detectors, as an upheld appeal gives it (governance/appeals.ts): the detection
 * behind a false alarm becomes rejected, so the rejection memory keeps the same facts from firing
 * again. An open one is rejected; a confirmed one overturned.
 */
async function rejectDetection(
  s: WarningServices,
  tx: Kysely<DB>,
  p: Principal,
  id: string,
  why: string,
  now: number,
) {
  const d = await tx
    .selectFrom('detections')
    .select(['id', 'detector', 'subject_kind', 'subject_key', 'status'])
    .where('id', '=', id)
    .forUpdate()
    .executeTakeFirst();
  if (!d || (d.status !== 'open' && d.status !== 'confirmed')) return false;
  await tx
    .updateTable('detections')
    .set({
      status: 'rejected',
      decision_reason: why.slice(0, 2000),
      decided_by: p.name,
      decided_at: new Date(now),
      updated_at: new Date(now),
    })
    .where('id', '=', id)
    .execute();
  await audit(tx, p, {
    action: d.status === 'confirmed' ? 'detection.overturn' : 'detection.reject',
    targetKind: 'detection',
    targetId: id,
    details: { detector: d.detector, previous: d.status, reason: 'warning false alarm' },
  });
  await s.bus.publish(tx, 'detection.decided', {
    id,
    detector: d.detector as never,
    subjectKind: d.subject_kind as never,
    subject: d.subject_key,
    decision: 'reject',
    listingId: null,
    measures: [],
  });
  return true;
}

/** Records what came of the warning and closes it (409 when closed already). */
export async function recordOutcome(
  s: WarningServices,
  p: Principal,
  id: string,
  input: OutcomeInput,
  opts: CallOptions = {},
): Promise<WarningView> {
  const now = opts.now ?? Date.now();
  if (input.kind === 'already_paid' && !input.payment)
    throw badRequest(
      'payment_required',
      'already_paid needs the payment: amount, payer and payee accounts, paid at',
    );
  if (input.kind !== 'already_paid' && input.payment)
    throw badRequest('unexpected_payment', 'a payment goes with already_paid only');
  const note = input.note?.trim().slice(0, 4000) || null;
  await s.db.transaction().execute(async (tx) => {
    const w = await lockOpen(tx, id);
    let fundCaseId: string | null = null;
    if (input.kind === 'already_paid') {
      const pay = input.payment!;
      // The victim's name and number go into the fund case (encrypted there): a recorded read.
      const person = w.person_id
        ? await tx
            .selectFrom('persons')
            .select(['id', 'key_id', 'name_enc', 'id_number_enc'])
            .where('id', '=', w.person_id)
            .executeTakeFirst()
        : undefined;
      const dec = (col: string, c: Uint8Array) =>
        s.pii.decrypt(person!.key_id, c as Buffer, piiContext('persons', col, person!.id));
      const phone = w.phone_enc
        ? s.pii.decrypt(w.key_id, w.phone_enc, piiContext('warnings', 'phone_enc', w.id))
        : undefined;
      if (person) await recordRead(tx, p, person.id, ['name', 'idNumber'], w.reference, opts.requestId);
      const fc = await openFundCase(
        tx,
        s,
        p,
        {
          source: 'warning',
          warningId: w.id,
          victims: [
            {
              ...(person
                ? {
                    name: dec('name_enc', person.name_enc),
                    idNumber: dec('id_number_enc', person.id_number_enc),
                  }
                : {}),
              ...(phone ? { phone } : {}),
              transfers: [
                {
                  ...(pay.txnId ? { txnId: pay.txnId } : {}),
                  payerAccount: pay.payerAccount,
                  payeeAccount: pay.payeeAccount,
                  amount: pay.amount,
                  paidAt: pay.paidAt,
                },
              ],
            },
          ],
        },
        { now },
      );
      fundCaseId = fc.id;
    }
    if (input.kind === 'false_alarm') {
      const dets = await tx
        .selectFrom('warning_triggers')
        .select('detection_id')
        .where('warning_id', '=', w.id)
        .where('kind', '=', 'potential_victim')
        .where('detection_id', 'is not', null)
        .execute();
      for (const d of dets)
        await rejectDetection(
          s,
          tx,
          p,
          d.detection_id!,
          `warning ${w.reference}: false alarm${note ? ` (${note})` : ''}`,
          now,
        );
    }
    const plan = w.channel_plan.map((st) =>
      st.status === 'active' || st.status === 'pending'
        ? {
            ...st,
            status: 'skipped' as const,
            endedAt: new Date(now).toISOString(),
            result: st.result ?? 'closed',
          }
        : st,
    );
    const row = await tx
      .updateTable('warnings')
      .set({
        status: 'closed',
        outcome_kind: input.kind,
        outcome_note: note,
        outcome_by: p.name,
        outcome_at: new Date(now),
        fund_case_id: fundCaseId,
        closed_at: new Date(now),
        channel_plan: JSON.stringify(plan),
        deadline_at: null,
        updated_at: new Date(now),
      })
      .where('id', '=', w.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    await timeline(tx, w.id, p, { action: 'closed', result: input.kind, note }, now);
    await audit(
      tx,
      p,
      {
        action: 'warning.close',
        targetKind: 'warning',
        targetId: w.id,
        details: { outcome: input.kind, fundCaseId },
      },
      opts.requestId,
    );
    await publish(s, tx, 'warning.closed', { ...eventBase(row), outcome: input.kind, fundCaseId });
  });
  return getWarning(s, p, id, opts);
}

// --- Reading ------------------------------------------------------------------------------------

/**
 * One warning with its triggers and timeline, the call script and SMS text for it, and the
 * person's name and number in clear for a reader the policy allows (purpose `warning:<reference>`,
 * recorded in the personal-data access log), masked for anyone else.
 */
export async function getWarning(
  s: Pick<WarningServices, 'db' | 'pii'>,
  reader: Principal,
  id: string,
  opts: CallOptions = {},
): Promise<WarningView> {
  if (!UUID_RE.test(id)) throw notFound('warning');
  return inTx(s.db, async (tx) => {
    const w = await tx.selectFrom('warnings').selectAll().where('id', '=', id).executeTakeFirst();
    if (!w) throw notFound('warning');
    const triggers = await tx
      .selectFrom('warning_triggers')
      .selectAll()
      .where('warning_id', '=', id)
      .orderBy('at')
      .orderBy('created_at')
      .execute();
    const events = await tx
      .selectFrom('warning_events')
      .selectAll()
      .where('warning_id', '=', id)
      .orderBy('id')
      .execute();
    const base = summaryOf(w, triggers.filter((t) => !t.suppressed).length);
    const { triggerCount: _n, ...rest } = base;
    const clear = decide(reader, parsePurpose(`warning:${w.reference}`)).clear;
    const person: WarningPersonView = { ...rest.person };
    if (clear) {
      const p = w.person_id
        ? await tx
            .selectFrom('persons')
            .select(['id', 'key_id', 'name_enc'])
            .where('id', '=', w.person_id)
            .executeTakeFirst()
        : undefined;
      person.name = p ? s.pii.decrypt(p.key_id, p.name_enc, piiContext('persons', 'name_enc', p.id)) : null;
      person.phone = w.phone_enc
        ? s.pii.decrypt(w.key_id, w.phone_enc, piiContext('warnings', 'phone_enc', w.id))
        : null;
      if (p) await recordRead(tx, reader, p.id, ['name', 'phone'], w.reference, opts.requestId);
      else
        await audit(
          tx,
          reader,
          {
            action: 'warning.read_contact',
            targetKind: 'warning',
            targetId: w.id,
            details: { reference: w.reference },
          },
          opts.requestId,
        );
    }
    const audience = audienceOf(w.age_years);
    const script = await pickContent(tx, w.scam_type, audience, 'call_script', w.language);
    const sms = await pickContent(tx, w.scam_type, audience, 'sms', w.language);
    return {
      ...rest,
      person,
      triggers: triggers.map((t) => ({
        id: t.id,
        kind: t.kind,
        at: iso(t.at),
        source: t.source,
        summary: t.summary,
        detectionId: t.detection_id,
        amountAtRisk: money(t.amount_at_risk),
        scamType: t.scam_type,
        suppressed: t.suppressed,
      })),
      timeline: events.map((e) => ({
        at: iso(e.at),
        action: e.action,
        channel: e.channel,
        result: e.result,
        note: e.note,
        actor: e.actor_name,
      })),
      script: script ? { title: script.title, body: script.body, language: script.language } : null,
      smsText: sms?.body ?? null,
    };
  });
}

export interface ListQuery {
  status?: 'open' | 'closed' | undefined;
  channel?: 'call' | 'visit' | undefined;
  overdue?: boolean | undefined;
  cursor?: string | undefined;
  limit?: number | undefined;
}

/**
 * The queue: open warnings by priority, then the nearest deadline; closed ones newest first.
 * Masked always. `channel`: warnings whose active step is that channel.
 */
export async function listWarnings(
  s: Pick<WarningServices, 'db'>,
  q: ListQuery,
): Promise<{ items: WarningSummary[]; nextCursor: string | null }> {
  const limit = Math.min(200, Math.max(1, q.limit ?? 50));
  if (q.cursor !== undefined && !UUID_RE.test(q.cursor))
    throw badRequest('invalid_cursor', 'cursor is not valid');
  const status = q.status ?? 'open';
  let query = s.db.selectFrom('warnings').selectAll().where('status', '=', status);
  // The cursor is the last row of the previous page: the next page starts after that row's place in
  // the order, compared in SQL at the database's precision. New warnings opening above it do not
  // shift the pages (an offset would show rows twice); they are at the top of the next refresh.
  if (q.cursor !== undefined)
    query = query.where(
      status === 'open'
        ? sql<boolean>`exists (select 1 from warnings c where c.id = ${q.cursor} and (
            warnings.priority < c.priority or (warnings.priority = c.priority and (
              (c.deadline_at is not null and (warnings.deadline_at > c.deadline_at or warnings.deadline_at is null))
              or (warnings.deadline_at is not distinct from c.deadline_at
                  and (warnings.opened_at, warnings.id) > (c.opened_at, c.id))))))`
        : sql<boolean>`exists (select 1 from warnings c where c.id = ${q.cursor} and (
            warnings.closed_at < c.closed_at or (warnings.closed_at = c.closed_at and warnings.id > c.id)))`,
    );
  if (q.overdue !== undefined) query = query.where('overdue', '=', q.overdue);
  if (q.channel)
    query = query.where(
      sql<boolean>`channel_plan @> ${JSON.stringify([{ channel: q.channel, status: 'active' }])}::jsonb`,
    );
  query =
    status === 'open'
      ? query
          .orderBy('priority', 'desc')
          .orderBy(sql`deadline_at asc nulls last`)
          .orderBy('opened_at')
          .orderBy('id')
      : query.orderBy('closed_at', 'desc').orderBy('id');
  const rows = await query.limit(limit + 1).execute();
  const page = rows.slice(0, limit);
  const counts = page.length
    ? await s.db
        .selectFrom('warning_triggers')
        .select(['warning_id', (eb) => eb.fn.countAll<string>().as('n')])
        .where(
          'warning_id',
          'in',
          page.map((r) => r.id),
        )
        .where('suppressed', '=', false)
        .groupBy('warning_id')
        .execute()
    : [];
  const n = new Map(counts.map((c) => [c.warning_id, Number(c.n)]));
  return {
    items: page.map((r) => summaryOf(r, n.get(r.id) ?? 0)),
    nextCursor: rows.length > limit ? page[page.length - 1]!.id : null,
  };
}

export interface WarningStatistics {
  from: string;
  to: string;
  opened: number;
  closed: number;
  byOutcome: Record<string, number>;
  byTrigger: Record<string, number>;
  medianMinutesToFirstContact: number | null;
  escalations: number;
  suppressed: number;
}

/** The last `days` days: warnings opened and closed, outcomes, triggers, time to first contact. */
export async function warningStatistics(
  s: Pick<WarningServices, 'db'>,
  days: number,
  now = Date.now(),
): Promise<WarningStatistics> {
  const from = new Date(now - days * 86_400_000);
  const to = new Date(now);
  const count = async (qb: Promise<{ n: string | number }>) => Number((await qb).n);
  const opened = await count(
    s.db
      .selectFrom('warnings')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('opened_at', '>=', from)
      .executeTakeFirstOrThrow(),
  );
  const outcomes = await s.db
    .selectFrom('warnings')
    .select(['outcome_kind', (eb) => eb.fn.countAll<string>().as('n')])
    .where('status', '=', 'closed')
    .where('closed_at', '>=', from)
    .groupBy('outcome_kind')
    .execute();
  const byOutcome: Record<string, number> = {};
  for (const o of outcomes) byOutcome[o.outcome_kind ?? 'unknown'] = Number(o.n);
  const triggers = await s.db
    .selectFrom('warning_triggers')
    .select(['kind', 'suppressed', (eb) => eb.fn.countAll<string>().as('n')])
    .where('at', '>=', from)
    .groupBy(['kind', 'suppressed'])
    .execute();
  const byTrigger: Record<string, number> = {};
  let suppressed = 0;
  for (const t of triggers) {
    if (t.suppressed) suppressed += Number(t.n);
    else byTrigger[t.kind] = (byTrigger[t.kind] ?? 0) + Number(t.n);
  }
  const escalations = await count(
    s.db
      .selectFrom('warning_events')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('action', '=', 'escalated')
      .where('at', '>=', from)
      .executeTakeFirstOrThrow(),
  );
  const contacts = await s.db
    .selectFrom('warnings as w')
    .innerJoin('warning_events as e', 'e.warning_id', 'w.id')
    .select(['w.id', 'w.opened_at', (eb) => eb.fn.min('e.at').as('first')])
    .where('w.opened_at', '>=', from)
    .where('e.action', '=', 'attempt')
    .where('e.result', '=', 'answered')
    .groupBy(['w.id', 'w.opened_at'])
    .execute();
  const minutes = contacts
    .map((c) => (new Date(c.first as Date).getTime() - new Date(c.opened_at).getTime()) / 60_000)
    .sort((a, b) => a - b);
  const mid = minutes.length >> 1;
  const median =
    minutes.length === 0
      ? null
      : minutes.length % 2
        ? minutes[mid]!
        : (minutes[mid - 1]! + minutes[mid]!) / 2;
  return {
    from: from.toISOString(),
    to: to.toISOString(),
    opened,
    closed: outcomes.reduce((sum, o) => sum + Number(o.n), 0),
    byOutcome,
    byTrigger,
    medianMinutesToFirstContact: median === null ? null : Math.round(median * 10) / 10,
    escalations,
    suppressed,
  };
}
