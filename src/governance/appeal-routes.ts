import crypto from 'node:crypto';
import { z } from 'zod';
import type { FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Api, Services } from '../api/types.ts';
import { principalOf } from '../api/access.ts';
import { Problem } from '../api/problem.ts';
import { AppError } from '../core/errors.ts';
import { audit } from '../core/audit.ts';
import {
  checkEvidence,
  cleanFileName,
  EVIDENCE_MAX_BYTES,
  EVIDENCE_TYPES,
  sendEvidence,
  storeEvidence,
} from '../reports/evidence.ts';
import {
  APPEAL_ACTIONS,
  APPEAL_CHANNELS,
  APPEAL_MEASURE_KINDS,
  APPEAL_STATUSES,
  APPEAL_SUBJECT_KINDS,
  COMPENSATION_STATUSES,
  HOLDER_ON_RECORD,
  USE_RESULTS,
  VERIFICATION_METHODS,
  VERIFICATION_RESULTS,
} from './appeal-tables.ts';
import {
  appealEvidence,
  appealStatistics,
  claimCompensation,
  decideAppeal,
  decideCompensation,
  getAppeal,
  getAppealReceipt,
  listAppeals,
  openAppealForEvidence,
  recordEvidenceAdded,
  submitAppeal,
  verifyAppeal,
  withdrawAppeal,
} from './appeals.ts';
import { measureNotice } from './notice.ts';
import { getInstruction } from './store.ts';
import { INSTRUCTION_STATUSES } from './tables.ts';

/**
 * Appeals over HTTP (docs/governance.md, "Appeals"). The appellant needs no account: the form,
 * the receipt, evidence, withdrawal and compensation claims are public and rate-limited, keyed by
 * the receipt code. Reviewers (the centre) and institutions (for appeals against their measures,
 * and at their counters) use the authenticated routes.
 */

const rid = (req: FastifyRequest) => String(req.id);
const iso = z.string().describe('ISO 8601');
const errors = { 400: Problem, 401: Problem, 403: Problem, 404: Problem };
const publicErrors = { 400: Problem, 404: Problem, 429: Problem };
const readers = {
  roles: ['analyst', 'supervisor', 'auditor', 'institution_operator', 'administrator'],
  scope: 'appeals:read',
} as const;
const reviewers = { roles: ['analyst', 'supervisor'], orgKinds: ['anti_fraud_centre'] } as const;
const counters = {
  roles: ['institution_operator', 'administrator'],
  orgKinds: ['telecom_operator', 'bank', 'internet_service'],
  scope: 'appeals:write',
} as const;

const AppealBody = z
  .strictObject({
    subject: z.strictObject({
      kind: z
        .enum(APPEAL_SUBJECT_KINDS)
        .describe(
          "msisdn, account, internet_account, notice (the notice's number) or person (a measure against me)",
        ),
      value: z
        .string()
        .trim()
        .max(500)
        .optional()
        .describe('the number, account, internet account or notice number'),
    }),
    appellant: z.strictObject({
      idNumber: z.string().trim().min(1).max(40).describe('identity number (PRC) or type:value'),
      name: z.string().trim().min(1).max(100),
      contactPhone: z.string().trim().max(40).optional().describe('where to reach the appellant'),
    }),
    explanation: z.string().trim().min(1).max(4000),
    language: z.enum(['zh', 'en']).optional(),
  })
  .meta({ id: 'NewAppeal' });

const Bilingual = z.object({ zh: z.string(), en: z.string() });

const ReceiptOut = z
  .object({
    receiptCode: z.string().describe('keep it: the only way to follow the appeal'),
    status: z.enum(APPEAL_STATUSES),
    respondBy: iso.describe('the service deadline for a decision'),
    message: Bilingual,
  })
  .meta({ id: 'AppealReceipt' });

