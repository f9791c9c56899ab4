import {
  Alert,
  Anchor,
  Button,
  Group,
  Paper,
  SimpleGrid,
  Stack,
  Text,
  TextInput,
  Textarea,
  Title,
} from '@mantine/core';
import { useMemo, useState, type FormEvent, type ReactNode } from 'react';
import { DataTable } from '../../components/DataTable.tsx';
import { Field } from '../../components/Field.tsx';
import { Loadable } from '../../components/Loadable.tsx';
import { NoWrap } from '../../components/NoWrap.tsx';
import { PageTitle } from '../../components/PageTitle.tsx';
import { useI18n } from '../../i18n/index.tsx';
import { linkProps } from '../../router.ts';
import { useSession } from '../../session.tsx';
import { useApi } from '../../useApi.ts';
import { ActionButton } from './ActionButton.tsx';
import { FormDialog, useSubmission } from './FormDialog.tsx';
import { fundsApi } from './fundsApi.ts';
import { fen, FundStatusBadge, mayActOnCases, Mono, parseYuan, since, yuanText } from './labels.tsx';
import { FreezeTable, ReturnTable, StopPaymentTable } from './RequestTables.tsx';
import { TraceGraph } from './TraceGraph.tsx';
import type { FundCase, FundTransfer, TraceProposal } from './types.ts';

/**
 * `/funds/cases/:id`: the victims and their transfers, the trace drawn as a graph, the
 * stop-payments and freezes with their state at each bank, the trace's proposals for the next
 * stop-payments, and closing the case with the returns it computes.
 */
export function FundCaseDetailPage({ id }: { id: string }) {
  const { t } = useI18n();
  const [state, reload] = useApi(() => fundsApi.getCase(id), [id]);
  return (
    <Stack gap="md">
      <Anchor {...linkProps('/funds/cases')} size="sm">
        ← {t('funds.back')}
      </Anchor>
      <Loadable state={state} onRetry={reload}>
        {(c) => <Detail fundCase={c} onChanged={reload} />}
      </Loadable>
    </Stack>
  );
}

function Section({
  title,
  children,
  testId,
  aside,
}: {
  title: string;
  children: ReactNode;
  testId?: string;
  aside?: ReactNode;
}) {
  return (
    <Stack gap="xs" data-testid={testId}>
      <Group justify="space-between" wrap="wrap">
        <Title order={3} size="h4">
          {title}
        </Title>
        {aside}
      </Group>
      {children}
    </Stack>
  );
}

