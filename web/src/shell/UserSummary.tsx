import { Stack, Text } from '@mantine/core';
import { RoleBadges } from '../components/RoleBadges.tsx';
import { useI18n } from '../i18n/index.tsx';
import { useSession } from '../session.tsx';

/** Who is signed in: name, organisation and its kind, roles. */
export function UserSummary({ align = 'flex-end' }: { align?: 'flex-start' | 'flex-end' }) {
  const { session } = useSession();
  const { lookup } = useI18n();
  const { user, organisation } = session;
  const kind = lookup(`orgKinds.${organisation.kind}`) ?? organisation.kind;
  return (
    <Stack gap={2} align={align} data-testid="user-summary">
      <Text size="sm" fw={600} lh={1.2}>
        {user.displayName}
      </Text>
      <Text size="xs" c="dimmed" lh={1.2} ta={align === 'flex-end' ? 'right' : 'left'}>
        {organisation.name} · {kind}
      </Text>
      <RoleBadges roles={user.roles} size="xs" />
    </Stack>
  );
}
