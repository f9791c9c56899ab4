import crypto from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { DB } from '../core/db/schema.ts';
import { audit, type Actor } from '../core/audit.ts';
import { badRequest, forbidden, notFound } from '../core/errors.ts';
import type { Principal } from '../identity/model.ts';
import type { TransactionRecord } from '../detection/records.ts';
import { RowRejection, TRANSACTIONS } from '../detection/parse.ts';
import { piiContext } from '../privacy/crypto.ts';
import { maskIdNumber, maskName, maskPhone } from '../privacy/mask.ts';
import { registerEncryptedTable } from '../privacy/rotate.ts';
import { DbLedger, loadLedger } from './db-ledger.ts';
import { traceFunds, type MixRule, type TraceResult } from './trace.ts';
import {
  ACTIVE_FREEZE,
  ACTIVE_STOP_PAYMENT,
  type FundCaseSource,
  type FundCaseStatus,
} from './case-tables.ts';
import {
  addHistory,
  caseFreezes,
  caseStopPayments,
  historyOf,
  inTx,
  isCentre,
  iso,
  isoOrNull,
  nextReference,
  publish,
  sendStopPayment,
  type CallOptions,
  type FreezeView,
  type FundServices,
  type HistoryEntry,
  type StopPaymentView,
} from './stop-payments.ts';
import { caseReturns, planReturns, type PlannedReturn, type ReturnView } from './returns.ts';
import './events.ts';

/**
 * Fund cases (docs/funds.md): the victims of one fraud, what each paid into which accounts, the
 * trace of that money through the ledger, and the stop-payments, freezes and returns that recover
 * it. Opening a case traces it and sends the first stop-payments in the same transaction, so a
 * warning whose person had already paid starts the recovery at once.
 */

registerEncryptedTable({
  table: 'fund_case_victims',
  idColumn: 'id',
  keyIdColumn: 'key_id',
  columns: ['name_enc', 'id_number_enc', 'phone_enc'],
});

/** Smallest holding worth proposing a stop-payment for: 100.00. */
export const MIN_PROPOSAL = 10_000;
const ACCOUNT_RE = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

// --- Input ---------------------------------------------------------------------------------------

export interface TransferInput {
  txnId?: string | undefined;
  payerAccount: string;
  payeeAccount: string;
  /** Minor units. */
  amount: number;
  paidAt: string;
}

export interface VictimInput {
  name?: string | undefined;
  idNumber?: string | undefined;
  phone?: string | undefined;
  transfers: TransferInput[];
}

export interface FundCaseInput {
  source: FundCaseSource;
  reportId?: string | undefined;
  warningId?: string | undefined;
  victims: VictimInput[];
}

function checkInput(input: FundCaseInput): void {
  const bad = (m: string) => badRequest('invalid_fund_case', m);
  if (!input.victims?.length) throw bad('a fund case needs at least one victim');
  const seen = new Set<string>();
  input.victims.forEach((v, i) => {
    if (!v.transfers?.length) throw bad(`victim ${i + 1} has no transfer`);
    for (const t of v.transfers) {
      if (!Number.isSafeInteger(t.amount) || t.amount <= 0)
        throw bad(`victim ${i + 1}: an amount must be a positive whole number of minor units`);
      if (!ACCOUNT_RE.test(t.payerAccount) || !ACCOUNT_RE.test(t.payeeAccount))
        throw bad(`victim ${i + 1}: accounts must be 1–64 letters, digits, - or _`);
      if (t.payerAccount === t.payeeAccount)
        throw bad(`victim ${i + 1}: a transfer must go to another account`);
      if (Number.isNaN(Date.parse(t.paidAt))) throw bad(`victim ${i + 1}: paidAt must be an ISO 8601 time`);
      if (t.txnId !== undefined) {
        if (!t.txnId || t.txnId.length > 100) throw bad('a txnId must be 1–100 characters');
        if (seen.has(t.txnId)) throw bad(`transaction ${t.txnId} is given twice`);
        seen.add(t.txnId);
      }
    }
  });
}

// --- Trace ---------------------------------------------------------------------------------------

