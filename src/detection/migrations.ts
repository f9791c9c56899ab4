import { sql } from 'kysely';
import type { Migrations } from '../core/db/migrate.ts';
import { DETECTION_STATUSES, DETECTORS, SUBJECT_KINDS } from './tables.ts';

const list = (values: readonly string[]) => sql.raw(`(${values.map((v) => `'${v}'`).join(',')})`);

/** Stored detections: the analysts' review items, their measures and decisions. */
export const detectionMigrations: Migrations = {
  '0007_detection_1_store': {
    async up(db) {
      await sql`
        create table detections (
          id uuid primary key,
          organisation_id uuid references organisations(id),
          detector text not null check (detector in ${list(DETECTORS)}),
          subject_kind text not null check (subject_kind in ${list(SUBJECT_KINDS)}),
          subject_key text not null check (length(subject_key) between 1 and 200),
          subject_display text not null,
          subject_key_id text,
          subject_enc bytea,
          score real not null check (score >= 0 and score <= 1),
          window_from timestamptz not null,
          window_to timestamptz not null,
          evidence jsonb not null default '{}',
          facts text[] not null default '{}',
          measures jsonb not null default '[]',
          status text not null default 'open' check (status in ${list(DETECTION_STATUSES)}),
          suppressed_by uuid references detections(id),
          listing_id uuid references listings(id),
          decided_by text,
          decided_at timestamptz,
          decision_reason text,
          created_at timestamptz not null default now(),
          updated_at timestamptz not null default now(),
          -- One row per episode: a rerun of the same file, or a worker replaying after a crash,
          -- finds its detection here and reports nothing twice.
          unique nulls not distinct (organisation_id, detector, subject_kind, subject_key, window_from)
        )`.execute(db);
      await sql`create index detections_queue on detections (status, score desc, created_at)`.execute(db);
      await sql`create index detections_subject on detections (subject_kind, subject_key)`.execute(db);
    },
  },
};
