import fs from 'node:fs';
import type { Command } from 'commander';
import type { Services } from '../api/types.ts';
import { allDetectors } from '../detection/detectors/index.ts';
import {
  BEFORE_LAST_TICK,
  ACCOUNTS,
  CALLS,
  CARDS,
  checkHeader,
  DEFAULT_LATENESS_MS,
  FormatError,
  TRANSACTIONS,
  type RecordKind,
} from '../detection/parse.ts';
import type { Detection } from '../detection/records.ts';
import { recordDetections } from '../detection/store.ts';
import { configuredParams, paramsFingerprint } from '../detection/params.ts';
import { RejectFiles } from '../detection/rejects.ts';
import { DbCheckpointStore } from '../detection/stream/checkpoints.ts';
import { openRecordStream } from '../detection/stream/open.ts';
import { EmbeddedRecordStream } from '../detection/stream/embedded.ts';
import { recordStreamStatus, type PartitionCoverage } from '../detection/stream/status.ts';
import { retireWorker } from '../detection/stream/retire.ts';
import { loadReference, mergeFiles, publishRecords } from '../detection/stream/publish.ts';
import {
  acquirePublisher,
  publisherName,
  streamKey,
  type PublisherLease,
} from '../detection/stream/publisher.ts';
import { DEFAULT_PARTITIONS, type RecordStream } from '../detection/stream/types.ts';
import { DetectionWorker, parsePartitions, partitionRanges } from '../detection/stream/worker.ts';
import {
  ContactObserver,
  ContactWatch,
  contactTriggerInput,
  type ContactTrigger,
} from '../warnings/contact-watch.ts';
import { intakeTrigger } from '../warnings/service.ts';
import { SYSTEM } from '../core/audit.ts';
import { cliPrincipal, countRows, findOrganisation, withCore, type Core } from './core.ts';
import { releaseFeedNow } from '../detection/stream/ingest-route.ts';
import { printJson, printRows, UsageError } from './output.ts';
import { Progress } from './progress.ts';
import { WorkerProgress } from './worker-progress.ts';
import { feedMarks, feedsCommand, sendCommand } from './send.ts';
import {
  CALLS_OPTION,
  existingFiles,
  MAX_LATENESS,
  moreFiles,
  REPORT_FROM,
  PARAMS_OPTION,
  paramsOption,
  seconds,
  TRANSACTIONS_OPTION,
} from './detect.ts';

/**
 * `interdict detect publish` and `interdict detect worker`: streaming detection
 * (docs/detection.md, "Streaming"). The record stream is NATS JetStream when NATS_URL is set,
 * else the embedded one in the database.
 */