/** A case's trace as stored (jsonb) and shown: the tracer's result with banks and measures per account. */
export interface CaseTrace {
  tracedAt: string;
  rule: MixRule;
  accounts: {
    account: string;
    depth: number;
    held: number;
    /** By victim id. */
    heldByVictim: Record<string, number>;
    institutionId: string | null;
    /** What active freezes and stop-payments of the case hold there. */
    frozen: number;
    stopped: number;
  }[];
  edges: {
    txnId: string;
    from: string;
    to: string;
    amount: number;
    traced: number;
    cashOut: boolean;
    ts: string;
  }[];
  totals: { stolen: number; held: number; heldBeyondHops: number; cashedOut: number };
  /** Accounts holding at least 100.00 of traced money not yet covered by a stop-payment or freeze. */
  proposals: { account: string; institutionId: string | null; amount: number }[];
}

async function caseTransfers(q: Kysely<DB>, caseId: string) {
  return q
    .selectFrom('fund_case_transfers')
    .selectAll()
    .where('case_id', '=', caseId)
    .orderBy('paid_at')
    .execute();
}

async function runTrace(q: Kysely<DB>, caseId: string, rule: MixRule): Promise<TraceResult> {
  const transfers = await caseTransfers(q, caseId);
  return traceFunds(
    new DbLedger(q),
    transfers.map((t) => t.txn_id),
    {
      rule,
      minProposal: MIN_PROPOSAL,
      victims: Object.fromEntries(transfers.map((t) => [t.txn_id, t.victim_id])),
    },
  );
}

/** What the case's active stop-payments and freezes hold, per account. */
async function coverage(q: Kysely<DB>, caseId: string) {
  const stopped = new Map<string, number>();
  const frozen = new Map<string, number>();
  const sps = await q
    .selectFrom('stop_payments')
    .select(['account', 'status', 'amount_requested', 'amount_stopped'])
    .where('case_id', '=', caseId)
    .where('status', 'in', [...ACTIVE_STOP_PAYMENT])
    .execute();
  for (const p of sps)
    stopped.set(p.account, (stopped.get(p.account) ?? 0) + Number(p.amount_stopped ?? p.amount_requested));
  const fzs = await q
    .selectFrom('freezes')
    .select(['account', 'amount_requested', 'amount_frozen'])
    .where('case_id', '=', caseId)
    .where('status', 'in', [...ACTIVE_FREEZE])
    .execute();
  for (const f of fzs)
    frozen.set(f.account, (frozen.get(f.account) ?? 0) + Number(f.amount_frozen ?? f.amount_requested));
  return { stopped, frozen };
}

async function banksOf(q: Kysely<DB>, accounts: readonly string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  if (accounts.length === 0) return out;
  const rows = await q
    .selectFrom('bank_accounts as b')
    .innerJoin('organisations as o', 'o.id', 'b.institution_org_id')
    .select(['b.account', 'o.id'])
    .where('o.kind', '=', 'bank')
    .where('b.account', 'in', [...accounts])
    .orderBy('b.created_at')
    .execute();
  for (const r of rows) if (!out.has(r.account)) out.set(r.account, r.id);
  return out;
}

/**
 * The trace's accounts with what the case's stop-payments and freezes hold there now, and the
 * proposals that leaves: applied when tracing and again on every read, as requests change.
 */
async function withCoverage<T extends { account: string; held: number; institutionId: string | null }>(
  q: Kysely<DB>,
  caseId: string,
  list: readonly T[],
) {
  const { stopped, frozen } = await coverage(q, caseId);
  const accounts = list.map((a) => ({
    ...a,
    frozen: frozen.get(a.account) ?? 0,
    stopped: stopped.get(a.account) ?? 0,
  }));
  const proposals = accounts
    .map((a) => ({
      account: a.account,
      institutionId: a.institutionId,
      amount: a.held - a.frozen - a.stopped,
    }))
    .filter((p) => p.amount >= MIN_PROPOSAL)
    .sort((a, b) => b.amount - a.amount || (a.account < b.account ? -1 : 1));
  return { accounts, proposals };
}

async function buildCaseTrace(
  q: Kysely<DB>,
  caseId: string,
  t: TraceResult,
  now: number,
): Promise<CaseTrace> {
  const banks = await banksOf(
    q,
    t.accounts.map((a) => a.account),
  );
  const { accounts, proposals } = await withCoverage(
    q,
    caseId,
    t.accounts.map((a) => ({
      account: a.account,
      depth: a.depth,
      held: a.held,
      heldByVictim: a.heldByVictim,
      institutionId: banks.get(a.account) ?? null,
    })),
  );
  return {
    tracedAt: new Date(now).toISOString(),
    rule: t.rule,
    accounts,
    edges: t.edges.map((e) => ({
      txnId: e.txnId,
      from: e.from,
      to: e.to,
      amount: e.amount,
      traced: e.traced,
      cashOut: e.cashOut,
      ts: new Date(e.ts).toISOString(),
    })),
    totals: t.totals,
    proposals,
  };
}

