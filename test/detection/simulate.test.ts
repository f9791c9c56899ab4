import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simulate, FILES, HEADERS } from '../../src/detection/simulate/index.ts';
import { DETECTORS, type DetectorName, type SubjectKind, type Truth } from '../../src/detection/records.ts';
import { luhnValid, normalizeImei, normalizePhone } from '../../src/core/normalize/index.ts';
import { isValidPrcIdNumber } from '../../src/privacy/idnumber.ts';

const dirs: string[] = [];
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'interdict-sim-'));
  dirs.push(d);
  return d;
}
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function hashes(dir: string): Record<string, string> {
  return Object.fromEntries(
    Object.values(FILES).map((f) => [
      f,
      createHash('sha256')
        .update(readFileSync(join(dir, f)))
        .digest('hex'),
    ]),
  );
}

/** The file's rows as objects keyed by its header (the simulator writes no quoted fields). */
function rows(dir: string, file: string, header: string): Record<string, string>[] {
  const lines = readFileSync(join(dir, file), 'utf8').split('\n');
  assert.equal(lines[0], header, `${file} header`);
  assert.equal(lines.at(-1), '', `${file} ends with a newline`);
  const cols = header.split(',');
  return lines.slice(1, -1).map((line, i) => {
    const cells = line.split(',');
    assert.equal(cells.length, cols.length, `${file} line ${i + 2}: ${line}`);
    return Object.fromEntries(cols.map((c, j) => [c, cells[j]!]));
  });
}

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+08:00$/;
function assertSorted(list: Record<string, string>[], col: string, file: string): void {
  let last = -Infinity;
  for (const r of list) {
    const v = r[col]!;
    assert.match(v, ISO, `${file} ${col}`);
    const t = Date.parse(v);
    assert.ok(Number.isFinite(t), `${file} ${col} ${v}`);
    assert.ok(t >= last, `${file} sorted by ${col} at ${v}`);
    last = t;
  }
}

test('the same seed gives byte-identical files, another seed a different world', async () => {
  const opts = { people: 1000, days: 2 };
  const a = tmp();
  const b = tmp();
  const c = tmp();
  await simulate({ ...opts, seed: 42, outDir: a });
  await simulate({ ...opts, seed: 42, outDir: b });
  await simulate({ ...opts, seed: 43, outDir: c });
  const ha = hashes(a);
  assert.deepEqual(hashes(b), ha);
  const hc = hashes(c);
  for (const f of Object.values(FILES)) assert.notEqual(hc[f], ha[f], `${f} differs with another seed`);
});

test('bad options are refused', async () => {
  const outDir = tmp();
  await assert.rejects(simulate({ people: 10, days: 1, seed: 1, outDir }), RangeError);
  await assert.rejects(simulate({ people: 1000, days: 0, seed: 1, outDir }), RangeError);
  await assert.rejects(simulate({ people: 1000, days: 1, seed: 1, outDir, start: '2026-11-02' }), RangeError);
});

let dir = '';
let truth: Truth;
let cards: Record<string, string>[];
let accounts: Record<string, string>[];
let calls: Record<string, string>[];
let txns: Record<string, string>[];

before(async () => {
  dir = tmp();
  truth = await simulate({ people: 2000, days: 3, seed: 7, outDir: dir, start: '2026-11-02T00:00:00+08:00' });
  cards = rows(dir, FILES.cards, HEADERS.cards);
  accounts = rows(dir, FILES.accounts, HEADERS.accounts);
  calls = rows(dir, FILES.calls, HEADERS.calls);
  txns = rows(dir, FILES.transactions, HEADERS.transactions);
});

const KIND: Record<DetectorName, SubjectKind[]> = {
  simbox: ['imei'],
  fraud_caller: ['msisdn'],
  iot_misuse: ['msisdn'],
  spoofed_caller: ['msisdn'],
  card_limit: ['holder', 'msisdn'],
  mule_account: ['account'],
  potential_victim: ['holder'],
};

