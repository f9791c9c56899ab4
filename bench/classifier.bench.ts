/**
 * The message classifier (single thread): predictions per second on each corpus with the shipped
 * model, and its figures on the held-out part of the fixed split. Skips with a note when
 * ../shared/data/text is absent.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { BenchResult } from './harness.ts';
import {
  classify,
  evaluate,
  loadDefaultModel,
  predict,
  readLabelledCsv,
  splitRows,
  type ClassifierModel,
} from '../src/reports/classifier/index.ts';

const DATA = path.resolve(process.env.INTERDICT_TEXT_DATA ?? '../shared/data/text');
const ZH = path.join(DATA, 'telecom-fraud-zh.csv');
const EN = path.join(DATA, 'sms-spam-en.csv');

let sink = 0;

function perSecond(texts: string[], fn: (t: string) => number, seconds = 2): number {
  for (let i = 0; i < Math.min(texts.length, 5000); i++) sink += fn(texts[i]!);
  let n = 0;
  const start = process.hrtime.bigint();
  const until = start + BigInt(seconds * 1e9);
  while (process.hrtime.bigint() < until) {
    for (let i = 0; i < 500; i++) sink += fn(texts[(n + i) % texts.length]!);
    n += 500;
  }
  return n / (Number(process.hrtime.bigint() - start) / 1e9);
}

export async function run(): Promise<BenchResult[]> {
  if (!fs.existsSync(ZH) || !fs.existsSync(EN)) {
    return [{ name: 'classifier', value: 0, unit: '', note: `skipped: corpora not found in ${DATA}` }];
  }
  const model: ClassifierModel = loadDefaultModel();
  const zh = readLabelledCsv(ZH).rows;
  const en = readLabelledCsv(EN).rows;
  const results: BenchResult[] = [];
  for (const [name, rows] of [
    ['zh', zh],
    ['en', en],
  ] as const) {
    const texts = rows.map((r) => r.text);
    results.push({
      name: `classify ${name} (label only)`,
      value: perSecond(texts, (t) => classify(model, t).probability),
      unit: 'messages/s/core',
      target: '≥ 20,000',
    });
    results.push({
      name: `predict ${name} (scores + top 5 n-grams)`,
      value: perSecond(texts, (t) => predict(model, t).probability),
      unit: 'messages/s/core',
      target: '≥ 20,000',
    });
  }
  const zhTest = splitRows(zh, 0.2).test;
  const enTest = splitRows(en, 0.2).test;
  const ez = evaluate(model, zhTest);
  const ee = evaluate(model, enTest);
  const fraud = ee.perClass.find((c) => c.label === 'other');
  results.push(
    {
      name: 'held-out macro-F1, zh five classes',
      value: ez.macroF1,
      unit: '',
      target: '≥ 0.97',
      note: `${zhTest.length} rows; FPR on normal ${ez.falsePositiveRateNormal?.toFixed(4)}`,
    },
    {
      name: 'held-out F1 fraud, en',
      value: fraud?.f1 ?? 0,
      unit: '',
      target: '≥ 0.95',
      note: `${enTest.length} rows; precision ${fraud?.precision.toFixed(4)}, recall ${fraud?.recall.toFixed(4)}`,
    },
    {
      name: 'held-out FPR on normal, en',
      value: ee.falsePositiveRateNormal ?? 0,
      unit: '',
      target: 'reported',
    },
  );
  if (sink === 42) process.stdout.write('');
  return results;
}
