import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import zlib from 'node:zlib';
import type { Command } from 'commander';
import { AppError } from '../core/errors.ts';
import {
  INGEST_KINDS,
  INGEST_MAX_BYTES,
  type IngestKind,
  type IngestResult,
} from '../detection/stream/ingest.ts';
import { minutes, type OwnFeeds } from '../detection/stream/ingest-route.ts';
import { printJson, UsageError } from './output.ts';
import { Progress } from './progress.ts';
import { seconds } from './detect.ts';

/**
 * `interdict detect send`: an operator's or bank's site sends its record files to a running
 * platform over HTTP (`POST /v1/detection-stream/records`, docs/detection.md "Publishing over
 * HTTP"), gzipped, without access to its database. An upload sent again is answered as the first
 * time and adds nothing, so a failure the server may not have seen (the connection lost, a 5xx,
 * the stream held by another publisher) is simply sent again, with a growing pause.
 */

/** How many times an upload is sent by default before the command gives up, and the first pause (ms). */
const ATTEMPTS = 5;
const FIRST_PAUSE_MS = 1000;

type Answer = IngestResult & { merge: (IngestResult['merge'] & { through: string | null }) | null };

export function sendCommand(detect: Command): void {
  detect
    .command('send')
    .description(
      'send call records, transactions, cards or accounts to a running platform over HTTP (record feeds)',
    )
    .argument('<files...>', 'CSV with header, or NDJSON (.ndjson, .jsonl), of one kind')
    .requiredOption('--kind <kind>', `what the files hold: ${INGEST_KINDS.join(', ')}`)
    .requiredOption('--url <url>', 'the platform, e.g. https://interdict.example')
    .option('--feed <name>', 'this sending system, when several of the organisation send the same kind')
    .option('--through <time>', 'everything before this time has been sent (ISO 8601 with offset)')
    .option(
      '--max-lateness <seconds>',
      'put records back in time order within this (default 300)',
      seconds('--max-lateness'),
    )
    .option(
      '--wait <seconds>',
      'how long the server waits for another publisher each time, up to 120 (default 30)',
      seconds('--wait'),
    )
    .option('--tries <n>', `send an upload at most this many times (default ${ATTEMPTS})`, (v: string) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1 || n > 20)
        throw new UsageError(`--tries: "${v}" is not a number from 1 to 20`);
      return n;
    })
    .option('--json', 'print the answers as JSON')
    .addHelpText(
      'after',
      '\nThe API key (scope records:write) is read from INTERDICT_API_KEY, never from the command line.',
    )
    // `detect` itself has --json and --max-lateness: commander gives them to it, so read them merged.
    .action(async (files: string[], _: unknown, cmd: Command) => {
      const o = cmd.optsWithGlobals<{
        kind: string;
        url: string;
        feed?: string;
        through?: string;
        maxLateness?: number;
        wait?: number;
        tries?: number;
        json?: boolean;
      }>();
      if (!(INGEST_KINDS as readonly string[]).includes(o.kind))
        throw new UsageError(`--kind: ${o.kind} is not one of ${INGEST_KINDS.join(', ')}`);
      const { key, base } = remote(o.url);
      if (o.wait !== undefined && o.wait > 120_000) throw new UsageError('--wait: at most 120 seconds');
      if (o.through !== undefined && Number.isNaN(Date.parse(o.through)))
        throw new UsageError(`--through: ${o.through} is not an ISO 8601 time`);
      // Every file is checked before the first is sent.
      for (const f of files) {
        const st = fs.statSync(f, { throwIfNoEntry: false });
        if (!st?.isFile()) throw new UsageError(`${f}: no such file`);
        if (st.size > INGEST_MAX_BYTES)
          throw new UsageError(
            `${f}: ${Math.ceil(st.size / 1024 / 1024)} MiB; an upload holds at most ${INGEST_MAX_BYTES / 1024 / 1024} MiB: split it`,
          );
      }
      const url = new URL('/v1/detection-stream/records', base);
      url.searchParams.set('kind', o.kind);
      if (o.feed) url.searchParams.set('feed', o.feed);
      if (o.through) url.searchParams.set('through', new Date(Date.parse(o.through)).toISOString());
      if (o.maxLateness !== undefined) url.searchParams.set('maxLateness', String(o.maxLateness / 1000));
      if (o.wait !== undefined) url.searchParams.set('wait', String(o.wait / 1000));
      const answers: (Answer & { file: string })[] = [];
      for (const f of files) {
        const type = /\.(ndjson|jsonl)$/i.test(f) ? 'application/x-ndjson' : 'text/csv';
        const a = await upload(url, key, f, type, o.tries ?? ATTEMPTS, (msg) =>
          process.stderr.write(`interdict: ${path.basename(f)}: ${msg}\n`),
        );
        answers.push({ file: f, ...a });
        if (!o.json) process.stdout.write(summary(f, a, o.kind as IngestKind));
      }
      if (o.json) printJson(answers);
    });
}

