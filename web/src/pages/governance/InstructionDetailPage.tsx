import { Alert, Anchor, Button, Group, Paper, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import { useState, type ReactNode } from 'react';
import { api, asApiError, type Instruction, type LegalBasis } from '../../api.ts';
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
  DeadlineText,
  InstructionState,
  InstructionStatusBadge,
  isReceivingInstitution,
  localTimeText,
  mayIssueInstructions,
  TargetText,
  useInstructionLabels,
} from './labels.tsx';
import { NoteDialog } from './NoteDialog.tsx';
import { HolderNotice, RestoreLinks } from './AppealInstructionPanels.tsx';

/** `/governance/:id`: what is to be done, on what grounds, by when; its timeline; the actions of the reader's side. */
export function InstructionDetailPage({ id }: { id: string }) {
  const { t } = useI18n();
  const [instruction, reload] = useApi(() => api.getInstruction(id), [id]);
  const [bases] = useApi(() => api.listLegalBases(), []);
  return (
    <Stack gap="md">
      <Anchor {...linkProps('/governance')} size="sm">
        ← {t('governance.back')}
      </Anchor>
      <Loadable state={instruction} onRetry={reload}>
        {(i) => (
          <Detail
            instruction={i}
            bases={bases.status === 'ready' ? bases.data.items : []}
            onChanged={reload}
          />
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

/** States an instruction can still be withdrawn from (the server: all but withdrawn, expired, lifted). */
const WITHDRAWABLE = ['awaiting_approval', 'issued', 'received', 'executed', 'contested'];

function Detail({
  instruction: i,
  bases,
  onChanged,
}: {
  instruction: Instruction;
  bases: LegalBasis[];
  onChanged: () => void;
}) {
  const { t, lang, dateTime } = useI18n();
  const labels = useInstructionLabels();
  const { session } = useSession();
  const issuer = mayIssueInstructions(session);
  const institution = isReceivingInstitution(session);
  // Someone changed it meanwhile (409): the page says so and offers the fresh state.
  const [stale, setStale] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  async function act<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (err) {
      if (asApiError(err).status === 409) setStale(true);
      throw err;
    }
  }

  /** A one-click action (approve, receipt): its error shows on the page. */
  async function click(run: () => Promise<unknown>) {
    setBusy(true);
    setError(null);
    try {
      await act(run);
      changed();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  function changed() {
    setStale(false);
    setError(null);
    onChanged();
  }

  const measure = labels.measure(i.measure);
  const basis = labels.legalBasis(i.legalBasis, bases);
  const canApprove =
    issuer &&
    session.user.roles.includes('supervisor') &&
    i.status === 'awaiting_approval' &&
    i.issuedBy !== session.user.username;
  const canWithdraw = issuer && WITHDRAWABLE.includes(i.status);
  const canReceive = institution && i.status === 'issued';
  const canExecute = institution && i.status === 'received';
  const canContest = institution && (i.status === 'issued' || i.status === 'received');
  const actions = canApprove || canWithdraw || canReceive || canExecute || canContest;

  return (
    <Stack gap="lg">
      <PageTitle title={t('governance.detailHeading', { measure })}>
        <Group gap="sm" wrap="wrap">
          <TargetText target={i.target} size="lg" />
          <InstructionState instruction={i} />
        </Group>
        {actions ? (
          <Group gap="sm" wrap="wrap" mt="xs" data-testid="instruction-actions">
            {canApprove ? (
              <Button
                size="compact-sm"
                loading={busy}
                onClick={() => void click(() => api.approveInstruction(i.id))}
              >
                {t('governance.approve')}
              </Button>
            ) : null}
            {canReceive ? (
              <Button
                size="compact-sm"
                loading={busy}
                onClick={() => void click(() => api.acknowledgeReceipt(i.id))}
              >
                {t('governance.receipt')}
              </Button>
            ) : null}
            {canExecute ? (
              <NoteDialog
                button={t('governance.execution')}
                title={t('governance.executionTitle')}
                body={t('governance.executionBody', { measure, target: i.target.value })}
                label={t('governance.executionNote')}
                placeholder={t('governance.executionNotePlaceholder')}
                confirm={t('governance.execution')}
                action={(note) => act(() => api.reportExecution(i.id, note))}
                onDone={changed}
              />
            ) : null}
            {canContest ? (
              <ReasonDialog
                button={t('governance.contest')}
                title={t('governance.contestTitle')}
                body={t('governance.contestBody')}
                confirm={t('governance.contest')}
                color="orange"
                action={(reason) => act(() => api.contestInstruction(i.id, reason))}
                onDone={changed}
              />
            ) : null}
            {canWithdraw ? (
              <ReasonDialog
                button={t('governance.withdraw')}
                title={t('governance.withdrawTitle')}
                body={t('governance.withdrawBody', { institution: i.receivingOrganisation })}
                confirm={t('governance.withdrawConfirm')}
                action={(reason) => act(() => api.withdrawInstruction(i.id, reason))}
                onDone={changed}
              />
            ) : null}
          </Group>
        ) : null}
      </PageTitle>

      {error ? <ErrorAlert error={error} /> : null}
      {stale ? (
        <Alert color="orange" variant="light" data-testid="instruction-conflict">
          <Group justify="space-between" gap="sm" wrap="wrap">
            <Text size="sm">{t('governance.conflict')}</Text>
            <Button size="xs" variant="light" color="orange" onClick={changed}>
              {t('governance.reload')}
            </Button>
          </Group>
        </Alert>
      ) : null}

      {!issuer && !institution ? (
        <Alert color="gray" variant="light">
          {t('governance.readOnly')}
        </Alert>
      ) : null}

      <StateNotes instruction={i} />
      <RestoreLinks instruction={i} />

      <Paper withBorder p="md" radius="md">
        <SimpleGrid cols={{ base: 1, xs: 2, md: 3 }} spacing="md">
          <Field label={t('governance.measure')}>
            <Text size="sm" fw={600} data-testid="instruction-measure">
              {measure}
            </Text>
            {i.functions.length ? (
              <Text size="xs" c="dimmed" data-testid="instruction-functions">
                {t('governance.functions', {
                  list: i.functions.map(labels.cardFunction).join(lang === 'en' ? ', ' : '、'),
                })}
              </Text>
            ) : null}
          </Field>
          <Field label={t('governance.target')}>{labels.target(i.target.kind)}</Field>
          <Field label={t('governance.legalBasis')}>
            <span data-testid="instruction-legal-basis">
              <Text size="sm" fw={600} span>
                {basis.article}
              </Text>
              {basis.title ? (
                <Text size="xs" c="dimmed">
                  {basis.title}
                </Text>
              ) : null}
            </span>
          </Field>
          <Field label={t('governance.issuer')}>
            {i.issuedBy}
            <Text size="xs" c="dimmed">
              {dateTime(i.createdAt)}
            </Text>
          </Field>
          <Field label={t('governance.institution')}>
            <span data-testid="instruction-institution">{i.receivingOrganisation}</span>
          </Field>
          <Field label={t('governance.deadline')}>
            <DeadlineText instruction={i} />
            <Text size="xs" c="dimmed">
              {labels.deadlineAfter(i.deadlineMinutes)} · {i.timeZone}
            </Text>
          </Field>
          <Field label={t('governance.expires')}>
            <span data-testid="instruction-expires">{localTimeText(i.expiresAtLocal)}</span>
          </Field>
          <Field label={t('governance.source')}>
            {i.detectionId ? (
              <Anchor
                {...linkProps(`/detection/${i.detectionId}`)}
                size="sm"
                data-testid="instruction-detection"
              >
                {t('governance.openDetection')}
              </Anchor>
            ) : i.listingId ? (
              <Anchor {...linkProps(`/registry/listings/${i.listingId}`)} size="sm">
                {t('governance.openListing')}
              </Anchor>
            ) : (
              t('governance.sourceDirect')
            )}
          </Field>
          {i.approvedBy ? (
            <Field label={t('governance.approvedBy')}>
              {t('governance.approvedByText', { name: i.approvedBy, at: dateTime(i.approvedAt) })}
            </Field>
          ) : null}
        </SimpleGrid>
        <Stack gap={2} mt="md">
          <Text size="xs" c="dimmed">
            {t('governance.reason')}
          </Text>
          <Text
            size="sm"
            style={{ whiteSpace: 'pre-wrap', wordBreak: 'break-word' }}
            data-testid="instruction-reason"
          >
            {i.reason}
          </Text>
        </Stack>
      </Paper>

      <HolderNotice id={i.id} />

      <Section title={t('governance.timeline')}>
        <DataTable
          label={t('governance.timeline')}
          minWidth={640}
          rows={(i.timeline ?? []).map((e, n) => ({ ...e, id: String(n) }))}
          columns={[
            {
              header: t('governance.at'),
              cell: (e) => (
                <Text size="sm" style={{ whiteSpace: 'nowrap' }}>
                  {dateTime(e.at)}
                </Text>
              ),
            },
            { header: t('governance.action'), cell: (e) => labels.action(e.action) },
            {
              header: t('governance.statusAfter'),
              cell: (e) => <InstructionStatusBadge status={e.status} />,
            },
            { header: t('governance.actor'), cell: (e) => e.actor },
            {
              header: t('governance.note'),
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

/** What the state means for the reader: waiting, overdue, executed, contested or withdrawn, with the words given. */
function StateNotes({ instruction: i }: { instruction: Instruction }) {
  const { t, dateTime } = useI18n();
  const note = (color: string, text: string, detail: string | null, testId: string) => (
    <Alert color={color} variant="light" data-testid={testId}>
      <Stack gap={4}>
        <Text size="sm" fw={600}>
          {text}
        </Text>
        {detail ? (
          <Text size="sm" style={{ whiteSpace: 'pre-wrap', wordBreak: 'break-word' }}>
            {detail}
          </Text>
        ) : null}
      </Stack>
    </Alert>
  );
  return (
    <>
      {i.status === 'awaiting_approval'
        ? note('yellow', t('governance.awaiting'), null, 'instruction-awaiting')
        : null}
      {i.overdue
        ? note(
            'red',
            t('governance.overdueSince', { at: dateTime(i.overdueAt) }),
            null,
            'instruction-overdue-note',
          )
        : null}
      {i.executedAt
        ? note(
            'green',
            t('governance.executedText', { at: dateTime(i.executedAt) }),
            i.executionNote,
            'instruction-executed',
          )
        : null}
      {i.contestedAt
        ? note(
            'orange',
            t('governance.contestedText', { at: dateTime(i.contestedAt) }),
            i.contestReason,
            'instruction-contested',
          )
        : null}
      {i.withdrawnAt
        ? note(
            'gray',
            t('governance.withdrawnText', { at: dateTime(i.withdrawnAt) }),
            i.withdrawReason,
            'instruction-withdrawn',
          )
        : null}
    </>
  );
}
