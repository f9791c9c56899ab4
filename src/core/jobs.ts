import os from 'node:os';
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

/**
 * Claims job `name` when it last started `everyMs` or longer ago (or never). Returns the claim's
 * time on the database's clock (run the job now, as of that time), or null when another claim holds.
 */
export async function claimJob(
  db: Kysely<DB>,
  name: string,
  everyMs: number,
  by: string,
): Promise<Date | null> {
  const r = await sql<{ last_started_at: Date | string }>`
    insert into scheduled_jobs (name, last_started_at, started_by) values (${name}, now(), ${by})
    on conflict (name) do update set last_started_at = now(), started_by = excluded.started_by
      where scheduled_jobs.last_started_at <= now() - make_interval(secs => ${everyMs / 1000})
    returning last_started_at`.execute(db);
  const at = r.rows[0]?.last_started_at;
  return at === undefined ? null : new Date(at);
}

export async function finishJob(db: Kysely<DB>, name: string, result: unknown): Promise<void> {
  await db
    .updateTable('scheduled_jobs')
    .set({ last_finished_at: new Date(), last_result: JSON.stringify(result ?? null) })
    .where('name', '=', name)
    .execute();
}

/**
 * Runs job `name` every `everyMs` on whichever node claims it first (a claim lasts a little less
 * than the period, so a tick that comes a little early does not skip one), one run at a time per node, until the server
 * closes (which waits for a run in progress). A failed run is logged and tried next period.
 */
export function scheduleClaimedJob(
  app: { addHook(name: 'onClose', hook: () => Promise<void>): unknown },
  s: { db: Kysely<DB>; log: { warn(obj: object, msg: string): void } },
  name: string,
  everyMs: number,
  run: (now: number) => Promise<unknown>,
): void {
  const nodeId = `${os.hostname()}-${process.pid}`;
  let running: Promise<void> | null = null;
  const tick = () => {
    running ??= (async () => {
      try {
        const claimed = await claimJob(s.db, name, everyMs - Math.min(5_000, everyMs / 10), nodeId);
        if (!claimed) return;
        // The run is as of its claim, whose spacing the database guarantees; the node's own clock
        // after the round trip would let two runs look closer than one period under load.
        await finishJob(s.db, name, await run(claimed.getTime()));
      } catch (err) {
        s.log.warn({ err }, `scheduled job ${name} failed`);
      } finally {
        running = null;
      }
    })();
  };
  const timer = setInterval(tick, everyMs);
  timer.unref();
  app.addHook('onClose', async () => {
    clearInterval(timer);
    await running;
  });
}
