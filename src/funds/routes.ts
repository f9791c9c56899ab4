import { z } from 'zod';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { FastifyRequest } from 'fastify';
import type { Api, Services } from '../api/types.ts';
import { principalOf } from '../api/access.ts';
import { Problem } from '../api/problem.ts';
import { scheduleClaimedJob } from '../core/jobs.ts';
import {
  FREEZE_STATUSES,
  FUND_CASE_SOURCES,
  FUND_CASE_STATUSES,
  RETURN_STATUSES,
  STOP_PAYMENT_STATUSES,
} from './case-tables.ts';
import {
  fundStatistics,
  getFundCase,
  listFundCases,
  loadCaseTransactions,
  openFundCase,
  traceFundCase,
} from './cases.ts';
import { closeFundCase, executeReturn, returnInbox } from './returns.ts';
import {
  answerFreeze,
  answerStopPayment,
  changeStopPayment,
  escalateStopPayments,
  expireStopPayments,
  freezeInbox,
  getFreeze,
  releaseFreeze,
  requestStopPayment,
  stopPaymentInbox,
  getStopPayment,
  type BankAnswer,
  type FundServices,
} from './stop-payments.ts';
import { MIX_RULES } from './trace.ts';

/**
 * Fund cases, stop-payments, freezes and returns over HTTP (docs/funds.md, "API"). The centre's
 * analysts and supervisors open and steer cases; banks (users, or API keys with
 * `stop_payments:read/write`) pull their inbox and answer. Another bank's request is 404.
 */

/** How often unacknowledged stop-payments are escalated and lapsed ones expired. */
export const FUNDS_JOB_EVERY_MS = 60_000;

const rid = (req: FastifyRequest) => String(req.id);
const errors = { 400: Problem, 401: Problem, 403: Problem, 404: Problem };
const centre = { roles: ['analyst', 'supervisor'], orgKinds: ['anti_fraud_centre'] } as const;
const centreReaders = {
  roles: ['analyst', 'supervisor', 'auditor'],
  orgKinds: ['anti_fraud_centre'],
} as const;
const bankReaders = {
  roles: ['institution_operator', 'administrator'],
  orgKinds: ['bank'],
  scope: 'stop_payments:read',
} as const;
const bankWriters = {
  roles: ['institution_operator', 'administrator'],
  orgKinds: ['bank'],
  scope: 'stop_payments:write',
} as const;
/** Reading one request: the centre, or the bank it went to. */
const requestReaders = {
  roles: ['analyst', 'supervisor', 'auditor', 'institution_operator', 'administrator'],
  orgKinds: ['anti_fraud_centre', 'bank'],
  scope: 'stop_payments:read',
} as const;
/** Returning transaction data: a bank that was asked, or the centre on its behalf. */
const dataWriters = {
  roles: ['analyst', 'supervisor', 'institution_operator', 'administrator'],
  orgKinds: ['anti_fraud_centre', 'bank'],
  scope: 'stop_payments:write',
} as const;

const iso = z.string().describe('ISO 8601');
const amount = z.number().int().describe('minor units (fen)');
const idParams = z.object({ id: z.uuid() });

const History = z.array(
  z.object({
    at: iso,
    action: z.string(),
    status: z.string().describe('the status after the change'),
    actor: z.string(),
    actorKind: z.string(),
    organisationId: z.string().nullable(),
    note: z.string().nullable(),
  }),
);
const Delivery = z
  .object({
    pushed: z.boolean().describe("delivered to the bank's webhook; false: only in its inbox so far"),
    attempts: z.number().int(),
    lastError: z.string().nullable(),
  })
  .describe('the push of the request to the bank’s webhooks');

