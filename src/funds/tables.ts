import type { ColumnType } from 'kysely';

/**
 * The funds capability's ledger (docs/funds.md): transactions institutions return for fund cases,
 * what tracing reads. One row per transaction id; amounts in minor units.
 */
export interface LedgerTransactionsTable {
  txn_id: string;
  ts: ColumnType<Date, Date | string, Date | string>;
  payer: string;
  /** Empty for cash taken out at an ATM or a counter. */
  payee: string;
  amount: ColumnType<string, number | bigint | string, number | bigint | string>;
  currency: string;
  channel: string;
  loaded_at: ColumnType<Date, Date | string | undefined, never>;
}

declare module '../core/db/schema.ts' {
  interface DB {
    ledger_transactions: LedgerTransactionsTable;
  }
}
