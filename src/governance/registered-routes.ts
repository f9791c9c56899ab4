import { z } from 'zod';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Api, Services } from '../api/types.ts';
import { Problem } from '../api/problem.ts';
import { AppError } from '../core/errors.ts';
import { holdsDemo } from '../demo/seed.ts';
import { DEFAULT_CARD_LIMIT_PARAMS } from '../detection/detectors/card-limit.ts';
import { configuredParams } from '../detection/params.ts';
import { HOLDING_KINDS } from './registered-tables.ts';
import {
  citizenOf,
  CITIZEN_COOKIE,
  confirmChallenge,
  disputeHolding,
  holdingsOf,
  startChallenge,
} from './registered.ts';

/**
 * "Registered in my name" over HTTP: public, rate-limited routes under /v1/me. The citizen's
 * session is a short signed cookie given after a one-time code, scoped to these routes.
 */

const rid = (req: FastifyRequest) => String(req.id);
const Bilingual = z.object({ zh: z.string(), en: z.string() });
const publicErrors = { 400: Problem, 429: Problem };
const sessionErrors = { 401: Problem, 404: Problem, 429: Problem };

const Holdings = z
  .object({
    person: z.object({ name: z.string(), idNumber: z.string() }).describe('masked'),
    phoneCards: z.array(
      z.object({
        id: z.uuid(),
        msisdn: z.string().describe('masked'),
        operator: z.string(),
        cardType: z.string(),
        status: z.string(),
        activatedAt: z.string().nullable(),
        cancelledAt: z.string().nullable().describe('when a card given back was cancelled'),
        outlet: z.string().nullable().describe('the sales outlet that opened it, when its operator said'),
        disputed: z.boolean().describe('"not mine" is open for it'),
      }),
    ),
    bankAccounts: z.array(
      z.object({
        id: z.uuid(),
        account: z.string().describe('masked'),
        institution: z.string(),
        accountType: z.string(),
        status: z.string(),
        openedAt: z.string().nullable(),
        closedAt: z.string().nullable().describe('when a closed account was closed, when its bank said'),
        disputed: z.boolean(),
      }),
    ),
    limits: z.object({
      phoneCards: z.object({
        national: z.number().int().describe('consumer cards one person may hold across operators'),
        perOperator: z.number().int(),
        held: z.number().int(),
        byOperator: z.array(
          z.object({
            operator: z.string(),
            held: z.number().int(),
            limit: z
              .number()
              .int()
              .describe("this operator's limit (its own where one is set, else perOperator)"),
          }),
        ),
      }),
    }),
  })
  .meta({ id: 'MyHoldings' });

export function registeredRoutes(app: Api, s: Services): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  // Only a demo database (and demo seeding allowed) shows codes on screen; asked once.
  let demo: Promise<boolean> | null = null;
  const isDemo = () => (demo ??= s.config.seedDemo ? holdsDemo(s.db) : Promise.resolve(false));
  const citizen = (req: FastifyRequest): string => {
    const id = citizenOf(s, req.cookies[CITIZEN_COOKIE]);
    if (!id) throw new AppError(401, 'verification_required', 'verify your identity first (a code by SMS)');
    return id;
  };
  const setSession = (req: FastifyRequest, reply: FastifyReply, token: string, expires: Date) =>
    reply.setCookie(CITIZEN_COOKIE, token, {
      path: '/v1/me',
      httpOnly: true,
      sameSite: 'strict',
      secure: req.protocol === 'https',
      expires,
    });

  r.post(
    '/v1/me/verification',
    {
      config: { access: { public: true, rateLimitPerMinute: 5 } },
      schema: {
        tags: ['registered'],
        summary:
          'Ask for a one-time code by SMS to a card held in your name (id number, name and that number)',
        description:
          'The answer is the same whether or not the details match the records. At most five codes an hour ' +
          'for one person. In the demo (no SMS gateway), the answer carries the code as `demoCode`.',
        body: z.strictObject({
          idNumber: z.string().trim().min(1).max(40),
          name: z.string().trim().min(1).max(100),
          phone: z.string().trim().min(1).max(40).describe('a phone number registered in your name'),
        }),
        response: {
          202: z.object({
            challengeId: z.uuid(),
            expiresAt: z.string(),
            message: Bilingual,
            demoCode: z.string().optional(),
          }),
          ...publicErrors,
        },
      },
    },
    async (req, reply) => reply.code(202).send(await startChallenge(s, req.body, { demo: await isDemo() })),
  );

  r.post(
    '/v1/me/verification/:id/confirm',
    {
      config: { access: { public: true, rateLimitPerMinute: 10 } },
      schema: {
        tags: ['registered'],
        summary: 'Confirm the code: starts a 15-minute session (cookie) for your own records',
        params: z.object({ id: z.string().max(40) }),
        body: z.strictObject({ code: z.string().trim().max(10) }),
        response: { 200: z.object({ expiresAt: z.string() }), ...publicErrors },
      },
    },
    async (req, reply) => {
      const { token, expiresAt } = await confirmChallenge(s, req.params.id, req.body.code);
      setSession(req, reply, token, expiresAt);
      return { expiresAt: expiresAt.toISOString() };
    },
  );

  r.get(
    '/v1/me/holdings',
    {
      config: { access: { public: true, rateLimitPerMinute: 30 } },
      schema: {
        tags: ['registered'],
        summary: 'The phone cards and bank or payment accounts registered in your name, with the limits',
        response: { 200: Holdings, ...sessionErrors },
      },
    },
    async (req) =>
      holdingsOf(s, citizen(req), rid(req), {
        ...DEFAULT_CARD_LIMIT_PARAMS,
        ...configuredParams(s.config).card_limit,
      }),
  );

  r.post(
    '/v1/me/holdings/not-mine',
    {
      config: { access: { public: true, rateLimitPerMinute: 10 } },
      schema: {
        tags: ['registered'],
        summary:
          '"Not mine": dispute a card or account registered in your name (the institution re-verifies it)',
        body: z.strictObject({ kind: z.enum(HOLDING_KINDS), id: z.string().max(40) }),
        response: {
          201: z.object({ disputeId: z.uuid(), instructionId: z.uuid(), created: z.boolean() }),
          200: z.object({ disputeId: z.uuid(), instructionId: z.uuid(), created: z.boolean() }),
          ...sessionErrors,
          409: Problem,
        },
      },
    },
    async (req, reply) => {
      const out = await disputeHolding(s, citizen(req), req.body.kind, req.body.id, { requestId: rid(req) });
      return reply.code(out.created ? 201 : 200).send(out);
    },
  );

  r.post(
    '/v1/me/sign-out',
    {
      config: { access: { public: true, rateLimitPerMinute: 30 } },
      schema: {
        tags: ['registered'],
        summary: 'End the session for your own records',
        response: { 204: z.null() },
      },
    },
    async (_req, reply) => reply.clearCookie(CITIZEN_COOKIE, { path: '/v1/me' }).code(204).send(null),
  );
}
