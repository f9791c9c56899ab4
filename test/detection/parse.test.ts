import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  ACCOUNTS,
  CALLS,
  CARDS,
  checkHeader,
  FormatError,
  mergeByTime,
  parseAmount,
  parseIsoTime,
  readRecordBatches,
  RECORDS_PER_BATCH,
  readRecords,
  TimeOrder,
  TRANSACTIONS,
} from '../../src/detection/parse.ts';
import type { AccountRecord, CallRecord, CardRecord } from '../../src/detection/records.ts';
import { decodeEntries, encodeEntry } from '../../src/detection/stream/wire.ts';
import { Interner } from '../../src/detection/intern.ts';
import { hashNumber } from '../../src/detection/detectors/common.ts';

let dir: string;
before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'interdict-parse-'));
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('detection input parsing', () => {
  test('ISO times agree with Date.parse, offsets and fractions included; junk is NaN', () => {
    for (const s of [
      '2026-11-30T10:15:30+08:00',
      '2026-11-30T10:15:30Z',
      '2026-11-30T10:15:30.5-05:00',
      '2026-11-30T10:15:30.123+0800',
      '2026-11-30T00:00+08:00',
      '2024-02-29T23:59:59+14:00',
    ])
      assert.equal(parseIsoTime(s), Date.parse(s.replace(/([+-]\d{2})(\d{2})$/, '$1:$2')), s);
    for (const s of [
      '2026-11-30',
      '2026-13-01T00:00:00Z',
      '2026-02-30T00:00:00Z',
      '2026-11-30T10:15:30',
      'yesterday',
      '2026-11-30T25:00:00Z',
    ])
      assert.ok(Number.isNaN(parseIsoTime(s)), s);
  });

  test('amounts become minor units exactly', () => {
    assert.equal(parseAmount('1234.5'), 123450);
    assert.equal(parseAmount('49999.99'), 4999999);
    assert.equal(parseAmount('7'), 700);
    for (const s of ['-5', '1.234', '1,000', '', 'NaN']) assert.ok(Number.isNaN(parseAmount(s)), s);
  });

  test('good rows are read, bad rows rejected with line and reason, extra columns ignored', async () => {
    const file = path.join(dir, 'calls.csv');
    fs.writeFileSync(
      file,
      [
        'ts,kind,caller,callee,duration_s,imsi,imei,cell_id,origin,extra',
        '2026-11-30T10:00:00+08:00,voice,+8613800138000,+8613900139000,65,460001234567890,356938035643809,C1,onnet,x',
        '2026-11-30T10:00:01+08:00,voice,13800138000,+8613900139000,65,,,,offnet,',
        'not a time,sms,+8613800138000,+8613900139000,0,,,,offnet,',
        '"2026-11-30T10:00:02+08:00",sms,+8613800138000,"+8613900139000",0,,,"C,2",intl,',
        '2026-11-30T10:00:03+08:00,fax,+8613800138000,+8613900139000,0,,,,offnet,',
      ].join('\n') + '\n',
    );
    const rejects: [number, string][] = [];
    const got: CallRecord[] = [];
    for await (const r of readRecords(file, CALLS, { onReject: (l, reason) => rejects.push([l, reason]) }))
      got.push(r);
    assert.equal(got.length, 2);
    assert.equal(got[1]!.cellId, 'C,2', 'a quoted field keeps its comma');
    assert.deepEqual(
      rejects.map((r) => r[0]),
      [3, 4, 6],
    );
    assert.match(rejects[0]![1], /caller/);
    assert.match(rejects[1]![1], /ts/);
    assert.match(rejects[2]![1], /kind/);
  });

  test('a file that is not the declared kind or format stops before any record', async () => {
    const wrong = path.join(dir, 'wrong.csv');
    fs.writeFileSync(wrong, 'account,institution,holder_id\n1,2,3\n');
    await assert.rejects(async () => {
      for await (const _ of readRecords(wrong, TRANSACTIONS)) void _;
    }, FormatError);
    const json = path.join(dir, 'tx.csv');
    fs.writeFileSync(json, '{"ts":"2026-11-30T10:00:00Z"}\n');
    await assert.rejects(async () => {
      for await (const _ of readRecords(json, TRANSACTIONS)) void _;
    }, /looks like NDJSON/);
    const nd = path.join(dir, 'tx.ndjson');
    fs.writeFileSync(
      nd,
      [
        {
          ts: '2026-11-30T10:00:00Z',
          txn_id: 't1',
          payer_account: 'a',
          payee_account: 'b',
          amount: '10.5',
          currency: 'CNY',
          channel: 'mobile',
        },
        {
          ts: '2026-11-30T10:00:01Z',
          txn_id: 't2',
          payer_account: 'a',
          payee_account: 'b',
          amount: 'lots',
          currency: 'CNY',
          channel: 'mobile',
        },
      ]
        .map((o) => JSON.stringify(o))
        .join('\n') + '\n',
    );
    const rej: number[] = [];
    const txs = [];
    for await (const t of readRecords(nd, TRANSACTIONS, { onReject: (l) => rej.push(l) })) txs.push(t);
    assert.equal(txs.length, 1);
    assert.equal(txs[0]!.amount, 1050);
    assert.deepEqual(rej, [2]);
  });

  test('batches cover a multi-chunk file in order: rows across chunk ends, CRLF, quotes, no last newline', async () => {
    const file = path.join(dir, 'big.csv');
    const rows: string[] = [];
    // About 3 MiB: several 1 MiB reads, so rows straddle the chunk ends.
    for (let i = 0; i < 30_000; i++) {
      const t = new Date(Date.UTC(2026, 10, 30, 0, 0, 0) + i * 1000).toISOString().replace('Z', '+00:00');
      const callee = `+86139${String(i).padStart(8, '0')}`;
      if (i % 7919 === 5) rows.push(`${t},voice,bad,${callee},1,,,,offnet,${'x'.repeat(40)}`);
      else if (i % 5003 === 7)
        rows.push(`${t},sms,+8613800138000,"${callee}",0,,,"C,${i}",onnet,${'y'.repeat(40)}`);
      else rows.push(`${t},voice,+8613800138000,${callee},${i % 600},,,C${i % 50},onnet,${'z'.repeat(40)}`);
    }
    fs.writeFileSync(
      file,
      'ts,kind,caller,callee,duration_s,imsi,imei,cell_id,origin,pad\r\n' + rows.join('\r\n'),
    );
    const rejects: number[] = [];
    const batches: CallRecord[][] = [];
    for await (const b of readRecordBatches(file, CALLS, { onReject: (l) => rejects.push(l) }))
      batches.push(b);
    assert.ok(batches.length >= 3, `${batches.length} batches`);
    assert.ok(
      batches.every((b) => b.length > 0),
      'no empty batch',
    );
    // A 1 MiB read holds about 8,000 of these rows: handed out in parts, none over the cap.
    assert.ok(
      batches.every((b) => b.length <= RECORDS_PER_BATCH),
      `batches of ${Math.max(...batches.map((b) => b.length))} records at most`,
    );
    assert.ok(batches.length >= 30_000 / RECORDS_PER_BATCH, `${batches.length} batches`);
    const got = batches.flat();
    const bad = rows.map((_, i) => i).filter((i) => i % 7919 === 5);
    assert.deepEqual(
      rejects,
      bad.map((i) => i + 2),
      'rejected rows keep their line numbers',
    );
    assert.equal(got.length, rows.length - bad.length);
    const good = rows.map((_, i) => i).filter((i) => i % 7919 !== 5);
    const quoted = (i: number) => i % 5003 === 7;
    assert.deepEqual(
      got.map((r) => [r.ts, r.callee, r.cellId, r.durationS]),
      good.map((i) => [
        Date.UTC(2026, 10, 30, 0, 0, 0) + i * 1000,
        `+86139${String(i).padStart(8, '0')}`,
        quoted(i) ? `C,${i}` : `C${i % 50}`,
        quoted(i) ? 0 : i % 600,
      ]),
    );
    const one: CallRecord[] = [];
    for await (const r of readRecords(file, CALLS)) one.push(r);
    assert.deepEqual(one, got, 'readRecords hands out the same records one by one');
  });

  test('a short row is rejected; checkHeader stops a wrong file without reading on', async () => {
    const file = path.join(dir, 'short.csv');
    fs.writeFileSync(
      file,
      'ts,kind,caller,callee,duration_s,imsi,imei,cell_id,origin\n' +
        '2026-11-30T10:00:00+08:00,voice,+8613800138000,+8613900139000,65\n' +
        '2026-11-30T10:00:01+08:00,voice,+8613800138000,+8613900139000,65,,,,offnet',
    );
    const rejects: [number, string][] = [];
    const got: CallRecord[] = [];
    for await (const r of readRecords(file, CALLS, { onReject: (l, reason) => rejects.push([l, reason]) }))
      got.push(r);
    assert.equal(got.length, 1);
    assert.equal(got[0]!.origin, 'offnet');
    assert.deepEqual(rejects, [[2, 'expected 9 columns or more']]);
    await checkHeader(file, CALLS);
    await assert.rejects(checkHeader(file, TRANSACTIONS), FormatError);
    const empty = path.join(dir, 'empty.csv');
    fs.writeFileSync(empty, '\n\n');
    await assert.rejects(checkHeader(empty, CALLS), /is empty/);
  });

  test('non-ASCII fields decode as UTF-8; a repeated field never hides a changed one', async () => {
    const file = path.join(dir, 'utf8.csv');
    const cells = ['基站-1', '基站-1', 'C1', 'C1', 'C12', 'C1', '', 'é', '\u00e9x', 'C1'];
    fs.writeFileSync(
      file,
      'ts,kind,caller,callee,duration_s,imsi,imei,cell_id,origin\n' +
        cells
          .map((c, i) => `2026-11-30T10:00:0${i}+08:00,voice,+8613800138000,+8613900139000,${i},,,${c},onnet`)
          .join('\n') +
        '\n',
    );
    const got: CallRecord[] = [];
    for await (const r of readRecords(file, CALLS)) got.push(r);
    assert.deepEqual(
      got.map((r) => r.cellId),
      cells.map((c) => c || null),
    );
    assert.deepEqual(
      got.map((r) => r.durationS),
      cells.map((_, i) => i),
    );
  });

  test("with an interner, records carry their numbers' shared entries, with the hash of each number", async () => {
    const file = path.join(dir, 'entries.csv');
    fs.writeFileSync(
      file,
      [
        'ts,kind,caller,callee,duration_s,imsi,imei,cell_id,origin',
        '2026-11-30T10:00:00+08:00,voice,+8613800138000,+8613900139000,65,460001234567890,356938035643809,310104-0002,onnet',
        '2026-11-30T10:00:01+08:00,voice,+8613900139000,+8613800138000,65,460001234567891,356938035643810,C1,onnet',
        '2026-11-30T10:00:02+08:00,voice,+8613800138000,+8613900139000,5,,,,offnet',
        '2026-11-30T10:00:03+08:00,voice,+8613800138000,+8613900139000,5,,,"Zelle Ü",onnet',
      ].join('\n') + '\n',
    );
    const interner = new Interner();
    const got: CallRecord[] = [];
    for await (const b of readRecordBatches(file, CALLS, { interner })) got.push(...b);
    assert.equal(got.length, 4);
    for (const r of got.slice(0, 2)) {
      assert.equal(r.callerRef?.value, r.caller);
      assert.equal(r.calleeRef?.hash, hashNumber(r.callee));
    }
    // The same number is the same entry; a quoted line (read by the CSV parser) has none.
    assert.equal(got[0]!.callerRef, got[1]!.calleeRef);
    assert.equal(got[3]!.cellId, 'Zelle Ü');
    assert.equal(got[3]!.callerRef, undefined);
    // Without an interner, no entries: detectors look numbers up in their maps.
    for await (const b of readRecordBatches(file, CALLS))
      for (const r of b) assert.equal(r.callerRef, undefined);
  });
  test('a number checked once is not checked again; a bad one is rejected every time', async () => {
    const file = path.join(dir, 'marks.csv');
    const row = (caller: string, callee: string, extra = ',460001234567890,356938035643809,C1,onnet') =>
      `2026-11-30T10:00:00+08:00,voice,${caller},${callee},5${extra}`;
    fs.writeFileSync(
      file,
      [
        'ts,kind,caller,callee,duration_s,imsi,imei,cell_id,origin',
        row('+8613800138000', '+8613900139000'),
        row('8613800138001', '+8613900139000'), // bad caller
        row('+8613900139000', '+8613800138000', ',,,,offnet'), // checked numbers, the other way round
        row('8613800138001', '+8613800138000'), // the same bad caller again
        row('+8613900139000', '8613800138001'), // and as a callee
        row('+8613800138000', '+8613900139000', ',,,,bogus'), // good numbers, bad origin
      ].join('\n') + '\n',
    );
    const interner = new Interner();
    const rejects: [number, string][] = [];
    const got: CallRecord[] = [];
    for await (const b of readRecordBatches(file, CALLS, {
      interner,
      onReject: (line, reason) => rejects.push([line, reason.split(':')[0]!]),
    }))
      got.push(...b);
    assert.deepEqual(rejects, [
      [3, 'caller'],
      [5, 'caller'],
      [6, 'callee'],
      [7, 'origin'],
    ]);
    assert.equal(got.length, 2);
    // Empty fields, told from their length in the file, are null; present ones are kept.
    assert.deepEqual(
      [got[0]!.imsi, got[0]!.imei, got[0]!.cellId],
      ['460001234567890', '356938035643809', 'C1'],
    );
    assert.deepEqual(
      [got[1]!.imsi, got[1]!.imei, got[1]!.cellId, got[1]!.origin],
      [null, null, null, 'offnet'],
    );
  });

  test('durations: plain, empty, padded, fractional and exponent forms are read; the rest rejected', async () => {
    const file = path.join(dir, 'durations.csv');
    const row = (d: string) => `2026-11-30T10:00:00+08:00,voice,+8613800138000,+8613900139000,${d},,,,offnet`;
    const durations = ['45', '', '0', '007', '12.5', ' 9', '1e3', '86399', '86400', '-1', 'abc', '"61"'];
    fs.writeFileSync(
      file,
      ['ts,kind,caller,callee,duration_s,imsi,imei,cell_id,origin', ...durations.map(row)].join('\n') + '\n',
    );
    const rejects: number[] = [];
    const got: number[] = [];
    for await (const b of readRecordBatches(file, CALLS, {
      interner: new Interner(),
      onReject: (line, reason) => {
        assert.match(reason, /^duration_s: /);
        rejects.push(line);
      },
    }))
      for (const r of b) got.push(r.durationS);
    assert.deepEqual(got, [45, 0, 0, 7, 12.5, 9, 1000, 86399, 61]);
    // 86400, -1 and abc (lines 10 to 12) are out of range or not numbers.
    assert.deepEqual(rejects, [10, 11, 12]);
  });

  test('cards: cancelled_at is optional; read when present, empty or left off; bad or early ones rejected', async () => {
    const base = '+8613800138000,460001234567890,H1,110101,consumer,2024-01-01T00:00:00+08:00,cmcc';
    const at = (n: number) => base.replace('138000', String(138000 + n));
    // Without the column: files written before it still read.
    const old = path.join(dir, 'cards-old.csv');
    fs.writeFileSync(
      old,
      ['msisdn,imsi,holder_id,holder_region,card_type,activated_at,operator', at(0)].join('\n'),
    );
    const plain = [];
    for await (const c of readRecords(old, CARDS)) plain.push(c);
    assert.equal(plain.length, 1);
    assert.equal(plain[0]!.cancelledAt, undefined);
    // With it, in another place than last, and rows that stop before it.
    const file = path.join(dir, 'cards.csv');
    const row = (n: number, cancelled: string | null) => {
      const [m, i, h, r, t, a, o] = at(n).split(',');
      return cancelled === null ? [m, i, h, r, t, a].join(',') : [m, i, h, r, t, a, cancelled, o].join(',');
    };
    fs.writeFileSync(
      file,
      [
        'msisdn,imsi,holder_id,holder_region,card_type,activated_at,cancelled_at,operator',
        row(1, ''),
        row(2, '2025-06-30T12:00:00+08:00'),
        row(3, 'last tuesday'),
        row(4, '2023-12-31T00:00:00+08:00'),
        row(5, null),
        row(6, '"2025-07-01T00:00:00Z"'),
      ].join('\n') + '\n',
    );
    for (const interner of [undefined, new Interner()]) {
      const rejects: [number, string][] = [];
      const got = [];
      for await (const b of readRecordBatches(file, CARDS, {
        ...(interner && { interner }),
        onReject: (line, reason) => rejects.push([line, reason]),
      }))
        got.push(...b);
      assert.deepEqual(
        got.map((c) => [c.msisdn.slice(-2), c.cancelledAt, c.operator]),
        [
          ['01', undefined, 'cmcc'],
          ['02', Date.parse('2025-06-30T12:00:00+08:00'), 'cmcc'],
          ['06', Date.parse('2025-07-01T00:00:00Z'), 'cmcc'],
        ],
      );
      // Line 6 stops before cancelled_at, but also before the required operator.
      assert.deepEqual(
        rejects.map(([l, r]) => [l, r.split(':')[0]]),
        [
          [4, 'cancelled_at'],
          [5, 'cancelled_at'],
          [6, 'expected 7 columns or more'],
        ],
      );
      assert.match(rejects[1]![1], /before activated_at/);
    }
    // Last in the header: a row may stop before it.
    const tail = path.join(dir, 'cards-tail.csv');
    fs.writeFileSync(
      tail,
      [
        'msisdn,imsi,holder_id,holder_region,card_type,activated_at,operator,cancelled_at',
        at(7) + ',2025-01-01T00:00:00Z',
        at(8),
        at(9) + ',',
      ].join('\n') + '\n',
    );
    const t = [];
    for await (const b of readRecordBatches(tail, CARDS, { interner: new Interner() })) t.push(...b);
    assert.deepEqual(
      t.map((c) => c.cancelledAt),
      [Date.parse('2025-01-01T00:00:00Z'), undefined, undefined],
    );
    // NDJSON: the key may be absent, null or a time.
    const nd = path.join(dir, 'cards.ndjson');
    const o = {
      msisdn: '+8613800138010',
      imsi: '',
      holder_id: 'H2',
      holder_region: '',
      card_type: 'consumer',
      activated_at: '2024-01-01T00:00:00Z',
      operator: 'cmcc',
    };
    fs.writeFileSync(
      nd,
      [o, { ...o, cancelled_at: null }, { ...o, cancelled_at: '2024-02-01T00:00:00Z' }]
        .map((x) => JSON.stringify(x))
        .join('\n'),
    );
    const n = [];
    for await (const c of readRecords(nd, CARDS)) n.push(c.cancelledAt);
    assert.deepEqual(n, [undefined, undefined, Date.parse('2024-02-01T00:00:00Z')]);
  });

  test('cards: the outlet is optional, read by its name in CSV and NDJSON, and goes through the record stream', async () => {
    const file = path.join(dir, 'cards-outlet.csv');
    fs.writeFileSync(
      file,
      [
        'outlet,msisdn,imsi,holder_id,holder_region,card_type,activated_at,operator,cancelled_at',
        '110101-017,+8613800138001,460001234567891,H1,110101,consumer,2024-01-01T00:00:00+08:00,cmcc,',
        ',+8613800138002,460001234567892,H2,110101,consumer,2024-01-01T00:00:00+08:00,cmcc,2024-03-01T00:00:00+08:00',
        `${'X'.repeat(65)},+8613800138004,460001234567894,H4,110101,consumer,2024-01-01T00:00:00+08:00,cmcc,`,
      ].join('\n'),
    );
    const got: CardRecord[] = [];
    const refused: string[] = [];
    for await (const c of readRecords(file, CARDS, {
      onReject: (line, reason) => refused.push(`${line} ${reason}`),
    }))
      got.push(c);
    // As `import cards` refuses it: the row goes to the rejects, the others are read.
    assert.deepEqual(refused, ['4 outlet: at most 64 characters']);
    assert.deepEqual(
      got.map((c) => [c.msisdn.slice(-1), c.outlet, c.cancelledAt]),
      [
        ['1', '110101-017', undefined],
        ['2', undefined, Date.parse('2024-03-01T00:00:00+08:00')],
      ],
    );
    const nd = path.join(dir, 'cards-outlet.ndjson');
    const o = { ...Object.fromEntries(CARDS.columns.map((k) => [k, ''])), msisdn: '+8613800138003' };
    Object.assign(o, { card_type: 'consumer', activated_at: '2024-01-01T00:00:00Z', outlet: 'SZ-9' });
    fs.writeFileSync(nd, JSON.stringify(o));
    for await (const c of readRecords(nd, CARDS)) assert.equal(c.outlet, 'SZ-9');
    // On the wire: written only when there is one, beside a cancellation or alone.
    for (const c of [...got, { ...got[1]!, outlet: 'X-1' }]) {
      const back = decodeEntries(`[${encodeEntry({ kind: 'card', gseq: 7, record: c })}]`)[0]!;
      assert.deepEqual(back, { kind: 'card', gseq: 7, record: c });
    }
  });

  test('accounts: closed_at is optional, read in CSV and NDJSON; bad or early ones rejected; it goes through the record stream', async () => {
    const file = path.join(dir, 'accounts-closed.csv');
    fs.writeFileSync(
      file,
      [
        'account,institution,holder_id,account_type,opened_at,closed_at',
        '6222000000000001,ICBC,H1,personal,2024-01-01T00:00:00+08:00,',
        '6222000000000002,ICBC,H2,personal,2024-01-01T00:00:00+08:00,2025-06-30T12:00:00+08:00',
        '6222000000000003,ICBC,H3,personal,2024-01-01T00:00:00+08:00,soon',
        '6222000000000004,ICBC,H4,corporate,2024-01-01T00:00:00+08:00,2023-12-31T00:00:00+08:00',
        // A row that stops before it: open.
        '6222000000000005,ICBC,H5,corporate,2024-01-01T00:00:00+08:00',
      ].join('\n') + '\n',
    );
    for (const interner of [undefined, new Interner()]) {
      const got: AccountRecord[] = [];
      const refused: string[] = [];
      for await (const b of readRecordBatches(file, ACCOUNTS, {
        ...(interner && { interner }),
        onReject: (line, reason) => refused.push(`${line} ${reason}`),
      }))
        got.push(...b);
      assert.deepEqual(
        got.map((a) => [a.account.slice(-1), a.closedAt]),
        [
          ['1', undefined],
          ['2', Date.parse('2025-06-30T12:00:00+08:00')],
          ['5', undefined],
        ],
      );
      assert.deepEqual(refused, [
        '4 closed_at: not an ISO 8601 time with offset: soon',
        '5 closed_at: before opened_at',
      ]);
    }
    // Files written before the column still read.
    const old = path.join(dir, 'accounts-old.csv');
    fs.writeFileSync(
      old,
      'account,institution,holder_id,account_type,opened_at\n6222000000000009,ICBC,H9,personal,2024-01-01T00:00:00Z\n',
    );
    for await (const a of readRecords(old, ACCOUNTS)) assert.equal(a.closedAt, undefined);
    const nd = path.join(dir, 'accounts-closed.ndjson');
    const o = {
      account: '6222000000000010',
      institution: 'ICBC',
      holder_id: 'H10',
      account_type: 'personal',
      opened_at: '2024-01-01T00:00:00Z',
    };
    fs.writeFileSync(
      nd,
      [o, { ...o, closed_at: null }, { ...o, closed_at: '2024-02-01T00:00:00Z' }]
        .map((x) => JSON.stringify(x))
        .join('\n'),
    );
    const n: (number | undefined)[] = [];
    const records: AccountRecord[] = [];
    for await (const a of readRecords(nd, ACCOUNTS)) {
      n.push(a.closedAt);
      records.push(a);
    }
    assert.deepEqual(n, [undefined, undefined, Date.parse('2024-02-01T00:00:00Z')]);
    // On the wire: a closing time only on a closed account; an open one is written as before.
    for (const a of records) {
      const wire = encodeEntry({ kind: 'account', gseq: 9, record: a });
      assert.equal(JSON.parse(wire).length, a.closedAt === undefined ? 7 : 8);
      assert.deepEqual(decodeEntries(`[${wire}]`)[0], { kind: 'account', gseq: 9, record: a });
    }
  });
});

