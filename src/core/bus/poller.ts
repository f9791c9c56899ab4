import { sleep } from './outbox.ts';

/**
 * Runs `fn` in a loop: again at once while it reports more work or was woken meanwhile, else
 * after `intervalMs`. wake() runs it now (a commit on this node); soon() runs it a few times at
 * short intervals (a transaction that just published is about to commit). Failures back off.
 */
export class Poller {
  private gen = 0;
  private burst = 0;
  private waiter: (() => void) | undefined;
  private soonTimer: NodeJS.Timeout | undefined;
  private loop: Promise<void> | undefined;
  private readonly abort = new AbortController();

  constructor(
    private readonly fn: () => Promise<boolean>,
    private readonly intervalMs: number,
    private readonly onError: (err: unknown, failures: number) => void,
  ) {}

  start(): void {
    if (this.abort.signal.aborted) return;
    this.loop ??= this.run();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    clearTimeout(this.soonTimer);
    this.waiter?.();
    await this.loop;
  }

  wake(): void {
    this.gen++;
    this.waiter?.();
  }

  soon(): void {
    this.burst = 3;
    if (this.soonTimer || this.abort.signal.aborted) return;
    this.soonTimer = setTimeout(() => {
      this.soonTimer = undefined;
      this.wake();
    }, 2);
    this.soonTimer.unref();
  }

  private async run(): Promise<void> {
    const signal = this.abort.signal;
    let failures = 0;
    while (!signal.aborted) {
      const gen = this.gen;
      let more = false;
      try {
        more = await this.fn();
        failures = 0;
      } catch (err) {
        if (signal.aborted) break;
        failures++;
        this.onError(err, failures);
        await sleep(Math.min(100 * 2 ** failures, 5000), signal);
        continue;
      }
      if (more || gen !== this.gen) continue;
      const wait = this.burst > 0 ? (this.burst--, 10) : this.intervalMs;
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(t);
          signal.removeEventListener('abort', done);
          this.waiter = undefined;
          resolve();
        };
        const t = setTimeout(done, wait);
        signal.addEventListener('abort', done, { once: true });
        this.waiter = done;
      });
    }
  }
}
