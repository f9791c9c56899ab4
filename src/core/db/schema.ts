/**
 * The database's table types. Each capability adds its own tables by augmenting this interface
 * from its own `tables.ts` (declaration merging), so a capability owns its schema:
 *
 *   declare module '../core/db/schema.ts' { interface DB { users: UsersTable } }
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface DB {}
