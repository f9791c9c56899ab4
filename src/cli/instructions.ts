import crypto from 'node:crypto';
import fs from 'node:fs';
import type { Command } from 'commander';
import type { Services } from '../api/types.ts';
import { AppError } from '../core/errors.ts';
import { fileLines, formatOf, splitCsv } from '../detection/parse.ts';
import { INSTRUCTION_APPROVAL_THRESHOLD, LEGAL_BASES } from '../governance/catalogue.ts';
import {
  approveInstruction,
  checkInstitution,
  checkLegalBasis,
  checkMeasure,
  createInstruction,
  deadlineOf,
  expiryOf,
  getInstruction,
  instructFromDetections,
  listInstructions,
  prepareTarget,
  withdrawInstruction,
  type InstructionInput,
  type InstructionView,
} from '../governance/store.ts';
import {
  INSTRUCTION_MEASURES,
  INSTRUCTION_STATUSES,
  TARGET_KINDS,
  type CardFunction,
  type InstructionMeasure,
  type InstructionStatus,
  type TargetKind,
} from '../governance/tables.ts';
import { cliPrincipal, findOrganisation, UUID_RE, withCore, type Core } from './core.ts';
import { printJson, printRows, UsageError } from './output.ts';
import { Progress } from './progress.ts';

/** The columns of a bulk file (CSV header or NDJSON keys); `functions` and `deadline_minutes` may be empty. */
const BULK_COLUMNS = [
  'target_kind',
  'target',
  'measure',
  'functions',
  'reason',
  'legal_basis',
  'to',
  'deadline_minutes',
  'ref',
] as const;
type BulkColumn = (typeof BULK_COLUMNS)[number];
const REQUIRED_COLUMNS: readonly BulkColumn[] = [
  'target_kind',
  'target',
  'measure',
  'reason',
  'legal_basis',
  'to',
];

const oneOf = (name: string, v: string, allowed: readonly string[]) => {
  if (!allowed.includes(v)) throw new UsageError(`${name} is one of ${allowed.join(', ')}`);
  return v;
};

/** `a,b` or `a;b` (a CSV cell cannot hold an unquoted comma). */
const splitFunctions = (v: string | undefined) =>
  (v ?? '')
    .split(/[,;|\s]+/)
    .map((f) => f.trim())
    .filter(Boolean) as CardFunction[];

function parseMinutes(v: string | number | undefined): number | undefined {
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n)) throw new UsageError(`deadline minutes "${v}" is not a whole number`);
  return n;
}

/** A one-line summary for tables and bulk output. */
function row(v: InstructionView) {
  return {
    id: v.id,
    status: v.status + (v.overdue ? ' (overdue)' : ''),
    measure: v.measure + (v.functions.length ? `[${v.functions.join(',')}]` : ''),
    target: `${v.target.kind} ${v.target.value}`,
    to: v.receivingOrganisation,
    deadline: v.deadlineLocal ?? `${v.deadlineMinutes} min after approval`,
    basis: v.legalBasis,
  };
}

/**
 * Everything the store checks before writing (reason, legal basis, measure and target, deadline,
 * expiry, the receiving institution's kind), without writing: a bulk file is checked whole first.
 */
async function checkInput(c: Services, input: InstructionInput): Promise<void> {
  if (!input.reason.trim()) throw new UsageError('reason is required');
  checkLegalBasis(input.legalBasis);
  checkMeasure(input.target.kind, input.measure, input.functions ?? []);
  deadlineOf(input.measure, input.deadlineMinutes);
  expiryOf(input.measure, input.expiresAt, Date.now());
  prepareTarget(c.pii, crypto.randomUUID(), input.target.kind, input.target.value);
  await checkInstitution(c.db, input.receivingOrganisationId, input.target.kind);
}

