import {
  Alert,
  Anchor,
  Badge,
  Button,
  Group,
  Paper,
  Stack,
  Table,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { useState, type FormEvent } from 'react';
import { asApiError, myRecordsApi, type MyHoldings } from '../../api.ts';
import { CitizenLinks } from '../../components/CitizenLinks.tsx';
import { ErrorAlert } from '../../components/ErrorAlert.tsx';
import { PublicLayout } from '../../components/PublicLayout.tsx';
import { useI18n, type I18n } from '../../i18n/index.tsx';
import { linkProps } from '../../router.ts';
import { localDay } from '../../localDay.ts';

const inLang = (l: { zh: string; en: string }, lang: I18n['lang']) => (lang === 'zh-CN' ? l.zh : l.en);

type Step =
  | { step: 'identify' }
  | { step: 'code'; challengeId: string; message: { zh: string; en: string }; demoCode?: string | undefined }
  | { step: 'records'; holdings: MyHoldings };

/**
 * `/my`: "registered in my name". The citizen proves who they are with a code sent by SMS to a card
 * held in their name, then sees every card and account registered to them and can say "not mine".
 */
export function MyRecordsPage() {
  const { t, lang } = useI18n();
  const [state, setState] = useState<Step>({ step: 'identify' });
  const [idNumber, setIdNumber] = useState('');
  const [name, setName] = useState('');
  const [phone, setPhone] = useState('');
  const [code, setCode] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [confirming, setConfirming] = useState<string | null>(null);
  const [disputed, setDisputed] = useState<string | null>(null);

  async function run(fn: () => Promise<void>) {
    setBusy(true);
    setError(null);
    try {
      await fn();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  const ask = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => {
      const r = await myRecordsApi.askCode({
        idNumber: idNumber.trim(),
        name: name.trim(),
        phone: phone.trim(),
      });
      setCode('');
      setState({ step: 'code', challengeId: r.challengeId, message: r.message, demoCode: r.demoCode });
    });
  };

  const confirm = (e: FormEvent) => {
    e.preventDefault();
    if (state.step !== 'code') return;
    void run(async () => {
      await myRecordsApi.confirmCode(state.challengeId, code.trim());
      setState({ step: 'records', holdings: await myRecordsApi.holdings() });
    });
  };

  const notMine = (kind: 'phone_card' | 'bank_account', id: string) =>
    run(async () => {
      const r = await myRecordsApi.notMine(kind, id);
      setConfirming(null);
      setDisputed(r.disputeId);
      setState({ step: 'records', holdings: await myRecordsApi.holdings() });
    });

  const signOut = () =>
    run(async () => {
      await myRecordsApi.signOut();
      setState({ step: 'identify' });
      setDisputed(null);
    });

  const expired = error !== null && asApiError(error).status === 401;

  return (
    <PublicLayout>
      <Stack gap="lg">
        <Stack gap={4}>
          <Title order={2}>{t('myRecords.title')}</Title>
          <Text size="sm" c="dimmed">
            {t('myRecords.intro')}
          </Text>
        </Stack>

        {state.step === 'identify' ? (
          <Paper withBorder p="md" radius="md" component="form" onSubmit={ask} noValidate>
            <Stack gap="sm">
              <TextInput
                label={t('myRecords.idNumber')}
                value={idNumber}
                onChange={(e) => setIdNumber(e.currentTarget.value)}
                autoComplete="off"
                required
                data-testid="my-id-number"
              />
              <TextInput
                label={t('myRecords.name')}
                value={name}
                onChange={(e) => setName(e.currentTarget.value)}
                autoComplete="name"
                required
                data-testid="my-name"
              />
              <TextInput
                label={t('myRecords.phone')}
                description={t('myRecords.phoneHelp')}
                value={phone}
                onChange={(e) => setPhone(e.currentTarget.value)}
                inputMode="tel"
                autoComplete="tel"
                required
                data-testid="my-phone"
              />
              <Button
                type="submit"
                loading={busy}
                size="md"
                fullWidth
                disabled={!idNumber || !name || !phone}
              >
                {t('myRecords.sendCode')}
              </Button>
            </Stack>
          </Paper>
        ) : null}

        {state.step === 'code' ? (
          <Paper withBorder p="md" radius="md" component="form" onSubmit={confirm} noValidate>
            <Stack gap="sm">
              <Text size="sm">{inLang(state.message, lang)}</Text>
              {state.demoCode ? (
                <Alert color="yellow" title={t('myRecords.demoTitle')} data-testid="my-demo-code">
                  {t('myRecords.demoBody', { code: state.demoCode })}
                </Alert>
              ) : null}
              <TextInput
                label={t('myRecords.code')}
                value={code}
                onChange={(e) => setCode(e.currentTarget.value)}
                inputMode="numeric"
                autoComplete="one-time-code"
                maxLength={6}
                data-testid="my-code"
              />
              <Group grow>
                <Button variant="default" onClick={() => setState({ step: 'identify' })}>
                  {t('myRecords.back')}
                </Button>
                <Button type="submit" loading={busy} disabled={code.trim().length !== 6}>
                  {t('myRecords.confirm')}
                </Button>
              </Group>
            </Stack>
          </Paper>
        ) : null}

        {expired ? (
          <Alert color="orange" title={t('myRecords.expired')}>
            <Button mt="xs" size="xs" onClick={() => setState({ step: 'identify' })}>
              {t('myRecords.again')}
            </Button>
          </Alert>
        ) : error ? (
          <ErrorAlert error={error} />
        ) : null}

        {state.step === 'records' ? (
          <Records
            holdings={state.holdings}
            busy={busy}
            confirming={confirming}
            setConfirming={setConfirming}
            notMine={notMine}
            disputed={disputed}
            signOut={signOut}
          />
        ) : null}

        <Paper withBorder p="lg" radius="md">
          <Stack gap="xs">
            <Title order={3} size="h5">
              {t('public.heading')}
            </Title>
            <CitizenLinks except="/my" />
            <Text size="sm" mt="sm">
              <Anchor {...linkProps('/login')}>{t('public.staffSignIn')}</Anchor>
            </Text>
          </Stack>
        </Paper>
      </Stack>
    </PublicLayout>
  );
}

function Records(props: {
  holdings: MyHoldings;
  busy: boolean;
  confirming: string | null;
  setConfirming: (id: string | null) => void;
  notMine: (kind: 'phone_card' | 'bank_account', id: string) => Promise<void>;
  disputed: string | null;
  signOut: () => Promise<void>;
}) {
  const { t } = useI18n();
  const { holdings: h } = props;
  const limit = h.limits.phoneCards;
  const over = limit.held > limit.national || limit.byOperator.some((o) => o.held > o.limit);
  const action = (kind: 'phone_card' | 'bank_account', id: string, isDisputed: boolean) =>
    isDisputed ? (
      <Badge color="orange" variant="light">
        {t('myRecords.disputed')}
      </Badge>
    ) : props.confirming === id ? (
      <Group gap={4} wrap="nowrap">
        <Button
          size="compact-xs"
          color="red"
          loading={props.busy}
          onClick={() => void props.notMine(kind, id)}
        >
          {t('myRecords.confirmNotMine')}
        </Button>
        <Button size="compact-xs" variant="default" onClick={() => props.setConfirming(null)}>
          {t('myRecords.cancel')}
        </Button>
      </Group>
    ) : (
      <Button size="compact-xs" variant="light" color="red" onClick={() => props.setConfirming(id)}>
        {t('myRecords.notMine')}
      </Button>
    );

  return (
    <Stack gap="md" data-testid="my-records">
      <Group justify="space-between">
        <Text fw={600}>
          {h.person.name} · {h.person.idNumber}
        </Text>
        <Button size="xs" variant="default" onClick={() => void props.signOut()}>
          {t('myRecords.signOut')}
        </Button>
      </Group>
      {props.disputed ? (
        <Alert color="blue" title={t('myRecords.disputeOpened')} data-testid="my-dispute-opened">
          {t('myRecords.disputeBody', { id: props.disputed })}
        </Alert>
      ) : null}
      <Alert color={over ? 'red' : 'gray'} variant="light" title={t('myRecords.limitsTitle')}>
        {t('myRecords.limitsBody', {
          held: limit.held,
          national: limit.national,
          perOperator: limit.perOperator,
        })}
        {limit.byOperator.map((o) => (
          <Text size="sm" key={o.operator}>
            {t('myRecords.byOperator', { operator: o.operator, held: o.held, limit: o.limit })}
          </Text>
        ))}
      </Alert>
      <Paper withBorder radius="md" p="sm">
        <Title order={3} size="h5" mb="xs">
          {t('myRecords.cards', { n: h.phoneCards.length })}
        </Title>
        <Table.ScrollContainer minWidth={420}>
          <Table striped>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('myRecords.number')}</Table.Th>
                <Table.Th>{t('myRecords.operator')}</Table.Th>
                <Table.Th>{t('myRecords.since')}</Table.Th>
                <Table.Th>{t('myRecords.status')}</Table.Th>
                <Table.Th />
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {h.phoneCards.map((c) => (
                <Table.Tr key={c.id}>
                  <Table.Td>
                    {c.msisdn}
                    {c.cardType === 'iot' ? ' (IoT)' : ''}
                  </Table.Td>
                  <Table.Td>{c.operator}</Table.Td>
                  <Table.Td>
                    {localDay(c.activatedAt)}
                    {c.outlet ? (
                      <Text span size="xs" c="dimmed" data-testid="card-outlet">
                        {' '}
                        {t('myRecords.atOutlet', { outlet: c.outlet })}
                      </Text>
                    ) : null}
                  </Table.Td>
                  <Table.Td>
                    {c.status}
                    {c.cancelledAt ? ` (${t('myRecords.givenBack', { date: localDay(c.cancelledAt) })})` : ''}
                  </Table.Td>
                  <Table.Td>
                    {c.status === 'cancelled' ? null : action('phone_card', c.id, c.disputed)}
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      </Paper>
      <Paper withBorder radius="md" p="sm">
        <Title order={3} size="h5" mb="xs">
          {t('myRecords.accounts', { n: h.bankAccounts.length })}
        </Title>
        <Table.ScrollContainer minWidth={420}>
          <Table striped>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('myRecords.account')}</Table.Th>
                <Table.Th>{t('myRecords.institution')}</Table.Th>
                <Table.Th>{t('myRecords.since')}</Table.Th>
                <Table.Th>{t('myRecords.status')}</Table.Th>
                <Table.Th />
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {h.bankAccounts.map((a) => (
                <Table.Tr key={a.id}>
                  <Table.Td>{a.account}</Table.Td>
                  <Table.Td>{a.institution}</Table.Td>
                  <Table.Td>{localDay(a.openedAt)}</Table.Td>
                  <Table.Td>
                    {a.status}
                    {a.closedAt ? ` (${t('myRecords.closedOn', { date: localDay(a.closedAt) })})` : ''}
                  </Table.Td>
                  {/* A closed account keeps "not mine": its number is not reissued, so the bank's
                      re-verification falls on no one else. */}
                  <Table.Td>{action('bank_account', a.id, a.disputed)}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      </Paper>
      <Text size="xs" c="dimmed">
        {t('myRecords.notMineHelp')}
      </Text>
    </Stack>
  );
}
