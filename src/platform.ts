import { PrincipalCache } from './identity/cache.ts';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, loadConfig, type Config } from './core/config.ts';
import { configuredParams, ParamsError } from './detection/params.ts';
import { openDatabase, type Database } from './core/db/index.ts';
import { migrateToLatest } from './core/db/migrate.ts';
import { createLogger, type Logger } from './core/log.ts';
import { createEventBus } from './core/bus/index.ts';
import { buildServer, defaultConsoleDir } from './api/server.ts';
import type { Api, RouteModule, Services } from './api/types.ts';
import { allMigrations } from './migrations.ts';
import { identityRoutes } from './identity/routes.ts';
import { privacyRoutes } from './privacy/routes.ts';
import { registryRoutes } from './registry/routes.ts';
import { feedRoutes } from './registry/feeds/routes.ts';
import { decisionRoutes } from './registry/decision-routes.ts';
import { policyRoutes } from './registry/policy-routes.ts';
import { reportRoutes } from './reports/routes.ts';
import { detectionRoutes } from './detection/routes.ts';
import { governanceRoutes } from './governance/routes.ts';
import { webhookRoutes } from './governance/webhook-routes.ts';
import { appealRoutes } from './governance/appeal-routes.ts';
import { registeredRoutes } from './governance/registered-routes.ts';
import { personListRoutes } from './governance/person-lists-routes.ts';
import { channelRoutes } from './channels/routes.ts';
import { warningRoutes } from './warnings/routes.ts';
import { fundRoutes } from './funds/routes.ts';
import { smsGatewayFromConfig, type SmsGateway } from './channels/sms-gateway.ts';
import { DecisionNode } from './registry/decisions.ts';
import { loadPiiCipher } from './privacy/crypto.ts';
import { seedDemo, isEmpty, type DemoSummary } from './demo/seed.ts';

/** The capabilities' HTTP surfaces, in registration order. */
export function routeModules(node: DecisionNode): RouteModule[] {
  return [
    identityRoutes,
    privacyRoutes,
    registryRoutes,
    feedRoutes,
    decisionRoutes(node),
    policyRoutes(node),
    reportRoutes(node),
    detectionRoutes,
    governanceRoutes,
    webhookRoutes,
    appealRoutes,
    registeredRoutes,
    personListRoutes,
    channelRoutes,
    fundRoutes,
    warningRoutes,
  ];
}

export function packageVersion(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  for (const p of [path.resolve(here, '../package.json'), path.resolve(here, '../../package.json')]) {
    if (fs.existsSync(p)) return (JSON.parse(fs.readFileSync(p, 'utf8')) as { version: string }).version;
  }
  return '0.0.0';
}

export interface CoreOptions {
  /** Overrides of environment settings (same names as the environment). */
  env?: Record<string, string | undefined>;
  dataDir?: string;
  logLevel?: string;
  log?: Logger;
}

/** Database (migrated), bus and keys: what the CLI's non-server commands need. */
export async function openCore(opts: CoreOptions = {}): Promise<Services & { close(): Promise<void> }> {
  const config: Config = loadConfig({
    ...process.env,
    ...opts.env,
    ...(opts.dataDir ? { INTERDICT_DATA_DIR: opts.dataDir } : {}),
    ...(opts.logLevel ? { LOG_LEVEL: opts.logLevel } : {}),
  });
  if (opts.dataDir?.startsWith('memory://')) config.dataDir = opts.dataDir;
  // A parameters file that cannot be used stops the platform here, not at the first detection.
  try {
    configuredParams(config);
  } catch (err) {
    if (err instanceof ParamsError) throw new ConfigError(`INTERDICT_DETECTOR_PARAMS: ${err.message}`);
    throw err;
  }
  const log = opts.log ?? createLogger(config.logLevel);
  const database: Database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  try {
    const applied = await migrateToLatest(database.db, allMigrations);
    if (applied.length) log.info({ applied }, 'migrations applied');
    const pii = loadPiiCipher(config);
    if (config.databaseUrl && pii.source === 'file') {
      log.warn(
        { keysFile: path.join(config.dataDir, 'keys.json') },
        "personal-data keys come from this node's data folder: with PostgreSQL set INTERDICT_PII_KEYS and INTERDICT_LOOKUP_KEY so every node shares them",
      );
    }
    const bus = await createEventBus({
      db: database.db,
      natsUrl: config.natsUrl,
      stream: config.natsStream,
      log,
    });
    return {
      config,
      database,
      db: database.db,
      bus,
      log,
      pii,
      principals: new PrincipalCache(),
      async close() {
        await bus.close();
        await database.close();
      },
    };
  } catch (err) {
    await database.close();
    throw err;
  }
}

export interface StartOptions extends CoreOptions {
  port?: number;
  host?: string;
  /** Seed the demo when the database is empty (default: the INTERDICT_DEMO setting). */
  demo?: boolean;
}

export interface Platform {
  url: string;
  services: Services;
  server: Api;
  demo: DemoSummary | null;
  close(): Promise<void>;
}

/** Opens everything, seeds the demo on an empty database, and listens. */
export async function startPlatform(opts: StartOptions = {}): Promise<Platform> {
  const core = await openCore(opts);
  const { config, log } = core;
  let demo: DemoSummary | null = null;
  let server: Api | undefined;
  let decisionNode: DecisionNode | undefined;
  let sms: SmsGateway | null = null;
  try {
    if ((opts.demo ?? config.seedDemo) && (await isEmpty(core.db))) demo = await seedDemo(core);
    const node = new DecisionNode(core);
    decisionNode = node;
    server = await buildServer(core, {
      routes: routeModules(node),
      consoleDir: defaultConsoleDir(),
      version: packageVersion(),
    });
    const url = await server.listen({ port: opts.port ?? config.port, host: opts.host ?? config.host });
    // Decisions answer 503 until the node has loaded the registry; its event consumer is named
    // after this host and port, so a restart resumes it and two processes never share one.
    await node.start(`decisions-${os.hostname()}-${new URL(url).port}`);
    await core.bus.start();
    // Sends the SMS outbox to the SMSC (none without INTERDICT_SMPP_URL: texts stay pending).
    sms = smsGatewayFromConfig(core);
    sms?.start();
    log.info({ url, database: core.database.kind, bus: core.bus.kind }, 'interdict is listening');
    let closing: Promise<void> | undefined;
    const srv = server;
    return {
      url: url.replace('[::1]', 'localhost'),
      services: core,
      server: srv,
      demo,
      close() {
        // Stop taking requests, let those in flight commit, then stop the bus and the database.
        closing ??= (async () => {
          await srv.close();
          await sms?.stop();
          await decisionNode?.stop();
          await core.close();
        })();
        return closing;
      },
    };
  } catch (err) {
    await server?.close().catch(() => undefined);
    await sms?.stop().catch(() => undefined);
    await decisionNode?.stop().catch(() => undefined);
    await core.close();
    throw err;
  }
}
