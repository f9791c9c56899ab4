import type { Detector, DetectionContext } from '../detector.ts';
import { addAccount, addCard, newContext, withdrawAtEnd, withdrawEnded } from '../detector.ts';
import type { PiiCipher } from '../../privacy/crypto.ts';
import { openHolder } from './reference.ts';
import type { AccountRecord, CardRecord, Detection } from '../records.ts';
import {
  isSnapshotable,
  restoreDetectors,
  snapshotDetectors,
  SnapshotError,
  type ClassRegistry,
} from '../checkpoint.ts';
import type { CheckpointStore, Checkpoint } from './checkpoints.ts';
import { ownerOf, partitionOf } from './route.ts';
import { beforeReportFrom, PREFETCH_AHEAD, type RecordObserver } from '../run.ts';
import { NumberEntries } from '../intern.ts';
import { prefetchCallState } from '../detectors/prefetch.ts';
import type { RecordStream, StreamEntry } from './types.ts';

/**
 * A streaming detection worker (docs/detection.md, "Streaming"): reads the partitions it owns
 * from the record stream in the sequencer's order, shows each record to every detector exactly as
 * the batch runner does, drains at the sequencer's ticks, and hands the detections whose subject
 * it owns to the sink. It checkpoints its position (and, when the detectors allow it, their
 * state) every `checkpointEvery` records or `checkpointEveryMs`, and when stopped.
 *
 * Restart: with a state snapshot (every built-in detector allows one) it resumes right after the
 * saved position. A detector that keeps its state in closures cannot be snapshotted; then the
 * worker rebuilds the state by replaying its partitions from the start of the stream and
 * withholds every detection up to the saved position (the sink had them before the checkpoint
 * was written), so nothing is reported twice. It does the same with a snapshot it cannot restore,
 * such as one written by a build whose detector state differs (an upgrade): `stats.rebuilt` says
 * why, and its next checkpoint, once past the saved position, is a snapshot of this build.
 */
export interface WorkerOptions {
  stream: RecordStream;
  /** The partitions this worker owns (0 … stream.partitions − 1). */
  partitions: readonly number[];
  /** Builds the detectors (fresh ones are needed to restore into). */
  detectors: () => Detector[];
  /** Reference data at start; cards and accounts published into the stream are added as they come. */
  cards?: Iterable<CardRecord>;
  accounts?: Iterable<AccountRecord>;
  /** Opens the holder ids the sequencer sealed in published cards and accounts (stream/reference.ts). */
  pii?: PiiCipher;
  listed?: DetectionContext['listed'];
  /** Where owned detections go; a checkpoint is written only after the sink has resolved. */
  sink: (ds: Detection[]) => Promise<void>;
  checkpoints?: CheckpointStore;
  /** Name of the checkpoint (default: the partition set, e.g. `p8:0-3`). */
  name?: string;
  /** Checkpoint after this many records (default 200 000) … */
  checkpointEvery?: number;
  /** … or this much wall time (ms, default 60 s), whichever comes first. */
  checkpointEveryMs?: number;
  /** Snapshot classes (default: the detector modules' exported classes). */
  classes?: ClassRegistry;
  /** Entries read per batch, and how long a read waits for new ones (ms). */
  readBatch?: number;
  waitMs?: number;
  onError?: (err: unknown) => void;
  /**
   * Sees every record and every drained detection (owned or not), like `runDetection`'s observer
   * (the warnings' contact watch). Built per start, told whether output about a person's number
   * is this worker's (`owns`), whether it is replaying what was already delivered (`replaying`)
   * and whether it is reading the history before `reportFrom` (`history`: nothing of it was or
   * will be delivered).
   */
  observer?: (
    owns: (msisdn: string) => boolean,
    replaying: () => boolean,
    history: () => boolean,
  ) => RecordObserver;
  /**
   * Stream time (epoch ms) from which detections are reported, as `runDetection`'s: the records
   * before it are history the detectors learn from, and a detection whose facts all came before
   * it is withheld (counted in `withheld`, not sunk, not shown to the observer). For a worker that
   * starts cold on a stream that already holds days of records.
   */
  reportFrom?: number;
  /**
   * `paramsFingerprint` of the parameters `detectors` builds with: saved with each checkpoint, and
   * compared with the one restored (`WorkerStats.paramsChanged`).
   */
  params?: string;
}

