/**
 * Warnings to people being scammed now (docs/warnings.md): the shapes the API returns and its
 * client. Kept beside the pages rather than in web/src/api.ts. Amounts are integer fen (CNY).
 */
import { request } from '../../api.ts';

export const TRIGGER_KINDS = [
  'potential_victim',
  'fraud_call',
  'fraud_sms',
  'link_visit',
  'flagged_payee',
  'relative_report',
] as const;
export type TriggerKind = (typeof TRIGGER_KINDS)[number];

export const RISK_LEVELS = ['high', 'medium', 'low'] as const;
export type RiskLevel = (typeof RISK_LEVELS)[number];

export const CHANNELS = ['app_push', 'sms', 'call', 'visit'] as const;
export type WarningChannel = (typeof CHANNELS)[number];

export const STEP_STATUSES = ['pending', 'active', 'done', 'unanswered', 'skipped'] as const;
export type StepStatus = (typeof STEP_STATUSES)[number];

export const OUTCOMES = ['dissuaded', 'already_paid', 'not_reachable', 'false_alarm'] as const;
export type OutcomeKind = (typeof OUTCOMES)[number];

export type AgeGroup = 'minor' | 'adult' | 'elderly';

export const AUDIENCES = ['minor', 'elderly', 'everyone'] as const;
export type Audience = (typeof AUDIENCES)[number];

export const CONTENT_CHANNELS = ['sms', 'app_push', 'call_script', 'publicity'] as const;
export type ContentChannel = (typeof CONTENT_CHANNELS)[number];

export const CONTENT_LANGUAGES = ['zh', 'en'] as const;
export type ContentLanguage = (typeof CONTENT_LANGUAGES)[number];

export interface WarningPerson {
  maskedName: string;
  maskedPhone: string;
  ageYears: number | null;
  ageGroup: AgeGroup | null;
  /** in clear on the detail route only (a recorded read) */
  name?: string | null;
  phone?: string | null;
}

export interface Trigger {
  id?: string;
  kind: TriggerKind;
  at: string;
  source: string;
  summary: string | null;
  detectionId?: string | null;
  amountAtRisk?: number | null;
  scamType?: string | null;
  suppressed?: boolean;
}

export interface ChannelStep {
  channel: WarningChannel;
  status: StepStatus;
  dueAt: string | null;
  startedAt: string | null;
  endedAt: string | null;
  result: string | null;
}

export interface Outcome {
  kind: OutcomeKind;
  note: string | null;
  recordedBy: string;
  recordedAt: string;
  fundCaseId: string | null;
}

interface WarningBase {
  id: string;
  reference: string;
  status: 'open' | 'closed';
  riskLevel: RiskLevel;
  priority: number;
  scamType: string | null;
  person: WarningPerson;
  amountAtRisk: number | null;
  deadlineAt: string | null;
  channelPlan: ChannelStep[];
  outcome: Outcome | null;
  openedAt: string;
  lastTriggerAt: string;
  closedAt: string | null;
  /** the visit went unanswered too: nobody reached yet */
  overdue?: boolean;
}

export interface WarningSummary extends WarningBase {
  triggerCount: number;
}

export interface ScriptText {
  title: string;
  body: string;
  language: ContentLanguage;
}

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

/** One thing that happened to a warning, and who did it (`system` for the escalation job). */
export interface TimelineEntry {
  at: string;
  action: string;
  channel: WarningChannel | null;
  result: string | null;
  note: string | null;
  actor: string;
}

export interface Warning extends WarningBase {
  triggers: Trigger[];
  timeline?: TimelineEntry[];
  script: ScriptText | null;
  smsText: string | null;
}

export interface WarningQuery {
  status?: 'open' | 'closed';
  channel?: 'call' | 'visit';
  overdue?: 'true';
  limit?: number;
}

export interface Payment {
  /** fen */
  amount: number;
  payerAccount: string;
  payeeAccount: string;
  txnId?: string;
  paidAt: string;
}

export interface ContentItem {
  id: string;
  scamType: string;
  audience: Audience;
  channel: ContentChannel;
  language: ContentLanguage;
  title: string;
  body: string;
  version: number;
  updatedAt: string;
  updatedBy: string | null;
}

export interface ContentQuery {
  scamType?: string;
  audience?: Audience;
  channel?: ContentChannel;
  language?: ContentLanguage;
}

function query(params: object): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params))
    if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

const seg = encodeURIComponent;

/** A page of the queue as useCursorPages takes it (the API calls the cursor `nextCursor`). */
async function listWarnings(opts: WarningQuery & { cursor?: string }) {
  const page = await request<{ items: WarningSummary[]; nextCursor?: string | null; next?: string | null }>(
    'GET',
    `/v1/warnings${query(opts)}`,
  );
  return { items: page.items, next: page.nextCursor ?? page.next ?? null };
}

export const warningsApi = {
  listWarnings,
  /** A recorded read of the person's clear name and phone (purpose `warning`). */
  getWarning: (id: string) => request<Warning>('GET', `/v1/warnings/${seg(id)}`),
  /** `unanswered` escalates to the next channel at once. */
  recordAttempt: (
    id: string,
    input: { channel: WarningChannel; result: 'answered' | 'unanswered'; note?: string },
  ) => request<Warning>('POST', `/v1/warnings/${seg(id)}/attempts`, input),
  /** Closes the warning; 409 when it was closed meanwhile; `already_paid` opens a fund case. */
  recordOutcome: (id: string, input: { kind: OutcomeKind; note?: string; payment?: Payment }) =>
    request<Warning>('POST', `/v1/warnings/${seg(id)}/outcome`, input),
  listContent: (opts: ContentQuery = {}) =>
    request<{ items: ContentItem[] }>('GET', `/v1/warning-content${query(opts)}`),
  /** Supervisors; a stale `version` is 409, a link in an SMS or push body is 400. */
  updateContent: (id: string, input: { title: string; body: string; version: number }) =>
    request<ContentItem>('PUT', `/v1/warning-content/${seg(id)}`, input),
};
