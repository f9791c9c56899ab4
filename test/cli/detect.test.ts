import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { runCli } from '../helpers/cli.ts';
import { openDatabase } from '../../src/core/db/index.ts';

/**
 * `interdict simulate`, `interdict detect` and `interdict detect score` as a user runs them: the
 * files, the exit codes, the progress lines, the reject file, and a rerun that reports nothing twice.
 */

const cli = runCli;

let dir: string;
let world: string;
const f = (name: string) => path.join(world, name);
/** A reject file's rows. */
const readRejects = (file: string) =>
  fs
    .readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { line: number; reason: string; record: string });

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'interdict-cli-detect-'));
  world = path.join(dir, 'world');
  const r = cli(dir, [
    'simulate',
    '--people',
    '1000',
    '--days',
    '2',
    '--seed',
    '7',
    '--out',
    world,
    '--json',
  ]);
  assert.equal(r.code, 0, r.stderr);
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

let wholeRun: { file: string; stdout: string } | null = null;
/** `interdict detect` over the whole world's files, run once: its detections file and summary. */
function wholeWorld(): { file: string; stdout: string } {
  if (wholeRun) return wholeRun;
  const file = path.join(dir, 'whole.ndjson');
  const r = cli(dir, [
    'detect',
    ...['--cards', f('cards.csv'), '--accounts', f('accounts.csv')],
    ...['--calls', f('calls.csv'), '--transactions', f('transactions.csv'), '--out', file],
  ]);
  assert.equal(r.code, 0, r.stderr);
  return (wholeRun = { file, stdout: r.stdout });
}

