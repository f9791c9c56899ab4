import { sql, type Kysely } from 'kysely';
import { connect, headers, nanos, type NatsConnection } from '@nats-io/transport-node';
import {
  AckPolicy,
  DeliverPolicy,
  DiscardPolicy,
  JetStreamApiError,
  RetentionPolicy as JsRetention,
  StorageType,
  jetstream,
  jetstreamManager,
  type ConsumerConfig,
  type ConsumerMessages,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
} from '@nats-io/jetstream';
import type { DB } from '../db/schema.ts';
import type { EventEnvelope, EventMap, EventType } from './events.ts';
import {
  DAY_MS,
  DEFAULT_RETENTION,
  DEFAULT_RETRY,
  checkConsumerName,
  errorText,
  listDeadLetters,
  noopLogger,
  processDelivery,
  pruneBus,
  publishEvent,
  retryDelay,
  rowToEnvelope,
  sleep,
  typeFilter,
  writeDeadLetter,
  type Handler,
} from './outbox.ts';
import { Poller } from './poller.ts';
import {
  BusError,
  type BusLogger,
  type DeadLetter,
  type EventBus,
  type PruneResult,
  type PublishOptions,
  type RetentionPolicy,
  type RetryPolicy,
  type SubscribeOptions,
  type Subscription,
} from './types.ts';

export interface NatsBusOptions {
  db: Kysely<DB>;
  /** One URL or several, comma-separated. */
  natsUrl: string;
  /** JetStream stream name (default INTERDICT). */
  stream?: string;
  /** First subject token (default: the stream name in lower case, so `interdict.<type>`). */
  subjectPrefix?: string;
  log?: BusLogger;
  retry?: Partial<RetryPolicy>;
  retention?: Partial<RetentionPolicy>;
  /** How long JetStream keeps events (default 7 days): a node down longer needs a snapshot. */
  maxAgeMs?: number;
  /** JetStream's Nats-Msg-Id dedupe window (default 2 minutes). */
  duplicateWindowMs?: number;
  /** How often the relay looks for unrelayed events (default 50 ms). */
  pollIntervalMs?: number;
  /** Events relayed per transaction (default 500). */
  batchSize?: number;
  /** JetStream redelivers an unacknowledged message after this (default 30 s; kept alive while a handler runs). */
  ackWaitMs?: number;
  /** Stream replicas in a NATS cluster (default 1). */
  replicas?: number;
  /** How often prune() runs while started (default hourly; 0: never). */
  pruneIntervalMs?: number;
}

interface Conn {
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  /** Servers from 2.10 filter a consumer on several subjects. */
  multiFilter: boolean;
}

/** Held (per transaction) by the node relaying, so one relays at a time, in order. */
const RELAY_LOCK = 0x1d7e_4b05;
const STREAM_NOT_FOUND = 10059;
const CONSUMER_NOT_FOUND = 10014;

/**
 * The NATS JetStream bus. Publishing writes the database outbox (bus_events) as in-process; a
 * relay copies committed rows to the stream (subject `<prefix>.<type>`, the event id as
 * Nats-Msg-Id) and marks them relayed. Consumers are durable JetStream pull consumers, and the
 * same bus_consumed transaction makes each event id take effect once per consumer.
 */
export class NatsEventBus implements EventBus {
  readonly kind = 'nats' as const;
  readonly db: Kysely<DB>;
  readonly log: BusLogger;
  readonly stream: string;
  readonly subjectPrefix: string;
  readonly retry: RetryPolicy;
  readonly retention: RetentionPolicy;
  readonly ackWaitMs: number;
  private readonly servers: string[];
  private readonly maxAgeMs: number;
  private readonly duplicateWindowMs: number;
  private readonly pollIntervalMs: number;
  private readonly batchSize: number;
  private readonly replicas: number;
  private readonly pruneIntervalMs: number;
  private conn: Promise<Conn> | undefined;
  private connected = true;
  private readonly consumers = new Map<string, NatsConsumer>();
  private started = false;
  private closed = false;
  private readonly relay: Poller;
  private pruneTimer: NodeJS.Timeout | undefined;

