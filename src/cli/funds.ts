import type { Command } from 'commander';
import { getFundCase, listFundCases } from '../funds/cases.ts';
import { FUND_CASE_STATUSES, type FundCaseStatus } from '../funds/case-tables.ts';
import { cliPrincipal, withCore, type Core } from './core.ts';
import { printJson, printRows, UsageError } from './output.ts';

/** `interdict funds cases` and `interdict funds case <ref>`: fund cases and their requests (docs/funds.md). */

const money = (fen: number | null) => (fen === null ? '' : (fen / 100).toFixed(2));

export function fundCommands(program: Command, core: Core): void {
  const funds = program.command('funds').description('fund cases: stop-payments, freezes and returns');
  funds
    .command('cases')
    .description('fund cases, newest first (victims masked; the read is recorded)')
    .option('--status <status>', `one of ${FUND_CASE_STATUSES.join(', ')}`)
    .option('--json', 'print as JSON')
    .action(async (o: { status?: string; json?: boolean }) => {
      if (o.status && !FUND_CASE_STATUSES.includes(o.status as FundCaseStatus))
        throw new UsageError(`--status must be one of ${FUND_CASE_STATUSES.join(', ')}`);
      await withCore(core, async (c) => {
        const s = { db: c.db, bus: c.bus, pii: c.pii, config: c.config };
        const { items } = await listFundCases(s, await cliPrincipal(c), {
          status: o.status as FundCaseStatus | undefined,
          limit: 200,
        });
        printRows(
          items.map((x) => ({
            reference: x.reference,
            status: x.status,
            source: x.source,
            victims: x.victims.length,
            lost: money(x.lossTotal),
            stopped: money(x.totals.stopped),
            frozen: money(x.totals.frozen),
            returned: money(x.totals.returned),
            opened: x.openedAt,
          })),
          o.json,
        );
      });
    });
  funds
    .command('case <reference>')
    .description('one fund case with its stop-payments, freezes and returns (FND-… or its id)')
    .option('--json', 'print as JSON')
    .action(async (ref: string, o: { json?: boolean }) => {
      await withCore(core, async (c) => {
        const s = { db: c.db, bus: c.bus, pii: c.pii, config: c.config };
        const v = await getFundCase(s, await cliPrincipal(c), ref);
        if (o.json) return printJson(v);
        const out = process.stdout;
        out.write(`${v.reference}  ${v.status}  (${v.source}, opened ${v.openedAt} by ${v.openedBy})\n`);
        out.write(
          `lost ${money(v.lossTotal)}, traced ${money(v.totals.traced)}, stopped ${money(v.totals.stopped)}, `,
        );
        out.write(`frozen ${money(v.totals.frozen)}, returned ${money(v.totals.returned)}\n`);
        for (const x of v.victims) out.write(`  victim ${x.label}: ${money(x.lossAmount)}\n`);
        out.write('\nstop-payments\n');
        printRows(
          v.stopPayments.map((p) => ({
            reference: p.reference,
            bank: p.institutionName,
            account: p.account,
            requested: money(p.amountRequested),
            stopped: money(p.amountStopped),
            status: p.status + (p.escalated ? ' (escalated)' : ''),
            expires: p.expiresAt ?? '',
            pushed: p.delivery.pushed ? 'yes' : 'no',
          })),
          false,
        );
        out.write('\nfreezes\n');
        printRows(
          v.freezes.map((f) => ({
            reference: f.reference,
            bank: f.institutionName,
            account: f.account,
            requested: money(f.amountRequested),
            frozen: money(f.amountFrozen),
            status: f.status,
          })),
          false,
        );
        out.write('\nreturns\n');
        printRows(
          v.returns.map((r) => ({
            victim: r.victimLabel,
            account: r.account,
            amount: money(r.amount),
            status: r.status,
          })),
          false,
        );
        if (v.trace?.proposals.length) {
          out.write('\nproposed next stop-payments\n');
          printRows(
            v.trace.proposals.map((p) => ({ account: p.account, amount: money(p.amount) })),
            false,
          );
        }
      });
    });
}
