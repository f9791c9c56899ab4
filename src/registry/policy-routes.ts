import { z } from 'zod';
import type { FastifyRequest } from 'fastify';
import type { Api, Services } from '../api/types.ts';
import { principalOf } from '../api/access.ts';
import { Problem } from '../api/problem.ts';
import { conflict } from '../core/errors.ts';
import { INDICATOR_KINDS } from '../core/normalize/index.ts';
import { ACTIONS, EVENT_KINDS, SCAM_CATEGORY_LIST, type ScamCategory } from './engine/index.ts';
import type { DecisionNode } from './decisions.ts';
import {
  createPolicyVersion,
  getPolicyVersion,
  listPolicies,
  POLICY_STATES,
  setPolicyState,
  type PolicyVersion,
} from './policies.ts';

/**
 * Decision policies over HTTP (docs/decisions.md, "Policies"): read them, save a new version as a
 * draft, replay it on this node's recent traffic, run it in shadow beside the active version, see
 * how many live decisions it would change, and switch it on. The centre's supervisors and
 * administrators change any policy; an institution's administrators change their institution's.
 */

const Action = z.enum(ACTIONS);
const Rule = z.strictObject({
  categories: z
    .array(z.enum(SCAM_CATEGORY_LIST as [ScamCategory, ...ScamCategory[]]))
    .min(1)
    .optional()
    .describe('listing categories covered (default all)'),
  minConfidence: z.number().min(0).max(1).optional().describe('lowest listing confidence covered'),
  kinds: z.array(z.enum(INDICATOR_KINDS)).min(1).optional().describe('listing kinds covered (default all)'),
  partyRoles: z
    .array(z.string().min(1).max(40))
    .min(1)
    .optional()
    .describe('roles of the matching party: caller, sender, payee, content_url…'),
  action: Action,
  reason: z
    .string()
    .regex(/^[a-z][a-z0-9_]{0,39}$/)
    .optional()
    .describe('reason code reported with matches this rule decides'),
});
const ContentRule = z.strictObject({
  categories: z
    .array(z.enum(SCAM_CATEGORY_LIST as [ScamCategory, ...ScamCategory[]]))
    .min(1)
    .optional()
    .describe('classifier labels covered (default every scam category)'),
  minProbability: z.number().min(0).max(1).describe('lowest classifier probability covered'),
  action: Action,
  reason: z
    .string()
    .regex(/^[a-z][a-z0-9_]{0,39}$/)
    .optional()
    .describe('reason code (default scam_text)'),
});
const Channel = z.enum(['*', ...EVENT_KINDS] as [string, ...string[]]);
const Ref = z.object({ id: z.string(), version: z.number().int() });

const PolicyVersionSchema = z
  .object({
    id: z.string(),
    version: z.number().int(),
    channel: Channel,
    institutionId: z.string().nullable(),
    rules: z.array(Rule),
    default: Action,
    onMalformed: Action.optional(),
    contentRules: z.array(ContentRule).optional(),
    description: z.string().optional(),
    state: z.enum(POLICY_STATES),
    createdBy: z.string(),
    createdAt: z.string(),
    stateChangedBy: z.string(),
    stateChangedAt: z.string(),
  })
  .meta({ id: 'PolicyVersion' });

const ShadowReportSchema = z
  .object({
    active: Ref.nullable(),
    shadow: Ref.nullable(),
    total: z.number().int().describe('decisions compared'),
    changed: z.number().int().describe('decisions the shadow would decide differently'),
    changedShare: z.number(),
    transitions: z.array(z.object({ from: Action, to: Action, count: z.number().int() })),
  })
  .meta({ id: 'ShadowReport' });

const errors = { 400: Problem, 401: Problem, 403: Problem, 404: Problem };
const readers = {
  roles: ['analyst', 'supervisor', 'auditor', 'administrator'],
  scope: 'policies:read',
} as const;
const changers = { roles: ['supervisor', 'administrator'] } as const;
const Params = z.object({ id: z.string().min(1).max(64), version: z.coerce.number().int().positive() });

function json(v: PolicyVersion) {
  return {
    ...v.policy,
    state: v.state,
    createdBy: v.createdBy,
    createdAt: v.createdAt.toISOString(),
    stateChangedBy: v.stateChangedBy,
    stateChangedAt: v.stateChangedAt.toISOString(),
  };
}

const rid = (req: FastifyRequest) => String(req.id);

