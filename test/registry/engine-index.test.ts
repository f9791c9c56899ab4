import { test } from 'node:test';
import assert from 'node:assert/strict';
import { INDICATOR_KINDS, type IndicatorKind } from '../../src/core/normalize/index.ts';
import { RegistryIndex, kindCode, type ListingRecord } from '../../src/registry/engine/index.ts';

const UUID = '3f2b8c1e-9a4d-4e6f-8b7a-0c1d2e3f4a5b';

function rec(over: Partial<ListingRecord> & Pick<ListingRecord, 'kind' | 'value'>): ListingRecord {
  return {
    id: UUID,
    category: 'loan',
    confidence: 0.8,
    status: 'active',
    expiresAt: null,
    version: 1,
    ...over,
  };
}

function present(idx: RegistryIndex, kind: IndicatorKind, value: string): boolean {
  return idx.find(kindCode(kind), value, 0, value.length) >= 0;
}

test('upsert and get round-trip every kind, ids packed or not, wide strings', () => {
  const idx = new RegistryIndex();
  const records: ListingRecord[] = [
    rec({
      kind: 'phone',
      value: '+8613800138000',
      id: UUID,
      category: 'impersonate_police',
      confidence: 0.92,
    }),
    rec({ kind: 'url', value: 'evil.example/x/', id: 'listing-2', expiresAt: 1_900_000_000_000 }),
    rec({ kind: 'domain', value: 'xn--pple-43d.com', id: 'L3', status: 'under_appeal' }),
    rec({ kind: 'ip', value: '2001:db8::1', id: UUID.toUpperCase() }),
    rec({ kind: 'bank_account', value: '某某农村信用社:6222021234567890', id: '账户-4', confidence: 0.1234 }),
    rec({ kind: 'payment_account', value: 'alipay:+8613800138000', id: '' }),
    rec({ kind: 'internet_account', value: 'weibo:骗子昵称', category: 'romance', version: 7 }),
    rec({ kind: 'device', value: '490154203237518', status: 'pending_review' }),
    rec({ kind: 'app', value: 'pkg:com.evil.loan', category: 'loan', status: 'expired' }),
  ];
  for (const r of records) assert.equal(idx.upsert(r), true);
  assert.equal(idx.size, records.length);
  for (const r of records) assert.deepEqual(idx.get(r.kind, r.value), r);
  // Same value, other kind: a different key.
  assert.equal(idx.get('payment_account', '+8613800138000'), null);
  assert.equal(idx.get('phone', '+8613800138001'), null);
  assert.deepEqual([...idx.entries()], records);
  assert.equal(idx.stats().byStatus.active, 6);
  assert.equal(idx.stats().byStatus.under_appeal, 1);
  assert.equal(idx.snapshotVersion, 7);
});

test('kind codes are positions in INDICATOR_KINDS', () => {
  INDICATOR_KINDS.forEach((k, i) => assert.equal(kindCode(k), i));
  assert.equal(kindCode('fax'), -1);
});

test('expiry is kept to the second, rounded up', () => {
  const idx = new RegistryIndex();
  idx.upsert(rec({ kind: 'phone', value: '+8613800138000', expiresAt: 1_700_000_000_500 }));
  assert.equal(idx.get('phone', '+8613800138000')!.expiresAt, 1_700_000_001_000);
  const r = idx.find(0, '+8613800138000', 0, 14);
  assert.equal(idx.matchStatus(r, 1_700_000_000), 0);
  assert.equal(idx.matchStatus(r, 1_700_000_001), -1);
});

