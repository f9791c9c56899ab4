import os from 'node:os';
import { sql } from 'kysely';
import type { Services } from '../api/types.ts';
import type { Subscription } from '../core/bus/index.ts';
import { DecisionEngine, RegistryIndex, defaultProtectedEntries, Allowlist } from './engine/index.ts';
import { claimJob, finishJob } from '../core/jobs.ts';
import type { Decision, DecisionEvent, Policy } from './engine/index.ts';
import { WarnedParties, coolingOffHold, warnedPayer, type CoolingOffHold } from '../warnings/cooling-off.ts';
import { loadLivePolicies } from './policies.ts';
import { addSightings, expireDue, refreshConfidence } from './service.ts';
import { changesSince, currentVersion, snapshot } from './snapshot.ts';
import type { ListingCreatedEvent } from './events.ts';
import '../warnings/events.ts';
import { intakeTrigger } from '../warnings/service.ts';
import { triggerOfDecision, type DecisionTrigger } from '../warnings/decision-triggers.ts';
import { SYSTEM } from '../core/audit.ts';

type ListingEventData = ListingCreatedEvent;

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
  /** How many recent events the node keeps for replaying a policy in shadow (default 20,000; 0: none). */
  recentEvents?: number;
  /** How often the registry's confidence decay runs, across all nodes (default daily; 0: never). */
  decayEveryMs?: number;
  /** How often decisions the warnings should hear of become triggers (default 2 s; 0: never). */
  triggersEveryMs?: number;
}

interface WarningEventData {
  id: string;
  reference: string;
  riskLevel: 'high' | 'medium' | 'low';
  scamType: string | null;
  accountKeys: string[];
  msisdnKeys: string[];
}

const DAY_MS = 86_400_000;

