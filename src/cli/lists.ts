import crypto from 'node:crypto';
import fs from 'node:fs';
import type { Command } from 'commander';
import { AppError } from '../core/errors.ts';
import { fileLines, formatOf, splitCsv } from '../detection/parse.ts';
import {
  checkDesignation,
  designatePerson,
  getPersonListing,
  listPersonListings,
  removeListing,
  type DesignationInput,
  type PersonListingView,
} from '../governance/person-lists.ts';
import {
  PERSON_LISTING_STATUSES,
  PERSON_LISTS,
  REMOVAL_KINDS,
  type PersonList,
  type PersonListingStatus,
} from '../governance/person-lists-tables.ts';
import { cliPrincipal, UUID_RE, withCore, type Core } from './core.ts';
import { printJson, printRows, UsageError } from './output.ts';
import { Progress } from './progress.ts';

/** The columns of an import file (CSV header or NDJSON keys); `id_type` and `review_at` are optional extras. */
const COLUMNS = [
  'id_number',
  'name',
  'list',
  'restrictions',
  'starts_at',
  'ends_at',
  'reason',
  'legal_basis',
  'ref',
  'id_type',
  'review_at',
] as const;
type Column = (typeof COLUMNS)[number];
const REQUIRED: readonly Column[] = ['id_number', 'name', 'list', 'ends_at', 'reason'];

const oneOf = (name: string, v: string, allowed: readonly string[]) => {
  if (!allowed.includes(v)) throw new UsageError(`${name} is one of ${allowed.join(', ')}`);
  return v;
};

/** `a,b`, `a;b` or `a b` (a CSV cell cannot hold an unquoted comma). */
const splitList = (v: string | undefined) =>
  (v ?? '')
    .split(/[,;|\s]+/)
    .map((f) => f.trim())
    .filter(Boolean);

const day = (iso: string | null) => (iso ? iso.slice(0, 10) : '');

/** A one-line summary (masked: lists are). */
function row(v: PersonListingView) {
  return {
    id: v.id,
    list: v.list,
    status: v.status + (v.reviewDue ? ' (review due)' : ''),
    person: `${v.person.name} ${v.person.idNumber}`,
    restrictions: v.restrictions.join(',') || '-',
    from: day(v.startsAt),
    to: day(v.endsAt),
    basis: v.legalBasis,
  };
}

interface FileRecord {
  no: number;
  /** The line as written: a reject file repeats it. */
  raw: string;
  rec: Record<string, unknown> | null;
  /** A shape error (not JSON, wrong cell count…): the line is rejected without further checks. */
  error?: string;
}

/**
 * Reads an import file's records with their line numbers. A bad header stops the file (nothing can
 * be read without it); a bad line is reported with its number and the rest are still read.
 */
async function* fileRecords(file: string): AsyncGenerator<FileRecord> {
  const format = formatOf(file);
  let header: string[] | null = null;
  for await (const { no, line } of fileLines(file)) {
    if (!line.trim()) continue;
    if (format === 'ndjson') {
      let o: unknown;
      try {
        o = JSON.parse(line);
      } catch {
        yield { no, raw: line, rec: null, error: 'not JSON' };
        continue;
      }
      if (typeof o !== 'object' || o === null || Array.isArray(o)) {
        yield { no, raw: line, rec: null, error: 'expected an object' };
        continue;
      }
      const unknown = Object.keys(o).filter((k) => !(COLUMNS as readonly string[]).includes(k));
      if (unknown.length) {
        yield {
          no,
          raw: line,
          rec: null,
          error: `unknown ${unknown.join(', ')} (keys: ${COLUMNS.join(', ')})`,
        };
        continue;
      }
      yield { no, raw: line, rec: o as Record<string, unknown> };
      continue;
    }
    const cells = splitCsv(line).map((x) => x.trim());
    if (!header) {
      const unknown = cells.filter((h) => !(COLUMNS as readonly string[]).includes(h));
      const missing = REQUIRED.filter((h) => !cells.includes(h));
      if (unknown.length || missing.length)
        throw new UsageError(
          `${file}:${no}: the header needs the columns ${COLUMNS.slice(0, 9).join(',')}` +
            (missing.length ? `; missing ${missing.join(', ')}` : '') +
            (unknown.length ? `; unknown ${unknown.join(', ')}` : ''),
        );
      header = cells;
      continue;
    }
    if (cells.length !== header.length) {
      yield { no, raw: line, rec: null, error: `${cells.length} cells, the header has ${header.length}` };
      continue;
    }
    yield { no, raw: line, rec: Object.fromEntries(header.map((h, i) => [h, cells[i]])) };
  }
}

/** One record as a designation (its reference: its own `ref`, else the file's digest and the line). */
function inputOf(rec: Record<string, unknown>, fallbackRef: string): DesignationInput {
  const str = (k: Column) => {
    const v = rec[k];
    if (v === undefined || v === null) return '';
    if (Array.isArray(v)) return v.map(String).join(',');
    return String(v as string | number).trim();
  };
  for (const k of REQUIRED) if (!str(k)) throw new UsageError(`${k} is empty`);
  return {
    list: str('list'),
    idNumber: str('id_number'),
    idType: str('id_type') || undefined,
    name: str('name'),
    restrictions: splitList(str('restrictions')),
    reason: str('reason'),
    legalBasis: str('legal_basis') || undefined,
    startsAt: str('starts_at') || undefined,
    endsAt: str('ends_at'),
    reviewAt: str('review_at') || undefined,
    ref: str('ref') || fallbackRef,
  };
}

