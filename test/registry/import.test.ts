import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import type { Database } from '../../src/core/db/index.ts';
import { migrateToLatest } from '../../src/core/db/migrate.ts';
import { createEventBus, type EventBus } from '../../src/core/bus/index.ts';
import { runImport } from '../../src/core/importer/run.ts';
import { allMigrations } from '../../src/migrations.ts';
import type { Services } from '../../src/api/types.ts';
import { registryCommands } from '../../src/cli/registry.ts';
import { registryMigrations } from '../../src/registry/migrations.ts';
import { listingImport } from '../../src/registry/imports.ts';
import { getListing, listReviews, searchListings, type Submission } from '../../src/registry/service.ts';
import { currentVersion } from '../../src/registry/snapshot.ts';
import { openTestDatabase } from '../helpers/db.ts';

let database: Database;
let bus: EventBus;
let dir: string;
const future = new Date(Date.now() + 10 * 86_400_000).toISOString();

before(async () => {
  database = await openTestDatabase();
  await migrateToLatest(database.db, { ...allMigrations, ...registryMigrations });
  bus = await createEventBus({ db: database.db });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'interdict-listings-'));
});
after(async () => {
  await bus.close();
  await database.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const db = () => database.db;
function write(name: string, lines: string[]): string {
  const p = path.join(dir, name);
  fs.writeFileSync(p, lines.join('\n') + '\n');
  return p;
}
const one = async (q: string) => {
  const r = await searchListings(db(), { q });
  assert.equal(r.items.length, 1, `one listing for ${q}`);
  return r.items[0]!;
};
const rejectsOf = (file: string) =>
  new Map(
    fs
      .readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { line: number; reason: string })
      .map((x) => [x.line, x.reason]),
  );

describe('import listings', () => {
  test('good rows land, bad rows go to the reject file with the normaliser’s reason', async () => {
    const file = write('listings.csv', [
      'kind,value,category,confidence,expires_at,evidence,source_ref',
      `phone,138 0013 8001,loan,0.7,${future},case:1|case:2,`,
      'domain,https://www.fake-shop-now.com/x,shopping,,,,',
      'url,hxxp://phish.example.com/login?a=1,impersonate_police,,,,',
      'fax,12345,loan,,,,',
      'phone,not a number,loan,,,,',
      'phone,13800138002,aliens,,,,',
      'phone,13800138003,loan,1.5,,,',
      'phone,13800138004,loan,,2020-01-01T00:00:00+08:00,,',
      'phone,110,impersonate_police,,,,',
      'app,com.fake.icbc,impersonate_police,0.9,,,partner-feed',
    ]);
    const r = await runImport(db(), listingImport(bus), { file, batchSize: 3 });
    assert.equal(r.status, 'done');
    assert.equal(r.accepted, 5);
    assert.equal(r.rejected, 5);
    const rej = rejectsOf(r.rejectFile!);
    assert.match(rej.get(5)!, /^kind: unknown indicator kind/);
    assert.match(rej.get(6)!, /^value: phone_unparseable: no phone number found/);
    assert.match(rej.get(7)!, /^category: unknown scam category "aliens"/);
    assert.match(rej.get(8)!, /^confidence/);
    assert.match(rej.get(9)!, /^expires_at: in the past/);

    const phone = await one('+8613800138001');
    assert.equal(phone.confidence, 0.7, 'the confidence column is the trust of the row’s source');
    assert.deepEqual(phone.evidence, ['case:1', 'case:2']);
    assert.equal(phone.expiresAt?.toISOString(), future);
    assert.equal((await one('fake-shop-now.com')).kind, 'domain');
    assert.equal((await one('http://phish.example.com/login?a=1')).value, 'phish.example.com/login?a=1');
    const app = await one('pkg:com.fake.icbc');
    assert.equal((await getListing(db(), app.id)).sources[0]!.reporterRef, 'partner-feed');
    // The protected number was accepted as a submission, and waits in review.
    assert.equal((await searchListings(db(), { q: '110', kind: 'phone' })).items.length, 0);
    assert.ok(
      (await listReviews(db())).some((x) => x.value === 'short:CN:110' && x.proposer.name === 'import'),
      '110 is in the review queue',
    );
  });

  test('the same file again does nothing', async () => {
    const v = await currentVersion(db());
    const r = await runImport(db(), listingImport(bus), { file: path.join(dir, 'listings.csv') });
    assert.equal(r.status, 'already_imported');
    assert.equal(await currentVersion(db()), v);
  });

  test('another file with the same rows corroborates, never duplicates', async () => {
    const v = await currentVersion(db());
    const same = write('again.ndjson', [
      JSON.stringify({
        kind: 'phone',
        value: '+86 13800138001',
        category: 'romance',
        confidence: '0.7',
        expires_at: future,
      }),
      JSON.stringify({ kind: 'domain', value: 'fake-shop-now.com', category: 'shopping' }),
    ]);
    const r1 = await runImport(db(), listingImport(bus), { file: same });
    assert.equal(r1.accepted, 2);
    assert.equal(await currentVersion(db()), v, 'the same source again changes nothing');
    const rows = await db()
      .selectFrom('listings')
      .select('id')
      .where('value', '=', '+8613800138001')
      .execute();
    assert.equal(rows.length, 1);

    const other = write('other.ndjson', [
      JSON.stringify({ kind: 'phone', value: '13800138001', category: 'loan', source_ref: 'second-feed' }),
    ]);
    await runImport(db(), listingImport(bus), { file: other });
    const phone = await one('+8613800138001');
    assert.equal(phone.confidence, 0.88, 'a second feed corroborates: 1 − 0.3 · 0.4');
    assert.equal(phone.category, 'loan', 'the category stays the first one');
    assert.equal((await getListing(db(), phone.id)).sources.length, 2);
  });

  test('an interrupted import resumes after the last committed batch', async () => {
    const lines = ['kind,value,category'];
    for (let i = 0; i < 25; i++) lines.push(`phone,+861370000${String(i).padStart(4, '0')},click_farming`);
    const file = write('big.csv', lines);
    let batches = 0;
    await assert.rejects(
      runImport(db(), listingImport(bus), {
        file,
        batchSize: 10,
        onProgress: () => {
          if (++batches === 1) throw new Error('simulated crash');
        },
      }),
      /simulated crash/,
    );
    const count = async () =>
      (await db().selectFrom('listings').select('id').where('value', 'like', '+861370000%').execute()).length;
    assert.equal(await count(), 10, 'the first batch committed');
    const r = await runImport(db(), listingImport(bus), { file, batchSize: 10 });
    assert.equal(r.resumedAfterLine, 11);
    assert.equal(r.accepted, 25);
    assert.equal(await count(), 25);
  });

  test('writeBatch writes a whole batch as the row path would', async () => {
    const spec = listingImport(bus, { sourceRef: 'batch-feed' });
    const rows: Submission[] = [];
    for (let i = 0; i < 400; i++) {
      const p = spec.prepare({
        kind: i % 2 ? 'phone' : 'domain',
        value: i % 2 ? `+86136000${String(i).padStart(5, '0')}` : `scam-site-${i}.com`,
        category: 'investment_pension',
        evidence: `feed:${i}`,
      });
      assert.ok(p.ok, 'the row is good');
      if (p.ok) rows.push(p.value);
    }
    rows.push(rows[1]!, rows[2]!); // duplicates in one batch
    const p110 = spec.prepare({ kind: 'phone', value: '+8695588', category: 'loan' });
    assert.ok(p110.ok, 'a protected number is a good row');
    if (p110.ok) rows.push(p110.value);
    const v0 = await currentVersion(db());
    const started = Date.now();
    await db()
      .transaction()
      .execute((tx) => spec.writeBatch(tx, rows));
    const ms = Date.now() - started;
    assert.equal(await currentVersion(db()), v0 + 400, 'one version per listing');
    const events = await db()
      .selectFrom('bus_events')
      .select('type')
      .where('type', '=', 'listing.created')
      .where('data', '@>', JSON.stringify({ category: 'investment_pension' }) as never)
      .execute();
    assert.equal(events.length, 400);
    const history = await db()
      .selectFrom('listing_history')
      .select('listing_id')
      .where('version', '>', v0)
      .execute();
    assert.equal(history.length, 400);
    assert.equal((await one('scam-site-0.com')).confidence, 0.6);
    assert.ok(ms < 20_000, `a 403-row batch took ${ms} ms`);
    const audit = await db()
      .selectFrom('audit_log')
      .select('details')
      .where('action', '=', 'listing.import')
      .orderBy('id', 'desc')
      .executeTakeFirstOrThrow();
    const details = (typeof audit.details === 'string' ? JSON.parse(audit.details) : audit.details) as Record<
      string,
      number
    >;
    assert.deepEqual([details.rows, details.listed, details.corroborated, details.review], [403, 400, 2, 1]);
  });

  test('interdict import listings and interdict listings / allowlist', async () => {
    const services = { db: db(), bus, close: async () => {} } as unknown as Services & {
      close(): Promise<void>;
    };
    const out: string[] = [];
    const run = async (...args: string[]) => {
      const program = new Command().exitOverride();
      registryCommands(program, async () => services);
      const write = process.stdout.write.bind(process.stdout);
      out.length = 0;
      // Only the command's text: the test runner talks to its parent through stdout in binary.
      process.stdout.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
        if (typeof chunk !== 'string') return write(chunk, ...rest);
        out.push(chunk);
        return true;
      }) as typeof process.stdout.write;
      try {
        await program.parseAsync(args, { from: 'user' });
      } finally {
        process.stdout.write = write;
      }
      return out.join('');
    };
    const file = write('cli.csv', ['kind,value,category', 'phone,13800138099,loan', 'phone,oops,loan']);
    const r = JSON.parse(await run('import', 'listings', file, '--json', '--source-ref', 'cli-feed'));
    assert.equal(r.accepted, 1);
    assert.equal(r.rejected, 1);
    const list = JSON.parse(await run('listings', 'list', '--q', '13800138099', '--json'));
    assert.equal(list.length, 1);
    const shown = await run('listings', 'show', 'phone:13800138099');
    assert.match(shown, /\+8613800138099/);
    assert.match(shown, /cli-feed/);
    const gone = JSON.parse(await run('listings', 'delist', list[0].id, '--reason', 'test', '--json'));
    assert.equal(gone.status, 'delisted');
    const added = JSON.parse(
      await run(
        'allowlist',
        'add',
        '--kind',
        'domain',
        '--value',
        'my-bank.cn',
        '--label',
        'My bank',
        '--json',
      ),
    );
    assert.equal(added.value, 'my-bank.cn');
    assert.match(await run('allowlist', 'list', '--kind', 'domain', '--q', 'my bank'), /my-bank\.cn/);
    assert.match(await run('allowlist', 'remove', added.id), /removed domain my-bank\.cn/);
    assert.match(await run('allowlist', 'seed'), /added 0 protected indicators and 0 brands/);
    assert.match(await run('listings', 'expire'), /listings expired/);
  });
});
