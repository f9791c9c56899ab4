import crypto from 'node:crypto';
import { z } from 'zod';
import type { FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Api, Services } from '../api/types.ts';
import { principalOf } from '../api/access.ts';
import { Problem } from '../api/problem.ts';
import { audit } from '../core/audit.ts';
import { AppError, forbidden, notFound } from '../core/errors.ts';
import { SCAM_CATEGORY_LIST, type ScamCategory } from '../registry/engine/taxonomy.ts';
import { defaultClassifier } from './classify.ts';
import { classify, predict } from './classifier/index.ts';
import { collectScamTexts, decideCandidate, listCandidates } from './candidates.ts';
import type { DecisionNode } from '../registry/decisions.ts';
import {
  checkEvidence,
  cleanFileName,
  EVIDENCE_MAX_BYTES,
  EVIDENCE_PER_REPORT,
  EVIDENCE_TYPES,
  sendEvidence,
  storeEvidence,
} from './evidence.ts';
import {
  decideReport,
  getReceipt,
  getReport,
  listReports,
  MAX_CONTENT,
  reportIdForReceipt,
  submitReport,
  type ReportInput,
} from './service.ts';
import { AGE_GROUPS, CANDIDATE_STATUSES, PAYMENT_METHODS, REPORT_KINDS, REPORT_STATUSES } from './tables.ts';

/**
 * The reports capability over HTTP (docs/reports.md). Citizens report and follow their receipt
 * without an account (public, rate-limited, plus a daily cap per device); institutions send clues
 * with their API key (`reports:write`) and their own reference; the centre's analysts work the
 * triage queue.
 */

const Category = z.enum(SCAM_CATEGORY_LIST as [ScamCategory, ...ScamCategory[]]);
const IsoTime = z.iso.datetime({ offset: true });

const Subject = z
  .strictObject({
    phone: z.string().trim().min(1).max(64).optional().describe('the number that called or texted'),
    url: z.string().trim().min(1).max(2048).optional(),
    app: z
      .strictObject({
        name: z.string().trim().min(1).max(200).optional(),
        package: z.string().trim().min(1).max(255).optional().describe('e.g. com.example.loan'),
        source: z
          .string()
          .trim()
          .min(1)
          .max(500)
          .optional()
          .describe('where it came from: a link, a store, a QR code'),
      })
      .optional(),
    account: z
      .strictObject({
        value: z.string().trim().min(1).max(64),
        institution: z.string().trim().max(100).optional(),
        provider: z.string().trim().max(100).optional(),
      })
      .optional()
      .describe('a bank card or account, or a payment account'),
    internetAccount: z
      .strictObject({ platform: z.string().trim().min(1).max(40), id: z.string().trim().min(1).max(200) })
      .optional()
      .describe('WeChat, QQ, Alipay, Telegram, WhatsApp…'),
  })
  .meta({ id: 'ReportSubject' });

const ReportBody = z
  .strictObject({
    kind: z.enum(REPORT_KINDS),
    subject: Subject.optional(),
    content: z
      .string()
      .max(MAX_CONTENT)
      .optional()
      .describe('the SMS text, what the caller said, or what happened'),
    occurredAt: IsoTime.optional(),
    category: Category.optional().describe('if known; else the classifier suggests one'),
    loss: z
      .strictObject({
        amount: z.string().trim().max(20).describe('decimal, e.g. 5000 or 1234.50'),
        currency: z.string().length(3).optional().describe('default CNY'),
        paidAt: IsoTime.optional(),
        method: z.enum(PAYMENT_METHODS).optional(),
        ongoing: z.boolean().optional().describe('still paying or about to: the scam is happening now'),
      })
      .optional(),
    ageGroup: z.enum(AGE_GROUPS).optional().describe("the victim's age group"),
    forRelative: z.boolean().optional().describe('reporting for a relative or someone else'),
    contactPhone: z.string().trim().max(32).optional().describe('to be called back; stored encrypted'),
    language: z.enum(['zh', 'en']).optional(),
  })
  .meta({ id: 'ReportInput' });

