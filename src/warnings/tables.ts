import type { ColumnType, Generated } from 'kysely';

/**
 * Early warning and dissuasion (docs/warnings.md): one warning per person per episode, the
 * triggers behind it, what the centre did (timeline) and the texts it says (content library).
 * The person's contact number is personal data (encrypted); names and numbers show masked.
 */

type DefaultTimestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type Timestamp = ColumnType<Date, Date | string, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
type Nullable<T> = ColumnType<T | null, T | null | undefined, T | null>;
type Json<T> = ColumnType<T, string, string>;
/** bigint minor units: the drivers hand it back as a string. */
type Money = ColumnType<string | number | null, number | null | undefined, number | null>;

export const TRIGGER_KINDS = [
  'potential_victim',
  'fraud_call',
  'fraud_sms',
  'link_visit',
  'flagged_payee',
  'relative_report',
] as const;
export type TriggerKind = (typeof TRIGGER_KINDS)[number];
/** Triggers that say money is about to move, or someone saw the scam happen: the episode is urgent. */
export const URGENT_TRIGGERS: readonly TriggerKind[] = ['flagged_payee', 'relative_report'];

export const WARNING_STATUSES = ['open', 'closed'] as const;
export type WarningStatus = (typeof WARNING_STATUSES)[number];
export const RISK_LEVELS = ['high', 'medium', 'low'] as const;
export type RiskLevel = (typeof RISK_LEVELS)[number];

export const CHANNELS = ['app_push', 'sms', 'call', 'visit'] as const;
export type Channel = (typeof CHANNELS)[number];
export const STEP_STATUSES = ['pending', 'active', 'done', 'unanswered', 'skipped'] as const;
export type StepStatus = (typeof STEP_STATUSES)[number];

export const OUTCOMES = ['dissuaded', 'already_paid', 'not_reachable', 'false_alarm'] as const;
export type OutcomeKind = (typeof OUTCOMES)[number];

export const AGE_GROUPS = ['minor', 'adult', 'elderly'] as const;
export type AgeGroup = (typeof AGE_GROUPS)[number];

export const AUDIENCES = ['minor', 'elderly', 'everyone'] as const;
export type Audience = (typeof AUDIENCES)[number];
export const CONTENT_CHANNELS = ['sms', 'app_push', 'call_script', 'publicity'] as const;
export type ContentChannel = (typeof CONTENT_CHANNELS)[number];
export const LANGUAGES = ['zh', 'en'] as const;
export type Language = (typeof LANGUAGES)[number];
/** Content for any scam type: the last fallback. */
export const GENERAL = 'general';

export const WARNING_ACTIONS = [
  'opened',
  'merged',
  'reopened',
  'suppressed',
  'sent',
  'attempt',
  'escalated',
  'overdue',
  'closed',
] as const;
export type WarningAction = (typeof WARNING_ACTIONS)[number];

export interface ChannelStep {
  channel: Channel;
  status: StepStatus;
  dueAt: string | null;
  startedAt: string | null;
  endedAt: string | null;
  /** `sent`, `answered`, `unanswered`, `not_needed`… */
  result: string | null;
}

export interface WarningsTable {
  id: string;
  /** `WRN-2026-000123`. */
  reference: string;
  status: WarningStatus;
  /** Who the episode is about: `person:<id>`, else the keyed hash of the number, account or id number. */
  subject_key: string;
  person_id: string | null;
  risk_level: RiskLevel;
  priority: number;
  scam_type: string | null;
  /** Masked name and number for screens and lists. */
  name_display: string;
  phone_display: string;
  /** Where the warning is sent: E.164, encrypted (privacy/crypto.ts). */
  key_id: string;
  phone_enc: Uint8Array | null;
  age_years: number | null;
  language: Language;
  amount_at_risk: Money;
  channel_plan: Json<ChannelStep[]>;
  /** Deadline of the active channel step; null when none waits. */
  deadline_at: NullableTimestamp;
  /** The visit went unanswered too: still open, nobody reached. */
  overdue: ColumnType<boolean, boolean | undefined, boolean>;
  escalations: ColumnType<number, number | undefined, number>;
  /** Keyed hashes (cooling-off.ts accountKey/msisdnKey) of the person's accounts and numbers, for the events. */
  account_keys: string[];
  msisdn_keys: string[];
  outcome_kind: Nullable<OutcomeKind>;
  outcome_note: Nullable<string>;
  outcome_by: Nullable<string>;
  outcome_at: NullableTimestamp;
  fund_case_id: Nullable<string>;
  opened_at: Timestamp;
  last_trigger_at: Timestamp;
  closed_at: NullableTimestamp;
  updated_at: DefaultTimestamp;
}

export interface WarningTriggersTable {
  id: string;
  warning_id: string;
  kind: TriggerKind;
  at: Timestamp;
  /** The organisation's name, or `public`. */
  source: string;
  organisation_id: string | null;
  /** Short, no personal data in clear. */
  summary: string | null;
  detection_id: string | null;
  amount_at_risk: Money;
  scam_type: string | null;
  /** Came within 7 days of a false alarm about the same person: recorded, no warning. */
  suppressed: boolean;
  /** What a relative told us (their number, relation, note): personal data, encrypted; null for others. */
  detail_key_id: string;
  detail_enc: Uint8Array | null;
  created_at: DefaultTimestamp;
}

export interface WarningEventsTable {
  id: Generated<number>;
  warning_id: string;
  at: Timestamp;
  action: WarningAction;
  channel: Channel | null;
  result: string | null;
  note: string | null;
  actor_kind: string;
  actor_id: string | null;
  actor_name: string;
  organisation_id: string | null;
}

export interface WarningContentTable {
  id: string;
  /** A key of SCAM_CATEGORIES, or `general`. */
  scam_type: string;
  audience: Audience;
  channel: ContentChannel;
  language: Language;
  title: string;
  body: string;
  version: number;
  updated_at: DefaultTimestamp;
  updated_by: string | null;
}

declare module '../core/db/schema.ts' {
  interface DB {
    warnings: WarningsTable;
    warning_triggers: WarningTriggersTable;
    warning_events: WarningEventsTable;
    warning_content: WarningContentTable;
  }
}
