import type { OrganisationKind, Role, Session } from './api.ts';
import type { MessageKey } from './i18n/index.tsx';

/**
 * The console's capabilities and who sees them. This only shapes the navigation: the server
 * decides on every call (a hidden page reached by its address still gets 403 from the API).
 */

export interface AccessRule {
  roles: readonly Role[];
  /** omitted: any kind of organisation */
  orgKinds?: readonly OrganisationKind[];
}

/** One rule, or several of which any one suffices. */
export type Access = AccessRule | { anyOf: readonly AccessRule[] };

export interface NavChild {
  label: MessageKey;
  path: string;
  access: Access;
}

export type CapabilityId =
  'registry' | 'reports' | 'detection' | 'warnings' | 'funds' | 'governance' | 'privacy' | 'admin';

export interface Capability {
  id: CapabilityId;
  label: MessageKey;
  description: MessageKey;
  /** where the navigation and the home page link to */
  path: string;
  access: Access;
  /** false: the page says what is coming */
  built: boolean;
  children?: NavChild[];
  /** pages reached from the capability's own page (not in the navigation), with their access */
  pages?: NavChild[];
}

const PARTICIPANTS: readonly OrganisationKind[] = [
  'anti_fraud_centre',
  'telecom_operator',
  'bank',
  'internet_service',
];
const OPERATIONS: readonly Role[] = ['analyst', 'supervisor', 'auditor', 'institution_operator'];
/** As the server's privacy routes: the centre's staff, and operators and banks (their own customers). */
const PRIVACY: Access = {
  anyOf: [
    { roles: ['analyst', 'supervisor', 'auditor', 'administrator'], orgKinds: ['anti_fraud_centre'] },
    {
      roles: ['analyst', 'supervisor', 'auditor', 'administrator', 'institution_operator'],
      orgKinds: ['telecom_operator', 'bank'],
    },
  ],
};
const OVERSIGHT: Access = { roles: ['auditor', 'administrator'] };
/** As the server's registry routes: listings are read by the centre's staff (users). */
const REGISTRY_READERS: Access = {
  roles: ['analyst', 'supervisor', 'auditor'],
  orgKinds: ['anti_fraud_centre'],
};
const ALLOWLIST_READERS: Access = {
  roles: ['analyst', 'supervisor', 'auditor', 'administrator'],
  orgKinds: ['anti_fraud_centre'],
};
/** As the server's review routes: supervisors decide, auditors read. */
const REVIEW_READERS: Access = { roles: ['supervisor', 'auditor'], orgKinds: ['anti_fraud_centre'] };
/**
 * As the server's policy routes: analysts, supervisors, auditors and administrators read (an
 * institution sees the national policies and its own); the page decides who may change which.
 */
const POLICY_READERS: Access = {
  roles: ['analyst', 'supervisor', 'auditor', 'administrator'],
  orgKinds: PARTICIPANTS,
};
/** As the server's report routes: the centre's staff read the triage queue and the reports. */
const REPORT_READERS: Access = {
  roles: ['analyst', 'supervisor', 'auditor'],
  orgKinds: ['anti_fraud_centre'],
};
/**
 * As the server's detection routes: the centre's analysts and supervisors decide and its auditors
 * read; operators' and banks' operators and administrators read their own organisation's.
 */
const DETECTION_READERS: Access = {
  anyOf: [
    { roles: ['analyst', 'supervisor', 'auditor'], orgKinds: ['anti_fraud_centre'] },
    { roles: ['institution_operator', 'administrator'], orgKinds: ['telecom_operator', 'bank'] },
  ],
};

/**
 * As the server's detection stream route: the platform's own streaming workers are the centre's to
 * watch, its administrator's too (who has no detection queue: the route is reached by its address).
 */
export const STREAM_WATCHERS: Access = {
  roles: ['administrator', 'supervisor', 'analyst', 'auditor'],
  orgKinds: ['anti_fraud_centre'],
};

/** As the server's own-feeds route: the operators and banks whose systems send records. */
export const FEED_SENDERS: Access = {
  roles: ['institution_operator', 'administrator'],
  orgKinds: ['telecom_operator', 'bank'],
};

/**
 * As the server's instruction routes: the centre's analysts and supervisors issue and its auditors
 * read; operators', banks' and internet services' operators and administrators work their inbox.
 */
export const INSTRUCTION_READERS: Access = {
  anyOf: [
    { roles: ['analyst', 'supervisor', 'auditor'], orgKinds: ['anti_fraud_centre'] },
    {
      roles: ['institution_operator', 'administrator'],
      orgKinds: ['telecom_operator', 'bank', 'internet_service'],
    },
  ],
};

/** As the server's warning routes: the centre's analysts and supervisors call and record outcomes. */
const WARNING_OPERATORS: Access = { roles: ['analyst', 'supervisor'], orgKinds: ['anti_fraud_centre'] };

/** As the server's fund case routes: the centre's analysts and supervisors act, its auditors read. */
const FUND_CASE_READERS: Access = {
  roles: ['analyst', 'supervisor', 'auditor'],
  orgKinds: ['anti_fraud_centre'],
};
/** As the server's inbox routes: a bank's operators answer stop-payments and freezes, its administrators read. */
const FUND_INBOX_READERS: Access = { roles: ['institution_operator', 'administrator'], orgKinds: ['bank'] };

