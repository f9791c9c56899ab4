import crypto from 'node:crypto';
import { sql, type Kysely, type Selectable } from 'kysely';
import type { DB } from '../core/db/schema.ts';
import type { EventBus } from '../core/bus/types.ts';
import type { EventType } from '../core/bus/events.ts';
import { actorColumns, audit, SYSTEM, timelineEntry, type Actor } from '../core/audit.ts';
import { badRequest, conflict, forbidden, notFound, type AppError } from '../core/errors.ts';
import type { Config } from '../core/config.ts';
import type { Principal } from '../identity/model.ts';
import type { PiiCipher } from '../privacy/crypto.ts';
import {
  ACTIVE_FREEZE,
  ACTIVE_STOP_PAYMENT,
  type FreezesTable,
  type FreezeStatus,
  type FundSubject,
  type StopPaymentsTable,
  type StopPaymentStatus,
} from './case-tables.ts';
import './events.ts';

/**
 * Stop-payments (紧急止付) and freezes (冻结) (docs/funds.md). The centre sends them to the bank
 * holding the account; the bank acknowledges, executes (what the account held, which may be less
 * than asked) or refuses. An executed stop-payment lapses after a period (48 h by default) unless
 * renewed (at most a configured number of times) or converted to a freeze of the stopped amount.
 * Every change is a history row, an audit record and an event, in one transaction; a request a
 * bank must act on is also pushed to its webhooks, and its inbox holds it whatever the push does.
 */

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
/** Minutes a bank has to acknowledge a stop-payment. */
export const DEFAULT_ACK_MINUTES = 30;
/** A freeze holds six months (renewable by a new freeze). */
export const FREEZE_MONTHS = 6;
export const STOP_PAYMENT_LEGAL_BASIS = 'atof_art20';

export interface FundServices {
  db: Kysely<DB>;
  bus: Pick<EventBus, 'publish'>;
  pii: PiiCipher;
  /** The stop-payment period and renewal limit (defaults: 48 h, 1). */
  config?: Pick<Config, 'stopPaymentHours' | 'stopPaymentRenewals'> | undefined;
}

export interface CallOptions {
  requestId?: string | undefined;
  /** The clock (tests). */
  now?: number | undefined;
}

export function inTx<T>(q: Kysely<DB>, fn: (tx: Kysely<DB>) => Promise<T>): Promise<T> {
  return q.isTransaction ? fn(q) : q.transaction().execute(fn);
}

export const iso = (d: Date | string) => new Date(d).toISOString();
export const isoOrNull = (d: Date | string | null) => (d === null ? null : iso(d));

/** `FND-2026-000123`: the prefix, the year and the next number of the sequence. */
export async function nextReference(
  q: Kysely<DB>,
  seq: 'fund_case_seq' | 'stop_payment_seq' | 'freeze_seq',
  prefix: string,
  now: number,
): Promise<string> {
  const r = await sql<{ n: string }>`select nextval(${seq})::text as n`.execute(q);
  return `${prefix}-${new Date(now).getUTCFullYear()}-${String(r.rows[0]!.n).padStart(6, '0')}`;
}

/** One history row. */
export async function addHistory(
  q: Kysely<DB>,
  actor: Actor,
  e: { caseId: string; kind: FundSubject; id: string; action: string; status: string; note?: string | null },
  now?: number,
): Promise<void> {
  await q
    .insertInto('fund_events')
    .values({
      case_id: e.caseId,
      subject_kind: e.kind,
      subject_id: e.id,
      action: e.action,
      status: e.status,
      note: e.note ?? null,
      ...(now === undefined ? {} : { at: new Date(now) }),
      ...actorColumns(actor),
    })
    .execute();
}

export async function publish(
  s: Pick<FundServices, 'bus'>,
  q: Kysely<DB>,
  type: EventType,
  data: unknown,
): Promise<string> {
  const ev = (await s.bus.publish(q, type as never, data as never)) as { id?: string } | undefined;
  return ev?.id ?? '';
}

export interface HistoryEntry {
  at: string;
  action: string;
  status: string;
  actor: string;
  actorKind: string;
  organisationId: string | null;
  note: string | null;
}

export async function historyOf(q: Kysely<DB>, ids: readonly string[]): Promise<Map<string, HistoryEntry[]>> {
  const out = new Map<string, HistoryEntry[]>();
  if (ids.length === 0) return out;
  const rows = await q
    .selectFrom('fund_events')
    .selectAll()
    .where('subject_id', 'in', [...ids])
    .orderBy('id')
    .execute();
  for (const r of rows) {
    let list = out.get(r.subject_id);
    if (!list) out.set(r.subject_id, (list = []));
    list.push(timelineEntry(r));
  }
  return out;
}

// --- Views ---------------------------------------------------------------------------------------

/** The push of a request to the bank's webhooks: nothing pushed yet is still in the bank's inbox. */
export interface DeliveryState {
  pushed: boolean;
  attempts: number;
  lastError: string | null;
}

