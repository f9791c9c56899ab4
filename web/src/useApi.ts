import { useCallback, useEffect, useState } from 'react';
import { asApiError, type ApiError } from './api.ts';

export type Loaded<T> =
  { status: 'loading' } | { status: 'error'; error: ApiError } | { status: 'ready'; data: T };

/** Loads once per change of `deps`; `reload()` loads again (after a change, say). */
export function useApi<T>(load: () => Promise<T>, deps: readonly unknown[]): [Loaded<T>, () => void] {
  const [state, setState] = useState<Loaded<T>>({ status: 'loading' });
  const [round, setRound] = useState(0);
  const reload = useCallback(() => setRound((n) => n + 1), []);

  useEffect(() => {
    let live = true;
    setState((s) => (s.status === 'ready' ? s : { status: 'loading' }));
    load().then(
      (data) => live && setState({ status: 'ready', data }),
      (err: unknown) => live && setState({ status: 'error', error: asApiError(err) }),
    );
    return () => {
      live = false;
    };
  }, [...deps, round]);

  return [state, reload];
}
