import { DETECTORS, type Detection, type DetectorName, type Truth } from './records.ts';

/**
 * Precision and recall of detections against a simulated world's truth, per detector. A detector
 * may report several kinds of subject (simbox: the gateway IMEI and each of its numbers); only the
 * kinds the truth plants for that detector are scored. Subjects are counted once however many
 * episodes report them.
 */
export interface DetectorScore {
  detector: DetectorName;
  planted: number;
  detected: number;
  truePositives: number;
  precision: number;
  recall: number;
}

export function scoreDetections(truth: Truth, detections: Iterable<Detection>): DetectorScore[] {
  const found = new Map<DetectorName, Set<string>>();
  const kinds = new Map<DetectorName, Set<string>>();
  for (const d of DETECTORS) kinds.set(d, new Set((truth.planted[d] ?? []).map((p) => p.subjectKind)));
  for (const x of detections) {
    if (!kinds.get(x.detector)?.has(x.subjectKind)) continue;
    let s = found.get(x.detector);
    if (!s) found.set(x.detector, (s = new Set()));
    s.add(`${x.subjectKind}:${x.subject}`);
  }
  return DETECTORS.map((d) => {
    const planted = new Set((truth.planted[d] ?? []).map((p) => `${p.subjectKind}:${p.subject}`));
    const got = found.get(d) ?? new Set<string>();
    let tp = 0;
    for (const s of got) if (planted.has(s)) tp++;
    return {
      detector: d,
      planted: planted.size,
      detected: got.size,
      truePositives: tp,
      precision: got.size ? tp / got.size : planted.size ? 0 : 1,
      recall: planted.size ? tp / planted.size : 1,
    };
  });
}
