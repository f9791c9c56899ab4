import { Alert, Anchor, Button, Paper, SimpleGrid, Stack, Text, TextInput, Title } from '@mantine/core';
import { useState, type FormEvent } from 'react';
import { api, type ReceiptStatus } from '../../api.ts';
import { CitizenLinks } from '../../components/CitizenLinks.tsx';
import { Loadable } from '../../components/Loadable.tsx';
import { PublicLayout } from '../../components/PublicLayout.tsx';
import { useI18n } from '../../i18n/index.tsx';
import { linkProps, navigate } from '../../router.ts';
import { useApi } from '../../useApi.ts';
import { EvidencePicker, FileResults, uploadAll, type FileResult } from './EvidenceFiles.tsx';
import { inLang, ReportStatusBadge, useReportLabels } from './reportLabels.tsx';
import { Field } from '../../components/Field.tsx';

/** `/receipt` and `/receipt/:code`: a report's status by its receipt code, no account needed. */
export function ReceiptPage({ code }: { code: string }) {
  const { t } = useI18n();
  const [typed, setTyped] = useState(code);
  const [invalid, setInvalid] = useState(false);

  function submit(e: FormEvent) {
    e.preventDefault();
    const c = typed.trim().toUpperCase();
    setInvalid(!c);
    if (c) navigate(`/receipt/${encodeURIComponent(c)}`);
  }

  return (
    <PublicLayout>
      <Stack gap="lg">
        <Stack gap={4}>
          <Title order={2}>{t('receipt.title')}</Title>
          <Text size="sm" c="dimmed">
            {t('receipt.intro')}
          </Text>
        </Stack>
        <Paper withBorder p="md" radius="md" component="form" onSubmit={submit} noValidate>
          <Stack gap="sm">
            <TextInput
              label={t('receipt.code')}
              placeholder={t('receipt.codePlaceholder')}
              value={typed}
              onChange={(e) => setTyped(e.currentTarget.value)}
              error={invalid ? t('receipt.codeRequired') : undefined}
              size="md"
              autoComplete="off"
              autoCapitalize="characters"
              spellCheck={false}
              ff="monospace"
            />
            <Button type="submit" size="md" fullWidth>
              {t('receipt.submit')}
            </Button>
          </Stack>
        </Paper>
        {code ? <Status code={code} /> : null}
        <Alert color="red" variant="outline">
          {t('public.emergency')}
        </Alert>
        <Paper withBorder p="lg" radius="md">
          <Stack gap="xs">
            <Title order={3} size="h5">
              {t('public.heading')}
            </Title>
            <CitizenLinks />
            <Text size="sm" mt="sm">
              <Anchor {...linkProps('/login')}>{t('public.staffSignIn')}</Anchor>
            </Text>
          </Stack>
        </Paper>
      </Stack>
    </PublicLayout>
  );
}

function Status({ code }: { code: string }) {
  const [receipt, reload] = useApi(() => api.getReceipt(code), [code]);
  return (
    <Loadable state={receipt} onRetry={reload}>
      {(r) => <Receipt receipt={r} onAdded={reload} />}
    </Loadable>
  );
}

function Receipt({ receipt: r, onAdded }: { receipt: ReceiptStatus; onAdded: () => void }) {
  const { t, lang, dateTime } = useI18n();
  const labels = useReportLabels();
  return (
    <Stack gap="md" data-testid="receipt">
      <Paper withBorder p="md" radius="md">
        <Stack gap="md">
          <Stack gap={4}>
            <Text size="xs" c="dimmed">
              {t('receipt.code')}
            </Text>
            <Text ff="monospace" fw={700} fz={22} style={{ letterSpacing: '0.06em' }}>
              {r.receiptCode}
            </Text>
          </Stack>
          <Stack gap={4}>
            <Text size="xs" c="dimmed">
              {t('receipt.status')}
            </Text>
            <div>
              <ReportStatusBadge status={r.status} size="xl" />
            </div>
          </Stack>
          <Text size="sm" data-testid="receipt-message">
            {inLang(r.message, lang)}
          </Text>
          {r.note ? (
            <Alert color="blue" variant="light" title={t('receipt.note')} data-testid="receipt-note">
              <Text size="sm" style={{ whiteSpace: 'pre-wrap' }}>
                {r.note}
              </Text>
            </Alert>
          ) : null}
          <SimpleGrid cols={2} spacing="md">
            <Field label={t('receipt.kind')}>{labels.kind(r.kind)}</Field>
            <Field label={t('receipt.category')}>{labels.category(r.category)}</Field>
            <Field label={t('receipt.receivedAt')}>{dateTime(r.receivedAt)}</Field>
            <Field label={t('receipt.updatedAt')}>{dateTime(r.updatedAt)}</Field>
            <Field label={t('receipt.evidence')}>
              <span data-testid="receipt-evidence">{t('receipt.evidenceCount', { count: r.evidence })}</span>
            </Field>
          </SimpleGrid>
        </Stack>
      </Paper>
      <AddEvidence code={r.receiptCode} onAdded={onAdded} />
    </Stack>
  );
}

/** More evidence for the report: one request per file, each file's outcome shown. */
function AddEvidence({ code, onAdded }: { code: string; onAdded: () => void }) {
  const { t } = useI18n();
  const [files, setFiles] = useState<File[]>([]);
  const [results, setResults] = useState<FileResult[]>([]);
  const [missing, setMissing] = useState(false);
  const [busy, setBusy] = useState(false);

  async function send(e: FormEvent) {
    e.preventDefault();
    setMissing(files.length === 0);
    if (!files.length) return;
    setBusy(true);
    try {
      const done = await uploadAll(code, files, setResults);
      setFiles([]);
      if (done.some((r) => r.state === 'sent')) onAdded();
    } finally {
      setBusy(false);
    }
  }

  return (
    <Paper withBorder p="md" radius="md" component="form" onSubmit={send} noValidate>
      <Stack gap="sm">
        <Title order={3} size="h5">
          {t('receipt.addEvidence')}
        </Title>
        <EvidencePicker
          label={t('evidenceUpload.files')}
          description={t('receipt.addEvidenceHint')}
          files={files}
          onChange={(f) => {
            setFiles(f);
            setMissing(false);
          }}
          error={missing ? t('receipt.noFiles') : undefined}
        />
        <Button type="submit" loading={busy} size="md" fullWidth variant="light">
          {t('receipt.send')}
        </Button>
        <FileResults results={results} />
      </Stack>
    </Paper>
  );
}