/** Reads a bulk file's records with their line numbers; shape errors name the line. */
async function* bulkRecords(file: string): AsyncGenerator<{ no: number; rec: Record<string, unknown> }> {
  const format = formatOf(file);
  let header: string[] | null = null;
  for await (const { no, line } of fileLines(file)) {
    if (!line.trim()) continue;
    if (format === 'ndjson') {
      let o: unknown;
      try {
        o = JSON.parse(line);
      } catch {
        throw new UsageError(`${file}:${no}: not JSON`);
      }
      if (typeof o !== 'object' || o === null || Array.isArray(o))
        throw new UsageError(`${file}:${no}: expected an object`);
      const unknown = Object.keys(o).filter((k) => !(BULK_COLUMNS as readonly string[]).includes(k));
      if (unknown.length)
        throw new UsageError(
          `${file}:${no}: unknown ${unknown.join(', ')} (keys: ${BULK_COLUMNS.join(', ')})`,
        );
      yield { no, rec: o as Record<string, unknown> };
      continue;
    }
    const cells = splitCsv(line).map((x) => x.trim());
    if (!header) {
      const unknown = cells.filter((h) => !(BULK_COLUMNS as readonly string[]).includes(h));
      const missing = REQUIRED_COLUMNS.filter((h) => !cells.includes(h));
      if (unknown.length || missing.length)
        throw new UsageError(
          `${file}:${no}: the header needs the columns ${BULK_COLUMNS.join(',')}` +
            (missing.length ? `; missing ${missing.join(', ')}` : '') +
            (unknown.length ? `; unknown ${unknown.join(', ')}` : ''),
        );
      header = cells;
      continue;
    }
    if (cells.length !== header.length)
      throw new UsageError(`${file}:${no}: ${cells.length} cells, the header has ${header.length}`);
    yield { no, rec: Object.fromEntries(header.map((h, i) => [h, cells[i]])) };
  }
}

