import { api, type Organisation } from '../../api.ts';
import { DataTable } from '../../components/DataTable.tsx';
import { Loadable } from '../../components/Loadable.tsx';
import { PageTitle } from '../../components/PageTitle.tsx';
import { useI18n } from '../../i18n/index.tsx';
import { useApi } from '../../useApi.ts';

export function OrganisationsPage() {
  const { t, lookup, date } = useI18n();
  const [orgs, reload] = useApi(api.listOrganisations, []);
  return (
    <>
      <PageTitle title={t('organisations.title')} />
      <Loadable state={orgs} onRetry={reload}>
        {(data) => (
          <DataTable<Organisation>
            label={t('organisations.title')}
            minWidth={480}
            rows={data.items}
            columns={[
              { header: t('organisations.name'), cell: (o) => o.name },
              { header: t('organisations.kind'), cell: (o) => lookup(`orgKinds.${o.kind}`) ?? o.kind },
              { header: t('organisations.createdAt'), cell: (o) => date(o.createdAt) },
            ]}
          />
        )}
      </Loadable>
    </>
  );
}
