import { Anchor, Button, Group, Stack, Text, TextInput, Textarea } from '@mantine/core';
import { useState, type FormEvent, type ReactNode } from 'react';
import { DataTable, type Column } from '../../components/DataTable.tsx';
import { NoWrap } from '../../components/NoWrap.tsx';
import { useI18n } from '../../i18n/index.tsx';
import { linkProps } from '../../router.ts';
import { ReasonDialog } from '../registry/ReasonDialog.tsx';
import { ActionButton } from './ActionButton.tsx';
import { FormDialog, useSubmission } from './FormDialog.tsx';
import { fundsApi, type RequestKind } from './fundsApi.ts';
import {
  DeadlineLeft,
  DeliveryBadge,
  fen,
  FundStatusBadge,
  Mono,
  parseYuan,
  RequestFlags,
  yuanText,
} from './labels.tsx';
import type { Freeze, FundReturn, StopPayment } from './types.ts';

/**
 * Who looks at the requests: the centre's analysts (renew, convert, release), the receiving bank
 * (answer), or a reader (auditors, closed cases: no actions).
 */
export type Viewer = 'centre' | 'bank' | 'reader';

const WAITING = ['sent', 'acknowledged'];

/** A bank's answers (the last column) come right after the status, before delivery and renewals. */
function bankFirst<T>(viewer: Viewer, statusHeader: string, columns: Column<T>[]): Column<T>[] {
  if (viewer !== 'bank') return columns;
  const rest = columns.slice(0, -1);
  const at = rest.findIndex((c) => c.header === statusHeader) + 1;
  return [...rest.slice(0, at), columns[columns.length - 1]!, ...rest.slice(at)];
}

function Money({ value, strong }: { value: string; strong?: boolean }) {
  return (
    <Text
      size="sm"
      fw={strong ? 600 : undefined}
      style={{ whiteSpace: 'nowrap', fontVariantNumeric: 'tabular-nums' }}
    >
      {value}
    </Text>
  );
}

type Request = StopPayment | Freeze;

interface TableProps<T> {
  rows: T[];
  viewer: Viewer;
  onChanged: (result?: unknown) => void;
  /** the page says refusals itself (the inbox); else each is said under its button */
  onFailed?: (err: unknown) => void;
}

/** What differs between the two kinds of request; the rest of the table is one. */
interface RequestTableSpec<T extends Request> {
  kind: RequestKind;
  /** prefix of the rows' test ids: `stop-payment-row`, `freeze-row` */
  testId: string;
  label: string;
  empty: string;
  minWidth: number;
  /** header of the asked / stopped-or-frozen amounts */
  amountsHeader: string;
  done: (r: T) => number | null;
  /** columns between the amounts and the status */
  beforeStatus: Column<T>[];
  /** columns between the delivery and the actions */
  afterDelivery: Column<T>[];
  centreActions: (r: T) => ReactNode;
}

/** One table for stop-payments and freezes: reference, bank, account, amounts, status, delivery, actions. */
function RequestTable<T extends Request>({
  spec,
  rows,
  viewer,
  onChanged,
  onFailed,
  caseLinks,
}: TableProps<T> & { spec: RequestTableSpec<T>; caseLinks?: boolean }) {
  const { t, lang } = useI18n();
  return (
    <DataTable<T>
      label={spec.label}
      rows={rows}
      empty={spec.empty}
      minWidth={spec.minWidth}
      columns={bankFirst(viewer, t('funds.status'), [
        {
          header: t('funds.reference'),
          cell: (r) => (
            <Stack
              gap={0}
              data-testid={`${spec.testId}-row`}
              data-reference={r.reference}
              data-account={r.account}
            >
              <Mono>{r.reference}</Mono>
              {caseLinks && r.caseReference ? (
                <Anchor {...linkProps(`/funds/cases/${r.caseId}`)} size="xs">
                  {r.caseReference}
                </Anchor>
              ) : r.caseReference ? (
                <Text size="xs" c="dimmed">
                  {r.caseReference}
                </Text>
              ) : null}
            </Stack>
          ),
        },
        ...(viewer === 'centre'
          ? [
              {
                header: t('funds.institution'),
                cell: (r: T) => <NoWrap>{r.institutionName ?? r.institutionId}</NoWrap>,
              },
            ]
          : []),
        { header: t('funds.account'), cell: (r) => <Mono>{r.account}</Mono> },
        {
          header: spec.amountsHeader,
          cell: (r) => {
            const done = spec.done(r);
            return (
              <Stack gap={0}>
                <Money value={fen(r.amountRequested, lang)} />
                <Money value={done === null ? '—' : fen(done, lang)} strong />
              </Stack>
            );
          },
        },
        ...spec.beforeStatus,
        {
          header: t('funds.status'),
          cell: (r) => (
            <Stack gap={4}>
              <FundStatusBadge status={r.status} />
              <RequestFlags request={r} />
            </Stack>
          ),
        },
        { header: t('funds.delivery'), cell: (r) => <DeliveryBadge delivery={r.delivery} /> },
        ...spec.afterDelivery,
        {
          header: t('funds.actions'),
          cell: (r) =>
            viewer === 'centre' ? (
              spec.centreActions(r)
            ) : viewer === 'bank' ? (
              <BankActions
                kind={spec.kind}
                request={r}
                amount={r.amountRequested}
                onChanged={onChanged}
                onFailed={onFailed}
              />
            ) : null,
        },
      ])}
    />
  );
}

