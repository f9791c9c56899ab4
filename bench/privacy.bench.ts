/**
 * Personal data: cost of encryption, keyed hashes and reads through the access layer (each read
 * decrypts and appends access records in its transaction).
 */
import crypto from 'node:crypto';
import type { BenchResult } from './harness.ts';
import { openDatabase } from '../src/core/db/index.ts';
import { migrateToLatest } from '../src/core/db/migrate.ts';
import { auditMigrations, SYSTEM } from '../src/core/audit.ts';
import { identityMigrations } from '../src/identity/migrations.ts';
import type { Principal } from '../src/identity/model.ts';
import { privacyMigrations } from '../src/privacy/migrations.ts';
import { PiiCipher, piiContext } from '../src/privacy/crypto.ts';
import { prcCheckCharacter } from '../src/privacy/idnumber.ts';
import { createPerson } from '../src/privacy/service.ts';
import { findPersonByIdNumber, listPersons, readPerson } from '../src/privacy/access.ts';

function perSecond(n: number, fn: () => void): number {
  const t = process.hrtime.bigint();
  for (let i = 0; i < n; i++) fn();
  return n / (Number(process.hrtime.bigint() - t) / 1e9);
}

async function msPerOp(n: number, fn: (i: number) => Promise<unknown>): Promise<number> {
  const t = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await fn(i);
  return Number(process.hrtime.bigint() - t) / 1e6 / n;
}

export async function run(): Promise<BenchResult[]> {
  const cipher = new PiiCipher([{ id: 'k1', key: crypto.randomBytes(32) }], crypto.randomBytes(32));
  const ctx = piiContext('persons', 'name_enc', crypto.randomUUID());
  const enc = cipher.encrypt('欧阳娜娜', ctx);
  const results: BenchResult[] = [
    {
      name: 'encrypt a name (AES-256-GCM)',
      value: perSecond(100_000, () => cipher.encrypt('欧阳娜娜', ctx)),
      unit: 'ops/s',
    },
    {
      name: 'decrypt a name',
      value: perSecond(100_000, () => cipher.decrypt(enc.keyId, enc.ciphertext, ctx)),
      unit: 'ops/s',
    },
    {
      name: 'keyed lookup hash (HMAC-SHA256)',
      value: perSecond(100_000, () => cipher.lookupHash('id_number', 'prc_resident:11010519491231002X')),
      unit: 'ops/s',
    },
  ];

  // Always an in-memory PGlite: never tables in the DATABASE_URL database.
  const database = await openDatabase({ dataDir: 'memory://' });
  try {
    const db = database.db;
    await migrateToLatest(db, { ...auditMigrations, ...identityMigrations, ...privacyMigrations });
    const ids: string[] = [];
    const numbers: string[] = [];
    for (let i = 0; i < 1000; i++) {
      const first17 = `110101${1940 + (i % 70)}0101${String(i % 1000).padStart(3, '0')}`;
      numbers.push(first17 + prcCheckCharacter(first17));
      ids.push(
        await createPerson(db, cipher, undefined, SYSTEM, { name: `测试${i}`, idNumber: numbers[i]! }),
      );
    }
    const analyst: Principal = {
      kind: 'user',
      id: crypto.randomUUID(),
      name: 'bench',
      organisationId: crypto.randomUUID(),
      organisationKind: 'anti_fraud_centre',
      roles: ['analyst'],
      scopes: [],
    };
    results.push(
      {
        name: 'readPerson (clear, with access record), PGlite',
        value: await msPerOp(500, (i) =>
          readPerson(db, cipher, analyst, ids[i % ids.length]!, { purpose: 'case:B-1' }),
        ),
        unit: 'ms',
      },
      {
        name: 'findPersonByIdNumber, PGlite',
        value: await msPerOp(500, (i) =>
          findPersonByIdNumber(db, cipher, analyst, numbers[i % numbers.length]!, 'case:B-1'),
        ),
        unit: 'ms',
      },
      {
        name: 'listPersons 100 (masked, 100 access records), PGlite',
        value: await msPerOp(50, () => listPersons(db, cipher, analyst, { purpose: 'search', limit: 100 })),
        unit: 'ms',
      },
    );
  } finally {
    await database.close();
  }
  return results;
}
