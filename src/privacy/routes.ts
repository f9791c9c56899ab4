import { z } from 'zod';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Api, Services } from '../api/types.ts';
import { principalOf } from '../api/access.ts';
import { Problem } from '../api/problem.ts';
import {
  findPersonByIdNumber,
  listAccessLog,
  listPersons,
  MAX_ACCESS_LOG,
  MAX_LIST,
  readPerson,
  type PersonView,
} from './access.ts';
import { ensurePerson } from './service.ts';
import { ID_TYPES } from './idnumber.ts';
import { ACCOUNT_STATUSES, ACCOUNT_TYPES, CARD_STATUSES, CARD_TYPES } from './tables.ts';

const PersonListItem = z.object({
  id: z.string(),
  name: z.string().describe('masked'),
  idNumber: z.string().describe('masked'),
  phoneCardCount: z.number().int().describe('phone cards in service (cards given back are not counted)'),
  bankAccountCount: z.number().int(),
  createdAt: z.string(),
  numberHolder: z
    .enum(['present', 'former'])
    .optional()
    .describe(
      'searched by a phone number: whether this person holds it now or held it before it was given back (the present holder is listed first)',
    ),
});

const PersonDetail = z
  .object({
    id: z.string(),
    idType: z.enum(ID_TYPES).describe('prc_resident, passport…'),
    name: z.string(),
    idNumber: z.string(),
    birthDate: z.string().nullable().describe('YYYY-MM-DD; null when masked or not carried by the document'),
    masked: z.boolean().describe('true when the values are masked for your role and purpose'),
    phoneCards: z.array(
      z.object({
        msisdn: z.string(),
        operator: z.string(),
        cardType: z.enum(CARD_TYPES),
        activatedAt: z.string().nullable(),
        status: z.enum(CARD_STATUSES),
        cancelledAt: z.string().nullable().describe('when a card given back was cancelled; null otherwise'),
      }),
    ),
    bankAccounts: z.array(
      z.object({
        account: z.string(),
        institution: z.string(),
        accountType: z.enum(ACCOUNT_TYPES),
        openedAt: z.string().nullable(),
        status: z.enum(ACCOUNT_STATUSES),
        closedAt: z.string().nullable().describe('when the institution closed it; null otherwise'),
      }),
    ),
  })
  .meta({ id: 'Person' });

const AccessRecord = z.object({
  id: z.number().int(),
  at: z.string(),
  actorName: z.string(),
  personId: z.string(),
  fields: z.array(z.string()),
  purpose: z.string(),
  clear: z.boolean(),
});

const Purpose = z
  .string()
  .max(200)
  .optional()
  .describe(
    'why you read: kind[:reference], e.g. case:CASE-2026-0042, appeal:APL-2026-0001, verification:<ref>',
  );

const errors = { 400: Problem, 401: Problem, 403: Problem, 404: Problem };

/** Who reads lists: the anti-fraud centre's staff (masked always). */
const centreReaders = {
  roles: ['analyst', 'supervisor', 'auditor', 'administrator'],
  orgKinds: ['anti_fraud_centre'],
} as const;
/** Who reads one person: the centre, and operators and banks (their own customers, API keys with persons:read). */
const personReaders = {
  roles: ['analyst', 'supervisor', 'auditor', 'administrator', 'institution_operator'],
  orgKinds: ['anti_fraud_centre', 'telecom_operator', 'bank'],
  scope: 'persons:read',
} as const;

const iso = (d: Date | null) => (d === null ? null : new Date(d).toISOString());

function toDetail(v: PersonView) {
  return {
    id: v.id,
    idType: v.idType,
    name: v.name ?? '',
    idNumber: v.idNumber ?? '',
    birthDate: v.birthDate ?? null,
    masked: v.masked,
    phoneCards: (v.phoneCards ?? []).map((c) => ({
      msisdn: c.msisdn,
      operator: c.operator,
      cardType: c.cardType,
      activatedAt: iso(c.activatedAt),
      status: c.status,
      cancelledAt: iso(c.cancelledAt),
    })),
    bankAccounts: (v.bankAccounts ?? []).map((a) => ({
      account: a.account,
      institution: a.institution,
      accountType: a.accountType,
      openedAt: iso(a.openedAt),
      status: a.status,
      closedAt: iso(a.closedAt),
    })),
  };
}

/** Personal data is never cached by browsers or proxies. */
const noStore = (reply: FastifyReply) => reply.header('cache-control', 'no-store');

