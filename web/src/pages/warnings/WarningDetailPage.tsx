import {
  Alert,
  Anchor,
  Badge,
  Button,
  Group,
  Paper,
  SegmentedControl,
  SimpleGrid,
  Stack,
  Text,
  Textarea,
  TextInput,
} from '@mantine/core';
import { useEffect, useState, type FormEvent } from 'react';
import { asApiError } from '../../api.ts';
import { DataTable } from '../../components/DataTable.tsx';
import { ErrorAlert } from '../../components/ErrorAlert.tsx';
import { Field } from '../../components/Field.tsx';
import { Loadable } from '../../components/Loadable.tsx';
import { NoWrap } from '../../components/NoWrap.tsx';
import { PageTitle } from '../../components/PageTitle.tsx';
import { Section } from '../../components/Section.tsx';
import { useI18n } from '../../i18n/index.tsx';
import { linkProps } from '../../router.ts';
import { useSession } from '../../session.tsx';
import { useApi } from '../../useApi.ts';
import { activeStep, audienceOf, parseYuan, phoneText, yuan } from './helpers.ts';
import {
  AgeBadge,
  mayWorkWarnings,
  RiskBadge,
  StaleAlert,
  StepBadge,
  TimeLeft,
  useNow,
  useWarningLabels,
} from './labels.tsx';
import {
  CHANNELS,
  OUTCOMES,
  warningsApi,
  type ContentLanguage,
  type OutcomeKind,
  TRIGGER_KINDS,
  type ScriptText,
  type TimelineEntry,
  type Trigger,
  type Warning,
} from './types.ts';

/**
 * `/warnings/:id`: whom to call (in clear: opening it is a recorded read), the signals behind the
 * warning, the channel plan, the call script and the SMS sent, and the operator's answers and
 * outcome, each one click.
 */
export function WarningDetailPage({ id }: { id: string }) {
  const { t } = useI18n();
  // Loaded once, never on a timer: every read of it is a recorded read of the person's data.
  // Each action answers with the warning as it is then.
  const [warning, reload] = useApi(() => warningsApi.getWarning(id), [id]);
  return (
    <Stack gap="md">
      <Anchor {...linkProps('/warnings')} size="sm">
        ← {t('warnings.back')}
      </Anchor>
      <Loadable state={warning} onRetry={reload}>
        {(w) => <Detail initial={w} onReload={reload} />}
      </Loadable>
    </Stack>
  );
}

