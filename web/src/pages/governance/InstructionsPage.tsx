import { Anchor, Button, Group, NativeSelect, Paper, Stack, Text } from '@mantine/core';
import { useState, type FormEvent } from 'react';
import {
  api,
  INSTRUCTION_MEASURES,
  INSTRUCTION_STATUSES,
  type Instruction,
  type InstructionMeasure,
  type InstructionQuery,
  type InstructionStatus,
} from '../../api.ts';
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
import { DeadlineText, InstructionState, TargetText, useInstructionLabels } from './labels.tsx';

interface Filters {
  status: InstructionStatus | '';
  measure: InstructionMeasure | '';
  overdue: 'true' | 'false' | '';
}

const ALL: Filters = { status: '', measure: '', overdue: '' };
const PAGE = 50;

function queryOf(f: Filters): InstructionQuery {
  return {
    ...(f.status ? { status: f.status } : {}),
    ...(f.measure ? { measure: f.measure } : {}),
    ...(f.overdue ? { overdue: f.overdue } : {}),
    limit: PAGE,
  };
}

/**
 * `/governance`: for the centre every instruction, for an operator, bank or internet service its
 * inbox (the server answers each with what they may see), newest first.
 */
export function InstructionsPage() {
  const { t } = useI18n();
  const labels = useInstructionLabels();
  const { session } = useSession();
  const centre = session.organisation.kind === 'anti_fraud_centre';
  const [draft, setDraft] = useState<Filters>(ALL);
  const [filters, setFilters] = useState<Filters>(ALL);
  const [firstPage, reload] = useApi(
    () => api.listInstructions(queryOf(filters)),
    [filters.status, filters.measure, filters.overdue],
  );

  function apply(e: FormEvent) {
    e.preventDefault();
    setFilters(draft);
  }

  const filtered = JSON.stringify(filters) !== JSON.stringify(ALL);

  return (
    <Stack gap="lg">
      <PageTitle
        title={t(centre ? 'governance.title' : 'governance.inboxTitle')}
        intro={t(centre ? 'governance.intro' : 'governance.inboxIntro')}
      />
      <Paper
        withBorder
        p="md"
        radius="md"
        component="form"
        onSubmit={apply}
        aria-label={t('governance.filters')}
      >
        <Group align="flex-end" gap="sm" wrap="wrap">
          <NativeSelect
            label={t('governance.status')}
            value={draft.status}
            onChange={(e) => setDraft({ ...draft, status: e.currentTarget.value as Filters['status'] })}
            data={[
              { value: '', label: t('governance.any') },
              // institutions never see an instruction awaiting approval
              ...INSTRUCTION_STATUSES.filter((s) => centre || s !== 'awaiting_approval').map((s) => ({
                value: s,
                label: labels.status(s),
              })),
            ]}
          />
          <NativeSelect
            label={t('governance.measure')}
            value={draft.measure}
            onChange={(e) => setDraft({ ...draft, measure: e.currentTarget.value as Filters['measure'] })}
            data={[
              { value: '', label: t('governance.any') },
              ...INSTRUCTION_MEASURES.map((m) => ({ value: m, label: labels.measure(m) })),
            ]}
          />
          <NativeSelect
            label={t('governance.overdue')}
            value={draft.overdue}
            onChange={(e) => setDraft({ ...draft, overdue: e.currentTarget.value as Filters['overdue'] })}
            data={[
              { value: '', label: t('governance.any') },
              { value: 'true', label: t('governance.overdueOnly') },
              { value: 'false', label: t('governance.overdueNot') },
            ]}
          />
          <Button type="submit">{t('governance.apply')}</Button>
        </Group>
      </Paper>

      <Loadable state={firstPage} onRetry={reload}>
        {(data) => (
          <List
            first={data}
            query={queryOf(filters)}
            centre={centre}
            empty={t(filtered ? 'governance.emptyFiltered' : 'governance.emptyInbox')}
          />
        )}
      </Loadable>
    </Stack>
  );
}

/** The rows: the first page, then more with the cursor. */
function List({
  first,
  query,
  centre,
  empty,
}: {
  first: { items: Instruction[]; next: string | null };
  query: InstructionQuery;
  centre: boolean;
  empty: string;
}) {
  const { t, lang, dateTime } = useI18n();
  const labels = useInstructionLabels();
  const { items, next, busy, error, more } = useCursorPages(first, (after) =>
    api.listInstructions({ ...query, after }),
  );

  return (
    <Stack gap="xs">
      <DataTable<Instruction>
        label={t('governance.queue')}
        rows={items}
        empty={empty}
        minWidth={centre ? 960 : 800}
        onRowClick={(i) => navigate(`/governance/${i.id}`)}
        columns={[
          {
            header: t('governance.measure'),
            cell: (i) => (
              <Anchor {...linkProps(`/governance/${i.id}`)} size="sm" style={{ whiteSpace: 'nowrap' }}>
                {labels.measure(i.measure)}
              </Anchor>
            ),
          },
          {
            header: t('governance.target'),
            cell: (i) => (
              <Stack gap={0}>
                <TargetText target={i.target} />
                <Text size="xs" c="dimmed">
                  {labels.target(i.target.kind)}
                </Text>
              </Stack>
            ),
          },
          ...(centre
            ? [
                {
                  header: t('governance.institution'),
                  cell: (i: Instruction) => <Text size="sm">{i.receivingOrganisation}</Text>,
                },
              ]
            : []),
          { header: t('governance.status'), cell: (i) => <InstructionState instruction={i} /> },
          { header: t('governance.deadline'), cell: (i) => <DeadlineText instruction={i} /> },
          {
            header: t('governance.created'),
            cell: (i) => (
              <Text size="sm" title={dateTime(i.createdAt)} style={{ whiteSpace: 'nowrap' }}>
                {ago(i.createdAt, lang)}
              </Text>
            ),
          },
        ]}
      />
      {error ? <ErrorAlert error={error} /> : null}
      <Group justify="space-between" wrap="wrap">
        <Text size="xs" c="dimmed">
          {items.length ? t('governance.shown', { count: items.length }) : null}
        </Text>
        {next ? (
          <Button variant="default" size="xs" onClick={() => void more()} loading={busy}>
            {t('governance.more')}
          </Button>
        ) : null}
      </Group>
    </Stack>
  );
}
