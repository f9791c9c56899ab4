import fs from 'node:fs';
import type { Detector, DetectionContext } from './detector.ts';
import { addAccount, addCard, newContext, withdrawAtEnd, withdrawEnded } from './detector.ts';
import { RejectFiles } from './rejects.ts';
import { prefetchCallState } from './detectors/prefetch.ts';
import { Interner } from './intern.ts';
import {
  ACCOUNTS,
  CALLS,
  CARDS,
  checkHeader,
  DEFAULT_LATENESS_MS,
  filesOf,
  readMergedBatches,
  readRecordBatches,
  TRANSACTIONS,
} from './parse.ts';
import type { CallRecord, Detection, TransactionRecord } from './records.ts';

/**
 * Batch detection over files (`interdict detect`): cards and accounts first (the reference data),
 * then call records and transactions merged in time order, each record shown to every detector,
 * detections drained as stream time passes and written as NDJSON. Bad rows go to
 * `<file>.rejects.ndjson` with line and reason; the good ones are all processed. The same
 * detectors run on the bus in streaming; the order of records is what makes both agree.
 */
export interface DetectFiles {
  /** One file or several (cards of several operators, accounts of several banks), read in turn. */
  cards?: string | readonly string[];
  accounts?: string | readonly string[];
  /** One file or several (several switches), merged in time order (`mergeByTime`). */
  calls?: string | readonly string[];
  transactions?: string | readonly string[];
}

export interface DetectResult {
  cards: number;
  accounts: number;
  calls: number;
  transactions: number;
  rejected: Record<string, number>;
  rejectFiles: string[];
  detections: number;
  byDetector: Record<string, number>;
  /** Detections of facts before `reportFrom`: the records before it only built the detectors' memory. */
  withheld: number;
}

/**
 * Sees what the detectors see, in the same order: every call record after the detectors had it, and
 * every detection as it is drained (the warnings' contact watch: docs/warnings.md).
 */
export interface RecordObserver {
  onCall(r: CallRecord): void;
  onDetections(ds: readonly Detection[], now: number): void;
  /**
   * In a stream worker's checkpoints (src/detection/stream/worker.ts): the observer's state as
   * plain data, put back into a fresh observer on restart, and `settle` called before a checkpoint
   * is written, to deliver what was handed out so far (a checkpoint never covers an undelivered
   * result: after a crash the records past it are read again and give it again).
   */
  snapshot?(): unknown;
  restore?(state: unknown): void;
  settle?(): Promise<void>;
}

/**
 * How many records ahead of the one handed to the call detectors `prefetchCallState` reads (measured:
 * 1 to 4 do about as well; further, the reads are evicted again before they are used).
 */
export const PREFETCH_AHEAD = 2;

/** What `prefetchCallState` read, summed: kept, so that its reads are not optimised away. */
export let prefetched = 0;

/** How often (stream time) detectors are asked for finished episodes. */
const DRAIN_EVERY_MS = 60_000;

/** How often (stream time) the entries of quiet numbers are let go (`Interner.dropQuietEntries`). */
const ENTRIES_EVERY_MS = 86_400_000;

