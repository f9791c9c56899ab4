import { z } from 'zod';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Api, Services } from '../api/types.ts';
import { principalOf } from '../api/access.ts';
import { Problem } from '../api/problem.ts';
import { scheduleClaimedJob } from '../core/jobs.ts';
import { ID_TYPES } from '../privacy/idnumber.ts';
import {
  designatePerson,
  endDuePersonListings,
  getPersonListing,
  listPersonListings,
  lookupPersonListings,
  recordNotice,
  removeListing,
  reviewExitRestriction,
} from './person-lists.ts';
import {
  CREDIT_RESTRICTIONS,
  PERSON_LISTING_ACTIONS,
  PERSON_LISTING_STATUSES,
  PERSON_LISTS,
  REMOVAL_KINDS,
} from './person-lists-tables.ts';

/**
 * Lists of persons over HTTP (docs/governance.md, "Lists of persons"). Only the anti-fraud centre's
 * staff reach these routes: supervisors write, analysts read credit punishment, supervisors and
 * auditors read both; an exit restriction is 404 to anyone else. Institutions get no route here:
 * their openings are decided by POST /v1/decisions with an `applicant`. Listings past their end
 * are ended every minute by one node.
 */

export const END_DUE_EVERY_MS = 60_000;

const errors = { 400: Problem, 401: Problem, 403: Problem, 404: Problem };
const readers = { roles: ['analyst', 'supervisor', 'auditor'], orgKinds: ['anti_fraud_centre'] } as const;
const supervisors = { roles: ['supervisor'], orgKinds: ['anti_fraud_centre'] } as const;

const iso = z.string().describe('ISO 8601');

const TimelineEntry = z.object({
  at: iso,
  action: z.enum(PERSON_LISTING_ACTIONS),
  status: z.enum(PERSON_LISTING_STATUSES).describe('the status after the change'),
  endsAt: iso.describe('the end of the listing after the change'),
  actor: z.string(),
  actorKind: z.string(),
  organisationId: z.string().nullable(),
  note: z.string().nullable(),
  ref: z.string().nullable().describe("the designation's reference"),
});

const PersonListingSchema = z
  .object({
    id: z.uuid(),
    list: z.enum(PERSON_LISTS),
    status: z.enum(PERSON_LISTING_STATUSES),
    person: z.object({
      idType: z.string(),
      idNumber: z.string().describe('masked, except for a supervisor reading one listing'),
      name: z.string().describe('masked, except for a supervisor reading one listing'),
      masked: z.boolean(),
    }),
    restrictions: z.array(z.enum(CREDIT_RESTRICTIONS)).describe('credit punishment: what it restricts'),
    reason: z.string(),
    legalBasis: z.string(),
    organisationId: z.uuid().describe('the designating organisation'),
    designatedBy: z.string(),
    startsAt: iso,
    endsAt: iso,
    reviewAt: iso.nullable().describe('exit restriction: the next review'),
    reviewDue: z.boolean().describe('exit restriction: the review date passed'),
    noticeSentAt: iso.nullable(),
    endedAt: iso.nullable(),
    removedAt: iso.nullable(),
    removalKind: z.enum(REMOVAL_KINDS).nullable(),
    removeReason: z.string().nullable(),
    removedBy: z.string().nullable(),
    ref: z.string().nullable().describe("the first designation's reference"),
    createdAt: iso,
    updatedAt: iso,
    timeline: z.array(TimelineEntry).optional().describe('detail only: every change, oldest first'),
  })
  .meta({ id: 'PersonListing' });

const idNumber = z.string().trim().min(1).max(64).describe('a PRC identity number, or `type:value`');
const idType = z.enum(ID_TYPES).optional().describe('default prc_resident (or the `type:` prefix)');

const NewDesignation = z
  .strictObject({
    list: z.enum(PERSON_LISTS),
    idNumber,
    idType,
    name: z.string().trim().min(1).max(200),
    restrictions: z
      .array(z.enum(CREDIT_RESTRICTIONS))
      .max(4)
      .optional()
      .describe('credit punishment only; default all (basic services are kept whatever is listed)'),
    reason: z.string().trim().min(1).max(2000),
    legalBasis: z
      .string()
      .max(50)
      .optional()
      .describe('credit punishment: atof_art31 (default); exit restriction: atof_art36 (default)'),
    startsAt: iso.max(40).optional().describe('default now; not in the future'),
    endsAt: iso.max(40).describe('6 months to 3 years after the start'),
    reviewAt: iso
      .max(40)
      .optional()
      .describe('exit restriction: the first review (default 6 months on, within the term)'),
    ref: z
      .string()
      .trim()
      .min(1)
      .max(200)
      .optional()
      .describe("the organisation's own reference: sending it again answers the same listing (200)"),
  })
  .meta({ id: 'NewPersonListing' });

const idParams = z.object({ id: z.uuid() });

