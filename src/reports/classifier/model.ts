/**
 * The message classifier: one multinomial logistic regression per language (zh, en) over hashed
 * n-gram features, trained by AdaGrad SGD with L2, pruned and quantised so that the model file
 * stays small and a loaded model predicts exactly what the trained one did. The decision between
 * `normal` and the scam labels uses a per-language threshold on P(normal), chosen on out-of-fold
 * predictions of the training rows only (see `train`).
 */
import { normaliseMessage } from '../text/fold.ts';
import { detectLanguage, extractFeatures, FeatureBuffer, featureName, type Language } from './features.ts';
import { fnv1a, mulberry32, shuffleInPlace } from './random.ts';

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
  /** Each hash bucket counts once per message (binary features) rather than once per occurrence. */
  binary: boolean;
  /**
   * `normal` when P(normal) ≥ threshold, else the most probable scam label; `null`: plain arg-max.
   * Only used when the first label is `normal`.
   */
  threshold: number | null;
}

export interface ClassifierModel {
  format: 'interdict-message-classifier';
  version: 2;
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
  /** log2 of hash buckets, for every language (default: zh 16, en 17). */
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
  /**
   * Folds (by a hash of the text) of the training rows whose out-of-fold predictions choose the
   * `normal` threshold of each language; below 2, no threshold (arg-max).
   */
  calibrationFolds?: number;
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
  calibrationFolds: 5,
};

/** Per-language feature settings (bits can be overridden by TrainOptions.bits). */
const LANGUAGE_DEFAULTS: Record<Language, { bits: number; binary: boolean }> = {
  zh: { bits: 16, binary: false },
  en: { bits: 17, binary: true },
};

/** Seed of the calibration folds' hash: differs from the split's, so folds cut across it. */
export const CALIBRATION_SEED = 0x7a11d;

/** Thresholds tried on P(normal). */
const THRESHOLDS = Array.from({ length: 37 }, (_, i) => Math.round((0.05 + i * 0.025) * 1000) / 1000);

// Scratch buffers of the hot path: predict allocates only the normalised string and the result.
const scratch = new FeatureBuffer(2048);
let scores = new Float64Array(16);
/** Per hash bucket: the generation that last saw it, so that a binary model dedupes without clearing. */
let stamp = new Int32Array(1 << 17);
let generation = 0;
/** Number of features the last `score` counted (distinct buckets for a binary model). */
let counted = 0;
/** What `scoreKeeping` read, for `explain`: per distinct bucket, first feature, count, K weights. */
let keepFirst = new Int32Array(1024);
let keepCount = new Int32Array(1024);
let keepWeights = new Int16Array(1024 * 8);
let distinct = 0;
/** The open-addressing table bucket → slot of `scoreKeeping`. */
let tableKeys = new Int32Array(2048);
let tableSlots = new Int32Array(2048);
/** Explain: each slot's contribution, and the best slots. */
let contribution = new Float64Array(1024);
let bestSlots = new Int32Array(16);

function nextGeneration(buckets: number): number {
  if (stamp.length < buckets) {
    stamp = new Int32Array(buckets);
    generation = 0;
  }
  if (++generation === 0x7fffffff) {
    stamp.fill(0);
    generation = 1;
  }
  return generation;
}

/** The model's weights as int16 steps (weight = value × step), made once per model. */
const stepCache = new WeakMap<LanguageModel, Int16Array>();

function steps(lm: LanguageModel): Int16Array {
  let q = stepCache.get(lm);
  if (q === undefined || q.length !== lm.weights.length) {
    const w = lm.weights;
    q = new Int16Array(w.length);
    if (lm.step > 0) for (let i = 0; i < w.length; i++) q[i] = Math.round(w[i]! / lm.step);
    stepCache.set(lm, q);
  }
  return q;
}

