import { Alert, Anchor, Button, Group, NativeSelect, Paper, Stack, Text } from '@mantine/core';
import { useState, type FormEvent } from 'react';
import { api, REVIEW_REASONS, REVIEW_STATUSES, type Review } from '../../api.ts';
import { hasRole } from '../../capabilities.ts';
import { DataTable } from '../../components/DataTable.tsx';
import { Loadable } from '../../components/Loadable.tsx';
import { PageTitle } from '../../components/PageTitle.tsx';
import { useI18n } from '../../i18n/index.tsx';
import { linkProps, navigate } from '../../router.ts';
import { useSession } from '../../session.tsx';
import { useApi } from '../../useApi.ts';
import { percent, RegistryTabs, ReviewStatusBadge, useLabels } from './labels.tsx';

interface Filters {
  status: string;
  reason: string;
}

const OPEN: Filters = { status: 'open', reason: '' };
const LIMIT = 500;

/** Why a review is held, with what was hit: the allowlist entry, or the brand imitated. */
export function ReviewWhy({ review: r }: { review: Review }) {
  const { t } = useI18n();
  const labels = useLabels();
  const hit = r.details.protected;
  const look = r.details.lookalike;
  return (
    <Stack gap={2}>
      <Text size="sm">{labels.reviewReason(r.reason)}</Text>
      {hit ? (
        <Text size="xs" c="dimmed">
          {t('reviews.protectedBy', { label: hit.label })}
        </Text>
      ) : null}
      {look ? (
        <Text size="xs" c="dimmed">
          {t('registry.lookalike', { brand: look.brand, domain: look.domain })} ·{' '}
          {labels.lookalikeReason(look.reason)}
        </Text>
      ) : null}
    </Stack>
  );
}

/** `/registry/reviews`: the review queue; supervisors decide, auditors read. */
export function ReviewsPage() {
  const { t, dateTime } = useI18n();
  const labels = useLabels();
  const { session } = useSession();
  const canDecide = hasRole(session, 'supervisor');
  const [draft, setDraft] = useState<Filters>(OPEN);
  const [filters, setFilters] = useState<Filters>(OPEN);
  const [reviews, reload] = useApi(
    () => api.listReviews({ ...filters, limit: LIMIT }),
    [filters.status, filters.reason],
  );

  function apply(e: FormEvent) {
    e.preventDefault();
    setFilters(draft);
  }

  return (
    <Stack gap="lg">
      <PageTitle title={t('registry.title')} intro={t('reviews.intro')} />
      <RegistryTabs />
      {canDecide ? null : (
        <Alert color="gray" variant="light">
          {t('reviews.readOnly')}
        </Alert>
      )}
      <Paper
        withBorder
        p="md"
        radius="md"
        component="form"
        onSubmit={apply}
        aria-label={t('registry.filters')}
      >
        <Group align="flex-end" gap="sm" wrap="wrap">
          <NativeSelect
            label={t('reviews.status')}
            value={draft.status}
            onChange={(e) => setDraft({ ...draft, status: e.currentTarget.value })}
            data={REVIEW_STATUSES.map((s) => ({ value: s, label: labels.reviewStatus(s) }))}
          />
          <NativeSelect
            label={t('reviews.reason')}
            value={draft.reason}
            onChange={(e) => setDraft({ ...draft, reason: e.currentTarget.value })}
            data={[
              { value: '', label: t('registry.any') },
              ...REVIEW_REASONS.map((r) => ({ value: r, label: labels.reviewReason(r) })),
            ]}
          />
          <Button type="submit">{t('reviews.apply')}</Button>
        </Group>
      </Paper>
      <Loadable state={reviews} onRetry={reload}>
        {(data) => (
          <Stack gap="xs">
            <DataTable<Review>
              label={t('reviews.title')}
              rows={data.items}
              empty={filters.status === 'open' ? t('reviews.emptyOpen') : t('common.empty')}
              minWidth={960}
              onRowClick={(r) => navigate(`/registry/reviews/${r.id}`)}
              columns={[
                {
                  header: t('registry.value'),
                  cell: (r) => (
                    <Anchor
                      {...linkProps(`/registry/reviews/${r.id}`)}
                      size="sm"
                      style={{ wordBreak: 'break-all' }}
                    >
                      {r.value}
                    </Anchor>
                  ),
                },
                { header: t('registry.kind'), cell: (r) => labels.kind(r.kind) },
                { header: t('reviews.why'), cell: (r) => <ReviewWhy review={r} /> },
                { header: t('registry.category'), cell: (r) => labels.category(r.category) },
                { header: t('reviews.proposedConfidence'), cell: (r) => percent(r.proposedConfidence) },
                { header: t('reviews.proposer'), cell: (r) => r.proposer.name },
                { header: t('reviews.submissions'), cell: (r) => r.submissions },
                { header: t('reviews.createdAt'), cell: (r) => dateTime(r.createdAt) },
                { header: t('reviews.status'), cell: (r) => <ReviewStatusBadge status={r.status} /> },
              ]}
            />
            {data.items.length >= LIMIT ? (
              <Text size="xs" c="dimmed">
                {t('reviews.truncated', { count: LIMIT })}
              </Text>
            ) : null}
          </Stack>
        )}
      </Loadable>
    </Stack>
  );
}