export function personListRoutes(app: Api, s: Services): void {
  const r = app.withTypeProvider<ZodTypeProvider>();

  // One node per period runs it: the claim makes the others skip.
  scheduleClaimedJob(app, s, 'governance.person_lists_end', END_DUE_EVERY_MS, (now) =>
    endDuePersonListings(s, now),
  );

  r.post(
    '/v1/person-lists',
    {
      config: { access: supervisors },
      schema: {
        tags: ['governance'],
        summary: 'Put a person on the credit-punishment or exit-restriction list (centre supervisors)',
        description:
          'A person already active on the same list is joined, not listed twice: the later end wins (capped at three ' +
          'years from the start) and restrictions are added (200, outcome `joined`). The same `ref` again answers ' +
          'the listing it made or joined, unchanged (200, outcome `existing`). New: 201, outcome `created`.',
        body: NewDesignation,
        response: {
          200: z.object({ outcome: z.enum(['joined', 'existing']), listing: PersonListingSchema }),
          201: z.object({ outcome: z.literal('created'), listing: PersonListingSchema }),
          ...errors,
          409: Problem,
        },
      },
    },
    async (req, reply) => {
      const result = await designatePerson(s, principalOf(req), req.body, { requestId: String(req.id) });
      return reply.code(result.outcome === 'created' ? 201 : 200).send(result as never);
    },
  );

  r.get(
    '/v1/person-lists',
    {
      config: { access: readers },
      schema: {
        tags: ['governance'],
        summary: 'Listings of persons, newest first, masked (only the lists the reader may see)',
        description:
          'Every listing returned is recorded in the personal-data access log (purpose person_list). Exit ' +
          'restrictions are seen by supervisors and auditors only; for others the list is empty.',
        querystring: z.object({
          list: z.enum(PERSON_LISTS).optional(),
          status: z.enum(PERSON_LISTING_STATUSES).optional(),
          reviewDue: z
            .enum(['true', 'false'])
            .transform((v) => v === 'true')
            .optional()
            .describe('exit restrictions whose review date passed'),
          limit: z.coerce.number().int().min(1).max(500).optional(),
          after: z.string().max(200).optional().describe('the `next` of the previous page'),
        }),
        response: {
          200: z.object({ items: z.array(PersonListingSchema), next: z.string().nullable() }),
          ...errors,
        },
      },
    },
    async (req) => listPersonListings(s, principalOf(req), req.query, { requestId: String(req.id) }),
  );

  r.post(
    '/v1/person-lists/lookup',
    {
      config: { access: readers },
      schema: {
        tags: ['governance'],
        summary: "One person's listings by id number (in the body, never in a URL), newest first",
        description: 'Only the lists the reader may see; none: an empty list. Each listing read is recorded.',
        body: z.strictObject({ idNumber, idType, list: z.enum(PERSON_LISTS).optional() }),
        response: { 200: z.object({ items: z.array(PersonListingSchema) }), ...errors },
      },
    },
    async (req) => ({
      items: await lookupPersonListings(s, principalOf(req), req.body, { requestId: String(req.id) }),
    }),
  );

  r.get(
    '/v1/person-lists/:id',
    {
      config: { access: readers },
      schema: {
        tags: ['governance'],
        summary: 'One listing with its timeline (clear values for supervisors, masked for others)',
        description:
          'An exit restriction is 404 to anyone but supervisors and auditors: its existence is not revealed.',
        params: idParams,
        response: { 200: PersonListingSchema, ...errors },
      },
    },
    async (req) => getPersonListing(s, principalOf(req), req.params.id, { requestId: String(req.id) }),
  );

  r.post(
    '/v1/person-lists/:id/remove',
    {
      config: { access: supervisors },
      schema: {
        tags: ['governance'],
        summary:
          'Remove a listing before its end (early removal, credit repair, upheld appeal, lifted on review)',
        description:
          'Again: 200 unchanged. An ended listing can be removed too (an appeal upheld after the term).',
        params: idParams,
        body: z.strictObject({
          kind: z.enum(REMOVAL_KINDS),
          reason: z.string().trim().min(1).max(2000),
        }),
        response: { 200: PersonListingSchema, ...errors },
      },
    },
    async (req) => removeListing(s, principalOf(req), req.params.id, req.body, { requestId: String(req.id) }),
  );

  r.post(
    '/v1/person-lists/:id/notice',
    {
      config: { access: supervisors },
      schema: {
        tags: ['governance'],
        summary: 'Record that the person was given notice (reason, term, restrictions, how to appeal)',
        description: 'Once: again answers 200 unchanged.',
        params: idParams,
        body: z
          .strictObject({
            sentAt: iso.max(40).optional().describe('default now'),
            note: z.string().trim().max(1000).optional(),
          })
          .nullish(),
        response: { 200: PersonListingSchema, ...errors },
      },
    },
    async (req) =>
      recordNotice(s, principalOf(req), req.params.id, req.body ?? {}, { requestId: String(req.id) }),
  );

  r.post(
    '/v1/person-lists/:id/review',
    {
      config: { access: supervisors },
      schema: {
        tags: ['governance'],
        summary: 'Review an exit restriction: continue (next review date) or lift it',
        description: 'Credit punishment has no review (409); an exit restriction not active is 409.',
        params: idParams,
        body: z.strictObject({
          outcome: z.enum(['continue', 'lift']),
          note: z.string().trim().min(1).max(2000),
          nextReviewAt: iso.max(40).optional().describe('continue: default 6 months on, within the term'),
        }),
        response: { 200: PersonListingSchema, ...errors, 409: Problem },
      },
    },
    async (req) =>
      reviewExitRestriction(s, principalOf(req), req.params.id, req.body, { requestId: String(req.id) }),
  );
}