export function listCommands(program: Command, core: Core): void {
  const cmd = program
    .command('lists')
    .description('lists of persons: credit punishment and exit restriction (docs/governance.md)');

  cmd
    .command('designate')
    .description('put one person on a list (the CLI acts as a centre supervisor)')
    .requiredOption('--list <list>', PERSON_LISTS.join(', '))
    .requiredOption('--id-number <number>', 'identity number, or type:value')
    .option('--id-type <type>', 'default prc_resident')
    .requiredOption('--name <name>', "the person's name")
    .option('--restrictions <a,b>', 'credit punishment: default all (new_cards, new_accounts, …)')
    .requiredOption('--reason <text>', 'why (the person is told)')
    .option('--legal-basis <id>', 'default by list: atof_art31, atof_art36')
    .option('--starts-at <time>', 'ISO 8601; default now')
    .requiredOption('--ends-at <time>', 'ISO 8601: 6 months to 3 years after the start')
    .option('--review-at <time>', 'exit restriction: first review (default 6 months on)')
    .option('--ref <ref>', 'your reference: the same again answers the same listing')
    .option('--json', 'print as JSON')
    .action(
      (o: {
        list: string;
        idNumber: string;
        idType?: string;
        name: string;
        restrictions?: string;
        reason: string;
        legalBasis?: string;
        startsAt?: string;
        endsAt: string;
        reviewAt?: string;
        ref?: string;
        json?: boolean;
      }) =>
        withCore(core, async (c) => {
          oneOf('--list', o.list, PERSON_LISTS);
          const { outcome, listing: v } = await designatePerson(c, await cliPrincipal(c), {
            list: o.list,
            idNumber: o.idNumber,
            idType: o.idType,
            name: o.name,
            restrictions: splitList(o.restrictions),
            reason: o.reason,
            legalBasis: o.legalBasis,
            startsAt: o.startsAt,
            endsAt: o.endsAt,
            reviewAt: o.reviewAt,
            ref: o.ref,
          });
          if (o.json) return printJson({ outcome, listing: v });
          process.stdout.write(
            `${v.id} ${outcome}: ${v.list} ${v.person.name} ${v.person.idNumber} until ${day(v.endsAt)}\n`,
          );
        }),
    );

  cmd
    .command('import <file>')
    .description(
      `designate the persons of a CSV or NDJSON file (${COLUMNS.slice(0, 9).join(',')}); every line is checked before any is written`,
    )
    .option(
      '--reject-file <path>',
      'import the good lines and write the bad ones here (line, error, the line)',
    )
    .option('--check', 'check every line and report; write nothing')
    .option('--json', 'print the result as JSON')
    .action((file: string, o: { rejectFile?: string; check?: boolean; json?: boolean }) =>
      withCore(core, async (c) => {
        if (!fs.existsSync(file)) throw new UsageError(`${file}: no such file`);
        const issuer = await cliPrincipal(c);
        // Each line's reference (its own `ref`, else the file's SHA-256 and the line number) makes a
        // rerun or a resumed run find what was designated instead of designating it again.
        const digest = crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex').slice(0, 16);
        const good: { no: number; input: DesignationInput }[] = [];
        const bad: { no: number; raw: string; error: string }[] = [];
        const now = Date.now();
        for await (const r of fileRecords(file)) {
          if (r.error || !r.rec) {
            bad.push({ no: r.no, raw: r.raw, error: r.error ?? 'unreadable' });
            continue;
          }
          try {
            const input = inputOf(r.rec, `${digest}:${r.no}`);
            checkDesignation(c.pii, input, now);
            good.push({ no: r.no, input });
          } catch (err) {
            // Messages never repeat the id number (privacy/idnumber.ts): they are safe to print.
            if (err instanceof AppError || err instanceof UsageError)
              bad.push({ no: r.no, raw: r.raw, error: err.message });
            else throw err;
          }
        }
        if (good.length === 0 && bad.length === 0) throw new UsageError(`${file}: no lines to import`);
        for (const b of bad) process.stderr.write(`${file}:${b.no}: ${b.error}\n`);
        if (o.check) {
          const result = { lines: good.length + bad.length, good: good.length, bad: bad.length };
          if (o.json) printJson(result);
          else process.stdout.write(`${result.lines} lines: ${result.good} good, ${result.bad} bad\n`);
          if (bad.length) process.exitCode = 2;
          return;
        }
        if (bad.length && !o.rejectFile)
          throw new UsageError(
            `${bad.length} of ${good.length + bad.length} lines are bad (listed above): nothing imported; ` +
              'fix them, or pass --reject-file to import the good lines',
          );
        if (bad.length && o.rejectFile)
          fs.writeFileSync(
            o.rejectFile,
            'line,error,record\n' +
              bad.map((b) => [String(b.no), b.error, b.raw].map(csvCell).join(',') + '\n').join(''),
            { mode: 0o600 },
          );
        const counts = { created: 0, joined: 0, existing: 0 };
        const ids: string[] = [];
        const bar = new Progress('import', good.length);
        try {
          for (const g of good) {
            const r = await designatePerson(c, issuer, g.input);
            counts[r.outcome]++;
            if (r.outcome !== 'existing') ids.push(r.listing.id);
            bar.tick();
          }
        } catch (err) {
          // Checked above, so only a change in between (a listing designated meanwhile…) lands here.
          if (err instanceof Error)
            err.message = `after ${counts.created + counts.joined + counts.existing} of ${good.length} (a rerun resumes): ${err.message}`;
          throw err;
        } finally {
          bar.stop();
        }
        const result = { ...counts, rejected: bad.length, rejectFile: bad.length ? o.rejectFile : null, ids };
        if (o.json) printJson(result);
        else
          process.stdout.write(
            `${good.length} designations: ${counts.created} new, ${counts.joined} joined an active listing, ` +
              `${counts.existing} done before (same reference)` +
              (bad.length ? `; ${bad.length} rejected, written to ${o.rejectFile}` : '') +
              '\n',
          );
        // Some lines were not imported: a script must notice.
        if (bad.length) process.exitCode = 1;
      }),
    );

  cmd
    .command('list')
    .description('listings, newest first (masked)')
    .option('--list <list>', PERSON_LISTS.join(', '))
    .option('--status <status>', PERSON_LISTING_STATUSES.join(', '))
    .option('--review-due', 'exit restrictions whose review date passed')
    .option('-n, --limit <n>', 'how many (1 to 500)', (v) => Number(v), 50)
    .option('--json', 'print as JSON')
    .action((o: { list?: string; status?: string; reviewDue?: boolean; limit: number; json?: boolean }) =>
      withCore(core, async (c) => {
        if (o.list) oneOf('--list', o.list, PERSON_LISTS);
        if (o.status) oneOf('--status', o.status, PERSON_LISTING_STATUSES);
        if (!(Number.isInteger(o.limit) && o.limit >= 1 && o.limit <= 500))
          throw new UsageError('--limit is 1 to 500');
        const { items } = await listPersonListings(c, await cliPrincipal(c), {
          list: o.list as PersonList | undefined,
          status: o.status as PersonListingStatus | undefined,
          reviewDue: o.reviewDue ? true : undefined,
          limit: o.limit,
        });
        if (o.json) return printJson(items);
        printRows(items.map(row), false);
      }),
    );

  cmd
    .command('show <id>')
    .description(
      'one listing with its timeline (clear values: the CLI is a supervisor; the read is recorded)',
    )
    .option('--json', 'print as JSON')
    .action((id: string, o: { json?: boolean }) =>
      withCore(core, async (c) => {
        if (!UUID_RE.test(id)) throw new UsageError('give the listing id (a UUID)');
        const v = await getPersonListing(c, await cliPrincipal(c), id);
        if (o.json) return printJson(v);
        const w = (s: string) => process.stdout.write(s + '\n');
        w(`${v.list}  ${v.person.name} ${v.person.idNumber} (${v.person.idType})  ${v.status}`);
        if (v.restrictions.length) w(`restricts ${v.restrictions.join(', ')} (basic services kept)`);
        w(`from ${v.startsAt} to ${v.endsAt}${v.reviewAt ? `, review ${v.reviewAt}` : ''}`);
        w(`basis ${v.legalBasis}: ${v.reason}`);
        w(
          `designated by ${v.designatedBy}${v.noticeSentAt ? `, notice served ${v.noticeSentAt}` : ', no notice recorded'}`,
        );
        if (v.removedAt) w(`removed ${v.removedAt} (${v.removalKind}): ${v.removeReason}`);
        for (const t of v.timeline ?? [])
          w(
            `  ${t.at}  ${t.action.padEnd(11)} → ${t.status.padEnd(7)} ${t.actor}${t.note ? `: ${t.note}` : ''}`,
          );
      }),
    );

  cmd
    .command('remove <id>')
    .description('remove a listing before its end')
    .requiredOption('--kind <kind>', REMOVAL_KINDS.join(', '))
    .requiredOption('--reason <text>', 'why (kept on the timeline)')
    .option('--json', 'print as JSON')
    .action((id: string, o: { kind: string; reason: string; json?: boolean }) =>
      withCore(core, async (c) => {
        if (!UUID_RE.test(id)) throw new UsageError('give the listing id (a UUID)');
        oneOf('--kind', o.kind, REMOVAL_KINDS);
        const v = await removeListing(c, await cliPrincipal(c), id, { kind: o.kind, reason: o.reason });
        if (o.json) return printJson(v);
        process.stdout.write(`${v.id} ${v.status} (${v.removalKind})\n`);
      }),
    );
}

function csvCell(v: string): string {
  return /[",\n\r]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}
