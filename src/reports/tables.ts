import type { ColumnType, Generated } from 'kysely';

/**
 * The reports capability's tables (docs/reports.md): clue reports from citizens and institutions,
 * the indicators found in them, evidence files (kept on disk, described here), listing candidates
 * (one per indicator, aggregating its reports and reporters) and reporter reputation.
 */

type DefaultTimestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
type Json<T> = ColumnType<T, string, string>;
type NullableJson<T> = ColumnType<T | null, string | null | undefined, string | null>;

/** What a report is about. */
export const REPORT_KINDS = ['call', 'sms', 'link', 'app', 'account', 'internet_account', 'other'] as const;
export type ReportKind = (typeof REPORT_KINDS)[number];

/** `public`: a citizen (no account needed); `institution`: a clue from an organisation. */
export const REPORT_CHANNELS = ['public', 'institution'] as const;
export type ReportChannel = (typeof REPORT_CHANNELS)[number];

export const REPORT_STATUSES = ['open', 'confirmed', 'rejected', 'merged'] as const;
export type ReportStatus = (typeof REPORT_STATUSES)[number];

export const PAYMENT_METHODS = [
  'bank_transfer',
  'card',
  'alipay',
  'wechat_pay',
  'cash',
  'crypto',
  'gift_card',
  'other',
] as const;
export type PaymentMethod = (typeof PAYMENT_METHODS)[number];

export const AGE_GROUPS = ['minor', 'adult', 'elderly'] as const;
export type AgeGroup = (typeof AGE_GROUPS)[number];

export interface Loss {
  /** Decimal string, e.g. `52000.00`. */
  amount: string;
  currency: string;
  paidAt: string | null;
  method: PaymentMethod | null;
  /** Still paying, or about to: the victim is on the phone with the scammer now. */
  ongoing: boolean;
}

export interface Classification {
  label: string;
  probability: number;
  language: string;
  features: { feature: string; weight: number }[];
}

export interface ReportsTable {
  id: string;
  /** Stored without dashes, upper-case (receipt.ts). */
  receipt_code: string;
  channel: ReportChannel;
  kind: ReportKind;
  /** Institutions: the submitting organisation and its own reference (a resubmission is recognised). */
  organisation_id: string | null;
  external_ref: string | null;
  /** What was reported, as written: `{ phone, url, app: {name, package, source}, account, … }`. */
  subject: Json<Record<string, unknown>>;
  /** The SMS text, what the caller said, or the reporter's description. */
  content: string;
  occurred_at: NullableTimestamp;
  category: string;
  /** The message classifier's reading of `content`. */
  classification: NullableJson<Classification>;
  loss: NullableJson<Loss>;
  age_group: AgeGroup | null;
  /** Reported by a relative or someone else on the victim's behalf. */
  for_relative: boolean;
  /** Reporter's contact phone, encrypted (privacy/crypto.ts, context `reports.contact_enc:<id>`). */
  contact_key_id: string | null;
  contact_enc: Uint8Array | null;
  /** Keyed hashes of the reporter's network and device (never the raw address). */
  reporter_key: string;
  network_key: string;
  /** Urgency from the report itself (money, vulnerability); the queue adds its reporters. */
  urgency: number;
  status: ReportStatus;
  decided_by: string | null;
  decided_at: NullableTimestamp;
  decision_reason: string | null;
  /** Shown to the reporter on the receipt page. */
  public_note: string | null;
  merged_into: string | null;
  language: string;
  created_at: DefaultTimestamp;
  updated_at: DefaultTimestamp;
}

export interface ReportIndicatorsTable {
  report_id: string;
  kind: string;
  value: string;
  /** `subject`: what the report is about; `content`: found in its text. */
  role: 'subject' | 'content';
}

export interface ReportEvidenceTable {
  id: string;
  report_id: string;
  file_name: string;
  media_type: string;
  size: number;
  sha256: string;
  created_at: DefaultTimestamp;
}

export const CANDIDATE_STATUSES = [
  'collecting',
  'submitted',
  'held',
  'protected',
  'listed',
  'rejected',
] as const;
export type CandidateStatus = (typeof CANDIDATE_STATUSES)[number];

export interface ListingCandidatesTable {
  kind: string;
  value: string;
  category: string;
  reports: number;
  reporters: number;
  /** SMS texts read as scams by the classifier that contained it (decisions). */
  scam_texts: ColumnType<number, number | undefined, number>;
  first_at: DefaultTimestamp;
  last_at: DefaultTimestamp;
  status: CandidateStatus;
  /** Why reports about it look coordinated (held for an analyst), when they do. */
  coordination: NullableJson<{ reasons: string[]; score: number }>;
  listing_id: string | null;
}

export interface CandidateReportersTable {
  kind: string;
  value: string;
  reporter_key: string;
  network_key: string;
  first_at: DefaultTimestamp;
}

export interface ReporterReputationTable {
  reporter_key: string;
  first_seen: DefaultTimestamp;
  reports: number;
  confirmed: number;
  rejected: number;
}

export type { Generated };

declare module '../core/db/schema.ts' {
  interface DB {
    reports: ReportsTable;
    report_indicators: ReportIndicatorsTable;
    report_evidence: ReportEvidenceTable;
    listing_candidates: ListingCandidatesTable;
    candidate_reporters: CandidateReportersTable;
    reporter_reputation: ReporterReputationTable;
  }
}