  constructor(opts: NatsBusOptions) {
    this.db = opts.db;
    this.log = opts.log ?? noopLogger;
    this.stream = opts.stream ?? 'INTERDICT';
    if (!/^[A-Za-z0-9_-]+$/.test(this.stream)) {
      throw new BusError(`NATS stream name "${this.stream}" must be letters, digits, "_" or "-"`);
    }
    this.subjectPrefix = opts.subjectPrefix ?? this.stream.toLowerCase();
    this.servers = opts.natsUrl
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    if (this.servers.length === 0) throw new BusError('NATS_URL is empty');
    this.retry = { ...DEFAULT_RETRY, ...opts.retry };
    this.retention = { ...DEFAULT_RETENTION, ...opts.retention };
    this.maxAgeMs = opts.maxAgeMs ?? 7 * DAY_MS;
    this.duplicateWindowMs = Math.min(opts.duplicateWindowMs ?? 120_000, this.maxAgeMs);
    this.pollIntervalMs = opts.pollIntervalMs ?? 50;
    this.batchSize = opts.batchSize ?? 500;
    this.ackWaitMs = opts.ackWaitMs ?? 30_000;
    this.replicas = opts.replicas ?? 1;
    this.pruneIntervalMs = opts.pruneIntervalMs ?? 3_600_000;
    this.relay = new Poller(
      async () => (await this.relayOnce()) >= this.batchSize,
      this.pollIntervalMs,
      (err, failures) =>
        this.log.warn({ err: errorText(err), failures }, 'bus: relay to NATS failed; retrying'),
    );
  }

  subject(type: string): string {
    return `${this.subjectPrefix}.${type}`;
  }

  publish = async <T extends EventType>(
    q: Kysely<DB>,
    type: T,
    data: EventMap[T],
    opts?: PublishOptions,
  ): Promise<EventEnvelope<T>> => {
    const ev = await publishEvent(q, type, data, opts);
    // committed already, or about to be with the caller's transaction
    if (q.isTransaction) this.relay.soon();
    else this.relay.wake();
    return ev;
  };

  publishNow = <T extends EventType>(
    type: T,
    data: EventMap[T],
    opts?: PublishOptions,
  ): Promise<EventEnvelope<T>> => this.publish(this.db, type, data, opts);

  async subscribe<T extends EventType = EventType>(opts: SubscribeOptions<T>): Promise<Subscription> {
    if (this.closed) throw new BusError('the bus is closed');
    checkConsumerName(opts.consumer);
    if (this.consumers.has(opts.consumer)) {
      throw new BusError(`consumer "${opts.consumer}" is already subscribed on this bus`);
    }
    const match = typeFilter(opts.types);
    const conn = await this.connection();
    await this.ensureConsumer(conn, opts.consumer, opts.types, opts.from ?? 'start');
    const c = new NatsConsumer(this, opts.consumer, match, opts.handler as Handler);
    this.consumers.set(opts.consumer, c);
    if (this.started) c.start();
    return {
      stop: async () => {
        await c.stop();
        this.consumers.delete(opts.consumer);
      },
    };
  }

  async start(): Promise<void> {
    if (this.closed) throw new BusError('the bus is closed');
    if (this.started) return;
    await this.connection();
    this.started = true;
    this.relay.start();
    for (const c of this.consumers.values()) c.start();
    if (this.pruneIntervalMs > 0) {
      this.pruneTimer = setInterval(() => {
        this.prune().catch((err) => this.log.warn({ err: errorText(err) }, 'bus: pruning failed'));
      }, this.pruneIntervalMs);
      this.pruneTimer.unref();
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.pruneTimer);
    await Promise.all([...this.consumers.values()].map((c) => c.stop()));
    this.consumers.clear();
    await this.relay.stop();
    const conn = await this.conn?.catch(() => undefined);
    if (conn && !conn.nc.isClosed()) {
      // drain flushes the last acknowledgements before closing
      await conn.nc.drain().catch(() => conn.nc.close());
    }
  }