const ReceiptView = z
  .object({
    receiptCode: z.string(),
    status: z.enum(APPEAL_STATUSES),
    receivedAt: iso,
    respondBy: iso,
    evidenceFiles: z.number().int(),
    decision: z
      .object({
        outcome: z.enum(['upheld', 'rejected']),
        reasons: z.string(),
        decidedAt: iso,
        restored: z.boolean().nullable().describe('upheld: every institution has restored the service'),
        furtherRemedies: Bilingual.nullable().describe('rejected: administrative review and litigation'),
      })
      .nullable(),
    compensation: z.array(
      z.object({
        status: z.enum(COMPENSATION_STATUSES),
        amount: z.string(),
        currency: z.string(),
        amountGranted: z.string().nullable(),
      }),
    ),
  })
  .meta({ id: 'AppealReceiptView' });

const Compensation = z
  .object({
    id: z.uuid(),
    amount: z.string(),
    currency: z.string(),
    description: z.string(),
    status: z.enum(COMPENSATION_STATUSES),
    amountGranted: z.string().nullable(),
    decisionReasons: z.string().nullable(),
    decidedBy: z.string().nullable(),
    decidedAt: iso.nullable(),
    createdAt: iso,
  })
  .meta({ id: 'CompensationClaim' });

const AppealSchema = z
  .object({
    id: z.uuid(),
    receiptCode: z.string(),
    status: z.enum(APPEAL_STATUSES),
    channel: z.enum(APPEAL_CHANNELS),
    counterOrganisationId: z.uuid().nullable(),
    subject: z.object({ kind: z.enum(APPEAL_SUBJECT_KINDS), value: z.string().describe('masked') }),
    appellant: z.string().describe('masked name and id number'),
    identityOnRecord: z.boolean().describe('the id number is on record and the name matches it'),
    holderOnRecord: z
      .enum(HOLDER_ON_RECORD)
      .describe("whose the card or account is by the institutions' records"),
    measureCount: z.number().int(),
    respondBy: iso,
    overdue: z.boolean(),
    verification: z.object({
      identity: z.enum(VERIFICATION_RESULTS).nullable(),
      use: z.enum(USE_RESULTS).nullable(),
      method: z.enum(VERIFICATION_METHODS).nullable(),
      note: z.string().nullable(),
      by: z.string().nullable(),
      at: iso.nullable(),
    }),
    decision: z.object({ reasons: z.string(), by: z.string(), at: iso }).nullable(),
    createdAt: iso,
    explanation: z.string().optional(),
    language: z.enum(['zh', 'en']).optional(),
    contact: z.string().nullable().optional().describe('masked'),
    measures: z
      .array(
        z.object({
          kind: z.enum(APPEAL_MEASURE_KINDS),
          id: z.uuid(),
          what: z.string(),
          target: z.string(),
          statusBefore: z.string(),
          status: z.string(),
          organisationId: z.uuid().nullable(),
          organisation: z.string().nullable(),
          liftedAt: iso.nullable(),
          restoreInstructionId: z.uuid().nullable(),
          restoreStatus: z.enum(INSTRUCTION_STATUSES).nullable(),
        }),
      )
      .optional(),
    timeline: z
      .array(
        z.object({
          at: iso,
          action: z.enum(APPEAL_ACTIONS),
          status: z.enum(APPEAL_STATUSES),
          actor: z.string(),
          actorKind: z.string(),
          organisationId: z.string().nullable(),
          note: z.string().nullable(),
        }),
      )
      .optional(),
    evidence: z
      .array(
        z.object({
          id: z.uuid(),
          fileName: z.string(),
          mediaType: z.string(),
          size: z.number().int(),
          createdAt: iso,
        }),
      )
      .optional(),
    compensation: z.array(Compensation).optional(),
    restoredAt: iso.nullable().optional(),
  })
  .meta({ id: 'Appeal' });

const codeParams = z.object({ code: z.string().min(1).max(20) });
const idParams = z.object({ id: z.uuid() });

