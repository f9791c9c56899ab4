import {
  Button,
  NativeSelect,
  Paper,
  SegmentedControl,
  SimpleGrid,
  Stack,
  Text,
  Textarea,
  TextInput,
} from '@mantine/core';
import { useState, type FormEvent } from 'react';
import {
  api,
  USE_RESULTS,
  VERIFICATION_METHODS,
  VERIFICATION_RESULTS,
  type Appeal,
  type CompensationClaim,
  type UseResult,
  type VerificationMethod,
  type VerificationResult,
} from '../../api.ts';
import { ErrorAlert } from '../../components/ErrorAlert.tsx';
import { useI18n } from '../../i18n/index.tsx';
import { useAppealLabels } from '../appeal/labels.tsx';

/** A form's busy state and error around one call; `onError` sees the error too (a 409, say). */
function useSubmit(onDone: () => void, onError?: (err: unknown) => void) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  async function run(call: () => Promise<unknown>) {
    setBusy(true);
    setError(null);
    try {
      await call();
      onDone();
    } catch (err) {
      setError(err);
      onError?.(err);
    } finally {
      setBusy(false);
    }
  }
  return { busy, error, run };
}

/** The re-verification of the appellant's identity and real use of the card or account. */
export function VerificationForm({
  appeal: a,
  onDone,
  onError,
}: {
  appeal: Appeal;
  onDone: () => void;
  onError?: (err: unknown) => void;
}) {
  const { t } = useI18n();
  const labels = useAppealLabels();
  const [identity, setIdentity] = useState<VerificationResult>(a.verification.identity ?? 'confirmed');
  const [use, setUse] = useState<UseResult>(a.verification.use ?? 'confirmed');
  const [method, setMethod] = useState<VerificationMethod>(a.verification.method ?? 'callback');
  const [note, setNote] = useState('');
  const { busy, error, run } = useSubmit(() => {
    setNote('');
    onDone();
  }, onError);

  function submit(e: FormEvent) {
    e.preventDefault();
    void run(() =>
      api.verifyAppeal(a.id, { identity, use, method, ...(note.trim() ? { note: note.trim() } : {}) }),
    );
  }

  return (
    <Paper
      bg="var(--mantine-color-gray-0)"
      p="sm"
      radius="md"
      component="form"
      onSubmit={submit}
      noValidate
      aria-label={t('appeals.recordVerification')}
    >
      <Stack gap="sm">
        <Text size="sm" fw={600}>
          {t('appeals.recordVerification')}
        </Text>
        <Text size="xs" c="dimmed">
          {t('appeals.verificationIntro')}
        </Text>
        <SimpleGrid cols={{ base: 1, sm: 3 }} spacing="sm">
          <NativeSelect
            label={t('appeals.identity')}
            value={identity}
            onChange={(e) => setIdentity(e.currentTarget.value as VerificationResult)}
            data={VERIFICATION_RESULTS.map((r) => ({ value: r, label: labels.identity(r) }))}
          />
          <NativeSelect
            label={t('appeals.use')}
            value={use}
            onChange={(e) => setUse(e.currentTarget.value as UseResult)}
            data={USE_RESULTS.map((r) => ({ value: r, label: labels.use(r) }))}
          />
          <NativeSelect
            label={t('appeals.method')}
            value={method}
            onChange={(e) => setMethod(e.currentTarget.value as VerificationMethod)}
            data={VERIFICATION_METHODS.map((m) => ({ value: m, label: labels.method(m) }))}
          />
        </SimpleGrid>
        <Textarea
          label={t('appeals.note')}
          placeholder={t('appeals.notePlaceholder')}
          value={note}
          onChange={(e) => setNote(e.currentTarget.value)}
          autosize
          minRows={2}
          maxLength={2000}
        />
        {error ? <ErrorAlert error={error} /> : null}
        <div>
          <Button type="submit" loading={busy}>
            {t('appeals.recordVerification')}
          </Button>
        </div>
      </Stack>
    </Paper>
  );
}

