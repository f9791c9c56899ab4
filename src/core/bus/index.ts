import type { Kysely } from 'kysely';
import type { DB } from '../db/schema.ts';
import { MemoryEventBus } from './memory.ts';
import { NatsEventBus } from './nats.ts';
import type { BusLogger, EventBus, RetentionPolicy, RetryPolicy } from './types.ts';
import './tables.ts';

export type {
  BusLogger,
  DeadLetter,
  EventBus,
  HandlerContext,
  PruneResult,
  PublishOptions,
  RetentionPolicy,
  RetryPolicy,
  SubscribeOptions,
  Subscription,
} from './types.ts';
export { BusError } from './types.ts';
export type { EventDefinition, EventEnvelope, EventFieldDoc, EventMap, EventType } from './events.ts';
export {
  EventValidationError,
  describeEvents,
  eventCatalogue,
  eventCatalogueMarkdown,
  registerEvent,
  validateEvent,
} from './events.ts';
export { publishAll, publishEvent } from './outbox.ts';
export { busMigrations } from './migrations.ts';
export { MemoryEventBus, type MemoryBusOptions } from './memory.ts';
export { NatsEventBus, type NatsBusOptions } from './nats.ts';

export interface CreateEventBusOptions {
  db: Kysely<DB>;
  /** NATS_URL: JetStream when set, the in-process bus otherwise. */
  natsUrl?: string | undefined;
  /** NATS_STREAM (default INTERDICT); subjects are `<stream in lower case>.<type>`. */
  stream?: string | undefined;
  log?: BusLogger | undefined;
  retry?: Partial<RetryPolicy>;
  retention?: Partial<RetentionPolicy>;
  /** How often consumers (in-process) or the relay (NATS) look for new committed events (default 50 ms). */
  pollIntervalMs?: number;
}

/**
 * The event bus for this node: NATS JetStream when a URL is given, else in-process (events and
 * positions in the database). Nothing is delivered or relayed before start(). The NATS
 * connection opens on first use (subscribe or start), so commands that only publish need none.
 */
export async function createEventBus(opts: CreateEventBusOptions): Promise<EventBus> {
  const common = {
    db: opts.db,
    ...(opts.log ? { log: opts.log } : {}),
    ...(opts.retry ? { retry: opts.retry } : {}),
    ...(opts.retention ? { retention: opts.retention } : {}),
    ...(opts.pollIntervalMs !== undefined ? { pollIntervalMs: opts.pollIntervalMs } : {}),
  };
  if (opts.natsUrl) {
    return new NatsEventBus({
      ...common,
      natsUrl: opts.natsUrl,
      ...(opts.stream ? { stream: opts.stream } : {}),
    });
  }
  return new MemoryEventBus(common);
}
