import crypto from 'node:crypto';
import net from 'node:net';
import { sql, type Kysely, type Selectable } from 'kysely';
import type { DB } from '../core/db/schema.ts';
import type { EventBus, Subscription } from '../core/bus/types.ts';
import type { EventType } from '../core/bus/events.ts';
import { audit, type Actor } from '../core/audit.ts';
import { badRequest, forbidden, notFound } from '../core/errors.ts';
import type { OrganisationKind, Principal } from '../identity/model.ts';
import { piiContext, type PiiCipher } from '../privacy/crypto.ts';
import { registerEncryptedTable } from '../privacy/rotate.ts';
import type { WebhookDeliveriesTable, WebhookDeliveryStatus, WebhookSubscriptionsTable } from './tables.ts';
import './events.ts';

/**
 * The push half of the channel to institutions (docs/governance.md, "Webhooks"): an institution
 * subscribes a URL to event types; each such event for it becomes a pending delivery in the same
 * transaction that processes the event (so a crash loses nothing), and a loop POSTs due deliveries,
 * signed with the subscription's secret, retrying with backoff. The pull half (the inbox) holds
 * the same instructions whatever happens to the push: a failed delivery loses no instruction.
 *
 * Generic over event types: a capability makes its events pushable with registerWebhookEvent,
 * naming the organisation that receives each one.
 */

registerEncryptedTable({
  table: 'webhook_subscriptions',
  idColumn: 'id',
  keyIdColumn: 'secret_key_id',
  columns: ['secret_enc'],
});

/** The durable bus consumer that turns events into deliveries. */
export const WEBHOOK_CONSUMER = 'webhooks';
/** First retry delay; doubles after each failure up to RETRY_MAX_MS. */
export const RETRY_BASE_MS = 10_000;
export const RETRY_MAX_MS = 3_600_000;
/** Attempts before a delivery is given up (`failed`): about 21 hours of retries. */
export const MAX_ATTEMPTS = 30;
export const REQUEST_TIMEOUT_MS = 5_000;
/** A claimed delivery is pushed this far ahead, so another node (or a crash) cannot send it twice at once. */
export const CLAIM_LEASE_MS = 60_000;
/** Receivers should reject signatures older than this (docs). */
export const SIGNATURE_TOLERANCE_S = 300;
const BATCH = 20;
const MAX_ERROR = 200;

/** Organisation kinds that receive instructions and may subscribe. */
export const WEBHOOK_ORG_KINDS: readonly OrganisationKind[] = [
  'telecom_operator',
  'bank',
  'internet_service',
];

// --- Which events can be pushed, and to whom ------------------------------------------------------

const recipients = new Map<string, (data: unknown) => string | null>();

/**
 * Makes `type` pushable: `recipientOf` names the organisation whose subscriptions receive it (null:
 * nobody). Call at module load, before the routes subscribe (the bus consumer's types are fixed then).
 */
export function registerWebhookEvent(type: EventType, recipientOf: (data: unknown) => string | null): void {
  recipients.set(type, recipientOf);
}

/** The event types a subscription may ask for. */
export function webhookEventTypes(): EventType[] {
  return [...recipients.keys()] as EventType[];
}

const receivingOrganisation = (data: unknown) =>
  (data as { receivingOrganisationId?: string }).receivingOrganisationId ?? null;

for (const t of [
  'instruction.issued',
  'instruction.received',
  'instruction.executed',
  'instruction.contested',
  'instruction.withdrawn',
  'instruction.overdue',
] as const)
  registerWebhookEvent(t, receivingOrganisation);

// --- Signing ------------------------------------------------------------------------------------

/** `interdict-signature`: `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`. */
export function webhookSignature(secret: string, unixSeconds: number, body: string): string {
  const mac = crypto.createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex');
  return `t=${unixSeconds},v1=${mac}`;
}

function newSecret(): string {
  return `whsec_${crypto.randomBytes(32).toString('base64url')}`;
}

// --- URLs ---------------------------------------------------------------------------------------

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * Addresses a webhook must not name over https: the platform's own network (private, loopback,
 * link-local, carrier-grade NAT, unique-local), so a subscription cannot make it call internal
 * hosts. Only literal addresses are refused here; a name resolving to one is not (yet).
 */
const INTERNAL = new net.BlockList();
for (const [a, p] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
] as const)
  INTERNAL.addSubnet(a, p, 'ipv4');
for (const [a, p] of [
  ['::', 127],
  ['fc00::', 7],
  ['fe80::', 10],
] as const)
  INTERNAL.addSubnet(a, p, 'ipv6');

