import {
  Alert,
  Anchor,
  Badge,
  Button,
  Group,
  NativeSelect,
  Paper,
  Stack,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { useState, type FormEvent } from 'react';
import { api, asApiError, type CheckResult, type IndicatorKind } from '../../api.ts';
import { CitizenLinks } from '../../components/CitizenLinks.tsx';
import { ErrorAlert } from '../../components/ErrorAlert.tsx';
import { PublicLayout } from '../../components/PublicLayout.tsx';
import { useI18n, type I18n } from '../../i18n/index.tsx';
import { linkProps } from '../../router.ts';

/** The kinds the public check takes (the server's CHECK_KINDS). */
const CHECK_KINDS: readonly IndicatorKind[] = [
  'phone',
  'url',
  'domain',
  'bank_account',
  'payment_account',
  'internet_account',
  'app',
];

/** Text from the server in both languages: the current one. */
const inLang = (l: { zh: string; en: string }, lang: I18n['lang']) => (lang === 'zh-CN' ? l.zh : l.en);

/** `/check`: anyone may check a number, link or account against the registry, no account needed. */
export function CheckPage() {
  const { t, lookup } = useI18n();
  const [value, setValue] = useState('');
  const [kind, setKind] = useState<IndicatorKind | ''>('');
  const [invalid, setInvalid] = useState(false);
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<CheckResult | null>(null);
  const [error, setError] = useState<unknown>(null);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setError(null);
    setResult(null);
    setInvalid(!value.trim());
    if (!value.trim()) return;
    setBusy(true);
    try {
      setResult(await api.check({ value: value.trim(), ...(kind ? { kind } : {}) }));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  const tooMany = error !== null && asApiError(error).status === 429;

  return (
    <PublicLayout>
      <Stack gap="lg">
        <Stack gap={4}>
          <Title order={2}>{t('check.title')}</Title>
          <Text size="sm" c="dimmed">
            {t('check.intro')}
          </Text>
        </Stack>
        <Paper withBorder p="md" radius="md" component="form" onSubmit={submit} noValidate>
          <Stack gap="sm">
            <TextInput
              label={t('check.value')}
              placeholder={t('check.valuePlaceholder')}
              value={value}
              onChange={(e) => setValue(e.currentTarget.value)}
              error={invalid ? t('check.valueRequired') : undefined}
              size="md"
              autoComplete="off"
              inputMode="text"
            />
            <NativeSelect
              label={t('check.kind')}
              value={kind}
              onChange={(e) => setKind(e.currentTarget.value as IndicatorKind | '')}
              data={[
                { value: '', label: t('check.kindAuto') },
                ...CHECK_KINDS.map((k) => ({ value: k, label: lookup(`kinds.${k}`) ?? k })),
              ]}
            />
            <Group>
              <Button type="submit" loading={busy} size="md" fullWidth>
                {t('check.submit')}
              </Button>
            </Group>
          </Stack>
        </Paper>
        {tooMany ? (
          <Alert color="orange" variant="filled" title={t('check.tooMany')} data-testid="check-too-many" />
        ) : error ? (
          <ErrorAlert error={error} />
        ) : null}
        {result ? <Verdict result={result} /> : null}
        <Button component="a" {...linkProps('/report')} variant="light" color="red" size="md" fullWidth>
          {t('reportForm.toReport')}
        </Button>
        <Alert color="red" variant="outline">
          {t('public.emergency')}
        </Alert>
        <Paper withBorder p="lg" radius="md">
          <Stack gap="xs">
            <Title order={3} size="h5">
              {t('public.heading')}
            </Title>
            <CitizenLinks except="/check" />
            <Text size="sm" mt="sm">
              <Anchor {...linkProps('/login')}>{t('public.staffSignIn')}</Anchor>
            </Text>
          </Stack>
        </Paper>
      </Stack>
    </PublicLayout>
  );
}

function Verdict({ result }: { result: CheckResult }) {
  const { t, lookup, lang } = useI18n();
  const look = {
    listed: { color: 'red', variant: 'filled', title: t('check.listedTitle'), body: t('check.listedBody') },
    not_listed: {
      color: 'gray',
      variant: 'light',
      title: t('check.notListedTitle'),
      body: t('check.notListedBody'),
    },
    unreadable: {
      color: 'orange',
      variant: 'light',
      title: t('check.unreadableTitle'),
      body: t('check.unreadableBody'),
    },
  }[result.verdict];
  return (
    <Alert
      color={look.color}
      variant={look.variant}
      title={
        <Text fw={700} size="xl" component="span">
          {look.title}
        </Text>
      }
      data-testid="check-verdict"
      data-verdict={result.verdict}
      role="status"
    >
      <Stack gap="sm">
        <Text size="sm">{look.body}</Text>
        {result.kind ? (
          <Text size="xs">
            {t('check.checkedAs', { kind: lookup(`kinds.${result.kind}`) ?? result.kind })}
          </Text>
        ) : null}
        {result.categories.length > 0 ? (
          <Stack gap={4}>
            <Text size="sm" fw={600}>
              {t('check.categories')}
            </Text>
            <Group gap={6}>
              {result.categories.map((c) => (
                <Badge key={c.code} color={result.verdict === 'listed' ? 'white' : 'red'} variant="outline">
                  {inLang(c, lang)}
                </Badge>
              ))}
            </Group>
          </Stack>
        ) : null}
        {result.reasons.length > 0 ? (
          <Stack gap={4}>
            <Text size="sm" fw={600}>
              {t('check.reasons')}
            </Text>
            {result.reasons.map((r, i) => (
              <Text key={`${r.code}-${i}`} size="sm">
                • {inLang(r, lang)}
              </Text>
            ))}
          </Stack>
        ) : null}
        <Stack gap={4}>
          <Text size="sm" fw={600}>
            {t('check.advice')}
          </Text>
          <Text size="sm">{inLang(result.advice, lang)}</Text>
        </Stack>
      </Stack>
    </Alert>
  );
}
