import { Alert, Anchor, Button, Group, NativeSelect, Paper, Stack, Text } from '@mantine/core';
import { useState, type FormEvent } from 'react';
import { api, REPORT_KINDS, REPORT_STATUSES, SCAM_CATEGORIES, type ReportQueueItem } from '../../api.ts';
import { hasRole } from '../../capabilities.ts';
import { DataTable } from '../../components/DataTable.tsx';
import { Loadable } from '../../components/Loadable.tsx';
import { PageTitle } from '../../components/PageTitle.tsx';
import { useI18n } from '../../i18n/index.tsx';
import { linkProps, navigate } from '../../router.ts';
import { useSession } from '../../session.tsx';
import { useApi } from '../../useApi.ts';
import { ago, ReportStatusBadge, UrgencyBadges, useReportLabels } from './reportLabels.tsx';

interface Filters {
  status: string;
  kind: string;
  category: string;
}

const OPEN: Filters = { status: 'open', kind: '', category: '' };
const LIMIT = 500;

/** `/reports`: the triage queue in the server's order (priority first); filters by status, kind, category. */
export function ReportsPage() {
  const { t, lang, dateTime } = useI18n();
  const labels = useReportLabels();
  const { session } = useSession();
  const canDecide = hasRole(session, 'analyst', 'supervisor');
  const [draft, setDraft] = useState<Filters>(OPEN);
  const [filters, setFilters] = useState<Filters>(OPEN);
  const [reports, reload] = useApi(
    () => api.listReports({ ...filters, limit: LIMIT }),
    [filters.status, filters.kind, filters.category],
  );

  function apply(e: FormEvent) {
    e.preventDefault();
    setFilters(draft);
  }

  return (
    <Stack gap="lg">
      <PageTitle title={t('reports.title')} intro={t('reports.intro')} />
      {canDecide ? null : (
        <Alert color="gray" variant="light">
          {t('reports.readOnly')}
        </Alert>
      )}
      <Paper
        withBorder
        p="md"
        radius="md"
        component="form"
        onSubmit={apply}
        aria-label={t('reports.filters')}
      >
        <Group align="flex-end" gap="sm" wrap="wrap">
          <NativeSelect
            label={t('reports.status')}
            value={draft.status}
            onChange={(e) => setDraft({ ...draft, status: e.currentTarget.value })}
            data={REPORT_STATUSES.map((s) => ({ value: s, label: labels.status(s) }))}
          />
          <NativeSelect
            label={t('reports.kind')}
            value={draft.kind}
            onChange={(e) => setDraft({ ...draft, kind: e.currentTarget.value })}
            data={[
              { value: '', label: t('reports.any') },
              ...REPORT_KINDS.map((k) => ({ value: k, label: labels.kind(k) })),
            ]}
          />
          <NativeSelect
            label={t('reports.category')}
            value={draft.category}
            onChange={(e) => setDraft({ ...draft, category: e.currentTarget.value })}
            data={[
              { value: '', label: t('reports.any') },
              ...SCAM_CATEGORIES.map((c) => ({ value: c, label: labels.category(c) })),
            ]}
          />
          <Button type="submit">{t('reports.apply')}</Button>
        </Group>
      </Paper>
      <Loadable state={reports} onRetry={reload}>
        {(data) => (
          <Stack gap="xs">
            <DataTable<ReportQueueItem>
              label={t('reports.queue')}
              rows={data.items}
              empty={filters.status === 'open' ? t('reports.emptyOpen') : t('common.empty')}
              minWidth={1040}
              onRowClick={(r) => navigate(`/reports/${r.id}`)}
              columns={[
                {
                  header: t('reports.priority'),
                  cell: (r) => (
                    <Text size="sm" fw={700} data-testid="report-priority">
                      {Math.round(r.priority)}
                    </Text>
                  ),
                },
                {
                  header: t('reports.receiptCode'),
                  cell: (r) => (
                    <Anchor
                      {...linkProps(`/reports/${r.id}`)}
                      size="sm"
                      ff="monospace"
                      style={{ whiteSpace: 'nowrap' }}
                    >
                      {r.receiptCode}
                    </Anchor>
                  ),
                },
                { header: t('reports.flags'), cell: (r) => <UrgencyBadges item={r} /> },
                { header: t('reports.reporters'), cell: (r) => r.reporters },
                { header: t('reports.kind'), cell: (r) => labels.kind(r.kind) },
                { header: t('reports.category'), cell: (r) => labels.category(r.category) },
                {
                  header: t('reports.summary'),
                  cell: (r) => (
                    <Text size="sm" lineClamp={2} maw={360} style={{ wordBreak: 'break-word' }}>
                      {r.summary || t('common.none')}
                    </Text>
                  ),
                },
                {
                  header: t('reports.age'),
                  cell: (r) => (
                    <Text size="sm" title={dateTime(r.createdAt)} style={{ whiteSpace: 'nowrap' }}>
                      {ago(r.createdAt, lang)}
                    </Text>
                  ),
                },
                { header: t('reports.status'), cell: (r) => <ReportStatusBadge status={r.status} /> },
              ]}
            />
            {data.items.length >= LIMIT ? (
              <Text size="xs" c="dimmed">
                {t('reports.truncated', { count: LIMIT })}
              </Text>
            ) : null}
          </Stack>
        )}
      </Loadable>
    </Stack>
  );
}