function Detail({ initial, onReload }: { initial: Warning; onReload: () => void }) {
  const { t, dateTime, lang } = useI18n();
  const labels = useWarningLabels();
  const { session } = useSession();
  const now = useNow();
  // Each action answers with the warning as it is now: shown at once, without another read.
  const [w, setW] = useState(initial);
  useEffect(() => setW(initial), [initial]);
  // Someone else closed it meanwhile (409): offer the fresh state.
  const [stale, setStale] = useState(false);
  const worker = mayWorkWarnings(session);
  const open = w.status === 'open';

  function changed(next: Warning) {
    setStale(false);
    setW(next);
  }
  function failed(err: unknown) {
    if (asApiError(err).status === 409) setStale(true);
  }

  return (
    <Stack gap="lg">
      <PageTitle title={t('warnings.detailHeading', { reference: w.reference })}>
        <Group gap="sm" wrap="wrap">
          <RiskBadge risk={w.riskLevel} size="lg" />
          <AgeBadge ageGroup={w.person.ageGroup} ageYears={w.person.ageYears} />
          <Badge
            color={open ? 'blue' : 'gray'}
            variant="light"
            tt="none"
            data-testid="warning-status"
            data-status={w.status}
          >
            {t(`warnings.status.${w.status}`)}
          </Badge>
          <Text size="sm" c="dimmed">
            {t('warnings.priority', { value: w.priority })} · {labels.scamType(w.scamType)}
            {w.amountAtRisk ? ` · ${t('warnings.amountAtRisk')} ${yuan(w.amountAtRisk, lang)}` : ''}
          </Text>
          <TimeLeft warning={w} now={now} />
        </Group>
      </PageTitle>

      {stale ? (
        <StaleAlert message={t('warnings.closedConflict')} onReload={onReload} testId="warning-conflict" />
      ) : null}

      <SimpleGrid cols={{ base: 1, md: 2 }} spacing="lg" style={{ alignItems: 'start' }}>
        <Stack gap="lg">
          <PersonCard warning={w} />
          {w.outcome ? <OutcomeDone warning={w} /> : null}
          {open && worker ? (
            <>
              <Attempts warning={w} now={now} onDone={changed} onError={failed} />
              <Outcomes warning={w} onDone={changed} onError={failed} />
            </>
          ) : null}
        </Stack>
        <Stack gap="lg">
          <Script warning={w} />
          <Section title={t('warnings.smsTitle')} testId="warning-sms">
            <Paper withBorder p="md" radius="md" bg="var(--mantine-color-gray-0)">
              <Text size="sm" style={{ whiteSpace: 'pre-wrap', wordBreak: 'break-word' }}>
                {w.smsText ?? t('warnings.smsNone')}
              </Text>
            </Paper>
          </Section>
        </Stack>
      </SimpleGrid>

      <Section title={t('warnings.planTitle')} testId="warning-plan">
        <DataTable
          label={t('warnings.planTitle')}
          minWidth={720}
          rows={w.channelPlan.map((s) => ({ ...s, id: s.channel }))}
          columns={[
            { header: t('warnings.step'), cell: (s) => labels.channel(s.channel) },
            { header: t('warnings.state'), cell: (s) => <StepBadge status={s.status} /> },
            {
              header: t('warnings.due'),
              cell: (s) => (
                <Text
                  size="sm"
                  c={s.status === 'active' && s.dueAt && Date.parse(s.dueAt) < now ? 'red' : undefined}
                  style={{ whiteSpace: 'nowrap' }}
                >
                  {dateTime(s.dueAt)}
                </Text>
              ),
            },
            { header: t('warnings.started'), cell: (s) => dateTime(s.startedAt) },
            { header: t('warnings.ended'), cell: (s) => dateTime(s.endedAt) },
            {
              header: t('warnings.result'),
              cell: (s) => (s.result ? labels.result(s.result) : t('common.none')),
            },
          ]}
        />
      </Section>

      <Section title={t('warnings.evidenceTitle')} testId="warning-triggers">
        <Triggers triggers={w.triggers} />
      </Section>

      {w.timeline?.length ? (
        <Section title={t('warnings.timelineTitle')} testId="warning-timeline">
          <DataTable
            label={t('warnings.timelineTitle')}
            minWidth={720}
            rows={[...w.timeline].reverse().map((e, n) => ({ ...e, id: String(n) }))}
            columns={[
              {
                header: t('warnings.at'),
                cell: (e) => <NoWrap>{dateTime(e.at)}</NoWrap>,
              },
              {
                header: t('warnings.action'),
                cell: (e) =>
                  [
                    labels.action(e.action),
                    e.channel ? labels.channel(e.channel) : '',
                    e.result ? labels.result(e.result) : '',
                  ]
                    .filter(Boolean)
                    .join(' · '),
              },
              { header: t('warnings.actor'), cell: (e) => e.actor },
              {
                header: t('warnings.note'),
                cell: (e) => (
                  <Text size="sm" style={{ whiteSpace: 'pre-wrap', wordBreak: 'break-word' }}>
                    {timelineNote(e, labels) ?? t('common.none')}
                  </Text>
                ),
              },
            ]}
          />
        </Section>
      ) : null}

      <Text size="xs" c="dimmed">
        {t('warnings.opened')}: {dateTime(w.openedAt)} · {t('warnings.lastTrigger')}:{' '}
        {dateTime(w.lastTriggerAt)}
      </Text>
    </Stack>
  );
}

