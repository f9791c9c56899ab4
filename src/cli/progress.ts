import cliProgress from 'cli-progress';

/**
 * Progress for long work: a bar with rate and ETA on a terminal, plain lines elsewhere (CI, pipes),
 * always on standard error so standard output stays parseable.
 */
export class Progress {
  private readonly bar: cliProgress.SingleBar | null;
  private done = 0;
  private lastLine = 0;
  private readonly started = Date.now();

  constructor(
    private readonly label: string,
    private readonly total: number,
    private readonly stream: NodeJS.WriteStream = process.stderr,
  ) {
    this.bar = stream.isTTY
      ? new cliProgress.SingleBar(
          {
            format: `${label} [{bar}] {percentage}% | {value}/{total} | {rate}/s | ETA {eta_formatted}`,
            stream,
            noTTYOutput: false,
            hideCursor: true,
            etaBuffer: 50,
          },
          cliProgress.Presets.shades_classic,
        )
      : null;
    this.bar?.start(total, 0, { rate: '0' });
  }

  tick(n = 1): void {
    this.done += n;
    const secs = (Date.now() - this.started) / 1000;
    const rate = secs > 0 ? Math.round(this.done / secs) : 0;
    if (this.bar) {
      this.bar.update(this.done, { rate: String(rate) });
      return;
    }
    const now = Date.now();
    if (now - this.lastLine >= 2000 || this.done === this.total) {
      this.lastLine = now;
      const eta = rate > 0 ? Math.round((this.total - this.done) / rate) : 0;
      this.stream.write(`${this.label}: ${this.done}/${this.total} (${rate}/s, ETA ${eta}s)\n`);
    }
  }

  stop(): void {
    this.bar?.stop();
    if (!this.bar && this.done !== this.total)
      this.stream.write(`${this.label}: ${this.done}/${this.total} done\n`);
  }
}
