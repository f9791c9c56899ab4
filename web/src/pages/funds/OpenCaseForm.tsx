import {
  ActionIcon,
  Alert,
  Button,
  Group,
  Modal,
  Paper,
  SimpleGrid,
  Stack,
  Text,
  TextInput,
} from '@mantine/core';
import { useState, type FormEvent } from 'react';
import { ErrorAlert } from '../../components/ErrorAlert.tsx';
import { useI18n } from '../../i18n/index.tsx';
import { navigate } from '../../router.ts';
import { fundsApi } from './fundsApi.ts';
import { parseYuan } from './labels.tsx';
import type { NewFundCase } from './types.ts';

interface TransferDraft {
  txnId: string;
  payerAccount: string;
  payeeAccount: string;
  amount: string;
  paidAt: string;
}
interface VictimDraft {
  name: string;
  idNumber: string;
  phone: string;
  transfers: TransferDraft[];
}

const blankTransfer = (): TransferDraft => ({
  txnId: '',
  payerAccount: '',
  payeeAccount: '',
  amount: '',
  paidAt: '',
});
const blankVictim = (): VictimDraft => ({ name: '', idNumber: '', phone: '', transfers: [blankTransfer()] });

/** The form as the API takes it, or the first thing to fix (a message key). */
export function caseInput(
  victims: VictimDraft[],
  reportId?: string,
):
  | { ok: true; input: NewFundCase }
  | { ok: false; problem: 'funds.formTransfer' | 'funds.formAmount' | 'funds.formPaidAt' } {
  const out: NewFundCase['victims'] = [];
  for (const v of victims) {
    const transfers: NewFundCase['victims'][number]['transfers'] = [];
    for (const tr of v.transfers) {
      if (!tr.payerAccount.trim() || !tr.payeeAccount.trim())
        return { ok: false, problem: 'funds.formTransfer' };
      const amount = parseYuan(tr.amount);
      if (!amount) return { ok: false, problem: 'funds.formAmount' };
      const paid = new Date(tr.paidAt);
      if (!tr.paidAt || Number.isNaN(paid.getTime())) return { ok: false, problem: 'funds.formPaidAt' };
      transfers.push({
        ...(tr.txnId.trim() ? { txnId: tr.txnId.trim() } : {}),
        payerAccount: tr.payerAccount.trim(),
        payeeAccount: tr.payeeAccount.trim(),
        amount,
        paidAt: paid.toISOString(),
      });
    }
    if (!transfers.length) return { ok: false, problem: 'funds.formTransfer' };
    out.push({
      ...(v.name.trim() ? { name: v.name.trim() } : {}),
      ...(v.idNumber.trim() ? { idNumber: v.idNumber.trim() } : {}),
      ...(v.phone.trim() ? { phone: v.phone.trim() } : {}),
      transfers,
    });
  }
  return {
    ok: true,
    input: reportId ? { source: 'report', reportId, victims: out } : { source: 'analyst', victims: out },
  };
}

/** A report's loss, to start the form from (the report's payee account, amount and time). */
export interface ReportLoss {
  reportId: string;
  payeeAccount: string;
  /** Yuan, as the report has it (`52000.00`). */
  amount: string;
  /** ISO time, or null. */
  paidAt: string | null;
}

/** An ISO time as a datetime-local input shows it (the browser's local time). */
function localInput(iso: string): string {
  const d = new Date(iso);
  return new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
}

const fromReport = (r: ReportLoss): VictimDraft => ({
  ...blankVictim(),
  transfers: [
    {
      ...blankTransfer(),
      payeeAccount: r.payeeAccount,
      amount: r.amount,
      paidAt: r.paidAt ? localInput(r.paidAt) : '',
    },
  ],
});

/**
 * "Open a case": the victims and what they paid where; the case opens with its first stop-payments.
 * From a report (`report`), the form starts from its loss and the case names the report, so the
 * time from report to first stop-payment is counted.
 */
