import { z } from 'zod';
import type { FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Api, RouteModule, Services } from '../api/types.ts';
import { principalOf } from '../api/access.ts';
import { Problem } from '../api/problem.ts';
import { scheduleClaimedJob } from '../core/jobs.ts';
import { normaliseMsisdn } from '../privacy/normalise.ts';
import { SYSTEM } from '../core/audit.ts';
import { createContent, listContent, updateContent } from './content.ts';
import {
  escalateDue,
  getWarning,
  intakeTrigger,
  listWarnings,
  recordAttempt,
  recordOutcome,
  subscribeDetections,
  warningStatistics,
  WARNING_CONSUMER,
} from './service.ts';
import {
  AGE_GROUPS,
  AUDIENCES,
  CHANNELS,
  CONTENT_CHANNELS,
  LANGUAGES,
  OUTCOMES,
  RISK_LEVELS,
  STEP_STATUSES,
  TRIGGER_KINDS,
  WARNING_ACTIONS,
} from './tables.ts';

/**
 * Warnings over HTTP (docs/warnings.md). The centre's analysts and supervisors work the queue;
 * operators, banks and internet companies send triggers with `warnings:write` keys; anyone may
 * tell us a relative is being scammed now (public, rate-limited, the same answer whatever happens).
 */

const rid = (req: FastifyRequest) => String(req.id);
const iso = z.string().describe('ISO 8601');
const errors = { 400: Problem, 401: Problem, 403: Problem, 404: Problem };
const centre = { roles: ['analyst', 'supervisor'], orgKinds: ['anti_fraud_centre'] } as const;
const supervisors = { roles: ['supervisor'], orgKinds: ['anti_fraud_centre'] } as const;
const fen = z.number().int().min(0).max(1e15).describe('minor units (fen)');
const noLinkText = (max: number) => z.string().trim().max(max);

const Person = z
  .object({
    maskedName: z.string(),
    maskedPhone: z.string(),
    ageYears: z.number().int().nullable(),
    ageGroup: z.enum(AGE_GROUPS).nullable(),
    name: z.string().nullable().optional().describe('clear: detail route only, a recorded read'),
    phone: z.string().nullable().optional().describe('clear: detail route only, a recorded read'),
  })
  .meta({ id: 'WarningPerson' });

const Step = z
  .object({
    channel: z.enum(CHANNELS),
    status: z.enum(STEP_STATUSES),
    dueAt: iso.nullable(),
    startedAt: iso.nullable(),
    endedAt: iso.nullable(),
    result: z.string().nullable(),
  })
  .meta({ id: 'WarningChannelStep' });

const Outcome = z
  .object({
    kind: z.enum(OUTCOMES),
    note: z.string().nullable(),
    recordedBy: z.string(),
    recordedAt: iso,
    fundCaseId: z.uuid().nullable(),
  })
  .meta({ id: 'WarningOutcome' });

const base = {
  id: z.uuid(),
  reference: z.string().describe('WRN-YYYY-NNNNNN'),
  status: z.enum(['open', 'closed']),
  riskLevel: z.enum(RISK_LEVELS),
  priority: z.number().int().min(0).max(100),
  scamType: z.string().nullable(),
  person: Person,
  amountAtRisk: z.number().int().nullable(),
  deadlineAt: iso.nullable().describe('deadline of the active channel step'),
  channelPlan: z.array(Step),
  overdue: z.boolean().describe('the visit went unanswered: nobody reached yet'),
  outcome: Outcome.nullable(),
  openedAt: iso,
  lastTriggerAt: iso,
  closedAt: iso.nullable(),
};

const Summary = z.object({ ...base, triggerCount: z.number().int() }).meta({ id: 'WarningSummary' });