export interface StopPaymentView {
  id: string;
  reference: string;
  caseId: string;
  caseReference: string;
  institutionId: string;
  institutionName: string;
  account: string;
  amountRequested: number;
  amountStopped: number | null;
  legalBasis: string;
  reason: string;
  status: StopPaymentStatus;
  requestedAt: string;
  ackDeadlineAt: string;
  acknowledgedAt: string | null;
  executedAt: string | null;
  escalated: boolean;
  lateAck: boolean;
  renewals: number;
  maxRenewals: number;
  expiresAt: string | null;
  delivery: DeliveryState;
  history: HistoryEntry[];
}

export interface FreezeView {
  id: string;
  reference: string;
  caseId: string;
  caseReference: string;
  stopPaymentId: string | null;
  institutionId: string;
  institutionName: string;
  account: string;
  amountRequested: number;
  amountFrozen: number | null;
  status: FreezeStatus;
  requestedAt: string;
  acknowledgedAt: string | null;
  executedAt: string | null;
  expiresAt: string;
  delivery: DeliveryState;
  history: HistoryEntry[];
}

type StopRow = Selectable<StopPaymentsTable> & { institution_name: string; case_reference: string };
type FreezeRow = Selectable<FreezesTable> & { institution_name: string; case_reference: string };
/** What stop-payment and freeze rows share (the views' common fields, the answers' checks). */
type RequestRow = StopRow | FreezeRow;

async function deliveries(q: Kysely<DB>, eventIds: readonly string[]): Promise<Map<string, DeliveryState>> {
  const out = new Map<string, DeliveryState>();
  const ids = eventIds.filter(Boolean);
  if (ids.length === 0) return out;
  const rows = await q
    .selectFrom('webhook_deliveries')
    .select(['event_id', 'status', 'attempts', 'last_error', 'last_attempt_at'])
    .where('event_id', 'in', ids)
    .orderBy('last_attempt_at', 'asc')
    .execute();
  for (const r of rows) {
    const d = out.get(r.event_id) ?? { pushed: false, attempts: 0, lastError: null };
    d.pushed ||= r.status === 'delivered';
    d.attempts = Math.max(d.attempts, r.attempts);
    if (r.last_error) d.lastError = r.last_error;
    out.set(r.event_id, d);
  }
  for (const d of out.values()) if (d.pushed) d.lastError = null;
  return out;
}

const NO_DELIVERY: DeliveryState = { pushed: false, attempts: 0, lastError: null };

const stopRows = (q: Kysely<DB>) =>
  q
    .selectFrom('stop_payments as p')
    .innerJoin('organisations as o', 'o.id', 'p.institution_id')
    .innerJoin('fund_cases as c', 'c.id', 'p.case_id')
    .selectAll('p')
    .select(['o.name as institution_name', 'c.reference as case_reference']);

const freezeRows = (q: Kysely<DB>) =>
  q
    .selectFrom('freezes as f')
    .innerJoin('organisations as o', 'o.id', 'f.institution_id')
    .innerJoin('fund_cases as c', 'c.id', 'f.case_id')
    .selectAll('f')
    .select(['o.name as institution_name', 'c.reference as case_reference']);

/** The views of `rows`: the fields both kinds share, then the kind's own (`own`). */
async function requestViews<R extends RequestRow, V>(
  q: Kysely<DB>,
  rows: R[],
  own: (r: R) => Omit<V, keyof RequestRowView>,
): Promise<V[]> {
  const hist = await historyOf(
    q,
    rows.map((r) => r.id),
  );
  const del = await deliveries(
    q,
    rows.map((r) => r.request_event_id ?? ''),
  );
  return rows.map(
    (r) =>
      ({
        id: r.id,
        reference: r.reference,
        caseId: r.case_id,
        caseReference: r.case_reference,
        institutionId: r.institution_id,
        institutionName: r.institution_name,
        account: r.account,
        amountRequested: Number(r.amount_requested),
        status: r.status,
        requestedAt: iso(r.requested_at),
        acknowledgedAt: isoOrNull(r.acknowledged_at),
        executedAt: isoOrNull(r.executed_at),
        delivery: { ...(del.get(r.request_event_id ?? '') ?? NO_DELIVERY) },
        history: hist.get(r.id) ?? [],
        ...own(r),
      }) as V,
  );
}

/** The fields of a view that `requestViews` fills for both kinds. */
type RequestRowView = Pick<
  StopPaymentView,
  | 'id'
  | 'reference'
  | 'caseId'
  | 'caseReference'
  | 'institutionId'
  | 'institutionName'
  | 'account'
  | 'amountRequested'
  | 'status'
  | 'requestedAt'
  | 'acknowledgedAt'
  | 'executedAt'
  | 'delivery'
  | 'history'
>;

