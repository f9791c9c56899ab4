import { sql } from 'kysely';
import type { Migrations } from '../core/db/migrate.ts';

/** The ledger tracing reads: an account's activity in time order, by payer and by payee. */
export const fundsMigrations: Migrations = {
  '0010_funds_1_ledger': {
    async up(db) {
      await sql`
        create table ledger_transactions (
          txn_id text primary key check (length(txn_id) between 1 and 100),
          ts timestamptz not null,
          payer text not null,
          payee text not null default '',
          amount bigint not null check (amount > 0),
          currency text not null,
          channel text not null,
          loaded_at timestamptz not null default now()
        )`.execute(db);
      await sql`create index ledger_by_payer on ledger_transactions (payer, ts)`.execute(db);
      await sql`create index ledger_by_payee on ledger_transactions (payee, ts) where payee <> ''`.execute(
        db,
      );
    },
  },
};