test('version ordering: older or equal events are ignored, removals leave a tombstone', () => {
  const idx = new RegistryIndex();
  const v = '+8613800138000';
  assert.equal(idx.upsert(rec({ kind: 'phone', value: v, version: 5, confidence: 0.5 })), true);
  assert.equal(idx.upsert(rec({ kind: 'phone', value: v, version: 4, confidence: 0.9 })), false);
  assert.equal(idx.upsert(rec({ kind: 'phone', value: v, version: 5, confidence: 0.9 })), false);
  assert.equal(idx.get('phone', v)!.confidence, 0.5);
  assert.equal(idx.upsert(rec({ kind: 'phone', value: v, version: 6, confidence: 0.9, id: 'new-id' })), true);
  assert.deepEqual(
    { c: idx.get('phone', v)!.confidence, id: idx.get('phone', v)!.id },
    { c: 0.9, id: 'new-id' },
  );

  assert.equal(idx.remove('phone', v, 6), false, 'a removal with an older version is ignored');
  assert.notEqual(idx.get('phone', v), null);
  assert.equal(idx.remove('phone', v, 8), true);
  assert.equal(idx.get('phone', v), null);
  assert.equal(idx.size, 0);
  assert.equal(idx.stats().tombstones, 1);
  assert.equal(
    idx.upsert(rec({ kind: 'phone', value: v, version: 7 })),
    false,
    'no resurrection by a late event',
  );
  assert.equal(idx.get('phone', v), null);
  assert.equal(idx.upsert(rec({ kind: 'phone', value: v, version: 9, id: UUID })), true);
  assert.equal(idx.get('phone', v)!.id, UUID);
  assert.equal(idx.size, 1);

  // A removal that arrives before the listing itself.
  assert.equal(idx.remove('domain', 'evil.example', 20), true);
  assert.equal(idx.upsert(rec({ kind: 'domain', value: 'evil.example', version: 19 })), false);
  assert.equal(idx.get('domain', 'evil.example'), null);
  assert.equal(idx.snapshotVersion, 20);
});

test('malformed records are refused', () => {
  const idx = new RegistryIndex();
  assert.throws(() => idx.upsert(rec({ kind: 'fax' as IndicatorKind, value: '1' })), RangeError);
  assert.throws(
    () => idx.upsert(rec({ kind: 'phone', value: '+1', category: 'spam' as 'loan' })),
    RangeError,
  );
  assert.throws(() => idx.upsert(rec({ kind: 'phone', value: '+1', confidence: 1.5 })), RangeError);
  assert.throws(
    () => idx.upsert(rec({ kind: 'phone', value: '+1', status: 'gone' as 'active' })),
    RangeError,
  );
  assert.throws(() => idx.upsert(rec({ kind: 'phone', value: '' })), RangeError);
  assert.throws(() => idx.upsert(rec({ kind: 'phone', value: '+1', version: NaN })), RangeError);
  assert.equal(idx.size, 0);
});

test('hash collisions: with every key in one slot and one fingerprint, values decide', () => {
  const idx = new RegistryIndex({ hashMasks: [0, 0], capacity: 16 });
  const keys: [IndicatorKind, string][] = [];
  for (let i = 0; i < 600; i++) {
    const kind = INDICATOR_KINDS[i % INDICATOR_KINDS.length]!;
    keys.push([kind, `v${Math.floor(i / 3)}`]); // the same value under several kinds
  }
  keys.push(['url', '例子.中国/路径/'], ['url', '例子.中国/路径']);
  keys.forEach(([kind, value], i) => idx.upsert(rec({ kind, value, id: `id${i}`, version: i + 1 })));
  assert.equal(idx.size, keys.length);
  keys.forEach(([kind, value], i) => assert.equal(idx.get(kind, value)?.id, `id${i}`));
  assert.equal(idx.get('phone', 'v1000'), null);
  assert.equal(idx.get('url', '例子.中国/路'), null);
  assert.equal(idx.get('url', '例子.中国/路径/x'), null);
  // Updates and removals hit the right one among the colliding keys.
  assert.equal(
    idx.upsert(rec({ kind: 'url', value: '例子.中国/路径', id: 'changed', version: 10_000 })),
    true,
  );
  assert.equal(idx.get('url', '例子.中国/路径')!.id, 'changed');
  assert.equal(idx.get('url', '例子.中国/路径/')!.id, `id${keys.length - 2}`);
  assert.equal(idx.remove('phone', 'v0', 10_001), true);
  assert.equal(idx.get('phone', 'v0'), null);
  assert.notEqual(idx.get('url', 'v0'), null);
});

