import { ACCOUNTS, CALLS, CARDS, readRecords, TRANSACTIONS } from '../parse.ts';
import type { AccountRecord, CallRecord, CardRecord, TransactionRecord } from '../records.ts';
import { Sequencer } from './route.ts';
import type { RecordStream } from './types.ts';

/** Reference data the detectors look up (cards, accounts). */
export interface Reference {
  cards: CardRecord[];
  accounts: AccountRecord[];
}

/** Cards and accounts from files (bad rows are counted and skipped, as `interdict detect` does). */
export async function loadReference(files: {
  cards?: string;
  accounts?: string;
  format?: string;
}): Promise<Reference & { rejected: number }> {
  const f = files.format ? { format: files.format } : {};
  let rejected = 0;
  const onReject = () => void rejected++;
  const cards: CardRecord[] = [];
  const accounts: AccountRecord[] = [];
  if (files.cards) for await (const c of readRecords(files.cards, CARDS, { ...f, onReject })) cards.push(c);
  if (files.accounts)
    for await (const a of readRecords(files.accounts, ACCOUNTS, { ...f, onReject })) accounts.push(a);
  return { cards, accounts, rejected };
}

export type StreamRecord =
  { kind: 'call'; record: CallRecord } | { kind: 'transaction'; record: TransactionRecord };

/**
 * Publishes records (already in time order) into the stream; with `end`, closes the input so the
 * workers drain with `final` (one-off files, tests). Every record goes to every worker
 * (route.ts), so the publisher needs no reference data.
 */
export async function publishRecords(
  stream: RecordStream,
  records: Iterable<StreamRecord> | AsyncIterable<StreamRecord>,
  opts: { end?: boolean; onProgress?: (n: number) => void } = {},
): Promise<number> {
  const seq = new Sequencer(stream);
  let n = 0;
  for await (const r of records) {
    if (r.kind === 'call') await seq.call(r.record);
    else await seq.transaction(r.record);
    if (++n % 50_000 === 0) opts.onProgress?.(n);
  }
  if (opts.end) await seq.end();
  else await seq.flush();
  opts.onProgress?.(n);
  return n;
}

/**
 * Calls and transactions files merged in time order exactly as the batch runner merges them
 * (a call before a transfer of the same millisecond), so stream and batch see the same order.
 */
export async function* mergeFiles(
  files: { calls?: string; transactions?: string; format?: string },
  onReject: (file: string, line: number, reason: string) => void = () => undefined,
): AsyncGenerator<StreamRecord> {
  const f = files.format ? { format: files.format } : {};
  const calls = files.calls
    ? readRecords(files.calls, CALLS, { ...f, onReject: (l, r) => onReject(files.calls!, l, r) })
    : null;
  const txns = files.transactions
    ? readRecords(files.transactions, TRANSACTIONS, {
        ...f,
        onReject: (l, r) => onReject(files.transactions!, l, r),
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
