import type { Kysely, Transaction } from 'kysely';
import type { DB } from '../db/schema.ts';
import type { EventEnvelope, EventMap, EventType } from './events.ts';

/** A pino-like logger. The bus logs event ids and types, never payloads or keys. */
export interface BusLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  debug?(obj: object, msg?: string): void;
}

export interface PublishOptions {
  /**
   * Orders and partitions: events with the same key are about the same thing. Default: the
   * catalogue's key field of the payload, else the event id.
   */
  key?: string;
  /** Default: a new random UUID. Give one to make a retried publish idempotent downstream. */
  id?: string;
}

export interface HandlerContext {
  /**
   * The delivery's transaction: write the handler's effects through it. It commits together with
   * the consumer's "processed" mark, or rolls back with it when the handler throws.
   */
  tx: Transaction<DB>;
  /** 1 on the first delivery, 2 on the first retry... */
  attempt: number;
}

export interface SubscribeOptions<T extends EventType = EventType> {
  /**
   * Durable name: the position and the processed-event marks belong to it, across restarts and
   * nodes. Letters, digits, `_` and `-` only (a JetStream durable name).
   */
  consumer: string;
  types: readonly T[] | '*';
  handler(ev: EventEnvelope<T>, ctx: HandlerContext): Promise<void>;
  /** Where a consumer seen for the first time starts: every stored event (default) or new ones only. */
  from?: 'start' | 'new';
}

export interface Subscription {
  /** Stops delivering; waits for the delivery in progress. The position is kept. */
  stop(): Promise<void>;
}

export interface RetryPolicy {
  /** Deliveries before an event is dead-lettered (default 10). */
  maxAttempts: number;
  /** Delay before the first retry; doubles each time (default 200 ms). */
  baseDelayMs: number;
  /** Ceiling of the delay (default 30 s). */
  maxDelayMs: number;
}

export interface RetentionPolicy {
  /** How long processed-event marks (bus_consumed) are kept (default 7 days). */
  consumedMs: number;
  /** How long delivered/relayed events stay in bus_events (default 7 days). */
  eventsMs: number;
}

export interface PruneResult {
  consumed: number;
  events: number;
}

export interface DeadLetter {
  consumer: string;
  eventId: string;
  eventSeq: number | null;
  type: string;
  attempts: number;
  error: string;
  failedAt: Date;
}

export interface EventBus {
  kind: 'memory' | 'nats';
  /**
   * Adds an event to the outbox through `q`: pass the open transaction of the business change,
   * and the event exists if and only if the change commits. Validates the payload.
   */
  publish<T extends EventType>(
    q: Kysely<DB>,
    type: T,
    data: EventMap[T],
    opts?: PublishOptions,
  ): Promise<EventEnvelope<T>>;
  /** Publishes in a transaction of its own and wakes this node's consumers / relay at once. */
  publishNow<T extends EventType>(
    type: T,
    data: EventMap[T],
    opts?: PublishOptions,
  ): Promise<EventEnvelope<T>>;
  /** Registers a durable consumer; deliveries start with start() (at once if already started). */
  subscribe<T extends EventType = EventType>(opts: SubscribeOptions<T>): Promise<Subscription>;
  /** Starts the consumers and, on NATS, the relay. */
  start(): Promise<void>;
  /** Stops everything this bus started (not the database). */
  close(): Promise<void>;
  /** Events the consumer has still to process (in-process: in bus_events; NATS: pending in JetStream). */
  lag(consumer: string): Promise<number>;
  /** Deletes processed-event marks and delivered events older than the retention. */
  prune(retention?: Partial<RetentionPolicy>): Promise<PruneResult>;
  deadLetters(consumer?: string): Promise<DeadLetter[]>;
}

export class BusError extends Error {
  override name = 'BusError';
}