  async lag(consumer: string): Promise<number> {
    const { jsm } = await this.connection();
    const info = await jsm.consumers.info(this.stream, consumer);
    const unrelayed = await this.db
      .selectFrom('bus_events')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('relayed_at', 'is', null)
      .executeTakeFirstOrThrow();
    return info.num_pending + info.num_ack_pending + Number(unrelayed.n);
  }

  prune(retention: Partial<RetentionPolicy> = {}): Promise<PruneResult> {
    return pruneBus(this.db, 'nats', { ...this.retention, ...retention });
  }

  deadLetters(consumer?: string): Promise<DeadLetter[]> {
    return listDeadLetters(this.db, consumer);
  }

  /** The connection, opened (and the stream created or updated) on first use. */
  connection(): Promise<Conn> {
    this.conn ??= this.open().catch((err) => {
      this.conn = undefined;
      throw err;
    });
    return this.conn;
  }

  private async open(): Promise<Conn> {
    let nc: NatsConnection;
    try {
      nc = await connect({ servers: this.servers, name: 'interdict', maxReconnectAttempts: -1 });
    } catch (err) {
      throw new BusError(`cannot reach NATS at ${this.servers.map(maskUrl).join(',')}: ${errorText(err)}`);
    }
    try {
      const jsm = await jetstreamManager(nc);
      await this.ensureStream(jsm);
      void this.watchStatus(nc);
      this.log.info({ stream: this.stream, server: nc.info?.version }, 'bus: connected to NATS JetStream');
      return { nc, js: jetstream(nc), jsm, multiFilter: versionAtLeast(nc.info?.version, 2, 10) };
    } catch (err) {
      await nc.close().catch(() => undefined);
      throw new BusError(`NATS JetStream setup failed: ${errorText(err)}`);
    }
  }

  private async watchStatus(nc: NatsConnection): Promise<void> {
    for await (const s of nc.status()) {
      if (s.type === 'disconnect') {
        this.connected = false;
        this.log.warn({ stream: this.stream }, 'bus: disconnected from NATS; reconnecting');
      } else if (s.type === 'reconnect') {
        this.connected = true;
        this.log.info({ stream: this.stream }, 'bus: reconnected to NATS');
        this.relay.wake();
      }
    }
  }

  private async ensureStream(jsm: JetStreamManager): Promise<void> {
    const want = {
      subjects: [`${this.subjectPrefix}.>`],
      max_age: nanos(this.maxAgeMs),
      duplicate_window: nanos(this.duplicateWindowMs),
    };
    let current;
    try {
      current = await jsm.streams.info(this.stream);
    } catch (err) {
      if (!(err instanceof JetStreamApiError && err.code === STREAM_NOT_FOUND)) throw err;
      await jsm.streams.add({
        name: this.stream,
        ...want,
        storage: StorageType.File,
        retention: JsRetention.Limits,
        discard: DiscardPolicy.Old,
        num_replicas: this.replicas,
        description: 'Interdict domain events (relayed from the bus_events outbox)',
      });
      return;
    }
    const c = current.config;
    if (
      c.subjects?.join(',') !== want.subjects.join(',') ||
      c.max_age !== want.max_age ||
      c.duplicate_window !== want.duplicate_window
    ) {
      await jsm.streams.update(this.stream, want);
    }
  }