async function storeTrace(q: Kysely<DB>, caseId: string, trace: CaseTrace): Promise<void> {
  await q
    .updateTable('fund_cases')
    .set({ trace: JSON.stringify(trace) })
    .where('id', '=', caseId)
    .execute();
}

/** Traces the case again over the ledger as it is now and stores the result. */
export async function retraceCase(
  q: Kysely<DB>,
  caseId: string,
  opts: { rule?: MixRule | undefined; now?: number | undefined } = {},
): Promise<CaseTrace> {
  const now = opts.now ?? Date.now();
  const prev = await q.selectFrom('fund_cases').select('trace').where('id', '=', caseId).executeTakeFirst();
  if (!prev) throw notFound('fund case');
  const rule = opts.rule ?? (prev.trace as CaseTrace | null)?.rule ?? 'lowest_balance';
  const trace = await buildCaseTrace(q, caseId, await runTrace(q, caseId, rule), now);
  await storeTrace(q, caseId, trace);
  return trace;
}

// --- Opening -------------------------------------------------------------------------------------

/**
 * Opens a fund case through `db` (which may be the caller's transaction): stores the victims
 * (personal data encrypted) and their transfers (added to the ledger when it does not have them),
 * traces the money, and sends one stop-payment per payee account at a known bank, for what the
 * trace says the account still holds (what the victims paid there when the ledger knows no more).
 */
export async function openFundCase(
  db: Kysely<DB>,
  s: Omit<FundServices, 'db'> & { db?: Kysely<DB> },
  actor: Actor,
  input: FundCaseInput,
  opts: CallOptions = {},
): Promise<{ id: string; reference: string }> {
  checkInput(input);
  const now = opts.now ?? Date.now();
  const services: FundServices = { ...s, db };
  return inTx(db, async (tx) => {
    const id = crypto.randomUUID();
    const reference = await nextReference(tx, 'fund_case_seq', 'FND', now);
    await tx
      .insertInto('fund_cases')
      .values({
        id,
        reference,
        status: 'open',
        source: input.source,
        report_id: input.reportId ?? null,
        warning_id: input.warningId ?? null,
        opened_at: new Date(now),
        opened_by: actor.name,
        opened_by_org: 'organisationId' in actor ? actor.organisationId : null,
        trace: null,
      })
      .execute();
    const ledgerRows: TransactionRecord[] = [];
    const transfers: { txnId: string; victimId: string; t: TransferInput }[] = [];
    let lossTotal = 0;
    for (const [i, v] of input.victims.entries()) {
      const victimId = crypto.randomUUID();
      const enc = (column: string, plain: string | undefined) =>
        plain
          ? s.pii.encrypt(plain.trim(), piiContext('fund_case_victims', column, victimId)).ciphertext
          : null;
      const loss = v.transfers.reduce((sum, t) => sum + t.amount, 0);
      lossTotal += loss;
      await tx
        .insertInto('fund_case_victims')
        .values({
          id: victimId,
          case_id: id,
          ordinal: i + 1,
          key_id: s.pii.activeKeyId,
          name_enc: enc('name_enc', v.name),
          id_number_enc: enc('id_number_enc', v.idNumber),
          phone_enc: enc('phone_enc', v.phone),
          label: v.name?.trim() ? maskName(v.name) : `Victim ${i + 1}`,
          loss_amount: loss,
        })
        .execute();
      v.transfers.forEach((t, j) => {
        const txnId = t.txnId ?? `${reference}-${i + 1}-${j + 1}`;
        transfers.push({ txnId, victimId, t });
        ledgerRows.push({
          txnId,
          ts: Date.parse(t.paidAt),
          payer: t.payerAccount,
          payee: t.payeeAccount,
          amount: t.amount,
          currency: 'CNY',
          channel: 'online',
        });
      });
    }
    // The ledger keeps what institutions returned; a transfer it does not know yet is added as told.
    await loadLedger(tx, ledgerRows);
    const banks = await banksOf(tx, [...new Set(transfers.map((x) => x.t.payeeAccount))]);
    await tx
      .insertInto('fund_case_transfers')
      .values(
        transfers.map(({ txnId, victimId, t }) => ({
          case_id: id,
          txn_id: txnId,
          victim_id: victimId,
          payer_account: t.payerAccount,
          payee_account: t.payeeAccount,
          amount: t.amount,
          paid_at: new Date(t.paidAt),
          institution_id: banks.get(t.payeeAccount) ?? null,
        })),
      )
      .execute();
    await addHistory(tx, actor, { caseId: id, kind: 'case', id, action: 'opened', status: 'open' }, now);
    await audit(
      tx,
      actor,
      {
        action: 'fund_case.open',
        targetKind: 'fund_case',
        targetId: id,
        details: { reference, source: input.source, victims: input.victims.length, lossTotal },
      },
      opts.requestId,
    );
    await publish(services, tx, 'fund_case.opened', {
      id,
      reference,
      source: input.source,
      reportId: input.reportId ?? null,
      warningId: input.warningId ?? null,
      victims: input.victims.length,
      lossTotal,
    });

    const result = await runTrace(tx, id, 'lowest_balance');
    const held = new Map(result.accounts.map((a) => [a.account, a.held]));
    const paid = new Map<string, number>();
    for (const x of transfers) paid.set(x.t.payeeAccount, (paid.get(x.t.payeeAccount) ?? 0) + x.t.amount);
    const caseRef = { id, reference, status: 'open' };
    for (const [account, amount] of paid) {
      const institutionId = banks.get(account);
      const stop = held.has(account) ? held.get(account)! : amount;
      if (!institutionId || stop <= 0) continue;
      await sendStopPayment(tx, services, actor, caseRef, { institutionId, account, amount: stop }, opts);
    }
    await storeTrace(tx, id, await buildCaseTrace(tx, id, result, now));
    return { id, reference };
  });
}

