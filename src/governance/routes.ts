import { z } from 'zod';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Api, Services } from '../api/types.ts';
import { principalOf } from '../api/access.ts';
import { Problem } from '../api/problem.ts';
import { scheduleClaimedJob } from '../core/jobs.ts';
import { LEGAL_BASES, LEGAL_BASIS_IDS } from './catalogue.ts';
import {
  CARD_FUNCTIONS,
  INSTRUCTION_ACTIONS,
  INSTRUCTION_MEASURES,
  INSTRUCTION_STATUSES,
  TARGET_KINDS,
} from './tables.ts';
import {
  acknowledgeInstruction,
  approveInstruction,
  createInstruction,
  escalateOverdue,
  getInstruction,
  instructFromDetections,
  listInstructions,
  withdrawInstruction,
} from './store.ts';

/**
 * Disposal instructions over HTTP (docs/governance.md): the centre's analysts and supervisors
 * issue, approve and withdraw; each operator, bank or internet service pulls its inbox (users, or
 * API keys with `instructions:read`) and acknowledges receipt and execution or contests
 * (`instructions:write`). Overdue instructions are escalated every minute by one node.
 */

/** How often overdue instructions are looked for. */
export const ESCALATE_EVERY_MS = 60_000;

const errors = { 400: Problem, 401: Problem, 403: Problem, 404: Problem };
const issuers = { roles: ['analyst', 'supervisor'], orgKinds: ['anti_fraud_centre'] } as const;
const readers = {
  roles: ['analyst', 'supervisor', 'auditor', 'institution_operator', 'administrator'],
  scope: 'instructions:read',
} as const;
const institutions = {
  roles: ['institution_operator', 'administrator'],
  orgKinds: ['telecom_operator', 'bank', 'internet_service'],
  scope: 'instructions:write',
} as const;

const iso = z.string().describe('ISO 8601');

const TimelineEntry = z.object({
  at: iso,
  action: z.enum(INSTRUCTION_ACTIONS),
  status: z.enum(INSTRUCTION_STATUSES).describe('the status after the change'),
  actor: z.string(),
  actorKind: z.string(),
  organisationId: z.string().nullable(),
  note: z.string().nullable(),
});

const InstructionSchema = z
  .object({
    id: z.uuid(),
    status: z.enum(INSTRUCTION_STATUSES),
    target: z.object({
      kind: z.enum(TARGET_KINDS),
      value: z.string().describe("the value; a holder's masked id number"),
      masked: z.boolean(),
    }),
    measure: z.enum(INSTRUCTION_MEASURES),
    functions: z.array(z.enum(CARD_FUNCTIONS)),
    reason: z.string(),
    legalBasis: z.enum(LEGAL_BASIS_IDS),
    issuingOrganisationId: z.uuid(),
    issuedBy: z.string(),
    receivingOrganisationId: z.uuid(),
    receivingOrganisation: z.string(),
    timeZone: z.string().describe("the receiving institution's IANA time zone"),
    deadlineMinutes: z.number().int(),
    deadline: iso.nullable().describe('execute by (null until issued)'),
    deadlineLocal: z
      .string()
      .nullable()
      .describe("the deadline in the institution's local time, with offset"),
    expiresAt: iso.describe('expiry or review date'),
    expiresAtLocal: z.string(),
    detectionId: z.uuid().nullable(),
    listingId: z.uuid().nullable(),
    approvedBy: z.string().nullable(),
    approvedAt: iso.nullable(),
    issuedAt: iso.nullable(),
    receivedAt: iso.nullable(),
    executedAt: iso.nullable(),
    executionNote: z.string().nullable(),
    contestedAt: iso.nullable(),
    contestReason: z.string().nullable(),
    withdrawnAt: iso.nullable(),
    withdrawReason: z.string().nullable(),
    overdue: z.boolean().describe('escalated: the deadline passed before execution'),
    overdueAt: iso.nullable(),
    restoresInstructionId: z.uuid().nullable().describe('restore: the instruction whose measure it undoes'),
    appealId: z.uuid().nullable().describe('lifted, or a restore: the upheld appeal behind it'),
    createdAt: iso,
    timeline: z.array(TimelineEntry).optional().describe('detail only: every change, oldest first'),
    restoredBy: z
      .array(z.uuid())
      .optional()
      .describe('detail only: the restore instructions sent to undo this one'),
  })
  .meta({ id: 'Instruction' });