  private filterFor(
    conn: Conn,
    types: readonly string[] | '*',
  ): Pick<ConsumerConfig, 'filter_subject' | 'filter_subjects'> {
    if (types === '*') return { filter_subject: `${this.subjectPrefix}.>`, filter_subjects: undefined };
    const subjects = [...new Set(types)].sort().map((t) => this.subject(t));
    if (subjects.length === 1) return { filter_subject: subjects[0], filter_subjects: undefined };
    if (conn.multiFilter) return { filter_subject: undefined, filter_subjects: subjects };
    // Before 2.10 a consumer has one filter: take every event and skip other types here.
    return { filter_subject: `${this.subjectPrefix}.>`, filter_subjects: undefined };
  }

  private async ensureConsumer(
    conn: Conn,
    name: string,
    types: readonly string[] | '*',
    from: 'start' | 'new',
  ) {
    const { jsm } = conn;
    const want: Partial<ConsumerConfig> = {
      ...this.filterFor(conn, types),
      ack_wait: nanos(this.ackWaitMs),
      // One message in flight: delivery in stream order, and a failing event holds the ones after
      // it back until it succeeds or is dead-lettered (as in-process).
      max_ack_pending: 1,
      max_deliver: -1,
    };
    let info;
    try {
      info = await jsm.consumers.info(this.stream, name);
    } catch (err) {
      if (!(err instanceof JetStreamApiError && err.code === CONSUMER_NOT_FOUND)) throw err;
    }
    if (!info) {
      try {
        await jsm.consumers.add(this.stream, {
          ...want,
          durable_name: name,
          ack_policy: AckPolicy.Explicit,
          deliver_policy: from === 'new' ? DeliverPolicy.New : DeliverPolicy.All,
          description: 'Interdict bus consumer',
        });
        return;
      } catch (err) {
        // another node created it at the same moment: compare with what it made
        info = await jsm.consumers.info(this.stream, name).catch(() => {
          throw err;
        });
      }
    }
    const c = info.config;
    const same =
      (c.filter_subject || undefined) === want.filter_subject &&
      (c.filter_subjects?.length ? [...c.filter_subjects].sort().join(',') : undefined) ===
        want.filter_subjects?.join(',') &&
      c.ack_wait === want.ack_wait &&
      c.max_ack_pending === want.max_ack_pending;
    if (!same) await jsm.consumers.update(this.stream, name, want);
  }

  // --- relay ---

  /** Copies a batch of committed, unrelayed events to JetStream; returns how many. */
  async relayOnce(): Promise<number> {
    const { js } = await this.connection();
    if (!this.connected) return 0;
    const pending = await this.db
      .selectFrom('bus_events')
      .select('seq')
      .where('relayed_at', 'is', null)
      .limit(1)
      .executeTakeFirst();
    if (!pending) return 0;
    return this.db.transaction().execute(async (tx) => {
      const lock = await sql<{ ok: boolean }>`select pg_try_advisory_xact_lock(${RELAY_LOCK}) as ok`.execute(
        tx,
      );
      if (!lock.rows[0]?.ok) return 0; // another node is relaying
      const rows = await tx
        .selectFrom('bus_events')
        .select(['seq', 'id', 'type', 'key', 'occurred_at', 'data'])
        .where('relayed_at', 'is', null)
        .orderBy('seq')
        .limit(this.batchSize)
        .forUpdate()
        .skipLocked()
        .execute();
      if (rows.length === 0) return 0;
      // Sent back to back on one connection, so JetStream stores them in this order.
      const results = await Promise.allSettled(
        rows.map((r) => {
          const h = headers();
          h.set('Interdict-Type', r.type);
          h.set('Interdict-Key', r.key);
          return js.publish(this.subject(r.type), JSON.stringify(rowToEnvelope(r)), {
            msgID: r.id,
            headers: h,
            timeout: 5000,
          });
        }),
      );
      const done = rows.filter((_, i) => results[i]!.status === 'fulfilled').map((r) => r.seq);
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (done.length) {
        await tx
          .updateTable('bus_events')
          .set({ relayed_at: sql`clock_timestamp()` })
          .where('seq', 'in', done)
          .execute();
      }
      if (failed) {
        if (done.length === 0) throw failed.reason;
        this.log.warn(
          { relayed: done.length, failed: rows.length - done.length, err: errorText(failed.reason) },
          'bus: some events were not relayed; will retry',
        );
      }
      return done.length;
    });
  }
}

