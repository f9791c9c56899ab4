import type { TransactionRecord } from '../detection/records.ts';
import { readRecordBatches, TRANSACTIONS } from '../detection/parse.ts';
import type { Ledger } from './trace.ts';

/** A ledger held in memory (a transactions file, a test): each account's transactions in time order. */
export class MemoryLedger implements Ledger {
  private readonly byAccount = new Map<string, TransactionRecord[]>();
  private readonly byId = new Map<string, TransactionRecord>();

  constructor(transactions: Iterable<TransactionRecord>) {
    for (const t of transactions) this.add(t);
    for (const list of this.byAccount.values()) list.sort(byTime);
  }

  private add(t: TransactionRecord): void {
    this.byId.set(t.txnId, t);
    for (const a of t.payee && t.payee !== t.payer ? [t.payer, t.payee] : [t.payer]) {
      let list = this.byAccount.get(a);
      if (!list) this.byAccount.set(a, (list = []));
      list.push(t);
    }
  }

  get size(): number {
    return this.byId.size;
  }

  async activity(accounts: readonly string[], from: number): Promise<TransactionRecord[]> {
    const out = new Map<string, TransactionRecord>();
    for (const a of accounts)
      for (const t of this.byAccount.get(a) ?? []) if (t.ts >= from) out.set(t.txnId, t);
    return [...out.values()].sort(byTime);
  }

  async byIds(ids: readonly string[]): Promise<TransactionRecord[]> {
    return ids.map((id) => this.byId.get(id)).filter((t): t is TransactionRecord => t !== undefined);
  }
}

export const byTime = (a: TransactionRecord, b: TransactionRecord) =>
  a.ts - b.ts || (a.txnId < b.txnId ? -1 : a.txnId > b.txnId ? 1 : 0);

/** Reads a transactions file (CSV or NDJSON, docs/formats.md); rows that do not read are counted, not fatal. */
export async function loadLedgerFile(
  file: string,
  onReject?: (line: number, reason: string) => void,
): Promise<MemoryLedger> {
  const rows: TransactionRecord[] = [];
  const opts = onReject ? { onReject: (line: number, reason: string) => onReject(line, reason) } : {};
  for await (const batch of readRecordBatches(file, TRANSACTIONS, opts)) for (const t of batch) rows.push(t);
  return new MemoryLedger(rows);
}