export const stopPaymentViews = (q: Kysely<DB>, rows: StopRow[]): Promise<StopPaymentView[]> =>
  requestViews<StopRow, StopPaymentView>(q, rows, (r) => ({
    amountStopped: r.amount_stopped === null ? null : Number(r.amount_stopped),
    legalBasis: r.legal_basis,
    reason: r.reason,
    ackDeadlineAt: iso(r.ack_deadline_at),
    escalated: r.escalated,
    lateAck: r.late_ack,
    renewals: r.renewals,
    maxRenewals: r.max_renewals,
    expiresAt: isoOrNull(r.expires_at),
  }));

export const freezeViews = (q: Kysely<DB>, rows: FreezeRow[]): Promise<FreezeView[]> =>
  requestViews<FreezeRow, FreezeView>(q, rows, (r) => ({
    stopPaymentId: r.stop_payment_id,
    amountFrozen: r.amount_frozen === null ? null : Number(r.amount_frozen),
    expiresAt: iso(r.expires_at),
  }));

export async function caseStopPayments(q: Kysely<DB>, caseId: string): Promise<StopPaymentView[]> {
  const rows = await stopRows(q)
    .where('p.case_id', '=', caseId)
    .orderBy('p.requested_at')
    .orderBy('p.reference')
    .execute();
  return stopPaymentViews(q, rows);
}

export async function caseFreezes(q: Kysely<DB>, caseId: string): Promise<FreezeView[]> {
  const rows = await freezeRows(q)
    .where('f.case_id', '=', caseId)
    .orderBy('f.requested_at')
    .orderBy('f.reference')
    .execute();
  return freezeViews(q, rows);
}

// --- Who may do what -----------------------------------------------------------------------------

export const isCentre = (p: Principal, roles: readonly string[] = ['analyst', 'supervisor', 'auditor']) =>
  p.kind === 'user' && p.organisationKind === 'anti_fraud_centre' && p.roles.some((r) => roles.includes(r));

/** A bank's own request, or 404: another bank's request does not exist for it. */
function requireBank(p: Principal, institutionId: string, what: string): void {
  if (p.organisationKind !== 'bank' || p.organisationId !== institutionId) throw notFound(what);
}

// --- Sending -------------------------------------------------------------------------------------

export interface CaseRef {
  id: string;
  reference: string;
  status: string;
}

/** Writes one stop-payment for `caseRef` through `q` (the caller's transaction) and sends it. */
export async function sendStopPayment(
  q: Kysely<DB>,
  s: FundServices,
  actor: Actor,
  caseRef: CaseRef,
  input: {
    institutionId: string;
    account: string;
    amount: number;
    minutes?: number | undefined;
    reason?: string;
  },
  opts: CallOptions = {},
): Promise<string> {
  const now = opts.now ?? Date.now();
  const id = crypto.randomUUID();
  const reference = await nextReference(q, 'stop_payment_seq', 'STP', now);
  const deadline = new Date(now + (input.minutes ?? DEFAULT_ACK_MINUTES) * MINUTE_MS);
  const reason = input.reason ?? `Fund case ${caseRef.reference}: money of fraud victims`;
  await q
    .insertInto('stop_payments')
    .values({
      id,
      reference,
      case_id: caseRef.id,
      institution_id: input.institutionId,
      account: input.account,
      amount_requested: input.amount,
      legal_basis: STOP_PAYMENT_LEGAL_BASIS,
      reason,
      status: 'sent',
      requested_at: new Date(now),
      requested_by: actor.name,
      ack_deadline_at: deadline,
      max_renewals: s.config?.stopPaymentRenewals ?? 1,
      period_hours: s.config?.stopPaymentHours ?? 48,
    })
    .execute();
  await recordRequested(
    q,
    s,
    actor,
    'stop_payment',
    { id, reference, caseId: caseRef.id, institutionId: input.institutionId, amount: input.amount },
    {
      id,
      reference,
      caseId: caseRef.id,
      caseReference: caseRef.reference,
      institutionId: input.institutionId,
      account: input.account,
      amountRequested: input.amount,
      legalBasis: STOP_PAYMENT_LEGAL_BASIS,
      ackDeadlineAt: deadline.toISOString(),
    },
    now,
    opts.requestId,
  );
  return id;
}

/**
 * What follows writing a stop-payment or freeze row: its `*.requested` event (whose webhook
 * deliveries are the request's delivery state), its first history row and its audit record.
 */
async function recordRequested(
  q: Kysely<DB>,
  s: FundServices,
  actor: Actor,
  kind: 'stop_payment' | 'freeze',
  r: { id: string; reference: string; caseId: string; institutionId: string; amount: number },
  event: Record<string, unknown>,
  now: number,
  requestId: string | undefined,
): Promise<void> {
  const eventId = await publish(s, q, `${kind}.requested`, event);
  if (eventId) {
    const table = kind === 'stop_payment' ? 'stop_payments' : 'freezes';
    await q.updateTable(table).set({ request_event_id: eventId }).where('id', '=', r.id).execute();
  }
  await addHistory(q, actor, { caseId: r.caseId, kind, id: r.id, action: 'requested', status: 'sent' }, now);
  await audit(
    q,
    actor,
    {
      action: `${kind}.request`,
      targetKind: kind,
      targetId: r.id,
      details: { reference: r.reference, caseId: r.caseId, institutionId: r.institutionId, amount: r.amount },
    },
    requestId,
  );
}

