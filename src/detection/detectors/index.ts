import type { Detector } from '../detector.ts';
import { cardLimitDetector } from './card-limit.ts';
import { fraudCallerDetector } from './fraud-caller.ts';
import { iotMisuseDetector } from './iot-misuse.ts';
import { muleAccountDetector } from './mule-account.ts';
import { potentialVictimDetector } from './potential-victim.ts';
import { DEFAULT_SIMBOX_PARAMS, simboxDetector } from './simbox.ts';
import { PartnerWindows } from './common.ts';
import { spoofedCallerDetector } from './spoofed-caller.ts';

/**
 * Every detector with its default parameters, in the order records are shown to them: the call
 * and account detectors first, so that the numbers and accounts they flag are known to
 * `potential_victim` when it sees the same record. simbox and fraud_caller share their cards'
 * partner windows (`PartnerWindows`).
 */
export function allDetectors(): Detector[] {
  // simbox and fraud_caller count the same partners over the same window: once, shared.
  const windows = new PartnerWindows(DEFAULT_SIMBOX_PARAMS.windowMs);
  return [
    simboxDetector({}, windows),
    fraudCallerDetector({}, windows),
    iotMisuseDetector(),
    spoofedCallerDetector(),
    cardLimitDetector(),
    muleAccountDetector(),
    potentialVictimDetector(),
  ];
}