export function streamCommands(program: Command, core: Core): void {
  const detect =
    program.commands.find((c) => c.name() === 'detect') ??
    program.command('detect').description('detection over call records and transactions');

  detect
    .command('publish')
    .description(
      'publish call records and transactions (in time order) into the record stream, and new cards and accounts',
    )
    .option(
      '--cards <file>',
      'phone cards to add to every worker’s reference data (published first); repeat for several files',
      moreFiles,
    )
    .option(
      '--accounts <file>',
      'bank and payment accounts to add the same way; repeat for several files',
      moreFiles,
    )
    .option(...CALLS_OPTION)
    .option(...TRANSACTIONS_OPTION)
    .option('--format <format>', 'csv or ndjson (default: from each file name)')
    .option(...MAX_LATENESS)
    .option(
      '--wait <seconds>',
      'when another publish holds the stream, wait up to this long for it to end (default 0: refuse at once)',
      seconds('--wait'),
    )
    .option('--end', 'close the input afterwards: workers drain everything and stop')
    .option('--partition-count <n>', `partitions of the record stream (default ${DEFAULT_PARTITIONS})`, count)
    // `detect` itself has --calls, --cards, …: commander gives them to it, so read them merged.
    .action(async (_: unknown, cmd: Command) => {
      const o = cmd.optsWithGlobals<PublishOptions>();
      if (!o.calls && !o.transactions && !o.cards && !o.accounts)
        throw new UsageError('give --calls, --transactions, --cards and/or --accounts');
      existingFiles(o.cards, o.accounts, o.calls, o.transactions);
      await withCore(core, async (c) => {
        const stream = await openStream(c, o.partitionCount ?? DEFAULT_PARTITIONS);
        // One publisher at a time: a second one is refused here, before it reads anything.
        let lease: PublisherLease;
        try {
          lease = await acquirePublisher(c.db, streamKey(stream), publisherName(), {
            waitMs: o.wait ?? 0,
            onWait: (busy) =>
              process.stderr.write(
                `interdict: ${busy.replace(/: one publisher at a time.*$/, '')}: waiting up to ${(o.wait ?? 0) / 1000} s\n`,
              ),
          });
        } catch (err) {
          await stream.close();
          throw err;
        }
        let total = 0;
        try {
          for (const f of existingFiles(o.calls, o.transactions)) total += await countRows(f, o.format);
        } catch (err) {
          await lease.release();
          await stream.close();
          throw err;
        }
        const bar = new Progress('publish', Math.max(1, total));
        let seen = 0;
        let rejected = 0;
        /** Of those, rows from before the stream's last tick (a publish over what went before). */
        let beforeTick = 0;
        const rejects = new RejectFiles();
        try {
          // Every file's first line is checked before anything is published.
          for (const [files, kind] of [
            [o.cards, CARDS],
            [o.accounts, ACCOUNTS],
            [o.calls, CALLS],
            [o.transactions, TRANSACTIONS],
          ] as const)
            for (const f of files ?? []) await checkHeader(f, kind as RecordKind<unknown>, o.format);
          const ref = await loadReference(
            { cards: o.cards, accounts: o.accounts, format: o.format },
            rejects,
          );
          // Put back in order as `interdict detect` does; before the stream's last tick, too late.
          const head = await stream.head();
          const order = {
            latenessMs: o.maxLateness ?? DEFAULT_LATENESS_MS,
            ...(head.lastTickAt !== null && { floor: head.lastTickAt }),
          };
          const { published, already } = await publishRecords(
            stream,
            mergeFiles(
              { calls: o.calls, transactions: o.transactions, format: o.format },
              (f, l, r, raw) => {
                rejected++;
                if (r.startsWith(BEFORE_LAST_TICK)) beforeTick++;
                rejects.of(f)(l, r, raw);
              },
              order,
            ),
            {
              end: o.end ?? false,
              reference: ref,
              pii: c.pii,
              lease,
              // Rows gone through: published and skipped as bad.
              onProgress: (k) => {
                bar.tick(k + rejected - seen);
                seen = k + rejected;
              },
            },
          );
          bar.stop();
          const what = [
            ...(o.cards ? [`${ref.cards.length} cards`] : []),
            ...(o.accounts ? [`${ref.accounts.length} accounts`] : []),
            `${published} records`,
          ];
          await rejects.close();
          const bad = rejects.total - beforeTick;
          const skipped = [
            ...(beforeTick
              ? [`${beforeTick} rows from before the stream's last tick (published already, or too late)`]
              : []),
            ...(bad ? [`${bad} bad rows`] : []),
          ];
          process.stdout.write(
            `${what.slice(0, -1).join(', ')}${what.length > 1 ? ' and ' : ''}${what.at(-1)} published to the ` +
              `${stream.kind} record stream (${stream.partitions} partitions)` +
              (already ? `; ${already} records already in the stream since its last tick skipped` : '') +
              (skipped.length ? `; ${skipped.join(' and ')} skipped → ${rejects.paths.join(', ')}` : '') +
              (o.end ? '; input closed' : '') +
              '\n',
          );
        } catch (err) {
          bar.stop();
          if (err instanceof FormatError) throw new UsageError(err.message);
          throw err;
        } finally {
          await rejects.close();
          await lease.release();
          await stream.close();
        }
      });
    });

  detect
    .command('worker')
    .description(
      'run the detectors on partitions of the record stream until SIGINT/SIGTERM (checkpoints on stop)',
    )
    .requiredOption('--partitions <set>', 'the partitions this worker owns, e.g. 0-3 or 0,2,4-5')
    .option(
      '--cards <file>',
      'phone cards (holders, card types, regions: what the detectors look up); repeat for several files',
      moreFiles,
    )
    .option('--accounts <file>', 'bank and payment accounts; repeat for several files', moreFiles)
    .option('--format <format>', 'csv or ndjson (default: from each file name)')
    .option('--org <name or id>', 'store detections for this operator or bank (default: the platform)')
    .option('--out <file>', 'append detections to this NDJSON file instead of storing them')
    .option('--partition-count <n>', `partitions of the record stream (default ${DEFAULT_PARTITIONS})`, count)
    .option('--checkpoint-every <records>', 'checkpoint after this many records (default 200000)', count)
    .option(...REPORT_FROM)
    .option(...PARAMS_OPTION)
    .action(async (_: unknown, cmd: Command) => {
      const o = cmd.optsWithGlobals<WorkerOptions>();
      const total = o.partitionCount ?? DEFAULT_PARTITIONS;
      let partitions: number[];
      try {
        partitions = parsePartitions(o.partitions, total);
      } catch (err) {
        throw new UsageError((err as Error).message);
      }
      existingFiles(o.cards, o.accounts);
      await withCore(core, async (c) => {
        // Every worker of a stream must run the same parameters (docs/detection.md, "Parameters").
        const params = paramsOption(o.params, configuredParams(c.config));
        const fingerprint = paramsFingerprint(params);
        const org = o.org ? await findOrganisation(c, o.org) : null;
        const stream = await openStream(c, total);
        const out = o.out ? fs.createWriteStream(o.out, { flags: 'a' }) : null;
        const sink = out
          ? (ds: Detection[]) =>
              new Promise<void>((resolve, reject) =>
                out.write(ds.map((d) => JSON.stringify(d) + '\n').join(''), (err) =>
                  err ? reject(err) : resolve(),
                ),
              )
          : async (ds: Detection[]) => void (await recordDetections(c, org?.id ?? null, ds));
        try {
          const rejects = new RejectFiles();
          const ref = await loadReference(
            { cards: o.cards, accounts: o.accounts, format: o.format },
            rejects,
          );
          await rejects.close();
          if (rejects.total)
            process.stderr.write(`${rejects.total} bad rows skipped → ${rejects.paths.join(', ')}\n`);
          let failed: unknown = null;
          // Stored detections come with the contact watch: long calls from flagged or listed numbers
          // become warning triggers at once (docs/warnings.md, "Warning before the payment").
          const triggers = out ? null : await contactTriggers(c, org);
          const w = new DetectionWorker({
            stream,
            partitions,
            detectors: () => allDetectors(params),
            params: fingerprint,
            cards: ref.cards,
            accounts: ref.accounts,
            sink,
            checkpoints: new DbCheckpointStore(c.db, c.pii),
            pii: c.pii,
            ...(o.checkpointEvery ? { checkpointEvery: o.checkpointEvery } : {}),
            ...(o.reportFrom !== undefined ? { reportFrom: o.reportFrom } : {}),
            onError: (err) => (failed = err),
            ...(triggers ? { observer: triggers.observer } : {}),
          });
          await w.start();
          process.stderr.write(
            `worker ${w.name} on the ${stream.kind} record stream (${w.stats.mode} checkpoints, detector parameters ${fingerprint}); stop with Ctrl-C\n`,
          );
          if (w.stats.rebuilt) process.stderr.write(`checkpoint not restored: ${w.stats.rebuilt}\n`);
          if (w.stats.paramsChanged)
            process.stderr.write(
              `detector parameters changed since the checkpoint (${w.stats.paramsChanged}): the state carries on, the new values apply from here\n`,
            );
          const stop = () => void w.stop();
          process.once('SIGINT', stop);
          process.once('SIGTERM', stop);
          // How far it has got, every second (a bar while it catches up; a line a minute after).
          const progress = new WorkerProgress(w.name);
          let reading: Promise<void> = Promise.resolve();
          const timer = setInterval(() => {
            reading = reading
              .then(async () => progress.update(w.stats, (await stream.head()).gseq))
              // A head that cannot be read now (the database restarting) costs a line, not the run.
              .catch(() => undefined);
          }, 1000);
          try {
            await w.done;
          } finally {
            clearInterval(timer);
            await reading;
            progress.stop();
          }
          await w.stop();
          await triggers?.close();
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          if (failed) throw failed;
          const s = w.stats;
          process.stdout.write(
            `${s.records} records, ` +
              (s.reference ? `${s.reference} cards and accounts, ` : '') +
              `${s.detections} detections` +
              (s.withheld ? `, ${s.withheld} withheld (before --report-from)` : '') +
              `, ${s.checkpoints} checkpoints (at gseq ${s.gseq})\n`,
          );
        } finally {
          if (out) await new Promise<void>((resolve) => out.end(resolve));
          await stream.close();
        }
      });
    });

  sendCommand(detect);
  feedsCommand(detect);

  detect
    .command('status')
    .description('the record stream (head, what it keeps) and every worker: how far behind, stalled, missed')
    .option('--json', 'print as JSON')
    .action(async (_: unknown, cmd: Command) => {
      const o = cmd.optsWithGlobals<{ json?: boolean }>();
      await withCore(core, async (c) => {
        const stream = await openRecordStream(c.config, c.db);
        try {
          const st = await recordStreamStatus(c.db, stream, c.config);
          if (o.json) return printJson(st);
          const kept =
            st.stored.fromGseq === null
              ? 'nothing kept'
              : `keeps ${st.stored.fromGseq}–${st.head.gseq} (${st.stored.units} ${st.kind === 'nats' ? 'messages' : 'rows'}, ${mib(st.stored.bytes)})`;
          process.stdout.write(
            `${st.kind} record stream: head ${st.head.gseq}` +
              (st.head.lastTickAt ? `, stream time ${st.head.lastTickAt}` : '') +
              (st.head.ended ? ', input closed' : '') +
              `; ${kept}; retention ${Math.round(st.keepMs / 86_400_000)} days\n` +
              (st.publisher
                ? `publishing: ${st.publisher.holder}, since ${st.publisher.since}, last heard ${st.publisher.lastHeard}` +
                  (st.publisher.lapsed ? ' (LAPSED: it died or hangs; the next publish takes over)' : '') +
                  '\n'
                : '') +
              st.feeds
                .map(
                  (f) =>
                    `feed ${f.organisation ?? f.organisationId} ${f.kind}/${f.name}: through ${f.through}, heard ${f.heardAt}` +
                    (f.staged ? `, ${f.staged} staged` : '') +
                    (f.late ? `, ${f.late} dropped as late` : '') +
                    feedMarks(f) +
                    '\n',
                )
                .join('') +
              (st.feeds.length ? `watermark: ${st.watermark ?? 'none (no feed active)'}\n` : ''),
          );
          printRows(
            st.workers.map((w) => ({
              worker: w.worker,
              gseq: w.gseq,
              behind: w.behind,
              mode: w.mode,
              saved: w.savedAt,
              params: (w.params ?? '?') + (w.paramsDiffer ? ' DIFFERS' : ''),
              state: w.ended
                ? 'ended'
                : w.missed
                  ? 'MISSED entries no longer kept'
                  : w.stalled
                    ? 'STALLED (no checkpoint for 5 min)'
                    : w.behind > 0
                      ? 'catching up'
                      : 'current',
            })),
            false,
          );
          const off = st.workers.filter((w) => w.paramsOffPlatform);
          process.stdout.write(
            coverageLines(st.coverage) +
              (off.length
                ? `${off.map((w) => w.worker).join(', ')} checkpointed with other detector parameters than ` +
                  `this configuration's (${st.platformParams}, INTERDICT_DETECTOR_PARAMS): citizens are shown ` +
                  `its card limits; give the server and every worker the same file\n`
                : ''),
          );
        } finally {
          await stream.close();
        }
      });
    });

  detect
    .command('retire <worker>')
    .description(
      'delete the checkpoint of a worker that no longer runs (taken out of service, or left behind when its partitions moved)',
    )
    .requiredOption('--reason <text>', 'why: kept in the audit trail')
    .option('--json', 'print as JSON')
    .action(async (worker: string, _: unknown, cmd: Command) => {
      const o = cmd.optsWithGlobals<{ reason: string; json?: boolean }>();
      if (o.reason.trim().length < 3) throw new UsageError('--reason: say why, in a few words');
      await withCore(core, async (c) => {
        const stream = await openRecordStream(c.config, c.db);
        try {
          const retired = await retireWorker(c.db, await cliPrincipal(c), worker, o.reason.trim());
          const st = await recordStreamStatus(c.db, stream, c.config);
          if (o.json) return printJson({ retired, coverage: st.coverage });
          process.stdout.write(
            `retired ${retired.worker}: partitions ${partitionRanges(retired.partitions)}, ` +
              `last at gseq ${retired.gseq}, checkpointed ${retired.savedAt}\n` +
              (coverageLines(st.coverage) ||
                (st.workers.length ? 'every partition has one worker\n' : 'no worker is left\n')),
          );
        } finally {
          await stream.close();
        }
      });
    });

  detect
    .command('release-feed')
    .description(
      'let the other feeds go on without a feed that holds them back (a stuck clock); it holds again once caught up',
    )
    .requiredOption('--organisation <name-or-id>', 'whose feed')
    .requiredOption('--kind <kind>', 'calls or transactions')
    .option('--feed <name>', 'the feed’s name', 'main')
    .requiredOption('--reason <text>', 'why: kept in the audit trail')
    .option('--json', 'print as JSON')
    .action(async (_: unknown, cmd: Command) => {
      const o = cmd.optsWithGlobals<{
        organisation: string;
        kind: string;
        feed: string;
        reason: string;
        json?: boolean;
      }>();
      if (o.kind !== 'calls' && o.kind !== 'transactions')
        throw new UsageError(`--kind: ${o.kind} is not calls or transactions`);
      if (o.reason.trim().length < 3) throw new UsageError('--reason: say why, in a few words');
      await withCore(core, async (c) => {
        const org = await findOrganisation(c, o.organisation);
        const stream = await openRecordStream(c.config, c.db);
        try {
          const r = await releaseFeedNow(
            c,
            await cliPrincipal(c),
            { organisationId: org.id, kind: o.kind as 'calls' | 'transactions', name: o.feed },
            o.reason.trim(),
            () => Promise.resolve(stream),
          );
          if (o.json) return printJson(r);
          process.stdout.write(
            `released ${org.name} ${o.kind}/${o.feed}: it holds nothing back until it has caught up\n` +
              (r.merge
                ? `merged: ${r.merge.published} published` +
                  (r.merge.waiting ? `, ${r.merge.waiting} still waiting` : '') +
                  (r.merge.late ? `, ${r.merge.late} dropped as late` : '') +
                  '\n'
                : 'the stream is held by another publisher: what waited goes in within 30 s\n') +
              `watermark: ${r.watermark ?? 'none (no feed holds it)'}\n`,
          );
        } finally {
          await stream.close();
        }
      });
    });

  detect
    .command('prune')
    .description(
      'delete the embedded record stream’s entries past retention that every active worker has read (the server does it hourly)',
    )
    .option(
      '--keep-days <n>',
      'days of stream time to keep (default INTERDICT_RECORD_STREAM_KEEP_DAYS)',
      count,
    )
    .option('--json', 'print as JSON')
    .action(async (_: unknown, cmd: Command) => {
      const o = cmd.optsWithGlobals<{ keepDays?: number; json?: boolean }>();
      await withCore(core, async (c) => {
        if (c.config.natsUrl)
          throw new UsageError('the record stream is on NATS, which ages records out itself (max_age)');
        const keepMs = o.keepDays ? o.keepDays * 86_400_000 : c.config.recordStreamKeepMs;
        const r = await new EmbeddedRecordStream(c.db).prune({ keepMs });
        if (o.json) return printJson(r);
        process.stdout.write(
          `${r.deleted} rows deleted` +
            (r.through ? ` (every entry up to ${r.through})` : '') +
            (r.heldBy ? `; worker ${r.heldBy} has not read further, so later entries are kept for it` : '') +
            '\n',
        );
      });
    });
}

