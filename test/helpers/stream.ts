import type { StreamRecord } from '../../src/detection/stream/publish.ts';

/**
 * The i-th of a plain run of calls for the record stream's tests: one every 30 s of stream time
 * from `t0` (so a clock entry every 60 s, at the even ones), from one number to another each time.
 */
export function sampleCall(i: number, t0: number): StreamRecord {
  return {
    kind: 'call',
    record: {
      ts: t0 + i * 30_000,
      kind: 'voice',
      caller: '+8613800000001',
      callee: `+86139000000${String(i).padStart(2, '0')}`,
      durationS: 20,
      imsi: null,
      imei: null,
      cellId: null,
      origin: 'offnet',
      callerRef: undefined,
      calleeRef: undefined,
    },
  };
}
