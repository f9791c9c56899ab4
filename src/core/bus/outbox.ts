import crypto from 'node:crypto';
import { sql, type Kysely, type Transaction } from 'kysely';
import type { DB } from '../db/schema.ts';
import {
  defaultKey,
  eventCatalogue,
  validateEvent,
  EventValidationError,
  type EventEnvelope,
  type EventType,
} from './events.ts';
import type {
  BusLogger,
  DeadLetter,
  HandlerContext,
  PruneResult,
  PublishOptions,
  RetentionPolicy,
  RetryPolicy,
} from './types.ts';
import { BusError } from './types.ts';
import './tables.ts';

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 10, baseDelayMs: 200, maxDelayMs: 30_000 };
export const DAY_MS = 86_400_000;
export const DEFAULT_RETENTION: RetentionPolicy = { consumedMs: 7 * DAY_MS, eventsMs: 7 * DAY_MS };

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const CONSUMER_RE = /^[A-Za-z0-9_-]{1,64}$/;

export const noopLogger: BusLogger = { info() {}, warn() {}, error() {} };

/**
 * The outbox write: validates the payload and inserts the event through `q` (the caller's open
 * transaction, or the database for an event of its own).
 */
export async function publishEvent<T extends EventType>(
  q: Kysely<DB>,
  type: T,
  data: unknown,
  opts: PublishOptions = {},
): Promise<EventEnvelope<T>> {
  const parsed = validateEvent(type, data);
  if (opts.id !== undefined && !UUID_RE.test(opts.id)) {
    throw new EventValidationError(`event id "${opts.id}" is not a UUID`, type);
  }
  const id = opts.id ?? crypto.randomUUID();
  const key = opts.key ?? defaultKey(type, parsed) ?? id;
  const row = await q
    .insertInto('bus_events')
    .values({ id, type, key, data: JSON.stringify(parsed), relayed_at: null })
    .returning(['seq', 'occurred_at'])
    .executeTakeFirstOrThrow();
  return {
    id,
    type,
    key,
    occurredAt: iso(row.occurred_at),
    seq: Number(row.seq),
    data: parsed,
  } as EventEnvelope<T>;
}

/** Up to this many events go through `bus.publish` one by one (waking this node's consumers at once). */
const PUBLISH_ONE_BY_ONE = 8;

/**
 * Publishes many events in the caller's transaction: a few through `bus.publish`, more in one
 * outbox statement (the same validation; consumers find them on their next poll). Bulk writers
 * (listing imports, stored detections) would otherwise spend a round trip per event.
 */
export async function publishAll(
  bus: { publish: (q: Kysely<DB>, type: never, data: never, opts?: PublishOptions) => Promise<unknown> },
  q: Kysely<DB>,
  events: readonly { type: EventType; data: unknown; key?: string }[],
): Promise<void> {
  if (events.length <= PUBLISH_ONE_BY_ONE) {
    for (const e of events)
      await bus.publish(q, e.type as never, e.data as never, e.key === undefined ? {} : { key: e.key });
    return;
  }
  const ids: string[] = [];
  const types: string[] = [];
  const keys: string[] = [];
  const data: string[] = [];
  for (const e of events) {
    const parsed = validateEvent(e.type, e.data);
    const id = crypto.randomUUID();
    ids.push(id);
    types.push(e.type);
    keys.push(e.key ?? defaultKey(e.type, parsed) ?? id);
    data.push(JSON.stringify(parsed));
  }
  await sql`
    insert into bus_events (id, type, key, data, relayed_at)
    select u.id, u.type, u.key, u.data::jsonb, null
    from unnest(${ids}::uuid[], ${types}::text[], ${keys}::text[], ${data}::text[])
      with ordinality as u(id, type, key, data, ord)
    order by u.ord`.execute(q);
}

export interface EventRow {
  seq: number | string;
  id: string;
  type: string;
  key: string;
  occurred_at: Date | string;
  data: unknown;
}

export function rowToEnvelope(r: EventRow): EventEnvelope {
  return {
    id: r.id,
    type: r.type,
    key: r.key,
    occurredAt: iso(r.occurred_at),
    seq: Number(r.seq),
    data: typeof r.data === 'string' ? JSON.parse(r.data) : r.data,
  } as EventEnvelope;
}

export function iso(d: Date | string): string {
  return (d instanceof Date ? d : new Date(d)).toISOString();
}

export type Handler = (ev: EventEnvelope, ctx: HandlerContext) => Promise<void>;

/** A handler's own failure (as opposed to the bus's database work around it). */
export class HandlerError extends Error {
  constructor(override readonly cause: unknown) {
    super(errorText(cause));
    this.name = 'HandlerError';
  }
}

export type DeliveryOutcome = 'handled' | 'duplicate' | 'superseded';

/**
 * One delivery, in one transaction: mark (consumer, event id) processed, or see that it already
 * was and skip; run the handler; commit. `advance` runs first in the same transaction (the
 * in-process bus moves the consumer's position there); returning false skips the event.
 */
