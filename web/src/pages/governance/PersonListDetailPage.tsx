import {
  Alert,
  Anchor,
  Button,
  Group,
  NativeSelect,
  Paper,
  SimpleGrid,
  Stack,
  Text,
  Title,
} from '@mantine/core';
import { useState, type ReactNode } from 'react';
import {
  api,
  asApiError,
  REMOVAL_KINDS,
  type LegalBasis,
  type PersonListing,
  type RemovalKind,
} from '../../api.ts';
import { DataTable } from '../../components/DataTable.tsx';
import { ErrorAlert } from '../../components/ErrorAlert.tsx';
import { Field } from '../../components/Field.tsx';
import { Loadable } from '../../components/Loadable.tsx';
import { PageTitle } from '../../components/PageTitle.tsx';
import { useI18n } from '../../i18n/index.tsx';
import { linkProps } from '../../router.ts';
import { useSession } from '../../session.tsx';
import { useApi } from '../../useApi.ts';
import { ReasonDialog } from '../registry/ReasonDialog.tsx';
import {
  dayOf,
  mayDesignate,
  PersonListingStatusBadge,
  PersonText,
  usePersonListLabels,
} from './PersonListsPage.tsx';

/** `/governance/person-lists/:id`: who, on which list, why, until when; the timeline; a supervisor's actions. */
export function PersonListDetailPage({ id }: { id: string }) {
  const { t } = useI18n();
  const [listing, reload] = useApi(() => api.getPersonListing(id), [id]);
  const [bases] = useApi(() => api.listLegalBases(), []);
  return (
    <Stack gap="md">
      <Anchor {...linkProps('/governance/person-lists')} size="sm">
        ← {t('personLists.back')}
      </Anchor>
      <Loadable state={listing} onRetry={reload}>
        {(l) => (
          <Detail listing={l} bases={bases.status === 'ready' ? bases.data.items : []} onChanged={reload} />
        )}
      </Loadable>
    </Stack>
  );
}

function Section({ title, children }: { title: string; children: ReactNode }) {
  return (
    <Stack gap="xs">
      <Title order={3} size="h4">
        {title}
      </Title>
      {children}
    </Stack>
  );
}

/** Kinds a supervisor picks here: `appeal_upheld` comes from the appeals channel, `review_lifted` from a review. */
const MANUAL_REMOVALS: RemovalKind[] = REMOVAL_KINDS.filter(
  (k) => k === 'early_removal' || k === 'credit_repair',
);

