import { Alert, Group, NativeSelect, Stack } from '@mantine/core';
import { useState } from 'react';
import { asApiError } from '../../api.ts';
import { ErrorAlert } from '../../components/ErrorAlert.tsx';
import { Loadable } from '../../components/Loadable.tsx';
import { PageTitle } from '../../components/PageTitle.tsx';
import { Section } from '../../components/Section.tsx';
import { useI18n } from '../../i18n/index.tsx';
import { useSession } from '../../session.tsx';
import { useApi } from '../../useApi.ts';
import { fundsApi } from './fundsApi.ts';
import { byUrgency, isBankOperator } from './labels.tsx';
import { FreezeTable, ReturnTable, StopPaymentTable } from './RequestTables.tsx';
import {
  FREEZE_STATUSES,
  STOP_PAYMENT_STATUSES,
  type CursorList,
  type Freeze,
  type FundReturn,
  type StopPayment,
} from './types.ts';

const NONE = { items: [], next: null };

/**
 * `/funds/inbox`: the stop-payments and freezes addressed to this bank, the ones still to answer
 * first and the nearest acknowledgement deadline first; acknowledge, execute with the amount
 * actually stopped, or refuse with a reason; and the returns to execute when a case closes.
 */
export function InboxPage() {
  const { t } = useI18n();
  const { session } = useSession();
  const bank = isBankOperator(session) ? 'bank' : 'reader';
  const [status, setStatus] = useState('');
  // A status only one kind has (converted, returned…) leaves the other kind's list empty.
  const [stops, reloadStops] = useApi(
    () =>
      !status || (STOP_PAYMENT_STATUSES as readonly string[]).includes(status)
        ? fundsApi.stopPaymentInbox(status)
        : Promise.resolve(NONE as CursorList<StopPayment>),
    [status],
  );
  const [freezes, reloadFreezes] = useApi(
    () =>
      !status || (FREEZE_STATUSES as readonly string[]).includes(status)
        ? fundsApi.freezeInbox(status)
        : Promise.resolve(NONE as CursorList<Freeze>),
    [status],
  );
  const [returns, reloadReturns] = useApi(
    // Returns have no inbox of their own on every server version: none is an empty list.
    () =>
      fundsApi.returnInbox().catch((err: unknown) => {
        if (asApiError(err).status === 404) return { items: [] as FundReturn[], next: null };
        throw err;
      }),
    [],
  );
  const [notice, setNotice] = useState<'late' | null>(null);
  const [failure, setFailure] = useState<unknown>(null);

  function reloadAll() {
    reloadStops();
    reloadFreezes();
    reloadReturns();
  }

  function changed(result?: unknown) {
    setFailure(null);
    setNotice(
      result && typeof result === 'object' && (result as { lateAck?: boolean }).lateAck ? 'late' : null,
    );
    reloadAll();
  }

  /** A refusal (acknowledged already by a colleague, say) is said at the top, and the lists refreshed. */
  function failed(err: unknown) {
    setNotice(null);
    setFailure(err);
    reloadAll();
  }

  return (
    <Stack gap="lg">
      <PageTitle title={t('funds.inboxTitle')} intro={t('funds.inboxIntro')} />
      {notice === 'late' ? (
        <Alert
          color="orange"
          variant="light"
          data-testid="funds-late-notice"
          withCloseButton
          onClose={() => setNotice(null)}
        >
          {t('funds.lateAckNotice')}
        </Alert>
      ) : null}
      {failure ? (
        <div data-testid="funds-action-error" data-code={asApiError(failure).code}>
          <ErrorAlert error={failure} />
        </div>
      ) : null}
      <Group>
        <NativeSelect
          label={t('funds.status')}
          value={status}
          onChange={(e) => setStatus(e.currentTarget.value)}
          data={[
            { value: '', label: t('funds.any') },
            ...[...new Set([...STOP_PAYMENT_STATUSES, ...FREEZE_STATUSES])].map((s) => ({
              value: s,
              label: t(`funds.statuses.${s}`),
            })),
          ]}
        />
      </Group>
      <Section title={t('funds.stopPayments')} testId="inbox-stop-payments">
        <Loadable state={stops} onRetry={reloadStops}>
          {(page) => (
            <StopPaymentTable
              rows={byUrgency(page.items)}
              viewer={bank}
              onChanged={changed}
              onFailed={failed}
            />
          )}
        </Loadable>
      </Section>
      <Section title={t('funds.freezes')} testId="inbox-freezes">
        <Loadable state={freezes} onRetry={reloadFreezes}>
          {(page) => (
            <FreezeTable rows={byUrgency(page.items)} viewer={bank} onChanged={changed} onFailed={failed} />
          )}
        </Loadable>
      </Section>
      <Section title={t('funds.returnsToExecute')} testId="inbox-returns">
        <Loadable state={returns} onRetry={reloadReturns}>
          {(page) => <ReturnTable rows={page.items} viewer={bank} onChanged={changed} onFailed={failed} />}
        </Loadable>
      </Section>
    </Stack>
  );
}
