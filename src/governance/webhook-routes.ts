import { z } from 'zod';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Api, RouteModule, Services } from '../api/types.ts';
import { principalOf } from '../api/access.ts';
import { Problem } from '../api/problem.ts';
import { WEBHOOK_DELIVERY_STATUSES } from './tables.ts';
import {
  WEBHOOK_CONSUMER,
  WEBHOOK_ORG_KINDS,
  createWebhook,
  deleteWebhook,
  deliverDueWebhooks,
  listWebhookDeliveries,
  listWebhooks,
  subscribeWebhooks,
  testWebhook,
  webhookEventTypes,
  type FetchLike,
} from './webhooks.ts';

/**
 * Institutions' webhooks over HTTP (docs/governance.md, "Webhooks"): an operator's, bank's or
 * internet service's administrators subscribe, list, remove and test their own; the centre's
 * administrators read all. With the routes start the bus consumer that turns events into
 * deliveries and, on every node, the loop that sends due ones; both stop when the server closes.
 */

/** How often due deliveries are looked for. */
export const DELIVER_EVERY_MS = 5_000;

export interface WebhookRouteOptions {
  /** The durable bus consumer (default `webhooks`; tests use their own). */
  consumer?: string;
  /** 0: no delivery loop (tests drive deliverDueWebhooks themselves). */
  deliverEveryMs?: number;
  fetch?: FetchLike;
}

const errors = { 400: Problem, 401: Problem, 403: Problem, 404: Problem };
const admins = { roles: ['administrator'], orgKinds: WEBHOOK_ORG_KINDS } as const;
const readers = { roles: ['administrator'], orgKinds: [...WEBHOOK_ORG_KINDS, 'anti_fraud_centre'] } as const;

const iso = z.string().describe('ISO 8601');

const WebhookSchema = z
  .object({
    id: z.uuid(),
    organisationId: z.uuid(),
    url: z.string(),
    eventTypes: z.array(z.string()),
    active: z.boolean().describe('false once removed'),
    createdAt: iso,
    createdBy: z.string(),
    deletedAt: iso.nullable(),
  })
  .meta({ id: 'Webhook' });

const DeliverySchema = z
  .object({
    id: z.uuid(),
    eventId: z.string(),
    eventType: z.string(),
    status: z.enum(WEBHOOK_DELIVERY_STATUSES),
    attempts: z.number().int(),
    nextAttemptAt: iso.nullable().describe('pending only: when the next attempt is due'),
    lastAttemptAt: iso.nullable(),
    lastStatusCode: z.number().int().nullable(),
    lastError: z.string().nullable(),
    createdAt: iso,
    deliveredAt: iso.nullable(),
  })
  .meta({ id: 'WebhookDelivery' });

const idParams = z.object({ id: z.uuid() });

/** The webhook routes, consumer and delivery loop with the production settings. */
export const webhookRoutes: RouteModule = (app, s) => webhookRoutesWith()(app, s);

export function webhookRoutesWith(opts: WebhookRouteOptions = {}): RouteModule {
  return (app: Api, s: Services) => register(app, s, opts);
}

async function register(app: Api, s: Services, opts: WebhookRouteOptions): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const fetchFn = opts.fetch;

  const subscription = await subscribeWebhooks(s.bus, opts.consumer ?? WEBHOOK_CONSUMER);
  const every = opts.deliverEveryMs ?? DELIVER_EVERY_MS;
  let running: Promise<void> | null = null;
  const tick = () => {
    running ??= (async () => {
      try {
        await deliverDueWebhooks(s, { ...(fetchFn ? { fetch: fetchFn } : {}), log: s.log });
      } catch (err) {
        s.log.warn({ err }, 'webhook deliveries not sent');
      } finally {
        running = null;
      }
    })();
  };
  const timer = every > 0 ? setInterval(tick, every) : null;
  timer?.unref();
  app.addHook('onClose', async () => {
    if (timer) clearInterval(timer);
    await running;
    await subscription.stop();
  });

  r.post(
    '/v1/webhooks',
    {
      config: { access: admins },
      schema: {
        tags: ['governance'],
        summary: "Subscribe the institution's webhook; the signing secret is shown in this answer only",
        description:
          'https URLs (http only to localhost outside production). eventTypes default to every pushable type. ' +
          'Each delivery is signed: interdict-signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>.',
        body: z.strictObject({
          url: z.string().trim().min(1).max(2000),
          eventTypes: z
            .array(z.string().max(100))
            .min(1)
            .max(50)
            .optional()
            .describe(`some of: ${webhookEventTypes().join(', ')}`),
        }),
        response: {
          201: z.object({ webhook: WebhookSchema, secret: z.string().describe('shown once: store it') }),
          ...errors,
        },
      },
    },
    async (req, reply) =>
      reply.code(201).send(await createWebhook(s, principalOf(req), req.body, { requestId: String(req.id) })),
  );

  r.get(
    '/v1/webhooks',
    {
      config: { access: readers },
      schema: {
        tags: ['governance'],
        summary: "An institution's webhooks (the centre's administrators: all); never the secret",
        querystring: z.object({
          includeDeleted: z
            .enum(['true', 'false'])
            .transform((v) => v === 'true')
            .optional(),
        }),
        response: { 200: z.object({ items: z.array(WebhookSchema) }), ...errors },
      },
    },
    async (req) => ({ items: await listWebhooks(s, principalOf(req), req.query) }),
  );

  r.delete(
    '/v1/webhooks/:id',
    {
      config: { access: admins },
      schema: {
        tags: ['governance'],
        summary:
          'Remove a webhook: nothing more is pushed, pending deliveries end failed; the inbox keeps all',
        params: idParams,
        response: { 200: WebhookSchema, ...errors },
      },
    },
    async (req) => deleteWebhook(s, principalOf(req), req.params.id, { requestId: String(req.id) }),
  );

  r.get(
    '/v1/webhooks/:id/deliveries',
    {
      config: { access: readers },
      schema: {
        tags: ['governance'],
        summary: "A webhook's recent deliveries with their status, newest first",
        params: idParams,
        querystring: z.object({
          status: z.enum(WEBHOOK_DELIVERY_STATUSES).optional(),
          limit: z.coerce.number().int().min(1).max(500).optional(),
        }),
        response: { 200: z.object({ items: z.array(DeliverySchema) }), ...errors },
      },
    },
    async (req) => ({ items: await listWebhookDeliveries(s, principalOf(req), req.params.id, req.query) }),
  );

  r.post(
    '/v1/webhooks/:id/test',
    {
      config: { access: admins },
      schema: {
        tags: ['governance'],
        summary: 'Send a signed webhook.test ping now and report the answer',
        params: idParams,
        body: z.strictObject({}).nullish(),
        response: {
          200: z.object({
            ok: z.boolean().describe('the receiver answered 2xx'),
            statusCode: z.number().int().nullable().describe('null: no answer'),
            error: z.string().nullable(),
            eventId: z.uuid(),
          }),
          ...errors,
        },
      },
    },
    async (req) =>
      testWebhook(s, principalOf(req), req.params.id, {
        requestId: String(req.id),
        ...(fetchFn ? { fetch: fetchFn } : {}),
      }),
  );
}