test('a small world holds every planted kind, and truth.json is what simulate returned', () => {
  assert.deepEqual(JSON.parse(readFileSync(join(dir, FILES.truth), 'utf8')), truth);
  assert.equal(truth.seed, 7);
  assert.equal(truth.people, 2000);
  assert.equal(truth.days, 3);
  assert.ok(truth.start >= Date.parse('2026-11-02T00:00:00+08:00') && truth.end > truth.start);
  assert.ok(truth.end < Date.parse('2026-11-05T00:00:00+08:00'));
  for (const d of DETECTORS) {
    const list = truth.planted[d];
    assert.ok(list.length > 0, `${d} planted`);
    for (const p of list) assert.ok(KIND[d].includes(p.subjectKind), `${d} subject kind ${p.subjectKind}`);
    assert.equal(new Set(list.map((p) => p.subject)).size, list.length, `${d} subjects are unique`);
    for (const k of KIND[d])
      assert.ok(
        list.some((p) => p.subjectKind === k),
        `${d} has ${k} subjects`,
      );
  }
  assert.ok(calls.length > 20_000 && txns.length > 2_000);
});

test('every record parses: E.164 numbers, IMSIs, Luhn-valid IMEIs and accounts, identity numbers, sorted ISO times', () => {
  const numbers = new Set<string>();
  for (const c of cards) {
    numbers.add(c.msisdn!);
    assert.match(c.imsi!, /^460\d{12}$/);
    assert.ok(c.card_type === 'consumer' || c.card_type === 'iot');
    if (c.card_type === 'iot') {
      const r = normalizePhone(c.msisdn!);
      assert.ok(r.ok && r.lineType === 'IOT', `IoT number ${c.msisdn}`);
      assert.equal(c.holder_id, '');
    } else {
      assert.ok(isValidPrcIdNumber(c.holder_id!), `holder ${c.holder_id}`);
      assert.equal(c.holder_id!.slice(0, 6), c.holder_region);
    }
    assert.match(c.holder_region!, /^\d{6}$/);
    assert.ok(['China Mobile', 'China Unicom', 'China Telecom'].includes(c.operator!));
  }
  assert.equal(new Set(cards.map((c) => c.msisdn)).size, cards.length, 'numbers are unique');
  assert.equal(new Set(cards.map((c) => c.imsi)).size, cards.length, 'IMSIs are unique');
  assertSorted(cards, 'activated_at', 'cards');

  for (const a of accounts) {
    assert.match(a.account!, /^\d{16,19}$/);
    assert.ok(luhnValid(a.account!), `Luhn ${a.account}`);
    assert.ok(isValidPrcIdNumber(a.holder_id!));
    assert.ok(a.account_type === 'personal' || a.account_type === 'corporate');
  }
  assert.equal(new Set(accounts.map((a) => a.account)).size, accounts.length, 'accounts are unique');
  assertSorted(accounts, 'opened_at', 'accounts');

  const imeis = new Set<string>();
  for (const c of calls) {
    assert.ok(c.kind === 'voice' || c.kind === 'sms');
    numbers.add(c.caller!);
    numbers.add(c.callee!);
    assert.match(c.duration_s!, /^\d+$/);
    if (c.kind === 'sms') assert.equal(c.duration_s, '0');
    if (c.origin === 'onnet') {
      assert.match(c.imsi!, /^460\d{12}$/);
      assert.match(c.cell_id!, /^\d{6}-\d{4}$/);
      imeis.add(c.imei!);
    } else {
      assert.ok(c.origin === 'offnet' || c.origin === 'intl', `origin ${c.origin}`);
      assert.equal(c.imsi! + c.imei! + c.cell_id!, '');
    }
  }
  assertSorted(calls, 'ts', 'calls');
  for (const n of numbers) {
    const r = normalizePhone(n);
    assert.ok(r.ok && r.value === n, `E.164 ${n}`);
  }
  for (const i of imeis) {
    const r = normalizeImei(i);
    assert.ok(r.ok && r.value === i, `IMEI ${i}`);
  }

  const known = new Set(accounts.map((a) => a.account));
  const ids = new Set<string>();
  for (const t of txns) {
    ids.add(t.txn_id!);
    assert.match(t.amount!, /^\d+\.\d{2}$/);
    assert.ok(Number(t.amount) > 0);
    assert.equal(t.currency, 'CNY');
    assert.ok(known.has(t.payer_account!), `payer ${t.payer_account}`);
    if (t.channel === 'atm' || t.channel === 'counter') {
      if (t.payee_account !== '') assert.ok(known.has(t.payee_account!));
    } else if (t.channel === 'abroad') {
      assert.ok(luhnValid(t.payee_account!) && !known.has(t.payee_account!));
    } else {
      assert.ok(['mobile', 'online', 'pos'].includes(t.channel!), `channel ${t.channel}`);
      assert.ok(known.has(t.payee_account!), `payee ${t.payee_account}`);
    }
  }
  assert.equal(ids.size, txns.length, 'transaction ids are unique');
  assertSorted(txns, 'ts', 'transactions');
});

