import { Alert, Anchor, Stack } from '@mantine/core';
import { useT } from '../i18n/index.tsx';
import { linkProps } from '../router.ts';

/** An unknown address, or a page the user's role or organisation does not open. */
export function MissingPage({ reason }: { reason: 'notFound' | 'notAllowed' }) {
  const t = useT();
  return (
    <Stack>
      <Alert color={reason === 'notFound' ? 'gray' : 'orange'} variant="light">
        {t(reason === 'notFound' ? 'errors.pageNotFound' : 'errors.notAllowed')}
      </Alert>
      <Anchor {...linkProps('/')}>{t('errors.goHome')}</Anchor>
    </Stack>
  );
}