// --- Transaction data returned by banks ---------------------------------------------------------

export interface ReturnedTransaction {
  ts: string;
  txn_id: string;
  payer_account: string;
  payee_account?: string | undefined;
  amount: string | number;
  currency: string;
  channel?: string | undefined;
}

/**
 * A bank returns transaction data for a case (docs/formats.md's transaction shape): rows are
 * added to the ledger by txn_id (again: nothing added) and the case is traced again, so the next
 * hops show up as proposals. Rows that do not read are reported, not fatal.
 */
export async function loadCaseTransactions(
  s: FundServices,
  actor: Principal,
  caseId: string,
  rows: readonly ReturnedTransaction[],
  opts: CallOptions = {},
): Promise<{ added: number; rejected: { row: number; reason: string }[]; trace: CaseTrace }> {
  if (!isCentre(actor, ['analyst', 'supervisor']) && actor.organisationKind !== 'bank') throw forbidden();
  const c = await s.db
    .selectFrom('fund_cases')
    .select(['id', 'reference'])
    .where('id', '=', caseId)
    .executeTakeFirst();
  if (!c) throw notFound('fund case');
  if (actor.organisationKind === 'bank') {
    // A bank answers for cases that asked something of it.
    const asked = await s.db
      .selectFrom('stop_payments')
      .select('id')
      .where('case_id', '=', caseId)
      .where('institution_id', '=', actor.organisationId)
      .union(
        s.db
          .selectFrom('freezes')
          .select('id')
          .where('case_id', '=', caseId)
          .where('institution_id', '=', actor.organisationId),
      )
      .executeTakeFirst();
    if (!asked) throw notFound('fund case');
  }
  const good: TransactionRecord[] = [];
  const rejected: { row: number; reason: string }[] = [];
  rows.forEach((r, i) => {
    const v = [
      String(r.ts ?? ''),
      String(r.txn_id ?? ''),
      String(r.payer_account ?? ''),
      String(r.payee_account ?? ''),
      String(r.amount ?? ''),
      String(r.currency ?? ''),
      String(r.channel ?? ''),
    ];
    const out = TRANSACTIONS.build(v, NaN);
    if (out instanceof RowRejection) rejected.push({ row: i + 1, reason: out.reason });
    else good.push(out);
  });
  return s.db.transaction().execute(async (tx) => {
    const added = await loadLedger(tx, good);
    const trace = await retraceCase(tx, caseId, { now: opts.now });
    await addHistory(
      tx,
      actor,
      {
        caseId,
        kind: 'case',
        id: caseId,
        action: 'transactions',
        status: 'open',
        note: `${added} new of ${rows.length}`,
      },
      opts.now,
    );
    await audit(
      tx,
      actor,
      {
        action: 'fund_case.transactions',
        targetKind: 'fund_case',
        targetId: caseId,
        details: { rows: rows.length, added, rejected: rejected.length },
      },
      opts.requestId,
    );
    return { added, rejected, trace };
  });
}

