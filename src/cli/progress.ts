import cliProgress from 'cli-progress';

/**
 * Progress for long work: a bar with rate and ETA on a terminal, plain lines elsewhere (CI, pipes),
 * always on standard error so standard output stays parseable.
 */
export class Progress {
  private readonly bar: cliProgress.SingleBar | null;
  private done = 0;
  private lastLine = 0;

  constructor(
    private readonly label: string,
    private total: number,
    private readonly stream: NodeJS.WriteStream = process.stderr,
    private readonly started = Date.now(),
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
    this.set(this.done + n, this.total);
  }

  /**
   * Sets how much is done of how much, at time `now`: for work whose total grows as it goes (a
   * worker catching up with a stream still written to).
   */
  set(done: number, total: number, now = Date.now()): void {
    this.done = done;
    this.total = total;
    const secs = (now - this.started) / 1000;
    const rate = secs > 0 ? Math.round(done / secs) : 0;
    if (this.bar) {
      if (total !== this.bar.getTotal()) this.bar.setTotal(total);
      this.bar.update(done, { rate: String(rate) });
      return;
    }
    if (now - this.lastLine >= 2000 || done === total) {
      this.lastLine = now;
      const eta = rate > 0 ? Math.round((total - done) / rate) : 0;
      this.stream.write(`${this.label}: ${done}/${total} (${rate}/s, ETA ${eta}s)\n`);
    }
  }

  stop(): void {
    this.bar?.stop();
    if (!this.bar && this.done !== this.total)
      this.stream.write(`${this.label}: ${this.done}/${this.total} done\n`);
  }
}
