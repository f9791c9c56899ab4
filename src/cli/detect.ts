import fs from 'node:fs';
import type { Command } from 'commander';
import { allDetectors } from '../detection/detectors/index.ts';
import { DEFAULT_LATENESS_MS, FormatError, fileLines, parseIsoTime } from '../detection/parse.ts';
import { runDetection } from '../detection/run.ts';
import { scoreDetections } from '../detection/score.ts';
import { DETECTORS, type Detection, type DetectorName, type Truth } from '../detection/records.ts';
import {
  describeParams,
  ParamsError,
  paramsFingerprint,
  readDetectorParams,
  type DetectorParams,
} from '../detection/params.ts';
import { countRows, type Core } from './core.ts';
import { printJson, printRows, UsageError } from './output.ts';
import { Progress } from './progress.ts';

/** The parser of an option taking a number of seconds from 0 to a day: ms, or a usage error. */
export function seconds(option: string): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n) || n < 0 || n > 86_400)
      throw new UsageError(`${option}: "${v}" is not a number of seconds from 0 to 86400`);
    return Math.round(n * 1000);
  };
}

/**
 * `--max-lateness <seconds>`: how far out of time order a call or transaction file may be (in ms
 * once parsed). Shared by `detect` and `detect publish`, which must order records alike.
 */
export const MAX_LATENESS = [
  '--max-lateness <seconds>',
  `records up to this much out of time order are put back in order, later ones rejected (default ${DEFAULT_LATENESS_MS / 1000})`,
  seconds('--max-lateness'),
] as const;

/** `--report-from`: an ISO 8601 time with offset, as epoch ms, or a usage error. */
function reportFrom(v: string): number {
  const ms = parseIsoTime(v.trim());
  if (Number.isNaN(ms))
    throw new UsageError(
      `--report-from: "${v}" is not an ISO 8601 time with offset (2026-11-30T00:00:00+08:00)`,
    );
  return ms;
}

/** `--report-from` of `detect` and `detect worker`. */
export const REPORT_FROM = [
  '--report-from <time>',
  'ISO 8601 time: records before it are history the detectors learn from (known payees, partners, flags); only detections from it on are written',
  reportFrom,
] as const;

/**
 * A file option that may be given more than once (`--calls a.csv --calls b.csv`: the files of
 * several switches, merged in time order; cards of several operators): the files in the order given.
 */
export function moreFiles(v: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), v];
}

/** `--calls` and `--transactions`, as `detect` and `detect publish` take them. */
export const CALLS_OPTION = [
  '--calls <file>',
  'call and SMS records, in time order (within --max-lateness); repeat for several files, merged in time order',
  moreFiles,
] as const;
export const TRANSACTIONS_OPTION = [
  '--transactions <file>',
  'transactions, in time order (within --max-lateness); repeat for several files, merged in time order',
  moreFiles,
] as const;

/** Every file of the options, and a usage error for the first one that is not there. */
export function existingFiles(...lists: (readonly string[] | undefined)[]): string[] {
  const all = lists.flatMap((l) => l ?? []);
  for (const f of all) if (!fs.existsSync(f)) throw new UsageError(`${f}: no such file`);
  return all;
}

/** `--params <file>` of `detect`, `detect params` and `detect worker`. */
export const PARAMS_OPTION = [
  '--params <file>',
  'the detectors\' parameters (JSON: docs/detection.md, "Parameters"; default INTERDICT_DETECTOR_PARAMS, else the defaults)',
] as const;

/**
 * The parameters of `--params`, else of `INTERDICT_DETECTOR_PARAMS` when `fallback` (the
 * configuration's file) is not given; a usage error naming every fault of a file that cannot be
 * used.
 */
export function paramsOption(file: string | undefined, fallback?: DetectorParams): DetectorParams {
  const f = file ?? (fallback === undefined ? process.env.INTERDICT_DETECTOR_PARAMS || undefined : undefined);
  if (f === undefined) return fallback ?? {};
  try {
    return readDetectorParams(f);
  } catch (err) {
    if (err instanceof ParamsError) throw new UsageError(err.message);
    throw err;
  }
}

