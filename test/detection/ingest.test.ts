import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { testApp, seedUser, signInCookie } from '../helpers/app.ts';
import type { Api, Services } from '../../src/api/types.ts';
import { SYSTEM } from '../../src/core/audit.ts';
import { createApiKey, type ApiKeyScope } from '../../src/identity/service.ts';
import { simulate } from '../../src/detection/simulate/index.ts';
import { EmbeddedRecordStream } from '../../src/detection/stream/embedded.ts';
import { loadReference, mergeFiles, type StreamRecord } from '../../src/detection/stream/publish.ts';
import type { StreamEntry } from '../../src/detection/stream/types.ts';
import {
  INGEST_MAX_BYTES,
  ingestRecords,
  REJECTS_LISTED,
  STAGE_RUN,
} from '../../src/detection/stream/ingest.ts';
import { NatsRecordStream } from '../../src/detection/stream/nats.ts';
import type { RecordStream, Routed } from '../../src/detection/stream/types.ts';
import { usingNats } from '../helpers/db.ts';
import { mergeIdleFeeds } from '../../src/detection/stream/ingest-route.ts';
import { FEED_IDLE_MS, mergeFeeds } from '../../src/detection/stream/feeds.ts';
import { sampleCall } from '../helpers/stream.ts';
import { publishRecords as publishInto } from '../../src/detection/stream/publish.ts';
import { DetectionWorker } from '../../src/detection/stream/worker.ts';
import { runDetection } from '../../src/detection/run.ts';
import { allDetectors } from '../../src/detection/detectors/index.ts';
import type { Detection } from '../../src/detection/records.ts';

/**
 * Records sent over HTTP into the record stream (`POST /v1/detection-stream/records`): what goes in
 * is what `detect publish` would put in, a retried upload adds nothing twice, bad rows are listed,
 * and only the parties who hold a kind of record may send it.
 */

let app: Api;
let services: Services;
let close: () => Promise<void>;
let dir: string;
let telcoKey: string;
let bankKey: string;
let telcoReadKey: string;
let telcoUser: string;
let centreAdmin: string;
let analyst: string;

before(async () => {
  ({ app, services, close } = await testApp());
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'interdict-ingest-'));
  await simulate({ people: 1000, days: 1, seed: 9, outDir: dir });
  const { organisationId: telcoId } = await seedUser(services, {
    org: 'Telco',
    kind: 'telecom_operator',
    username: 'telco.op',
    roles: ['institution_operator'],
  });
  const { organisationId: bankId } = await seedUser(services, {
    org: 'Bank',
    kind: 'bank',
    username: 'bank.op',
    roles: ['institution_operator'],
  });
  await seedUser(services, {
    org: 'Centre',
    kind: 'anti_fraud_centre',
    username: 'centre.admin',
    roles: ['administrator'],
  });
  await seedUser(services, { org: 'Centre', kind: 'anti_fraud_centre', username: 'ana', roles: ['analyst'] });
  const key = async (organisationId: string, scopes: ApiKeyScope[]) =>
    (await createApiKey(services.db, services.bus, SYSTEM, { organisationId, name: 'mediation', scopes }))
      .key;
  telcoKey = await key(telcoId, ['records:write']);
  bankKey = await key(bankId, ['records:write']);
  telcoReadKey = await key(telcoId, ['detections:read']);
  // The server's timer merges feeds every 30 s: held off, so that each test says when a merge runs.
  await services.db
    .insertInto('scheduled_jobs')
    .values({
      name: 'detection.merge_feeds',
      last_started_at: new Date(Date.now() + 86_400_000),
      started_by: 'test',
    })
    .onConflict((oc) => oc.column('name').doUpdateSet({ last_started_at: new Date(Date.now() + 86_400_000) }))
    .execute();
  telcoUser = await signInCookie(app, 'telco.op');
  centreAdmin = await signInCookie(app, 'centre.admin');
  analyst = await signInCookie(app, 'ana');
});

after(async () => {
  await close();
  fs.rmSync(dir, { recursive: true, force: true });
});

type Upload = {
  kind: string;
  feed: string | null;
  repeated: boolean;
  rows: number;
  accepted: number;
  already: number;
  rejected: { total: number; beforeLastTick: number; bad: number; first: { line: number; reason: string }[] };
  merge: { published: number; already: number; late: number; through: string | null; waiting: number } | null;
  stream: { kind: string; partitions: number; gseq: number };
};

const upload = (
  kind: string,
  body: string | Buffer,
  opts: {
    key?: string;
    cookie?: string;
    type?: string;
    /** Gzip the body; `as-is`: say it is gzipped, and send it as it is. */
    gzip?: boolean | 'as-is';
    query?: string;
  } = {},
) =>
  app.inject({
    method: 'POST',
    url: `/v1/detection-stream/records?kind=${kind}${opts.query ?? ''}`,
    headers: {
      ...(opts.cookie ? { cookie: opts.cookie } : { authorization: `Bearer ${opts.key ?? telcoKey}` }),
      'content-type': opts.type ?? 'text/csv',
      ...(opts.gzip && { 'content-encoding': 'gzip' }),
    },
    payload: opts.gzip === true ? zlib.gzipSync(body) : body,
  });

const stream = () => new EmbeddedRecordStream(services.db);

async function entries(s: RecordStream = stream()): Promise<StreamEntry[]> {
  const all = Array.from({ length: s.partitions }, (_, i) => i);
  const out: StreamEntry[] = [];
  for (let cursor = 0; ;) {
    const b = await s.read(all, cursor, 1000, 20);
    if (b.length === 0) return out;
    out.push(...b.map((e) => e.entry));
    cursor = b.at(-1)!.cursor;
  }
}

/**
 * The world's calls and transactions cut into slices of `hours` of stream time, each a CSV body
 * with its header, in time order; `end` is just after the last record.
 */
function sliced(hours: number): {
  start: number;
  end: number;
  headers: { calls: string; transactions: string };
  slices: { calls: string; transactions: string }[];
} {
  const read = (f: string) => fs.readFileSync(path.join(dir, f), 'utf8').trimEnd().split('\n');
  const calls = read('calls.csv');
  const txns = read('transactions.csv');
  const timeOf = (l: string) => Date.parse(l.slice(0, l.indexOf(',')));
  const times = [...calls.slice(1), ...txns.slice(1)].map(timeOf);
  const start = Math.min(...times);
  const end = Math.max(...times) + 1;
  const slice = (lines: string[], from: number, to: number) =>
    [lines[0]!, ...lines.slice(1).filter((l) => timeOf(l) >= from && timeOf(l) < to)].join('\n') + '\n';
  const slices = [];
  for (let from = start; from < end; from += hours * 3_600_000) {
    const to = Math.min(end, from + hours * 3_600_000);
    slices.push({ calls: slice(calls, from, to), transactions: slice(txns, from, to) });
  }
  return { start, end, headers: { calls: calls[0]! + '\n', transactions: txns[0]! + '\n' }, slices };
}

