import fs from 'node:fs';
import { InvalidArgumentError, type Command } from 'commander';
import { FormatError } from '../detection/parse.ts';
import { loadLedgerFile } from '../funds/ledger.ts';
import { DbLedger, loadLedger } from '../funds/db-ledger.ts';
import { readRecordBatches, TRANSACTIONS } from '../detection/parse.ts';
import {
  MIX_RULES,
  traceFunds,
  type Ledger,
  type MixRule,
  type TraceResult,
  type TracedEdge,
} from '../funds/trace.ts';
import { countLines, withCore, type Core } from './core.ts';
import { Progress } from './progress.ts';
import { printJson, UsageError } from './output.ts';

/**
 * `interdict trace <txn-id…> --ledger <file>`: follows victims' transfers through a ledger and
 * prints the trace tree (docs/funds.md): where the money went, what each account still holds, what
 * was cashed out, and the next stop-payments.
 */

const money = (minor: number) =>
  (minor / 100).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const when = (ts: number) => `${new Date(ts).toISOString().slice(0, 16).replace('T', ' ')} UTC`;

/** The tree as text lines: each account once (a second arrival says where it was shown). */
export function traceTree(r: TraceResult): string[] {
  const out: string[] = [];
  const byFrom = new Map<string, TracedEdge[]>();
  for (const e of r.edges) if (e.traced > 0) byFrom.set(e.from, [...(byFrom.get(e.from) ?? []), e]);
  const held = new Map(r.accounts.map((a) => [a.account, a]));
  const shown = new Set<string>();
  const holds = (account: string) => {
    const a = held.get(account);
    if (!a) return '';
    const tag = a.explored ? '' : ` (beyond ${r.maxHops} hops: not followed)`;
    return a.held > 0 ? `  holds ${money(a.held)}${tag}` : tag;
  };
  const walk = (account: string, prefix: string) => {
    const edges = byFrom.get(account) ?? [];
    edges.forEach((e, i) => {
      const last = i === edges.length - 1;
      const branch = prefix + (last ? '└─ ' : '├─ ');
      const to = e.cashOut ? `cash out (${e.to.slice(5)})` : e.to;
      const again = !e.cashOut && shown.has(e.to);
      out.push(
        `${branch}${money(e.traced)} → ${to}  [${e.txnId}, ${when(e.ts)}]${again ? '  (shown above)' : holds(e.to)}`,
      );
      if (!e.cashOut && !again) {
        shown.add(e.to);
        walk(e.to, prefix + (last ? '   ' : '│  '));
      }
    });
  };
  for (const s of r.start) {
    out.push(`${s.txnId}: ${s.payer} paid ${money(s.amount)} to ${s.payee || 'cash'} at ${when(s.ts)}`);
    if (!s.payee || shown.has(s.payee)) continue;
    shown.add(s.payee);
    out.push(`${s.payee}${holds(s.payee)}`);
    walk(s.payee, '');
  }
  const t = r.totals;
  out.push(
    '',
    `Rule ${r.rule}, ${r.maxHops} hops. Stolen ${money(t.stolen)}; held ${money(t.held)}; ` +
      `beyond the hops ${money(t.heldBeyondHops)}; cashed out ${money(t.cashedOut)}.`,
  );
  if (r.proposals.length) {
    out.push('Next stop-payments:');
    for (const p of r.proposals) out.push(`  ${p.account}  ${money(p.amount)}  (hop ${p.depth})`);
  }
  return out;
}

