/**
 * How `bin/interdict.js` starts the CLI: in its own process, or re-run with node options that can
 * only be given when a process starts.
 *
 * `interdict detect` over files keeps the detectors' state for every active number alive while it
 * reads, and V8's default young generation (16 MiB semi-spaces) copies much of it once more before
 * it settles. 64 MiB semi-spaces measured about +3 to +15 % call records a second (a small gain, in
 * noisy measurements that have leaned to it since they began), for up to about 100 MiB more memory
 * (docs/detection.md, "Throughput"). V8 fixes the young generation's size when the heap is made
 * (`v8.setFlagsFromString` later changes nothing), so the command is re-run with it. Only the
 * batch command: `detect worker` stops gracefully on SIGINT, and a terminal's Ctrl-C would reach a
 * re-run worker twice (once from the terminal, once forwarded); a deployment sets `NODE_OPTIONS`
 * for it (docs/operations.md).
 *
 * The re-run also asks glibc's malloc for transparent huge pages (`GLIBC_TUNABLES`, read only
 * when a process starts). Node allocates ArrayBuffers with malloc, and the call path's biggest
 * random-access tables are ArrayBuffers (the interner's table, the partner windows' slab): with
 * 4 KiB pages nearly every probe into them is also a TLB miss, dearest in a virtual machine, where
 * a page walk goes through the guest's tables and the host's. Where THP is off (`never`), or the C
 * library is not glibc, the tunable does nothing.
 */

/** The young generation's semi-space size (MiB) for batch detection. */
export const DETECT_SEMI_SPACE_MB = 64;

/** Options of the program that take a value (they may come before the command). */
const VALUED = new Set(['--data-dir']);

/**
 * The node options to re-run `interdict <args>` with, or null to run it here: for `detect` over
 * files (not its subcommands), unless the young generation's size was given already (in node's
 * own options or `NODE_OPTIONS`), which also keeps the re-run from re-running, or node was started
 * under the inspector (the process being debugged must be the one that runs the command).
 */
export function relaunchOptions(
  args: readonly string[],
  execArgv: readonly string[],
  nodeOptions: string | undefined,
): string[] | null {
  let i = 0;
  while (i < args.length && args[i]!.startsWith('-')) i += VALUED.has(args[i]!) ? 2 : 1;
  if (args[i] !== 'detect') return null;
  const next = args[i + 1];
  if (next !== undefined && !next.startsWith('-')) return null; // a subcommand: score, worker, …
  const given = [...execArgv, ...(nodeOptions ?? '').split(/\s+/)];
  if (given.some((a) => a.startsWith('--max-semi-space-size') || a.startsWith('--inspect'))) return null;
  return [`--max-semi-space-size=${DETECT_SEMI_SPACE_MB}`];
}

/** Asks glibc's malloc to back what it maps with transparent huge pages (`madvise`). */
export const HUGE_PAGES_TUNABLE = 'glibc.malloc.hugetlb=1';

/**
 * The environment of the re-run (`relaunchOptions`): `env` with `HUGE_PAGES_TUNABLE` added to
 * `GLIBC_TUNABLES`, unless that already says how malloc should use huge pages (the user's choice
 * stands).
 */
export function relaunchEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const tunables = env.GLIBC_TUNABLES ?? '';
  if (/(^|:)glibc\.malloc\.hugetlb=/.test(tunables)) return env;
  return { ...env, GLIBC_TUNABLES: tunables ? `${tunables}:${HUGE_PAGES_TUNABLE}` : HUGE_PAGES_TUNABLE };
}
