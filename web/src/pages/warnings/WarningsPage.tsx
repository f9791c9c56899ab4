import {
  Anchor,
  Button,
  Checkbox,
  Group,
  NativeSelect,
  Paper,
  SegmentedControl,
  Stack,
  Text,
} from '@mantine/core';
import { useEffect, useState } from 'react';
import { DataTable } from '../../components/DataTable.tsx';
import { ErrorAlert } from '../../components/ErrorAlert.tsx';
import { Loadable } from '../../components/Loadable.tsx';
import { PageTitle } from '../../components/PageTitle.tsx';
import { useI18n } from '../../i18n/index.tsx';
import { linkProps, navigate } from '../../router.ts';
import { useApi } from '../../useApi.ts';
import { useCursorPages, type CursorPage } from '../../useCursorPages.ts';
import { currentChannel, nextToAct, queueOrder, yuan } from './helpers.ts';
import { AgeBadge, RiskBadge, TimeLeft, useNow, useWarningLabels } from './labels.tsx';
import { warningsApi, type WarningQuery, type WarningSummary } from './types.ts';

interface Filters {
  status: 'open' | 'closed';
  channel: '' | 'call' | 'visit';
  overdue: boolean;
}

const OPEN: Filters = { status: 'open', channel: '', overdue: false };
const PAGE = 100;
/** The queue reloads this often while the page is visible: new warnings arrive at any hour. */
export const REFRESH_MS = 15_000;

function queryOf(f: Filters): WarningQuery {
  return {
    status: f.status,
    ...(f.status === 'open' && f.channel ? { channel: f.channel } : {}),
    ...(f.status === 'open' && f.overdue ? { overdue: 'true' as const } : {}),
    limit: PAGE,
  };
}

/**
 * `/warnings`: the operators' queue of people to warn, most urgent first (priority, then the
 * nearest deadline), with the next one to call on top. Reloads every 15 s while visible.
 */
export function WarningsPage() {
  const { t, lang } = useI18n();
  const [filters, setFilters] = useState<Filters>(OPEN);
  const [loadedAt, setLoadedAt] = useState<number | null>(null);
  const [firstPage, reload] = useApi(
    () =>
      warningsApi.listWarnings(queryOf(filters)).then((page) => {
        setLoadedAt(Date.now());
        return page;
      }),
    [filters.status, filters.channel, filters.overdue],
  );

  useEffect(() => {
    const timer = window.setInterval(() => {
      if (document.visibilityState === 'visible') reload();
    }, REFRESH_MS);
    return () => window.clearInterval(timer);
  }, [reload]);

  const open = filters.status === 'open';
  const empty = !open
    ? t('warnings.emptyClosed')
    : filters.channel || filters.overdue
      ? t('warnings.emptyFiltered')
      : t('warnings.empty');

  return (
    <Stack gap="lg">
      <PageTitle title={t('warnings.title')} intro={t('warnings.intro')} />
      <Paper withBorder p="md" radius="md" role="form" aria-label={t('warnings.filters')}>
        <Group align="flex-end" gap="md" wrap="wrap">
          <Stack gap={4}>
            <Text size="sm" fw={500}>
              {t('warnings.show')}
            </Text>
            <SegmentedControl
              value={filters.status}
              onChange={(v) => setFilters({ ...filters, status: v as Filters['status'] })}
              data={[
                { value: 'open', label: t('warnings.showOpen') },
                { value: 'closed', label: t('warnings.showClosed') },
              ]}
            />
          </Stack>
          <NativeSelect
            label={t('warnings.channel')}
            value={filters.channel}
            disabled={!open}
            onChange={(e) => setFilters({ ...filters, channel: e.currentTarget.value as Filters['channel'] })}
            data={[
              { value: '', label: t('warnings.channelAny') },
              { value: 'call', label: t('warnings.channelCall') },
              { value: 'visit', label: t('warnings.channelVisit') },
            ]}
          />
          <Checkbox
            label={t('warnings.overdueOnly')}
            checked={filters.overdue}
            disabled={!open}
            onChange={(e) => setFilters({ ...filters, overdue: e.currentTarget.checked })}
            mb={8}
          />
          <Group gap="xs" ml="auto" align="center" mb={4}>
            {loadedAt ? (
              <Text size="xs" c="dimmed" data-testid="warnings-refreshed">
                {t('warnings.refreshed', {
                  time: new Intl.DateTimeFormat(lang, { timeStyle: 'medium' }).format(loadedAt),
                })}
              </Text>
            ) : null}
            <Button size="xs" variant="default" onClick={reload}>
              {t('warnings.refresh')}
            </Button>
          </Group>
        </Group>
      </Paper>
      <Loadable state={firstPage} onRetry={reload}>
        {(data) => <Queue first={data} query={queryOf(filters)} empty={empty} showNext={open} />}
      </Loadable>
    </Stack>
  );
}