/** Stop-payments: deadline and time left, delivery, renewals, and the actions the viewer may take. */
export function StopPaymentTable({
  caseLinks,
  ...props
}: TableProps<StopPayment> & {
  /** the inbox links each request to nothing: banks do not open the centre's case */
  caseLinks?: boolean;
}) {
  const { t, dateTime } = useI18n();
  const { onChanged } = props;
  return (
    <RequestTable<StopPayment>
      {...props}
      caseLinks={caseLinks}
      spec={{
        kind: 'stop-payments',
        testId: 'stop-payment',
        label: t('funds.stopPayments'),
        empty: t('funds.stopPaymentsNone'),
        minWidth: 1100,
        amountsHeader: t('funds.requestedStopped'),
        done: (r) => r.amountStopped,
        beforeStatus: [{ header: t('funds.ackDeadline'), cell: (r) => <DeadlineLeft request={r} /> }],
        afterDelivery: [
          {
            header: t('funds.renewals'),
            cell: (r) => (
              <Stack gap={0}>
                <Text size="sm" data-testid="stop-payment-renewals">
                  {r.renewals} / {r.maxRenewals}
                </Text>
                {r.expiresAt ? (
                  <Text size="xs" c="dimmed" style={{ whiteSpace: 'nowrap' }}>
                    {t('funds.expiresAt', { at: dateTime(r.expiresAt) })}
                  </Text>
                ) : null}
              </Stack>
            ),
          },
        ],
        centreActions: (r) => (
          <Group gap={4} wrap="nowrap">
            {r.status === 'executed' && r.renewals < r.maxRenewals ? (
              <ActionButton
                label={t('funds.renew')}
                action={() => fundsApi.renewStopPayment(r.id)}
                onDone={onChanged}
                testId="stop-payment-renew"
              />
            ) : null}
            {r.status === 'executed' ? (
              <ActionButton
                label={t('funds.convert')}
                action={() => fundsApi.convertStopPayment(r.id)}
                onDone={onChanged}
                color="violet"
                testId="stop-payment-convert"
              />
            ) : null}
            <ReleaseButton
              status={r.status}
              action={() => fundsApi.releaseStopPayment(r.id)}
              onDone={onChanged}
              testId="stop-payment-release"
            />
          </Group>
        ),
      }}
    />
  );
}

/** Freezes: what was asked and frozen, until when, and the actions the viewer may take. */
export function FreezeTable(props: TableProps<Freeze>) {
  const { t, dateTime } = useI18n();
  return (
    <RequestTable<Freeze>
      {...props}
      spec={{
        kind: 'freezes',
        testId: 'freeze',
        label: t('funds.freezes'),
        empty: t('funds.freezesNone'),
        minWidth: 900,
        amountsHeader: t('funds.requestedFrozen'),
        done: (r) => r.amountFrozen,
        beforeStatus: [],
        afterDelivery: [
          {
            header: t('funds.expires'),
            cell: (r) => <NoWrap>{dateTime(r.expiresAt)}</NoWrap>,
          },
        ],
        centreActions: (r) => (
          <ReleaseButton
            status={r.status}
            action={() => fundsApi.releaseFreeze(r.id)}
            onDone={props.onChanged}
            testId="freeze-release"
          />
        ),
      }}
    />
  );
}

/** The centre lets go of a request still waiting for the bank or executed. */
function ReleaseButton({
  status,
  action,
  onDone,
  testId,
}: {
  status: string;
  action: () => Promise<unknown>;
  onDone: (result?: unknown) => void;
  testId: string;
}) {
  const { t } = useI18n();
  if (![...WAITING, 'executed'].includes(status)) return null;
  return (
    <ActionButton label={t('funds.release')} action={action} onDone={onDone} color="gray" testId={testId} />
  );
}

