import { Burger, Button, Group, Title } from '@mantine/core';
import { LanguageSwitch } from '../components/LanguageSwitch.tsx';
import { useT } from '../i18n/index.tsx';
import { linkProps } from '../router.ts';
import { useSession } from '../session.tsx';
import { UserSummary } from './UserSummary.tsx';

export function ShellHeader({ navOpened, onToggleNav }: { navOpened: boolean; onToggleNav: () => void }) {
  const t = useT();
  const { signOut } = useSession();
  return (
    <Group h="100%" px="md" justify="space-between" wrap="nowrap" gap="sm">
      <Group gap="sm" wrap="nowrap" miw={0}>
        <Burger
          opened={navOpened}
          onClick={onToggleNav}
          hiddenFrom="sm"
          size="sm"
          aria-label={t('nav.toggle')}
        />
        <Title
          order={1}
          size="h4"
          style={{ whiteSpace: 'nowrap', overflow: 'hidden', textOverflow: 'ellipsis' }}
        >
          <a {...linkProps('/')} style={{ color: 'inherit', textDecoration: 'none' }}>
            {t('app.name')}
          </a>
        </Title>
      </Group>
      <Group gap="md" wrap="nowrap">
        <Group visibleFrom="md" wrap="nowrap">
          <UserSummary />
        </Group>
        <LanguageSwitch />
        <Button visibleFrom="sm" variant="default" size="xs" onClick={() => void signOut()}>
          {t('auth.signOut')}
        </Button>
      </Group>
    </Group>
  );
}
