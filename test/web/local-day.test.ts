import { test } from 'node:test';
import assert from 'node:assert/strict';
import { localDay } from '../../web/src/localDay.ts';

test("a date on the citizen's and the governance pages is the day in the reader's time zone", () => {
  const was = process.env.TZ;
  try {
    // 01:00 on 1 February in Beijing is still 31 January in UTC.
    process.env.TZ = 'Asia/Shanghai';
    assert.equal(localDay('2019-01-31T17:00:00.000Z'), '2019-02-01');
    process.env.TZ = 'UTC';
    assert.equal(localDay('2019-01-31T17:00:00.000Z'), '2019-01-31');
    assert.equal(localDay(null), '—');
    // A person list's term ending at 00:30 on 4 December in Beijing (the governance pages).
    process.env.TZ = 'Asia/Shanghai';
    assert.equal(localDay('2026-12-03T16:30:00.000Z'), '2026-12-04');
    assert.equal(localDay(null, ''), '');
  } finally {
    if (was === undefined) delete process.env.TZ;
    else process.env.TZ = was;
  }
});