const SubmitResult = z
  .object({
    id: z.string(),
    receiptCode: z.string().describe('keep it: it is the only way to follow the report'),
    status: z.enum(REPORT_STATUSES),
    category: z.string(),
    urgency: z.number().int(),
    indicators: z.array(z.object({ kind: z.string(), value: z.string(), role: z.string() })),
    classification: z.object({ label: z.string(), probability: z.number() }).nullable(),
    duplicate: z.boolean(),
  })
  .meta({ id: 'ReportReceipt' });

const ReceiptSchema = z
  .object({
    receiptCode: z.string(),
    kind: z.enum(REPORT_KINDS),
    status: z.enum(REPORT_STATUSES),
    receivedAt: z.string(),
    updatedAt: z.string(),
    category: z.string(),
    evidence: z.number().int(),
    message: z.object({ zh: z.string(), en: z.string() }),
    note: z.string().nullable(),
  })
  .meta({ id: 'ReceiptStatus' });

const QueueItem = z.object({
  id: z.string(),
  receiptCode: z.string(),
  kind: z.enum(REPORT_KINDS),
  channel: z.string(),
  category: z.string(),
  status: z.enum(REPORT_STATUSES),
  urgency: z.number().int(),
  reporters: z.number().int(),
  priority: z.number(),
  lostMoney: z.boolean(),
  moneyLostNow: z.boolean().describe('the victim is paying now, or about to'),
  amount: z.string().nullable(),
  ageGroup: z.enum(AGE_GROUPS).nullable(),
  held: z.boolean(),
  summary: z.string(),
  createdAt: z.string(),
});

const Coordination = z.object({ reasons: z.array(z.string()), score: z.number() }).nullable();
const ReportDetailSchema = z
  .object({
    id: z.string(),
    receiptCode: z.string(),
    kind: z.enum(REPORT_KINDS),
    channel: z.string(),
    organisationId: z.string().nullable(),
    externalRef: z.string().nullable(),
    subject: z.record(z.string(), z.unknown()),
    content: z.string(),
    occurredAt: z.string().nullable(),
    category: z.string(),
    classification: z
      .object({
        label: z.string(),
        probability: z.number(),
        language: z.string(),
        features: z.array(z.object({ feature: z.string(), weight: z.number() })),
      })
      .nullable(),
    loss: z
      .object({
        amount: z.string(),
        currency: z.string(),
        paidAt: z.string().nullable(),
        method: z.string().nullable(),
        ongoing: z.boolean(),
      })
      .nullable(),
    ageGroup: z.enum(AGE_GROUPS).nullable(),
    forRelative: z.boolean(),
    contact: z.string().nullable().describe('masked'),
    urgency: z.number().int(),
    status: z.enum(REPORT_STATUSES),
    decidedBy: z.string().nullable(),
    decidedAt: z.string().nullable(),
    decisionReason: z.string().nullable(),
    publicNote: z.string().nullable(),
    mergedInto: z.string().nullable(),
    createdAt: z.string(),
    indicators: z.array(
      z.object({
        kind: z.string(),
        value: z.string(),
        role: z.string(),
        candidate: z
          .object({
            status: z.string(),
            reports: z.number().int(),
            reporters: z.number().int(),
            coordination: Coordination,
            listingId: z.string().nullable(),
          })
          .nullable(),
        listing: z
          .object({ id: z.string(), status: z.string(), confidence: z.number(), category: z.string() })
          .nullable(),
      }),
    ),
    evidence: z.array(
      z.object({
        id: z.string(),
        fileName: z.string(),
        mediaType: z.string(),
        size: z.number().int(),
        sha256: z.string(),
        createdAt: z.string(),
      }),
    ),
    related: z.array(
      z.object({
        id: z.string(),
        receiptCode: z.string(),
        status: z.enum(REPORT_STATUSES),
        createdAt: z.string(),
      }),
    ),
  })
  .meta({ id: 'ReportDetail' });

const CandidateSchema = z
  .object({
    kind: z.string(),
    value: z.string(),
    category: z.string(),
    reports: z.number().int(),
    reporters: z.number().int(),
    scamTexts: z.number().int(),
    status: z.enum(CANDIDATE_STATUSES),
    coordination: Coordination,
    listingId: z.string().nullable(),
    firstAt: z.string(),
    lastAt: z.string(),
  })
  .meta({ id: 'ListingCandidate' });