export async function processDelivery(
  db: Kysely<DB>,
  consumer: string,
  ev: EventEnvelope,
  handler: Handler,
  attempt: number,
  advance?: (tx: Transaction<DB>) => Promise<boolean>,
): Promise<DeliveryOutcome> {
  return db.transaction().execute(async (tx) => {
    if (advance && !(await advance(tx))) return 'superseded';
    const mark = await tx
      .insertInto('bus_consumed')
      .values({ consumer, event_id: ev.id })
      .onConflict((oc) => oc.columns(['consumer', 'event_id']).doNothing())
      .returning('event_id')
      .executeTakeFirst();
    if (!mark) return 'duplicate';
    try {
      await handler(ev, { tx, attempt });
    } catch (err) {
      throw new HandlerError(err);
    }
    return 'handled';
  });
}

/**
 * Parks an event the consumer gave up on, and marks it consumed (a later duplicate delivery is
 * skipped); `advance` moves past it in the same transaction.
 */
export async function writeDeadLetter(
  db: Kysely<DB>,
  consumer: string,
  ev: Pick<EventEnvelope, 'id' | 'type' | 'seq'>,
  attempts: number,
  err: unknown,
  advance?: (tx: Transaction<DB>) => Promise<boolean>,
): Promise<void> {
  await db.transaction().execute(async (tx) => {
    if (advance) await advance(tx);
    const error = errorText(err);
    await tx
      .insertInto('bus_consumed')
      .values({ consumer, event_id: ev.id })
      .onConflict((oc) => oc.columns(['consumer', 'event_id']).doNothing())
      .execute();
    await tx
      .insertInto('bus_dead_letters')
      .values({ consumer, event_id: ev.id, event_seq: ev.seq ?? null, type: ev.type, attempts, error })
      .onConflict((oc) =>
        oc.columns(['consumer', 'event_id']).doUpdateSet({ attempts, error, failed_at: sql`now()` }),
      )
      .execute();
  });
}

export async function listDeadLetters(db: Kysely<DB>, consumer?: string): Promise<DeadLetter[]> {
  let q = db.selectFrom('bus_dead_letters').selectAll().orderBy('id');
  if (consumer) q = q.where('consumer', '=', consumer);
  const rows = await q.execute();
  return rows.map((r) => ({
    consumer: r.consumer,
    eventId: r.event_id,
    eventSeq: r.event_seq === null ? null : Number(r.event_seq),
    type: r.type,
    attempts: r.attempts,
    error: r.error,
    failedAt: new Date(r.failed_at),
  }));
}

/**
 * Deletes processed-event marks older than the retention, and events older than it that are no
 * longer needed: relayed to NATS, or (in-process) behind every consumer active in the window.
 */
export async function pruneBus(
  db: Kysely<DB>,
  mode: 'memory' | 'nats',
  retention: Partial<RetentionPolicy> = {},
): Promise<PruneResult> {
  const r = { ...DEFAULT_RETENTION, ...retention };
  const consumed = await db
    .deleteFrom('bus_consumed')
    .where('consumed_at', '<', sql<Date>`now() - ${r.consumedMs} * interval '1 millisecond'`)
    .executeTakeFirst();
  const cutoff = sql<Date>`now() - ${r.eventsMs} * interval '1 millisecond'`;
  let del = db.deleteFrom('bus_events').where('occurred_at', '<', cutoff);
  if (mode === 'nats') {
    del = del.where('relayed_at', 'is not', null).where('relayed_at', '<', cutoff);
  } else {
    del = del.where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('bus_offsets as o')
            .select(sql`1`.as('one'))
            .where('o.updated_at', '>=', cutoff)
            .where(sql<boolean>`(bus_events.xid, bus_events.seq) > (o.xid, o.seq)`),
        ),
      ),
    );
  }
  const events = await del.executeTakeFirst();
  return { consumed: Number(consumed.numDeletedRows), events: Number(events.numDeletedRows) };
}

export function checkConsumerName(name: string): void {
  if (!CONSUMER_RE.test(name)) {
    throw new BusError(`consumer name "${name}" must be 1-64 letters, digits, "_" or "-"`);
  }
}

export function retryDelay(attempt: number, p: RetryPolicy): number {
  return Math.min(p.baseDelayMs * 2 ** Math.max(0, attempt - 1), p.maxDelayMs);
}

/** A short, single-line description of an error (no stack, bounded length). */
export function errorText(err: unknown): string {
  if (err instanceof HandlerError) return err.message;
  const e = err as { name?: string; message?: string } | null;
  const s = e && typeof e === 'object' && 'message' in e ? `${e.name ?? 'Error'}: ${e.message}` : String(err);
  return s.replace(/\s+/g, ' ').slice(0, 2000);
}

/** Resolves after `ms`, or at once when the signal aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Matches event types against a subscription's list. */
export function typeFilter(types: readonly string[] | '*'): (type: string) => boolean {
  if (types === '*') return () => true;
  if (types.length === 0) throw new BusError('subscribe: give at least one event type, or "*"');
  const unknown = types.filter((t) => !Object.hasOwn(eventCatalogue, t));
  if (unknown.length) throw new BusError(`subscribe: unknown event types: ${unknown.join(', ')}`);
  const set = new Set(types);
  return (t) => set.has(t);
}
