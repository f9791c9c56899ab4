import { Anchor, Stack } from '@mantine/core';
import { useT, type MessageKey } from '../i18n/index.tsx';
import { linkProps } from '../router.ts';

export const CITIZEN_PAGES: { path: string; label: MessageKey; body: MessageKey }[] = [
  { path: '/check', label: 'public.check', body: 'public.checkBody' },
  { path: '/report', label: 'public.report', body: 'public.reportBody' },
  { path: '/appeal', label: 'public.appeal', body: 'public.appealBody' },
  { path: '/my', label: 'public.my', body: 'public.myBody' },
];

/** Links to the services for citizens, which need no account. */
export function CitizenLinks({ except }: { except?: string }) {
  const t = useT();
  return (
    <Stack gap={6}>
      {CITIZEN_PAGES.filter((p) => p.path !== except).map((p) => (
        <Anchor key={p.path} {...linkProps(p.path)} size="sm">
          {t(p.label)}
        </Anchor>
      ))}
    </Stack>
  );
}