export function OpenCaseForm({ report }: { report?: ReportLoss } = {}) {
  const { t } = useI18n();
  const start = () => [report ? fromReport(report) : blankVictim()];
  const [opened, setOpened] = useState(false);
  const [victims, setVictims] = useState<VictimDraft[]>(start);
  const [problem, setProblem] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const setVictim = (i: number, v: Partial<VictimDraft>) =>
    setVictims((all) => all.map((x, n) => (n === i ? { ...x, ...v } : x)));
  const setTransfer = (i: number, j: number, tr: Partial<TransferDraft>) =>
    setVictims((all) =>
      all.map((x, n) =>
        n === i ? { ...x, transfers: x.transfers.map((y, m) => (m === j ? { ...y, ...tr } : y)) } : x,
      ),
    );

  function close() {
    setOpened(false);
    setVictims(start());
    setProblem(null);
    setError(null);
  }

  async function submit(e: FormEvent) {
    e.preventDefault();
    setError(null);
    const parsed = caseInput(victims, report?.reportId);
    if (!parsed.ok) {
      setProblem(t(parsed.problem));
      return;
    }
    setProblem(null);
    setBusy(true);
    try {
      const opened = await fundsApi.openCase(parsed.input);
      close();
      navigate(`/funds/cases/${opened.id}`);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <>
      <Button onClick={() => setOpened(true)} data-testid="funds-open-case">
        {t('funds.openCase')}
      </Button>
      <Modal
        opened={opened}
        onClose={close}
        title={t('funds.openCase')}
        size="xl"
        closeButtonProps={{ 'aria-label': t('common.close') }}
      >
        <form onSubmit={submit} noValidate>
          <Stack>
            <Text size="sm" c="dimmed">
              {t('funds.openCaseIntro')}
            </Text>
            {problem ? (
              <Alert color="red" variant="light">
                {problem}
              </Alert>
            ) : null}
            {error ? <ErrorAlert error={error} /> : null}
            {victims.map((v, i) => (
              <Paper key={i} withBorder p="sm" radius="md">
                <Stack gap="xs">
                  <Group justify="space-between">
                    <Text fw={600} size="sm">
                      {t('funds.victimN', { n: i + 1 })}
                    </Text>
                    {victims.length > 1 ? (
                      <Button
                        size="compact-xs"
                        variant="subtle"
                        color="red"
                        onClick={() => setVictims((all) => all.filter((_, n) => n !== i))}
                      >
                        {t('funds.removeVictim')}
                      </Button>
                    ) : null}
                  </Group>
                  <SimpleGrid cols={{ base: 1, sm: 3 }} spacing="xs">
                    <TextInput
                      label={t('funds.victimName')}
                      value={v.name}
                      onChange={(e) => setVictim(i, { name: e.currentTarget.value })}
                      maxLength={100}
                    />
                    <TextInput
                      label={t('funds.victimIdNumber')}
                      value={v.idNumber}
                      onChange={(e) => setVictim(i, { idNumber: e.currentTarget.value })}
                      maxLength={32}
                    />
                    <TextInput
                      label={t('funds.victimPhone')}
                      value={v.phone}
                      onChange={(e) => setVictim(i, { phone: e.currentTarget.value })}
                      maxLength={32}
                    />
                  </SimpleGrid>
                  {v.transfers.map((tr, j) => (
                    <Group key={j} align="flex-end" gap="xs" wrap="wrap">
                      <TextInput
                        label={t('funds.payerAccount')}
                        value={tr.payerAccount}
                        onChange={(e) => setTransfer(i, j, { payerAccount: e.currentTarget.value })}
                        ff="monospace"
                        required
                        w={180}
                      />
                      <TextInput
                        label={t('funds.payeeAccount')}
                        value={tr.payeeAccount}
                        onChange={(e) => setTransfer(i, j, { payeeAccount: e.currentTarget.value })}
                        required
                        w={180}
                      />
                      <TextInput
                        label={t('funds.amountYuan')}
                        value={tr.amount}
                        onChange={(e) => setTransfer(i, j, { amount: e.currentTarget.value })}
                        inputMode="decimal"
                        required
                        w={120}
                      />
                      <TextInput
                        label={t('funds.paidAt')}
                        type="datetime-local"
                        value={tr.paidAt}
                        onChange={(e) => setTransfer(i, j, { paidAt: e.currentTarget.value })}
                        required
                        w={200}
                      />
                      <TextInput
                        label={t('funds.txnIdOptional')}
                        value={tr.txnId}
                        onChange={(e) => setTransfer(i, j, { txnId: e.currentTarget.value })}
                        w={150}
                      />
                      {v.transfers.length > 1 ? (
                        <ActionIcon
                          variant="subtle"
                          color="red"
                          aria-label={t('funds.removeTransfer')}
                          onClick={() => setVictim(i, { transfers: v.transfers.filter((_, m) => m !== j) })}
                          mb={4}
                        >
                          ×
                        </ActionIcon>
                      ) : null}
                    </Group>
                  ))}
                  <div>
                    <Button
                      size="compact-xs"
                      variant="light"
                      onClick={() => setVictim(i, { transfers: [...v.transfers, blankTransfer()] })}
                    >
                      {t('funds.addTransfer')}
                    </Button>
                  </div>
                </Stack>
              </Paper>
            ))}
            <Group justify="space-between">
              <Button variant="light" onClick={() => setVictims((all) => [...all, blankVictim()])}>
                {t('funds.addVictim')}
              </Button>
              <Group>
                <Button variant="default" onClick={close}>
                  {t('common.cancel')}
                </Button>
                <Button type="submit" loading={busy}>
                  {t('funds.openCaseSubmit')}
                </Button>
              </Group>
            </Group>
          </Stack>
        </form>
      </Modal>
    </>
  );
}
