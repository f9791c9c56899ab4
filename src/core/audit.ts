import { sql, type ColumnType, type Generated, type Kysely } from 'kysely';
import type { DB } from './db/schema.ts';
import type { Migrations } from './db/migrate.ts';
import type { Principal } from '../identity/model.ts';

/**
 * The audit trail: who did what to which object, when, and from which request. Append-only;
 * capabilities write it in the same transaction as the change it records.
 */
export interface AuditLogTable {
  id: Generated<number>;
  at: ColumnType<Date, never, never>;
  actor_kind: string;
  actor_id: string | null;
  actor_name: string;
  organisation_id: string | null;
  action: string;
  target_kind: string;
  target_id: string | null;
  details: ColumnType<Record<string, unknown>, string, string>;
  request_id: string | null;
}

declare module './db/schema.ts' {
  interface DB {
    audit_log: AuditLogTable;
  }
}

export const auditMigrations: Migrations = {
  '0001_core_audit': {
    async up(db) {
      await sql`
        create table audit_log (
          id bigint generated always as identity primary key,
          at timestamptz not null default now(),
          actor_kind text not null,
          actor_id text,
          actor_name text not null,
          organisation_id uuid,
          action text not null,
          target_kind text not null,
          target_id text,
          details jsonb not null default '{}',
          request_id text
        )`.execute(db);
      await sql`create index audit_log_target on audit_log (target_kind, target_id)`.execute(db);
      await sql`create index audit_log_at on audit_log (at)`.execute(db);
    },
  },
};

export interface AuditEntry {
  action: string;
  targetKind: string;
  targetId?: string | null;
  details?: Record<string, unknown>;
}

export type Actor =
  Pick<Principal, 'kind' | 'id' | 'name' | 'organisationId'> | { kind: 'system'; name: string };

export const SYSTEM: Actor = { kind: 'system', name: 'interdict' };

/** The actor columns every timeline table shares (`actor_kind`, `actor_id`, `actor_name`, `organisation_id`). */
export function actorColumns(a: Actor) {
  return {
    actor_kind: a.kind,
    actor_id: 'id' in a ? a.id : null,
    actor_name: a.name,
    organisation_id: 'organisationId' in a ? a.organisationId : null,
  };
}

/** A timeline row read back (the counterpart of `actorColumns`): the entry every detail view lists. */
export function timelineEntry<A extends string, S extends string>(e: {
  at: Date | string;
  action: A;
  status: S;
  actor_kind: string;
  actor_name: string;
  organisation_id: string | null;
  note: string | null;
}) {
  return {
    at: new Date(e.at).toISOString(),
    action: e.action,
    status: e.status,
    actor: e.actor_name,
    actorKind: e.actor_kind,
    organisationId: e.organisation_id,
    note: e.note,
  };
}

export async function audit(
  q: Kysely<DB>,
  actor: Actor,
  entry: AuditEntry,
  requestId?: string,
): Promise<void> {
  await q
    .insertInto('audit_log')
    .values({
      ...actorColumns(actor),
      action: entry.action,
      target_kind: entry.targetKind,
      target_id: entry.targetId ?? null,
      details: JSON.stringify(entry.details ?? {}),
      request_id: requestId ?? null,
    })
    .execute();
}
