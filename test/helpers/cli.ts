import { spawnSync } from 'node:child_process';
import path from 'node:path';

const CLI = path.resolve('src/cli/main.ts');

/**
 * Runs the CLI from source, as a user would, on the embedded database in `dir` (`--data-dir`;
 * none when null), never on the outer DATABASE_URL or NATS_URL.
 */
export function runCli(
  dir: string | null,
  args: string[],
  opts: { env?: Record<string, string>; input?: string } = {},
): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', CLI, ...(dir === null ? [] : ['--data-dir', dir]), ...args],
    {
      encoding: 'utf8',
      env: { ...process.env, DATABASE_URL: '', NATS_URL: '', LOG_LEVEL: 'warn', ...opts.env },
      input: opts.input ?? '',
      timeout: 120_000,
    },
  );
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
