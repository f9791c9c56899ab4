/**
 * What a running `interdict detect worker` says (src/cli/worker-progress.ts), off a terminal: the
 * lines, their rates and ETA, fed counts and times as the worker's timer would.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WorkerProgress } from '../../src/cli/worker-progress.ts';

/** A standard error that is not a terminal, keeping what is written. */
function capture(): { out: NodeJS.WriteStream; lines: () => string[] } {
  const written: string[] = [];
  const out = {
    isTTY: false,
    write: (s: string) => {
      written.push(s);
      return true;
    },
  } as unknown as NodeJS.WriteStream;
  return { out, lines: () => written.join('').split('\n').filter(Boolean) };
}

const T = Date.parse('2026-12-05T03:00:00Z');
const S = 1000;

test('a worker far behind shows its catching up with rate and ETA, then says once it has caught up', () => {
  const { out, lines } = capture();
  const p = new WorkerProgress('p8:0-7', out);
  p.update({ gseq: 0, records: 0, detections: 0 }, 100_000, T);
  // 20,000 entries a second; the head moves on meanwhile.
  p.update({ gseq: 20_000, records: 19_000, detections: 3 }, 100_000, T + 1 * S);
  p.update({ gseq: 40_000, records: 38_000, detections: 5 }, 110_000, T + 2 * S); // a line every 2 s
  p.update({ gseq: 60_000, records: 57_000, detections: 9 }, 110_000, T + 3 * S);
  p.update({ gseq: 80_000, records: 76_000, detections: 9 }, 110_000, T + 4 * S); // a line every 2 s
  p.update({ gseq: 109_500, records: 104_000, detections: 12 }, 110_000, T + 5 * S);
  assert.deepEqual(lines(), [
    'worker p8:0-7: 100000 entries behind the head (gseq 0 of 100000): catching up',
    'worker p8:0-7 catching up (entries): 20000/100000 (20000/s, ETA 4s)',
    'worker p8:0-7 catching up (entries): 60000/110000 (20000/s, ETA 3s)',
    'worker p8:0-7 catching up (entries): 109500/109500 (21900/s, ETA 0s)',
    'worker p8:0-7: caught up at gseq 109500 (head 110000): 109500 entries in 5 s (21900/s), 12 detections so far',
  ]);
});

test('a current worker says so once, then a line a minute in which records came, and nothing while idle', () => {
  const { out, lines } = capture();
  const p = new WorkerProgress('p8:0-3', out, 60 * S);
  p.update({ gseq: 500, records: 400, detections: 1 }, 900, T);
  p.update({ gseq: 900, records: 700, detections: 1 }, 900, T + 30 * S); // within the minute
  p.update({ gseq: 1_900, records: 1_600, detections: 4 }, 2_000, T + 60 * S);
  p.update({ gseq: 1_900, records: 1_600, detections: 4 }, 1_900, T + 120 * S); // idle: quiet
  p.update({ gseq: 2_000, records: 1_660, detections: 4 }, 2_000, T + 150 * S); // within its minute
  // Falls far behind (the worker was paused, the publisher was not): a bar again.
  p.update({ gseq: 2_000, records: 1_660, detections: 4 }, 40_000, T + 181 * S);
  p.stop();
  assert.deepEqual(lines(), [
    'worker p8:0-3: current at gseq 500 (head 900)',
    'worker p8:0-3: gseq 1900, 100 behind; 1200 records (20/s) and 3 detections in the last 60 s',
    'worker p8:0-3: 38000 entries behind the head (gseq 2000 of 40000): catching up',
    'worker p8:0-3 catching up (entries): 0/38000 done',
  ]);
});
