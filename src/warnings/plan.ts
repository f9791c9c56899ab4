import { ageOn } from '../privacy/idnumber.ts';
import { parseIdentityDocument } from '../privacy/idnumber.ts';
import {
  CHANNELS,
  URGENT_TRIGGERS,
  type AgeGroup,
  type Audience,
  type Channel,
  type ChannelStep,
  type OutcomeKind,
  type RiskLevel,
  type TriggerKind,
} from './tables.ts';

/**
 * The warning rules as pure functions over plain data (docs/warnings.md): age, priority, whether a
 * trigger opens, joins or is suppressed, the channel plan and its escalation. The service applies
 * them in a transaction; tests call them with a fake `now`.
 */

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
/** A trigger within this long of the episode's last one belongs to the same episode. */
export const EPISODE_MS = 24 * HOUR;
/** After a false alarm, the same kind of trigger about the same person opens nothing for this long. */
export const SUPPRESS_MS = 7 * 24 * HOUR;
export const ELDERLY_AGE = 60;
export const ADULT_AGE = 18;

// --- Age --------------------------------------------------------------------------------------

/** Full years on `now`: from the recorded birth date, else from a PRC id number's birth-date digits. */
export function ageFrom(
  p: { birthDate?: string | null; idNumber?: string | null },
  now: number | Date = Date.now(),
): number | null {
  const on = new Date(now);
  if (p.birthDate) return ageOn(p.birthDate, on);
  if (p.idNumber) {
    try {
      const doc = parseIdentityDocument(p.idNumber, { today: on });
      if (doc.birthDate) return ageOn(doc.birthDate, on);
    } catch {
      // Not a valid number: no age, no error (the trigger still counts).
    }
  }
  return null;
}

export function ageGroup(age: number | null): AgeGroup | null {
  if (age === null) return null;
  return age < ADULT_AGE ? 'minor' : age >= ELDERLY_AGE ? 'elderly' : 'adult';
}

export function audienceOf(age: number | null): Audience {
  const g = ageGroup(age);
  return g === 'minor' || g === 'elderly' ? g : 'everyone';
}

// --- Priority -----------------------------------------------------------------------------------

export interface PriorityInput {
  amountAtRisk: number | null;
  triggers: readonly { kind: TriggerKind; at: number }[];
  ageYears: number | null;
  now: number;
}

/** How strongly one kind of trigger says a scam is under way (0–15). */
const KIND_WEIGHT: Record<TriggerKind, number> = {
  potential_victim: 15,
  flagged_payee: 15,
  relative_report: 15,
  fraud_call: 10,
  fraud_sms: 5,
  link_visit: 5,
};

/**
 * 0–100: money at risk (0–35, log scale from 10.00 to 100,000.00 in fen), how fast the episode moves
 * (0–20: 5 per trigger in the last hour up to 10, and 10 more when one of them is urgent: a payment
 * to a flagged account or a relative's report), the strongest kind of trigger (0–15) and
 * vulnerability (0–30: elderly ≥ 60 and minors < 18 first; an unknown age a little).
 */
export function warningPriority(p: PriorityInput): number {
  const a = p.amountAtRisk ?? 0;
  const money = a <= 1_000 ? 0 : Math.min(35, (35 * (Math.log10(a) - 3)) / 4);
  const recent = p.triggers.filter((t) => t.at > p.now - HOUR && t.at <= p.now + MINUTE);
  const urgent = recent.some((t) => URGENT_TRIGGERS.includes(t.kind));
  const speed = Math.min(10, 5 * recent.length) + (urgent ? 10 : 0);
  const kind = Math.max(0, ...p.triggers.map((t) => KIND_WEIGHT[t.kind]));
  const g = ageGroup(p.ageYears);
  const vulnerability = g === 'elderly' || g === 'minor' ? 30 : g === null ? 5 : 0;
  return Math.max(0, Math.min(100, Math.round(money + speed + kind + vulnerability)));
}

export function riskLevelOf(priority: number): RiskLevel {
  return priority >= 70 ? 'high' : priority >= 40 ? 'medium' : 'low';
}

// --- Episodes -----------------------------------------------------------------------------------

export interface LatestWarning {
  status: 'open' | 'closed';
  outcomeKind: OutcomeKind | null;
  closedAt: number | null;
  lastTriggerAt: number;
  triggerKinds: readonly TriggerKind[];
}

export type EpisodeAction = 'open' | 'merge' | 'reopen' | 'suppress';

/**
 * What a trigger does given the person's latest warning: joins an open one; is suppressed when the
 * latest closed as a false alarm less than 7 days ago and had a trigger of the same kind; reopens a
 * closed one whose last trigger is less than 24 h old (same episode: never a second warning);
 * otherwise opens a new warning.
 */
export function episodeAction(latest: LatestWarning | null, kind: TriggerKind, at: number): EpisodeAction {
  if (!latest) return 'open';
  if (latest.status === 'open') return 'merge';
  if (
    latest.outcomeKind === 'false_alarm' &&
    latest.closedAt !== null &&
    at - latest.closedAt < SUPPRESS_MS &&
    latest.triggerKinds.includes(kind)
  )
    return 'suppress';
  if (at - latest.lastTriggerAt <= EPISODE_MS) return 'reopen';
  return 'open';
}

// --- Channel plan -------------------------------------------------------------------------------

/** How long each step waits for an answer, by risk level (minutes). */
export const STEP_DEADLINE_MIN: Record<RiskLevel, Record<Channel, number>> = {
  high: { app_push: 15, sms: 15, call: 15, visit: 120 },
  medium: { app_push: 60, sms: 60, call: 60, visit: 240 },
  // Low risk: push and SMS, and the call only if nobody answers them within the day.
  low: { app_push: 24 * 60, sms: 24 * 60, call: 60, visit: 240 },
};

