import { sql } from 'kysely';
import type { Migrations } from '../core/db/migrate.ts';

/** Persons, their phone cards and bank accounts, and the log of reads of their personal data. */
export const privacyMigrations: Migrations = {
  '0003_privacy_1_persons': {
    async up(db) {
      await sql`
        create table persons (
          id uuid primary key,
          id_type text not null check (id_type in
            ('prc_resident','passport','hk_macao_permit','taiwan_permit','foreign_permanent_residence','other')),
          id_number_hash text not null unique,
          key_id text not null,
          name_enc bytea not null,
          id_number_enc bytea not null,
          birth_date_enc bytea,
          region_code text check (region_code ~ '^[0-9]{6}$'),
          created_at timestamptz not null default now()
        )`.execute(db);
      await sql`create index persons_created on persons (created_at desc, id desc)`.execute(db);
      // Rotation finds the rows still under an old key.
      await sql`create index persons_key on persons (key_id)`.execute(db);
    },
  },
  '0003_privacy_2_holdings': {
    async up(db) {
      await sql`
        create table phone_cards (
          id uuid primary key,
          msisdn text not null unique check (msisdn ~ '^[+][1-9][0-9]{6,14}$'),
          imsi text check (imsi ~ '^[0-9]{6,15}$'),
          holder_person_id uuid references persons(id),
          operator_org_id uuid not null references organisations(id),
          card_type text not null check (card_type in ('consumer','iot')),
          holder_region text,
          activated_at timestamptz,
          status text not null default 'active' check (status in ('active','restricted','suspended','cancelled')),
          created_at timestamptz not null default now()
        )`.execute(db);
      await sql`create index phone_cards_holder on phone_cards (holder_person_id)`.execute(db);
      await sql`create index phone_cards_operator on phone_cards (operator_org_id)`.execute(db);
      await sql`
        create table bank_accounts (
          id uuid primary key,
          account text not null check (account ~ '^[A-Z0-9]{4,40}$'),
          institution_org_id uuid not null references organisations(id),
          holder_person_id uuid references persons(id),
          account_type text not null check (account_type in ('personal','corporate')),
          opened_at timestamptz,
          status text not null default 'active' check (status in ('active','restricted','frozen','closed')),
          created_at timestamptz not null default now(),
          unique (institution_org_id, account)
        )`.execute(db);
      await sql`create index bank_accounts_holder on bank_accounts (holder_person_id)`.execute(db);
      await sql`create index bank_accounts_account on bank_accounts (account)`.execute(db);
    },
  },
  '0003_privacy_3_access_log': {
    async up(db) {
      // No foreign key to persons: the record of a read outlives the person record.
      await sql`
        create table personal_data_access (
          id bigint generated always as identity primary key,
          at timestamptz not null default now(),
          actor_kind text not null,
          actor_id text,
          actor_name text not null,
          organisation_id uuid,
          person_id uuid not null,
          fields text[] not null check (cardinality(fields) > 0),
          purpose text not null,
          purpose_ref text,
          clear boolean not null,
          request_id text
        )`.execute(db);
      await sql`create index personal_data_access_person on personal_data_access (person_id, id desc)`.execute(
        db,
      );
      await sql`create index personal_data_access_org on personal_data_access (organisation_id, id desc)`.execute(
        db,
      );
      // Append-only in the database itself, not only for want of an update route.
      await sql`
        create function personal_data_access_append_only() returns trigger language plpgsql as $$
        begin
          raise exception 'personal_data_access is append-only (% refused)', tg_op
            using errcode = 'insufficient_privilege';
        end
        $$`.execute(db);
      await sql`
        create trigger personal_data_access_no_change before update or delete on personal_data_access
        for each row execute function personal_data_access_append_only()`.execute(db);
      await sql`
        create trigger personal_data_access_no_truncate before truncate on personal_data_access
        for each statement execute function personal_data_access_append_only()`.execute(db);
    },
  },
  '0015_privacy_4_card_tenures': {
    async up(db) {
      // Numbers are recycled: a number may have had holders before its present one. One row per
      // tenure; at most one that is not cancelled (the present card).
      await sql`alter table phone_cards add column cancelled_at timestamptz`.execute(db);
      await sql`alter table phone_cards drop constraint phone_cards_msisdn_key`.execute(db);
      await sql`create unique index phone_cards_msisdn_present on phone_cards (msisdn) where status <> 'cancelled'`.execute(
        db,
      );
      await sql`create index phone_cards_msisdn on phone_cards (msisdn)`.execute(db);
    },
  },
  // The sales outlet that opened a card (the card file's optional `outlet` column): the holder of a
  // card opened without them sees where, and the operator's re-verification is told.
  '0020_privacy_5_card_outlet': {
    async up(db) {
      await sql`alter table phone_cards add column outlet text`.execute(db);
    },
  },
  // When the bank closed an account (the account file's optional `closed_at` column), so that its
  // holder sees it as closed. Account numbers are not reissued: no tenures, unlike phone cards.
  '0021_privacy_6_account_closed': {
    async up(db) {
      await sql`alter table bank_accounts add column closed_at timestamptz`.execute(db);
    },
  },
};
