import { z } from 'zod';
import { registerEvent } from '../core/bus/events.ts';
import { DETECTORS, SUBJECT_KINDS } from './records.ts';
import { MEASURES } from './tables.ts';

/**
 * The detection capability's events. A holder (a person) appears only as the keyed hash of the
 * id number, the same hash the persons table keeps; numbers, devices and accounts as themselves.
 */

const DetectionRaised = z.strictObject({
  id: z.uuid().describe('the stored detection'),
  detector: z.enum(DETECTORS),
  subjectKind: z.enum(SUBJECT_KINDS),
  subject: z.string().describe('the number, IMEI or account; for a holder, the keyed hash of the id number'),
  score: z.number().min(0).max(1),
  organisationId: z.uuid().nullable().describe('whose data fired it; null: the platform’s own worker'),
  measures: z.array(z.enum(MEASURES)).describe('what it recommends, for the analysts and governance'),
});

const DetectionDecided = z.strictObject({
  id: z.uuid(),
  detector: z.enum(DETECTORS),
  subjectKind: z.enum(SUBJECT_KINDS),
  subject: z.string().describe('as in detection.raised'),
  decision: z.enum(['confirm', 'reject']),
  listingId: z.uuid().nullable().describe('the listing a confirmed number or account became'),
  measures: z.array(z.enum(MEASURES)).describe('confirmed: the measures to instruct; rejected: none'),
});

declare module '../core/bus/events.ts' {
  interface EventMap {
    'detection.raised': z.infer<typeof DetectionRaised>;
    'detection.decided': z.infer<typeof DetectionDecided>;
  }
}

registerEvent(
  'detection.raised',
  'A detector fired on a new episode of a subject: a new review item for the analysts.',
  DetectionRaised,
  { keyField: 'subject' },
);
registerEvent(
  'detection.decided',
  'An analyst confirmed (listing numbers and accounts, recommending measures) or rejected a detection.',
  DetectionDecided,
  { keyField: 'subject' },
);
