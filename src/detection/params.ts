/**
 * The detectors' parameters as a deployment sets them: one JSON file (`interdict detect --params`,
 * `interdict detect worker --params`, or `INTERDICT_DETECTOR_PARAMS` for the platform and every
 * worker), read once and checked whole before any record is read (docs/detection.md,
 * "Parameters"; the format in docs/formats.md). Only what the file names changes; every other
 * parameter keeps its default. The file's shape:
 *
 *     { "card_limit": { "nationalLimit": 3, "operatorLimits": { "China Mobile": 4 } },
 *       "simbox": { "windowMs": "12h" },
 *       "spoofed_caller": { "cellRegion": "^(\\d{6})-" } }
 *
 * A duration (a parameter whose name ends in `Ms`) is milliseconds or a string such as "90s",
 * "10min", "12h" or "30d". `cellRegion` (fraud_caller, spoofed_caller) is a regular expression
 * whose first group is a cell id's region: the operator's convention, which the defaults cannot
 * know (null: cells are opaque).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import { DEFAULT_CARD_LIMIT_PARAMS, type CardLimitParams } from './detectors/card-limit.ts';
import { DEFAULT_FRAUD_CALLER_PARAMS, type FraudCallerParams } from './detectors/fraud-caller.ts';
import { DEFAULT_IOT_MISUSE_PARAMS, type IotMisuseParams } from './detectors/iot-misuse.ts';
import { DEFAULT_MULE_PARAMS, type MuleParams } from './detectors/mule-account.ts';
import { DEFAULT_VICTIM_PARAMS, type VictimParams } from './detectors/potential-victim.ts';
import { DEFAULT_SIMBOX_PARAMS, type SimboxParams } from './detectors/simbox.ts';
import { DEFAULT_SPOOFED_CALLER_PARAMS, type SpoofedCallerParams } from './detectors/spoofed-caller.ts';
import { DETECTORS, type DetectorName } from './records.ts';

/** What a parameters file sets, per detector: the parameters it names, checked and converted. */
export interface DetectorParams {
  simbox?: Partial<SimboxParams>;
  fraud_caller?: Partial<FraudCallerParams>;
  iot_misuse?: Partial<IotMisuseParams>;
  spoofed_caller?: Partial<SpoofedCallerParams>;
  card_limit?: Partial<CardLimitParams>;
  mule_account?: Partial<MuleParams>;
  potential_victim?: Partial<VictimParams>;
}

/** Every detector's defaults, by name. */
export const DEFAULT_PARAMS: Readonly<Record<DetectorName, object>> = Object.freeze({
  simbox: DEFAULT_SIMBOX_PARAMS,
  fraud_caller: DEFAULT_FRAUD_CALLER_PARAMS,
  iot_misuse: DEFAULT_IOT_MISUSE_PARAMS,
  spoofed_caller: DEFAULT_SPOOFED_CALLER_PARAMS,
  card_limit: DEFAULT_CARD_LIMIT_PARAMS,
  mule_account: DEFAULT_MULE_PARAMS,
  potential_victim: DEFAULT_VICTIM_PARAMS,
});

/** A parameters file that cannot be used: the message names the file and every fault found. */
export class ParamsError extends Error {}

/**
 * Parameters that count things (a limit, a capacity, a number of cards or hops): whole numbers. The
 * others are measures (money, seconds, ratios) and may have fractions.
 */
const WHOLE: Readonly<Record<DetectorName, readonly string[]>> = {
  simbox: ['minOutbound', 'minOutboundOnGateway', 'minImsisPerImei', 'maxImeiCells', 'minCardsPerCell'],
  fraud_caller: ['minOutbound', 'manyCards', 'gatewayImsis', 'minCellVotes', 'minKnownCallees'],
  iot_misuse: ['minVoiceCallees', 'minSmsRecipients'],
  spoofed_caller: [],
  card_limit: ['nationalLimit', 'perOperatorLimit', 'operatorLimits', 'burstMinCards'],
  mule_account: ['minPayers', 'maxHops', 'minRelayChain', 'minRelayChainToCash', 'maxEntries'],
  potential_victim: [
    'callsPerHolder',
    'flaggedCallsPerHolder',
    'payeesPerPayer',
    'candidatesPerHolder',
    'watchPerKey',
    'inflowsPerAccount',
  ],
};

