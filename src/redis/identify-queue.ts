import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { asyncScheduler, BehaviorSubject, Observable, type SchedulerLike } from 'rxjs';
import { DisclusterError } from '../gateway/errors.js';
import { IDENTIFY_WINDOW_MS } from '../gateway/opcodes.js';
import type { IdentifyGrant } from '../shard/identify-budget.js';
import { defaultIdentifyMargin, type SessionStartLimit } from '../shard/identify-queue.js';
import type { IdentifyQueue } from '../shard/types.js';
import { keyPrefixOf, type RedisConnection, releaseClient, resolveClient } from './client.js';
import { trackHealth } from './health.js';
import { defineQueueScripts } from './scripts.js';
import { type BucketKeys, runTicket, type TicketContext } from './ticket.js';

/** Options of {@link createRedisIdentifyQueue}. */
export interface RedisIdentifyQueueOptions {
  /** The client (left open on `close()`), a `redis://` URL or ioredis options. */
  readonly redis: RedisConnection;
  /** The application id: keys are `discluster:{botId}:…`. Give this or `keyPrefix`. */
  readonly botId?: string;
  /** Every key starts with this; processes sharing buckets must use the same one. */
  readonly keyPrefix?: string;
  /** `max_concurrency` from `GET /gateway/bot`: bucket = `shardId % maxConcurrency`. */
  readonly maxConcurrency: number;
  /** Each bucket identifies once per window (default 5000 ms). */
  readonly windowMs?: number;
  /** Added to each window against network jitter (default `defaultIdentifyMargin(windowMs)`: 1 %, at most 250 ms). */
  readonly safetyMarginMs?: number;
  /**
   * The daily budget as this process saw it. It is kept in one Redis counter that expires at the
   * reset; when processes disagree the smaller `remaining` wins. Without it nothing is counted.
   */
  readonly sessionStartLimit?: SessionStartLimit;
  /**
   * How long a granted shard holds its bucket without renewing (default 10000 ms). A holder renews
   * every quarter of it; if its process dies, the bucket reopens `leaseTtlMs + window` later.
   */
  readonly leaseTtlMs?: number;
  /** How often a waiting shard asks Redis (default 100 ms; longer while its bucket is in its window). */
  readonly pollMs?: number;
  /** Scheduler of every timer (default `asyncScheduler`). Windows themselves run on Redis's clock. */
  readonly scheduler?: SchedulerLike;
}

/** What the queue sees of Redis and of its own waiters. */
export interface RedisQueueStatus {
  /** `down` while Redis does not answer: waiting shards keep waiting, none is let through. */
  readonly redis: 'up' | 'down';
  /** When Redis stopped answering (`Date.now()` ms), or null. */
  readonly downSince: number | null;
  readonly lastError: string | null;
  /** Shards of this process waiting for their turn. */
  readonly waiting: number;
  /** When the longest-waiting of them registered (`Date.now()` ms), or null when none waits. */
  readonly waitingSince: number | null;
}

/** An identify queue shared through Redis by every process using the same key prefix. */
export interface RedisIdentifyQueue extends IdentifyQueue {
  /** The current status; a new value on every change. Replays the latest to new subscribers. */
  readonly status$: Observable<RedisQueueStatus>;
  readonly status: RedisQueueStatus;
  /** Emits the grant: call its `sent()` when the identify goes out (the shard does); only that spends a unit of the budget. */
  acquire(shardId: number): Observable<IdentifyGrant>;
  /** Leases granted by this process so far (whether or not their identify was sent). */
  readonly granted: number;
  /** Identifies this process sent on its grants so far. */
  readonly sent: number;
  /** Errors every running acquire (`IDENTIFY_CANCELLED`, their places and leases given back), stops watching the client and closes it if it was created here. */
  close(): Promise<void>;
}

const DEFAULT_LEASE_TTL_MS = 10_000;
const DEFAULT_POLL_MS = 100;
const DAY_MS = 24 * 60 * 60 * 1000;

const checkInteger = (name: string, value: number, min: number) => {
  if (!Number.isInteger(value) || value < min) throw new DisclusterError('INVALID_OPTIONS', `${name} must be an integer >= ${min}, got ${String(value)}`);
  return value;
};

/**
 * An {@link IdentifyQueue} over Redis: one identify per bucket per window across every process and
 * machine sharing the Redis and the key prefix; waiters served first come, first served per bucket
 * across processes; a crashed holder's lease lapses after `leaseTtlMs` and the window counts from
 * the lapse; the daily budget counted centrally, a unit spent only when an identify is sent (a
 * grant let go unsent gives it back and starts no window). All decisions are Lua scripts run on Redis's
 * clock. While Redis is unreachable no shard is granted: see `status$`.
 */
