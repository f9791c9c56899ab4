import type { Command } from 'commander';
import { SYSTEM } from '../core/audit.ts';
import { generatePiiKeySpec } from '../privacy/crypto.ts';
import { piiKeyUsage, rehashPersons, rotatePiiKeys } from '../privacy/rotate.ts';
import { printJson, printRows } from './output.ts';
import { type Core } from './core.ts';

export function privacyCommands(program: Command, core: Core): void {
  const pii = program.command('pii').description('keys that protect personal data');
  pii
    .command('newkey [keyId]')
    .description('print a new key in INTERDICT_PII_KEYS notation (keyId:base64); put it first to rotate')
    .action((keyId?: string) => {
      process.stdout.write(`${generatePiiKeySpec(keyId)}\n`);
    });
  pii
    .command('usage')
    .description('how many rows each key still encrypts')
    .option('--json', 'print as JSON')
    .action(async (o: { json?: boolean }) => {
      const c = await core();
      try {
        const usage = await piiKeyUsage(c.db);
        if (o.json) printJson({ activeKeyId: c.pii.activeKeyId, usage });
        else {
          process.stdout.write(`active key: ${c.pii.activeKeyId} (${c.pii.source})\n`);
          printRows(
            Object.entries(usage).flatMap(([table, keys]) =>
              Object.entries(keys).map(([key, rows]) => ({ table, key, rows })),
            ),
            false,
          );
        }
      } finally {
        await c.close();
      }
    });
  pii
    .command('rotate')
    .description('re-encrypt personal data under the active (first) key, in batches; resumable')
    .option('--batch-size <n>', 'rows per transaction', (v) => Number(v), 500)
    .option('--json', 'print the result as JSON')
    .action(async (o: { batchSize: number; json?: boolean }) => {
      const c = await core();
      try {
        let last = 0;
        const result = await rotatePiiKeys(c.db, c.pii, SYSTEM, {
          batchSize: o.batchSize,
          onProgress: (p) => {
            if (Date.now() - last > 1000) {
              last = Date.now();
              process.stderr.write(`rotate: ${p.table} ${p.reencrypted} re-encrypted\n`);
            }
          },
        });
        if (o.json) printJson(result);
        else
          process.stdout.write(
            `re-encrypted ${result.reencrypted} rows under ${result.activeKeyId}; ${result.remaining} remain under other keys\n`,
          );
      } finally {
        await c.close();
      }
    });
  pii
    .command('rehash')
    .description('recompute lookup hashes after INTERDICT_LOOKUP_KEY changed')
    .action(async () => {
      const c = await core();
      try {
        const r = await rehashPersons(c.db, c.pii, SYSTEM, {});
        printJson(r);
      } finally {
        await c.close();
      }
    });
}