test('hash collisions: shared slots with distinct fingerprints, and shared fingerprints', () => {
  for (const masks of [
    [0x7, -1],
    [-1, 0x1],
    [0x3, 0x1],
  ] as [number, number][]) {
    const idx = new RegistryIndex({ hashMasks: masks, capacity: 16 });
    const values = Array.from({ length: 1500 }, (_, i) => `+86138${String(i).padStart(8, '0')}`);
    values.forEach((v, i) => idx.upsert(rec({ kind: 'phone', value: v, version: i + 1 })));
    for (const v of values) assert.ok(present(idx, 'phone', v));
    for (let i = 1500; i < 1600; i++)
      assert.ok(!present(idx, 'phone', `+86138${String(i).padStart(8, '0')}`));
  }
});

test('the table grows incrementally: lookups stay correct while entries move', () => {
  const idx = new RegistryIndex({ capacity: 16 });
  const value = (i: number) => (i % 7 === 0 ? `账户${i}号` : i % 2 ? `+8613${i}` : `evil${i}.example/p/`);
  const kind = (i: number): IndicatorKind => (i % 7 === 0 ? 'internet_account' : i % 2 ? 'phone' : 'url');
  let sawGrowing = 0;
  const n = 60_000;
  for (let i = 0; i < n; i++) {
    idx.upsert(rec({ kind: kind(i), value: value(i), id: `id${i}`, version: i + 1 }));
    if (idx.growing) {
      sawGrowing++;
      // While moving: every key so far is found, a missing one is not.
      if (sawGrowing % 97 === 0) {
        for (let j = 0; j <= i; j += Math.max(1, Math.floor(i / 50)))
          assert.ok(present(idx, kind(j), value(j)), `${j}`);
        assert.ok(present(idx, kind(i), value(i)));
        assert.ok(!present(idx, 'phone', '+8613nothere'));
      }
    }
  }
  assert.ok(sawGrowing > 1000, 'growth was spread over many writes');
  for (let i = 0; i < n; i++) assert.equal(idx.get(kind(i), value(i))?.id, `id${i}`);
  assert.equal(idx.size, n);
  assert.ok(idx.stats().tableSlots >= n / 0.7);
});

test('reserve sizes the table once; load applies a snapshot', () => {
  const idx = new RegistryIndex();
  const rows = Array.from({ length: 5000 }, (_, i) =>
    rec({ kind: 'bank_account', value: String(6222020000000000 + i * 7), id: `r${i}`, version: i + 1 }),
  );
  assert.equal(idx.load(rows), 5000);
  assert.equal(idx.load(rows), 0, 'loading the same snapshot again changes nothing');
  assert.equal(idx.growing, false);
  assert.equal(idx.size, 5000);
  assert.equal(idx.snapshotVersion, 5000);
});

test('1,000,000 listings: memory and correctness', () => {
  const n = 1_000_000;
  const idx = new RegistryIndex();
  idx.reserve(n);
  const value = (i: number): [IndicatorKind, string] => {
    switch (i % 4) {
      case 0:
        return ['phone', `+861${3000000000 + ((i * 2654435761) % 1_000_000_000)}`];
      case 1:
        return ['url', `d${i.toString(36)}.example.com/${(i % 97).toString(36)}/`];
      case 2:
        return ['bank_account', String(6_222_020_000_000_000 + i * 13)];
      default:
        return ['internet_account', `wechat:wx_${i.toString(36)}`];
    }
  };
  for (let i = 0; i < n; i++) {
    const [kind, v] = value(i);
    idx.upsert({
      id: `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`,
      kind,
      value: v,
      category: 'other',
      confidence: 0.5,
      status: 'active',
      expiresAt: null,
      version: i + 1,
    });
  }
  assert.equal(idx.size, n);
  const bytes = idx.memoryBytes();
  // The budget is 250 bytes per listing (2.5 GB for 10M).
  assert.ok(bytes < 125 * n, `index bytes ${bytes} (${(bytes / n).toFixed(1)} per listing)`);
  for (let i = 0; i < n; i += 997) {
    const [kind, v] = value(i);
    const r = idx.find(kindCode(kind), v, 0, v.length);
    assert.ok(r >= 0);
    assert.equal(idx.idAt(r), `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`);
  }
  let misses = 0;
  for (let i = n; i < n + 20_000; i++) {
    const [kind, v] = value(i);
    if (idx.find(kindCode(kind), v, 0, v.length) < 0) misses++;
  }
  assert.equal(misses, 20_000);
});
