import { createHash } from 'node:crypto';
import v8 from 'node:v8';
import { addAccount, addCard, withdrawEnded, type DetectionContext, type Detector } from './detector.ts';
import type { AccountRecord, CardRecord } from './records.ts';
import * as cardLimit from './detectors/card-limit.ts';
import * as common from './detectors/common.ts';
import * as fraudCaller from './detectors/fraud-caller.ts';
import * as iotMisuse from './detectors/iot-misuse.ts';
import * as muleAccount from './detectors/mule-account.ts';
import * as potentialVictim from './detectors/potential-victim.ts';
import * as simbox from './detectors/simbox.ts';
import * as spoofedCaller from './detectors/spoofed-caller.ts';

/**
 * Snapshots of detector state for streaming checkpoints (docs/detection.md, "Streaming").
 * Detectors keep their state in plain data (Maps, Sets, arrays, typed arrays, primitives, plain
 * objects) and in instances of exported classes; `v8.serialize` keeps the data and shared
 * references but not prototypes, so class instances are tagged with their class name on the way
 * out and given their prototype back on the way in. The classes are found by name in a registry
 * built from the exported classes of the detector modules. Functions are not state (parameters
 * such as `cellRegion` come from the fresh detector a snapshot is restored into).
 */

export class SnapshotError extends Error {}

/**
 * A snapshot whose detector state classes are not this build's (an upgrade changed a detector, or
 * it was written before snapshots named their classes' build). Its state may have another shape:
 * restoring it could crash or, worse, detect wrongly, so it is refused and the worker rebuilds
 * the state by replay instead (src/detection/stream/worker.ts).
 */
export class StateMismatchError extends SnapshotError {}

type Ctor = abstract new (...args: never[]) => unknown;

export class ClassRegistry {
  private readonly byName = new Map<string, object>();
  private readonly byProto = new Map<object, string>();
  private print: string | undefined;

  /** Registers classes under their names (a different class of the same name is an error). */
  add(...classes: Ctor[]): this {
    for (const c of classes) {
      const proto = c.prototype as object;
      const known = this.byName.get(c.name);
      if (known === proto) continue;
      if (known) throw new SnapshotError(`two classes named ${c.name} in the snapshot registry`);
      this.byName.set(c.name, proto);
      this.byProto.set(proto, c.name);
      this.print = undefined;
    }
    return this;
  }

  /**
   * What the registered classes are in this build: a hash of their names and source text (their
   * fields, their initialisers and the methods that fill them). Two builds with the same detector
   * code give the same value; any change to a state class gives another.
   */
  fingerprint(): string {
    if (this.print === undefined) {
      const h = createHash('sha256');
      for (const name of [...this.byName.keys()].sort()) {
        const ctor = (this.byName.get(name) as { constructor: unknown }).constructor;
        h.update(`${name}\n${Function.prototype.toString.call(ctor)}\n`);
      }
      this.print = h.digest('hex').slice(0, 16);
    }
    return this.print;
  }

  nameOf(proto: object): string | undefined {
    return this.byProto.get(proto);
  }

  protoOf(name: string): object {
    const p = this.byName.get(name);
    if (!p) throw new SnapshotError(`snapshot names class ${name}, which is not registered`);
    return p;
  }
}

function isClass(v: unknown): v is Ctor {
  return typeof v === 'function' && /^class[\s{]/.test(Function.prototype.toString.call(v));
}

/** Every class exported by the detector modules (and the extra ones given). */
export function detectorClasses(...extra: Ctor[]): ClassRegistry {
  const r = new ClassRegistry();
  for (const m of [
    cardLimit,
    common,
    fraudCaller,
    iotMisuse,
    muleAccount,
    potentialVictim,
    simbox,
    spoofedCaller,
  ])
    for (const v of Object.values(m)) if (isClass(v)) r.add(v);
  return r.add(...extra);
}

const CLASS = '__class__';
const FN = '__fn__';

function isPlain(o: object): boolean {
  const p = Object.getPrototypeOf(o) as object | null;
  return p === Object.prototype || p === null;
}

/** A copy of `value` in which class instances are `{__class__, v}` and functions are markers. */
function encode(value: unknown, reg: ClassRegistry, memo: Map<object, unknown>, path: string): unknown {
  if (typeof value === 'function') return { [FN]: path };
  if (value === null || typeof value !== 'object') return value;
  const seen = memo.get(value);
  if (seen !== undefined) return seen;
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer || value instanceof Date) {
    memo.set(value, value);
    return value;
  }
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    memo.set(value, out);
    for (let i = 0; i < value.length; i++) out.push(encode(value[i], reg, memo, `${path}[${i}]`));
    return out;
  }
  if (value instanceof Map) {
    const out = new Map<unknown, unknown>();
    memo.set(value, out);
    for (const [k, v] of value)
      out.set(encode(k, reg, memo, `${path}.key`), encode(v, reg, memo, `${path}.get(${String(k)})`));
    return out;
  }
  if (value instanceof Set) {
    const out = new Set<unknown>();
    memo.set(value, out);
    for (const v of value) out.add(encode(v, reg, memo, `${path}.item`));
    return out;
  }
  const plain = isPlain(value);
  const name = plain ? '' : reg.nameOf(Object.getPrototypeOf(value) as object);
  if (name === undefined) {
    const cls = (value as { constructor?: { name?: string } }).constructor?.name ?? '?';
    throw new SnapshotError(
      `${path}: an instance of ${cls}, which is not an exported class of a detector module`,
    );
  }
  const fields: Record<string, unknown> = {};
  // Plain objects stay plain unless they could be mistaken for a tag.
  const out = plain && !(CLASS in value) ? fields : { [CLASS]: name, v: fields };
  memo.set(value, out);
  for (const k of Object.keys(value))
    fields[k] = encode((value as Record<string, unknown>)[k], reg, memo, `${path}.${k}`);
  return out;
}