export function policyRoutes(node: DecisionNode) {
  return (app: Api, s: Services): void => {
    const { db, bus } = s;

    app.get(
      '/v1/policies',
      {
        config: { access: readers },
        schema: {
          tags: ['decisions'],
          summary:
            'Decision policies and their versions (newest first); institutions see national and their own',
          querystring: z.object({
            state: z.enum(POLICY_STATES).optional(),
            id: z.string().max(64).optional(),
          }),
          response: { 200: z.object({ items: z.array(PolicyVersionSchema) }), ...errors },
        },
      },
      async (req) => ({ items: (await listPolicies(db, principalOf(req), req.query)).map(json) }),
    );

    app.post(
      '/v1/policies',
      {
        config: { access: changers },
        schema: {
          tags: ['decisions'],
          summary: 'Save a new version of a policy as a draft (version = last + 1)',
          description:
            'Rules are evaluated top-down for every matched listing; the first rule covering it decides, else ' +
            '`default`. A policy id stays on one channel and institution (409 policy_slot_mismatch otherwise).',
          body: z.strictObject({
            id: z.string().min(1).max(64),
            channel: Channel,
            institutionId: z.uuid().nullable().describe('null: the national policy'),
            rules: z.array(Rule).max(200),
            default: Action,
            onMalformed: Action.optional(),
            contentRules: z
              .array(ContentRule)
              .max(50)
              .optional()
              .describe('sms: what a text the classifier reads as a scam leads to'),
            description: z.string().max(1000).optional(),
          }),
          response: { 201: PolicyVersionSchema, ...errors, 409: Problem },
        },
      },
      async (req, reply) => {
        const b = req.body;
        const v = await createPolicyVersion(
          db,
          bus,
          principalOf(req),
          {
            id: b.id,
            channel: b.channel as never,
            institutionId: b.institutionId,
            rules: b.rules,
            default: b.default,
            ...(b.onMalformed ? { onMalformed: b.onMalformed } : {}),
            ...(b.contentRules ? { contentRules: b.contentRules } : {}),
            ...(b.description !== undefined ? { description: b.description } : {}),
          },
          rid(req),
        );
        return reply.code(201).send(json(v));
      },
    );

    app.get(
      '/v1/policies/:id/versions/:version',
      {
        config: { access: readers },
        schema: {
          tags: ['decisions'],
          summary: 'One policy version',
          params: Params,
          response: { 200: PolicyVersionSchema, ...errors },
        },
      },
      async (req) => json(await getPolicyVersion(db, principalOf(req), req.params.id, req.params.version)),
    );

    app.post(
      '/v1/policies/:id/versions/:version/replay',
      {
        config: { access: readers },
        schema: {
          tags: ['decisions'],
          summary: "Replay this node's recent decisions through the version: how many it would change",
          description:
            'Each node keeps its last decisions in memory (INTERDICT_RECENT_EVENTS, default 20,000) and compares ' +
            'the policy in force for each event with this version, for events of its channel and institution. ' +
            'Sightings are not counted. With several nodes, each replays its own traffic.',
          params: Params,
          response: { 200: ShadowReportSchema, ...errors, 503: Problem },
        },
      },
      async (req) => {
        const v = await getPolicyVersion(db, principalOf(req), req.params.id, req.params.version);
        const p = v.policy;
        const events = node
          .recentEvents()
          .filter(
            (e) =>
              (p.channel === '*' || e.kind === p.channel) &&
              (p.institutionId === null || e.institutionId === p.institutionId),
          );
        return node.engine.replayShadow(events, p).toJSON();
      },
    );

    app.get(
      '/v1/policies/:id/versions/:version/shadow-report',
      {
        config: { access: readers },
        schema: {
          tags: ['decisions'],
          summary: 'Live decisions this node made while the version ran in shadow: how many it would change',
          params: Params,
          response: { 200: ShadowReportSchema, ...errors, 409: Problem },
        },
      },
      async (req) => {
        const v = await getPolicyVersion(db, principalOf(req), req.params.id, req.params.version);
        if (v.state !== 'shadow')
          throw conflict('not_in_shadow', `policy ${v.policy.id} version ${v.policy.version} is ${v.state}`);
        await node.loadPolicies();
        const live = node.engine
          .shadowReports()
          .filter((r) => r.shadow?.id === v.policy.id && r.shadow.version === v.policy.version);
        const out = {
          active: live[0]?.active ?? null,
          shadow: { id: v.policy.id, version: v.policy.version },
          total: 0,
          changed: 0,
          changedShare: 0,
          transitions: [] as { from: string; to: string; count: number }[],
        };
        const counts = new Map<string, number>();
        for (const r of live) {
          const j = r.toJSON();
          out.total += j.total;
          out.changed += j.changed;
          for (const t of j.transitions)
            counts.set(`${t.from}>${t.to}`, (counts.get(`${t.from}>${t.to}`) ?? 0) + t.count);
        }
        out.changedShare = out.total ? out.changed / out.total : 0;
        out.transitions = [...counts].map(([k, count]) => {
          const [from, to] = k.split('>') as [string, string];
          return { from, to, count };
        });
        return out as z.infer<typeof ShadowReportSchema>;
      },
    );

    const transition = (to: 'shadow' | 'active' | 'retired' | 'draft', summary: string, path: string) =>
      app.post(
        `/v1/policies/:id/versions/:version/${path}`,
        {
          config: { access: changers },
          schema: {
            tags: ['decisions'],
            summary,
            params: Params,
            body: z.strictObject({ reason: z.string().trim().min(1).max(1000) }).nullish(),
            response: { 200: PolicyVersionSchema, ...errors, 409: Problem },
          },
        },
        async (req) => {
          const v = await setPolicyState(db, bus, principalOf(req), req.params.id, req.params.version, to, {
            ...(req.body?.reason ? { reason: req.body.reason } : {}),
            requestId: rid(req),
          });
          // This node applies it before answering; others follow the policy.changed event.
          await node.loadPolicies();
          return json(v);
        },
      );
    transition(
      'shadow',
      'Run the version in shadow beside the active one (replaces any other shadow of the policy)',
      'shadow',
    );
    transition(
      'active',
      'Switch the version on: it becomes the policy in force; the previous version is retired',
      'activate',
    );
    transition(
      'retired',
      'Retire the version (an active one: the next policy in the selection order applies)',
      'retire',
    );
    transition('draft', 'Take the version out of shadow, back to draft', 'unshadow');
  };
}