const deadlineMinutes = z
  .number()
  .int()
  .min(1)
  .max(31 * 24 * 60)
  .optional()
  .describe('minutes from issue to execute; default by measure');
const expiresAt = z
  .string()
  .max(40)
  .optional()
  .describe('expiry or review date (ISO 8601); default by measure');
const legalBasis = z.enum(LEGAL_BASIS_IDS).describe('an article of the legal-basis catalogue');

const NewInstruction = z
  .strictObject({
    target: z.strictObject({ kind: z.enum(TARGET_KINDS), value: z.string().trim().min(1).max(500) }),
    measure: z.enum(INSTRUCTION_MEASURES),
    functions: z.array(z.enum(CARD_FUNCTIONS)).max(4).optional().describe('restrict_functions only'),
    reason: z.string().trim().min(1).max(2000),
    legalBasis,
    receivingOrganisationId: z.uuid().describe('an operator, bank or internet service'),
    deadlineMinutes,
    expiresAt,
    detectionId: z.uuid().optional(),
    listingId: z.uuid().optional(),
    ref: z
      .string()
      .trim()
      .min(1)
      .max(200)
      .optional()
      .describe("the issuer's own reference: sending it again answers the first instruction"),
  })
  .meta({ id: 'NewInstruction' });

const idParams = z.object({ id: z.uuid() });