export function traceCommand(program: Command, core: Core): void {
  program
    .command('trace')
    .description('follow victims’ transfers through a ledger: the trace tree and the next stop-payments')
    .argument('<txn-ids...>', 'the victims’ transfers (transaction ids)')
    .requiredOption(
      '--ledger <file|db>',
      'a transactions file (CSV or NDJSON, docs/formats.md), or db: the platform’s ledger',
    )
    .option('--rule <rule>', `mixed funds: ${MIX_RULES.join(', ')}`, rule, 'lowest_balance')
    .option('--hops <n>', 'hops to follow', hops, 6)
    .option('--as-of <time>', 'ignore transactions after this ISO 8601 time')
    .option('--json', 'print the trace as JSON')
    .action(
      async (
        ids: string[],
        o: { ledger: string; rule: MixRule; hops: number; asOf?: string; json?: boolean },
      ) => {
        const fromDb = o.ledger === 'db';
        if (!fromDb && !fs.existsSync(o.ledger)) throw new UsageError(`${o.ledger}: no such file`);
        const asOf = o.asOf === undefined ? undefined : Date.parse(o.asOf);
        if (asOf !== undefined && Number.isNaN(asOf))
          throw new UsageError(`--as-of: not an ISO 8601 time: ${o.asOf}`);
        let rejected = 0;
        const run = async (ledger: Ledger) => {
          const known = await ledger.byIds(ids);
          const missing = ids.filter((id) => !known.some((t) => t.txnId === id));
          if (missing.length) throw new UsageError(`not in the ledger: ${missing.join(', ')}`);
          const r = await traceFunds(ledger, ids, {
            rule: o.rule,
            maxHops: o.hops,
            ...(asOf !== undefined ? { asOf } : {}),
          });
          if (o.json) printJson(r);
          else process.stdout.write(traceTree(r).join('\n') + '\n');
        };
        if (fromDb) await withCore(core, (c) => run(new DbLedger(c.db)));
        else {
          let ledger: Ledger;
          try {
            ledger = await loadLedgerFile(o.ledger, () => rejected++);
          } catch (err) {
            if (err instanceof FormatError) throw new UsageError(err.message);
            throw err;
          }
          await run(ledger);
        }
        if (rejected) process.stderr.write(`${rejected} ledger rows could not be read and were left out\n`);
      },
    );
}

/** `interdict ledger load <file>`: transactions into the platform's ledger, for `trace --ledger db`. */
export function ledgerCommands(program: Command, core: Core): void {
  const ledger = program.command('ledger').description('the transaction ledger fund tracing reads');
  ledger
    .command('load')
    .description('add a transactions file to the ledger (an id already there is kept: reruns add nothing)')
    .argument('<file>', 'transactions, CSV or NDJSON (docs/formats.md)')
    .option('--reject-file <file>', 'write the rows that do not read there, with line and reason')
    .action(async (file: string, o: { rejectFile?: string }) => {
      if (!fs.existsSync(file)) throw new UsageError(`${file}: no such file`);
      const rejects: string[] = [];
      let added = 0;
      let good = 0;
      await withCore(core, async (c) => {
        const bar = new Progress('ledger', Math.max(1, (await countLines(file)) - 1));
        const onReject = (line: number, reason: string) => {
          rejects.push(`${line}\t${reason}`);
          bar.tick();
        };
        try {
          for await (const batch of readRecordBatches(file, TRANSACTIONS, { onReject })) {
            added += await loadLedger(c.db, batch);
            good += batch.length;
            bar.tick(batch.length);
          }
        } catch (err) {
          if (err instanceof FormatError) throw new UsageError(err.message);
          throw err;
        } finally {
          bar.stop();
        }
      });
      process.stdout.write(
        `${added} transactions added, ${good - added} already in the ledger, ${rejects.length} rejected\n`,
      );
      if (o.rejectFile) fs.writeFileSync(o.rejectFile, rejects.map((r) => r + '\n').join(''));
      if (rejects.length) {
        process.stderr.write(
          `${rejects.length} rows could not be read${o.rejectFile ? ` (see ${o.rejectFile})` : ''}\n`,
        );
        process.exitCode = 1;
      }
    });
}

function rule(v: string): MixRule {
  if (!(MIX_RULES as readonly string[]).includes(v))
    throw new InvalidArgumentError(`one of ${MIX_RULES.join(', ')}`);
  return v as MixRule;
}

function hops(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 20) throw new InvalidArgumentError('a whole number from 1 to 20');
  return n;
}