const Warning = z
  .object({
    ...base,
    triggers: z.array(
      z.object({
        id: z.uuid(),
        kind: z.enum(TRIGGER_KINDS),
        at: iso,
        source: z.string(),
        summary: z.string().nullable(),
        detectionId: z.uuid().nullable(),
        amountAtRisk: z.number().int().nullable(),
        scamType: z.string().nullable(),
        suppressed: z.boolean(),
      }),
    ),
    timeline: z.array(
      z.object({
        at: iso,
        action: z.enum(WARNING_ACTIONS),
        channel: z.enum(CHANNELS).nullable(),
        result: z.string().nullable(),
        note: z.string().nullable(),
        actor: z.string(),
      }),
    ),
    script: z.object({ title: z.string(), body: z.string(), language: z.enum(LANGUAGES) }).nullable(),
    smsText: z.string().nullable(),
  })
  .meta({ id: 'Warning' });

const ContentItem = z
  .object({
    id: z.uuid(),
    scamType: z.string(),
    audience: z.enum(AUDIENCES),
    channel: z.enum(CONTENT_CHANNELS),
    language: z.enum(LANGUAGES),
    title: z.string(),
    body: z.string(),
    version: z.number().int(),
    updatedAt: iso,
    updatedBy: z.string().nullable(),
  })
  .meta({ id: 'WarningContent' });

const idParams = z.object({ id: z.uuid() });

export interface WarningRouteOptions {
  /** The durable bus consumer for detections (default `warnings-detections`; tests use their own). */
  consumer?: string;
  /** The escalation job's period (default 30 s; 0: not scheduled). */
  escalateEveryMs?: number;
}

/** The warning routes, detection consumer and escalation job with the production settings. */
export const warningRoutes: RouteModule = (app, s) => warningRoutesWith()(app, s);

export function warningRoutesWith(opts: WarningRouteOptions = {}): RouteModule {
  return (app: Api, s: Services) => register(app, s, opts);
}

