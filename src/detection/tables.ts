import type { ColumnType } from 'kysely';
import { DETECTORS, SUBJECT_KINDS } from './records.ts';

/**
 * The detection capability's stored detections (docs/detection.md, "Detections in the registry"):
 * each one a review item for the centre's analysts, with the measures it recommends and, for
 * numbers and accounts, the listing it becomes when an analyst confirms it.
 */

type DefaultTimestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type Timestamp = ColumnType<Date, Date | string, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
type Json<T> = ColumnType<T, string, string>;

export { DETECTORS, SUBJECT_KINDS };

/**
 * `open`: waits for an analyst; `confirmed`: acted on (listed where the subject can be listed);
 * `rejected`: a false alarm, remembered with its facts; `suppressed`: fired again on the facts of
 * a rejected detection of the same subject, so it never reached the queue.
 */
export const DETECTION_STATUSES = ['open', 'confirmed', 'rejected', 'suppressed'] as const;
export type DetectionStatus = (typeof DETECTION_STATUSES)[number];

/**
 * What a detection recommends to the governance capability (disposal instructions): re-verify
 * the holder of a card or account, restrict a card, device or account, flag a number or account
 * (label it, warn on calls and transfers), warn a person at risk.
 */
export const MEASURES = ['re_verify', 'restrict', 'flag', 'warn'] as const;
export type Measure = (typeof MEASURES)[number];

export interface RecommendedMeasure {
  measure: Measure;
  /** What the measure applies to: the subject, or the card/account holder behind it. */
  target: 'subject' | 'holder';
  reason: string;
}

export interface DetectionsTable {
  id: string;
  /** Whose data fired it (the operator or bank that ran the detector); null: the platform's own worker. */
  organisation_id: string | null;
  detector: string;
  subject_kind: string;
  /** The subject as matched: the number, IMEI or account; for a holder, the keyed hash of the id number. */
  subject_key: string;
  /** What the console shows: the value itself, or a holder's masked id number. */
  subject_display: string;
  /** A holder's id number, encrypted (privacy/crypto.ts); null for other kinds. */
  subject_key_id: string | null;
  subject_enc: Uint8Array | null;
  score: number;
  window_from: Timestamp;
  window_to: Timestamp;
  evidence: Json<Record<string, unknown>>;
  /** The identifiers the evidence names (cells, devices, payers, callers): what "the same facts" means. */
  facts: string[];
  measures: Json<RecommendedMeasure[]>;
  status: DetectionStatus;
  /** suppressed: the rejected detection whose facts it repeats. */
  suppressed_by: string | null;
  listing_id: string | null;
  decided_by: string | null;
  decided_at: NullableTimestamp;
  decision_reason: string | null;
  created_at: DefaultTimestamp;
  updated_at: DefaultTimestamp;
}

declare module '../core/db/schema.ts' {
  interface DB {
    detections: DetectionsTable;
  }
}
