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
  SCAM_CATEGORIES,
  SCAM_CATEGORY_LIST,
  type DecisionEvent,
} from './engine/index.ts';
import type { DecisionNode } from './decisions.ts';
import { guessKind } from './guess.ts';
import {
  ApplicantSchema,
  checkOpenings,
  withOpeningOutcome,
  type OpeningCheck,
  type OpeningKind,
} from '../governance/person-lists-openings.ts';

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
    applicant: ApplicantSchema.optional(),
    coolingOff: z
      .boolean()
      .optional()
      .describe(
        'transfer: ask for a cooling-off hold when the payer is under an active warning or the payee is flagged',
      ),
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
    content: z
      .object({ label: z.string(), probability: z.number() })
      .optional()
      .describe("sms: the message classifier's reading of the text, when it reads a scam"),
    hold: z
      .object({
        minutes: z.number().int(),
        until: z.string(),
        warningReference: z.string().nullable(),
        reasons: z.array(z.object({ code: z.string(), zh: z.string(), en: z.string() })),
      })
      .optional()
      .describe('transfer with coolingOff: hold the transfer until `until`, showing the payer the reasons'),
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

/**
 * The openings naming an applicant, checked against the credit-punishment list (one database read;
 * none when no event names one). An applicant on another kind of event is a 400.
 */
function openingChecks(
  events: readonly z.infer<typeof DecisionEventSchema>[],
  batch: boolean,
): OpeningCheck[] {
  const checks: OpeningCheck[] = [];
  for (const [i, e] of events.entries()) {
    if (!e.applicant) continue;
    const label = batch ? `events[${i}].applicant` : 'applicant';
    if (e.kind !== 'card_opening' && e.kind !== 'account_opening')
      throw new AppError(
        400,
        'applicant_not_applicable',
        `${label} applies to card_opening and account_opening events only`,
      );
    checks.push({ index: i, kind: e.kind as OpeningKind, applicant: e.applicant, label });
  }
  return checks;
}

function toEngineEvent(e: z.infer<typeof DecisionEventSchema>, institutionId: string): DecisionEvent {
  return {
    kind: e.kind,
    parties: e.parties,
    ...(e.content !== undefined ? { content: e.content } : {}),
    ...(e.occurredAt ? { occurredAt: Date.parse(e.occurredAt) } : {}),
    institutionId,
  };
}

/** The event a citizen's check stands for: a number calling them, a link, an account to pay. */
const CHECK_EVENTS: Record<string, { kind: DecisionEvent['kind']; role: string }> = {
  phone: { kind: 'call', role: 'caller' },
  url: { kind: 'url_visit', role: 'url' },
  domain: { kind: 'url_visit', role: 'url' },
  bank_account: { kind: 'transfer', role: 'payee' },
  payment_account: { kind: 'transfer', role: 'payee' },
  internet_account: { kind: 'account_opening', role: 'applicant' },
  app: { kind: 'url_visit', role: 'app' },
};

export const CheckResult = z
  .object({
    verdict: z.enum(['listed', 'not_listed', 'unreadable']),
    action: Action,
    kind: z.enum(INDICATOR_KINDS),
    categories: z.array(z.object({ code: z.string(), zh: z.string(), en: z.string() })),
    reasons: z.array(z.object({ code: z.string(), zh: z.string(), en: z.string() })),
    advice: z.object({ zh: z.string(), en: z.string() }),
  })
  .meta({ id: 'CheckResult' });

const ADVICE = {
  listed: {
    zh: '这是已登记的涉诈信息。请勿接听、回拨、点击或转账；如已转账，请立即拨打 110 或 96110。',
    en: 'This is registered as used in fraud. Do not answer, call back, click or pay; if you already paid, call 110 or 96110 now.',
  },
  not_listed: {
    zh: '暂未登记为涉诈信息，但不代表安全。凡是要求转账、验证码或屏幕共享的，都是诈骗。',
    en: 'Not registered as fraud, which does not make it safe: anyone asking for a transfer, a verification code or screen sharing is a scammer.',
  },
  unreadable: {
    zh: '无法识别这个号码、链接或账号，请检查后重试。',
    en: 'This number, link or account could not be read; check it and try again.',
  },
} as const;