async function register(app: Api, s: Services, opts: WarningRouteOptions): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const subscription = await subscribeDetections(s, opts.consumer ?? WARNING_CONSUMER);
  const every = opts.escalateEveryMs ?? 30_000;
  if (every > 0) scheduleClaimedJob(app, s, 'warnings-escalation', every, (now) => escalateDue(s, now));
  app.addHook('onClose', async () => {
    await subscription.stop();
  });

  r.post(
    '/v1/warnings/triggers',
    {
      config: { access: { ...centre, scope: 'warnings:write' } },
      schema: {
        tags: ['warnings'],
        summary: 'A signal that a person may be being scammed now: opens a warning or joins their open one',
        description:
          'Name the person by number, account or id number (at least one). A trigger about a person under an ' +
          'open warning, or within 24 h of its last trigger, joins it (`merged`); within 7 days of a false alarm ' +
          'the same kind of trigger is recorded but opens nothing (`suppressed`). The summary must not carry ' +
          'personal data in clear.',
        body: z.strictObject({
          kind: z.enum(TRIGGER_KINDS),
          at: iso.optional().describe('when it happened; default now'),
          person: z.strictObject({
            msisdn: z.string().trim().max(40).optional(),
            account: z.string().trim().max(64).optional(),
            idNumber: z.string().trim().max(40).optional(),
          }),
          scamType: z.string().trim().max(60).optional().describe('a key of the scam taxonomy'),
          amountAtRisk: fen.optional(),
          summary: z.string().trim().max(500).optional(),
          detectionId: z.uuid().optional(),
        }),
        response: {
          201: z.object({
            warningId: z.uuid(),
            reference: z.string(),
            merged: z.boolean(),
            suppressed: z.boolean(),
          }),
          ...errors,
        },
      },
    },
    async (req, reply) => {
      const p = principalOf(req);
      const org = await s.db
        .selectFrom('organisations')
        .select('name')
        .where('id', '=', p.organisationId)
        .executeTakeFirst();
      const out = await intakeTrigger(
        s,
        p,
        req.body,
        { source: org?.name ?? p.name, organisationId: p.organisationId },
        { requestId: rid(req) },
      );
      return reply.code(201).send(out);
    },
  );

  r.post(
    '/v1/warnings/relative-report',
    {
      config: { access: { public: true, rateLimitPerMinute: 5 } },
      schema: {
        tags: ['warnings'],
        summary: 'Tell the anti-fraud centre a relative is being scammed right now (no account needed)',
        description:
          'The phone is the number of the relative being scammed. The answer is the same whatever happens; the ' +
          'centre calls the relative at once (an urgent trigger).',
        body: z.strictObject({
          phone: z.string().trim().min(1).max(40).describe('the relative being scammed'),
          reporterPhone: z.string().trim().min(1).max(40).describe('where we can call you back'),
          relation: z.string().trim().max(40).optional().describe('e.g. mother, son'),
          note: z.string().trim().max(500).optional(),
        }),
        response: { 202: z.object({ received: z.literal(true) }), 400: Problem, 429: Problem },
      },
    },
    async (req, reply) => {
      const phone = normaliseMsisdn(req.body.phone);
      if (phone) {
        const detail: Record<string, string> = { reporterPhone: req.body.reporterPhone };
        if (req.body.relation) detail.relation = req.body.relation;
        if (req.body.note) detail.note = req.body.note;
        try {
          await intakeTrigger(
            s,
            { ...SYSTEM, name: 'public' },
            {
              kind: 'relative_report',
              person: { msisdn: phone },
              summary: 'a relative reports a scam in progress',
            },
            { source: 'public', organisationId: null, detail },
            { requestId: rid(req) },
          );
        } catch (err) {
          // The reporter learns nothing either way; the centre's log keeps the failure.
          req.log.warn({ err }, 'relative report not taken');
        }
      }
      return reply.code(202).send({ received: true as const });
    },
  );

  r.get(
    '/v1/warnings',
    {
      config: { access: { ...centre, scope: 'warnings:read' } },
      schema: {
        tags: ['warnings'],
        summary: 'The warning queue: open by priority then deadline, closed newest first (always masked)',
        querystring: z.object({
          status: z.enum(['open', 'closed']).optional(),
          channel: z.enum(['call', 'visit']).optional().describe('the active step is this channel'),
          overdue: z
            .enum(['true', 'false'])
            .optional()
            .transform((v) => (v === undefined ? undefined : v === 'true')),
          cursor: z.string().max(64).optional().describe('the `nextCursor` of the previous page'),
          limit: z.coerce.number().int().min(1).max(200).optional(),
        }),
        response: {
          200: z.object({ items: z.array(Summary), nextCursor: z.string().nullable() }),
          ...errors,
        },
      },
    },
    async (req) => listWarnings(s, req.query),
  );

  r.get(
    '/v1/warnings/statistics',
    {
      config: { access: { roles: ['analyst', 'supervisor', 'auditor'], orgKinds: ['anti_fraud_centre'] } },
      schema: {
        tags: ['warnings'],
        summary: 'Warnings opened and closed, outcomes, triggers, time to first contact, escalations',
        querystring: z.object({ days: z.coerce.number().int().min(1).max(366).optional() }),
        response: {
          200: z.object({
            from: iso,
            to: iso,
            opened: z.number().int(),
            closed: z.number().int(),
            byOutcome: z.record(z.string(), z.number().int()),
            byTrigger: z.record(z.string(), z.number().int()),
            medianMinutesToFirstContact: z.number().nullable(),
            escalations: z.number().int(),
            suppressed: z.number().int(),
          }),
          ...errors,
        },
      },
    },
    async (req) => warningStatistics(s, req.query.days ?? 30),
  );

  r.get(
    '/v1/warnings/:id',
    {
      config: { access: centre },
      schema: {
        tags: ['warnings'],
        summary:
          "One warning with triggers, timeline, call script and SMS text; the person's name and number in clear",
        description:
          'Reading it is a read of personal data with purpose `warning:<reference>`, in the access log.',
        params: idParams,
        response: { 200: Warning, ...errors },
      },
    },
    async (req) => getWarning(s, principalOf(req), req.params.id, { requestId: rid(req) }),
  );

  r.post(
    '/v1/warnings/:id/attempts',
    {
      config: { access: centre },
      schema: {
        tags: ['warnings'],
        summary: 'Record a contact attempt; unanswered on the active channel escalates to the next at once',
        params: idParams,
        body: z.strictObject({
          channel: z.enum(CHANNELS),
          result: z.enum(['answered', 'unanswered']),
          note: z.string().trim().max(2000).optional(),
        }),
        response: { 200: Warning, ...errors, 409: Problem },
      },
    },
    async (req) => recordAttempt(s, principalOf(req), req.params.id, req.body, { requestId: rid(req) }),
  );

  r.post(
    '/v1/warnings/:id/outcome',
    {
      config: { access: centre },
      schema: {
        tags: ['warnings'],
        summary: 'Record the outcome and close the warning (already_paid opens a fund case at once)',
        description:
          '`false_alarm` rejects the detection behind a potential-victim trigger and suppresses the same kind of ' +
          'trigger about the person for 7 days. 409 when the warning is closed already.',
        params: idParams,
        body: z.strictObject({
          kind: z.enum(OUTCOMES),
          note: z.string().trim().max(4000).optional(),
          payment: z
            .strictObject({
              amount: fen.min(1),
              payerAccount: z.string().trim().min(1).max(64),
              payeeAccount: z.string().trim().min(1).max(64),
              txnId: z.string().trim().min(1).max(100).optional(),
              paidAt: iso,
            })
            .optional()
            .describe('required for already_paid'),
        }),
        response: { 200: Warning, ...errors, 409: Problem },
      },
    },
    async (req) => recordOutcome(s, principalOf(req), req.params.id, req.body, { requestId: rid(req) }),
  );

  r.get(
    '/v1/warning-content',
    {
      config: { access: { roles: ['analyst', 'supervisor', 'auditor'], orgKinds: ['anti_fraud_centre'] } },
      schema: {
        tags: ['warnings'],
        summary:
          'The content library: SMS, push, call scripts and publicity by scam type, audience and language',
        querystring: z.object({
          scamType: z.string().max(60).optional(),
          audience: z.enum(AUDIENCES).optional(),
          channel: z.enum(CONTENT_CHANNELS).optional(),
          language: z.enum(LANGUAGES).optional(),
        }),
        response: { 200: z.object({ items: z.array(ContentItem) }), ...errors },
      },
    },
    async (req) => listContent(s.db, req.query),
  );

  r.post(
    '/v1/warning-content',
    {
      config: { access: supervisors },
      schema: {
        tags: ['warnings'],
        summary:
          'Add a text (one per scam type, audience, channel and language); an SMS or push with a link is 400',
        body: z.strictObject({
          scamType: z.string().trim().min(1).max(60).describe('a key of the scam taxonomy, or `general`'),
          audience: z.enum(AUDIENCES),
          channel: z.enum(CONTENT_CHANNELS),
          language: z.enum(LANGUAGES),
          title: noLinkText(200),
          body: noLinkText(8000),
        }),
        response: { 201: ContentItem, ...errors, 409: Problem },
      },
    },
    async (req, reply) =>
      reply.code(201).send(await createContent(s.db, principalOf(req), req.body, { requestId: rid(req) })),
  );

  r.put(
    '/v1/warning-content/:id',
    {
      config: { access: supervisors },
      schema: {
        tags: ['warnings'],
        summary:
          'Edit a text: give the version you read (a stale one is 409); an SMS or push with a link is 400',
        params: idParams,
        body: z.strictObject({
          title: noLinkText(200),
          body: noLinkText(8000),
          version: z.number().int().min(1),
        }),
        response: { 200: ContentItem, ...errors, 409: Problem },
      },
    },
    async (req) => updateContent(s.db, principalOf(req), req.params.id, req.body, { requestId: rid(req) }),
  );
}
