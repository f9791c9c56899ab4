import {
  ACCOUNTS,
  CALLS,
  CARDS,
  DEFAULT_LATENESS_MS,
  filesOf,
  readMergedBatches,
  readRecords,
  TRANSACTIONS,
  type OrderOptions,
} from '../parse.ts';
import type { AccountRecord, CallRecord, CardRecord, TransactionRecord } from '../records.ts';
import type { PiiCipher } from '../../privacy/crypto.ts';
import type { RejectFiles } from '../rejects.ts';
import { Sequencer } from './route.ts';
import type { RecordStream } from './types.ts';

/** Reference data the detectors look up (cards, accounts). */
export interface Reference {
  cards: CardRecord[];
  accounts: AccountRecord[];
}

/**
 * Cards and accounts from files. Bad rows are skipped and counted, and with `rejects` written to
 * the file's reject file, as `interdict detect` does.
 */
export async function loadReference(
  files: { cards?: string | readonly string[]; accounts?: string | readonly string[]; format?: string },
  rejects?: RejectFiles,
): Promise<Reference & { rejected: number }> {
  const f = files.format ? { format: files.format } : {};
  let rejected = 0;
  const onReject = (file: string) => {
    const write = rejects?.of(file);
    return (line: number, reason: string, raw: string) => {
      rejected++;
      write?.(line, reason, raw);
    };
  };
  const cards: CardRecord[] = [];
  const accounts: AccountRecord[] = [];
  for (const file of filesOf(files.cards))
    for await (const c of readRecords(file, CARDS, { ...f, onReject: onReject(file) })) cards.push(c);
  for (const file of filesOf(files.accounts))
    for await (const a of readRecords(file, ACCOUNTS, { ...f, onReject: onReject(file) })) accounts.push(a);
  return { cards, accounts, rejected };
}

export type StreamRecord =
  { kind: 'call'; record: CallRecord } | { kind: 'transaction'; record: TransactionRecord };

/** What a publish did with its records (reference data not counted). */
export interface Published {
  /** Appended to the stream. */
  published: number;
  /**
   * Skipped: the stream already had them and the workers had not acted on them yet (a publish
   * started again over what an earlier one appended after its last tick: `Sequencer`).
   */
  already: number;
}

/**
 * Publishes records (already in time order) into the stream, after the cards and accounts of
 * `reference` if any; with `end`, closes the input so the workers drain with `final` (one-off
 * files, tests). Every record goes to every worker (route.ts). A record the stream holds after its
 * last tick is not appended again.
 */
export async function publishRecords(
  stream: RecordStream,
  records: Iterable<StreamRecord> | AsyncIterable<StreamRecord>,
  opts: {
    end?: boolean;
    onProgress?: (n: number) => void;
    /** Cards and accounts published before the records: every worker adds them to its lookups. */
    reference?: Partial<Reference>;
    /** Seals the reference data's holder ids (stream/reference.ts). */
    pii?: PiiCipher;
    /** The publisher lease (publisher.ts): checked before every append. */
    lease?: { check(): Promise<void> };
  } = {},
): Promise<Published> {
  const lease = opts.lease;
  const seq = new Sequencer(stream, undefined, opts.pii, lease && (() => lease.check()));
  for (const c of opts.reference?.cards ?? []) await seq.card(c);
  for (const a of opts.reference?.accounts ?? []) await seq.account(a);
  let n = 0;
  let published = 0;
  for await (const r of records) {
    if (r.kind === 'call' ? await seq.call(r.record) : await seq.transaction(r.record)) published++;
    if (++n % 50_000 === 0) opts.onProgress?.(n);
  }
  if (opts.end) await seq.end();
  else await seq.flush();
  opts.onProgress?.(n);
  return { published, already: seq.already };
}

/**
 * Calls and transactions files merged in time order exactly as the batch runner merges them
 * (several files of a kind by `mergeByTime`, then a call before a transfer of the same
 * millisecond), so stream and batch see the same order. Each file is put back in time order within
 * `order.latenessMs` as the batch runner does; with `order.floor` (the stream's last tick), a record
 * before it is rejected: the workers have acted on that time already.
 */
export async function* mergeFiles(
  files: { calls?: string | readonly string[]; transactions?: string | readonly string[]; format?: string },
  onReject: (file: string, line: number, reason: string, raw: string) => void = () => undefined,
  order: OrderOptions = { latenessMs: DEFAULT_LATENESS_MS },
): AsyncGenerator<StreamRecord> {
  const f = files.format ? { format: files.format, order } : { order };
  const reject = (file: string) => (l: number, r: string, raw: string) => onReject(file, l, r, raw);
  const calls = readMergedBatches(filesOf(files.calls), CALLS, f, reject);
  const txns = readMergedBatches(filesOf(files.transactions), TRANSACTIONS, f, reject);
  const next = async <T>(g: AsyncGenerator<T> | null): Promise<T | null> =>
    g === null ? null : ((await g.next()).value ?? null);
  const callRecords = calls && flat(calls);
  const txnRecords = txns && flat(txns);
  let c = await next(callRecords);
  let t = await next(txnRecords);
  while (c !== null || t !== null) {
    if (t === null || (c !== null && c.ts <= t.ts)) {
      yield { kind: 'call', record: c! };
      c = await next(callRecords);
    } else {
      yield { kind: 'transaction', record: t };
      t = await next(txnRecords);
    }
  }
}

/** The records of arrays of records, one at a time. */
async function* flat<T>(batches: AsyncIterable<T[]>): AsyncGenerator<T> {
  for await (const b of batches) yield* b;
}
