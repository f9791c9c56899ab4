import { sql, type Kysely } from 'kysely';
import type { DB } from '../core/db/schema.ts';
import type { TransactionRecord } from '../detection/records.ts';
import { byTime } from './ledger.ts';
import type { Ledger } from './trace.ts';
import './tables.ts';

/**
 * The ledger in the database: each round of a trace is one query for the new accounts' activity,
 * answered from the two (account, ts) indexes (a bitmap OR of payer and payee scans).
 */
export class DbLedger implements Ledger {
  constructor(private readonly db: Kysely<DB>) {}

  async activity(accounts: readonly string[], from: number): Promise<TransactionRecord[]> {
    if (accounts.length === 0) return [];
    const list = [...accounts];
    const rows = await this.db
      .selectFrom('ledger_transactions')
      .select(['txn_id', 'ts', 'payer', 'payee', 'amount', 'currency', 'channel'])
      .where('ts', '>=', new Date(from))
      .where((eb) =>
        eb.or([
          eb('payer', '=', sql<string>`any(${sql.val(list)}::text[])`),
          eb('payee', '=', sql<string>`any(${sql.val(list)}::text[])`),
        ]),
      )
      .execute();
    return rows.map(toRecord).sort(byTime);
  }

  async byIds(ids: readonly string[]): Promise<TransactionRecord[]> {
    if (ids.length === 0) return [];
    const rows = await this.db
      .selectFrom('ledger_transactions')
      .select(['txn_id', 'ts', 'payer', 'payee', 'amount', 'currency', 'channel'])
      .where('txn_id', 'in', [...ids])
      .execute();
    const byId = new Map(rows.map((r) => [r.txn_id, toRecord(r)]));
    return ids.map((id) => byId.get(id)).filter((t): t is TransactionRecord => t !== undefined);
  }
}

function toRecord(r: {
  txn_id: string;
  ts: Date;
  payer: string;
  payee: string;
  amount: string | number | bigint;
  currency: string;
  channel: string;
}): TransactionRecord {
  return {
    txnId: r.txn_id,
    ts: new Date(r.ts).getTime(),
    payer: r.payer,
    payee: r.payee,
    amount: Number(r.amount),
    currency: r.currency,
    channel: r.channel,
  };
}

/**
 * Adds transactions to the ledger; a transaction id already there is kept as it was (institutions
 * resend), so loading a file twice adds nothing. Returns how many were new.
 */
export async function loadLedger(db: Kysely<DB>, rows: readonly TransactionRecord[]): Promise<number> {
  let added = 0;
  for (let i = 0; i < rows.length; i += 5000) {
    const chunk = rows.slice(i, i + 5000);
    const r = await db
      .insertInto('ledger_transactions')
      .values(
        chunk.map((t) => ({
          txn_id: t.txnId,
          ts: new Date(t.ts),
          payer: t.payer,
          payee: t.payee,
          amount: t.amount,
          currency: t.currency,
          channel: t.channel,
        })),
      )
      .onConflict((oc) => oc.column('txn_id').doNothing())
      .executeTakeFirst();
    added += Number(r.numInsertedOrUpdatedRows ?? 0);
  }
  return added;
}
