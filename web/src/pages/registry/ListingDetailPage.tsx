import { Anchor, Badge, Group, Paper, SimpleGrid, Stack, Text, Timeline, Title } from '@mantine/core';
import { api, type ListingDetail, type ListingState } from '../../api.ts';
import { hasRole } from '../../capabilities.ts';
import { DataTable } from '../../components/DataTable.tsx';
import { Loadable } from '../../components/Loadable.tsx';
import { PageTitle } from '../../components/PageTitle.tsx';
import { useI18n } from '../../i18n/index.tsx';
import { linkProps } from '../../router.ts';
import { useSession } from '../../session.tsx';
import { useApi } from '../../useApi.ts';
import { EditListingDialog } from './EditListingDialog.tsx';
import { percent, StatusBadge, useLabels } from './labels.tsx';
import { ReasonDialog } from './ReasonDialog.tsx';
import { Field } from '../../components/Field.tsx';

/** `/registry/listings/:id`: the listing, its sources, history and sightings; changing and delisting. */
export function ListingDetailPage({ id }: { id: string }) {
  const { t } = useI18n();
  const [listing, reload] = useApi(() => api.getListing(id), [id]);
  return (
    <Stack gap="md">
      <Anchor {...linkProps('/registry')} size="sm">
        ← {t('registry.back')}
      </Anchor>
      <Loadable state={listing} onRetry={reload}>
        {(l) => <Detail listing={l} onChanged={reload} />}
      </Loadable>
    </Stack>
  );
}

function Detail({ listing: l, onChanged }: { listing: ListingDetail; onChanged: () => void }) {
  const { t, dateTime, date, lookup } = useI18n();
  const labels = useLabels();
  const { session } = useSession();
  // As the server's PATCH and delist routes: analysts and supervisors of the centre.
  const canEdit = hasRole(session, 'analyst', 'supervisor');
  const canDelist = canEdit && l.status !== 'delisted';
  return (
    <Stack gap="lg">
      <PageTitle title={t('registry.detailTitle')}>
        <Group gap="sm" wrap="wrap">
          <Title order={3} size="h4" style={{ wordBreak: 'break-all' }}>
            {l.value}
          </Title>
          <StatusBadge status={l.status} />
          {l.lookalike ? (
            <Badge color="orange" variant="light">
              {t('registry.lookalike', { brand: l.lookalike.brand, domain: l.lookalike.domain })}
            </Badge>
          ) : null}
          {canEdit ? <EditListingDialog listing={l} onDone={onChanged} /> : null}
          {canDelist ? (
            <ReasonDialog
              button={t('registry.delist')}
              title={t('registry.delistTitle')}
              body={t('registry.delistBody', { value: l.value })}
              confirm={t('registry.delistConfirm')}
              action={(reason) => api.delistListing(l.id, reason)}
              onDone={onChanged}
            />
          ) : null}
        </Group>
      </PageTitle>
      <Paper withBorder p="md" radius="md">
        <SimpleGrid cols={{ base: 2, sm: 4 }} spacing="md">
          <Field label={t('registry.kind')}>{labels.kind(l.kind)}</Field>
          <Field label={t('registry.category')}>{labels.category(l.category)}</Field>
          <Field label={t('registry.confidence')}>{percent(l.confidence)}</Field>
          <Field label={t('registry.expiresAt')}>
            {l.expiresAt ? dateTime(l.expiresAt) : t('registry.neverExpires')}
          </Field>
          <Field label={t('registry.firstSeen')}>{dateTime(l.firstSeen)}</Field>
          <Field label={t('registry.lastSeen')}>{dateTime(l.lastSeen)}</Field>
          <Field label={t('registry.evidence')}>
            {l.evidence.length ? l.evidence.join(', ') : t('common.none')}
          </Field>
        </SimpleGrid>
      </Paper>

      <Stack gap="xs">
        <Title order={3} size="h4">
          {t('registry.history')}
        </Title>
        <Timeline bulletSize={14} lineWidth={2} active={l.history.length} data-testid="listing-history">
          {[...l.history]
            .sort((a, b) => b.version - a.version)
            .map((h) => (
              <Timeline.Item
                key={`${h.version}-${h.at}-${h.action}`}
                title={lookup(`historyActions.${h.action}`) ?? h.action}
              >
                <Text size="xs" c="dimmed">
                  {dateTime(h.at)}
                  {h.actorName ? ` · ${h.actorName}` : ''}
                  {` · ${lookup(`sourceKinds.${h.actorKind}`) ?? h.actorKind}`}
                </Text>
                {h.reason ? <Text size="sm">{h.reason}</Text> : null}
                {h.before && h.after ? <StateChange before={h.before} after={h.after} /> : null}
              </Timeline.Item>
            ))}
        </Timeline>
      </Stack>

      <Stack gap="xs">
        <Title order={3} size="h4">
          {t('registry.sources')}
        </Title>
        <DataTable
          label={t('registry.sources')}
          rows={l.sources.map((s, i) => ({ ...s, id: String(i) }))}
          columns={[
            { header: t('registry.sourceKind'), cell: (s) => lookup(`sourceKinds.${s.kind}`) ?? s.kind },
            { header: t('registry.reporter'), cell: (s) => s.reporterRef || t('common.none') },
            { header: t('registry.trust'), cell: (s) => percent(s.trust) },
            { header: t('registry.count'), cell: (s) => s.count },
            { header: t('registry.firstAt'), cell: (s) => dateTime(s.firstAt) },
            { header: t('registry.lastAt'), cell: (s) => dateTime(s.lastAt) },
          ]}
        />
      </Stack>

      <Stack gap="xs">
        <Title order={3} size="h4">
          {t('registry.sightings')}
        </Title>
        <DataTable
          label={t('registry.sightings')}
          empty={t('registry.noSightings')}
          minWidth={360}
          rows={[...l.sightings]
            .sort((a, b) => b.day.localeCompare(a.day))
            .map((s) => ({ ...s, id: `${s.day}|${s.channel}` }))}
          columns={[
            { header: t('registry.day'), cell: (s) => date(s.day) },
            { header: t('registry.channel'), cell: (s) => s.channel },
            { header: t('registry.count'), cell: (s) => s.count },
          ]}
        />
      </Stack>
    </Stack>
  );
}

/** What a history entry changed: category, status, expiry (each "old → new"). */
function StateChange({ before, after }: { before: ListingState; after: ListingState }) {
  const { t, dateTime } = useI18n();
  const labels = useLabels();
  const expiry = (ms: number | null) =>
    ms === null ? t('registry.neverExpires') : dateTime(new Date(ms).toISOString());
  const lines: string[] = [];
  if (before.category !== after.category)
    lines.push(
      `${t('registry.category')}: ${labels.category(before.category)} → ${labels.category(after.category)}`,
    );
  if (before.status !== after.status)
    lines.push(`${t('registry.status')}: ${labels.status(before.status)} → ${labels.status(after.status)}`);
  if (before.expiresAt !== after.expiresAt)
    lines.push(`${t('registry.expiresAt')}: ${expiry(before.expiresAt)} → ${expiry(after.expiresAt)}`);
  return lines.length ? (
    <Text size="xs" c="dimmed" data-testid="history-change">
      {lines.join(' · ')}
    </Text>
  ) : null;
}
