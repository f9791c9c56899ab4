import { Badge, Group, Stack, Text, Tooltip } from '@mantine/core';
import type { ReactNode } from 'react';
import type { Session } from '../../api.ts';
import { hasRole } from '../../capabilities.ts';
import { useI18n, type I18n } from '../../i18n/index.tsx';
import type { Delivery, Freeze, StopPayment } from './types.ts';

/** As the server's fund case routes: the centre's analysts and supervisors open and act on cases. */
export function mayActOnCases(session: Session): boolean {
  return session.organisation.kind === 'anti_fraud_centre' && hasRole(session, 'analyst', 'supervisor');
}

/** As the server's inbox routes: a bank's institution operators (and its administrators read). */
export function isBankOperator(session: Session): boolean {
  return session.organisation.kind === 'bank' && hasRole(session, 'institution_operator', 'administrator');
}

/** Minor units (fen) as money in the current language: 1234567 → ¥12,345.67. */
export function fen(amount: number | string | null | undefined, lang: I18n['lang']): string {
  if (amount === null || amount === undefined || amount === '') return '—';
  return new Intl.NumberFormat(lang, {
    style: 'currency',
    currency: 'CNY',
    currencyDisplay: 'narrowSymbol',
  }).format(Number(amount) / 100);
}

/** An amount for a crowded drawing: exact up to a million yuan (¥12,345.67), then ¥1.2M. */
export function fenShort(amount: number, lang: I18n['lang']): string {
  return new Intl.NumberFormat(lang, {
    style: 'currency',
    currency: 'CNY',
    currencyDisplay: 'narrowSymbol',
    notation: amount >= 100_000_000 ? 'compact' : 'standard',
    maximumFractionDigits: amount >= 100_000_000 ? 1 : 2,
  }).format(amount / 100);
}

/** Yuan as typed in a form (`1,234.5`) → fen; null when it is not an amount. */
export function parseYuan(text: string): number | null {
  const clean = text.replace(/[,\s¥]/g, '');
  if (!/^\d+(\.\d{1,2})?$/.test(clean)) return null;
  const [whole, frac = ''] = clean.split('.');
  return Number(whole) * 100 + Number(frac.padEnd(2, '0'));
}

/** Fen → the yuan a form field shows (`1234.50`). */
export const yuanText = (amount: number) => (amount / 100).toFixed(2);

/** `12 min left`, `2 h 5 min overdue`: minutes between now and `iso`. */
export function timeLeft(
  iso: string | null | undefined,
  t: I18n['t'],
  now = Date.now(),
): { text: string; overdue: boolean; minutes: number } | null {
  if (!iso) return null;
  const ms = new Date(iso).getTime() - now;
  if (Number.isNaN(ms)) return null;
  const minutes = Math.round(Math.abs(ms) / 60_000);
  const span =
    minutes >= 1440
      ? t('funds.days', { count: Math.floor(minutes / 1440), hours: Math.floor((minutes % 1440) / 60) })
      : minutes >= 60
        ? t('funds.hoursMinutes', { hours: Math.floor(minutes / 60), minutes: minutes % 60 })
        : t('funds.minutesOnly', { minutes });
  return ms >= 0
    ? { text: t('funds.left', { span }), overdue: false, minutes }
    : { text: t('funds.overdueBy', { span }), overdue: true, minutes: -minutes };
}

/** Time since `iso`, in the same words: `3 h 10 min`. */
export function since(iso: string, t: I18n['t'], now = Date.now()): string {
  const minutes = Math.max(0, Math.round((now - new Date(iso).getTime()) / 60_000));
  return minutes >= 1440
    ? t('funds.days', { count: Math.floor(minutes / 1440), hours: Math.floor((minutes % 1440) / 60) })
    : minutes >= 60
      ? t('funds.hoursMinutes', { hours: Math.floor(minutes / 60), minutes: minutes % 60 })
      : t('funds.minutesOnly', { minutes });
}

const COLOURS: Record<string, string> = {
  open: 'blue',
  closed: 'gray',
  sent: 'yellow',
  acknowledged: 'cyan',
  executed: 'green',
  refused: 'red',
  expired: 'gray',
  released: 'gray',
  converted: 'violet',
  returned: 'teal',
  instructed: 'yellow',
};

