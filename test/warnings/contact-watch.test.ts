import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { CallRecord } from '../../src/detection/records.ts';
import { ContactWatch, DEFAULT_CONTACT_WATCH_PARAMS } from '../../src/warnings/contact-watch.ts';

const T0 = Date.parse('2026-11-02T02:00:00Z');
const MIN = 60_000;
const HOUR = 60 * MIN;
const SCAMMER = '+8615011112222';
const LISTED = '+8613900001111';
const VICTIM = '+8618800003333';
const OTHER = '+8618800004444';

const call = (over: Partial<CallRecord> = {}): CallRecord => ({
  ts: T0,
  kind: 'voice',
  caller: SCAMMER,
  callee: VICTIM,
  durationS: 900,
  imsi: null,
  imei: null,
  cellId: null,
  origin: 'onnet',
  ...over,
});

describe('ContactWatch', () => {
  test('a long call from a listed number warns its callee at the end of the call', () => {
    const w = new ContactWatch({}, (n) => n === LISTED);
    const t = w.onCall(call({ caller: LISTED, durationS: 1200 }));
    assert.deepEqual(t, {
      kind: 'fraud_call',
      at: T0 + 1200 * 1000,
      callee: VICTIM,
      caller: LISTED,
      durationS: 1200,
      reason: 'long_call_from_flagged',
    });
  });

  test('a long call from a flagged number warns; from an unknown number it does not', () => {
    const w = new ContactWatch();
    assert.equal(w.onCall(call({ caller: OTHER, callee: VICTIM })), null);
    w.flag(SCAMMER, T0 - MIN);
    const t = w.onCall(call({ callee: OTHER }));
    assert.equal(t?.reason, 'long_call_from_flagged');
    assert.equal(t?.callee, OTHER);
  });

  test('a short call from a flagged number does not warn, and the threshold is the parameter', () => {
    const w = new ContactWatch({}, (n) => n === LISTED);
    const short = DEFAULT_CONTACT_WATCH_PARAMS.longCallS - 1;
    assert.equal(w.onCall(call({ caller: LISTED, durationS: short })), null);
    assert.equal(w.onCall(call({ caller: LISTED, durationS: 0, kind: 'sms' })), null);
    const lower = new ContactWatch({ longCallS: 60 }, (n) => n === LISTED);
    assert.equal(lower.onCall(call({ caller: LISTED, durationS: 60 }))?.durationS, 60);
  });

  test('a number flagged after a long call warns its callee retroactively, at the flag time', () => {
    const w = new ContactWatch();
    assert.equal(w.onCall(call({ durationS: 900 })), null);
    assert.equal(w.onCall(call({ ts: T0 + 20 * MIN, callee: OTHER, durationS: 30 })), null);
    const flagAt = T0 + 2 * HOUR;
    const ts = w.flag(SCAMMER, flagAt);
    assert.deepEqual(ts, [
      {
        kind: 'fraud_call',
        at: flagAt,
        callee: VICTIM,
        caller: SCAMMER,
        durationS: 900,
        reason: 'flagged_after_long_call',
      },
    ]);
    // Its long calls are forgotten once flagged: a second flag warns nobody again.
    assert.deepEqual(w.flag(SCAMMER, flagAt + MIN), []);
  });

  test('a flag during a long call warns at the end of the call', () => {
    const w = new ContactWatch();
    w.onCall(call({ durationS: 1800 }));
    const [t] = w.flag(SCAMMER, T0 + 5 * MIN);
    assert.equal(t?.at, T0 + 1800 * 1000);
    assert.equal(t?.reason, 'long_call_from_flagged');
  });

  test('one trigger per callee per episode; a new episode after 24 h', () => {
    const w = new ContactWatch({}, (n) => n === LISTED);
    assert.ok(w.onCall(call({ caller: LISTED })));
    assert.equal(w.onCall(call({ caller: LISTED, ts: T0 + HOUR })), null);
    // Retroactive triggers count against the same episode.
    w.onCall(call({ ts: T0 + 2 * HOUR }));
    assert.deepEqual(w.flag(SCAMMER, T0 + 3 * HOUR), []);
    assert.equal(w.suppressed, 2);
    const next = w.onCall(call({ caller: LISTED, ts: T0 + 25 * HOUR }));
    assert.equal(next?.at, T0 + 25 * HOUR + 900 * 1000);
  });

  test('memory is bounded: a caller keeps only its last N long calls', () => {
    const w = new ContactWatch({ perCaller: 3 });
    const callees = [
      '+8613000000001',
      '+8613000000002',
      '+8613000000003',
      '+8613000000004',
      '+8613000000005',
    ];
    callees.forEach((callee, i) => w.onCall(call({ ts: T0 + i * 20 * MIN, callee })));
    assert.deepEqual(w.size, { callers: 1, longCalls: 3, flagged: 0, warned: 0 });
    const warned = w.flag(SCAMMER, T0 + 2 * HOUR).map((t) => t.callee);
    assert.deepEqual(warned, callees.slice(2));
  });

  test('long calls older than the lookback do not warn, and expire from memory', () => {
    const w = new ContactWatch({ lookbackMs: HOUR });
    w.onCall(call({ durationS: 600 }));
    w.onCall(call({ ts: T0 + 90 * MIN, callee: OTHER, durationS: 600 }));
    const warned = w.flag(SCAMMER, T0 + 2 * HOUR).map((t) => t.callee);
    assert.deepEqual(warned, [OTHER]);

    const v = new ContactWatch({ lookbackMs: HOUR });
    v.onCall(call({ durationS: 600 }));
    assert.equal(v.size.callers, 1);
    // A later record sweeps the caller whose last long call ended more than the lookback ago.
    v.onCall(call({ ts: T0 + 3 * HOUR, caller: OTHER, callee: VICTIM, durationS: 10 }));
    assert.equal(v.size.callers, 0);
    assert.deepEqual(v.flag(SCAMMER, T0 + 3 * HOUR), []);
  });

  test('flags expire after flaggedMs, and so does the episode memory', () => {
    const w = new ContactWatch({ flaggedMs: 2 * HOUR });
    w.flag(SCAMMER, T0);
    assert.equal(w.onCall(call({ ts: T0 + 3 * HOUR })), null);
    assert.equal(w.size.flagged, 0);
    const u = new ContactWatch();
    u.flag(SCAMMER, T0);
    assert.ok(u.onCall(call()));
    u.sweep(T0 + 25 * HOUR);
    assert.equal(u.size.warned, 0);
  });

  test('a flag scoped to international-gateway calls leaves the subscriber’s own calls alone', () => {
    const w = new ContactWatch();
    w.onCall(call({ callee: OTHER, origin: 'onnet' }));
    w.onCall(call({ ts: T0 + MIN, origin: 'intl' }));
    const ts = w.flag(SCAMMER, T0 + HOUR, { origin: 'intl' });
    assert.deepEqual(
      ts.map((t) => t.callee),
      [VICTIM],
    );
    assert.equal(w.onCall(call({ ts: T0 + 2 * HOUR, callee: '+8613000000009' })), null);
    assert.equal(
      w.onCall(call({ ts: T0 + 2 * HOUR, callee: '+8613000000009', origin: 'intl' }))?.callee,
      '+8613000000009',
    );
  });

  test('SMS from flagged numbers warn only when asked to', () => {
    const sms = call({ kind: 'sms', durationS: 0 });
    const off = new ContactWatch();
    off.flag(SCAMMER, T0 - MIN);
    assert.equal(off.onCall(sms), null);
    const on = new ContactWatch({ smsFromFlagged: true });
    on.flag(SCAMMER, T0 - MIN);
    assert.deepEqual(on.onCall(sms), {
      kind: 'fraud_sms',
      at: T0,
      callee: VICTIM,
      caller: SCAMMER,
      durationS: 0,
      reason: 'sms_from_flagged',
    });
  });
});
