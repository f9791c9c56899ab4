import { Badge, Code, Group, Tooltip } from '@mantine/core';
import type { ApiKey } from '../../api.ts';
import { DataTable } from '../../components/DataTable.tsx';
import { useI18n } from '../../i18n/index.tsx';
import { RevokeApiKey } from './RevokeApiKey.tsx';

export function ApiKeyTable({
  keys,
  canRevoke,
  onRevoked,
}: {
  keys: ApiKey[];
  canRevoke: boolean;
  onRevoked: () => void;
}) {
  const { t, lookup, dateTime } = useI18n();
  return (
    <DataTable<ApiKey>
      label={t('apiKeys.title')}
      minWidth={900}
      rows={keys}
      columns={[
        { header: t('apiKeys.name'), cell: (k) => k.name },
        { header: t('apiKeys.prefix'), cell: (k) => <Code>{k.prefix}</Code> },
        {
          header: t('apiKeys.scopes'),
          cell: (k) => (
            <Group gap={4}>
              {k.scopes.map((s) => (
                <Tooltip key={s} label={lookup(`scopes.${s}`) ?? s}>
                  <Badge size="xs" variant="outline" tt="none">
                    {s}
                  </Badge>
                </Tooltip>
              ))}
            </Group>
          ),
        },
        { header: t('apiKeys.createdAt'), cell: (k) => dateTime(k.createdAt) },
        {
          header: t('apiKeys.lastUsedAt'),
          cell: (k) => (k.lastUsedAt ? dateTime(k.lastUsedAt) : t('common.never')),
        },
        {
          header: t('apiKeys.status'),
          cell: (k) => (
            <Badge size="sm" variant="dot" color={k.revokedAt ? 'gray' : 'green'} tt="none">
              {k.revokedAt ? t('apiKeys.revoked') : t('apiKeys.active')}
            </Badge>
          ),
        },
        {
          header: t('apiKeys.actions'),
          cell: (k) => (canRevoke && !k.revokedAt ? <RevokeApiKey apiKey={k} onRevoked={onRevoked} /> : null),
        },
      ]}
    />
  );
}