export const CAPABILITIES: readonly Capability[] = [
  {
    id: 'registry',
    label: 'nav.registry',
    description: 'capability.registry',
    path: '/registry',
    access: { roles: OPERATIONS, orgKinds: PARTICIPANTS },
    built: true,
    // The console's registry pages are the centre's (institutions use API keys and feeds); their
    // links are tabs on the pages, so the navigation keeps one entry.
    pages: [
      { label: 'registry.listings', path: '/registry', access: REGISTRY_READERS },
      { label: 'registry.allowlist', path: '/registry/allowlist', access: ALLOWLIST_READERS },
      { label: 'registry.reviews', path: '/registry/reviews', access: REVIEW_READERS },
      // Brands are read like the allowlist (GET /v1/allowlist/brands).
      { label: 'registry.brands', path: '/registry/brands', access: ALLOWLIST_READERS },
      { label: 'registry.policies', path: '/registry/policies', access: POLICY_READERS },
    ],
  },
  {
    id: 'reports',
    label: 'nav.reports',
    description: 'capability.reports',
    path: '/reports',
    // As the server's report routes: the centre's staff work the queue (institutions send clues
    // with API keys); analysts and supervisors decide, auditors read.
    access: REPORT_READERS,
    built: true,
    pages: [{ label: 'reports.queue', path: '/reports', access: REPORT_READERS }],
  },
  {
    id: 'detection',
    label: 'nav.detection',
    description: 'capability.detection',
    path: '/detection',
    access: DETECTION_READERS,
    built: true,
    // The queue (whose rows open the detail) and the streaming workers' health, linked from the
    // queue: the navigation keeps one entry.
    pages: [
      { label: 'detection.queue', path: '/detection', access: DETECTION_READERS },
      { label: 'detectionStream.nav', path: '/detection/stream', access: STREAM_WATCHERS },
    ],
  },
  {
    id: 'warnings',
    label: 'nav.warnings',
    description: 'capability.warnings',
    path: '/warnings',
    access: WARNING_OPERATORS,
    built: true,
    // The operators' queue and the texts warnings use (supervisors edit them on the page).
    children: [
      { label: 'warnings.navQueue', path: '/warnings', access: WARNING_OPERATORS },
      { label: 'warnings.navContent', path: '/warnings/content', access: WARNING_OPERATORS },
    ],
  },
  {
    id: 'funds',
    label: 'nav.funds',
    description: 'capability.funds',
    path: '/funds',
    access: { anyOf: [FUND_CASE_READERS, FUND_INBOX_READERS] },
    built: true,
    // The centre's cases, and a bank's inbox of stop-payments and freezes addressed to it.
    children: [
      { label: 'funds.navCases', path: '/funds/cases', access: FUND_CASE_READERS },
      { label: 'funds.navInbox', path: '/funds/inbox', access: FUND_INBOX_READERS },
    ],
  },
  {
    id: 'governance',
    label: 'nav.governance',
    description: 'capability.governance',
    path: '/governance',
    access: INSTRUCTION_READERS,
    built: true,
    // The centre's list or an institution's inbox, and the appeals' review queue (as the server's
    // appeal routes: the centre's staff, and institutions for appeals on their own measures).
    children: [
      { label: 'nav.instructions', path: '/governance', access: INSTRUCTION_READERS },
      { label: 'nav.appeals', path: '/governance/appeals', access: INSTRUCTION_READERS },
      // As the server's person-lists routes: the centre's analysts, supervisors and auditors.
      {
        label: 'personLists.nav',
        path: '/governance/person-lists',
        access: { roles: ['analyst', 'supervisor', 'auditor'], orgKinds: ['anti_fraud_centre'] },
      },
    ],
  },
  {
    id: 'privacy',
    label: 'nav.privacy',
    description: 'capability.privacy',
    path: '/privacy',
    access: PRIVACY,
    built: true,
    children: [
      { label: 'nav.persons', path: '/privacy', access: PRIVACY },
      { label: 'nav.accessLog', path: '/privacy/access-log', access: OVERSIGHT },
    ],
  },
  {
    id: 'admin',
    label: 'nav.admin',
    description: 'capability.admin',
    path: '/admin/users',
    access: OVERSIGHT,
    built: true,
    children: [
      { label: 'nav.users', path: '/admin/users', access: OVERSIGHT },
      { label: 'nav.apiKeys', path: '/admin/api-keys', access: OVERSIGHT },
      { label: 'nav.organisations', path: '/admin/organisations', access: OVERSIGHT },
    ],
  },
];

export function allows(access: Access, session: Session): boolean {
  if ('anyOf' in access) return access.anyOf.some((rule) => allows(rule, session));
  if (access.orgKinds && !access.orgKinds.includes(session.organisation.kind)) return false;
  return access.roles.some((r) => session.user.roles.includes(r));
}

/** The capabilities this user sees, each with only the children they may open. */
export function visibleCapabilities(session: Session): Capability[] {
  return CAPABILITIES.filter((c) => allows(c.access, session)).map((c) => ({
    ...c,
    children: c.children?.filter((ch) => allows(ch.access, session)),
  }));
}

export function hasRole(session: Session, ...roles: Role[]): boolean {
  return roles.some((r) => session.user.roles.includes(r));
}
