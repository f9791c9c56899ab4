import { Button, Stack, Text } from '@mantine/core';
import { useState, type ReactNode } from 'react';
import { errorMessage } from '../../components/ErrorAlert.tsx';
import { asApiError } from '../../api.ts';
import { useI18n } from '../../i18n/index.tsx';

/**
 * A button that runs one API call and `onDone` after success (the page reloads its state). A
 * refusal (409 already acknowledged, 400 above the traced amount…) goes to `onError` when the page
 * shows it itself, else it is said under the button in the console's words, with the server's
 * detail on hover.
 */
export function ActionButton({
  label,
  action,
  onDone,
  onError,
  color,
  variant = 'light',
  testId,
  disabled,
}: {
  label: ReactNode;
  action: () => Promise<unknown>;
  onDone: (result: unknown) => void;
  onError?: (err: unknown) => void;
  color?: string;
  variant?: 'light' | 'filled' | 'default' | 'outline' | 'subtle';
  testId?: string;
  disabled?: boolean;
}) {
  const i18n = useI18n();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  async function run() {
    setBusy(true);
    setError(null);
    try {
      const result = await action();
      onDone(result);
    } catch (err) {
      if (onError) onError(err);
      else setError(err);
    } finally {
      setBusy(false);
    }
  }

  const e = error ? asApiError(error) : null;
  return (
    <Stack gap={2} align="flex-start">
      <Button
        size="compact-sm"
        variant={variant}
        color={color}
        loading={busy}
        disabled={disabled}
        onClick={() => void run()}
        data-testid={testId}
      >
        {label}
      </Button>
      {e ? (
        <Text
          size="xs"
          c="red"
          maw={220}
          title={e.detail || undefined}
          data-testid="funds-action-error"
          data-code={e.code}
        >
          {errorMessage(e, i18n)}
        </Text>
      ) : null}
    </Stack>
  );
}
