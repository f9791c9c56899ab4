import { Alert, Anchor, Badge, Button, Code, Group, Paper, SimpleGrid, Stack, Text } from '@mantine/core';
import { useEffect, useState, type ReactNode } from 'react';
import {
  api,
  type PartitionCoverage,
  type RecordStreamStatus,
  type StreamFeed,
  type StreamWorker,
} from '../../api.ts';
import { allows, CAPABILITIES } from '../../capabilities.ts';
import { DataTable } from '../../components/DataTable.tsx';
import { Loadable } from '../../components/Loadable.tsx';
import { PageTitle } from '../../components/PageTitle.tsx';
import { useI18n } from '../../i18n/index.tsx';
import { linkProps } from '../../router.ts';
import { useSession } from '../../session.tsx';
import { useApi } from '../../useApi.ts';
import { ago } from '../reports/reportLabels.tsx';
import { ReasonDialog } from '../registry/ReasonDialog.tsx';

/** The page reloads this often while visible: a worker may stop at any hour. */
export const STREAM_REFRESH_MS = 15_000;
const MIB = 1024 * 1024;
const DAY_MS = 86_400_000;

type WorkerState = 'stalled' | 'missed' | 'ended' | 'current' | 'catchingUp';

/** Its badges: what is wrong if anything (both may be), else where it stands. */
export function workerStates(w: StreamWorker): WorkerState[] {
  const wrong: WorkerState[] = [
    ...(w.stalled ? ['stalled' as const] : []),
    ...(w.missed ? ['missed' as const] : []),
  ];
  if (wrong.length) return wrong;
  if (w.ended) return ['ended'];
  return [w.behind === 0 ? 'current' : 'catchingUp'];
}

const STATE_COLOURS: Record<WorkerState, string> = {
  stalled: 'red',
  missed: 'red',
  ended: 'gray',
  current: 'green',
  catchingUp: 'yellow',
};

/**
 * `/detection/stream`: whether streaming detection is healthy, for whoever is on call: the record
 * stream's head and what it keeps, then every worker by its checkpoint, with what to do about the
 * stalled ones and the ones that missed entries. Reloads every 15 s while visible.
 */
export function StreamPage() {
  const { t, lang } = useI18n();
  const { session } = useSession();
  const [loadedAt, setLoadedAt] = useState<number | null>(null);
  const [status, reload] = useApi(
    () =>
      api.detectionStream().then((s) => {
        setLoadedAt(Date.now());
        return s;
      }),
    [],
  );

  useEffect(() => {
    const timer = window.setInterval(() => {
      if (document.visibilityState === 'visible') reload();
    }, STREAM_REFRESH_MS);
    return () => window.clearInterval(timer);
  }, [reload]);

  // The centre's administrator watches the stream but has no queue.
  const mayReadQueue = allows(CAPABILITIES.find((c) => c.id === 'detection')!.access, session);

  return (
    <Stack gap="lg">
      <PageTitle title={t('detectionStream.title')} intro={t('detectionStream.intro')}>
        <Group justify="space-between" gap="xs" wrap="wrap">
          {mayReadQueue ? (
            <Anchor {...linkProps('/detection')} size="sm">
              ← {t('detection.back')}
            </Anchor>
          ) : (
            <span />
          )}
          <Group gap="xs" ml="auto">
            {loadedAt ? (
              <Text size="xs" c="dimmed" data-testid="stream-refreshed">
                {t('detectionStream.refreshed', {
                  time: new Intl.DateTimeFormat(lang, { timeStyle: 'medium' }).format(loadedAt),
                })}
              </Text>
            ) : null}
            <Button size="xs" variant="default" onClick={reload}>
              {t('detectionStream.refresh')}
            </Button>
          </Group>
        </Group>
      </PageTitle>
      <Loadable state={status} onRetry={reload}>
        {(s) => (
          <StreamStatus
            status={s}
            mayRelease={session.user.roles.includes('administrator')}
            onChange={reload}
          />
        )}
      </Loadable>
    </Stack>
  );
}