function Detail({ fundCase: c, onChanged }: { fundCase: FundCase; onChanged: () => void }) {
  const { t, lang, dateTime, lookup } = useI18n();
  const { session } = useSession();
  const actor = mayActOnCases(session) && c.status === 'open';
  const victimLabel = (vid: string) => c.victims.find((v) => v.id === vid)?.label ?? vid;
  const victimAccounts = useMemo(() => [...new Set(c.transfers.map((tr) => tr.payerAccount))], [c.transfers]);
  const [retraced, setRetraced] = useState(false);
  // The server recomputes what the requests cover, and the proposals, on every read.
  const trace = c.trace;
  const institutionNames = useMemo(() => {
    const names: Record<string, string> = {};
    for (const x of [
      ...c.transfers,
      ...(c.stopPayments ?? []),
      ...(c.freezes ?? []),
      ...(c.trace?.proposals ?? []),
    ])
      if (x.institutionId && x.institutionName) names[x.institutionId] = x.institutionName;
    return names;
  }, [c]);

  return (
    <Stack gap="lg">
      <PageTitle title={t('funds.caseHeading', { reference: c.reference })}>
        <Group gap="sm" wrap="wrap">
          <FundStatusBadge status={c.status} size="lg" />
          {c.status === 'open' ? (
            <Text size="sm" c="dimmed">
              {t('funds.openFor', { span: since(c.openedAt, t) })}
            </Text>
          ) : null}
        </Group>
      </PageTitle>

      <Paper withBorder p="md" radius="md">
        <SimpleGrid cols={{ base: 2, sm: 4 }} spacing="md">
          <Field label={t('funds.source')}>{lookup(`funds.sources.${c.source}`) ?? c.source}</Field>
          <Field label={t('funds.opened')}>
            {dateTime(c.openedAt)} · {c.openedBy}
          </Field>
          <Field label={t('funds.closed')}>{dateTime(c.closedAt)}</Field>
          <Field label={t('funds.loss')}>
            <span data-testid="case-loss">{fen(c.lossTotal, lang)}</span>
          </Field>
          <Field label={t('funds.traced')}>{fen(c.totals.traced, lang)}</Field>
          <Field label={t('funds.stopped')}>
            <span data-testid="case-stopped">{fen(c.totals.stopped, lang)}</span>
          </Field>
          <Field label={t('funds.frozen')}>
            <span data-testid="case-frozen">{fen(c.totals.frozen, lang)}</span>
          </Field>
          <Field label={t('funds.returned')}>
            <span data-testid="case-returned">{fen(c.totals.returned, lang)}</span>
          </Field>
        </SimpleGrid>
      </Paper>

      <SimpleGrid cols={{ base: 1, lg: 3 }} spacing="lg">
        <Section title={t('funds.victims')}>
          <DataTable
            label={t('funds.victims')}
            minWidth={260}
            rows={c.victims}
            columns={[
              {
                header: t('funds.victim'),
                cell: (v) => (
                  <Stack gap={0}>
                    <span data-testid="case-victim">{v.label}</span>
                    {v.idNumber || v.phone ? (
                      <Text size="xs" c="dimmed" ff="monospace">
                        {[v.idNumber, v.phone].filter(Boolean).join(' · ')}
                      </Text>
                    ) : null}
                  </Stack>
                ),
              },
              { header: t('funds.loss'), cell: (v) => fen(v.lossAmount, lang) },
            ]}
          />
        </Section>
        <div style={{ gridColumn: 'span 2', minWidth: 0 }}>
          <Section title={t('funds.transfers')}>
            <DataTable<FundTransfer & { id: string }>
              label={t('funds.transfers')}
              minWidth={720}
              rows={c.transfers.map((tr) => ({ ...tr, id: tr.txnId }))}
              columns={[
                { header: t('funds.victim'), cell: (tr) => victimLabel(tr.victimId) },
                { header: t('funds.payerAccount'), cell: (tr) => <Mono>{tr.payerAccount}</Mono> },
                { header: t('funds.payeeAccount'), cell: (tr) => <Mono>{tr.payeeAccount}</Mono> },
                {
                  header: t('funds.institution'),
                  cell: (tr) => <NoWrap>{tr.institutionName ?? t('funds.unknownBank')}</NoWrap>,
                },
                { header: t('funds.amount'), cell: (tr) => fen(tr.amount, lang) },
                {
                  header: t('funds.paidAt'),
                  cell: (tr) => <NoWrap>{dateTime(tr.paidAt)}</NoWrap>,
                },
              ]}
            />
          </Section>
        </div>
      </SimpleGrid>

      <Section
        title={t('funds.trace')}
        testId="case-trace"
        aside={
          actor ? (
            <ActionButton
              label={t('funds.retrace')}
              action={() => fundsApi.retrace(c.id)}
              onDone={() => {
                setRetraced(true);
                onChanged();
              }}
              testId="case-retrace"
            />
          ) : null
        }
      >
        {trace ? (
          <Stack gap="xs">
            <Text size="xs" c="dimmed" data-testid="case-traced-at">
              {t('funds.tracedAt', {
                at: dateTime(trace.tracedAt),
                rule: lookup(`funds.rules.${trace.rule}`) ?? trace.rule,
              })}
              {trace.totals.cashedOut !== undefined
                ? ` · ${t('funds.cashedOut', { amount: fen(trace.totals.cashedOut, lang) })}`
                : ''}
              {retraced ? ` · ${t('funds.retraced')}` : ''}
            </Text>
            <TraceGraph
              trace={trace}
              victims={c.victims}
              victimAccounts={victimAccounts}
              institutionNames={institutionNames}
            />
          </Stack>
        ) : (
          <Alert color="gray" variant="light">
            {t('funds.noTrace')}
          </Alert>
        )}
      </Section>

      {trace && actor ? (
        <Section title={t('funds.proposals')} testId="case-proposals">
          <Text size="sm" c="dimmed">
            {t('funds.proposalsIntro')}
          </Text>
          <DataTable<TraceProposal & { id: string }>
            label={t('funds.proposals')}
            minWidth={640}
            rows={trace.proposals.map((p) => ({ ...p, id: p.account }))}
            empty={t('funds.proposalsNone')}
            columns={[
              { header: t('funds.account'), cell: (p) => <Mono>{p.account}</Mono> },
              {
                header: t('funds.institution'),
                cell: (p) => p.institutionName ?? p.institutionId ?? t('funds.unknownBank'),
              },
              { header: t('funds.held'), cell: (p) => fen(p.amount, lang) },
              {
                header: t('funds.sendStop'),
                cell: (p) => <SendStopPayment caseId={c.id} proposal={p} onDone={onChanged} />,
              },
            ]}
          />
        </Section>
      ) : null}

      <Section title={t('funds.stopPayments')} testId="case-stop-payments">
        <StopPaymentTable
          rows={c.stopPayments ?? []}
          viewer={actor ? 'centre' : 'reader'}
          onChanged={onChanged}
        />
      </Section>

      <Section title={t('funds.freezes')} testId="case-freezes">
        <FreezeTable rows={c.freezes ?? []} viewer={actor ? 'centre' : 'reader'} onChanged={onChanged} />
      </Section>

      <Section
        title={t('funds.returns')}
        testId="case-returns"
        aside={actor ? <CloseCase fundCase={c} onDone={onChanged} /> : null}
      >
        {c.closeNote ? (
          <Text
            size="sm"
            style={{ whiteSpace: 'pre-wrap', wordBreak: 'break-word' }}
            data-testid="case-close-note"
          >
            {c.closeNote}
          </Text>
        ) : null}
        <ReturnTable rows={c.returns ?? []} viewer="reader" onChanged={onChanged} victimLabel={victimLabel} />
      </Section>

      {c.history?.length ? (
        <Section title={t('funds.history')}>
          <DataTable
            label={t('funds.history')}
            minWidth={640}
            rows={c.history.map((h, n) => ({ ...h, id: String(n) }))}
            columns={[
              {
                header: t('funds.at'),
                cell: (h) => <NoWrap>{dateTime(h.at)}</NoWrap>,
              },
              { header: t('funds.action'), cell: (h) => lookup(`funds.actionNames.${h.action}`) ?? h.action },
              { header: t('funds.status'), cell: (h) => <FundStatusBadge status={h.status} /> },
              { header: t('funds.actor'), cell: (h) => h.actor },
              {
                header: t('funds.note'),
                cell: (h) => (
                  <Text size="sm" style={{ whiteSpace: 'pre-wrap', wordBreak: 'break-word' }}>
                    {h.note ?? t('common.none')}
                  </Text>
                ),
              },
            ]}
          />
        </Section>
      ) : null}
    </Stack>
  );
}

