import { defer, EMPTY, type MonoTypeOperatorFunction, type Observable, repeat, type SchedulerLike, takeUntil, tap, timer } from 'rxjs';

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
    stop$: Observable<unknown> = EMPTY,
    minDelay: () => number = () => 0,
  ): MonoTypeOperatorFunction<T> =>
  (source) =>
    defer(() => {
      let failures = 0;
      return source.pipe(
        tap((value) => {
          if (isSuccess(value)) failures = 0;
        }),
        repeat({
          delay: () =>
            shouldRetry() ? timer(Math.max(backoffDelay(failures++, config), minDelay()), config.scheduler).pipe(takeUntil(stop$)) : EMPTY,
        }),
      );
    });