describe('interdict simulate, detect and detect score', () => {
  test('simulate writes the four inputs and the truth, the same for the same seed', () => {
    for (const name of ['cards.csv', 'accounts.csv', 'calls.csv', 'transactions.csv', 'truth.json'])
      assert.ok(fs.statSync(f(name)).size > 0, name);
    const again = path.join(dir, 'again');
    const r = cli(dir, ['simulate', '--people', '1000', '--days', '2', '--seed', '7', '--out', again]);
    assert.equal(r.code, 0, r.stderr);
    for (const name of ['calls.csv', 'transactions.csv', 'truth.json'])
      assert.ok(fs.readFileSync(f(name)).equals(fs.readFileSync(path.join(again, name))), name);
  });

  test('detect: bad rows go to the reject file, the rest is processed, the bar ends at the rows', () => {
    // Two bad rows, and a last line without its newline.
    const calls = path.join(dir, 'calls.csv');
    const text = fs.readFileSync(f('calls.csv'), 'utf8').trimEnd().split('\n');
    const rows = text.length - 1;
    const bad = [
      '2026-11-02T08:00:00+08:00,voice,13800000000,+8613800000001,30,,,,offnet',
      'yesterday,voice,+8613800000000,+8613800000001,30,,,,offnet',
    ];
    text.splice(2, 0, bad[0]!);
    text.splice(5, 0, bad[1]!);
    fs.writeFileSync(calls, text.join('\n'));
    // A bad card too: rejected, but not a row of the progress (that counts calls and transactions).
    const cards = path.join(dir, 'cards.csv');
    fs.writeFileSync(cards, fs.readFileSync(f('cards.csv'), 'utf8') + 'not-a-number,460,X,Y,consumer,,op\n');
    const out = path.join(dir, 'detections.ndjson');
    const args = [
      'detect',
      ...['--cards', cards, '--accounts', f('accounts.csv')],
      ...['--calls', calls, '--transactions', f('transactions.csv'), '--out', out],
    ];
    const r = cli(dir, args);
    assert.equal(r.code, 0, r.stderr);
    const txns = fs.readFileSync(f('transactions.csv'), 'utf8').trimEnd().split('\n').length - 1;
    const total = rows + bad.length + txns;
    const progress = r.stderr
      .trim()
      .split('\n')
      .filter((l) => l.startsWith('detect: '));
    assert.ok(progress.length > 0, r.stderr);
    assert.match(progress.at(-1)!, new RegExp(`^detect: ${total}/${total} `), 'every row, the bad ones too');
    assert.match(r.stdout, new RegExp(`^${rows} call records, ${txns} transactions .*detections`));
    assert.match(r.stdout, /rejected rows: .*calls\.csv\.rejects\.ndjson/);
    assert.match(r.stdout, /cards\.csv\.rejects\.ndjson/);
    const rejects = readRejects(`${calls}.rejects.ndjson`);
    assert.deepEqual(
      rejects.map((x) => [x.line, x.record]),
      [
        [3, bad[0]],
        [6, bad[1]],
      ],
    );
    assert.match(rejects[0]!.reason, /caller: not an E\.164 number/);
    assert.match(rejects[1]!.reason, /ts: not an ISO 8601 time/);
    // A rerun replaces the file: the same detections, none twice.
    const first = fs.readFileSync(out, 'utf8');
    assert.ok(first.split('\n').length > 20, 'the world has detections');
    assert.equal(cli(dir, args).code, 0);
    assert.equal(fs.readFileSync(out, 'utf8'), first);
    assert.ok(!fs.existsSync(`${out}.part`));

    // Score against the truth: every detector, with its precision and recall.
    const s = cli(dir, ['detect', 'score', out, '--truth', f('truth.json'), '--json']);
    assert.equal(s.code, 0, s.stderr);
    const scores = JSON.parse(s.stdout) as { detector: string; precision: number; recall: number }[];
    assert.deepEqual(scores.map((x) => x.detector).sort(), [
      'card_limit',
      'fraud_caller',
      'iot_misuse',
      'mule_account',
      'potential_victim',
      'simbox',
      'spoofed_caller',
    ]);
    const simbox = scores.find((x) => x.detector === 'simbox')!;
    assert.ok(simbox.precision > 0.9 && simbox.recall > 0.9, JSON.stringify(simbox));
  });

  test('a file that is not the declared format stops before anything is written', () => {
    const out = path.join(dir, 'wrong.ndjson');
    // Transactions given as call records: the header says so.
    const r = cli(dir, ['detect', '--calls', f('transactions.csv'), '--out', out]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /call records|header|column/i);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    assert.ok(!fs.existsSync(out) && !fs.existsSync(`${out}.part`), 'nothing written');
    const x = cli(dir, ['detect', '--calls', f('calls.csv'), '--format', 'xml', '--out', out]);
    assert.equal(x.code, 2);
    assert.match(x.stderr, /unknown format xml: csv or ndjson/);
  });

  test('--max-lateness: rows more out of order than allowed go to the reject file; a bad value stops', () => {
    const calls = path.join(dir, 'late-calls.csv');
    const [header, ...rows] = fs.readFileSync(f('calls.csv'), 'utf8').trimEnd().split('\n');
    // The tenth row moved on past the rows of the next minute or so: behind them, within 300 s.
    const at = (r: string) => Date.parse(r.slice(0, r.indexOf(',')));
    const row = rows.splice(9, 1)[0]!;
    let k = 10;
    while (at(rows[k]!) - at(row) <= 30_000) k++;
    rows.splice(k + 1, 0, row);
    const behind = (at(rows[k]!) - at(row)) / 1000;
    assert.ok(behind > 30 && behind < 300, String(behind));
    fs.writeFileSync(calls, [header, ...rows].join('\n') + '\n');
    const out = path.join(dir, 'late.ndjson');
    const base = ['detect', '--cards', f('cards.csv'), '--calls', calls, '--out', out];
    const strict = cli(dir, [...base, '--max-lateness', String(Math.floor(behind / 2))]);
    assert.equal(strict.code, 0, strict.stderr);
    const rejects = readRejects(`${calls}.rejects.ndjson`);
    assert.deepEqual(
      rejects.map((x) => [x.line, x.record]),
      [[k + 3, row]],
    );
    assert.match(rejects[0]!.reason, /earlier than a record already read/);
    fs.rmSync(`${calls}.rejects.ndjson`);
    // The default (300 s) puts it back in its place.
    const lenient = cli(dir, base);
    assert.equal(lenient.code, 0, lenient.stderr);
    assert.doesNotMatch(lenient.stdout, /rejected rows/);
    for (const bad of ['-1', 'soon', '90000'])
      for (const command of [['detect'], ['detect', 'publish']]) {
        const r = cli(dir, [...command, '--calls', calls, '--out', out, '--max-lateness', bad]);
        assert.equal(r.code, 2, `${command.join(' ')} ${bad}: ${r.stderr}`);
        assert.match(r.stderr, /--max-lateness: .* is not a number of seconds from 0 to 86400/);
      }
  });
});

describe('interdict detect --report-from', () => {
  test('the records before it are history: its detections withheld and counted, the rest as in the whole run; a bad time stops', () => {
    const whole = fs
      .readFileSync(wholeWorld().file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { detector: string; subjectKind: string; window: { to: number } });
    const truth = JSON.parse(fs.readFileSync(f('truth.json'), 'utf8')) as { start: number };
    // The second day, 00:00 China time.
    const from = new Date(truth.start + 86_400_000 - ((truth.start + 8 * 3_600_000) % 86_400_000));
    const iso = new Date(from.getTime() + 8 * 3_600_000).toISOString().slice(0, 19) + '+08:00';
    const out = path.join(dir, 'from.ndjson');
    const args = [
      'detect',
      ...['--cards', f('cards.csv'), '--accounts', f('accounts.csv')],
      ...['--calls', f('calls.csv'), '--transactions', f('transactions.csv'), '--out', out],
    ];
    const r = cli(dir, [...args, '--report-from', iso]);
    assert.equal(r.code, 0, r.stderr);
    const got = fs.readFileSync(out, 'utf8').trim().split('\n');
    const kept = whole.filter(
      (d) => d.window.to >= from.getTime() || (d.detector === 'card_limit' && d.subjectKind === 'holder'),
    );
    assert.ok(kept.length > 0 && kept.length < whole.length, `${kept.length} of ${whole.length}`);
    assert.deepEqual(got.sort(), kept.map((d) => JSON.stringify(d)).sort());
    assert.match(r.stdout, new RegExp(`; ${whole.length - kept.length} withheld \\(before --report-from\\)`));
    for (const bad of ['yesterday', '2026-13-01T00:00:00+08:00']) {
      const x = cli(dir, [...args, '--report-from', bad]);
      assert.equal(x.code, 2, x.stderr);
      assert.match(x.stderr, /--report-from: .* is not an ISO 8601 time with offset/);
    }
    // A worker starting cold on a stream that holds the whole world: the same, through the stream.
    const data = path.join(dir, 'from-data');
    const p = cli(data, ['detect', 'publish', ...args.slice(1, -2), '--end']);
    assert.equal(p.code, 0, p.stderr);
    const worker = ['detect', 'worker', '--partitions', '0-7', '--report-from'];
    const bad = cli(data, [...worker, 'yesterday', '--out', path.join(dir, 'never.ndjson')]);
    assert.equal(bad.code, 2, bad.stderr);
    assert.match(bad.stderr, /--report-from: "yesterday" is not an ISO 8601 time with offset/);
    const streamed = path.join(dir, 'from-stream.ndjson');
    const w = cli(data, [...worker, iso, '--out', streamed]);
    assert.equal(w.code, 0, w.stderr);
    assert.deepEqual(fs.readFileSync(streamed, 'utf8').trim().split('\n').sort(), got.sort());
    assert.match(w.stdout, new RegExp(`, ${whole.length - kept.length} withheld \\(before --report-from\\)`));
  });
});