function decode(value: unknown, reg: ClassRegistry, memo: Map<object, unknown>): unknown {
  if (value === null || typeof value !== 'object') return value;
  const seen = memo.get(value);
  if (seen !== undefined) return seen;
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer || value instanceof Date) return value;
  if (Array.isArray(value)) {
    memo.set(value, value);
    for (let i = 0; i < value.length; i++) value[i] = decode(value[i], reg, memo);
    return value;
  }
  if (value instanceof Map) {
    memo.set(value, value);
    const entries = [...value];
    value.clear();
    for (const [k, v] of entries) value.set(decode(k, reg, memo), decode(v, reg, memo));
    return value;
  }
  if (value instanceof Set) {
    memo.set(value, value);
    const items = [...value];
    value.clear();
    for (const v of items) value.add(decode(v, reg, memo));
    return value;
  }
  const o = value as Record<string, unknown>;
  if (typeof o[CLASS] === 'string') {
    const name = o[CLASS];
    const out = (name === '' ? {} : Object.create(reg.protoOf(name))) as Record<string, unknown>;
    memo.set(value, out);
    const fields = o.v as Record<string, unknown>;
    for (const k of Object.keys(fields)) out[k] = decode(fields[k], reg, memo);
    return out;
  }
  memo.set(value, value);
  for (const k of Object.keys(o)) o[k] = decode(o[k], reg, memo);
  return value;
}

function hasFunctionMarker(v: unknown, seen = new Set<object>()): boolean {
  if (v === null || typeof v !== 'object' || seen.has(v)) return false;
  seen.add(v);
  if (FN in v) return true;
  if (ArrayBuffer.isView(v)) return false;
  const items =
    v instanceof Map ? [...v.keys(), ...v.values()] : v instanceof Set ? [...v] : Object.values(v);
  return items.some((x) => hasFunctionMarker(x, seen));
}

/** `value` as bytes: shared references and cycles kept, class instances tagged. */
export function snapshot(value: unknown, reg: ClassRegistry = detectorClasses()): Buffer {
  return v8.serialize(encode(value, reg, new Map(), '$'));
}

/** The value `snapshot` was given, with prototypes (functions come back as `{__fn__: path}` markers). */
export function restore(bytes: Uint8Array, reg: ClassRegistry = detectorClasses()): unknown {
  return decode(v8.deserialize(bytes), reg, new Map());
}

/**
 * A detector's state: its own fields but its name and its parameters (`p`). Parameters are
 * configuration: a worker restarted with new settings, or after an upgrade that added one, runs
 * with the fresh detector's, never with those of the checkpoint.
 */
function stateFields(d: Detector): string[] {
  return Object.keys(d).filter(
    (k) => k !== 'name' && k !== 'p' && typeof (d as unknown as Record<string, unknown>)[k] !== 'function',
  );
}

/** Whether a detector's state can be snapshotted: it keeps its state in its own fields. */
export function isSnapshotable(d: Detector): boolean {
  return stateFields(d).length > 0;
}

