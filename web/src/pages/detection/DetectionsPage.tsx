import {
  Alert,
  Anchor,
  Button,
  Group,
  NativeSelect,
  Paper,
  SimpleGrid,
  Stack,
  Text,
  TextInput,
  UnstyledButton,
} from '@mantine/core';
import { useState, type FormEvent } from 'react';
import {
  api,
  DETECTION_STATUSES,
  DETECTION_SUBJECT_KINDS,
  DETECTORS,
  type Detection,
  type DetectionQuery,
  type DetectionStatus,
  type DetectionSubjectKind,
  type DetectorName,
} from '../../api.ts';
import { allows, FEED_SENDERS, STREAM_WATCHERS } from '../../capabilities.ts';
import { FeedTable, ReleaseFeed } from './StreamPage.tsx';
import { DataTable } from '../../components/DataTable.tsx';
import { ErrorAlert } from '../../components/ErrorAlert.tsx';
import { Loadable } from '../../components/Loadable.tsx';
import { PageTitle } from '../../components/PageTitle.tsx';
import { useI18n } from '../../i18n/index.tsx';
import { linkProps, navigate } from '../../router.ts';
import { useSession } from '../../session.tsx';
import { useApi } from '../../useApi.ts';
import { useCursorPages } from '../../useCursorPages.ts';
import { ago } from '../reports/reportLabels.tsx';
import {
  DetectionStatusBadge,
  mayDecideDetections,
  MeasureBadges,
  ScoreBadge,
  SubjectText,
  useDetectionLabels,
  useWindowParts,
} from './labels.tsx';

interface Filters {
  status: DetectionStatus;
  detector: DetectorName | '';
  subjectKind: DetectionSubjectKind | '';
  minScore: string;
  subject: string;
}

const OPEN: Filters = { status: 'open', detector: '', subjectKind: '', minScore: '', subject: '' };
const PAGE = 50;
const MIN_SCORES = ['0.5', '0.6', '0.7', '0.8', '0.9'];

function queryOf(f: Filters): DetectionQuery {
  return {
    status: f.status,
    ...(f.detector ? { detector: f.detector } : {}),
    ...(f.subjectKind ? { subjectKind: f.subjectKind } : {}),
    ...(f.minScore ? { minScore: Number(f.minScore) } : {}),
    ...(f.subject.trim() ? { subject: f.subject.trim() } : {}),
    limit: PAGE,
  };
}

