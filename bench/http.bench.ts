/**
 * HTTP overhead of the API server: the server runs in its own process (as in production), the
 * load generator here, both on this machine. Keep-alive connections, fixed concurrency.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { BenchResult } from './harness.ts';

const DURATION_MS = 5_000;
const CONCURRENCY = 32;

async function startServer(dir: string): Promise<{ url: string; stop(): Promise<void> }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'src/cli/main.ts', '--data-dir', dir, 'start', '--port', '0'],
    {
      env: { ...process.env, DATABASE_URL: '', NATS_URL: '', LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  const url = await new Promise<string>((resolve, reject) => {
    let buf = '';
    child.stderr.on('data', (d: Buffer) => {
      buf += d.toString();
      const m = /console (http:\/\/\S+?)\/ /.exec(buf);
      if (m) resolve(m[1]!);
    });
    child.on('exit', (code) => reject(new Error(`server exited with ${code}: ${buf.slice(-500)}`)));
  });
  return {
    url,
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

async function load(
  url: string,
  headers: Record<string, string>,
  body?: string,
): Promise<{ rps: number; p50: number; p99: number; errors: number }> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const latencies: number[] = [];
  let errors = 0;
  const end = Date.now() + DURATION_MS;
  const one = () =>
    new Promise<void>((resolve) => {
      const t0 = process.hrtime.bigint();
      const req = http.request(url, { agent, headers, method: body ? 'POST' : 'GET' }, (res) => {
        res.resume();
        res.on('end', () => {
          if (res.statusCode !== 200) errors++;
          latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
          resolve();
        });
      });
      req.on('error', () => {
        errors++;
        resolve();
      });
      req.end(body);
    });
  const started = Date.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (Date.now() < end) await one();
    }),
  );
  const secs = (Date.now() - started) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const q = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? 0;
  return { rps: latencies.length / secs, p50: q(0.5), p99: q(0.99), errors };
}

export async function run(): Promise<BenchResult[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'interdict-bench-http-'));
  const server = await startServer(dir);
  try {
    const login = await fetch(`${server.url}/v1/auth/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'centre.analyst', password: 'Interdict-demo-2026' }),
    });
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    const health = await load(`${server.url}/healthz`, {});
    const authed = await load(`${server.url}/v1/organisations`, { cookie });
    const adminLogin = await fetch(`${server.url}/v1/auth/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'centre.admin', password: 'Interdict-demo-2026' }),
    });
    const adminCookie = adminLogin.headers.get('set-cookie')!.split(';')[0]!;
    const created = await fetch(`${server.url}/v1/api-keys`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie: adminCookie },
      body: JSON.stringify({ name: 'bench', scopes: ['decisions:write'] }),
    });
    const { key } = (await created.json()) as { key: string };
    const auth = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
    const one = JSON.stringify({
      kind: 'call',
      parties: [
        { role: 'caller', kind: 'phone', value: '+8613800138000' },
        { role: 'callee', kind: 'phone', value: '+8613900139000' },
      ],
    });
    const single = await load(`${server.url}/v1/decisions`, auth, one);
    const batchBody = JSON.stringify({
      events: Array.from({ length: 1000 }, () => JSON.parse(one) as unknown),
    });
    const batch = await load(`${server.url}/v1/decisions/batch`, auth, batchBody);
    const note = `${CONCURRENCY} keep-alive connections, ${DURATION_MS / 1000} s, load generator on the same 2-core machine`;
    return [
      { name: 'GET /healthz throughput', value: health.rps, unit: 'req/s', note },
      {
        name: 'GET /healthz p99 latency',
        value: health.p99,
        unit: 'ms',
        note: `p50 ${health.p50.toFixed(2)} ms; errors ${health.errors}`,
      },
      {
        name: 'GET /v1/organisations (session, DB read) throughput',
        value: authed.rps,
        unit: 'req/s',
        note: 'PGlite, one connection',
      },
      {
        name: 'GET /v1/organisations p99 latency',
        value: authed.p99,
        unit: 'ms',
        note: `p50 ${authed.p50.toFixed(2)} ms; errors ${authed.errors}`,
      },
      {
        name: 'POST /v1/decisions throughput',
        value: single.rps,
        unit: 'decisions/s',
        target: '≥ 15,000/s',
        note: `API key auth, 2 parties, demo registry; errors ${single.errors}`,
      },
      {
        name: 'POST /v1/decisions p99 latency',
        value: single.p99,
        unit: 'ms',
        target: '< 10 ms',
        note: `p50 ${single.p50.toFixed(2)} ms`,
      },
      {
        name: 'POST /v1/decisions/batch (1,000 events) throughput',
        value: batch.rps * 1000,
        unit: 'events/s',
        target: '≥ 200,000/s',
        note: `p99 ${batch.p99.toFixed(1)} ms per batch; errors ${batch.errors}`,
      },
    ];
  } finally {
    await server.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
