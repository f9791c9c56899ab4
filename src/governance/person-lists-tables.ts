import { sql, type ColumnType, type Generated } from 'kysely';
import type { Migrations } from '../core/db/migrate.ts';
import { LEGAL_BASIS_IDS } from './catalogue.ts';

/**
 * Lists of persons (docs/governance.md, "Lists of persons"): the credit punishment of persons who
 * sold, rented or lent cards or accounts, and the exit restriction of persons involved in fraud
 * abroad. A listing is personal data: the id number and name are encrypted, the person is found by
 * the same keyed hash as `persons.id_number_hash`, and screens get masked copies.
 */

type DefaultTimestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type Timestamp = ColumnType<Date, Date | string, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;

export const PERSON_LISTS = ['credit_punishment', 'exit_restriction'] as const;
export type PersonList = (typeof PERSON_LISTS)[number];

/**
 * What a credit punishment restricts. Basic services are kept whatever is listed: a person with no
 * phone card may still open one, a person with no bank account may still open one, and counter
 * banking goes on (docs/governance.md, "Basic services").
 */
export const CREDIT_RESTRICTIONS = [
  'new_cards',
  'new_accounts',
  'non_counter_services',
  'new_internet_accounts',
] as const;
export type CreditRestriction = (typeof CREDIT_RESTRICTIONS)[number];

/** `active` until `ends_at`; then `ended` (the expiry job); `removed` early, with its kind and reason. */
export const PERSON_LISTING_STATUSES = ['active', 'ended', 'removed'] as const;
export type PersonListingStatus = (typeof PERSON_LISTING_STATUSES)[number];

/**
 * Why a listing was removed before its end: the centre's early removal, credit repair (the person
 * made good), an upheld appeal (the appeals channel), or an exit restriction lifted on review.
 */
export const REMOVAL_KINDS = ['early_removal', 'credit_repair', 'appeal_upheld', 'review_lifted'] as const;
export type RemovalKind = (typeof REMOVAL_KINDS)[number];

/** What the timeline records. `joined`: a second designation extended the active listing. */
export const PERSON_LISTING_ACTIONS = [
  'designated',
  'joined',
  'notice_sent',
  'reviewed',
  'ended',
  'removed',
] as const;
export type PersonListingAction = (typeof PERSON_LISTING_ACTIONS)[number];

export interface PersonListingsTable {
  id: string;
  list: PersonList;
  status: PersonListingStatus;
  /** The keyed hash of `type:value` of the id number: equal to `persons.id_number_hash`. */
  person_key: string;
  /** The person record (privacy register): access records name it. */
  person_id: string;
  id_type: string;
  /** Key of the encrypted columns (privacy/crypto.ts; rotated with the others). */
  key_id: string;
  id_number_enc: Uint8Array;
  name_enc: Uint8Array;
  /** Masked copies for lists and screens. */
  id_display: string;
  name_display: string;
  /** Credit punishment: what it restricts; exit restriction: empty. */
  restrictions: CreditRestriction[];
  reason: string;
  /** An id of LEGAL_BASES (catalogue.ts). */
  legal_basis: string;
  organisation_id: string;
  designated_by_id: string;
  designated_by: string;
  starts_at: Timestamp;
  ends_at: Timestamp;
  /** Exit restriction: the next review; null for credit punishment. */
  review_at: NullableTimestamp;
  notice_sent_at: NullableTimestamp;
  ended_at: NullableTimestamp;
  removed_at: NullableTimestamp;
  removal_kind: RemovalKind | null;
  remove_reason: string | null;
  removed_by: string | null;
  /** The designating organisation's own reference of the first designation (a file's line). */
  external_ref: string | null;
  created_at: DefaultTimestamp;
  updated_at: DefaultTimestamp;
}

export interface PersonListingEventsTable {
  id: Generated<number>;
  listing_id: string;
  at: DefaultTimestamp;
  action: PersonListingAction;
  /** The status after the change. */
  status: PersonListingStatus;
  /** The end of the listing after the change. */
  ends_at: Timestamp;
  actor_kind: string;
  actor_id: string | null;
  actor_name: string;
  organisation_id: string | null;
  note: string | null;
  /** The designation's reference (created or joined): the same reference again finds this listing. */
  ref: string | null;
}