const CHECK_KINDS = [
  'phone',
  'url',
  'domain',
  'bank_account',
  'payment_account',
  'internet_account',
  'app',
] as const;

export function decisionRoutes(node: DecisionNode) {
  return (app: Api, s: Services): void => {
    const notReady = () =>
      new AppError(503, 'decisions_not_ready', 'the decision engine is still loading the registry');

    app.post(
      '/v1/check',
      {
        config: { access: { public: true, rateLimitPerMinute: 30 } },
        schema: {
          tags: ['decisions'],
          summary:
            "A citizen's check of a number, link or account before trusting it (public, rate-limited; apps should prefer the private hash-prefix lookup)",
          body: z.strictObject({
            value: z.string().trim().min(1).max(2048),
            kind: z.enum(CHECK_KINDS).optional(),
          }),
          response: { 200: CheckResult, 400: Problem, 429: Problem, 503: Problem },
        },
      },
      async (req) => {
        if (!node.ready) throw notReady();
        const kind = req.body.kind ?? guessKind(req.body.value);
        const ev = CHECK_EVENTS[kind] ?? { kind: 'call' as const, role: 'caller' };
        const d = node.engine.decide({
          kind: ev.kind,
          parties: [{ role: ev.role, kind, value: req.body.value }],
        });
        const verdict: keyof typeof ADVICE =
          d.matches.length > 0 ? 'listed' : d.warnings.length > 0 ? 'unreadable' : 'not_listed';
        const seen = new Set<string>();
        const categories = [];
        for (const m of d.matches) {
          if (seen.has(m.category)) continue;
          seen.add(m.category);
          categories.push({
            code: m.category,
            zh: SCAM_CATEGORIES[m.category].zh,
            en: SCAM_CATEGORIES[m.category].en,
          });
        }
        return {
          verdict,
          action: d.action,
          kind,
          categories,
          reasons: d.reasons.map((r) => ({ code: r.code, zh: r.zh, en: r.en })),
          advice: ADVICE[verdict],
        };
      },
    );

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
        const principal = principalOf(req);
        const checks = req.body.applicant ? openingChecks([req.body], false) : null;
        // The applicant stays out of the engine's event (and of the node's replay memory).
        const event = toEngineEvent(req.body, principal.organisationId);
        node.remember([event]);
        let d = node.engine.decide(event);
        if (d.content !== undefined) node.noteScamText(event, d.content);
        d = node.afterDecision(event, d, req.body.coolingOff === true);
        if (!checks) return d as unknown as DecisionOut;
        const listed = await checkOpenings(s, principal, checks, { requestId: String(req.id) });
        return withOpeningOutcome(d, listed.get(0)) as unknown as DecisionOut;
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
        const principal = principalOf(req);
        const checks = req.body.events.some((e) => e.applicant) ? openingChecks(req.body.events, true) : null;
        const events = req.body.events.map((e) => toEngineEvent(e, principal.organisationId));
        node.remember(events);
        const ds = node.engine.decideBatch(events);
        for (let i = 0; i < ds.length; i++) {
          const c = ds[i]!.content;
          if (c !== undefined) node.noteScamText(events[i]!, c);
          ds[i] = node.afterDecision(events[i]!, ds[i]!, req.body.events[i]!.coolingOff === true);
        }
        if (!checks) return { decisions: ds as unknown as DecisionOut[] };
        const listed = await checkOpenings(s, principal, checks, { requestId: String(req.id) });
        return {
          decisions: ds.map((d, i) => withOpeningOutcome(d, listed.get(i))) as unknown as DecisionOut[],
        };
      },
    );
  };
}
