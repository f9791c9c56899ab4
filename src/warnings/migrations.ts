import crypto from 'node:crypto';
import { sql } from 'kysely';
import type { Migrations } from '../core/db/migrate.ts';
import { CONTENT_SEED } from './content-seed.ts';
import {
  AUDIENCES,
  CONTENT_CHANNELS,
  LANGUAGES,
  OUTCOMES,
  RISK_LEVELS,
  TRIGGER_KINDS,
  WARNING_ACTIONS,
  WARNING_STATUSES,
  CHANNELS,
} from './tables.ts';

const list = (values: readonly string[]) => sql.raw(`(${values.map((v) => `'${v}'`).join(',')})`);

/** Warnings, their triggers and timeline, and the content library (seeded with real texts). */
export const warningsMigrations: Migrations = {
  '0011_warnings_1_tables': {
    async up(db) {
      await sql`create sequence warning_seq`.execute(db);
      await sql`
        create table warnings (
          id uuid primary key,
          reference text not null unique,
          status text not null check (status in ${list(WARNING_STATUSES)}),
          subject_key text not null,
          person_id uuid references persons(id),
          risk_level text not null check (risk_level in ${list(RISK_LEVELS)}),
          priority integer not null check (priority between 0 and 100),
          scam_type text,
          name_display text not null,
          phone_display text not null,
          key_id text not null,
          phone_enc bytea,
          age_years integer,
          language text not null check (language in ${list(LANGUAGES)}),
          amount_at_risk bigint check (amount_at_risk >= 0),
          channel_plan jsonb not null,
          deadline_at timestamptz,
          overdue boolean not null default false,
          escalations integer not null default 0,
          account_keys text[] not null default '{}',
          msisdn_keys text[] not null default '{}',
          outcome_kind text check (outcome_kind in ${list(OUTCOMES)}),
          outcome_note text,
          outcome_by text,
          outcome_at timestamptz,
          fund_case_id uuid,
          opened_at timestamptz not null,
          last_trigger_at timestamptz not null,
          closed_at timestamptz,
          updated_at timestamptz not null default now()
        )`.execute(db);
      // One open warning per person: two triggers at once cannot open two.
      await sql`create unique index warnings_one_open on warnings (subject_key) where status = 'open'`.execute(
        db,
      );
      await sql`create index warnings_subject on warnings (subject_key, opened_at desc)`.execute(db);
      await sql`create index warnings_queue on warnings (status, priority desc, deadline_at)`.execute(db);
      await sql`create index warnings_due on warnings (deadline_at) where status = 'open' and deadline_at is not null`.execute(
        db,
      );
      await sql`
        create table warning_triggers (
          id uuid primary key,
          warning_id uuid not null references warnings(id),
          kind text not null check (kind in ${list(TRIGGER_KINDS)}),
          at timestamptz not null,
          source text not null,
          organisation_id uuid,
          summary text check (length(summary) <= 500),
          detection_id uuid,
          amount_at_risk bigint check (amount_at_risk >= 0),
          scam_type text,
          suppressed boolean not null default false,
          detail_key_id text not null,
          detail_enc bytea,
          created_at timestamptz not null default now()
        )`.execute(db);
      await sql`create index warning_triggers_warning on warning_triggers (warning_id, at)`.execute(db);
      await sql`create index warning_triggers_at on warning_triggers (at)`.execute(db);
      // A detection becomes a trigger once, however often its event is delivered.
      await sql`create unique index warning_triggers_detection on warning_triggers (detection_id) where detection_id is not null`.execute(
        db,
      );
      await sql`
        create table warning_events (
          id bigserial primary key,
          warning_id uuid not null references warnings(id),
          at timestamptz not null,
          action text not null check (action in ${list(WARNING_ACTIONS)}),
          channel text check (channel in ${list(CHANNELS)}),
          result text,
          note text,
          actor_kind text not null,
          actor_id text,
          actor_name text not null,
          organisation_id uuid
        )`.execute(db);
      await sql`create index warning_events_warning on warning_events (warning_id, id)`.execute(db);
      await sql`create index warning_events_at on warning_events (action, at)`.execute(db);
      await sql`
        create table warning_content (
          id uuid primary key,
          scam_type text not null,
          audience text not null check (audience in ${list(AUDIENCES)}),
          channel text not null check (channel in ${list(CONTENT_CHANNELS)}),
          language text not null check (language in ${list(LANGUAGES)}),
          title text not null check (length(title) between 1 and 200),
          body text not null check (length(body) between 1 and 8000),
          version integer not null default 1,
          updated_at timestamptz not null default now(),
          updated_by text,
          unique (scam_type, audience, channel, language)
        )`.execute(db);
    },
  },
  '0011_warnings_2_content': {
    async up(db) {
      const rows = CONTENT_SEED.flatMap((item) =>
        (['zh', 'en'] as const).flatMap((language) => {
          const t = item[language];
          const base = { scam_type: item.scamType, audience: item.audience, language, version: 1 };
          return [
            { ...base, channel: 'sms' as const, title: t.push.title, body: t.sms },
            { ...base, channel: 'app_push' as const, title: t.push.title, body: t.push.body },
            { ...base, channel: 'call_script' as const, title: t.script.title, body: t.script.body },
          ];
        }),
      );
      await db
        .insertInto('warning_content')
        .values(rows.map((r) => ({ id: crypto.randomUUID(), ...r, updated_by: 'interdict' })))
        .execute();
    },
  },
};
