import {
  ACCOUNTS,
  CALLS,
  CARDS,
  DEFAULT_LATENESS_MS,
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
  files: { cards?: string; accounts?: string; format?: string },
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
  if (files.cards)
    for await (const c of readRecords(files.cards, CARDS, { ...f, onReject: onReject(files.cards) }))
      cards.push(c);
  if (files.accounts)
    for await (const a of readRecords(files.accounts, ACCOUNTS, { ...f, onReject: onReject(files.accounts) }))
      accounts.push(a);
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
  } = {},
): Promise<Published> {
  const seq = new Sequencer(stream, undefined, opts.pii);
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
 * (a call before a transfer of the same millisecond), so stream and batch see the same order. Each
 * file is put back in time order within `order.latenessMs` as the batch runner does; with
 * `order.floor` (the stream's last tick), a record before it is rejected: the workers have acted
 * on that time already.
 */
export async function* mergeFiles(
  files: { calls?: string; transactions?: string; format?: string },
  onReject: (file: string, line: number, reason: string, raw: string) => void = () => undefined,
  order: OrderOptions = { latenessMs: DEFAULT_LATENESS_MS },
): AsyncGenerator<StreamRecord> {
  const f = files.format ? { format: files.format, order } : { order };
  const calls = files.calls
    ? readRecords(files.calls, CALLS, { ...f, onReject: (l, r, raw) => onReject(files.calls!, l, r, raw) })
    : null;
  const txns = files.transactions
    ? readRecords(files.transactions, TRANSACTIONS, {
        ...f,
        onReject: (l, r, raw) => onReject(files.transactions!, l, r, raw),
      })
    : null;
  let c: CallRecord | null = calls ? ((await calls.next()).value ?? null) : null;
  let t: TransactionRecord | null = txns ? ((await txns.next()).value ?? null) : null;
  while (c !== null || t !== null) {
    if (t === null || (c !== null && c.ts <= t.ts)) {
      yield { kind: 'call', record: c! };
      c = (await calls!.next()).value ?? null;
    } else {
      yield { kind: 'transaction', record: t };
      t = (await txns!.next()).value ?? null;
    }
  }
}
