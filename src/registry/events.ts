import { z } from 'zod';
import { registerEvent } from '../core/bus/events.ts';
import { INDICATOR_KINDS } from '../core/normalize/index.ts';
import { SCAM_CATEGORY_LIST, type ScamCategory } from './engine/taxonomy.ts';
import { LISTING_STATUSES } from './engine/types.ts';
import { HISTORY_ACTIONS } from './tables.ts';

/**
 * The registry's events. Each carries the listing's full state after the change — the decision
 * engine's ListingRecord — so a consumer applies it without reading the database: keep the event
 * when its `version` is above the one held.
 */

const listingState = {
  id: z.uuid().describe('the listing'),
  kind: z.enum(INDICATOR_KINDS).describe('what the value is (docs/normalisation.md)'),
  value: z
    .string()
    .min(1)
    .describe('the canonical value; url listings are Safe Browsing expressions (host/path?query, no scheme)'),
  category: z.enum(SCAM_CATEGORY_LIST as [ScamCategory, ...ScamCategory[]]).describe('the scam category'),
  confidence: z.number().min(0).max(1).describe('0..1, from the corroborating sources'),
  status: z.enum(LISTING_STATUSES).describe('only active and under_appeal listings match'),
  expiresAt: z.number().int().nullable().describe('epoch milliseconds when it lapses; null: until delisted'),
  version: z.number().int().positive().describe('increases with every change: apply only a higher version'),
};

const ListingCreated = z.strictObject({ ...listingState });

const ListingChanged = z.strictObject({
  ...listingState,
  action: z.enum(HISTORY_ACTIONS).describe('what happened (the history action)'),
  reason: z.string().nullable().describe('why, when given'),
});

const ListingDelisted = z.strictObject({
  ...listingState,
  reason: z.string().min(1).describe('why, e.g. false_positive, appeal upheld, protected: 110 police'),
});

export type ListingCreatedEvent = z.infer<typeof ListingCreated>;
export type ListingChangedEvent = z.infer<typeof ListingChanged>;
export type ListingDelistedEvent = z.infer<typeof ListingDelisted>;

declare module '../core/bus/events.ts' {
  interface EventMap {
    'listing.created': ListingCreatedEvent;
    'listing.changed': ListingChangedEvent;
    'listing.delisted': ListingDelistedEvent;
  }
}

registerEvent(
  'listing.created',
  'An indicator was listed in the registry (new listing); decision nodes apply it.',
  ListingCreated,
  { keyField: 'id' },
);
registerEvent(
  'listing.changed',
  'A listing changed: corroborated (confidence), category, expiry or status (expired, relisted, under appeal); the payload is the full new state.',
  ListingChanged,
  { keyField: 'id' },
);
registerEvent(
  'listing.delisted',
  'A listing was delisted (false positive, appeal upheld, now protected); decision nodes stop matching it.',
  ListingDelisted,
  { keyField: 'id' },
);
