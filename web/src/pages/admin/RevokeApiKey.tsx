import { Button, Group, Modal, Stack, Text } from '@mantine/core';
import { useState } from 'react';
import { api, type ApiKey } from '../../api.ts';
import { ErrorAlert } from '../../components/ErrorAlert.tsx';
import { useT } from '../../i18n/index.tsx';

/** The revoke button, and the dialog that asks to confirm. */
export function RevokeApiKey({ apiKey, onRevoked }: { apiKey: ApiKey; onRevoked: () => void }) {
  const t = useT();
  const [opened, setOpened] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  async function revoke() {
    setBusy(true);
    setError(null);
    try {
      await api.revokeApiKey(apiKey.id);
      setOpened(false);
      onRevoked();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <>
      <Button size="compact-xs" color="red" variant="light" onClick={() => setOpened(true)}>
        {t('apiKeys.revoke')}
      </Button>
      <Modal
        opened={opened}
        onClose={() => setOpened(false)}
        title={t('apiKeys.revokeTitle')}
        closeButtonProps={{ 'aria-label': t('common.close') }}
        centered
      >
        <Stack>
          <Text size="sm">{t('apiKeys.revokeBody', { name: apiKey.name })}</Text>
          {error ? <ErrorAlert error={error} /> : null}
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setOpened(false)}>
              {t('common.cancel')}
            </Button>
            <Button color="red" loading={busy} onClick={() => void revoke()}>
              {t('apiKeys.revokeConfirm')}
            </Button>
          </Group>
        </Stack>
      </Modal>
    </>
  );
}
