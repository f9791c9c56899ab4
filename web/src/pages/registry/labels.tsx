import { Anchor, Badge, Group } from '@mantine/core';
import type { ListingStatus, ReviewStatus } from '../../api.ts';
import { allows, CAPABILITIES } from '../../capabilities.ts';
import { useI18n } from '../../i18n/index.tsx';
import { linkProps, useLocation } from '../../router.ts';
import { useSession } from '../../session.tsx';

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

const REVIEW_COLOURS: Record<ReviewStatus, string> = { open: 'yellow', accepted: 'red', rejected: 'gray' };

export function ReviewStatusBadge({ status }: { status: string }) {
  const { lookup } = useI18n();
  return (
    <Badge
      color={REVIEW_COLOURS[status as ReviewStatus] ?? 'gray'}
      variant="light"
      tt="none"
      style={{ minWidth: 'max-content' }}
      data-testid="review-status"
    >
      {lookup(`reviewStatus.${status}`) ?? status}
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
    reviewReason: (r: string) => lookup(`reviewReasons.${r}`) ?? r,
    reviewStatus: (s: string) => lookup(`reviewStatus.${s}`) ?? s,
    lookalikeReason: (r: string) => lookup(`lookalikeReasons.${r}`) ?? r,
  };
}

export const percent = (x: number) => `${Math.round(x * 100)}%`;

/** Listings | Allowlist | Reviews | Brands above the registry's pages: those this user may open. */
export function RegistryTabs() {
  const { t } = useI18n();
  const { path } = useLocation();
  const { session } = useSession();
  const pages = CAPABILITIES.find((c) => c.id === 'registry')?.pages ?? [];
  const tabs = pages
    .filter((p) => allows(p.access, session))
    .map((p) => ({ path: p.path, label: t(p.label) }));
  return (
    <Group gap="md" mb="xs" wrap="wrap">
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
