/**
 * `npm run bench [name…]`: runs every bench/*.bench.ts (or the named ones) and writes the figures,
 * with the machine and the date, to bench/results.md and bench/results.json.
 *
 * A module that measures a command the CLI starts with node options or environment variables
 * (`nodeOptions`, `env`: the young generation and the huge pages of `interdict detect`,
 * src/cli/launch.ts) runs in a child process started with them, so that it measures what the
 * command does; its section names them.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { BenchResult } from './harness.ts';

type BenchModule = {
  run: () => Promise<BenchResult[]>;
  nodeOptions?: readonly string[];
  /** Variables the child process is started with, beside the runner's own. */
  env?: Readonly<Record<string, string>>;
};

const here = path.dirname(fileURLToPath(import.meta.url));
if (process.argv[2] === '--child') {
  // `--child FILE OUT`: one module, in a process started with its node options; results to OUT.
  const mod = (await import(pathToFileURL(path.join(here, process.argv[3]!)).href)) as BenchModule;
  fs.writeFileSync(process.argv[4]!, JSON.stringify(await mod.run()));
  process.exit(0);
}
const only = process.argv.slice(2);
const modules = fs
  .readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => only.length === 0 || only.includes(f.replace('.bench.ts', '')))
  .sort();

const machine = {
  cpu: os.cpus()[0]?.model ?? 'unknown',
  cores: os.cpus().length,
  memoryGiB: Math.round(os.totalmem() / 2 ** 30),
  node: process.version,
  platform: `${os.platform()} ${os.release()}`,
  database: process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite',
  bus: process.env.NATS_URL ? 'NATS JetStream' : 'in-process',
  /** Other work on the machine skews the figures: the 1-minute load average at the start. */
  load: Number(os.loadavg()[0]!.toFixed(2)),
};
const date = new Date().toISOString();
type Section = { results: BenchResult[]; nodeOptions?: string; env?: string; error?: string };
const sections: (Section & { module: string })[] = [];

/** Runs `file` in a child process started with `options` and variables `env`; its results. */
function runInChild(
  file: string,
  options: readonly string[],
  env: Readonly<Record<string, string>>,
): BenchResult[] {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'interdict-bench-'));
  const out = path.join(dir, 'results.json');
  try {
    const r = spawnSync(
      process.execPath,
      [...options, ...process.execArgv, fileURLToPath(import.meta.url), '--child', file, out],
      { stdio: 'inherit', env: { ...process.env, ...env } },
    );
    if (r.status !== 0) throw new Error(`the child process for ${file} ended with ${r.signal ?? r.status}`);
    return JSON.parse(fs.readFileSync(out, 'utf8')) as BenchResult[];
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

for (const file of modules) {
  const name = file.replace('.bench.ts', '');
  process.stdout.write(`bench ${name}…\n`);
  try {
    const mod = (await import(pathToFileURL(path.join(here, file)).href)) as BenchModule;
    const options = mod.nodeOptions ?? [];
    const env = mod.env ?? {};
    const child = options.length > 0 || Object.keys(env).length > 0;
    const results = child ? runInChild(file, options, env) : await mod.run();
    for (const r of results)
      process.stdout.write(
        `  ${r.name}: ${fmt(r.value)} ${r.unit}${r.target ? `  (target ${r.target})` : ''}\n`,
      );
    const vars = Object.entries(env).map(([k, v]) => `${k}=${v}`);
    sections.push({
      module: name,
      results,
      ...(options.length ? { nodeOptions: options.join(' ') } : {}),
      ...(vars.length ? { env: vars.join(' ') } : {}),
    });
  } catch (err) {
    process.stdout.write(`  failed: ${(err as Error).message}\n`);
    sections.push({ module: name, results: [], error: (err as Error).message });
  }
}

function fmt(v: number): string {
  return v >= 100 ? Math.round(v).toLocaleString('en-US') : v.toPrecision(3);
}

// Merge with earlier results so running one bench does not erase the others.
const jsonPath = path.join(here, 'results.json');
const previous = fs.existsSync(jsonPath)
  ? (JSON.parse(fs.readFileSync(jsonPath, 'utf8')) as { sections: Record<string, unknown> }).sections
  : {};
const merged: Record<string, Section & { date: string; machine: typeof machine }> = {
  ...(previous as Record<string, never>),
};
for (const s of sections)
  merged[s.module] = {
    date,
    machine,
    results: s.results,
    ...(s.nodeOptions ? { nodeOptions: s.nodeOptions } : {}),
    ...(s.env ? { env: s.env } : {}),
    ...(s.error ? { error: s.error } : {}),
  };
fs.writeFileSync(jsonPath, JSON.stringify({ sections: merged }, null, 2) + '\n');

const lines = [
  '# Benchmark results',
  '',
  'Written by `npm run bench`; each section keeps the machine and date it was measured on.',
  '',
];
for (const [name, s] of Object.entries(merged).sort()) {
  lines.push(
    `## ${name}`,
    '',
    `${s.date.slice(0, 16).replace('T', ' ')} UTC · ${s.machine.cpu} · ${s.machine.cores} cores · ${s.machine.memoryGiB} GiB · Node ${s.machine.node} · ${s.machine.database} · ${s.machine.bus} bus · load ${s.machine.load ?? '?'}${s.nodeOptions ? ` · node ${s.nodeOptions}` : ''}${s.env ? ` · ${s.env}` : ''}`,
    '',
  );
  if (s.error) lines.push(`Failed: ${s.error}`, '');
  if (s.results.length) {
    lines.push('| measure | result | target | note |', '| --- | ---: | --- | --- |');
    for (const r of s.results)
      lines.push(`| ${r.name} | ${fmt(r.value)} ${r.unit} | ${r.target ?? ''} | ${r.note ?? ''} |`);
    lines.push('');
  }
}
fs.writeFileSync(path.join(here, 'results.md'), lines.join('\n'));
process.stdout.write(`wrote bench/results.md\n`);
