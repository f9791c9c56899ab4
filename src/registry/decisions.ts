import os from 'node:os';
import { sql } from 'kysely';
import type { Services } from '../api/types.ts';
import type { Subscription } from '../core/bus/index.ts';
import { DecisionEngine, RegistryIndex, defaultProtectedEntries, Allowlist } from './engine/index.ts';
import { addSightings, expireDue } from './service.ts';
import { changesSince, currentVersion, snapshot } from './snapshot.ts';
import './events.ts';

/**
 * One decision node: the engine with its in-memory index, kept in step with the database.
 *
 * Start: note the registry version, load the snapshot of matching listings, then apply every
 * change since the noted version. After that the node follows the `listing.*` events on the bus
 * (each carries the full listing; the index keeps only higher versions, so overlaps are harmless)
 * and, as a safety net, asks the database for changes every few seconds. Decisions never wait for
 * any of this: every update is one O(1) index write between two decisions.
 */
export interface DecisionNodeOptions {
  /** Durable name of this node's event consumer (default: from the host name and pid of the first start). */
  nodeId?: string;
  /** How often matched-decision counts go to sightings_daily (default 10 s). */
  sightingsEveryMs?: number;
  /** How often the database is asked for changes the bus may not have delivered (default 5 s). */
  catchUpEveryMs?: number;
}

export class DecisionNode {
  readonly index = new RegistryIndex();
  readonly engine: DecisionEngine;
  private version = 0;
  private subscription: Subscription | null = null;
  private timers: NodeJS.Timeout[] = [];
  private readonly opts: Required<DecisionNodeOptions>;
  private started = false;
  private readonly builtIn: Set<string>;

  constructor(
    private readonly s: Services,
    opts: DecisionNodeOptions = {},
  ) {
    this.opts = {
      nodeId:
        opts.nodeId ??
        process.env.INTERDICT_NODE_ID ??
        `decisions-${os.hostname().replace(/[^A-Za-z0-9_-]/g, '_')}`,
      sightingsEveryMs: opts.sightingsEveryMs ?? 10_000,
      catchUpEveryMs: opts.catchUpEveryMs ?? 5_000,
    };
    const builtIn = defaultProtectedEntries();
    this.builtIn = new Set(builtIn.map((e) => `${e.kind}\u0000${e.value}`));
    this.engine = new DecisionEngine({ index: this.index, allowlist: new Allowlist(builtIn) });
  }

  get ready(): boolean {
    return this.started;
  }

  /** The registry version this node has applied up to (from the database's point of view). */
  get appliedVersion(): number {
    return this.version;
  }

  /** Loads the allowlist and the registry (snapshot, then the changes since it) without following the bus. */
  async load(): Promise<void> {
    const { db } = this.s;
    await this.loadAllowlist();
    const v = await currentVersion(db);
    const count = await sql<{
      n: number;
    }>`select count(*)::int as n from listings where status in ('active','under_appeal')`.execute(db);
    this.index.reserve(Number(count.rows[0]?.n ?? 0));
    for await (const r of snapshot(db)) this.index.upsert(r);
    this.version = v;
    await this.catchUp();
  }

  /** Loads, then follows the bus under the durable consumer `nodeId` (default: the constructor's). */
  async start(nodeId = this.opts.nodeId): Promise<void> {
    await this.load();
    this.subscription = await this.s.bus.subscribe({
      consumer: nodeId.replace(/[^A-Za-z0-9_-]/g, '_'),
      types: ['listing.created', 'listing.changed', 'listing.delisted'],
      from: 'new',
      handler: async (ev) => {
        this.index.upsert(ev.data);
        if (ev.data.version > this.version) this.version = ev.data.version;
      },
    });
    this.timers.push(
      setInterval(
        () => void this.flushSightings().catch((err) => this.s.log.warn({ err }, 'sightings not saved')),
        this.opts.sightingsEveryMs,
      ),
    );
    this.timers.push(
      setInterval(
        () =>
          void Promise.all([this.catchUp(), this.loadAllowlist()]).catch((err) =>
            this.s.log.warn({ err }, 'catch-up failed'),
          ),
        this.opts.catchUpEveryMs,
      ),
    );
    this.timers.push(
      setInterval(
        () => void this.expireDue().catch((err) => this.s.log.warn({ err }, 'expiry failed')),
        60_000,
      ),
    );
    for (const t of this.timers) t.unref();
    this.started = true;
  }

  /** Applies every change after the version this node holds (start-up, reconnects, safety net). */
  async catchUp(): Promise<number> {
    let n = 0;
    for (;;) {
      const c = await changesSince(this.s.db, this.version, 10_000);
      for (const r of c.records) if (this.index.upsert(r)) n++;
      this.version = Math.max(this.version, c.version);
      if (!c.more) return n;
    }
  }

  /**
   * Protected parties: the built-in national list plus the registry's protected_indicators, kept in
   * step (entries added or removed in the database since the last call are added or removed here).
   */
  async loadAllowlist(): Promise<void> {
    const rows = await this.s.db
      .selectFrom('protected_indicators')
      .select(['kind', 'value', 'label'])
      .execute();
    const key = (k: string, v: string) => `${k}\u0000${v}`;
    const wanted = new Set(rows.map((r) => key(r.kind, r.value)));
    for (const e of this.engine.allowlist.list()) {
      const k = key(e.kind, e.value);
      if (!wanted.has(k) && !this.builtIn.has(k)) this.engine.allowlist.remove(e.kind, e.value);
    }
    for (const r of rows) this.engine.allowlist.add({ kind: r.kind, value: r.value, label: r.label });
  }

  /** Lapses listings past their expiry (idempotent; any node may run it). */
  async expireDue(): Promise<number> {
    return expireDue(this.s.db, this.s.bus);
  }

  /** Moves the engine's matched-decision counts into sightings_daily. */
  async flushSightings(): Promise<number> {
    const rows = this.engine.drainSightings();
    if (rows.length === 0) return 0;
    return addSightings(
      this.s.db,
      rows.map((r) => ({ listingId: r.listingId, day: r.day, channel: r.channel, count: r.count })),
    );
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    await this.subscription?.stop();
    this.subscription = null;
    await this.flushSightings().catch(() => undefined);
    this.started = false;
  }
}
