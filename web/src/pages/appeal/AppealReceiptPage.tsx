import {
  Alert,
  Anchor,
  Button,
  Group,
  Paper,
  SimpleGrid,
  Stack,
  Text,
  Textarea,
  TextInput,
  Title,
} from '@mantine/core';
import { useState, type FormEvent } from 'react';
import { api, type AppealReceiptStatus } from '../../api.ts';
import { CitizenLinks } from '../../components/CitizenLinks.tsx';
import { ErrorAlert } from '../../components/ErrorAlert.tsx';
import { Field } from '../../components/Field.tsx';
import { Loadable } from '../../components/Loadable.tsx';
import { PublicLayout } from '../../components/PublicLayout.tsx';
import { useI18n } from '../../i18n/index.tsx';
import { linkProps, navigate } from '../../router.ts';
import { useApi } from '../../useApi.ts';
import { EvidencePicker, FileResults, type FileResult } from '../reports/EvidenceFiles.tsx';
import { inLang, money } from '../reports/reportLabels.tsx';
import {
  AppealStatusBadge,
  MONO_INPUT,
  OPEN_APPEAL,
  uploadAppealEvidence,
  useAppealLabels,
} from './labels.tsx';

const AMOUNT = /^\d{1,12}(\.\d{1,2})?$/;

