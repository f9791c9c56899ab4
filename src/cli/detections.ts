import fs from 'node:fs';
import type { Command } from 'commander';
import { fileLines } from '../detection/parse.ts';
import { DETECTORS, type Detection, type DetectorName } from '../detection/records.ts';
import {
  checkDetection,
  decideDetection,
  detectionSummary,
  getDetection,
  listDetections,
  recordDetections,
} from '../detection/store.ts';
import { DETECTION_STATUSES, type DetectionStatus } from '../detection/tables.ts';
import { AppError } from '../core/errors.ts';
import { cliPrincipal, findOrganisation, UUID_RE, withCore, type Core } from './core.ts';
import { printJson, printRows, UsageError } from './output.ts';
import { Progress } from './progress.ts';

/**
 * `interdict detections …`: the stored detections, the analysts' review queue
 * (docs/detection.md, "Detections in the registry"). The CLI acts as the centre's user "cli"
 * (see core.ts), so decisions are audited like the console's.
 */
export function detectionCommands(program: Command, core: Core): void {
  const cmd = program.command('detections').description('stored detections: the review queue, decisions');

  cmd
    .command('store <file>')
    .description('store the NDJSON detections of `interdict detect`: once per episode, reruns change nothing')
    .option('--org <name or id>', 'the operator or bank whose data fired them (default: the platform)')
    .option('--json', 'print the counts as JSON')
    .action((file: string, o: { org?: string; json?: boolean }) =>
      withCore(core, async (c) => {
        if (!fs.existsSync(file)) throw new UsageError(`${file}: no such file`);
        const org = o.org ? await findOrganisation(c, o.org) : null;
        if (org && org.kind === 'anti_fraud_centre')
          throw new UsageError('--org names the operator or bank whose data it is, not the centre');
        // Read and check the whole file first: a bad line stops everything before any write.
        const ds: Detection[] = [];
        for await (const { no, line } of fileLines(file)) {
          if (!line.trim()) continue;
          let d: Detection;
          try {
            d = JSON.parse(line) as Detection;
          } catch {
            throw new UsageError(`${file}:${no}: not JSON`);
          }
          try {
            checkDetection(d);
          } catch (err) {
            throw new UsageError(
              `${file}:${no}: ${err instanceof AppError ? err.message.replace(/^detection 1: /, '') : String(err)}`,
            );
          }
          ds.push(d);
        }
        const bar = new Progress('store', Math.max(1, ds.length));
        const total = { stored: 0, duplicates: 0, suppressed: 0 };
        try {
          for (let i = 0; i < ds.length; i += 1000) {
            const r = await recordDetections(c, org?.id ?? null, ds.slice(i, i + 1000));
            total.stored += r.stored;
            total.duplicates += r.duplicates;
            total.suppressed += r.suppressed;
            bar.tick(Math.min(1000, ds.length - i));
          }
        } finally {
          bar.stop();
        }
        if (o.json) printJson(total);
        else
          process.stdout.write(
            `${ds.length} detections: ${total.stored} new in the review queue, ${total.duplicates} already stored, ` +
              `${total.suppressed} suppressed (repeating a rejection)\n`,
          );
      }),
    );

  cmd
    .command('list')
    .description('the review queue (open, by score) or decided detections (newest first)')
    .option('--status <status>', DETECTION_STATUSES.join(', '), 'open')
    .option('--detector <name>', DETECTORS.join(', '))
    .option('--subject <value>', 'a number, IMEI, account or holder id number')
    .option('--min-score <x>', 'at least this score (0..1)', (v) => Number(v))
    .option('-n, --limit <n>', 'how many', (v) => Number(v), 50)
    .option('--summary', 'counts per detector and status instead')
    .option('--json', 'print as JSON')
    .action(
      (o: {
        status: string;
        detector?: string;
        subject?: string;
        minScore?: number;
        limit: number;
        summary?: boolean;
        json?: boolean;
      }) =>
        withCore(core, async (c) => {
          const p = await cliPrincipal(c);
          if (o.summary) {
            const rows = await detectionSummary(c.db, p);
            return o.json ? printJson(rows) : printRows(rows, false);
          }
          if (!(DETECTION_STATUSES as readonly string[]).includes(o.status))
            throw new UsageError(`--status is one of ${DETECTION_STATUSES.join(', ')}`);
          if (o.detector && !(DETECTORS as readonly string[]).includes(o.detector))
            throw new UsageError(`--detector is one of ${DETECTORS.join(', ')}`);
          if (o.minScore !== undefined && !(o.minScore >= 0 && o.minScore <= 1))
            throw new UsageError('--min-score is a number from 0 to 1');
          if (!(Number.isInteger(o.limit) && o.limit >= 1 && o.limit <= 500))
            throw new UsageError('--limit is 1 to 500');
          const { items } = await listDetections(c, p, {
            status: o.status as DetectionStatus,
            detector: o.detector as DetectorName | undefined,
            subject: o.subject,
            minScore: o.minScore,
            limit: o.limit,
          });
          if (o.json) return printJson(items);
          printRows(
            items.map((d) => ({
              id: d.id,
              score: d.score.toFixed(2),
              detector: d.detector,
              subject: `${d.subjectKind} ${d.subject}`,
              from: d.window.from.slice(0, 16),
              measures: d.measures.map((m) => m.measure).join(','),
              status: d.status,
            })),
            false,
          );
        }),
    );

  cmd
    .command('show <id>')
    .description('one detection: evidence, measures, the other episodes of its subject')
    .option('--json', 'print as JSON')
    .action((id: string, o: { json?: boolean }) =>
      withCore(core, async (c) => {
        if (!UUID_RE.test(id)) throw new UsageError('give the detection id (a UUID)');
        const d = await getDetection(c, await cliPrincipal(c), id);
        if (o.json) return printJson(d);
        const w = (s: string) => process.stdout.write(s + '\n');
        w(`${d.detector}  ${d.subjectKind} ${d.subject}  score ${d.score}  ${d.status}`);
        w(`episode ${d.window.from} → ${d.window.to}`);
        w(`evidence ${JSON.stringify(d.evidence)}`);
        for (const m of d.measures) w(`measure  ${m.measure} (${m.target}): ${m.reason}`);
        if (d.listable) w(d.listingId ? `listed as ${d.listingId}` : 'confirming lists it in the registry');
        if (d.decidedBy) w(`decided by ${d.decidedBy} at ${d.decidedAt}: ${d.decisionReason}`);
        if (d.suppressedBy) w(`suppressed: repeats rejected detection ${d.suppressedBy}`);
        for (const h of d.history ?? [])
          w(`other episode ${h.id}  ${h.from.slice(0, 16)}  ${h.score}  ${h.status}`);
      }),
    );

  for (const decision of ['confirm', 'reject'] as const) {
    cmd
      .command(`${decision} <id>`)
      .description(
        decision === 'confirm'
          ? 'confirm: lists a number or account in the registry and hands the measures to governance'
          : 'reject as a false alarm: remembered, the same facts will not queue it again',
      )
      .requiredOption('--reason <text>', 'why (kept in the audit trail)')
      .option('--category <category>', 'confirm: list under this category')
      .option('--json', 'print as JSON')
      .action((id: string, o: { reason: string; category?: string; json?: boolean }) =>
        withCore(core, async (c) => {
          if (!UUID_RE.test(id)) throw new UsageError('give the detection id (a UUID)');
          const d = await decideDetection(c, await cliPrincipal(c), id, {
            decision,
            reason: o.reason,
            category: o.category,
          });
          if (o.json) return printJson(d);
          process.stdout.write(
            `${d.detector} ${d.subjectKind} ${d.subject}: ${d.status}` +
              (d.listingId ? `, listed as ${d.listingId}` : '') +
              '\n',
          );
        }),
      );
  }
}
