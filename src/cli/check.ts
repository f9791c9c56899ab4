import type { Command } from 'commander';
import type { IndicatorKind } from '../core/normalize/index.ts';
import { guessKind } from '../registry/guess.ts';
import { DecisionNode } from '../registry/decisions.ts';
import type { DecisionEvent, EventKind } from '../registry/engine/index.ts';
import { printJson, UsageError } from './output.ts';
import { type Core } from './core.ts';

const EVENT_FOR: Record<string, { kind: EventKind; role: string }> = {
  phone: { kind: 'call', role: 'caller' },
  url: { kind: 'url_visit', role: 'url' },
  domain: { kind: 'url_visit', role: 'url' },
  ip: { kind: 'url_visit', role: 'url' },
  bank_account: { kind: 'transfer', role: 'payee' },
  payment_account: { kind: 'transfer', role: 'payee' },
  internet_account: { kind: 'account_opening', role: 'applicant' },
  device: { kind: 'card_opening', role: 'device' },
  app: { kind: 'url_visit', role: 'app' },
};

export function checkCommand(program: Command, core: Core): void {
  program
    .command('check <value>')
    .description('check a number, link or account against the registry: verdict and reasons')
    .option(
      '--kind <kind>',
      'phone, url, domain, ip, bank_account, payment_account, internet_account, device or app (default: guessed)',
    )
    .option('--lang <lang>', 'zh or en', 'en')
    .option('--json', 'print the whole decision as JSON')
    .action(async (value: string, o: { kind?: string; lang: string; json?: boolean }) => {
      const kind = (o.kind ?? guessKind(value)) as IndicatorKind;
      const ev = EVENT_FOR[kind];
      if (!ev) throw new UsageError(`unknown kind ${kind}`);
      if (o.lang !== 'zh' && o.lang !== 'en') throw new UsageError('--lang is zh or en');
      const c = await core();
      try {
        const node = new DecisionNode(c);
        await node.load();
        const event: DecisionEvent = {
          kind: ev.kind,
          parties: [
            {
              role: ev.role,
              kind: kind === 'ip' ? 'url' : kind,
              value: kind === 'ip' ? `http://${value}/` : value,
            },
          ],
        };
        const d = node.engine.decide(event);
        if (o.json) {
          printJson({ value, kind, ...d });
        } else {
          const lang = o.lang as 'zh' | 'en';
          process.stdout.write(
            `${d.action.toUpperCase()}  ${value}  (${kind}, score ${d.score.toFixed(2)})\n`,
          );
          for (const r of d.reasons) process.stdout.write(`  - ${r[lang]}\n`);
          for (const w of d.warnings) process.stdout.write(`  ! ${w.reason}\n`);
          if (d.reasons.length === 0 && d.warnings.length === 0) {
            process.stdout.write(lang === 'zh' ? '  未在风险名单中。\n' : '  Not listed.\n');
          }
        }
        // A malformed value is an error for a script: exit 3, and say why above.
        if (d.warnings.length > 0 && d.matches.length === 0) process.exitCode = 3;
      } finally {
        await c.close();
      }
    });
}
