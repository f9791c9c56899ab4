import { sql } from 'kysely';
import type { Migrations } from '../core/db/migrate.ts';
import { AGE_GROUPS, CANDIDATE_STATUSES, REPORT_CHANNELS, REPORT_KINDS, REPORT_STATUSES } from './tables.ts';

const list = (values: readonly string[]) => sql.raw(`(${values.map((v) => `'${v}'`).join(',')})`);

/** Reports, their indicators and evidence, listing candidates and reporter reputation. */
export const reportMigrations: Migrations = {
  '0006_reports_1': {
    async up(db) {
      await sql`
        create table reports (
          id uuid primary key,
          receipt_code text not null unique check (receipt_code ~ '^[0-9A-Z]{12}$'),
          channel text not null check (channel in ${list(REPORT_CHANNELS)}),
          kind text not null check (kind in ${list(REPORT_KINDS)}),
          organisation_id uuid references organisations(id),
          external_ref text check (length(external_ref) between 1 and 200),
          subject jsonb not null default '{}',
          content text not null default '' check (length(content) <= 20000),
          occurred_at timestamptz,
          category text not null,
          classification jsonb,
          loss jsonb,
          age_group text check (age_group in ${list(AGE_GROUPS)}),
          for_relative boolean not null default false,
          contact_key_id text,
          contact_enc bytea,
          reporter_key text not null,
          network_key text not null,
          urgency integer not null default 0,
          status text not null default 'open' check (status in ${list(REPORT_STATUSES)}),
          decided_by text,
          decided_at timestamptz,
          decision_reason text,
          public_note text,
          merged_into uuid references reports(id),
          language text not null default 'zh',
          created_at timestamptz not null default now(),
          updated_at timestamptz not null default now(),
          unique (organisation_id, external_ref)
        )`.execute(db);
      await sql`create index reports_queue on reports (status, urgency desc, created_at)`.execute(db);
      await sql`create index reports_reporter on reports (reporter_key, created_at)`.execute(db);
      await sql`
        create table report_indicators (
          report_id uuid not null references reports(id),
          kind text not null,
          value text not null,
          role text not null check (role in ('subject', 'content')),
          primary key (report_id, kind, value)
        )`.execute(db);
      await sql`create index report_indicators_value on report_indicators (kind, value)`.execute(db);
      await sql`
        create table report_evidence (
          id uuid primary key,
          report_id uuid not null references reports(id),
          file_name text not null check (length(file_name) between 1 and 200),
          media_type text not null,
          size integer not null check (size > 0),
          sha256 text not null check (sha256 ~ '^[0-9a-f]{64}$'),
          created_at timestamptz not null default now()
        )`.execute(db);
      await sql`create index report_evidence_report on report_evidence (report_id)`.execute(db);
      await sql`
        create table listing_candidates (
          kind text not null,
          value text not null,
          category text not null,
          reports integer not null default 0,
          reporters integer not null default 0,
          scam_texts integer not null default 0,
          first_at timestamptz not null default now(),
          last_at timestamptz not null default now(),
          status text not null default 'collecting' check (status in ${list(CANDIDATE_STATUSES)}),
          coordination jsonb,
          listing_id uuid references listings(id),
          primary key (kind, value)
        )`.execute(db);
      await sql`create index listing_candidates_status on listing_candidates (status, last_at)`.execute(db);
      await sql`
        create table candidate_reporters (
          kind text not null,
          value text not null,
          reporter_key text not null,
          network_key text not null,
          first_at timestamptz not null default now(),
          primary key (kind, value, reporter_key)
        )`.execute(db);
      await sql`
        create table reporter_reputation (
          reporter_key text primary key,
          first_seen timestamptz not null default now(),
          reports integer not null default 0,
          confirmed integer not null default 0,
          rejected integer not null default 0
        )`.execute(db);
    },
  },
};