function isInternalAddress(hostname: string): boolean {
  const h = hostname.startsWith('[') ? hostname.slice(1, -1) : hostname;
  const kind = net.isIP(h);
  if (kind === 0) return false;
  if (kind === 6 && /^::ffff:/i.test(h)) {
    const v4 = h.slice(7);
    if (net.isIPv4(v4)) return INTERNAL.check(v4, 'ipv4');
  }
  return INTERNAL.check(h, kind === 4 ? 'ipv4' : 'ipv6');
}

/**
 * A webhook URL: https, or http to this machine's loopback outside production (for trying a receiver
 * locally). No credentials in it (they would be stored and shown in clear), no fragment.
 */
export function checkWebhookUrl(raw: string, nodeEnv: string | undefined = process.env.NODE_ENV): string {
  const bad = (why: string) => badRequest('invalid_webhook_url', `url ${why}`);
  let u: URL;
  try {
    u = new URL(raw.trim());
  } catch {
    throw bad('is not an absolute URL');
  }
  if (u.username || u.password) throw bad('must not contain credentials');
  if (u.hash) throw bad('must not contain a fragment');
  if (u.protocol === 'http:') {
    if (!LOOPBACK.has(u.hostname) || nodeEnv === 'production')
      throw bad('must use https (http only to localhost, outside production)');
  } else if (u.protocol !== 'https:') {
    throw bad('must use https');
  } else if (isInternalAddress(u.hostname)) {
    throw bad('must not name a private, loopback or link-local address');
  }
  const s = u.toString();
  if (s.length > 2000) throw bad('is longer than 2000 characters');
  return s;
}

// --- Subscriptions ------------------------------------------------------------------------------

export interface WebhookServices {
  db: Kysely<DB>;
  pii: PiiCipher;
}

export interface WebhookView {
  id: string;
  organisationId: string;
  url: string;
  eventTypes: string[];
  active: boolean;
  createdAt: string;
  createdBy: string;
  deletedAt: string | null;
}

export interface WebhookDeliveryView {
  id: string;
  eventId: string;
  eventType: string;
  status: WebhookDeliveryStatus;
  attempts: number;
  /** Pending only: when the next attempt is due. */
  nextAttemptAt: string | null;
  lastAttemptAt: string | null;
  lastStatusCode: number | null;
  lastError: string | null;
  createdAt: string;
  deliveredAt: string | null;
}

const iso = (d: Date | string) => new Date(d).toISOString();
const isoOrNull = (d: Date | string | null) => (d === null ? null : iso(d));

function viewOf(r: Selectable<WebhookSubscriptionsTable>): WebhookView {
  return {
    id: r.id,
    organisationId: r.organisation_id,
    url: r.url,
    eventTypes: r.event_types,
    active: r.active,
    createdAt: iso(r.created_at),
    createdBy: r.created_by,
    deletedAt: isoOrNull(r.deleted_at),
  };
}

function deliveryViewOf(r: Selectable<WebhookDeliveriesTable>): WebhookDeliveryView {
  return {
    id: r.id,
    eventId: r.event_id,
    eventType: r.event_type,
    status: r.status,
    attempts: r.attempts,
    nextAttemptAt: r.status === 'pending' ? iso(r.next_attempt_at) : null,
    lastAttemptAt: isoOrNull(r.last_attempt_at),
    lastStatusCode: r.last_status_code,
    lastError: r.last_error,
    createdAt: iso(r.created_at),
    deliveredAt: isoOrNull(r.delivered_at),
  };
}

const isInstitutionAdmin = (p: Principal) =>
  p.kind === 'user' && p.roles.includes('administrator') && WEBHOOK_ORG_KINDS.includes(p.organisationKind);

function requireInstitutionAdmin(p: Principal): void {
  if (!isInstitutionAdmin(p))
    throw forbidden("webhooks are managed by an operator's, bank's or internet service's administrators");
}

/** Institution administrators read their organisation's webhooks; the centre's administrators all, read-only. */
function readerScope(p: Principal): 'all' | string {
  if (isInstitutionAdmin(p)) return p.organisationId;
  if (p.kind === 'user' && p.organisationKind === 'anti_fraud_centre' && p.roles.includes('administrator'))
    return 'all';
  throw forbidden();
}

