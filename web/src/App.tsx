import { Button, Center, Container, Loader, Stack } from '@mantine/core';
import { useCallback, useEffect, useMemo, useState } from 'react';
import { api, asApiError, onSessionExpired, type ApiError, type Session } from './api.ts';
import { CITIZEN_PAGES } from './components/CitizenLinks.tsx';
import { ErrorAlert } from './components/ErrorAlert.tsx';
import { ConsoleRoutes } from './ConsoleRoutes.tsx';
import { useT } from './i18n/index.tsx';
import { AppealFormPage } from './pages/appeal/AppealFormPage.tsx';
import { AppealReceiptPage } from './pages/appeal/AppealReceiptPage.tsx';
import { CheckPage } from './pages/check/CheckPage.tsx';
import { ReceiptPage } from './pages/reports/ReceiptPage.tsx';
import { ReportFormPage } from './pages/reports/ReportFormPage.tsx';
import { CitizenPage } from './pages/CitizenPage.tsx';
import { MyRecordsPage } from './pages/my/MyRecordsPage.tsx';
import { LoginPage } from './pages/LoginPage.tsx';
import { Redirect } from './Redirect.tsx';
import { matchPath, useLocation } from './router.ts';
import { SessionContext, type SessionState } from './session.tsx';
import { Shell } from './shell/Shell.tsx';

type State =
  | { status: 'loading' }
  /** `left`: the user signed out here, so no `next` to come back to */
  | { status: 'signedOut'; left?: boolean }
  | { status: 'signedIn'; session: Session }
  | { status: 'error'; error: ApiError };

/** Only paths of this console may follow a sign-in (no `//evil.example`). */
function safeNext(next: string | null): string {
  return next && next.startsWith('/') && !next.startsWith('//') && !next.startsWith('/login') ? next : '/';
}

export function App() {
  const t = useT();
  const location = useLocation();
  const [state, setState] = useState<State>({ status: 'loading' });

  const check = useCallback(() => {
    setState({ status: 'loading' });
    api.getSession().then(
      (session) => setState({ status: 'signedIn', session }),
      (err: unknown) => {
        const e = asApiError(err);
        setState(e.status === 401 ? { status: 'signedOut' } : { status: 'error', error: e });
      },
    );
  }, []);

  useEffect(check, [check]);
  useEffect(() => onSessionExpired(() => setState({ status: 'signedOut' })), []);
  useEffect(() => {
    document.title = t('app.name');
  }, [t]);

  const sessionState = useMemo<SessionState | null>(
    () =>
      state.status === 'signedIn'
        ? {
            session: state.session,
            async signOut() {
              await api.signOut().catch(() => undefined);
              setState({ status: 'signedOut', left: true });
            },
          }
        : null,
    [state],
  );

  const { path } = location;
  if (path === '/check') return <CheckPage />;
  if (path === '/report') return <ReportFormPage />;
  const receipt = matchPath('/receipt/:code', path);
  if (path === '/receipt' || receipt)
    return <ReceiptPage key={receipt?.code ?? ''} code={receipt?.code ?? ''} />;
  if (path === '/appeal') return <AppealFormPage />;
  if (path === '/my') return <MyRecordsPage />;
  const appealReceipt = matchPath('/appeal/receipt/:code', path);
  if (path === '/appeal/receipt' || appealReceipt)
    return <AppealReceiptPage key={appealReceipt?.code ?? ''} code={appealReceipt?.code ?? ''} />;
  if (CITIZEN_PAGES.some((p) => p.path === path)) return <CitizenPage path={path} />;

  if (path === '/login') {
    const next = safeNext(location.search.get('next'));
    // Signed in (already, or just now): on to where the user was going.
    if (state.status === 'signedIn') return <Redirect to={next} />;
    return <LoginPage onSignedIn={(session) => setState({ status: 'signedIn', session })} />;
  }

  switch (state.status) {
    case 'loading':
      return (
        <Center h="100vh">
          <Loader aria-label={t('common.loading')} />
        </Center>
      );
    case 'error':
      return (
        <Container size="xs" py="xl">
          <Stack>
            <ErrorAlert error={state.error} />
            <Button onClick={check}>{t('common.retry')}</Button>
          </Stack>
        </Container>
      );
    case 'signedOut':
      return (
        <Redirect
          to={state.left || path === '/' ? '/login' : `/login?next=${encodeURIComponent(location.href)}`}
        />
      );
    case 'signedIn':
      return (
        <SessionContext.Provider value={sessionState}>
          <Shell>
            <ConsoleRoutes />
          </Shell>
        </SessionContext.Provider>
      );
  }
}
