/**
 * Model files: JSON with each language's non-zero weights as base64 of (LEB128 index deltas,
 * int16 LE values × step). A `.gz` file name is gzip-compressed. Loading reproduces the trained
 * weights bit for bit, so a loaded model predicts exactly what the trained one did.
 */
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { dequantise, type ClassifierModel, type LanguageModel } from './model.ts';
import type { Language } from './features.ts';

interface LanguageJson {
  labels: string[];
  bits: number;
  bias: number[];
  step: number;
  trainedOn: number;
  /** Each hash bucket counts once per message. */
  binary: boolean;
  /** P(normal) threshold of the decision, or null for arg-max. */
  threshold: number | null;
  nonZero: number;
  /** base64: LEB128 deltas of the flat indices of the non-zero weights. */
  index: string;
  /** base64: int16 little-endian weights, in index order (weight = value × step). */
  values: string;
}

interface ModelJson {
  format: 'interdict-message-classifier';
  version: 2;
  meta: Record<string, unknown>;
  languages: Partial<Record<Language, LanguageJson>>;
}

export class ModelFormatError extends Error {
  override name = 'FileFormatError';
}

function encodeLanguage(lm: LanguageModel): LanguageJson {
  const w = lm.weights;
  let nz = 0;
  for (let i = 0; i < w.length; i++) if (w[i] !== 0) nz++;
  const idx = Buffer.alloc(nz * 5);
  const vals = Buffer.alloc(nz * 2);
  let p = 0;
  let v = 0;
  let prev = 0;
  for (let i = 0; i < w.length; i++) {
    if (w[i] === 0) continue;
    let d = i - prev;
    prev = i;
    while (d >= 0x80) {
      idx[p++] = (d & 0x7f) | 0x80;
      d >>>= 7;
    }
    idx[p++] = d;
    vals.writeInt16LE(Math.round(w[i]! / lm.step), v);
    v += 2;
  }
  return {
    labels: lm.labels,
    bits: lm.bits,
    bias: Array.from(lm.bias),
    step: lm.step,
    trainedOn: lm.trainedOn,
    binary: lm.binary,
    threshold: lm.threshold,
    nonZero: nz,
    index: idx.subarray(0, p).toString('base64'),
    values: vals.toString('base64'),
  };
}

function decodeLanguage(lang: Language, j: LanguageJson): LanguageModel {
  if (
    !Array.isArray(j.labels) ||
    j.labels.length === 0 ||
    !Number.isInteger(j.bits) ||
    j.bits < 4 ||
    j.bits > 26
  )
    throw new ModelFormatError(`model language ${lang}: bad labels or bits`);
  const K = j.labels.length;
  const weights = new Float32Array((1 << j.bits) * K);
  const idx = Buffer.from(j.index, 'base64');
  const vals = Buffer.from(j.values, 'base64');
  if (vals.length !== j.nonZero * 2) throw new ModelFormatError(`model language ${lang}: truncated weights`);
  let p = 0;
  let at = 0;
  for (let n = 0; n < j.nonZero; n++) {
    let d = 0;
    let shift = 0;
    for (;;) {
      const b = idx[p++];
      if (b === undefined) throw new ModelFormatError(`model language ${lang}: truncated index`);
      d += (b & 0x7f) * 2 ** shift;
      shift += 7;
      if (b < 0x80) break;
    }
    at += d;
    if (at >= weights.length) throw new ModelFormatError(`model language ${lang}: index out of range`);
    weights[at] = dequantise(vals.readInt16LE(n * 2), j.step);
  }
  if (j.bias.length !== K) throw new ModelFormatError(`model language ${lang}: bias length`);
  if (typeof j.binary !== 'boolean' || !(j.threshold === null || (j.threshold > 0 && j.threshold < 1)))
    throw new ModelFormatError(`model language ${lang}: bad binary flag or threshold`);
  return {
    lang,
    labels: j.labels,
    bits: j.bits,
    weights,
    bias: Float32Array.from(j.bias),
    step: j.step,
    trainedOn: j.trainedOn,
    binary: j.binary,
    threshold: j.threshold,
  };
}

export function modelToJson(model: ClassifierModel): string {
  const languages: Partial<Record<Language, LanguageJson>> = {};
  for (const lang of ['zh', 'en'] as const) {
    const lm = model.languages[lang];
    if (lm) languages[lang] = encodeLanguage(lm);
  }
  const out: ModelJson = { format: model.format, version: model.version, meta: model.meta, languages };
  return JSON.stringify(out) + '\n';
}

export function modelFromJson(text: string): ClassifierModel {
  let j: ModelJson;
  try {
    j = JSON.parse(text) as ModelJson;
  } catch (err) {
    throw new ModelFormatError(`not a model file: ${(err as Error).message}`);
  }
  if (j?.format !== 'interdict-message-classifier')
    throw new ModelFormatError('not an interdict message classifier model (format/version)');
  if (j.version !== 2)
    throw new ModelFormatError(
      `model format version ${String(j.version)}: this build reads version 2 (features changed); retrain with "interdict model train"`,
    );
  const languages: Partial<Record<Language, LanguageModel>> = {};
  for (const lang of ['zh', 'en'] as const) {
    const lj = j.languages?.[lang];
    if (lj) languages[lang] = decodeLanguage(lang, lj);
  }
  if (!languages.zh && !languages.en) throw new ModelFormatError('the model holds no language');
  return { format: j.format, version: 2, meta: j.meta ?? {}, languages };
}

/** Writes a model; gzip-compressed when the file name ends in `.gz`. */
export function saveModel(model: ClassifierModel, file: string): number {
  const json = modelToJson(model);
  const data = file.endsWith('.gz') ? zlib.gzipSync(json, { level: 9 }) : Buffer.from(json);
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  fs.writeFileSync(file, data);
  return data.length;
}

export function loadModel(file: string): ClassifierModel {
  let data: Buffer;
  try {
    data = fs.readFileSync(file);
  } catch (err) {
    throw new ModelFormatError(
      `cannot read model ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
  const text =
    data[0] === 0x1f && data[1] === 0x8b ? zlib.gunzipSync(data).toString('utf8') : data.toString('utf8');
  try {
    return modelFromJson(text);
  } catch (err) {
    if (err instanceof ModelFormatError) err.message = `${file}: ${err.message}`;
    throw err;
  }
}

/** The folder holding package.json, walking up from this module (src/… under tsx, dist/server/… built). */
export function packageRoot(from: string = path.dirname(fileURLToPath(import.meta.url))): string {
  let dir = from;
  for (;;) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`no package.json above ${from}`);
    dir = up;
  }
}

export const DEFAULT_MODEL_PATH = 'models/classifier.json';

/** The default model file: `models/classifier.json` (or `.json.gz`) under the package root. */
export function defaultModelFile(): string {
  const root = packageRoot();
  const plain = path.join(root, DEFAULT_MODEL_PATH);
  const gz = plain + '.gz';
  return fs.existsSync(plain) || !fs.existsSync(gz) ? plain : gz;
}

let cached: ClassifierModel | undefined;

/** Loads (once) the model shipped with the package. */
export function loadDefaultModel(): ClassifierModel {
  cached ??= loadModel(defaultModelFile());
  return cached;
}
