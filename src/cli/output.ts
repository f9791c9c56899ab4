import { ConfigError } from '../core/config.ts';
import { DatabaseUnavailableError } from '../core/db/index.ts';
import { MigrationError } from '../core/db/migrate.ts';
import { AppError } from '../core/errors.ts';
import { PiiKeyError } from '../privacy/crypto.ts';

/** Prints rows as an aligned table, or as JSON when the caller asked for `--json`. */
export function printRows(rows: Record<string, unknown>[], json: boolean | undefined): void {
  if (json) {
    process.stdout.write(JSON.stringify(rows, null, 2) + '\n');
    return;
  }
  if (rows.length === 0) {
    process.stdout.write('(none)\n');
    return;
  }
  const cols = Object.keys(rows[0]!);
  const cell = (v: unknown) =>
    v === null || v === undefined ? '' : Array.isArray(v) ? v.join(',') : String(v);
  const widths = cols.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (vals: string[]) =>
    vals
      .map((v, i) => v.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  process.stdout.write(line(cols) + '\n');
  for (const r of rows) process.stdout.write(line(cols.map((c) => cell(r[c]))) + '\n');
}

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

/** One readable line and a non-zero exit for every expected failure; a stack only with DEBUG set. */
export function reportFailure(err: unknown): number {
  const known =
    err instanceof AppError ||
    err instanceof ConfigError ||
    err instanceof DatabaseUnavailableError ||
    err instanceof MigrationError ||
    err instanceof PiiKeyError ||
    (err as { name?: string })?.name === 'FileFormatError' ||
    (err as { name?: string })?.name === 'UsageError';
  const message = err instanceof Error ? err.message : String(err);
  const code = err instanceof AppError ? ` [${err.code}]` : '';
  process.stderr.write(`interdict: ${message}${code}\n`);
  if (!known && process.env.DEBUG) process.stderr.write(`${(err as Error)?.stack ?? ''}\n`);
  if (!known && !process.env.DEBUG) process.stderr.write('(set DEBUG=1 for the stack trace)\n');
  return err instanceof ConfigError || (err as { name?: string })?.name === 'UsageError' ? 2 : 1;
}

export class UsageError extends Error {
  override name = 'UsageError';
}
