import { sql, type Kysely, type Transaction } from 'kysely';
import type { DB } from '../db/schema.ts';
import type { EventEnvelope, EventMap, EventType } from './events.ts';
import {
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
  type EventRow,
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

export interface MemoryBusOptions {
  db: Kysely<DB>;
  log?: BusLogger;
  retry?: Partial<RetryPolicy>;
  retention?: Partial<RetentionPolicy>;
  /** How often new committed events are looked for (default 50 ms). */
  pollIntervalMs?: number;
  /** Events read per query (default 200). */
  batchSize?: number;
  /** How often prune() runs while started (default hourly; 0: never). */
  pruneIntervalMs?: number;
}

/** A position in bus_events: everything at or before (xid, seq) is behind the consumer. */
interface Position {
  xid: string;
  seq: number;
}

type Row = EventRow & { xid: string };

/**
 * The in-process bus: bus_events is the durable stream, each consumer keeps its position in
 * bus_offsets and polls for what follows it.
 *
 * Positions are (xid, seq), not seq alone. seq is taken at insert and transactions commit in
 * any order, so "seq > offset" would skip an event whose transaction commits after a later seq
 * was read. A consumer only reads events whose transaction is older than every transaction
 * still running (`xid < pg_snapshot_xmin(pg_current_snapshot())`), in (xid, seq) order: any
 * event that becomes visible later has an xid at least that horizon, so it sorts after
 * everything already read and nothing is skipped. The price: an event waits for older writing
 * transactions to end, so long write transactions delay delivery.
 */
export class MemoryEventBus implements EventBus {
  readonly kind = 'memory' as const;
  readonly db: Kysely<DB>;
  readonly log: BusLogger;
  readonly retry: RetryPolicy;
  readonly retention: RetentionPolicy;
  readonly pollIntervalMs: number;
  readonly batchSize: number;
  private readonly pruneIntervalMs: number;
  private readonly consumers = new Map<string, MemoryConsumer>();
  private started = false;
  private closed = false;
  private generation = 0;
  private readonly waiters = new Set<() => void>();
  private head = '';
  private readonly poller: Poller;
  private pruneTimer: NodeJS.Timeout | undefined;

  constructor(opts: MemoryBusOptions) {
    this.db = opts.db;
    this.log = opts.log ?? noopLogger;
    this.retry = { ...DEFAULT_RETRY, ...opts.retry };
    this.retention = { ...DEFAULT_RETENTION, ...opts.retention };
    this.pollIntervalMs = opts.pollIntervalMs ?? 50;
    this.batchSize = opts.batchSize ?? 200;
    this.pruneIntervalMs = opts.pruneIntervalMs ?? 3_600_000;
    this.poller = new Poller(
      async () => {
        await this.pollHead();
        return false;
      },
      this.pollIntervalMs,
      (err) => this.log.warn({ err: errorText(err) }, 'bus: polling for events failed'),
    );
  }

  publish = async <T extends EventType>(
    q: Kysely<DB>,
    type: T,
    data: EventMap[T],
    opts?: PublishOptions,
  ): Promise<EventEnvelope<T>> => {
    const ev = await publishEvent(q, type, data, opts);
    // Outside a transaction the insert has committed: wake the consumers now. Inside one, it
    // commits when the caller's transaction does: look again in a few milliseconds.
    if (q.isTransaction) this.poller.soon();
    else this.poke();
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
    const c = new MemoryConsumer(this, opts.consumer, typeFilter(opts.types), opts.handler as Handler);
    this.consumers.set(opts.consumer, c);
    try {
      await c.init(opts.from ?? 'start');
    } catch (err) {
      this.consumers.delete(opts.consumer);
      throw err;
    }
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
    this.started = true;
    for (const c of this.consumers.values()) c.start();
    this.poller.start();
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
    await this.poller.stop();
  }

  async lag(consumer: string): Promise<number> {
    const pos = await this.db
      .selectFrom('bus_offsets')
      .select([sql<string>`xid::text`.as('xid'), 'seq'])
      .where('consumer', '=', consumer)
      .executeTakeFirst();
    const r = await sql<{ n: number }>`
      select count(*)::int as n from bus_events
      where (xid, seq) > (${pos?.xid ?? '0'}::xid8, ${Number(pos?.seq ?? 0)}::bigint)`.execute(this.db);
    return r.rows[0]?.n ?? 0;
  }

  prune(retention: Partial<RetentionPolicy> = {}): Promise<PruneResult> {
    return pruneBus(this.db, 'memory', { ...this.retention, ...retention });
  }

  deadLetters(consumer?: string): Promise<DeadLetter[]> {
    return listDeadLetters(this.db, consumer);
  }

  // --- wake-ups ---

  /** Something may have been committed: every consumer looks again. */
  poke(): void {
    this.generation++;
    for (const w of this.waiters) w();
    this.waiters.clear();
  }

  get gen(): number {
    return this.generation;
  }

  /** Waits until a poke after generation `gen`, the signal, or `maxMs`. */
  waitForChange(gen: number, signal: AbortSignal, maxMs: number): Promise<void> {
    if (gen !== this.generation || signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(t);
        signal.removeEventListener('abort', done);
        this.waiters.delete(done);
        resolve();
      };
      const t = setTimeout(done, maxMs);
      signal.addEventListener('abort', done, { once: true });
      this.waiters.add(done);
    });
  }

  /** One cheap query for the whole node: has the readable end of the stream moved? */
  private async pollHead(): Promise<void> {
    if (this.consumers.size === 0) return;
    const r = await sql<{ xid: string; seq: number }>`
        select xid::text as xid, seq from bus_events
        where xid < pg_snapshot_xmin(pg_current_snapshot())
        order by bus_events.xid desc, bus_events.seq desc limit 1`.execute(this.db);
    const row = r.rows[0];
    const head = row ? `${row.xid}:${row.seq}` : '';
    if (head !== this.head) {
      this.head = head;
      this.poke();
    }
  }
}

