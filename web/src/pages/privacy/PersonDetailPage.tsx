import { Anchor, Stack } from '@mantine/core';
import { useState } from 'react';
import { api } from '../../api.ts';
import { PageTitle } from '../../components/PageTitle.tsx';
import { useT } from '../../i18n/index.tsx';
import { linkProps } from '../../router.ts';
import { PersonData } from './PersonData.tsx';
import { PurposeForm } from './PurposeForm.tsx';

/** `/privacy/persons/:id`: first the purpose, then the data the server allows for it. */
export function PersonDetailPage({ id }: { id: string }) {
  const t = useT();
  const [purpose, setPurpose] = useState<string | null>(null);
  return (
    <Stack gap="md">
      <Anchor {...linkProps('/privacy')} size="sm">
        ← {t('persons.back')}
      </Anchor>
      <PageTitle title={t('persons.detailTitle')} />
      {purpose === null ? (
        <PurposeForm title={t('persons.purposeTitle')} onSubmit={setPurpose} />
      ) : (
        <PersonData
          load={() => api.getPerson(id, purpose)}
          loadKey={`${id}|${purpose}`}
          purpose={purpose}
          onChangePurpose={() => setPurpose(null)}
          changeLabel={t('persons.changePurpose')}
        />
      )}
    </Stack>
  );
}
