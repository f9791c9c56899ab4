import type { ColumnType, Generated } from 'kysely';
import type { IndicatorKind } from '../core/normalize/index.ts';
import type { ScamCategory } from './engine/taxonomy.ts';
import { LISTING_STATUSES, type ListingRecord, type ListingStatus } from './engine/types.ts';

export { LISTING_STATUSES, type ListingStatus };

/**
 * The risk-information registry's tables (docs/registry.md): listings, their corroborating
 * sources and history, the allowlist of protected indicators and brands, the review queue and the
 * daily sighting counts.
 */

type DefaultTimestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type Timestamp = ColumnType<Date, Date | string, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
/** jsonb: written as JSON text, read back parsed. */
type Json<T> = ColumnType<T, string, string>;
type NullableJson<T> = ColumnType<T | null, string | null | undefined, string | null>;

/** Who corroborates a listing, from most to least trusted by default (confidence.ts). */
export const SOURCE_KINDS = ['analyst', 'institution', 'detector', 'feed', 'report'] as const;
export type SourceKind = (typeof SOURCE_KINDS)[number];

export const HISTORY_ACTIONS = [
  'listed',
  'corroborated',
  'changed',
  'delisted',
  'expired',
  'review_accepted',
  'review_rejected',
  'appeal_opened',
  'appeal_closed',
] as const;
export type HistoryAction = (typeof HISTORY_ACTIONS)[number];

/** Why a submission waits for a supervisor instead of being listed (docs/registry.md). */
export const REVIEW_REASONS = [
  'protected_indicator',
  'lookalike_of_protected',
  'previously_delisted',
  'low_confidence',
] as const;
export type ReviewReason = (typeof REVIEW_REASONS)[number];

export const REVIEW_STATUSES = ['open', 'accepted', 'rejected'] as const;
export type ReviewStatus = (typeof REVIEW_STATUSES)[number];

/** A listing's state as kept in history rows and carried by events: the engine's record. */
export type ListingState = ListingRecord;

/** The look-alike mark of a domain or URL listing (lookalike.ts). */
export interface LookalikeMark {
  brand: string;
  domain: string;
  reason: string;
}

export interface ListingsTable {
  id: string;
  kind: IndicatorKind;
  /** The canonical value (src/core/normalize); unique per kind. */
  value: string;
  /** A category of the scam taxonomy (engine/taxonomy.ts). */
  category: ScamCategory;
  /** 0..1, from the sources (confidence.ts); float4. */
  confidence: number;
  status: ListingStatus;
  first_seen: Timestamp;
  last_seen: Timestamp;
  expires_at: NullableTimestamp;
  /** From listing_version_seq, taken again on every change: the feed's and the engines' sync key. */
  version: number;
  /** Evidence references (case numbers, report ids, URLs of screenshots in the evidence store). */
  evidence: Json<string[]>;
  /** Set when the value imitates a protected brand's domain. */
  lookalike: NullableJson<LookalikeMark>;
  created_at: DefaultTimestamp;
  updated_at: DefaultTimestamp;
}

export interface ListingSourcesTable {
  listing_id: string;
  source_kind: SourceKind;
  organisation_id: string | null;
  /** Opaque: a user id, a detector name, a feed name or a keyed hash of a reporter; never personal data. */
  reporter_ref: string;
  trust: number;
  first_at: Timestamp;
  last_at: Timestamp;
  /** Submissions by this same source (repeats are not corroboration: they refresh last_at only). */
  count: ColumnType<number, number | undefined, number>;
}

export interface ListingHistoryTable {
  id: Generated<number>;
  listing_id: string;
  version: number;
  at: DefaultTimestamp;
  actor_kind: string;
  actor_name: string;
  actor_id: string | null;
  organisation_id: string | null;
  action: HistoryAction;
  before: NullableJson<ListingState>;
  after: Json<ListingState>;
  reason: string | null;
}

export interface ProtectedIndicatorsTable {
  id: string;
  kind: IndicatorKind;
  /** Canonical value; for domains also a public suffix such as `gov.cn` (covers every name under it). */
  value: string;
  label: string;
  reason: string | null;
  added_by: string;
  created_at: DefaultTimestamp;
}

export interface ProtectedBrandsTable {
  brand: string;
  /** The brand's official registrable domains, lower-case ASCII. */
  domains: string[];
  added_by: string;
  created_at: DefaultTimestamp;
}

export interface ListingReviewsTable {
  id: string;
  /** The listing concerned, when there is one (a low-confidence or previously delisted listing). */
  listing_id: string | null;
  kind: IndicatorKind;
  value: string;
  category: ScamCategory;
  proposed_confidence: number;
  reason: ReviewReason;
  /** What the review is about: the matched protected entry or brand, the proposed source and evidence. */
  details: Json<ReviewDetails>;
  proposer_kind: string;
  proposer_name: string;
  proposer_id: string | null;
  organisation_id: string | null;
  /** How many submissions met this open review. */
  submissions: number;
  status: ReviewStatus;
  decided_by: string | null;
  decided_by_id: string | null;
  decided_at: NullableTimestamp;
  decision_reason: string | null;
  created_at: DefaultTimestamp;
  updated_at: DefaultTimestamp;
}

export interface ReviewDetails {
  source?: StoredSource;
  evidence?: string[];
  expiresAt?: number | null;
  protected?: { kind: string; value: string; label: string };
  lookalike?: LookalikeMark;
}

/** A source as kept in a review, to be applied when the review is accepted. */
export interface StoredSource {
  kind: SourceKind;
  organisationId: string | null;
  reporterRef: string;
  trust: number;
}

export interface SightingsDailyTable {
  listing_id: string;
  /** `YYYY-MM-DD` (UTC). */
  day: ColumnType<string, string, string>;
  channel: string;
  count: number;
}

declare module '../core/db/schema.ts' {
  interface DB {
    listings: ListingsTable;
    listing_sources: ListingSourcesTable;
    listing_history: ListingHistoryTable;
    protected_indicators: ProtectedIndicatorsTable;
    protected_brands: ProtectedBrandsTable;
    listing_reviews: ListingReviewsTable;
    sightings_daily: SightingsDailyTable;
  }
}