/** Normalises and picks the model for a text; `undefined` when the model has no language at all. */
function route(model: ClassifierModel, text: string): { norm: string; lm: LanguageModel } {
  const norm = normaliseMessage(text);
  const lang = detectLanguage(norm);
  const lm = model.languages[lang] ?? model.languages[lang === 'zh' ? 'en' : 'zh'];
  if (!lm) throw new Error('the model holds no language');
  return { norm, lm };
}

/** Scores into `scores` (probabilities after softmax); returns the decided label's index. */
function score(lm: LanguageModel, buf: FeatureBuffer): number {
  const K = lm.labels.length;
  if (scores.length < K) scores = new Float64Array(K);
  // Module buffers read through locals: the hot loop then keeps them in registers.
  const sc = scores;
  for (let k = 0; k < K; k++) sc[k] = 0;
  const mask = (1 << lm.bits) - 1;
  // The int16 steps, half the memory of the float weights: scoring is bound by cache misses.
  const w = steps(lm);
  const n = buf.length;
  const hashes = buf.hashes;
  const binary = lm.binary;
  const g = binary ? nextGeneration(mask + 1) : 0;
  const seen = stamp;
  let m = 0;
  for (let i = 0; i < n; i++) {
    const b = hashes[i]! & mask;
    if (binary) {
      if (seen[b] === g) continue;
      seen[b] = g;
    }
    const base = b * K;
    for (let k = 0; k < K; k++) sc[k] = sc[k]! + w[base + k]!;
    m++;
  }
  return finish(lm, m);
}

/**
 * As `score`, and keeps what it read for `explain`: the distinct buckets of the message (grouped
 * in a small open-addressing table that stays in L1 cache), each with its first feature, its
 * number of occurrences and its K weights. Sums are of int16 steps, exact in any order, so the
 * label and probabilities are exactly those of `score`.
 */
function scoreKeeping(lm: LanguageModel, buf: FeatureBuffer): number {
  const K = lm.labels.length;
  if (scores.length < K) scores = new Float64Array(K);
  const sc = scores;
  for (let k = 0; k < K; k++) sc[k] = 0;
  const mask = (1 << lm.bits) - 1;
  const w = steps(lm);
  const n = buf.length;
  const hashes = buf.hashes;
  const binary = lm.binary;
  if (keepFirst.length < n) {
    keepFirst = new Int32Array(n * 2);
    keepCount = new Int32Array(n * 2);
    contribution = new Float64Array(n * 2);
  }
  if (keepWeights.length < n * K) keepWeights = new Int16Array(n * K * 2);
  let cap = 2048;
  while (cap < n * 2) cap *= 2;
  if (tableKeys.length < cap) {
    tableKeys = new Int32Array(cap);
    tableSlots = new Int32Array(cap);
  }
  const keys = tableKeys;
  const slots = tableSlots;
  const first = keepFirst;
  const count = keepCount;
  const kw = keepWeights;
  keys.fill(-1, 0, cap);
  const cmask = cap - 1;
  let u = 0;
  for (let i = 0; i < n; i++) {
    const b = hashes[i]! & mask;
    let h = Math.imul(b, 0x9e3779b1) & cmask;
    for (;;) {
      const key = keys[h]!;
      if (key === b) {
        const s = slots[h]!;
        count[s] = count[s]! + 1;
        // A repeat adds its weights again (from the kept copy) unless the model is binary.
        if (!binary) for (let k = 0, at = s * K; k < K; k++) sc[k] = sc[k]! + kw[at + k]!;
        break;
      }
      if (key === -1) {
        keys[h] = b;
        slots[h] = u;
        first[u] = i;
        count[u] = 1;
        const base = b * K;
        const at = u * K;
        for (let k = 0; k < K; k++) {
          const v = w[base + k]!;
          kw[at + k] = v;
          sc[k] = sc[k]! + v;
        }
        u++;
        break;
      }
      h = (h + 1) & cmask;
    }
  }
  distinct = u;
  return finish(lm, binary ? u : n);
}