describe('interdict detect publish and detect worker', () => {
  test('a second publish rejects what is older than the stream’s last tick, skips what the stream has after it, and publishes the rest', () => {
    const data = path.join(dir, 'floor-data');
    const [header, ...rows] = fs.readFileSync(f('calls.csv'), 'utf8').trimEnd().split('\n');
    const first = path.join(dir, 'floor-first.csv');
    const second = path.join(dir, 'floor-second.csv');
    fs.writeFileSync(first, [header, ...rows.slice(0, 2000)].join('\n') + '\n');
    // The second file starts 300 rows back into the first one's.
    fs.writeFileSync(second, [header, ...rows.slice(1700, 4000)].join('\n') + '\n');
    assert.equal(cli(data, ['detect', 'publish', '--calls', first]).code, 0);
    const status = cli(data, ['detect', 'status', '--json']);
    assert.equal(status.code, 0, status.stderr);
    const tick = (JSON.parse(status.stdout) as { head: { lastTickAt: string | null } }).head.lastTickAt;
    assert.ok(tick, status.stdout);
    const at = (r: string) => Date.parse(r.slice(0, r.indexOf(',')));
    const older = rows.slice(1700, 4000).filter((r) => at(r) < Date.parse(tick)).length;
    assert.ok(older > 0 && older <= 300, String(older));
    // The first file's rows at or after its last tick are in the stream and not acted on yet.
    const already = rows.slice(1700, 2000).filter((r) => at(r) >= Date.parse(tick)).length;
    assert.ok(already > 0, 'the overlap reaches past the last tick');
    const p = cli(data, ['detect', 'publish', '--calls', second]);
    assert.equal(p.code, 0, p.stderr);
    assert.match(
      p.stdout,
      new RegExp(
        `^${2300 - older - already} records published .*; ${already} records already in the stream since its ` +
          `last tick skipped; ${older} rows from before the stream's last tick \\(published already, or too late\\) skipped`,
      ),
    );
    assert.doesNotMatch(p.stdout, /bad rows/);
    const rejects = readRejects(`${second}.rejects.ndjson`);
    assert.equal(rejects.length, older);
    assert.ok(
      rejects.every((x) =>
        /before the record stream's last tick .*: published already, or too late/.test(x.reason),
      ),
    );
    // The whole second file again (a publish started over after a crash): nothing is appended twice.
    const before = JSON.parse(cli(data, ['detect', 'status', '--json']).stdout) as { head: { gseq: number } };
    const again = cli(data, ['detect', 'publish', '--calls', second]);
    assert.equal(again.code, 0, again.stderr);
    assert.match(
      again.stdout,
      /^0 records published .*; [1-9]\d* records already in the stream since its last tick skipped; [1-9]\d* rows from before/,
    );
    const after = JSON.parse(cli(data, ['detect', 'status', '--json']).stdout) as { head: { gseq: number } };
    assert.equal(after.head.gseq, before.head.gseq, 'nothing appended');
  });

  test('several files of a kind (switches, operators, banks): the detections of one, in batch and through the stream', () => {
    /** `name`'s rows in two files by the last digit of a column (a switch or operator per number). */
    const split = (name: string, column: number): string[] => {
      const [header, ...rows] = fs.readFileSync(f(name), 'utf8').trimEnd().split('\n');
      return [0, 1].map((k) => {
        const out = path.join(dir, name.replace(/\.csv$/, `.part${k}.csv`));
        const mine = rows.filter((r) => Number(r.split(',')[column]!.at(-1)) % 2 === k);
        fs.writeFileSync(out, [header, ...mine].join('\n') + '\n');
        return out;
      });
    };
    const [cards, accounts, calls, txns] = [
      split('cards.csv', 0),
      split('accounts.csv', 0),
      split('calls.csv', 2),
      split('transactions.csv', 2),
    ];
    const many = (option: string, files: string[]) => files.flatMap((x) => [option, x]);
    const { file: whole, stdout: wholeSummary } = wholeWorld();
    const parts = path.join(dir, 'parts.ndjson');
    const inParts = [
      ...many('--cards', cards!),
      ...many('--accounts', accounts!),
      ...many('--calls', calls!),
      ...many('--transactions', txns!),
    ];
    const two = cli(dir, ['detect', ...inParts, '--out', parts]);
    assert.equal(two.code, 0, two.stderr);
    // The same counts and detections as the whole files.
    assert.equal(two.stdout.replace(parts, whole), wholeSummary);
    const sorted = (file: string) => fs.readFileSync(file, 'utf8').trim().split('\n').sort();
    assert.ok(sorted(whole).length > 20, 'the world has detections');
    assert.deepEqual(sorted(parts), sorted(whole));
    // One of them missing: nothing runs.
    const missing = cli(dir, [
      'detect',
      ...inParts,
      '--calls',
      path.join(dir, 'nowhere.csv'),
      '--out',
      parts,
    ]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /nowhere\.csv: no such file/);
    // Through the stream: published in parts, the worker finds what detect finds.
    const data = path.join(dir, 'parts-data');
    const p = cli(data, ['detect', 'publish', ...inParts, '--end']);
    assert.equal(p.code, 0, p.stderr);
    const out = path.join(dir, 'parts-stream.ndjson');
    const w = cli(data, ['detect', 'worker', '--partitions', '0-7', '--out', out]);
    assert.equal(w.code, 0, w.stderr);
    assert.deepEqual(sorted(out), sorted(whole));
  });

  test('a publish while another holds the stream is refused, naming it; a lapsed one is taken over', async () => {
    const data = path.join(dir, 'busy-data');
    assert.equal(cli(data, ['detect', 'status']).code, 0);
    /** Sets the publisher lease row in the data folder (no CLI runs meanwhile: one process owns it). */
    const setLease = async (renewedAgo: string) => {
      const d = await openDatabase({ dataDir: data });
      try {
        await sql`
          insert into detection_publishers (stream, holder, token, renewed_at)
          values ('embedded', 'detect publish on cron-host, process 4242', 'other',
                  now() - ${renewedAgo}::interval)
          on conflict (stream) do update set renewed_at = excluded.renewed_at`.execute(d.db);
      } finally {
        await d.close();
      }
    };
    await setLease('5 seconds');
    const busy = cli(data, ['detect', 'publish', '--calls', f('calls.csv')]);
    assert.equal(busy.code, 1, busy.stderr);
    assert.match(
      busy.stderr,
      /^interdict: another publish is writing to the embedded record stream \(detect publish on cron-host, process 4242, since .*\): one publisher at a time; wait for it to end \(or, if it died, 60 s after it was last heard\) \[publisher_busy\]\n$/,
    );
    const head = () =>
      (JSON.parse(cli(data, ['detect', 'status', '--json']).stdout) as { head: { gseq: number } }).head.gseq;
    assert.equal(head(), 0, 'nothing published');
    // Told to wait a second: says so, then gives up the same way.
    const waited = cli(data, ['detect', 'publish', '--calls', f('calls.csv'), '--wait', '1']);
    assert.equal(waited.code, 1, waited.stderr);
    assert.match(
      waited.stderr,
      /^interdict: another publish .*\(detect publish on cron-host, process 4242, .*\): waiting up to 1 s\n/,
    );
    assert.match(waited.stderr, /\[publisher_busy\]\n$/);
    const badWait = cli(data, ['detect', 'publish', '--calls', f('calls.csv'), '--wait', 'soon']);
    assert.equal(badWait.code, 2);
    assert.match(badWait.stderr, /--wait: "soon" is not a number of seconds from 0 to 86400/);
    assert.match(
      cli(data, ['detect', 'status']).stdout,
      /\npublishing: detect publish on cron-host, process 4242, since \S+, last heard \S+\n/,
    );
    // Its holder died two minutes ago: the lease has lapsed, and this publish takes it over and lets go after.
    await setLease('2 minutes');
    assert.match(
      cli(data, ['detect', 'status']).stdout,
      /last heard \S+ \(LAPSED: it died or hangs; the next publish takes over\)\n/,
    );
    const p = cli(data, ['detect', 'publish', '--calls', f('calls.csv')]);
    assert.equal(p.code, 0, p.stderr);
    assert.ok(head() > 0);
    const again = cli(data, ['detect', 'publish', '--calls', f('calls.csv')]);
    assert.equal(again.code, 0, again.stderr);
    assert.doesNotMatch(cli(data, ['detect', 'status']).stdout, /publishing:/, 'let go at the end');
  });

  test('status names the record feeds, the one holding the others back, what waits and what came late', async () => {
    const data = path.join(dir, 'feeds-data');
    assert.equal(cli(data, ['detect', 'status']).code, 0);
    const d = await openDatabase({ dataDir: data });
    try {
      const org = async (name: string, kind: string) =>
        (
          await sql<{ id: string }>`
            insert into organisations (id, name, kind) values (gen_random_uuid(), ${name}, ${kind}) returning id`.execute(
            d.db,
          )
        ).rows[0]!.id;
      await org('Centre', 'anti_fraud_centre');
      const telco = await org('Telco', 'telecom_operator');
      const bank = await org('Bank', 'bank');
      await sql`
        insert into detection_feeds (organisation_id, kind, name, through, heard_at, moved_at, late) values
          (${telco}, 'calls', 'main', ${Date.parse('2026-11-02T02:00:00Z')}, now(), '2026-11-02T02:00:00Z', 0),
          (${bank}, 'transactions', 'core', ${Date.parse('2026-11-02T02:10:00Z')}, now(), now(), 3),
          (${bank}, 'transactions', 'old', ${Date.parse('2026-11-01T00:00:00Z')}, now() - interval '1 hour', now() - interval '2 hours', 0)`.execute(
        d.db,
      );
      await sql`
        insert into detection_staged (organisation_id, kind, name, ts, last_ts, entries) values
          (${bank}, 'transactions', 'core', ${Date.parse('2026-11-02T02:05:00Z')}, ${Date.parse('2026-11-02T02:05:00Z')}, '[]')`.execute(
        d.db,
      );
    } finally {
      await d.close();
    }
    const out = cli(data, ['detect', 'status']).stdout;
    assert.match(
      out,
      /\nfeed Bank transactions\/core: through 2026-11-02T02:10:00\.000Z, heard \S+, 1 staged, 3 dropped as late\n/,
    );
    assert.match(
      out,
      /\nfeed Bank transactions\/old: through 2026-11-01T00:00:00\.000Z, heard \S+ \(idle: holds nothing back\)\n/,
    );
    assert.match(
      out,
      /\nfeed Telco calls\/main: through 2026-11-02T02:00:00\.000Z, heard \S+ \(HOLDING the others back\) \(STUCK: through has not moved since 2026-11-02T02:00:00\.000Z\)\n/,
    );
    assert.match(out, /\nwatermark: 2026-11-02T02:00:00\.000Z\n/);
    const json = JSON.parse(cli(data, ['detect', 'status', '--json']).stdout) as {
      watermark: string;
      feeds: { name: string; staged: number; holding: boolean; stuck: boolean }[];
    };
    assert.deepEqual(
      json.feeds.map((f) => [f.name, f.staged, f.holding, f.stuck]),
      [
        ['core', 1, false, false],
        ['old', 0, false, false],
        ['main', 0, true, true],
      ],
    );

    // The operator's feed is stuck: released from the command line, with a reason.
    const release = (...args: string[]) =>
      cli(data, ['detect', 'release-feed', '--organisation', 'Telco', ...args]);
    const kind = release('--kind', 'cdrs', '--reason', 'clock stuck');
    assert.equal(kind.code, 2);
    assert.match(kind.stderr, /--kind: cdrs is not calls or transactions/);
    const none = release('--kind', 'calls', '--feed', 'backup', '--reason', 'clock stuck');
    assert.equal(none.code, 1);
    assert.match(none.stderr, /no calls feed backup of that organisation/);
    const r = release('--kind', 'calls', '--reason', 'mediation clock stuck at 02:00');
    assert.equal(r.code, 0, r.stderr);
    // The bank's waiting row (it held no record) is merged at once; the watermark is the bank's now.
    assert.equal(
      r.stdout,
      'released Telco calls/main: it holds nothing back until it has caught up\n' +
        'merged: 0 published\n' +
        'watermark: 2026-11-02T02:10:00.000Z\n',
    );
    assert.match(
      cli(data, ['detect', 'status']).stdout,
      /\nfeed Telco calls\/main: through 2026-11-02T02:00:00\.000Z, heard \S+ \(released: holds nothing back until it has caught up\) \(STUCK: through has not moved since 2026-11-02T02:00:00\.000Z\)\n/,
    );
    const d2 = await openDatabase({ dataDir: data });
    try {
      const a = await d2.db
        .selectFrom('audit_log')
        .select(['actor_name', 'target_id', 'details'])
        .where('action', '=', 'record_feed.release')
        .executeTakeFirstOrThrow();
      assert.equal(a.actor_name, 'cli');
      assert.match(a.target_id ?? '', /\/calls\/main$/);
      assert.match(JSON.stringify(a.details), /mediation clock stuck at 02:00/);
    } finally {
      await d2.close();
    }
  });

  test('a running worker says how far it has got, and a SIGTERM stops it at a checkpoint', async () => {
    const data = path.join(dir, 'running-worker');
    const files = ['--cards', f('cards.csv'), '--accounts', f('accounts.csv')];
    // No --end: the stream stays open, as a live one does.
    const p = cli(data, ['detect', 'publish', ...files, '--calls', f('calls.csv')]);
    assert.equal(p.code, 0, p.stderr);
    const head = (JSON.parse(cli(data, ['detect', 'status', '--json']).stdout) as { head: { gseq: number } })
      .head.gseq;
    assert.ok(head > 10_000, `a stream of ${head} entries`);
    const worker = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        path.resolve('src/cli/main.ts'),
        '--data-dir',
        data,
        ...['detect', 'worker'],
        ...['--partitions', '0-7', '--out', path.join(dir, 'running-worker.ndjson')],
      ],
      { env: { ...process.env, DATABASE_URL: '', NATS_URL: '', LOG_LEVEL: 'warn' } },
    );
    let stderr = '';
    let stdout = '';
    worker.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    worker.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    const ended = new Promise<number | null>((resolve) => worker.on('close', (code) => resolve(code)));
    // Caught up (or current at its first look): the line names the head it reached.
    const reached = new RegExp(`worker p8:0-7: (caught up|current) at gseq ${head} \\(head ${head}\\)`);
    const deadline = Date.now() + 120_000;
    while (!reached.test(stderr) && Date.now() < deadline && worker.exitCode === null)
      await new Promise((r) => setTimeout(r, 200));
    assert.match(stderr, reached);
    worker.kill('SIGTERM');
    assert.equal(await ended, 0, stderr);
    assert.match(
      stdout,
      /^\d+ records, \d+ cards and accounts, \d+ detections, \d+ checkpoints \(at gseq \d+\)\n$/,
    );
    const st = JSON.parse(cli(data, ['detect', 'status', '--json']).stdout) as {
      workers: { worker: string; gseq: number; ended: boolean }[];
    };
    assert.deepEqual(
      st.workers.map((w) => [w.worker, w.gseq, w.ended]),
      [['p8:0-7', head, false]],
    );
  });

  test('status names holes and overlaps in the workers’ split; a worker left behind is retired with a reason', async () => {
    const data = path.join(dir, 'retire-data');
    assert.equal(cli(data, ['detect', 'status']).code, 0);
    const put = async (rows: string) => {
      const d = await openDatabase({ dataDir: data });
      try {
        await sql`delete from detection_checkpoints`.execute(d.db);
        await sql
          .raw(
            `insert into detection_checkpoints (worker, partitions, cursor, gseq, ended, saved_at) values ${rows}`,
          )
          .execute(d.db);
      } finally {
        await d.close();
      }
    };
    // The command line acts for the centre (its audit trail names `cli`).
    const d0 = await openDatabase({ dataDir: data });
    await sql`insert into organisations (id, name, kind) values (gen_random_uuid(), 'Centre', 'anti_fraud_centre')`.execute(
      d0.db,
    );
    await d0.close();
    // Partitions 4-7 moved from one worker to two; 2-3 have none; a worker of a 16-way split is left.
    await put(`
      ('p8:0-1', '0,1', 0, 0, false, now()),
      ('p8:4-7', '4,5,6,7', 0, 0, false, now() - interval '1 hour'),
      ('p8:4-5', '4,5', 0, 0, false, now() - interval '1 minute'),
      ('p8:6-7', '6,7', 0, 0, false, now() - interval '2 minutes'),
      ('p16:0-15', '${Array.from({ length: 16 }, (_, i) => i).join(',')}', 0, 0, true, now() - interval '1 day')`);
    const out = cli(data, ['detect', 'status']).stdout;
    assert.match(
      out,
      /\nNO WORKER for partitions 2-3 of 8: their detections are made by no one; run interdict detect worker --partitions 2-3\n/,
    );
    assert.match(out, /\npartition 4 has 2 workers \(p8:4-5, p8:4-7\): each of its detections is made twice/);
    assert.match(out, /\npartition 7 has 2 workers \(p8:4-7, p8:6-7\)/);
    assert.match(
      out,
      /\np16:0-15 split the stream into 16 partitions, the last checkpointed into 8: retire them/,
    );

    const retire = (...args: string[]) => cli(data, ['detect', 'retire', ...args]);
    const short = retire('p8:4-7', '--reason', 'x');
    assert.equal(short.code, 2);
    assert.match(short.stderr, /--reason: say why, in a few words/);
    const alive = retire('p8:4-5', '--reason', 'scaling down');
    assert.equal(alive.code, 1);
    assert.match(
      alive.stderr,
      /worker p8:4-5 checkpointed \d+ s ago: it looks alive\. Stop it first \(SIGTERM\)/,
    );
    assert.equal(retire('p8:9', '--reason', 'scaling down').code, 1);
    const r = retire('p8:4-7', '--reason', 'moved to p8:4-5 and p8:6-7');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^retired p8:4-7: partitions 4-7, last at gseq 0, checkpointed \S+\n/);
    assert.doesNotMatch(r.stdout, /has 2 workers/, 'the overlap is gone');
    assert.match(r.stdout, /\nNO WORKER for partitions 2-3 of 8/, 'the hole is still said');
    const json = JSON.parse(retire('p16:0-15', '--reason', 'the old split', '--json').stdout) as {
      retired: { worker: string; ended: boolean };
      coverage: { count: number; uncovered: number[]; shared: unknown[]; otherSplit: string[] };
    };
    assert.equal(json.retired.worker, 'p16:0-15');
    assert.equal(json.retired.ended, true);
    assert.deepEqual(json.coverage, {
      count: 8,
      uncovered: [2, 3],
      uncoveredSpec: '2-3',
      command: 'interdict detect worker --partitions 2-3',
      shared: [],
      otherSplit: [],
      otherCounts: [],
    });
    await put(`('p8:0-7', '0,1,2,3,4,5,6,7', 0, 0, true, now())`);
    assert.equal(
      cli(data, ['detect', 'retire', 'p8:0-7', '--reason', 'input closed, run done']).stdout.split('\n')[1],
      'no worker is left',
    );
    const d = await openDatabase({ dataDir: data });
    try {
      const trail = await d.db
        .selectFrom('audit_log')
        .select(['actor_name', 'target_id'])
        .where('action', '=', 'detection_worker.retire')
        .orderBy('id')
        .execute();
      assert.deepEqual(
        trail.map((a) => [a.actor_name, a.target_id]),
        [
          ['cli', 'p8:4-7'],
          ['cli', 'p16:0-15'],
          ['cli', 'p8:0-7'],
        ],
      );
    } finally {
      await d.close();
    }
  });

  test('parameters: described, used alike by detect and a worker, and a bad file stops before anything is written', () => {
    const params = path.join(dir, 'params.json');
    fs.writeFileSync(
      params,
      JSON.stringify({ card_limit: { nationalLimit: 3 }, simbox: { windowMs: '12h' } }),
    );
    const described = cli(null, ['detect', 'params', '--params', params]);
    assert.equal(described.code, 0, described.stderr);
    const d = JSON.parse(described.stdout) as Record<string, Record<string, unknown>>;
    assert.equal(d.card_limit!.nationalLimit, 3);
    assert.equal(d.simbox!.windowMs, '12h');
    assert.equal(d.fraud_caller!.windowMs, '1d', 'the rest keep their defaults');
    // The platform's setting stands when --params is not given.
    const fromEnv = cli(null, ['detect', 'params'], { env: { INTERDICT_DETECTOR_PARAMS: params } });
    assert.equal(fromEnv.stdout, described.stdout);

    const files = [...['--cards', f('cards.csv'), '--accounts', f('accounts.csv')]];
    const records = [...['--calls', f('calls.csv'), '--transactions', f('transactions.csv')]];
    const out = path.join(dir, 'params-detections.ndjson');
    const r = cli(dir, ['detect', ...files, ...records, '--params', params, '--out', out]);
    assert.equal(r.code, 0, r.stderr);
    const read = (file: string) =>
      fs
        .readFileSync(file, 'utf8')
        .trim()
        .split('\n')
        .map(
          (l) => JSON.parse(l) as { detector: string; evidence: { rule?: string; nationalLimit?: number } },
        );
    const overLimit = (file: string) =>
      read(file).filter((x) => x.detector === 'card_limit' && x.evidence.rule === 'over_limit');
    const withParams = overLimit(out);
    assert.ok(withParams.length > overLimit(wholeWorld().file).length, 'a lower limit reports more holders');
    for (const x of withParams) assert.equal(x.evidence.nationalLimit, 3);

    // A worker given the same file finds what detect finds.
    const data = path.join(dir, 'params-stream');
    const p = cli(data, ['detect', 'publish', ...files, ...records, '--end']);
    assert.equal(p.code, 0, p.stderr);
    const streamed = path.join(dir, 'params-stream.ndjson');
    const w = cli(data, ['detect', 'worker', '--partitions', '0-7', '--params', params, '--out', streamed]);
    assert.equal(w.code, 0, w.stderr);
    const sorted = (file: string) => fs.readFileSync(file, 'utf8').trim().split('\n').sort();
    assert.deepEqual(sorted(streamed), sorted(out));
    // The worker names the parameters' fingerprint, as `detect params` and `detect status` do.
    const fingerprint = /^fingerprint ([0-9a-f]{12})$/m.exec(described.stderr)?.[1];
    assert.ok(fingerprint, described.stderr);
    assert.match(w.stderr, new RegExp(`detector parameters ${fingerprint}\\)`));
    const st = cli(data, ['detect', 'status']);
    assert.equal(st.code, 0, st.stderr);
    assert.match(st.stdout, new RegExp(`\\b${fingerprint}\\b`));
    assert.doesNotMatch(st.stdout, /DIFFERS/);
    // This configuration runs the defaults: the worker's file is not the platform's, and status says so.
    assert.match(
      st.stdout,
      /\np8:0-7 checkpointed with other detector parameters than this configuration's \([0-9a-f]{12}, INTERDICT_DETECTOR_PARAMS\): citizens are shown its card limits/,
    );
    const same = cli(data, ['detect', 'status'], { env: { INTERDICT_DETECTOR_PARAMS: params } });
    assert.equal(same.code, 0, same.stderr);
    assert.doesNotMatch(same.stdout, /other detector parameters/);

    // A file that cannot be used: every fault named, exit 2, nothing written.
    const bad = path.join(dir, 'bad-params.json');
    fs.writeFileSync(bad, JSON.stringify({ card_limit: { nationalLimt: 3 }, simbox: { windowMs: 'soon' } }));
    const badOut = path.join(dir, 'bad-params.ndjson');
    const x = cli(dir, ['detect', ...files, ...records, '--params', bad, '--out', badOut]);
    assert.equal(x.code, 2, x.stderr);
    assert.match(x.stderr, /card_limit\.nationalLimt: no such parameter \(did you mean nationalLimit\?\)/);
    assert.match(x.stderr, /simbox\.windowMs: a duration/);
    assert.doesNotMatch(x.stderr, /\n\s+at /, 'no stack trace');
    assert.ok(!fs.existsSync(badOut) && !fs.existsSync(`${badOut}.part`), 'nothing written');
    // Set for the platform, it stops a worker as the configuration is read.
    const y = cli(data, ['detect', 'worker', '--partitions', '0-7', '--out', badOut], {
      env: { INTERDICT_DETECTOR_PARAMS: bad },
    });
    assert.equal(y.code, 2, y.stderr);
    assert.match(y.stderr, /INTERDICT_DETECTOR_PARAMS: .*bad-params\.json: card_limit\.nationalLimt/);
    assert.ok(!fs.existsSync(badOut), 'nothing written');
  });

  test('cards and accounts go through the stream: a worker given no files finds what detect finds', () => {
    const data = path.join(dir, 'stream-data');
    const cards = path.join(dir, 'stream-cards.csv');
    fs.writeFileSync(
      cards,
      fs.readFileSync(f('cards.csv'), 'utf8') + '+86x,460,X,Y,consumer,2026-11-01T00:00:00+08:00,op\n',
    );
    const nCards = fs.readFileSync(f('cards.csv'), 'utf8').trimEnd().split('\n').length - 1;
    const nAccounts = fs.readFileSync(f('accounts.csv'), 'utf8').trimEnd().split('\n').length - 1;

    // A file of the wrong kind stops the publish before anything is published.
    const wrong = cli(data, [
      'detect',
      'publish',
      '--cards',
      f('transactions.csv'),
      '--calls',
      f('calls.csv'),
    ]);
    assert.notEqual(wrong.code, 0);
    assert.match(wrong.stderr, /phone cards|header|column/i);
    assert.doesNotMatch(wrong.stderr, /\n\s+at /, 'no stack trace');

    const p = cli(data, [
      'detect',
      'publish',
      ...['--cards', cards, '--accounts', f('accounts.csv')],
      ...['--calls', f('calls.csv'), '--transactions', f('transactions.csv'), '--end'],
    ]);
    assert.equal(p.code, 0, p.stderr);
    assert.match(
      p.stdout,
      new RegExp(
        `^${nCards} cards, ${nAccounts} accounts and \\d+ records published to the embedded record stream`,
      ),
    );
    assert.match(p.stdout, /1 bad rows skipped → .*stream-cards\.csv\.rejects\.ndjson; input closed/);
    const rejects = fs.readFileSync(`${cards}.rejects.ndjson`, 'utf8').trim().split('\n');
    assert.equal(rejects.length, 1);
    assert.deepEqual(JSON.parse(rejects[0]!).line, nCards + 2);

    const out = path.join(dir, 'stream-detections.ndjson');
    const w = cli(data, ['detect', 'worker', '--partitions', '0-7', '--out', out]);
    assert.equal(w.code, 0, w.stderr);
    assert.match(w.stdout, new RegExp(`records, ${nCards + nAccounts} cards and accounts, \\d+ detections`));
    const batch = wholeWorld().file;
    const sorted = (file: string) => fs.readFileSync(file, 'utf8').trim().split('\n').sort();
    assert.ok(sorted(batch).length > 20, 'the world has detections');
    assert.deepEqual(sorted(out), sorted(batch));

    // The operator's view: the stream and the worker, which has read everything.
    const st = cli(data, ['detect', 'status']);
    assert.equal(st.code, 0, st.stderr);
    assert.match(
      st.stdout,
      /^embedded record stream: head (\d+), stream time \S+, input closed; keeps 1–\1 /,
    );
    // The fingerprint of the parameters it ran with: the defaults here.
    assert.match(st.stdout, /\np8:0-7 +\d+ +0 +snapshot +\S+ +[0-9a-f]{12} +ended\n/);
    // The world spans two days: keeping one drops the first, which the worker has read.
    const pr = cli(data, ['detect', 'prune', '--keep-days', '1', '--json']);
    assert.equal(pr.code, 0, pr.stderr);
    const pruned = JSON.parse(pr.stdout) as { deleted: number; through: number; heldBy: string | null };
    assert.ok(pruned.deleted > 0 && pruned.through > 0, pr.stdout);
    assert.equal(pruned.heldBy, null);
    const after = JSON.parse(cli(data, ['detect', 'status', '--json']).stdout) as {
      stored: { fromGseq: number };
      workers: { missed: boolean }[];
    };
    assert.equal(after.stored.fromGseq, pruned.through + 1);
    assert.equal(after.workers[0]!.missed, false, 'it had read them');
  });
});
