import { Anchor, Button, Group, NativeSelect, Paper, Stack, TextInput } from '@mantine/core';
import { useState, type FormEvent } from 'react';
import { api, INDICATOR_KINDS, LISTING_STATUSES, SCAM_CATEGORIES, type Listing } from '../../api.ts';
import { hasRole } from '../../capabilities.ts';
import { DataTable } from '../../components/DataTable.tsx';
import { ErrorAlert } from '../../components/ErrorAlert.tsx';
import { Loadable } from '../../components/Loadable.tsx';
import { PageTitle } from '../../components/PageTitle.tsx';
import { useI18n } from '../../i18n/index.tsx';
import { linkProps, navigate } from '../../router.ts';
import { useSession } from '../../session.tsx';
import { useApi } from '../../useApi.ts';
import { percent, RegistryTabs, StatusBadge, useLabels } from './labels.tsx';
import { ListIndicatorForm } from './ListIndicatorForm.tsx';

interface Filters {
  q: string;
  kind: string;
  category: string;
  status: string;
}

const NO_FILTERS: Filters = { q: '', kind: '', category: '', status: '' };
const PAGE = 50;

/** `/registry`: search the listings; analysts and supervisors list new indicators. */
export function ListingsPage() {
  const { t, dateTime } = useI18n();
  const labels = useLabels();
  const { session } = useSession();
  const canWrite = hasRole(session, 'analyst', 'supervisor');
  const [draft, setDraft] = useState<Filters>(NO_FILTERS);
  const [filters, setFilters] = useState<Filters>(NO_FILTERS);
  const [listings, reload] = useApi(
    () => api.searchListings({ ...filters, limit: PAGE }),
    [filters.q, filters.kind, filters.category, filters.status],
  );
  const [more, setMore] = useState<{ items: Listing[]; cursor: string | null; key: string } | null>(null);
  const [moreBusy, setMoreBusy] = useState(false);
  const [moreError, setMoreError] = useState<unknown>(null);
  const filterKey = JSON.stringify(filters);

  function search(e: FormEvent) {
    e.preventDefault();
    setMore(null);
    setFilters({ ...draft, q: draft.q.trim() });
  }

  async function loadMore(cursor: string) {
    setMoreBusy(true);
    setMoreError(null);
    try {
      const page = await api.searchListings({ ...filters, limit: PAGE, cursor });
      setMore((m) => ({
        items: [...(m?.key === filterKey ? m.items : []), ...page.items],
        cursor: page.nextCursor,
        key: filterKey,
      }));
    } catch (err) {
      setMoreError(err);
    } finally {
      setMoreBusy(false);
    }
  }

  const select = (
    key: keyof Filters,
    label: string,
    options: readonly string[],
    name: (v: string) => string,
  ) => (
    <NativeSelect
      label={label}
      value={draft[key]}
      onChange={(e) => setDraft({ ...draft, [key]: e.currentTarget.value })}
      data={[{ value: '', label: t('registry.any') }, ...options.map((v) => ({ value: v, label: name(v) }))]}
    />
  );

  return (
    <Stack gap="lg">
      <PageTitle title={t('registry.title')} intro={t('registry.intro')} />
      <RegistryTabs />
      <Paper
        withBorder
        p="md"
        radius="md"
        component="form"
        onSubmit={search}
        aria-label={t('registry.filters')}
      >
        <Group align="flex-end" gap="sm" wrap="wrap">
          <TextInput
            label={t('registry.q')}
            placeholder={t('registry.qPlaceholder')}
            value={draft.q}
            onChange={(e) => setDraft({ ...draft, q: e.currentTarget.value })}
            miw={240}
            style={{ flex: 1 }}
          />
          {select('kind', t('registry.kind'), INDICATOR_KINDS, labels.kind)}
          {select('category', t('registry.category'), SCAM_CATEGORIES, labels.category)}
          {select('status', t('registry.status'), LISTING_STATUSES, labels.status)}
          <Button type="submit">{t('common.search')}</Button>
        </Group>
      </Paper>
      <Loadable state={listings} onRetry={reload}>
        {(data) => {
          const extra = more?.key === filterKey ? more : null;
          const rows = [...data.items, ...(extra?.items ?? [])];
          const cursor = extra ? extra.cursor : data.nextCursor;
          return (
            <Stack gap="sm">
              <DataTable<Listing>
                label={t('registry.listings')}
                rows={rows}
                minWidth={900}
                onRowClick={(l) => navigate(`/registry/listings/${l.id}`)}
                columns={[
                  { header: t('registry.kind'), cell: (l) => labels.kind(l.kind) },
                  {
                    header: t('registry.value'),
                    cell: (l) => (
                      <Anchor
                        {...linkProps(`/registry/listings/${l.id}`)}
                        size="sm"
                        style={{ wordBreak: 'break-all' }}
                      >
                        {l.value}
                      </Anchor>
                    ),
                  },
                  { header: t('registry.category'), cell: (l) => labels.category(l.category) },
                  { header: t('registry.confidence'), cell: (l) => percent(l.confidence) },
                  { header: t('registry.status'), cell: (l) => <StatusBadge status={l.status} /> },
                  { header: t('registry.lastSeen'), cell: (l) => dateTime(l.lastSeen) },
                  {
                    header: t('registry.expiresAt'),
                    cell: (l) => (l.expiresAt ? dateTime(l.expiresAt) : t('registry.neverExpires')),
                  },
                ]}
              />
              {moreError ? <ErrorAlert error={moreError} /> : null}
              {cursor ? (
                <Group>
                  <Button variant="default" loading={moreBusy} onClick={() => void loadMore(cursor)}>
                    {t('registry.more')}
                  </Button>
                </Group>
              ) : null}
            </Stack>
          );
        }}
      </Loadable>
      {canWrite ? <ListIndicatorForm onListed={reload} /> : null}
    </Stack>
  );
}
