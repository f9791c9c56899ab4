import type { ColumnType, Generated } from 'kysely';

/**
 * Objections and appeals (docs/governance.md, "Appeals"): a person asks for a measure against
 * their card, account, internet account or themselves to be lifted. The appellant's identity is
 * personal data (encrypted, matched by the keyed hash persons use); the appeal's measures are the
 * instructions and listings it found for what the appellant named, and an upheld appeal lifts
 * every one of them at once.
 */

type DefaultTimestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type Timestamp = ColumnType<Date, Date | string, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
type Nullable<T> = ColumnType<T | null, T | null | undefined, T | null>;

/** How the appellant names the measure: by number, account, internet account, the notice's number, or "against me". */
export const APPEAL_SUBJECT_KINDS = ['msisdn', 'account', 'internet_account', 'notice', 'person'] as const;
export type AppealSubjectKind = (typeof APPEAL_SUBJECT_KINDS)[number];

/** `received`: waiting for verification; `under_review`: verified, waiting for a decision. */
export const APPEAL_STATUSES = ['received', 'under_review', 'upheld', 'rejected', 'withdrawn'] as const;
export type AppealStatus = (typeof APPEAL_STATUSES)[number];
export const OPEN_APPEAL_STATUSES: readonly AppealStatus[] = ['received', 'under_review'];

export const APPEAL_CHANNELS = ['web', 'counter'] as const;
export type AppealChannel = (typeof APPEAL_CHANNELS)[number];

/** Whose the card or account is by the operators' and banks' records. */
export const HOLDER_ON_RECORD = ['appellant', 'other', 'unknown'] as const;
export type HolderOnRecord = (typeof HOLDER_ON_RECORD)[number];

export const VERIFICATION_RESULTS = ['confirmed', 'failed'] as const;
export type VerificationResult = (typeof VERIFICATION_RESULTS)[number];
export const USE_RESULTS = ['confirmed', 'failed', 'not_applicable'] as const;
export type UseResult = (typeof USE_RESULTS)[number];
export const VERIFICATION_METHODS = ['counter', 'video', 'face', 'records', 'callback'] as const;
export type VerificationMethod = (typeof VERIFICATION_METHODS)[number];

export const APPEAL_ACTIONS = [
  'received',
  'joined',
  'evidence_added',
  'verified',
  'upheld',
  'rejected',
  'withdrawn',
  'compensation_claimed',
  'compensation_decided',
] as const;
export type AppealAction = (typeof APPEAL_ACTIONS)[number];

/** What an appeal can lift: an instruction, a registry listing, a person's listing (credit punishment, exit restriction). */
export const APPEAL_MEASURE_KINDS = ['instruction', 'listing', 'person_listing'] as const;
export type AppealMeasureKind = (typeof APPEAL_MEASURE_KINDS)[number];

export const COMPENSATION_STATUSES = ['filed', 'granted', 'partly_granted', 'refused'] as const;
export type CompensationStatus = (typeof COMPENSATION_STATUSES)[number];

export interface AppealsTable {
  id: string;
  /** 12 Crockford base32 characters (reports/receipt.ts): the appellant's only key to the appeal. */
  receipt_code: string;
  status: AppealStatus;
  channel: AppealChannel;
  /** counter: the institution whose counter took the appeal on the person's behalf. */
  counter_organisation_id: string | null;
  subject_kind: AppealSubjectKind;
  /** The canonical number, account or internet account; a notice's instruction id; for a person, the keyed hash. */
  subject_key: string;
  /** Masked for screens. */
  subject_display: string;
  /** Keyed hash of the appellant's id number (the one persons.id_number_hash uses). */
  appellant_key: string;
  appellant_person_id: string | null;
  /** The appellant's name, id number and contact phone, encrypted (privacy/crypto.ts). */
  appellant_key_id: string;
  name_enc: Uint8Array;
  id_number_enc: Uint8Array;
  contact_enc: Uint8Array | null;
  /** Masked name and id number. */
  appellant_display: string;
  /** The id number is on record and the name given matches it. */
  identity_on_record: boolean;
  holder_on_record: HolderOnRecord;
  explanation: string;
  language: 'zh' | 'en';
  /** Service deadline for a decision. */
  respond_by: Timestamp;
  verification_identity: Nullable<VerificationResult>;
  verification_use: Nullable<UseResult>;
  verification_method: Nullable<VerificationMethod>;
  verification_note: Nullable<string>;
  verified_by: Nullable<string>;
  verified_at: NullableTimestamp;
  decision_reasons: Nullable<string>;
  decided_by_id: Nullable<string>;
  decided_by: Nullable<string>;
  decided_at: NullableTimestamp;
  created_at: DefaultTimestamp;
  updated_at: DefaultTimestamp;
}

/** The measures an appeal found, and what became of them. */
export interface AppealMeasuresTable {
  appeal_id: string;
  kind: AppealMeasureKind;
  ref_id: string;
  /** The measure's status when the appeal linked it. */
  status_before: string;
  /** Set when the upheld appeal lifted it. */
  lifted_at: NullableTimestamp;
  /** An instruction the institution had carried out: the restore instruction sent to undo it. */
  restore_instruction_id: Nullable<string>;
}

export interface AppealEventsTable {
  id: Generated<number>;
  appeal_id: string;
  at: DefaultTimestamp;
  action: AppealAction;
  status: AppealStatus;
  actor_kind: string;
  actor_id: string | null;
  actor_name: string;
  organisation_id: string | null;
  note: string | null;
}

export interface AppealEvidenceTable {
  id: string;
  appeal_id: string;
  file_name: string;
  media_type: string;
  size: number;
  sha256: string;
  created_at: DefaultTimestamp;
}

/** A claim for losses caused by a wrong measure, tracked to its decision. */
export interface CompensationClaimsTable {
  id: string;
  appeal_id: string;
  /** Decimal string, two places. */
  amount: string;
  currency: string;
  description: string;
  status: CompensationStatus;
  amount_granted: Nullable<string>;
  decision_reasons: Nullable<string>;
  decided_by: Nullable<string>;
  decided_at: NullableTimestamp;
  created_at: DefaultTimestamp;
}

declare module '../core/db/schema.ts' {
  interface DB {
    appeals: AppealsTable;
    appeal_measures: AppealMeasuresTable;
    appeal_events: AppealEventsTable;
    appeal_evidence: AppealEvidenceTable;
    compensation_claims: CompensationClaimsTable;
  }
}
