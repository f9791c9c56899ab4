import { Center, Loader } from '@mantine/core';
import type { ReactNode } from 'react';
import type { Loaded } from '../useApi.ts';
import { useT } from '../i18n/index.tsx';
import { ErrorAlert } from './ErrorAlert.tsx';

/** A spinner while loading, the error with a retry button, or the content. */
export function Loadable<T>({
  state,
  onRetry,
  children,
}: {
  state: Loaded<T>;
  onRetry?: () => void;
  children: (data: T) => ReactNode;
}) {
  const t = useT();
  if (state.status === 'loading') {
    return (
      <Center py="xl">
        <Loader size="sm" aria-label={t('common.loading')} />
      </Center>
    );
  }
  if (state.status === 'error') return <ErrorAlert error={state.error} onRetry={onRetry} />;
  return <>{children(state.data)}</>;
}
