import type { Command } from 'commander';
import type { Principal } from '../identity/model.ts';
import { clueImport } from '../reports/imports.ts';
import { countReports, getReport, listReports } from '../reports/service.ts';
import { REPORT_STATUSES, type ReportStatus } from '../reports/tables.ts';
import { importSummary, importWithProgress, type ImportFlags } from './import.ts';
import { printJson, printRows, UsageError } from './output.ts';
import { findOrganisation, withCore, UUID_RE, type Core } from './core.ts';

/** `interdict report import` (an institution's clues in bulk) and `interdict reports` (the queue). */
export function reportCommands(program: Command, core: Core): void {
  const report = program.command('report').description("clue reports: an institution's clues in bulk");
  report
    .command('import <file>')
    .description(
      'clues from CSV or NDJSON: ref,kind (required); phone,url,app_name,app_package,account,institution,platform,account_id,content,category,occurred_at,loss_amount,loss_currency,paid_at,payment_method,age_group',
    )
    .requiredOption('--org <name-or-id>', 'the institution the clues come from')
    .option('--format <format>', 'csv or ndjson (default: from the file name)')
    .option('--batch-size <n>', 'rows per transaction', (v) => Number(v), 200)
    .option('--rejects <file>', 'where rejected rows go (default: <file>.rejects.ndjson)')
    .option('--json', 'print the result as JSON')
    .action((file: string, o: ImportFlags & { org: string }) =>
      withCore(core, async (c) => {
        const org = await findOrganisation(c, o.org);
        if (org.kind === 'anti_fraud_centre')
          throw new UsageError('clues come from institutions; the centre files reports in the console');
        // The import acts for the institution, as its API key would.
        const principal: Principal = {
          kind: 'api_key',
          id: 'cli-import',
          name: `cli import (${org.name})`,
          organisationId: org.id,
          organisationKind: org.kind,
          roles: ['institution_operator'],
          scopes: ['reports:write'],
        };
        const result = await importWithProgress(c, file, o, clueImport(c, principal));
        if (o.json) printJson(result);
        else process.stdout.write(importSummary(result));
      }),
    );

  const reports = program.command('reports').description('the triage queue of clue reports');
  reports
    .command('list')
    .description('reports in queue order (money lost now, vulnerable victims, many reporters first)')
    .option('--status <status>', REPORT_STATUSES.join(', '), 'open')
    .option('-n, --limit <n>', 'how many', (v) => Number(v), 50)
    .option('--json', 'print as JSON')
    .action((o: { status: string; limit: number; json?: boolean }) =>
      withCore(core, async (c) => {
        if (!(REPORT_STATUSES as readonly string[]).includes(o.status))
          throw new UsageError(`--status is one of ${REPORT_STATUSES.join(', ')}`);
        const items = await listReports(c.db, { status: o.status as ReportStatus, limit: o.limit });
        if (o.json) printJson({ counts: await countReports(c.db), items });
        else
          printRows(
            items.map((i) => ({
              id: i.id,
              receipt: i.receiptCode,
              priority: i.priority,
              kind: i.kind,
              category: i.category,
              reporters: i.reporters,
              money: i.amount ?? '',
              held: i.held ? 'held' : '',
              summary: i.summary.slice(0, 60),
            })),
            false,
          );
      }),
    );
  reports
    .command('show <id>')
    .description('one report with its indicators, candidates and the classifier’s reading')
    .option('--json', 'print as JSON')
    .action((id: string, o: { json?: boolean }) =>
      withCore(core, async (c) => {
        if (!UUID_RE.test(id)) throw new UsageError('give the report id (a UUID)');
        const r = await getReport(c, id);
        if (o.json) return printJson(r);
        process.stdout.write(
          `${r.receiptCode}  ${r.kind}  ${r.status}  ${r.category}  urgency ${r.urgency}\n` +
            (r.content ? `${r.content}\n` : '') +
            (r.classification
              ? `classifier: ${r.classification.label} ${r.classification.probability} (${r.classification.features.map((f) => f.feature).join(', ')})\n`
              : ''),
        );
        printRows(
          r.indicators.map((i) => ({
            kind: i.kind,
            value: i.value,
            role: i.role,
            candidate: i.candidate ? `${i.candidate.status} (${i.candidate.reporters} reporters)` : '',
            listing: i.listing ? `${i.listing.status} ${i.listing.confidence}` : '',
          })),
          false,
        );
      }),
    );
}