export async function runDetection(
  files: DetectFiles,
  detectors: readonly Detector[],
  opts: {
    emit: (d: Detection) => void;
    format?: string;
    listed?: DetectionContext['listed'];
    /** Rows of the call and transaction files gone through so far: processed and rejected. */
    onProgress?: (rows: number) => void;
    observer?: RecordObserver;
    /** The interner the files are read through (a fresh one when not given; tests look into it). */
    interner?: Interner;
    /**
     * How far out of time order a call or transaction file may be (ms, default
     * `DEFAULT_LATENESS_MS`): put back in order within it, rejected beyond (docs/formats.md, "Order").
     */
    latenessMs?: number;
    /**
     * Stream time (epoch ms) from which detections are reported. The records before it are history:
     * the detectors learn from them (a payer's known payees, two-way partners, cell regions, flags),
     * and a detection whose facts all came before it (`window.to`) is withheld (counted, not
     * emitted, not shown to the observer); a holder over the card limit is a standing state and is
     * reported all the same. Without history every payee is new and every number a stranger at
     * the start of a run.
     */
    reportFrom?: number;
  },
): Promise<DetectResult> {
  const observer = opts.observer;
  const rejects = new RejectFiles();
  const rejected = rejects.counts;
  const rejectFiles = rejects.paths;
  /** Rejected rows of the call and transaction files (progress counts those files' rows). */
  let rejectedRows = 0;
  const onReject = (file: string, records = false) => {
    const write = rejects.of(file);
    return (line: number, reason: string, raw: string) => {
      if (records) rejectedRows++;
      write(line, reason, raw);
    };
  };
  const ctx = newContext([], [], opts.listed);
  const out: DetectResult = {
    cards: 0,
    accounts: 0,
    calls: 0,
    transactions: 0,
    rejected,
    rejectFiles,
    detections: 0,
    byDetector: {},
    withheld: 0,
  };
  const reportFrom = opts.reportFrom ?? -Infinity;
  const isHistory = (d: Detection) => beforeReportFrom(d, reportFrom);
  const emit = (drained: Detection[], now: number) => {
    let ds = drained;
    if (reportFrom > -Infinity && ds.some(isHistory)) {
      ds = ds.filter((d) => !isHistory(d));
      out.withheld += drained.length - ds.length;
    }
    if (observer && ds.length) observer.onDetections(ds, now);
    for (const d of ds) {
      out.detections++;
      out.byDetector[d.detector] = (out.byDetector[d.detector] ?? 0) + 1;
      opts.emit(d);
    }
  };
  // One interner for every file: a card's number and the same number in a call record are then
  // the same string, and Map lookups on it compare pointers.
  const interner = opts.interner ?? new Interner(undefined, internerCapacity(files));
  const f = opts.format ? { format: opts.format, interner } : { interner };
  try {
    // Every file's header is checked before anything is processed.
    const kinds = { cards: CARDS, accounts: ACCOUNTS, calls: CALLS, transactions: TRANSACTIONS };
    await Promise.all(
      (Object.keys(kinds) as (keyof DetectFiles)[]).flatMap((k) =>
        filesOf(files[k]).map((file) => checkHeader(file, kinds[k] as typeof CARDS, opts.format)),
      ),
    );
    for (const file of filesOf(files.cards))
      for await (const batch of readRecordBatches(file, CARDS, { ...f, onReject: onReject(file) }))
        for (const c of batch) {
          addCard(ctx, c);
          out.cards++;
        }
    for (const file of filesOf(files.accounts))
      for await (const batch of readRecordBatches(file, ACCOUNTS, { ...f, onReject: onReject(file) }))
        for (const a of batch) {
          addAccount(ctx, a);
          out.accounts++;
        }
    // Records come a chunk at a time (one await per chunk, not per record); the merge below still
    // hands them to the detectors one by one in time order, draining at the same stream times.
    const order = { latenessMs: opts.latenessMs ?? DEFAULT_LATENESS_MS };
    const calls = readMergedBatches(filesOf(files.calls), CALLS, { ...f, order }, (file) =>
      onReject(file, true),
    );
    const txns = readMergedBatches(filesOf(files.transactions), TRANSACTIONS, { ...f, order }, (file) =>
      onReject(file, true),
    );
    const callDs = detectors.filter((d) => d.onCall);
    const txnDs = detectors.filter((d) => d.onTransaction);
    const none: never[] = [];
    let cb: CallRecord[] = calls ? ((await calls.next()).value ?? none) : none;
    let tb: TransactionRecord[] = txns ? ((await txns.next()).value ?? none) : none;
    const loop: MergeLoop = {
      ctx,
      callDs,
      txnDs,
      detectors,
      emit,
      interner,
      observer,
      onProgress: opts.onProgress,
      rejected: () => rejectedRows,
      ci: 0,
      ti: 0,
      now: 0,
      lastDrain: -Infinity,
      nextEntriesTurn: -Infinity,
      n: 0,
      read: 0,
      calls: 0,
      transactions: 0,
    };
    for (;;) {
      if (loop.ci === cb.length && cb !== none) {
        cb = (await calls!.next()).value ?? none;
        loop.ci = 0;
      }
      if (loop.ti === tb.length && tb !== none) {
        tb = (await txns!.next()).value ?? none;
        loop.ti = 0;
      }
      if (cb === none && tb === none) break;
      mergeBatches(loop, cb, tb, cb === none, tb === none);
    }
    out.calls = loop.calls;
    out.transactions = loop.transactions;
    const now = loop.now;
    const n = loop.n;
    withdrawAtEnd(ctx, now);
    for (const d of detectors) emit(d.drain(now, true, ctx), now);
    prefetched ^= loop.read;
    opts.onProgress?.(n + rejectedRows);
  } finally {
    await rejects.close();
  }
  return out;
}

