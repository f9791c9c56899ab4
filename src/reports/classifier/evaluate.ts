/** Held-out figures of a classifier: per-class precision, recall, F1, macro-F1, confusion, FPR. */
import { classify, type ClassifierModel, type LabelledText } from './model.ts';

export interface ClassMetrics {
  label: string;
  precision: number;
  recall: number;
  f1: number;
  /** Rows whose true label this is. */
  support: number;
}

export interface Evaluation {
  rows: number;
  accuracy: number;
  /** Mean F1 over the labels present in the rows' true labels. */
  macroF1: number;
  perClass: ClassMetrics[];
  /** Share of true `normal` rows labelled as any scam (null without normal rows). */
  falsePositiveRateNormal: number | null;
  /** Rows: true label; columns: predicted label; both in `labels` order. */
  confusion: { labels: string[]; matrix: number[][] };
}

/** Classifies every row with `model` and compares with its (already mapped) label. */
export function evaluate(model: ClassifierModel, rows: readonly LabelledText[]): Evaluation {
  const truth = rows.map((r) => r.label);
  const predicted = rows.map((r) => classify(model, r.text).label);
  return scoreLabels(truth, predicted);
}

export function scoreLabels(truth: readonly string[], predicted: readonly string[]): Evaluation {
  const present = new Set(truth);
  const labels = [...new Set([...truth, ...predicted])].sort((a, b) =>
    a === 'normal' ? -1 : b === 'normal' ? 1 : a < b ? -1 : a > b ? 1 : 0,
  );
  const at = new Map(labels.map((l, i) => [l, i]));
  const matrix = labels.map(() => labels.map(() => 0));
  let correct = 0;
  truth.forEach((t, i) => {
    const p = predicted[i]!;
    matrix[at.get(t)!]![at.get(p)!]! += 1;
    if (t === p) correct++;
  });
  const perClass: ClassMetrics[] = labels.map((label, i) => {
    const tp = matrix[i]![i]!;
    const support = matrix[i]!.reduce((a, b) => a + b, 0);
    const predictedAs = matrix.reduce((a, row) => a + row[i]!, 0);
    const precision = predictedAs > 0 ? tp / predictedAs : 0;
    const recall = support > 0 ? tp / support : 0;
    const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
    return { label, precision, recall, f1, support };
  });
  const scored = perClass.filter((c) => present.has(c.label));
  const macroF1 = scored.length > 0 ? scored.reduce((a, c) => a + c.f1, 0) / scored.length : 0;
  const n = at.get('normal');
  let fpr: number | null = null;
  if (n !== undefined) {
    const row = matrix[n]!;
    const total = row.reduce((a, b) => a + b, 0);
    fpr = total > 0 ? (total - row[n]!) / total : null;
  }
  return {
    rows: truth.length,
    accuracy: truth.length > 0 ? correct / truth.length : 0,
    macroF1,
    perClass,
    falsePositiveRateNormal: fpr,
    confusion: { labels, matrix },
  };
}

/** A plain-text report: per-class table, macro-F1, FPR on normal, confusion matrix. */
export function formatEvaluation(e: Evaluation): string {
  const pct = (v: number) => v.toFixed(4);
  const width = Math.max(5, ...e.perClass.map((c) => c.label.length));
  const lines = [
    `${'label'.padEnd(width)}  precision  recall  f1      support`,
    ...e.perClass.map(
      (c) =>
        `${c.label.padEnd(width)}  ${pct(c.precision).padEnd(9)}  ${pct(c.recall).padEnd(6)}  ${pct(c.f1).padEnd(6)}  ${c.support}`,
    ),
    '',
    `rows ${e.rows}  accuracy ${pct(e.accuracy)}  macro-F1 ${pct(e.macroF1)}  FPR on normal ${
      e.falsePositiveRateNormal === null ? 'n/a' : pct(e.falsePositiveRateNormal)
    }`,
    '',
    'confusion (rows: true label, columns: predicted)',
  ];
  const short = e.confusion.labels.map((_, i) => `[${i}]`);
  const colW = Math.max(4, ...e.confusion.matrix.flat().map((v) => String(v).length));
  lines.push(`${''.padEnd(width + 5)}  ${short.map((s) => s.padStart(colW)).join(' ')}`);
  e.confusion.labels.forEach((l, i) => {
    lines.push(
      `${short[i]!.padEnd(4)} ${l.padEnd(width)}  ${e.confusion.matrix[i]!.map((v) => String(v).padStart(colW)).join(' ')}`,
    );
  });
  return lines.join('\n') + '\n';
}