/** Shares of a whole and scores: from 0 to 1. */
const SHARE = /(Ratio|Share|Cover|PassThrough|Band|Score)$|^(smsWeight|minContact|forwardShare)$/;
/** Durations that a detector divides by or steps with: above 0. */
const POSITIVE_MS = /^(windowMs|stateMs|sweepEveryMs|rescanEveryMs|burstWindowMs|jumpWindowMs|newCardMs)$/;
const ENUMS: Readonly<Record<string, readonly string[]>> = {
  'card_limit.burstKey': ['operator', 'operator_region'],
};

/**
 * Relations between a detector's parameters that its formulas need (a divisor above 0, a range that
 * is not empty): each a test of the merged parameters and the fault to report when it fails.
 */
const RULES: Readonly<Record<DetectorName, readonly [(p: Record<string, number>) => boolean, string][]>> = {
  simbox: [
    [(p) => p.minImsisPerImei! >= 3, 'minImsisPerImei must be at least 3 (two IMSIs are a dual-SIM phone)'],
    [(p) => p.minCardsPerCell! >= 2, 'minCardsPerCell must be at least 2'],
    [(p) => p.cvRegular! < p.cvIrregular!, 'cvRegular must be below cvIrregular'],
    [(p) => p.maxCellChanges! > 0, 'maxCellChanges must be above 0'],
    [(p) => p.maxInboundRatio! > 0, 'maxInboundRatio must be above 0'],
  ],
  fraud_caller: [
    [(p) => p.manyCards! >= 2, 'manyCards must be at least 2'],
    [(p) => p.maxSocialRatio! > 0, 'maxSocialRatio must be above 0'],
  ],
  iot_misuse: [],
  spoofed_caller: [],
  card_limit: [],
  mule_account: [
    [
      (p) => p.nightFromHour! <= 24 && p.nightToHour! <= 24,
      'nightFromHour and nightToHour are hours, 0 to 24',
    ],
    [(p) => p.maxHops! >= 1, 'maxHops must be at least 1'],
  ],
  potential_victim: [
    [(p) => p.longCallS! > p.shortCallS!, 'longCallS must be above shortCallS'],
    [
      (p) => p.minAmount! > 0 && p.largeAmount! > p.minAmount!,
      'largeAmount must be above minAmount, and both above 0',
    ],
    [
      (p) => p.callsPerHolder! >= 1 && p.flaggedCallsPerHolder! >= 1,
      'callsPerHolder and flaggedCallsPerHolder must be at least 1',
    ],
  ],
};

const UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1000, min: 60_000, h: 3_600_000, d: 86_400_000 };
const DURATION = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|min|h|d)\s*$/;

/** A duration in ms from a number of ms or a string such as "90s" or "12h"; NaN when neither. */
export function durationMs(v: unknown): number {
  // Whole milliseconds: the detectors' clocks keep times as small integers.
  if (typeof v === 'number') return Math.round(v);
  if (typeof v !== 'string') return NaN;
  const m = DURATION.exec(v);
  return m === null ? NaN : Math.round(Number(m[1]) * UNITS[m[2]!]!);
}

/** A duration in the largest unit that writes it whole ("24h", "90s", "1500ms"). */
export function formatDuration(ms: number): string {
  for (const u of ['d', 'h', 'min', 's'] as const)
    if (ms !== 0 && ms % UNITS[u]! === 0) return `${ms / UNITS[u]!}${u}`;
  return `${ms}ms`;
}

/** The region function of a `cellRegion` pattern, which keeps its source for `describeParams`. */
function regionOf(pattern: string): ((cellId: string) => string | null) & { pattern: string } {
  const re = new RegExp(pattern);
  return Object.assign((cellId: string) => re.exec(cellId)?.[1] ?? null, { pattern });
}

