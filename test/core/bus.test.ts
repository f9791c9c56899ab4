import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import '../../src/registry/events.ts';
import { sql } from 'kysely';
import { connect, headers } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { Database } from '../../src/core/db/index.ts';
import { migrateToLatest } from '../../src/core/db/migrate.ts';
import {
  BusError,
  EventValidationError,
  MemoryEventBus,
  NatsEventBus,
  busMigrations,
  createEventBus,
  describeEvents,
  eventCatalogue,
  type EventBus,
  type EventEnvelope,
  type HandlerContext,
  type RetryPolicy,
} from '../../src/core/bus/index.ts';
import { openTestDatabase, usingNats } from '../helpers/db.ts';

/** Polls `cond` until it holds; fails after `timeoutMs` (no test waits forever). */
async function waitFor(
  cond: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
  what = 'condition',
): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
const uuid = () => crypto.randomUUID();
const FAST_RETRY: Partial<RetryPolicy> = { baseDelayMs: 20, maxDelayMs: 200 };

type Got = { ev: EventEnvelope; attempt: number };

/** A handler recording what it was given; `fail(ev, attempt)` makes a delivery throw. */
function recorder(fail?: (ev: EventEnvelope, attempt: number) => boolean) {
  const got: Got[] = [];
  const tag = crypto.randomUUID();
  return {
    tag,
    got,
    ids: () => got.map((g) => g.ev.id),
    async handler(ev: EventEnvelope, ctx: HandlerContext) {
      // the effect, written through the delivery's transaction
      await sql`insert into bus_test_effects (tag, event_id, attempt) values (${tag}, ${ev.id}, ${ctx.attempt})`.execute(
        ctx.tx,
      );
      if (fail?.(ev, ctx.attempt)) throw new Error(`handler failure on attempt ${ctx.attempt}`);
      got.push({ ev, attempt: ctx.attempt });
    },
  };
}

const backends = ['memory', ...(usingNats() ? ['nats'] : [])] as const;