/** `interdict detect` over files, and `interdict detect score` against a simulated world's truth. */
export function detectCommands(program: Command, _core: Core): void {
  const detect = program
    .command('detect')
    .description(
      'run every detector over cards, accounts, call records and transactions; NDJSON detections out',
    )
    .option('--cards <file>', 'phone cards (CSV or NDJSON); repeat for several files', moreFiles)
    .option('--accounts <file>', 'bank and payment accounts; repeat for several files', moreFiles)
    .option(...CALLS_OPTION)
    .option(...TRANSACTIONS_OPTION)
    .option('--out <file>', 'where detections go (NDJSON)')
    .option('--detectors <names>', `some of ${DETECTORS.join(', ')} (default all)`)
    .option('--format <format>', 'csv or ndjson (default: from each file name)')
    .option(...MAX_LATENESS)
    .option(...REPORT_FROM)
    .option(...PARAMS_OPTION)
    .option('--json', 'print the summary as JSON')
    .action(
      async (o: {
        params?: string;
        cards?: string[];
        accounts?: string[];
        calls?: string[];
        transactions?: string[];
        out?: string;
        detectors?: string;
        format?: string;
        json?: boolean;
        maxLateness?: number;
        reportFrom?: number;
      }) => {
        if (!o.out) throw new UsageError('--out <file> is required');
        if (!o.calls && !o.transactions) throw new UsageError('give --calls and/or --transactions');
        existingFiles(o.cards, o.accounts, o.calls, o.transactions);
        const names = o.detectors ? o.detectors.split(',').map((s) => s.trim()) : [...DETECTORS];
        const unknown = names.filter((n) => !(DETECTORS as readonly string[]).includes(n));
        if (unknown.length)
          throw new UsageError(`unknown detector ${unknown.join(', ')} (${DETECTORS.join(', ')})`);
        const detectors = allDetectors(paramsOption(o.params)).filter((d) => names.includes(d.name));
        let total = 0;
        for (const f of existingFiles(o.calls, o.transactions)) total += await countRows(f, o.format);
        const bar = new Progress('detect', Math.max(1, total));
        const tmp = `${o.out}.part`;
        const out = fs.createWriteStream(tmp);
        let seen = 0;
        try {
          const r = await runDetection(
            {
              cards: o.cards,
              accounts: o.accounts,
              calls: o.calls,
              transactions: o.transactions,
            },
            detectors,
            {
              ...(o.format ? { format: o.format } : {}),
              ...(o.maxLateness !== undefined && { latenessMs: o.maxLateness }),
              ...(o.reportFrom !== undefined && { reportFrom: o.reportFrom }),
              emit: (d) => out.write(JSON.stringify(d) + '\n'),
              onProgress: (n) => {
                bar.tick(n - seen);
                seen = n;
              },
            },
          );
          await new Promise<void>((resolve) => out.end(resolve));
          // The whole file or nothing: a rerun replaces it, so nothing is reported twice.
          fs.renameSync(tmp, o.out);
          bar.stop();
          if (o.json) printJson(r);
          else
            process.stdout.write(
              `${r.calls} call records, ${r.transactions} transactions (${r.cards} cards, ${r.accounts} accounts): ` +
                `${r.detections} detections (${
                  Object.entries(r.byDetector)
                    .map(([k, v]) => `${k} ${v}`)
                    .join(', ') || 'none'
                }) → ${o.out}` +
                (r.withheld ? `; ${r.withheld} withheld (before --report-from)` : '') +
                (r.rejectFiles.length ? `; rejected rows: ${r.rejectFiles.join(', ')}` : '') +
                '\n',
            );
        } catch (err) {
          bar.stop();
          out.destroy();
          fs.rmSync(tmp, { force: true });
          if (err instanceof FormatError) throw new UsageError(err.message);
          throw err;
        }
      },
    );

  detect
    .command('params')
    .description(
      "every detector's parameters as detection would run them (defaults, and what --params sets): a parameters file to start from",
    )
    .option(...PARAMS_OPTION)
    // `detect` takes --params too: commander may hand it to either, so both are read.
    .action((_: unknown, cmd: Command) => {
      const params = paramsOption(cmd.optsWithGlobals<{ params?: string }>().params);
      printJson(describeParams(params));
      // As workers show it (`detect status`): do they run these?
      process.stderr.write(`fingerprint ${paramsFingerprint(params)}\n`);
    });

  detect
    .command('score <file>')
    .description('precision and recall per detector of an NDJSON detections file against truth.json')
    .requiredOption('--truth <file>', 'the truth.json of `interdict simulate`')
    .option('--json', 'print as JSON')
    .action(async (file: string, _: unknown, cmd: Command) => {
      // With the parent's: `detect` has a --json of its own, which commander gives the parent.
      const o = cmd.optsWithGlobals<{ truth: string; json?: boolean }>();
      if (!fs.existsSync(o.truth)) throw new UsageError(`${o.truth}: no such file`);
      if (!fs.existsSync(file)) throw new UsageError(`${file}: no such file`);
      let truth: Truth;
      try {
        truth = JSON.parse(fs.readFileSync(o.truth, 'utf8')) as Truth;
      } catch {
        throw new UsageError(`${o.truth} is not JSON`);
      }
      if (!truth.planted) throw new UsageError(`${o.truth} is not a truth file (no "planted")`);
      const ds: Detection[] = [];
      for await (const { no, line } of fileLines(file)) {
        if (!line) continue;
        try {
          ds.push(JSON.parse(line) as Detection);
        } catch {
          throw new UsageError(`${file}:${no} is not a JSON detection`);
        }
      }
      const scores = scoreDetections(truth, ds);
      if (o.json) return printJson(scores);
      printRows(
        scores.map((s) => ({
          detector: s.detector as DetectorName,
          planted: s.planted,
          detected: s.detected,
          'true positives': s.truePositives,
          precision: s.precision.toFixed(3),
          recall: s.recall.toFixed(3),
        })),
        false,
      );
    });
}
