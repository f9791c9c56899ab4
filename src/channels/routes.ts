import { sql, type Kysely } from 'kysely';
import { z } from 'zod';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { DB } from '../core/db/schema.ts';
import type { RouteModule } from '../api/types.ts';
import { Problem } from '../api/problem.ts';
import { OUTBOUND_STATUSES, type OutboundStatus } from '../governance/registered-tables.ts';
import './tables.ts';

/**
 * The interfaces' channel gateways over HTTP (docs/channels.md): how the SMS outbox stands, for the
 * centre's supervisors and administrators. Counts only: no recipient, text or message id.
 */

type Counts = Record<OutboundStatus, number>;

export interface SmsOutboxStatistics {
  byStatus: Counts;
  byPurpose: Array<{ purpose: string; total: number } & Counts>;
  /** Pending texts that have failed at least once and wait for a retry. */
  retrying: number;
  /** Age of the oldest pending text, in seconds; null when none is pending. */
  oldestPendingAgeSeconds: number | null;
  at: string;
}

const zeros = (): Counts => Object.fromEntries(OUTBOUND_STATUSES.map((st) => [st, 0])) as Counts;

export async function smsOutboxStatistics(
  db: Kysely<DB>,
  now: number = Date.now(),
): Promise<SmsOutboxStatistics> {
  const rows = await db
    .selectFrom('outbound_messages')
    .select(['purpose', 'status', (eb) => eb.fn.countAll<string>().as('n')])
    .where('channel', '=', 'sms')
    .groupBy(['purpose', 'status'])
    .execute();
  const pending = await db
    .selectFrom('outbound_messages')
    .select([
      (eb) => eb.fn.min('created_at').as('oldest'),
      sql<string>`count(*) filter (where attempts > 0)`.as('retrying'),
    ])
    .where('channel', '=', 'sms')
    .where('status', '=', 'pending')
    .executeTakeFirst();
  const byStatus = zeros();
  const purposes = new Map<string, Counts>();
  for (const r of rows) {
    const n = Number(r.n);
    byStatus[r.status] += n;
    const p = purposes.get(r.purpose) ?? zeros();
    p[r.status] += n;
    purposes.set(r.purpose, p);
  }
  const oldest = pending?.oldest ? new Date(pending.oldest as Date | string).getTime() : null;
  return {
    byStatus,
    byPurpose: [...purposes]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([purpose, c]) => ({ purpose, total: Object.values(c).reduce((x, y) => x + y, 0), ...c })),
    retrying: Number(pending?.retrying ?? 0),
    oldestPendingAgeSeconds: oldest === null ? null : Math.max(0, Math.floor((now - oldest) / 1000)),
    at: new Date(now).toISOString(),
  };
}

const CountsSchema = z.object(
  Object.fromEntries(OUTBOUND_STATUSES.map((st) => [st, z.number().int()])) as Record<
    OutboundStatus,
    z.ZodNumber
  >,
);

const StatisticsSchema = z
  .object({
    byStatus: CountsSchema,
    byPurpose: z.array(CountsSchema.extend({ purpose: z.string(), total: z.number().int() })),
    retrying: z.number().int().describe('pending texts that failed at least once and wait for a retry'),
    oldestPendingAgeSeconds: z.number().int().nullable().describe('null when nothing is pending'),
    at: z.string().describe('ISO 8601'),
  })
  .meta({ id: 'SmsOutboxStatistics' });

export const channelRoutes: RouteModule = (app, s) => {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get(
    '/v1/sms/outbox/statistics',
    {
      config: { access: { roles: ['supervisor', 'administrator'], orgKinds: ['anti_fraud_centre'] } },
      schema: {
        tags: ['channels'],
        summary: 'The SMS outbox: texts by status and purpose, retries, age of the oldest pending text',
        description:
          'Counts only, no personal data. Pending texts wait while no SMS gateway runs or the SMSC is down.',
        response: { 200: StatisticsSchema, 401: Problem, 403: Problem },
      },
    },
    async () => smsOutboxStatistics(s.db),
  );
};