/**
 * The parameters of a file's text (`source` names it in messages). Every fault is collected and
 * reported at once, so a file is mended in one go: an unknown detector or parameter (with the
 * nearest name when one is a slip away), a value of the wrong kind or out of range, and
 * parameters that contradict each other.
 */
export function parseDetectorParams(text: string, source: string): DetectorParams {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ParamsError(`${source}: not JSON (${(err as Error).message})`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new ParamsError(
      `${source}: expected a JSON object with one entry per detector (${DETECTORS.join(', ')})`,
    );
  const faults: string[] = [];
  const out: Record<string, Record<string, unknown>> = {};
  for (const [name, given] of Object.entries(raw as Record<string, unknown>)) {
    if (!(DETECTORS as readonly string[]).includes(name)) {
      const near = nearest(name, DETECTORS);
      faults.push(`${name}: no such detector (${near ? `did you mean ${near}?` : DETECTORS.join(', ')})`);
      continue;
    }
    const detector = name as DetectorName;
    if (typeof given !== 'object' || given === null || Array.isArray(given)) {
      faults.push(`${name}: expected an object of parameters`);
      continue;
    }
    const defaults = DEFAULT_PARAMS[detector] as Record<string, unknown>;
    const set: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(given as Record<string, unknown>)) {
      const at = `${name}.${key}`;
      if (!Object.hasOwn(defaults, key)) {
        const near = nearest(key, Object.keys(defaults));
        faults.push(`${at}: no such parameter${near ? ` (did you mean ${near}?)` : ''}`);
        continue;
      }
      const fault = checkValue(detector, key, v, defaults[key]);
      if (typeof fault === 'string') faults.push(`${at}: ${fault}`);
      else set[key] = fault.value;
    }
    out[name] = set;
  }
  for (const name of Object.keys(out) as DetectorName[]) {
    const merged = {
      ...(DEFAULT_PARAMS[name] as Record<string, number>),
      ...(out[name] as Record<string, number>),
    };
    for (const [ok, fault] of RULES[name]) if (!ok(merged)) faults.push(`${name}: ${fault}`);
  }
  if (faults.length > 0) throw new ParamsError(`${source}: ${faults.join('; ')}`);
  return out as DetectorParams;
}

/** The name of `names` closest to `key` within two edits (case aside); undefined when none is. */
function nearest(key: string, names: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = 3;
  for (const n of names) {
    const d = editDistance(key.toLowerCase(), n.toLowerCase());
    if (d < bestD) [best, bestD] = [n, d];
  }
  return best;
}

/** Levenshtein distance (two short names: the plain dynamic programme). */
function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++)
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[b.length]!;
}

/** A value checked against its default's kind: the value to use, or the fault. */
function checkValue(
  detector: DetectorName,
  key: string,
  v: unknown,
  def: unknown,
): { value: unknown } | string {
  const whole = WHOLE[detector].includes(key);
  if (key === 'cellRegion') {
    if (v === null) return { value: null };
    if (typeof v !== 'string') return 'a regular expression whose first group is the region, or null';
    try {
      const re = new RegExp(v);
      if (new RegExp(`${re.source}|`).exec('')!.length < 2)
        return 'the regular expression needs a group: the region';
    } catch (err) {
      return `not a regular expression (${(err as Error).message})`;
    }
    return { value: regionOf(v) };
  }
  const choices = ENUMS[`${detector}.${key}`];
  if (choices !== undefined)
    return typeof v === 'string' && choices.includes(v) ? { value: v } : `one of ${choices.join(', ')}`;
  if (key.endsWith('Ms')) {
    const ms = durationMs(v);
    if (!Number.isFinite(ms) || ms < 0)
      return 'a duration: milliseconds, or a string such as "90s", "10min", "12h", "30d"';
    if (ms === 0 && POSITIVE_MS.test(key)) return 'must be longer than 0';
    return { value: ms };
  }
  if (typeof def === 'boolean') return typeof v === 'boolean' ? { value: v } : 'true or false';
  if (typeof def === 'number') return checkNumber(key, v, whole) ?? { value: v };
  if (Array.isArray(def)) {
    if (!Array.isArray(v)) return `a list of ${typeof def[0] === 'number' ? 'numbers' : 'names'}`;
    if (typeof def[0] === 'number') {
      const bad = v.find((x) => typeof x !== 'number' || !Number.isFinite(x) || x <= 0);
      return bad === undefined
        ? { value: v.slice() }
        : `a list of amounts above 0 (not ${JSON.stringify(bad)})`;
    }
    const bad = v.find((x) => typeof x !== 'string' || x === '');
    return bad === undefined ? { value: v.slice() } : `a list of names (not ${JSON.stringify(bad)})`;
  }
  // operatorLimits: an operator's name → its limit.
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return 'an object of operator name → limit';
  for (const [k, x] of Object.entries(v)) {
    const fault = checkNumber(key, x, whole);
    if (fault !== undefined) return `${k}: ${fault}`;
  }
  return { value: { ...v } };
}