test('the planted subjects are in the files, and the data singles out exactly them', () => {
  const subjects = (d: DetectorName, k?: SubjectKind) =>
    new Set(truth.planted[d].filter((p) => !k || p.subjectKind === k).map((p) => p.subject));

  // simbox: 16–64 IMSIs behind each gateway IMEI, all at one cell; no other IMEI has more than 4.
  const imsisByImei = new Map<string, Set<string>>();
  const cellsByImei = new Map<string, Set<string>>();
  for (const c of calls) {
    if (c.origin !== 'onnet') continue;
    (imsisByImei.get(c.imei!) ?? imsisByImei.set(c.imei!, new Set()).get(c.imei!)!).add(c.imsi!);
    (cellsByImei.get(c.imei!) ?? cellsByImei.set(c.imei!, new Set()).get(c.imei!)!).add(c.cell_id!);
  }
  for (const imei of subjects('simbox')) {
    const n = imsisByImei.get(imei)?.size ?? 0;
    assert.ok(n >= 16 && n <= 64, `gateway ${imei}: ${n} IMSIs`);
    assert.equal(cellsByImei.get(imei)?.size, 1);
  }
  for (const [imei, set] of imsisByImei) if (!subjects('simbox').has(imei)) assert.ok(set.size <= 4, imei);

  // fraud_caller, iot_misuse, spoofed_caller: the numbers call.
  const callers = new Set(calls.map((c) => c.caller));
  for (const d of ['fraud_caller', 'iot_misuse', 'spoofed_caller'] as const)
    for (const n of subjects(d)) assert.ok(callers.has(n), `${d} ${n} calls`);
  // iot_misuse: IoT cards making voice calls or texting people are exactly the planted ones.
  const iotCards = new Set(cards.filter((c) => c.card_type === 'iot').map((c) => c.msisdn));
  const misusing = new Set(
    calls
      .filter((c) => iotCards.has(c.caller!) && (c.kind === 'voice' || !iotCards.has(c.callee!)))
      .filter((c) => !c.callee!.startsWith('+861064'))
      .map((c) => c.caller),
  );
  assert.deepEqual([...misusing].sort(), [...subjects('iot_misuse')].sort());
  // spoofed_caller: every intl call presenting a CN number is planted.
  for (const c of calls)
    if (c.origin === 'intl' && c.caller!.startsWith('+86'))
      assert.ok(subjects('spoofed_caller').has(c.caller!), c.caller);

  // card_limit: holders over 5 cards in service are exactly the planted holders; burst cards are in
  // the card file. Holders who gave cards back are over 5 only counting their cancelled cards.
  const perHolder = new Map<string, number>();
  const everHeld = new Map<string, number>();
  for (const c of cards) {
    if (!c.holder_id) continue;
    everHeld.set(c.holder_id, (everHeld.get(c.holder_id) ?? 0) + 1);
    if (c.cancelled_at === '') perHolder.set(c.holder_id, (perHolder.get(c.holder_id) ?? 0) + 1);
    else assert.ok(Date.parse(c.cancelled_at!) > Date.parse(c.activated_at!), 'cancelled after activation');
  }
  const over = [...perHolder].filter(([, n]) => n > 5).map(([h]) => h);
  assert.deepEqual(over.sort(), [...subjects('card_limit', 'holder')].sort());
  const returned = [...everHeld].filter(([h, n]) => n > 5 && (perHolder.get(h) ?? 0) <= 5);
  assert.ok(
    returned.length >= 2,
    `holders over the limit only with their cancelled cards: ${returned.length}`,
  );
  const cardNumbers = new Set(cards.map((c) => c.msisdn));
  for (const n of subjects('card_limit', 'msisdn')) assert.ok(cardNumbers.has(n));

  // mule_account: in the account file, receiving and passing on.
  const accountSet = new Set(accounts.map((a) => a.account));
  const payees = new Set(txns.map((t) => t.payee_account));
  const payers = new Set(txns.map((t) => t.payer_account));
  for (const a of subjects('mule_account')) assert.ok(accountSet.has(a) && payees.has(a) && payers.has(a), a);
  assert.ok(
    txns.some((t) => ['atm', 'counter', 'abroad'].includes(t.channel!)),
    'cash-out',
  );

  // potential_victim: a long call from a fraud number, then a payment to a mule within hours.
  const numbersOf = new Map<string, string[]>();
  for (const c of cards)
    if (c.holder_id)
      (numbersOf.get(c.holder_id) ?? numbersOf.set(c.holder_id, []).get(c.holder_id)!).push(c.msisdn!);
  const accountsOf = new Map<string, string[]>();
  for (const a of accounts)
    (accountsOf.get(a.holder_id!) ?? accountsOf.set(a.holder_id!, []).get(a.holder_id!)!).push(a.account!);
  const mules = subjects('mule_account');
  const fraudNumbers = new Set([...subjects('fraud_caller'), ...subjects('spoofed_caller')]);
  for (const c of calls) if (subjects('simbox').has(c.imei!)) fraudNumbers.add(c.caller!);
  for (const holder of subjects('potential_victim')) {
    const nums = new Set(numbersOf.get(holder) ?? []);
    const accs = new Set(accountsOf.get(holder) ?? []);
    const paid = txns.find((t) => accs.has(t.payer_account!) && mules.has(t.payee_account!));
    assert.ok(paid, `victim ${holder} paid a mule`);
    const longCall = calls.find(
      (c) =>
        nums.has(c.callee!) &&
        fraudNumbers.has(c.caller!) &&
        Number(c.duration_s) >= 300 &&
        Date.parse(c.ts!) < Date.parse(paid.ts!) &&
        Date.parse(paid.ts!) - Date.parse(c.ts!) < 12 * 3600_000,
    );
    assert.ok(longCall, `victim ${holder} got a long call from a fraud number hours before paying`);
  }
});