const errors = { 400: Problem, 401: Problem, 403: Problem, 404: Problem };
const centreStaff = { roles: ['analyst', 'supervisor', 'auditor'], orgKinds: ['anti_fraud_centre'] } as const;
const deciders = { roles: ['analyst', 'supervisor'], orgKinds: ['anti_fraud_centre'] } as const;
const rid = (req: FastifyRequest) => String(req.id);

/**
 * A citizen is known by keyed hashes only: of the network (/24 or /48: reporters sharing it are
 * "linked") and of the address plus the app's device id header, when sent.
 */
function reporterOf(req: FastifyRequest, s: Services): { reporterKey: string; networkKey: string } {
  const ip = req.ip ?? '0.0.0.0';
  const network = ip.includes(':')
    ? ip.split(':').slice(0, 3).join(':')
    : ip.split('.').slice(0, 3).join('.');
  const device = String(req.headers['x-device-id'] ?? '').slice(0, 128);
  return {
    networkKey: s.pii.lookupHash('reporter_network', network),
    reporterKey: s.pii.lookupHash('reporter', `${ip}|${device}`),
  };
}

function toInput(b: z.infer<typeof ReportBody>): ReportInput {
  return b as ReportInput;
}

/**
 * The reports routes; on the decision node `node`, the classifier reads SMS texts for the policies'
 * content rules, and every 10 s the texts it read as scams hand their links and numbers to the
 * listing candidates.
 */
export function reportRoutes(node: DecisionNode) {
  return (app: Api, s: Services): void => reportRoutesOn(app, s, node);
}

