import { Alert, Button, Stack, Text } from '@mantine/core';
import { asApiError } from '../api.ts';
import { useI18n, type I18n } from '../i18n/index.tsx';

/** The console's own words for an API error: by its code, else by its status. */
export function errorMessage(err: unknown, i18n: Pick<I18n, 't' | 'lookup'>): string {
  const e = asApiError(err);
  const known = /^[a-z_]+$/.test(e.code) ? i18n.lookup(`errors.${e.code}`) : undefined;
  if (known) return known;
  return e.status === 0 ? i18n.t('errors.network') : i18n.t('errors.generic', { status: e.status });
}

/** An API error: our message as the title, the server's `detail` and request id below. */
export function ErrorAlert({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  const i18n = useI18n();
  const e = asApiError(error);
  return (
    <Alert color="red" variant="light" title={errorMessage(e, i18n)} data-testid="error">
      <Stack gap={6} align="flex-start">
        {e.detail && e.status !== 0 ? <Text size="sm">{e.detail}</Text> : null}
        {e.requestId ? (
          <Text size="xs" c="dimmed">
            {i18n.t('common.requestId', { id: e.requestId })}
          </Text>
        ) : null}
        {onRetry ? (
          <Button size="xs" variant="light" color="red" onClick={onRetry}>
            {i18n.t('common.retry')}
          </Button>
        ) : null}
      </Stack>
    </Alert>
  );
}
