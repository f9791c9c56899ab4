import fs from 'node:fs';
import path from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import {
  defaultModelFile,
  evaluate,
  formatEvaluation,
  languageOf,
  loadDefaultModel,
  loadModel,
  packageRoot,
  predict,
  readLabelledCsv,
  saveModel,
  splitRows,
  train,
  type ClassifierModel,
  type Evaluation,
  type LabelledText,
} from '../reports/classifier/index.ts';
import { printJson, UsageError } from './output.ts';
import type { Core } from './core.ts';

const log = (line: string) => process.stderr.write(`${line}\n`);

function parseShare(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0 || n >= 1) throw new InvalidArgumentError('a share in [0, 1)');
  return n;
}

function parseInteger(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('a whole number ≥ 0');
  return n;
}

function readCorpus(file: string): LabelledText[] {
  const { rows, bad } = readLabelledCsv(file);
  log(`read ${rows.length} rows from ${file}${bad.length ? `, ${bad.length} bad rows skipped` : ''}`);
  for (const b of bad.slice(0, 20)) log(`  bad row ${b.file}:${b.line}: ${b.reason}`);
  if (bad.length > 20) log(`  … and ${bad.length - 20} more bad rows`);
  return rows;
}

function openModel(file: string | undefined): ClassifierModel {
  return file ? loadModel(file) : loadDefaultModel();
}

/** Held-out figures per language of the rows (by script, as the model routes them). */
function evaluateByLanguage(model: ClassifierModel, rows: LabelledText[]): Record<string, Evaluation> {
  const out: Record<string, Evaluation> = {};
  for (const lang of ['zh', 'en'] as const) {
    const part = rows.filter((r) => languageOf(r.text) === lang);
    if (part.length > 0) out[lang] = evaluate(model, part);
  }
  return out;
}

/** `interdict model train|eval` and `interdict classify`: none of them opens the database. */
export function modelCommands(program: Command, _core: Core): void {
  const model = program.command('model').description('train and evaluate the scam-message classifier');

  model
    .command('train <csv...>')
    .description(
      'train the classifier from text,label CSV files; holds out a fixed test share and reports on it',
    )
    .option('--out <file>', 'model file to write (.json, or .json.gz for gzip)', '')
    .option('--seed <n>', 'seed of the training order', parseInteger, 1)
    .option(
      '--test-share <share>',
      'share of rows held out for testing (by hash of the text)',
      parseShare,
      0.2,
    )
    .option('--epochs <n>', 'training passes', parseInteger)
    .option('--json', 'print the held-out figures as JSON')
    .action(
      (
        files: string[],
        o: { out: string; seed: number; testShare: number; epochs?: number; json?: boolean },
      ) => {
        const rows = files.flatMap((f) => readCorpus(f));
        if (rows.length === 0) throw new UsageError('no usable rows to train on');
        const { train: fit, test } = splitRows(rows, o.testShare);
        log(`split: ${fit.length} training rows, ${test.length} held out (test share ${o.testShare})`);
        const started = Date.now();
        const m = train(fit, {
          seed: o.seed,
          ...(o.epochs !== undefined ? { epochs: o.epochs } : {}),
          progress: log,
        });
        log(`trained in ${((Date.now() - started) / 1000).toFixed(1)} s`);
        const heldOut = test.length > 0 ? evaluateByLanguage(m, test) : {};
        m.meta = {
          ...m.meta,
          corpora: files.map((f) => path.basename(f)),
          split: {
            method: 'fnv1a(text) / 2^32 < testShare',
            testShare: o.testShare,
            trainRows: fit.length,
            testRows: test.length,
          },
          heldOut: Object.fromEntries(
            Object.entries(heldOut).map(([lang, e]) => [
              lang,
              {
                rows: e.rows,
                macroF1: round(e.macroF1),
                falsePositiveRateNormal:
                  e.falsePositiveRateNormal === null ? null : round(e.falsePositiveRateNormal),
                f1: Object.fromEntries(e.perClass.map((c) => [c.label, round(c.f1)])),
              },
            ]),
          ),
        };
        const out = o.out || path.join(packageRoot(), 'models', 'classifier.json');
        const size = saveModel(m, out);
        if (o.json) printJson({ model: out, bytes: size, heldOut });
        else {
          for (const [lang, e] of Object.entries(heldOut)) {
            process.stdout.write(`\nheld-out ${lang}:\n${formatEvaluation(e)}`);
          }
          process.stdout.write(`\nwrote ${out} (${(size / 1024).toFixed(0)} KiB)\n`);
        }
      },
    );

  model
    .command('eval <csv>')
    .description(
      'evaluate a model on a text,label CSV: per-class precision, recall, F1, macro-F1, FPR, confusion',
    )
    .option('--model <file>', 'model file (default: the model shipped in models/)')
    .option(
      '--split <part>',
      'all rows, or only the held-out "test" or the "train" part of the fixed split',
      'all',
    )
    .option('--test-share <share>', 'test share of the split (with --split)', parseShare, 0.2)
    .option('--json', 'print the figures as JSON')
    .action((file: string, o: { model?: string; split: string; testShare: number; json?: boolean }) => {
      if (!['all', 'test', 'train'].includes(o.split)) throw new UsageError('--split is all, test or train');
      const m = openModel(o.model);
      let rows = readCorpus(file);
      if (o.split !== 'all') rows = splitRows(rows, o.testShare)[o.split as 'test' | 'train'];
      if (rows.length === 0) throw new UsageError(`no usable rows in ${file}`);
      const e = evaluate(m, rows);
      if (o.json) printJson({ file, split: o.split, model: o.model ?? defaultModelFile(), ...e });
      else process.stdout.write(`${file} (${o.split} rows)\n${formatEvaluation(e)}`);
    });

  program
    .command('classify [text]')
    .description('classify messages: the text argument, or --file with one message per line, or stdin')
    .option('--file <file>', 'file with one message per line')
    .option('--model <file>', 'model file (default: the model shipped in models/)')
    .option('--explain <n>', 'how many contributing n-grams to show', parseInteger, 5)
    .option('--json', 'print JSON (one object for a text, an array for a file or stdin)')
    .action(
      (text: string | undefined, o: { file?: string; model?: string; explain: number; json?: boolean }) => {
        if (text !== undefined && o.file) throw new UsageError('give a text or --file, not both');
        let messages: string[];
        if (text !== undefined) messages = [text];
        else {
          let input: string;
          try {
            input = fs.readFileSync(o.file ?? 0, 'utf8');
          } catch (err) {
            throw new UsageError(
              `cannot read ${o.file ?? 'stdin'}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
            );
          }
          messages = input.split(/\r?\n/).filter((l) => l.trim() !== '');
        }
        if (messages.length === 0) throw new UsageError('no message to classify');
        if (messages.some((m) => m.trim() === '')) throw new UsageError('the message is empty');
        const m = openModel(o.model);
        const results = messages.map((msg) => ({ text: msg, ...predict(m, msg, { explain: o.explain }) }));
        if (o.json) printJson(text !== undefined ? results[0] : results);
        else
          for (const r of results) {
            const why = r.features.map((f) => f.feature).join(' · ');
            process.stdout.write(
              `${r.label}\t${r.probability.toFixed(3)}\t${r.text}${why ? `\n  ${why}` : ''}\n`,
            );
          }
      },
    );
}

const round = (v: number) => Math.round(v * 1e4) / 1e4;