/** Returns instructed on closing: to whom, from which freeze, and whether the bank executed them. */
export function ReturnTable({
  rows,
  viewer,
  onChanged,
  onFailed,
  victimLabel,
}: {
  rows: FundReturn[];
  viewer: Viewer;
  onChanged: () => void;
  onFailed?: (err: unknown) => void;
  victimLabel?: (id: string) => string;
}) {
  const { t, lang } = useI18n();
  return (
    <DataTable<FundReturn>
      label={t('funds.returns')}
      rows={rows}
      empty={t('funds.returnsNone')}
      minWidth={640}
      columns={[
        ...(viewer === 'bank'
          ? [{ header: t('funds.case'), cell: (r: FundReturn) => r.caseReference ?? r.caseId }]
          : []),
        {
          header: t('funds.victim'),
          cell: (r) => (
            <span data-testid="return-row" data-victim={r.victimId} data-amount={r.amount}>
              {r.victimLabel ?? victimLabel?.(r.victimId) ?? r.victimId}
            </span>
          ),
        },
        { header: t('funds.account'), cell: (r) => <Mono>{r.account ?? '—'}</Mono> },
        { header: t('funds.amount'), cell: (r) => <Money value={fen(r.amount, lang)} strong /> },
        { header: t('funds.status'), cell: (r) => <FundStatusBadge status={r.status} /> },
        ...(viewer === 'bank'
          ? [
              {
                header: t('funds.actions'),
                cell: (r: FundReturn) =>
                  r.status === 'instructed' ? (
                    <ActionButton
                      label={t('funds.executeReturn')}
                      action={() => fundsApi.executeReturn(r.id)}
                      onDone={onChanged}
                      onError={onFailed}
                      variant="filled"
                      testId="return-execute"
                    />
                  ) : null,
              },
            ]
          : []),
      ]}
    />
  );
}

/** The bank's answers: acknowledge, execute (what the account held) or refuse (with a reason). */
function BankActions({
  kind,
  request: r,
  amount,
  onChanged,
  onFailed,
}: {
  kind: RequestKind;
  request: { id: string; status: string };
  amount: number;
  onChanged: (result?: unknown) => void;
  onFailed?: (err: unknown) => void;
}) {
  const { t } = useI18n();
  if (!WAITING.includes(r.status)) return null;
  return (
    <Group gap={4} wrap="nowrap">
      {r.status === 'sent' ? (
        <ActionButton
          label={t('funds.acknowledge')}
          action={() => fundsApi.acknowledge(kind, r.id)}
          onDone={onChanged}
          onError={onFailed}
          testId="request-acknowledge"
        />
      ) : null}
      <ExecuteDialog kind={kind} id={r.id} amount={amount} onDone={onChanged} />
      <ReasonDialog
        button={t('funds.refuse')}
        title={t('funds.refuseTitle')}
        body={t('funds.refuseBody')}
        confirm={t('funds.refuse')}
        action={(reason) => fundsApi.refuse(kind, r.id, reason)}
        onDone={onChanged}
      />
    </Group>
  );
}

/** Execute with the amount actually stopped or frozen (less than asked when the account held less). */
function ExecuteDialog({
  kind,
  id,
  amount,
  onDone,
}: {
  kind: RequestKind;
  id: string;
  amount: number;
  onDone: (result?: unknown) => void;
}) {
  const { t, lang } = useI18n();
  const [opened, setOpened] = useState(false);
  const [text, setText] = useState(yuanText(amount));
  const [note, setNote] = useState('');
  const [invalid, setInvalid] = useState(false);
  const { busy, error, setError, run } = useSubmission();

  function close() {
    setOpened(false);
    setText(yuanText(amount));
    setNote('');
    setInvalid(false);
    setError(null);
  }

  async function submit(e: FormEvent) {
    e.preventDefault();
    const value = parseYuan(text);
    setInvalid(value === null);
    if (value === null) return;
    await run(
      () => fundsApi.execute(kind, id, value, note.trim() || undefined),
      (result) => {
        close();
        onDone(result);
      },
    );
  }

  return (
    <>
      <Button
        size="compact-sm"
        variant="filled"
        onClick={() => setOpened(true)}
        data-testid="request-execute"
      >
        {t('funds.execute')}
      </Button>
      <FormDialog
        opened={opened}
        onClose={close}
        onSubmit={submit}
        title={t(kind === 'stop-payments' ? 'funds.executeStopTitle' : 'funds.executeFreezeTitle')}
        body={t('funds.executeBody', { amount: fen(amount, lang) })}
        error={error}
        busy={busy}
        confirm={t('funds.execute')}
        confirmTestId="execute-confirm"
      >
        <TextInput
          label={t(kind === 'stop-payments' ? 'funds.amountStopped' : 'funds.amountFrozen')}
          value={text}
          onChange={(e) => setText(e.currentTarget.value)}
          error={invalid ? t('funds.formAmount') : undefined}
          inputMode="decimal"
          data-autofocus
          data-testid="execute-amount"
        />
        <Textarea
          label={t('funds.noteOptional')}
          value={note}
          onChange={(e) => setNote(e.currentTarget.value)}
          autosize
          minRows={2}
          maxLength={2000}
        />
      </FormDialog>
    </>
  );
}