/** `/appeal/receipt` and `/appeal/receipt/:code`: an appeal's state by its receipt code, no account needed. */
export function AppealReceiptPage({ code }: { code: string }) {
  const { t } = useI18n();
  const [typed, setTyped] = useState(code);
  const [invalid, setInvalid] = useState(false);

  function submit(e: FormEvent) {
    e.preventDefault();
    const c = typed.trim().toUpperCase();
    setInvalid(!c);
    if (c) navigate(`/appeal/receipt/${encodeURIComponent(c)}`);
  }

  return (
    <PublicLayout>
      <Stack gap="lg">
        <Stack gap={4}>
          <Title order={2}>{t('appealReceipt.title')}</Title>
          <Text size="sm" c="dimmed">
            {t('appealReceipt.intro')}
          </Text>
        </Stack>
        <Paper withBorder p="md" radius="md" component="form" onSubmit={submit} noValidate>
          <Stack gap="sm">
            <TextInput
              label={t('appealReceipt.code')}
              placeholder={t('appealReceipt.codePlaceholder')}
              value={typed}
              onChange={(e) => setTyped(e.currentTarget.value)}
              error={invalid ? t('appealReceipt.codeRequired') : undefined}
              size="md"
              autoComplete="off"
              autoCapitalize="characters"
              spellCheck={false}
              styles={MONO_INPUT}
            />
            <Button type="submit" size="md" fullWidth>
              {t('appealReceipt.submit')}
            </Button>
          </Stack>
        </Paper>
        {code ? <Status code={code} /> : null}
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
  const [receipt, reload] = useApi(() => api.getAppealReceipt(code), [code]);
  return (
    <Loadable state={receipt} onRetry={reload}>
      {(r) => <Receipt receipt={r} onChanged={reload} />}
    </Loadable>
  );
}

function Receipt({ receipt: r, onChanged }: { receipt: AppealReceiptStatus; onChanged: () => void }) {
  const { t, dateTime } = useI18n();
  const open = OPEN_APPEAL.includes(r.status);
  const late = open && new Date(r.respondBy).getTime() < Date.now();
  return (
    <Stack gap="md" data-testid="appeal-receipt">
      <Paper withBorder p="md" radius="md">
        <Stack gap="md">
          <Stack gap={4}>
            <Text size="xs" c="dimmed">
              {t('appealReceipt.code')}
            </Text>
            <Text ff="monospace" fw={700} fz={22} style={{ letterSpacing: '0.06em' }}>
              {r.receiptCode}
            </Text>
          </Stack>
          <Stack gap={4}>
            <Text size="xs" c="dimmed">
              {t('appealReceipt.status')}
            </Text>
            <div>
              <AppealStatusBadge status={r.status} size="xl" />
            </div>
          </Stack>
          {open ? <Text size="sm">{t('appealReceipt.open')}</Text> : null}
          {late ? (
            <Text size="sm" c="red" fw={600}>
              {t('appealReceipt.overdue')}
            </Text>
          ) : null}
          {r.status === 'withdrawn' ? <Text size="sm">{t('appealReceipt.withdrawn')}</Text> : null}
          <SimpleGrid cols={{ base: 1, xs: 3 }} spacing="md">
            <Field label={t('appealReceipt.receivedAt')}>{dateTime(r.receivedAt)}</Field>
            <Field label={t('appealReceipt.respondBy')}>
              <span data-testid="appeal-respond-by">{dateTime(r.respondBy)}</span>
            </Field>
            <Field label={t('appealReceipt.evidence')}>
              {t('appealReceipt.evidenceCount', { count: r.evidenceFiles })}
            </Field>
          </SimpleGrid>
        </Stack>
      </Paper>
      {r.decision ? <Decision decision={r.decision} /> : null}
      {open ? <AddEvidence code={r.receiptCode} onAdded={onChanged} /> : null}
      {r.status === 'upheld' || r.compensation.length ? (
        <Compensation receipt={r} onClaimed={onChanged} />
      ) : null}
      {open ? <Withdraw code={r.receiptCode} onDone={onChanged} /> : null}
    </Stack>
  );
}

/** The decision with its reasons; upheld: whether the service is back; rejected: where to go next. */
function Decision({ decision: d }: { decision: NonNullable<AppealReceiptStatus['decision']> }) {
  const { t, lang, dateTime } = useI18n();
  const upheld = d.outcome === 'upheld';
  return (
    <Alert
      color={upheld ? 'green' : 'orange'}
      variant="light"
      title={t(upheld ? 'appealReceipt.upheld' : 'appealReceipt.rejected')}
      data-testid="appeal-decision"
      data-outcome={d.outcome}
    >
      <Stack gap="sm">
        {upheld ? (
          <Text size="sm" fw={600} data-testid="appeal-restored" data-restored={String(!!d.restored)}>
            {t(d.restored ? 'appealReceipt.restored' : 'appealReceipt.restoring')}
          </Text>
        ) : null}
        <Stack gap={2}>
          <Text size="xs" c="dimmed">
            {t('appealReceipt.reasons')} · {t('appealReceipt.decidedAt', { at: dateTime(d.decidedAt) })}
          </Text>
          <Text size="sm" style={{ whiteSpace: 'pre-wrap', wordBreak: 'break-word' }}>
            {d.reasons}
          </Text>
        </Stack>
        {d.furtherRemedies ? (
          <Stack gap={2} data-testid="appeal-remedies">
            <Text size="sm" fw={600}>
              {t('appealReceipt.furtherRemedies')}
            </Text>
            <Text size="sm">{inLang(d.furtherRemedies, lang)}</Text>
          </Stack>
        ) : null}
      </Stack>
    </Alert>
  );
}

/** More evidence while the appeal is open: one request per file, each file's outcome shown. */
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
      const done = await uploadAppealEvidence(code, files, setResults);
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
          {t('appealReceipt.addEvidence')}
        </Title>
        <EvidencePicker
          label={t('evidenceUpload.files')}
          description={t('appealReceipt.addEvidenceHint')}
          files={files}
          onChange={(f) => {
            setFiles(f);
            setMissing(false);
          }}
          error={missing ? t('appealReceipt.noFiles') : undefined}
        />
        <Button type="submit" loading={busy} size="md" fullWidth variant="light">
          {t('appealReceipt.send')}
        </Button>
        <FileResults results={results} />
      </Stack>
    </Paper>
  );
}

