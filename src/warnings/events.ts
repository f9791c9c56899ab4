import { z } from 'zod';
import { registerEvent } from '../core/bus/events.ts';
import { CHANNELS, OUTCOMES, RISK_LEVELS, TRIGGER_KINDS } from './tables.ts';

/**
 * Warning events. No personal data in clear: the person's accounts and numbers appear only as
 * keyed hashes (`accountKeys`, `msisdnKeys`: cooling-off.ts accountKey/msisdnKey), so the transfer
 * decision node can hold a warned payer's transfer without holding anyone's number.
 */

const base = {
  id: z.uuid().describe('the warning'),
  reference: z.string().describe('WRN-YYYY-NNNNNN'),
  riskLevel: z.enum(RISK_LEVELS),
  priority: z.number().int().min(0).max(100),
  scamType: z.string().nullable(),
  accountKeys: z.array(z.string()).describe("keyed hashes of the person's bank accounts (canonical form)"),
  msisdnKeys: z.array(z.string()).describe("keyed hashes of the person's numbers (E.164)"),
};

const WarningOpened = z.strictObject({
  ...base,
  reopened: z.boolean().describe('true: a closed warning of the same episode (< 24 h) opened again'),
  triggerKind: z.enum(TRIGGER_KINDS),
});
const WarningMerged = z.strictObject({
  ...base,
  triggerKind: z.enum(TRIGGER_KINDS),
  triggerCount: z.number().int(),
});
const WarningEscalated = z.strictObject({
  ...base,
  from: z.enum(CHANNELS).describe('the channel that went unanswered'),
  to: z.enum(CHANNELS).nullable().describe('the channel now tried; null: nobody left to try (overdue)'),
});
const WarningClosed = z.strictObject({
  ...base,
  outcome: z.enum(OUTCOMES),
  fundCaseId: z.uuid().nullable(),
});

declare module '../core/bus/events.ts' {
  interface EventMap {
    'warning.opened': z.infer<typeof WarningOpened>;
    'warning.merged': z.infer<typeof WarningMerged>;
    'warning.escalated': z.infer<typeof WarningEscalated>;
    'warning.closed': z.infer<typeof WarningClosed>;
  }
}

registerEvent(
  'warning.opened',
  'A warning opened for a person likely being scammed now (or a closed one of the same episode reopened).',
  WarningOpened,
  { keyField: 'id' },
);
registerEvent(
  'warning.merged',
  'A trigger about a person under an open warning joined it (evidence added, priority recomputed).',
  WarningMerged,
  { keyField: 'id' },
);
registerEvent(
  'warning.escalated',
  "A warning's channel step went unanswered and the next channel started (or none is left).",
  WarningEscalated,
  { keyField: 'id' },
);
registerEvent(
  'warning.closed',
  'An operator recorded the outcome of a warning (dissuaded, already paid, not reachable, false alarm).',
  WarningClosed,
  { keyField: 'id' },
);
