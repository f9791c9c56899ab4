import { Badge } from '@mantine/core';
import { api, type User } from '../../api.ts';
import { DataTable } from '../../components/DataTable.tsx';
import { Loadable } from '../../components/Loadable.tsx';
import { PageTitle } from '../../components/PageTitle.tsx';
import { RoleBadges } from '../../components/RoleBadges.tsx';
import { useI18n } from '../../i18n/index.tsx';
import { useApi } from '../../useApi.ts';

export function UsersPage() {
  const { t, dateTime } = useI18n();
  const [users, reload] = useApi(api.listUsers, []);
  return (
    <>
      <PageTitle title={t('users.title')} />
      <Loadable state={users} onRetry={reload}>
        {(data) => (
          <DataTable<User>
            label={t('users.title')}
            minWidth={760}
            rows={data.items}
            columns={[
              { header: t('users.username'), cell: (u) => u.username },
              { header: t('users.displayName'), cell: (u) => u.displayName },
              { header: t('users.organisation'), cell: (u) => u.organisationName },
              { header: t('users.roles'), cell: (u) => <RoleBadges roles={u.roles} size="xs" /> },
              {
                header: t('users.status'),
                cell: (u) => (
                  <Badge size="sm" variant="dot" color={u.disabled ? 'gray' : 'green'} tt="none">
                    {t(u.disabled ? 'users.disabled' : 'users.active')}
                  </Badge>
                ),
              },
              { header: t('users.createdAt'), cell: (u) => dateTime(u.createdAt) },
            ]}
          />
        )}
      </Loadable>
    </>
  );
}
