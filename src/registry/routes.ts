import { z } from 'zod';
import type { FastifyRequest } from 'fastify';
import type { Api, Services } from '../api/types.ts';
import { principalOf } from '../api/access.ts';
import { Problem } from '../api/problem.ts';
import { badRequest, forbidden } from '../core/errors.ts';
import { INDICATOR_KINDS } from '../core/normalize/index.ts';
import type { Principal } from '../identity/model.ts';
import { addProtected, listProtected, removeProtected, type ProtectedIndicator } from './allowlist.ts';
import { SCAM_CATEGORY_LIST, type ScamCategory } from './engine/taxonomy.ts';
import { LISTING_STATUSES } from './engine/types.ts';
import {
  findLookalikes,
  listBrands,
  loadCompiledBrands,
  LOOKALIKE_REASONS,
  parseHost,
  removeBrand,
  upsertBrand,
} from './lookalike.ts';
import {
  changeListing,
  decideReview,
  delist,
  getListing,
  getReview,
  listIndicator,
  listReviews,
  MAX_SEARCH,
  searchListings,
  type ListingDetail,
  type ListingView,
  type ReviewView,
  type SourceSpec,
} from './service.ts';
import { HISTORY_ACTIONS, REVIEW_REASONS, REVIEW_STATUSES, SOURCE_KINDS } from './tables.ts';

/**
 * The registry's HTTP surface (docs/registry.md). Who may do what:
 *
 * - list or corroborate (`POST /v1/listings`): analysts and supervisors of the anti-fraud centre
 *   (source `analyst`), or an institution's API key with `listings:write` (source `institution`);
 * - search and read: analysts, supervisors, auditors of the centre; API keys with `listings:read`
 *   (without other organisations' sources and the names in the history);
 * - change and delist: analysts and supervisors of the centre, always with a reason. Analysts may
 *   delist so that a false positive — a blocked innocent number — is lifted at once; every delisting
 *   is in the history, the audit trail and the `listing.delisted` event, and a supervisor can list
 *   the value again;
 * - the allowlist and brands: supervisors and administrators change them, the centre's staff read
 *   them; the review queue: supervisors decide, auditors read.
 */

const Kind = z.enum(INDICATOR_KINDS);
const Category = z.enum(SCAM_CATEGORY_LIST as [ScamCategory, ...ScamCategory[]]);
const Status = z.enum(LISTING_STATUSES);
const Reason = z.string().trim().min(1).max(1000);
const IsoTime = z.iso.datetime({ offset: true });

const Lookalike = z.object({ brand: z.string(), domain: z.string(), reason: z.string() });

