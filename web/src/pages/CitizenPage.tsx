import { Alert, Anchor, Paper, Stack, Text, Title } from '@mantine/core';
import { CITIZEN_PAGES, CitizenLinks } from '../components/CitizenLinks.tsx';
import { PublicLayout } from '../components/PublicLayout.tsx';
import { useT } from '../i18n/index.tsx';
import { linkProps } from '../router.ts';

/** /check, /report, /appeal: the citizens' services, announced until they are built. */
export function CitizenPage({ path }: { path: string }) {
  const t = useT();
  const page = CITIZEN_PAGES.find((p) => p.path === path) ?? CITIZEN_PAGES[0]!;
  return (
    <PublicLayout>
      <Stack gap="lg">
        <Title order={2}>{t(page.label)}</Title>
        <Alert color="blue" variant="light" title={t('public.comingTitle')}>
          {t(page.body)}
        </Alert>
        <Alert color="red" variant="outline">
          {t('public.emergency')}
        </Alert>
        <Paper withBorder p="lg" radius="md">
          <Stack gap="xs">
            <Title order={3} size="h5">
              {t('public.heading')}
            </Title>
            <CitizenLinks except={page.path} />
            <Text size="sm" mt="sm">
              <Anchor {...linkProps('/login')}>{t('public.staffSignIn')}</Anchor>
            </Text>
          </Stack>
        </Paper>
      </Stack>
    </PublicLayout>
  );
}
