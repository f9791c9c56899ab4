import {
  Alert,
  Anchor,
  Group,
  List,
  NativeSelect,
  Paper,
  SimpleGrid,
  Stack,
  Text,
  Title,
} from '@mantine/core';
import { useState } from 'react';
import { api, SCAM_CATEGORIES, type Review, type ScamCategory } from '../../api.ts';
import { hasRole } from '../../capabilities.ts';
import { DataTable } from '../../components/DataTable.tsx';
import { Loadable } from '../../components/Loadable.tsx';
import { PageTitle } from '../../components/PageTitle.tsx';
import { useI18n } from '../../i18n/index.tsx';
import { linkProps } from '../../router.ts';
import { useSession } from '../../session.tsx';
import { useApi } from '../../useApi.ts';
import { percent, ReviewStatusBadge, useLabels } from './labels.tsx';
import { ReasonDialog } from './ReasonDialog.tsx';
import { ReviewWhy } from './ReviewsPage.tsx';
import { Field } from '../../components/Field.tsx';

/** `/registry/reviews/:id`: the candidate, why it is held, its source and evidence; the decision. */
export function ReviewDetailPage({ id }: { id: string }) {
  const { t } = useI18n();
  const [review, reload] = useApi(() => api.getReview(id), [id]);
  return (
    <Stack gap="md">
      <Anchor {...linkProps('/registry/reviews')} size="sm">
        ← {t('reviews.back')}
      </Anchor>
      <Loadable state={review} onRetry={reload}>
        {(r) => <Detail review={r} onDecided={reload} />}
      </Loadable>
    </Stack>
  );
}

function Detail({ review: r, onDecided }: { review: Review; onDecided: () => void }) {
  const { t, dateTime, lookup } = useI18n();
  const labels = useLabels();
  const { session } = useSession();
  // As the server's decision route: supervisors of the centre; auditors read.
  const canDecide = hasRole(session, 'supervisor') && r.status === 'open';
  const [category, setCategory] = useState<ScamCategory>(r.category);
  const source = r.details.source;
  const evidence = r.details.evidence ?? [];
  const expiresAt = r.details.expiresAt;

  return (
    <Stack gap="lg">
      <PageTitle title={t('reviews.detailTitle')}>
        <Group gap="sm" wrap="wrap">
          <Title order={3} size="h4" style={{ wordBreak: 'break-all' }}>
            {r.value}
          </Title>
          <ReviewStatusBadge status={r.status} />
          {canDecide ? (
            <>
              <ReasonDialog
                button={t('reviews.accept')}
                title={t('reviews.acceptTitle')}
                body={t('reviews.acceptBody', { value: r.value })}
                confirm={t('reviews.acceptConfirm')}
                color="green"
                action={(reason) =>
                  api.decideReview(r.id, {
                    decision: 'accept',
                    reason,
                    ...(category !== r.category ? { category } : {}),
                  })
                }
                onDone={onDecided}
              >
                <NativeSelect
                  label={t('reviews.listAs')}
                  value={category}
                  onChange={(e) => setCategory(e.currentTarget.value as ScamCategory)}
                  data={SCAM_CATEGORIES.map((c) => ({ value: c, label: labels.category(c) }))}
                />
              </ReasonDialog>
              <ReasonDialog
                button={t('reviews.reject')}
                title={t('reviews.rejectTitle')}
                body={t('reviews.rejectBody', { value: r.value })}
                confirm={t('reviews.rejectConfirm')}
                action={(reason) => api.decideReview(r.id, { decision: 'reject', reason })}
                onDone={onDecided}
              />
            </>
          ) : null}
        </Group>
      </PageTitle>

      {r.status === 'open' && r.reason === 'protected_indicator' ? (
        <Alert color="orange" variant="light">
          {t('reviews.protectedHint')}
        </Alert>
      ) : null}

      {r.status !== 'open' ? (
        <Alert color={r.status === 'accepted' ? 'red' : 'gray'} variant="light" data-testid="review-decision">
          <Stack gap={4}>
            <Text size="sm" fw={600}>
              {t(r.status === 'accepted' ? 'reviews.decidedAccepted' : 'reviews.decidedRejected', {
                name: r.decidedBy ?? t('common.none'),
                at: dateTime(r.decidedAt),
              })}
            </Text>
            {r.decisionReason ? <Text size="sm">{r.decisionReason}</Text> : null}
          </Stack>
        </Alert>
      ) : null}

      <Paper withBorder p="md" radius="md">
        <SimpleGrid cols={{ base: 2, sm: 4 }} spacing="md">
          <Field label={t('registry.kind')}>{labels.kind(r.kind)}</Field>
          <Field label={t('reviews.proposedCategory')}>{labels.category(r.category)}</Field>
          <Field label={t('reviews.proposedConfidence')}>{percent(r.proposedConfidence)}</Field>
          <Field label={t('reviews.why')}>
            <ReviewWhy review={r} />
          </Field>
          <Field label={t('reviews.proposer')}>
            {r.proposer.name}
            {` · ${lookup(`sourceKinds.${r.proposer.kind}`) ?? r.proposer.kind}`}
          </Field>
          <Field label={t('reviews.submissions')}>{r.submissions}</Field>
          <Field label={t('reviews.createdAt')}>{dateTime(r.createdAt)}</Field>
          <Field label={t('reviews.requestedExpiry')}>
            {expiresAt === undefined
              ? t('reviews.defaultExpiry')
              : expiresAt === null
                ? t('registry.neverExpires')
                : dateTime(new Date(expiresAt).toISOString())}
          </Field>
          {r.listingId ? (
            <Field label={t('reviews.listing')}>
              <Anchor {...linkProps(`/registry/listings/${r.listingId}`)} size="sm">
                {t('registry.openListing')}
              </Anchor>
            </Field>
          ) : null}
        </SimpleGrid>
      </Paper>

      <Stack gap="xs">
        <Title order={3} size="h4">
          {t('registry.sources')}
        </Title>
        <DataTable
          label={t('registry.sources')}
          minWidth={420}
          rows={source ? [{ ...source, id: 'source' }] : []}
          columns={[
            { header: t('registry.sourceKind'), cell: (s) => lookup(`sourceKinds.${s.kind}`) ?? s.kind },
            { header: t('registry.reporter'), cell: (s) => s.reporterRef || t('common.none') },
            { header: t('registry.trust'), cell: (s) => percent(s.trust) },
          ]}
        />
      </Stack>

      <Stack gap="xs">
        <Title order={3} size="h4">
          {t('registry.evidence')}
        </Title>
        {evidence.length ? (
          <List size="sm" data-testid="review-evidence">
            {evidence.map((e) => (
              <List.Item key={e} style={{ wordBreak: 'break-all' }}>
                {e}
              </List.Item>
            ))}
          </List>
        ) : (
          <Text size="sm" c="dimmed">
            {t('reviews.noEvidence')}
          </Text>
        )}
      </Stack>
    </Stack>
  );
}