const Listing = z
  .object({
    id: z.string(),
    kind: Kind,
    value: z
      .string()
      .describe('canonical (docs/normalisation.md); url listings are host/path?query expressions'),
    category: Category,
    confidence: z.number().describe('0..1 from the corroborating sources'),
    status: Status,
    firstSeen: z.string(),
    lastSeen: z.string(),
    expiresAt: z.string().nullable(),
    version: z.number().int(),
    evidence: z.array(z.string()),
    lookalike: Lookalike.nullable().describe('set when the value imitates a protected brand'),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Listing' });

const State = z.object({
  id: z.string(),
  kind: Kind,
  value: z.string(),
  category: Category,
  confidence: z.number(),
  status: Status,
  expiresAt: z.number().nullable(),
  version: z.number().int(),
});

const ListingDetailSchema = z
  .object({
    ...Listing.shape,
    sources: z.array(
      z.object({
        kind: z.enum(SOURCE_KINDS),
        organisationId: z.string().nullable(),
        reporterRef: z.string(),
        trust: z.number(),
        firstAt: z.string(),
        lastAt: z.string(),
        count: z.number().int(),
      }),
    ),
    history: z.array(
      z.object({
        version: z.number().int(),
        at: z.string(),
        action: z.enum(HISTORY_ACTIONS),
        actorKind: z.string(),
        actorName: z.string(),
        organisationId: z.string().nullable(),
        reason: z.string().nullable(),
        before: State.nullable(),
        after: State,
      }),
    ),
    sightings: z.array(z.object({ day: z.string(), channel: z.string(), count: z.number().int() })),
  })
  .meta({ id: 'ListingDetail' });

const Review = z
  .object({
    id: z.string(),
    listingId: z.string().nullable(),
    kind: Kind,
    value: z.string(),
    category: Category,
    proposedConfidence: z.number(),
    reason: z.enum(REVIEW_REASONS),
    details: z.record(z.string(), z.unknown()),
    proposer: z.object({
      kind: z.string(),
      name: z.string(),
      id: z.string().nullable(),
      organisationId: z.string().nullable(),
    }),
    submissions: z.number().int(),
    status: z.enum(REVIEW_STATUSES),
    decidedBy: z.string().nullable(),
    decidedAt: z.string().nullable(),
    decisionReason: z.string().nullable(),
    createdAt: z.string(),
  })
  .meta({ id: 'ListingReview' });

const ListOutcome = z.object({
  outcome: z.enum(['listed', 'corroborated', 'relisted', 'review']),
  reason: z.enum(REVIEW_REASONS).optional().describe('review: why the value was not listed'),
  reviewId: z.string().nullable(),
  listing: Listing.nullable(),
});

const Protected = z
  .object({
    id: z.string(),
    kind: Kind,
    value: z.string(),
    label: z.string(),
    reason: z.string().nullable(),
    addedBy: z.string(),
    createdAt: z.string(),
  })
  .meta({ id: 'ProtectedIndicator' });

const BrandSchema = z.object({ brand: z.string(), domains: z.array(z.string()) });

const errors = { 400: Problem, 401: Problem, 403: Problem, 404: Problem };
const iso = (d: Date | null) => (d === null ? null : d.toISOString());

const centre = ['anti_fraud_centre'] as const;
const writers = { roles: ['analyst', 'supervisor'], scope: 'listings:write' } as const;
const readers = { roles: ['analyst', 'supervisor', 'auditor'], scope: 'listings:read' } as const;
const editors = { roles: ['analyst', 'supervisor'], orgKinds: centre } as const;
const allowlistReaders = {
  roles: ['analyst', 'supervisor', 'auditor', 'administrator'],
  orgKinds: centre,
} as const;
const allowlistWriters = { roles: ['supervisor', 'administrator'], orgKinds: centre } as const;

/** Routes open to API keys take users of the anti-fraud centre only. */
function centreUserOrKey(p: Principal): void {
  if (p.kind === 'user' && p.organisationKind !== 'anti_fraud_centre') {
    throw forbidden(
      'only the anti-fraud centre’s staff, or institutions through their API keys, may do this',
    );
  }
}

export function listingJson(v: ListingView) {
  return {
    id: v.id,
    kind: v.kind,
    value: v.value,
    category: v.category,
    confidence: v.confidence,
    status: v.status,
    firstSeen: v.firstSeen.toISOString(),
    lastSeen: v.lastSeen.toISOString(),
    expiresAt: iso(v.expiresAt),
    version: v.version,
    evidence: v.evidence,
    lookalike: v.lookalike,
    createdAt: v.createdAt.toISOString(),
    updatedAt: v.updatedAt.toISOString(),
  };
}

/** The detail; other organisations' sources and the history's names stay hidden from outside the centre. */
function detailJson(d: ListingDetail, p: Principal) {
  const inside = p.organisationKind === 'anti_fraud_centre';
  return {
    ...listingJson(d),
    sources: d.sources.map((s) => {
      const visible = inside || s.organisationId === p.organisationId;
      return {
        kind: s.kind,
        organisationId: visible ? s.organisationId : null,
        reporterRef: visible ? s.reporterRef : '',
        trust: s.trust,
        firstAt: s.firstAt.toISOString(),
        lastAt: s.lastAt.toISOString(),
        count: s.count,
      };
    }),
    history: d.history.map((h) => {
      const visible = inside || h.organisationId === p.organisationId;
      return {
        version: h.version,
        at: h.at.toISOString(),
        action: h.action,
        actorKind: h.actorKind,
        actorName: visible ? h.actorName : '',
        organisationId: visible ? h.organisationId : null,
        reason: h.reason,
        before: h.before,
        after: h.after,
      };
    }),
    sightings: d.sightings,
  };
}

function reviewJson(r: ReviewView) {
  return {
    id: r.id,
    listingId: r.listingId,
    kind: r.kind,
    value: r.value,
    category: r.category,
    proposedConfidence: r.proposedConfidence,
    reason: r.reason,
    details: r.details as Record<string, unknown>,
    proposer: r.proposer,
    submissions: r.submissions,
    status: r.status,
    decidedBy: r.decidedBy,
    decidedAt: iso(r.decidedAt),
    decisionReason: r.decisionReason,
    createdAt: r.createdAt.toISOString(),
  };
}

function protectedJson(p: ProtectedIndicator) {
  return { ...p, createdAt: p.createdAt.toISOString() };
}

const rid = (req: FastifyRequest) => String(req.id);

export function registryRoutes(app: Api, s: Services): void {
  const { db, bus } = s;

  // --- listings --------------------------------------------------------------------------------
  app.post(
    '/v1/listings',
    {
      config: { access: writers },
      schema: {
        tags: ['registry'],
        summary: 'List an indicator, or corroborate its listing (protected values go to review instead)',
        description:
          'The value is normalised (docs/normalisation.md); an unparseable one is 400 with the normaliser’s code. ' +
          '201: listed (active, or pending review when the confidence is low); 200: corroborated or relisted; ' +
          '202: not listed, a review was opened (protected value, previously delisted, same-label look-alike).',
        body: z.strictObject({
          kind: Kind,
          value: z.string().min(1).max(16384),
          category: Category,
          evidence: z
            .array(z.string().min(1).max(500))
            .max(20)
            .optional()
            .describe('references: case numbers, report ids, evidence-store URLs'),
          expiresAt: IsoTime.nullable()
            .optional()
            .describe('default by kind; null (analysts): until delisted'),
          institution: z.string().min(1).max(100).optional().describe('bank_account: the bank'),
          provider: z.string().min(1).max(100).optional().describe('payment_account: alipay, wechatpay…'),
          platform: z.string().min(1).max(100).optional().describe('internet_account: wechat, qq, telegram…'),
        }),
        response: { 200: ListOutcome, 201: ListOutcome, 202: ListOutcome, ...errors, 409: Problem },
      },
    },
    async (req, reply) => {
      const p = principalOf(req);
      centreUserOrKey(p);
      const b = req.body;
      const source: SourceSpec =
        p.kind === 'api_key'
          ? { kind: 'institution', organisationId: p.organisationId }
          : { kind: 'analyst', organisationId: p.organisationId, reporterRef: p.id };
      const r = await listIndicator(
        db,
        bus,
        p,
        {
          kind: b.kind,
          value: b.value,
          category: b.category,
          source,
          ...(b.evidence ? { evidence: b.evidence } : {}),
          ...(b.expiresAt !== undefined ? { expiresAt: b.expiresAt } : {}),
          normalize: {
            ...(b.institution ? { institution: b.institution } : {}),
            ...(b.provider ? { provider: b.provider } : {}),
            ...(b.platform ? { platform: b.platform } : {}),
          },
        },
        { requestId: rid(req) },
      );
      if (r.outcome === 'review') {
        return reply.code(202).send({
          outcome: 'review',
          reason: r.reason,
          reviewId: r.reviewId,
          listing: r.listing ? listingJson(r.listing) : null,
        });
      }
      return reply
        .code(r.outcome === 'listed' ? 201 : 200)
        .send({ outcome: r.outcome, reviewId: r.reviewId, listing: listingJson(r.listing) });
    },
  );

  app.get(
    '/v1/listings',
    {
      config: { access: readers },
      schema: {
        tags: ['registry'],
        summary: 'Search listings, most recently changed first',
        description:
          'q: an indicator as written, matched exactly after normalising it as each kind (or as `kind`).',
        querystring: z.object({
          kind: Kind.optional(),
          q: z.string().max(2048).optional(),
          category: Category.optional(),
          status: Status.optional(),
          limit: z.coerce.number().int().min(1).max(MAX_SEARCH).optional(),
          cursor: z.string().max(20).optional().describe('nextCursor of the previous page'),
        }),
        response: {
          200: z.object({ items: z.array(Listing), nextCursor: z.string().nullable() }),
          ...errors,
        },
      },
    },
    async (req) => {
      centreUserOrKey(principalOf(req));
      const r = await searchListings(db, req.query);
      return { items: r.items.map(listingJson), nextCursor: r.nextCursor };
    },
  );

  app.get(
    '/v1/listings/:id',
    {
      config: { access: readers },
      schema: {
        tags: ['registry'],
        summary: 'One listing with its sources, history and daily sightings (last 90 days)',
        params: z.object({ id: z.uuid() }),
        response: { 200: ListingDetailSchema, ...errors },
      },
    },
    async (req) => {
      const p = principalOf(req);
      centreUserOrKey(p);
      return detailJson(await getListing(db, req.params.id), p);
    },
  );

  app.patch(
    '/v1/listings/:id',
    {
      config: { access: editors },
      schema: {
        tags: ['registry'],
        summary:
          'Change a listing’s category, expiry or status (active, under_appeal, pending_review), with a reason',
        params: z.object({ id: z.uuid() }),
        body: z.strictObject({
          category: Category.optional(),
          expiresAt: IsoTime.nullable().optional().describe('null: until delisted'),
          status: z.enum(['active', 'under_appeal', 'pending_review']).optional(),
          reason: Reason,
        }),
        response: { 200: Listing, ...errors, 409: Problem },
      },
    },
    async (req) => {
      const b = req.body;
      const v = await changeListing(
        db,
        bus,
        principalOf(req),
        req.params.id,
        {
          reason: b.reason,
          ...(b.category !== undefined ? { category: b.category } : {}),
          ...(b.expiresAt !== undefined ? { expiresAt: b.expiresAt } : {}),
          ...(b.status !== undefined ? { status: b.status } : {}),
        },
        { requestId: rid(req) },
      );
      return listingJson(v);
    },
  );

  app.post(
    '/v1/listings/:id/delist',
    {
      config: { access: editors },
      schema: {
        tags: ['registry'],
        summary: 'Delist a listing, with a reason (analysts and supervisors of the centre)',
        params: z.object({ id: z.uuid() }),
        body: z.strictObject({ reason: Reason }),
        response: { 200: Listing, ...errors, 409: Problem },
      },
    },
    async (req) =>
      listingJson(
        await delist(db, bus, principalOf(req), req.params.id, req.body.reason, { requestId: rid(req) }),
      ),
  );

  // --- allowlist -------------------------------------------------------------------------------
  app.get(
    '/v1/allowlist',
    {
      config: { access: allowlistReaders },
      schema: {
        tags: ['registry'],
        summary: 'Protected indicators: no listing can block them',
        querystring: z.object({
          kind: Kind.optional(),
          q: z.string().max(200).optional().describe('part of the value or label'),
          limit: z.coerce.number().int().min(1).max(5000).optional(),
        }),
        response: { 200: z.object({ items: z.array(Protected) }), ...errors },
      },
    },
    async (req) => ({ items: (await listProtected(db, req.query)).map(protectedJson) }),
  );

  app.post(
    '/v1/allowlist',
    {
      config: { access: allowlistWriters },
      schema: {
        tags: ['registry'],
        summary: 'Protect an indicator; listings it covers are delisted',
        description: 'A domain may be a public suffix such as gov.cn: it covers every name under it.',
        body: z.strictObject({
          kind: Kind,
          value: z.string().min(1).max(2048),
          label: z.string().trim().min(1).max(200).describe('what it is, e.g. "95588 ICBC hotline"'),
          reason: z.string().max(1000).optional(),
        }),
        response: { 201: Protected.extend({ delisted: z.number().int() }), ...errors, 409: Problem },
      },
    },
    async (req, reply) => {
      const r = await addProtected(db, bus, principalOf(req), req.body, rid(req));
      return reply.code(201).send({ ...protectedJson(r), delisted: r.delisted });
    },
  );

  app.delete(
    '/v1/allowlist/:id',
    {
      config: { access: allowlistWriters },
      schema: {
        tags: ['registry'],
        summary: 'Remove an allowlist entry',
        params: z.object({ id: z.uuid() }),
        querystring: z.object({ reason: z.string().max(1000).optional() }),
        response: { 204: z.undefined(), ...errors },
      },
    },
    async (req, reply) => {
      await removeProtected(db, principalOf(req), req.params.id, req.query.reason ?? null, rid(req));
      return reply.code(204).send();
    },
  );

  app.get(
    '/v1/allowlist/brands',
    {
      config: { access: allowlistReaders },
      schema: {
        tags: ['registry'],
        summary: 'Protected brands and their official domains (look-alikes of them are flagged)',
        response: { 200: z.object({ items: z.array(BrandSchema) }), ...errors },
      },
    },
    async () => ({ items: (await listBrands(db)).map((b) => ({ brand: b.brand, domains: [...b.domains] })) }),
  );

  app.put(
    '/v1/allowlist/brands/:brand',
    {
      config: { access: allowlistWriters },
      schema: {
        tags: ['registry'],
        summary: 'Add a protected brand or replace its official domains',
        params: z.object({ brand: z.string().min(1).max(100) }),
        body: z.strictObject({ domains: z.array(z.string().min(1).max(253)).min(1).max(50) }),
        response: { 200: BrandSchema, ...errors },
      },
    },
    async (req) => {
      const b = await upsertBrand(
        db,
        principalOf(req),
        { brand: req.params.brand, domains: req.body.domains },
        rid(req),
      );
      return { brand: b.brand, domains: [...b.domains] };
    },
  );

  app.delete(
    '/v1/allowlist/brands/:brand',
    {
      config: { access: allowlistWriters },
      schema: {
        tags: ['registry'],
        summary: 'Remove a protected brand',
        params: z.object({ brand: z.string().min(1).max(100) }),
        response: { 204: z.undefined(), ...errors },
      },
    },
    async (req, reply) => {
      await removeBrand(db, principalOf(req), req.params.brand, rid(req));
      return reply.code(204).send();
    },
  );

  // --- reviews ---------------------------------------------------------------------------------
  app.get(
    '/v1/reviews',
    {
      config: { access: { roles: ['supervisor', 'auditor'], orgKinds: centre } },
      schema: {
        tags: ['registry'],
        summary:
          'The review queue: submissions not listed (protected, look-alike of a brand, delisted before, low confidence)',
        querystring: z.object({
          status: z.enum(REVIEW_STATUSES).optional().describe('default open (oldest first)'),
          reason: z.enum(REVIEW_REASONS).optional(),
          limit: z.coerce.number().int().min(1).max(1000).optional(),
        }),
        response: { 200: z.object({ items: z.array(Review) }), ...errors },
      },
    },
    async (req) => ({ items: (await listReviews(db, req.query)).map(reviewJson) }),
  );

  app.get(
    '/v1/reviews/:id',
    {
      config: { access: { roles: ['supervisor', 'auditor'], orgKinds: centre } },
      schema: {
        tags: ['registry'],
        summary: 'One review',
        params: z.object({ id: z.uuid() }),
        response: { 200: Review, ...errors },
      },
    },
    async (req) => reviewJson(await getReview(db, req.params.id)),
  );

  app.post(
    '/v1/reviews/:id/decision',
    {
      config: { access: { roles: ['supervisor'], orgKinds: centre } },
      schema: {
        tags: ['registry'],
        summary: 'Accept (list) or reject a review, with a reason',
        description:
          'A protected value cannot be accepted while it is on the allowlist (409 still_protected). Rejecting a ' +
          'low-confidence review delists its pending listing.',
        params: z.object({ id: z.uuid() }),
        body: z.strictObject({
          decision: z.enum(['accept', 'reject']),
          reason: Reason,
          category: Category.optional().describe('accept: list under this category'),
        }),
        response: {
          200: z.object({ review: Review, listing: Listing.nullable() }),
          ...errors,
          409: Problem,
        },
      },
    },
    async (req) => {
      const b = req.body;
      const r = await decideReview(
        db,
        bus,
        principalOf(req),
        req.params.id,
        { decision: b.decision, reason: b.reason, ...(b.category ? { category: b.category } : {}) },
        { requestId: rid(req) },
      );
      return { review: reviewJson(r.review), listing: r.listing ? listingJson(r.listing) : null };
    },
  );

  // --- look-alikes -----------------------------------------------------------------------------
  app.post(
    '/v1/lookalikes/check',
    {
      config: { access: { roles: ['analyst', 'supervisor'], scope: 'listings:read' } },
      schema: {
        tags: ['registry'],
        summary:
          'Which protected brands a domain or URL imitates (homoglyphs, punycode, edit distance, subdomains)',
        body: z.strictObject({ value: z.string().min(1).max(2048).describe('a domain, host or URL') }),
        response: {
          200: z.object({
            host: z.string(),
            unicodeHost: z.string(),
            domain: z.string(),
            matches: z.array(
              z.object({
                brand: z.string(),
                domain: z.string(),
                reason: z.enum(LOOKALIKE_REASONS),
                distance: z.number().int().optional(),
              }),
            ),
          }),
          ...errors,
        },
      },
    },
    async (req) => {
      centreUserOrKey(principalOf(req));
      const h = parseHost(req.body.value);
      if (!h) throw badRequest('invalid_host', 'value: not a domain name, host or URL with a host name');
      const matches = findLookalikes(h, await loadCompiledBrands(db));
      return { host: h.host, unicodeHost: h.unicodeHost, domain: h.domain, matches };
    },
  );
}
