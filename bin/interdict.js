#!/usr/bin/env node
// Runs the compiled CLI; `npm install` builds dist/ through the prepare script. `interdict detect`
// is re-run with a larger young generation and huge pages for malloc, which node and glibc take
// only at start (src/cli/launch.ts).
import { spawn } from 'node:child_process';

const missing = (err) => {
  if (err && err.code === 'ERR_MODULE_NOT_FOUND') {
    console.error('interdict: the build is missing; run `npm install` (or `npm run build`) first.');
    process.exit(1);
  }
  throw err;
};

const { relaunchOptions, relaunchEnv } = await import('../dist/server/cli/launch.js').catch(missing);
const extra = relaunchOptions(process.argv.slice(2), process.execArgv, process.env.NODE_OPTIONS);
if (extra === null) {
  await import('../dist/server/cli/main.js').catch(missing);
} else {
  const child = spawn(process.execPath, [...process.execArgv, ...extra, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: relaunchEnv(process.env),
  });
  // Signals sent to this process go on to the run; its end is this process's end, signal or code.
  const forward = (signal) => child.kill(signal);
  for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(s, forward);
  child.on('exit', (code, signal) => {
    if (signal !== null) {
      process.removeAllListeners(signal);
      process.kill(process.pid, signal);
    } else process.exit(code ?? 1);
  });
  child.on('error', (err) => {
    console.error(`interdict: could not start node: ${err.message}`);
    process.exit(1);
  });
}
