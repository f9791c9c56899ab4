import { Anchor, Badge, Button, Group, NativeSelect, Paper, Stack, Text, Tooltip } from '@mantine/core';
import { useState, type FormEvent } from 'react';
import { api, APPEAL_STATUSES, type Appeal, type AppealQuery, type AppealStatus } from '../../api.ts';
import { hasRole } from '../../capabilities.ts';
import { DataTable } from '../../components/DataTable.tsx';
import { ErrorAlert } from '../../components/ErrorAlert.tsx';
import { Loadable } from '../../components/Loadable.tsx';
import { PageTitle } from '../../components/PageTitle.tsx';
import { useI18n } from '../../i18n/index.tsx';
import { linkProps, navigate } from '../../router.ts';
import { useSession } from '../../session.tsx';
import { useApi } from '../../useApi.ts';
import { useCursorPages } from '../../useCursorPages.ts';
import { AppealStatusBadge, useAppealLabels } from '../appeal/labels.tsx';
import { ago } from '../reports/reportLabels.tsx';
import { OverdueBadge } from './labels.tsx';
import { AppealStatistics } from './AppealStatistics.tsx';

interface Filters {
  status: AppealStatus | '';
  overdue: 'true' | 'false' | '';
}

const ALL: Filters = { status: '', overdue: '' };
const PAGE = 50;

function queryOf(f: Filters): AppealQuery {
  return {
    ...(f.status ? { status: f.status } : {}),
    ...(f.overdue ? { overdue: f.overdue } : {}),
    limit: PAGE,
  };
}

/**
 * `/governance/appeals`: the review queue by service deadline. The centre sees every appeal; an
 * institution those against its measures and those taken at its counters (the server decides).
 */
export function AppealsPage() {
  const { t } = useI18n();
  const labels = useAppealLabels();
  const { session } = useSession();
  const centre = session.organisation.kind === 'anti_fraud_centre';
  const [draft, setDraft] = useState<Filters>(ALL);
  const [filters, setFilters] = useState<Filters>(ALL);
  const [firstPage, reload] = useApi(
    () => api.listAppeals(queryOf(filters)),
    [filters.status, filters.overdue],
  );

  function apply(e: FormEvent) {
    e.preventDefault();
    setFilters(draft);
  }

  const filtered = JSON.stringify(filters) !== JSON.stringify(ALL);

  return (
    <Stack gap="lg">
      <PageTitle
        title={t('appeals.title')}
        intro={t(centre ? 'appeals.intro' : 'appeals.institutionIntro')}
      />
      {centre && hasRole(session, 'analyst', 'supervisor', 'auditor') ? <AppealStatistics /> : null}
      <Paper
        withBorder
        p="md"
        radius="md"
        component="form"
        onSubmit={apply}
        aria-label={t('appeals.filters')}
      >
        <Group align="flex-end" gap="sm" wrap="wrap">
          <NativeSelect
            label={t('appeals.status')}
            value={draft.status}
            onChange={(e) => setDraft({ ...draft, status: e.currentTarget.value as Filters['status'] })}
            data={[
              { value: '', label: t('appeals.any') },
              ...APPEAL_STATUSES.map((s) => ({ value: s, label: labels.status(s) })),
            ]}
          />
          <NativeSelect
            label={t('appeals.overdue')}
            value={draft.overdue}
            onChange={(e) => setDraft({ ...draft, overdue: e.currentTarget.value as Filters['overdue'] })}
            data={[
              { value: '', label: t('appeals.any') },
              { value: 'true', label: t('appeals.overdueOnly') },
              { value: 'false', label: t('appeals.overdueNot') },
            ]}
          />
          <Button type="submit">{t('appeals.apply')}</Button>
        </Group>
      </Paper>
      <Loadable state={firstPage} onRetry={reload}>
        {(data) => (
          <List
            first={data}
            query={queryOf(filters)}
            empty={t(filtered ? 'appeals.emptyFiltered' : 'appeals.empty')}
          />
        )}
      </Loadable>
    </Stack>
  );
}

