import { EMPTY, type MonoTypeOperatorFunction, Observable, type Observer, type SchedulerLike, type Subscribable, type Subscriber, type Subscription, type Unsubscribable } from 'rxjs';

/** Reconnect delay settings. */
export interface BackoffConfig {
  readonly initialMs: number;
  readonly maxMs: number;
  readonly random: () => number;
  readonly scheduler: SchedulerLike;
}

/**
 * The delay before try `failures + 1`: full jitter, a random point in
 * `[0, min(maxMs, initialMs * 2^failures))`.
 */
export const backoffDelay = (failures: number, config: Pick<BackoffConfig, 'initialMs' | 'maxMs' | 'random'>): number =>
  Math.floor(config.random() * Math.min(config.maxMs, config.initialMs * 2 ** Math.min(failures, 30)));

/**
 * Resubscribes to the source each time it completes, after a backoff delay that grows with each
 * try that did not reach a value for which `isSuccess` holds; such a value resets the count.
 * `shouldRetry` is asked on each completion: false ends the stream, and so does `stop$` during a
 * delay. `minDelay` may ask for a longer wait than the backoff's for the next try.
 *
 * ```text
 * source:   --a-|  (a is not a success)
 * result:   --a----(delay ~initial)--a--------(delay ~2×initial)--a-…
 * ```
 */
export const repeatWithBackoff =
  <T>(
    config: BackoffConfig,
    isSuccess: (value: T) => boolean,
    shouldRetry: () => boolean,
    stop$: Subscribable<unknown> = EMPTY,
    minDelay: () => number = noMinimum,
  ): MonoTypeOperatorFunction<T> =>
  (source) =>
    new Observable<T>((subscriber) => new BackoffLoop(source, subscriber, config, isSuccess, shouldRetry, stop$, minDelay).start());

const noMinimum = (): number => 0;

/**
 * One subscription of `repeatWithBackoff`, as an object rather than an operator chain: a shard
 * keeps one for its whole life, and it should cost an idle shard little.
 */
class BackoffLoop<T> implements Observer<T>, Unsubscribable {
  private failures = 0;
  private current: Subscription | null = null;
  private delay: Subscription | null = null;
  private stopWatch: Unsubscribable | null = null;
  private done = false;

  constructor(
    private readonly source: Observable<T>,
    private readonly subscriber: Subscriber<T>,
    private readonly config: BackoffConfig,
    private readonly isSuccess: (value: T) => boolean,
    private readonly shouldRetry: () => boolean,
    private readonly stop$: Subscribable<unknown>,
    private readonly minDelay: () => number,
  ) {}

  /** Subscribes the first try; returns itself as the teardown. */
  start(): this {
    this.subscribeSource();
    return this;
  }

  next(value: T): void {
    if (this.isSuccess(value)) this.failures = 0;
    this.subscriber.next(value);
  }

  error(error: unknown): void {
    this.done = true;
    this.subscriber.error(error);
  }

  /** A try ended: wait and try again, or end. */
  complete(): void {
    this.current = null;
    if (this.done) return;
    if (!this.shouldRetry()) return this.finish();
    const waitMs = Math.max(backoffDelay(this.failures++, this.config), this.minDelay());
    this.delay = this.config.scheduler.schedule(retry, waitMs, this);
    // a stop during the delay ends the stream without another try
    this.stopWatch = this.stop$.subscribe({ next: () => this.finish() });
  }

  /** The delay is over. */
  retried(): void {
    this.clearDelay();
    this.subscribeSource();
  }

  unsubscribe(): void {
    this.done = true;
    this.clearDelay();
    this.current?.unsubscribe();
    this.current = null;
  }

  private subscribeSource(): void {
    if (this.done) return;
    const subscription = this.source.subscribe(this);
    // a source that completed synchronously has already moved on (complete() cleared `current`)
    if (!subscription.closed) this.current = subscription;
  }

  private finish(): void {
    if (this.done) return;
    this.done = true;
    this.clearDelay();
    this.subscriber.complete();
  }

  private clearDelay(): void {
    this.delay?.unsubscribe();
    this.stopWatch?.unsubscribe();
    this.delay = null;
    this.stopWatch = null;
  }
}

/** Scheduled work of a waiting loop; a plain function, so waiting costs no closure. */
function retry(this: unknown, loop?: { retried(): void }): void {
  loop?.retried();
}
