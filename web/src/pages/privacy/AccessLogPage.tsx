import { Anchor, Badge, Group } from '@mantine/core';
import { api, type AccessLogEntry } from '../../api.ts';
import { DataTable } from '../../components/DataTable.tsx';
import { Loadable } from '../../components/Loadable.tsx';
import { PageTitle } from '../../components/PageTitle.tsx';
import { useI18n } from '../../i18n/index.tsx';
import { linkProps } from '../../router.ts';
import { useApi } from '../../useApi.ts';
import { describePurpose } from '../../components/purpose.ts';

/** `/privacy/access-log`: every view of personal data (auditors and administrators). */
export function AccessLogPage() {
  const { t, lookup, dateTime } = useI18n();
  const [log, reload] = useApi(() => api.listAccessLog({ limit: 200 }), []);
  return (
    <>
      <PageTitle title={t('accessLog.title')} intro={t('accessLog.intro')} />
      <Loadable state={log} onRetry={reload}>
        {(data) => (
          <DataTable<AccessLogEntry & { id: string }>
            label={t('accessLog.title')}
            minWidth={860}
            rows={data.items.map((e) => ({ ...e, id: String(e.id) }))}
            columns={[
              { header: t('accessLog.at'), cell: (e) => dateTime(e.at) },
              { header: t('accessLog.actor'), cell: (e) => e.actorName },
              {
                header: t('accessLog.person'),
                cell: (e) => (
                  <Anchor
                    {...linkProps(`/privacy/persons/${encodeURIComponent(e.personId)}`)}
                    size="sm"
                    ff="monospace"
                  >
                    {e.personId.slice(0, 8)}
                  </Anchor>
                ),
              },
              {
                header: t('accessLog.fields'),
                cell: (e) => (
                  <Group gap={4}>
                    {e.fields.map((f) => (
                      <Badge key={f} size="xs" variant="outline" tt="none">
                        {lookup(`fields.${f}`) ?? f}
                      </Badge>
                    ))}
                  </Group>
                ),
              },
              { header: t('accessLog.purpose'), cell: (e) => describePurpose(e.purpose, lookup) },
              {
                header: t('accessLog.mode'),
                cell: (e) => (
                  <Badge size="sm" color={e.clear ? 'orange' : 'gray'} variant="light" tt="none">
                    {t(e.clear ? 'accessLog.clear' : 'accessLog.masked')}
                  </Badge>
                ),
              },
            ]}
          />
        )}
      </Loadable>
    </>
  );
}