declare module '../core/db/schema.ts' {
  interface DB {
    person_listings: PersonListingsTable;
    person_listing_events: PersonListingEventsTable;
  }
}

const list = (values: readonly string[]) => sql.raw(`(${values.map((v) => `'${v}'`).join(',')})`);

export const personListMigrations: Migrations = {
  '0009_governance_4_person_lists': {
    async up(db) {
      // The catalogue gained atof_art36 (exit restriction), which instructions may cite too: their
      // check, named by PostgreSQL after the inline column check, follows the catalogue.
      await sql`alter table instructions drop constraint if exists instructions_legal_basis_check`.execute(
        db,
      );
      await sql`alter table instructions add constraint instructions_legal_basis_check check (legal_basis in ${list(LEGAL_BASIS_IDS)})`.execute(
        db,
      );
      await sql`
        create table person_listings (
          id uuid primary key,
          list text not null check (list in ${list(PERSON_LISTS)}),
          status text not null check (status in ${list(PERSON_LISTING_STATUSES)}),
          person_key text not null check (length(person_key) between 1 and 200),
          person_id uuid not null references persons(id),
          id_type text not null,
          key_id text not null,
          id_number_enc bytea not null,
          name_enc bytea not null,
          id_display text not null,
          name_display text not null,
          restrictions text[] not null default '{}' check (restrictions <@ array${sql.raw(
            `[${CREDIT_RESTRICTIONS.map((f) => `'${f}'`).join(',')}]`,
          )}::text[]),
          reason text not null check (length(reason) between 1 and 2000),
          legal_basis text not null check (length(legal_basis) between 1 and 50),
          organisation_id uuid not null references organisations(id),
          designated_by_id text not null,
          designated_by text not null,
          starts_at timestamptz not null,
          ends_at timestamptz not null check (ends_at > starts_at),
          review_at timestamptz,
          notice_sent_at timestamptz,
          ended_at timestamptz,
          removed_at timestamptz,
          removal_kind text check (removal_kind in ${list(REMOVAL_KINDS)}),
          remove_reason text,
          removed_by text,
          external_ref text check (length(external_ref) between 1 and 200),
          created_at timestamptz not null default now(),
          updated_at timestamptz not null default now(),
          check (list = 'credit_punishment' or cardinality(restrictions) = 0),
          check ((status = 'removed') = (removed_at is not null)),
          unique (organisation_id, external_ref)
        )`.execute(db);
      // One active listing per person per list: a second designation joins it (person-lists.ts).
      await sql`create unique index person_listings_one_active on person_listings (list, person_key) where status = 'active'`.execute(
        db,
      );
      await sql`create index person_listings_person on person_listings (person_key)`.execute(db);
      await sql`create index person_listings_page on person_listings (list, created_at desc, id desc)`.execute(
        db,
      );
      await sql`create index person_listings_due on person_listings (ends_at) where status = 'active'`.execute(
        db,
      );
      await sql`create index person_listings_key on person_listings (key_id)`.execute(db);
      await sql`
        create table person_listing_events (
          id bigint generated always as identity primary key,
          listing_id uuid not null references person_listings(id),
          at timestamptz not null default now(),
          action text not null check (action in ${list(PERSON_LISTING_ACTIONS)}),
          status text not null check (status in ${list(PERSON_LISTING_STATUSES)}),
          ends_at timestamptz not null,
          actor_kind text not null,
          actor_id text,
          actor_name text not null,
          organisation_id uuid,
          note text,
          ref text check (length(ref) between 1 and 200)
        )`.execute(db);
      await sql`create index person_listing_events_listing on person_listing_events (listing_id, id)`.execute(
        db,
      );
      // A designation's reference, created or joined, is used once per organisation: a rerun finds it.
      await sql`create unique index person_listing_events_ref on person_listing_events (organisation_id, ref) where ref is not null`.execute(
        db,
      );
    },
  },
};
