import { Command, InvalidArgumentError, Option } from 'commander';
import { openCore, packageVersion, startPlatform } from '../platform.ts';
import { migrateToLatest } from '../core/db/migrate.ts';
import { allMigrations } from '../migrations.ts';
import { seedDemo, isEmpty, printDemoSummary } from '../demo/seed.ts';
import { printJson, printRows, reportFailure, UsageError } from './output.ts';
import { identityCommands } from './identity.ts';
import { privacyCommands } from './privacy.ts';
import { importCommands } from './import.ts';
import { registryCommands } from './registry.ts';
import { checkCommand } from './check.ts';
import { reportCommands } from './reports.ts';
import { detectCommands } from './detect.ts';
import { streamCommands } from './stream.ts';
import { detectionCommands } from './detections.ts';
import { instructionCommands } from './instructions.ts';
import { listCommands } from './lists.ts';
import { modelCommands } from './model.ts';
import { policyCommands } from './policies.ts';
import { simulateCommand } from './simulate.ts';
import { ledgerCommands, traceCommand } from './trace.ts';
import { smsCommands } from './sms.ts';
import { fundCommands } from './funds.ts';

const program = new Command();
program
  .name('interdict')
  .description('Interdict: open platform against telecom and network fraud')
  .version(packageVersion())
  .option('--data-dir <dir>', 'folder of the embedded database (default: $INTERDICT_DATA_DIR or ./data)')
  .showHelpAfterError('(run with --help for usage)')
  .configureOutput({ outputError: (str, write) => write(str) });

const globals = () => program.opts<{ dataDir?: string }>();
/** Opens the database and bus quietly for a one-shot command. */
export const core = () => openCore({ dataDir: globals().dataDir, logLevel: process.env.LOG_LEVEL ?? 'warn' });

program
  .command('start')
  .description('start the API and the web console (migrates first; seeds the demo on an empty database)')
  .option('-p, --port <port>', 'port to listen on (default: $PORT or 8080)', (v) => parsePort(v))
  .option('--host <host>', 'address to listen on (default: $HOST or 127.0.0.1)')
  .option('--no-demo', 'do not seed the demo into an empty database')
  .action(async (opts: { port?: number; host?: string; demo: boolean }) => {
    const platform = await startPlatform({
      dataDir: globals().dataDir,
      ...(opts.port !== undefined ? { port: opts.port } : {}),
      ...(opts.host ? { host: opts.host } : {}),
      ...(opts.demo ? {} : { demo: false }),
    });
    if (platform.demo) printDemoSummary(platform.demo, process.stderr);
    process.stderr.write(
      `\nInterdict is running: console ${platform.url}/  API reference ${platform.url}/docs  (Ctrl+C stops)\n\n`,
    );
    const stop = (signal: string) => {
      platform.services.log.info({ signal }, 'shutting down');
      platform.close().then(
        () => process.exit(0),
        (err) => {
          reportFailure(err);
          process.exit(1);
        },
      );
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });

program
  .command('migrate')
  .description('apply pending database migrations and exit')
  .option('--json', 'print the result as JSON')
  .action(async (opts: { json?: boolean }) => {
    // openCore already migrates; run once more to report what is current.
    const c = await core();
    try {
      const applied = await migrateToLatest(c.db, allMigrations);
      const all = Object.keys(allMigrations).sort();
      if (opts.json)
        printJson({ database: c.database.kind, location: c.database.location, applied, current: all.at(-1) });
      else process.stdout.write(`database ${c.database.kind} (${c.database.location}) is at ${all.at(-1)}\n`);
    } finally {
      await c.close();
    }
  });

program
  .command('demo')
  .description('seed the demo organisations, users, persons, cards and accounts into an empty database')
  .option('--json', 'print the credentials as JSON')
  .action(async (opts: { json?: boolean }) => {
    const c = await core();
    try {
      if (!(await isEmpty(c.db)))
        throw new UsageError('the database already holds organisations; the demo seeds only an empty one');
      const summary = await seedDemo(c, { progress: true });
      if (opts.json) printJson(summary);
      else printDemoSummary(summary, process.stdout);
    } finally {
      await c.close();
    }
  });

identityCommands(program, core);
privacyCommands(program, core);
importCommands(program, core);
registryCommands(program, core);
checkCommand(program, core);
reportCommands(program, core);
detectCommands(program, core);
streamCommands(program, core);
detectionCommands(program, core);
instructionCommands(program, core);
listCommands(program, core);
modelCommands(program, core);
policyCommands(program, core);
simulateCommand(program, core);
traceCommand(program, core);
ledgerCommands(program, core);
smsCommands(program, core);
fundCommands(program, core);

program
  .command('audit')
  .description('show the latest audit-trail entries')
  .addOption(new Option('-n, --limit <n>', 'how many').default(50).argParser((v) => parsePositive(v)))
  .option('--json', 'print as JSON')
  .action(async (opts: { limit: number; json?: boolean }) => {
    const c = await core();
    try {
      const rows = await c.db
        .selectFrom('audit_log')
        .select(['at', 'actor_name', 'action', 'target_kind', 'target_id'])
        .orderBy('id', 'desc')
        .limit(opts.limit)
        .execute();
      printRows(
        rows.map((r) => ({
          at: new Date(r.at).toISOString(),
          actor: r.actor_name,
          action: r.action,
          target: `${r.target_kind}:${r.target_id ?? ''}`,
        })),
        opts.json,
      );
    } finally {
      await c.close();
    }
  });

export function parsePort(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('not a port number');
  return n;
}

export function parsePositive(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('not a positive whole number');
  return n;
}

program.parseAsync(process.argv).catch((err) => {
  process.exitCode = reportFailure(err);
});
