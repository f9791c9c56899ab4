import { Button, Group, Modal, Stack, Text } from '@mantine/core';
import { useState, type FormEvent, type ReactNode } from 'react';
import { ErrorAlert } from '../../components/ErrorAlert.tsx';
import { useI18n } from '../../i18n/index.tsx';

/**
 * A dialog around a form: what it does, the server's refusal if any, the caller's fields, then
 * cancel and confirm. The fields' state and validation stay the caller's.
 */
export function FormDialog({
  opened,
  onClose,
  onSubmit,
  title,
  size,
  body,
  error,
  busy,
  confirm,
  confirmTestId,
  children,
}: {
  opened: boolean;
  onClose: () => void;
  onSubmit: (e: FormEvent) => void;
  title: string;
  size?: string;
  body: string;
  error: unknown;
  busy: boolean;
  confirm: string;
  confirmTestId: string;
  children: ReactNode;
}) {
  const { t } = useI18n();
  return (
    <Modal
      opened={opened}
      onClose={onClose}
      title={title}
      size={size}
      closeButtonProps={{ 'aria-label': t('common.close') }}
      centered
    >
      <form onSubmit={onSubmit} noValidate>
        <Stack>
          <Text size="sm">{body}</Text>
          {error ? <ErrorAlert error={error} /> : null}
          {children}
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              {t('common.cancel')}
            </Button>
            <Button type="submit" loading={busy} data-testid={confirmTestId}>
              {confirm}
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}

/** Busy and the last refusal around one API call; `then` runs only after success. */
export function useSubmission() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  async function run<T>(action: () => Promise<T>, then: (result: T) => void): Promise<void> {
    setBusy(true);
    setError(null);
    try {
      then(await action());
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }
  return { busy, error, setError, run };
}
