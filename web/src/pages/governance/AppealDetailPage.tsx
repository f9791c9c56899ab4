import { Alert, Anchor, Button, Group, Paper, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import { useState, type ReactNode } from 'react';
import { api, asApiError, type Appeal, type AppealMeasure } from '../../api.ts';
import { hasRole } from '../../capabilities.ts';
import { DataTable } from '../../components/DataTable.tsx';
import { Field } from '../../components/Field.tsx';
import { Loadable } from '../../components/Loadable.tsx';
import { PageTitle } from '../../components/PageTitle.tsx';
import { useI18n } from '../../i18n/index.tsx';
import { linkProps } from '../../router.ts';
import { useSession } from '../../session.tsx';
import { useApi } from '../../useApi.ts';
import { AppealStatusBadge, OPEN_APPEAL, useAppealLabels } from '../appeal/labels.tsx';
import { StatusBadge as ListingStatusBadge, useLabels as useRegistryLabels } from '../registry/labels.tsx';
import { fileSize, money } from '../reports/reportLabels.tsx';
import { AppealDecisionForm, CompensationDecision, VerificationForm } from './AppealForms.tsx';
import { RecordBadges } from './AppealsPage.tsx';
import {
  InstructionStatusBadge,
  isReceivingInstitution,
  OverdueBadge,
  useInstructionLabels,
} from './labels.tsx';

/**
 * `/governance/appeals/:id`: what the appellant named and said, the verification, the measures
 * found and what became of them, the decision, evidence, compensation claims and the timeline.
 * Opening it is a recorded read of the appellant's (masked) data.
 */
export function AppealDetailPage({ id }: { id: string }) {
  const { t } = useI18n();
  const [appeal, reload] = useApi(() => api.getAppeal(id), [id]);
  return (
    <Stack gap="md">
      <Anchor {...linkProps('/governance/appeals')} size="sm">
        ← {t('appeals.back')}
      </Anchor>
      <Loadable state={appeal} onRetry={reload}>
        {(a) => <Detail appeal={a} onChanged={reload} />}
      </Loadable>
    </Stack>
  );
}

function Section({ title, children, testId }: { title: string; children: ReactNode; testId?: string }) {
  return (
    <Stack gap="xs" data-testid={testId}>
      <Title order={3} size="h4">
        {title}
      </Title>
      {children}
    </Stack>
  );
}

function Detail({ appeal: a, onChanged }: { appeal: Appeal; onChanged: () => void }) {
  const { t, dateTime, lookup } = useI18n();
  const labels = useAppealLabels();
  const { session } = useSession();
  const centre = session.organisation.kind === 'anti_fraud_centre';
  const reviewer = centre && hasRole(session, 'analyst', 'supervisor');
  // As the server's verification route: the centre's reviewers, or the institution's operators.
  const mayVerify = reviewer || isReceivingInstitution(session);
  const open = OPEN_APPEAL.includes(a.status);
  // Someone decided or withdrew it meanwhile (409 appeal_decided): offer the fresh state.
  const [stale, setStale] = useState(false);
  // Recorded once, the verification folds away; it can be recorded again while the appeal is open.
  const [reverify, setReverify] = useState(false);

  function noticeConflict(err: unknown) {
    if (asApiError(err).code === 'appeal_decided') setStale(true);
  }

  function changed() {
    setStale(false);
    setReverify(false);
    onChanged();
  }

  return (
    <Stack gap="lg">
      <PageTitle title={t('appeals.detailHeading', { code: a.receiptCode })}>
        <Group gap="sm" wrap="wrap">
          <AppealStatusBadge status={a.status} size="lg" />
          {a.overdue ? <OverdueBadge /> : null}
          <RecordBadges appeal={a} />
        </Group>
      </PageTitle>

      {stale ? (
        <Alert color="orange" variant="light" data-testid="appeal-conflict">
          <Group justify="space-between" gap="sm" wrap="wrap">
            <Text size="sm">{t('appeals.conflict')}</Text>
            <Button size="xs" variant="light" color="orange" onClick={changed}>
              {t('appeals.reload')}
            </Button>
          </Group>
        </Alert>
      ) : null}

      {a.status === 'upheld' && a.measures?.some((m) => m.restoreInstructionId) ? (
        <Alert
          color={a.restoredAt ? 'green' : 'blue'}
          variant="light"
          data-testid="appeal-restoration"
          data-restored={String(!!a.restoredAt)}
        >
          {a.restoredAt ? t('appeals.restoredAt', { at: dateTime(a.restoredAt) }) : t('appeals.restoring')}
        </Alert>
      ) : null}

      <Paper withBorder p="md" radius="md">
        <SimpleGrid cols={{ base: 1, xs: 2, md: 4 }} spacing="md">
          <Field label={t('appeals.subject')}>
            <Text size="sm" ff="monospace" fw={600} span data-testid="appeal-subject">
              {a.subject.kind === 'person' ? labels.subject('person') : a.subject.value}
            </Text>
            {a.subject.kind !== 'person' ? (
              <Text size="xs" c="dimmed">
                {labels.subject(a.subject.kind)}
              </Text>
            ) : null}
          </Field>
          <Field label={t('appeals.appellant')}>
            <span data-testid="appeal-appellant">{a.appellant}</span>
          </Field>
          <Field label={t('appeals.contact')}>{a.contact ?? t('common.none')}</Field>
          <Field label={t('appeals.channel')}>
            {labels.channel(a.channel)}
            {a.language ? (
              <Text size="xs" c="dimmed">
                {t('appeals.language')}: {a.language === 'zh' ? t('lang.zhCN') : t('lang.en')}
              </Text>
            ) : null}
          </Field>
          <Field label={t('appeals.received')}>{dateTime(a.createdAt)}</Field>
          <Field label={t('appeals.respondBy')}>
            <Text size="sm" c={a.overdue ? 'red' : undefined} fw={a.overdue ? 700 : undefined} span>
              {dateTime(a.respondBy)}
            </Text>
          </Field>
          <Field label={t('appeals.measures')}>{a.measureCount}</Field>
        </SimpleGrid>
        <Stack gap={2} mt="md">
          <Text size="xs" c="dimmed">
            {t('appeals.explanation')}
          </Text>
          <Text
            size="sm"
            style={{ whiteSpace: 'pre-wrap', wordBreak: 'break-word' }}
            data-testid="appeal-explanation"
          >
            {a.explanation ?? t('common.none')}
          </Text>
        </Stack>
      </Paper>

      <Section title={t('appeals.verification')} testId="appeal-verification">
        <Paper withBorder p="md" radius="md">
          <Stack gap="sm">
            {a.verification.at ? (
              <SimpleGrid cols={{ base: 1, xs: 3 }} spacing="md">
                <Field label={t('appeals.identity')}>
                  <Text size="sm" fw={600} c={a.verification.identity === 'failed' ? 'red' : 'green'} span>
                    {labels.identity(a.verification.identity ?? '')}
                  </Text>
                </Field>
                <Field label={t('appeals.use')}>
                  <Text size="sm" fw={600} c={a.verification.use === 'failed' ? 'red' : undefined} span>
                    {labels.use(a.verification.use ?? '')}
                  </Text>
                </Field>
                <Field label={t('appeals.method')}>
                  <span data-testid="appeal-verification-method">
                    {labels.method(a.verification.method ?? '')}
                  </span>
                </Field>
              </SimpleGrid>
            ) : (
              <Text size="sm" c="dimmed">
                {t('appeals.verificationNone')}
              </Text>
            )}
            {a.verification.note ? (
              <Text size="sm" style={{ whiteSpace: 'pre-wrap', wordBreak: 'break-word' }}>
                {a.verification.note}
              </Text>
            ) : null}
            {a.verification.by ? (
              <Text size="xs" c="dimmed">
                {t('appeals.verifiedBy', { name: a.verification.by, at: dateTime(a.verification.at) })}
              </Text>
            ) : null}
            {open && mayVerify && (!a.verification.at || reverify) ? (
              <VerificationForm appeal={a} onDone={changed} onError={noticeConflict} />
            ) : open && mayVerify ? (
              <div>
                <Button size="compact-sm" variant="default" onClick={() => setReverify(true)}>
                  {t('appeals.verifyAgain')}
                </Button>
              </div>
            ) : null}
          </Stack>
        </Paper>
      </Section>

      <Section title={t('appeals.measuresTitle')} testId="appeal-measures">
        <Measures measures={a.measures ?? []} centre={centre} />
      </Section>

      <Section title={t('appeals.decisionTitle')} testId="appeal-decision">
        {a.decision ? (
          <Alert
            color={a.status === 'upheld' ? 'green' : 'orange'}
            variant="light"
            data-testid="appeal-decided"
          >
            <Stack gap={4}>
              <Text size="sm" fw={600}>
                {t('appeals.decidedBy', {
                  outcome: labels.status(a.status),
                  name: a.decision.by,
                  at: dateTime(a.decision.at),
                })}
              </Text>
              <Text size="sm" style={{ whiteSpace: 'pre-wrap', wordBreak: 'break-word' }}>
                {a.decision.reasons}
              </Text>
            </Stack>
          </Alert>
        ) : open && reviewer ? (
          <AppealDecisionForm appeal={a} onDone={changed} onError={noticeConflict} />
        ) : open ? (
          <Alert color="gray" variant="light">
            {t('appeals.notReviewer')}
          </Alert>
        ) : (
          <Text size="sm" c="dimmed">
            {lookup(`appealStatus.${a.status}`) ?? a.status}
          </Text>
        )}
      </Section>

      <Section title={t('appeals.evidenceTitle')}>
        <DataTable
          label={t('appeals.evidenceTitle')}
          minWidth={480}
          rows={a.evidence ?? []}
          empty={t('appeals.evidenceNone')}
          columns={[
            {
              header: t('appeals.file'),
              cell: (e) => (
                <Anchor
                  href={`/v1/appeals/${encodeURIComponent(a.id)}/evidence/${encodeURIComponent(e.id)}`}
                  download={e.fileName}
                  size="sm"
                  style={{ wordBreak: 'break-all' }}
                >
                  {e.fileName}
                </Anchor>
              ),
            },
            { header: t('appeals.type'), cell: (e) => e.mediaType },
            { header: t('appeals.size'), cell: (e) => fileSize(e.size) },
            { header: t('appeals.at'), cell: (e) => dateTime(e.createdAt) },
          ]}
        />
      </Section>

      <Section title={t('appeals.compensationTitle')} testId="appeal-claims">
        <Claims appeal={a} onChanged={changed} />
      </Section>

      <Section title={t('appeals.timeline')}>
        <DataTable
          label={t('appeals.timeline')}
          minWidth={640}
          rows={(a.timeline ?? []).map((e, n) => ({ ...e, id: String(n) }))}
          columns={[
            {
              header: t('appeals.at'),
              cell: (e) => (
                <Text size="sm" style={{ whiteSpace: 'nowrap' }}>
                  {dateTime(e.at)}
                </Text>
              ),
            },
            { header: t('appeals.action'), cell: (e) => labels.action(e.action) },
            { header: t('appeals.statusAfter'), cell: (e) => <AppealStatusBadge status={e.status} /> },
            { header: t('appeals.actor'), cell: (e) => e.actor },
            {
              header: t('appeals.note'),
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

/** Instructions and listings found for what the appellant named: status then and now, and the restore. */
function Measures({ measures, centre }: { measures: AppealMeasure[]; centre: boolean }) {
  const { t } = useI18n();
  const instructionLabels = useInstructionLabels();
  const registry = useRegistryLabels();
  const status = (m: AppealMeasure, s: string) =>
    m.kind === 'instruction' ? <InstructionStatusBadge status={s} /> : <ListingStatusBadge status={s} />;
  if (!measures.length)
    return (
      <Text size="sm" c="dimmed" data-testid="appeal-no-measures">
        {t('appeals.measuresNone')}
      </Text>
    );
  return (
    <DataTable<AppealMeasure>
      label={t('appeals.measuresTitle')}
      minWidth={900}
      rows={measures}
      columns={[
        {
          header: t('appeals.what'),
          cell: (m) =>
            m.kind === 'instruction' ? (
              <Anchor {...linkProps(`/governance/${m.id}`)} size="sm" data-testid="appeal-instruction-link">
                {instructionLabels.measure(m.what)}
              </Anchor>
            ) : centre ? (
              <Anchor {...linkProps(`/registry/listings/${m.id}`)} size="sm">
                {registry.category(m.what)}
              </Anchor>
            ) : (
              registry.category(m.what)
            ),
        },
        {
          header: t('appeals.kind'),
          cell: (m) => (
            <Text size="sm" c="dimmed">
              {t(`appeals.measureKinds.${m.kind}`)}
            </Text>
          ),
        },
        {
          header: t('appeals.target'),
          cell: (m) => (
            <Text size="sm" ff="monospace" style={{ whiteSpace: 'nowrap' }}>
              {m.target}
            </Text>
          ),
        },
        { header: t('appeals.institution'), cell: (m) => m.organisation ?? t('common.none') },
        { header: t('appeals.before'), cell: (m) => status(m, m.statusBefore) },
        { header: t('appeals.now'), cell: (m) => status(m, m.status) },
        {
          header: t('appeals.restore'),
          cell: (m) =>
            m.restoreInstructionId ? (
              <Stack gap={2} align="flex-start">
                <Anchor
                  {...linkProps(`/governance/${m.restoreInstructionId}`)}
                  size="sm"
                  data-testid="appeal-restore-link"
                >
                  {instructionLabels.measure('restore')}
                </Anchor>
                {m.restoreStatus ? <InstructionStatusBadge status={m.restoreStatus} /> : null}
              </Stack>
            ) : (
              <Text size="sm" c="dimmed">
                {m.liftedAt ? t('appeals.restoreNone') : t('common.none')}
              </Text>
            ),
        },
      ]}
    />
  );
}

/** The claims with their decisions; a supervisor decides a waiting one. */
function Claims({ appeal: a, onChanged }: { appeal: Appeal; onChanged: () => void }) {
  const { t, lang, dateTime } = useI18n();
  const labels = useAppealLabels();
  const { session } = useSession();
  const supervisor = session.organisation.kind === 'anti_fraud_centre' && hasRole(session, 'supervisor');
  const claims = a.compensation ?? [];
  if (!claims.length)
    return (
      <Text size="sm" c="dimmed">
        {t('appeals.compensationNone')}
      </Text>
    );
  return (
    <Stack gap="sm">
      {claims.map((c) => (
        <Paper key={c.id} withBorder p="md" radius="md" data-testid="appeal-claim">
          <Stack gap="xs">
            <Group justify="space-between" gap="sm" wrap="wrap">
              <Text size="sm" fw={600}>
                {t('appeals.claimAmount')}: {money(c.amount, lang, c.currency)}
                {c.amountGranted !== null
                  ? ` · ${t('appeals.amountGranted')}: ${money(c.amountGranted, lang, c.currency)}`
                  : ''}
              </Text>
              <Text size="sm" fw={600} data-testid="appeal-claim-status" data-status={c.status}>
                {labels.compensation(c.status)}
              </Text>
            </Group>
            <Text size="sm" style={{ whiteSpace: 'pre-wrap', wordBreak: 'break-word' }}>
              {c.description}
            </Text>
            <Text size="xs" c="dimmed">
              {dateTime(c.createdAt)}
            </Text>
            {c.decidedBy ? (
              <Text size="sm" style={{ whiteSpace: 'pre-wrap' }}>
                {c.decidedBy} · {dateTime(c.decidedAt)}: {c.decisionReasons}
              </Text>
            ) : null}
            {c.status === 'filed' && supervisor ? (
              <CompensationDecision claim={c} onDone={onChanged} />
            ) : null}
          </Stack>
        </Paper>
      ))}
    </Stack>
  );
}