/** `/detection`: open detections per detector, the filters, and the queue (highest score first). */
export function DetectionsPage() {
  const { t } = useI18n();
  const labels = useDetectionLabels();
  const { session } = useSession();
  const [draft, setDraft] = useState<Filters>(OPEN);
  const [filters, setFilters] = useState<Filters>(OPEN);
  const [summary, reloadSummary] = useApi(() => api.detectionSummary(), []);
  const [firstPage, reload] = useApi(
    () => api.listDetections(queryOf(filters)),
    [filters.status, filters.detector, filters.subjectKind, filters.minScore, filters.subject],
  );

  function apply(e: FormEvent) {
    e.preventDefault();
    setFilters(draft);
  }

  /** A detector's tile: its open detections. */
  function showOpen(detector: DetectorName) {
    const next = { ...OPEN, detector };
    setDraft(next);
    setFilters(next);
  }

  const filtered = JSON.stringify({ ...filters, status: 'open' }) !== JSON.stringify(OPEN);

  return (
    <Stack gap="lg">
      <PageTitle title={t('detection.title')} intro={t('detection.intro')}>
        {allows(STREAM_WATCHERS, session) ? (
          <Anchor {...linkProps('/detection/stream')} size="sm" data-testid="detection-stream-link">
            {t('detectionStream.link')} →
          </Anchor>
        ) : null}
      </PageTitle>
      {mayDecideDetections(session) ? null : (
        <Alert color="gray" variant="light">
          {t('detection.readOnly')}
        </Alert>
      )}
      {allows(FEED_SENDERS, session) ? <OwnFeeds /> : null}

      <Stack gap="xs">
        <Text size="sm" fw={600}>
          {t('detection.summary')}
        </Text>
        <Loadable state={summary} onRetry={reloadSummary}>
          {(data) => (
            <SimpleGrid cols={{ base: 2, sm: 4, lg: 7 }} spacing="xs" data-testid="detection-summary">
              {DETECTORS.map((d) => {
                const open = data.items.find((x) => x.detector === d && x.status === 'open')?.count ?? 0;
                const active = filters.detector === d && filters.status === 'open';
                return (
                  <UnstyledButton
                    key={d}
                    onClick={() => showOpen(d)}
                    aria-pressed={active}
                    data-testid="detection-summary-item"
                    data-detector={d}
                  >
                    <Paper
                      withBorder
                      p="xs"
                      radius="md"
                      h="100%"
                      style={active ? { borderColor: 'var(--mantine-primary-color-filled)' } : undefined}
                    >
                      <Text size="xl" fw={700} c={open ? undefined : 'dimmed'} lh={1.2}>
                        {open}
                      </Text>
                      <Text size="xs" c="dimmed" lineClamp={2}>
                        {labels.detector(d)}
                      </Text>
                    </Paper>
                  </UnstyledButton>
                );
              })}
            </SimpleGrid>
          )}
        </Loadable>
      </Stack>

      <Paper
        withBorder
        p="md"
        radius="md"
        component="form"
        onSubmit={apply}
        aria-label={t('detection.filters')}
      >
        <Group align="flex-end" gap="sm" wrap="wrap">
          <NativeSelect
            label={t('detection.status')}
            value={draft.status}
            onChange={(e) => setDraft({ ...draft, status: e.currentTarget.value as DetectionStatus })}
            data={DETECTION_STATUSES.map((s) => ({ value: s, label: labels.status(s) }))}
          />
          <NativeSelect
            label={t('detection.detector')}
            value={draft.detector}
            onChange={(e) => setDraft({ ...draft, detector: e.currentTarget.value as DetectorName | '' })}
            data={[
              { value: '', label: t('detection.any') },
              ...DETECTORS.map((d) => ({ value: d, label: labels.detector(d) })),
            ]}
          />
          <NativeSelect
            label={t('detection.subjectKind')}
            value={draft.subjectKind}
            onChange={(e) =>
              setDraft({ ...draft, subjectKind: e.currentTarget.value as DetectionSubjectKind | '' })
            }
            data={[
              { value: '', label: t('detection.any') },
              ...DETECTION_SUBJECT_KINDS.map((k) => ({ value: k, label: labels.subjectKind(k) })),
            ]}
          />
          <NativeSelect
            label={t('detection.minScore')}
            value={draft.minScore}
            onChange={(e) => setDraft({ ...draft, minScore: e.currentTarget.value })}
            data={[
              { value: '', label: t('detection.any') },
              ...MIN_SCORES.map((s) => ({ value: s, label: `≥ ${s}` })),
            ]}
          />
          <TextInput
            label={t('detection.subject')}
            placeholder={t('detection.subjectSearch')}
            value={draft.subject}
            onChange={(e) => setDraft({ ...draft, subject: e.currentTarget.value })}
            maxLength={100}
            style={{ flex: '1 1 220px' }}
          />
          <Button type="submit">{t('detection.apply')}</Button>
        </Group>
      </Paper>

      <Loadable state={firstPage} onRetry={reload}>
        {(data) => (
          <Queue
            first={data}
            query={queryOf(filters)}
            empty={
              filtered || filters.status !== 'open' ? t('detection.emptyFiltered') : t('detection.emptyOpen')
            }
          />
        )}
      </Loadable>
    </Stack>
  );
}

