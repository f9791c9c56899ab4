import { sql } from 'kysely';
import type { Migrations } from '../core/db/migrate.ts';

/**
 * The SMS gateway's columns on the outbox (created by 0009_governance_5_registered) and the parts
 * table for delivery receipts. Numbered after every capability's migrations so that a database
 * already at 0010 applies it in order.
 */
export const channelMigrations: Migrations = {
  '0011_channels_1_sms_gateway': {
    async up(db) {
      await sql`alter table outbound_messages add column attempts integer not null default 0`.execute(db);
      await sql`alter table outbound_messages add column next_attempt_at timestamptz not null default now()`.execute(
        db,
      );
      await sql`alter table outbound_messages add column last_error text`.execute(db);
      await sql`alter table outbound_messages add column parts integer`.execute(db);
      await sql`alter table outbound_messages add column delivered_at timestamptz`.execute(db);
      // Inline checks are named <table>_<column>_check.
      await sql`alter table outbound_messages drop constraint outbound_messages_status_check`.execute(db);
      await sql`
        alter table outbound_messages add constraint outbound_messages_status_check
          check (status in ('pending', 'sent', 'failed', 'delivered', 'undelivered'))`.execute(db);
      await sql`drop index outbound_messages_pending`.execute(db);
      await sql`create index outbound_messages_due on outbound_messages (next_attempt_at) where status = 'pending'`.execute(
        db,
      );
      await sql`
        create table outbound_message_parts (
          smsc_message_id text primary key,
          message_id uuid references outbound_messages(id),
          part_number integer,
          state text check (state in ('delivered', 'undelivered')),
          receipt_at timestamptz,
          created_at timestamptz not null default now()
        )`.execute(db);
      await sql`create index outbound_message_parts_message on outbound_message_parts (message_id)`.execute(
        db,
      );
      // Receipts that matched no sent part, swept after a day.
      await sql`create index outbound_message_parts_unmatched on outbound_message_parts (created_at) where message_id is null`.execute(
        db,
      );
    },
  },
};
