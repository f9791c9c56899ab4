import { Button, Group, Modal, Stack, Text, Textarea } from '@mantine/core';
import { useState, type FormEvent, type ReactNode } from 'react';
import { ErrorAlert } from '../../components/ErrorAlert.tsx';
import { useT } from '../../i18n/index.tsx';

/**
 * A button that opens a dialog asking for a required reason, then runs `action` with it.
 * `children`: more fields above the reason (their state is the caller's); `color`: red by default.
 */
export function ReasonDialog({
  button,
  title,
  body,
  confirm,
  action,
  onDone,
  color = 'red',
  children,
}: {
  button: string;
  title: string;
  body: string;
  confirm: string;
  action: (reason: string) => Promise<unknown>;
  onDone: () => void;
  color?: string;
  children?: ReactNode;
}) {
  const t = useT();
  const [opened, setOpened] = useState(false);
  const [reason, setReason] = useState('');
  const [invalid, setInvalid] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  function close() {
    setOpened(false);
    setReason('');
    setInvalid(false);
    setError(null);
  }

  async function submit(e: FormEvent) {
    e.preventDefault();
    setError(null);
    setInvalid(!reason.trim());
    if (!reason.trim()) return;
    setBusy(true);
    try {
      await action(reason.trim());
      close();
      onDone();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <>
      <Button size="compact-sm" color={color} variant="light" onClick={() => setOpened(true)}>
        {button}
      </Button>
      <Modal
        opened={opened}
        onClose={close}
        title={title}
        closeButtonProps={{ 'aria-label': t('common.close') }}
        centered
      >
        <form onSubmit={submit} noValidate>
          <Stack>
            <Text size="sm">{body}</Text>
            {error ? <ErrorAlert error={error} /> : null}
            {children}
            <Textarea
              label={t('registry.reasonLabel')}
              placeholder={t('registry.reasonPlaceholder')}
              value={reason}
              onChange={(e) => setReason(e.currentTarget.value)}
              error={invalid ? t('registry.reasonRequired') : undefined}
              autosize
              minRows={2}
              data-autofocus
            />
            <Group justify="flex-end">
              <Button variant="default" onClick={close}>
                {t('common.cancel')}
              </Button>
              <Button type="submit" color={color} loading={busy}>
                {confirm}
              </Button>
            </Group>
          </Stack>
        </form>
      </Modal>
    </>
  );
}