/** An empty stream: no records, feeds, staged records or uploads remembered. */
async function freshStream(): Promise<void> {
  for (const t of [
    'detection_records',
    'detection_feeds',
    'detection_staged',
    'detection_uploads',
    'detection_merges',
  ] as const)
    await services.db.deleteFrom(t).execute();
}

const callLines = (from: number, to?: number) => {
  const lines = fs.readFileSync(path.join(dir, 'calls.csv'), 'utf8').trimEnd().split('\n');
  return [lines[0]!, ...lines.slice(1 + from, to === undefined ? undefined : 1 + to)].join('\n') + '\n';
};

describe('records sent over HTTP into the record stream', () => {
  test('an operator’s cards and calls go in as `detect publish` puts the files in; sent again, nothing twice', async () => {
    const cards = fs.readFileSync(path.join(dir, 'cards.csv'));
    const c = await upload('cards', cards);
    assert.equal(c.statusCode, 200, c.body);
    const ref = await loadReference({ cards: path.join(dir, 'cards.csv') });
    assert.equal((c.json() as Upload).accepted, ref.cards.length);
    assert.equal((c.json() as Upload).merge, null, 'cards go in at once');

    // The calls in two parts, the second overlapping the first by 200 rows (a retried upload).
    const total = fs.readFileSync(path.join(dir, 'calls.csv'), 'utf8').trimEnd().split('\n').length - 1;
    const half = Math.floor(total / 2);
    const a = await upload('calls', callLines(0, half), { gzip: true });
    assert.equal(a.statusCode, 200, a.body);
    const first = a.json() as Upload;
    assert.equal(first.rows, half);
    assert.equal(first.accepted, half);
    assert.equal(first.feed, 'main');
    assert.equal(first.rejected.total, 0);
    // The only feed: its records are merged into the stream at once.
    assert.equal(first.merge?.published, half);
    assert.equal(first.merge?.waiting, 0);
    const b = await upload('calls', callLines(half - 200));
    assert.equal(b.statusCode, 200, b.body);
    const second = b.json() as Upload;
    assert.equal(second.rows, total - half + 200);
    assert.equal(second.rejected.bad, 0);
    // The 200 again: those after the first upload's last tick skipped, those before it refused.
    assert.equal(second.already + second.rejected.beforeLastTick, 200);
    assert.equal(second.accepted, total - half);
    assert.equal(second.merge?.published, total - half);
    assert.ok(second.stream.gseq > first.stream.gseq);
    // The same body again: the first answer, nothing added.
    const again = await upload('calls', callLines(half - 200));
    assert.equal(again.statusCode, 200, again.body);
    assert.deepEqual(again.json(), { ...second, repeated: true });
    assert.equal((await stream().head()).gseq, second.stream.gseq);

    // The stream holds the cards (holder ids sealed) and every call once, in the order of one publish.
    const es = await entries();
    const streamCards = es.filter((e) => e.kind === 'card');
    assert.deepEqual(
      streamCards.map((e) => (e.kind === 'card' ? e.record.msisdn : '')),
      ref.cards.map((x) => x.msisdn),
    );
    assert.ok(
      streamCards.every(
        (e) => e.kind === 'card' && (e.record.holderId === '' || e.record.holderId.startsWith('pii:')),
      ) && streamCards.some((e) => e.kind === 'card' && e.record.holderId !== ''),
      'holder ids are sealed in the stream (IoT cards of companies have none)',
    );
    const want: StreamRecord[] = [];
    for await (const r of mergeFiles({ calls: path.join(dir, 'calls.csv') })) want.push(r);
    const got = es.filter((e) => e.kind === 'call').map((e) => (e.kind === 'call' ? e.record : null));
    assert.equal(got.length, want.length);
    assert.deepEqual(
      got,
      want.map((r) => ({ ...r.record, callerRef: undefined, calleeRef: undefined })),
    );

    // The upload is in the audit trail with its counts, never its rows.
    const row = await services.db
      .selectFrom('audit_log')
      .select(['actor_name', 'details', 'target_id'])
      .where('action', '=', 'record_stream.upload')
      .orderBy('id', 'desc')
      .executeTakeFirstOrThrow();
    const details = (typeof row.details === 'string' ? JSON.parse(row.details) : row.details) as Record<
      string,
      unknown
    >;
    assert.equal(row.target_id, 'embedded');
    assert.equal(details.kind, 'calls');
    assert.equal(details.accepted, total - half);
    assert.equal(details.repeated, true, 'the last upload was the repeated one');
    assert.ok(!JSON.stringify(details).includes('+86'), 'no number in the audit entry');
  });

  test('bad rows are listed by line and every good row is published; a file of another kind is refused whole', async () => {
    const { gseq, lastTickAt } = await stream().head();
    const t = lastTickAt! + 600_000;
    const at = (s: number) => new Date(t + s * 1000).toISOString();
    const csv = [
      'ts,kind,caller,callee,duration_s,imsi,imei,cell_id,origin',
      `${at(1)},voice,+8613800138000,+8613900139000,30,,,,offnet`,
      `${at(2)},voice,13800138000,+8613900139000,30,,,,offnet`,
      `${at(3)},voice,+8613800138000,+8613900139001,30,,,,offnet`,
      `yesterday,voice,+8613800138000,+8613900139002,30,,,,offnet`,
      `${new Date(lastTickAt! - 3_600_000).toISOString()},sms,+8613800138000,+8613900139003,0,,,,offnet`,
      `${at(5)},sms,+8613800138000,+8613900139004,0,,,,offnet`,
    ].join('\n');
    const r = await upload('calls', csv);
    assert.equal(r.statusCode, 200, r.body);
    const u = r.json() as Upload;
    assert.equal(u.rows, 6);
    assert.equal(u.accepted, 3);
    assert.equal(u.merge?.published, 3);
    assert.deepEqual(
      { total: u.rejected.total, bad: u.rejected.bad, beforeLastTick: u.rejected.beforeLastTick },
      { total: 3, bad: 2, beforeLastTick: 1 },
    );
    assert.deepEqual(
      u.rejected.first.map((x) => x.line),
      [3, 5, 6],
    );
    assert.match(u.rejected.first[0]!.reason, /^caller: not an E\.164 number/);
    assert.match(u.rejected.first[2]!.reason, /before the record stream's last tick/);
    // Sent again: the same counts; the reasons kept without the values they quoted.
    const again = await upload('calls', csv);
    assert.deepEqual(again.json(), {
      ...u,
      repeated: true,
      rejected: {
        ...u.rejected,
        first: [
          { line: 3, reason: 'caller: not an E.164 number' },
          { line: 5, reason: 'ts: not an ISO 8601 time with offset' },
          u.rejected.first[2],
        ],
      },
    });
    assert.ok(REJECTS_LISTED >= 3);

    // Transactions sent as calls, and an empty body: refused before anything is written.
    const txns = fs.readFileSync(path.join(dir, 'transactions.csv'), 'utf8');
    const head = (await stream().head()).gseq;
    assert.ok(head > gseq);
    const wrong = await upload('calls', txns);
    assert.equal(wrong.statusCode, 400, wrong.body);
    assert.equal(wrong.headers['content-type'], 'application/problem+json; charset=utf-8');
    assert.match(
      wrong.json().detail as string,
      /the CSV body is not a file of call records: the header lacks/,
    );
    const empty = await upload('calls', '');
    assert.equal(empty.statusCode, 400, empty.body);
    const ndjsonAsCsv = await upload('calls', '{"ts":"2026-11-02T08:00:00+08:00"}\n');
    assert.equal(ndjsonAsCsv.statusCode, 400);
    assert.match(ndjsonAsCsv.json().detail as string, /send it as application\/x-ndjson/);
    const badGzip = await upload('calls', 'not gzip at all', { gzip: 'as-is' });
    assert.equal(badGzip.statusCode, 400, badGzip.body);
    assert.equal(badGzip.json().type, 'https://interdict.dev/problems/bad_encoding');
    assert.equal((await stream().head()).gseq, head, 'nothing written by the refused uploads');
  });

  test('a bank sends transactions as gzipped NDJSON; the centre’s administrator may send any kind', async () => {
    const { lastTickAt } = await stream().head();
    const t = lastTickAt! + 3_600_000;
    const ndjson = [0, 1, 2]
      .map((i) =>
        JSON.stringify({
          ts: new Date(t + i * 1000).toISOString(),
          txn_id: `T-${i}`,
          payer_account: '6222000000000001',
          payee_account: `62220000000001${i}0`,
          amount: '1999.00',
          currency: 'CNY',
          channel: 'mobile',
        }),
      )
      .join('\n');
    const r = await upload('transactions', ndjson, {
      key: bankKey,
      type: 'application/x-ndjson',
      gzip: true,
    });
    assert.equal(r.statusCode, 200, r.body);
    const u = r.json() as Upload;
    assert.equal(u.accepted, 3);
    // The operator's feed has sent calls up to an hour before: the transfers wait for it.
    assert.equal(u.merge?.published, 0);
    assert.equal(u.merge?.waiting, 3);
    assert.equal((await entries()).filter((e) => e.kind === 'transaction').length, 0);
    const status = await app.inject({
      method: 'GET',
      url: '/v1/detection-stream',
      headers: { cookie: analyst },
    });
    const feeds = (
      status.json() as { feeds: { organisation: string; kind: string; staged: number; holding: boolean }[] }
    ).feeds;
    assert.deepEqual(
      feeds.map((f) => [f.organisation, f.kind, f.staged, f.holding]),
      [
        ['Bank', 'transactions', 3, false],
        ['Telco', 'calls', 0, true],
      ],
    );
    // Each party sees its own feeds: the bank that it waits for someone else, the operator that it is the one.
    const own = async (key: string) =>
      (
        await app.inject({
          method: 'GET',
          url: '/v1/detection-stream/feeds',
          headers: { authorization: `Bearer ${key}` },
        })
      ).json() as {
        watermark: string | null;
        heldByOthers: boolean;
        feeds: {
          kind: string;
          name: string;
          staged: number;
          holding: boolean;
          late: number;
          through: string;
        }[];
      };
    const bankFeeds = await own(bankKey);
    assert.equal(bankFeeds.heldByOthers, true);
    assert.deepEqual(bankFeeds.feeds, [
      { ...bankFeeds.feeds[0]!, kind: 'transactions', name: 'main', staged: 3, holding: false, late: 0 },
    ]);
    // Prometheus sees the same: what waits, and how far the watermark is behind the latest `through`.
    const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    assert.match(metrics, /\ninterdict_record_stream_staged 3\n/);
    assert.match(metrics, /\ninterdict_record_stream_feeds_late 0\n/);
    const lag = Number(/\ninterdict_record_stream_watermark_lag_seconds (\S+)\n/.exec(metrics)?.[1]);
    // The bank's feed has sent up to its last transfer (t + 2 s); the watermark is the operator's.
    assert.equal(lag, (t + 2000 - Date.parse(bankFeeds.watermark!)) / 1000);
    assert.ok(lag > 3500, `the watermark about an hour behind the bank's feed (${lag} s)`);

    const telcoFeeds = await own(telcoKey);
    assert.equal(telcoFeeds.heldByOthers, false);
    assert.deepEqual(
      telcoFeeds.feeds.map((f) => [f.kind, f.holding]),
      [['calls', true]],
    );
    assert.equal(telcoFeeds.watermark, bankFeeds.watermark);
    // The feed holding the stream back is where the watermark stands: one reading gives both.
    assert.equal(telcoFeeds.feeds[0]!.through, telcoFeeds.watermark);
    const whole = status.json() as {
      watermark: string | null;
      feeds: { holding: boolean; through: string }[];
    };
    assert.deepEqual(
      whole.feeds.filter((f) => f.holding).map((f) => f.through),
      [whole.watermark],
    );
    const noScope = await app.inject({
      method: 'GET',
      url: '/v1/detection-stream/feeds',
      headers: { authorization: `Bearer ${telcoReadKey}` },
    });
    assert.equal(noScope.statusCode, 403);

    // The operator says it has sent everything up to after them (a body of the header alone).
    const beat = await upload('calls', 'ts,kind,caller,callee,duration_s,imsi,imei,cell_id,origin\n', {
      query: `&through=${encodeURIComponent(new Date(t + 10_000).toISOString())}`,
    });
    assert.equal(beat.statusCode, 200, beat.body);
    assert.equal((beat.json() as Upload).merge?.published, 3);
    assert.equal((beat.json() as Upload).merge?.waiting, 0);
    const txns = (await entries()).filter((e) => e.kind === 'transaction');
    assert.deepEqual(
      txns.map((e) => (e.kind === 'transaction' ? [e.record.txnId, e.record.amount] : [])),
      [
        ['T-0', 199_900],
        ['T-1', 199_900],
        ['T-2', 199_900],
      ],
    );
    const accounts = fs.readFileSync(path.join(dir, 'accounts.csv'));
    const a = await upload('accounts', accounts, { cookie: centreAdmin });
    assert.equal(a.statusCode, 200, a.body);
    assert.ok((a.json() as Upload).accepted > 900);
  });

  test('only the parties who hold a kind of record send it; other media types and a held stream are refused', async () => {
    const body = callLines(0, 1);
    assert.equal(
      (await app.inject({ method: 'POST', url: '/v1/detection-stream/records?kind=calls' })).statusCode,
      401,
    );
    const noScope = await upload('calls', body, { key: telcoReadKey });
    assert.equal(noScope.statusCode, 403);
    assert.match(noScope.json().detail as string, /records:write/);
    const bankCalls = await upload('calls', body, { key: bankKey });
    assert.equal(bankCalls.statusCode, 403);
    assert.match(bankCalls.json().detail as string, /calls come from telecom operators/);
    assert.equal((await upload('transactions', 'x', { cookie: telcoUser })).statusCode, 403);
    assert.equal(
      (await upload('calls', body, { cookie: analyst })).statusCode,
      403,
      'an analyst sends nothing',
    );
    const json = await upload('calls', '{}', { type: 'application/json' });
    assert.equal(json.statusCode, 415);
    assert.match(json.json().detail as string, /text\/csv .* or application\/x-ndjson/);
    const unknownKind = await upload('cdrs', body);
    assert.equal(unknownKind.statusCode, 400);
    // The limit is on the bytes once decompressed: a small gzip of a huge body is refused, nothing added.
    const head = (await stream().head()).gseq;
    const bomb = zlib.gzipSync(Buffer.alloc(INGEST_MAX_BYTES + 1, 'a'));
    assert.ok(bomb.length < 2 * 1024 * 1024);
    const big = await upload('calls', bomb, { gzip: 'as-is' });
    assert.equal(big.statusCode, 413, big.body);
    assert.match(big.json().detail as string, /at most 256 MiB uncompressed/);
    assert.equal((await stream().head()).gseq, head);

    // Another publish holds the stream: refused at once, or after `wait` seconds.
    await services.db
      .insertInto('detection_publishers')
      .values({ stream: 'embedded', holder: 'detect publish on ops-host, process 4242', token: 'held' })
      .execute();
    try {
      const busy = await upload('calls', body, { query: '&wait=0' });
      assert.equal(busy.statusCode, 409);
      assert.equal(busy.json().type, 'https://interdict.dev/problems/publisher_busy');
      assert.match(busy.json().detail as string, /detect publish on ops-host, process 4242/);
    } finally {
      await services.db.deleteFrom('detection_publishers').where('token', '=', 'held').execute();
    }
    // Let go again after each upload: the next one is taken at once.
    assert.equal((await services.db.selectFrom('detection_publishers').selectAll().execute()).length, 0);
  });

  test('an operator and a bank sending the same hours by turns give the stream of one publish, and the batch run’s detections', async () => {
    await freshStream();
    const read = (f: string) => fs.readFileSync(path.join(dir, f), 'utf8').trimEnd().split('\n');
    // Six-hour slices of each file, sent by turns: the bank's slice always after the operator's.
    const { start, end, headers, slices } = sliced(6);
    assert.equal((await upload('cards', read('cards.csv').join('\n'))).statusCode, 200);
    assert.equal(
      (await upload('accounts', read('accounts.csv').join('\n'), { key: bankKey })).statusCode,
      200,
    );
    // Each feed first says where it starts (a header alone): until then it holds nothing back.
    const since = `&through=${encodeURIComponent(new Date(start).toISOString())}`;
    assert.equal((await upload('calls', headers.calls, { query: since })).statusCode, 200);
    assert.equal(
      (await upload('transactions', headers.transactions, { key: bankKey, query: since })).statusCode,
      200,
    );
    let waited = 0;
    for (const slice of slices) {
      const c = await upload('calls', slice.calls, { gzip: true });
      assert.equal(c.statusCode, 200, c.body);
      const b = await upload('transactions', slice.transactions, { key: bankKey });
      assert.equal(b.statusCode, 200, b.body);
      const u = b.json() as Upload;
      assert.equal(u.rejected.total, 0, JSON.stringify(u.rejected.first));
      waited += u.merge!.waiting;
    }
    assert.ok(waited > 0, 'records waited for the other feed');
    // Both say they are done with the day.
    const through = `&through=${encodeURIComponent(new Date(end).toISOString())}`;
    await upload('calls', headers.calls, { query: through });
    const last = await upload('transactions', headers.transactions, { key: bankKey, query: through });
    assert.equal((last.json() as Upload).merge?.waiting, 0);

    // The stream's records are those of `detect publish` over both files, in the same order.
    const want: StreamRecord[] = [];
    for await (const r of mergeFiles({
      calls: path.join(dir, 'calls.csv'),
      transactions: path.join(dir, 'transactions.csv'),
    }))
      want.push(r);
    const strip = (r: StreamRecord) =>
      r.kind === 'call' ? { ...r.record, callerRef: undefined, calleeRef: undefined } : r.record;
    const es = (await entries()).filter((e) => e.kind === 'call' || e.kind === 'transaction');
    assert.equal(es.length, want.length);
    assert.deepEqual(
      es.map((e) => (e.kind === 'call' || e.kind === 'transaction' ? e.record : null)),
      want.map(strip),
    );

    // And a worker over it finds what the batch run over the files finds.
    const s = stream();
    await publishInto(s, [], { end: true });
    const batch: Detection[] = [];
    await runDetection(
      {
        cards: path.join(dir, 'cards.csv'),
        accounts: path.join(dir, 'accounts.csv'),
        calls: path.join(dir, 'calls.csv'),
        transactions: path.join(dir, 'transactions.csv'),
      },
      allDetectors(),
      { emit: (d) => batch.push(d) },
    );
    const got: Detection[] = [];
    const w = new DetectionWorker({
      stream: s,
      partitions: Array.from({ length: s.partitions }, (_, i) => i),
      detectors: allDetectors,
      pii: services.pii,
      sink: async (ds) => void got.push(...ds),
      waitMs: 50,
    });
    await w.start();
    await w.done;
    const lines = (ds: readonly Detection[]) => ds.map((d) => JSON.stringify(d)).sort();
    assert.ok(batch.length > 0);
    assert.deepEqual(lines(got), lines(batch));
  });

  test('a feed gone quiet holds the others back no longer; records the stream’s clock passed are counted late', async () => {
    await freshStream();
    const T = Date.parse('2026-11-03T08:00:00+08:00');
    const iso = (ms: number) => new Date(ms).toISOString();
    const txn = (i: number, at: number) =>
      `${iso(at)},Q-${i},6222000000000001,6222000000000099,100.00,CNY,mobile`;
    const header = 'ts,txn_id,payer_account,payee_account,amount,currency,channel';
    const callsHeader = 'ts,kind,caller,callee,duration_s,imsi,imei,cell_id,origin\n';
    assert.equal(
      (await upload('calls', callsHeader, { query: `&through=${encodeURIComponent(iso(T))}` })).statusCode,
      200,
    );
    const b = await upload('transactions', [header, txn(1, T + 60_000), txn(2, T + 120_000)].join('\n'), {
      key: bankKey,
    });
    assert.deepEqual((b.json() as Upload).merge, {
      published: 0,
      already: 0,
      late: 0,
      through: iso(T),
      waiting: 2,
    });
    // The answers kept for repeated uploads go after 7 days, on the same timer.
    await services.db
      .insertInto('detection_uploads')
      .values({
        organisation_id: crypto.randomUUID(),
        kind: 'calls',
        name: 'main',
        sha256: 'old',
        result: '{}',
        at: new Date(Date.now() - 8 * 86_400_000),
      })
      .execute();
    const recordStream = () => Promise.resolve(stream());
    // The timer's merge changes nothing while the operator's feed is heard…
    assert.deepEqual(await mergeIdleFeeds(services, recordStream), {
      published: 0,
      already: 0,
      late: 0,
      through: T,
      waiting: 2,
    });
    assert.equal(
      (await services.db.selectFrom('detection_uploads').where('sha256', '=', 'old').selectAll().execute())
        .length,
      0,
    );
    assert.ok(
      (await services.db.selectFrom('detection_uploads').selectAll().execute()).length > 0,
      'recent kept',
    );
    // …and lets the transfers go once it has been quiet for FEED_IDLE_MS.
    await services.db
      .updateTable('detection_feeds')
      .set({ heard_at: new Date(Date.now() - FEED_IDLE_MS - 1000) })
      .where('kind', '=', 'calls')
      .execute();
    // A staged row that holds no record (put in by hand) is dropped, not a stop for the merge.
    const bankId = (
      await services.db
        .selectFrom('detection_feeds')
        .select('organisation_id')
        .where('kind', '=', 'transactions')
        .executeTakeFirstOrThrow()
    ).organisation_id;
    await services.db
      .insertInto('detection_staged')
      .values({
        organisation_id: bankId,
        kind: 'transactions',
        name: 'main',
        ts: T + 30_000,
        last_ts: T + 30_000,
        entries: '[]',
      })
      .execute();
    const merged = await mergeIdleFeeds(services, recordStream);
    assert.deepEqual(merged, { published: 2, already: 0, late: 0, through: T + 120_000, waiting: 0 });
    assert.deepEqual(
      (await entries()).flatMap((e) => (e.kind === 'transaction' ? [e.record.txnId] : [])),
      ['Q-1', 'Q-2'],
    );

    // The operator comes back; while it holds the bank's next transfer, files are published straight
    // into the stream past it: the transfer can no longer go in, and is counted against its feed.
    await upload('calls', callsHeader, { query: `&through=${encodeURIComponent(iso(T + 150_000))}` });
    const held = await upload('transactions', [header, txn(3, T + 180_000)].join('\n'), { key: bankKey });
    assert.equal((held.json() as Upload).merge?.waiting, 1);
    await publishInto(stream(), [sampleCall(0, T + 600_000), sampleCall(1, T + 600_000)]);
    await upload('calls', callsHeader, { query: `&through=${encodeURIComponent(iso(T + 700_000))}` });
    const status = await app.inject({
      method: 'GET',
      url: '/v1/detection-stream',
      headers: { cookie: analyst },
    });
    const st = status.json() as {
      watermark: string | null;
      feeds: { kind: string; staged: number; late: number; idle: boolean; holding: boolean }[];
    };
    assert.deepEqual(
      st.feeds.map((f) => [f.kind, f.staged, f.late, f.idle]),
      [
        ['transactions', 0, 1, false],
        ['calls', 0, 0, false],
      ],
      'by organisation: the bank, then the operator',
    );
    assert.ok(st.feeds.some((f) => f.holding));
    assert.equal((await entries()).filter((e) => e.kind === 'transaction').length, 2, 'Q-3 never went in');
  });

  test('a feed that holds the others back is let go with a reason, and holds again once it has caught up', async () => {
    await freshStream();
    const T = Date.parse('2026-11-04T02:00:00+08:00');
    const iso = (ms: number) => new Date(ms).toISOString();
    const txn = (i: number, at: number) =>
      `${iso(at)},R-${i},6222000000000001,6222000000000099,100.00,CNY,mobile`;
    const txnHeader = 'ts,txn_id,payer_account,payee_account,amount,currency,channel';
    const callsHeader = 'ts,kind,caller,callee,duration_s,imsi,imei,cell_id,origin';
    const call = (at: number) =>
      `${iso(at)},voice,+8613800138000,+8613900139000,60,460001234567890,356938035643809,C1,onnet`;
    // The operator's feed is stuck at T (its clock, or its system, still sends heartbeats).
    await upload('calls', callsHeader + '\n', { query: `&through=${encodeURIComponent(iso(T))}` });
    const b = await upload(
      'transactions',
      [txnHeader, ...[1, 2, 3].map((i) => txn(i, T + i * 600_000))].join('\n'),
      { key: bankKey },
    );
    assert.equal((b.json() as Upload).merge?.waiting, 3);
    const orgOf = async (name: string) =>
      (
        await services.db
          .selectFrom('organisations')
          .select('id')
          .where('name', '=', name)
          .executeTakeFirstOrThrow()
      ).id;
    const telco = await orgOf('Telco');
    const release = (body: Record<string, unknown>, auth: { key?: string; cookie?: string }) =>
      app.inject({
        method: 'POST',
        url: '/v1/detection-stream/feeds/release',
        headers: auth.cookie ? { cookie: auth.cookie } : { authorization: `Bearer ${auth.key}` },
        payload: body,
      });
    const body = {
      organisationId: telco,
      kind: 'calls',
      name: 'main',
      reason: 'mediation clock stuck at 02:00',
    };
    // Another party may not let it go; the centre's analysts watch but do not release.
    assert.equal((await release(body, { key: bankKey })).statusCode, 403);
    assert.equal((await release(body, { cookie: analyst })).statusCode, 403);
    assert.equal((await release({ ...body, name: 'backup' }, { cookie: centreAdmin })).statusCode, 404);
    assert.equal((await release({ ...body, reason: '' }, { cookie: centreAdmin })).statusCode, 400);

    // The centre's administrator lets the bank's transfers go on without it.
    const r = await release(body, { cookie: centreAdmin });
    assert.equal(r.statusCode, 200, r.body);
    assert.deepEqual(r.json(), {
      watermark: iso(T + 1_800_000),
      merge: { published: 3, already: 0, late: 0, through: iso(T + 1_800_000), waiting: 0 },
    });
    const status = async () =>
      (
        await app.inject({ method: 'GET', url: '/v1/detection-stream', headers: { cookie: centreAdmin } })
      ).json() as {
        feeds: { kind: string; released: boolean; holding: boolean }[];
        watermark: string | null;
      };
    assert.deepEqual(
      (await status()).feeds.map((f) => [f.kind, f.released, f.holding]),
      // By organisation: the bank's, then the operator's.
      [
        ['transactions', false, true],
        ['calls', true, false],
      ],
    );
    const audited = await services.db
      .selectFrom('audit_log')
      .select(['details', 'target_id', 'actor_name'])
      .where('action', '=', 'record_feed.release')
      .executeTakeFirstOrThrow();
    assert.equal(audited.target_id, `${telco}/calls/main`);
    assert.equal(audited.actor_name, 'centre.admin');
    assert.match(JSON.stringify(audited.details), /mediation clock stuck at 02:00/);

    // Its records for times the stream has passed are refused as too late; the sender is told.
    const behind = await upload('calls', [callsHeader, call(T + 60_000)].join('\n'));
    assert.equal((behind.json() as Upload).rejected.beforeLastTick, 1);
    // Caught up with the others, it holds the watermark back again.
    const caught = await upload('calls', [callsHeader, call(T + 2_400_000)].join('\n'));
    assert.equal((caught.json() as Upload).accepted, 1);
    assert.deepEqual(
      (await status()).feeds.map((f) => [f.kind, f.released]),
      [
        ['transactions', false],
        ['calls', false],
      ],
    );
    await upload('transactions', [txnHeader, txn(4, T + 3_000_000)].join('\n'), { key: bankKey });
    const held = await status();
    assert.equal(held.watermark, iso(T + 2_400_000));
    assert.deepEqual(
      held.feeds.filter((f) => f.holding).map((f) => f.kind),
      ['calls'],
    );
    // A sending organisation may let the others go on without its own feed (its key, its organisation).
    const own = await release(
      { kind: 'calls', name: 'main', reason: 'our switch is down' },
      { key: telcoKey },
    );
    assert.equal(own.statusCode, 200, own.body);
    assert.equal((own.json() as { watermark: string }).watermark, iso(T + 3_000_000));
  });

  test('a feed heard whose `through` does not move is reported stuck: to the centre, to its sender and to Prometheus', async () => {
    await freshStream();
    const T = Date.parse('2026-11-05T02:00:00+08:00');
    const iso = (ms: number) => new Date(ms).toISOString();
    const callsHeader = 'ts,kind,caller,callee,duration_s,imsi,imei,cell_id,origin';
    const call = (at: number) =>
      `${iso(at)},voice,+8613800138000,+8613900139000,60,460001234567890,356938035643809,C1,onnet`;
    const feedOf = async () =>
      services.db
        .selectFrom('detection_feeds')
        .select(['heard_at', 'moved_at'])
        .where('kind', '=', 'calls')
        .executeTakeFirstOrThrow();
    const centre = async () =>
      (
        (
          await app.inject({ method: 'GET', url: '/v1/detection-stream', headers: { cookie: analyst } })
        ).json() as { feeds: { kind: string; stuck: boolean; idle: boolean; movedAt: string }[] }
      ).feeds.find((f) => f.kind === 'calls')!;
    const sender = async () =>
      (
        (
          await app.inject({
            method: 'GET',
            url: '/v1/detection-stream/feeds',
            headers: { authorization: `Bearer ${telcoKey}` },
          })
        ).json() as { feeds: { kind: string; stuck: boolean }[] }
      ).feeds.find((f) => f.kind === 'calls')!;
    // /metrics reads the status at most once a second (one status shared by a scrape's gauges).
    const metric = async () => {
      await new Promise((ok) => setTimeout(ok, 1100));
      const body = (await app.inject({ method: 'GET', url: '/metrics' })).body;
      return /^interdict_record_feed_stuck\{organisation="Telco",kind="calls",feed="main"\} (\d)$/m.exec(
        body,
      )?.[1];
    };

    await upload('calls', callsHeader + '\n', { query: `&through=${encodeURIComponent(iso(T))}` });
    assert.equal((await centre()).stuck, false, 'it has just moved');
    assert.equal(await metric(), '0');
    // Ten minutes and more later it is still heard (a file of a record it had sent before its
    // `through`), but its `through` stays where it was.
    const past = new Date(Date.now() - 11 * 60_000);
    await services.db.updateTable('detection_feeds').set({ moved_at: past }).execute();
    const again = await upload('calls', [callsHeader, call(T - 60_000)].join('\n'));
    assert.equal((again.json() as Upload).accepted, 1, again.body);
    const f = await feedOf();
    assert.ok(Date.now() - new Date(f.heard_at).getTime() < 60_000, 'heard now');
    assert.equal(new Date(f.moved_at).getTime(), past.getTime(), 'not moved');
    assert.deepEqual(
      [(await centre()).stuck, (await centre()).movedAt, (await sender()).stuck, await metric()],
      [true, past.toISOString(), true, '1'],
    );
    // It moves: no longer stuck.
    await upload('calls', callsHeader + '\n', { query: `&through=${encodeURIComponent(iso(T + 60_000))}` });
    assert.ok(Date.now() - new Date((await feedOf()).moved_at).getTime() < 60_000, 'moved now');
    assert.deepEqual([(await centre()).stuck, await metric()], [false, '0']);
    // A feed gone quiet is idle, not stuck: it holds nothing back.
    await services.db
      .updateTable('detection_feeds')
      .set({ heard_at: new Date(Date.now() - FEED_IDLE_MS - 1000), moved_at: past })
      .execute();
    const quiet = await centre();
    assert.deepEqual([quiet.idle, quiet.stuck], [true, false]);
    // A sender that re-sends its last file, byte for byte, adds nothing (the first answer) but is
    // alive: heard again, its `through` unmoved, it is stuck, not quiet.
    const resent = await upload('calls', [callsHeader, call(T - 60_000)].join('\n'));
    assert.equal((resent.json() as Upload).repeated, true, resent.body);
    assert.equal((resent.json() as Upload).accepted, 1, 'the first answer');
    const f2 = await feedOf();
    assert.ok(Date.now() - new Date(f2.heard_at).getTime() < 60_000, 'heard now');
    assert.equal(new Date(f2.moved_at).getTime(), past.getTime(), 'not moved');
    const resending = await centre();
    assert.deepEqual([resending.idle, resending.stuck], [false, true]);
  });

  test('the centre sets how long a feed may be quiet and unmoved: 30 and 20 minutes, not 10', async () => {
    await freshStream();
    const T = Date.parse('2026-11-06T08:00:00+08:00');
    const iso = (ms: number) => new Date(ms).toISOString();
    const header = 'ts,txn_id,payer_account,payee_account,amount,currency,channel';
    const callsHeader = 'ts,kind,caller,callee,duration_s,imsi,imei,cell_id,origin\n';
    const txn = (i: number, at: number) =>
      `${iso(at)},S-${i},6222000000000001,6222000000000099,100.00,CNY,mobile`;
    const before = { idle: services.config.feedIdleMs, stuck: services.config.feedStuckMs };
    // As INTERDICT_FEED_IDLE_MINUTES=30 and INTERDICT_FEED_STUCK_MINUTES=20 set them.
    Object.assign(services.config, { feedIdleMs: 30 * 60_000, feedStuckMs: 20 * 60_000 });
    try {
      await upload('calls', callsHeader, { query: `&through=${encodeURIComponent(iso(T))}` });
      await upload('transactions', [header, txn(1, T + 60_000)].join('\n'), { key: bankKey });
      // The operator's feed last heard, and last moved, some minutes ago.
      const ago = (min: number) => new Date(Date.now() - min * 60_000);
      const operatorFeed = (set: { heard_at: Date; moved_at?: Date }) =>
        services.db.updateTable('detection_feeds').set(set).where('kind', '=', 'calls').execute();
      const recordStream = () => Promise.resolve(stream());
      const status = async () => {
        const r = await app.inject({
          method: 'GET',
          url: '/v1/detection-stream',
          headers: { cookie: analyst },
        });
        const st = r.json() as {
          feedIdleMs: number;
          feedStuckMs: number;
          watermark: string | null;
          feeds: { kind: string; idle: boolean; stuck: boolean; holding: boolean }[];
        };
        const calls = st.feeds.find((f) => f.kind === 'calls')!;
        return [st.feedIdleMs, st.feedStuckMs, st.watermark, calls.idle, calls.stuck, calls.holding];
      };
      // Quiet and unmoved for 11 minutes: under the default it would be idle; here it still holds
      // the bank's transfer back, and it is not stuck either.
      await operatorFeed({ heard_at: ago(11), moved_at: ago(11) });
      assert.deepEqual(await status(), [1_800_000, 1_200_000, iso(T), false, false, true]);
      assert.equal(((await mergeIdleFeeds(services, recordStream)) as { waiting: number }).waiting, 1);
      const own = (
        await app.inject({
          method: 'GET',
          url: '/v1/detection-stream/feeds',
          headers: { authorization: `Bearer ${bankKey}` },
        })
      ).json() as { feedIdleMs: number; feedStuckMs: number; heldByOthers: boolean };
      assert.deepEqual([own.feedIdleMs, own.feedStuckMs, own.heldByOthers], [1_800_000, 1_200_000, true]);
      // Heard now, unmoved for 21 minutes: stuck.
      await operatorFeed({ heard_at: ago(0), moved_at: ago(21) });
      assert.deepEqual(await status(), [1_800_000, 1_200_000, iso(T), false, true, true]);
      // Quiet for 31 minutes: idle, and the timer's merge lets the transfer go.
      await operatorFeed({ heard_at: ago(31) });
      const merged = (await mergeIdleFeeds(services, recordStream)) as { published: number; waiting: number };
      assert.deepEqual([merged.published, merged.waiting], [1, 0]);
      assert.deepEqual((await status()).slice(3), [true, false, false]);
    } finally {
      Object.assign(services.config, { feedIdleMs: before.idle, feedStuckMs: before.stuck });
    }
  });

  test('cards and accounts of a large upload go in a batch at a time, every one of them, in file order', async () => {
    await freshStream();
    const file = path.join(dir, 'accounts.csv');
    const want = (await loadReference({ accounts: file })).accounts;
    assert.ok(want.length > 250, `${want.length} accounts`);
    const r = await ingestRecords(stream(), services.db, file, 'accounts', {
      format: 'csv',
      holder: 'test',
      organisationId: crypto.randomUUID(),
      referenceBatch: 100,
    });
    assert.equal(r.accepted, want.length);
    assert.equal(r.rows, want.length);
    const got = (await entries()).flatMap((e) => (e.kind === 'account' ? [e.record] : []));
    assert.deepEqual(got, want);
  });

  test('records wait in runs the watermark cuts; a merge that dies after appending is not taken for late records', async () => {
    await freshStream();
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'interdict-runs-'));
    try {
      const operator = crypto.randomUUID();
      const bank = crypto.randomUUID();
      const n = 2 * STAGE_RUN + STAGE_RUN / 2;
      const body = callLines(0, n);
      const times = body
        .trimEnd()
        .split('\n')
        .slice(1)
        .map((l) => Date.parse(l.slice(0, l.indexOf(','))));
      let files = 0;
      const send = async (kind: 'calls' | 'transactions', text: string, through?: number) => {
        const file = path.join(tmp, `${files++}.csv`);
        fs.writeFileSync(file, text);
        return ingestRecords(stream(), services.db, file, kind, {
          format: 'csv',
          holder: 'test',
          organisationId: kind === 'calls' ? operator : bank,
          ...(through !== undefined && { through }),
        });
      };
      const txnHeader = fs.readFileSync(path.join(dir, 'transactions.csv'), 'utf8').split('\n')[0]! + '\n';
      // The bank has sent up to the time of the operator's 1,200th record: the operator's
      // 2,500 records wait in three runs, and the merge takes what is at or before that time.
      const mark = times[1200]!;
      await send('transactions', txnHeader, mark);
      const first = await send('calls', body);
      assert.equal(first.accepted, n);
      const upTo = times.filter((t) => t <= mark).length;
      assert.equal(first.merge?.published, upTo);
      const staged = () =>
        services.db
          .selectFrom('detection_staged')
          .select(['ts', 'last_ts', 'records', 'entries'])
          .orderBy('id')
          .execute();
      const rest = await staged();
      // The run the watermark cut keeps the rest of its records, from the first one after it.
      assert.deepEqual(
        rest.map((r) => [Number(r.ts), Number(r.last_ts), r.records]),
        [
          [times[upTo]!, times[2 * STAGE_RUN - 1]!, 2 * STAGE_RUN - upTo],
          [times[2 * STAGE_RUN]!, times[n - 1]!, n - 2 * STAGE_RUN],
        ],
      );
      assert.equal(first.merge?.waiting, n - upTo);
      // Sent again, the last 600 (waiting in the last run) are found in the stage: nothing is added.
      const resent = await send('calls', callLines(n - 600, n));
      assert.deepEqual([resent.accepted, resent.already, resent.merge?.waiting], [0, 600, n - upTo]);
      // And 100 that straddle the first two runs, some in the stream, some staged: nothing either.
      const straddle = await send('calls', callLines(upTo - 50, upTo + 50));
      assert.deepEqual([straddle.accepted, straddle.already + straddle.rejected.beforeLastTick], [0, 100]);

      // The bank moves on, and the merge dies once its records are appended, before unstaging them.
      const s = stream();
      const dying = new Proxy(s, {
        get(target, key) {
          if (key === 'append')
            return async (batch: readonly Routed[]) => {
              await target.append(batch);
              throw new Error('the process died');
            };
          const v = Reflect.get(target, key) as unknown;
          return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
        },
      });
      await services.db
        .updateTable('detection_feeds')
        .set({ through: times[n - 1]! + 1 })
        .where('organisation_id', '=', bank)
        .execute();
      await assert.rejects(mergeFeeds(services.db, dying), /the process died/);
      assert.equal((await staged()).length, 2, 'nothing unstaged');
      const intent = await services.db.selectFrom('detection_merges').selectAll().execute();
      assert.equal(intent.length, 1);
      const head = await s.head();
      assert.ok(
        head.lastTickAt !== null && head.lastTickAt > times[upTo]!,
        'the clock passed staged records',
      );

      // The next merge appends nothing twice and counts nothing late: the dead merge appended them.
      const again = await mergeFeeds(services.db, s);
      assert.deepEqual(
        { ...again, through: null },
        { published: 0, already: n - upTo, late: 0, through: null, waiting: 0 },
      );
      assert.equal((await staged()).length, 0);
      assert.equal((await services.db.selectFrom('detection_merges').selectAll().execute()).length, 0);
      const feeds = await services.db.selectFrom('detection_feeds').select(['kind', 'late']).execute();
      assert.deepEqual(
        feeds.map((f) => Number(f.late)),
        [0, 0],
      );
      const file = path.join(tmp, 'all.csv');
      fs.writeFileSync(file, body);
      const want: StreamRecord[] = [];
      for await (const r of mergeFiles({ calls: file })) want.push(r);
      const got = (await entries()).flatMap((e) => (e.kind === 'call' ? [e.record] : []));
      assert.deepEqual(
        got,
        want.map((r) => ({ ...r.record, callerRef: undefined, calleeRef: undefined })),
      );
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });

  test(
    'feeds into a NATS JetStream record stream: two parties by turns, the records of one publish',
    { skip: !usingNats() && 'NATS_URL is not set' },
    async () => {
      await freshStream();
      const nats = await NatsRecordStream.open({
        natsUrl: process.env.NATS_URL!,
        natsStream: `TEST_FEEDS_${process.pid}_${Date.now()}`,
      });
      const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'interdict-feeds-'));
      try {
        const { start, end, headers, slices } = sliced(4);
        const operator = crypto.randomUUID();
        const bank = crypto.randomUUID();
        let n = 0;
        const send = async (kind: 'calls' | 'transactions', body: string, through?: number) => {
          const file = path.join(tmp, `${n++}.csv`);
          fs.writeFileSync(file, body);
          const r = await ingestRecords(nats, services.db, file, kind, {
            format: 'csv',
            holder: 'test',
            organisationId: kind === 'calls' ? operator : bank,
            ...(through !== undefined && { through }),
          });
          assert.equal(r.rejected.total, 0, JSON.stringify(r.rejected.first));
          return r;
        };
        await send('calls', headers.calls, start);
        await send('transactions', headers.transactions, start);
        for (const slice of slices) {
          await send('calls', slice.calls);
          await send('transactions', slice.transactions);
        }
        await send('calls', headers.calls, end);
        const last = await send('transactions', headers.transactions, end);
        assert.equal(last.merge?.waiting, 0);
        assert.equal(last.stream.kind, 'nats');
        const want: StreamRecord[] = [];
        for await (const r of mergeFiles({
          calls: path.join(dir, 'calls.csv'),
          transactions: path.join(dir, 'transactions.csv'),
        }))
          want.push(r);
        const got = (await entries(nats)).flatMap((e) =>
          e.kind === 'call' || e.kind === 'transaction' ? [e.record] : [],
        );
        assert.deepEqual(
          got,
          want.map((r) =>
            r.kind === 'call' ? { ...r.record, callerRef: undefined, calleeRef: undefined } : r.record,
          ),
        );
      } finally {
        fs.rmSync(tmp, { recursive: true, force: true });
        await nats.destroy();
        await nats.close();
      }
    },
  );
});
