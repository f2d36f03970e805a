/**
 * What the consumer's read loop waits on: a wake-up (an ack freed a place, or teardown), or a
 * timeout, whichever comes first. Its one timer is cleared when the wait ends and on `close()`.
 */
export class Wake {
  private resolveWait: (() => void) | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private closed = false;

  /** Resolves on the next `wake()` or `close()`, or after `ms` when given. */
  wait(ms?: number): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.resolveWait = resolve;
      if (ms !== undefined) this.timer = setTimeout(() => this.wake(), ms);
    });
  }

  /** Ends the current wait, if any. */
  wake(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    const resolve = this.resolveWait;
    this.resolveWait = null;
    resolve?.();
  }

  /** Ends the current wait and every later one at once. */
  close(): void {
    this.closed = true;
    this.wake();
  }
}

/** Exponential backoff for a loop that talks to Redis: 100 ms doubling to 5 s, reset by a success. */
export class Backoff {
  private failures = 0;
  constructor(
    private readonly firstMs = 100,
    private readonly maxMs = 5_000,
  ) {}
  /** The delay before the next try after one more failure. */
  next(): number {
    const delay = Math.min(this.maxMs, this.firstMs * 2 ** this.failures);
    this.failures = Math.min(this.failures + 1, 30);
    return delay;
  }
  reset(): void {
    this.failures = 0;
  }
}
