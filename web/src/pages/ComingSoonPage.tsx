import { Alert, Stack, Text } from '@mantine/core';
import type { Capability } from '../capabilities.ts';
import { PageTitle } from '../components/PageTitle.tsx';
import { useT } from '../i18n/index.tsx';

/** A capability that is not built yet: what it will do, instead of an error. */
export function ComingSoonPage({ capability }: { capability: Capability }) {
  const t = useT();
  return (
    <Stack>
      <PageTitle title={t(capability.label)} />
      <Alert color="blue" variant="light" title={t('coming.title')}>
        <Text size="sm">{t('coming.body')}</Text>
        <Text size="sm" mt="xs">
          {t(capability.description)}
        </Text>
      </Alert>
    </Stack>
  );
}