/** Re-runs the trace on the centre's request (another mixing rule, or the ledger grew). */
export async function traceFundCase(
  s: FundServices,
  actor: Principal,
  caseId: string,
  opts: CallOptions & { rule?: MixRule | undefined } = {},
): Promise<CaseTrace> {
  if (!isCentre(actor, ['analyst', 'supervisor'])) throw forbidden();
  return s.db.transaction().execute(async (tx) => {
    const trace = await retraceCase(tx, caseId, opts);
    await audit(
      tx,
      actor,
      { action: 'fund_case.trace', targetKind: 'fund_case', targetId: caseId, details: { rule: trace.rule } },
      opts.requestId,
    );
    return trace;
  });
}

// --- Views ---------------------------------------------------------------------------------------

export interface FundCaseSummary {
  id: string;
  reference: string;
  status: FundCaseStatus;
  source: FundCaseSource;
  reportId: string | null;
  warningId: string | null;
  victims: { id: string; label: string; lossAmount: number; idNumber: string | null; phone: string | null }[];
  transfers: {
    txnId: string;
    victimId: string;
    payerAccount: string;
    payeeAccount: string;
    amount: number;
    paidAt: string;
    institutionId: string | null;
    institutionName: string | null;
  }[];
  lossTotal: number;
  openedAt: string;
  openedBy: string;
  closedAt: string | null;
  closeNote: string | null;
  totals: { stopped: number; frozen: number; returned: number; traced: number };
}

export interface FundCaseView extends FundCaseSummary {
  trace: CaseTrace | null;
  stopPayments: StopPaymentView[];
  freezes: FreezeView[];
  returns: ReturnView[];
  /** While open: what closing now would return, as the close computes it (`planReturns`). */
  returnsOnClose: PlannedReturn[];
  history: HistoryEntry[];
}

async function totalsOf(q: Kysely<DB>, ids: readonly string[]) {
  const out = new Map<string, { stopped: number; frozen: number; returned: number }>();
  if (ids.length === 0) return out;
  const get = (id: string) => {
    let t = out.get(id);
    if (!t) out.set(id, (t = { stopped: 0, frozen: 0, returned: 0 }));
    return t;
  };
  const sp = await q
    .selectFrom('stop_payments')
    .select(['case_id', sql<string>`coalesce(sum(amount_stopped), 0)`.as('n')])
    .where('case_id', 'in', [...ids])
    .where('amount_stopped', 'is not', null)
    .groupBy('case_id')
    .execute();
  for (const r of sp) get(r.case_id).stopped = Number(r.n);
  const fz = await q
    .selectFrom('freezes')
    .select(['case_id', sql<string>`coalesce(sum(amount_frozen), 0)`.as('n')])
    .where('case_id', 'in', [...ids])
    .where('amount_frozen', 'is not', null)
    .groupBy('case_id')
    .execute();
  for (const r of fz) get(r.case_id).frozen = Number(r.n);
  const rt = await q
    .selectFrom('fund_returns')
    .select(['case_id', sql<string>`coalesce(sum(amount), 0)`.as('n')])
    .where('case_id', 'in', [...ids])
    .where('status', '=', 'executed')
    .groupBy('case_id')
    .execute();
  for (const r of rt) get(r.case_id).returned = Number(r.n);
  return out;
}

