import crypto from 'node:crypto';
import type { Kysely } from 'kysely';
import type { DB } from '../core/db/schema.ts';
import { audit, type Actor } from '../core/audit.ts';
import { conflict, forbidden, notFound } from '../core/errors.ts';
import type { Principal } from '../identity/model.ts';
import { ACTIVE_FREEZE, ACTIVE_STOP_PAYMENT, type ReturnStatus } from './case-tables.ts';
import {
  addHistory,
  changeStopPayment,
  isCentre,
  iso,
  isoOrNull,
  publish,
  releaseFreeze,
  type CallOptions,
  type FundServices,
} from './stop-payments.ts';
import './events.ts';

/**
 * Returns (返还): closing a case gives frozen money back. Money that met in one account from
 * several victims goes back pro rata to what the trace attributed to each (`heldByVictim`), in
 * whole minor units by the largest remainder, so the parts add up to what was frozen exactly.
 */

/**
 * Splits `amount` (minor units) in proportion to `weights`: each gets the floor of its exact
 * share, and the units left go one each to the largest remainders (ties: the larger weight, then
 * the key). Keys with no positive weight get nothing; with no positive weight at all, nothing.
 */
export function proRata(amount: number, weights: Readonly<Record<string, number>>): Record<string, number> {
  const entries = Object.entries(weights).filter(([, w]) => w > 0);
  const total = entries.reduce((s, [, w]) => s + w, 0);
  const out: Record<string, number> = {};
  if (amount <= 0 || total <= 0) return out;
  // BigInt keeps the products exact for any amounts in minor units.
  const A = BigInt(amount);
  const T = BigInt(total);
  const parts = entries.map(([k, w]) => {
    const exact = A * BigInt(w);
    return { k, w, base: exact / T, rem: exact % T };
  });
  let left = A - parts.reduce((s, p) => s + p.base, 0n);
  const order = [...parts].sort((a, b) =>
    a.rem !== b.rem ? (b.rem > a.rem ? 1 : -1) : b.w - a.w || (a.k < b.k ? -1 : a.k > b.k ? 1 : 0),
  );
  for (const p of order) {
    if (left <= 0n) break;
    p.base += 1n;
    left -= 1n;
  }
  for (const p of parts) if (p.base > 0n) out[p.k] = Number(p.base);
  return out;
}

export interface ReturnView {
  id: string;
  caseId: string;
  caseReference: string;
  freezeId: string;
  victimId: string;
  victimLabel: string;
  institutionId: string;
  institutionName: string;
  account: string;
  amount: number;
  status: ReturnStatus;
  instructedAt: string;
  executedAt: string | null;
}

const returnRows = (q: Kysely<DB>) =>
  q
    .selectFrom('fund_returns as r')
    .innerJoin('freezes as f', 'f.id', 'r.freeze_id')
    .innerJoin('organisations as o', 'o.id', 'f.institution_id')
    .innerJoin('fund_cases as c', 'c.id', 'r.case_id')
    .innerJoin('fund_case_victims as v', 'v.id', 'r.victim_id')
    .selectAll('r')
    .select([
      'c.reference as case_reference',
      'v.label as victim_label',
      'f.institution_id',
      'o.name as institution_name',
      'f.account',
    ]);

type ReturnRow = Awaited<ReturnType<ReturnType<typeof returnRows>['execute']>>[number];

const viewOf = (r: ReturnRow): ReturnView => ({
  id: r.id,
  caseId: r.case_id,
  caseReference: r.case_reference,
  freezeId: r.freeze_id,
  victimId: r.victim_id,
  victimLabel: r.victim_label,
  institutionId: r.institution_id,
  institutionName: r.institution_name,
  account: r.account,
  amount: Number(r.amount),
  status: r.status,
  instructedAt: iso(r.instructed_at),
  executedAt: isoOrNull(r.executed_at),
});

export async function caseReturns(q: Kysely<DB>, caseId: string): Promise<ReturnView[]> {
  const rows = await returnRows(q)
    .where('r.case_id', '=', caseId)
    .orderBy('r.instructed_at')
    .orderBy('v.ordinal')
    .execute();
  return rows.map(viewOf);
}

/** A bank's returns to pay, newest first. */
export async function returnInbox(s: { db: Kysely<DB> }, reader: Principal): Promise<ReturnView[]> {
  if (reader.organisationKind !== 'bank') throw forbidden('only banks have a returns inbox');
  const rows = await returnRows(s.db)
    .where('f.institution_id', '=', reader.organisationId)
    .orderBy('r.instructed_at', 'desc')
    .limit(500)
    .execute();
  return rows.map(viewOf);
}