const Range = z.object({ median: z.number().nullable(), p90: z.number().nullable() });
const Statistics = z
  .object({
    from: iso,
    to: iso,
    received: z.number().int(),
    open: z.number().int(),
    overdue: z.number().int(),
    upheld: z.number().int(),
    rejected: z.number().int(),
    withdrawn: z.number().int(),
    hoursToDecision: Range,
    minutesToRestoration: Range.extend({ pending: z.number().int() }),
    byInstitution: z.array(
      z.object({
        organisationId: z.uuid(),
        organisation: z.string(),
        appeals: z.number().int(),
        upheld: z.number().int(),
      }),
    ),
    byMeasure: z.array(
      z.object({ measure: z.string(), appeals: z.number().int(), upheld: z.number().int() }),
    ),
    lifted: z.object({
      instructions: z.number().int(),
      lifted: z.number().int(),
      share: z.number().nullable(),
    }),
    byDetector: z.array(
      z.object({
        detector: z.string(),
        instructions: z.number().int(),
        lifted: z.number().int(),
        share: z.number().nullable(),
      }),
    ),
    compensation: z.object({
      claims: z.number().int(),
      granted: z.number().int(),
      amountGranted: z.string(),
    }),
  })
  .meta({ id: 'AppealStatistics' });

export function appealRoutes(app: Api, s: Services): void {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.post(
    '/v1/appeals',
    {
      config: { access: { public: true, rateLimitPerMinute: 10 } },
      schema: {
        tags: ['appeals'],
        summary:
          'Appeal against a measure on your card, account, internet account or yourself (no account needed)',
        description:
          'Name the measure by number, account, internet account, the notice number, or `person` for a measure ' +
          'against you. The answer is always a receipt with the service deadline, whether or not a measure was ' +
          'found: nothing about measures, or about other people, shows here. A second appeal on the same measure ' +
          'while one is open joins it (same receipt).',
        body: AppealBody,
        response: { 201: ReceiptOut, 400: Problem, 429: Problem },
      },
    },
    async (req, reply) => {
      const out = await submitAppeal(s, req.body, { channel: 'web' }, { requestId: rid(req) });
      return reply.code(201).send({
        receiptCode: out.receiptCode,
        status: out.status,
        respondBy: out.respondBy,
        message: out.message,
      });
    },
  );

  r.post(
    '/v1/appeals/counter',
    {
      config: { access: counters },
      schema: {
        tags: ['appeals'],
        summary:
          "An appeal taken at an institution's counter on the person's behalf (identity checked in person)",
        body: AppealBody,
        response: {
          201: ReceiptOut.extend({ id: z.uuid(), joined: z.boolean().describe('it joined an open appeal') }),
          ...errors,
        },
      },
    },
    async (req, reply) => {
      const out = await submitAppeal(
        s,
        req.body,
        { channel: 'counter', principal: principalOf(req) },
        { requestId: rid(req) },
      );
      return reply.code(201).send(out);
    },
  );

  r.get(
    '/v1/appeals/receipts/:code',
    {
      config: { access: { public: true, rateLimitPerMinute: 30 } },
      schema: {
        tags: ['appeals'],
        summary: "An appeal's status and decision by its receipt code (public): no personal data",
        params: codeParams,
        response: { 200: ReceiptView, ...publicErrors },
      },
    },
    async (req) => getAppealReceipt(s.db, req.params.code),
  );

  r.post(
    '/v1/appeals/receipts/:code/withdraw',
    {
      config: { access: { public: true, rateLimitPerMinute: 10 } },
      schema: {
        tags: ['appeals'],
        summary: 'Withdraw an open appeal by its receipt code',
        params: codeParams,
        response: { 200: ReceiptView, ...publicErrors, 409: Problem },
      },
    },
    async (req) => withdrawAppeal(s, req.params.code, { requestId: rid(req) }),
  );

  r.post(
    '/v1/appeals/receipts/:code/compensation',
    {
      config: { access: { public: true, rateLimitPerMinute: 10 } },
      schema: {
        tags: ['appeals'],
        summary: 'Claim compensation for losses caused by a measure lifted on appeal, by the receipt code',
        params: codeParams,
        body: z.strictObject({
          amount: z.string().trim().max(20).describe('decimal, two places at most'),
          currency: z.string().trim().max(3).optional().describe('ISO 4217; default CNY'),
          description: z.string().trim().min(1).max(4000),
        }),
        response: { 201: ReceiptView, ...publicErrors, 409: Problem },
      },
    },
    async (req, reply) =>
      reply.code(201).send(await claimCompensation(s, req.params.code, req.body, { requestId: rid(req) })),
  );

  r.register(async (plain) => {
    const scope = plain.withTypeProvider<ZodTypeProvider>();
    // Evidence arrives as the raw file with its media type; the bytes are checked, not the name.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser(
      '*',
      { parseAs: 'buffer', bodyLimit: EVIDENCE_MAX_BYTES },
      (_req, body, done) => done(null, body),
    );
    scope.post(
      '/v1/appeals/receipts/:code/evidence',
      {
        config: { access: { public: true, rateLimitPerMinute: 10 } },
        bodyLimit: EVIDENCE_MAX_BYTES,
        schema: {
          tags: ['appeals'],
          summary:
            'Add an evidence file (bill, call records, statement, photo of the card) to an open appeal',
          description:
            `The body is the file itself, with its Content-Type (${Object.keys(EVIDENCE_TYPES).join(', ')}) and ` +
            'optionally X-File-Name; at most 10 files per appeal. A file whose content is not what its type says is refused (415).',
          params: codeParams,
          response: {
            201: z.object({
              id: z.uuid(),
              mediaType: z.string(),
              size: z.number().int(),
              sha256: z.string(),
            }),
            ...publicErrors,
            409: Problem,
            413: Problem,
            415: Problem,
          },
        },
      },
      async (req, reply) => {
        const body = req.body as Buffer | undefined;
        const bytes = Buffer.isBuffer(body) ? body : Buffer.alloc(0);
        const check = checkEvidence(String(req.headers['content-type'] ?? ''), bytes);
        if (!check.ok) throw new AppError(check.status, check.code, check.message);
        const a = await openAppealForEvidence(s.db, req.params.code);
        const n = await s.db
          .selectFrom('appeal_evidence')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('appeal_id', '=', a.id)
          .executeTakeFirstOrThrow();
        if (Number(n.n) >= 10) throw new AppError(409, 'evidence_full', 'an appeal holds at most 10 files');
        // The file first, then its row: a crash between leaves an unreferenced file, never a row without one.
        await storeEvidence(s.config.evidenceDir, check.sha256, bytes);
        const id = crypto.randomUUID();
        const fileName = cleanFileName(
          req.headers['x-file-name'] as string | undefined,
          EVIDENCE_TYPES[check.mediaType].ext,
        );
        await s.db
          .insertInto('appeal_evidence')
          .values({
            id,
            appeal_id: a.id,
            file_name: fileName,
            media_type: check.mediaType,
            size: bytes.length,
            sha256: check.sha256,
          })
          .execute();
        await recordEvidenceAdded(s.db, a.id, fileName);
        return reply
          .code(201)
          .send({ id, mediaType: check.mediaType, size: bytes.length, sha256: check.sha256 });
      },
    );
  });

  r.get(
    '/v1/appeals',
    {
      config: { access: readers },
      schema: {
        tags: ['appeals'],
        summary:
          'The review queue: appeals by service deadline (an institution sees those on its measures and counters)',
        querystring: z.object({
          status: z.enum(APPEAL_STATUSES).optional(),
          overdue: z
            .enum(['true', 'false'])
            .optional()
            .transform((v) => (v === undefined ? undefined : v === 'true')),
          limit: z.coerce.number().int().min(1).max(200).optional(),
          after: z.string().max(100).optional().describe('the `next` of the previous page'),
        }),
        response: { 200: z.object({ items: z.array(AppealSchema), next: z.string().nullable() }), ...errors },
      },
    },
    async (req) => listAppeals(s, principalOf(req), req.query),
  );

  r.get(
    '/v1/appeals/statistics',
    {
      config: { access: { roles: ['analyst', 'supervisor', 'auditor'], orgKinds: ['anti_fraud_centre'] } },
      schema: {
        tags: ['appeals'],
        summary:
          'Appeals received, upheld, time to decision and to restoration; the share of measures later lifted',
        querystring: z.object({
          from: z.string().max(40).optional().describe('ISO 8601; default 90 days before `to`'),
          to: z.string().max(40).optional().describe('ISO 8601; default now'),
        }),
        response: { 200: Statistics, ...errors },
      },
    },
    async (req) => appealStatistics(s, principalOf(req), req.query),
  );

  r.get(
    '/v1/appeals/:id',
    {
      config: { access: readers },
      schema: {
        tags: ['appeals'],
        summary:
          "One appeal with its measures, timeline, evidence and claims (a recorded read of the appellant's data)",
        params: idParams,
        response: { 200: AppealSchema, ...errors },
      },
    },
    async (req) => getAppeal(s, principalOf(req), req.params.id, { requestId: rid(req) }),
  );

  r.get(
    '/v1/appeals/:id/evidence/:evidenceId',
    {
      config: { access: readers },
      schema: {
        tags: ['appeals'],
        summary: "Download one of an appeal's evidence files (every download is in the audit trail)",
        params: z.object({ id: z.uuid(), evidenceId: z.uuid() }),
      },
    },
    async (req, reply) => {
      const p = principalOf(req);
      const e = await appealEvidence(s, p, req.params.id, req.params.evidenceId);
      await audit(
        s.db,
        p,
        {
          action: 'appeal.evidence_read',
          targetKind: 'appeal',
          targetId: e.appeal_id,
          details: { evidence: e.id },
        },
        rid(req),
      );
      return sendEvidence(reply, s.config.evidenceDir, e);
    },
  );

  r.post(
    '/v1/appeals/:id/verification',
    {
      config: { access: { ...readers, scope: 'appeals:write' } },
      schema: {
        tags: ['appeals'],
        summary:
          "Record the re-verification of the appellant's identity and real use (the centre, or the institution)",
        params: idParams,
        body: z.strictObject({
          identity: z.enum(VERIFICATION_RESULTS),
          use: z.enum(USE_RESULTS).describe('real use of the card or account by the appellant'),
          method: z.enum(VERIFICATION_METHODS),
          note: z.string().trim().max(2000).optional(),
        }),
        response: { 200: AppealSchema, ...errors, 409: Problem },
      },
    },
    async (req) => verifyAppeal(s, principalOf(req), req.params.id, req.body, { requestId: rid(req) }),
  );

  r.post(
    '/v1/appeals/:id/decision',
    {
      config: { access: reviewers },
      schema: {
        tags: ['appeals'],
        summary: 'Uphold (lift every measure at once) or reject an appeal, with written reasons',
        description:
          'By an analyst or supervisor who neither issued nor approved its measures (403 otherwise). Upholding ' +
          'needs identity and use verified (409 otherwise) and, in one transaction, lifts the instructions, sends ' +
          'restore instructions to the institutions that had received them, and delists the listings.',
        params: idParams,
        body: z.strictObject({
          outcome: z.enum(['upheld', 'rejected']),
          reasons: z.string().trim().min(1).max(4000).describe('shown to the appellant'),
        }),
        response: { 200: AppealSchema, ...errors, 409: Problem },
      },
    },
    async (req) => decideAppeal(s, principalOf(req), req.params.id, req.body, { requestId: rid(req) }),
  );

  r.post(
    '/v1/compensation-claims/:id/decision',
    {
      config: { access: { roles: ['supervisor'], orgKinds: ['anti_fraud_centre'] } },
      schema: {
        tags: ['appeals'],
        summary: 'Decide a compensation claim: granted, partly granted (an amount) or refused, with reasons',
        params: idParams,
        body: z.strictObject({
          outcome: z.enum(['granted', 'partly_granted', 'refused']),
          amountGranted: z.string().trim().max(20).optional().describe('partly_granted: the amount'),
          reasons: z.string().trim().min(1).max(4000),
        }),
        response: { 200: Compensation, ...errors, 409: Problem },
      },
    },
    async (req) => decideCompensation(s, principalOf(req), req.params.id, req.body, { requestId: rid(req) }),
  );

  r.get(
    '/v1/instructions/:id/notice',
    {
      config: {
        access: {
          roles: ['analyst', 'supervisor', 'auditor', 'institution_operator', 'administrator'],
          scope: 'instructions:read',
        },
      },
      schema: {
        tags: ['governance'],
        summary:
          'The notice the institution gives the holder: the measure, its reason and basis, how to appeal',
        params: idParams,
        response: { 200: Bilingual, ...errors },
      },
    },
    async (req) => measureNotice(await getInstruction(s, principalOf(req), req.params.id)),
  );
}