/** The platform's address (`--url`) and the API key (from the environment, never the command line). */
function remote(url: string): { key: string; base: URL } {
  const key = process.env.INTERDICT_API_KEY;
  if (!key) throw new UsageError('set INTERDICT_API_KEY to an API key with the scope records:write');
  try {
    return { key, base: new URL(url) };
  } catch {
    throw new UsageError(`--url: ${url} is not a URL`);
  }
}

/**
 * `interdict detect feeds`: the sending site's on-call view of its own feeds on a running platform,
 * over HTTP with the same key as `detect send`: what waits, what came too late, whether a feed of
 * its own is stuck or holds the others back, or another party holds it. `--check` turns a stuck
 * feed into exit status 3, for a monitoring script.
 */
export function feedsCommand(detect: Command): void {
  detect
    .command('feeds')
    .description('your organisation’s record feeds on a running platform: waiting, late, stuck, holding')
    .requiredOption('--url <url>', 'the platform, e.g. https://interdict.example')
    .option('--check', 'exit with status 3 when one of your feeds is stuck')
    .option('--json', 'print the answer as JSON')
    .addHelpText('after', '\nThe API key (scope records:write) is read from INTERDICT_API_KEY.')
    .action(async (_: unknown, cmd: Command) => {
      const o = cmd.optsWithGlobals<{ url: string; check?: boolean; json?: boolean }>();
      const { key, base } = remote(o.url);
      const url = new URL('/v1/detection-stream/feeds', base);
      let res: Response;
      try {
        res = await fetch(url, { headers: { authorization: `Bearer ${key}` } });
      } catch (err) {
        throw new AppError(503, 'unreachable', `cannot reach ${url.origin}: ${(err as Error).message}`);
      }
      if (!res.ok) {
        const problem = (await res.json().catch(() => ({}))) as { code?: string; detail?: string };
        throw new AppError(res.status, problem.code ?? 'http_error', problem.detail ?? `HTTP ${res.status}`);
      }
      const answer = (await res.json()) as OwnFeeds;
      if (o.json) printJson(answer);
      else process.stdout.write(ownFeedsText(answer));
      const stuck = answer.feeds.filter((f) => f.stuck);
      if (o.check && stuck.length > 0) {
        process.stderr.write(
          `interdict: stuck: ${stuck.map((f) => `${f.kind}/${f.name}`).join(', ')} (through unmoved for ${minutes(answer.feedStuckMs)} or more)\n`,
        );
        process.exitCode = 3;
      }
    });
}

/** What an operator must know of a feed, after its line: idle, released, holding the others, stuck. */
export function feedMarks(
  f: Pick<OwnFeeds['feeds'][number], 'idle' | 'released' | 'holding' | 'stuck' | 'movedAt'>,
): string {
  return (
    (f.idle
      ? ' (idle: holds nothing back)'
      : f.released
        ? ' (released: holds nothing back until it has caught up)'
        : f.holding
          ? ' (HOLDING the others back)'
          : '') + (f.stuck ? ` (STUCK: through has not moved since ${f.movedAt})` : '')
  );
}

/** The sender's feeds, a line each, then where the stream stands. */
export function ownFeedsText(a: OwnFeeds): string {
  if (a.feeds.length === 0) return 'no feeds: nothing has been sent over HTTP by your organisation\n';
  const lines = a.feeds.map(
    (f) =>
      `${f.kind}/${f.name}: through ${f.through}, heard ${f.heardAt}` +
      (f.staged ? `, ${f.staged} waiting` : '') +
      (f.late ? `, ${f.late} dropped as late` : '') +
      feedMarks(f),
  );
  lines.push(`watermark: ${a.watermark ?? 'none (no feed active)'}`);
  if (a.heldByOthers && a.feeds.some((f) => f.staged > 0))
    lines.push('another party has not sent up to your time yet: your records wait for it');
  return lines.join('\n') + '\n';
}

