import { Button, Group, Modal, Stack, Text, Textarea } from '@mantine/core';
import { useState, type FormEvent } from 'react';
import { ErrorAlert } from '../../components/ErrorAlert.tsx';
import { useT } from '../../i18n/index.tsx';

/**
 * A button that opens a dialog with an optional note, then runs `action` with it (empty: none).
 * ReasonDialog's counterpart where the server takes a note but does not require one (execution).
 */
export function NoteDialog({
  button,
  title,
  body,
  label,
  placeholder,
  confirm,
  action,
  onDone,
  onError,
}: {
  button: string;
  title: string;
  body: string;
  label: string;
  placeholder?: string;
  confirm: string;
  action: (note: string | undefined) => Promise<unknown>;
  onDone: () => void;
  onError?: (err: unknown) => void;
}) {
  const t = useT();
  const [opened, setOpened] = useState(false);
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  function close() {
    setOpened(false);
    setNote('');
    setError(null);
  }

  async function submit(e: FormEvent) {
    e.preventDefault();
    setError(null);
    setBusy(true);
    try {
      await action(note.trim() || undefined);
      close();
      onDone();
    } catch (err) {
      setError(err);
      onError?.(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <>
      <Button size="compact-sm" variant="filled" onClick={() => setOpened(true)}>
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
            <Textarea
              label={label}
              placeholder={placeholder}
              value={note}
              onChange={(e) => setNote(e.currentTarget.value)}
              autosize
              minRows={2}
              maxLength={2000}
              data-autofocus
            />
            <Group justify="flex-end">
              <Button variant="default" onClick={close}>
                {t('common.cancel')}
              </Button>
              <Button type="submit" loading={busy}>
                {confirm}
              </Button>
            </Group>
          </Stack>
        </form>
      </Modal>
    </>
  );
}
