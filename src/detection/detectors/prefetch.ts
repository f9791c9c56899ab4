import type { CallRecord } from '../records.ts';
import type { PartnerWindow, PartnerWindows } from './common.ts';
import type { FraudCallerCardState } from './fraud-caller.ts';
import type { IotState } from './iot-misuse.ts';
import type { PersonState } from './potential-victim.ts';
import type { SimboxCardState } from './simbox.ts';
import type { NumberState } from './spoofed-caller.ts';

/**
 * Reads, and changes nothing, the call detectors' state that a record's `onCall`s will touch,
 * through the states cached on its numbers' entries (`callerRef`, `calleeRef`, src/detection/intern.ts;
 * a record without them has nothing to read). The file runner (`runDetection`) calls it a couple
 * of records ahead of the one it hands the detectors.
 *
 * Why: the call path waits on memory, not on its instructions. Each number has one state object
 * per detector, and with tens of thousands of numbers each one is a cache miss, often a TLB miss
 * too; inside `onCall` they come one after another, each behind the branch that needs it. Read
 * here in one burst, with nothing depending on them, the misses of a record overlap one another
 * and the work on the records before it. It is one function that knows every detector's state,
 * not a method per detector: reads spread over five calls through a mixed call site overlapped
 * too little to gain anything (measured; docs/detection.md, "Throughput").
 *
 * A cached state may be stale (dropped by a sweep, or from a detector that is not running): it is
 * still an object, and reading it is harmless. Returns a number made of what it read, so that the
 * reads are not optimised away: a small integer, as a double returned would be boxed on the heap
 * at every record.
 */
export function prefetchCallState(r: CallRecord): number {
  const a = r.callerRef;
  const b = r.calleeRef;
  if (a === undefined || b === undefined) return 0;
  let x = 0;
  // The caller's: its partner slot for the callee, simbox's and fraud_caller's card and IMEI
  // states, iot_misuse's and spoofed_caller's states, its card.
  const aw = a.window as PartnerWindow | undefined;
  if (aw !== undefined) x += (a.windowOf as PartnerWindows).slotAt(aw, b.hash);
  const as = a.simbox as SimboxCardState | undefined;
  if (as !== undefined) {
    x += as.from;
    if (as.imei !== null) x += as.imei.from;
  }
  const af = a.fraud as FraudCallerCardState | undefined;
  if (af !== undefined) {
    x += af.from;
    if (af.imeiState !== null) x += af.imeiState.from;
  }
  const ai = a.iot as IotState | undefined;
  if (ai !== undefined) x += ai.from;
  const ap = a.spoofed as NumberState | undefined;
  if (ap !== undefined) x += ap.lastTs;
  if (a.card !== undefined) x += a.card.activatedAt;
  // The callee's: its partner slot for the caller, simbox's card and IMEI states, fraud_caller's
  // card state, potential_victim's person and the ring slot its next call goes to, its card.
  const bw = b.window as PartnerWindow | undefined;
  if (bw !== undefined) x += (b.windowOf as PartnerWindows).slotAt(bw, a.hash);
  const bs = b.simbox as SimboxCardState | undefined;
  if (bs !== undefined) {
    x += bs.from;
    if (bs.imei !== null) x += bs.imei.inb;
  }
  const bf = b.fraud as FraudCallerCardState | undefined;
  if (bf !== undefined) x += bf.from;
  const bv = b.victim as PersonState | undefined;
  if (bv !== undefined) {
    x += bv.lastCallTs;
    const ring = bv.calls;
    if (ring !== null) {
      const o = (ring.size < ring.cap ? ring.size : ring.next) * 3;
      if (o < ring.tdi.length) x += ring.tdi[o]!;
    }
  }
  if (b.card !== undefined) x += b.card.activatedAt;
  return (x | 0) & 1023;
}
