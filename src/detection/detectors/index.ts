import type { Detector } from '../detector.ts';
import { cardLimitDetector } from './card-limit.ts';
import { fraudCallerDetector } from './fraud-caller.ts';
import { iotMisuseDetector } from './iot-misuse.ts';
import { muleAccountDetector } from './mule-account.ts';
import { potentialVictimDetector } from './potential-victim.ts';
import { DEFAULT_SIMBOX_PARAMS, simboxDetector } from './simbox.ts';
import type { DetectorParams } from '../params.ts';
import { PartnerWindows } from './common.ts';
import { spoofedCallerDetector } from './spoofed-caller.ts';

/**
 * Every detector, with its defaults and what `params` sets (a parameters file,
 * src/detection/params.ts), in the order records are shown to them: the call and account detectors
 * first, so that the numbers and accounts they flag are known to `potential_victim` when it sees
 * the same record. simbox and fraud_caller share their cards' partner windows (`PartnerWindows`)
 * while their windows are as long.
 */
export function allDetectors(params: DetectorParams = {}): Detector[] {
  // simbox and fraud_caller count the same partners over the same window: once, shared (a
  // detector whose window differs makes its own).
  const windows = new PartnerWindows(params.simbox?.windowMs ?? DEFAULT_SIMBOX_PARAMS.windowMs);
  return [
    simboxDetector(params.simbox, windows),
    fraudCallerDetector(params.fraud_caller, windows),
    iotMisuseDetector(params.iot_misuse),
    spoofedCallerDetector(params.spoofed_caller),
    cardLimitDetector(params.card_limit),
    muleAccountDetector(params.mule_account),
    potentialVictimDetector(params.potential_victim),
  ];
}