type CaseTraceLike = { accounts?: { account: string; heldByVictim: Record<string, number> }[] };

/** One return closing the case would instruct. */
export interface PlannedReturn {
  freezeId: string;
  account: string;
  victimId: string;
  amount: number;
}

/**
 * What closing the case now would instruct: each executed freeze's money back to the victims,
 * pro rata (`weightsFor`). The close instructs exactly this; the case view shows it beforehand.
 */
export async function planReturns(
  q: Kysely<DB>,
  caseId: string,
  trace: CaseTraceLike | null,
): Promise<PlannedReturn[]> {
  const freezes = await q
    .selectFrom('freezes')
    .select(['id', 'account', 'amount_frozen'])
    .where('case_id', '=', caseId)
    .where('status', '=', 'executed')
    .orderBy('requested_at')
    .orderBy('id')
    .execute();
  const out: PlannedReturn[] = [];
  for (const f of freezes) {
    const amount = Number(f.amount_frozen ?? 0);
    if (amount <= 0) continue;
    const shares = proRata(amount, await weightsFor(q, caseId, f.account, trace));
    for (const [victimId, part] of Object.entries(shares))
      out.push({ freezeId: f.id, account: f.account, victimId, amount: part });
  }
  return out;
}

/** Who each frozen account's money goes back to: the trace's attribution, else what each paid there, else losses. */
async function weightsFor(
  q: Kysely<DB>,
  caseId: string,
  account: string,
  trace: CaseTraceLike | null,
): Promise<Record<string, number>> {
  const traced = trace?.accounts?.find((a) => a.account === account)?.heldByVictim;
  if (traced && Object.values(traced).some((v) => v > 0)) return traced;
  const paid = await q
    .selectFrom('fund_case_transfers')
    .select(['victim_id', 'amount'])
    .where('case_id', '=', caseId)
    .where('payee_account', '=', account)
    .execute();
  const rows =
    paid.length > 0
      ? paid.map((p) => ({ id: p.victim_id, w: Number(p.amount) }))
      : (
          await q
            .selectFrom('fund_case_victims')
            .select(['id', 'loss_amount'])
            .where('case_id', '=', caseId)
            .execute()
        ).map((v) => ({ id: v.id, w: Number(v.loss_amount) }));
  const out: Record<string, number> = {};
  for (const r of rows) out[r.id] = (out[r.id] ?? 0) + r.w;
  return out;
}

/**
 * Closes a case: stop-payments still holding and freezes not executed are released, and the money
 * of each executed freeze is instructed back to the victims (pro rata). Returns what was instructed.
 */