async function sendFreeze(
  q: Kysely<DB>,
  s: FundServices,
  actor: Actor,
  caseRef: CaseRef,
  input: { institutionId: string; account: string; amount: number; stopPaymentId: string | null },
  opts: CallOptions = {},
): Promise<string> {
  const now = opts.now ?? Date.now();
  const id = crypto.randomUUID();
  const reference = await nextReference(q, 'freeze_seq', 'FRZ', now);
  const expires = new Date(now);
  expires.setUTCMonth(expires.getUTCMonth() + FREEZE_MONTHS);
  await q
    .insertInto('freezes')
    .values({
      id,
      reference,
      case_id: caseRef.id,
      stop_payment_id: input.stopPaymentId,
      institution_id: input.institutionId,
      account: input.account,
      amount_requested: input.amount,
      status: 'sent',
      requested_at: new Date(now),
      expires_at: expires,
    })
    .execute();
  await recordRequested(
    q,
    s,
    actor,
    'freeze',
    { id, reference, caseId: caseRef.id, institutionId: input.institutionId, amount: input.amount },
    {
      id,
      reference,
      caseId: caseRef.id,
      caseReference: caseRef.reference,
      stopPaymentId: input.stopPaymentId,
      institutionId: input.institutionId,
      account: input.account,
      amountRequested: input.amount,
      expiresAt: expires.toISOString(),
    },
    now,
    opts.requestId,
  );
  return id;
}

/** The bank holding `account` (bank_accounts), or null. */
export async function institutionOfAccount(
  q: Kysely<DB>,
  account: string,
): Promise<{ id: string; name: string } | null> {
  const r = await q
    .selectFrom('bank_accounts as b')
    .innerJoin('organisations as o', 'o.id', 'b.institution_org_id')
    .select(['o.id', 'o.name'])
    .where('b.account', '=', account)
    .where('o.kind', '=', 'bank')
    .orderBy('b.created_at')
    .executeTakeFirst();
  return r ?? null;
}

/** What the case's last trace says `account` still holds (0 when the trace never reached it). */
export async function tracedHolding(q: Kysely<DB>, caseId: string, account: string): Promise<number> {
  const r = await q.selectFrom('fund_cases').select('trace').where('id', '=', caseId).executeTakeFirst();
  const trace = r?.trace as { accounts?: { account: string; held: number }[] } | null | undefined;
  return trace?.accounts?.find((a) => a.account === account)?.held ?? 0;
}

async function openCase(q: Kysely<DB>, caseId: string): Promise<CaseRef> {
  const c = await q
    .selectFrom('fund_cases')
    .select(['id', 'reference', 'status'])
    .where('id', '=', caseId)
    .forUpdate()
    .executeTakeFirst();
  if (!c) throw notFound('fund case');
  if (c.status !== 'open') throw conflict('case_closed', `fund case ${c.reference} is closed`);
  return c;
}

/**
 * The centre asks a bank to stop money in an account of the case. The account must be known to
 * be at a bank (400 `unknown_account`) and the amount no more than the case's trace says it
 * holds (400 `amount_above_traced`); both refusals are audited.
 */
export async function requestStopPayment(
  s: FundServices,
  actor: Principal,
  caseId: string,
  input: { account: string; amount: number; minutes?: number | undefined; reason?: string | undefined },
  opts: CallOptions = {},
): Promise<StopPaymentView> {
  if (!isCentre(actor, ['analyst', 'supervisor'])) throw forbidden();
  let refusal: AppError | null = null;
  const id = await s.db.transaction().execute(async (tx) => {
    const c = await openCase(tx, caseId);
    const bank = await institutionOfAccount(tx, input.account);
    if (!bank) {
      refusal = badRequest('unknown_account', 'the account is not known to be at any bank (bank_accounts)', {
        account: input.account,
      });
      return null;
    }
    const held = await tracedHolding(tx, caseId, input.account);
    if (input.amount > held) {
      refusal = badRequest(
        'amount_above_traced',
        `the amount is more than the case's trace says the account holds (${held} minor units)`,
        { held },
      );
      return null;
    }
    return sendStopPayment(tx, s, actor, c, { ...input, institutionId: bank.id }, opts);
  });
  if (refusal || id === null) {
    // Recorded after the transaction: who asked for what, and why it was refused.
    const err: AppError = refusal ?? badRequest('unknown_account', 'the account is not known');
    await audit(
      s.db,
      actor,
      {
        action: 'stop_payment.request_refused',
        targetKind: 'fund_case',
        targetId: caseId,
        details: { code: err.code, amount: input.amount },
      },
      opts.requestId,
    );
    throw err;
  }
  return getStopPayment(s, actor, id);
}

