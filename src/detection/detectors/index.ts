import type { Detector } from '../detector.ts';
import { cardLimitDetector } from './card-limit.ts';
import { fraudCallerDetector } from './fraud-caller.ts';
import { iotMisuseDetector } from './iot-misuse.ts';
import { muleAccountDetector } from './mule-account.ts';
import { potentialVictimDetector } from './potential-victim.ts';
import { simboxDetector } from './simbox.ts';
import { spoofedCallerDetector } from './spoofed-caller.ts';

/**
 * Every detector with its default parameters, in the order records are shown to them: the call
 * and account detectors first, so that the numbers and accounts they flag are known to
 * `potential_victim` when it sees the same record.
 */
export function allDetectors(): Detector[] {
  return [
    simboxDetector(),
    fraudCallerDetector(),
    iotMisuseDetector(),
    spoofedCallerDetector(),
    cardLimitDetector(),
    muleAccountDetector(),
    potentialVictimDetector(),
  ];
}