/** The name and number in clear, large, to call: the read is recorded and the page says so. */
function PersonCard({ warning: w }: { warning: Warning }) {
  const { t } = useI18n();
  const phone = w.person.phone ?? w.person.maskedPhone;
  return (
    <Section title={t('warnings.personTitle')} testId="warning-person">
      <Paper withBorder p="md" radius="md">
        <Stack gap="sm">
          <Group gap="xl" wrap="wrap" align="flex-start">
            <Field label={t('warnings.name')}>
              <Text fw={700} size="xl" span data-testid="warning-person-name">
                {w.person.name ?? w.person.maskedName}
              </Text>
            </Field>
            <Field label={t('warnings.phone')}>
              <Anchor
                href={`tel:${phone.replace(/[^\d+]/g, '')}`}
                fw={700}
                size="xl"
                ff="monospace"
                style={{ whiteSpace: 'nowrap' }}
                data-testid="warning-person-phone"
                aria-label={t('warnings.call', { phone })}
              >
                {phoneText(phone)}
              </Anchor>
            </Field>
            <Field label={t('warnings.ageLabel')}>
              <Text size="xl" span>
                {w.person.ageYears !== null
                  ? t('warnings.age', { years: w.person.ageYears })
                  : t('warnings.unknownAge')}
              </Text>
            </Field>
          </Group>
          <Text size="xs" c="dimmed" data-testid="warning-recorded-view">
            {t('warnings.recordedView')}
          </Text>
        </Stack>
      </Paper>
    </Section>
  );
}

/** Answered / no answer for the channel waiting now; no answer moves it on to the next channel. */
function Attempts({
  warning: w,
  now,
  onDone,
  onError,
}: {
  warning: Warning;
  now: number;
  onDone: (w: Warning) => void;
  onError: (err: unknown) => void;
}) {
  const { t, dateTime } = useI18n();
  const labels = useWarningLabels();
  const step = activeStep(w.channelPlan);
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState<'' | 'answered' | 'unanswered'>('');
  const [error, setError] = useState<unknown>(null);

  async function record(result: 'answered' | 'unanswered') {
    if (!step) return;
    setBusy(result);
    setError(null);
    try {
      const next = await warningsApi.recordAttempt(w.id, {
        channel: step.channel,
        result,
        ...(note.trim() ? { note: note.trim() } : {}),
      });
      setNote('');
      onDone(next);
    } catch (err) {
      setError(err);
      onError(err);
    } finally {
      setBusy('');
    }
  }

  return (
    <Section title={t('warnings.actTitle')} testId="warning-attempts">
      <Paper withBorder p="md" radius="md" role="form" aria-label={t('warnings.actTitle')}>
        {step ? (
          <Stack gap="sm">
            <Group gap="sm" wrap="wrap">
              <Text fw={600} data-testid="warning-active-step" data-channel={step.channel}>
                {t('warnings.activeStep', {
                  channel: labels.channel(step.channel),
                  at: dateTime(step.dueAt),
                })}
              </Text>
              <TimeLeft warning={{ ...w, deadlineAt: step.dueAt ?? w.deadlineAt }} now={now} />
            </Group>
            <TextInput
              label={t('warnings.attemptNote')}
              value={note}
              maxLength={500}
              onChange={(e) => setNote(e.currentTarget.value)}
            />
            <Group gap="sm">
              <Button
                color="green"
                loading={busy === 'answered'}
                disabled={!!busy}
                onClick={() => void record('answered')}
              >
                {t('warnings.answered')}
              </Button>
              <Button
                color="orange"
                variant="light"
                loading={busy === 'unanswered'}
                disabled={!!busy}
                onClick={() => void record('unanswered')}
              >
                {t('warnings.unanswered')}
              </Button>
            </Group>
            <Text size="xs" c="dimmed">
              {t('warnings.attemptHint')}
            </Text>
          </Stack>
        ) : (
          <Text size="sm" c="dimmed">
            {t('warnings.noActiveStep')}
          </Text>
        )}
        {error ? (
          <Stack mt="sm">
            <ErrorAlert error={error} />
          </Stack>
        ) : null}
      </Paper>
    </Section>
  );
}

const OUTCOME_COLOURS: Record<OutcomeKind, string> = {
  dissuaded: 'green',
  already_paid: 'red',
  not_reachable: 'orange',
  false_alarm: 'gray',
};