/** The merge of call records and transactions (`runDetection`): where it is, and what it feeds. */
interface MergeLoop {
  readonly ctx: DetectionContext;
  readonly callDs: readonly Detector[];
  readonly txnDs: readonly Detector[];
  readonly detectors: readonly Detector[];
  readonly emit: (ds: Detection[], now: number) => void;
  readonly interner: Interner;
  readonly observer: RecordObserver | undefined;
  readonly onProgress: ((rows: number) => void) | undefined;
  readonly rejected: () => number;
  /** Next record of the current batch of calls and of transactions. */
  ci: number;
  ti: number;
  /** Stream time: the time of the record handed out last. */
  now: number;
  lastDrain: number;
  nextEntriesTurn: number;
  /** Records handed out. */
  n: number;
  /** What `prefetchCallState` read, folded together. */
  read: number;
  calls: number;
  transactions: number;
}

/**
 * Hands out the records of batches `cb` and `tb` in time order until one of them is used up (unless
 * its input has ended: `callsEnded`, `txnsEnded`), draining the detectors as stream time passes.
 * Not part of `runDetection`: an async function keeps its variables in a heap context, and a time
 * stored there was a new boxed number at every record (docs/detection.md, "Throughput").
 */
function mergeBatches(
  m: MergeLoop,
  cb: readonly CallRecord[],
  tb: readonly TransactionRecord[],
  callsEnded: boolean,
  txnsEnded: boolean,
): void {
  const { ctx, callDs, txnDs, detectors } = m;
  const nCallDs = callDs.length;
  const nTxnDs = txnDs.length;
  let ci = m.ci;
  let ti = m.ti;
  const cn = cb.length;
  const tn = tb.length;
  while ((ci < cn || callsEnded) && (ti < tn || txnsEnded)) {
    const c = ci < cn ? cb[ci]! : null;
    const t = ti < tn ? tb[ti]! : null;
    if (c === null && t === null) break;
    let now: number;
    if (t === null || (c !== null && c.ts <= t.ts)) {
      const r = c!;
      if (nCallDs > 0 && ci + PREFETCH_AHEAD < cn) m.read ^= prefetchCallState(cb[ci + PREFETCH_AHEAD]!);
      now = r.ts;
      if (now >= ctx.nextWithdrawalAt) withdrawEnded(ctx, now);
      for (let i = 0; i < nCallDs; i++) callDs[i]!.onCall!(r, ctx);
      m.observer?.onCall(r);
      m.calls++;
      ci++;
    } else {
      now = t.ts;
      if (now >= ctx.nextWithdrawalAt) withdrawEnded(ctx, now);
      for (let i = 0; i < nTxnDs; i++) txnDs[i]!.onTransaction!(t, ctx);
      m.transactions++;
      ti++;
    }
    m.now = now;
    if (now - m.lastDrain >= DRAIN_EVERY_MS) {
      if (m.lastDrain !== -Infinity) for (const d of detectors) m.emit(d.drain(now, false, ctx), now);
      m.lastDrain = now;
      if (now >= m.nextEntriesTurn) {
        // The numbers' entries keep states the sweeps dropped: memory would follow every number
        // heard since the interner was last cleared, not the active ones (docs/detection.md).
        if (m.nextEntriesTurn !== -Infinity) m.interner.dropQuietEntries();
        m.nextEntriesTurn = now + ENTRIES_EVERY_MS;
      }
    }
    if (++m.n % 100_000 === 0) m.onProgress?.(m.n + m.rejected());
  }
  m.ci = ci;
  m.ti = ti;
}

/**
 * Whether detection `d` is of the history before `reportFrom` (`--report-from`, batch and stream
 * worker alike): all its facts came before it. Holding more cards than allowed is a standing
 * state, not an event of the history: reported whenever it holds, however long ago the cards
 * were activated.
 */
export function beforeReportFrom(d: Detection, reportFrom: number): boolean {
  return d.window.to < reportFrom && !(d.detector === 'card_limit' && d.subjectKind === 'holder');
}

/**
 * Table slots for what the reference files will intern (numbers, IMSIs, accounts, holders: about a
 * value per 40 bytes), at most half full: sized once rather than doubled and rehashed row by row
 * (a tenth of the time of loading 74,000 accounts went to that).
 */
export function internerCapacity(files: DetectFiles): number {
  let bytes = 0;
  for (const f of [...filesOf(files.cards), ...filesOf(files.accounts)])
    try {
      bytes += fs.statSync(f).size;
    } catch {
      // Unreadable: reported when it is read.
    }
  let capacity = 1 << 14;
  while (capacity < (bytes / 40) * 2 && capacity < 1 << 20) capacity *= 2;
  return capacity;
}
