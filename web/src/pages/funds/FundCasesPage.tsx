import { Anchor, Button, Group, NativeSelect, Stack, Text } from '@mantine/core';
import { useState } from 'react';
import { DataTable } from '../../components/DataTable.tsx';
import { ErrorAlert } from '../../components/ErrorAlert.tsx';
import { Loadable } from '../../components/Loadable.tsx';
import { PageTitle } from '../../components/PageTitle.tsx';
import { useI18n } from '../../i18n/index.tsx';
import { linkProps, navigate } from '../../router.ts';
import { useSession } from '../../session.tsx';
import { useApi } from '../../useApi.ts';
import { useCursorPages } from '../../useCursorPages.ts';
import { FundStatistics } from './FundStatistics.tsx';
import { fundsApi } from './fundsApi.ts';
import { fen, FundStatusBadge, mayActOnCases, since } from './labels.tsx';
import { OpenCaseForm } from './OpenCaseForm.tsx';
import { FUND_CASE_STATUSES, type CursorList, type FundCaseStatus, type FundCaseSummary } from './types.ts';

/**
 * `/funds/cases`: the centre's fund cases, newest first, with what was lost and what was stopped,
 * frozen and returned so far; the figures of the period above, and "open a case" for analysts.
 */
export function FundCasesPage() {
  const { t } = useI18n();
  const { session } = useSession();
  const [status, setStatus] = useState<FundCaseStatus | ''>('');
  const [first, reload] = useApi(() => fundsApi.listCases({ status }), [status]);
  return (
    <Stack gap="lg">
      <PageTitle title={t('funds.casesTitle')} intro={t('funds.casesIntro')}>
        {mayActOnCases(session) ? (
          <Group>
            <OpenCaseForm />
          </Group>
        ) : null}
      </PageTitle>
      <FundStatistics />
      <Group align="flex-end" gap="sm">
        <NativeSelect
          label={t('funds.status')}
          value={status}
          onChange={(e) => setStatus(e.currentTarget.value as FundCaseStatus | '')}
          data={[
            { value: '', label: t('funds.any') },
            ...FUND_CASE_STATUSES.map((s) => ({ value: s, label: t(`funds.statuses.${s}`) })),
          ]}
        />
      </Group>
      <Loadable state={first} onRetry={reload}>
        {(data) => <CaseList first={data} status={status} />}
      </Loadable>
    </Stack>
  );
}

function CaseList({ first, status }: { first: CursorList<FundCaseSummary>; status: FundCaseStatus | '' }) {
  const { t, lang, dateTime } = useI18n();
  const { items, next, busy, error, more } = useCursorPages(first, (cursor) =>
    fundsApi.listCases({ status, cursor }),
  );
  return (
    <Stack gap="xs">
      <DataTable<FundCaseSummary>
        label={t('funds.casesTitle')}
        rows={items}
        empty={t('funds.casesEmpty')}
        minWidth={960}
        onRowClick={(c) => navigate(`/funds/cases/${c.id}`)}
        columns={[
          {
            header: t('funds.reference'),
            cell: (c) => (
              <Anchor
                {...linkProps(`/funds/cases/${c.id}`)}
                size="sm"
                ff="monospace"
                style={{ whiteSpace: 'nowrap' }}
                data-testid="funds-case-link"
              >
                {c.reference}
              </Anchor>
            ),
          },
          { header: t('funds.status'), cell: (c) => <FundStatusBadge status={c.status} /> },
          {
            header: t('funds.victims'),
            cell: (c) => (
              <Text size="sm" ta="center">
                {c.victimCount ?? c.victims?.length ?? '—'}
              </Text>
            ),
          },
          { header: t('funds.loss'), cell: (c) => <Amount value={fen(c.lossTotal, lang)} /> },
          { header: t('funds.stopped'), cell: (c) => <Amount value={fen(c.totals.stopped, lang)} /> },
          { header: t('funds.frozen'), cell: (c) => <Amount value={fen(c.totals.frozen, lang)} /> },
          { header: t('funds.returned'), cell: (c) => <Amount value={fen(c.totals.returned, lang)} /> },
          {
            header: t('funds.opened'),
            cell: (c) => (
              <Text size="sm" title={dateTime(c.openedAt)} style={{ whiteSpace: 'nowrap' }}>
                {c.status === 'open'
                  ? t('funds.openFor', { span: since(c.openedAt, t) })
                  : dateTime(c.openedAt)}
              </Text>
            ),
          },
        ]}
      />
      {error ? <ErrorAlert error={error} /> : null}
      <Group justify="space-between" wrap="wrap">
        <Text size="xs" c="dimmed">
          {items.length ? t('funds.shown', { count: items.length }) : null}
        </Text>
        {next ? (
          <Button variant="default" size="xs" onClick={() => void more()} loading={busy}>
            {t('funds.more')}
          </Button>
        ) : null}
      </Group>
    </Stack>
  );
}

function Amount({ value }: { value: string }) {
  return (
    <Text size="sm" style={{ whiteSpace: 'nowrap', fontVariantNumeric: 'tabular-nums' }}>
      {value}
    </Text>
  );
}
