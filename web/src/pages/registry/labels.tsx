import { Anchor, Badge, Group } from '@mantine/core';
import type { ListingStatus } from '../../api.ts';
import { useI18n } from '../../i18n/index.tsx';
import { linkProps, useLocation } from '../../router.ts';

const STATUS_COLOURS: Record<ListingStatus, string> = {
  active: 'red',
  expired: 'gray',
  delisted: 'green',
  under_appeal: 'orange',
  pending_review: 'yellow',
};

export function StatusBadge({ status }: { status: string }) {
  const { lookup } = useI18n();
  return (
    <Badge
      color={STATUS_COLOURS[status as ListingStatus] ?? 'gray'}
      variant="light"
      tt="none"
      style={{ minWidth: 'max-content' }}
      data-testid="listing-status"
    >
      {lookup(`listingStatus.${status}`) ?? status}
    </Badge>
  );
}

/** Labels of codes from the data, in the current language (the raw code when unknown). */
export function useLabels() {
  const { lookup } = useI18n();
  return {
    kind: (k: string) => lookup(`kinds.${k}`) ?? k,
    category: (c: string) => lookup(`categories.${c}`) ?? c,
    status: (s: string) => lookup(`listingStatus.${s}`) ?? s,
  };
}

export const percent = (x: number) => `${Math.round(x * 100)}%`;

/** Listings | Allowlist, above both pages of the registry. */
export function RegistryTabs() {
  const { t } = useI18n();
  const { path } = useLocation();
  const tabs = [
    { path: '/registry', label: t('registry.listings') },
    { path: '/registry/allowlist', label: t('registry.allowlist') },
  ];
  return (
    <Group gap="md" mb="xs">
      {tabs.map((tab) => (
        <Anchor
          key={tab.path}
          {...linkProps(tab.path)}
          fw={tab.path === path ? 700 : 400}
          underline={tab.path === path ? 'always' : 'hover'}
          aria-current={tab.path === path ? 'page' : undefined}
        >
          {tab.label}
        </Anchor>
      ))}
    </Group>
  );
}
