import { z } from 'zod';
import { registerEvent } from '../core/bus/events.ts';
import { LEGAL_BASIS_IDS } from './catalogue.ts';
import { CARD_FUNCTIONS, INSTRUCTION_MEASURES, INSTRUCTION_STATUSES, TARGET_KINDS } from './tables.ts';
import { APPEAL_CHANNELS, APPEAL_STATUSES, APPEAL_SUBJECT_KINDS } from './appeal-tables.ts';

/**
 * The governance capability's events. A holder target appears only as the keyed hash of the id
 * number; free-text reasons and notes stay in the database (they may name people).
 */

const target = {
  targetKind: z.enum(TARGET_KINDS),
  target: z
    .string()
    .describe('the number, account, internet account, domain or link; a holder as the keyed hash'),
};

const InstructionIssued = z.strictObject({
  id: z.uuid().describe('the instruction'),
  measure: z.enum(INSTRUCTION_MEASURES),
  functions: z.array(z.enum(CARD_FUNCTIONS)).describe('restrict_functions: the functions cut'),
  ...target,
  legalBasis: z.enum(LEGAL_BASIS_IDS),
  issuingOrganisationId: z.uuid(),
  receivingOrganisationId: z.uuid().describe('the institution that must carry it out'),
  deadline: z.string().describe('ISO 8601: execute by'),
  expiresAt: z.string().describe('ISO 8601: expiry or review date'),
  detectionId: z.uuid().nullable(),
  listingId: z.uuid().nullable(),
});

const change = (extra: z.ZodRawShape = {}) =>
  z.strictObject({
    id: z.uuid().describe('the instruction'),
    measure: z.enum(INSTRUCTION_MEASURES),
    ...target,
    receivingOrganisationId: z.uuid(),
    status: z.enum(INSTRUCTION_STATUSES).describe('the status after the change'),
    ...extra,
  });

const InstructionReceived = change();
const InstructionExecuted = change();
const InstructionContested = change();
const InstructionWithdrawn = change({ previous: z.enum(INSTRUCTION_STATUSES) });
const InstructionOverdue = change({ deadline: z.string().describe('ISO 8601: the deadline that passed') });
const InstructionLifted = change({
  previous: z.enum(INSTRUCTION_STATUSES),
  appealId: z.uuid().nullable().describe('the upheld appeal; null when lifted by withdrawal'),
  restoreInstructionId: z
    .uuid()
    .nullable()
    .describe('the restore instruction sent to the institution, when it had received or carried it out'),
});

// Appeals name no person: the appellant is personal data and stays in the database.
const AppealReceived = z.strictObject({
  id: z.uuid().describe('the appeal'),
  channel: z.enum(APPEAL_CHANNELS),
  subjectKind: z.enum(APPEAL_SUBJECT_KINDS),
  measures: z.number().int().describe('how many instructions and listings it found'),
  respondBy: z.string().describe('ISO 8601: the service deadline for a decision'),
});
const AppealDecided = z.strictObject({
  id: z.uuid().describe('the appeal'),
  status: z.enum(APPEAL_STATUSES),
  liftedInstructions: z.array(z.uuid()),
  restoreInstructions: z.array(z.uuid()),
  delistedListings: z.array(z.uuid()),
  overturnedDetections: z
    .array(z.uuid())
    .describe('confirmed detections behind lifted measures, now rejected (their facts stop firing)'),
  removedPersonListings: z.array(z.uuid()).describe('credit punishment or exit restriction listings removed'),
});

declare module '../core/bus/events.ts' {
  interface EventMap {
    'instruction.issued': z.infer<typeof InstructionIssued>;
    'instruction.received': z.infer<typeof InstructionReceived>;
    'instruction.executed': z.infer<typeof InstructionExecuted>;
    'instruction.contested': z.infer<typeof InstructionContested>;
    'instruction.withdrawn': z.infer<typeof InstructionWithdrawn>;
    'instruction.overdue': z.infer<typeof InstructionOverdue>;
    'instruction.lifted': z.infer<typeof InstructionLifted>;
    'appeal.received': z.infer<typeof AppealReceived>;
    'appeal.decided': z.infer<typeof AppealDecided>;
  }
}

registerEvent(
  'instruction.issued',
  'A disposal instruction went out to its institution (directly, or on a supervisor’s approval).',
  InstructionIssued,
  { keyField: 'id' },
);
registerEvent(
  'instruction.received',
  'The institution acknowledged receipt of an instruction.',
  InstructionReceived,
  { keyField: 'id' },
);
registerEvent(
  'instruction.executed',
  'The institution acknowledged carrying out an instruction.',
  InstructionExecuted,
  { keyField: 'id' },
);
registerEvent(
  'instruction.contested',
  'The institution contested an instruction with a reason; the centre withdraws or reissues it.',
  InstructionContested,
  { keyField: 'id' },
);
registerEvent('instruction.withdrawn', 'The centre withdrew an instruction.', InstructionWithdrawn, {
  keyField: 'id',
});
registerEvent(
  'instruction.overdue',
  'An instruction passed its deadline without being executed: escalated.',
  InstructionOverdue,
  { keyField: 'id' },
);
registerEvent(
  'instruction.lifted',
  'An instruction was lifted: an appeal against it was upheld, or an instruction already carried out was withdrawn. A restore instruction goes to the institution when it had received or carried it out.',
  InstructionLifted,
  { keyField: 'id' },
);
registerEvent(
  'appeal.received',
  'A person appealed against a measure (web or an institution’s counter); a second appeal on the same measure joins the open one.',
  AppealReceived,
  { keyField: 'id' },
);
registerEvent(
  'appeal.decided',
  'An appeal was upheld (its measures lifted, restore instructions sent, listings delisted) or rejected.',
  AppealDecided,
  { keyField: 'id' },
);
