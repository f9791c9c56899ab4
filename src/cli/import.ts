import type { Command } from 'commander';
import type { Services } from '../api/types.ts';
import { runImport, type ImportSpec } from '../core/importer/run.ts';
import { accountImport, cardImport } from '../privacy/imports.ts';
import { printJson } from './output.ts';
import { Progress } from './progress.ts';
import { type Core, countLines } from './core.ts';

interface ImportFlags {
  format?: string;
  batchSize: number;
  rejects?: string;
  json?: boolean;
}

async function importFile(
  core: Core,
  file: string,
  flags: ImportFlags,
  spec: (s: Services) => ImportSpec<unknown>,
) {
  const c = await core();
  try {
    const total = await countLines(file).catch(() => 0);
    const bar = new Progress(`import ${file}`, Math.max(1, total));
    let seen = 0;
    const result = await runImport(c.db, spec(c), {
      file,
      ...(flags.format ? { format: flags.format } : {}),
      batchSize: flags.batchSize,
      ...(flags.rejects ? { rejectFile: flags.rejects } : {}),
      onProgress: (p) => {
        bar.tick(p.line - seen);
        seen = p.line;
      },
    });
    bar.stop();
    if (flags.json) printJson(result);
    else if (result.status === 'already_imported') {
      process.stdout.write(
        `${file} was imported before (run ${result.runId}): ${result.accepted} accepted, ${result.rejected} rejected; nothing to do\n`,
      );
    } else {
      process.stdout.write(
        `${result.accepted} accepted, ${result.rejected} rejected` +
          (result.resumedAfterLine ? ` (resumed after line ${result.resumedAfterLine})` : '') +
          (result.rejectFile ? `; rejected rows with line and reason: ${result.rejectFile}` : '') +
          '\n',
      );
    }
  } finally {
    await c.close();
  }
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
        "an operator's phone cards: msisdn,imsi,holder_id,holder_region,card_type,activated_at,operator",
      )
      .option('--operator <name-or-id>', 'operator for rows whose operator column is empty'),
  ).action((file: string, o: ImportFlags & { operator?: string }) =>
    importFile(core, file, o, (s) => cardImport(s.pii, s.bus, o.operator) as ImportSpec<unknown>),
  );
  common(
    imp
      .command('accounts <file>')
      .description(
        "a bank's or payment institution's accounts: account,institution,holder_id,account_type,opened_at",
      )
      .option('--institution <name-or-id>', 'institution for rows whose institution column is empty'),
  ).action((file: string, o: ImportFlags & { institution?: string }) =>
    importFile(core, file, o, (s) => accountImport(s.pii, s.bus, o.institution) as ImportSpec<unknown>),
  );
}