const StopPayment = z
  .object({
    id: z.uuid(),
    reference: z.string().describe('STP-YYYY-NNNNNN'),
    caseId: z.uuid(),
    caseReference: z.string(),
    institutionId: z.uuid(),
    institutionName: z.string(),
    account: z.string(),
    amountRequested: amount,
    amountStopped: amount.nullable(),
    legalBasis: z.string(),
    reason: z.string(),
    status: z.enum(STOP_PAYMENT_STATUSES),
    requestedAt: iso,
    ackDeadlineAt: iso,
    acknowledgedAt: iso.nullable(),
    executedAt: iso.nullable(),
    escalated: z.boolean().describe('not acknowledged by its deadline'),
    lateAck: z.boolean(),
    renewals: z.number().int(),
    maxRenewals: z.number().int(),
    expiresAt: iso.nullable().describe('executed: when it lapses unless renewed or converted'),
    delivery: Delivery,
    history: History,
    freezeId: z.uuid().optional().describe('convert: the freeze sent'),
  })
  .meta({ id: 'StopPayment' });

const Freeze = z
  .object({
    id: z.uuid(),
    reference: z.string().describe('FRZ-YYYY-NNNNNN'),
    caseId: z.uuid(),
    caseReference: z.string(),
    stopPaymentId: z.uuid().nullable(),
    institutionId: z.uuid(),
    institutionName: z.string(),
    account: z.string(),
    amountRequested: amount,
    amountFrozen: amount.nullable(),
    status: z.enum(FREEZE_STATUSES),
    requestedAt: iso,
    acknowledgedAt: iso.nullable(),
    executedAt: iso.nullable(),
    expiresAt: iso,
    delivery: Delivery,
    history: History,
  })
  .meta({ id: 'Freeze' });

const Return = z
  .object({
    id: z.uuid(),
    caseId: z.uuid(),
    caseReference: z.string(),
    freezeId: z.uuid(),
    victimId: z.uuid(),
    victimLabel: z.string(),
    institutionId: z.uuid(),
    institutionName: z.string(),
    account: z.string(),
    amount,
    status: z.enum(RETURN_STATUSES),
    instructedAt: iso,
    executedAt: iso.nullable(),
  })
  .meta({ id: 'FundReturn' });

const CaseTrace = z
  .object({
    tracedAt: iso,
    rule: z.enum(MIX_RULES),
    accounts: z.array(
      z.object({
        account: z.string(),
        depth: z.number().int(),
        held: amount,
        heldByVictim: z.record(z.string(), z.number()).describe('by victim id'),
        institutionId: z.string().nullable(),
        frozen: amount,
        stopped: amount,
      }),
    ),
    edges: z.array(
      z.object({
        txnId: z.string(),
        from: z.string(),
        to: z.string().describe('the payee; cash taken out: cash:<channel>'),
        amount,
        traced: amount,
        cashOut: z.boolean(),
        ts: iso,
      }),
    ),
    totals: z.object({ stolen: amount, held: amount, heldBeyondHops: amount, cashedOut: amount }),
    proposals: z
      .array(z.object({ account: z.string(), institutionId: z.string().nullable(), amount }))
      .describe('accounts holding ≥ 100.00 of traced money not covered by a stop-payment or freeze'),
  })
  .meta({ id: 'CaseTrace' });

const caseFields = {
  id: z.uuid(),
  reference: z.string().describe('FND-YYYY-NNNNNN'),
  status: z.enum(FUND_CASE_STATUSES),
  source: z.enum(FUND_CASE_SOURCES),
  reportId: z.string().nullable(),
  warningId: z.string().nullable(),
  victims: z.array(
    z.object({
      id: z.uuid(),
      label: z.string().describe('masked name'),
      lossAmount: amount,
      idNumber: z.string().nullable().describe('masked'),
      phone: z.string().nullable().describe('masked'),
    }),
  ),
  transfers: z.array(
    z.object({
      txnId: z.string(),
      victimId: z.uuid(),
      payerAccount: z.string(),
      payeeAccount: z.string(),
      amount,
      paidAt: iso,
      institutionId: z.string().nullable().describe("the payee's bank"),
      institutionName: z.string().nullable(),
    }),
  ),
  lossTotal: amount,
  openedAt: iso,
  openedBy: z.string(),
  closedAt: iso.nullable(),
  closeNote: z.string().nullable(),
  totals: z.object({ stopped: amount, frozen: amount, returned: amount, traced: amount }),
};
const FundCaseSummary = z.object(caseFields).meta({ id: 'FundCaseSummary' });
const FundCase = z
  .object({
    ...caseFields,
    trace: CaseTrace.nullable(),
    stopPayments: z.array(StopPayment),
    freezes: z.array(Freeze),
    returns: z.array(Return),
    returnsOnClose: z
      .array(
        z.object({ freezeId: z.uuid(), account: z.string(), victimId: z.uuid(), amount }).meta({
          id: 'PlannedReturn',
        }),
      )
      .describe('while open: what closing now would return to each victim, as the close computes it'),
    history: History,
  })
  .meta({ id: 'FundCase' });

