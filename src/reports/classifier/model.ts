/**
 * The message classifier: one multinomial logistic regression per language (zh, en) over hashed
 * n-gram features, trained by AdaGrad SGD with L2, pruned and quantised so that the model file
 * stays small and a loaded model predicts exactly what the trained one did.
 */
import { normaliseMessage } from '../text/fold.ts';
import { detectLanguage, extractFeatures, FeatureBuffer, featureName, type Language } from './features.ts';
import { mulberry32, shuffleInPlace } from './random.ts';

export type { Language } from './features.ts';

export interface LabelledText {
  text: string;
  label: string;
}

/** The weights of one language. `weights[bucket * labels.length + k]`. */
export interface LanguageModel {
  lang: Language;
  labels: string[];
  /** log2 of the number of hash buckets. */
  bits: number;
  weights: Float32Array;
  bias: Float32Array;
  /** Quantisation step of the weights (int16 × step). */
  step: number;
  /** Training rows this language model saw. */
  trainedOn: number;
}

export interface ClassifierModel {
  format: 'interdict-message-classifier';
  version: 1;
  languages: Partial<Record<Language, LanguageModel>>;
  /** What made the model: options, split, figures measured on the held-out part. */
  meta: Record<string, unknown>;
}

export interface FeatureWeight {
  feature: string;
  weight: number;
}

export interface Prediction {
  label: string;
  probability: number;
  scores: Record<string, number>;
  /** The n-grams that pushed most towards the label (summed over their occurrences). */
  features: FeatureWeight[];
  language: Language;
}

export interface TrainOptions {
  seed?: number;
  epochs?: number;
  /** log2 of hash buckets per language. */
  bits?: number;
  /** AdaGrad base learning rate. */
  learningRate?: number;
  /** L2 penalty applied to the weights touched by each example. */
  l2?: number;
  /** At most this many non-zero weights per language are kept (largest magnitudes). */
  maxWeights?: number;
  /**
   * Per-class weight of the loss: `none`, `sqrt` (each class weighted by sqrt(largest / own
   * count)) or `balanced` (largest / own count).
   */
  classWeight?: 'none' | 'sqrt' | 'balanced';
  /** Called with progress lines. */
  progress?: (line: string) => void;
}

const DEFAULTS = {
  seed: 1,
  epochs: 12,
  bits: 16,
  learningRate: 0.2,
  l2: 1e-6,
  maxWeights: 200_000,
  classWeight: 'none' as 'none' | 'sqrt' | 'balanced',
};

// Scratch buffers of the hot path: predict allocates only the normalised string and the result.
const scratch = new FeatureBuffer(2048);
let scores = new Float64Array(16);

/** Normalises and picks the model for a text; `undefined` when the model has no language at all. */
function route(model: ClassifierModel, text: string): { norm: string; lm: LanguageModel } {
  const norm = normaliseMessage(text);
  const lang = detectLanguage(norm);
  const lm = model.languages[lang] ?? model.languages[lang === 'zh' ? 'en' : 'zh'];
  if (!lm) throw new Error('the model holds no language');
  return { norm, lm };
}

/** Scores into `scores` (probabilities after softmax); returns the arg-max index. */
function score(lm: LanguageModel, buf: FeatureBuffer): number {
  const K = lm.labels.length;
  if (scores.length < K) scores = new Float64Array(K);
  for (let k = 0; k < K; k++) scores[k] = 0;
  const mask = (1 << lm.bits) - 1;
  const w = lm.weights;
  const n = buf.length;
  const hashes = buf.hashes;
  for (let i = 0; i < n; i++) {
    const base = (hashes[i]! & mask) * K;
    for (let k = 0; k < K; k++) scores[k] = scores[k]! + w[base + k]!;
  }
  const scale = n > 0 ? 1 / Math.sqrt(n) : 0;
  let max = -Infinity;
  let arg = 0;
  for (let k = 0; k < K; k++) {
    const v = scores[k]! * scale + lm.bias[k]!;
    scores[k] = v;
    if (v > max) {
      max = v;
      arg = k;
    }
  }
  let sum = 0;
  for (let k = 0; k < K; k++) {
    const e = Math.exp(scores[k]! - max);
    scores[k] = e;
    sum += e;
  }
  for (let k = 0; k < K; k++) scores[k] = scores[k]! / sum;
  return arg;
}

/** The label and its probability only: the fastest path (no explanation, no score map). */
export function classify(model: ClassifierModel, text: string): { label: string; probability: number } {
  const { norm, lm } = route(model, text);
  extractFeatures(norm, lm.lang, scratch);
  const k = score(lm, scratch);
  return { label: lm.labels[k]!, probability: scores[k]! };
}

