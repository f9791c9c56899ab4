import { Progress } from './progress.ts';

/** Behind the head by more than this many entries, a worker is catching up (a bar). */
export const CATCH_UP_ENTRIES = 10_000;
/** Within this many entries of the head, it has caught up (less than the bar's start: no flapping). */
export const CAUGHT_UP_ENTRIES = 1_000;

/** What the worker has done so far (`WorkerStats`). */
export interface WorkerCounts {
  gseq: number;
  records: number;
  detections: number;
}

/**
 * What a running `interdict detect worker` says on stderr, fed its counts and the stream's head
 * every second or so (`update`). While it is far behind the head (a first start on a stream that
 * holds days, a replay after an upgrade, a restart after downtime) a bar with rate and ETA on a
 * terminal, plain lines elsewhere; once within `CAUGHT_UP_ENTRIES`, a line saying so; then a line
 * every `everyMs` in which records came (an idle worker stays quiet: `detect status` watches it).
 */
export class WorkerProgress {
  private bar: Progress | null = null;
  /** Where the bar started: its done is `gseq - from`, its total `head - from`. */
  private from = 0;
  private barStarted = 0;
  private started = false;
  /** The counts and time of the last periodic line (or of catching up). */
  private last: WorkerCounts & { at: number } = { gseq: 0, records: 0, detections: 0, at: 0 };

  constructor(
    private readonly name: string,
    private readonly out: NodeJS.WriteStream = process.stderr,
    private readonly everyMs = 60_000,
  ) {}

  update(s: WorkerCounts, head: number, now = Date.now()): void {
    const behind = Math.max(0, head - s.gseq);
    if (this.bar) {
      if (behind <= CAUGHT_UP_ENTRIES) {
        this.bar.set(s.gseq - this.from, s.gseq - this.from, now);
        this.bar.stop();
        this.bar = null;
        const secs = Math.max(0.001, (now - this.barStarted) / 1000);
        const entries = s.gseq - this.from;
        this.line(
          `caught up at gseq ${s.gseq} (head ${head}): ${entries} entries in ${secs.toFixed(0)} s ` +
            `(${Math.round(entries / secs)}/s), ${s.detections} detections so far`,
        );
        this.mark(s, now);
      } else this.bar.set(s.gseq - this.from, head - this.from, now);
      return;
    }
    if (behind > CATCH_UP_ENTRIES) {
      this.started = true;
      this.from = s.gseq;
      this.barStarted = now;
      this.line(`${behind} entries behind the head (gseq ${s.gseq} of ${head}): catching up`);
      this.bar = new Progress(`worker ${this.name} catching up (entries)`, behind, this.out, now);
      return;
    }
    if (!this.started) {
      this.started = true;
      this.line(`current at gseq ${s.gseq} (head ${head})`);
      this.mark(s, now);
      return;
    }
    if (now - this.last.at < this.everyMs) return;
    const records = s.records - this.last.records;
    if (records > 0) {
      const secs = (now - this.last.at) / 1000;
      this.line(
        `gseq ${s.gseq}, ${behind} behind; ${records} records (${Math.round(records / secs)}/s) ` +
          `and ${s.detections - this.last.detections} detections in the last ${secs.toFixed(0)} s`,
      );
    }
    this.mark(s, now);
  }

  /** Ends a bar still drawn (the worker stops while catching up). */
  stop(): void {
    this.bar?.stop();
    this.bar = null;
  }

  private mark(s: WorkerCounts, now: number): void {
    this.last = { gseq: s.gseq, records: s.records, detections: s.detections, at: now };
  }

  private line(text: string): void {
    this.out.write(`worker ${this.name}: ${text}\n`);
  }
}