interface DetectorsState {
  /** `ClassRegistry.fingerprint()` of the build that wrote it (absent before it was recorded). */
  classes?: string;
  detectors: { name: string; fields: Record<string, unknown> }[];
  flaggedNumbers: DetectionContext['flaggedNumbers'];
  flaggedAccounts: DetectionContext['flaggedAccounts'];
  /** Absent in snapshots written before victims' payments were shared. */
  victimPayments?: DetectionContext['victimPayments'];
  /** The worker's record observer's state (the warnings' contact watch), when it keeps one. */
  observer?: unknown;
  /** Cards and accounts the worker got from the stream (the files give only the start). */
  reference?: StreamedReference;
  /** `ctx.cardsVersion`: put back after the reference, so that `card_limit` rescans as it would have. */
  cardsVersion?: number;
  /** `ctx.withdrawnThrough`: the cancelled cards and closed accounts withdrawn by then are withdrawn again on restore. */
  withdrawnThrough?: number;
}

/** Reference data that came through the record stream, in the order it came. */
export interface StreamedReference {
  cards: CardRecord[];
  accounts: AccountRecord[];
}

/** The state of `detectors`, the flags they share and the observer's state (plain data), as bytes. */
export function snapshotDetectors(
  detectors: readonly Detector[],
  ctx: DetectionContext,
  reg: ClassRegistry = detectorClasses(),
  observer?: unknown,
  reference?: StreamedReference,
): Buffer {
  const state: DetectorsState = {
    classes: reg.fingerprint(),
    ...(observer !== undefined && { observer }),
    ...(reference !== undefined && { reference }),
    cardsVersion: ctx.cardsVersion,
    withdrawnThrough: ctx.withdrawnThrough,
    detectors: detectors.map((d) => {
      const fields: Record<string, unknown> = {};
      for (const k of stateFields(d)) fields[k] = (d as unknown as Record<string, unknown>)[k];
      return { name: d.name, fields };
    }),
    flaggedNumbers: ctx.flaggedNumbers,
    flaggedAccounts: ctx.flaggedAccounts,
    victimPayments: ctx.victimPayments,
  };
  return snapshot(state, reg);
}

/**
 * Puts a snapshot's state into freshly built detectors (same names, same order, same parameters)
 * and their context. Fields that held functions keep the fresh detector's values. Returns the
 * observer's state (undefined when the snapshot has none) and the reference data the worker had
 * from the stream (added back to `ctx` here, after what `ctx` already holds from files). A
 * snapshot of another build's state classes is refused with `StateMismatchError` before anything
 * is changed.
 */
export function restoreDetectors(
  bytes: Uint8Array,
  detectors: readonly Detector[],
  ctx: DetectionContext,
  reg: ClassRegistry = detectorClasses(),
): { observer: unknown; reference: StreamedReference } {
  const raw = v8.deserialize(bytes) as DetectorsState;
  // Checked before anything is decoded or put back: a refused snapshot leaves the detectors fresh.
  if (raw.classes !== reg.fingerprint())
    throw new StateMismatchError(
      raw.classes === undefined
        ? 'the snapshot was written before snapshots named the build of their detector state'
        : `the snapshot's detector state is of another build (classes ${raw.classes}, this build ${reg.fingerprint()})`,
    );
  const s = decode(raw, reg, new Map()) as DetectorsState;
  if (s.detectors.length !== detectors.length || s.detectors.some((x, i) => x.name !== detectors[i]!.name))
    throw new SnapshotError(
      `the snapshot holds detectors ${s.detectors.map((x) => x.name).join(',')}, not ${detectors.map((d) => d.name).join(',')}`,
    );
  s.detectors.forEach((x, i) => {
    const d = detectors[i] as unknown as Record<string, unknown>;
    // `p` too is skipped: checkpoints written before parameters were left out still hold them.
    for (const [k, v] of Object.entries(x.fields)) if (k !== 'p' && !hasFunctionMarker(v)) d[k] = v;
  });
  ctx.flaggedNumbers.clear();
  for (const [k, v] of s.flaggedNumbers) ctx.flaggedNumbers.set(k, v);
  ctx.flaggedAccounts.clear();
  for (const [k, v] of s.flaggedAccounts) ctx.flaggedAccounts.set(k, v);
  ctx.victimPayments.clear();
  for (const [k, v] of s.victimPayments ?? []) ctx.victimPayments.set(k, v);
  const reference = s.reference ?? { cards: [], accounts: [] };
  // Every card here was taken when it came (only those are kept), so each is taken again.
  for (const c of reference.cards) addCard(ctx, c, true);
  for (const a of reference.accounts) addAccount(ctx, a, true);
  if (s.withdrawnThrough !== undefined) withdrawEnded(ctx, s.withdrawnThrough);
  if (s.cardsVersion !== undefined) ctx.cardsVersion = s.cardsVersion;
  return { observer: s.observer, reference };
}