/** What is wrong with the workers' split (status.ts, PartitionCoverage), a line each; '' when nothing. */
function coverageLines(cv: PartitionCoverage): string {
  let out = '';
  if (cv.uncovered.length)
    out +=
      `NO WORKER for partitions ${cv.uncoveredSpec} of ${cv.count}: ` +
      `their detections are made by no one; run ${cv.command}\n`;
  for (const s of cv.shared)
    out += `partition ${s.partition} has ${s.workers.length} workers (${s.workers.join(', ')}): each of its detections is made twice; retire the one that no longer runs (interdict detect retire)\n`;
  if (cv.otherSplit.length)
    out += `${cv.otherSplit.join(', ')} split the stream into ${cv.otherCounts.join(' or ')} partitions, the last checkpointed into ${cv.count}: retire them once they no longer run (interdict detect retire)\n`;
  return out;
}

function mib(bytes: number): string {
  return `${(bytes / 1048576).toFixed(1)} MiB`;
}

/**
 * The worker's contact watch: its triggers (only for callees this worker owns, none while replaying
 * or reading the history before --report-from) go to the warnings every second, off the record
 * loop. The watch knows the registry's listed numbers as of the start and every number the call
 * detectors flag.
 */
async function contactTriggers(c: Services, org: { id: string; name: string } | null) {
  const listed = new Set(
    (
      await c.db
        .selectFrom('listings')
        .select('value')
        .where('kind', '=', 'phone')
        .where('status', '=', 'active')
        .execute()
    ).map((r) => r.value),
  );
  const pending: ContactTrigger[] = [];
  const source = { source: org?.name ?? 'interdict', organisationId: org?.id ?? null };
  let flushing: Promise<void> = Promise.resolve();
  const flush = () =>
    (flushing = flushing.then(async () => {
      for (let t = pending.shift(); t; t = pending.shift())
        await intakeTrigger(c, SYSTEM, contactTriggerInput(t), source).catch((err: unknown) =>
          c.log.warn({ err }, 'a contact trigger was not taken by the warnings'),
        );
    }));
  const timer = setInterval(() => void flush(), 1_000);
  timer.unref();
  return {
    observer: (owns: (msisdn: string) => boolean, replaying: () => boolean, history: () => boolean) => {
      const watch = new ContactWatch({}, (n) => listed.has(n));
      return new ContactObserver(
        watch,
        (t) => {
          // History before --report-from: never delivered, so it warned no one.
          if (history()) watch.unwarn(t);
          else if (!replaying()) pending.push(t);
        },
        owns,
        flush,
      );
    },
    async close() {
      clearInterval(timer);
      await flush();
    },
  };
}

interface PublishOptions {
  maxLateness?: number;
  wait?: number;
  cards?: string[];
  accounts?: string[];
  calls?: string[];
  transactions?: string[];
  format?: string;
  end?: boolean;
  partitionCount?: number;
}

interface WorkerOptions {
  partitions: string;
  cards?: string[];
  accounts?: string[];
  format?: string;
  org?: string;
  out?: string;
  partitionCount?: number;
  checkpointEvery?: number;
  reportFrom?: number;
  params?: string;
}

function count(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`"${v}" is not a positive whole number`);
  return n;
}

function openStream(c: Services, partitions: number): Promise<RecordStream> {
  return openRecordStream(c.config, c.db, partitions);
}