export function instructionCommands(program: Command, core: Core): void {
  const cmd = program
    .command('instructions')
    .description('disposal instructions to operators, banks and internet services (docs/governance.md)');

  /** Organisations named in one command, looked up once each. */
  const institutions = (c: Services) => {
    const cache = new Map<string, string>();
    return async (nameOrId: string) => {
      let id = cache.get(nameOrId);
      if (!id) {
        id = (await findOrganisation(c, nameOrId)).id;
        cache.set(nameOrId, id);
      }
      return id;
    };
  };

  cmd
    .command('list')
    .description('every instruction, newest first')
    .option('--status <status>', INSTRUCTION_STATUSES.join(', '))
    .option('--measure <measure>', INSTRUCTION_MEASURES.join(', '))
    .option('--overdue', 'only those whose deadline passed before execution')
    .option('--org <institution>', 'only those to this receiving institution (name or id)')
    .option('-n, --limit <n>', 'how many (1 to 500)', (v) => Number(v), 50)
    .option('--json', 'print as JSON')
    .action(
      (o: {
        status?: string;
        measure?: string;
        overdue?: boolean;
        org?: string;
        limit: number;
        json?: boolean;
      }) =>
        withCore(core, async (c) => {
          if (o.status) oneOf('--status', o.status, INSTRUCTION_STATUSES);
          if (o.measure) oneOf('--measure', o.measure, INSTRUCTION_MEASURES);
          if (!(Number.isInteger(o.limit) && o.limit >= 1 && o.limit <= 500))
            throw new UsageError('--limit is 1 to 500');
          const { items } = await listInstructions(c, await cliPrincipal(c), {
            status: o.status as InstructionStatus | undefined,
            measure: o.measure as InstructionMeasure | undefined,
            overdue: o.overdue ? true : undefined,
            institution: o.org ? (await findOrganisation(c, o.org)).id : undefined,
            limit: o.limit,
          });
          if (o.json) return printJson(items);
          printRows(items.map(row), false);
        }),
    );

  cmd
    .command('show <id>')
    .description('one instruction with its timeline')
    .option('--json', 'print as JSON')
    .action((id: string, o: { json?: boolean }) =>
      withCore(core, async (c) => {
        if (!UUID_RE.test(id)) throw new UsageError('give the instruction id (a UUID)');
        const v = await getInstruction(c, await cliPrincipal(c), id);
        if (o.json) return printJson(v);
        const w = (s: string) => process.stdout.write(s + '\n');
        w(
          `${v.measure}${v.functions.length ? ` [${v.functions.join(', ')}]` : ''}  ${v.target.kind} ${v.target.value}  ${v.status}${v.overdue ? ' OVERDUE' : ''}`,
        );
        w(
          `to ${v.receivingOrganisation}, issued by ${v.issuedBy}${v.approvedBy ? `, approved by ${v.approvedBy}` : ''}`,
        );
        w(`basis ${v.legalBasis}: ${v.reason}`);
        w(
          v.deadline
            ? `deadline ${v.deadlineLocal} (${v.timeZone})`
            : `deadline ${v.deadlineMinutes} minutes after approval`,
        );
        w(`expires ${v.expiresAtLocal}`);
        if (v.detectionId) w(`from detection ${v.detectionId}`);
        if (v.contestReason) w(`contested: ${v.contestReason}`);
        if (v.withdrawReason) w(`withdrawn: ${v.withdrawReason}`);
        for (const t of v.timeline ?? [])
          w(
            `  ${t.at}  ${t.action.padEnd(9)} → ${t.status.padEnd(17)} ${t.actor}${t.note ? `: ${t.note}` : ''}`,
          );
      }),
    );

  cmd
    .command('issue')
    .description('issue one instruction (the CLI acts as a centre supervisor: it goes out at once)')
    .requiredOption('--target-kind <kind>', TARGET_KINDS.join(', '))
    .requiredOption('--target <value>', 'the number, account, internet account, domain, link or id number')
    .requiredOption('--measure <measure>', INSTRUCTION_MEASURES.join(', '))
    .option('--functions <a,b>', 'restrict_functions: outgoing_calls, sms, data, international')
    .requiredOption('--reason <text>', 'why (the holder is told)')
    .requiredOption('--legal-basis <id>', 'see `interdict instructions legal-bases`')
    .requiredOption('--to <institution>', 'the receiving operator, bank or internet service (name or id)')
    .option('--deadline-minutes <n>', 'minutes to execute (default by measure)')
    .option('--json', 'print as JSON')
    .action(
      (o: {
        targetKind: string;
        target: string;
        measure: string;
        functions?: string;
        reason: string;
        legalBasis: string;
        to: string;
        deadlineMinutes?: string;
        json?: boolean;
      }) =>
        withCore(core, async (c) => {
          const { instruction: v } = await createInstruction(c, await cliPrincipal(c), {
            target: {
              kind: oneOf('--target-kind', o.targetKind, TARGET_KINDS) as TargetKind,
              value: o.target,
            },
            measure: oneOf('--measure', o.measure, INSTRUCTION_MEASURES) as InstructionMeasure,
            functions: splitFunctions(o.functions),
            reason: o.reason,
            legalBasis: o.legalBasis,
            receivingOrganisationId: (await findOrganisation(c, o.to)).id,
            deadlineMinutes: parseMinutes(o.deadlineMinutes),
          });
          if (o.json) return printJson(v);
          process.stdout.write(
            `${v.id} ${v.status}: ${v.measure} ${v.target.kind} ${v.target.value} to ${v.receivingOrganisation}\n`,
          );
        }),
    );

  cmd
    .command('issue-bulk <file>')
    .description(
      `issue the instructions of a CSV or NDJSON file (${BULK_COLUMNS.join(',')}); every line is checked before any is issued`,
    )
    .option('--json', 'print the result as JSON')
    .action((file: string, o: { json?: boolean }) =>
      withCore(core, async (c) => {
        if (!fs.existsSync(file)) throw new UsageError(`${file}: no such file`);
        const issuer = await cliPrincipal(c);
        const orgOf = institutions(c);
        // Check the whole file first: a bad line stops everything before any instruction goes out.
        const inputs: InstructionInput[] = [];
        // Each line's reference (its own `ref`, else the file's SHA-256 and the line number) makes a
        // rerun or a resumed run find what was issued instead of issuing it twice.
        const digest = crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex').slice(0, 16);
        for await (const { no, rec } of bulkRecords(file)) {
          try {
            const str = (k: BulkColumn) => {
              const v = rec[k];
              if (v === undefined || v === null) return '';
              if (Array.isArray(v)) return v.map(String).join(',');
              return String(v as string | number).trim();
            };
            for (const k of REQUIRED_COLUMNS) if (!str(k)) throw new UsageError(`${k} is empty`);
            const input: InstructionInput = {
              target: {
                kind: oneOf('target_kind', str('target_kind'), TARGET_KINDS) as TargetKind,
                value: str('target'),
              },
              measure: oneOf('measure', str('measure'), INSTRUCTION_MEASURES) as InstructionMeasure,
              functions: splitFunctions(str('functions')),
              reason: str('reason'),
              legalBasis: str('legal_basis'),
              receivingOrganisationId: await orgOf(str('to')),
              deadlineMinutes: parseMinutes(str('deadline_minutes')),
              ref: str('ref') || `${digest}:${no}`,
            };
            await checkInput(c, input);
            inputs.push(input);
          } catch (err) {
            if (err instanceof AppError || err instanceof UsageError)
              throw new UsageError(`${file}:${no}: ${err.message}`);
            throw err;
          }
        }
        if (inputs.length === 0) throw new UsageError(`${file}: no instructions in it`);
        const bar = new Progress('issue', inputs.length);
        const made: InstructionView[] = [];
        let existing = 0;
        try {
          for (const input of inputs) {
            const r = await createInstruction(c, issuer, input);
            if (r.created) made.push(r.instruction);
            else existing++;
            bar.tick();
          }
        } catch (err) {
          // Checked above, so only a change in between (an organisation removed) lands here.
          if (err instanceof Error)
            err.message = `after ${made.length + existing} of ${inputs.length} (a rerun resumes): ${err.message}`;
          throw err;
        } finally {
          bar.stop();
        }
        const awaiting = made.filter((v) => v.status === 'awaiting_approval').length;
        const result = {
          issued: made.length - awaiting,
          awaitingApproval: awaiting,
          alreadyIssued: existing,
          ids: made.map((v) => v.id),
        };
        if (o.json) return printJson(result);
        const w = (s: string) => process.stdout.write(s + '\n');
        w(
          `${inputs.length} instructions: ${result.issued} issued, ${awaiting} awaiting approval, ` +
            `${existing} issued before (same reference)`,
        );
        // The approval threshold binds analysts only; the CLI is a supervisor (docs/governance.md, Approval).
        if (made.length > INSTRUCTION_APPROVAL_THRESHOLD && awaiting === 0)
          w(
            `(more than ${INSTRUCTION_APPROVAL_THRESHOLD}, but the CLI acts as a centre supervisor, ` +
              'whose instructions go out without approval)',
          );
      }),
    );

  cmd
    .command('from-detections <detection-id...>')
    .description(
      "instructions from confirmed detections' recommended measures, to the institution whose data fired each",
    )
    .requiredOption('--legal-basis <id>', 'see `interdict instructions legal-bases`')
    .option('--reason <text>', "default: the detector's reason for each measure")
    .option('--json', 'print as JSON')
    .action((ids: string[], o: { legalBasis: string; reason?: string; json?: boolean }) =>
      withCore(core, async (c) => {
        const bad = ids.filter((id) => !UUID_RE.test(id));
        if (bad.length) throw new UsageError(`not detection ids (UUIDs): ${bad.join(', ')}`);
        const r = await instructFromDetections(c, await cliPrincipal(c), {
          detectionIds: ids,
          legalBasis: o.legalBasis,
          reason: o.reason,
        });
        if (o.json) return printJson(r);
        const w = (s: string) => process.stdout.write(s + '\n');
        w(
          `${r.created.length} created, ${r.existing.length} already instructed, ${r.skipped.length} skipped`,
        );
        for (const v of r.created)
          w(`created   ${v.id} ${v.status}: ${v.measure} ${v.target.kind} ${v.target.value}`);
        for (const v of r.existing)
          w(`existing  ${v.id} ${v.status}: ${v.measure} ${v.target.kind} ${v.target.value}`);
        for (const s of r.skipped) w(`skipped   detection ${s.detectionId} ${s.measure}: ${s.reason}`);
      }),
    );

  cmd
    .command('approve <id>')
    .description('approve an instruction awaiting approval (issued by someone else): it goes out now')
    .option('--note <text>', 'kept on the timeline')
    .option('--json', 'print as JSON')
    .action((id: string, o: { note?: string; json?: boolean }) =>
      withCore(core, async (c) => {
        if (!UUID_RE.test(id)) throw new UsageError('give the instruction id (a UUID)');
        const v = await approveInstruction(c, await cliPrincipal(c), id, { note: o.note });
        if (o.json) return printJson(v);
        process.stdout.write(`${v.id} ${v.status}, deadline ${v.deadlineLocal}\n`);
      }),
    );

  cmd
    .command('withdraw <id>')
    .description('withdraw an instruction (after a contest, or a mistake)')
    .requiredOption('--reason <text>', 'why (kept on the timeline)')
    .option('--json', 'print as JSON')
    .action((id: string, o: { reason: string; json?: boolean }) =>
      withCore(core, async (c) => {
        if (!UUID_RE.test(id)) throw new UsageError('give the instruction id (a UUID)');
        const v = await withdrawInstruction(c, await cliPrincipal(c), id, o.reason);
        if (o.json) return printJson(v);
        process.stdout.write(`${v.id} ${v.status}\n`);
      }),
    );

  cmd
    .command('legal-bases')
    .description('the articles an instruction can cite')
    .option('--json', 'print as JSON')
    .action((o: { json?: boolean }) => {
      if (o.json) return printJson(LEGAL_BASES);
      printRows(
        LEGAL_BASES.map((b) => ({ id: b.id, article: b.article, subject: b.en })),
        false,
      );
    });
}