/** Softmax of the sums in `scores` over m counted features; the decided label's index. */
function finish(lm: LanguageModel, m: number): number {
  const K = lm.labels.length;
  counted = m;
  const scale = m > 0 ? lm.step / Math.sqrt(m) : 0;
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
  return decide(lm, scores, K, arg);
}

/** The label index: the `normal` threshold when the model has one, else the arg-max. */
function decide(lm: LanguageModel, p: Float64Array, K: number, arg: number): number {
  const t = lm.threshold;
  if (t === null || K < 2 || lm.labels[0] !== 'normal') return arg;
  if (p[0]! >= t) return 0;
  let best = 1;
  for (let k = 2; k < K; k++) if (p[k]! > p[best]!) best = k;
  return best;
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
  const top = options.explain ?? 5;
  const k = top > 0 ? scoreKeeping(lm, scratch) : score(lm, scratch);
  const K = lm.labels.length;
  const out: Record<string, number> = {};
  for (let j = 0; j < K; j++) out[lm.labels[j]!] = scores[j]!;
  return {
    label: lm.labels[k]!,
    probability: scores[k]!,
    scores: out,
    features: top > 0 ? explain(lm, norm, scratch, k, top) : [],
    language: lm.lang,
  };
}

/**
 * Contribution of each distinct n-gram (hash bucket) to label k, relative to the mean over labels
 * (so that an n-gram common to every label counts for nothing), scaled as in scoring; from what
 * the last `score(…, keep)` recorded, without touching the model again. Only the best few are
 * named (a substring each); the rest stay numbers in reused buffers.
 */
function explain(
  lm: LanguageModel,
  norm: string,
  buf: FeatureBuffer,
  k: number,
  top: number,
): FeatureWeight[] {
  const K = lm.labels.length;
  const binary = lm.binary;
  const m = counted;
  const scale = m > 0 ? lm.step / Math.sqrt(m) : 0;
  const u = distinct;
  const first = keepFirst;
  const count = keepCount;
  const kw = keepWeights;
  const contrib = contribution;
  // A binary model counts a bucket once, a counting model once per occurrence.
  for (let s = 0; s < u; s++)
    contrib[s] = unitContribution(kw, s * K, K, k) * scale * (binary ? 1 : count[s]!);
  // The best `want` positive slots, by insertion into a short sorted list (ties: first seen).
  // English n-grams of different kinds can read the same (the word `win`, the padded 5-gram
  // ` win `) and are merged by name below, so take spares; Chinese ones are all character
  // n-grams, one name per bucket.
  const want = Math.min(lm.lang === 'zh' ? top : top * 2, u);
  if (bestSlots.length < want) bestSlots = new Int32Array(want * 2);
  const best = bestSlots;
  let size = 0;
  let floor = 0;
  for (let s = 0; s < u; s++) {
    const c = contrib[s]!;
    if (c <= floor) continue;
    let at = size < want ? size++ : want - 1;
    while (at > 0 && contrib[best[at - 1]!]! < c) {
      best[at] = best[at - 1]!;
      at--;
    }
    best[at] = s;
    if (size === want) floor = contrib[best[want - 1]!]!;
  }
  // Name them (one substring each); n-grams of different kinds may read the same: merge them.
  const names: string[] = [];
  const weights: number[] = [];
  for (let r = 0; r < size; r++) {
    const s = best[r]!;
    const name = featureName(norm, buf, first[s]!);
    if (name === '') continue;
    const j = names.indexOf(name);
    if (j >= 0) weights[j] = weights[j]! + contrib[s]!;
    else {
      names.push(name);
      weights.push(contrib[s]!);
    }
  }
  const order = names.map((_, i) => i);
  order.sort((a, b) => weights[b]! - weights[a]! || (names[a]! < names[b]! ? -1 : 1));
  const out: FeatureWeight[] = [];
  for (let r = 0; r < order.length && r < top; r++) {
    const i = order[r]!;
    out.push({ feature: names[i]!, weight: Math.round(weights[i]! * 1e4) / 1e4 });
  }
  return out;
}

