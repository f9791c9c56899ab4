import { z } from 'zod';
import type { Api, Services } from '../api/types.ts';
import { Problem } from '../api/problem.ts';
import { principalOf } from '../api/access.ts';
import { AppError } from '../core/errors.ts';
import { INDICATOR_KINDS } from '../core/normalize/index.ts';
import {
  ACTIONS,
  EVENT_KINDS,
  LISTING_STATUSES,
  MAX_BATCH,
  SCAM_CATEGORY_LIST,
  type DecisionEvent,
} from './engine/index.ts';
import type { DecisionNode } from './decisions.ts';

const Party = z.strictObject({
  role: z
    .string()
    .min(1)
    .max(40)
    .describe('caller, callee, sender, recipient, url, payer, payee, applicant, device, app…'),
  kind: z.enum(INDICATOR_KINDS),
  value: z.string().min(1).max(4096).describe('as written; normalised by the engine'),
});

export const DecisionEventSchema = z
  .strictObject({
    kind: z.enum(EVENT_KINDS),
    parties: z.array(Party).max(64),
    content: z
      .string()
      .max(20_000)
      .optional()
      .describe('message text (sms): links and numbers in it are matched too'),
    occurredAt: z.iso.datetime({ offset: true }).optional(),
  })
  .meta({ id: 'DecisionEvent' });

const Action = z.enum(ACTIONS);
export const DecisionSchema = z
  .object({
    action: Action,
    score: z.number(),
    matches: z.array(
      z.object({
        listingId: z.string(),
        kind: z.enum(INDICATOR_KINDS),
        value: z.string(),
        category: z.enum(SCAM_CATEGORY_LIST as [string, ...string[]]),
        confidence: z.number(),
        role: z.string(),
        status: z.enum(LISTING_STATUSES),
        action: Action,
      }),
    ),
    reasons: z.array(z.object({ code: z.string(), zh: z.string(), en: z.string() })),
    warnings: z.array(
      z.object({ party: z.string(), index: z.number(), code: z.string(), reason: z.string() }),
    ),
    policy: z.object({ id: z.string(), version: z.number() }),
    shadow: z
      .object({ action: Action, policy: z.object({ id: z.string(), version: z.number() }) })
      .optional(),
  })
  .meta({ id: 'Decision' });

type DecisionOut = z.infer<typeof DecisionSchema>;

/** The engine's output is already well-formed: skip re-validating it on the hot path. */
const plainJson = () => (data: unknown) => JSON.stringify(data);

const access = {
  roles: ['analyst', 'supervisor'],
  orgKinds: ['anti_fraud_centre'],
  scope: 'decisions:write',
} as const;
const errors = { 400: Problem, 401: Problem, 403: Problem, 503: Problem };

function toEngineEvent(e: z.infer<typeof DecisionEventSchema>, institutionId: string): DecisionEvent {
  return {
    kind: e.kind,
    parties: e.parties,
    ...(e.content !== undefined ? { content: e.content } : {}),
    ...(e.occurredAt ? { occurredAt: Date.parse(e.occurredAt) } : {}),
    institutionId,
  };
}

export function decisionRoutes(node: DecisionNode) {
  return (app: Api, _s: Services): void => {
    const notReady = () =>
      new AppError(503, 'decisions_not_ready', 'the decision engine is still loading the registry');

    app.post(
      '/v1/decisions',
      {
        config: { access },
        serializerCompiler: plainJson,
        schema: {
          tags: ['decisions'],
          summary:
            'Decide one event: allow, warn, review or block, with the matched listings and reasons (zh, en)',
          body: DecisionEventSchema,
          response: { 200: DecisionSchema, ...errors },
        },
      },
      async (req) => {
        if (!node.ready) throw notReady();
        return node.engine.decide(
          toEngineEvent(req.body, principalOf(req).organisationId),
        ) as unknown as DecisionOut;
      },
    );

    app.post(
      '/v1/decisions/batch',
      {
        config: { access },
        serializerCompiler: plainJson,
        bodyLimit: 32 * 1024 * 1024,
        schema: {
          tags: ['decisions'],
          summary: `Decide up to ${MAX_BATCH} events; answers in the same order`,
          body: z.strictObject({ events: z.array(DecisionEventSchema).min(1).max(MAX_BATCH) }),
          response: { 200: z.object({ decisions: z.array(DecisionSchema) }), ...errors },
        },
      },
      async (req) => {
        if (!node.ready) throw notReady();
        const org = principalOf(req).organisationId;
        return {
          decisions: node.engine.decideBatch(
            req.body.events.map((e) => toEngineEvent(e, org)),
          ) as unknown as DecisionOut[],
        };
      },
    );
  };
}
