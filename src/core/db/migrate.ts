import { Migrator, type Migration, type MigrationResultSet } from 'kysely';
import type { Kysely } from 'kysely';
import type { DB } from './schema.ts';

/**
 * Migrations are TypeScript modules listed in code (no directory scanning), so the same list runs
 * from `src/` under tsx and from `dist/` after the build. Names sort in apply order:
 * `NNNN_capability_what`.
 */
export type Migrations = Record<string, Migration>;

export class MigrationError extends Error {}

export async function migrateToLatest(db: Kysely<DB>, migrations: Migrations): Promise<string[]> {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
    migrationTableName: 'schema_migrations',
    migrationLockTableName: 'schema_migrations_lock',
  });
  const result: MigrationResultSet = await migrator.migrateToLatest();
  if (result.error) {
    const failed = result.results?.find((r) => r.status === 'Error');
    throw new MigrationError(
      `migration ${failed?.migrationName ?? '?'} failed: ${(result.error as Error).message ?? String(result.error)}`,
    );
  }
  return (result.results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
