/**
 * Labelled corpora: reading `text,label` CSV files, mapping corpus labels onto the platform's scam
 * taxonomy, and the fixed train/test split.
 */
import fs from 'node:fs';
import { parse } from 'csv-parse/sync';
import { SCAM_CATEGORIES } from '../../registry/engine/taxonomy.ts';
import { fnv1a } from './random.ts';
import type { LabelledText } from './model.ts';

/** Corpus labels that are not taxonomy codes: Telecom_Fraud_Texts_5 and the SMS spam corpus. */
const CORPUS_LABELS: Record<string, string> = {
  impersonate_customer_service: 'customer_service_refund',
  fraud: 'other',
  spam: 'other',
  ham: 'normal',
};

/** `normal`, a taxonomy code, or a known corpus label mapped onto one; `undefined` otherwise. */
export function mapCorpusLabel(label: string): string | undefined {
  const l = label.trim().toLowerCase();
  if (l === 'normal') return l;
  if (Object.hasOwn(SCAM_CATEGORIES, l)) return l;
  return CORPUS_LABELS[l];
}

export interface BadRow {
  file: string;
  line: number;
  reason: string;
}

export interface Corpus {
  rows: LabelledText[];
  bad: BadRow[];
}

/**
 * Reads a UTF-8 `text,label` CSV (quoted fields with commas and newlines allowed). Rows with an
 * empty text or an unknown label are reported in `bad`, not fatal.
 */
export function readLabelledCsv(file: string): Corpus {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(file);
  } catch (err) {
    throw new CorpusError(
      `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
  let records: { record: Record<string, string | undefined>; info: { lines: number } }[];
  try {
    records = parse(buf, {
      columns: true,
      bom: true,
      skip_empty_lines: true,
      relax_column_count: true,
      info: true,
    }) as typeof records;
  } catch (err) {
    throw new CorpusError(`${file} is not readable CSV: ${(err as Error).message}`);
  }
  const first = records[0]?.record;
  if (first && (!('text' in first) || !('label' in first)))
    throw new CorpusError(`${file} needs the columns text,label (found ${Object.keys(first).join(',')})`);
  const rows: LabelledText[] = [];
  const bad: BadRow[] = [];
  for (const { record, info } of records) {
    const text = record.text?.trim() ?? '';
    const raw = record.label ?? '';
    const label = mapCorpusLabel(raw);
    if (text === '') bad.push({ file, line: info.lines, reason: 'empty text' });
    else if (!label) bad.push({ file, line: info.lines, reason: `unknown label "${raw}"` });
    else rows.push({ text, label });
  }
  return { rows, bad };
}

export class CorpusError extends Error {
  override name = 'FileFormatError';
}

/** Seed of the split hash: fixed, so that the held-out part is the same for every model. */
export const SPLIT_SEED = 0x5eed;

/**
 * The fixed split: a row is held out for testing when the hash of its text falls in the first
 * `testShare` of the hash range. It depends only on the text (not on file order, the other rows or
 * the training seed), so the held-out part stays put when a corpus grows; with thousands of rows
 * per class it is near stratified.
 */
export function isHeldOut(text: string, testShare: number): boolean {
  return fnv1a(text.trim(), SPLIT_SEED) / 4294967296 < testShare;
}

export function splitRows<T extends { text: string }>(
  rows: readonly T[],
  testShare: number,
): { train: T[]; test: T[] } {
  const train: T[] = [];
  const test: T[] = [];
  for (const r of rows) (isHeldOut(r.text, testShare) ? test : train).push(r);
  return { train, test };
}