function checkEventTypes(input: readonly string[] | undefined): EventType[] {
  const allowed = webhookEventTypes();
  if (input === undefined) return allowed;
  const wanted = [...new Set(input)];
  if (wanted.length === 0) throw badRequest('invalid_event_types', 'eventTypes must name at least one type');
  const unknown = wanted.filter((t) => !(allowed as string[]).includes(t));
  if (unknown.length)
    throw badRequest(
      'invalid_event_types',
      `unknown event types ${unknown.join(', ')}; allowed: ${allowed.join(', ')}`,
    );
  return wanted as EventType[];
}

/** Subscribes the administrator's institution; the secret is returned here and never again. */
export async function createWebhook(
  s: WebhookServices,
  admin: Principal,
  input: { url: string; eventTypes?: readonly string[] | undefined },
  opts: { requestId?: string } = {},
): Promise<{ webhook: WebhookView; secret: string }> {
  requireInstitutionAdmin(admin);
  const url = checkWebhookUrl(input.url);
  const eventTypes = checkEventTypes(input.eventTypes);
  const id = crypto.randomUUID();
  const secret = newSecret();
  const e = s.pii.encrypt(secret, piiContext('webhook_subscriptions', 'secret_enc', id));
  const row = await s.db.transaction().execute(async (tx) => {
    const r = await tx
      .insertInto('webhook_subscriptions')
      .values({
        id,
        organisation_id: admin.organisationId,
        url,
        event_types: eventTypes,
        secret_key_id: e.keyId,
        secret_enc: e.ciphertext,
        active: true,
        created_by: admin.name,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await audit(
      tx,
      admin as Actor,
      {
        action: 'webhook.create',
        targetKind: 'webhook_subscription',
        targetId: id,
        details: { url, eventTypes },
      },
      opts.requestId,
    );
    return r;
  });
  return { webhook: viewOf(row), secret };
}

export async function listWebhooks(
  s: { db: Kysely<DB> },
  reader: Principal,
  query: { includeDeleted?: boolean | undefined } = {},
): Promise<WebhookView[]> {
  const scope = readerScope(reader);
  let q = s.db.selectFrom('webhook_subscriptions').selectAll();
  if (scope !== 'all') q = q.where('organisation_id', '=', scope);
  if (!query.includeDeleted) q = q.where('active', '=', true);
  const rows = await q.orderBy('created_at', 'desc').orderBy('id').execute();
  return rows.map(viewOf);
}

/** Another organisation's webhook is not found; reveals nothing. */
async function findOwn(q: Kysely<DB>, id: string, scope: 'all' | string) {
  const r = await q.selectFrom('webhook_subscriptions').selectAll().where('id', '=', id).executeTakeFirst();
  if (!r || (scope !== 'all' && r.organisation_id !== scope)) throw notFound('webhook');
  return r;
}

/**
 * Removes a webhook: nothing more is pushed to it, its pending deliveries end `failed`. The
 * instructions stay in the inbox. Removing twice changes nothing.
 */
export async function deleteWebhook(
  s: WebhookServices,
  admin: Principal,
  id: string,
  opts: { requestId?: string; now?: number } = {},
): Promise<WebhookView> {
  requireInstitutionAdmin(admin);
  const at = new Date(opts.now ?? Date.now());
  return s.db.transaction().execute(async (tx) => {
    const r = await findOwn(tx, id, admin.organisationId);
    if (!r.active) return viewOf(r);
    const u = await tx
      .updateTable('webhook_subscriptions')
      .set({ active: false, deleted_at: at })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
    await tx
      .updateTable('webhook_deliveries')
      .set({ status: 'failed', last_error: 'webhook removed' })
      .where('subscription_id', '=', id)
      .where('status', '=', 'pending')
      .execute();
    await audit(
      tx,
      admin as Actor,
      { action: 'webhook.delete', targetKind: 'webhook_subscription', targetId: id, details: { url: r.url } },
      opts.requestId,
    );
    return viewOf(u);
  });
}

/** A webhook's deliveries, newest first. */
export async function listWebhookDeliveries(
  s: { db: Kysely<DB> },
  reader: Principal,
  id: string,
  query: { status?: WebhookDeliveryStatus | undefined; limit?: number | undefined } = {},
): Promise<WebhookDeliveryView[]> {
  await findOwn(s.db, id, readerScope(reader));
  const limit = Math.min(Math.max(query.limit ?? 50, 1), 500);
  let q = s.db.selectFrom('webhook_deliveries').selectAll().where('subscription_id', '=', id);
  if (query.status) q = q.where('status', '=', query.status);
  const rows = await q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
  return rows.map(deliveryViewOf);
}

// --- From events to deliveries ------------------------------------------------------------------

/** What is pushed: a bus event's envelope, or the `webhook.test` ping (no bus event). */
export interface PushedEvent {
  id: string;
  type: string;
  occurredAt: string;
  data: unknown;
}

/** The JSON pushed: the event envelope, without the bus's routing key and position. */
export function webhookBody(ev: PushedEvent): string {
  return JSON.stringify({ id: ev.id, type: ev.type, occurredAt: ev.occurredAt, data: ev.data });
}

/**
 * Pending deliveries of `ev` for its recipient's active subscriptions to its type, written through
 * `q` (the bus handler's transaction). An event seen again adds nothing. Returns how many were added.
 */
export async function enqueueWebhookDeliveries(
  q: Kysely<DB>,
  ev: PushedEvent,
  now: number = Date.now(),
): Promise<number> {
  const recipientOf = recipients.get(ev.type);
  const organisationId = recipientOf?.(ev.data);
  if (!organisationId) return 0;
  const subs = await q
    .selectFrom('webhook_subscriptions')
    .select('id')
    .where('organisation_id', '=', organisationId)
    .where('active', '=', true)
    .where(sql<boolean>`${ev.type} = any(event_types)`)
    .execute();
  if (subs.length === 0) return 0;
  const body = webhookBody(ev);
  const r = await q
    .insertInto('webhook_deliveries')
    .values(
      subs.map((w) => ({
        id: crypto.randomUUID(),
        subscription_id: w.id,
        event_id: ev.id,
        event_type: ev.type,
        body,
        status: 'pending' as const,
        attempts: 0,
        next_attempt_at: new Date(now),
      })),
    )
    .onConflict((oc) => oc.columns(['subscription_id', 'event_id']).doNothing())
    .executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows ?? 0);
}

/** Follows the bus under the durable consumer `consumer`: every pushable event becomes deliveries. */
export function subscribeWebhooks(
  bus: Pick<EventBus, 'subscribe'>,
  consumer: string = WEBHOOK_CONSUMER,
): Promise<Subscription> {
  return bus.subscribe({
    consumer,
    types: webhookEventTypes(),
    // A consumer seen for the first time has no subscription to serve older events to.
    from: 'new',
    handler: async (ev, ctx) => {
      await enqueueWebhookDeliveries(ctx.tx, ev);
    },
  });
}

// --- Sending ------------------------------------------------------------------------------------

export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

export interface SendResult {
  ok: boolean;
  statusCode: number | null;
  error: string | null;
}

/** What went wrong, short and without the body or secret. */
function describeFailure(err: unknown): string {
  const e = err as { name?: string; cause?: { code?: string } };
  if (e.name === 'TimeoutError' || e.name === 'AbortError')
    return `timed out after ${REQUEST_TIMEOUT_MS / 1000} s`;
  if (e.cause?.code) return `connection failed: ${e.cause.code}`;
  return 'request failed';
}

/** One signed POST; never throws. Redirects are not followed (a 3xx is a failure). */
export async function sendWebhook(
  fetchFn: FetchLike,
  url: string,
  secret: string,
  delivery: { eventId: string; eventType: string; body: string },
  now: number,
): Promise<SendResult> {
  try {
    const res = await fetchFn(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'interdict-webhooks/1',
        'interdict-event-id': delivery.eventId,
        'interdict-event-type': delivery.eventType,
        'interdict-signature': webhookSignature(secret, Math.floor(now / 1000), delivery.body),
      },
      body: delivery.body,
      redirect: 'manual',
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    // The receiver's answer is not read: only its status counts.
    await res.body?.cancel().catch(() => undefined);
    if (res.status >= 200 && res.status < 300) return { ok: true, statusCode: res.status, error: null };
    return { ok: false, statusCode: res.status, error: `HTTP ${res.status}` };
  } catch (err) {
    return { ok: false, statusCode: null, error: describeFailure(err) };
  }
}

/** Delay before attempt `attempts + 1`, after `attempts` failures: 10 s, 20 s, 40 s … up to 1 h. */
export function retryDelayMs(attempts: number): number {
  return Math.min(RETRY_BASE_MS * 2 ** Math.max(0, attempts - 1), RETRY_MAX_MS);
}

function secretOf(pii: PiiCipher, w: { id: string; secret_key_id: string; secret_enc: Uint8Array }): string {
  return pii.decrypt(w.secret_key_id, w.secret_enc, piiContext('webhook_subscriptions', 'secret_enc', w.id));
}

export interface DeliverOptions {
  now?: number;
  fetch?: FetchLike;
  log?: { warn(obj: object, msg?: string): void };
}

export interface DeliverResult {
  delivered: number;
  retrying: number;
  failed: number;
}

/**
 * Sends every due pending delivery of active webhooks. Claims a batch in a short transaction
 * (SKIP LOCKED, and a lease on next_attempt_at), so nodes share the work and no connection is
 * held while receivers answer; then records each outcome. Run every few seconds on every node.
 */
export async function deliverDueWebhooks(
  s: WebhookServices,
  opts: DeliverOptions = {},
): Promise<DeliverResult> {
  const now = opts.now ?? Date.now();
  const fetchFn = opts.fetch ?? ((url, init) => fetch(url, init));
  const out: DeliverResult = { delivered: 0, retrying: 0, failed: 0 };
  for (let round = 0; round < 10; round++) {
    const batch = await s.db.transaction().execute(async (tx) => {
      const rows = await tx
        .selectFrom('webhook_deliveries as d')
        .innerJoin('webhook_subscriptions as w', 'w.id', 'd.subscription_id')
        .select([
          'd.id',
          'd.event_id',
          'd.event_type',
          'd.body',
          'd.attempts',
          'w.id as subscription_id',
          'w.url',
          'w.secret_key_id',
          'w.secret_enc',
        ])
        .where('d.status', '=', 'pending')
        .where('d.next_attempt_at', '<=', new Date(now))
        .where('w.active', '=', true)
        .orderBy('d.next_attempt_at')
        .limit(BATCH)
        .forUpdate('d')
        .skipLocked()
        .execute();
      if (rows.length)
        await tx
          .updateTable('webhook_deliveries')
          .set({ next_attempt_at: new Date(now + CLAIM_LEASE_MS) })
          .where(
            'id',
            'in',
            rows.map((r) => r.id),
          )
          .execute();
      return rows;
    });
    if (batch.length === 0) break;
    await Promise.all(
      batch.map(async (d) => {
        let result: SendResult;
        try {
          const secret = secretOf(s.pii, {
            id: d.subscription_id,
            secret_key_id: d.secret_key_id,
            secret_enc: d.secret_enc,
          });
          result = await sendWebhook(
            fetchFn,
            d.url,
            secret,
            { eventId: d.event_id, eventType: d.event_type, body: d.body },
            now,
          );
        } catch {
          opts.log?.warn({ delivery: d.id, subscription: d.subscription_id }, 'webhook secret unreadable');
          result = { ok: false, statusCode: null, error: 'signing secret unreadable' };
        }
        const attempts = d.attempts + 1;
        const at = new Date(now);
        const common = {
          attempts,
          last_attempt_at: at,
          last_status_code: result.statusCode,
          last_error: result.error?.slice(0, MAX_ERROR) ?? null,
        };
        let q = s.db.updateTable('webhook_deliveries');
        if (result.ok) {
          out.delivered++;
          q = q.set({ ...common, status: 'delivered', delivered_at: at });
        } else if (attempts >= MAX_ATTEMPTS) {
          out.failed++;
          q = q.set({ ...common, status: 'failed' });
        } else {
          out.retrying++;
          q = q.set({ ...common, next_attempt_at: new Date(now + retryDelayMs(attempts)) });
        }
        // A webhook removed meanwhile has already ended its pending deliveries: leave them so.
        await q.where('id', '=', d.id).where('status', '=', 'pending').execute();
      }),
    );
    if (batch.length < BATCH) break;
  }
  return out;
}

/** Sends a `webhook.test` ping now and reports the receiver's answer; nothing is stored but an audit record. */
export async function testWebhook(
  s: WebhookServices,
  admin: Principal,
  id: string,
  opts: { requestId?: string; now?: number; fetch?: FetchLike } = {},
): Promise<SendResult & { eventId: string }> {
  requireInstitutionAdmin(admin);
  const w = await findOwn(s.db, id, admin.organisationId);
  if (!w.active) throw notFound('webhook');
  const now = opts.now ?? Date.now();
  const eventId = crypto.randomUUID();
  const body = webhookBody({
    id: eventId,
    type: 'webhook.test',
    occurredAt: new Date(now).toISOString(),
    data: { webhookId: id },
  });
  const result = await sendWebhook(
    opts.fetch ?? ((url, init) => fetch(url, init)),
    w.url,
    secretOf(s.pii, w),
    { eventId, eventType: 'webhook.test', body },
    now,
  );
  await audit(
    s.db,
    admin as Actor,
    {
      action: 'webhook.test',
      targetKind: 'webhook_subscription',
      targetId: id,
      details: { ok: result.ok, statusCode: result.statusCode },
    },
    opts.requestId,
  );
  return { ...result, eventId };
}