test('innocent forwards: people outside the truth pass a friend’s transfer on nearly whole within hours, by day', () => {
  // plantForwards: one a day per 2,000 people, so at least three in this 3-day world.
  const planted = new Set(Object.values(truth.planted).flatMap((ps) => ps.map((p) => p.subject)));
  const hour = (iso: string) => Number(iso.slice(11, 13));
  const inflows = new Map<string, Record<string, string>[]>();
  for (const t of txns) {
    const list = inflows.get(t.payee_account!) ?? [];
    list.push(t);
    inflows.set(t.payee_account!, list);
  }
  const holder = new Map(accounts.map((a) => [a.account!, a.holder_id!]));
  // Mules pass money on whole within hours too: only people outside the truth are looked at, and
  // money moved between one person's own accounts (plantOwnMoves) is no forward.
  const forwards = txns.filter((out) => {
    if (planted.has(out.payer_account!) || planted.has(out.payee_account!)) return false;
    if (holder.get(out.payer_account!) === holder.get(out.payee_account!)) return false;
    const got = inflows.get(out.payer_account!) ?? [];
    return got.some((inn) => {
      const a = Number(inn.amount);
      const b = Number(out.amount);
      const gap = Date.parse(out.ts!) - Date.parse(inn.ts!);
      return (
        a >= 2000 &&
        a % 100 === 0 &&
        b <= a &&
        b >= a - 50 &&
        gap >= 10 * 60_000 &&
        gap <= 3 * 3_600_000 &&
        hour(inn.ts!) >= 8 &&
        hour(inn.ts!) < 16 &&
        out.payee_account !== ''
      );
    });
  });
  assert.ok(forwards.length >= 3, `forwards found: ${forwards.length}`);
  assert.ok(forwards.length <= 6, `about one a day: ${forwards.length}`);
});