function Detail({
  listing: l,
  bases,
  onChanged,
}: {
  listing: PersonListing;
  bases: LegalBasis[];
  onChanged: () => void;
}) {
  const { t, lang, dateTime } = useI18n();
  const labels = usePersonListLabels();
  const { session } = useSession();
  const supervisor = mayDesignate(session);
  const [kind, setKind] = useState<RemovalKind>('early_removal');
  const [outcome, setOutcome] = useState<'continue' | 'lift'>('continue');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [stale, setStale] = useState(false);

  async function act<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (err) {
      if (asApiError(err).status === 409) setStale(true);
      throw err;
    }
  }

  function changed() {
    setStale(false);
    setError(null);
    onChanged();
  }

  async function notice() {
    setBusy(true);
    setError(null);
    try {
      await act(() => api.recordPersonListingNotice(l.id));
      changed();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  const basis = bases.find((b) => b.id === l.legalBasis);
  const active = l.status === 'active';
  const canRemove = supervisor && l.status !== 'removed';
  const canNotice = supervisor && l.noticeSentAt === null && l.status !== 'removed';
  const canReview = supervisor && active && l.list === 'exit_restriction';

  return (
    <Stack gap="lg">
      <PageTitle title={t('personLists.detailHeading', { list: labels.list(l.list) })}>
        <Group gap="sm" wrap="wrap">
          <PersonText person={l.person} size="lg" />
          <PersonListingStatusBadge listing={l} />
        </Group>
        {canRemove || canNotice || canReview ? (
          <Group gap="sm" wrap="wrap" mt="xs" data-testid="person-listing-actions">
            {canNotice ? (
              <Button size="compact-sm" variant="light" loading={busy} onClick={() => void notice()}>
                {t('personLists.recordNotice')}
              </Button>
            ) : null}
            {canReview ? (
              <ReasonDialog
                button={t('personLists.reviewButton')}
                title={t('personLists.reviewTitle')}
                body={t('personLists.reviewBody')}
                confirm={t('personLists.reviewConfirm')}
                color="orange"
                action={(note) => act(() => api.reviewExitRestriction(l.id, outcome, note))}
                onDone={changed}
              >
                <NativeSelect
                  label={t('personLists.reviewOutcome')}
                  value={outcome}
                  onChange={(e) => setOutcome(e.currentTarget.value as 'continue' | 'lift')}
                  data={[
                    { value: 'continue', label: t('personLists.continue') },
                    { value: 'lift', label: t('personLists.lift') },
                  ]}
                />
              </ReasonDialog>
            ) : null}
            {canRemove ? (
              <ReasonDialog
                button={t('personLists.remove')}
                title={t('personLists.removeTitle')}
                body={t('personLists.removeBody')}
                confirm={t('personLists.removeConfirm')}
                action={(reason) => act(() => api.removePersonListing(l.id, kind, reason))}
                onDone={changed}
              >
                <NativeSelect
                  label={t('personLists.removeKind')}
                  value={kind}
                  onChange={(e) => setKind(e.currentTarget.value as RemovalKind)}
                  data={MANUAL_REMOVALS.map((k) => ({ value: k, label: labels.removal(k) }))}
                />
              </ReasonDialog>
            ) : null}
          </Group>
        ) : null}
      </PageTitle>

      {error ? <ErrorAlert error={error} /> : null}
      {stale ? (
        <Alert color="orange" variant="light">
          <Group justify="space-between" gap="sm" wrap="wrap">
            <Text size="sm">{t('governance.conflict')}</Text>
            <Button size="xs" variant="light" color="orange" onClick={changed}>
              {t('governance.reload')}
            </Button>
          </Group>
        </Alert>
      ) : null}
      {!supervisor ? (
        <Alert color="gray" variant="light">
          {t('personLists.readOnly')}
        </Alert>
      ) : null}
      {l.removedAt ? (
        <Alert color="gray" variant="light" data-testid="person-listing-removed">
          <Stack gap={4}>
            <Text size="sm" fw={600}>
              {t('personLists.removedText', {
                at: dateTime(l.removedAt),
                kind: l.removalKind ? labels.removal(l.removalKind) : '',
              })}
            </Text>
            <Text size="sm" style={{ whiteSpace: 'pre-wrap', wordBreak: 'break-word' }}>
              {l.removeReason}
            </Text>
          </Stack>
        </Alert>
      ) : null}
      {l.status === 'ended' && l.endedAt ? (
        <Alert color="gray" variant="light">
          {t('personLists.endedText', { at: dateTime(l.endedAt) })}
        </Alert>
      ) : null}

      <Paper withBorder p="md" radius="md">
        <SimpleGrid cols={{ base: 1, xs: 2, md: 3 }} spacing="md">
          <Field label={t('personLists.list')}>
            <Text size="sm" fw={600}>
              {labels.list(l.list)}
            </Text>
            {l.list === 'exit_restriction' ? (
              <Text size="xs" c="dimmed">
                {t('personLists.exitOnly')}
              </Text>
            ) : null}
          </Field>
          <Field label={t('personLists.restrictions')}>
            <Stack gap={2} data-testid="person-listing-restrictions">
              {l.restrictions.length ? (
                l.restrictions.map((r) => (
                  <Text key={r} size="sm">
                    {labels.restriction(r)}
                  </Text>
                ))
              ) : (
                <Text size="sm">{t('personLists.restrictionsNone')}</Text>
              )}
              {l.list === 'credit_punishment' ? (
                <Text size="xs" c="dimmed">
                  {t('personLists.basicServices')}
                </Text>
              ) : null}
            </Stack>
          </Field>
          <Field label={t('personLists.legalBasis')}>
            <Text size="sm" fw={600}>
              {basis ? t('personLists.article', { article: basis.article }) : l.legalBasis}
            </Text>
            {basis ? (
              <Text size="xs" c="dimmed">
                {lang === 'en' ? basis.en : basis.zh}
              </Text>
            ) : null}
          </Field>
          <Field label={t('personLists.term')}>
            <Text size="sm" style={{ fontVariantNumeric: 'tabular-nums' }} data-testid="person-listing-term">
              {t('personLists.termText', { from: dayOf(l.startsAt), to: dayOf(l.endsAt) })}
            </Text>
          </Field>
          {l.list === 'exit_restriction' ? (
            <Field label={t('personLists.review')}>
              <Text size="sm" c={l.reviewDue ? 'orange' : undefined} fw={l.reviewDue ? 700 : undefined}>
                {dayOf(l.reviewAt) || t('common.none')}
              </Text>
            </Field>
          ) : null}
          <Field label={t('personLists.notice')}>
            {l.noticeSentAt ? dateTime(l.noticeSentAt) : t('personLists.noticeNone')}
          </Field>
          <Field label={t('personLists.designatedBy')}>
            {l.designatedBy}
            <Text size="xs" c="dimmed">
              {dateTime(l.createdAt)}
            </Text>
          </Field>
        </SimpleGrid>
        <Stack gap={2} mt="md">
          <Text size="xs" c="dimmed">
            {t('personLists.reasonLabel')}
          </Text>
          <Text
            size="sm"
            style={{ whiteSpace: 'pre-wrap', wordBreak: 'break-word' }}
            data-testid="person-listing-reason"
          >
            {l.reason}
          </Text>
        </Stack>
      </Paper>

      <Section title={t('personLists.timeline')}>
        <DataTable
          label={t('personLists.timeline')}
          minWidth={640}
          rows={(l.timeline ?? []).map((e, n) => ({ ...e, id: String(n) }))}
          columns={[
            {
              header: t('personLists.at'),
              cell: (e) => (
                <Text size="sm" style={{ whiteSpace: 'nowrap' }}>
                  {dateTime(e.at)}
                </Text>
              ),
            },
            { header: t('personLists.action'), cell: (e) => labels.action(e.action) },
            {
              header: t('personLists.statusAfter'),
              cell: (e) => <PersonListingStatusBadge listing={{ status: e.status, reviewDue: false }} />,
            },
            {
              header: t('personLists.endsAt'),
              cell: (e) => (
                <Text size="sm" style={{ whiteSpace: 'nowrap' }}>
                  {dayOf(e.endsAt)}
                </Text>
              ),
            },
            { header: t('personLists.actor'), cell: (e) => e.actor },
            {
              header: t('personLists.note'),
              cell: (e) => (
                <Text size="sm" style={{ whiteSpace: 'pre-wrap', wordBreak: 'break-word' }}>
                  {e.note ?? t('common.none')}
                </Text>
              ),
            },
          ]}
        />
      </Section>
    </Stack>
  );
}
