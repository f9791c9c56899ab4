import { z } from 'zod';
import { registerEvent } from '../core/bus/events.ts';
import { registerWebhookEvent } from '../governance/webhooks.ts';
import { FREEZE_STATUSES, FUND_CASE_SOURCES, STOP_PAYMENT_STATUSES } from './case-tables.ts';

/**
 * The funds capability's events. Victims appear only by id: their names, id numbers and phones stay
 * encrypted in the database. Requests to a bank name it (`institutionId`), and the pushable ones
 * go to that bank's webhook subscriptions (src/governance/webhooks.ts).
 */

const amount = z.number().int().describe('minor units');
const iso = z.string().describe('ISO 8601');

const FundCaseOpened = z.strictObject({
  id: z.uuid().describe('the fund case'),
  reference: z.string(),
  source: z.enum(FUND_CASE_SOURCES),
  reportId: z.uuid().nullable(),
  warningId: z.uuid().nullable(),
  victims: z.number().int(),
  lossTotal: amount,
});
const FundCaseClosed = z.strictObject({
  id: z.uuid().describe('the fund case'),
  reference: z.string(),
  returns: z.number().int().describe('returns instructed at closing'),
  returned: amount.describe('the money instructed back to victims'),
});

const request = {
  id: z.uuid().describe('the stop-payment'),
  reference: z.string(),
  caseId: z.uuid(),
  caseReference: z.string(),
  institutionId: z.uuid().describe('the bank that must act'),
  account: z.string().describe('the account at that bank'),
};
const StopPaymentRequested = z.strictObject({
  ...request,
  amountRequested: amount,
  legalBasis: z.string(),
  ackDeadlineAt: iso.describe('acknowledge by'),
});
const stopChange = (extra: z.ZodRawShape = {}) =>
  z.strictObject({ ...request, status: z.enum(STOP_PAYMENT_STATUSES), ...extra });
const StopPaymentAcknowledged = stopChange({ lateAck: z.boolean() });
const StopPaymentExecuted = stopChange({ amountStopped: amount, expiresAt: iso });
const StopPaymentRefused = stopChange();
const StopPaymentRenewed = stopChange({ renewals: z.number().int(), expiresAt: iso });
const StopPaymentReleased = stopChange({ previous: z.enum(STOP_PAYMENT_STATUSES) });
const StopPaymentEscalated = stopChange({ ackDeadlineAt: iso.describe('the deadline that passed') });
const StopPaymentExpired = stopChange({ expiresAt: iso });
const StopPaymentConverted = stopChange({ freezeId: z.uuid() });

const freeze = {
  id: z.uuid().describe('the freeze'),
  reference: z.string(),
  caseId: z.uuid(),
  caseReference: z.string(),
  stopPaymentId: z.uuid().nullable().describe('the stop-payment it converts'),
  institutionId: z.uuid().describe('the bank that must act'),
  account: z.string(),
};
const FreezeRequested = z.strictObject({ ...freeze, amountRequested: amount, expiresAt: iso });
const freezeChange = (extra: z.ZodRawShape = {}) =>
  z.strictObject({ ...freeze, status: z.enum(FREEZE_STATUSES), ...extra });
const FreezeAcknowledged = freezeChange();
const FreezeExecuted = freezeChange({ amountFrozen: amount });
const FreezeRefused = freezeChange();
const FreezeReleased = freezeChange({ previous: z.enum(FREEZE_STATUSES) });

const ret = {
  id: z.uuid().describe('the return'),
  caseId: z.uuid(),
  caseReference: z.string(),
  freezeId: z.uuid(),
  institutionId: z.uuid().describe('the bank holding the frozen money'),
  account: z.string().describe('the frozen account'),
  victimId: z.uuid().describe('who the money goes back to (their details are given through the centre)'),
  amount,
};
const ReturnInstructed = z.strictObject(ret);
const ReturnExecuted = z.strictObject(ret);