describe('several files merged in time order', () => {
  async function* batches(...bs: number[][]): AsyncGenerator<number[]> {
    for (const b of bs) yield b;
  }
  test('by time, equal times in the order of the sources; empty batches and sources pass', async () => {
    const got: number[][] = [];
    // Times are the values' integer parts; the fraction says which source a value came from.
    for await (const b of mergeByTime(
      [batches([1.1, 3.1], [], [3.1, 7.1]), batches(), batches([0.3, 3.3], [9.3])],
      (x) => Math.floor(x),
    ))
      got.push(b);
    assert.deepEqual(got.flat(), [0.3, 1.1, 3.1, 3.1, 3.3, 7.1, 9.3]);
    // In arrays of at most RECORDS_PER_BATCH.
    const long = Array.from({ length: 2500 }, (_, i) => i);
    const out: number[][] = [];
    for await (const b of mergeByTime(
      [batches(long.filter((x) => x % 2 === 0)), batches(long.filter((x) => x % 2))],
      (x) => x,
    ))
      out.push(b);
    assert.deepEqual(
      out.map((b) => b.length),
      [RECORDS_PER_BATCH, RECORDS_PER_BATCH, 2500 - 2 * RECORDS_PER_BATCH],
    );
    assert.deepEqual(out.flat(), long);
  });
});