export function governanceRoutes(app: Api, s: Services): void {
  const r = app.withTypeProvider<ZodTypeProvider>();

  // One node per period runs it: the claim makes the others skip.
  scheduleClaimedJob(app, s, 'governance.escalate_overdue', ESCALATE_EVERY_MS, (now) =>
    escalateOverdue(s, now),
  );

  r.get(
    '/v1/instructions/legal-bases',
    {
      config: { access: readers },
      schema: {
        tags: ['governance'],
        summary: 'The legal bases an instruction can cite',
        response: {
          200: z.object({
            items: z.array(
              z.object({ id: z.string(), article: z.number().int(), zh: z.string(), en: z.string() }),
            ),
          }),
          ...errors,
        },
      },
    },
    async () => ({ items: LEGAL_BASES.map((b) => ({ ...b })) }),
  );

  r.post(
    '/v1/instructions',
    {
      config: { access: issuers },
      schema: {
        tags: ['governance'],
        summary: 'Issue a disposal instruction to an operator, bank or internet service',
        description:
          "An analyst's suspend_card, suspend_internet_account or refuse_new_cards_accounts waits for a supervisor " +
          '(status awaiting_approval); everything else, and all of a supervisor’s, goes out at once. ' +
          'With a detectionId, the same detection and measure twice answers the existing instruction (200).',
        body: NewInstruction,
        response: { 200: InstructionSchema, 201: InstructionSchema, ...errors },
      },
    },
    async (req, reply) => {
      const { instruction, created } = await createInstruction(s, principalOf(req), req.body, {
        requestId: String(req.id),
      });
      return reply.code(created ? 201 : 200).send(instruction);
    },
  );

  r.post(
    '/v1/instructions/from-detections',
    {
      config: { access: issuers },
      schema: {
        tags: ['governance'],
        summary: "Instructions from confirmed detections' recommended measures",
        description:
          'restrict on a card → restrict_functions (outgoing calls, SMS); on an account → restrict_account_non_counter; ' +
          're_verify → re_verify of the card, account or holder; flags and warnings are no instructions. The ' +
          'institution whose data fired the detection receives it. Not confirmed → 409 naming them. Idempotent per ' +
          'detection and measure. An analyst’s request creating more than the approval threshold waits for a supervisor.',
        body: z.strictObject({
          detectionIds: z.array(z.uuid()).min(1).max(500),
          reason: z
            .string()
            .trim()
            .max(2000)
            .optional()
            .describe("default: the detector's reason for each measure"),
          legalBasis,
          deadlineMinutes,
          expiresAt,
        }),
        response: {
          200: z.object({
            created: z.array(InstructionSchema),
            existing: z
              .array(InstructionSchema)
              .describe('already instructed for the same detection and measure'),
            skipped: z.array(z.object({ detectionId: z.uuid(), measure: z.string(), reason: z.string() })),
          }),
          ...errors,
          409: Problem,
        },
      },
    },
    async (req) => instructFromDetections(s, principalOf(req), req.body, { requestId: String(req.id) }),
  );

  r.get(
    '/v1/instructions',
    {
      config: { access: readers },
      schema: {
        tags: ['governance'],
        summary: 'The centre: every instruction; an institution: its inbox (newest first)',
        querystring: z.object({
          status: z.enum(INSTRUCTION_STATUSES).optional(),
          institution: z.uuid().optional().describe('centre only: one receiving institution'),
          measure: z.enum(INSTRUCTION_MEASURES).optional(),
          overdue: z
            .enum(['true', 'false'])
            .transform((v) => v === 'true')
            .optional(),
          limit: z.coerce.number().int().min(1).max(500).optional(),
          after: z.string().max(200).optional().describe('the `next` of the previous page'),
        }),
        response: {
          200: z.object({ items: z.array(InstructionSchema), next: z.string().nullable() }),
          ...errors,
        },
      },
    },
    async (req) => listInstructions(s, principalOf(req), req.query),
  );

  r.get(
    '/v1/instructions/:id',
    {
      config: { access: readers },
      schema: {
        tags: ['governance'],
        summary: 'One instruction with its timeline',
        params: idParams,
        response: { 200: InstructionSchema, ...errors },
      },
    },
    async (req) => getInstruction(s, principalOf(req), req.params.id),
  );

  r.post(
    '/v1/instructions/:id/approve',
    {
      config: { access: { roles: ['supervisor'], orgKinds: ['anti_fraud_centre'] } },
      schema: {
        tags: ['governance'],
        summary: 'Approve an instruction awaiting approval (a supervisor other than its issuer): it goes out',
        params: idParams,
        body: z.strictObject({ note: z.string().trim().max(1000).optional() }).nullish(),
        response: { 200: InstructionSchema, ...errors, 409: Problem },
      },
    },
    async (req) =>
      approveInstruction(s, principalOf(req), req.params.id, {
        requestId: String(req.id),
        note: req.body?.note || undefined,
      }),
  );

  r.post(
    '/v1/instructions/:id/withdraw',
    {
      config: { access: issuers },
      schema: {
        tags: ['governance'],
        summary: 'Withdraw an instruction (after a contest, or a mistake); again: unchanged',
        params: idParams,
        body: z.strictObject({ reason: z.string().trim().min(1).max(2000) }),
        response: { 200: InstructionSchema, ...errors, 409: Problem },
      },
    },
    async (req) =>
      withdrawInstruction(s, principalOf(req), req.params.id, req.body.reason, { requestId: String(req.id) }),
  );

  const ackRoute = (
    path: string,
    ack: 'receipt' | 'execution' | 'contest',
    summary: string,
    body: z.ZodType<{ note?: string | undefined; reason?: string | undefined } | null | undefined>,
  ) =>
    r.post(
      `/v1/instructions/:id/${path}`,
      {
        config: { access: institutions },
        schema: {
          tags: ['governance'],
          summary,
          description:
            'The receiving institution only (others: 404). A repeat answers 200 with the instruction unchanged; ' +
            'out of order (execution before receipt, anything after withdrawal) is 409.',
          params: idParams,
          body,
          response: { 200: InstructionSchema, ...errors, 409: Problem },
        },
      },
      async (req) =>
        acknowledgeInstruction(s, principalOf(req), req.params.id, ack, req.body ?? {}, {
          requestId: String(req.id),
        }),
    );

  ackRoute('receipt', 'receipt', 'Acknowledge receipt of an instruction', z.strictObject({}).nullish());
  ackRoute(
    'execution',
    'execution',
    'Acknowledge execution of a received instruction',
    z.strictObject({ note: z.string().trim().max(2000).optional() }).nullish(),
  );
  ackRoute(
    'contest',
    'contest',
    'Contest an instruction with a reason; the centre withdraws or reissues it',
    z.strictObject({ reason: z.string().trim().min(1).max(2000) }),
  );
}
