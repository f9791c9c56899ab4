import { Alert, Anchor, Badge, Group, Stack, Text } from '@mantine/core';
import { api, type PolicyVersion } from '../../api.ts';
import { DataTable } from '../../components/DataTable.tsx';
import { Loadable } from '../../components/Loadable.tsx';
import { PageTitle } from '../../components/PageTitle.tsx';
import { useI18n } from '../../i18n/index.tsx';
import { linkProps, navigate } from '../../router.ts';
import { useSession } from '../../session.tsx';
import { useApi } from '../../useApi.ts';
import { RegistryTabs } from './labels.tsx';
import { mayChangePolicies, PolicyStateBadge, policyPath, usePolicyLabels } from './policyLabels.tsx';

interface PolicyGroup {
  id: string;
  channel: string;
  institutionId: string | null;
  /** newest first */
  versions: PolicyVersion[];
  active: PolicyVersion | undefined;
}

/** The versions as the server lists them (by id, newest first), one group per policy id. */
function groupPolicies(items: PolicyVersion[]): PolicyGroup[] {
  const groups = new Map<string, PolicyGroup>();
  for (const v of items) {
    let g = groups.get(v.id);
    if (!g) {
      g = { id: v.id, channel: v.channel, institutionId: v.institutionId, versions: [], active: undefined };
      groups.set(v.id, g);
    }
    g.versions.push(v);
    if (v.state === 'active') g.active = v;
  }
  for (const g of groups.values()) g.versions.sort((a, b) => b.version - a.version);
  return [...groups.values()];
}

/** `/registry/policies`: the decision policies by id, with their versions and states. */
export function PoliciesPage() {
  const { t } = useI18n();
  const labels = usePolicyLabels();
  const { session } = useSession();
  const [policies, reload] = useApi(() => api.listPolicies(), []);
  const canChange = mayChangePolicies(session);

  return (
    <Stack gap="lg">
      <PageTitle title={t('registry.title')} intro={t('policies.intro')} />
      <RegistryTabs />
      {canChange ? null : (
        <Alert color="gray" variant="light">
          {t('policies.readOnly')}
        </Alert>
      )}
      <Loadable state={policies} onRetry={reload}>
        {(data) => (
          <DataTable<PolicyGroup>
            label={t('policies.title')}
            rows={groupPolicies(data.items)}
            empty={t('policies.empty')}
            minWidth={720}
            onRowClick={(g) => navigate(policyPath(g.id))}
            columns={[
              {
                header: t('policies.id'),
                cell: (g) => (
                  <Anchor {...linkProps(policyPath(g.id))} size="sm" style={{ wordBreak: 'break-all' }}>
                    {g.id}
                  </Anchor>
                ),
              },
              { header: t('policies.channel'), cell: (g) => labels.channel(g.channel) },
              { header: t('policies.scope'), cell: (g) => labels.scope(g.institutionId) },
              {
                header: t('policies.versions'),
                cell: (g) => (
                  <Group gap={6} wrap="wrap" data-testid="policy-versions">
                    {g.versions.map((v) => (
                      <PolicyStateBadge key={v.version} state={v.state} version={v.version} />
                    ))}
                  </Group>
                ),
              },
              {
                header: t('policies.inForce'),
                cell: (g) =>
                  g.active ? (
                    <Stack gap={0}>
                      <Badge color="green" variant="filled" tt="none" style={{ minWidth: 'max-content' }}>
                        {t('policies.versionShort', { version: g.active.version })}
                      </Badge>
                      {g.active.description ? (
                        <Text size="xs" c="dimmed">
                          {g.active.description}
                        </Text>
                      ) : null}
                    </Stack>
                  ) : (
                    <Text size="sm" c="dimmed">
                      {t('policies.noneInForce')}
                    </Text>
                  ),
              },
            ]}
          />
        )}
      </Loadable>
    </Stack>
  );
}