/** Weight of label k at `base` minus the mean of the K weights there. */
function unitContribution(w: Int16Array, base: number, K: number, k: number): number {
  let mean = 0;
  for (let j = 0; j < K; j++) mean += w[base + j]!;
  return w[base + k]! - mean / K;
}

type Row = { norm: string; label: string; fold: number };

/**
 * Trains one model per language found in the rows (language by script of each text). Labels are
 * used as given (map corpus labels first, see labels.ts). Deterministic for a given seed.
 *
 * With `calibrationFolds` ≥ 2 (default 5), the rows of each language are cut into folds by a hash
 * of their text; a model trained without each fold predicts it, and the P(normal) threshold that
 * maximises F1 on these out-of-fold predictions (the scam label's F1 with two labels, macro-F1
 * with more) becomes the model's decision threshold. Only the given rows are read: pass the
 * training part of a split and the held-out part plays no role in any choice.
 */
export function train(rows: readonly LabelledText[], options: TrainOptions = {}): ClassifierModel {
  const o = { ...DEFAULTS, ...options };
  const folds = Math.floor(o.calibrationFolds);
  const groups: Record<Language, Row[]> = { zh: [], en: [] };
  for (const r of rows) {
    const norm = normaliseMessage(r.text);
    const fold = folds >= 2 ? Math.floor((fnv1a(r.text.trim(), CALIBRATION_SEED) / 4294967296) * folds) : 0;
    groups[detectLanguage(norm)].push({ norm, label: r.label, fold });
  }
  const languages: Partial<Record<Language, LanguageModel>> = {};
  const calibration: Record<string, unknown> = {};
  for (const lang of ['zh', 'en'] as const) {
    const g = groups[lang];
    if (g.length === 0) continue;
    const labels = sortLabels(g.map((r) => r.label));
    const settings = {
      ...LANGUAGE_DEFAULTS[lang],
      ...(options.bits !== undefined ? { bits: options.bits } : {}),
    };
    let threshold: number | null = null;
    if (folds >= 2 && labels.length >= 2 && labels[0] === 'normal') {
      const c = calibrate(lang, g, labels, folds, settings, o);
      threshold = c.threshold;
      calibration[lang] = c;
    }
    const lm = trainLanguage(lang, g, labels, settings, o);
    lm.threshold = threshold;
    languages[lang] = lm;
  }
  const { progress: _progress, ...recorded } = o;
  return {
    format: 'interdict-message-classifier',
    version: 2,
    languages,
    meta: { options: recorded, rows: rows.length, calibration },
  };
}

function sortLabels(labels: string[]): string[] {
  return [...new Set(labels)].sort((a, b) =>
    a === 'normal' ? -1 : b === 'normal' ? 1 : a < b ? -1 : a > b ? 1 : 0,
  );
}

