import { sql, type Kysely } from 'kysely';
import type { Migrations } from '../core/db/migrate.ts';
import type { DB } from '../core/db/schema.ts';
import { INDICATOR_KINDS } from '../core/normalize/index.ts';
import { seedProtected } from './allowlist.ts';
import { policyMigrations } from './policies.ts';
import {
  HISTORY_ACTIONS,
  LISTING_STATUSES,
  REVIEW_REASONS,
  REVIEW_STATUSES,
  SOURCE_KINDS,
} from './tables.ts';

/** `('a','b')` for a check constraint over constants of the code. */
const list = (values: readonly string[]) => sql.raw(`(${values.map((v) => `'${v}'`).join(',')})`);

/** The registry: listings with sources and history, the allowlist, reviews and sightings. */
export const registryMigrations: Migrations = {
  '0004_registry_1_listings': {
    async up(db) {
      // Every change to a listing takes a new number from here (docs/registry.md, "Versions").
      await sql`create sequence listing_version_seq`.execute(db);
      await sql`
        create table listings (
          id uuid primary key,
          kind text not null check (kind in ${list(INDICATOR_KINDS)}),
          value text not null check (length(value) between 1 and 2048),
          category text not null check (category ~ '^[a-z][a-z0-9_]{0,63}$'),
          confidence real not null check (confidence >= 0 and confidence <= 1),
          status text not null check (status in ${list(LISTING_STATUSES)}),
          first_seen timestamptz not null,
          last_seen timestamptz not null,
          expires_at timestamptz,
          version bigint not null unique,
          evidence jsonb not null default '[]' check (jsonb_typeof(evidence) = 'array'),
          lookalike jsonb,
          created_at timestamptz not null default now(),
          updated_at timestamptz not null default now(),
          unique (kind, value)
        )`.execute(db);
      await sql`create index listings_status_version on listings (status, version)`.execute(db);
      await sql`
        create index listings_expiry on listings (expires_at)
        where expires_at is not null and status in ('active', 'pending_review')`.execute(db);
      await sql`
        create table listing_sources (
          listing_id uuid not null references listings(id),
          source_kind text not null check (source_kind in ${list(SOURCE_KINDS)}),
          organisation_id uuid references organisations(id),
          reporter_ref text not null default '' check (length(reporter_ref) <= 200),
          trust real not null check (trust >= 0 and trust <= 1),
          first_at timestamptz not null,
          last_at timestamptz not null,
          count integer not null default 1,
          unique nulls not distinct (listing_id, source_kind, organisation_id, reporter_ref)
        )`.execute(db);
      await sql`
        create table listing_history (
          id bigint generated always as identity primary key,
          listing_id uuid not null references listings(id),
          version bigint not null,
          at timestamptz not null default now(),
          actor_kind text not null,
          actor_name text not null,
          actor_id text,
          organisation_id uuid,
          action text not null check (action in ${list(HISTORY_ACTIONS)}),
          before jsonb,
          after jsonb not null,
          reason text
        )`.execute(db);
      await sql`create index listing_history_listing on listing_history (listing_id, version)`.execute(db);
      // History is append-only in the database itself.
      await sql`
        create function listing_history_append_only() returns trigger language plpgsql as $$
        begin
          raise exception 'listing_history is append-only (% refused)', tg_op
            using errcode = 'insufficient_privilege';
        end
        $$`.execute(db);
      await sql`
        create trigger listing_history_no_change before update or delete on listing_history
        for each row execute function listing_history_append_only()`.execute(db);
      await sql`
        create table sightings_daily (
          listing_id uuid not null references listings(id),
          day date not null,
          channel text not null check (channel ~ '^[a-z][a-z0-9_]{0,31}$'),
          count bigint not null check (count >= 0),
          primary key (listing_id, day, channel)
        )`.execute(db);
    },
  },
  '0004_registry_2_allowlist_reviews': {
    async up(db) {
      await sql`
        create table protected_indicators (
          id uuid primary key,
          kind text not null check (kind in ${list(INDICATOR_KINDS)}),
          value text not null check (length(value) between 1 and 2048),
          label text not null,
          reason text,
          added_by text not null,
          created_at timestamptz not null default now(),
          unique (kind, value)
        )`.execute(db);
      await sql`
        create table protected_brands (
          brand text primary key,
          domains text[] not null check (cardinality(domains) > 0),
          added_by text not null,
          created_at timestamptz not null default now()
        )`.execute(db);
      await sql`
        create table listing_reviews (
          id uuid primary key,
          listing_id uuid references listings(id),
          kind text not null check (kind in ${list(INDICATOR_KINDS)}),
          value text not null,
          category text not null,
          proposed_confidence real not null,
          reason text not null check (reason in ${list(REVIEW_REASONS)}),
          details jsonb not null default '{}',
          proposer_kind text not null,
          proposer_name text not null,
          proposer_id text,
          organisation_id uuid,
          submissions integer not null default 1,
          status text not null default 'open' check (status in ${list(REVIEW_STATUSES)}),
          decided_by text,
          decided_by_id text,
          decided_at timestamptz,
          decision_reason text,
          created_at timestamptz not null default now(),
          updated_at timestamptz not null default now()
        )`.execute(db);
      // One open review per value and reason: further submissions count on it.
      await sql`
        create unique index listing_reviews_open on listing_reviews (kind, value, reason)
        where status = 'open'`.execute(db);
      await sql`create index listing_reviews_status on listing_reviews (status, created_at)`.execute(db);
    },
  },
  '0004_registry_3_seed_allowlist': {
    async up(db) {
      // Emergency, anti-fraud, government, operator and bank numbers and domains are protected
      // from the first start: no listing can block them.
      await seedProtected(db as Kysely<DB>);
    },
  },
  ...policyMigrations,
};