/**
 * Sends one gzipped body, again after what the server may not have acted on: a lost connection,
 * 409 `publisher_busy` (another publisher held the stream longer than it waited), 429 and 5xx. A
 * refusal that would come again (400, 401, 403, 413, 415, another 409) stops at once.
 */
async function upload(
  url: URL,
  key: string,
  file: string,
  type: string,
  attempts: number,
  say: (msg: string) => void,
): Promise<Answer> {
  let pause = FIRST_PAUSE_MS;
  for (let attempt = 1; ; attempt++) {
    let res: Response | null = null;
    let failure: string;
    // On a terminal, a bar of the file's bytes sent (a 256 MiB upload takes a while on a slow
    // line); elsewhere each file's summary line is the progress.
    const bar = process.stderr.isTTY
      ? new Progress(
          `send ${path.basename(file)} (KiB)`,
          Math.max(1, Math.ceil(fs.statSync(file).size / 1024)),
        )
      : null;
    try {
      res = await fetch(url, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': type, 'content-encoding': 'gzip' },
        body: gzipped(file, bar && kib(bar)),
        // A streamed body (undici): the file is read and compressed as it goes, never held whole.
        duplex: 'half',
      } as RequestInit);
      bar?.stop();
      if (res.ok) return (await res.json()) as Answer;
      const problem = (await res.json().catch(() => ({}))) as { code?: string; detail?: string };
      const again = res.status >= 500 || res.status === 429 || problem.code === 'publisher_busy';
      if (!again)
        throw new AppError(res.status, problem.code ?? 'http_error', problem.detail ?? `HTTP ${res.status}`);
      failure = `${problem.detail ?? `HTTP ${res.status}`}${problem.code ? ` [${problem.code}]` : ''}`;
    } catch (err) {
      bar?.stop();
      if (err instanceof AppError) throw err;
      failure = `cannot reach ${url.origin}: ${(err as Error).message}`;
    }
    if (attempt >= attempts)
      throw new AppError(503, 'upload_failed', `${failure}; gave up after ${attempt} tries`);
    say(`${failure}; sending again in ${pause / 1000} s (try ${attempt + 1} of ${attempts})`);
    await new Promise((r) => setTimeout(r, pause));
    pause *= 2;
  }
}

/** Bytes read, ticked on `bar` in whole KiB. */
function kib(bar: Progress): (n: number) => void {
  let bytes = 0;
  let ticked = 0;
  return (n) => {
    bytes += n;
    const k = Math.ceil(bytes / 1024);
    if (k > ticked) {
      bar.tick(k - ticked);
      ticked = k;
    }
  };
}

/** The file, gzipped as it is read, as a request body; `onBytes` hears the file's bytes read. */
function gzipped(file: string, onBytes: ((n: number) => void) | null): ReadableStream<Uint8Array> {
  const source = fs.createReadStream(file);
  if (onBytes) source.on('data', (chunk) => onBytes(chunk.length));
  return Readable.toWeb(source.pipe(zlib.createGzip())) as ReadableStream<Uint8Array>;
}

/** One file's answer in a few lines: what was taken, what was refused and where the merge stands. */
function summary(file: string, a: Answer, kind: IngestKind): string {
  const r = a.rejected;
  const lines = [
    `${file}: ${a.rows} rows: ${a.accepted} ${kind === 'cards' || kind === 'accounts' ? 'published' : 'accepted'}` +
      (a.already ? `, ${a.already} already sent` : '') +
      (r.total
        ? `, ${r.total} rejected (${r.bad} bad` +
          (r.beforeLastTick ? `, ${r.beforeLastTick} before the stream's last tick` : '') +
          ')'
        : '') +
      (a.repeated ? ' (sent before: the first answer; nothing added)' : ''),
    ...r.first.slice(0, 10).map((x) => `  line ${x.line}: ${x.reason}`),
    ...(r.total > 10 ? [`  … ${r.total - 10} more`] : []),
    ...(a.merge
      ? [
          `  into the stream: ${a.merge.published} published` +
            (a.merge.waiting ? `, ${a.merge.waiting} waiting for the other feeds` : '') +
            (a.merge.late ? `, ${a.merge.late} dropped as late` : '') +
            (a.merge.through ? ` (watermark ${a.merge.through})` : ''),
        ]
      : []),
  ];
  return lines.join('\n') + '\n';
}