export function privacyRoutes(app: Api, s: Services): void {
  const { db, pii, bus } = s;

  /** Lists are always masked; without a purpose they are recorded as `search`. */
  async function list(
    req: FastifyRequest,
    opts: { q?: string | undefined; limit?: number | undefined; purpose?: string | undefined },
  ) {
    const items = await listPersons(db, pii, principalOf(req), {
      q: opts.q ?? null,
      limit: opts.limit ?? 50,
      purpose: opts.purpose ?? 'search',
      requestId: String(req.id),
    });
    return {
      items: items.map((i) => ({
        id: i.id,
        name: i.name,
        idNumber: i.idNumber,
        phoneCardCount: i.phoneCardCount,
        bankAccountCount: i.bankAccountCount,
        createdAt: i.createdAt.toISOString(),
        ...(i.numberHolder && { numberHolder: i.numberHolder }),
      })),
    };
  }

  app.get(
    '/v1/persons',
    {
      config: { access: centreReaders },
      schema: {
        tags: ['privacy'],
        summary:
          'Persons, newest first or matching q (masked; each listed person is recorded in the access log)',
        description:
          'q: an exact identity number, phone number or account number. Identity numbers in a URL end up in ' +
          'access logs of proxies: prefer POST /v1/persons/search for them.',
        querystring: z.object({
          q: z.string().max(100).optional(),
          limit: z.coerce.number().int().min(1).max(MAX_LIST).optional(),
          purpose: Purpose,
        }),
        response: { 200: z.object({ items: z.array(PersonListItem) }), ...errors },
      },
    },
    async (req, reply) => {
      noStore(reply);
      return list(req, req.query);
    },
  );

  app.post(
    '/v1/persons/search',
    {
      config: { access: centreReaders },
      schema: {
        tags: ['privacy'],
        summary: 'As GET /v1/persons, with the search term in the body (keeps identity numbers out of URLs)',
        body: z.strictObject({
          q: z.string().max(100).optional(),
          limit: z.number().int().min(1).max(MAX_LIST).optional(),
          purpose: Purpose,
        }),
        response: { 200: z.object({ items: z.array(PersonListItem) }), ...errors },
      },
    },
    async (req, reply) => {
      noStore(reply);
      return list(req, req.body);
    },
  );

  app.get(
    '/v1/persons/:id',
    {
      config: { access: personReaders },
      schema: {
        tags: ['privacy'],
        summary: 'One person, masked or clear by your role and purpose (recorded in the access log)',
        description:
          'Operators and banks see only persons holding a card or account with them, and only those cards and ' +
          'accounts; any other person is 404.',
        params: z.object({ id: z.uuid() }),
        querystring: z.object({ purpose: Purpose }),
        response: { 200: PersonDetail, ...errors },
      },
    },
    async (req, reply) => {
      noStore(reply);
      const view = await readPerson(db, pii, principalOf(req), req.params.id, {
        purpose: req.query.purpose,
        requestId: String(req.id),
      });
      return toDetail(view);
    },
  );

  app.post(
    '/v1/persons/lookup',
    {
      config: { access: personReaders },
      schema: {
        tags: ['privacy'],
        summary:
          'Find a person by identity number (in the body: never in a URL); same answer as GET /v1/persons/{id}',
        body: z.strictObject({
          idNumber: z
            .string()
            .min(1)
            .max(64)
            .describe('PRC resident identity number, or type:value (passport:E12345678)'),
          purpose: Purpose,
        }),
        response: { 200: PersonDetail, ...errors },
      },
    },
    async (req, reply) => {
      noStore(reply);
      const view = await findPersonByIdNumber(
        db,
        pii,
        principalOf(req),
        req.body.idNumber,
        req.body.purpose,
        {
          requestId: String(req.id),
        },
      );
      return toDetail(view);
    },
  );

  app.post(
    '/v1/persons',
    {
      config: { access: { roles: ['analyst', 'administrator'], orgKinds: ['anti_fraud_centre'] } },
      schema: {
        tags: ['privacy'],
        summary: 'Record a person (encrypted); 200 with the existing id when the identity number is known',
        body: z.strictObject({
          name: z.string().min(1).max(200),
          idNumber: z
            .string()
            .min(1)
            .max(64)
            .describe('PRC resident identity number, or type:value (passport:E12345678)'),
        }),
        response: {
          201: z.object({ id: z.string() }),
          200: z.object({ id: z.string() }),
          ...errors,
          409: Problem,
        },
      },
    },
    async (req, reply) => {
      const p = principalOf(req);
      const { id, created } = await ensurePerson(db, pii, bus, p, req.body, String(req.id));
      return reply.code(created ? 201 : 200).send({ id });
    },
  );

  app.get(
    '/v1/access-log',
    {
      config: { access: { roles: ['auditor', 'administrator'] } },
      schema: {
        tags: ['privacy'],
        summary: 'Reads of personal data, newest first (the centre sees all; others their own organisation)',
        querystring: z.object({
          personId: z.uuid().optional(),
          limit: z.coerce.number().int().min(1).max(MAX_ACCESS_LOG).optional(),
          before: z.coerce
            .number()
            .int()
            .positive()
            .optional()
            .describe('only records with a smaller id (paging)'),
        }),
        response: { 200: z.object({ items: z.array(AccessRecord) }), ...errors },
      },
    },
    async (req) => {
      const rows = await listAccessLog(db, principalOf(req), req.query);
      return {
        items: rows.map((r) => ({
          id: r.id,
          at: r.at.toISOString(),
          actorName: r.actorName,
          personId: r.personId,
          fields: r.fields,
          purpose: r.purpose,
          clear: r.clear,
        })),
      };
    },
  );
}