function StreamStatus({
  status: s,
  mayRelease,
  onChange,
}: {
  status: RecordStreamStatus;
  /** The centre's administrators may let the others go on without a feed that holds them back. */
  mayRelease: boolean;
  onChange: () => void;
}) {
  const { t, dateTime } = useI18n();
  const stalled = s.workers.filter((w) => w.stalled);
  const missed = s.workers.filter((w) => w.missed);
  const differ = s.workers.filter((w) => w.paramsDiffer);
  const offPlatform = s.workers.filter((w) => w.paramsOffPlatform);
  const names = (ws: StreamWorker[]) => ws.map((w) => w.worker).join(', ');
  const cv = s.coverage;
  const splitProblem = cv.uncovered.length > 0 || cv.shared.length > 0 || cv.otherSplit.length > 0;
  return (
    <Stack gap="md">
      {stalled.length ? (
        <Alert
          color="red"
          variant="light"
          title={t('detectionStream.stalledTitle', { workers: names(stalled) })}
          data-testid="stream-stalled"
        >
          <Stack gap={6}>
            <Text size="sm">{t('detectionStream.stalledBody')}</Text>
            {stalled.map((w) => (
              <Code key={w.worker} block style={{ whiteSpace: 'pre-wrap', wordBreak: 'break-word' }}>
                {w.command}
              </Code>
            ))}
          </Stack>
        </Alert>
      ) : null}
      {missed.length ? (
        <Alert
          color="red"
          variant="light"
          title={t('detectionStream.missedTitle', { workers: names(missed) })}
          data-testid="stream-missed"
        >
          <Text size="sm">{t('detectionStream.missedBody')}</Text>
        </Alert>
      ) : null}
      <CoverageAlerts coverage={cv} />
      {s.publisher?.lapsed ? (
        <Alert
          color="yellow"
          variant="light"
          title={t('detectionStream.publisherLapsedTitle', { holder: s.publisher.holder })}
          data-testid="stream-publisher-lapsed"
        >
          <Text size="sm">
            {t('detectionStream.publisherLapsedBody', { time: dateTime(s.publisher.lastHeard) })}
          </Text>
        </Alert>
      ) : null}
      {differ.length ? (
        <Alert
          color="orange"
          variant="light"
          title={t('detectionStream.paramsDifferTitle', {
            workers: differ.map((w) => `${w.worker} (${w.params})`).join(', '),
          })}
          data-testid="stream-params-differ"
        >
          <Text size="sm">{t('detectionStream.paramsDifferBody')}</Text>
        </Alert>
      ) : null}
      {offPlatform.length ? (
        <Alert
          color="orange"
          variant="light"
          title={t('detectionStream.offPlatformTitle', {
            workers: offPlatform.map((w) => `${w.worker} (${w.params})`).join(', '),
            platform: String(s.platformParams),
          })}
          data-testid="stream-params-off-platform"
        >
          <Text size="sm">{t('detectionStream.offPlatformBody')}</Text>
        </Alert>
      ) : null}
      {s.workers.length &&
      !stalled.length &&
      !missed.length &&
      !differ.length &&
      !offPlatform.length &&
      !splitProblem ? (
        <Alert color="green" variant="light" data-testid="stream-healthy">
          {t('detectionStream.healthy')}
        </Alert>
      ) : null}
      {s.feeds.some((f) => f.late > 0) ? (
        <Alert
          color="yellow"
          variant="light"
          title={t('detectionStream.lateTitle', {
            feeds: s.feeds
              .filter((f) => f.late > 0)
              .map(feedName)
              .join(', '),
          })}
          data-testid="stream-feeds-late"
        >
          <Text size="sm">{t('detectionStream.lateBody', { minutes: s.feedIdleMs / 60_000 })}</Text>
        </Alert>
      ) : null}
      <Summary status={s} />
      {s.feeds.length ? (
        <Feeds
          feeds={s.feeds}
          watermark={s.watermark}
          idleMinutes={s.feedIdleMs / 60_000}
          mayRelease={mayRelease}
          onReleased={onChange}
        />
      ) : null}
      {s.workers.length ? (
        <Workers workers={s.workers} mayRetire={mayRelease} onRetired={onChange} />
      ) : (
        <Paper withBorder p="md" radius="md" data-testid="stream-no-workers">
          <Stack gap={6}>
            <Text fw={600}>{t('detectionStream.emptyTitle')}</Text>
            <Text size="sm">{t('detectionStream.emptyBody')}</Text>
            <Code block style={{ whiteSpace: 'pre-wrap', wordBreak: 'break-word' }}>
              {'interdict detect worker --partitions 0-7'}
            </Code>
          </Stack>
        </Paper>
      )}
    </Stack>
  );
}

/**
 * Holes and overlaps in the workers' split: a partition without a worker loses detections while
 * every worker looks well, so it is said right after the stalled and missed workers.
 */