/** Out-of-fold predictions of the rows, and the P(normal) threshold that maximises F1 on them. */
function calibrate(
  lang: Language,
  rows: Row[],
  labels: string[],
  folds: number,
  settings: { bits: number; binary: boolean },
  o: typeof DEFAULTS & TrainOptions,
): { folds: number; rows: number; threshold: number; f1AtArgmax: number; f1AtThreshold: number } {
  const K = labels.length;
  const index = new Map(labels.map((l, i) => [l, i]));
  const truth = new Int32Array(rows.length);
  const pNormal = new Float64Array(rows.length);
  const bestScam = new Int32Array(rows.length);
  const argmax = new Int32Array(rows.length);
  const buf = new FeatureBuffer(2048);
  const quiet = { ...o, progress: undefined };
  for (let f = 0; f < folds; f++) {
    const fit = rows.filter((r) => r.fold !== f);
    if (fit.length === rows.length || fit.length === 0) continue;
    const lm = trainLanguage(lang, fit, labels, settings, quiet);
    rows.forEach((r, i) => {
      if (r.fold !== f) return;
      extractFeatures(r.norm, lang, buf);
      lm.threshold = null;
      argmax[i] = score(lm, buf);
      pNormal[i] = scores[0]!;
      let b = 1;
      for (let k = 2; k < K; k++) if (scores[k]! > scores[b]!) b = k;
      bestScam[i] = b;
      truth[i] = index.get(r.label)!;
    });
  }
  const objective = (pred: (i: number) => number) => f1Objective(truth, pred, K);
  const f1AtArgmax = objective((i) => argmax[i]!);
  let threshold = 0.5;
  let best = -1;
  for (const t of THRESHOLDS) {
    const v = objective((i) => (pNormal[i]! >= t ? 0 : bestScam[i]!));
    // Ties: the threshold nearest 0.5.
    if (v > best + 1e-12 || (Math.abs(v - best) <= 1e-12 && Math.abs(t - 0.5) < Math.abs(threshold - 0.5))) {
      best = v;
      threshold = t;
    }
  }
  const r4 = (v: number) => Math.round(v * 1e4) / 1e4;
  o.progress?.(
    `${lang}: ${folds}-fold calibration: F1 ${r4(f1AtArgmax)} at arg-max, ${r4(best)} with P(normal) threshold ${threshold}`,
  );
  return { folds, rows: rows.length, threshold, f1AtArgmax: r4(f1AtArgmax), f1AtThreshold: r4(best) };
}

/** The scam label's F1 with two labels (label 1), macro-F1 over the labels present with more. */
function f1Objective(truth: Int32Array, pred: (i: number) => number, K: number): number {
  const tp = new Float64Array(K);
  const predicted = new Float64Array(K);
  const actual = new Float64Array(K);
  for (let i = 0; i < truth.length; i++) {
    const p = pred(i);
    const t = truth[i]!;
    predicted[p] = predicted[p]! + 1;
    actual[t] = actual[t]! + 1;
    if (p === t) tp[t] = tp[t]! + 1;
  }
  const f1 = (k: number) => {
    const denominator = predicted[k]! + actual[k]!;
    return denominator > 0 ? (2 * tp[k]!) / denominator : 0;
  };
  if (K === 2) return f1(1);
  let sum = 0;
  let present = 0;
  for (let k = 0; k < K; k++) {
    if (actual[k] === 0) continue;
    sum += f1(k);
    present++;
  }
  return present > 0 ? sum / present : 0;
}

function trainLanguage(
  lang: Language,
  rows: Row[],
  labels: string[],
  settings: { bits: number; binary: boolean },
  o: typeof DEFAULTS & TrainOptions,
): LanguageModel {
  const K = labels.length;
  const index = new Map(labels.map((l, i) => [l, i]));
  const mask = (1 << settings.bits) - 1;
  // Features once per row: bucket indices (distinct ones for a binary model).
  const buf = new FeatureBuffer(2048);
  const seen = new Int32Array(mask + 1);
  const feats: Int32Array[] = [];
  const ys = new Int32Array(rows.length);
  rows.forEach((r, i) => {
    extractFeatures(r.norm, lang, buf);
    const f = new Int32Array(buf.length);
    let m = 0;
    for (let j = 0; j < buf.length; j++) {
      const b = buf.hashes[j]! & mask;
      if (settings.binary) {
        if (seen[b] === i + 1) continue;
        seen[b] = i + 1;
      }
      f[m++] = b;
    }
    feats.push(f.subarray(0, m));
    ys[i] = index.get(r.label)!;
  });
  const D = (mask + 1) * K;
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
    bits: settings.bits,
    weights: w,
    bias: Float32Array.from(bias),
    step: 0,
    trainedOn: rows.length,
    binary: settings.binary,
    threshold: null,
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