for (const backend of backends) {
  describe(`event bus: ${backend}`, () => {
    let d: Database;
    const run = crypto.randomBytes(4).toString('hex');
    const stream = `T_BUS_${run.toUpperCase()}`;
    const buses: EventBus[] = [];
    let n = 0;
    /** A consumer name unique to this run. */
    const consumerName = (what: string) => `${what}-${run}-${++n}`;

    function newBus(opts: { retry?: Partial<RetryPolicy> } = {}): EventBus {
      const common = { db: d.db, retry: { ...FAST_RETRY, ...opts.retry }, pruneIntervalMs: 0 };
      const bus =
        backend === 'nats'
          ? new NatsEventBus({ ...common, natsUrl: process.env.NATS_URL!, stream, ackWaitMs: 5000 })
          : new MemoryEventBus(common);
      buses.push(bus);
      return bus;
    }

    /** How many effects the recorder's handler left for the event. */
    async function effects(r: { tag: string }, eventId: string): Promise<number> {
      const res = await sql<{ n: number }>`
        select count(*)::int as n from bus_test_effects where tag = ${r.tag} and event_id = ${eventId}`.execute(
        d.db,
      );
      return res.rows[0]!.n;
    }

    before(async () => {
      d = await openTestDatabase();
      await migrateToLatest(d.db, busMigrations);
      await sql`create table bus_test_effects (tag uuid, event_id uuid not null, attempt int not null)`.execute(
        d.db,
      );
    });

    after(async () => {
      for (const b of buses) await b.close();
      if (backend === 'nats') {
        const nc = await connect({ servers: process.env.NATS_URL });
        const jsm = await jetstreamManager(nc);
        await jsm.streams.delete(stream).catch(() => undefined);
        await nc.close();
      }
      await d?.close();
    });

    test('the factory picks the implementation', async () => {
      const bus = await createEventBus({
        db: d.db,
        natsUrl: backend === 'nats' ? process.env.NATS_URL : undefined,
        stream,
      });
      buses.push(bus);
      assert.equal(bus.kind, backend);
    });

    test('an event is delivered after its transaction commits, not before', async () => {
      const bus = newBus();
      const r = recorder();
      await bus.subscribe({
        consumer: consumerName('commit'),
        types: ['user.disabled'],
        handler: r.handler,
        from: 'new',
      });
      await bus.start();
      const userId = uuid();
      const published = await d.db.transaction().execute(async (tx) => {
        const ev = await bus.publish(tx, 'user.disabled', { userId });
        await pause(300); // the consumer polls meanwhile
        assert.equal(r.got.length, 0, 'delivered before commit');
        return ev;
      });
      assert.equal(published.type, 'user.disabled');
      assert.equal(published.key, userId, "the catalogue's key field is the default key");
      assert.match(published.id, /^[0-9a-f-]{36}$/);
      await waitFor(() => r.got.length === 1, 10_000, 'delivery');
      const got = r.got[0]!.ev;
      assert.equal(got.id, published.id);
      assert.equal(got.type, 'user.disabled');
      assert.equal(got.key, userId);
      assert.deepEqual(got.data, { userId });
      assert.equal(typeof got.seq, 'number');
      assert.equal(new Date(got.occurredAt).toISOString(), got.occurredAt);
      assert.equal(r.got[0]!.attempt, 1);
    });

    test('an event published in a transaction that rolls back is never delivered', async () => {
      const bus = newBus();
      const r = recorder();
      await bus.subscribe({
        consumer: consumerName('rollback'),
        types: ['user.disabled'],
        handler: r.handler,
        from: 'new',
      });
      await bus.start();
      let lost: string | undefined;
      await assert.rejects(
        d.db.transaction().execute(async (tx) => {
          lost = (await bus.publish(tx, 'user.disabled', { userId: uuid() })).id;
          throw new Error('business rule failed');
        }),
        /business rule failed/,
      );
      const marker = await bus.publishNow('user.disabled', { userId: uuid() });
      await waitFor(() => r.ids().includes(marker.id), 10_000, 'the marker');
      assert.ok(lost);
      assert.ok(!r.ids().includes(lost!));
      const stored = await d.db.selectFrom('bus_events').select('id').where('id', '=', lost!).execute();
      assert.equal(stored.length, 0);
    });

    test('a handler that throws gets the event again, and its effects apply once', async () => {
      const bus = newBus();
      const r = recorder((_ev, attempt) => attempt === 1);
      await bus.subscribe({
        consumer: consumerName('retry'),
        types: ['user.disabled'],
        handler: r.handler,
        from: 'new',
      });
      await bus.start();
      const ev = await bus.publishNow('user.disabled', { userId: uuid() });
      await waitFor(() => r.ids().includes(ev.id), 10_000, 'the retried delivery');
      assert.equal(r.got.find((g) => g.ev.id === ev.id)!.attempt, 2);
      // The recorder sees the delivery before its transaction commits: wait for the commit.
      await waitFor(async () => (await effects(r, ev.id)) > 0, 10_000, 'the committed effect');
      assert.equal(await effects(r, ev.id), 1, 'the failed attempt rolled back its effect');
    });

    test('an event id delivered twice is processed once', async () => {
      const name = consumerName('dedupe');
      const r = recorder();
      const bus1 = newBus();
      const sub1 = await bus1.subscribe({
        consumer: name,
        types: ['user.disabled'],
        handler: r.handler,
        from: 'new',
      });
      await bus1.start();
      const ev = await bus1.publishNow('user.disabled', { userId: uuid() });
      await waitFor(() => r.ids().includes(ev.id), 10_000, 'first delivery');
      await sub1.stop();

      const bus2 = newBus();
      if (backend === 'memory') {
        // the position is lost: the consumer reads everything again
        await d.db
          .updateTable('bus_offsets')
          .set({ xid: '0', seq: 0 })
          .where('consumer', '=', name)
          .execute();
      } else {
        // the same envelope again under another Nats-Msg-Id, so JetStream's dedupe lets it through
        const nc = await connect({ servers: process.env.NATS_URL });
        try {
          const nb = bus2 as NatsEventBus;
          const h = headers();
          h.set('Interdict-Key', ev.key);
          await jetstream(nc).publish(nb.subject(ev.type), JSON.stringify(ev), {
            msgID: `again-${ev.id}`,
            headers: h,
          });
          // and the relay sending it a second time (after a crash before marking it) is dropped by JetStream
          await d.db.updateTable('bus_events').set({ relayed_at: null }).where('id', '=', ev.id).execute();
        } finally {
          await nc.close();
        }
      }
      await bus2.subscribe({ consumer: name, types: ['user.disabled'], handler: r.handler });
      await bus2.start();
      const marker = await bus2.publishNow('user.disabled', { userId: uuid() });
      await waitFor(() => r.ids().includes(marker.id), 10_000, 'the marker');
      assert.equal(r.ids().filter((id) => id === ev.id).length, 1);
      assert.equal(await effects(r, ev.id), 1);
    });

    test('a consumer restarted resumes after its last event and gets those published while it was down', async () => {
      const name = consumerName('resume');
      const r = recorder();
      const bus1 = newBus();
      await bus1.subscribe({ consumer: name, types: ['user.disabled'], handler: r.handler, from: 'new' });
      await bus1.start();
      const before1 = await bus1.publishNow('user.disabled', { userId: uuid() });
      const before2 = await bus1.publishNow('user.disabled', { userId: uuid() });
      await waitFor(() => r.ids().includes(before2.id), 10_000, 'the first events');
      await bus1.close(); // the node stops

      const publisher = newBus();
      const down1 = await publisher.publishNow('user.disabled', { userId: uuid() });
      const down2 = await publisher.publishNow('user.disabled', { userId: uuid() });
      await publisher.start(); // relays (NATS); no consumer of ours here
      await pause(200);
      assert.ok(!r.ids().includes(down1.id));

      const bus2 = newBus();
      await bus2.subscribe({ consumer: name, types: ['user.disabled'], handler: r.handler, from: 'new' });
      await bus2.start();
      await waitFor(() => r.ids().includes(down2.id), 10_000, 'the events published while down');
      assert.deepEqual(r.ids(), [before1.id, before2.id, down1.id, down2.id]);
    });

    test('two consumers each get every event', async () => {
      const bus = newBus();
      const a = recorder();
      const b = recorder();
      await bus.subscribe({ consumer: consumerName('both-a'), types: '*', handler: a.handler, from: 'new' });
      await bus.subscribe({
        consumer: consumerName('both-b'),
        types: ['user.disabled'],
        handler: b.handler,
        from: 'new',
      });
      await bus.start();
      const sent: string[] = [];
      for (let i = 0; i < 5; i++) sent.push((await bus.publishNow('user.disabled', { userId: uuid() })).id);
      await waitFor(
        () => sent.every((id) => a.ids().includes(id) && b.ids().includes(id)),
        10_000,
        'both consumers',
      );
      assert.deepEqual(
        a.ids().filter((id) => sent.includes(id)),
        sent,
      );
      assert.deepEqual(b.ids(), sent);
    });

    test('a consumer gets only the types it subscribed to', async () => {
      const bus = newBus();
      const one = recorder();
      const two = recorder();
      await bus.subscribe({
        consumer: consumerName('one-type'),
        types: ['user.created'],
        handler: one.handler,
        from: 'new',
      });
      await bus.subscribe({
        consumer: consumerName('two-types'),
        types: ['user.disabled', 'api_key.revoked'],
        handler: two.handler,
        from: 'new',
      });
      await bus.start();
      const org = uuid();
      const created = await bus.publishNow('user.created', {
        userId: uuid(),
        organisationId: org,
        username: 'ana',
        roles: ['analyst'],
      });
      const disabled = await bus.publishNow('user.disabled', { userId: uuid() });
      await bus.publishNow('organisation.created', { organisationId: org, name: `Org ${run}`, kind: 'bank' });
      const revoked = await bus.publishNow('api_key.revoked', { apiKeyId: uuid(), organisationId: org });
      const last = await bus.publishNow('user.created', {
        userId: uuid(),
        organisationId: org,
        username: 'bo',
        roles: ['auditor'],
      });
      await waitFor(
        () => one.ids().includes(last.id) && two.ids().includes(revoked.id),
        10_000,
        'deliveries',
      );
      await pause(100);
      assert.deepEqual(one.ids(), [created.id, last.id]);
      assert.deepEqual(two.ids(), [disabled.id, revoked.id]);
    });

    test('unknown types and invalid payloads are rejected at publish, and nothing is stored', async () => {
      const bus = newBus();
      const count = async () =>
        Number(
          (
            await d.db
              .selectFrom('bus_events')
              .select((eb) => eb.fn.countAll().as('n'))
              .executeTakeFirstOrThrow()
          ).n,
        );
      const before1 = await count();
      // @ts-expect-error: not in the EventMap
      await assert.rejects(bus.publishNow('user.exploded', { userId: uuid() }), (err: Error) => {
        assert.ok(err instanceof EventValidationError);
        assert.match(err.message, /unknown event type "user\.exploded"/);
        return true;
      });
      const wrong = { userId: 'not-a-uuid', extra: 1 } as unknown as { userId: string };
      await assert.rejects(bus.publishNow('user.disabled', wrong), (err: Error) => {
        assert.ok(err instanceof EventValidationError);
        assert.match(err.message, /invalid payload for event "user\.disabled"/);
        assert.match(err.message, /userId/);
        assert.doesNotMatch(err.message, /not-a-uuid/, 'values are not echoed');
        return true;
      });
      await assert.rejects(
        bus.publishNow('user.disabled', { userId: uuid() }, { id: 'nope' }),
        EventValidationError,
      );
      assert.equal(await count(), before1);
      await assert.rejects(
        // @ts-expect-error: not in the EventMap
        bus.subscribe({ consumer: consumerName('typo'), types: ['user.disabeld'], handler: async () => {} }),
        BusError,
      );
      await assert.rejects(
        bus.subscribe({ consumer: 'has.dots', types: '*', handler: async () => {} }),
        BusError,
      );
    });

    test('events with the same key arrive in the order they were published', async () => {
      const bus = newBus();
      const r = recorder();
      await bus.subscribe({
        consumer: consumerName('order'),
        types: ['user.disabled'],
        handler: r.handler,
        from: 'new',
      });
      await bus.start();
      const sent: Record<string, string[]> = { a: [], b: [] };
      for (let i = 0; i < 10; i++) {
        for (const key of ['a', 'b']) {
          sent[key]!.push(
            (await bus.publishNow('user.disabled', { userId: uuid() }, { key: `${key}-${run}` })).id,
          );
        }
      }
      // several in one transaction keep their order too
      await d.db.transaction().execute(async (tx) => {
        for (let i = 0; i < 10; i++)
          sent.a!.push((await bus.publish(tx, 'user.disabled', { userId: uuid() }, { key: `a-${run}` })).id);
      });
      await waitFor(() => r.got.length === 30, 10_000, '30 deliveries');
      for (const key of ['a', 'b']) {
        assert.deepEqual(
          r.got.filter((g) => g.ev.key === `${key}-${run}`).map((g) => g.ev.id),
          sent[key],
        );
      }
    });

    test('events are read in transaction-id order, compared as numbers', async (t) => {
      if (backend !== 'memory') return t.skip('the relay sends in commit order');
      const bus = newBus();
      const r = recorder();
      const key = `xid-${run}`;
      // Two old transaction ids with different digit counts ("10" sorts before "9" as text).
      const [ten, nine] = [uuid(), uuid()];
      for (const [id, xid] of [
        [ten, '10'],
        [nine, '9'],
      ] as const) {
        await sql`
          insert into bus_events (id, type, key, data, xid)
          values (${id}, 'user.disabled', ${key}, ${JSON.stringify({ userId: uuid() })}, ${xid}::xid8)`.execute(
          d.db,
        );
      }
      // a new consumer reads from the start of the stream, where these two now sort first
      await bus.subscribe({ consumer: consumerName('xid'), types: ['user.disabled'], handler: r.handler });
      await bus.start();
      await waitFor(() => r.ids().includes(ten) && r.ids().includes(nine), 10_000, 'both events');
      assert.deepEqual(
        r.got.filter((g) => g.ev.key === key).map((g) => g.ev.id),
        [nine, ten],
      );
    });

    test('a later-numbered event committed first does not make the consumer skip an earlier one', async (t) => {
      if (d.kind !== 'postgres') return t.skip('needs concurrent transactions (PostgreSQL)');
      const bus = newBus();
      const r = recorder();
      await bus.subscribe({
        consumer: consumerName('gap'),
        types: ['user.disabled'],
        handler: r.handler,
        from: 'new',
      });
      await bus.start();
      // T1 takes its transaction id first; T2 then inserts an event (lower seq), T1 inserts one
      // (higher seq) and commits while T2 is still open. Reading "seq > last seen" would skip T2's.
      const signal = () => {
        let resolve!: () => void;
        const p = new Promise<void>((res) => (resolve = res));
        return { p, resolve };
      };
      const t1HasXid = signal();
      const t2Inserted = signal();
      const release = signal();
      let t2Id = '';
      let t2Seq = 0;
      let t1Seq = 0;
      const t1 = d.db.transaction().execute(async (tx) => {
        await sql`insert into bus_test_effects (event_id, attempt) values (${uuid()}, 0)`.execute(tx);
        t1HasXid.resolve();
        await t2Inserted.p;
        const ev = await bus.publish(tx, 'user.disabled', { userId: uuid() });
        t1Seq = ev.seq!;
        return ev.id;
      });
      await t1HasXid.p;
      const t2 = d.db.transaction().execute(async (tx) => {
        try {
          const ev = await bus.publish(tx, 'user.disabled', { userId: uuid() });
          [t2Id, t2Seq] = [ev.id, ev.seq!];
        } finally {
          t2Inserted.resolve();
        }
        await release.p;
      });
      try {
        const t1Id = await t1;
        await waitFor(() => r.ids().includes(t1Id), 10_000, 'the event committed first');
        await pause(300); // the consumer has moved past T1's event
        assert.ok(t2Seq < t1Seq, 'the setup gives the open transaction the lower seq');
        assert.ok(!r.ids().includes(t2Id));
      } finally {
        release.resolve(); // never leave a transaction open: it would hold back every consumer
        await t2;
      }
      await waitFor(() => r.ids().includes(t2Id), 10_000, 'the event committed second');
    });

    test('an event that keeps failing is dead-lettered and the consumer moves on', async () => {
      const bus = newBus({ retry: { maxAttempts: 3, baseDelayMs: 10 } });
      const name = consumerName('dead');
      let poison = '';
      const r = recorder((ev) => ev.id === poison);
      await bus.subscribe({ consumer: name, types: ['user.disabled'], handler: r.handler, from: 'new' });
      await bus.start();
      poison = crypto.randomUUID();
      await bus.publishNow('user.disabled', { userId: uuid() }, { id: poison });
      const next = await bus.publishNow('user.disabled', { userId: uuid() });
      await waitFor(() => r.ids().includes(next.id), 10_000, 'the event after the poison one');
      const dead = await bus.deadLetters(name);
      assert.equal(dead.length, 1);
      assert.equal(dead[0]!.eventId, poison);
      assert.equal(dead[0]!.type, 'user.disabled');
      assert.equal(dead[0]!.attempts, 3);
      assert.match(dead[0]!.error, /handler failure on attempt 3/);
      assert.equal(await effects(r, poison), 0);
      assert.ok(!r.ids().includes(poison));
      // parked for good: a later duplicate delivery is skipped
      const marked = await d.db
        .selectFrom('bus_consumed')
        .select('event_id')
        .where('consumer', '=', name)
        .where('event_id', '=', poison)
        .execute();
      assert.equal(marked.length, 1);
    });

    test('lag falls to zero once a consumer has caught up; prune drops old marks', async () => {
      const bus = newBus();
      const name = consumerName('lag');
      const r = recorder();
      await bus.subscribe({ consumer: name, types: '*', handler: r.handler });
      await bus.start();
      await bus.publishNow('user.disabled', { userId: uuid() });
      await waitFor(async () => (await bus.lag(name)) === 0, 10_000, 'lag 0');
      assert.ok(r.got.length > 0);
      const pruned = await bus.prune({ consumedMs: 0, eventsMs: 365 * 86_400_000 });
      assert.ok(pruned.consumed > 0);
      assert.equal(pruned.events, 0);
    });
  });
}

test('docs/events.md lists every event in the catalogue', async () => {
  // Every capability's events: the platform's route modules import them all.
  await import('../../src/platform.ts');
  const doc = fs.readFileSync(new URL('../../docs/events.md', import.meta.url), 'utf8');
  for (const type of Object.keys(eventCatalogue))
    assert.ok(doc.includes(`\`${type}\``), `${type} is not documented`);
  const rows = describeEvents();
  assert.ok(rows.find((e) => e.type === 'listing.created')?.fields.some((f) => f.name === 'version'));
});