/** One click records the outcome and closes; "already paid" asks for the payment first. */
function Outcomes({
  warning: w,
  onDone,
  onError,
}: {
  warning: Warning;
  onDone: (w: Warning) => void;
  onError: (err: unknown) => void;
}) {
  const { t } = useI18n();
  const labels = useWarningLabels();
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState<OutcomeKind | ''>('');
  const [paying, setPaying] = useState(false);
  const [error, setError] = useState<unknown>(null);

  async function record(
    kind: OutcomeKind,
    payment?: Parameters<typeof warningsApi.recordOutcome>[1]['payment'],
  ) {
    setBusy(kind);
    setError(null);
    try {
      onDone(
        await warningsApi.recordOutcome(w.id, {
          kind,
          ...(note.trim() ? { note: note.trim() } : {}),
          ...(payment ? { payment } : {}),
        }),
      );
    } catch (err) {
      setError(err);
      onError(err);
    } finally {
      setBusy('');
    }
  }

  return (
    <Section title={t('warnings.outcomeTitle')} testId="warning-outcomes">
      <Paper withBorder p="md" radius="md" role="form" aria-label={t('warnings.outcomeTitle')}>
        <Stack gap="sm">
          <Textarea
            label={t('warnings.outcomeNote')}
            value={note}
            maxLength={2000}
            autosize
            minRows={1}
            onChange={(e) => setNote(e.currentTarget.value)}
          />
          <Group gap="sm" wrap="wrap">
            {OUTCOMES.map((kind) => (
              <Button
                key={kind}
                color={OUTCOME_COLOURS[kind]}
                variant={
                  kind === 'dissuaded' ? 'filled' : kind === 'already_paid' && paying ? 'filled' : 'light'
                }
                loading={busy === kind}
                disabled={!!busy && busy !== kind}
                onClick={() => (kind === 'already_paid' ? setPaying(!paying) : void record(kind))}
                data-testid={`warning-outcome-${kind}`}
              >
                {labels.outcome(kind)}
              </Button>
            ))}
          </Group>
          <Text size="xs" c="dimmed">
            {t('warnings.outcomeHint')}
          </Text>
          {paying ? (
            <PaymentForm busy={busy === 'already_paid'} onSubmit={(p) => void record('already_paid', p)} />
          ) : null}
          {error ? <ErrorAlert error={error} /> : null}
        </Stack>
      </Paper>
    </Section>
  );
}

/** `2026-11-30T14:05` (a datetime-local input, the reader's zone) now. */
function localNow(): string {
  const d = new Date();
  d.setMinutes(d.getMinutes() - d.getTimezoneOffset());
  return d.toISOString().slice(0, 16);
}

/** The payment already made: amount (yuan, sent in fen), both accounts, when; it opens a fund case. */
function PaymentForm({
  busy,
  onSubmit,
}: {
  busy: boolean;
  onSubmit: (p: {
    amount: number;
    payerAccount: string;
    payeeAccount: string;
    txnId?: string;
    paidAt: string;
  }) => void;
}) {
  const { t } = useI18n();
  const [amount, setAmount] = useState('');
  const [payer, setPayer] = useState('');
  const [payee, setPayee] = useState('');
  const [txnId, setTxnId] = useState('');
  const [paidAt, setPaidAt] = useState(localNow);
  const [invalid, setInvalid] = useState(false);

  // Marked, not `required`: the form's own check says in one line what is missing.
  function submit(e: FormEvent) {
    e.preventDefault();
    const fen = parseYuan(amount);
    const at = paidAt ? new Date(paidAt) : null;
    if (!fen || !payer.trim() || !payee.trim() || !at || Number.isNaN(at.getTime())) {
      setInvalid(true);
      return;
    }
    setInvalid(false);
    onSubmit({
      amount: fen,
      payerAccount: payer.trim(),
      payeeAccount: payee.trim(),
      ...(txnId.trim() ? { txnId: txnId.trim() } : {}),
      paidAt: at.toISOString(),
    });
  }

  return (
    <Paper
      withBorder
      p="md"
      radius="md"
      component="form"
      onSubmit={submit}
      aria-label={t('warnings.paymentTitle')}
    >
      <Stack gap="sm">
        <Text fw={600} size="sm">
          {t('warnings.paymentTitle')}
        </Text>
        <SimpleGrid cols={{ base: 1, xs: 2 }} spacing="sm">
          <TextInput
            label={t('warnings.paymentAmount')}
            value={amount}
            inputMode="decimal"
            withAsterisk
            onChange={(e) => setAmount(e.currentTarget.value)}
          />
          <TextInput
            label={t('warnings.paidAt')}
            type="datetime-local"
            value={paidAt}
            withAsterisk
            onChange={(e) => setPaidAt(e.currentTarget.value)}
          />
          <TextInput
            label={t('warnings.payerAccount')}
            value={payer}
            withAsterisk
            onChange={(e) => setPayer(e.currentTarget.value)}
          />
          <TextInput
            label={t('warnings.payeeAccount')}
            value={payee}
            withAsterisk
            onChange={(e) => setPayee(e.currentTarget.value)}
          />
          <TextInput
            label={t('warnings.txnId')}
            value={txnId}
            onChange={(e) => setTxnId(e.currentTarget.value)}
          />
        </SimpleGrid>
        {invalid ? (
          <Text size="sm" c="red">
            {t('warnings.paymentInvalid')}
          </Text>
        ) : null}
        <div>
          <Button type="submit" color="red" loading={busy}>
            {t('warnings.paymentSubmit')}
          </Button>
        </div>
      </Stack>
    </Paper>
  );
}

