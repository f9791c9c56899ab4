import { sql } from 'kysely';
import type { Migrations } from '../core/db/migrate.ts';
import { LEGAL_BASIS_IDS } from './catalogue.ts';
import { personListMigrations } from './person-lists-tables.ts';
import {
  CARD_FUNCTIONS,
  INSTRUCTION_ACTIONS,
  INSTRUCTION_MEASURES,
  INSTRUCTION_STATUSES,
  TARGET_KINDS,
  WEBHOOK_DELIVERY_STATUSES,
} from './tables.ts';
import {
  APPEAL_ACTIONS,
  APPEAL_CHANNELS,
  APPEAL_MEASURE_KINDS,
  APPEAL_STATUSES,
  APPEAL_SUBJECT_KINDS,
  COMPENSATION_STATUSES,
  HOLDER_ON_RECORD,
  USE_RESULTS,
  VERIFICATION_METHODS,
  VERIFICATION_RESULTS,
} from './appeal-tables.ts';

const list = (values: readonly string[]) => sql.raw(`(${values.map((v) => `'${v}'`).join(',')})`);

/** Disposal instructions and their timeline; institutions' webhooks and their deliveries. */
export const governanceMigrations: Migrations = {
  // Lists of persons (0009_governance_4_person_lists): tables and migration in person-lists-tables.ts.
  ...personListMigrations,
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
  '0009_governance_3_appeals': {
    async up(db) {
      // Restore instructions and lifting: the measure and action lists grew (inline checks are named <table>_<column>_check).
      await sql`alter table instructions drop constraint instructions_measure_check`.execute(db);
      await sql`alter table instructions add constraint instructions_measure_check check (measure in ${list(INSTRUCTION_MEASURES)})`.execute(
        db,
      );
      await sql`alter table instruction_events drop constraint instruction_events_action_check`.execute(db);
      await sql`alter table instruction_events add constraint instruction_events_action_check check (action in ${list(INSTRUCTION_ACTIONS)})`.execute(
        db,
      );
      await sql`alter table instructions add column restores_instruction_id uuid references instructions(id)`.execute(
        db,
      );
      await sql`alter table instructions add column appeal_id uuid`.execute(db);
      await sql`
        create table appeals (
          id uuid primary key,
          receipt_code text not null unique check (receipt_code ~ '^[0-9A-Z]{12}$'),
          status text not null check (status in ${list(APPEAL_STATUSES)}),
          channel text not null check (channel in ${list(APPEAL_CHANNELS)}),
          counter_organisation_id uuid references organisations(id),
          subject_kind text not null check (subject_kind in ${list(APPEAL_SUBJECT_KINDS)}),
          subject_key text not null check (length(subject_key) between 1 and 500),
          subject_display text not null,
          appellant_key text not null,
          appellant_person_id uuid references persons(id),
          appellant_key_id text not null,
          name_enc bytea not null,
          id_number_enc bytea not null,
          contact_enc bytea,
          appellant_display text not null,
          identity_on_record boolean not null,
          holder_on_record text not null check (holder_on_record in ${list(HOLDER_ON_RECORD)}),
          explanation text not null check (length(explanation) between 1 and 4000),
          language text not null check (language in ('zh', 'en')),
          respond_by timestamptz not null,
          verification_identity text check (verification_identity in ${list(VERIFICATION_RESULTS)}),
          verification_use text check (verification_use in ${list(USE_RESULTS)}),
          verification_method text check (verification_method in ${list(VERIFICATION_METHODS)}),
          verification_note text check (length(verification_note) <= 2000),
          verified_by text,
          verified_at timestamptz,
          decision_reasons text check (length(decision_reasons) <= 4000),
          decided_by_id text,
          decided_by text,
          decided_at timestamptz,
          created_at timestamptz not null default now(),
          updated_at timestamptz not null default now()
        )`.execute(db);
      // One open appeal per person and measure: a second one joins it (and two at once cannot both open).
      await sql`create unique index appeals_open on appeals (appellant_key, subject_kind, subject_key) where status in ('received', 'under_review')`.execute(
        db,
      );
      await sql`create index appeals_queue on appeals (status, respond_by)`.execute(db);
      await sql`
        create table appeal_measures (
          appeal_id uuid not null references appeals(id),
          kind text not null check (kind in ${list(APPEAL_MEASURE_KINDS)}),
          ref_id uuid not null,
          status_before text not null,
          lifted_at timestamptz,
          restore_instruction_id uuid references instructions(id),
          primary key (appeal_id, kind, ref_id)
        )`.execute(db);
      await sql`create index appeal_measures_ref on appeal_measures (kind, ref_id)`.execute(db);
      await sql`
        create table appeal_events (
          id bigint generated always as identity primary key,
          appeal_id uuid not null references appeals(id),
          at timestamptz not null default now(),
          action text not null check (action in ${list(APPEAL_ACTIONS)}),
          status text not null check (status in ${list(APPEAL_STATUSES)}),
          actor_kind text not null,
          actor_id text,
          actor_name text not null,
          organisation_id uuid,
          note text
        )`.execute(db);
      await sql`create index appeal_events_appeal on appeal_events (appeal_id, id)`.execute(db);
      await sql`
        create table appeal_evidence (
          id uuid primary key,
          appeal_id uuid not null references appeals(id),
          file_name text not null,
          media_type text not null,
          size integer not null,
          sha256 text not null,
          created_at timestamptz not null default now()
        )`.execute(db);
      await sql`create index appeal_evidence_appeal on appeal_evidence (appeal_id)`.execute(db);
      await sql`
        create table compensation_claims (
          id uuid primary key,
          appeal_id uuid not null references appeals(id),
          amount numeric(18, 2) not null check (amount > 0),
          currency text not null check (currency ~ '^[A-Z]{3}$'),
          description text not null check (length(description) between 1 and 4000),
          status text not null check (status in ${list(COMPENSATION_STATUSES)}),
          amount_granted numeric(18, 2) check (amount_granted >= 0),
          decision_reasons text check (length(decision_reasons) <= 4000),
          decided_by text,
          decided_at timestamptz,
          created_at timestamptz not null default now()
        )`.execute(db);
      await sql`create index compensation_claims_appeal on compensation_claims (appeal_id)`.execute(db);
    },
  },
  '0009_governance_5_registered': {
    async up(db) {
      await sql`
        create table citizen_challenges (
          id uuid primary key,
          person_id uuid references persons(id),
          code_hash text not null,
          attempts integer not null default 0 check (attempts >= 0),
          expires_at timestamptz not null,
          used_at timestamptz,
          created_at timestamptz not null default now()
        )`.execute(db);
      await sql`create index citizen_challenges_person on citizen_challenges (person_id, created_at)`.execute(
        db,
      );
      await sql`
        create table outbound_messages (
          id uuid primary key,
          channel text not null check (channel in ('sms')),
          purpose text not null,
          key_id text not null,
          recipient_enc bytea not null,
          body_enc bytea not null,
          status text not null default 'pending' check (status in ('pending', 'sent', 'failed')),
          created_at timestamptz not null default now(),
          sent_at timestamptz
        )`.execute(db);
      await sql`create index outbound_messages_pending on outbound_messages (created_at) where status = 'pending'`.execute(
        db,
      );
      await sql`
        create table holding_disputes (
          id uuid primary key,
          person_id uuid not null references persons(id),
          holding_kind text not null check (holding_kind in ('phone_card', 'bank_account')),
          holding_id uuid not null,
          status text not null default 'open' check (status in ('open', 'resolved')),
          instruction_id uuid not null references instructions(id),
          created_at timestamptz not null default now()
        )`.execute(db);
      // One open dispute per card or account: "not mine" twice answers the first.
      await sql`create unique index holding_disputes_open on holding_disputes (holding_kind, holding_id) where status = 'open'`.execute(
        db,
      );
    },
  },
};
