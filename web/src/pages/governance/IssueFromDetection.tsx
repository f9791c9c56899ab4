import { Anchor, Button, Group, Modal, NativeSelect, Stack, Text, Textarea } from '@mantine/core';
import { useEffect, useState, type FormEvent } from 'react';
import { api, type Detection, type FromDetectionsResult, type Instruction } from '../../api.ts';
import { ErrorAlert } from '../../components/ErrorAlert.tsx';
import { useI18n } from '../../i18n/index.tsx';
import { linkProps } from '../../router.ts';
import { useApi } from '../../useApi.ts';
import { useDetectionLabels } from '../detection/labels.tsx';
import { InstructionStatusBadge, TargetText, useInstructionLabels } from './labels.tsx';

/** The article an analyst most likely cites for a subject (they can pick another). */
const DEFAULT_BASIS: Record<Detection['subjectKind'], string> = {
  msisdn: 'atof_art11',
  imei: 'atof_art32',
  account: 'atof_art18',
  holder: 'atof_art32',
};

/**
 * On a confirmed detection: "Issue instructions" turns its recommended measures into instructions
 * (POST /v1/instructions/from-detections) citing the legal basis picked, then lists what was
 * issued now, what was issued before, and what is no instruction, with links.
 */
export function IssueFromDetection({ detection }: { detection: Detection }) {
  const { t, lang } = useI18n();
  const [opened, setOpened] = useState(false);
  const [bases] = useApi(() => api.listLegalBases(), []);
  const [basis, setBasis] = useState(DEFAULT_BASIS[detection.subjectKind]);
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [result, setResult] = useState<FromDetectionsResult | null>(null);

  // the catalogue may lack the default: fall back to its first article
  useEffect(() => {
    if (bases.status === 'ready' && !bases.data.items.some((b) => b.id === basis))
      setBasis(bases.data.items[0]?.id ?? basis);
  }, [bases, basis]);

  function close() {
    setOpened(false);
    setReason('');
    setError(null);
  }

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      setResult(
        await api.instructFromDetections({
          detectionIds: [detection.id],
          legalBasis: basis,
          ...(reason.trim() ? { reason: reason.trim() } : {}),
        }),
      );
      close();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <Stack gap="sm">
      <Group>
        <Button size="compact-sm" onClick={() => setOpened(true)} data-testid="issue-instructions">
          {t('governance.issue')}
        </Button>
      </Group>
      <Modal
        opened={opened}
        onClose={close}
        title={t('governance.issueTitle')}
        closeButtonProps={{ 'aria-label': t('common.close') }}
        centered
      >
        <form onSubmit={submit} noValidate>
          <Stack>
            <Text size="sm">{t('governance.issueBody')}</Text>
            {error ? <ErrorAlert error={error} /> : null}
            {bases.status === 'error' ? <ErrorAlert error={bases.error} /> : null}
            <NativeSelect
              label={t('governance.legalBasis')}
              value={basis}
              onChange={(e) => setBasis(e.currentTarget.value)}
              data={
                bases.status === 'ready'
                  ? bases.data.items.map((b) => ({
                      value: b.id,
                      label: `${t('governance.article', { article: b.article })} · ${lang === 'en' ? b.en : b.zh}`,
                    }))
                  : []
              }
            />
            <Textarea
              label={t('governance.issueReason')}
              description={t('governance.issueReasonHint')}
              value={reason}
              onChange={(e) => setReason(e.currentTarget.value)}
              autosize
              minRows={2}
              maxLength={2000}
            />
            <Group justify="flex-end">
              <Button variant="default" onClick={close}>
                {t('common.cancel')}
              </Button>
              <Button type="submit" loading={busy} disabled={bases.status !== 'ready'}>
                {t('governance.issueConfirm')}
              </Button>
            </Group>
          </Stack>
        </form>
      </Modal>
      {result ? <Outcome result={result} /> : null}
    </Stack>
  );
}

function Outcome({ result }: { result: FromDetectionsResult }) {
  const { t } = useI18n();
  const labels = useInstructionLabels();
  const detectionLabels = useDetectionLabels();
  const rows = (items: Instruction[], testId: string, title: string) =>
    items.length ? (
      <Stack gap={4} data-testid={testId}>
        <Text size="sm" fw={600}>
          {title}
        </Text>
        {items.map((i) => (
          <Group key={i.id} gap="xs" wrap="wrap" data-instruction={i.id}>
            <Anchor {...linkProps(`/governance/${i.id}`)} size="sm">
              {labels.measure(i.measure)}
            </Anchor>
            <TargetText target={i.target} />
            <Text size="sm" c="dimmed">
              → {i.receivingOrganisation}
            </Text>
            <InstructionStatusBadge status={i.status} />
          </Group>
        ))}
      </Stack>
    ) : null;
  return (
    <Stack gap="sm" data-testid="issue-result">
      {result.created.length + result.existing.length === 0 ? (
        <Text size="sm">{t('governance.issueNone')}</Text>
      ) : null}
      {rows(result.created, 'issue-created', t('governance.issueCreated'))}
      {rows(result.existing, 'issue-existing', t('governance.issueExisting'))}
      {result.skipped.length ? (
        <Stack gap={4} data-testid="issue-skipped">
          <Text size="sm" fw={600}>
            {t('governance.issueSkipped')}
          </Text>
          {result.skipped.map((s) => (
            <Text key={`${s.detectionId}:${s.measure}`} size="sm" c="dimmed">
              {detectionLabels.measure(s.measure)}: {s.reason}
            </Text>
          ))}
        </Stack>
      ) : null}
    </Stack>
  );
}