test('own-account moves: people outside the truth gather money from their other accounts, or move it on to spend', () => {
  // plantOwnMoves: one a day per 1,000 people, so about six in this 2,000-person, 3-day world.
  const planted = new Set(Object.values(truth.planted).flatMap((ps) => ps.map((p) => p.subject)));
  // A person's personal accounts (companies are held by people too: a shop paid by its owner is not this).
  const holder = new Map(
    accounts.filter((a) => a.account_type === 'personal').map((a) => [a.account!, a.holder_id!]),
  );
  const own = txns.filter(
    (t) => holder.has(t.payer_account!) && holder.get(t.payer_account!) === holder.get(t.payee_account!),
  );
  assert.ok(own.length >= 6, `own-account transfers: ${own.length}`);
  for (const t of own) {
    assert.ok(!planted.has(t.payer_account!) && !planted.has(t.payee_account!), 'not in the truth');
    // Each is spent soon after, whole, from the account it went to (or gathered with others first).
    const spent = txns.find(
      (o) =>
        o.payer_account === t.payee_account &&
        Date.parse(o.ts!) > Date.parse(t.ts!) &&
        Date.parse(o.ts!) - Date.parse(t.ts!) <= 2 * 3_600_000 &&
        Number(o.amount) >= Number(t.amount) - 50,
    );
    assert.ok(spent, `moved on or spent after ${t.ts} ${t.amount}`);
  }
  // Some at night, some moved twice (main → second → third account).
  assert.ok(
    own.some((t) => Number(t.ts!.slice(11, 13)) < 6),
    'at night',
  );
});

test('collections: people outside the truth collect shares from four or more payers and pay a business the total', () => {
  // plantCollections: one a day per 1,000 people, so about six in this 2,000-person, 3-day world
  // (a payment falling past the end is not written).
  const planted = new Set(Object.values(truth.planted).flatMap((ps) => ps.map((p) => p.subject)));
  const byAccount = new Map(accounts.map((a) => [a.account!, a]));
  const inflows = new Map<string, Record<string, string>[]>();
  for (const t of txns) {
    if (byAccount.get(t.payer_account!)?.account_type !== 'personal') continue;
    const list = inflows.get(t.payee_account!) ?? [];
    list.push(t);
    inflows.set(t.payee_account!, list);
  }
  const found: { shares: number[]; paid: number }[] = [];
  for (const out of txns) {
    const to = byAccount.get(out.payee_account!);
    if (to?.account_type !== 'corporate' || planted.has(out.payer_account!)) continue;
    const at = Date.parse(out.ts!);
    // Shares from distinct people over the 36 hours before, together no more than the payment.
    const shares = (inflows.get(out.payer_account!) ?? []).filter(
      (t) => Date.parse(t.ts!) < at && at - Date.parse(t.ts!) <= 36 * 3_600_000,
    );
    const payers = new Set(shares.map((t) => t.payer_account));
    const sum = shares.reduce((a, t) => a + Number(t.amount), 0);
    if (payers.size >= 4 && sum <= Number(out.amount) && sum >= Number(out.amount) * 0.5)
      found.push({ shares: shares.map((t) => Number(t.amount)), paid: Number(out.amount) });
    // The business is an established one, never in the truth.
    if (payers.size >= 4) {
      assert.ok(!planted.has(out.payee_account!), 'a business outside the truth');
      assert.ok(Date.parse(to.opened_at!) < Date.parse(txns[0]!.ts!) - 180 * 86_400_000, 'established');
    }
  }
  assert.ok(found.length >= 3, `collections found: ${found.length}`);
  assert.ok(found.length <= 9, `about two a day: ${found.length}`);
  // Most are equal shares (AA).
  assert.ok(
    found.some((c) => c.shares.every((a) => a === c.shares[0])),
    'equal shares',
  );
});