const isoAt = (t: number) => new Date(t).toISOString();

/**
 * The plan a new (or reopened) warning starts with: the SMS sent at once (the push step is skipped,
 * `no_gateway`: no push gateway is connected, and claiming it was sent would mislead the operator);
 * high and medium risk activate the call with its deadline, low risk leaves the SMS waiting for an
 * answer.
 */
export function openPlan(risk: RiskLevel, now: number): ChannelStep[] {
  const step = (channel: Channel): ChannelStep => ({
    channel,
    status: 'pending',
    dueAt: null,
    startedAt: null,
    endedAt: null,
    result: null,
  });
  const plan = CHANNELS.map(step);
  const sent = (s: ChannelStep) =>
    Object.assign(s, { status: 'done', startedAt: isoAt(now), endedAt: isoAt(now), result: 'sent' });
  Object.assign(plan[0]!, { status: 'skipped', endedAt: isoAt(now), result: 'no_gateway' });
  if (risk === 'low') {
    Object.assign(plan[1]!, {
      status: 'active',
      startedAt: isoAt(now),
      dueAt: isoAt(now + STEP_DEADLINE_MIN.low.sms * MINUTE),
      result: 'sent',
    });
  } else {
    sent(plan[1]!);
    activate(plan[2]!, risk, now);
  }
  return plan;
}

function activate(s: ChannelStep, risk: RiskLevel, now: number): void {
  s.status = 'active';
  s.startedAt = isoAt(now);
  s.dueAt = isoAt(now + STEP_DEADLINE_MIN[risk][s.channel] * MINUTE);
  s.endedAt = null;
}

export const activeStep = (plan: readonly ChannelStep[]) => plan.find((s) => s.status === 'active') ?? null;

/** The deadline the warning shows: the active step's. */
export function deadlineOf(plan: readonly ChannelStep[]): string | null {
  return activeStep(plan)?.dueAt ?? null;
}

/**
 * The active step went unanswered (at its deadline, or an operator said so): it ends `unanswered`
 * and the next channel starts with its deadline. Null `next`: that was the visit, nobody is left
 * to try (the warning stays open, overdue).
 */
export function escalate(
  plan: readonly ChannelStep[],
  risk: RiskLevel,
  now: number,
): { plan: ChannelStep[]; from: Channel | null; next: Channel | null } {
  const out = plan.map((s) => ({ ...s }));
  const i = out.findIndex((s) => s.status === 'active');
  if (i < 0) return { plan: out, from: null, next: null };
  Object.assign(out[i]!, { status: 'unanswered', endedAt: isoAt(now), result: 'unanswered' });
  const n = out.findIndex((s, j) => j > i && s.status === 'pending');
  if (n < 0) return { plan: out, from: out[i]!.channel, next: null };
  activate(out[n]!, risk, now);
  return { plan: out, from: out[i]!.channel, next: out[n]!.channel };
}

/** Someone answered on `channel`: that step is done, later ones not needed. */
export function answered(plan: readonly ChannelStep[], channel: Channel, now: number): ChannelStep[] {
  const idx = CHANNELS.indexOf(channel);
  return plan.map((s, j) => {
    if (s.channel === channel)
      return {
        ...s,
        status: 'done',
        startedAt: s.startedAt ?? isoAt(now),
        endedAt: isoAt(now),
        result: 'answered',
      };
    if (j > idx && (s.status === 'pending' || s.status === 'active'))
      return { ...s, status: 'skipped', dueAt: null, endedAt: isoAt(now), result: 'not_needed' };
    if (s.status === 'active') return { ...s, status: 'done', endedAt: isoAt(now) };
    return { ...s };
  });
}

/**
 * A merged trigger raised the risk: a low-risk plan still waiting on the SMS moves to the call, and
 * an active step's deadline is brought forward to the new risk's, never pushed back.
 */
export function replan(plan: readonly ChannelStep[], risk: RiskLevel, now: number): ChannelStep[] {
  const out = plan.map((s) => ({ ...s }));
  const a = out.find((s) => s.status === 'active');
  if (!a) return out;
  if (risk !== 'low' && (a.channel === 'app_push' || a.channel === 'sms')) {
    Object.assign(a, { status: 'done', endedAt: isoAt(now) });
    const call = out.find((s) => s.channel === 'call' && s.status === 'pending');
    if (call) activate(call, risk, now);
    return out;
  }
  const due = now + STEP_DEADLINE_MIN[risk][a.channel] * MINUTE;
  if (a.dueAt === null || Date.parse(a.dueAt) > due) a.dueAt = isoAt(due);
  return out;
}

// --- Texts --------------------------------------------------------------------------------------

const TLDS =
  'com|cn|net|org|info|top|xyz|vip|cc|io|me|co|app|shop|site|online|club|link|ly|tk|hk|tw|mo|gov|edu|biz|ru|us|uk|to|gl|gd|ink|fun|pro|live|asia|work|tv|icu|wang|ltd|store|tech';
const LINK_RE = new RegExp(
  `(?:[a-z][a-z0-9+.-]*://)|(?:\\bwww\\.)|(?:\\b[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\\.[a-z0-9-]+)*\\.(?:${TLDS})\\b)`,
  'i',
);

/** A URL or a domain name in a text (an SMS or push with a link is what scams send). */
export function containsLink(text: string): boolean {
  return LINK_RE.test(text.normalize('NFKC'));
}
