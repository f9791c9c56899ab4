import { Badge, Group, Text, Tooltip } from '@mantine/core';
import type { Instruction, InstructionStatus, LegalBasis, Session } from '../../api.ts';
import { hasRole } from '../../capabilities.ts';
import { useI18n } from '../../i18n/index.tsx';

/** As the server's issue and withdraw routes: the centre's analysts and supervisors. */
export function mayIssueInstructions(session: Session): boolean {
  return session.organisation.kind === 'anti_fraud_centre' && hasRole(session, 'analyst', 'supervisor');
}

/** As the server's acknowledgement routes: an operator's, bank's or internet service's users. */
export function isReceivingInstitution(session: Session): boolean {
  return (
    ['telecom_operator', 'bank', 'internet_service'].includes(session.organisation.kind) &&
    hasRole(session, 'institution_operator', 'administrator')
  );
}

/** Labels of the governance codes in the current language (the raw code when unknown). */
export function useInstructionLabels() {
  const { lookup, lang, t } = useI18n();
  return {
    status: (s: string) => lookup(`instructionStatus.${s}`) ?? s,
    measure: (m: string) => lookup(`instructionMeasures.${m}`) ?? m,
    target: (k: string) => lookup(`instructionTargets.${k}`) ?? k,
    cardFunction: (f: string) => lookup(`cardFunctions.${f}`) ?? f,
    action: (a: string) => lookup(`instructionActions.${a}`) ?? a,
    /** `Anti-Telecom and Online Fraud Law, Art. 11` and the article's subject in the current language. */
    legalBasis: (id: string, bases: readonly LegalBasis[]) => {
      const b = bases.find((x) => x.id === id);
      if (!b) return { article: id, title: '' };
      return { article: t('governance.article', { article: b.article }), title: lang === 'en' ? b.en : b.zh };
    },
    /** `72 h after issue`, `90 min after issue`. */
    deadlineAfter: (minutes: number) =>
      t('governance.deadlineAfter', {
        duration:
          minutes % 60 === 0
            ? t('governance.hours', { count: minutes / 60 })
            : t('governance.minutes', { count: minutes }),
      }),
  };
}

/**
 * A local time as the API gives it (`2026-11-02T04:30:00-05:00`, the institution's wall clock)
 * shown as is, `2026-11-02 04:30 UTC−05:00`: converting it to the reader's zone would show a
 * different hour than the institution's staff see.
 */
export function localTimeText(local: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})(?::\d{2}(?:\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.exec(local);
  if (!m) return local;
  const offset = m[3] === 'Z' || m[3] === '+00:00' ? '' : m[3]!.replace('-', '−');
  return `${m[1]} ${m[2]} UTC${offset}`;
}

/** The deadline in the institution's local time, red when escalated as overdue. */
export function DeadlineText({ instruction: i }: { instruction: Instruction }) {
  const { t } = useI18n();
  if (!i.deadlineLocal)
    return (
      <Text size="sm" c="dimmed" data-testid="instruction-deadline">
        {t('governance.notIssuedYet')}
      </Text>
    );
  return (
    <Tooltip label={t('governance.deadlineZone', { zone: i.timeZone })} withArrow>
      <Text
        size="sm"
        c={i.overdue ? 'red' : undefined}
        fw={i.overdue ? 700 : undefined}
        style={{ whiteSpace: 'nowrap', fontVariantNumeric: 'tabular-nums' }}
        data-testid="instruction-deadline"
      >
        {localTimeText(i.deadlineLocal)}
      </Text>
    </Tooltip>
  );
}

/** Waiting and disputed stand out; done and over are quiet. */
const STATUS_COLOURS: Record<InstructionStatus, string> = {
  awaiting_approval: 'yellow',
  issued: 'blue',
  received: 'cyan',
  executed: 'green',
  contested: 'orange',
  withdrawn: 'gray',
  expired: 'gray',
  lifted: 'gray',
};

export function InstructionStatusBadge({ status }: { status: string }) {
  const labels = useInstructionLabels();
  return (
    <Badge
      color={STATUS_COLOURS[status as InstructionStatus] ?? 'gray'}
      variant="light"
      tt="none"
      style={{ minWidth: 'max-content' }}
      data-testid="instruction-status"
      data-status={status}
    >
      {labels.status(status)}
    </Badge>
  );
}

export function OverdueBadge() {
  const { t } = useI18n();
  return (
    <Badge
      color="red"
      variant="filled"
      tt="none"
      style={{ minWidth: 'max-content' }}
      data-testid="instruction-overdue"
    >
      {t('governance.overdueBadge')}
    </Badge>
  );
}

/** The status, and the overdue flag beside it. */
export function InstructionState({ instruction: i }: { instruction: Instruction }) {
  return (
    <Group gap={4} wrap="nowrap">
      <InstructionStatusBadge status={i.status} />
      {i.overdue ? <OverdueBadge /> : null}
    </Group>
  );
}

/** The target as it may be shown: a holder's id number masked, with a tag saying so. */
export function TargetText({ target, size = 'sm' }: { target: Instruction['target']; size?: 'sm' | 'lg' }) {
  const { t } = useI18n();
  return (
    <Group gap={6} wrap="wrap" data-testid="instruction-target">
      <Text
        size={size}
        ff="monospace"
        fw={size === 'lg' ? 700 : 400}
        style={size === 'sm' ? { whiteSpace: 'nowrap' } : { wordBreak: 'break-all' }}
      >
        {target.value}
      </Text>
      {target.masked ? (
        <Tooltip label={t('governance.maskedHint')} multiline maw={280} withArrow>
          <Badge color="gray" variant="outline" tt="none" size="sm" style={{ minWidth: 'max-content' }}>
            {t('governance.masked')}
          </Badge>
        </Tooltip>
      ) : null}
    </Group>
  );
}
