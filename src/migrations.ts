import type { Migrations } from './core/db/migrate.ts';
import { auditMigrations } from './core/audit.ts';
import { busMigrations } from './core/bus/migrations.ts';
import { importMigrations } from './core/importer/run.ts';
import { jobMigrations } from './core/jobs.ts';
import { identityMigrations } from './identity/migrations.ts';
import { privacyMigrations } from './privacy/migrations.ts';
import { registryMigrations } from './registry/migrations.ts';
import { reportMigrations } from './reports/migrations.ts';
import { detectionMigrations } from './detection/migrations.ts';
import { streamMigrations } from './detection/stream/migrations.ts';
import { governanceMigrations } from './governance/migrations.ts';
import { fundsMigrations } from './funds/migrations.ts';
import { channelMigrations } from './channels/migrations.ts';
import { warningsMigrations } from './warnings/migrations.ts';

/** Every capability's migrations; names (NNNN_capability_what) give the order they apply in. */
export const allMigrations: Migrations = {
  ...auditMigrations,
  ...busMigrations,
  ...importMigrations,
  ...jobMigrations,
  ...identityMigrations,
  ...privacyMigrations,
  ...registryMigrations,
  ...reportMigrations,
  ...detectionMigrations,
  ...streamMigrations,
  ...governanceMigrations,
  ...fundsMigrations,
  ...channelMigrations,
  ...warningsMigrations,
};
