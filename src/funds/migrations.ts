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
  } /**
   * Fund cases, their victims (personal data encrypted) and transfers, the stop-payments, freezes
   * and returns sent for them, and one history table for every change.
   */,
  '0010_funds_2_cases': {
    async up(db) {
      for (const seq of ['fund_case_seq', 'stop_payment_seq', 'freeze_seq'])
        await sql`create sequence ${sql.raw(seq)}`.execute(db);
      await sql`
        create table fund_cases (
          id uuid primary key,
          reference text not null unique,
          status text not null default 'open' check (status in ('open','closed')),
          source text not null check (source in ('report','analyst','warning')),
          report_id uuid,
          warning_id uuid,
          opened_at timestamptz not null default now(),
          opened_by text not null,
          opened_by_org uuid references organisations(id),
          closed_at timestamptz,
          close_note text,
          trace jsonb
        )`.execute(db);
      await sql`create index fund_cases_opened on fund_cases (opened_at desc, id desc)`.execute(db);
      await sql`create index fund_cases_warning on fund_cases (warning_id) where warning_id is not null`.execute(
        db,
      );
      await sql`
        create table fund_case_victims (
          id uuid primary key,
          case_id uuid not null references fund_cases(id),
          ordinal int not null,
          key_id text not null,
          name_enc bytea,
          id_number_enc bytea,
          phone_enc bytea,
          label text not null,
          loss_amount bigint not null check (loss_amount >= 0),
          unique (case_id, ordinal)
        )`.execute(db);
      await sql`
        create table fund_case_transfers (
          case_id uuid not null references fund_cases(id),
          txn_id text not null,
          victim_id uuid not null references fund_case_victims(id),
          payer_account text not null,
          payee_account text not null,
          amount bigint not null check (amount > 0),
          paid_at timestamptz not null,
          institution_id uuid references organisations(id),
          primary key (case_id, txn_id)
        )`.execute(db);
      await sql`
        create table stop_payments (
          id uuid primary key,
          reference text not null unique,
          case_id uuid not null references fund_cases(id),
          institution_id uuid not null references organisations(id),
          account text not null,
          amount_requested bigint not null check (amount_requested > 0),
          amount_stopped bigint check (amount_stopped >= 0),
          legal_basis text not null,
          reason text not null,
          status text not null check (status in ('sent','acknowledged','executed','refused','expired','released','converted')),
          requested_at timestamptz not null default now(),
          requested_by text not null,
          ack_deadline_at timestamptz not null,
          acknowledged_at timestamptz,
          late_ack boolean not null default false,
          executed_at timestamptz,
          escalated boolean not null default false,
          escalated_at timestamptz,
          renewals int not null default 0,
          max_renewals int not null,
          period_hours int not null,
          expires_at timestamptz,
          closed_at timestamptz,
          request_event_id uuid
        )`.execute(db);
      await sql`create index stop_payments_case on stop_payments (case_id)`.execute(db);
      await sql`create index stop_payments_inbox on stop_payments (institution_id, requested_at desc)`.execute(
        db,
      );
      await sql`create index stop_payments_ack_due on stop_payments (ack_deadline_at) where status = 'sent' and not escalated`.execute(
        db,
      );
      await sql`create index stop_payments_expiring on stop_payments (expires_at) where status = 'executed'`.execute(
        db,
      );
      await sql`
        create table freezes (
          id uuid primary key,
          reference text not null unique,
          case_id uuid not null references fund_cases(id),
          stop_payment_id uuid references stop_payments(id),
          institution_id uuid not null references organisations(id),
          account text not null,
          amount_requested bigint not null check (amount_requested > 0),
          amount_frozen bigint check (amount_frozen >= 0),
          status text not null check (status in ('sent','acknowledged','executed','refused','released','returned')),
          requested_at timestamptz not null default now(),
          acknowledged_at timestamptz,
          executed_at timestamptz,
          expires_at timestamptz not null,
          closed_at timestamptz,
          request_event_id uuid
        )`.execute(db);
      await sql`create index freezes_case on freezes (case_id)`.execute(db);
      await sql`create index freezes_inbox on freezes (institution_id, requested_at desc)`.execute(db);
      await sql`
        create table fund_returns (
          id uuid primary key,
          case_id uuid not null references fund_cases(id),
          freeze_id uuid not null references freezes(id),
          victim_id uuid not null references fund_case_victims(id),
          amount bigint not null check (amount > 0),
          status text not null check (status in ('instructed','executed')),
          instructed_at timestamptz not null default now(),
          executed_at timestamptz
        )`.execute(db);
      await sql`create index fund_returns_case on fund_returns (case_id)`.execute(db);
      await sql`create index fund_returns_freeze on fund_returns (freeze_id)`.execute(db);
      await sql`
        create table fund_events (
          id bigint generated always as identity primary key,
          case_id uuid not null references fund_cases(id),
          subject_kind text not null check (subject_kind in ('case','stop_payment','freeze','return')),
          subject_id uuid not null,
          action text not null,
          status text not null,
          at timestamptz not null default now(),
          actor_kind text not null,
          actor_id text,
          actor_name text not null,
          organisation_id uuid,
          note text
        )`.execute(db);
      await sql`create index fund_events_subject on fund_events (subject_id, id)`.execute(db);
      await sql`create index fund_events_case on fund_events (case_id, id)`.execute(db);
    },
  },
};
