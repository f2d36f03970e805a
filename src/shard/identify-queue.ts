import { asyncScheduler, Observable, type SchedulerLike, type Subscriber, type Subscription } from 'rxjs';
import { DisclusterError } from '../gateway/errors.js';
import { IDENTIFY_WINDOW_MS } from '../gateway/opcodes.js';
import { budgetDecision, type BudgetCount, freeAtAfterRelease, type IdentifyGrant, reserveUnit, returnUnit, spendUnit } from './identify-budget.js';
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
  /** When given, the queue refuses identifies past `remaining` until the reset; only identifies sent take from it (identify-budget.ts). */
  readonly sessionStartLimit?: SessionStartLimit;
  readonly scheduler?: SchedulerLike;
}

/** An identify queue that also reports what it did, for tests and stats. */
export interface MemoryIdentifyQueue extends IdentifyQueue {
  /** Emits the grant: call its `sent()` when the identify goes out (the shard does). */
  acquire(shardId: number): Observable<IdentifyGrant>;
  /** Identifies left in the budget (Infinity when no limit was given): it goes down only when an identify is sent. */
  readonly remaining: number;
  /** Grants so far (whether or not their identify was sent). */
  readonly granted: number;
  /** Identifies sent on this queue's grants so far. */
  readonly sent: number;
  /** Shards registered and not yet granted, over every bucket. */
  readonly waiting: number;
}

interface Waiter {
  readonly shardId: number;
  readonly subscriber: Subscriber<IdentifyGrant>;
  /** Holds a reserved unit of the budget (granted, identify not sent yet). */
  reserved: boolean;
  sent: boolean;
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
 * socket's close, see identify-lease.ts), so the window counts from the answer. A grant calls
 * back `sent()` when its identify goes out: only that spends a unit of `remaining`; a lease let
 * go unsent gives its unit back and starts no window (identify-budget.ts). Pass one instance to
 * several clusters to share the buckets between them.
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
  let count: BudgetCount = { remaining: limit?.remaining ?? Infinity, reserved: 0 };
  let resetAt = limit ? scheduler.now() + limit.resetAfter : Infinity;
  let granted = 0;
  let sentCount = 0;
  const buckets = new Map<number, Bucket>();
  /** Some bucket's next waiter waits on the budget alone (every unit left reserved). */
  let heldBack = false;

  const bucketOf = (shardId: number): Bucket => {
    const key = shardId % concurrency;
    let bucket = buckets.get(key);
    if (bucket === undefined) buckets.set(key, (bucket = { waiters: [], holder: null, freeAt: -Infinity, wake: null }));
    return bucket;
  };

  /** Past the reset, a fresh day starts at `total` (units reserved stay reserved). */
  const refresh = (): void => {
    const now = scheduler.now();
    if (limit && now >= resetAt) {
      count = { remaining: limit.total, reserved: count.reserved };
      resetAt = now + 24 * 60 * 60 * 1000;
    }
  };

  /** A reserved unit was spent or came back: buckets waiting on the budget alone decide again. */
  const pumpAll = (): void => {
    if (!heldBack) return; // the usual case: nobody waits on the budget, no need to visit every bucket
    heldBack = false;
    for (const bucket of buckets.values()) pump(bucket);
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
    refresh();
    const decision = budgetDecision(count);
    // every unit left is reserved by a grant that may still give it back: wait for it (pumpAll)
    if (decision === 'wait') {
      heldBack = true;
      return;
    }
    const next = bucket.waiters.shift()!;
    if (decision === 'refuse') {
      const inMs = Math.max(0, Math.round(resetAt - scheduler.now()));
      next.subscriber.error(
        new DisclusterError('IDENTIFY_BUDGET_EXHAUSTED', `the daily identify budget is spent; it resets in ${inMs} ms. Refusing to identify shard ${next.shardId}.`),
      );
      return pump(bucket, true);
    }
    bucket.holder = next;
    granted++;
    count = reserveUnit(count);
    next.reserved = true;
    next.subscriber.next({
      sent: () => {
        if (next.sent) return;
        next.sent = true;
        sentCount++;
        if (next.reserved) count = spendUnit(count);
        else count = { remaining: Math.max(0, count.remaining - 1), reserved: count.reserved };
        next.reserved = false;
        // waiters held back by this reservation: granted if units are left, else refused
        pumpAll();
      },
    });
  };

  return {
    acquire: (shardId) =>
      new Observable<IdentifyGrant>((subscriber) => {
        const bucket = bucketOf(shardId);
        const waiter: Waiter = { shardId, subscriber, reserved: false, sent: false };
        const at = bucket.waiters.findIndex((w) => w.shardId > shardId);
        bucket.waiters.splice(at < 0 ? bucket.waiters.length : at, 0, waiter);
        pump(bucket);
        return () => {
          let unitBack = false;
          if (bucket.holder === waiter) {
            bucket.holder = null;
            bucket.freeAt = freeAtAfterRelease(bucket.freeAt, scheduler.now(), waiter.sent, windowMs + margin);
            if (waiter.reserved) {
              waiter.reserved = false;
              count = returnUnit(count);
              unitBack = true;
            }
          } else {
            const index = bucket.waiters.indexOf(waiter);
            if (index >= 0) bucket.waiters.splice(index, 1);
          }
          if (bucket.waiters.length === 0) {
            bucket.wake?.unsubscribe();
            bucket.wake = null;
          }
          pump(bucket);
          if (unitBack) pumpAll();
        };
      }),
    get remaining() {
      refresh();
      return count.remaining;
    },
    get granted() {
      return granted;
    },
    get sent() {
      return sentCount;
    },
    get waiting() {
      let count = 0;
      for (const bucket of buckets.values()) count += bucket.waiters.length;
      return count;
    },
  };
};
