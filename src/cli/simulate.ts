import type { Command } from 'commander';
import { DEFAULT_START, FILES, simulateWorld } from '../detection/simulate/index.ts';
import { DETECTORS } from '../detection/records.ts';
import { printJson, UsageError } from './output.ts';
import { Progress } from './progress.ts';
import type { Core } from './core.ts';

interface SimulateFlags {
  people: string;
  days: string;
  seed: string;
  out?: string;
  start?: string;
  json?: boolean;
}

/** `interdict simulate`: writes a simulated world with planted fraud (docs/simulator.md). No database. */
export function simulateCommand(program: Command, _core: Core): void {
  program
    .command('simulate')
    .description(
      'write a simulated world (cards, accounts, calls, transactions) with planted fraud and its truth.json',
    )
    .requiredOption(
      '--out <dir>',
      'folder to write cards.csv, accounts.csv, calls.csv, transactions.csv, truth.json',
    )
    .option('--people <n>', 'people in the world (1,000–5,000,000)', '10000')
    .option('--days <n>', 'days of records (1–366)', '7')
    .option('--seed <n>', 'random seed (0–4294967295): the same seed gives the same files', '1')
    .option('--start <iso>', `first day's start, ISO 8601 with offset (default ${DEFAULT_START})`)
    .option('--json', 'print the summary as JSON')
    .action(async (o: SimulateFlags) => {
      const people = whole(o.people, '--people', 1000, 5_000_000);
      const days = whole(o.days, '--days', 1, 366);
      const seed = whole(o.seed, '--seed', 0, 0xffffffff);
      if (!o.out) throw new UsageError('--out is required');
      if (o.start !== undefined) {
        if (
          !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(o.start) ||
          !Number.isFinite(Date.parse(o.start))
        )
          throw new UsageError('--start is an ISO 8601 time with offset, e.g. 2026-11-02T00:00:00+08:00');
      }
      const bar = new Progress('simulate (person-days)', people * days);
      let seen = 0;
      let result: Awaited<ReturnType<typeof simulateWorld>>;
      try {
        result = await simulateWorld({
          people,
          days,
          seed,
          outDir: o.out,
          ...(o.start !== undefined ? { start: o.start } : {}),
          onProgress: (done) => {
            if (done > seen) bar.tick(done - seen);
            seen = done;
          },
        });
      } finally {
        bar.stop();
      }
      const { truth, counts } = result;
      const planted = Object.fromEntries(DETECTORS.map((d) => [d, truth.planted[d].length]));
      if (o.json) {
        printJson({ out: o.out, seed, people, days, records: counts, planted });
        return;
      }
      const w = (s: string) => process.stdout.write(s + '\n');
      w(`world of ${people} people over ${days} day${days === 1 ? '' : 's'} (seed ${seed}) in ${o.out}`);
      w(`  ${FILES.cards.padEnd(18)} ${counts.cards}`);
      w(`  ${FILES.accounts.padEnd(18)} ${counts.accounts}`);
      w(`  ${FILES.calls.padEnd(18)} ${counts.calls}`);
      w(`  ${FILES.transactions.padEnd(18)} ${counts.transactions}`);
      w(`planted (${FILES.truth}):`);
      for (const d of DETECTORS) w(`  ${d.padEnd(18)} ${truth.planted[d].length}`);
    });
}

function whole(v: string, flag: string, min: number, max: number): number {
  const n = Number(v);
  if (!/^\d+$/.test(v.trim()) || !Number.isInteger(n) || n < min || n > max)
    throw new UsageError(`${flag} is a whole number from ${min} to ${max}`);
  return n;
}
