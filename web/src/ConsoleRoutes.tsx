import type { ReactNode } from 'react';
import { ROLES } from './api.ts';
import { allows, CAPABILITIES, type Access, type Capability, type CapabilityId } from './capabilities.ts';
import { ComingSoonPage } from './pages/ComingSoonPage.tsx';
import { HomePage } from './pages/HomePage.tsx';
import { MissingPage } from './pages/MissingPage.tsx';
import { ApiKeysPage } from './pages/admin/ApiKeysPage.tsx';
import { OrganisationsPage } from './pages/admin/OrganisationsPage.tsx';
import { UsersPage } from './pages/admin/UsersPage.tsx';
import { DetectionDetailPage } from './pages/detection/DetectionDetailPage.tsx';
import { DetectionsPage } from './pages/detection/DetectionsPage.tsx';
import { StreamPage } from './pages/detection/StreamPage.tsx';
import { FundCaseDetailPage } from './pages/funds/FundCaseDetailPage.tsx';
import { FundCasesPage } from './pages/funds/FundCasesPage.tsx';
import { FundsHome } from './pages/funds/FundsHome.tsx';
import { InboxPage as FundsInboxPage } from './pages/funds/InboxPage.tsx';
import { AppealDetailPage } from './pages/governance/AppealDetailPage.tsx';
import { AppealsPage } from './pages/governance/AppealsPage.tsx';
import { InstructionDetailPage } from './pages/governance/InstructionDetailPage.tsx';
import { InstructionsPage } from './pages/governance/InstructionsPage.tsx';
import { PersonListDetailPage } from './pages/governance/PersonListDetailPage.tsx';
import { PersonListsPage } from './pages/governance/PersonListsPage.tsx';
import { AccessLogPage } from './pages/privacy/AccessLogPage.tsx';
import { PersonDetailPage } from './pages/privacy/PersonDetailPage.tsx';
import { PersonsPage } from './pages/privacy/PersonsPage.tsx';
import { AllowlistPage } from './pages/registry/AllowlistPage.tsx';
import { BrandsPage } from './pages/registry/BrandsPage.tsx';
import { ListingDetailPage } from './pages/registry/ListingDetailPage.tsx';
import { ListingsPage } from './pages/registry/ListingsPage.tsx';
import { PoliciesPage } from './pages/registry/PoliciesPage.tsx';
import { PolicyDetailPage } from './pages/registry/PolicyDetailPage.tsx';
import { ReviewDetailPage } from './pages/registry/ReviewDetailPage.tsx';
import { ReviewsPage } from './pages/registry/ReviewsPage.tsx';
import { ReportDetailPage } from './pages/reports/ReportDetailPage.tsx';
import { ReportsPage } from './pages/reports/ReportsPage.tsx';
import { ContentLibraryPage } from './pages/warnings/ContentLibraryPage.tsx';
import { WarningDetailPage } from './pages/warnings/WarningDetailPage.tsx';
import { WarningsPage } from './pages/warnings/WarningsPage.tsx';
import { Redirect } from './Redirect.tsx';
import { matchPath, useLocation } from './router.ts';
import { useSession } from './session.tsx';

interface Route {
  pattern: string;
  access: Access;
  render: (params: Record<string, string>) => ReactNode;
}

const capability = (id: CapabilityId): Capability => CAPABILITIES.find((c) => c.id === id)!;
/** The access of a capability's child page, by its path. */
const childAccess = (id: CapabilityId, path: string): Access =>
  [...(capability(id).children ?? []), ...(capability(id).pages ?? [])].find((ch) => ch.path === path)
    ?.access ?? capability(id).access;

