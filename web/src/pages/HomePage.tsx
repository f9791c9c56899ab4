import { Anchor, Badge, Card, Group, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import { visibleCapabilities } from '../capabilities.ts';
import { RoleBadges } from '../components/RoleBadges.tsx';
import { useI18n } from '../i18n/index.tsx';
import { linkProps } from '../router.ts';
import { useSession } from '../session.tsx';

/** `/`: who you are, and the capabilities open to you. */
export function HomePage() {
  const { t, lookup } = useI18n();
  const { session } = useSession();
  const { user, organisation } = session;
  const caps = visibleCapabilities(session);
  return (
    <Stack gap="lg">
      <Card withBorder padding="lg" radius="md">
        <Stack gap="sm">
          <Title order={2}>{t('home.welcome', { name: user.displayName })}</Title>
          <Group gap="xl" align="flex-start">
            <div>
              <Text size="xs" c="dimmed" tt="uppercase">
                {t('home.organisation')}
              </Text>
              <Text fw={500}>{organisation.name}</Text>
              <Text size="sm" c="dimmed">
                {lookup(`orgKinds.${organisation.kind}`) ?? organisation.kind}
              </Text>
            </div>
            <div>
              <Text size="xs" c="dimmed" tt="uppercase" mb={4}>
                {t('home.roles')}
              </Text>
              <RoleBadges roles={user.roles} />
            </div>
          </Group>
        </Stack>
      </Card>
      {caps.length ? (
        <>
          <Title order={3}>{t('home.capabilities')}</Title>
          <SimpleGrid cols={{ base: 1, sm: 2, lg: 3 }}>
            {caps.map((c) => (
              <Card key={c.id} withBorder padding="md" radius="md">
                <Stack gap={6} h="100%">
                  <Group justify="space-between" wrap="nowrap" align="flex-start">
                    <Anchor {...linkProps(c.path)} fw={600}>
                      {t(c.label)}
                    </Anchor>
                    {c.built ? null : (
                      <Badge size="xs" variant="light" color="gray" tt="none">
                        {t('home.comingSoon')}
                      </Badge>
                    )}
                  </Group>
                  <Text size="sm" c="dimmed">
                    {t(c.description)}
                  </Text>
                </Stack>
              </Card>
            ))}
          </SimpleGrid>
        </>
      ) : null}
    </Stack>
  );
}
