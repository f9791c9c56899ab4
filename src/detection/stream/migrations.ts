import { sql } from 'kysely';
import type { Migrations } from '../../core/db/migrate.ts';

/** The embedded record stream and the streaming workers' checkpoints. */
export const streamMigrations: Migrations = {
  '0008_detection_2_stream': {
    async up(db) {
      await sql`
        create table detection_records (
          gseq bigint primary key,
          partitions smallint[],
          kind text not null check (kind in ('call', 'transaction', 'tick', 'end')),
          payload text not null
        )`.execute(db);
      await sql`
        create table detection_checkpoints (
          worker text primary key,
          partitions text not null,
          cursor bigint not null,
          gseq bigint not null,
          ended boolean not null default false,
          state bytea,
          saved_at timestamptz not null default now()
        )`.execute(db);
    },
  },
  // Consecutive records packed into one row (a JSON array of entries; the row's gseq is its last
  // entry's): docs/detection.md, "Streaming". Named after the last migration of the time so that
  // data folders that have every earlier one apply it in order.
  '0012_detection_3_stream_pack': {
    async up(db) {
      await sql`alter table detection_records drop constraint if exists detection_records_kind_check`.execute(
        db,
      );
      await sql`
        alter table detection_records add constraint detection_records_kind_check
          check (kind in ('call', 'transaction', 'tick', 'end', 'pack'))`.execute(db);
    },
  },
  // Worker snapshots hold personal data: encrypted from now on, under the key named here.
  '0013_detection_4_checkpoint_key': {
    async up(db) {
      await sql`alter table detection_checkpoints add column state_key text`.execute(db);
    },
  },
  // The clock entries by themselves: pruning finds its cut among them without reading the records.
  '0014_detection_5_stream_clock': {
    async up(db) {
      await sql`
        create index detection_records_clock on detection_records (gseq)
          where kind in ('tick', 'end')`.execute(db);
    },
  },
  // One publisher at a time per record stream: the sequencer owns gseq and the ticks.
  '0016_detection_6_stream_publisher': {
    async up(db) {
      await sql`
        create table detection_publishers (
          stream text primary key,
          holder text not null,
          token text not null,
          acquired_at timestamptz not null default now(),
          renewed_at timestamptz not null default now()
        )`.execute(db);
    },
  },
  // Feeds sent over HTTP (feeds.ts): each party's records wait here until every active feed has
  // sent its records up to their time, then go into the stream in time order.
  '0017_detection_7_stream_feeds': {
    async up(db) {
      await sql`
        create table detection_feeds (
          organisation_id uuid not null,
          kind text not null check (kind in ('calls', 'transactions')),
          name text not null,
          through bigint not null,
          heard_at timestamptz not null default now(),
          late bigint not null default 0,
          primary key (organisation_id, kind, name)
        )`.execute(db);
      await sql`
        create table detection_staged (
          id bigint generated always as identity primary key,
          organisation_id uuid not null,
          kind text not null check (kind in ('calls', 'transactions')),
          name text not null,
          ts bigint not null,
          record text not null
        )`.execute(db);
      await sql`create index detection_staged_ts on detection_staged (ts, kind, id)`.execute(db);
      await sql`create index detection_staged_feed on detection_staged (organisation_id, kind, name, ts)`.execute(
        db,
      );
      await sql`
        create table detection_uploads (
          organisation_id uuid not null,
          kind text not null,
          name text not null,
          sha256 text not null,
          result text not null,
          at timestamptz not null default now(),
          primary key (organisation_id, kind, name, sha256)
        )`.execute(db);
    },
  },
  // Staged records in runs (feeds.ts): a row holds up to a thousand of one upload's records in time
  // order, not one record (a row a record bounded a feed at the database's rows per second), and a
  // merge's intent is kept while it runs, so one that dies between appending and unstaging is not
  // taken for late records the next time. A row staged before holds a run of one record. Feeds
  // may be released.
  '0018_detection_8_staged_runs': {
    async up(db) {
      await sql`alter table detection_staged rename column record to entries`.execute(db);
      await sql`alter table detection_staged add column last_ts bigint`.execute(db);
      await sql`update detection_staged set last_ts = ts`.execute(db);
      await sql`alter table detection_staged alter column last_ts set not null`.execute(db);
      await sql`alter table detection_staged add column records integer not null default 1`.execute(db);
      await sql`alter table detection_staged alter column entries set storage external`.execute(db);
      // A feed the centre let the others go on without (a stuck clock): it holds the watermark
      // back again once it has caught up.
      await sql`alter table detection_feeds add column released boolean not null default false`.execute(db);
      await sql`
        create table detection_merges (
          id integer primary key default 1 check (id = 1),
          floor bigint,
          through bigint,
          started_at timestamptz not null default now()
        )`.execute(db);
    },
  },
  // When a feed's `through` last moved (wall time): a feed heard but not moving (a stuck clock, a
  // sender re-sending its last file) is reported as stuck before it holds the stream back for long.
  '0019_detection_9_feed_moved': {
    async up(db) {
      await sql`alter table detection_feeds add column moved_at timestamptz`.execute(db);
      await sql`update detection_feeds set moved_at = heard_at`.execute(db);
      await sql`alter table detection_feeds alter column moved_at set not null`.execute(db);
      await sql`alter table detection_feeds alter column moved_at set default now()`.execute(db);
    },
  },
  // The parameters a worker runs with (`paramsFingerprint`): workers of one stream must agree.
  '0022_detection_10_checkpoint_params': {
    async up(db) {
      await sql`alter table detection_checkpoints add column params text`.execute(db);
    },
  },
};
