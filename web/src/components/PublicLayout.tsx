import { Anchor, Box, Container, Group, Text, Title } from '@mantine/core';
import type { ReactNode } from 'react';
import { useT } from '../i18n/index.tsx';
import { linkProps } from '../router.ts';
import { LanguageSwitch } from './LanguageSwitch.tsx';

/** Pages open to everyone (sign-in, the citizens' services): a plain header and a column. */
export function PublicLayout({ children, size = 'sm' }: { children: ReactNode; size?: 'xs' | 'sm' | 'md' }) {
  const t = useT();
  return (
    <Box mih="100vh" bg="var(--mantine-color-gray-0)">
      <Box component="header" bg="white" style={{ borderBottom: '1px solid var(--mantine-color-gray-3)' }}>
        <Container size="md" py="sm">
          <Group justify="space-between" wrap="wrap" gap="sm">
            <Box miw={0}>
              <Title order={1} size="h4">
                <Anchor {...linkProps('/login')} c="inherit" underline="never">
                  {t('app.name')}
                </Anchor>
              </Title>
              <Text size="xs" c="dimmed">
                {t('app.tagline')}
              </Text>
            </Box>
            <LanguageSwitch />
          </Group>
        </Container>
      </Box>
      <Container size={size} py="xl" component="main">
        {children}
      </Container>
    </Box>
  );
}
