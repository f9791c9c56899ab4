import type { Command } from 'commander';
import type { Services } from '../api/types.ts';
import { runImport, type ImportResult, type ImportSpec } from '../core/importer/run.ts';
import { accountImport, cardImport } from '../privacy/imports.ts';
import { printJson, UsageError } from './output.ts';
import { Progress } from './progress.ts';
import { type Core, countLines, withCore } from './core.ts';

export interface ImportFlags {
  format?: string;
  batchSize: number;
  rejects?: string;
  json?: boolean;
}

/** Runs an import with a progress bar (rate and ETA on a terminal, plain lines elsewhere). */
export async function importWithProgress<T>(
  c: Services,
  file: string,
  flags: ImportFlags,
  spec: ImportSpec<T>,
): Promise<ImportResult> {
  if (!Number.isInteger(flags.batchSize) || flags.batchSize < 1)
    throw new UsageError('--batch-size is a whole number ≥ 1');
  const total = await countLines(file).catch(() => 0);
  const bar = new Progress(`import ${file}`, Math.max(1, total));
  let seen = 0;
  try {
    return await runImport(c.db, spec, {
      file,
      ...(flags.format ? { format: flags.format } : {}),
      batchSize: flags.batchSize,
      ...(flags.rejects ? { rejectFile: flags.rejects } : {}),
      onProgress: (p) => {
        bar.tick(p.line - seen);
        seen = p.line;
      },
    });
  } finally {
    bar.stop();
  }
}

/** The one line an import prints; `extra` adds what a kind of import has to say (e.g. reviews). */
export function importSummary(result: ImportResult, extra = ''): string {
  if (result.status === 'already_imported') {
    return `${result.file} was imported before (run ${result.runId}): ${result.accepted} accepted, ${result.rejected} rejected; nothing to do\n`;
  }
  return (
    `${result.accepted} accepted, ${result.rejected} rejected` +
    (result.resumedAfterLine ? ` (resumed after line ${result.resumedAfterLine})` : '') +
    extra +
    (result.rejectFile ? `; rejected rows with line and reason: ${result.rejectFile}` : '') +
    '\n'
  );
}

async function importFile(
  core: Core,
  file: string,
  flags: ImportFlags,
  spec: (s: Services) => ImportSpec<unknown>,
) {
  await withCore(core, async (c) => {
    const result = await importWithProgress(c, file, flags, spec(c));
    if (flags.json) printJson(result);
    else process.stdout.write(importSummary(result));
  });
}

export function importCommands(program: Command, core: Core): void {
  const imp = program
    .command('import')
    .description(
      'bulk import from CSV (with header) or NDJSON files: idempotent, resumable, bad rows to a reject file',
    );
  const common = (cmd: Command) =>
    cmd
      .option('--format <format>', 'csv or ndjson (default: from the file name)')
      .option('--batch-size <n>', 'rows per transaction', (v) => Number(v), 500)
      .option('--rejects <file>', 'where rejected rows go (default: <file>.rejects.ndjson)')
      .option('--json', 'print the result as JSON');
  common(
    imp
      .command('cards <file>')
      .description(
        "an operator's phone cards: msisdn,imsi,holder_id,holder_region,card_type,activated_at,operator[,cancelled_at][,outlet]",
      )
      .option('--operator <name-or-id>', 'operator for rows whose operator column is empty'),
  ).action((file: string, o: ImportFlags & { operator?: string }) =>
    importFile(core, file, o, (s) => cardImport(s.pii, s.bus, o.operator) as ImportSpec<unknown>),
  );
  common(
    imp
      .command('accounts <file>')
      .description(
        "a bank's or payment institution's accounts: account,institution,holder_id,account_type,opened_at[,closed_at]",
      )
      .option('--institution <name-or-id>', 'institution for rows whose institution column is empty'),
  ).action((file: string, o: ImportFlags & { institution?: string }) =>
    importFile(core, file, o, (s) => accountImport(s.pii, s.bus, o.institution) as ImportSpec<unknown>),
  );
}
