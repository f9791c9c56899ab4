import { Alert, Badge, Button, Group, Text, Tooltip } from '@mantine/core';
import { useEffect, useState } from 'react';
import { hasRole } from '../../capabilities.ts';
import type { Session } from '../../api.ts';
import { useI18n } from '../../i18n/index.tsx';
import { durationText, isOverdue, msLeft } from './helpers.ts';
import type { AgeGroup, RiskLevel, StepStatus, WarningSummary } from './types.ts';

/** As the server's warning routes: the centre's analysts and supervisors. */
export function mayWorkWarnings(session: Session): boolean {
  return session.organisation.kind === 'anti_fraud_centre' && hasRole(session, 'analyst', 'supervisor');
}

/** As the server's content route: the centre's supervisors change the library's texts. */
export function mayEditContent(session: Session): boolean {
  return session.organisation.kind === 'anti_fraud_centre' && hasRole(session, 'supervisor');
}

/** Labels of the warnings' codes in the current language (the raw code when unknown). */
export function useWarningLabels() {
  const { lookup, t } = useI18n();
  return {
    risk: (r: string) => lookup(`warnings.riskLevels.${r}`) ?? r,
    channel: (c: string) => lookup(`warnings.channels.${c}`) ?? c,
    step: (s: string) => lookup(`warnings.stepStatus.${s}`) ?? s,
    outcome: (o: string) => lookup(`warnings.outcomes.${o}`) ?? o,
    trigger: (k: string) => lookup(`warnings.triggerKinds.${k}`) ?? k,
    audience: (a: string) => lookup(`warnings.audiences.${a}`) ?? a,
    contentChannel: (c: string) => lookup(`warnings.contentChannels.${c}`) ?? c,
    language: (l: string) => lookup(`warnings.languages.${l}`) ?? l,
    /** A scam category; `general` is the library's text for any scam type. */
    scamType: (s: string | null | undefined) =>
      !s ? '—' : s === 'general' ? t('warnings.generalType') : (lookup(`categories.${s}`) ?? s),
    action: (a: string) => lookup(`warnings.actions.${a}`) ?? a,
    /** A step's or attempt's result; a closing's result is the outcome. */
    result: (r: string) => lookup(`warnings.results.${r}`) ?? lookup(`warnings.outcomes.${r}`) ?? r,
  };
}

/** The current time, ticking every `everyMs`: deadlines count down without a reload. */
export function useNow(everyMs = 10_000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = window.setInterval(() => setNow(Date.now()), everyMs);
    return () => window.clearInterval(timer);
  }, [everyMs]);
  return now;
}

const RISK_COLOURS: Record<RiskLevel, string> = { high: 'red', medium: 'orange', low: 'gray' };

export function RiskBadge({ risk, size = 'md' }: { risk: RiskLevel; size?: 'md' | 'lg' }) {
  const labels = useWarningLabels();
  return (
    <Badge
      color={RISK_COLOURS[risk] ?? 'gray'}
      variant={risk === 'high' ? 'filled' : 'light'}
      tt="none"
      size={size}
      style={{ minWidth: 'max-content' }}
      data-testid="warning-risk"
      data-risk={risk}
    >
      {labels.risk(risk)}
    </Badge>
  );
}

/** Elderly and minors stand out: they are warned first. */
export function AgeBadge({ ageGroup, ageYears }: { ageGroup: AgeGroup | null; ageYears: number | null }) {
  const { t } = useI18n();
  if (!ageGroup) return null;
  const vulnerable = ageGroup !== 'adult';
  return (
    <Badge
      color={vulnerable ? 'grape' : 'gray'}
      variant={vulnerable ? 'filled' : 'outline'}
      tt="none"
      style={{ minWidth: 'max-content' }}
      data-testid="warning-age"
      data-age-group={ageGroup}
    >
      {t(`warnings.ageBadge.${ageGroup}`)}
      {ageYears !== null ? ` · ${t('warnings.age', { years: ageYears })}` : ''}
    </Badge>
  );
}

const STEP_COLOURS: Record<StepStatus, string> = {
  pending: 'gray',
  active: 'blue',
  done: 'green',
  unanswered: 'orange',
  skipped: 'gray',
};

export function StepBadge({ status }: { status: StepStatus }) {
  const labels = useWarningLabels();
  return (
    <Badge
      color={STEP_COLOURS[status] ?? 'gray'}
      variant={status === 'active' ? 'filled' : 'light'}
      tt="none"
      style={{ minWidth: 'max-content' }}
      data-testid="warning-step-status"
      data-status={status}
    >
      {labels.step(status)}
    </Badge>
  );
}

/** `12 min left`, or `overdue 3 min` in red; the exact deadline on hover. */
export function TimeLeft({
  warning: w,
  now,
  size = 'sm',
}: {
  warning: Pick<WarningSummary, 'status' | 'deadlineAt' | 'overdue' | 'closedAt'>;
  now: number;
  size?: 'sm' | 'lg';
}) {
  const { t, lang, dateTime } = useI18n();
  if (w.status === 'closed')
    return (
      <Text size={size} c="dimmed" style={{ whiteSpace: 'nowrap' }}>
        {t('warnings.closedAt', { at: dateTime(w.closedAt) })}
      </Text>
    );
  const left = msLeft(w.deadlineAt, now);
  const overdue = isOverdue(w, now);
  const text =
    left === null
      ? overdue
        ? t('warnings.overdue')
        : t('warnings.noDeadline')
      : left < 0
        ? t('warnings.overdueBy', { time: durationText(left, lang) })
        : t('warnings.left', { time: durationText(left, lang) });
  return (
    <Tooltip label={dateTime(w.deadlineAt)} disabled={!w.deadlineAt} withArrow>
      <Text
        size={size}
        c={overdue ? 'red' : left !== null && left < 5 * 60_000 ? 'orange' : undefined}
        fw={overdue ? 700 : 500}
        style={{ whiteSpace: 'nowrap', fontVariantNumeric: 'tabular-nums' }}
        data-testid="warning-time-left"
        data-overdue={String(overdue)}
      >
        {text}
      </Text>
    </Tooltip>
  );
}

/** Someone else changed what is on screen first: say so, and offer to load the current version. */
export function StaleAlert({
  message,
  onReload,
  testId,
}: {
  message: string;
  onReload: () => void;
  testId: string;
}) {
  const { t } = useI18n();
  return (
    <Alert color="orange" variant="light" data-testid={testId}>
      <Group justify="space-between" gap="sm" wrap="wrap">
        <Text size="sm">{message}</Text>
        <Button size="xs" variant="light" color="orange" onClick={onReload}>
          {t('warnings.reload')}
        </Button>
      </Group>
    </Alert>
  );
}