/** One click sends the stop-payment for what the trace says the account holds (editable first). */
function SendStopPayment({
  caseId,
  proposal,
  onDone,
}: {
  caseId: string;
  proposal: TraceProposal;
  onDone: () => void;
}) {
  const { t } = useI18n();
  const [text, setText] = useState(yuanText(proposal.amount));
  const amount = parseYuan(text);
  // A stop-payment goes to the account's bank: with none on record there is no one to send it to.
  if (!proposal.institutionId)
    return (
      <Text size="sm" c="dimmed" data-testid="proposal-no-bank">
        {t('funds.proposalNoBank')}
      </Text>
    );
  return (
    <Group gap={6} wrap="nowrap" data-testid="proposal" data-account={proposal.account}>
      <TextInput
        size="xs"
        w={110}
        value={text}
        onChange={(e) => setText(e.currentTarget.value)}
        aria-label={t('funds.amountYuan')}
        inputMode="decimal"
        error={amount === null}
        data-testid="proposal-amount"
      />
      <ActionButton
        label={t('funds.sendStop')}
        variant="filled"
        disabled={amount === null}
        action={() => fundsApi.sendStopPayment(caseId, { account: proposal.account, amount: amount! })}
        onDone={onDone}
        testId="proposal-send"
      />
    </Group>
  );
}

/** Closing: the returns the frozen money makes (the server's plan, pro rata), then the note. */
function CloseCase({ fundCase: c, onDone }: { fundCase: FundCase; onDone: () => void }) {
  const { t, lang } = useI18n();
  const [opened, setOpened] = useState(false);
  const [note, setNote] = useState('');
  const [invalid, setInvalid] = useState(false);
  const { busy, error, run } = useSubmission();
  // The server's plan: the close instructs exactly these.
  const preview = c.returnsOnClose ?? [];
  const label = (vid: string) => c.victims.find((v) => v.id === vid)?.label ?? vid;

  async function submit(e: FormEvent) {
    e.preventDefault();
    setInvalid(!note.trim());
    if (!note.trim()) return;
    await run(
      () => fundsApi.closeCase(c.id, note.trim()),
      () => {
        setOpened(false);
        onDone();
      },
    );
  }

  return (
    <>
      <Button
        size="compact-sm"
        color="gray"
        variant="light"
        onClick={() => setOpened(true)}
        data-testid="case-close"
      >
        {t('funds.closeCase')}
      </Button>
      <FormDialog
        opened={opened}
        onClose={() => setOpened(false)}
        onSubmit={submit}
        title={t('funds.closeCase')}
        size="lg"
        body={t('funds.closeBody')}
        error={error}
        busy={busy}
        confirm={t('funds.closeConfirm')}
        confirmTestId="case-close-confirm"
      >
        <DataTable
          label={t('funds.returnsPreview')}
          minWidth={420}
          rows={preview.map((r) => ({ ...r, id: `${r.freezeId}:${r.victimId}` }))}
          empty={t('funds.returnsPreviewNone')}
          columns={[
            {
              header: t('funds.victim'),
              cell: (r) => (
                <span data-testid="return-preview" data-amount={r.amount}>
                  {label(r.victimId)}
                </span>
              ),
            },
            { header: t('funds.account'), cell: (r) => <Mono>{r.account}</Mono> },
            { header: t('funds.amount'), cell: (r) => fen(r.amount, lang) },
          ]}
        />
        <Textarea
          label={t('funds.closeNote')}
          error={invalid ? t('funds.closeNoteRequired') : undefined}
          required
          value={note}
          onChange={(e) => setNote(e.currentTarget.value)}
          autosize
          minRows={2}
          maxLength={2000}
          data-autofocus
        />
      </FormDialog>
    </>
  );
}
