import { z } from 'zod';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Api, Services } from '../api/types.ts';
import { principalOf } from '../api/access.ts';
import { Problem } from '../api/problem.ts';
import { forbidden } from '../core/errors.ts';
import { SCAM_CATEGORY_LIST, type ScamCategory } from '../registry/engine/taxonomy.ts';
import { DETECTORS, SUBJECT_KINDS, type Detection } from './records.ts';
import { DETECTION_STATUSES, MEASURES } from './tables.ts';
import {
  decideDetection,
  detectionSummary,
  getDetection,
  listDetections,
  recordDetections,
} from './store.ts';

/**
 * Detections over HTTP (docs/detection.md, "Detections in the registry"): operators and banks
 * send the detections of their own detectors (API key `detections:write`) and read theirs
 * (`detections:read`); the centre's analysts work the review queue and decide.
 */

const errors = { 400: Problem, 401: Problem, 403: Problem, 404: Problem };
const readers = {
  roles: ['analyst', 'supervisor', 'auditor', 'institution_operator', 'administrator'],
  scope: 'detections:read',
} as const;
const deciders = { roles: ['analyst', 'supervisor'], orgKinds: ['anti_fraud_centre'] } as const;

const Measure = z
  .strictObject({
    measure: z.enum(MEASURES),
    target: z
      .enum(['subject', 'holder'])
      .describe('the subject itself, or the holder of the card or account'),
    reason: z.string(),
  })
  .meta({ id: 'RecommendedMeasure' });

const DetectionSchema = z
  .object({
    id: z.uuid(),
    organisationId: z.uuid().nullable().describe('whose data fired it; null: the platform’s own worker'),
    detector: z.enum(DETECTORS),
    subjectKind: z.enum(SUBJECT_KINDS),
    subject: z.string().describe('the number, IMEI or account; for a holder, the masked id number'),
    subjectMasked: z.boolean(),
    score: z.number(),
    window: z.object({ from: z.string(), to: z.string() }).describe('the episode'),
    evidence: z.record(z.string(), z.unknown()).describe('the facts that fired it (docs/detection.md)'),
    measures: z.array(Measure),
    listable: z.boolean().describe('confirming lists the subject in the registry'),
    status: z.enum(DETECTION_STATUSES),
    suppressedBy: z.uuid().nullable().describe('suppressed: the rejected detection it repeats'),
    listingId: z.uuid().nullable(),
    decidedBy: z.string().nullable(),
    decidedAt: z.string().nullable(),
    decisionReason: z.string().nullable(),
    history: z
      .array(
        z.object({
          id: z.uuid(),
          status: z.enum(DETECTION_STATUSES),
          score: z.number(),
          from: z.string(),
          to: z.string(),
        }),
      )
      .optional()
      .describe('other episodes of the same subject, newest first (detail only)'),
    createdAt: z.string(),
  })
  .meta({ id: 'Detection' });

const Incoming = z
  .strictObject({
    detector: z.enum(DETECTORS),
    subjectKind: z.enum(SUBJECT_KINDS),
    subject: z.string().trim().min(1).max(100),
    score: z.number().min(0).max(1),
    window: z.strictObject({
      from: z.number().int().describe('epoch ms'),
      to: z.number().int().describe('epoch ms'),
    }),
    evidence: z.record(z.string(), z.unknown()).default({}),
  })
  .meta({ id: 'IncomingDetection', description: 'what `interdict detect` writes, one per NDJSON line' });

export function detectionRoutes(app: Api, s: Services): void {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.post(
    '/v1/detections',
    {
      config: { access: { roles: ['institution_operator', 'administrator'], scope: 'detections:write' } },
      schema: {
        tags: ['detection'],
        summary: "An operator's or bank's detections: stored once per episode, queued for the centre",
        description:
          'Idempotent: a detection already stored for the same detector, subject and episode start is a duplicate. ' +
          'One that repeats the facts of a rejected detection of the same subject is suppressed.',
        body: z.strictObject({ detections: z.array(Incoming).min(1).max(5000) }),
        response: {
          200: z.object({
            stored: z.number().int(),
            duplicates: z.number().int(),
            suppressed: z.number().int(),
            ids: z.array(z.uuid()).describe('the new detections, stored or suppressed'),
          }),
          ...errors,
        },
      },
    },
    async (req) => {
      const p = principalOf(req);
      if (p.kind === 'user' && p.organisationKind === 'anti_fraud_centre')
        throw forbidden("detections come from operators' and banks' detectors or the platform's own worker");
      return recordDetections(s, p.organisationId, req.body.detections as Detection[]);
    },
  );

  r.get(
    '/v1/detections',
    {
      config: { access: readers },
      schema: {
        tags: ['detection'],
        summary: 'The review queue: open detections by score; other statuses newest first',
        querystring: z.object({
          status: z.enum(DETECTION_STATUSES).optional().describe('default open'),
          detector: z.enum(DETECTORS).optional(),
          subjectKind: z.enum(SUBJECT_KINDS).optional(),
          subject: z
            .string()
            .trim()
            .min(1)
            .max(100)
            .optional()
            .describe('a number, IMEI, account or holder id number'),
          minScore: z.coerce.number().min(0).max(1).optional(),
          limit: z.coerce.number().int().min(1).max(500).optional(),
          after: z.string().max(200).optional().describe('the `next` of the previous page'),
        }),
        response: {
          200: z.object({ items: z.array(DetectionSchema), next: z.string().nullable() }),
          ...errors,
        },
      },
    },
    async (req) => listDetections(s, principalOf(req), req.query),
  );

  r.get(
    '/v1/detections/summary',
    {
      config: { access: readers },
      schema: {
        tags: ['detection'],
        summary: 'Detections per detector and status',
        response: {
          200: z.object({
            items: z.array(
              z.object({
                detector: z.enum(DETECTORS),
                status: z.enum(DETECTION_STATUSES),
                count: z.number().int(),
              }),
            ),
          }),
          ...errors,
        },
      },
    },
    async (req) => ({ items: await detectionSummary(s.db, principalOf(req)) }),
  );

  r.get(
    '/v1/detections/:id',
    {
      config: { access: readers },
      schema: {
        tags: ['detection'],
        summary: 'One detection with its evidence, measures and the other episodes of its subject',
        params: z.object({ id: z.uuid() }),
        response: { 200: DetectionSchema, ...errors },
      },
    },
    async (req) => getDetection(s, principalOf(req), req.params.id),
  );

  r.post(
    '/v1/detections/:id/decision',
    {
      config: { access: deciders },
      schema: {
        tags: ['detection'],
        summary: 'Confirm (list a number or account; hand the measures to governance) or reject (remembered)',
        params: z.object({ id: z.uuid() }),
        body: z.strictObject({
          decision: z.enum(['confirm', 'reject']),
          reason: z.string().trim().min(1).max(1000),
          category: z
            .enum(SCAM_CATEGORY_LIST as [ScamCategory, ...ScamCategory[]])
            .optional()
            .describe("confirm: list under this category instead of the detector's default"),
        }),
        response: { 200: DetectionSchema, ...errors, 409: Problem },
      },
    },
    async (req) =>
      decideDetection(s, principalOf(req), req.params.id, req.body, { requestId: String(req.id) }),
  );
}
