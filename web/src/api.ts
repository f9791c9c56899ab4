/**
 * Typed client of the Interdict HTTP API (`/v1`). The session is an HttpOnly cookie set by the
 * server, so every call goes with `credentials: 'same-origin'`. Every failure is an ApiError
 * carrying the problem's `code` and `detail` (RFC 9457 problem+json).
 */

export const ROLES = ['analyst', 'supervisor', 'auditor', 'institution_operator', 'administrator'] as const;
export type Role = (typeof ROLES)[number];

export const ORGANISATION_KINDS = [
  'anti_fraud_centre',
  'telecom_operator',
  'bank',
  'internet_service',
  'public',
] as const;
export type OrganisationKind = (typeof ORGANISATION_KINDS)[number];

export interface Session {
  user: { id: string; username: string; displayName: string; roles: Role[] };
  organisation: { id: string; name: string; kind: OrganisationKind };
}

export interface Organisation {
  id: string;
  name: string;
  kind: OrganisationKind;
  createdAt: string;
}

export interface User {
  id: string;
  username: string;
  displayName: string;
  organisationId: string;
  organisationName: string;
  roles: Role[];
  disabled: boolean;
  createdAt: string;
}

export interface ApiKey {
  id: string;
  name: string;
  prefix: string;
  scopes: string[];
  organisationId: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

export interface CreatedApiKey {
  id: string;
  name: string;
  prefix: string;
  scopes: string[];
  /** The secret: in this answer only, never again. */
  key: string;
}

export interface PersonSummary {
  id: string;
  name: string;
  idNumber: string;
  phoneCardCount: number;
  bankAccountCount: number;
  createdAt: string;
  /** Searched by a phone number: holds it now, or held it before it was given back. */
  numberHolder?: 'present' | 'former';
}

export interface PhoneCard {
  msisdn: string;
  operator: string;
  cardType: string;
  activatedAt: string | null;
  status: string;
  /** When a card given back was cancelled. */
  cancelledAt: string | null;
}

export interface BankAccount {
  account: string;
  institution: string;
  accountType: string;
  openedAt: string | null;
  status: string;
  /** When the institution closed it. */
  closedAt: string | null;
}

export interface Person {
  id: string;
  idType?: string;
  name: string;
  idNumber: string;
  birthDate: string | null;
  masked: boolean;
  phoneCards: PhoneCard[];
  bankAccounts: BankAccount[];
}

export interface AccessLogEntry {
  id: string | number;
  at: string;
  actorName: string;
  personId: string;
  fields: string[];
  purpose: string;
  clear: boolean;
}

/**
 * Why personal data is read: `kind` or `kind:reference` (e.g. `case:2026-0412`). The server's
 * policy decides by the kind whether clear values may be shown; the reference is logged.
 */
export const PURPOSES = [
  { kind: 'case', ref: 'required' },
  { kind: 'appeal', ref: 'required' },
  { kind: 'fund_case', ref: 'required' },
  { kind: 'warning', ref: 'required' },
  { kind: 'instruction', ref: 'required' },
  { kind: 'report', ref: 'required' },
  { kind: 'verification', ref: 'required' },
  { kind: 'statistics', ref: 'optional' },
  { kind: 'audit', ref: 'optional' },
] as const;
export type PurposeKind = (typeof PURPOSES)[number]['kind'];
export const PURPOSE_REFERENCE_RE = /^[A-Za-z0-9][A-Za-z0-9._:/#-]{0,127}$/;

export function formatPurpose(kind: string, reference: string): string {
  return reference ? `${kind}:${reference}` : kind;
}

/** `case:2026-0412` → kind `case`, reference `2026-0412`. */
export function parsePurpose(purpose: string): { kind: string; reference: string } {
  const i = purpose.indexOf(':');
  return i < 0
    ? { kind: purpose, reference: '' }
    : { kind: purpose.slice(0, i), reference: purpose.slice(i + 1) };
}

export const INDICATOR_KINDS = [
  'phone',
  'url',
  'domain',
  'ip',
  'bank_account',
  'payment_account',
  'internet_account',
  'device',
  'app',
] as const;
export type IndicatorKind = (typeof INDICATOR_KINDS)[number];

/** The scam categories (server: src/registry/engine/taxonomy.ts), in their stable order. */
export const SCAM_CATEGORIES = [
  'impersonate_police',
  'customer_service_refund',
  'loan',
  'impersonate_boss_or_acquaintance',
  'investment_pension',
  'click_farming',
  'shopping',
  'game_trading',
  'romance',
  'livestream_rewards',
  'prize',
  'card_account_dealing',
  'sim_box',
  'other',
] as const;
export type ScamCategory = (typeof SCAM_CATEGORIES)[number];

export const LISTING_STATUSES = ['active', 'expired', 'delisted', 'under_appeal', 'pending_review'] as const;
export type ListingStatus = (typeof LISTING_STATUSES)[number];

export interface Listing {
  id: string;
  kind: IndicatorKind;
  /** canonical; url listings are host/path?query expressions */
  value: string;
  category: ScamCategory;
  /** 0..1 */
  confidence: number;
  status: ListingStatus;
  firstSeen: string;
  lastSeen: string;
  expiresAt: string | null;
  version: number;
  evidence: string[];
  lookalike: { brand: string; domain: string; reason: string } | null;
  createdAt: string;
  updatedAt: string;
}

/** A listing's state as kept in its history. */
export interface ListingState {
  category: ScamCategory;
  confidence: number;
  status: ListingStatus;
  expiresAt: number | null;
}

export interface ListingDetail extends Listing {
  sources: {
    kind: string;
    organisationId: string | null;
    reporterRef: string;
    trust: number;
    firstAt: string;
    lastAt: string;
    count: number;
  }[];
  history: {
    version: number;
    at: string;
    action: string;
    actorKind: string;
    actorName: string;
    organisationId: string | null;
    reason: string | null;
    /** the listing before and after; expiresAt in epoch milliseconds */
    before?: ListingState | null;
    after?: ListingState;
  }[];
  sightings: { day: string; channel: string; count: number }[];
}

export interface ListOutcome {
  outcome: 'listed' | 'corroborated' | 'relisted' | 'review';
  /** review: why the value was not listed */
  reason?: string;
  reviewId: string | null;
  listing: Listing | null;
}

export interface ProtectedIndicator {
  id: string;
  kind: IndicatorKind;
  value: string;
  label: string;
  reason: string | null;
  addedBy: string;
  createdAt: string;
}

/** Statuses a listing can be changed to (PATCH /v1/listings/:id); delisting has its own call. */
export const CHANGE_STATUSES = ['active', 'under_appeal', 'pending_review'] as const;
export type ChangeStatus = (typeof CHANGE_STATUSES)[number];

/** Why a submission waits for a supervisor instead of being listed (server: src/registry/tables.ts). */
export const REVIEW_REASONS = [
  'protected_indicator',
  'lookalike_of_protected',
  'previously_delisted',
  'low_confidence',
] as const;
export type ReviewReason = (typeof REVIEW_REASONS)[number];

export const REVIEW_STATUSES = ['open', 'accepted', 'rejected'] as const;
export type ReviewStatus = (typeof REVIEW_STATUSES)[number];

/** How a domain imitates a protected brand (server: src/registry/lookalike.ts). */
export const LOOKALIKE_REASONS = [
  'idn_homoglyph',
  'homoglyph',
  'other_suffix',
  'edit_distance',
  'brand_in_name',
  'brand_in_subdomain',
] as const;

export interface Review {
  id: string;
  /** the listing it concerns, if there is one (low confidence, delisted before) */
  listingId: string | null;
  kind: IndicatorKind;
  value: string;
  category: ScamCategory;
  proposedConfidence: number;
  reason: ReviewReason;
  /** what the submission carried and why it was held: source, evidence, expiresAt, protected, lookalike */
  details: {
    source?: { kind: string; organisationId: string | null; reporterRef: string; trust: number };
    evidence?: string[];
    /** epoch milliseconds; null: until delisted */
    expiresAt?: number | null;
    protected?: { kind: string; value: string; label: string };
    lookalike?: { brand: string; domain: string; reason: string; distance?: number };
    [key: string]: unknown;
  };
  proposer: { kind: string; name: string; id: string | null; organisationId: string | null };
  submissions: number;
  status: ReviewStatus;
  decidedBy: string | null;
  decidedAt: string | null;
  decisionReason: string | null;
  createdAt: string;
}

export interface Brand {
  brand: string;
  domains: string[];
}

export interface LookalikeCheck {
  host: string;
  unicodeHost: string;
  domain: string;
  matches: { brand: string; domain: string; reason: string; distance?: number }[];
}

export interface Labelled {
  code: string;
  zh: string;
  en: string;
}

/** The public check of one number, link or account. */
export interface CheckResult {
  verdict: 'listed' | 'not_listed' | 'unreadable';
  action: string;
  kind: string;
  categories: Labelled[];
  reasons: Labelled[];
  advice: { zh: string; en: string };
}

/** Decision actions, in increasing severity (server: src/registry/engine/types.ts). */
export const ACTIONS = ['allow', 'warn', 'review', 'block'] as const;
export type Action = (typeof ACTIONS)[number];

/** Event kinds a decision is asked for; a policy's channel is one of them or `*` (every kind). */
export const EVENT_KINDS = [
  'call',
  'sms',
  'url_visit',
  'transfer',
  'account_opening',
  'card_opening',
] as const;
export const POLICY_CHANNELS = ['*', ...EVENT_KINDS] as const;

/** Roles of the parties of an event that rules commonly name (any other role may be typed). */
export const PARTY_ROLES = [
  'caller',
  'callee',
  'sender',
  'recipient',
  'content_url',
  'content_phone',
  'url',
  'payer',
  'payee',
  'applicant',
  'device',
  'app',
] as const;

export const POLICY_STATES = ['draft', 'shadow', 'active', 'retired'] as const;
export type PolicyState = (typeof POLICY_STATES)[number];

/** One rule: it covers a matched listing when every condition given holds; the first covering rule decides. */
export interface PolicyRule {
  categories?: ScamCategory[];
  /** 0..1 */
  minConfidence?: number;
  kinds?: IndicatorKind[];
  partyRoles?: string[];
  action: Action;
  reason?: string;
}

/** What POST /v1/policies takes: a new version (a draft) of the policy `id`. */
export interface PolicyInput {
  id: string;
  /** an event kind, or `*` */
  channel: string;
  /** null: the national policy */
  institutionId: string | null;
  rules: PolicyRule[];
  default: Action;
  onMalformed?: Action;
  description?: string;
}

export interface PolicyVersion extends PolicyInput {
  version: number;
  state: PolicyState;
  createdBy: string;
  createdAt: string;
  stateChangedBy: string;
  stateChangedAt: string;
}

/** How many decisions a version would decide differently from the policy in force. */
export interface ShadowReport {
  active: { id: string; version: number } | null;
  shadow: { id: string; version: number } | null;
  total: number;
  changed: number;
  /** 0..1 */
  changedShare: number;
  transitions: { from: Action; to: Action; count: number }[];
}

/** The state changes of a policy version (POST /v1/policies/:id/versions/:version/<change>). */
export type PolicyChange = 'shadow' | 'activate' | 'retire' | 'unshadow';

/** What a report is about (server: src/reports/tables.ts). */
export const REPORT_KINDS = ['call', 'sms', 'link', 'app', 'account', 'internet_account', 'other'] as const;
export type ReportKind = (typeof REPORT_KINDS)[number];
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
/** A listing candidate's state: how far reports about one indicator got towards the registry. */
export const CANDIDATE_STATUSES = [
  'collecting',
  'submitted',
  'held',
  'protected',
  'listed',
  'rejected',
] as const;
/** Evidence files the server takes, by media type, with the extensions a browser may not type. */
export const EVIDENCE_TYPES: Record<string, readonly string[]> = {
  'image/jpeg': ['jpg', 'jpeg'],
  'image/png': ['png'],
  'image/gif': ['gif'],
  'image/webp': ['webp'],
  'application/pdf': ['pdf'],
  'audio/mpeg': ['mp3'],
  'audio/mp4': ['m4a'],
  'audio/wav': ['wav'],
  'audio/amr': ['amr'],
  'video/mp4': ['mp4'],
};

/** A citizen's report (POST /v1/reports): only what the kind needs. */
export interface ReportInput {
  kind: ReportKind;
  subject?: {
    phone?: string;
    url?: string;
    app?: { name?: string; package?: string; source?: string };
    account?: { value: string; institution?: string; provider?: string };
    internetAccount?: { platform: string; id: string };
  };
  content?: string;
  occurredAt?: string;
  category?: ScamCategory;
  loss?: { amount: string; currency?: string; paidAt?: string; method?: PaymentMethod; ongoing?: boolean };
  ageGroup?: AgeGroup;
  forRelative?: boolean;
  contactPhone?: string;
  language?: 'zh' | 'en';
}

export interface SubmittedReport {
  id: string;
  /** `XXXX-XXXX-XXXX`: the reporter's only key to the report */
  receiptCode: string;
  status: ReportStatus;
  category: string;
  urgency: number;
  indicators: { kind: string; value: string; role: string }[];
  classification: { label: string; probability: number } | null;
  duplicate: boolean;
}

/** A report's status by its receipt code: nothing personal. */
export interface ReceiptStatus {
  receiptCode: string;
  kind: ReportKind;
  status: ReportStatus;
  receivedAt: string;
  updatedAt: string;
  category: string;
  evidence: number;
  message: { zh: string; en: string };
  note: string | null;
}

export interface AddedEvidence {
  id: string;
  mediaType: string;
  size: number;
  sha256: string;
}

export interface ReportQueueItem {
  id: string;
  receiptCode: string;
  kind: ReportKind;
  channel: string;
  category: string;
  status: ReportStatus;
  urgency: number;
  reporters: number;
  priority: number;
  lostMoney: boolean;
  /** The victim is paying now, or about to. */
  moneyLostNow: boolean;
  amount: string | null;
  ageGroup: AgeGroup | null;
  held: boolean;
  summary: string;
  createdAt: string;
}

export interface ReportDetail {
  id: string;
  receiptCode: string;
  kind: ReportKind;
  channel: string;
  organisationId: string | null;
  externalRef: string | null;
  subject: ReportInput['subject'] & Record<string, unknown>;
  content: string;
  occurredAt: string | null;
  category: string;
  classification: {
    label: string;
    probability: number;
    language: string;
    features: { feature: string; weight: number }[];
  } | null;
  loss: {
    amount: string;
    currency: string;
    paidAt: string | null;
    method: string | null;
    ongoing: boolean;
  } | null;
  ageGroup: AgeGroup | null;
  forRelative: boolean;
  /** masked */
  contact: string | null;
  urgency: number;
  status: ReportStatus;
  decidedBy: string | null;
  decidedAt: string | null;
  decisionReason: string | null;
  publicNote: string | null;
  mergedInto: string | null;
  createdAt: string;
  indicators: {
    kind: string;
    value: string;
    role: string;
    candidate: {
      status: string;
      reports: number;
      reporters: number;
      coordination: { reasons: string[]; score: number } | null;
      listingId: string | null;
    } | null;
    listing: { id: string; status: string; confidence: number; category: string } | null;
  }[];
  evidence: {
    id: string;
    fileName: string;
    mediaType: string;
    size: number;
    sha256: string;
    createdAt: string;
  }[];
  related: { id: string; receiptCode: string; status: ReportStatus; createdAt: string }[];
}

export interface ReportDecisionInput {
  decision: 'confirm' | 'reject' | 'merge';
  reason: string;
  category?: ScamCategory;
  mergeInto?: string;
  publicNote?: string;
}

/** Detection (server: src/detection/records.ts, tables.ts, routes.ts). */
export const DETECTORS = [
  'simbox',
  'fraud_caller',
  'iot_misuse',
  'spoofed_caller',
  'card_limit',
  'mule_account',
  'potential_victim',
] as const;
export type DetectorName = (typeof DETECTORS)[number];
export const DETECTION_SUBJECT_KINDS = ['msisdn', 'imei', 'holder', 'account'] as const;
export type DetectionSubjectKind = (typeof DETECTION_SUBJECT_KINDS)[number];
export const DETECTION_STATUSES = ['open', 'confirmed', 'rejected', 'suppressed'] as const;
export type DetectionStatus = (typeof DETECTION_STATUSES)[number];
export const MEASURES = ['re_verify', 'restrict', 'flag', 'warn'] as const;
export type Measure = (typeof MEASURES)[number];

export interface RecommendedMeasure {
  measure: Measure;
  /** the subject itself, or the holder of the card or account */
  target: 'subject' | 'holder';
  reason: string;
}

export interface Detection {
  id: string;
  /** whose data fired it; null: the platform's own worker */
  organisationId: string | null;
  detector: DetectorName;
  subjectKind: DetectionSubjectKind;
  /** the number, IMEI or account; for a holder, the masked id number */
  subject: string;
  subjectMasked: boolean;
  score: number;
  window: { from: string; to: string };
  /** the facts that fired it: differs per detector */
  evidence: Record<string, unknown>;
  measures: RecommendedMeasure[];
  /** confirming lists the subject in the registry */
  listable: boolean;
  status: DetectionStatus;
  /** suppressed: the rejected detection it repeats */
  suppressedBy: string | null;
  listingId: string | null;
  decidedBy: string | null;
  decidedAt: string | null;
  decisionReason: string | null;
  /** other episodes of the same subject, newest first (detail only) */
  history?: { id: string; status: DetectionStatus; score: number; from: string; to: string }[];
  createdAt: string;
}

export interface DetectionQuery {
  status?: DetectionStatus;
  detector?: DetectorName;
  subjectKind?: DetectionSubjectKind;
  subject?: string;
  minScore?: number;
  limit?: number;
  /** the `next` of the previous page */
  after?: string;
}

export interface DetectionDecisionInput {
  decision: 'confirm' | 'reject';
  reason: string;
  /** confirm: list under this category instead of the detector's default */
  category?: ScamCategory;
}

/** Streaming detection: the record stream and its workers (server: src/detection/stream/status.ts). */
export interface StreamWorker {
  /** its checkpoint's name (the partition set unless named otherwise, e.g. `p8:0-3`) */
  worker: string;
  partitions: number[];
  /** the partition count its name gives (`p8:…`); null for a worker named otherwise */
  partitionCount: number | null;
  /** the partitions as `--partitions` takes them: `0-3,6` */
  partitionSpec: string;
  /** the command that runs it again (it resumes from its checkpoint) */
  command: string;
  /** the last entry it processed and saved */
  gseq: number;
  /** entries published after its last checkpoint */
  behind: number;
  /** snapshot: resumes from its saved state; replay: rebuilds from the start of the stream */
  mode: 'snapshot' | 'replay';
  ended: boolean;
  savedAt: string;
  /** behind, and no checkpoint for 5 minutes: most likely stopped */
  stalled: boolean;
  /** entries it has not read are no longer kept: it will miss them */
  missed: boolean;
  /** fingerprint of the detector parameters of its last checkpoint (`interdict detect params`) */
  params: string | null;
  /** the stream's workers checkpointed with different parameters */
  paramsDiffer: boolean;
  /** it checkpointed with other parameters than the platform's (`platformParams`) */
  paramsOffPlatform: boolean;
  /** it has ended or not checkpointed for 5 minutes: it may be retired */
  retirable: boolean;
  /** its partitions no other worker of its split owns: retiring it leaves them without one ('' when none) */
  soleSpec: string;
}

export interface RecordStreamStatus {
  kind: 'embedded' | 'nats' | 'memory';
  head: {
    /** the last entry published */
    gseq: number;
    /** stream time of the last clock entry; null before the first */
    lastTickAt: string | null;
    /** the input was closed (`detect publish --end`) */
    ended: boolean;
  };
  stored: {
    /** the oldest entry kept; null when nothing is */
    fromGseq: number | null;
    bytes: number;
    /** rows (embedded) or messages (NATS) kept */
    units: number;
  };
  /** retention (ms): stream time on the embedded stream, age on NATS */
  keepMs: number;
  /** the publish writing to the stream now (one at a time), or null */
  publisher: {
    /** `detect publish on <host>, process <pid>` */
    holder: string;
    since: string;
    lastHeard: string;
    /** not heard for 60 s: it died or hangs; the next publish takes over */
    lapsed: boolean;
  } | null;
  /** feeds over HTTP: every active feed has sent up to here; null when none is active */
  watermark: string | null;
  /** a feed not heard for this long (ms) is idle (INTERDICT_FEED_IDLE_MINUTES) */
  feedIdleMs: number;
  /** a heard feed whose `through` has not moved for this long (ms) is stuck (INTERDICT_FEED_STUCK_MINUTES) */
  feedStuckMs: number;
  feeds: StreamFeed[];
  workers: StreamWorker[];
  /** fingerprint of the platform's detector parameters (INTERDICT_DETECTOR_PARAMS) */
  platformParams: string | null;
  coverage: PartitionCoverage;
}

/** How the workers split the stream's partitions (server: src/detection/stream/status.ts). */
export interface PartitionCoverage {
  /** the partition count of the split in use (the last saved checkpoint's); null: none */
  count: number | null;
  /** partitions no worker owns: their detections are made by no one */
  uncovered: number[];
  /** `uncovered` as `--partitions` takes them; '' when none */
  uncoveredSpec: string;
  /** the command that starts a worker for `uncovered`; null when none */
  command: string | null;
  /** partitions several workers own: their detections are made twice */
  shared: { partition: number; workers: string[] }[];
  /** workers whose names give another partition count */
  otherSplit: string[];
  /** the partition counts of `otherSplit`'s workers */
  otherCounts: number[];
}

/** An operator's or bank's own record feeds (server: src/detection/stream/ingest-route.ts). */
export interface OwnFeeds {
  /** stream time of the record stream's last tick */
  lastTickAt: string | null;
  /** every active feed has sent up to here; null when none is active */
  watermark: string | null;
  /** another party's feed is the one the others wait for */
  heldByOthers: boolean;
  /** a feed not heard for this long (ms) is idle */
  feedIdleMs: number;
  /** a heard feed whose `through` has not moved for this long (ms) is stuck */
  feedStuckMs: number;
  feeds: Omit<StreamFeed, 'organisationId' | 'organisation'>[];
}

/** A party's feed of calls or transactions over HTTP (server: src/detection/stream/feeds.ts). */
export interface StreamFeed {
  organisationId: string;
  organisation: string | null;
  kind: 'calls' | 'transactions';
  name: string;
  /** it has sent everything before this time */
  through: string;
  heardAt: string;
  /** when its `through` last moved forward */
  movedAt: string;
  /** not heard for `feedIdleMs`: it no longer holds the watermark back */
  idle: boolean;
  /** heard, but its `through` has not moved for `feedStuckMs` (a stuck clock, a re-sent file) */
  stuck: boolean;
  /** its records waiting for the watermark */
  staged: number;
  /** its records dropped: the stream's clock had passed them */
  late: number;
  /** let go: it holds the watermark back no more until it has caught up with the others */
  released: boolean;
  /** its `through` is the watermark: the other feeds wait for it */
  holding: boolean;
}

/** Governance: disposal instructions (server: src/governance/routes.ts, docs/governance.md). */
export const INSTRUCTION_STATUSES = [
  'awaiting_approval',
  'issued',
  'received',
  'executed',
  'contested',
  'withdrawn',
  'expired',
  'lifted',
] as const;
export type InstructionStatus = (typeof INSTRUCTION_STATUSES)[number];
export const INSTRUCTION_MEASURES = [
  're_verify',
  'restrict_functions',
  'suspend_card',
  'restrict_internet_account',
  'suspend_internet_account',
  'block_link',
  'restrict_account_non_counter',
  'refuse_new_cards_accounts',
  // sent by the platform when an appeal is upheld or an executed instruction withdrawn
  'restore',
] as const;
export type InstructionMeasure = (typeof INSTRUCTION_MEASURES)[number];
export type InstructionTargetKind = 'msisdn' | 'account' | 'internet_account' | 'domain' | 'url' | 'holder';

export interface LegalBasis {
  id: string;
  article: number;
  zh: string;
  en: string;
}

export interface InstructionEvent {
  at: string;
  action: string;
  /** the status after the change */
  status: InstructionStatus;
  actor: string;
  actorKind: string;
  organisationId: string | null;
  note: string | null;
}

export interface Instruction {
  id: string;
  status: InstructionStatus;
  /** a holder's value is the masked id number */
  target: { kind: InstructionTargetKind; value: string; masked: boolean };
  measure: InstructionMeasure;
  functions: string[];
  reason: string;
  legalBasis: string;
  issuingOrganisationId: string;
  issuedBy: string;
  receivingOrganisationId: string;
  receivingOrganisation: string;
  /** the receiving institution's IANA time zone */
  timeZone: string;
  deadlineMinutes: number;
  /** null until issued */
  deadline: string | null;
  /** the deadline as the institution's wall-clock time, with its offset */
  deadlineLocal: string | null;
  expiresAt: string;
  expiresAtLocal: string;
  detectionId: string | null;
  listingId: string | null;
  approvedBy: string | null;
  approvedAt: string | null;
  issuedAt: string | null;
  receivedAt: string | null;
  executedAt: string | null;
  executionNote: string | null;
  contestedAt: string | null;
  contestReason: string | null;
  withdrawnAt: string | null;
  withdrawReason: string | null;
  overdue: boolean;
  overdueAt: string | null;
  /** restore: the instruction whose measure it undoes */
  restoresInstructionId: string | null;
  /** lifted, or a restore: the upheld appeal behind it */
  appealId: string | null;
  createdAt: string;
  /** detail only, oldest first */
  timeline?: InstructionEvent[];
  /** detail only: the restore instructions sent to undo this one */
  restoredBy?: string[];
}

export interface InstructionQuery {
  status?: InstructionStatus;
  measure?: InstructionMeasure;
  overdue?: 'true' | 'false';
  institution?: string;
  limit?: number;
  after?: string;
}

export interface FromDetectionsResult {
  created: Instruction[];
  existing: Instruction[];
  skipped: { detectionId: string; measure: string; reason: string }[];
}

/** Appeals (server: src/governance/appeal-routes.ts, docs/governance.md "Appeals"). */
export const APPEAL_SUBJECT_KINDS = ['msisdn', 'account', 'internet_account', 'notice', 'person'] as const;
export type AppealSubjectKind = (typeof APPEAL_SUBJECT_KINDS)[number];
export const APPEAL_STATUSES = ['received', 'under_review', 'upheld', 'rejected', 'withdrawn'] as const;
export type AppealStatus = (typeof APPEAL_STATUSES)[number];
export const VERIFICATION_RESULTS = ['confirmed', 'failed'] as const;
export const USE_RESULTS = ['confirmed', 'failed', 'not_applicable'] as const;
export const VERIFICATION_METHODS = ['counter', 'video', 'face', 'records', 'callback'] as const;
export type VerificationResult = (typeof VERIFICATION_RESULTS)[number];
export type UseResult = (typeof USE_RESULTS)[number];
export type VerificationMethod = (typeof VERIFICATION_METHODS)[number];
export type CompensationStatus = 'filed' | 'granted' | 'partly_granted' | 'refused';
type Bilingual = { zh: string; en: string };

/** The public appeal form (POST /v1/appeals); `value` for all but `person`. */
export interface AppealInput {
  subject: { kind: AppealSubjectKind; value?: string };
  appellant: { idNumber: string; name: string; contactPhone?: string };
  explanation: string;
  language?: 'zh' | 'en';
}

/** The same answer whatever was found: nothing about measures or other people shows. */
export interface AppealReceipt {
  receiptCode: string;
  status: AppealStatus;
  respondBy: string;
  message: Bilingual;
}

/** An appeal's state by its receipt code: no personal data. */
export interface AppealReceiptStatus {
  receiptCode: string;
  status: AppealStatus;
  receivedAt: string;
  respondBy: string;
  evidenceFiles: number;
  decision: {
    outcome: 'upheld' | 'rejected';
    reasons: string;
    decidedAt: string;
    /** upheld: every institution has restored the service */
    restored: boolean | null;
    /** rejected: administrative review and litigation */
    furtherRemedies: Bilingual | null;
  } | null;
  compensation: {
    status: CompensationStatus;
    amount: string;
    currency: string;
    amountGranted: string | null;
  }[];
}

export interface CompensationClaim {
  id: string;
  amount: string;
  currency: string;
  description: string;
  status: CompensationStatus;
  amountGranted: string | null;
  decisionReasons: string | null;
  decidedBy: string | null;
  decidedAt: string | null;
  createdAt: string;
}

export interface AppealMeasure {
  kind: 'instruction' | 'listing';
  id: string;
  /** instruction: its measure; listing: its category */
  what: string;
  target: string;
  statusBefore: string;
  status: string;
  organisationId: string | null;
  organisation: string | null;
  liftedAt: string | null;
  restoreInstructionId: string | null;
  restoreStatus: InstructionStatus | null;
}

export interface Appeal {
  id: string;
  receiptCode: string;
  status: AppealStatus;
  channel: 'web' | 'counter';
  counterOrganisationId: string | null;
  /** the value masked */
  subject: { kind: AppealSubjectKind; value: string };
  /** masked name and id number */
  appellant: string;
  identityOnRecord: boolean;
  holderOnRecord: 'appellant' | 'other' | 'unknown';
  measureCount: number;
  respondBy: string;
  overdue: boolean;
  verification: {
    identity: VerificationResult | null;
    use: UseResult | null;
    method: VerificationMethod | null;
    note: string | null;
    by: string | null;
    at: string | null;
  };
  decision: { reasons: string; by: string; at: string } | null;
  createdAt: string;
  /** detail only from here */
  explanation?: string;
  language?: 'zh' | 'en';
  /** masked */
  contact?: string | null;
  measures?: AppealMeasure[];
  timeline?: {
    at: string;
    action: string;
    status: AppealStatus;
    actor: string;
    actorKind: string;
    organisationId: string | null;
    note: string | null;
  }[];
  evidence?: { id: string; fileName: string; mediaType: string; size: number; createdAt: string }[];
  compensation?: CompensationClaim[];
  restoredAt?: string | null;
}

export interface AppealQuery {
  status?: AppealStatus;
  overdue?: 'true' | 'false';
  limit?: number;
  after?: string;
}

interface Items<T> {
  items: T[];
}

/** A failed call: `status` 0 and code `network` when the server could not be reached. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly detail: string,
    readonly requestId?: string,
  ) {
    super(detail);
    this.name = 'ApiError';
  }
}

export function asApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  return new ApiError(0, 'network', err instanceof Error ? err.message : String(err));
}

type Listener = () => void;
const expiredListeners = new Set<Listener>();

/** Called when a call answers 401 although the console believed it was signed in. */
export function onSessionExpired(listener: Listener): () => void {
  expiredListeners.add(listener);
  return () => expiredListeners.delete(listener);
}

const SESSION_PATH = '/v1/auth/session';

/** One API call; exported for capabilities that keep their client beside their pages (pages/warnings). */
export async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      credentials: 'same-origin',
      headers: {
        accept: 'application/json, application/problem+json',
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (err) {
    throw new ApiError(0, 'network', err instanceof Error ? err.message : String(err));
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let parsed: unknown = undefined;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  if (!res.ok) {
    const p = (parsed ?? {}) as Partial<Record<'code' | 'detail' | 'requestId', unknown>>;
    const err = new ApiError(
      res.status,
      typeof p.code === 'string' ? p.code : `http_${res.status}`,
      typeof p.detail === 'string' ? p.detail : res.statusText || text.slice(0, 200),
      typeof p.requestId === 'string' ? p.requestId : (res.headers.get('x-request-id') ?? undefined),
    );
    if (res.status === 401 && path !== SESSION_PATH) for (const l of expiredListeners) l();
    throw err;
  }
  return parsed as T;
}

function query(params: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

const seg = encodeURIComponent;

/** The media type of an evidence file: the browser's, else from its extension (`.amr` has none). */
export function evidenceType(file: File): string {
  if (file.type && file.type in EVIDENCE_TYPES) return file.type;
  const ext = file.name.split('.').pop()?.toLowerCase() ?? '';
  const known = Object.entries(EVIDENCE_TYPES).find(([, exts]) => exts.includes(ext));
  return known?.[0] ?? (file.type || 'application/octet-stream');
}

/** One evidence file as the raw body with its media type (the server checks the bytes). */
async function uploadEvidence(url: string, file: File): Promise<AddedEvidence> {
  // A header carries Latin-1 only: other characters of the name become `_` (the type is kept).
  const name = file.name.replace(/[^\x20-\x7e]/g, '_').slice(0, 200);
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      credentials: 'same-origin',
      headers: {
        accept: 'application/json, application/problem+json',
        'content-type': evidenceType(file),
        ...(name ? { 'x-file-name': name } : {}),
      },
      body: file,
    });
  } catch (err) {
    throw new ApiError(0, 'network', err instanceof Error ? err.message : String(err));
  }
  const text = await res.text();
  let parsed: unknown = undefined;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  if (!res.ok) {
    const p = (parsed ?? {}) as Partial<Record<'code' | 'detail' | 'requestId', unknown>>;
    throw new ApiError(
      res.status,
      typeof p.code === 'string' ? p.code : `http_${res.status}`,
      typeof p.detail === 'string' ? p.detail : res.statusText || text.slice(0, 200),
      typeof p.requestId === 'string' ? p.requestId : (res.headers.get('x-request-id') ?? undefined),
    );
  }
  return parsed as AddedEvidence;
}

/** Lists of persons (docs/governance.md, "Lists of persons"): as the server's person-lists routes. */
export const PERSON_LISTS = ['credit_punishment', 'exit_restriction'] as const;
export type PersonList = (typeof PERSON_LISTS)[number];
export const CREDIT_RESTRICTIONS = [
  'new_cards',
  'new_accounts',
  'non_counter_services',
  'new_internet_accounts',
] as const;
export type CreditRestriction = (typeof CREDIT_RESTRICTIONS)[number];
export const PERSON_LISTING_STATUSES = ['active', 'ended', 'removed'] as const;
export type PersonListingStatus = (typeof PERSON_LISTING_STATUSES)[number];
export const REMOVAL_KINDS = ['early_removal', 'credit_repair', 'appeal_upheld', 'review_lifted'] as const;
export type RemovalKind = (typeof REMOVAL_KINDS)[number];

export interface PersonListing {
  id: string;
  list: PersonList;
  status: PersonListingStatus;
  /** Masked, except for a supervisor reading one listing. */
  person: { idType: string; idNumber: string; name: string; masked: boolean };
  restrictions: CreditRestriction[];
  reason: string;
  legalBasis: string;
  organisationId: string;
  designatedBy: string;
  startsAt: string;
  endsAt: string;
  reviewAt: string | null;
  reviewDue: boolean;
  noticeSentAt: string | null;
  endedAt: string | null;
  removedAt: string | null;
  removalKind: RemovalKind | null;
  removeReason: string | null;
  removedBy: string | null;
  ref: string | null;
  createdAt: string;
  updatedAt: string;
  timeline?: {
    at: string;
    action: string;
    status: PersonListingStatus;
    endsAt: string;
    actor: string;
    actorKind: string;
    organisationId: string | null;
    note: string | null;
    ref: string | null;
  }[];
}

export interface PersonListingQuery {
  list?: PersonList;
  status?: PersonListingStatus;
  reviewDue?: 'true' | 'false';
  limit?: number;
  after?: string;
}

export interface NewPersonListing {
  list: PersonList;
  idNumber: string;
  name: string;
  restrictions?: CreditRestriction[];
  reason: string;
  startsAt?: string;
  endsAt: string;
  reviewAt?: string;
}

export const api = {
  listPersonListings: (opts: PersonListingQuery = {}) =>
    request<Items<PersonListing> & { next: string | null }>('GET', `/v1/person-lists${query({ ...opts })}`),
  /** A recorded read: clear values for supervisors; an exit restriction is 404 to others. */
  getPersonListing: (id: string) => request<PersonListing>('GET', `/v1/person-lists/${seg(id)}`),
  /** The id number travels in the body, never in the address. */
  lookupPersonListings: (idNumber: string) =>
    request<Items<PersonListing>>('POST', '/v1/person-lists/lookup', { idNumber }),
  /** 201 created; 200 when it joined the person's active listing on the same list. */
  designatePerson: (input: NewPersonListing) =>
    request<{ outcome: 'created' | 'joined' | 'existing'; listing: PersonListing }>(
      'POST',
      '/v1/person-lists',
      input,
    ),
  removePersonListing: (id: string, kind: RemovalKind, reason: string) =>
    request<PersonListing>('POST', `/v1/person-lists/${seg(id)}/remove`, { kind, reason }),
  recordPersonListingNotice: (id: string) =>
    request<PersonListing>('POST', `/v1/person-lists/${seg(id)}/notice`, {}),
  reviewExitRestriction: (id: string, outcome: 'continue' | 'lift', note: string) =>
    request<PersonListing>('POST', `/v1/person-lists/${seg(id)}/review`, { outcome, note }),
  signIn: (username: string, password: string) =>
    request<Session>('POST', SESSION_PATH, { username, password }),
  getSession: () => request<Session>('GET', SESSION_PATH),
  signOut: () => request<void>('DELETE', SESSION_PATH),

  listOrganisations: () => request<Items<Organisation>>('GET', '/v1/organisations'),
  listUsers: () => request<Items<User>>('GET', '/v1/users'),

  listApiKeys: () => request<Items<ApiKey>>('GET', '/v1/api-keys'),
  listApiKeyScopes: () => request<Items<string>>('GET', '/v1/api-keys/scopes'),
  createApiKey: (input: { name: string; scopes: string[] }) =>
    request<CreatedApiKey>('POST', '/v1/api-keys', input),
  revokeApiKey: (id: string) => request<void>('DELETE', `/v1/api-keys/${seg(id)}`),

  /** The list is always masked; its reads are logged under the purpose `search`. */
  listPersons: (opts: { q?: string; limit?: number; purpose?: string } = {}) =>
    request<Items<PersonSummary>>('GET', `/v1/persons${query(opts)}`),
  /** As listPersons, with the search term in the body: identity numbers stay out of URLs and logs. */
  searchPersons: (opts: { q?: string; limit?: number; purpose?: string }) =>
    request<Items<PersonSummary>>('POST', '/v1/persons/search', opts),
  /** One person by identity number (in the body); operators and banks see their own customers only. */
  lookupPerson: (idNumber: string, purpose: string) =>
    request<Person>('POST', '/v1/persons/lookup', { idNumber, purpose }),
  getPerson: (id: string, purpose: string) =>
    request<Person>('GET', `/v1/persons/${seg(id)}${query({ purpose })}`),
  listAccessLog: (opts: { limit?: number } = {}) =>
    request<Items<AccessLogEntry>>('GET', `/v1/access-log${query(opts)}`),
  /** Public, rate-limited: is this number, link or account listed? */
  check: (input: { value: string; kind?: IndicatorKind }) => request<CheckResult>('POST', '/v1/check', input),

  /** Public, rate-limited: a citizen's report; keep the receipt code. */
  submitReport: (input: ReportInput) => request<SubmittedReport>('POST', '/v1/reports', input),
  /** Public: a report's status by its receipt code. */
  getReceipt: (code: string) => request<ReceiptStatus>('GET', `/v1/receipts/${seg(code)}`),
  /** Public: one evidence file per call (415 wrong type or content, 413 too large, 409 full or closed). */
  addEvidence: (code: string, file: File) => uploadEvidence(`/v1/receipts/${seg(code)}/evidence`, file),
  /** The triage queue, in the server's order (priority first); without a status: the open ones. */
  listReports: (opts: { status?: string; kind?: string; category?: string; limit?: number } = {}) =>
    request<Items<ReportQueueItem>>('GET', `/v1/reports${query(opts)}`),
  getReport: (id: string) => request<ReportDetail>('GET', `/v1/reports/${seg(id)}`),
  decideReport: (id: string, input: ReportDecisionInput) =>
    request<ReportDetail>('POST', `/v1/reports/${seg(id)}/decision`, input),
  /** Where an evidence file downloads from (the session cookie goes with it; every download is audited). */
  evidenceUrl: (reportId: string, evidenceId: string) =>
    `/v1/reports/${seg(reportId)}/evidence/${seg(evidenceId)}`,

  searchListings: (
    opts: {
      kind?: string;
      q?: string;
      category?: string;
      status?: string;
      limit?: number;
      cursor?: string;
    } = {},
  ) => request<Items<Listing> & { nextCursor: string | null }>('GET', `/v1/listings${query(opts)}`),
  getListing: (id: string) => request<ListingDetail>('GET', `/v1/listings/${seg(id)}`),
  listIndicator: (input: {
    kind: IndicatorKind;
    value: string;
    category: ScamCategory;
    evidence?: string[];
  }) => request<ListOutcome>('POST', '/v1/listings', input),
  delistListing: (id: string, reason: string) =>
    request<Listing>('POST', `/v1/listings/${seg(id)}/delist`, { reason }),

  listAllowlist: (opts: { kind?: string; q?: string; limit?: number } = {}) =>
    request<Items<ProtectedIndicator>>('GET', `/v1/allowlist${query(opts)}`),
  addToAllowlist: (input: { kind: IndicatorKind; value: string; label: string; reason?: string }) =>
    request<ProtectedIndicator & { delisted: number }>('POST', '/v1/allowlist', input),
  removeFromAllowlist: (id: string, reason: string) =>
    request<void>('DELETE', `/v1/allowlist/${seg(id)}${query({ reason })}`),
  /** Only the fields given change; the reason is required (history, audit). */
  changeListing: (
    id: string,
    input: { reason: string; category?: ScamCategory; expiresAt?: string | null; status?: ChangeStatus },
  ) => request<Listing>('PATCH', `/v1/listings/${seg(id)}`, input),

  listBrands: () => request<Items<Brand>>('GET', '/v1/allowlist/brands'),
  /** Adds a brand or replaces its official domains. */
  putBrand: (brand: string, domains: string[]) =>
    request<Brand>('PUT', `/v1/allowlist/brands/${seg(brand)}`, { domains }),
  removeBrand: (brand: string) => request<void>('DELETE', `/v1/allowlist/brands/${seg(brand)}`),
  checkLookalike: (value: string) => request<LookalikeCheck>('POST', '/v1/lookalikes/check', { value }),

  /** Without a status: the open reviews, oldest first. */
  listReviews: (opts: { status?: string; reason?: string; limit?: number } = {}) =>
    request<Items<Review>>('GET', `/v1/reviews${query(opts)}`),
  getReview: (id: string) => request<Review>('GET', `/v1/reviews/${seg(id)}`),
  decideReview: (
    id: string,
    input: { decision: 'accept' | 'reject'; reason: string; category?: ScamCategory },
  ) => request<{ review: Review; listing: Listing | null }>('POST', `/v1/reviews/${seg(id)}/decision`, input),

  /** Every version of every policy this user may see (newest version first within a policy). */
  listPolicies: (opts: { state?: PolicyState; id?: string } = {}) =>
    request<Items<PolicyVersion>>('GET', `/v1/policies${query(opts)}`),
  getPolicyVersion: (id: string, version: number) =>
    request<PolicyVersion>('GET', `/v1/policies/${seg(id)}/versions/${version}`),
  /** Saves a new version of the policy as a draft (version = last + 1). */
  createPolicyVersion: (input: PolicyInput) => request<PolicyVersion>('POST', '/v1/policies', input),
  /** Replays the node's recent decisions through the version. */
  replayPolicy: (id: string, version: number) =>
    request<ShadowReport>('POST', `/v1/policies/${seg(id)}/versions/${version}/replay`),
  /** Live decisions while the version runs in shadow. */
  policyShadowReport: (id: string, version: number) =>
    request<ShadowReport>('GET', `/v1/policies/${seg(id)}/versions/${version}/shadow-report`),
  changePolicyState: (id: string, version: number, change: PolicyChange, reason?: string) =>
    request<PolicyVersion>(
      'POST',
      `/v1/policies/${seg(id)}/versions/${version}/${change}`,
      reason ? { reason } : undefined,
    ),

  /** Without a status: the open detections, highest score first; `next` pages on with `after`. */
  listDetections: (opts: DetectionQuery = {}) =>
    request<Items<Detection> & { next: string | null }>('GET', `/v1/detections${query({ ...opts })}`),
  /** Counts per detector and status, within what this user may see. */
  detectionSummary: () =>
    request<Items<{ detector: DetectorName; status: DetectionStatus; count: number }>>(
      'GET',
      '/v1/detections/summary',
    ),
  getDetection: (id: string) => request<Detection>('GET', `/v1/detections/${seg(id)}`),
  /** 409 `detection_decided` when it was decided already. */
  decideDetection: (id: string, input: DetectionDecisionInput) =>
    request<Detection>('POST', `/v1/detections/${seg(id)}/decision`, input),
  /** The centre's staff: how far the record stream and each streaming worker have got. */
  detectionStream: () => request<RecordStreamStatus>('GET', '/v1/detection-stream'),
  ownFeeds: () => request<OwnFeeds>('GET', '/v1/detection-stream/feeds'),
  /** Lets the other feeds go on without one that holds them back; `organisationId` defaults to one's own. */
  releaseFeed: (body: {
    organisationId?: string;
    kind: 'calls' | 'transactions';
    name: string;
    reason: string;
  }) => request<{ watermark: string | null }>('POST', '/v1/detection-stream/feeds/release', body),
  /** Deletes the checkpoint of a worker that no longer runs; 409 `worker_active` while it looks alive. */
  retireWorker: (worker: string, reason: string) =>
    request<{ coverage: PartitionCoverage }>('POST', `/v1/detection-stream/workers/${seg(worker)}/retire`, {
      reason,
    }),

  listLegalBases: () => request<Items<LegalBasis>>('GET', '/v1/instructions/legal-bases'),
  /** The centre: every instruction; an institution: its inbox (newest first). */
  listInstructions: (opts: InstructionQuery = {}) =>
    request<Items<Instruction> & { next: string | null }>('GET', `/v1/instructions${query({ ...opts })}`),
  getInstruction: (id: string) => request<Instruction>('GET', `/v1/instructions/${seg(id)}`),
  /** 409 `detections_not_confirmed` when one is not confirmed; idempotent per detection and measure. */
  instructFromDetections: (input: { detectionIds: string[]; legalBasis: string; reason?: string }) =>
    request<FromDetectionsResult>('POST', '/v1/instructions/from-detections', input),
  approveInstruction: (id: string) => request<Instruction>('POST', `/v1/instructions/${seg(id)}/approve`, {}),
  withdrawInstruction: (id: string, reason: string) =>
    request<Instruction>('POST', `/v1/instructions/${seg(id)}/withdraw`, { reason }),
  acknowledgeReceipt: (id: string) => request<Instruction>('POST', `/v1/instructions/${seg(id)}/receipt`, {}),
  reportExecution: (id: string, note?: string) =>
    request<Instruction>('POST', `/v1/instructions/${seg(id)}/execution`, note ? { note } : {}),
  contestInstruction: (id: string, reason: string) =>
    request<Instruction>('POST', `/v1/instructions/${seg(id)}/contest`, { reason }),
  /** The notice the institution gives the holder, in both languages. */
  getInstructionNotice: (id: string) => request<Bilingual>('GET', `/v1/instructions/${seg(id)}/notice`),

  /** Public, rate-limited: an appeal; the answer is the same whether or not a measure was found. */
  submitAppeal: (input: AppealInput) => request<AppealReceipt>('POST', '/v1/appeals', input),
  /** Public: an appeal's status and decision by its receipt code. */
  getAppealReceipt: (code: string) =>
    request<AppealReceiptStatus>('GET', `/v1/appeals/receipts/${seg(code)}`),
  /** Public: one evidence file per call, while the appeal is open (409 otherwise). */
  addAppealEvidence: (code: string, file: File) =>
    uploadEvidence(`/v1/appeals/receipts/${seg(code)}/evidence`, file),
  withdrawAppeal: (code: string) =>
    request<AppealReceiptStatus>('POST', `/v1/appeals/receipts/${seg(code)}/withdraw`),
  /** Public: upheld appeals only; one claim waiting at a time. */
  claimCompensation: (code: string, input: { amount: string; description: string; currency?: string }) =>
    request<AppealReceiptStatus>('POST', `/v1/appeals/receipts/${seg(code)}/compensation`, input),
  /** The centre's figures of the last 90 days (or `from`/`to`). */
  appealStatistics: (range: { from?: string; to?: string } = {}) =>
    request<AppealStatistics>('GET', `/v1/appeals/statistics${query({ ...range })}`),
  /** The review queue by service deadline; an institution sees the appeals on its measures and counters. */
  listAppeals: (opts: AppealQuery = {}) =>
    request<Items<Appeal> & { next: string | null }>('GET', `/v1/appeals${query({ ...opts })}`),
  /** A recorded read of the appellant's (masked) data. */
  getAppeal: (id: string) => request<Appeal>('GET', `/v1/appeals/${seg(id)}`),
  verifyAppeal: (
    id: string,
    input: { identity: VerificationResult; use: UseResult; method: VerificationMethod; note?: string },
  ) => request<Appeal>('POST', `/v1/appeals/${seg(id)}/verification`, input),
  /** 403 `reviewer_issued_measure`, 409 `verification_required` or `appeal_decided`. */
  decideAppeal: (id: string, input: { outcome: 'upheld' | 'rejected'; reasons: string }) =>
    request<Appeal>('POST', `/v1/appeals/${seg(id)}/decision`, input),
  decideCompensation: (
    id: string,
    input: { outcome: 'granted' | 'partly_granted' | 'refused'; amountGranted?: string; reasons: string },
  ) => request<CompensationClaim>('POST', `/v1/compensation-claims/${seg(id)}/decision`, input),
};

/** "Registered in my name" (/v1/me): what a verified citizen sees of the cards and accounts in their name. */
export interface MyHoldings {
  person: { name: string; idNumber: string };
  phoneCards: {
    id: string;
    msisdn: string;
    operator: string;
    cardType: string;
    status: string;
    activatedAt: string | null;
    cancelledAt: string | null;
    /** the sales outlet that opened it, when its operator said */
    outlet: string | null;
    disputed: boolean;
  }[];
  bankAccounts: {
    id: string;
    account: string;
    institution: string;
    accountType: string;
    status: string;
    openedAt: string | null;
    closedAt: string | null;
    disputed: boolean;
  }[];
  limits: {
    phoneCards: {
      national: number;
      perOperator: number;
      held: number;
      byOperator: { operator: string; held: number; limit: number }[];
    };
  };
}

/** Public, rate-limited; the session is a cookie scoped to /v1/me. */
export const myRecordsApi = {
  askCode: (input: { idNumber: string; name: string; phone: string }) =>
    request<{
      challengeId: string;
      expiresAt: string;
      message: { zh: string; en: string };
      demoCode?: string;
    }>('POST', '/v1/me/verification', input),
  confirmCode: (challengeId: string, code: string) =>
    request<{ expiresAt: string }>('POST', `/v1/me/verification/${seg(challengeId)}/confirm`, { code }),
  holdings: () => request<MyHoldings>('GET', '/v1/me/holdings'),
  notMine: (kind: 'phone_card' | 'bank_account', id: string) =>
    request<{ disputeId: string; instructionId: string; created: boolean }>(
      'POST',
      '/v1/me/holdings/not-mine',
      {
        kind,
        id,
      },
    ),
  signOut: () => request<void>('POST', '/v1/me/sign-out'),
};

/** GET /v1/appeals/statistics. */
export interface AppealStatistics {
  from: string;
  to: string;
  received: number;
  open: number;
  overdue: number;
  upheld: number;
  rejected: number;
  withdrawn: number;
  hoursToDecision: { median: number | null; p90: number | null };
  minutesToRestoration: { median: number | null; p90: number | null; pending: number };
  byInstitution: { organisationId: string; organisation: string; appeals: number; upheld: number }[];
  byMeasure: { measure: string; appeals: number; upheld: number }[];
  lifted: { instructions: number; lifted: number; share: number | null };
  byDetector: { detector: string; instructions: number; lifted: number; share: number | null }[];
  compensation: { claims: number; granted: number; amountGranted: string };
}
