import type { Command } from 'commander';
import { describeEndpoint } from '../channels/smpp-link.ts';
import { smsGatewayFromConfig, type SendRound } from '../channels/sms-gateway.ts';
import { withCore, type Core } from './core.ts';
import { printJson, UsageError } from './output.ts';

/**
 * `interdict sms send-pending`: the SMS gateway as a process of its own (docs/channels.md), for
 * operators who do not let the API nodes bind to the SMSC. With `--once`: bind, send what is due,
 * unbind and exit (cron); without: run until SIGINT/SIGTERM.
 */
export function smsCommands(program: Command, core: Core): void {
  const sms = program.command('sms').description('the SMS outbox and its gateway to the SMSC');
  sms
    .command('send-pending')
    .description('send the SMS outbox to the SMSC of INTERDICT_SMPP_URL (until SIGINT/SIGTERM, or --once)')
    .option('--once', 'send what is due now, then exit')
    .option('--bind-timeout <seconds>', 'with --once: how long to wait for the SMSC (default 30)', (v) => {
      const n = Number(v);
      if (!Number.isFinite(n) || n <= 0) throw new UsageError('--bind-timeout must be a positive number');
      return n;
    })
    .option('--json', 'with --once: print the result as JSON')
    .action(async (opts: { once?: boolean; bindTimeout?: number; json?: boolean }) => {
      await withCore(core, async (c) => {
        if (!c.config.smppUrl)
          throw new UsageError(
            'INTERDICT_SMPP_URL is not set (smpp://system_id:password@host:2775): no SMSC to send to',
          );
        const gateway = smsGatewayFromConfig(c, opts.once ? { pollEveryMs: 0 } : {})!;
        const where = describeEndpoint(gateway.link.endpoint);
        if (opts.once) {
          gateway.connect();
          try {
            if (!(await gateway.waitBound((opts.bindTimeout ?? 30) * 1000)))
              throw new UsageError(`could not bind to ${where}; the texts stay pending`);
            const r: SendRound = await gateway.sendDue();
            if (opts.json) printJson({ smsc: where, ...r });
            else
              process.stdout.write(
                `${where}: ${r.sent} sent, ${r.retrying} to retry, ${r.failed} failed` +
                  (r.released ? `, ${r.released} left for the next run` : '') +
                  '\n',
              );
          } finally {
            await gateway.stop();
          }
          return;
        }
        gateway.start();
        process.stderr.write(`sending the SMS outbox to ${where} (Ctrl+C stops)\n`);
        await new Promise<void>((resolve) => {
          process.once('SIGINT', () => resolve());
          process.once('SIGTERM', () => resolve());
        });
        await gateway.stop();
      });
    });
}