export interface WorkerStats {
  records: number;
  /** Cards and accounts read from the stream (reference data). */
  reference: number;
  detections: number;
  /** Detections withheld while replaying up to the checkpoint (the sink had them already). */
  replayed: number;
  /** Detections of this worker's partitions withheld as history before `reportFrom`. */
  withheld: number;
  checkpoints: number;
  mode: 'snapshot' | 'replay';
  gseq: number;
  /** Why a checkpoint's snapshot was not restored and the state is being rebuilt by replay. */
  rebuilt?: string;
  /** The checkpoint was saved with other parameters: `<was> → <now>` (the state carries on). */
  paramsChanged?: string;
}

/** `[0, 1, 2, 3, 6]` → `0-3,6`, as `--partitions` takes it. */
export function partitionRanges(partitions: readonly number[]): string {
  const ps = [...partitions].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < ps.length;) {
    let j = i;
    while (j + 1 < ps.length && ps[j + 1] === ps[j]! + 1) j++;
    parts.push(i === j ? `${ps[i]}` : `${ps[i]}-${ps[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

export function partitionSetName(partitions: readonly number[], total: number): string {
  return `p${total}:${partitionRanges(partitions)}`;
}

/** `0-3,6` → [0, 1, 2, 3, 6]. */
export function parsePartitions(spec: string, total: number): number[] {
  const out = new Set<number>();
  for (const part of spec
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) throw new Error(`"${part}" is not a partition or a range (e.g. 0-3,6)`);
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    if (b < a || b >= total) throw new Error(`partitions ${part} are outside 0-${total - 1}`);
    for (let p = a; p <= b; p++) out.add(p);
  }
  if (out.size === 0) throw new Error('no partitions given');
  return [...out].sort((x, y) => x - y);
}

interface Streamed {
  cards: Map<string, CardRecord>;
  accounts: Map<string, AccountRecord>;
}

export class DetectionWorker {
  readonly name: string;
  readonly stats: WorkerStats = {
    records: 0,
    reference: 0,
    detections: 0,
    replayed: 0,
    withheld: 0,
    checkpoints: 0,
    mode: 'replay',
    gseq: 0,
  };
  /** Resolves when the stream's `end` was processed or the worker stopped. */
  readonly done: Promise<void>;
  private resolveDone!: () => void;
  private readonly owned: Set<number>;
  private readonly partitions: number[];
  private detectors: Detector[] = [];
  private ctx!: DetectionContext;
  private cursor = 0;
  private gseq = 0;
  /** Detections drained at or before this gseq were delivered before the checkpoint. */
  private withholdThrough = 0;
  private sinceCheckpoint = 0;
  private lastCheckpointAt = Date.now();
  /** Stream time of the record or tick being processed. */
  private now = -Infinity;
  private running = false;
  private loop: Promise<void> | undefined;
  private ended = false;
  private observer: RecordObserver | null = null;
  /**
   * The cards and accounts that came through the stream, by number, in the order they came (a
   * replaced one moves to the end): saved with the state, since files give only the start.
   */
  private streamed: Streamed = { cards: new Map(), accounts: new Map() };
  /** The numbers of the cards and of the accounts given in files (`pruneStreamed`). */
  private fileCards = new Set<string>();
  private fileAccounts = new Set<string>();
  /** The numbers' shared entries (not state: never in a checkpoint). */
  private readonly numbers = new NumberEntries();
  /** What the reads ahead read, folded together: kept, so that they are not optimised away. */
  prefetched = 0;

  constructor(private readonly o: WorkerOptions) {
    const n = o.stream.partitions;
    for (const p of o.partitions)
      if (!Number.isInteger(p) || p < 0 || p >= n) throw new Error(`partition ${p} is outside 0-${n - 1}`);
    this.partitions = [...new Set(o.partitions)].sort((a, b) => a - b);
    this.owned = new Set(this.partitions);
    this.name = o.name ?? partitionSetName(this.partitions, n);
    this.done = new Promise((r) => (this.resolveDone = r));
  }

  /** Restores from the last checkpoint (if any) and starts reading in the background. */
  async start(): Promise<void> {
    if (this.running) return;
    this.detectors = this.o.detectors();
    this.ctx = newContext(this.o.cards ?? [], this.o.accounts ?? [], this.o.listed);
    this.streamed = { cards: new Map(), accounts: new Map() };
    this.fileCards = new Set(this.ctx.cardsByMsisdn.keys());
    this.fileAccounts = new Set(this.ctx.accountsByNumber.keys());
    const n = this.o.stream.partitions;
    this.observer =
      this.o.observer?.(
        (msisdn) => this.owned.has(partitionOf('msisdn', msisdn, n)),
        () => this.gseq <= this.withholdThrough,
        () => this.now < (this.o.reportFrom ?? -Infinity),
      ) ?? null;
    const snapshots = this.detectors.every(isSnapshotable);
    this.stats.mode = snapshots ? 'snapshot' : 'replay';
    const cp = this.o.checkpoints ? await this.o.checkpoints.load(this.name) : null;
    if (cp) {
      if (cp.partitions.join(',') !== this.partitions.join(','))
        throw new Error(`checkpoint ${this.name} is for partitions ${cp.partitions.join(',')}`);
      let restored = false;
      if (cp.params && this.o.params !== undefined && cp.params !== this.o.params)
        this.stats.paramsChanged = `${cp.params} → ${this.o.params}`;
      if (cp.stateError !== undefined)
        this.stats.rebuilt = `${cp.stateError}; rebuilding the state by replay from the start of the stream`;
      if (snapshots && cp.state) {
        try {
          const { observer, reference } = restoreDetectors(
            cp.state,
            this.detectors,
            this.ctx,
            this.o.classes,
          );
          if (observer !== undefined) this.observer?.restore?.(observer);
          for (const c of reference.cards) this.streamed.cards.set(c.msisdn, c);
          for (const a of reference.accounts) this.streamed.accounts.set(a.account, a);
          this.cursor = cp.cursor;
          this.gseq = cp.gseq;
          restored = true;
        } catch (err) {
          if (!(err instanceof SnapshotError)) throw err;
          // Fresh detectors and context: nothing of the refused snapshot stays.
          this.detectors = this.o.detectors();
          this.ctx = newContext(this.o.cards ?? [], this.o.accounts ?? [], this.o.listed);
          this.streamed = { cards: new Map(), accounts: new Map() };
          this.stats.rebuilt = `${err.message}; rebuilding the state by replay from the start of the stream`;
        }
      }
      if (!restored) {
        // No state to restore: rebuild it from the start, withholding what was delivered.
        this.withholdThrough = cp.gseq;
      }
      this.ended = cp.ended;
      if (cp.ended) this.gseq = cp.gseq;
    }
    this.stats.gseq = this.gseq;
    this.running = true;
    if (this.ended) {
      this.resolveDone();
      return;
    }
    this.loop = this.run().catch((err) => {
      this.running = false;
      this.resolveDone();
      if (this.o.onError) this.o.onError(err);
      else throw err;
    });
  }

  /** Stops reading and checkpoints where it stopped. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    await this.loop;
    await this.checkpoint();
    this.resolveDone();
  }

  private async run(): Promise<void> {
    const batch = this.o.readBatch ?? 5000;
    const wait = this.o.waitMs ?? 500;
    while (this.running && !this.ended) {
      const entries = await this.o.stream.read(this.partitions, this.cursor, batch, wait);
      const n = entries.length;
      for (let k = 0; k < n; k++) {
        const { entry, cursor } = entries[k]!;
        if (!this.running) break;
        // As the file runner does: the call record a couple ahead gets its numbers' entries and
        // its state is read ahead (src/detection/detectors/prefetch.ts), so that its cache misses
        // overlap the work on this one.
        if (k === 0) for (let j = 0; j < PREFETCH_AHEAD && j < n; j++) this.linkAhead(entries[j]!.entry);
        if (k + PREFETCH_AHEAD < n) this.linkAhead(entries[k + PREFETCH_AHEAD]!.entry);
        this.cursor = cursor;
        // A record routed to two of our partitions comes twice: show it once.
        if (entry.gseq <= this.gseq) continue;
        this.gseq = entry.gseq;
        switch (entry.kind) {
          case 'call': {
            const r = entry.record;
            this.now = r.ts;
            if (r.ts >= this.ctx.nextWithdrawalAt) withdrawEnded(this.ctx, r.ts);
            for (const d of this.detectors) d.onCall?.(r, this.ctx);
            this.observer?.onCall(r);
            this.stats.records++;
            this.sinceCheckpoint++;
            break;
          }
          case 'transaction': {
            const t = entry.record;
            this.now = t.ts;
            if (t.ts >= this.ctx.nextWithdrawalAt) withdrawEnded(this.ctx, t.ts);
            for (const d of this.detectors) d.onTransaction?.(t, this.ctx);
            this.stats.records++;
            this.sinceCheckpoint++;
            break;
          }
          case 'card': {
            const c = entry.record;
            this.addCard({ ...c, holderId: openHolder(this.o.pii, c.holderId, entry.gseq) });
            this.stats.reference++;
            break;
          }
          case 'account': {
            const a = entry.record;
            this.addAccount({ ...a, holderId: openHolder(this.o.pii, a.holderId, entry.gseq) });
            this.stats.reference++;
            break;
          }
          case 'tick':
            // A tick follows the record of its time, which withdrew what was due (as in batch).
            this.now = entry.now;
            if (entry.drain) await this.drain(entry.now, false);
            break;
          case 'end':
            this.now = entry.now;
            withdrawAtEnd(this.ctx, entry.now);
            await this.drain(entry.now, true);
            this.ended = true;
            break;
        }
        this.stats.gseq = this.gseq;
        if (
          this.ended ||
          (entry.kind === 'tick' &&
            (this.sinceCheckpoint >= (this.o.checkpointEvery ?? 200_000) ||
              Date.now() - this.lastCheckpointAt >= (this.o.checkpointEveryMs ?? 60_000)))
        )
          await this.checkpoint();
        if (this.ended) break;
      }
    }
    if (this.ended) {
      this.running = false;
      this.resolveDone();
    }
  }

  /** Links a call record to its numbers' entries and reads its state ahead; other entries are left. */
  private linkAhead(e: StreamEntry): void {
    if (e.kind !== 'call') return;
    this.numbers.link(e.record);
    this.prefetched ^= prefetchCallState(e.record);
  }

  private addCard(c: CardRecord): void {
    // A cancelled card of an earlier tenure changes nothing, and is not kept either.
    if (!addCard(this.ctx, c)) return;
    this.streamed.cards.delete(c.msisdn);
    this.streamed.cards.set(c.msisdn, c);
  }

  private addAccount(a: AccountRecord): void {
    if (!addAccount(this.ctx, a)) return;
    this.streamed.accounts.delete(a.account);
    this.streamed.accounts.set(a.account, a);
  }

  private async drain(now: number, final: boolean): Promise<void> {
    const out: Detection[] = [];
    const n = this.o.stream.partitions;
    const from = this.o.reportFrom ?? -Infinity;
    for (const d of this.detectors) {
      let ds = d.drain(now, final, this.ctx);
      if (from > -Infinity && ds.some((x) => beforeReportFrom(x, from))) {
        for (const x of ds)
          if (beforeReportFrom(x, from) && this.owned.has(ownerOf(x, n))) this.stats.withheld++;
        ds = ds.filter((x) => !beforeReportFrom(x, from));
      }
      if (ds.length && this.observer) this.observer.onDetections(ds, now);
      for (const x of ds) if (this.owned.has(ownerOf(x, n))) out.push(x);
    }
    if (out.length === 0) return;
    if (this.gseq <= this.withholdThrough) {
      this.stats.replayed += out.length;
      return;
    }
    await this.o.sink(out);
    this.stats.detections += out.length;
  }

  /**
   * Lets go of the streamed cards given back and accounts closed that stream time has passed:
   * they are gone from every lookup, and kept they would make memory and every checkpoint grow with
   * history. One of a number the files also name is kept: a restart starts from the files, and it
   * must replace that card or account again before it is withdrawn.
   */
  private pruneStreamed(): void {
    const through = this.ctx.withdrawnThrough;
    for (const [k, c] of this.streamed.cards)
      if (c.cancelledAt !== undefined && c.cancelledAt <= through && !this.fileCards.has(k))
        this.streamed.cards.delete(k);
    for (const [k, a] of this.streamed.accounts)
      if (a.closedAt !== undefined && a.closedAt <= through && !this.fileAccounts.has(k))
        this.streamed.accounts.delete(k);
  }

  /** Saves the position (and the state, in snapshot mode) now. */
  async checkpoint(): Promise<void> {
    const store = this.o.checkpoints;
    if (!store || this.gseq === 0 || this.gseq <= this.withholdThrough) return;
    const snap = this.stats.mode === 'snapshot';
    // What the observer handed out is delivered before the checkpoint can cover it.
    await this.observer?.settle?.();
    this.pruneStreamed();
    const cp: Checkpoint = {
      worker: this.name,
      partitions: this.partitions,
      cursor: snap ? this.cursor : 0,
      gseq: this.gseq,
      ended: this.ended,
      params: this.o.params ?? null,
      state: snap
        ? snapshotDetectors(this.detectors, this.ctx, this.o.classes, this.observer?.snapshot?.(), {
            cards: [...this.streamed.cards.values()],
            accounts: [...this.streamed.accounts.values()],
          })
        : null,
    };
    await store.save(cp);
    this.sinceCheckpoint = 0;
    this.lastCheckpointAt = Date.now();
    this.stats.checkpoints++;
  }
}
