import { Badge } from '@mantine/core';
import type { PolicyState, Session } from '../../api.ts';
import { hasRole } from '../../capabilities.ts';
import { useI18n } from '../../i18n/index.tsx';
import { useSession } from '../../session.tsx';

/** The console path of a policy (its id may hold `:`). */
export const policyPath = (id: string) => `/registry/policies/${encodeURIComponent(id)}`;

/**
 * As the server (src/registry/policies.ts): the centre's supervisors and administrators change any
 * policy; an institution's administrators change their institution's own. Without an institution:
 * whether this user may change some policy at all.
 */
export function mayChangePolicy(session: Session, institutionId?: string | null): boolean {
  if (session.organisation.kind === 'anti_fraud_centre')
    return hasRole(session, 'supervisor', 'administrator');
  if (!hasRole(session, 'administrator')) return false;
  return institutionId === undefined || institutionId === session.organisation.id;
}

export const mayChangePolicies = (session: Session) => mayChangePolicy(session);

const STATE_COLOURS: Record<PolicyState, string> = {
  draft: 'gray',
  shadow: 'violet',
  active: 'green',
  retired: 'dark',
};

/** A version's state; the active one filled, so that it stands out. */
export function PolicyStateBadge({ state, version }: { state: string; version?: number }) {
  const { t, lookup } = useI18n();
  const label = lookup(`policyStates.${state}`) ?? state;
  return (
    <Badge
      color={STATE_COLOURS[state as PolicyState] ?? 'gray'}
      variant={state === 'active' ? 'filled' : 'light'}
      tt="none"
      style={{ minWidth: 'max-content' }}
      data-testid="policy-state"
      data-state={state}
    >
      {version === undefined ? label : `${t('policies.versionShort', { version })} · ${label}`}
    </Badge>
  );
}

/** Labels of policy codes in the current language (the raw code when unknown). */
export function usePolicyLabels() {
  const { t, lookup } = useI18n();
  const { session } = useSession();
  return {
    channel: (c: string) => lookup(`channels.${c === '*' ? 'any' : c}`) ?? c,
    action: (a: string) => lookup(`policyActions.${a}`) ?? a,
    state: (s: string) => lookup(`policyStates.${s}`) ?? s,
    scope: (institutionId: string | null) =>
      institutionId === null
        ? t('policies.national')
        : institutionId === session.organisation.id
          ? t('policies.ownInstitution')
          : t('policies.institution', { id: institutionId }),
  };
}