function CoverageAlerts({ coverage: cv }: { coverage: PartitionCoverage }) {
  const { t } = useI18n();
  return (
    <>
      {cv.uncovered.length ? (
        <Alert
          color="red"
          variant="light"
          title={t('detectionStream.uncoveredTitle', {
            partitions: cv.uncoveredSpec,
            count: String(cv.count),
          })}
          data-testid="stream-uncovered"
        >
          <Stack gap={6}>
            <Text size="sm">{t('detectionStream.uncoveredBody')}</Text>
            <Code block style={{ whiteSpace: 'pre-wrap', wordBreak: 'break-word' }}>
              {cv.command}
            </Code>
          </Stack>
        </Alert>
      ) : null}
      {cv.shared.length ? (
        <Alert
          color="orange"
          variant="light"
          title={t('detectionStream.sharedTitle', {
            partitions: cv.shared.map((x) => `${x.partition} (${x.workers.join(', ')})`).join('; '),
          })}
          data-testid="stream-shared"
        >
          <Text size="sm">{t('detectionStream.sharedBody')}</Text>
        </Alert>
      ) : null}
      {cv.otherSplit.length ? (
        <Alert
          color="orange"
          variant="light"
          title={t('detectionStream.otherSplitTitle', { workers: cv.otherSplit.join(', ') })}
          data-testid="stream-other-split"
        >
          <Text size="sm">
            {t('detectionStream.otherSplitBody', {
              counts: cv.otherCounts.join(', '),
              count: String(cv.count),
            })}
          </Text>
        </Alert>
      ) : null}
    </>
  );
}

/** Deletes the checkpoint of a worker that no longer runs: with a reason, audited. */
function RetireWorker({ worker, onDone }: { worker: StreamWorker; onDone: () => void }) {
  const { t } = useI18n();
  return (
    <ReasonDialog
      button={t('detectionStream.retire')}
      title={t('detectionStream.retireTitle', { worker: worker.worker })}
      body={t('detectionStream.retireBody')}
      confirm={t('detectionStream.retireConfirm')}
      color="red"
      action={(reason) => api.retireWorker(worker.worker, reason)}
      onDone={onDone}
    >
      {worker.soleSpec ? (
        <Alert color="red" variant="light" data-testid="stream-retire-leaves">
          {t('detectionStream.retireLeaves', { partitions: worker.soleSpec })}
        </Alert>
      ) : null}
    </ReasonDialog>
  );
}

/** One fact of the summary: a small label over its value. */
function Fact({ label, testId, children }: { label: string; testId: string; children: ReactNode }) {
  return (
    <div data-testid={testId}>
      <Text size="xs" c="dimmed">
        {label}
      </Text>
      <Text size="sm" fw={500}>
        {children}
      </Text>
    </div>
  );
}

/** The stream's head, its clock, whether its input is closed, and what it keeps for how long. */
function Summary({ status: s }: { status: RecordStreamStatus }) {
  const { t, lang, dateTime } = useI18n();
  const number = new Intl.NumberFormat(lang);
  const mib = s.stored.bytes / MIB;
  const size = new Intl.NumberFormat(lang, { maximumFractionDigits: mib < 1 ? 2 : 1 }).format(mib);
  const days = s.keepMs / DAY_MS;
  return (
    <Paper
      withBorder
      p="md"
      radius="md"
      component="section"
      aria-label={t('detectionStream.summary')}
      data-testid="stream-summary"
    >
      <SimpleGrid cols={{ base: 2, sm: 3, lg: 6 }} spacing="md" verticalSpacing="sm">
        <Fact label={t('detectionStream.kind')} testId="stream-kind">
          {t(`detectionStream.kinds.${s.kind}`)}
        </Fact>
        <Fact label={t('detectionStream.head')} testId="stream-head">
          {t('detectionStream.headValue', { gseq: number.format(s.head.gseq) })}
        </Fact>
        <Fact label={t('detectionStream.lastTick')} testId="stream-last-tick">
          {s.head.lastTickAt ? dateTime(s.head.lastTickAt) : t('detectionStream.noTick')}
        </Fact>
        <Fact label={t('detectionStream.input')} testId="stream-input">
          {s.head.ended ? t('detectionStream.inputClosed') : t('detectionStream.inputOpen')}
          <Text span size="xs" c="dimmed" display="block" data-testid="stream-publisher">
            {s.publisher
              ? t('detectionStream.publishing', {
                  holder: s.publisher.holder,
                  since: dateTime(s.publisher.since),
                })
              : t('detectionStream.notPublishing')}
          </Text>
        </Fact>
        <Fact label={t('detectionStream.kept')} testId="stream-kept">
          {s.stored.fromGseq === null
            ? t('detectionStream.keptNothing')
            : t('detectionStream.keptFrom', { gseq: number.format(s.stored.fromGseq) })}
          <Text span size="xs" c="dimmed" display="block">
            {t(`detectionStream.units.${s.kind}`, { count: number.format(s.stored.units) })} ·{' '}
            {t('detectionStream.size', { size })}
          </Text>
        </Fact>
        <Fact label={t('detectionStream.retention')} testId="stream-retention">
          {days === 1
            ? t('detectionStream.retentionDay')
            : t('detectionStream.retentionDays', {
                days: new Intl.NumberFormat(lang, { maximumFractionDigits: 1 }).format(days),
              })}
        </Fact>
      </SimpleGrid>
    </Paper>
  );
}