function checkNumber(key: string, v: unknown, whole: boolean): string | undefined {
  if (typeof v !== 'number' || !Number.isFinite(v)) return 'a number';
  if (key === 'tzOffsetMin') return v >= -840 && v <= 840 ? undefined : 'minutes from UTC, -840 to 840';
  if (v < 0) return 'must not be below 0';
  if (whole && !Number.isInteger(v)) return 'a whole number';
  if (SHARE.test(key) && v > 1) return 'a share, 0 to 1';
  return undefined;
}

/** The parameters of file `file`: a ParamsError when it cannot be read or used. */
export function readDetectorParams(file: string): DetectorParams {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new ParamsError(
      `${file}: cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
    );
  }
  return parseDetectorParams(text, file);
}

const byFile = new Map<string, DetectorParams>();

/**
 * The parameters the platform's configuration names (`INTERDICT_DETECTOR_PARAMS`), read once per
 * process; the defaults when it names none. A ParamsError when the file cannot be used: the
 * platform checks it as it starts (`openCore`), so a bad file stops it there.
 */
export function configuredParams(config: { detectorParamsFile: string | undefined }): DetectorParams {
  const file = config.detectorParamsFile;
  if (file === undefined) return {};
  let p = byFile.get(file);
  if (p === undefined) {
    p = readDetectorParams(file);
    byFile.set(file, p);
  }
  return p;
}

/**
 * Every detector's parameters as they will run (defaults, and what `params` sets), written as a
 * parameters file takes them: durations as "24h", `cellRegion` as its pattern.
 * `parseDetectorParams` of its JSON gives the same parameters back.
 */
export function describeParams(params: DetectorParams = {}): Record<DetectorName, Record<string, unknown>> {
  const out = {} as Record<DetectorName, Record<string, unknown>>;
  for (const name of DETECTORS) {
    const merged: Record<string, unknown> = { ...DEFAULT_PARAMS[name], ...params[name] };
    for (const [k, v] of Object.entries(merged)) {
      if (k.endsWith('Ms') && typeof v === 'number') merged[k] = formatDuration(v);
      else if (k === 'cellRegion')
        merged[k] = v === null ? null : ((v as { pattern?: string }).pattern ?? '(set in code)');
    }
    out[name] = merged;
  }
  return out;
}

/**
 * A short name of the parameters detection runs with (the defaults included): the same for the same
 * values however a file orders or writes them ("24h" or 86400000). Workers save it with their
 * checkpoints, so that `detect status` shows workers of one stream running different files.
 */
export function paramsFingerprint(params: DetectorParams = {}): string {
  return crypto
    .createHash('sha256')
    .update(canonical(describeParams(params)))
    .digest('hex')
    .slice(0, 12);
}

/** JSON with every object's keys sorted. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (typeof v === 'object' && v !== null)
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(v);
}
