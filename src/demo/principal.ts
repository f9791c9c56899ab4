import type { Kysely } from 'kysely';
import type { DB } from '../core/db/schema.ts';
import type { OrganisationKind, Principal, Role } from '../identity/model.ts';

/** The demo user `username` as the principal its console session would carry (the seeds act as it). */
export async function demoPrincipal(db: Kysely<DB>, username: string): Promise<Principal> {
  const u = await db
    .selectFrom('users as u')
    .innerJoin('organisations as o', 'o.id', 'u.organisation_id')
    .select(['u.id', 'u.organisation_id', 'o.kind', 'u.roles'])
    .where('u.username', '=', username)
    .executeTakeFirstOrThrow();
  return {
    kind: 'user',
    id: u.id,
    name: username,
    organisationId: u.organisation_id,
    organisationKind: u.kind as OrganisationKind,
    roles: u.roles as Role[],
    scopes: [],
  };
}