/** `Bank · transactions/main`. */
function feedName(f: StreamFeed): string {
  return `${f.organisation ?? f.organisationId} · ${f.kind}/${f.name}`;
}

type FeedState = 'holding' | 'released' | 'current' | 'idle';

function feedState(f: Pick<StreamFeed, 'idle' | 'holding' | 'released'>): FeedState {
  return f.idle ? 'idle' : f.released ? 'released' : f.holding ? 'holding' : 'current';
}

const FEED_COLOURS: Record<FeedState, string> = {
  holding: 'yellow',
  released: 'orange',
  current: 'green',
  idle: 'gray',
};

/**
 * Lets the other feeds go on without `f`, which holds them back (a stuck clock, a system down that
 * still sends heartbeats): with a reason, audited. Shown on feeds that hold the watermark.
 */
export function ReleaseFeed({
  feed,
  organisationId,
  name,
  onDone,
}: {
  feed: Pick<StreamFeed, 'kind' | 'name'>;
  organisationId?: string;
  name: string;
  onDone: () => void;
}) {
  const { t } = useI18n();
  return (
    <ReasonDialog
      button={t('detectionStream.release')}
      title={t('detectionStream.releaseTitle', { feed: name })}
      body={t('detectionStream.releaseBody')}
      confirm={t('detectionStream.releaseConfirm')}
      color="orange"
      action={(reason) =>
        api.releaseFeed({
          ...(organisationId && { organisationId }),
          kind: feed.kind,
          name: feed.name,
          reason,
        })
      }
      onDone={onDone}
    />
  );
}

/**
 * The parties sending over HTTP: which one the others wait for (the watermark is its `through`),
 * how much waits, and what came too late.
 */
function Feeds({
  feeds,
  watermark,
  idleMinutes,
  mayRelease,
  onReleased,
}: {
  feeds: StreamFeed[];
  watermark: string | null;
  /** The centre's setting: a feed quiet this long holds the others back no more. */
  idleMinutes: number;
  mayRelease: boolean;
  onReleased: () => void;
}) {
  const { t, dateTime } = useI18n();
  return (
    <Stack gap={6} data-testid="stream-feeds">
      <Text fw={600}>{t('detectionStream.feeds')}</Text>
      <Text size="sm" c="dimmed">
        {t('detectionStream.feedsIntro', { minutes: idleMinutes })}
      </Text>
      <Text size="sm" fw={500} data-testid="stream-watermark">
        {watermark
          ? t('detectionStream.watermark', { time: dateTime(watermark) })
          : t('detectionStream.noWatermark')}
      </Text>
      <FeedTable
        label={t('detectionStream.feeds')}
        feeds={feeds}
        nameOf={feedName}
        action={
          mayRelease
            ? (f) =>
                f.holding ? (
                  <ReleaseFeed
                    feed={f}
                    organisationId={f.organisationId}
                    name={feedName(f)}
                    onDone={onReleased}
                  />
                ) : null
            : undefined
        }
      />
    </Stack>
  );
}

