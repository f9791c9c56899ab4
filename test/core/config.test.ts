import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, loadConfig } from '../../src/core/config.ts';

test('how long a record feed may be quiet and unmoved: 10 minutes each unless the centre sets them', () => {
  const base = { INTERDICT_DATA_DIR: '/nonexistent' };
  const d = loadConfig(base);
  assert.deepEqual([d.feedIdleMs, d.feedStuckMs], [600_000, 600_000]);
  const set = loadConfig({ ...base, INTERDICT_FEED_IDLE_MINUTES: '30', INTERDICT_FEED_STUCK_MINUTES: '20' });
  assert.deepEqual([set.feedIdleMs, set.feedStuckMs], [1_800_000, 1_200_000]);
  // An empty setting is no setting.
  assert.equal(loadConfig({ ...base, INTERDICT_FEED_IDLE_MINUTES: '' }).feedIdleMs, 600_000);
  for (const [name, value] of [
    ['INTERDICT_FEED_IDLE_MINUTES', '0'],
    ['INTERDICT_FEED_IDLE_MINUTES', 'ten'],
    ['INTERDICT_FEED_STUCK_MINUTES', '1.5'],
    ['INTERDICT_FEED_STUCK_MINUTES', '1441'],
  ] as const)
    assert.throws(
      () => loadConfig({ ...base, [name]: value }),
      (err: unknown) => err instanceof ConfigError && err.message.includes(name),
      `${name}=${value}`,
    );
});
