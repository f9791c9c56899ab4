import { Badge, Group, Text, Tooltip } from '@mantine/core';
import {
  DETECTORS,
  type DetectionStatus,
  type RecommendedMeasure,
  type DetectorName,
  type Measure,
  type Session,
} from '../../api.ts';
import { hasRole } from '../../capabilities.ts';
import { useI18n } from '../../i18n/index.tsx';

/** As the server's decision route: the centre's analysts and supervisors; everyone else reads. */
export function mayDecideDetections(session: Session): boolean {
  return session.organisation.kind === 'anti_fraud_centre' && hasRole(session, 'analyst', 'supervisor');
}

/** Labels of the detection codes in the current language (the raw code when unknown). */
export function useDetectionLabels() {
  const { lookup } = useI18n();
  return {
    detector: (d: string) => lookup(`detectors.${d}`) ?? d,
    /** One line on what the detector looks at. */
    about: (d: string) => lookup(`detectorAbout.${d}`) ?? '',
    subjectKind: (k: string) => lookup(`detectionSubjects.${k}`) ?? k,
    status: (s: string) => lookup(`detectionStatus.${s}`) ?? s,
    measure: (m: string) => lookup(`measures.${m}`) ?? m,
    target: (t: string) => lookup(`measureTargets.${t}`) ?? t,
    /** The server's reason in the current language when the console knows it, else as sent. */
    measureReason: (detector: string, m: RecommendedMeasure) =>
      lookup(`measureReasons.${detector}.${m.measure}`) ?? m.reason,
    evidenceKey: (k: string) => lookup(`evidenceKeys.${k}`) ?? humanise(k),
  };
}

/** `meanDwellMinutes` → `mean dwell minutes`: a key the console has no words for yet. */
function humanise(key: string): string {
  return key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/_/g, ' ')
    .toLowerCase();
}

export const isDetector = (v: unknown): v is DetectorName =>
  typeof v === 'string' && (DETECTORS as readonly string[]).includes(v);

const STATUS_COLOURS: Record<DetectionStatus, string> = {
  open: 'yellow',
  confirmed: 'red',
  rejected: 'gray',
  suppressed: 'gray',
};

export function DetectionStatusBadge({ status }: { status: string }) {
  const labels = useDetectionLabels();
  return (
    <Badge
      color={STATUS_COLOURS[status as DetectionStatus] ?? 'gray'}
      variant={status === 'suppressed' ? 'outline' : 'light'}
      tt="none"
      style={{ minWidth: 'max-content' }}
      data-testid="detection-status"
      data-status={status}
    >
      {labels.status(status)}
    </Badge>
  );
}

/** Re-verifying and restricting touch a person's card or account: they stand out from flags and warnings. */
const MEASURE_COLOURS: Record<Measure, string> = {
  re_verify: 'orange',
  restrict: 'red',
  flag: 'grape',
  warn: 'blue',
};

export function MeasureBadge({ measure, detector }: { measure: RecommendedMeasure; detector: string }) {
  const labels = useDetectionLabels();
  return (
    <Tooltip label={labels.measureReason(detector, measure)} multiline maw={320} withArrow>
      <Badge
        color={MEASURE_COLOURS[measure.measure] ?? 'gray'}
        variant="light"
        tt="none"
        radius="sm"
        style={{ minWidth: 'max-content' }}
        data-testid="detection-measure"
        data-measure={measure.measure}
      >
        {labels.measure(measure.measure)}
      </Badge>
    </Tooltip>
  );
}

export function MeasureBadges({ measures, detector }: { measures: RecommendedMeasure[]; detector: string }) {
  return (
    <Group gap={4} wrap="wrap">
      {measures.map((m) => (
        <MeasureBadge key={`${m.measure}:${m.target}`} measure={m} detector={detector} />
      ))}
    </Group>
  );
}

/** Red from 0.8, orange from 0.6: the score a glance needs in a queue sorted by it. */
export function scoreColour(score: number): string {
  return score >= 0.8 ? 'red' : score >= 0.6 ? 'orange' : 'gray';
}

export function ScoreBadge({ score }: { score: number }) {
  return (
    <Badge
      color={scoreColour(score)}
      variant="filled"
      radius="sm"
      style={{ minWidth: 'max-content', fontVariantNumeric: 'tabular-nums' }}
      data-testid="detection-score"
    >
      {score.toFixed(2)}
    </Badge>
  );
}

/** The subject as it may be shown: a holder's id number masked, with a tag saying so. */
export function SubjectText({
  subject,
  masked,
  size = 'sm',
}: {
  subject: string;
  masked: boolean;
  size?: 'sm' | 'lg';
}) {
  const { t } = useI18n();
  return (
    <Group gap={6} wrap="wrap" data-testid="detection-subject">
      <Text
        size={size}
        ff="monospace"
        fw={size === 'lg' ? 700 : 400}
        // in the queue a number stays on one line; on the detail page a long subject may break
        style={size === 'sm' ? { whiteSpace: 'nowrap' } : { wordBreak: 'break-all' }}
      >
        {subject}
      </Text>
      {masked ? (
        <Tooltip label={t('detection.maskedHint')} multiline maw={280} withArrow>
          <Badge
            color="gray"
            variant="outline"
            tt="none"
            size="sm"
            style={{ minWidth: 'max-content' }}
            data-testid="detection-masked"
          >
            {t('detection.masked')}
          </Badge>
        </Tooltip>
      ) : null}
    </Group>
  );
}

/** An episode's ends in the current language: the end as a time only when on the same day; none when equal. */
export function useWindowParts(): (w: { from: string; to: string }) => { from: string; to: string | null } {
  const { lang, dateTime } = useI18n();
  return (w) => {
    if (w.from === w.to) return { from: dateTime(w.from), to: null };
    const sameDay = new Date(w.from).toDateString() === new Date(w.to).toDateString();
    return {
      from: dateTime(w.from),
      to: sameDay
        ? new Intl.DateTimeFormat(lang, { timeStyle: 'short' }).format(new Date(w.to))
        : dateTime(w.to),
    };
  };
}

/** An episode as one line: `from – to`. */
export function useWindowText(): (w: { from: string; to: string }) => string {
  const { t } = useI18n();
  const parts = useWindowParts();
  return (w) => {
    const p = parts(w);
    return p.to === null ? p.from : t('detection.windowRange', { from: p.from, to: p.to });
  };
}