/** A case's, a request's or a return's status, coloured: waiting stands out, over is quiet. */
export function FundStatusBadge({ status, size }: { status: string; size?: 'sm' | 'md' | 'lg' }) {
  const { lookup } = useI18n();
  return (
    <Badge
      color={COLOURS[status] ?? 'gray'}
      variant="light"
      tt="none"
      size={size}
      style={{ minWidth: 'max-content' }}
      data-testid="funds-status"
      data-status={status}
    >
      {lookup(`funds.statuses.${status}`) ?? status}
    </Badge>
  );
}

/** The acknowledgement deadline and what is left of it; red once past. */
export function DeadlineLeft({ request: r }: { request: { ackDeadlineAt: string; status: string } }) {
  const { t, dateTime } = useI18n();
  const left = timeLeft(r.ackDeadlineAt, t);
  const waiting = r.status === 'sent';
  return (
    <Stack gap={0}>
      <Text size="sm" style={{ whiteSpace: 'nowrap' }}>
        {dateTime(r.ackDeadlineAt)}
      </Text>
      {left && waiting ? (
        <Text
          size="xs"
          c={left.overdue ? 'red' : left.minutes < 10 ? 'orange' : 'dimmed'}
          fw={left.overdue ? 700 : undefined}
          style={{ whiteSpace: 'nowrap' }}
          data-testid="funds-time-left"
        >
          {left.text}
        </Text>
      ) : null}
    </Stack>
  );
}

/** Pushed to the bank's endpoint, or waiting in its inbox after failed attempts. */
export function DeliveryBadge({ delivery }: { delivery: Delivery | undefined }) {
  const { t } = useI18n();
  if (!delivery) return null;
  const badge = (
    <Badge
      color={delivery.pushed ? 'green' : delivery.attempts > 0 ? 'orange' : 'gray'}
      variant="outline"
      tt="none"
      size="sm"
      style={{ minWidth: 'max-content' }}
      data-testid="funds-delivery"
      data-pushed={String(delivery.pushed)}
    >
      {delivery.pushed ? t('funds.pushed') : t('funds.undelivered', { attempts: delivery.attempts })}
    </Badge>
  );
  return delivery.lastError && !delivery.pushed ? (
    <Tooltip label={delivery.lastError} multiline maw={320} withArrow>
      {badge}
    </Tooltip>
  ) : (
    badge
  );
}

/** Escalated and late-acknowledged flags beside a status. */
export function RequestFlags({
  request: r,
}: {
  request: Partial<Pick<StopPayment, 'escalated' | 'lateAck'>>;
}) {
  const { t } = useI18n();
  return (
    <Group gap={4} wrap="nowrap">
      {r.escalated ? (
        <Badge color="red" variant="filled" tt="none" size="sm" data-testid="funds-escalated">
          {t('funds.escalated')}
        </Badge>
      ) : null}
      {r.lateAck ? (
        <Badge color="orange" variant="outline" tt="none" size="sm" data-testid="funds-late-ack">
          {t('funds.lateAck')}
        </Badge>
      ) : null}
    </Group>
  );
}

/** Still to be acted on by the bank: waiting first, the nearest deadline first. */
export function byUrgency<T extends Pick<StopPayment, 'status' | 'ackDeadlineAt'> | Freeze>(
  rows: readonly T[],
): T[] {
  const rank = (s: string) => (s === 'sent' ? 0 : s === 'acknowledged' ? 1 : 2);
  const deadline = (r: T) =>
    'ackDeadlineAt' in r && r.ackDeadlineAt ? Date.parse(r.ackDeadlineAt) : Infinity;
  const at = (r: T) =>
    Date.parse(('requestedAt' in r && r.requestedAt) || ('createdAt' in r && r.createdAt) || '') || 0;
  return [...rows].sort(
    (a, b) => rank(a.status) - rank(b.status) || deadline(a) - deadline(b) || at(b) - at(a),
  );
}

/** An account number or a reference: monospaced, on one line. */
export function Mono({ children }: { children: ReactNode }) {
  return (
    <Text size="sm" ff="monospace" style={{ whiteSpace: 'nowrap' }}>
      {children}
    </Text>
  );
}
