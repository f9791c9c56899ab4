#!/usr/bin/env node
// Runs the whole suite on the embedded defaults (PGlite, in-process bus), then again against
// PostgreSQL and NATS when DATABASE_URL / NATS_URL are set, and prints one closing line for both.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const args = process.argv.slice(2);
const files = args.length ? args : findTests('test');
const external = { DATABASE_URL: process.env.DATABASE_URL, NATS_URL: process.env.NATS_URL };
const runs = [{ name: 'embedded (PGlite, in-process bus)', env: { DATABASE_URL: '', NATS_URL: '' } }];
if (external.DATABASE_URL || external.NATS_URL) {
  const what = [external.DATABASE_URL && 'PostgreSQL', external.NATS_URL && 'NATS']
    .filter(Boolean)
    .join(' + ');
  runs.push({ name: what, env: external, only: process.env.INTERDICT_TEST_EXTERNAL_ONLY });
}

function findTests(dir) {
  const out = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...findTests(p));
    else if (e.name.endsWith('.test.ts')) out.push(p);
  }
  return out.sort();
}

function run({ name, env }) {
  return new Promise((resolve) => {
    process.stdout.write(`\n=== tests on ${name} ===\n`);
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-reporter=spec', ...files],
      { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let tail = '';
    child.stdout.on('data', (chunk) => {
      process.stdout.write(chunk);
      tail = (tail + chunk.toString()).slice(-4000);
    });
    child.on('close', (code) => {
      const count = (k) => Number(new RegExp(`ℹ ${k} (\\d+)`).exec(tail)?.[1] ?? 0);
      resolve({
        code,
        pass: count('pass'),
        fail: count('fail'),
        skipped: count('skipped'),
        cancelled: count('cancelled'),
      });
    });
  });
}

let pass = 0;
let fail = 0;
let skipped = 0;
let exit = 0;
for (const r of runs) {
  const res = await run(r);
  pass += res.pass;
  fail += res.fail + res.cancelled;
  skipped += res.skipped;
  if (res.code !== 0) exit = 1;
}
process.stdout.write(`\n${pass} passed, ${fail} failed, ${skipped} skipped\n`);
process.exit(exit || (fail ? 1 : 0));