/** Feeds as a table, named by `nameOf`: the centre's status page and a sender's own page share it. */
export function FeedTable<F extends Omit<StreamFeed, 'organisationId' | 'organisation'>>({
  label,
  feeds,
  nameOf,
  action,
}: {
  label: string;
  feeds: F[];
  nameOf: (f: F) => string;
  /** What may be done with a feed (releasing one that holds the others back), in a last column. */
  action?: ((f: F) => ReactNode) | undefined;
}) {
  const { t, lang, dateTime } = useI18n();
  const number = new Intl.NumberFormat(lang);
  return (
    <DataTable<F & { id: string }>
      label={label}
      rows={feeds.map((f) => ({ ...f, id: nameOf(f) }))}
      minWidth={720}
      columns={[
        {
          header: t('detectionStream.feed'),
          cell: (f) => (
            <Text size="sm" fw={600} style={{ whiteSpace: 'nowrap' }} data-testid="stream-feed">
              {nameOf(f)}
            </Text>
          ),
        },
        {
          header: t('detectionStream.feedStatus'),
          cell: (f) => (
            <Group gap={6} wrap="nowrap">
              <Badge
                color={FEED_COLOURS[feedState(f)]}
                variant="light"
                tt="none"
                style={{ minWidth: 'max-content' }}
                data-testid="stream-feed-status"
                data-status={feedState(f)}
              >
                {t(`detectionStream.feedStatuses.${feedState(f)}`)}
              </Badge>
              {f.stuck ? (
                <Badge
                  color="red"
                  variant="light"
                  tt="none"
                  style={{ minWidth: 'max-content' }}
                  title={dateTime(f.movedAt)}
                  data-testid="stream-feed-stuck"
                >
                  {t('detectionStream.stuck', { ago: ago(f.movedAt, lang) })}
                </Badge>
              ) : null}
            </Group>
          ),
        },
        {
          header: t('detectionStream.through'),
          cell: (f) => (
            <Text size="sm" style={{ whiteSpace: 'nowrap' }}>
              {dateTime(f.through)}
            </Text>
          ),
        },
        {
          header: t('detectionStream.heard'),
          cell: (f) => (
            <Text size="sm" title={dateTime(f.heardAt)} style={{ whiteSpace: 'nowrap' }}>
              {ago(f.heardAt, lang)}
            </Text>
          ),
        },
        {
          header: t('detectionStream.staged'),
          cell: (f) => (
            <Text size="sm" data-testid="stream-feed-staged">
              {number.format(f.staged)}
            </Text>
          ),
        },
        {
          header: t('detectionStream.late'),
          cell: (f) => (
            <Text size="sm" c={f.late ? 'red' : undefined} fw={f.late ? 600 : undefined}>
              {number.format(f.late)}
            </Text>
          ),
        },
        ...(action ? [{ header: '', cell: (f: F) => action(f) }] : []),
      ]}
    />
  );
}

/**
 * Every worker: what matters at 3 a.m. first (on a phone the rest scrolls sideways). The centre's
 * administrators may retire a worker that no longer runs (stalled or ended).
 */
function Workers({
  workers,
  mayRetire,
  onRetired,
}: {
  workers: StreamWorker[];
  mayRetire: boolean;
  onRetired: () => void;
}) {
  const { t, lang, dateTime } = useI18n();
  const number = new Intl.NumberFormat(lang);
  return (
    <DataTable<StreamWorker & { id: string }>
      label={t('detectionStream.workers')}
      rows={workers.map((w) => ({ ...w, id: w.worker }))}
      minWidth={760}
      columns={[
        {
          header: t('detectionStream.worker'),
          cell: (w) => (
            <Text
              size="sm"
              ff="monospace"
              fw={600}
              style={{ whiteSpace: 'nowrap' }}
              data-testid="stream-worker"
            >
              {w.worker}
            </Text>
          ),
        },
        {
          header: t('detectionStream.status'),
          cell: (w) => (
            <Group gap={4} wrap="nowrap">
              {workerStates(w).map((state) => (
                <Badge
                  key={state}
                  color={STATE_COLOURS[state]}
                  variant={state === 'stalled' || state === 'missed' ? 'filled' : 'light'}
                  tt="none"
                  style={{ minWidth: 'max-content' }}
                  data-testid="stream-worker-status"
                  data-status={state}
                >
                  {t(`detectionStream.statuses.${state}`)}
                </Badge>
              ))}
            </Group>
          ),
        },

        {
          header: t('detectionStream.behind'),
          cell: (w) => (
            <Text
              size="sm"
              fw={w.behind ? 600 : undefined}
              c={w.stalled || w.missed ? 'red' : undefined}
              data-testid="stream-behind"
            >
              {number.format(w.behind)}
            </Text>
          ),
        },
        {
          header: t('detectionStream.savedAt'),
          cell: (w) => (
            <Text size="sm" title={dateTime(w.savedAt)} style={{ whiteSpace: 'nowrap' }}>
              {ago(w.savedAt, lang)}
            </Text>
          ),
        },
        {
          header: t('detectionStream.partitions'),
          cell: (w) => <Text size="sm">{w.partitionSpec}</Text>,
        },
        { header: t('detectionStream.gseq'), cell: (w) => <Text size="sm">{number.format(w.gseq)}</Text> },
        {
          header: t('detectionStream.mode'),
          cell: (w) => (
            <Text size="sm" title={t(`detectionStream.modeHints.${w.mode}`)}>
              {t(`detectionStream.modes.${w.mode}`)}
            </Text>
          ),
        },
        ...(mayRetire
          ? [
              {
                header: '',
                cell: (w: StreamWorker) =>
                  w.retirable ? <RetireWorker worker={w} onDone={onRetired} /> : null,
              },
            ]
          : []),
      ]}
    />
  );
}