// --- Reading -------------------------------------------------------------------------------------

/** What a bank's answer changes in a stop-payment or freeze row (`amount`: the stopped/frozen one). */
interface AnswerChange {
  status: 'acknowledged' | 'executed' | 'refused';
  acknowledged_at?: Date | string;
  executed_at?: Date;
  expires_at?: Date;
  closed_at?: Date;
  amount?: number;
  lateAck?: boolean;
}

/**
 * Stop-payments and freezes are read, listed and answered alike; this is what differs: the table
 * and its words, how a row is found, and what executing it means.
 */
interface RequestKind<R extends RequestRow, V> {
  subject: 'stop_payment' | 'freeze';
  /** In messages: "stop-payment", "freeze". */
  noun: string;
  /** In the execute refusal: "stopped", "frozen". */
  verb: string;
  find(q: Kysely<DB>, id: string, lock?: boolean): Promise<R | undefined>;
  ofInstitution(
    q: Kysely<DB>,
    institutionId: string,
    status: string | undefined,
    limit: number,
  ): Promise<R[]>;
  views(q: Kysely<DB>, rows: R[]): Promise<V[]>;
  update(q: Kysely<DB>, id: string, change: AnswerChange): Promise<unknown>;
  /** The event's fields both kinds name the same (id, reference, case, institution, account…). */
  eventBase(r: R): Record<string, unknown>;
  /** Acknowledged after the deadline (only stop-payments have one). */
  lateAck?(r: R, now: number): boolean;
  /** When an executed request lapses, and what its audit record and event add. */
  executed(
    r: R,
    amount: number,
    now: number,
  ): { expires: Date; details: Record<string, unknown>; event: Record<string, unknown> };
}

const eventBase = (r: RequestRow) => ({
  id: r.id,
  reference: r.reference,
  caseId: r.case_id,
  caseReference: r.case_reference,
});

const STOP_PAYMENT: RequestKind<StopRow, StopPaymentView> = {
  subject: 'stop_payment',
  noun: 'stop-payment',
  verb: 'stopped',
  find: (q, id, lock) => {
    const found = stopRows(q).where('p.id', '=', id);
    return (lock ? found.forUpdate('p') : found).executeTakeFirst();
  },
  ofInstitution: (q, institutionId, status, limit) => {
    let found = stopRows(q).where('p.institution_id', '=', institutionId);
    if (status) found = found.where('p.status', '=', status as StopPaymentStatus);
    return found.orderBy('p.requested_at', 'desc').orderBy('p.reference', 'desc').limit(limit).execute();
  },
  views: stopPaymentViews,
  update: (q, id, { amount, lateAck, ...change }) =>
    q
      .updateTable('stop_payments')
      .set({ ...change, amount_stopped: amount, late_ack: lateAck })
      .where('id', '=', id)
      .execute(),
  eventBase: (r) => ({ ...eventBase(r), institutionId: r.institution_id, account: r.account }),
  lateAck: (r, now) => now > new Date(r.ack_deadline_at).getTime(),
  executed: (r, amount, now) => {
    const expires = new Date(now + r.period_hours * HOUR_MS);
    return {
      expires,
      details: { amountStopped: amount },
      event: { amountStopped: amount, expiresAt: expires.toISOString() },
    };
  },
};

const FREEZE: RequestKind<FreezeRow, FreezeView> = {
  subject: 'freeze',
  noun: 'freeze',
  verb: 'frozen',
  find: (q, id, lock) => {
    const found = freezeRows(q).where('f.id', '=', id);
    return (lock ? found.forUpdate('f') : found).executeTakeFirst();
  },
  ofInstitution: (q, institutionId, status, limit) => {
    let found = freezeRows(q).where('f.institution_id', '=', institutionId);
    if (status) found = found.where('f.status', '=', status as FreezeStatus);
    return found.orderBy('f.requested_at', 'desc').orderBy('f.reference', 'desc').limit(limit).execute();
  },
  views: freezeViews,
  update: (q, id, { amount, lateAck: _late, ...change }) =>
    q
      .updateTable('freezes')
      .set({ ...change, amount_frozen: amount })
      .where('id', '=', id)
      .execute(),
  eventBase: (r) => ({
    ...eventBase(r),
    stopPaymentId: r.stop_payment_id,
    institutionId: r.institution_id,
    account: r.account,
  }),
  executed: (_r, amount, now) => {
    const expires = new Date(now);
    expires.setUTCMonth(expires.getUTCMonth() + FREEZE_MONTHS);
    return { expires, details: { amountFrozen: amount }, event: { amountFrozen: amount } };
  },
};

