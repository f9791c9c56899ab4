import { Stack } from '@mantine/core';
import { PageTitle } from '../../components/PageTitle.tsx';
import { useT } from '../../i18n/index.tsx';
import { useSession } from '../../session.tsx';
import { PersonList } from './PersonList.tsx';
import { PersonLookup } from './PersonLookup.tsx';

/** `/privacy`: the centre lists and searches persons (masked); operators and banks look up their customers. */
export function PersonsPage() {
  const t = useT();
  const { session } = useSession();
  const centre = session.organisation.kind === 'anti_fraud_centre';
  return (
    <Stack gap="md">
      <PageTitle title={t('persons.title')} intro={t(centre ? 'persons.intro' : 'persons.lookupIntro')} />
      {centre ? <PersonList /> : <PersonLookup />}
    </Stack>
  );
}
