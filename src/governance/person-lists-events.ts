import { z } from 'zod';
import { registerEvent } from '../core/bus/events.ts';
import {
  CREDIT_RESTRICTIONS,
  PERSON_LISTING_STATUSES,
  PERSON_LISTS,
  REMOVAL_KINDS,
} from './person-lists-tables.ts';

/**
 * Events of the lists of persons. The person appears only as the keyed hash of the id number
 * (as `persons.id_number_hash`); names, numbers and free-text reasons stay in the database.
 * These events are not offered to institutions' webhooks (webhooks.ts keeps its own list).
 */

const listing = {
  id: z.uuid().describe('the listing'),
  list: z.enum(PERSON_LISTS),
  person: z.string().describe('the keyed hash of the id number'),
  restrictions: z.array(z.enum(CREDIT_RESTRICTIONS)).describe('credit punishment: what it restricts'),
  legalBasis: z.string(),
  organisationId: z.uuid().describe('the designating organisation'),
  startsAt: z.string().describe('ISO 8601'),
  endsAt: z.string().describe('ISO 8601'),
  status: z.enum(PERSON_LISTING_STATUSES).describe('the status after the change'),
};

const PersonListingDesignated = z.strictObject({
  ...listing,
  joined: z
    .boolean()
    .describe('true: a second designation extended the active listing (new end, added restrictions)'),
  reviewAt: z.string().nullable().describe('exit restriction: the next review (ISO 8601)'),
});
const PersonListingEnded = z.strictObject(listing);
const PersonListingRemoved = z.strictObject({
  ...listing,
  previous: z.enum(PERSON_LISTING_STATUSES),
  removal: z.enum(REMOVAL_KINDS),
});

declare module '../core/bus/events.ts' {
  interface EventMap {
    'person_listing.designated': z.infer<typeof PersonListingDesignated>;
    'person_listing.ended': z.infer<typeof PersonListingEnded>;
    'person_listing.removed': z.infer<typeof PersonListingRemoved>;
  }
}

registerEvent(
  'person_listing.designated',
  'A person was put on a list (credit punishment or exit restriction), or an active listing was extended by a second designation.',
  PersonListingDesignated,
  { keyField: 'id' },
);
registerEvent(
  'person_listing.ended',
  'A listing of a person reached its end date and ended.',
  PersonListingEnded,
  { keyField: 'id' },
);
registerEvent(
  'person_listing.removed',
  'A listing of a person was removed before its end (early removal, credit repair, upheld appeal, lifted on review).',
  PersonListingRemoved,
  { keyField: 'id' },
);