const ROUTES: Route[] = [
  { pattern: '/', access: { roles: ROLES }, render: () => <HomePage /> },
  { pattern: '/registry', access: childAccess('registry', '/registry'), render: () => <ListingsPage /> },
  {
    pattern: '/registry/listings/:id',
    access: childAccess('registry', '/registry'),
    render: ({ id }) => <ListingDetailPage key={id} id={id!} />,
  },
  {
    pattern: '/registry/allowlist',
    access: childAccess('registry', '/registry/allowlist'),
    render: () => <AllowlistPage />,
  },
  {
    pattern: '/registry/reviews',
    access: childAccess('registry', '/registry/reviews'),
    render: () => <ReviewsPage />,
  },
  {
    pattern: '/registry/reviews/:id',
    access: childAccess('registry', '/registry/reviews'),
    render: ({ id }) => <ReviewDetailPage key={id} id={id!} />,
  },
  {
    pattern: '/registry/brands',
    access: childAccess('registry', '/registry/brands'),
    render: () => <BrandsPage />,
  },
  {
    pattern: '/registry/policies',
    access: childAccess('registry', '/registry/policies'),
    render: () => <PoliciesPage />,
  },
  {
    pattern: '/registry/policies/:id',
    access: childAccess('registry', '/registry/policies'),
    render: ({ id }) => <PolicyDetailPage key={id} id={id!} />,
  },
  { pattern: '/reports', access: childAccess('reports', '/reports'), render: () => <ReportsPage /> },
  {
    pattern: '/reports/:id',
    access: childAccess('reports', '/reports'),
    render: ({ id }) => <ReportDetailPage key={id} id={id!} />,
  },
  {
    pattern: '/detection',
    access: childAccess('detection', '/detection'),
    render: () => <DetectionsPage />,
  },
  // Before `/detection/:id`, which would take `stream` for a detection's id.
  {
    pattern: '/detection/stream',
    access: childAccess('detection', '/detection/stream'),
    render: () => <StreamPage />,
  },
  {
    pattern: '/detection/:id',
    access: childAccess('detection', '/detection'),
    render: ({ id }) => <DetectionDetailPage key={id} id={id!} />,
  },
  {
    pattern: '/governance',
    access: childAccess('governance', '/governance'),
    render: () => <InstructionsPage />,
  },
  // Before `/governance/:id`, which would take `appeals` for an instruction's id.
  {
    pattern: '/governance/appeals',
    access: childAccess('governance', '/governance/appeals'),
    render: () => <AppealsPage />,
  },
  {
    pattern: '/governance/appeals/:id',
    access: childAccess('governance', '/governance/appeals'),
    render: ({ id }) => <AppealDetailPage key={id} id={id!} />,
  },
  {
    pattern: '/governance/person-lists',
    access: childAccess('governance', '/governance/person-lists'),
    render: () => <PersonListsPage />,
  },
  {
    pattern: '/governance/person-lists/:id',
    access: childAccess('governance', '/governance/person-lists'),
    render: ({ id }) => <PersonListDetailPage key={id} id={id!} />,
  },
  {
    pattern: '/governance/:id',
    access: childAccess('governance', '/governance'),
    render: ({ id }) => <InstructionDetailPage key={id} id={id!} />,
  },
  { pattern: '/warnings', access: childAccess('warnings', '/warnings'), render: () => <WarningsPage /> },
  // Before `/warnings/:id`, which would take `content` for a warning's id.
  {
    pattern: '/warnings/content',
    access: childAccess('warnings', '/warnings/content'),
    render: () => <ContentLibraryPage />,
  },
  {
    pattern: '/warnings/:id',
    access: childAccess('warnings', '/warnings'),
    render: ({ id }) => <WarningDetailPage key={id} id={id!} />,
  },
  { pattern: '/funds', access: capability('funds').access, render: () => <FundsHome /> },
  {
    pattern: '/funds/cases',
    access: childAccess('funds', '/funds/cases'),
    render: () => <FundCasesPage />,
  },
  {
    pattern: '/funds/cases/:id',
    access: childAccess('funds', '/funds/cases'),
    render: ({ id }) => <FundCaseDetailPage key={id} id={id!} />,
  },
  {
    pattern: '/funds/inbox',
    access: childAccess('funds', '/funds/inbox'),
    render: () => <FundsInboxPage />,
  },
  { pattern: '/privacy', access: childAccess('privacy', '/privacy'), render: () => <PersonsPage /> },
  {
    pattern: '/privacy/persons/:id',
    access: childAccess('privacy', '/privacy'),
    render: ({ id }) => <PersonDetailPage key={id} id={id!} />,
  },
  {
    pattern: '/privacy/access-log',
    access: childAccess('privacy', '/privacy/access-log'),
    render: () => <AccessLogPage />,
  },
  { pattern: '/admin', access: capability('admin').access, render: () => <Redirect to="/admin/users" /> },
  { pattern: '/admin/users', access: childAccess('admin', '/admin/users'), render: () => <UsersPage /> },
  {
    pattern: '/admin/api-keys',
    access: childAccess('admin', '/admin/api-keys'),
    render: () => <ApiKeysPage />,
  },
  {
    pattern: '/admin/organisations',
    access: childAccess('admin', '/admin/organisations'),
    render: () => <OrganisationsPage />,
  },
  // Capabilities not built yet say what is coming.
  ...CAPABILITIES.filter((c) => !c.built).map((c) => ({
    pattern: c.path,
    access: c.access,
    render: () => <ComingSoonPage capability={c} />,
  })),
];

/** The page for the current address, inside the shell. */
export function ConsoleRoutes() {
  const { path } = useLocation();
  const { session } = useSession();
  for (const route of ROUTES) {
    const params = matchPath(route.pattern, path);
    if (!params) continue;
    if (!allows(route.access, session)) return <MissingPage reason="notAllowed" />;
    return <>{route.render(params)}</>;
  }
  return <MissingPage reason="notFound" />;
}