async function summaries(
  s: FundServices,
  rows: {
    id: string;
    reference: string;
    status: FundCaseStatus;
    source: FundCaseSource;
    report_id: string | null;
    warning_id: string | null;
    opened_at: Date;
    opened_by: string;
    closed_at: Date | null;
    close_note: string | null;
    trace: unknown;
  }[],
): Promise<FundCaseSummary[]> {
  const ids = rows.map((r) => r.id);
  if (ids.length === 0) return [];
  const victims = await s.db
    .selectFrom('fund_case_victims')
    .selectAll()
    .where('case_id', 'in', ids)
    .orderBy('ordinal')
    .execute();
  const transfers = await s.db
    .selectFrom('fund_case_transfers as t')
    .leftJoin('organisations as o', 'o.id', 't.institution_id')
    .selectAll('t')
    .select('o.name as institution_name')
    .where('t.case_id', 'in', ids)
    .orderBy('t.paid_at')
    .orderBy('t.txn_id')
    .execute();
  const totals = await totalsOf(s.db, ids);
  return rows.map((r) => {
    const vs = victims.filter((v) => v.case_id === r.id);
    const trace = r.trace as CaseTrace | null;
    const reveal = (
      keyId: string,
      enc: Uint8Array | null,
      column: string,
      id: string,
      mask: (v: string) => string,
    ) => (enc ? mask(s.pii.decrypt(keyId, enc, piiContext('fund_case_victims', column, id))) : null);
    return {
      id: r.id,
      reference: r.reference,
      status: r.status,
      source: r.source,
      reportId: r.report_id,
      warningId: r.warning_id,
      victims: vs.map((v) => ({
        id: v.id,
        label: v.label,
        lossAmount: Number(v.loss_amount),
        idNumber: reveal(v.key_id, v.id_number_enc, 'id_number_enc', v.id, maskIdNumber),
        phone: reveal(v.key_id, v.phone_enc, 'phone_enc', v.id, maskPhone),
      })),
      transfers: transfers
        .filter((t) => t.case_id === r.id)
        .map((t) => ({
          txnId: t.txn_id,
          victimId: t.victim_id,
          payerAccount: t.payer_account,
          payeeAccount: t.payee_account,
          amount: Number(t.amount),
          paidAt: iso(t.paid_at),
          institutionId: t.institution_id,
          institutionName: t.institution_name ?? null,
        })),
      lossTotal: vs.reduce((sum, v) => sum + Number(v.loss_amount), 0),
      openedAt: iso(r.opened_at),
      openedBy: r.opened_by,
      closedAt: isoOrNull(r.closed_at),
      closeNote: r.close_note,
      totals: {
        stopped: 0,
        frozen: 0,
        returned: 0,
        ...totals.get(r.id),
        traced: trace ? trace.totals.held + trace.totals.heldBeyondHops : 0,
      },
    };
  });
}

/**
 * Records that `reader` saw the victims' (masked) personal data, one row per victim
 * (docs/privacy.md): the access log is per person, and a victim is one.
 */
