import type { FastifyRequest } from 'fastify';
import { forbidden, unauthorized } from '../core/errors.ts';
import type { OrganisationKind, Principal, Role } from '../identity/model.ts';

/**
 * Every route states who may call it in `config.access`; a route without it fails at start-up,
 * so no endpoint can be left open by accident.
 *
 * - `{ public: true }`: anyone; rate-limited per client (citizens' report, check and appeal).
 * - `{ roles, orgKinds?, scope? }`: a signed-in user holding one of `roles` in an organisation of
 *   one of `orgKinds`; or, when `scope` is set, any institution's API key granted that scope.
 */
export type RouteAccess =
  | { public: true; rateLimitPerMinute?: number }
  | { roles: readonly Role[]; orgKinds?: readonly OrganisationKind[]; scope?: string };

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: RouteAccess;
  }
  interface FastifyRequest {
    principal: Principal | null;
  }
}

export function authorise(access: RouteAccess, principal: Principal | null): void {
  if ('public' in access) return;
  if (!principal) throw unauthorized();
  if (principal.kind === 'api_key') {
    // An institution's key is granted per scope; `orgKinds` narrows console users only.
    if (!access.scope || !principal.scopes.includes(access.scope)) {
      throw forbidden(
        access.scope ? `this API key lacks the scope ${access.scope}` : 'this route is not open to API keys',
      );
    }
    return;
  }
  if (access.orgKinds && !access.orgKinds.includes(principal.organisationKind)) throw forbidden();
  if (!access.roles.some((r) => principal.roles.includes(r))) throw forbidden();
}

/** The signed-in principal of a route whose access is not public. */
export function principalOf(req: FastifyRequest): Principal {
  if (!req.principal) throw unauthorized();
  return req.principal;
}
