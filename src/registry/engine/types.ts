/**
 * Plain data shapes of the decision engine: listings, events, decisions. No behaviour here.
 */
import type { IndicatorKind, NormalizeOptions } from '../../core/normalize/index.ts';
import type { ScamCategory } from './taxonomy.ts';

export const LISTING_STATUSES = ['active', 'expired', 'delisted', 'under_appeal', 'pending_review'] as const;
export type ListingStatus = (typeof LISTING_STATUSES)[number];

/**
 * One listing of the registry as the engine holds it. `value` is the canonical value of `kind`
 * (docs/normalisation.md); url listings are Safe Browsing expressions (`evil.example/`,
 * `evil.example/x/`, `evil.example/x/y?q=1`), never URLs with a scheme. The engine keys on
 * (kind, value): one listing per indicator.
 */
export interface ListingRecord {
  id: string;
  kind: IndicatorKind;
  value: string;
  category: ScamCategory;
  /** 0..1, kept to 4 decimals. */
  confidence: number;
  status: ListingStatus;
  /** Epoch ms after which the listing no longer matches (kept to the second, rounded up); null: never. */
  expiresAt: number | null;
  /** Increases with every change of the listing; an event with a version not above the stored one is ignored. */
  version: number;
}

export const ACTIONS = ['allow', 'warn', 'review', 'block'] as const;
/** In increasing severity. */
export type Action = (typeof ACTIONS)[number];

export const EVENT_KINDS = [
  'call',
  'sms',
  'url_visit',
  'transfer',
  'account_opening',
  'card_opening',
] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

export interface DecisionParty {
  /** caller, callee, sender, recipient, url, payer, payee, applicant, device, app, … */
  role: string;
  kind: IndicatorKind;
  /** As written (`decide` normalises it) or canonical (`decideNormalised`). */
  value: string;
  /** Normalisation options (`defaultRegion`, `institution`, `provider`, `platform`, `accountType`). */
  opts?: NormalizeOptions;
}

export interface DecisionEvent {
  kind: EventKind;
  parties: readonly DecisionParty[];
  /** Message text (sms): URLs and phone numbers in it are matched as `content_url` / `content_phone`. */
  content?: string;
  /** The calling institution: selects its own policy for the channel when it has one. */
  institutionId?: string | null;
  /** Epoch ms; expiry and the sighting day are judged at this time (default: now). */
  occurredAt?: number;
}

export interface DecisionMatch {
  listingId: string;
  kind: IndicatorKind;
  /** The listing's canonical value (for url listings: the expression that matched). */
  value: string;
  category: ScamCategory;
  confidence: number;
  /** The role of the party that matched (`content_url` / `content_phone` for content). */
  role: string;
  /** `active`, or `under_appeal` (then the action is at most `warn`). */
  status: ListingStatus;
  /** What the policy made of this match, after the under-appeal and allowlist caps. */
  action: Action;
}

export interface DecisionReason {
  /** `listed`, the matching rule's `reason`, `under_appeal`, `protected` or `malformed_party`. */
  code: string;
  zh: string;
  en: string;
}

export interface DecisionWarning {
  /** The party's role. */
  party: string;
  /** Its position in `event.parties`. */
  index: number;
  /** A normaliser code (`phone_invalid_for_region`, `url_bad_host`, …) or `kind_unknown`. */
  code: string;
  reason: string;
}

export interface Decision {
  action: Action;
  /** 0..1: 1 − Π(1 − cᵢ) over the distinct matched listings (under appeal: cᵢ / 2). */
  score: number;
  matches: readonly DecisionMatch[];
  reasons: readonly DecisionReason[];
  warnings: readonly DecisionWarning[];
  policy: { readonly id: string; readonly version: number };
  shadow?: { readonly action: Action; readonly policy: { readonly id: string; readonly version: number } };
  /** sms: the classifier's reading of the text, when it reads a scam. */
  content?: { readonly label: ScamCategory; readonly probability: number };
}
