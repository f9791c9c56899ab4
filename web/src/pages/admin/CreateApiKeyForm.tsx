import {
  Button,
  Checkbox,
  Code,
  Group,
  Paper,
  SimpleGrid,
  Stack,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { useState, type FormEvent } from 'react';
import { api, type CreatedApiKey } from '../../api.ts';
import { ErrorAlert } from '../../components/ErrorAlert.tsx';
import { Loadable } from '../../components/Loadable.tsx';
import { useI18n } from '../../i18n/index.tsx';
import { useApi } from '../../useApi.ts';

export function CreateApiKeyForm({ onCreated }: { onCreated: (created: CreatedApiKey) => void }) {
  const { t, lookup } = useI18n();
  const [available, reload] = useApi(api.listApiKeyScopes, []);
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState<string[]>([]);
  const [invalid, setInvalid] = useState<'nameRequired' | 'scopesRequired' | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setError(null);
    const problem = !name.trim() ? 'nameRequired' : scopes.length === 0 ? 'scopesRequired' : null;
    setInvalid(problem);
    if (problem) return;
    setBusy(true);
    try {
      const created = await api.createApiKey({ name: name.trim(), scopes });
      setName('');
      setScopes([]);
      onCreated(created);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <Paper withBorder p="md" radius="md" component="form" onSubmit={submit} noValidate>
      <Stack gap="md">
        <Title order={3} size="h4">
          {t('apiKeys.createTitle')}
        </Title>
        {error ? <ErrorAlert error={error} /> : null}
        <TextInput
          label={t('apiKeys.name')}
          placeholder={t('apiKeys.namePlaceholder')}
          value={name}
          onChange={(e) => setName(e.currentTarget.value)}
          error={invalid === 'nameRequired' ? t('apiKeys.nameRequired') : undefined}
          maw={480}
        />
        <Loadable state={available} onRetry={reload}>
          {(data) => (
            <Checkbox.Group
              label={t('apiKeys.scopesLabel')}
              description={t('apiKeys.scopesDescription')}
              value={scopes}
              onChange={setScopes}
              error={invalid === 'scopesRequired' ? t('apiKeys.scopesRequired') : undefined}
            >
              <SimpleGrid cols={{ base: 1, md: 2 }} mt="xs" spacing="xs">
                {data.items.map((s) => (
                  <Checkbox
                    key={s}
                    value={s}
                    label={
                      <Text size="sm" component="span">
                        {lookup(`scopes.${s}`) ?? s} <Code>{s}</Code>
                      </Text>
                    }
                  />
                ))}
              </SimpleGrid>
            </Checkbox.Group>
          )}
        </Loadable>
        <Group>
          <Button type="submit" loading={busy}>
            {t('apiKeys.create')}
          </Button>
        </Group>
      </Stack>
    </Paper>
  );
}