export async function closeFundCase(
  s: FundServices,
  actor: Principal,
  caseId: string,
  note: string,
  opts: CallOptions = {},
): Promise<ReturnView[]> {
  if (!isCentre(actor, ['analyst', 'supervisor'])) throw forbidden();
  const now = opts.now ?? Date.now();
  // One transaction: the releases, the return instructions and the closing land together or not
  // at all (a failure half-way must not leave a case open with its stop-payments lifted).
  const ids = await s.db.transaction().execute(async (tx) => {
    const c = await tx
      .selectFrom('fund_cases')
      .select(['id', 'reference', 'status', 'trace'])
      .where('id', '=', caseId)
      .forUpdate()
      .executeTakeFirst();
    if (!c) throw notFound('fund case');
    if (c.status !== 'open') throw conflict('case_closed', `fund case ${c.reference} is already closed`);
    const holding = await tx
      .selectFrom('stop_payments')
      .select('id')
      .where('case_id', '=', caseId)
      .where('status', 'in', [...ACTIVE_STOP_PAYMENT])
      .execute();
    for (const p of holding)
      await changeStopPayment(s, actor, p.id, 'release', { ...opts, note: 'case closed', q: tx });
    const freezes = await tx
      .selectFrom('freezes')
      .selectAll()
      .where('case_id', '=', caseId)
      .where('status', 'in', [...ACTIVE_FREEZE])
      .orderBy('requested_at')
      .execute();
    for (const f of freezes)
      if (f.status !== 'executed' || Number(f.amount_frozen ?? 0) <= 0)
        await releaseFreeze(s, actor, f.id, { ...opts, note: 'case closed', q: tx });
    const byId = new Map(freezes.map((f) => [f.id, f]));
    const created: string[] = [];
    let returned = 0;
    for (const r of await planReturns(tx, caseId, c.trace as CaseTraceLike | null)) {
      const f = byId.get(r.freezeId)!;
      const id = crypto.randomUUID();
      await tx
        .insertInto('fund_returns')
        .values({
          id,
          case_id: caseId,
          freeze_id: r.freezeId,
          victim_id: r.victimId,
          amount: r.amount,
          status: 'instructed',
          instructed_at: new Date(now),
        })
        .execute();
      await addHistory(
        tx,
        actor,
        { caseId, kind: 'return', id, action: 'instructed', status: 'instructed' },
        now,
      );
      await audit(
        tx,
        actor,
        {
          action: 'return.instruct',
          targetKind: 'fund_return',
          targetId: id,
          details: { freezeId: r.freezeId, victimId: r.victimId, amount: r.amount },
        },
        opts.requestId,
      );
      await publish(s, tx, 'return.instructed', {
        id,
        caseId,
        caseReference: c.reference,
        freezeId: r.freezeId,
        institutionId: f.institution_id,
        account: r.account,
        victimId: r.victimId,
        amount: r.amount,
      });
      created.push(id);
      returned += r.amount;
    }
    await tx
      .updateTable('fund_cases')
      .set({ status: 'closed', closed_at: new Date(now), close_note: note })
      .where('id', '=', caseId)
      .execute();
    await addHistory(
      tx,
      actor,
      { caseId, kind: 'case', id: caseId, action: 'closed', status: 'closed', note },
      now,
    );
    await audit(
      tx,
      actor,
      {
        action: 'fund_case.close',
        targetKind: 'fund_case',
        targetId: caseId,
        details: { returns: created.length, returned },
      },
      opts.requestId,
    );
    await publish(s, tx, 'fund_case.closed', {
      id: caseId,
      reference: c.reference,
      returns: created.length,
      returned,
    });
    return created;
  });
  if (ids.length === 0) return [];
  return (await returnRows(s.db).where('r.id', 'in', ids).orderBy('v.ordinal').execute()).map(viewOf);
}

/** The bank paid a return; when every return of a freeze is paid, the freeze is `returned`. */
export async function executeReturn(
  s: FundServices,
  actor: Actor & Principal,
  id: string,
  opts: CallOptions = {},
): Promise<ReturnView> {
  const now = opts.now ?? Date.now();
  await s.db.transaction().execute(async (tx) => {
    const r = await returnRows(tx).where('r.id', '=', id).forUpdate('r').executeTakeFirst();
    if (!r || actor.organisationKind !== 'bank' || r.institution_id !== actor.organisationId)
      throw notFound('return');
    if (r.status === 'executed') throw conflict('already_executed', 'this return was already paid');
    await tx
      .updateTable('fund_returns')
      .set({ status: 'executed', executed_at: new Date(now) })
      .where('id', '=', id)
      .execute();
    await addHistory(
      tx,
      actor,
      { caseId: r.case_id, kind: 'return', id, action: 'executed', status: 'executed' },
      now,
    );
    await audit(
      tx,
      actor,
      {
        action: 'return.execute',
        targetKind: 'fund_return',
        targetId: id,
        details: { amount: Number(r.amount) },
      },
      opts.requestId,
    );
    await publish(s, tx, 'return.executed', {
      id,
      caseId: r.case_id,
      caseReference: r.case_reference,
      freezeId: r.freeze_id,
      institutionId: r.institution_id,
      account: r.account,
      victimId: r.victim_id,
      amount: Number(r.amount),
    });
    const open = await tx
      .selectFrom('fund_returns')
      .select('id')
      .where('freeze_id', '=', r.freeze_id)
      .where('status', '=', 'instructed')
      .executeTakeFirst();
    if (!open) {
      await tx
        .updateTable('freezes')
        .set({ status: 'returned', closed_at: new Date(now) })
        .where('id', '=', r.freeze_id)
        .execute();
      await addHistory(
        tx,
        actor,
        { caseId: r.case_id, kind: 'freeze', id: r.freeze_id, action: 'returned', status: 'returned' },
        now,
      );
    }
  });
  const row = await returnRows(s.db).where('r.id', '=', id).executeTakeFirstOrThrow();
  return viewOf(row);
}
