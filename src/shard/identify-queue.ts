import { asyncScheduler, Observable, type SchedulerLike, type Subscriber, type Subscription } from 'rxjs';
import { DisclusterError } from '../gateway/errors.js';
import { IDENTIFY_WINDOW_MS } from '../gateway/opcodes.js';
import type { IdentifyQueue } from './types.js';

/** Discord's daily identify budget, as `GET /gateway/bot` reports it. */
export interface SessionStartLimit {
  readonly total: number;
  readonly remaining: number;
  /** Milliseconds until `remaining` goes back to `total`. */
  readonly resetAfter: number;
}

/**
 * The safety margin added to each identify window unless one is given: 1 % of the window (50 ms
 * of Discord's 5 s), at most 250 ms. Enough for the jitter between two identifies crossing the
 * same network; a loaded machine running a gateway emulator may need more.
 */
export const defaultIdentifyMargin = (windowMs: number): number => Math.min(250, Math.ceil(windowMs * 0.01));

/** Options of the in-memory identify queue. */
export interface MemoryIdentifyQueueOptions {
  /** `max_concurrency` from `GET /gateway/bot`: the number of buckets. */
  readonly maxConcurrency: number;
  /** Each bucket identifies once per window (default 5000 ms). */
  readonly windowMs?: number;
  /** Added to each window against network jitter (default `defaultIdentifyMargin(windowMs)`). */
  readonly safetyMarginMs?: number;
  /** When given, the queue refuses identifies past `remaining` until the reset. */
  readonly sessionStartLimit?: SessionStartLimit;
  readonly scheduler?: SchedulerLike;
}

/** An identify queue that also reports what it did, for tests and stats. */
export interface MemoryIdentifyQueue extends IdentifyQueue {
  /** Identifies left in the budget (Infinity when no limit was given). */
  readonly remaining: number;
  /** Grants so far. */
  readonly granted: number;
  /** Shards registered and not yet granted, over every bucket. */
  readonly waiting: number;
}

interface Waiter {
  readonly shardId: number;
  readonly subscriber: Subscriber<void>;
}

interface Bucket {
  readonly waiters: Waiter[];
  holder: Waiter | null;
  freeAt: number;
  wake: Subscription | null;
}

/**
 * The default identify queue, for the shards of one process: bucket `shardId % maxConcurrency`,
 * one identify per bucket per window counted from the lease's release, waiters served in shard
 * order. A shard releases its lease when the gateway answered its identify (READY, op 9 or the
 * socket's close, see identify-lease.ts), so the window counts from the answer. Pass one
 * instance to several clusters to share the buckets between them.
 */
export const createMemoryIdentifyQueue = (options: MemoryIdentifyQueueOptions): MemoryIdentifyQueue => {
  const concurrency = options.maxConcurrency;
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 1024) {
    throw new DisclusterError('INVALID_OPTIONS', `maxConcurrency must be an integer from 1 to 1024, got ${String(concurrency)}`);
  }
  const windowMs = options.windowMs ?? IDENTIFY_WINDOW_MS;
  if (!Number.isInteger(windowMs) || windowMs < 0) throw new DisclusterError('INVALID_OPTIONS', `identify windowMs must be a non-negative integer, got ${String(windowMs)}`);
  const margin = options.safetyMarginMs ?? defaultIdentifyMargin(windowMs);
  const scheduler = options.scheduler ?? asyncScheduler;
  const limit = options.sessionStartLimit;
  let remaining = limit?.remaining ?? Infinity;
  let resetAt = limit ? scheduler.now() + limit.resetAfter : Infinity;
  let granted = 0;
  const buckets = new Map<number, Bucket>();

  const bucketOf = (shardId: number): Bucket => {
    const key = shardId % concurrency;
    let bucket = buckets.get(key);
    if (bucket === undefined) buckets.set(key, (bucket = { waiters: [], holder: null, freeAt: -Infinity, wake: null }));
    return bucket;
  };

  const spend = (): boolean => {
    const now = scheduler.now();
    if (limit && now >= resetAt) {
      remaining = limit.total;
      resetAt = now + 24 * 60 * 60 * 1000;
    }
    if (remaining <= 0) return false;
    remaining--;
    return true;
  };

  const pump = (bucket: Bucket, due = false): void => {
    if (bucket.holder !== null || bucket.waiters.length === 0 || bucket.wake !== null) return;
    const wait = bucket.freeAt - scheduler.now();
    if (wait > 0 || !due) {
      // Grants always happen on a scheduled turn, so waiters that arrive together are served
      // lowest shard first rather than first come.
      bucket.wake = scheduler.schedule(() => {
        bucket.wake = null;
        pump(bucket, true);
      }, Math.max(0, wait));
      return;
    }
    const next = bucket.waiters.shift()!;
    if (!spend()) {
      const inMs = Math.max(0, Math.round(resetAt - scheduler.now()));
      next.subscriber.error(
        new DisclusterError('IDENTIFY_BUDGET_EXHAUSTED', `the daily identify budget is spent; it resets in ${inMs} ms. Refusing to identify shard ${next.shardId}.`),
      );
      return pump(bucket, true);
    }
    bucket.holder = next;
    granted++;
    next.subscriber.next();
  };

  return {
    acquire: (shardId) =>
      new Observable<void>((subscriber) => {
        const bucket = bucketOf(shardId);
        const waiter: Waiter = { shardId, subscriber };
        const at = bucket.waiters.findIndex((w) => w.shardId > shardId);
        bucket.waiters.splice(at < 0 ? bucket.waiters.length : at, 0, waiter);
        pump(bucket);
        return () => {
          if (bucket.holder === waiter) {
            bucket.holder = null;
            bucket.freeAt = scheduler.now() + windowMs + margin;
          } else {
            const index = bucket.waiters.indexOf(waiter);
            if (index >= 0) bucket.waiters.splice(index, 1);
          }
          if (bucket.waiters.length === 0) {
            bucket.wake?.unsubscribe();
            bucket.wake = null;
          }
          pump(bucket);
        };
      }),
    get remaining() {
      return remaining;
    },
    get granted() {
      return granted;
    },
    get waiting() {
      let count = 0;
      for (const bucket of buckets.values()) count += bucket.waiters.length;
      return count;
    },
  };
};