/** The warning to take next, large, with its deadline: what an operator at 3 a.m. needs first. */
function NextWarning({ warning: w, now }: { warning: WarningSummary; now: number }) {
  const { t, lang } = useI18n();
  const labels = useWarningLabels();
  const channel = currentChannel(w.channelPlan);
  return (
    <Paper
      withBorder
      p="md"
      radius="md"
      data-testid="warning-next"
      data-reference={w.reference}
      style={{ borderLeft: '6px solid var(--mantine-color-red-6)' }}
    >
      <Group justify="space-between" align="center" gap="md" wrap="wrap">
        <Stack gap={4}>
          <Text size="xs" c="dimmed" tt="uppercase" fw={700}>
            {t('warnings.next')}
          </Text>
          <Group gap="xs" wrap="wrap">
            <Text fw={700} ff="monospace" size="lg">
              {w.reference}
            </Text>
            <RiskBadge risk={w.riskLevel} />
            <AgeBadge ageGroup={w.person.ageGroup} ageYears={w.person.ageYears} />
          </Group>
          <Text size="sm">
            {w.person.maskedName} · {labels.scamType(w.scamType)}
            {w.amountAtRisk ? ` · ${yuan(w.amountAtRisk, lang)}` : ''}
            {channel ? ` · ${labels.channel(channel)}` : ''}
          </Text>
        </Stack>
        <Group gap="md" align="center">
          <TimeLeft warning={w} now={now} size="lg" />
          <Button size="md" color="red" {...linkProps(`/warnings/${w.id}`)} component="a">
            {t('warnings.openNext')}
          </Button>
        </Group>
      </Group>
    </Paper>
  );
}

/** The rows: the first page, then more with the cursor. */
function Queue({
  first,
  query,
  empty,
  showNext,
}: {
  first: CursorPage<WarningSummary>;
  query: WarningQuery;
  empty: string;
  showNext: boolean;
}) {
  const { t, lang } = useI18n();
  const labels = useWarningLabels();
  const now = useNow();
  const { items, next, busy, error, more } = useCursorPages(first, (cursor) =>
    warningsApi.listWarnings({ ...query, cursor }),
  );
  const top = showNext ? nextToAct(items) : null;
  // Open warnings in the queue's order (as the server's, kept after appending a page); closed as given.
  const rows = showNext ? [...items].sort(queueOrder) : items;

  return (
    <Stack gap="sm">
      {top ? <NextWarning warning={top} now={now} /> : null}
      <DataTable<WarningSummary>
        label={t('warnings.queue')}
        rows={rows}
        empty={empty}
        minWidth={1000}
        onRowClick={(w) => navigate(`/warnings/${w.id}`)}
        columns={[
          {
            header: t('warnings.reference'),
            cell: (w) => (
              <Stack gap={0}>
                <Anchor
                  {...linkProps(`/warnings/${w.id}`)}
                  size="sm"
                  ff="monospace"
                  fw={w.id === top?.id ? 700 : undefined}
                  style={{ whiteSpace: 'nowrap' }}
                >
                  {w.reference}
                </Anchor>
                <Text size="xs" c="dimmed" style={{ whiteSpace: 'nowrap' }}>
                  {t('warnings.priority', { value: w.priority })}
                </Text>
              </Stack>
            ),
          },
          // What an operator reads first after the reference: how long is left.
          { header: t('warnings.timeLeft'), cell: (w) => <TimeLeft warning={w} now={now} /> },
          { header: t('warnings.risk'), cell: (w) => <RiskBadge risk={w.riskLevel} /> },
          {
            header: t('warnings.person'),
            cell: (w) => (
              <Stack gap={2} align="flex-start">
                <Text size="sm" style={{ whiteSpace: 'nowrap' }}>
                  {w.person.maskedName}{' '}
                  <Text span size="xs" c="dimmed" ff="monospace">
                    {w.person.maskedPhone}
                  </Text>
                </Text>
                <AgeBadge ageGroup={w.person.ageGroup} ageYears={w.person.ageYears} />
              </Stack>
            ),
          },
          {
            header: t('warnings.scamType'),
            cell: (w) => (
              <Text size="sm" data-testid="warning-scam-type">
                {labels.scamType(w.scamType)}
              </Text>
            ),
          },
          {
            header: t('warnings.amountAtRisk'),
            cell: (w) => (
              <Text size="sm" ta="right" style={{ whiteSpace: 'nowrap', fontVariantNumeric: 'tabular-nums' }}>
                {w.amountAtRisk ? yuan(w.amountAtRisk, lang) : t('common.none')}
              </Text>
            ),
          },
          {
            header: t('warnings.triggers'),
            cell: (w) => (
              <Text size="sm" ta="center" data-testid="warning-trigger-count">
                {w.triggerCount}
              </Text>
            ),
          },
          {
            header: t('warnings.currentChannel'),
            cell: (w) => {
              const c = currentChannel(w.channelPlan);
              return (
                <Text size="sm" style={{ whiteSpace: 'nowrap' }}>
                  {c ? labels.channel(c) : w.outcome ? labels.outcome(w.outcome.kind) : t('common.none')}
                </Text>
              );
            },
          },
        ]}
      />
      {error ? <ErrorAlert error={error} /> : null}
      <Group justify="space-between" wrap="wrap">
        <Text size="xs" c="dimmed">
          {items.length ? t('warnings.shown', { count: items.length }) : null}
        </Text>
        {next ? (
          <Button variant="default" size="xs" onClick={() => void more()} loading={busy}>
            {t('warnings.more')}
          </Button>
        ) : null}
      </Group>
    </Stack>
  );
}
