import { sql } from 'kysely';
import type { Migrations } from '../core/db/migrate.ts';

export const identityMigrations: Migrations = {
  '0002_identity': {
    async up(db) {
      await sql`
        create table organisations (
          id uuid primary key,
          name text not null unique,
          kind text not null check (kind in ('anti_fraud_centre','telecom_operator','bank','internet_service','public')),
          time_zone text not null default 'Asia/Shanghai',
          created_at timestamptz not null default now()
        )`.execute(db);
      await sql`
        create table users (
          id uuid primary key,
          organisation_id uuid not null references organisations(id),
          username text not null unique,
          display_name text not null,
          password_hash text not null,
          roles text[] not null check (cardinality(roles) > 0),
          disabled_at timestamptz,
          created_at timestamptz not null default now()
        )`.execute(db);
      await sql`create index users_org on users (organisation_id)`.execute(db);
      await sql`
        create table sessions (
          token_hash text primary key,
          user_id uuid not null references users(id) on delete cascade,
          created_at timestamptz not null default now(),
          expires_at timestamptz not null
        )`.execute(db);
      await sql`create index sessions_user on sessions (user_id)`.execute(db);
      await sql`
        create table api_keys (
          id uuid primary key,
          organisation_id uuid not null references organisations(id),
          name text not null,
          prefix text not null unique,
          secret_hash text not null,
          scopes text[] not null,
          created_by uuid references users(id),
          created_at timestamptz not null default now(),
          last_used_at timestamptz,
          revoked_at timestamptz
        )`.execute(db);
      await sql`create index api_keys_org on api_keys (organisation_id)`.execute(db);
    },
  },
};
