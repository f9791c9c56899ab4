import { sql, type ColumnType, type Kysely } from 'kysely';
import type { Migrations } from './db/migrate.ts';
import type { DB } from './db/schema.ts';

/**
 * Periodic jobs shared by every node (daily confidence decay, …): a node runs a job only after
 * claiming it, and a claim succeeds for one node per period, so N nodes do not run it N times.
 * A node that dies mid-job leaves the claim; the job runs again next period.
 */
export interface ScheduledJobsTable {
  name: string;
  last_started_at: ColumnType<Date, Date | string, Date | string>;
  last_finished_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  last_result: ColumnType<unknown, string | null | undefined, string | null>;
  started_by: string;
}

declare module './db/schema.ts' {
  interface DB {
    scheduled_jobs: ScheduledJobsTable;
  }
}

export const jobMigrations: Migrations = {
  '0005_core_scheduled_jobs': {
    async up(db) {
      await sql`
        create table scheduled_jobs (
          name text primary key,
          last_started_at timestamptz not null,
          last_finished_at timestamptz,
          last_result jsonb,
          started_by text not null
        )`.execute(db);
    },
  },
};

/** Claims job `name` when it last started `everyMs` or longer ago (or never); true: run it now. */
export async function claimJob(db: Kysely<DB>, name: string, everyMs: number, by: string): Promise<boolean> {
  const r = await sql<{ name: string }>`
    insert into scheduled_jobs (name, last_started_at, started_by) values (${name}, now(), ${by})
    on conflict (name) do update set last_started_at = now(), started_by = excluded.started_by
      where scheduled_jobs.last_started_at <= now() - make_interval(secs => ${everyMs / 1000})
    returning name`.execute(db);
  return r.rows.length === 1;
}

export async function finishJob(db: Kysely<DB>, name: string, result: unknown): Promise<void> {
  await db
    .updateTable('scheduled_jobs')
    .set({ last_finished_at: new Date(), last_result: JSON.stringify(result ?? null) })
    .where('name', '=', name)
    .execute();
}
