import { sql } from 'kysely';
import type { Migrations } from '../core/db/migrate.ts';
import { LEGAL_BASIS_IDS } from './catalogue.ts';
import {
  CARD_FUNCTIONS,
  INSTRUCTION_ACTIONS,
  INSTRUCTION_MEASURES,
  INSTRUCTION_STATUSES,
  TARGET_KINDS,
  WEBHOOK_DELIVERY_STATUSES,
} from './tables.ts';

const list = (values: readonly string[]) => sql.raw(`(${values.map((v) => `'${v}'`).join(',')})`);

/** Disposal instructions and their timeline; institutions' webhooks and their deliveries. */
export const governanceMigrations: Migrations = {
  '0009_governance_1_instructions': {
    async up(db) {
      await sql`
        create table instructions (
          id uuid primary key,
          status text not null check (status in ${list(INSTRUCTION_STATUSES)}),
          target_kind text not null check (target_kind in ${list(TARGET_KINDS)}),
          target_key text not null check (length(target_key) between 1 and 500),
          target_display text not null,
          target_key_id text,
          target_enc bytea,
          measure text not null check (measure in ${list(INSTRUCTION_MEASURES)}),
          functions text[] not null default '{}' check (functions <@ array${sql.raw(
            `[${CARD_FUNCTIONS.map((f) => `'${f}'`).join(',')}]`,
          )}::text[]),
          reason text not null check (length(reason) between 1 and 2000),
          legal_basis text not null check (legal_basis in ${list(LEGAL_BASIS_IDS)}),
          issuing_organisation_id uuid not null references organisations(id),
          issued_by_id text not null,
          issued_by text not null,
          receiving_organisation_id uuid not null references organisations(id),
          deadline_minutes integer not null check (deadline_minutes > 0),
          deadline_at timestamptz,
          expires_at timestamptz not null,
          detection_id uuid references detections(id),
          listing_id uuid references listings(id),
          -- The issuer's own reference (a bulk file's line): issuing it again finds this one.
          external_ref text check (length(external_ref) between 1 and 200),
          approved_by text,
          approved_at timestamptz,
          issued_at timestamptz,
          received_at timestamptz,
          executed_at timestamptz,
          execution_note text,
          contested_at timestamptz,
          contest_reason text,
          withdrawn_at timestamptz,
          withdraw_reason text,
          overdue_at timestamptz,
          created_at timestamptz not null default now(),
          updated_at timestamptz not null default now(),
          -- A detection's measure is instructed once: asking again finds this one.
          unique (detection_id, measure),
          unique (issuing_organisation_id, external_ref)
        )`.execute(db);
      await sql`create index instructions_inbox on instructions (receiving_organisation_id, status, created_at)`.execute(
        db,
      );
      await sql`create index instructions_due on instructions (deadline_at) where overdue_at is null and status in ('issued', 'received')`.execute(
        db,
      );
      await sql`create index instructions_target on instructions (target_kind, target_key)`.execute(db);
      await sql`
        create table instruction_events (
          id bigint generated always as identity primary key,
          instruction_id uuid not null references instructions(id),
          at timestamptz not null default now(),
          action text not null check (action in ${list(INSTRUCTION_ACTIONS)}),
          status text not null check (status in ${list(INSTRUCTION_STATUSES)}),
          actor_kind text not null,
          actor_id text,
          actor_name text not null,
          organisation_id uuid,
          note text
        )`.execute(db);
      await sql`create index instruction_events_instruction on instruction_events (instruction_id, id)`.execute(
        db,
      );
    },
  },
  '0009_governance_2_webhooks': {
    async up(db) {
      await sql`
        create table webhook_subscriptions (
          id uuid primary key,
          organisation_id uuid not null references organisations(id),
          url text not null check (length(url) between 1 and 2000),
          event_types text[] not null check (cardinality(event_types) > 0),
          secret_key_id text not null,
          secret_enc bytea not null,
          active boolean not null default true,
          created_at timestamptz not null default now(),
          created_by text not null,
          deleted_at timestamptz
        )`.execute(db);
      await sql`create index webhook_subscriptions_organisation on webhook_subscriptions (organisation_id) where active`.execute(
        db,
      );
      await sql`
        create table webhook_deliveries (
          id uuid primary key,
          subscription_id uuid not null references webhook_subscriptions(id),
          event_id text not null check (length(event_id) between 1 and 200),
          event_type text not null,
          body text not null,
          status text not null check (status in ${list(WEBHOOK_DELIVERY_STATUSES)}),
          attempts integer not null default 0 check (attempts >= 0),
          next_attempt_at timestamptz not null,
          last_attempt_at timestamptz,
          last_status_code integer,
          last_error text check (length(last_error) <= 200),
          created_at timestamptz not null default now(),
          delivered_at timestamptz,
          -- A redelivered event (the bus is at-least-once) is pushed once per subscription.
          unique (subscription_id, event_id)
        )`.execute(db);
      await sql`create index webhook_deliveries_due on webhook_deliveries (next_attempt_at) where status = 'pending'`.execute(
        db,
      );
      await sql`create index webhook_deliveries_subscription on webhook_deliveries (subscription_id, created_at)`.execute(
        db,
      );
    },
  },
};