/** The queue's rows: the first page, then more with the cursor. */
function Queue({
  first,
  query,
  empty,
}: {
  first: { items: Detection[]; next: string | null };
  query: DetectionQuery;
  empty: string;
}) {
  const { t, lang, dateTime } = useI18n();
  const labels = useDetectionLabels();
  const { items, next, busy, error, more } = useCursorPages(first, (after) =>
    api.listDetections({ ...query, after }),
  );

  return (
    <Stack gap="xs">
      <DataTable<Detection>
        label={t('detection.queue')}
        rows={items}
        empty={empty}
        minWidth={900}
        onRowClick={(d) => navigate(`/detection/${d.id}`)}
        columns={[
          { header: t('detection.score'), cell: (d) => <ScoreBadge score={d.score} /> },
          {
            header: t('detection.detector'),
            cell: (d) => (
              <Anchor {...linkProps(`/detection/${d.id}`)} size="sm">
                {labels.detector(d.detector)}
              </Anchor>
            ),
          },
          {
            header: t('detection.subject'),
            cell: (d) => (
              <Stack gap={0}>
                <SubjectText subject={d.subject} masked={d.subjectMasked} />
                <Text size="xs" c="dimmed">
                  {labels.subjectKind(d.subjectKind)}
                </Text>
              </Stack>
            ),
          },
          {
            header: t('detection.window'),
            cell: (d) => <Episode window={d.window} />,
          },
          {
            header: t('detection.measures'),
            cell: (d) => <MeasureBadges measures={d.measures} detector={d.detector} />,
          },
          { header: t('detection.status'), cell: (d) => <DetectionStatusBadge status={d.status} /> },
          {
            header: t('detection.created'),
            cell: (d) => (
              <Text size="sm" title={dateTime(d.createdAt)} style={{ whiteSpace: 'nowrap' }}>
                {ago(d.createdAt, lang)}
              </Text>
            ),
          },
        ]}
      />
      {error ? <ErrorAlert error={error} /> : null}
      <Group justify="space-between" wrap="wrap">
        <Text size="xs" c="dimmed">
          {items.length ? t('detection.shown', { count: items.length }) : null}
        </Text>
        {next ? (
          <Button variant="default" size="xs" onClick={() => void more()} loading={busy}>
            {t('detection.more')}
          </Button>
        ) : null}
      </Group>
    </Stack>
  );
}

/** The episode on two lines: the start, then the end (a time only on the same day). */
function Episode({ window }: { window: Detection['window'] }) {
  const p = useWindowParts()(window);
  return (
    <Text size="xs" style={{ whiteSpace: 'nowrap' }}>
      {p.from}
      {p.to === null ? null : (
        <>
          <br />→ {p.to}
        </>
      )}
    </Text>
  );
}

/**
 * An operator's or bank's own record feeds (`GET /v1/detection-stream/feeds`): whether what their
 * systems send reaches the detectors, waits for another party, or came too late.
 */
function OwnFeeds() {
  const { t } = useI18n();
  const [feeds, reload] = useApi(() => api.ownFeeds(), []);
  return (
    <Stack gap={6} data-testid="own-feeds">
      <Text size="sm" fw={600}>
        {t('detection.feeds.title')}
      </Text>
      <Loadable state={feeds} onRetry={reload}>
        {(data) =>
          data.feeds.length === 0 ? (
            <Text size="sm" c="dimmed" data-testid="own-feeds-none">
              {t('detection.feeds.none')}
            </Text>
          ) : (
            <Stack gap={6}>
              <Text size="sm" c="dimmed">
                {t('detection.feeds.intro')}
              </Text>
              {data.feeds.some((f) => f.stuck) ? (
                <Alert
                  color="red"
                  variant="light"
                  title={t('detection.feeds.stuckTitle', {
                    feeds: data.feeds
                      .filter((f) => f.stuck)
                      .map((f) => `${f.kind}/${f.name}`)
                      .join(', '),
                  })}
                  data-testid="own-feeds-stuck"
                >
                  <Text size="sm">
                    {t('detection.feeds.stuckBody', { minutes: data.feedStuckMs / 60_000 })}
                  </Text>
                </Alert>
              ) : null}
              {data.feeds.some((f) => f.late > 0) ? (
                <Alert
                  color="yellow"
                  variant="light"
                  title={t('detection.feeds.lateTitle')}
                  data-testid="own-feeds-late"
                >
                  <Text size="sm">{t('detection.feeds.lateBody')}</Text>
                </Alert>
              ) : null}
              {data.heldByOthers && data.feeds.some((f) => f.staged > 0) ? (
                <Alert color="gray" variant="light" data-testid="own-feeds-held">
                  {t('detection.feeds.heldByOthers', { minutes: data.feedIdleMs / 60_000 })}
                </Alert>
              ) : null}
              <FeedTable
                label={t('detection.feeds.title')}
                feeds={data.feeds}
                nameOf={(f) => `${f.kind}/${f.name}`}
                action={(f) =>
                  f.holding ? <ReleaseFeed feed={f} name={`${f.kind}/${f.name}`} onDone={reload} /> : null
                }
              />
            </Stack>
          )
        }
      </Loadable>
    </Stack>
  );
}