export class DecisionNode {
  readonly index = new RegistryIndex();
  readonly engine: DecisionEngine;
  private version = 0;
  private subscription: Subscription | null = null;
  private timers: NodeJS.Timeout[] = [];
  private readonly opts: Required<DecisionNodeOptions>;
  private started = false;
  private readonly builtIn: Set<string>;
  private policySignature = '';
  /** Loaded policies by `id@version:state`, reused across reloads so shadow reports carry on. */
  private policyObjects = new Map<string, Policy>();
  private readonly recent: DecisionEvent[] = [];
  /** SMS texts the classifier read as scams, waiting for whoever collects them (reports). */
  private scamTexts: { text: string; label: string; probability: number; institutionId: string | null }[] =
    [];
  private recentNext = 0;
  /** Persons under an open warning, by keyed hashes of their accounts and numbers (cooling-off holds). */
  readonly warned = new WarnedParties();
  /** Warning triggers read off decisions, waiting to be handed to the warnings. */
  private pendingTriggers: DecisionTrigger[] = [];

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
      recentEvents: opts.recentEvents ?? s.config.recentEvents ?? 20_000,
      decayEveryMs: opts.decayEveryMs ?? DAY_MS,
      triggersEveryMs: opts.triggersEveryMs ?? 2_000,
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
    await this.loadPolicies();
    await this.loadWarned();
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
      types: [
        'listing.created',
        'listing.changed',
        'listing.delisted',
        'policy.changed',
        'warning.opened',
        'warning.merged',
        'warning.escalated',
        'warning.closed',
      ],
      from: 'new',
      handler: async (ev) => {
        if (ev.type.startsWith('warning.')) {
          this.applyWarning(ev.type === 'warning.closed', ev.data as WarningEventData);
          return;
        }
        if (ev.type === 'policy.changed') {
          // Not awaited: the handler runs inside the consumer's transaction, and on the embedded
          // database (one connection) a query outside it would wait for it for ever.
          void this.loadPolicies().catch((err) => this.s.log.warn({ err }, 'policies not reloaded'));
          return;
        }
        const data = ev.data as ListingEventData;
        this.index.upsert(data);
        if (data.version > this.version) this.version = data.version;
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
          void Promise.all([this.catchUp(), this.loadAllowlist(), this.loadPolicies()]).catch((err) =>
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
    if (this.opts.decayEveryMs > 0) {
      // Checked hourly; the claim makes one node per period do it.
      const check = () =>
        void this.decayIfDue().catch((err) => this.s.log.warn({ err }, 'confidence decay failed'));
      this.timers.push(setInterval(check, Math.min(this.opts.decayEveryMs, 3_600_000)));
    }
    if (this.opts.triggersEveryMs > 0)
      this.timers.push(
        setInterval(
          () =>
            void this.flushTriggers().catch((err) =>
              this.s.log.warn({ err }, 'decisions not passed to the warnings'),
            ),
          this.opts.triggersEveryMs,
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

  /**
   * The active and shadow policies from the database (decision_policies), applied when they changed.
   * Without any row there (a database from before policies were stored) the code's defaults stay.
   */
  async loadPolicies(): Promise<void> {
    const live = await loadLivePolicies(this.s.db);
    if (live.signature === this.policySignature) return;
    this.policySignature = live.signature;
    if (live.active.length === 0 && live.shadow.length === 0) return;
    const keep = new Map<string, Policy>();
    const reuse = (p: Policy, state: string) => {
      const k = `${p.id}@${p.version}:${state}`;
      const o = this.policyObjects.get(k) ?? p;
      keep.set(k, o);
      return o;
    };
    const active = live.active.map((p) => reuse(p, 'active'));
    const shadow = live.shadow.map((p) => reuse(p, 'shadow'));
    this.policyObjects = keep;
    this.engine.policies.replaceAll(active, shadow);
  }

  /** Keeps events for replaying policies in shadow (a ring of the last `recentEvents`). */
  remember(events: readonly DecisionEvent[]): void {
    const cap = this.opts.recentEvents;
    if (cap === 0) return;
    for (const e of events) {
      if (this.recent.length < cap) this.recent.push(e);
      else this.recent[this.recentNext] = e;
      this.recentNext = (this.recentNext + 1) % cap;
    }
  }

  /** Keeps an SMS text read as a scam (at most 10,000 wait; more are dropped until drained). */
  noteScamText(event: DecisionEvent, content: { label: string; probability: number }): void {
    if (typeof event.content !== 'string' || this.scamTexts.length >= 10_000) return;
    this.scamTexts.push({ text: event.content, ...content, institutionId: event.institutionId ?? null });
  }

  drainScamTexts(): { text: string; label: string; probability: number; institutionId: string | null }[] {
    const out = this.scamTexts;
    this.scamTexts = [];
    return out;
  }

  /**
   * After a decision: what the warnings should hear of (an attempt to pay a flagged payee, a scam SMS
   * from a listed sender, a visit to a listed link) is kept for them, and a bank asking for a
   * cooling-off hold on a transfer gets one when the payer is under a warning or the payee is flagged.
   */
  afterDecision(
    event: DecisionEvent,
    d: Decision,
    coolingOff: boolean,
    now = Date.now(),
  ): Decision & { hold?: CoolingOffHold } {
    if (d.matches.length !== 0 && this.pendingTriggers.length < 10_000) {
      const t = triggerOfDecision(event, d, now);
      if (t) this.pendingTriggers.push(t);
    }
    if (!coolingOff || event.kind !== 'transfer') return d;
    const hold = coolingOffHold(d, warnedPayer(event, this.warned, this.s.pii), now);
    return hold ? { ...d, hold } : d;
  }

  /** The warning triggers collected since the last call. */
  drainTriggers(): DecisionTrigger[] {
    const out = this.pendingTriggers;
    this.pendingTriggers = [];
    return out;
  }

  private applyWarning(closed: boolean, w: WarningEventData): void {
    if (closed) this.warned.delete(w.id);
    else
      this.warned.set(
        { warningId: w.id, reference: w.reference, riskLevel: w.riskLevel, scamType: w.scamType },
        w.accountKeys,
        w.msisdnKeys,
      );
  }

  /** The open warnings' keys (start-up; the events keep them in step after). */
  async loadWarned(): Promise<void> {
    const rows = await this.s.db
      .selectFrom('warnings')
      .select(['id', 'reference', 'risk_level', 'scam_type', 'account_keys', 'msisdn_keys'])
      .where('status', '=', 'open')
      .execute();
    for (const r of rows)
      this.applyWarning(false, {
        id: r.id,
        reference: r.reference,
        riskLevel: r.risk_level,
        scamType: r.scam_type,
        accountKeys: r.account_keys,
        msisdnKeys: r.msisdn_keys,
      });
  }

  /** Hands the collected triggers to the warnings (a person's repeated attempts merge there). */
  async flushTriggers(): Promise<number> {
    let n = 0;
    const orgNames = new Map<string, string>();
    for (const t of this.drainTriggers()) {
      const orgId = t.institutionId;
      if (orgId && !orgNames.has(orgId)) {
        const o = await this.s.db
          .selectFrom('organisations')
          .select('name')
          .where('id', '=', orgId)
          .executeTakeFirst();
        orgNames.set(orgId, o?.name ?? 'institution');
      }
      try {
        await intakeTrigger(
          this.s,
          SYSTEM,
          {
            kind: t.kind,
            at: new Date(t.at).toISOString(),
            person: t.person,
            ...(t.scamType ? { scamType: t.scamType } : {}),
            summary: t.summary,
          },
          { source: orgId ? orgNames.get(orgId)! : 'interdict', organisationId: orgId },
        );
        n++;
      } catch (err) {
        this.s.log.warn({ err }, 'a decision was not taken as a warning trigger');
      }
    }
    return n;
  }

  /** The remembered events, oldest first. */
  recentEvents(): DecisionEvent[] {
    if (this.recent.length < this.opts.recentEvents) return [...this.recent];
    return [...this.recent.slice(this.recentNext), ...this.recent.slice(0, this.recentNext)];
  }

  /** Runs the registry's confidence decay when no node has in the last period. */
  async decayIfDue(now = Date.now()): Promise<{ checked: number; changed: number } | null> {
    const { db, bus } = this.s;
    if (!(await claimJob(db, 'registry.decay', this.opts.decayEveryMs, this.opts.nodeId))) return null;
    const r = await refreshConfidence(db, bus, now);
    await finishJob(db, 'registry.decay', r);
    this.s.log.info(r, 'confidence decay done');
    return r;
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
    await this.flushTriggers().catch(() => undefined);
    await this.subscription?.stop();
    this.subscription = null;
    await this.flushSightings().catch(() => undefined);
    this.started = false;
  }
}