/** Uphold or reject with written reasons; the server's 403 (issuer) and 409 (not verified) show as they are. */
export function AppealDecisionForm({
  appeal: a,
  onDone,
  onError,
}: {
  appeal: Appeal;
  onDone: () => void;
  onError?: (err: unknown) => void;
}) {
  const { t } = useI18n();
  const [outcome, setOutcome] = useState<'upheld' | 'rejected'>('upheld');
  const [reasons, setReasons] = useState('');
  const [missing, setMissing] = useState(false);
  const { busy, error, run } = useSubmit(onDone, onError);
  const verified =
    a.verification.identity === 'confirmed' &&
    (a.verification.use === 'confirmed' || a.verification.use === 'not_applicable');

  function submit(e: FormEvent) {
    e.preventDefault();
    setMissing(!reasons.trim());
    if (!reasons.trim()) return;
    void run(() => api.decideAppeal(a.id, { outcome, reasons: reasons.trim() }));
  }

  return (
    <Paper
      withBorder
      p="md"
      radius="md"
      component="form"
      onSubmit={submit}
      noValidate
      aria-label={t('appeals.decisionTitle')}
    >
      <Stack gap="sm">
        <Text size="sm" c="dimmed">
          {t('appeals.decisionIntro')}
        </Text>
        <Stack gap={4}>
          <Text size="sm" fw={600} id="appeal-outcome">
            {t('appeals.outcome')}
          </Text>
          <SegmentedControl
            aria-labelledby="appeal-outcome"
            value={outcome}
            onChange={(v) => setOutcome(v as 'upheld' | 'rejected')}
            data={[
              { value: 'upheld', label: t('appeals.uphold') },
              { value: 'rejected', label: t('appeals.reject') },
            ]}
            color={outcome === 'upheld' ? 'green' : 'red'}
            style={{ alignSelf: 'flex-start' }}
          />
        </Stack>
        {outcome === 'upheld' && !verified ? (
          <Text size="sm" c="orange" data-testid="appeal-verify-first">
            {t('appeals.verifyFirst')}
          </Text>
        ) : null}
        <Textarea
          label={t('appeals.reasons')}
          description={t('appeals.reasonsHint')}
          value={reasons}
          onChange={(e) => {
            setReasons(e.currentTarget.value);
            setMissing(false);
          }}
          error={missing ? t('appeals.reasonsRequired') : undefined}
          withAsterisk
          autosize
          minRows={3}
          maxLength={4000}
        />
        {error ? <ErrorAlert error={error} /> : null}
        <div>
          <Button type="submit" loading={busy} color={outcome === 'upheld' ? 'green' : 'red'}>
            {t('appeals.decide')}
          </Button>
        </div>
      </Stack>
    </Paper>
  );
}

/** A supervisor's decision on a claim: granted, partly granted (an amount) or refused, with reasons. */
export function CompensationDecision({ claim, onDone }: { claim: CompensationClaim; onDone: () => void }) {
  const { t } = useI18n();
  const labels = useAppealLabels();
  const [outcome, setOutcome] = useState<'granted' | 'partly_granted' | 'refused'>('granted');
  const [amount, setAmount] = useState('');
  const [reasons, setReasons] = useState('');
  const [missing, setMissing] = useState(false);
  const { busy, error, run } = useSubmit(onDone);

  function submit(e: FormEvent) {
    e.preventDefault();
    setMissing(!reasons.trim());
    if (!reasons.trim()) return;
    void run(() =>
      api.decideCompensation(claim.id, {
        outcome,
        reasons: reasons.trim(),
        ...(outcome === 'partly_granted' ? { amountGranted: amount.trim() } : {}),
      }),
    );
  }

  return (
    <Stack gap="sm" component="form" onSubmit={submit} aria-label={t('appeals.claimDecide')}>
      <Text size="sm" fw={600}>
        {t('appeals.claimDecide')}
      </Text>
      <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="sm">
        <NativeSelect
          label={t('appeals.claimOutcome')}
          value={outcome}
          onChange={(e) => setOutcome(e.currentTarget.value as typeof outcome)}
          data={(['granted', 'partly_granted', 'refused'] as const).map((o) => ({
            value: o,
            label: labels.compensation(o),
          }))}
        />
        {outcome === 'partly_granted' ? (
          <TextInput
            label={t('appeals.claimAmountGranted')}
            description={t('appeals.claimAmountGrantedHint')}
            value={amount}
            onChange={(e) => setAmount(e.currentTarget.value)}
            inputMode="decimal"
          />
        ) : null}
      </SimpleGrid>
      <Textarea
        label={t('appeals.claimReasons')}
        value={reasons}
        onChange={(e) => {
          setReasons(e.currentTarget.value);
          setMissing(false);
        }}
        error={missing ? t('appeals.reasonsRequired') : undefined}
        withAsterisk
        autosize
        minRows={2}
        maxLength={4000}
      />
      {error ? <ErrorAlert error={error} /> : null}
      <div>
        <Button type="submit" loading={busy} variant="light">
          {t('appeals.claimConfirm')}
        </Button>
      </div>
    </Stack>
  );
}