function reportRoutesOn(app: Api, s: Services, node: DecisionNode): void {
  const { db } = s;
  const evidenceDir = s.config.evidenceDir;
  node.engine.classifier = (text) => classify(defaultClassifier(), text);
  const flush = () =>
    collectScamTexts(db, node.drainScamTexts()).catch((err: unknown) =>
      s.log.warn({ err }, 'scam-text candidates not saved'),
    );
  const timer = setInterval(() => void flush(), 10_000);
  timer.unref();
  app.addHook('onClose', async () => {
    clearInterval(timer);
    await flush();
  });

  app.get(
    '/v1/candidates',
    {
      config: { access: centreStaff },
      schema: {
        tags: ['reports'],
        summary:
          'Listing candidates: indicators named by reports or found in scam texts, with their reporters',
        description:
          'held: reports look coordinated (new, linked, bursty reporters) and wait for an analyst; protected: on the ' +
          'allowlist, never listed from reports; submitted/listed: in the registry.',
        querystring: z.object({
          status: z.enum(CANDIDATE_STATUSES).optional(),
          limit: z.coerce.number().int().min(1).max(500).optional(),
        }),
        response: {
          200: z.object({
            items: z.array(CandidateSchema),
          }),
          ...errors,
        },
      },
    },
    async (req) => ({ items: await listCandidates(db, req.query) }),
  );

  app.post(
    '/v1/candidates/decision',
    {
      config: { access: deciders },
      schema: {
        tags: ['reports'],
        summary:
          'Release a held candidate to the registry (the reports are genuine) or reject it, with a reason',
        body: z.strictObject({
          kind: z.string().min(1).max(40),
          value: z.string().min(1).max(2048).describe('the canonical value, as the candidate list shows it'),
          decision: z.enum(['release', 'reject']),
          reason: z.string().trim().min(1).max(1000),
        }),
        response: { 200: CandidateSchema, ...errors, 409: Problem },
      },
    },
    async (req) =>
      decideCandidate(s, principalOf(req), req.body.kind, req.body.value, req.body.decision, req.body.reason),
  );

  app.post(
    '/v1/reports',
    {
      config: { access: { public: true, rateLimitPerMinute: 30 } },
      schema: {
        tags: ['reports'],
        summary: 'Report a scam call, SMS, link, app or account (no account needed); returns a receipt code',
        description:
          'Public and rate-limited (and at most 20 reports a day from one device). Keep the receipt code: it is ' +
          'the only way to follow the report and to add evidence (`POST /v1/receipts/{code}/evidence`).',
        body: ReportBody,
        response: { 201: SubmitResult, 400: Problem, 429: Problem },
      },
    },
    async (req, reply) => {
      const r = await submitReport(
        s,
        toInput(req.body),
        { channel: 'public', ...reporterOf(req, s) },
        { requestId: rid(req) },
      );
      return reply.code(201).send(r);
    },
  );

  app.get(
    '/v1/receipts/:code',
    {
      config: { access: { public: true, rateLimitPerMinute: 30 } },
      schema: {
        tags: ['reports'],
        summary: "A report's status by its receipt code (public): no personal data",
        params: z.object({ code: z.string().min(1).max(20) }),
        response: { 200: ReceiptSchema, 400: Problem, 404: Problem, 429: Problem },
      },
    },
    async (req) => getReceipt(db, req.params.code),
  );

  app.register(async (plain) => {
    const scope = plain.withTypeProvider<ZodTypeProvider>();
    // Evidence arrives as the raw file with its media type; the bytes are checked, not the name.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser(
      '*',
      { parseAs: 'buffer', bodyLimit: EVIDENCE_MAX_BYTES },
      (_req, body, done) => done(null, body),
    );
    scope.post(
      '/v1/receipts/:code/evidence',
      {
        config: { access: { public: true, rateLimitPerMinute: 10 } },
        bodyLimit: EVIDENCE_MAX_BYTES,
        schema: {
          tags: ['reports'],
          summary: 'Add an evidence file (screenshot, recording, document) to a report, by its receipt code',
          description:
            `The body is the file itself, with its Content-Type (${Object.keys(EVIDENCE_TYPES).join(', ')}) and ` +
            `optionally X-File-Name. Images and documents up to 10 MB, recordings up to 20 MB, ${EVIDENCE_PER_REPORT} ` +
            'files per report, within 30 days of the report. A file whose content is not what its type says is refused (415).',
          params: z.object({ code: z.string().min(1).max(20) }),
          response: {
            201: z.object({
              id: z.string(),
              mediaType: z.string(),
              size: z.number().int(),
              sha256: z.string(),
            }),
            400: Problem,
            404: Problem,
            409: Problem,
            413: Problem,
            415: Problem,
            429: Problem,
          },
        },
      },
      async (req, reply) => {
        const body = req.body as Buffer | undefined;
        const bytes = Buffer.isBuffer(body) ? body : Buffer.alloc(0);
        const check = checkEvidence(String(req.headers['content-type'] ?? ''), bytes);
        if (!check.ok) throw new AppError(check.status, check.code, check.message);
        const r = await reportIdForReceipt(db, req.params.code);
        if (Date.now() - r.createdAt.getTime() > 30 * 86_400_000)
          throw new AppError(409, 'evidence_closed', 'evidence is accepted within 30 days of the report');
        const n = await db
          .selectFrom('report_evidence')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('report_id', '=', r.id)
          .executeTakeFirstOrThrow();
        if (Number(n.n) >= EVIDENCE_PER_REPORT)
          throw new AppError(409, 'evidence_full', `a report holds at most ${EVIDENCE_PER_REPORT} files`);
        // The file first, then its row: a crash between leaves an unreferenced file, never a row without one.
        await storeEvidence(evidenceDir, check.sha256, bytes);
        const id = crypto.randomUUID();
        await db
          .insertInto('report_evidence')
          .values({
            id,
            report_id: r.id,
            file_name: cleanFileName(
              req.headers['x-file-name'] as string | undefined,
              EVIDENCE_TYPES[check.mediaType].ext,
            ),
            media_type: check.mediaType,
            size: bytes.length,
            sha256: check.sha256,
          })
          .execute();
        return reply
          .code(201)
          .send({ id, mediaType: check.mediaType, size: bytes.length, sha256: check.sha256 });
      },
    );
  });

  app.post(
    '/v1/clues',
    {
      config: {
        access: { roles: ['institution_operator', 'administrator'], scope: 'reports:write' },
      },
      schema: {
        tags: ['reports'],
        summary:
          "An institution's clue, with its own reference: a resubmission returns the first (200, duplicate)",
        description:
          'The subject goes to the registry at once as an institution source; the report joins the triage queue.',
        body: ReportBody.extend({
          ref: z.string().trim().min(1).max(200).describe("the institution's own id"),
        }),
        response: { 200: SubmitResult, 201: SubmitResult, ...errors },
      },
    },
    async (req, reply) => {
      const p = principalOf(req);
      if (p.organisationKind === 'anti_fraud_centre')
        throw forbidden('the centre files reports through the console; clues come from institutions');
      const { ref, ...body } = req.body;
      const r = await submitReport(
        s,
        toInput(body),
        { channel: 'institution', principal: p, ref },
        { requestId: rid(req) },
      );
      return reply.code(r.duplicate ? 200 : 201).send(r);
    },
  );

  app.get(
    '/v1/reports',
    {
      config: { access: centreStaff },
      schema: {
        tags: ['reports'],
        summary: 'The triage queue: money being lost now, vulnerable victims and many reporters first',
        querystring: z.object({
          status: z.enum(REPORT_STATUSES).optional().describe('default open'),
          kind: z.enum(REPORT_KINDS).optional(),
          category: Category.optional(),
          limit: z.coerce.number().int().min(1).max(500).optional(),
        }),
        response: { 200: z.object({ items: z.array(QueueItem) }), ...errors },
      },
    },
    async (req) => ({ items: await listReports(db, req.query) }),
  );

  app.get(
    '/v1/reports/:id',
    {
      config: { access: centreStaff },
      schema: {
        tags: ['reports'],
        summary: 'One report with its indicators, their candidates and listings, evidence and the classifier',
        params: z.object({ id: z.uuid() }),
        response: { 200: ReportDetailSchema, ...errors },
      },
    },
    async (req) => (await getReport(s, req.params.id)) as z.infer<typeof ReportDetailSchema>,
  );

  app.post(
    '/v1/reports/:id/decision',
    {
      config: { access: deciders },
      schema: {
        tags: ['reports'],
        summary: 'Confirm (list its indicators), reject (with a reason) or merge a report',
        params: z.object({ id: z.uuid() }),
        body: z.strictObject({
          decision: z.enum(['confirm', 'reject', 'merge']),
          reason: z.string().trim().min(1).max(1000),
          category: Category.optional(),
          mergeInto: z.uuid().optional(),
          publicNote: z
            .string()
            .trim()
            .max(500)
            .optional()
            .describe('shown to the reporter with the receipt'),
        }),
        response: { 200: ReportDetailSchema, ...errors, 409: Problem },
      },
    },
    async (req) =>
      (await decideReport(s, principalOf(req), req.params.id, req.body, { requestId: rid(req) })) as z.infer<
        typeof ReportDetailSchema
      >,
  );

  app.get(
    '/v1/reports/:id/evidence/:evidenceId',
    {
      config: { access: centreStaff },
      schema: {
        tags: ['reports'],
        summary: 'Download one evidence file (every download is in the audit trail)',
        params: z.object({ id: z.uuid(), evidenceId: z.uuid() }),
      },
    },
    async (req, reply) => {
      const e = await db
        .selectFrom('report_evidence')
        .selectAll()
        .where('id', '=', req.params.evidenceId)
        .where('report_id', '=', req.params.id)
        .executeTakeFirst();
      if (!e) throw notFound('evidence');
      await audit(
        db,
        principalOf(req),
        {
          action: 'report.evidence_read',
          targetKind: 'report',
          targetId: e.report_id,
          details: { evidence: e.id },
        },
        rid(req),
      );
      return sendEvidence(reply, evidenceDir, e);
    },
  );

  app.post(
    '/v1/classify',
    {
      config: { access: { roles: ['analyst', 'supervisor', 'auditor'], scope: 'reports:write' } },
      schema: {
        tags: ['reports'],
        summary:
          'Classify a message or call transcript: normal or a scam category, with the n-grams that drove it',
        body: z.strictObject({
          text: z.string().min(1).max(MAX_CONTENT),
          explain: z.number().int().min(0).max(20).optional(),
        }),
        response: {
          200: z.object({
            label: z.string(),
            probability: z.number(),
            language: z.string(),
            scores: z.record(z.string(), z.number()),
            features: z.array(z.object({ feature: z.string(), weight: z.number() })),
          }),
          ...errors,
        },
      },
    },
    async (req) => {
      const p = predict(defaultClassifier(), req.body.text, { explain: req.body.explain ?? 5 });
      return {
        label: p.label,
        probability: p.probability,
        language: p.language,
        scores: p.scores,
        features: p.features,
      };
    },
  );
}