/**
 * A timeline entry's note as words: the service notes the kind of trigger behind an opening,
 * joining or suppression, and the channel an escalation moved to; an operator's note as written.
 */
function timelineNote(e: TimelineEntry, labels: ReturnType<typeof useWarningLabels>): string | null {
  if (!e.note) return null;
  if (e.action === 'escalated' && (CHANNELS as readonly string[]).includes(e.note))
    return `→ ${labels.channel(e.note)}`;
  if (
    ['opened', 'merged', 'suppressed'].includes(e.action) &&
    (TRIGGER_KINDS as readonly string[]).includes(e.note)
  )
    return labels.trigger(e.note);
  return e.note;
}

/** The recorded outcome; "already paid" links to the fund case it opened. */
function OutcomeDone({ warning: w }: { warning: Warning }) {
  const { t, dateTime } = useI18n();
  const labels = useWarningLabels();
  const o = w.outcome!;
  return (
    <Alert
      color={OUTCOME_COLOURS[o.kind] ?? 'gray'}
      variant="light"
      data-testid="warning-outcome"
      data-outcome={o.kind}
    >
      <Stack gap={4}>
        <Text size="sm" fw={600}>
          {t('warnings.outcomeRecorded', {
            outcome: labels.outcome(o.kind),
            name: o.recordedBy,
            at: dateTime(o.recordedAt),
          })}
        </Text>
        {o.note ? (
          <Text size="sm" style={{ whiteSpace: 'pre-wrap', wordBreak: 'break-word' }}>
            {o.note}
          </Text>
        ) : null}
        {o.fundCaseId ? (
          <Anchor
            {...linkProps(`/funds/cases/${o.fundCaseId}`)}
            size="sm"
            fw={600}
            data-testid="warning-fund-case"
          >
            {t('warnings.fundCase')} →
          </Anchor>
        ) : null}
      </Stack>
    </Alert>
  );
}

/**
 * The call script for the warning's scam type and the person's audience: the one the detail route
 * chose (the person's language), or the other language's from the library.
 */