describe('records put back in time order (detect, detect publish)', () => {
  const T0 = Date.parse('2026-11-30T10:00:00+08:00');
  /** A call file with a row per time (seconds after T0) and the callee's last digits as its tag. */
  function callFile(name: string, secs: number[]): string {
    const file = path.join(dir, name);
    const iso = (s: number) => new Date(T0 + s * 1000).toISOString().replace('Z', '+00:00');
    fs.writeFileSync(
      file,
      [
        'ts,kind,caller,callee,duration_s,imsi,imei,cell_id,origin',
        ...secs.map(
          (s, i) => `${iso(s)},voice,+8613800138000,+86139001${String(i).padStart(5, '0')},60,,,,offnet`,
        ),
      ].join('\n') + '\n',
    );
    return file;
  }
  async function read(file: string, latenessS: number, floor?: number, maxHeld?: number) {
    const got: number[] = [];
    const rejects: { line: number; reason: string }[] = [];
    const order = {
      latenessMs: latenessS * 1000,
      ...(floor !== undefined && { floor }),
      ...(maxHeld !== undefined && { maxHeld }),
    };
    for await (const batch of readRecordBatches(file, CALLS, {
      order,
      onReject: (line, reason) => rejects.push({ line, reason }),
    }))
      for (const r of batch) got.push(Number(r.callee.slice(-5)));
    return { got, rejects };
  }

  test('a little out of order: put back in order, equal times in file order; nothing rejected', async () => {
    const secs = [0, 30, 10, 10, 50, 40, 45, 200, 100, 250];
    const { got, rejects } = await read(callFile('a.csv', secs), 300);
    assert.deepEqual(rejects, []);
    assert.deepEqual(got, [0, 2, 3, 1, 5, 6, 4, 8, 7, 9]);
  });

  test('more out of order than allowed: rejected with its line and by how much; the rest kept', async () => {
    const { got, rejects } = await read(callFile('b.csv', [0, 100, 400, 700, 350, 690, 800]), 300);
    assert.deepEqual(got, [0, 1, 2, 5, 3, 6]);
    assert.deepEqual(
      rejects.map((r) => r.line),
      [6],
    );
    assert.match(rejects[0]!.reason, /^ts: 350 s earlier than a record already read \(at most 300 s/);
    // Allowed none: every step back is rejected.
    const strict = await read(callFile('c.csv', [0, 10, 5, 10, 20, 19]), 0);
    assert.deepEqual(strict.got, [0, 1, 3, 4]);
    assert.deepEqual(
      strict.rejects.map((r) => r.line),
      [4, 7],
    );
  });

  test('one wrong clock is rejected alone, not the records after it; a real gap is no wrong clock', async () => {
    // A record a day ahead in the middle, and the first record a day ahead.
    const middle = await read(callFile('d.csv', [0, 10, 86_400, 20, 30, 25]), 300);
    assert.deepEqual(middle.got, [0, 1, 3, 5, 4]);
    assert.deepEqual(
      middle.rejects.map((r) => r.line),
      [4],
    );
    assert.match(middle.rejects[0]!.reason, /^ts: more than 3600 s ahead of the records before and after it/);
    const first = await read(callFile('e.csv', [86_400, 0, 10, 20]), 300);
    assert.deepEqual(first.got, [1, 2, 3]);
    assert.deepEqual(
      first.rejects.map((r) => r.line),
      [2],
    );
    // A quiet night: the jump is confirmed by the next record, and whatever is late after it is late.
    const night = await read(callFile('f.csv', [0, 10, 30_000, 30_010, 5, 30_005]), 300);
    assert.deepEqual(night.got, [0, 1, 2, 5, 3]);
    assert.deepEqual(
      night.rejects.map((r) => r.line),
      [6],
    );
    // A jump at the very end has no record after it: kept.
    assert.deepEqual((await read(callFile('g.csv', [0, 10, 86_400]), 300)).got, [0, 1, 2]);
  });

  test('before the stream’s last tick: rejected, whatever the lateness', async () => {
    const { got, rejects } = await read(callFile('h.csv', [0, 100, 50, 200]), 300, T0 + 60_000);
    assert.deepEqual(got, [1, 3]);
    assert.deepEqual(
      rejects.map((r) => r.line),
      [2, 4],
    );
    assert.match(rejects[0]!.reason, /before the record stream's last tick/);
  });

  /** Records 0…n-1 a second apart, in order, through `order`: what went out and the most held. */
  function inOrder(order: TimeOrder<number>, n: number): { out: number[]; most: number } {
    const out: number[] = [];
    let most = 0;
    for (let i = 0; i < n; i++) {
      const ts = T0 + i * 1000;
      assert.equal(order.late(ts), null);
      order.add(i, ts, order.jumps(ts) ? i : null);
      order.release(out, false);
      most = Math.max(most, order.size);
    }
    return { out, most };
  }

  test('records in order are handed out as they come: the buffer holds the lateness, not the file', () => {
    const order = new TimeOrder<number>(300_000);
    const { out, most } = inOrder(order, 10_000);
    assert.ok(most <= 302, String(most));
    order.release(out, true);
    assert.equal(out.length, 10_000);
    assert.ok(out.every((x, i) => x === i));
  });

  test('records out of order within the lateness go out sorted and stable, past buffer growth and compaction', () => {
    // About twenty records a second, each up to 360 s late: the 300 s lateness holds thousands
    // (the buffer grows past its first 1,024 and is compacted in place as it hands records on),
    // and the records more than 300 s behind the latest are refused.
    const order = new TimeOrder<number>(300_000);
    let seed = 7;
    const rnd = () => (seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff) / 0x80000000;
    const accepted: [number, number][] = [];
    const out: number[] = [];
    let clock = T0;
    let late = 0;
    let most = 0;
    for (let i = 0; i < 50_000; i++) {
      clock += Math.floor(rnd() * 100);
      const ts = clock - Math.floor(rnd() * 360_000);
      if (order.late(ts) !== null) {
        late++;
        continue;
      }
      order.add(i, ts, null);
      accepted.push([ts, i]);
      order.release(out, false);
      most = Math.max(most, order.size);
    }
    order.release(out, true);
    assert.equal(order.size, 0);
    // Sorted by time, equal times in the order they came.
    const want = accepted.sort((a, b) => a[0] - b[0] || a[1] - b[1]).map((x) => x[1]);
    assert.deepEqual(out, want);
    assert.ok(most > 2048, `held at most ${most}`);
    assert.ok(late > 1000 && late < 25_000, `${late} late`);
  });

  test('at most maxHeld records are held: the oldest go on early, and one that comes before them is rejected', async () => {
    const order = new TimeOrder<number>(300_000, -Infinity, 100);
    // A record a second: 300 s of lateness would hold 300 of them.
    const { out, most } = inOrder(order, 1000);
    assert.equal(most, 100);
    assert.equal(out.length, 900);
    assert.ok(out.every((x, i) => x === i));
    // 150 s back (within the lateness), 50 s before the last record handed on: its place was handed on when the buffer was full.
    assert.match(
      order.late(T0 + 849_000) ?? '',
      /^ts: 50 s earlier than a record already handed on: 100 records were held within --max-lateness/,
    );
    // 50 s back: still held around it, so put back in its place.
    assert.equal(order.late(T0 + 949_500), null);
    order.add(-1, T0 + 949_500, null);
    order.release(out, true);
    assert.equal(out.length, 1001);
    assert.deepEqual(out.slice(948, 952), [948, 949, -1, 950]);
    // Through the file reader: three held at most, a row behind the third before it rejected.
    const file = callFile('held.csv', [0, 10, 20, 30, 40, 50, 15, 35, 60]);
    const { got, rejects } = await read(file, 300, undefined, 3);
    assert.deepEqual(got, [0, 1, 2, 3, 7, 4, 5, 8]);
    assert.deepEqual(
      rejects.map((r) => r.line),
      [8],
    );
    assert.match(rejects[0]!.reason, /^ts: 5 s earlier than a record already handed on: 3 records were held/);
  });
});