const Transfer = z.strictObject({
  txnId: z.string().trim().min(1).max(100).optional().describe('the bank’s transaction id, when known'),
  payerAccount: z.string().trim().min(1).max(64),
  payeeAccount: z.string().trim().min(1).max(64),
  amount: z.number().int().positive().describe('minor units'),
  paidAt: iso,
});
const NewFundCase = z
  .strictObject({
    source: z.enum(FUND_CASE_SOURCES),
    reportId: z.uuid().optional(),
    warningId: z.uuid().optional(),
    victims: z
      .array(
        z.strictObject({
          name: z.string().trim().max(100).optional(),
          idNumber: z.string().trim().max(40).optional(),
          phone: z.string().trim().max(40).optional(),
          transfers: z.array(Transfer).min(1).max(100),
        }),
      )
      .min(1)
      .max(100),
  })
  .meta({ id: 'NewFundCase' });

const LedgerRow = z.object({
  ts: z.string().max(40),
  txn_id: z.string().max(100),
  payer_account: z.string().max(64),
  payee_account: z.string().max(64).optional(),
  amount: z.union([z.string().max(30), z.number()]).describe('a decimal in major units, e.g. 1234.50'),
  currency: z.string().max(3),
  channel: z.string().max(20).optional(),
});

export function fundRoutes(app: Api, services: Services): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const s: FundServices = { db: services.db, bus: services.bus, pii: services.pii, config: services.config };

  // One node per period runs each: the claim makes the others skip.
  scheduleClaimedJob(app, services, 'funds.escalate_stop_payments', FUNDS_JOB_EVERY_MS, (now) =>
    escalateStopPayments(s, now),
  );
  scheduleClaimedJob(app, services, 'funds.expire_stop_payments', FUNDS_JOB_EVERY_MS, (now) =>
    expireStopPayments(s, now),
  );

  r.post(
    '/v1/fund-cases',
    {
      config: { access: centre },
      schema: {
        tags: ['funds'],
        summary: 'Open a fund case: trace the victims’ money and send the first stop-payments',
        description:
          'One stop-payment goes to each payee account at a known bank, for what the trace says it still holds. ' +
          'Transfers the ledger does not know are added to it as given.',
        body: NewFundCase,
        response: { 201: z.object({ id: z.uuid(), reference: z.string() }), ...errors },
      },
    },
    async (req, reply) => {
      const out = await openFundCase(s.db, s, principalOf(req), req.body, { requestId: rid(req) });
      return reply.code(201).send(out);
    },
  );

  r.get(
    '/v1/fund-cases',
    {
      config: { access: centreReaders },
      schema: {
        tags: ['funds'],
        summary: 'Fund cases, newest first (victims masked; the read is recorded)',
        querystring: z.object({
          status: z.enum(FUND_CASE_STATUSES).optional(),
          cursor: z.string().max(200).optional().describe('the `next` of the previous page'),
          limit: z.coerce.number().int().min(1).max(200).optional(),
        }),
        response: {
          200: z.object({ items: z.array(FundCaseSummary), next: z.string().nullable() }),
          ...errors,
        },
      },
    },
    async (req) => listFundCases(s, principalOf(req), req.query, { requestId: rid(req) }),
  );

  r.get(
    '/v1/fund-cases/:id',
    {
      config: { access: centreReaders },
      schema: {
        tags: ['funds'],
        summary: 'One fund case with its trace, stop-payments, freezes, returns and history',
        params: z.object({ id: z.string().min(1).max(40).describe('the id or the FND- reference') }),
        response: { 200: FundCase, ...errors },
      },
    },
    async (req) => getFundCase(s, principalOf(req), req.params.id, { requestId: rid(req) }),
  );

  r.post(
    '/v1/fund-cases/:id/trace',
    {
      config: { access: centre },
      schema: {
        tags: ['funds'],
        summary: 'Trace the case again (another mixing rule, or the ledger grew)',
        params: idParams,
        body: z.strictObject({ rule: z.enum(MIX_RULES).optional() }).nullish(),
        response: { 200: CaseTrace, ...errors },
      },
    },
    async (req) =>
      traceFundCase(s, principalOf(req), req.params.id, { rule: req.body?.rule, requestId: rid(req) }),
  );

  r.post(
    '/v1/fund-cases/:id/stop-payments',
    {
      config: { access: centre },
      schema: {
        tags: ['funds'],
        summary: 'Send a stop-payment for an account of the case',
        description:
          'The account must be at a known bank (else 400 unknown_account) and the amount no more than the ' +
          "case's trace says it holds (else 400 amount_above_traced). Both refusals are audited.",
        params: idParams,
        body: z.strictObject({
          account: z.string().trim().min(1).max(64),
          amount: z.number().int().positive().describe('minor units'),
          minutes: z.number().int().min(1).max(1440).optional().describe('to acknowledge (default 30)'),
          reason: z.string().trim().min(1).max(2000).optional(),
        }),
        response: { 201: StopPayment, ...errors, 409: Problem },
      },
    },
    async (req, reply) =>
      reply
        .code(201)
        .send(
          await requestStopPayment(s, principalOf(req), req.params.id, req.body, { requestId: rid(req) }),
        ),
  );

  r.post(
    '/v1/fund-cases/:id/transactions',
    {
      config: { access: dataWriters },
      schema: {
        tags: ['funds'],
        summary: 'A bank returns transaction data for the case; the case is traced again',
        description:
          'Rows in the transaction shape of docs/formats.md, loaded by txn_id (a row sent again adds nothing). ' +
          'Rows that do not read are listed in `rejected`. A bank answers only for cases that asked it something.',
        params: idParams,
        body: z.strictObject({ transactions: z.array(LedgerRow).min(1).max(10_000) }),
        response: {
          200: z.object({
            added: z.number().int(),
            rejected: z.array(z.object({ row: z.number().int(), reason: z.string() })),
            trace: CaseTrace,
          }),
          ...errors,
        },
      },
    },
    async (req) =>
      loadCaseTransactions(s, principalOf(req), req.params.id, req.body.transactions, {
        requestId: rid(req),
      }),
  );

  r.post(
    '/v1/fund-cases/:id/close',
    {
      config: { access: centre },
      schema: {
        tags: ['funds'],
        summary: 'Close a case: release what still holds, instruct frozen money back to the victims',
        description:
          'Frozen money met from several victims goes back pro rata to what the trace attributed to each, ' +
          'largest remainder in whole fen. Answers the closed case with the returns instructed.',
        params: idParams,
        body: z.strictObject({ note: z.string().trim().min(1).max(2000) }),
        response: { 200: FundCase.extend({ instructed: z.array(Return) }), ...errors, 409: Problem },
      },
    },
    async (req) => {
      const p = principalOf(req);
      const instructed = await closeFundCase(s, p, req.params.id, req.body.note, { requestId: rid(req) });
      return { ...(await getFundCase(s, p, req.params.id, { requestId: rid(req) })), instructed };
    },
  );

  r.get(
    '/v1/funds/statistics',
    {
      config: { access: centreReaders },
      schema: {
        tags: ['funds'],
        summary: 'Money stopped, frozen and returned, cases, and the median time from report to first stop',
        querystring: z.object({ days: z.coerce.number().int().min(1).max(3660).default(30) }),
        response: {
          200: z.object({
            days: z.number().int(),
            cases: z.number().int(),
            stopped: amount,
            frozen: amount,
            returned: amount,
            medianMinutesReportToFirstStop: z.number().nullable(),
          }),
          ...errors,
        },
      },
    },
    async (req) => fundStatistics(s, principalOf(req), req.query.days),
  );

  // --- Stop-payments ------------------------------------------------------------------------------

  r.get(
    '/v1/stop-payments/inbox',
    {
      config: { access: bankReaders },
      schema: {
        tags: ['funds'],
        summary: "The bank's stop-payments, newest first (with each one's push state)",
        querystring: z.object({ status: z.enum(STOP_PAYMENT_STATUSES).optional() }),
        response: { 200: z.object({ items: z.array(StopPayment), next: z.null() }), ...errors },
      },
    },
    async (req) => ({ items: await stopPaymentInbox(s, principalOf(req), req.query), next: null }),
  );

  r.get(
    '/v1/stop-payments/:id',
    {
      config: { access: requestReaders },
      schema: {
        tags: ['funds'],
        summary: 'One stop-payment with its history and push state',
        params: idParams,
        response: { 200: StopPayment, ...errors },
      },
    },
    async (req) => getStopPayment(s, principalOf(req), req.params.id),
  );

  const stopAnswer = (path: string, summary: string, body: z.ZodType, toAnswer: (b: unknown) => BankAnswer) =>
    r.post(
      `/v1/stop-payments/:id/${path}`,
      {
        config: { access: bankWriters },
        schema: {
          tags: ['funds'],
          summary,
          description: 'The bank the stop-payment went to only (others: 404).',
          params: idParams,
          body,
          response: { 200: StopPayment, ...errors, 409: Problem },
        },
      },
      async (req) =>
        answerStopPayment(s, principalOf(req), req.params.id, toAnswer(req.body), { requestId: rid(req) }),
    );
  stopAnswer(
    'acknowledge',
    'Acknowledge a stop-payment (again: 409 already_acknowledged; after the deadline: lateAck)',
    z.strictObject({}).nullish(),
    () => ({ kind: 'acknowledge' }),
  );
  stopAnswer(
    'execute',
    'Report a stop-payment carried out, with what was stopped (at most what was requested)',
    z.strictObject({ amountStopped: z.number().int().min(0), note: z.string().trim().max(2000).optional() }),
    (b) => {
      const x = b as { amountStopped: number; note?: string };
      return { kind: 'execute', amount: x.amountStopped, note: x.note };
    },
  );
  stopAnswer(
    'refuse',
    'Refuse a stop-payment with a reason',
    z.strictObject({ reason: z.string().trim().min(1).max(2000) }),
    (b) => ({ kind: 'refuse', reason: (b as { reason: string }).reason }),
  );

  for (const [path, change, summary] of [
    [
      'renew',
      'renew',
      'Renew an executed stop-payment for another period (at most maxRenewals: then 409 renewal_limit)',
    ],
    ['convert', 'convert', 'Convert an executed stop-payment to a freeze of the stopped amount'],
    ['release', 'release', 'Release a stop-payment: the bank lifts it'],
  ] as const)
    r.post(
      `/v1/stop-payments/:id/${path}`,
      {
        config: { access: centre },
        schema: {
          tags: ['funds'],
          summary,
          params: idParams,
          body: z.strictObject({ note: z.string().trim().max(2000).optional() }).nullish(),
          response: { 200: StopPayment, ...errors, 409: Problem },
        },
      },
      async (req) =>
        changeStopPayment(s, principalOf(req), req.params.id, change, {
          requestId: rid(req),
          note: req.body?.note,
        }),
    );

  // --- Freezes ------------------------------------------------------------------------------------

  r.get(
    '/v1/freezes/inbox',
    {
      config: { access: bankReaders },
      schema: {
        tags: ['funds'],
        summary: "The bank's freezes, newest first",
        querystring: z.object({ status: z.enum(FREEZE_STATUSES).optional() }),
        response: { 200: z.object({ items: z.array(Freeze), next: z.null() }), ...errors },
      },
    },
    async (req) => ({ items: await freezeInbox(s, principalOf(req), req.query), next: null }),
  );

  r.get(
    '/v1/freezes/:id',
    {
      config: { access: requestReaders },
      schema: {
        tags: ['funds'],
        summary: 'One freeze',
        params: idParams,
        response: { 200: Freeze, ...errors },
      },
    },
    async (req) => getFreeze(s, principalOf(req), req.params.id),
  );

  const freezeAnswer = (
    path: string,
    summary: string,
    body: z.ZodType,
    toAnswer: (b: unknown) => BankAnswer,
  ) =>
    r.post(
      `/v1/freezes/:id/${path}`,
      {
        config: { access: bankWriters },
        schema: {
          tags: ['funds'],
          summary,
          description: 'The bank the freeze went to only (others: 404).',
          params: idParams,
          body,
          response: { 200: Freeze, ...errors, 409: Problem },
        },
      },
      async (req) =>
        answerFreeze(s, principalOf(req), req.params.id, toAnswer(req.body), { requestId: rid(req) }),
    );
  freezeAnswer(
    'acknowledge',
    'Acknowledge a freeze (again: 409 already_acknowledged)',
    z.strictObject({}).nullish(),
    () => ({ kind: 'acknowledge' }),
  );
  freezeAnswer(
    'execute',
    'Report a freeze carried out, with what was frozen (at most what was requested)',
    z.strictObject({ amountFrozen: z.number().int().min(0), note: z.string().trim().max(2000).optional() }),
    (b) => {
      const x = b as { amountFrozen: number; note?: string };
      return { kind: 'execute', amount: x.amountFrozen, note: x.note };
    },
  );
  freezeAnswer(
    'refuse',
    'Refuse a freeze with a reason',
    z.strictObject({ reason: z.string().trim().min(1).max(2000) }),
    (b) => ({ kind: 'refuse', reason: (b as { reason: string }).reason }),
  );

  r.post(
    '/v1/freezes/:id/release',
    {
      config: { access: centre },
      schema: {
        tags: ['funds'],
        summary: 'Release a freeze: the bank lifts it',
        params: idParams,
        body: z.strictObject({ note: z.string().trim().max(2000).optional() }).nullish(),
        response: { 200: Freeze, ...errors, 409: Problem },
      },
    },
    async (req) => {
      const p = principalOf(req);
      await releaseFreeze(s, p, req.params.id, { requestId: rid(req), note: req.body?.note });
      return getFreeze(s, p, req.params.id);
    },
  );

  // --- Returns ------------------------------------------------------------------------------------

  r.get(
    '/v1/returns/inbox',
    {
      config: { access: bankReaders },
      schema: {
        tags: ['funds'],
        summary: "The bank's returns to pay, newest first",
        response: { 200: z.object({ items: z.array(Return), next: z.null() }), ...errors },
      },
    },
    async (req) => ({ items: await returnInbox(s, principalOf(req)), next: null }),
  );

  r.post(
    '/v1/returns/:id/execute',
    {
      config: { access: bankWriters },
      schema: {
        tags: ['funds'],
        summary: 'Report a return paid to the victim (when all of a freeze’s are paid, it is returned)',
        params: idParams,
        body: z.strictObject({}).nullish(),
        response: { 200: Return, ...errors, 409: Problem },
      },
    },
    async (req) => executeReturn(s, principalOf(req), req.params.id, { requestId: rid(req) }),
  );
}
