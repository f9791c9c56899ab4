import { z } from 'zod';
import { registerEvent } from '../core/bus/events.ts';
import { REPORT_CHANNELS, REPORT_KINDS, REPORT_STATUSES } from './tables.ts';

/** The reports capability's events. No personal data: ids, kinds and counts only. */

const ReportReceived = z.strictObject({
  id: z.uuid().describe('the report'),
  kind: z.enum(REPORT_KINDS).describe('what the report is about'),
  channel: z.enum(REPORT_CHANNELS).describe('public (a citizen) or institution'),
  category: z.string().describe('the scam category (stated, or from the classifier)'),
  urgency: z.number().int().describe('0..100 from money at risk and vulnerability'),
  indicators: z.number().int().describe('indicators named or found in the text'),
  lostMoney: z.boolean().describe('the reporter lost money'),
});

const ReportDecided = z.strictObject({
  id: z.uuid().describe('the report'),
  decision: z.enum(['confirm', 'reject', 'merge']).describe("the analyst's decision"),
  status: z.enum(REPORT_STATUSES).describe('the report status after it'),
  category: z.string().describe('the category it was decided under'),
});

const CandidateHeld = z.strictObject({
  kind: z.string().describe('indicator kind'),
  value: z.string().describe('canonical value (a scam number or link, not a person)'),
  reporters: z.number().int().describe('independent reporters so far'),
  reasons: z.array(z.string()).describe('new_reporters, linked_reporters, burst'),
});

declare module '../core/bus/events.ts' {
  interface EventMap {
    'report.received': z.infer<typeof ReportReceived>;
    'report.decided': z.infer<typeof ReportDecided>;
    'report.candidate_held': z.infer<typeof CandidateHeld>;
  }
}

registerEvent(
  'report.received',
  'A clue report was received from a citizen or an institution.',
  ReportReceived,
  { keyField: 'id' },
);
registerEvent('report.decided', 'An analyst confirmed, rejected or merged a report.', ReportDecided, {
  keyField: 'id',
});
registerEvent(
  'report.candidate_held',
  'Reports against one indicator look coordinated (new, linked or bursty reporters): held for an analyst, not listed.',
  CandidateHeld,
  { keyField: 'value' },
);
