import { Alert, Button, Paper, PasswordInput, Stack, Text, TextInput, Title } from '@mantine/core';
import { useState, type FormEvent } from 'react';
import { api, type Session } from '../api.ts';
import { CitizenLinks } from '../components/CitizenLinks.tsx';
import { ErrorAlert } from '../components/ErrorAlert.tsx';
import { PublicLayout } from '../components/PublicLayout.tsx';
import { useT } from '../i18n/index.tsx';

export function LoginPage({ onSignedIn }: { onSignedIn: (session: Session) => void }) {
  const t = useT();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [missing, setMissing] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setError(null);
    setMissing(!username.trim() || !password);
    if (!username.trim() || !password) return;
    setBusy(true);
    try {
      onSignedIn(await api.signIn(username.trim(), password));
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  }

  return (
    <PublicLayout size="xs">
      <Stack gap="lg">
        <Paper withBorder shadow="sm" p="lg" radius="md" component="form" onSubmit={submit} noValidate>
          <Stack gap="md">
            <div>
              <Title order={2}>{t('auth.title')}</Title>
              <Text size="sm" c="dimmed">
                {t('auth.subtitle')}
              </Text>
            </div>
            {missing ? (
              <Alert color="yellow" variant="light">
                {t('auth.required')}
              </Alert>
            ) : null}
            {error ? <ErrorAlert error={error} /> : null}
            <TextInput
              label={t('auth.username')}
              placeholder={t('auth.usernamePlaceholder')}
              autoComplete="username"
              autoCapitalize="none"
              spellCheck={false}
              value={username}
              onChange={(e) => setUsername(e.currentTarget.value)}
              data-autofocus
            />
            <PasswordInput
              label={t('auth.password')}
              placeholder={t('auth.passwordPlaceholder')}
              autoComplete="current-password"
              visibilityToggleButtonProps={{ 'aria-label': t('auth.togglePassword') }}
              value={password}
              onChange={(e) => setPassword(e.currentTarget.value)}
            />
            <Button type="submit" loading={busy} fullWidth>
              {t('auth.submit')}
            </Button>
          </Stack>
        </Paper>
        <Paper withBorder p="lg" radius="md">
          <Stack gap="xs">
            <Title order={3} size="h5">
              {t('public.heading')}
            </Title>
            <Text size="sm" c="dimmed">
              {t('public.intro')}
            </Text>
            <CitizenLinks />
          </Stack>
        </Paper>
      </Stack>
    </PublicLayout>
  );
}