/** Whose the card is by the institutions' records, and whether the identity is on record. */
export function RecordBadges({ appeal: a }: { appeal: Appeal }) {
  const { t } = useI18n();
  const labels = useAppealLabels();
  const holderColour =
    a.holderOnRecord === 'appellant' ? 'green' : a.holderOnRecord === 'other' ? 'red' : 'gray';
  return (
    <Group gap={4} wrap="wrap" data-testid="appeal-record">
      <Badge
        color={holderColour}
        variant="light"
        tt="none"
        size="sm"
        style={{ minWidth: 'max-content' }}
        data-testid="appeal-holder"
        data-holder={a.holderOnRecord}
      >
        {labels.holder(a.holderOnRecord)}
      </Badge>
      <Tooltip label={t('appeals.identityHint')} withArrow>
        <Badge
          color={a.identityOnRecord ? 'green' : 'gray'}
          variant="outline"
          tt="none"
          size="sm"
          style={{ minWidth: 'max-content' }}
          data-testid="appeal-identity"
        >
          {t(a.identityOnRecord ? 'appeals.identityOnRecord' : 'appeals.identityNotOnRecord')}
        </Badge>
      </Tooltip>
    </Group>
  );
}

/** The rows: the first page, then more with the cursor. */
function List({
  first,
  query,
  empty,
}: {
  first: { items: Appeal[]; next: string | null };
  query: AppealQuery;
  empty: string;
}) {
  const { t, lang, date, dateTime } = useI18n();
  const labels = useAppealLabels();
  const { items, next, busy, error, more } = useCursorPages(first, (after) =>
    api.listAppeals({ ...query, after }),
  );

  return (
    <Stack gap="xs">
      <DataTable<Appeal>
        label={t('appeals.queue')}
        rows={items}
        empty={empty}
        minWidth={900}
        onRowClick={(a) => navigate(`/governance/appeals/${a.id}`)}
        columns={[
          {
            header: t('appeals.receipt'),
            cell: (a) => (
              <Anchor
                {...linkProps(`/governance/appeals/${a.id}`)}
                size="sm"
                ff="monospace"
                style={{ whiteSpace: 'nowrap' }}
              >
                {a.receiptCode}
              </Anchor>
            ),
          },
          {
            header: t('appeals.subject'),
            cell: (a) => (
              <Stack gap={0}>
                <Text size="sm" ff="monospace" style={{ whiteSpace: 'nowrap' }}>
                  {a.subject.kind === 'person' ? labels.subject('person') : a.subject.value}
                </Text>
                {a.subject.kind !== 'person' ? (
                  <Text size="xs" c="dimmed">
                    {labels.subject(a.subject.kind)}
                  </Text>
                ) : null}
              </Stack>
            ),
          },
          {
            header: t('appeals.appellant'),
            cell: (a) => (
              <Text size="sm" style={{ whiteSpace: 'nowrap' }}>
                {a.appellant}
              </Text>
            ),
          },
          { header: t('appeals.onRecord'), cell: (a) => <RecordBadges appeal={a} /> },
          {
            header: t('appeals.measures'),
            cell: (a) => (
              <Text size="sm" ta="center" data-testid="appeal-measure-count">
                {a.measureCount}
              </Text>
            ),
          },
          {
            header: t('appeals.status'),
            cell: (a) => (
              <Group gap={4} wrap="nowrap">
                <AppealStatusBadge status={a.status} />
                {a.overdue ? <OverdueBadge /> : null}
              </Group>
            ),
          },
          {
            header: t('appeals.respondBy'),
            cell: (a) => (
              <Stack gap={0}>
                <Text
                  size="sm"
                  c={a.overdue ? 'red' : undefined}
                  fw={a.overdue ? 700 : undefined}
                  style={{ whiteSpace: 'nowrap' }}
                >
                  {date(a.respondBy)}
                </Text>
                <Text size="xs" c="dimmed" title={dateTime(a.createdAt)} style={{ whiteSpace: 'nowrap' }}>
                  {t('appeals.receivedAgo', { ago: ago(a.createdAt, lang) })}
                </Text>
              </Stack>
            ),
          },
        ]}
      />
      {error ? <ErrorAlert error={error} /> : null}
      <Group justify="space-between" wrap="wrap">
        <Text size="xs" c="dimmed">
          {items.length ? t('appeals.shown', { count: items.length }) : null}
        </Text>
        {next ? (
          <Button variant="default" size="xs" onClick={() => void more()} loading={busy}>
            {t('appeals.more')}
          </Button>
        ) : null}
      </Group>
    </Stack>
  );
}