async function getRequest<R extends RequestRow, V>(
  k: RequestKind<R, V>,
  s: { db: Kysely<DB> },
  reader: Principal,
  id: string,
): Promise<V> {
  const row = await k.find(s.db, id);
  if (!row) throw notFound(k.noun);
  if (!isCentre(reader)) requireBank(reader, row.institution_id, k.noun);
  return (await k.views(s.db, [row]))[0]!;
}

/** A bank's requests of one kind, newest first (its own only). */
async function requestInbox<R extends RequestRow, V>(
  k: RequestKind<R, V>,
  s: { db: Kysely<DB> },
  reader: Principal,
  query: { status?: string | undefined; limit?: number | undefined },
): Promise<V[]> {
  if (reader.organisationKind !== 'bank') throw forbidden(`only banks have a ${k.noun} inbox`);
  const rows = await k.ofInstitution(s.db, reader.organisationId, query.status, query.limit ?? 200);
  return k.views(s.db, rows);
}

export const getStopPayment = (
  s: { db: Kysely<DB> },
  reader: Principal,
  id: string,
): Promise<StopPaymentView> => getRequest(STOP_PAYMENT, s, reader, id);

export const getFreeze = (s: { db: Kysely<DB> }, reader: Principal, id: string): Promise<FreezeView> =>
  getRequest(FREEZE, s, reader, id);

/** A bank's stop-payments, newest first (its own only). */
export const stopPaymentInbox = (
  s: { db: Kysely<DB> },
  reader: Principal,
  query: { status?: StopPaymentStatus | undefined; limit?: number | undefined } = {},
): Promise<StopPaymentView[]> => requestInbox(STOP_PAYMENT, s, reader, query);

export const freezeInbox = (
  s: { db: Kysely<DB> },
  reader: Principal,
  query: { status?: FreezeStatus | undefined; limit?: number | undefined } = {},
): Promise<FreezeView[]> => requestInbox(FREEZE, s, reader, query);

// --- The bank's answers --------------------------------------------------------------------------

export type BankAnswer =
  | { kind: 'acknowledge' }
  | { kind: 'execute'; amount: number; note?: string | undefined }
  | { kind: 'refuse'; reason: string };

/**
 * A bank acknowledges, executes or refuses a stop-payment or a freeze. Acknowledging twice is 409
 * `already_acknowledged`; a stop-payment acknowledged after its deadline is accepted with `lateAck`.
 * Both are audited. Executing may name less than requested (what the account held), never more.
 */
async function answerRequest<R extends RequestRow, V>(
  k: RequestKind<R, V>,
  s: FundServices,
  actor: Principal,
  id: string,
  answer: BankAnswer,
  opts: CallOptions,
): Promise<V> {
  const now = opts.now ?? Date.now();
  let refusal: AppError | null = null;
  await s.db.transaction().execute(async (tx) => {
    const r = await k.find(tx, id, true);
    if (!r) throw notFound(k.noun);
    requireBank(actor, r.institution_id, k.noun);
    const base = k.eventBase(r);
    const history = (action: string, status: string, note?: string | null) =>
      addHistory(
        tx,
        actor,
        { caseId: r.case_id, kind: k.subject, id, action, status, note: note ?? null },
        now,
      );
    const auditIt = (action: string, details: Record<string, unknown>) =>
      audit(tx, actor, { action, targetKind: k.subject, targetId: id, details }, opts.requestId);
    const event = (what: string, data: Record<string, unknown>) =>
      publish(s, tx, `${k.subject}.${what}` as EventType, { ...base, ...data });

    if (answer.kind === 'acknowledge') {
      if (r.acknowledged_at !== null || r.status !== 'sent') {
        refusal = conflict('already_acknowledged', `${k.noun} ${r.reference} was already acknowledged`);
        return;
      }
      const late = k.lateAck?.(r, now);
      await k.update(tx, id, { status: 'acknowledged', acknowledged_at: new Date(now), lateAck: late });
      await history('acknowledged', 'acknowledged', late ? 'after the deadline' : null);
      const lateAck = late === undefined ? {} : { lateAck: late };
      await auditIt(`${k.subject}.acknowledge`, lateAck);
      await event('acknowledged', { status: 'acknowledged', ...lateAck });
      return;
    }
    if (r.status !== 'sent' && r.status !== 'acknowledged') {
      refusal = conflict('not_open', `${k.noun} ${r.reference} is ${r.status}`);
      return;
    }
    if (answer.kind === 'execute') {
      const requested = Number(r.amount_requested);
      if (answer.amount > requested) {
        refusal = badRequest(
          'amount_above_requested',
          `at most ${requested} can be ${k.verb} (what was requested)`,
        );
        return;
      }
      const done = k.executed(r, answer.amount, now);
      await k.update(tx, id, {
        status: 'executed',
        amount: answer.amount,
        executed_at: new Date(now),
        acknowledged_at: r.acknowledged_at ?? new Date(now),
        expires_at: done.expires,
      });
      await history('executed', 'executed', answer.note ?? null);
      await auditIt(`${k.subject}.execute`, done.details);
      await event('executed', { status: 'executed', ...done.event });
      return;
    }
    await k.update(tx, id, { status: 'refused', closed_at: new Date(now) });
    await history('refused', 'refused', answer.reason);
    await auditIt(`${k.subject}.refuse`, {});
    await event('refused', { status: 'refused' });
  });
  if (refusal) {
    // The refused answer is recorded too: who tried what, when (outside the rolled-back work).
    const err: AppError = refusal;
    await audit(
      s.db,
      actor,
      {
        action: `${k.subject}.${answer.kind}_refused`,
        targetKind: k.subject,
        targetId: id,
        details: { code: err.code },
      },
      opts.requestId,
    );
    throw err;
  }
  return getRequest(k, s, actor, id);
}