async function recordVictimReads(
  q: Kysely<DB>,
  reader: Actor,
  v: FundCaseSummary,
  requestId?: string,
): Promise<void> {
  if (v.victims.length === 0) return;
  await q
    .insertInto('personal_data_access')
    .values(
      v.victims.map((x) => ({
        actor_kind: reader.kind,
        actor_id: 'id' in reader ? reader.id : null,
        actor_name: reader.name,
        organisation_id: 'organisationId' in reader ? reader.organisationId : null,
        person_id: x.id,
        fields: ['name', ...(x.idNumber ? ['idNumber'] : []), ...(x.phone ? ['phone'] : [])],
        purpose: 'fund_case',
        purpose_ref: v.reference,
        clear: false,
        request_id: requestId ?? null,
      })),
    )
    .execute();
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

async function caseRow(q: Kysely<DB>, idOrReference: string) {
  const r = await q
    .selectFrom('fund_cases')
    .selectAll()
    .where(UUID_RE.test(idOrReference) ? 'id' : 'reference', '=', idOrReference)
    .executeTakeFirst();
  if (!r) throw notFound('fund case');
  return r;
}

/** One case with its trace, stop-payments, freezes, returns and history (the centre's staff). */
export async function getFundCase(
  s: FundServices,
  reader: Actor,
  idOrReference: string,
  opts: CallOptions = {},
): Promise<FundCaseView> {
  if (reader.kind !== 'system' && !isCentre(reader as Principal)) throw notFound('fund case');
  const r = await caseRow(s.db, idOrReference);
  const [summary] = await summaries(s, [r]);
  const v = summary!;
  const history = (await historyOf(s.db, [r.id])).get(r.id) ?? [];
  await recordVictimReads(s.db, reader, v, opts.requestId);
  const stored = (r.trace as CaseTrace | null) ?? null;
  return {
    ...v,
    trace: stored && { ...stored, ...(await withCoverage(s.db, r.id, stored.accounts)) },
    stopPayments: await caseStopPayments(s.db, r.id),
    freezes: await caseFreezes(s.db, r.id),
    returns: await caseReturns(s.db, r.id),
    returnsOnClose: r.status === 'open' ? await planReturns(s.db, r.id, stored) : [],
    history,
  };
}

/** Cases, newest first; `cursor` is the `next` of the previous page. */
export async function listFundCases(
  s: FundServices,
  reader: Actor,
  query: {
    status?: FundCaseStatus | undefined;
    cursor?: string | undefined;
    limit?: number | undefined;
  } = {},
  opts: CallOptions = {},
): Promise<{ items: FundCaseSummary[]; next: string | null }> {
  if (reader.kind !== 'system' && !isCentre(reader as Principal)) throw forbidden();
  const limit = Math.min(Math.max(query.limit ?? 50, 1), 200);
  let q = s.db.selectFrom('fund_cases').selectAll();
  if (query.status) q = q.where('status', '=', query.status);
  if (query.cursor) {
    const [at, id] = Buffer.from(query.cursor, 'base64url').toString('utf8').split('|');
    if (!at || !id || Number.isNaN(Date.parse(at)) || !UUID_RE.test(id))
      throw badRequest('invalid_cursor', 'cursor is not the `next` of a previous page');
    q = q.where((eb) =>
      eb.or([
        eb('opened_at', '<', new Date(at)),
        eb.and([eb('opened_at', '=', new Date(at)), eb('id', '<', id)]),
      ]),
    );
  }
  const rows = await q
    .orderBy('opened_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit + 1)
    .execute();
  const page = rows.slice(0, limit);
  const items = await summaries(s, page);
  for (const v of items) await recordVictimReads(s.db, reader, v, opts.requestId);
  const last = page[page.length - 1];
  const next =
    rows.length > limit && last
      ? Buffer.from(`${iso(last.opened_at)}|${last.id}`).toString('base64url')
      : null;
  return { items, next };
}

// --- Statistics ----------------------------------------------------------------------------------

export interface FundStatistics {
  days: number;
  cases: number;
  stopped: number;
  frozen: number;
  returned: number;
  /** From the report (or the case's opening when no report) to the first executed stop-payment. */
  medianMinutesReportToFirstStop: number | null;
}

export async function fundStatistics(
  s: { db: Kysely<DB> },
  reader: Principal,
  days = 30,
  now: number = Date.now(),
): Promise<FundStatistics> {
  if (!isCentre(reader)) throw forbidden();
  const since = new Date(now - days * 86_400_000);
  const num = async (p: Promise<{ n: string | number | bigint | null } | undefined>) =>
    Number((await p)?.n ?? 0);
  const cases = await num(
    s.db
      .selectFrom('fund_cases')
      .select(sql<string>`count(*)`.as('n'))
      .where('opened_at', '>=', since)
      .executeTakeFirst(),
  );
  const stopped = await num(
    s.db
      .selectFrom('stop_payments')
      .select(sql<string>`coalesce(sum(amount_stopped), 0)`.as('n'))
      .where('executed_at', '>=', since)
      .executeTakeFirst(),
  );
  const frozen = await num(
    s.db
      .selectFrom('freezes')
      .select(sql<string>`coalesce(sum(amount_frozen), 0)`.as('n'))
      .where('executed_at', '>=', since)
      .executeTakeFirst(),
  );
  const returned = await num(
    s.db
      .selectFrom('fund_returns')
      .select(sql<string>`coalesce(sum(amount), 0)`.as('n'))
      .where('status', '=', 'executed')
      .where('executed_at', '>=', since)
      .executeTakeFirst(),
  );
  const times = await sql<{ minutes: string }>`
    select extract(epoch from (min(p.executed_at) - coalesce(r.created_at, c.opened_at))) / 60 as minutes
    from fund_cases c
    join stop_payments p on p.case_id = c.id and p.executed_at is not null
    left join reports r on r.id = c.report_id
    where c.opened_at >= ${since}
    group by c.id, r.created_at, c.opened_at`.execute(s.db);
  const m = times.rows.map((r) => Number(r.minutes)).sort((a, b) => a - b);
  const median =
    m.length === 0
      ? null
      : m.length % 2
        ? m[(m.length - 1) / 2]!
        : (m[m.length / 2 - 1]! + m[m.length / 2]!) / 2;
  return {
    days,
    cases,
    stopped,
    frozen,
    returned,
    medianMinutesReportToFirstStop: median === null ? null : Math.round(median * 10) / 10,
  };
}
