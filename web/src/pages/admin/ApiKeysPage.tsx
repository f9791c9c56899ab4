import { Alert, Stack } from '@mantine/core';
import { useState } from 'react';
import { api, type CreatedApiKey } from '../../api.ts';
import { hasRole } from '../../capabilities.ts';
import { Loadable } from '../../components/Loadable.tsx';
import { PageTitle } from '../../components/PageTitle.tsx';
import { useT } from '../../i18n/index.tsx';
import { useSession } from '../../session.tsx';
import { useApi } from '../../useApi.ts';
import { ApiKeyTable } from './ApiKeyTable.tsx';
import { CreateApiKeyForm } from './CreateApiKeyForm.tsx';
import { NewApiKey } from './NewApiKey.tsx';

export function ApiKeysPage() {
  const t = useT();
  const { session } = useSession();
  const isAdmin = hasRole(session, 'administrator');
  const [keys, reload] = useApi(api.listApiKeys, []);
  const [created, setCreated] = useState<CreatedApiKey | null>(null);

  return (
    <Stack gap="lg">
      <PageTitle title={t('apiKeys.title')} intro={t('apiKeys.intro')} />
      {created ? <NewApiKey created={created} onDone={() => setCreated(null)} /> : null}
      {isAdmin && !created ? (
        <CreateApiKeyForm
          onCreated={(k) => {
            setCreated(k);
            reload();
          }}
        />
      ) : null}
      {isAdmin ? null : (
        <Alert color="gray" variant="light">
          {t('apiKeys.readOnly')}
        </Alert>
      )}
      <Loadable state={keys} onRetry={reload}>
        {(data) => <ApiKeyTable keys={data.items} canRevoke={isAdmin} onRevoked={reload} />}
      </Loadable>
    </Stack>
  );
}