function Script({ warning: w }: { warning: Warning }) {
  const { t } = useI18n();
  const labels = useWarningLabels();
  const given = w.script?.language ?? 'zh';
  const [language, setLanguage] = useState<ContentLanguage>(given);
  const [other, reload] = useApi<ScriptText | null>(
    () => (language === given && w.script ? Promise.resolve(w.script) : findScript(w, language)),
    [w.id, language],
  );
  const audience = audienceOf(w.person.ageGroup);

  return (
    <Section title={t('warnings.scriptTitle')} testId="warning-script">
      <Paper withBorder p="md" radius="md">
        <Stack gap="sm">
          <Group justify="space-between" gap="sm" wrap="wrap">
            <Text size="xs" c="dimmed">
              {t('warnings.scriptFor', {
                scamType: labels.scamType(w.scamType),
                audience: labels.audience(audience),
              })}
            </Text>
            <SegmentedControl
              size="xs"
              aria-label={t('warnings.scriptLanguage')}
              value={language}
              onChange={(v) => setLanguage(v as ContentLanguage)}
              data={[
                { value: 'zh', label: t('warnings.languages.zh') },
                { value: 'en', label: t('warnings.languages.en') },
              ]}
            />
          </Group>
          <Loadable state={other} onRetry={reload}>
            {(script) =>
              script ? (
                <Stack gap="xs" data-testid="warning-script-text" data-language={script.language}>
                  <Text fw={700}>{script.title}</Text>
                  <Text
                    size="md"
                    style={{ whiteSpace: 'pre-wrap', wordBreak: 'break-word', lineHeight: 1.6 }}
                  >
                    {script.body}
                  </Text>
                </Stack>
              ) : (
                <Text size="sm" c="dimmed">
                  {t('warnings.scriptNone')}
                </Text>
              )
            }
          </Loadable>
        </Stack>
      </Paper>
    </Section>
  );
}

/** As the server picks: the scam type for the audience, then for everyone, then the `general` text. */
async function findScript(w: Warning, language: ContentLanguage): Promise<ScriptText | null> {
  const audience = audienceOf(w.person.ageGroup);
  const tries: { scamType: string; audience: 'minor' | 'elderly' | 'everyone' }[] = [];
  if (w.scamType) {
    tries.push({ scamType: w.scamType, audience });
    if (audience !== 'everyone') tries.push({ scamType: w.scamType, audience: 'everyone' });
  }
  tries.push({ scamType: 'general', audience: 'everyone' });
  for (const q of tries) {
    const { items } = await warningsApi.listContent({ ...q, channel: 'call_script', language });
    const item = items[0];
    if (item) return { title: item.title, body: item.body, language: item.language };
  }
  return null;
}

/** The signals, newest first. */
function Triggers({ triggers }: { triggers: Trigger[] }) {
  const { t, dateTime, lang } = useI18n();
  const labels = useWarningLabels();
  const rows = [...triggers]
    .sort((a, b) => Date.parse(b.at) - Date.parse(a.at))
    .map((tr, n) => ({ ...tr, id: tr.id ?? String(n) }));
  return (
    <DataTable
      label={t('warnings.evidenceTitle')}
      minWidth={800}
      rows={rows}
      empty={t('warnings.evidenceNone')}
      columns={[
        {
          header: t('warnings.at'),
          cell: (tr) => <NoWrap>{dateTime(tr.at)}</NoWrap>,
        },
        {
          header: t('warnings.kind'),
          cell: (tr) => (
            <Group gap={4} wrap="nowrap">
              <Text
                size="sm"
                fw={tr.kind === 'flagged_payee' || tr.kind === 'relative_report' ? 700 : undefined}
                data-testid="warning-trigger-kind"
                data-kind={tr.kind}
              >
                {labels.trigger(tr.kind)}
              </Text>
              {tr.suppressed ? (
                <Badge size="xs" color="gray" variant="outline" tt="none">
                  {t('warnings.suppressed')}
                </Badge>
              ) : null}
            </Group>
          ),
        },
        { header: t('warnings.source'), cell: (tr) => tr.source },
        {
          header: t('warnings.summary'),
          cell: (tr) => (
            <Stack gap={0}>
              <Text size="sm" style={{ wordBreak: 'break-word' }}>
                {tr.summary ?? t('common.none')}
              </Text>
              {tr.scamType || tr.amountAtRisk ? (
                <Text size="xs" c="dimmed">
                  {[
                    tr.scamType ? labels.scamType(tr.scamType) : '',
                    tr.amountAtRisk ? yuan(tr.amountAtRisk, lang) : '',
                  ]
                    .filter(Boolean)
                    .join(' · ')}
                </Text>
              ) : null}
            </Stack>
          ),
        },
        {
          header: t('warnings.detection'),
          cell: (tr) =>
            tr.detectionId ? (
              <Anchor {...linkProps(`/detection/${tr.detectionId}`)} size="sm">
                {t('common.open')}
              </Anchor>
            ) : (
              t('common.none')
            ),
        },
      ]}
    />
  );
}
