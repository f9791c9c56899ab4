import { sql } from 'kysely';
import type { Migrations } from '../db/migrate.ts';

export const busMigrations: Migrations = {
  '0001_core_bus': {
    async up(db) {
      await sql`
        create table bus_events (
          seq bigint generated always as identity primary key,
          id uuid not null unique,
          type text not null,
          key text not null,
          data jsonb not null,
          occurred_at timestamptz not null default now(),
          xid xid8 not null default pg_current_xact_id(),
          relayed_at timestamptz
        )`.execute(db);
      // In-process consumers read in (xid, seq) order; the relay reads what it has not relayed yet.
      await sql`create index bus_events_position on bus_events (xid, seq)`.execute(db);
      await sql`create index bus_events_unrelayed on bus_events (seq) where relayed_at is null`.execute(db);
      await sql`create index bus_events_occurred on bus_events (occurred_at)`.execute(db);
      await sql`
        create table bus_offsets (
          consumer text primary key,
          xid xid8 not null,
          seq bigint not null,
          updated_at timestamptz not null default now()
        )`.execute(db);
      await sql`
        create table bus_consumed (
          consumer text not null,
          event_id uuid not null,
          consumed_at timestamptz not null default now(),
          primary key (consumer, event_id)
        )`.execute(db);
      await sql`create index bus_consumed_at on bus_consumed (consumed_at)`.execute(db);
      await sql`
        create table bus_dead_letters (
          id bigint generated always as identity primary key,
          consumer text not null,
          event_id uuid not null,
          event_seq bigint,
          type text not null,
          attempts integer not null,
          error text not null,
          failed_at timestamptz not null default now(),
          unique (consumer, event_id)
        )`.execute(db);
    },
    async down(db) {
      for (const t of ['bus_dead_letters', 'bus_consumed', 'bus_offsets', 'bus_events']) {
        await sql`drop table if exists ${sql.table(t)}`.execute(db);
      }
    },
  },
};
