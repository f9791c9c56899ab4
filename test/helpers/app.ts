import crypto from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { PrincipalCache } from '../../src/identity/cache.ts';
import type { Api, RouteModule, Services } from '../../src/api/types.ts';
import { buildServer } from '../../src/api/server.ts';
import { loadConfig } from '../../src/core/config.ts';
import { migrateToLatest } from '../../src/core/db/migrate.ts';
import { createLogger } from '../../src/core/log.ts';
import { createEventBus } from '../../src/core/bus/index.ts';
import { loadPiiCipher } from '../../src/privacy/crypto.ts';
import { allMigrations } from '../../src/migrations.ts';
import { routeModules } from '../../src/platform.ts';
import { DecisionNode } from '../../src/registry/decisions.ts';
import { SYSTEM } from '../../src/core/audit.ts';
import { createOrganisation, createUser } from '../../src/identity/service.ts';
import type { OrganisationKind, Role } from '../../src/identity/model.ts';
import { openTestDatabase } from './db.ts';

export const PASSWORD = 'correct-horse-battery';

/** A migrated test database, bus and keys, and the API built on them (not listening: use inject). */
export async function testApp(
  env: Record<string, string> = {},
  /** Adjusts the route modules, e.g. to register one with test options. */
  routes: (modules: RouteModule[]) => RouteModule[] = (m) => m,
): Promise<{
  app: Api;
  services: Services;
  /** The decision node behind /v1/decisions; not started (start it in tests that decide). */
  node: DecisionNode;
  close(): Promise<void>;
}> {
  const database = await openTestDatabase();
  await migrateToLatest(database.db, allMigrations);
  const config = loadConfig({ INTERDICT_DATA_DIR: '/nonexistent', LOG_LEVEL: 'silent', ...env });
  config.dataDir = 'memory://';
  if (!env.INTERDICT_EVIDENCE_DIR)
    config.evidenceDir = path.join(os.tmpdir(), `interdict-test-evidence-${process.pid}`);
  const log = createLogger('silent');
  const bus = await createEventBus({ db: database.db, natsUrl: process.env.NATS_URL, log });
  const services: Services = {
    config,
    database,
    db: database.db,
    bus,
    log,
    pii: loadPiiCipher(config),
    principals: new PrincipalCache(),
  };
  const node = new DecisionNode(services, { nodeId: `decisions-test-${crypto.randomUUID().slice(0, 8)}` });
  const app = await buildServer(services, { routes: routes(routeModules(node)) });
  await app.ready();
  return {
    app,
    services,
    node,
    async close() {
      await app.close();
      await node.stop();
      await bus.close();
      await database.close();
    },
  };
}

/** Creates an organisation and a user in it; returns ids. */
export async function seedUser(
  s: Services,
  opts: { org: string; kind: OrganisationKind; username: string; roles: Role[] },
): Promise<{ organisationId: string; userId: string }> {
  const existing = await s.db
    .selectFrom('organisations')
    .select('id')
    .where('name', '=', opts.org)
    .executeTakeFirst();
  const organisationId =
    existing?.id ?? (await createOrganisation(s.db, s.bus, SYSTEM, { name: opts.org, kind: opts.kind }));
  const userId = await createUser(s.db, s.bus, SYSTEM, {
    organisationId,
    username: opts.username,
    displayName: opts.username,
    password: PASSWORD,
    roles: opts.roles,
  });
  return { organisationId, userId };
}

/** Signs in through the API; returns the Cookie header to send. */
export async function signInCookie(app: Api, username: string, password = PASSWORD): Promise<string> {
  const res = await app.inject({ method: 'POST', url: '/v1/auth/session', payload: { username, password } });
  if (res.statusCode !== 200) throw new Error(`sign-in failed: ${res.statusCode} ${res.body}`);
  const c = res.cookies.find((x) => x.name === 'interdict_session');
  if (!c) throw new Error('no session cookie');
  return `interdict_session=${c.value}`;
}
