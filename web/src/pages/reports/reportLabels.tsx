import { Badge, Group } from '@mantine/core';
import type { ReportQueueItem, ReportStatus } from '../../api.ts';
import { useI18n, type I18n } from '../../i18n/index.tsx';

/** Text from the server in both languages: the current one. */
export const inLang = (l: { zh: string; en: string }, lang: I18n['lang']) => (lang === 'zh-CN' ? l.zh : l.en);

/** Labels of the reports' codes in the current language (the raw code when unknown). */
export function useReportLabels() {
  const { lookup } = useI18n();
  return {
    kind: (k: string) => lookup(`reportKinds.${k}`) ?? k,
    status: (s: string) => lookup(`reportStatus.${s}`) ?? s,
    channel: (c: string) => lookup(`reportChannels.${c}`) ?? c,
    category: (c: string) => lookup(`categories.${c}`) ?? c,
    candidate: (s: string) => lookup(`candidateStatus.${s}`) ?? s,
    coordination: (r: string) => lookup(`coordinationReasons.${r}`) ?? r,
    method: (m: string) => lookup(`paymentMethods.${m}`) ?? m,
    ageGroup: (a: string) => lookup(`ageGroups.${a}`) ?? a,
    indicatorKind: (k: string) => lookup(`kinds.${k}`) ?? k,
  };
}

const STATUS_COLOURS: Record<ReportStatus, string> = {
  open: 'yellow',
  confirmed: 'red',
  rejected: 'gray',
  merged: 'blue',
};

export function ReportStatusBadge({ status, size = 'md' }: { status: string; size?: 'md' | 'lg' | 'xl' }) {
  const labels = useReportLabels();
  return (
    <Badge
      color={STATUS_COLOURS[status as ReportStatus] ?? 'gray'}
      variant="light"
      tt="none"
      size={size}
      style={{ minWidth: 'max-content' }}
      data-testid="report-status"
      data-status={status}
    >
      {labels.status(status)}
    </Badge>
  );
}

const CANDIDATE_COLOURS: Record<string, string> = {
  collecting: 'gray',
  submitted: 'orange',
  held: 'yellow',
  protected: 'green',
  listed: 'red',
  rejected: 'gray',
};

export function CandidateBadge({ status }: { status: string }) {
  const labels = useReportLabels();
  return (
    <Badge
      color={CANDIDATE_COLOURS[status] ?? 'gray'}
      variant="light"
      tt="none"
      style={{ minWidth: 'max-content' }}
      data-testid="candidate-status"
      data-status={status}
    >
      {labels.candidate(status)}
    </Badge>
  );
}

/** A decimal amount in yuan (or the given currency) in the current language. */
export function money(amount: string, lang: I18n['lang'], currency = 'CNY'): string {
  const n = Number(amount);
  if (!Number.isFinite(n)) return `${amount} ${currency}`;
  try {
    return new Intl.NumberFormat(lang, { style: 'currency', currency }).format(n);
  } catch {
    return `${amount} ${currency}`;
  }
}

/** Why a report is urgent: money lost now, an elderly or minor victim, held as coordinated. */
export function UrgencyBadges({
  item,
}: {
  item: Pick<ReportQueueItem, 'lostMoney' | 'amount' | 'ageGroup' | 'held'> & { moneyLostNow?: boolean };
}) {
  const { t, lang } = useI18n();
  return (
    <Group gap={4} wrap="wrap" data-testid="urgency-badges">
      {item.lostMoney ? (
        <Badge color="red" variant="filled" tt="none" style={{ minWidth: 'max-content' }}>
          {item.moneyLostNow || !item.amount
            ? t('reports.lostNow')
            : t('reports.lostMoney', {
                amount: money(item.amount.split(' ')[0]!, lang, item.amount.split(' ')[1] || 'CNY'),
              })}
        </Badge>
      ) : null}
      {item.ageGroup === 'elderly' || item.ageGroup === 'minor' ? (
        <Badge color="grape" variant="light" tt="none" style={{ minWidth: 'max-content' }}>
          {t(item.ageGroup === 'elderly' ? 'reports.elderly' : 'reports.minor')}
        </Badge>
      ) : null}
      {item.held ? (
        <Badge color="yellow" variant="outline" tt="none" style={{ minWidth: 'max-content' }}>
          {t('reports.held')}
        </Badge>
      ) : null}
    </Group>
  );
}

/** "3 hours ago" in the current language. */
export function ago(iso: string, lang: I18n['lang'], now = Date.now()): string {
  const s = Math.round((new Date(iso).getTime() - now) / 1000);
  const f = new Intl.RelativeTimeFormat(lang, { numeric: 'auto', style: 'short' });
  const abs = Math.abs(s);
  if (abs < 60) return f.format(s, 'second');
  if (abs < 3600) return f.format(Math.round(s / 60), 'minute');
  if (abs < 86_400) return f.format(Math.round(s / 3600), 'hour');
  return f.format(Math.round(s / 86_400), 'day');
}

export function fileSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