export const answerStopPayment = (
  s: FundServices,
  actor: Principal,
  id: string,
  answer: BankAnswer,
  opts: CallOptions = {},
): Promise<StopPaymentView> => answerRequest(STOP_PAYMENT, s, actor, id, answer, opts);

/** The same answers for a freeze (no deadline: freezes follow a stop-payment or a court order). */
export const answerFreeze = (
  s: FundServices,
  actor: Principal,
  id: string,
  answer: BankAnswer,
  opts: CallOptions = {},
): Promise<FreezeView> => answerRequest(FREEZE, s, actor, id, answer, opts);

// --- The centre's changes ------------------------------------------------------------------------

/**
 * Renew (extend an executed stop-payment by its period, at most `maxRenewals` times: 409
 * `renewal_limit` after), convert (a freeze of the stopped amount; the stop-payment becomes
 * `converted`) or release (the bank lifts it).
 */
export async function changeStopPayment(
  s: FundServices,
  actor: Principal,
  id: string,
  change: 'renew' | 'convert' | 'release',
  opts: CallOptions & { note?: string | undefined; q?: Kysely<DB> } = {},
): Promise<StopPaymentView & { freezeId?: string }> {
  if (!isCentre(actor, ['analyst', 'supervisor'])) throw forbidden();
  const now = opts.now ?? Date.now();
  let freezeId: string | undefined;
  // Inside the caller's transaction when given one (closing a case releases all or nothing).
  const db = opts.q ?? s.db;
  await inTx(db, async (tx) => {
    const p = await stopRows(tx).where('p.id', '=', id).forUpdate('p').executeTakeFirst();
    if (!p) throw notFound('stop-payment');
    const base = {
      id: p.id,
      reference: p.reference,
      caseId: p.case_id,
      caseReference: p.case_reference,
      institutionId: p.institution_id,
      account: p.account,
    };
    const history = (action: string, status: string) =>
      addHistory(
        tx,
        actor,
        { caseId: p.case_id, kind: 'stop_payment', id, action, status, note: opts.note ?? null },
        now,
      );
    const auditIt = (action: string, details: Record<string, unknown>) =>
      audit(tx, actor, { action, targetKind: 'stop_payment', targetId: id, details }, opts.requestId);

    if (change === 'release') {
      if (!ACTIVE_STOP_PAYMENT.includes(p.status))
        throw conflict('not_active', `stop-payment ${p.reference} is ${p.status}: nothing to release`);
      await tx
        .updateTable('stop_payments')
        .set({ status: 'released', closed_at: new Date(now) })
        .where('id', '=', id)
        .execute();
      await history('released', 'released');
      await auditIt('stop_payment.release', { previous: p.status });
      await publish(s, tx, 'stop_payment.released', { ...base, status: 'released', previous: p.status });
      return;
    }
    if (p.status !== 'executed')
      throw conflict(
        'not_executed',
        `stop-payment ${p.reference} is ${p.status}: only an executed one can be ${change}ed`,
      );
    if (change === 'renew') {
      if (p.renewals >= p.max_renewals)
        throw conflict(
          'renewal_limit',
          `stop-payment ${p.reference} was renewed ${p.renewals} time(s), the most allowed; convert it to a freeze`,
        );
      const from = Math.max(now, new Date(p.expires_at ?? now).getTime());
      const expires = new Date(from + p.period_hours * HOUR_MS);
      await tx
        .updateTable('stop_payments')
        .set({ renewals: p.renewals + 1, expires_at: expires })
        .where('id', '=', id)
        .execute();
      await history('renewed', 'executed');
      await auditIt('stop_payment.renew', { renewals: p.renewals + 1, expiresAt: expires.toISOString() });
      await publish(s, tx, 'stop_payment.renewed', {
        ...base,
        status: 'executed',
        renewals: p.renewals + 1,
        expiresAt: expires.toISOString(),
      });
      return;
    }
    const amount = Number(p.amount_stopped ?? 0);
    if (amount <= 0)
      throw conflict('nothing_stopped', `stop-payment ${p.reference} stopped nothing: no freeze to send`);
    const c = await openCase(tx, p.case_id);
    freezeId = await sendFreeze(
      tx,
      s,
      actor,
      c,
      { institutionId: p.institution_id, account: p.account, amount, stopPaymentId: id },
      opts,
    );
    await tx
      .updateTable('stop_payments')
      .set({ status: 'converted', closed_at: new Date(now) })
      .where('id', '=', id)
      .execute();
    await history('converted', 'converted');
    await auditIt('stop_payment.convert', { freezeId });
    await publish(s, tx, 'stop_payment.converted', { ...base, status: 'converted', freezeId });
  });
  const view = await getStopPayment({ ...s, db }, actor, id);
  return freezeId ? { ...view, freezeId } : view;
}