class NatsConsumer {
  private messages: ConsumerMessages | undefined;
  private loop: Promise<void> | undefined;
  private readonly abort = new AbortController();

  constructor(
    private readonly bus: NatsEventBus,
    readonly name: string,
    private readonly match: (type: string) => boolean,
    private readonly handler: Handler,
  ) {}

  start(): void {
    if (this.loop || this.abort.signal.aborted) return;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.messages?.close().catch(() => undefined);
    await this.loop;
  }

  private async run(): Promise<void> {
    const { log } = this.bus;
    let failures = 0;
    while (!this.abort.signal.aborted) {
      try {
        const { js } = await this.bus.connection();
        const consumer = await js.consumers.get(this.bus.stream, this.name);
        this.messages = await consumer.consume({ max_messages: 64 });
        if (this.abort.signal.aborted) await this.messages.close();
        for await (const m of this.messages) {
          // Stopped with a message in hand: hand it back at once rather than after ack_wait.
          if (this.abort.signal.aborted) {
            m.nak();
            continue;
          }
          await this.handle(m);
          failures = 0;
        }
      } catch (err) {
        if (this.abort.signal.aborted) break;
        failures++;
        log.error({ consumer: this.name, err: errorText(err) }, 'bus: NATS consumer failed; retrying');
        await sleep(Math.min(200 * 2 ** failures, 5000), this.abort.signal);
      }
    }
  }

  private async handle(m: JsMsg): Promise<void> {
    const { db, log, retry, ackWaitMs } = this.bus;
    let ev: EventEnvelope;
    try {
      ev = m.json<EventEnvelope>();
      if (typeof ev?.id !== 'string' || typeof ev.type !== 'string') throw new Error('not an event envelope');
    } catch (err) {
      log.error(
        { consumer: this.name, streamSeq: m.seq, err: errorText(err) },
        'bus: malformed message dropped',
      );
      m.term();
      return;
    }
    if (!this.match(ev.type)) {
      m.ack();
      return;
    }
    const attempt = m.info.deliveryCount;
    const keepAlive = setInterval(() => m.working(), Math.max(1000, ackWaitMs / 3));
    try {
      const outcome = await processDelivery(db, this.name, ev, this.handler, attempt);
      m.ack();
      if (outcome !== 'handled') {
        log.debug?.({ consumer: this.name, eventId: ev.id, type: ev.type, outcome }, 'bus: event skipped');
      }
    } catch (err) {
      if (attempt >= retry.maxAttempts) {
        try {
          await writeDeadLetter(db, this.name, ev, attempt, err);
          m.ack();
          log.error(
            { consumer: this.name, eventId: ev.id, type: ev.type, attempts: attempt, err: errorText(err) },
            'bus: event dead-lettered',
          );
        } catch (err2) {
          log.error(
            { consumer: this.name, eventId: ev.id, err: errorText(err2) },
            'bus: dead-lettering failed',
          );
          m.nak(retryDelay(attempt, retry));
        }
      } else {
        log.warn(
          { consumer: this.name, eventId: ev.id, type: ev.type, attempt, err: errorText(err) },
          'bus: event handler failed; will retry',
        );
        m.nak(retryDelay(attempt, retry));
      }
    } finally {
      clearInterval(keepAlive);
    }
  }
}

function versionAtLeast(v: string | undefined, major: number, minor: number): boolean {
  const m = /^v?(\d+)\.(\d+)/.exec(v ?? '');
  if (!m) return false;
  const [a, b] = [Number(m[1]), Number(m[2])];
  return a > major || (a === major && b >= minor);
}

function maskUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}
