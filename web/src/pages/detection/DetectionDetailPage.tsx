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
import { api, asApiError, SCAM_CATEGORIES, type Detection, type ScamCategory } from '../../api.ts';
import { DataTable } from '../../components/DataTable.tsx';
import { Field } from '../../components/Field.tsx';
import { Loadable } from '../../components/Loadable.tsx';
import { PageTitle } from '../../components/PageTitle.tsx';
import { useI18n } from '../../i18n/index.tsx';
import { linkProps } from '../../router.ts';
import { useSession } from '../../session.tsx';
import { useApi } from '../../useApi.ts';
import { IssueFromDetection } from '../governance/IssueFromDetection.tsx';
import { ReasonDialog } from '../registry/ReasonDialog.tsx';
import { EvidenceList } from './Evidence.tsx';
import {
  DetectionStatusBadge,
  mayDecideDetections,
  MeasureBadge,
  ScoreBadge,
  SubjectText,
  useDetectionLabels,
  useWindowText,
} from './labels.tsx';

/** `/detection/:id`: the subject, what fired, the measures it recommends, its other episodes; the decision. */
export function DetectionDetailPage({ id }: { id: string }) {
  const { t } = useI18n();
  const [detection, reload] = useApi(() => api.getDetection(id), [id]);
  return (
    <Stack gap="md">
      <Anchor {...linkProps('/detection')} size="sm">
        ← {t('detection.back')}
      </Anchor>
      <Loadable state={detection} onRetry={reload}>
        {(d) => <Detail detection={d} onDecided={reload} />}
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

function Detail({ detection: d, onDecided }: { detection: Detection; onDecided: () => void }) {
  const { t, lookup, dateTime } = useI18n();
  const labels = useDetectionLabels();
  const windowText = useWindowText();
  const { session } = useSession();
  const mayDecide = mayDecideDetections(session);
  // A suppressed detection is still undecided: an analyst may confirm what a rejection hid.
  const canDecide = mayDecide && (d.status === 'open' || d.status === 'suppressed');
  const [category, setCategory] = useState<ScamCategory | ''>('');
  // Someone else decided meanwhile (409): the page says so and offers the fresh state.
  const [stale, setStale] = useState(false);

  async function decide(input: Parameters<typeof api.decideDetection>[1]) {
    try {
      return await api.decideDetection(d.id, input);
    } catch (err) {
      if (asApiError(err).code === 'detection_decided') setStale(true);
      throw err;
    }
  }

  function decided() {
    setStale(false);
    onDecided();
  }

  return (
    <Stack gap="lg">
      <PageTitle title={t('detection.detailTitle')}>
        <Group gap="sm" wrap="wrap">
          <SubjectText subject={d.subject} masked={d.subjectMasked} size="lg" />
          <DetectionStatusBadge status={d.status} />
          <ScoreBadge score={d.score} />
        </Group>
        {canDecide ? (
          <Group gap="sm" wrap="wrap" mt="xs" data-testid="detection-decisions">
            <ReasonDialog
              button={t('detection.confirm')}
              title={t('detection.confirmTitle')}
              body={t(d.listable ? 'detection.confirmBodyListed' : 'detection.confirmBody', {
                subject: d.subject,
              })}
              confirm={t('detection.confirmConfirm')}
              action={(reason) => decide({ decision: 'confirm', reason, ...(category ? { category } : {}) })}
              onDone={decided}
            >
              {d.listable ? (
                <NativeSelect
                  label={t('detection.listAs')}
                  value={category}
                  onChange={(e) => setCategory(e.currentTarget.value as ScamCategory | '')}
                  data={[
                    { value: '', label: t('detection.defaultCategory') },
                    ...SCAM_CATEGORIES.map((c) => ({ value: c, label: lookup(`categories.${c}`) ?? c })),
                  ]}
                />
              ) : null}
            </ReasonDialog>
            <ReasonDialog
              button={t('detection.reject')}
              title={t('detection.rejectTitle')}
              body={t('detection.rejectBody', { subject: d.subject })}
              confirm={t('detection.rejectConfirm')}
              color="gray"
              action={(reason) => decide({ decision: 'reject', reason })}
              onDone={decided}
            />
          </Group>
        ) : null}
      </PageTitle>

      {stale ? (
        <Alert color="orange" variant="light" data-testid="detection-conflict">
          <Group justify="space-between" gap="sm" wrap="wrap">
            <Text size="sm">{t('detection.conflict')}</Text>
            <Button size="xs" variant="light" color="orange" onClick={decided}>
              {t('detection.reload')}
            </Button>
          </Group>
        </Alert>
      ) : null}

      {!mayDecide ? (
        <Alert color="gray" variant="light">
          {t('detection.readOnly')}
        </Alert>
      ) : null}

      {d.status === 'confirmed' || d.status === 'rejected' ? (
        <Alert
          color={d.status === 'confirmed' ? 'red' : 'gray'}
          variant="light"
          data-testid="detection-decision"
        >
          <Stack gap={4}>
            <Text size="sm" fw={600}>
              {t(d.status === 'confirmed' ? 'detection.decidedConfirmed' : 'detection.decidedRejected', {
                name: d.decidedBy ?? t('common.none'),
                at: dateTime(d.decidedAt),
              })}
            </Text>
            {d.decisionReason ? (
              <Text size="sm" style={{ whiteSpace: 'pre-wrap', wordBreak: 'break-word' }}>
                {d.decisionReason}
              </Text>
            ) : null}
            {d.listingId ? (
              <Anchor {...linkProps(`/registry/listings/${d.listingId}`)} size="sm">
                {t('detection.openListing')}
              </Anchor>
            ) : null}
          </Stack>
        </Alert>
      ) : null}

      {d.status === 'confirmed' && mayDecide ? <IssueFromDetection detection={d} /> : null}

      {d.status === 'suppressed' ? (
        <Alert color="gray" variant="light" data-testid="detection-suppressed">
          <Stack gap={4}>
            <Text size="sm">{t('detection.suppressed')}</Text>
            {d.suppressedBy ? (
              <Anchor {...linkProps(`/detection/${d.suppressedBy}`)} size="sm">
                {t('detection.suppressedBy')}
              </Anchor>
            ) : null}
          </Stack>
        </Alert>
      ) : null}

      <Paper withBorder p="md" radius="md">
        <SimpleGrid cols={{ base: 1, xs: 2, md: 4 }} spacing="md">
          <Field label={t('detection.detector')}>
            <Text size="sm" fw={600} data-testid="detection-detector">
              {labels.detector(d.detector)}
            </Text>
            <Text size="xs" c="dimmed" data-testid="detection-about">
              {labels.about(d.detector)}
            </Text>
          </Field>
          <Field label={t('detection.subjectKind')}>{labels.subjectKind(d.subjectKind)}</Field>
          <Field label={t('detection.window')}>{windowText(d.window)}</Field>
          <Field label={t('detection.created')}>{dateTime(d.createdAt)}</Field>
          <Field label={t('detection.source')}>
            {t(d.organisationId === null ? 'detection.sourcePlatform' : 'detection.sourceInstitution')}
          </Field>
          <Field label={t('detection.onConfirm')}>
            <span data-testid="detection-listable" data-listable={d.listable}>
              {t(d.listable ? 'detection.listableYes' : 'detection.listableNo')}
            </span>
          </Field>
          {d.listingId ? (
            <Field label={t('detection.listing')}>
              <Anchor
                {...linkProps(`/registry/listings/${d.listingId}`)}
                size="sm"
                data-testid="detection-listing"
              >
                {t('detection.openListing')}
              </Anchor>
            </Field>
          ) : null}
        </SimpleGrid>
      </Paper>

      <Section title={t('detection.evidence')}>
        <EvidenceList evidence={d.evidence} />
      </Section>

      <Section title={t('detection.measures')}>
        {d.measures.length ? (
          <Stack gap="xs" data-testid="detection-measures">
            {d.measures.map((m) => (
              <Paper key={`${m.measure}:${m.target}`} withBorder p="sm" radius="md" data-measure={m.measure}>
                <Group gap="xs" wrap="wrap">
                  <MeasureBadge measure={m} detector={d.detector} />
                  <Text size="sm" c="dimmed">
                    {t('detection.target')}: {labels.target(m.target)}
                  </Text>
                </Group>
                <Text size="sm" mt={4} style={{ wordBreak: 'break-word' }}>
                  {labels.measureReason(d.detector, m)}
                </Text>
              </Paper>
            ))}
          </Stack>
        ) : (
          <Text size="sm" c="dimmed">
            {t('detection.noMeasures')}
          </Text>
        )}
      </Section>

      <Section title={t('detection.history')}>
        <DataTable
          label={t('detection.history')}
          minWidth={480}
          empty={t('detection.noHistory')}
          rows={d.history ?? []}
          columns={[
            {
              header: t('detection.window'),
              cell: (h) => (
                <Anchor {...linkProps(`/detection/${h.id}`)} size="sm">
                  {windowText(h)}
                </Anchor>
              ),
            },
            { header: t('detection.score'), cell: (h) => <ScoreBadge score={h.score} /> },
            { header: t('detection.status'), cell: (h) => <DetectionStatusBadge status={h.status} /> },
          ]}
        />
      </Section>
    </Stack>
  );
}