export const createRedisIdentifyQueue = (options: RedisIdentifyQueueOptions): RedisIdentifyQueue => {
  const concurrency = checkInteger('maxConcurrency', options.maxConcurrency, 1);
  const windowMs = checkInteger('windowMs', options.windowMs ?? IDENTIFY_WINDOW_MS, 0);
  const margin = checkInteger('safetyMarginMs', options.safetyMarginMs ?? defaultIdentifyMargin(windowMs), 0);
  const leaseTtlMs = checkInteger('leaseTtlMs', options.leaseTtlMs ?? DEFAULT_LEASE_TTL_MS, 100);
  const pollMs = checkInteger('pollMs', options.pollMs ?? DEFAULT_POLL_MS, 1);
  const prefix = keyPrefixOf(options);
  const scheduler = options.scheduler ?? asyncScheduler;
  // asyncScheduler's clock is Date.now, which steps with the wall clock: local deadlines use a monotonic one.
  const now = options.scheduler ? () => scheduler.now() : () => performance.now();
  const client = resolveClient(options.redis);
  const scripts = defineQueueScripts(client.redis);
  const health = trackHealth(client.redis);
  const limit = options.sessionStartLimit;
  const resetAt = limit ? Date.now() + limit.resetAfter : Infinity;
  const processTag = randomUUID();
  const waiters = new Map<string, number>();
  let granted = 0;
  let sent = 0;
  let counter = 0;
  let closed = false;
  /** Cancels each acquire still running (for `close()`). */
  const open = new Set<() => void>();

  const status = (): RedisQueueStatus => ({ ...health.current, waiting: waiters.size, waitingSince: waiters.size === 0 ? null : Math.min(...waiters.values()) });
  const status$ = new BehaviorSubject<RedisQueueStatus>(status());
  const publish = () => status$.next(status());
  const healthSub = health.health$.subscribe(publish);

  /** Per bucket, when this process last identified in it (`now()`). */
  const lastIdentified = new Map<number, number>();
  const context = (ticket: string, bucket: number): TicketContext => ({
    scripts,
    health,
    scheduler,
    now,
    pollMs,
    leaseTtlMs,
    gapMs: windowMs + margin,
    ticketTtlMs: Math.max(5_000, pollMs * 10),
    budget: () => {
      if (!limit) return [-1, 0];
      const now = Date.now();
      // Past the reset this process's numbers are stale: a fresh day starts at `total`.
      return now < resetAt ? [limit.remaining, Math.max(1, resetAt - now)] : [limit.total, DAY_MS];
    },
    onGranted: () => {
      granted++;
      if (waiters.delete(ticket)) publish();
    },
    onSettled: () => {
      if (waiters.delete(ticket)) publish();
    },
    notBefore: () => (lastIdentified.get(bucket) ?? -Infinity) + windowMs + margin,
    onIdentified: (at) => void lastIdentified.set(bucket, Math.max(at, lastIdentified.get(bucket) ?? -Infinity)),
    onSent: () => void sent++,
  });

  const keysOf = (shardId: number): BucketKeys => {
    const bucket = `${prefix}iq:${shardId % concurrency}`;
    return { state: `${bucket}:state`, tickets: `${bucket}:tickets`, alive: `${bucket}:alive`, budget: `${prefix}iq:budget`, reserved: `${prefix}iq:reserved` };
  };

  return {
    acquire: (shardId) =>
      new Observable<IdentifyGrant>((subscriber) => {
        checkInteger('shardId', shardId, 0);
        if (closed) throw new DisclusterError('IDENTIFY_CANCELLED', 'the identify queue is closed');
        const ticket = `${processTag}:${shardId}:${counter++}`;
        waiters.set(ticket, Date.now());
        publish();
        const stop = runTicket(context(ticket, shardId % concurrency), keysOf(shardId), ticket, shardId, subscriber);
        const close = () => subscriber.error(new DisclusterError('IDENTIFY_CANCELLED', `the identify queue was closed while shard ${shardId} waited or held its lease`));
        open.add(close);
        return () => {
          open.delete(close);
          stop();
        };
      }),
    status$: status$.asObservable(),
    get status() {
      return status$.value;
    },
    get granted() {
      return granted;
    },
    get sent() {
      return sent;
    },
    close: async () => {
      closed = true;
      for (const cancel of [...open]) cancel(); // each gives its place or lease back
      healthSub.unsubscribe();
      health.close();
      status$.complete();
      await releaseClient(client);
    },
  };
};