/**
 * Classifies one message: label, its probability, every label's probability, and the `explain`
 * n-grams (default 5; 0 for none) that contributed most to the label.
 */
export function predict(
  model: ClassifierModel,
  text: string,
  options: { explain?: number } = {},
): Prediction {
  const { norm, lm } = route(model, text);
  extractFeatures(norm, lm.lang, scratch);
  const k = score(lm, scratch);
  const K = lm.labels.length;
  const out: Record<string, number> = {};
  for (let j = 0; j < K; j++) out[lm.labels[j]!] = scores[j]!;
  const top = options.explain ?? 5;
  return {
    label: lm.labels[k]!,
    probability: scores[k]!,
    scores: out,
    features: top > 0 ? explain(lm, norm, scratch, k, top) : [],
    language: lm.lang,
  };
}

/**
 * Contribution of each distinct n-gram to label k, relative to the mean over labels (so that an
 * n-gram common to every label counts for nothing), scaled as in scoring.
 */
function explain(
  lm: LanguageModel,
  norm: string,
  buf: FeatureBuffer,
  k: number,
  top: number,
): FeatureWeight[] {
  const K = lm.labels.length;
  const mask = (1 << lm.bits) - 1;
  const scale = buf.length > 0 ? 1 / Math.sqrt(buf.length) : 0;
  // Sum by hash first (cheap), name only the best few: one n-gram has one hash.
  const byHash = new Map<number, { c: number; i: number }>();
  for (let i = 0; i < buf.length; i++) {
    const h = buf.hashes[i]!;
    const base = (h & mask) * K;
    let mean = 0;
    for (let j = 0; j < K; j++) mean += lm.weights[base + j]!;
    const c = (lm.weights[base + k]! - mean / K) * scale;
    if (c <= 0) continue;
    const e = byHash.get(h);
    if (e) e.c += c;
    else byHash.set(h, { c, i });
  }
  const best = [...byHash.values()].sort((a, b) => b.c - a.c || a.i - b.i).slice(0, top * 2);
  const byName = new Map<string, number>();
  for (const { c, i } of best) {
    const name = featureName(norm, buf, i);
    if (name !== '') byName.set(name, (byName.get(name) ?? 0) + c);
  }
  return [...byName]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, top)
    .map(([feature, weight]) => ({ feature, weight: Math.round(weight * 1e4) / 1e4 }));
}

/**
 * Trains one model per language found in the rows (language by script of each text). Labels are
 * used as given (map corpus labels first, see labels.ts). Deterministic for a given seed.
 */
export function train(rows: readonly LabelledText[], options: TrainOptions = {}): ClassifierModel {
  const o = { ...DEFAULTS, ...options };
  const groups: Record<Language, { norm: string; label: string }[]> = { zh: [], en: [] };
  for (const r of rows) {
    const norm = normaliseMessage(r.text);
    groups[detectLanguage(norm)].push({ norm, label: r.label });
  }
  const languages: Partial<Record<Language, LanguageModel>> = {};
  for (const lang of ['zh', 'en'] as const) {
    const g = groups[lang];
    if (g.length === 0) continue;
    languages[lang] = trainLanguage(lang, g, o);
  }
  const { progress: _progress, ...recorded } = o;
  return {
    format: 'interdict-message-classifier',
    version: 1,
    languages,
    meta: { options: recorded, rows: rows.length },
  };
}