/** The claims made and, for an upheld appeal with none waiting, the form to claim. */
function Compensation({ receipt: r, onClaimed }: { receipt: AppealReceiptStatus; onClaimed: () => void }) {
  const { t, lang } = useI18n();
  const labels = useAppealLabels();
  const [amount, setAmount] = useState('');
  const [description, setDescription] = useState('');
  const [invalid, setInvalid] = useState<{ amount?: boolean; description?: boolean }>({});
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const canClaim = r.status === 'upheld' && !r.compensation.some((c) => c.status === 'filed');

  async function claim(e: FormEvent) {
    e.preventDefault();
    const a = amount.trim().replace(/[,，\s]/g, '');
    const bad = { amount: !AMOUNT.test(a) || Number(a) <= 0, description: !description.trim() };
    setInvalid(bad);
    if (bad.amount || bad.description) return;
    setBusy(true);
    setError(null);
    try {
      await api.claimCompensation(r.receiptCode, { amount: a, description: description.trim() });
      setAmount('');
      setDescription('');
      onClaimed();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <Paper withBorder p="md" radius="md" data-testid="appeal-compensation">
      <Stack gap="sm">
        <Title order={3} size="h5">
          {t('appealReceipt.compensation')}
        </Title>
        <Text size="sm" c="dimmed">
          {t('appealReceipt.compensationIntro')}
        </Text>
        {r.compensation.length ? (
          <Stack gap="xs">
            {r.compensation.map((c, i) => (
              <Group key={i} justify="space-between" gap="xs" wrap="wrap" data-testid="appeal-claim">
                <Text size="sm">
                  {t('appealReceipt.claimed')}: {money(c.amount, lang, c.currency)}
                  {c.amountGranted !== null
                    ? ` · ${t('appealReceipt.granted')}: ${money(c.amountGranted, lang, c.currency)}`
                    : ''}
                </Text>
                <Text size="sm" fw={600}>
                  {labels.compensation(c.status)}
                </Text>
              </Group>
            ))}
          </Stack>
        ) : (
          <Text size="sm">{t('appealReceipt.compensationNone')}</Text>
        )}
        {canClaim ? (
          <form onSubmit={claim} noValidate aria-label={t('appealReceipt.claimSubmit')}>
            <Stack gap="sm">
              <TextInput
                label={t('appealReceipt.claimAmount')}
                placeholder={t('appealReceipt.claimAmountPlaceholder')}
                value={amount}
                onChange={(e) => setAmount(e.currentTarget.value)}
                error={invalid.amount ? t('appealReceipt.claimAmountInvalid') : undefined}
                inputMode="decimal"
                withAsterisk
                size="md"
              />
              <Textarea
                label={t('appealReceipt.claimDescription')}
                placeholder={t('appealReceipt.claimDescriptionPlaceholder')}
                value={description}
                onChange={(e) => setDescription(e.currentTarget.value)}
                error={invalid.description ? t('appealReceipt.claimDescriptionRequired') : undefined}
                withAsterisk
                autosize
                minRows={3}
                maxLength={4000}
                size="md"
              />
              {error ? <ErrorAlert error={error} /> : null}
              <Button type="submit" loading={busy} size="md" fullWidth variant="light">
                {t('appealReceipt.claimSubmit')}
              </Button>
            </Stack>
          </form>
        ) : null}
      </Stack>
    </Paper>
  );
}

/** Withdrawing asks once more: the measure stays as it is. */
function Withdraw({ code, onDone }: { code: string; onDone: () => void }) {
  const { t } = useI18n();
  const [asking, setAsking] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  async function withdraw() {
    setBusy(true);
    setError(null);
    try {
      await api.withdrawAppeal(code);
      setAsking(false);
      onDone();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <Stack gap="xs">
      {error ? <ErrorAlert error={error} /> : null}
      {asking ? (
        <Alert color="gray" variant="light">
          <Stack gap="sm">
            <Text size="sm">{t('appealReceipt.withdrawConfirm')}</Text>
            <Group gap="sm">
              <Button color="red" loading={busy} onClick={() => void withdraw()}>
                {t('appealReceipt.withdrawYes')}
              </Button>
              <Button variant="default" onClick={() => setAsking(false)}>
                {t('common.cancel')}
              </Button>
            </Group>
          </Stack>
        </Alert>
      ) : (
        <Button variant="subtle" color="red" onClick={() => setAsking(true)}>
          {t('appealReceipt.withdraw')}
        </Button>
      )}
    </Stack>
  );
}
