/**
 * Pure helpers of the warnings pages (no React): time left to a deadline, the queue's order,
 * which warning to act on next, amounts in fen, the SMS length guide. Tested in
 * test/web/warnings.test.ts.
 */
import type { AgeGroup, Audience, ChannelStep, ContentLanguage, WarningSummary } from './types.ts';

type Lang = 'zh-CN' | 'en';

/** Milliseconds to the deadline (negative: past it); null when there is none. */
export function msLeft(deadlineAt: string | null, now: number): number | null {
  if (!deadlineAt) return null;
  const at = Date.parse(deadlineAt);
  return Number.isFinite(at) ? at - now : null;
}

/** Open and past its current step's deadline, or flagged overdue by the server. */
export function isOverdue(
  w: Pick<WarningSummary, 'status' | 'deadlineAt' | 'overdue'>,
  now: number,
): boolean {
  if (w.status !== 'open') return false;
  if (w.overdue) return true;
  const left = msLeft(w.deadlineAt, now);
  return left !== null && left < 0;
}

/** `1 h 05 min`, `8 min`, `<1 min`, `2 d 3 h` (or Chinese) for a length of time, sign ignored. */
export function durationText(ms: number, lang: Lang): string {
  const minutes = Math.floor(Math.abs(ms) / 60_000);
  const zh = lang === 'zh-CN';
  if (minutes < 1) return zh ? '不到1分钟' : '<1 min';
  if (minutes < 60) return zh ? `${minutes}分钟` : `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) {
    const m = minutes % 60;
    return zh
      ? `${hours}小时${m ? `${m}分` : ''}`
      : `${hours} h${m ? ` ${String(m).padStart(2, '0')} min` : ''}`;
  }
  const days = Math.floor(hours / 24);
  const h = hours % 24;
  return zh ? `${days}天${h ? `${h}小时` : ''}` : `${days} d${h ? ` ${h} h` : ''}`;
}

/**
 * The queue's order, as the API's for open warnings: priority first, then the nearest deadline
 * (none last), then the oldest; so the rows stay put when a page is appended or refreshed.
 */
export function queueOrder(a: WarningSummary, b: WarningSummary): number {
  if (a.priority !== b.priority) return b.priority - a.priority;
  const da = a.deadlineAt ? Date.parse(a.deadlineAt) : Infinity;
  const db = b.deadlineAt ? Date.parse(b.deadlineAt) : Infinity;
  if (da !== db) return da < db ? -1 : 1;
  return Date.parse(a.openedAt) - Date.parse(b.openedAt);
}

/** The open warning an operator takes next: the first in the queue's order; null when none is open. */
export function nextToAct(items: readonly WarningSummary[]): WarningSummary | null {
  return [...items].filter((w) => w.status === 'open').sort(queueOrder)[0] ?? null;
}

/** The step the operator works now (the call or visit waiting for an answer). */
export function activeStep(plan: readonly ChannelStep[]): ChannelStep | null {
  const active = plan.filter((s) => s.status === 'active');
  // push and SMS are sent at once; a call or visit waiting alongside them is what needs a person
  return active.find((s) => s.channel === 'call' || s.channel === 'visit') ?? active[0] ?? null;
}

/** The channel a warning is on now, for the queue. */
export function currentChannel(plan: readonly ChannelStep[]): ChannelStep['channel'] | null {
  return activeStep(plan)?.channel ?? null;
}

/** The content audience for a person's age group (adults and unknown get the general text). */
export function audienceOf(ageGroup: AgeGroup | null): Audience {
  return ageGroup === 'elderly' || ageGroup === 'minor' ? ageGroup : 'everyone';
}

/** An amount in fen as money in the reader's language: `¥12,000.00`. */
export function yuan(fen: number, lang: Lang): string {
  return new Intl.NumberFormat(lang, { style: 'currency', currency: 'CNY' }).format(fen / 100);
}

/** What an operator types (`12,000.5`, `¥300`) as fen; null when it is not a positive amount. */
export function parseYuan(text: string): number | null {
  const clean = text.replace(/[\s,，¥￥]/g, '').replace(/元$/, '');
  if (!/^\d+(\.\d{1,2})?$/.test(clean)) return null;
  const fen = Math.round(Number(clean) * 100);
  return fen > 0 && Number.isSafeInteger(fen) ? fen : null;
}

/** Characters one SMS holds in each language (an ideal the library's texts keep to). */
export function smsLimit(language: ContentLanguage): number {
  return language === 'zh' ? 70 : 160;
}

/**
 * Whether a text holds a link or a domain: the API refuses these in SMS and push bodies (a warning
 * must never look like the scam it warns about). A hint only; the server decides.
 */
export function looksLikeLink(text: string): boolean {
  return /(https?:\/\/|www\.)|\b[a-z0-9-]+\.(com|cn|net|org|top|xyz|cc|vip|info|io|app|shop)\b/i.test(text);
}

/** A number grouped to read out on a call: `+86 139 2222 2222`; anything else as given. */
export function phoneText(phone: string): string {
  const m = /^\+86(1\d{2})(\d{4})(\d{4})$/.exec(phone.replace(/[\s-]/g, ''));
  return m ? `+86 ${m[1]} ${m[2]} ${m[3]}` : phone;
}