class MemoryConsumer {
  private position: Position = { xid: '0', seq: 0 };
  private loop: Promise<void> | undefined;
  private readonly abort = new AbortController();

  constructor(
    private readonly bus: MemoryEventBus,
    readonly name: string,
    private readonly match: (type: string) => boolean,
    private readonly handler: Handler,
  ) {}

  async init(from: 'start' | 'new'): Promise<void> {
    const { db } = this.bus;
    const xid = from === 'new' ? sql`pg_snapshot_xmin(pg_current_snapshot())` : sql`'0'::xid8`;
    await sql`
      insert into bus_offsets (consumer, xid, seq) values (${this.name}, ${xid}, 0)
      on conflict (consumer) do nothing`.execute(db);
    const row = await db
      .selectFrom('bus_offsets')
      .select([sql<string>`xid::text`.as('xid'), 'seq'])
      .where('consumer', '=', this.name)
      .executeTakeFirstOrThrow();
    this.position = { xid: row.xid, seq: Number(row.seq) };
  }

  start(): void {
    if (this.loop || this.abort.signal.aborted) return;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.loop;
  }

  private async run(): Promise<void> {
    const { log } = this.bus;
    let failures = 0;
    while (!this.abort.signal.aborted) {
      const gen = this.bus.gen;
      let more = false;
      try {
        more = await this.step();
        failures = 0;
      } catch (err) {
        if (this.abort.signal.aborted) break;
        failures++;
        log.error({ consumer: this.name, err: errorText(err) }, 'bus: consumer failed; retrying');
        await sleep(Math.min(100 * 2 ** failures, 5000), this.abort.signal);
        continue;
      }
      // Pokes come from the head poller and from publishes on this node; the timeout is a safety net.
      if (!more) await this.bus.waitForChange(gen, this.abort.signal, 5000);
    }
  }

  /** Reads the next batch after the position and delivers it; false when there was nothing. */
  private async step(): Promise<boolean> {
    const { db, batchSize } = this.bus;
    const pos = this.position;
    // (xid is selected as text: order by the column, not the text alias)
    const r = await sql<Row>`
      select seq, id, type, key, occurred_at, xid::text as xid, data
      from bus_events
      where (xid, seq) > (${pos.xid}::xid8, ${pos.seq}::bigint)
        and xid < pg_snapshot_xmin(pg_current_snapshot())
      order by bus_events.xid, bus_events.seq
      limit ${batchSize}`.execute(db);
    let unsaved = false;
    for (const row of r.rows) {
      if (this.abort.signal.aborted) break;
      const next = { xid: row.xid, seq: Number(row.seq) };
      if (this.match(row.type)) {
        if (!(await this.deliver(row, next))) break;
        unsaved = false;
      } else {
        unsaved = true;
      }
      this.position = next;
    }
    // Events of other types are passed over without a transaction each: save the position once.
    if (unsaved) await this.save(db, this.position);
    return r.rows.length > 0;
  }

  /** Moves the stored position forward; false if another instance of this consumer is already past it. */
  private async save(q: Kysely<DB> | Transaction<DB>, to: Position): Promise<boolean> {
    const r = await q
      .updateTable('bus_offsets')
      .set({ xid: to.xid, seq: to.seq, updated_at: sql`now()` })
      .where('consumer', '=', this.name)
      .where(sql<boolean>`(xid, seq) < (${to.xid}::xid8, ${to.seq}::bigint)`)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  /** Delivers one event until it is handled or dead-lettered; false if stopped meanwhile. */
  private async deliver(row: Row, to: Position): Promise<boolean> {
    const { db, log, retry } = this.bus;
    const ev = rowToEnvelope(row);
    const advance = (tx: Transaction<DB>) => this.save(tx, to);
    for (let attempt = 1; ; attempt++) {
      try {
        const outcome = await processDelivery(db, this.name, ev, this.handler, attempt, advance);
        if (outcome !== 'handled') {
          log.debug?.({ consumer: this.name, eventId: ev.id, type: ev.type, outcome }, 'bus: event skipped');
        }
        return true;
      } catch (err) {
        if (attempt >= retry.maxAttempts) {
          await writeDeadLetter(db, this.name, ev, attempt, err, advance);
          log.error(
            { consumer: this.name, eventId: ev.id, type: ev.type, attempts: attempt, err: errorText(err) },
            'bus: event dead-lettered',
          );
          return true;
        }
        log.warn(
          { consumer: this.name, eventId: ev.id, type: ev.type, attempt, err: errorText(err) },
          'bus: event handler failed; will retry',
        );
        await sleep(retryDelay(attempt, retry), this.abort.signal);
        if (this.abort.signal.aborted) return false;
      }
    }
  }
}
