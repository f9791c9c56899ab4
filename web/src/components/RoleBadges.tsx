import { Badge, Group } from '@mantine/core';
import { useI18n } from '../i18n/index.tsx';

export function RoleBadges({ roles, size = 'sm' }: { roles: readonly string[]; size?: 'xs' | 'sm' }) {
  const { lookup } = useI18n();
  return (
    <Group gap={4} wrap="wrap">
      {roles.map((r) => (
        <Badge key={r} size={size} variant="light" tt="none">
          {lookup(`roles.${r}`) ?? r}
        </Badge>
      ))}
    </Group>
  );
}