test('couriers and migrants: work cards outside the truth call dozens of strangers of the region they are used in a day', () => {
  // plantCouriers: one per 1,000 people (at least two). SIM boxes and call centres call dozens of
  // strangers a day too, across the country; a courier calls the people of its delivery area.
  // plantMigrants: one person in twenty is registered in a region other than the one they live in,
  // and one per 1,000 people of them is a courier, their work card in the home region's name.
  const planted = new Set(Object.values(truth.planted).flatMap((ps) => ps.map((p) => p.subject)));
  const byNumber = new Map(cards.map((c) => [c.msisdn!, c]));
  const perDay = new Map<string, Set<string>>();
  for (const c of calls) {
    if (!byNumber.has(c.caller!) || !byNumber.has(c.callee!)) continue;
    const key = `${c.caller} ${c.ts!.slice(0, 10)}`;
    (perDay.get(key) ?? perDay.set(key, new Set()).get(key)!).add(c.callee!);
  }
  const busy = new Set([...perDay].filter(([, to]) => to.size >= 25).map(([k]) => k.split(' ')[0]!));
  /** The region of the cells a card calls from, when one, and the share of its callees held there. */
  const area = (n: string): { region: string | null; share: number } => {
    const regions = new Set<string>();
    let known = 0;
    const held = new Map<string, number>();
    for (const c of calls) {
      if (c.caller !== n) continue;
      regions.add(c.cell_id!.split('-')[0]!);
      const to = byNumber.get(c.callee!);
      if (to === undefined) continue;
      known++;
      held.set(to.holder_region!, (held.get(to.holder_region!) ?? 0) + 1);
    }
    const region = regions.size === 1 ? [...regions][0]! : null;
    return { region, share: region === null ? 0 : (held.get(region) ?? 0) / known };
  };
  const serving = [...busy]
    .map((n) => ({ n, ...area(n) }))
    .filter((a) => a.region !== null && a.share >= 0.6);
  const couriers = serving.filter((a) => byNumber.get(a.n)!.holder_region === a.region);
  const migrants = serving.filter((a) => byNumber.get(a.n)!.holder_region !== a.region);
  assert.ok(couriers.length >= 2, `couriers found: ${couriers.length} of ${busy.size} busy cards`);
  assert.ok(migrants.length >= 2, `migrant couriers found: ${migrants.length} of ${busy.size} busy cards`);
  for (const { n } of serving) assert.ok(!planted.has(n), `${n} is not in the truth`);
  // A migrant courier's holder has another card, older, that lives where the work card works: its
  // calls are on cells of that region.
  for (const { n, region } of migrants) {
    const holder = byNumber.get(n)!.holder_id;
    const own = cards.filter((c) => c.holder_id === holder && c.msisdn !== n).map((c) => c.msisdn!);
    assert.ok(own.length >= 1, `${n}: the holder has an everyday card`);
    const cells = new Set(
      calls.filter((c) => own.includes(c.caller!) && c.cell_id).map((c) => c.cell_id!.split('-')[0]),
    );
    assert.deepEqual([...cells], [region], `${n}: the everyday card is used where the work card is`);
  }
  // About one person in twenty is a migrant: identity and cards of another region than their cells'.
  const movedHolders = new Set<string>();
  const ordinaryHolders = new Set<string>();
  for (const c of calls) {
    const from = byNumber.get(c.caller!);
    if (from === undefined || !c.cell_id || from.card_type !== 'consumer' || planted.has(c.caller!)) continue;
    (c.cell_id.startsWith(from.holder_region! + '-') ? ordinaryHolders : movedHolders).add(from.holder_id!);
  }
  const share = movedHolders.size / (movedHolders.size + ordinaryHolders.size);
  assert.ok(share > 0.02 && share < 0.1, `share of holders calling away from their region: ${share}`);
});