function trainLanguage(
  lang: Language,
  rows: { norm: string; label: string }[],
  o: typeof DEFAULTS & TrainOptions,
): LanguageModel {
  const labels = [...new Set(rows.map((r) => r.label))].sort((a, b) =>
    a === 'normal' ? -1 : b === 'normal' ? 1 : a < b ? -1 : a > b ? 1 : 0,
  );
  const K = labels.length;
  const index = new Map(labels.map((l, i) => [l, i]));
  const mask = (1 << o.bits) - 1;
  // Features once per row: bucket indices, and the per-row scale.
  const buf = new FeatureBuffer(2048);
  const feats: Int32Array[] = [];
  const ys = new Int32Array(rows.length);
  rows.forEach((r, i) => {
    extractFeatures(r.norm, lang, buf);
    const f = new Int32Array(buf.length);
    for (let j = 0; j < buf.length; j++) f[j] = buf.hashes[j]! & mask;
    feats.push(f);
    ys[i] = index.get(r.label)!;
  });
  const D = (1 << o.bits) * K;
  const w = new Float32Array(D);
  const g2 = new Float32Array(D);
  const bias = new Float64Array(K);
  const bg2 = new Float64Array(K);
  const order = Array.from(rows.keys());
  const rand = mulberry32(o.seed);
  const p = new Float64Array(K);
  const counts = labels.map((l) => rows.filter((r) => r.label === l).length);
  const largest = Math.max(...counts);
  const classWeight = counts.map((c) =>
    o.classWeight === 'balanced' ? largest / c : o.classWeight === 'sqrt' ? Math.sqrt(largest / c) : 1,
  );
  o.progress?.(
    `${lang}: ${rows.length} rows, ${K} labels (${labels.map((l, i) => `${l} ${counts[i]}`).join(', ')})`,
  );
  for (let epoch = 1; epoch <= o.epochs; epoch++) {
    shuffleInPlace(order, rand);
    let loss = 0;
    for (const r of order) {
      const f = feats[r]!;
      const y = ys[r]!;
      const scale = f.length > 0 ? 1 / Math.sqrt(f.length) : 0;
      for (let k = 0; k < K; k++) p[k] = 0;
      for (let j = 0; j < f.length; j++) {
        const base = f[j]! * K;
        for (let k = 0; k < K; k++) p[k] = p[k]! + w[base + k]!;
      }
      let max = -Infinity;
      for (let k = 0; k < K; k++) {
        p[k] = p[k]! * scale + bias[k]!;
        if (p[k]! > max) max = p[k]!;
      }
      let sum = 0;
      for (let k = 0; k < K; k++) {
        p[k] = Math.exp(p[k]! - max);
        sum += p[k]!;
      }
      for (let k = 0; k < K; k++) p[k] = p[k]! / sum;
      const cw = classWeight[y]!;
      loss -= cw * Math.log(Math.max(p[y]!, 1e-12));
      for (let k = 0; k < K; k++) {
        const gk = cw * (p[k]! - (k === y ? 1 : 0));
        bg2[k] = bg2[k]! + gk * gk;
        bias[k] = bias[k]! - (o.learningRate * gk) / Math.sqrt(bg2[k]! + 1e-8);
        if (Math.abs(gk) < 1e-6) continue;
        const gs = gk * scale;
        for (let j = 0; j < f.length; j++) {
          const at = f[j]! * K + k;
          const grad = gs + o.l2 * w[at]!;
          g2[at] = g2[at]! + grad * grad;
          w[at] = w[at]! - (o.learningRate * grad) / Math.sqrt(g2[at]! + 1e-8);
        }
      }
    }
    o.progress?.(`${lang}: epoch ${epoch}/${o.epochs} mean loss ${(loss / rows.length).toFixed(4)}`);
  }
  const lm: LanguageModel = {
    lang,
    labels,
    bits: o.bits,
    weights: w,
    bias: Float32Array.from(bias),
    step: 0,
    trainedOn: rows.length,
  };
  pruneAndQuantise(lm, o.maxWeights);
  let nz = 0;
  for (let i = 0; i < w.length; i++) if (w[i] !== 0) nz++;
  o.progress?.(`${lang}: kept ${nz} non-zero weights`);
  return lm;
}

/** Keeps the `max` largest weights, rounds them to int16 steps in place. */
export function pruneAndQuantise(lm: LanguageModel, max: number): void {
  const w = lm.weights;
  let maxAbs = 0;
  let nz = 0;
  for (let i = 0; i < w.length; i++) {
    const a = Math.abs(w[i]!);
    if (a > 0) nz++;
    if (a > maxAbs) maxAbs = a;
  }
  let threshold = 0;
  if (nz > max) {
    const abs = new Float32Array(nz);
    let j = 0;
    for (let i = 0; i < w.length; i++) if (w[i] !== 0) abs[j++] = Math.abs(w[i]!);
    abs.sort();
    threshold = abs[nz - max]!;
  }
  const step = maxAbs > 0 ? maxAbs / 32767 : 1;
  lm.step = step;
  for (let i = 0; i < w.length; i++) {
    const v = w[i]!;
    if (Math.abs(v) < threshold) w[i] = 0;
    else w[i] = dequantise(Math.round(v / step), step);
  }
}

export function dequantise(q: number, step: number): number {
  return Math.fround(q * step);
}

/** Deterministic stand-in for the detected language of a text (as the model routes it). */
export function languageOf(text: string): Language {
  return detectLanguage(normaliseMessage(text));
}