/** The centre releases a freeze (sent, acknowledged or executed): the bank lifts it. */
export async function releaseFreeze(
  s: FundServices,
  actor: Actor,
  id: string,
  opts: CallOptions & { note?: string | undefined; q?: Kysely<DB> } = {},
): Promise<void> {
  const now = opts.now ?? Date.now();
  await inTx(opts.q ?? s.db, async (tx) => {
    const f = await FREEZE.find(tx, id, true);
    if (!f) throw notFound('freeze');
    if (!ACTIVE_FREEZE.includes(f.status))
      throw conflict('not_active', `freeze ${f.reference} is ${f.status}`);
    await tx
      .updateTable('freezes')
      .set({ status: 'released', closed_at: new Date(now) })
      .where('id', '=', id)
      .execute();
    await addHistory(
      tx,
      actor,
      {
        caseId: f.case_id,
        kind: 'freeze',
        id,
        action: 'released',
        status: 'released',
        note: opts.note ?? null,
      },
      now,
    );
    await audit(
      tx,
      actor,
      { action: 'freeze.release', targetKind: 'freeze', targetId: id, details: {} },
      opts.requestId,
    );
    await publish(s, tx, 'freeze.released', {
      ...FREEZE.eventBase(f),
      status: 'released',
      previous: f.status,
    });
  });
}

// --- Scheduled jobs ------------------------------------------------------------------------------

/** Stop-payments not acknowledged by their deadline: escalated once each. Returns how many. */
export async function escalateStopPayments(s: FundServices, now: number = Date.now()): Promise<number> {
  return s.db.transaction().execute(async (tx) => {
    const due = await stopRows(tx)
      .where('p.status', '=', 'sent')
      .where('p.escalated', '=', false)
      .where('p.ack_deadline_at', '<', new Date(now))
      .forUpdate('p')
      .skipLocked()
      .limit(500)
      .execute();
    for (const p of due) {
      await tx
        .updateTable('stop_payments')
        .set({ escalated: true, escalated_at: new Date(now) })
        .where('id', '=', p.id)
        .execute();
      await addHistory(
        tx,
        SYSTEM,
        { caseId: p.case_id, kind: 'stop_payment', id: p.id, action: 'escalated', status: p.status },
        now,
      );
      await audit(tx, SYSTEM, {
        action: 'stop_payment.escalate',
        targetKind: 'stop_payment',
        targetId: p.id,
        details: {},
      });
      await publish(s, tx, 'stop_payment.escalated', {
        id: p.id,
        reference: p.reference,
        caseId: p.case_id,
        caseReference: p.case_reference,
        institutionId: p.institution_id,
        account: p.account,
        status: p.status,
        ackDeadlineAt: iso(p.ack_deadline_at),
      });
    }
    return due.length;
  });
}

/** Executed stop-payments past their expiry (not renewed or converted): expired. Returns how many. */
export async function expireStopPayments(s: FundServices, now: number = Date.now()): Promise<number> {
  return s.db.transaction().execute(async (tx) => {
    const due = await stopRows(tx)
      .where('p.status', '=', 'executed')
      .where('p.expires_at', '<=', new Date(now))
      .forUpdate('p')
      .skipLocked()
      .limit(500)
      .execute();
    for (const p of due) {
      await tx
        .updateTable('stop_payments')
        .set({ status: 'expired', closed_at: new Date(now) })
        .where('id', '=', p.id)
        .execute();
      await addHistory(
        tx,
        SYSTEM,
        { caseId: p.case_id, kind: 'stop_payment', id: p.id, action: 'expired', status: 'expired' },
        now,
      );
      await audit(tx, SYSTEM, {
        action: 'stop_payment.expire',
        targetKind: 'stop_payment',
        targetId: p.id,
        details: {},
      });
      await publish(s, tx, 'stop_payment.expired', {
        id: p.id,
        reference: p.reference,
        caseId: p.case_id,
        caseReference: p.case_reference,
        institutionId: p.institution_id,
        account: p.account,
        status: 'expired',
        expiresAt: iso(p.expires_at!),
      });
    }
    return due.length;
  });
}