declare module '../core/bus/events.ts' {
  interface EventMap {
    'fund_case.opened': z.infer<typeof FundCaseOpened>;
    'fund_case.closed': z.infer<typeof FundCaseClosed>;
    'stop_payment.requested': z.infer<typeof StopPaymentRequested>;
    'stop_payment.acknowledged': z.infer<typeof StopPaymentAcknowledged>;
    'stop_payment.executed': z.infer<typeof StopPaymentExecuted>;
    'stop_payment.refused': z.infer<typeof StopPaymentRefused>;
    'stop_payment.renewed': z.infer<typeof StopPaymentRenewed>;
    'stop_payment.released': z.infer<typeof StopPaymentReleased>;
    'stop_payment.escalated': z.infer<typeof StopPaymentEscalated>;
    'stop_payment.expired': z.infer<typeof StopPaymentExpired>;
    'stop_payment.converted': z.infer<typeof StopPaymentConverted>;
    'freeze.requested': z.infer<typeof FreezeRequested>;
    'freeze.acknowledged': z.infer<typeof FreezeAcknowledged>;
    'freeze.executed': z.infer<typeof FreezeExecuted>;
    'freeze.refused': z.infer<typeof FreezeRefused>;
    'freeze.released': z.infer<typeof FreezeReleased>;
    'return.instructed': z.infer<typeof ReturnInstructed>;
    'return.executed': z.infer<typeof ReturnExecuted>;
  }
}

const key = { keyField: 'id' };
registerEvent(
  'fund_case.opened',
  'A fund case was opened (from a report, by an analyst, or from a warning whose person had already paid); its first stop-payments go out in the same transaction.',
  FundCaseOpened,
  key,
);
registerEvent(
  'fund_case.closed',
  'A fund case was closed; frozen money was instructed back to the victims.',
  FundCaseClosed,
  key,
);
registerEvent(
  'stop_payment.requested',
  'An emergency stop-payment went to a bank for an account.',
  StopPaymentRequested,
  key,
);
registerEvent(
  'stop_payment.acknowledged',
  'The bank acknowledged a stop-payment (late when past its deadline).',
  StopPaymentAcknowledged,
  key,
);
registerEvent(
  'stop_payment.executed',
  'The bank stopped the money (possibly less than requested: what the account held).',
  StopPaymentExecuted,
  key,
);
registerEvent(
  'stop_payment.refused',
  'The bank refused a stop-payment with a reason.',
  StopPaymentRefused,
  key,
);
registerEvent(
  'stop_payment.renewed',
  'The centre renewed an executed stop-payment for another period.',
  StopPaymentRenewed,
  key,
);
registerEvent(
  'stop_payment.released',
  'The centre released a stop-payment: the bank lifts it.',
  StopPaymentReleased,
  key,
);
registerEvent(
  'stop_payment.escalated',
  'A stop-payment was not acknowledged by its deadline: escalated.',
  StopPaymentEscalated,
  key,
);
registerEvent(
  'stop_payment.expired',
  'An executed stop-payment lapsed, not renewed or converted to a freeze in time.',
  StopPaymentExpired,
  key,
);
registerEvent(
  'stop_payment.converted',
  'An executed stop-payment was converted to a freeze of the stopped amount.',
  StopPaymentConverted,
  key,
);
registerEvent('freeze.requested', 'A freeze went to a bank for an account.', FreezeRequested, key);
registerEvent('freeze.acknowledged', 'The bank acknowledged a freeze.', FreezeAcknowledged, key);
registerEvent('freeze.executed', 'The bank froze the money.', FreezeExecuted, key);
registerEvent('freeze.refused', 'The bank refused a freeze with a reason.', FreezeRefused, key);
registerEvent('freeze.released', 'A freeze was released: the bank lifts it.', FreezeReleased, key);
registerEvent(
  'return.instructed',
  'Frozen money is to go back to a victim (pro rata to what the trace attributed to each).',
  ReturnInstructed,
  key,
);
registerEvent('return.executed', 'The bank paid a return to the victim.', ReturnExecuted, key);

const institutionOf = (data: unknown) => (data as { institutionId?: string }).institutionId ?? null;
for (const t of [
  'stop_payment.requested',
  'stop_payment.renewed',
  'stop_payment.released',
  'stop_payment.escalated',
  'stop_payment.expired',
  'freeze.requested',
  'freeze.released',
  'return.instructed',
] as const)
  registerWebhookEvent(t, institutionOf);
