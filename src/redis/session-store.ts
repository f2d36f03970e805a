import { asyncScheduler, type Observable, type SchedulerLike, Subject, type Subscription } from 'rxjs';
import { DisclusterError } from '../gateway/errors.js';
import type { SessionStore } from '../cluster/session-store.js';
import type { SessionSnapshot } from '../shard/types.js';
import { type RedisHealth, trackHealth } from './health.js';
import { keyPrefixOf, type RedisConnection, releaseClient, resolveClient } from './client.js';
import { decodeSnapshot, encodeSnapshot } from './snapshot-codec.js';

/** Options of {@link createRedisSessionStore}. */
export interface RedisSessionStoreOptions {
  /** The client (left open on `close()`), a `redis://` URL or ioredis options. */
  readonly redis: RedisConnection;
  /** The application id: keys are `discluster:{botId}:session:{shardId}`. Give this or `keyPrefix`. */
  readonly botId?: string;
  /** Every key starts with this. */
  readonly keyPrefix?: string;
  /**
   * How long a snapshot outlives the last sign of life of the process that saved it (default
   * 180000 ms). Discord keeps a disconnected session resumable for a few minutes (not documented
   * exactly); a snapshot kept too long costs one failed resume (op 9, then an identify), one
   * dropped too early costs an identify that a resume would have saved. While the process runs
   * it renews its snapshots every third of this, so quiet shards do not lose theirs.
   */
  readonly ttlMs?: number;
  /** Saves and deletes are gathered this long, then written in one pipeline (default 250 ms). */
  readonly batchMs?: number;
  /** `load` gives up after this long and resolves with no sessions (default 30000 ms). */
  readonly loadTimeoutMs?: number;
  /** `flush` resolves after this long even when Redis did not answer (default 5000 ms). */
  readonly flushTimeoutMs?: number;
  readonly scheduler?: SchedulerLike;
}

/** A {@link SessionStore} in Redis, shared by every process using the same key prefix. */
export interface RedisSessionStore extends SessionStore {
  load(shardIds: readonly number[]): Promise<ReadonlyMap<number, SessionSnapshot>>;
  /** Writes what is pending and stops renewing the snapshots (they expire `ttlMs` from now). Never rejects. */
  flush(): Promise<void>;
  /** Every failure (write, read, a stored value that does not parse); never thrown at the cluster. */
  readonly errors$: Observable<DisclusterError>;
  /** Whether Redis answers (connection state; replays the latest). Writes wait while it is `down`. */
  readonly health$: Observable<RedisHealth>;
  /** Flushes, stops every timer, and closes the client if it was created here. */
  close(): Promise<void>;
}

/** A store failure as reported on `errors$` (the cause, when there is one, in `cause`). */
const storeError = (message: string, cause: unknown) =>
  new DisclusterError('SESSION_STORE_FAILED', `session store: ${message}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });

/**
 * A session store in Redis: `save` and `delete` only note the change; a timer writes the changes
 * every `batchMs` in one pipeline (the latest change per shard wins, one batch in flight at a
 * time, so a slow or absent Redis costs no more memory than one entry per shard). Failures go to
 * `errors$` and the batch is retried; nothing is thrown at the cluster.
 */
export const createRedisSessionStore = (options: RedisSessionStoreOptions): RedisSessionStore => {
  const prefix = keyPrefixOf(options);
  const ttlMs = options.ttlMs ?? 180_000;
  const batchMs = options.batchMs ?? 250;
  const loadTimeoutMs = options.loadTimeoutMs ?? 30_000;
  const flushTimeoutMs = options.flushTimeoutMs ?? 5_000;
  for (const [name, value] of Object.entries({ ttlMs, batchMs, loadTimeoutMs, flushTimeoutMs })) {
    if (!Number.isInteger(value) || value < 1) throw new DisclusterError('INVALID_OPTIONS', `${name} must be a positive integer, got ${String(value)}`);
  }
  const scheduler = options.scheduler ?? asyncScheduler;
  const client = resolveClient(options.redis);
  const { redis } = client;
  const errors$ = new Subject<DisclusterError>();
  const health = trackHealth(redis);
  const keyOf = (shardId: number) => `${prefix}session:${shardId}`;
  /** shardId → the snapshot to write, or null to delete. */
  let pending = new Map<number, SessionSnapshot | null>();
  /** Shards whose snapshot this process keeps alive. */
  const live = new Set<number>();
  let batchTimer: Subscription | null = null;
  let renewTimer: Subscription | null = null;
  let inFlight: Promise<void> | null = null;
  let closed = false;

  const write = (): Promise<void> => {
    batchTimer = null;
    if (inFlight !== null || pending.size === 0) return inFlight ?? Promise.resolve();
    const batch = pending;
    pending = new Map();
    const pipeline = redis.pipeline();
    for (const [shardId, snapshot] of batch) {
      if (snapshot === null) pipeline.del(keyOf(shardId));
      else pipeline.set(keyOf(shardId), encodeSnapshot(snapshot), 'PX', ttlMs);
    }
    inFlight = pipeline.exec().then(
      (results) => {
        const failed = (results ?? []).find(([error]) => error !== null);
        if (failed) throw failed[0];
      },
    ).catch((error: unknown) => {
      errors$.next(storeError(`writing ${batch.size} session change(s) failed; retrying`, error));
      for (const [shardId, change] of batch) if (!pending.has(shardId)) pending.set(shardId, change);
    }).finally(() => {
      inFlight = null;
      schedule();
    });
    return inFlight;
  };

  const schedule = () => {
    if (closed || batchTimer !== null || inFlight !== null || pending.size === 0) return;
    batchTimer = scheduler.schedule(() => void write(), batchMs);
  };

  const renew = () => {
    renewTimer = null;
    if (live.size === 0) return;
    const pipeline = redis.pipeline();
    for (const shardId of live) if (!pending.has(shardId)) pipeline.pexpire(keyOf(shardId), ttlMs);
    pipeline.exec().catch((error: unknown) => errors$.next(storeError('renewing sessions failed', error)));
    keepAlive();
  };

  const keepAlive = () => {
    if (closed || renewTimer !== null || live.size === 0) return;
    renewTimer = scheduler.schedule(renew, Math.max(1, Math.floor(ttlMs / 3)));
  };

  const withTimeout = <T>(promise: Promise<T>, ms: number, fallback: T): Promise<T> =>
    new Promise<T>((resolve) => {
      const timer = scheduler.schedule(() => resolve(fallback), ms);
      promise.then(resolve, () => resolve(fallback)).finally(() => timer.unsubscribe());
    });

  const flush = async () => {
    batchTimer?.unsubscribe();
    batchTimer = null;
    renewTimer?.unsubscribe();
    renewTimer = null;
    live.clear();
    const drain = async () => {
      if (inFlight !== null) await inFlight;
      if (pending.size > 0) await write();
    };
    const done = await withTimeout(drain().then(() => true), flushTimeoutMs, false);
    if (!done) errors$.next(storeError('flush timed out', `${pending.size} change(s) still pending after ${flushTimeoutMs} ms`));
  };

  return {
    errors$: errors$.asObservable(),
    health$: health.health$,
    save: (snapshot) => {
      pending.set(snapshot.shardId, snapshot);
      live.add(snapshot.shardId);
      schedule();
      keepAlive();
    },
    delete: (shardId) => {
      pending.set(shardId, null);
      live.delete(shardId);
      schedule();
    },
    load: async (shardIds) => {
      const found = new Map<number, SessionSnapshot>();
      if (shardIds.length === 0) return found;
      const read = redis.mget(...shardIds.map(keyOf)).catch((error: unknown) => error as Error);
      const values = await withTimeout<(string | null)[] | Error | null>(read, loadTimeoutMs, null);
      if (values === null || values instanceof Error) {
        const why = values ?? `no answer within ${loadTimeoutMs} ms`;
        errors$.next(storeError('loading sessions failed; every shard will identify', why));
        return found;
      }
      shardIds.forEach((shardId, i) => {
        const text = values[i];
        if (text === null || text === undefined) return;
        const snapshot = decodeSnapshot(text, shardId);
        if (snapshot === undefined) errors$.next(storeError(`the stored session of shard ${shardId} is not a snapshot`, 'ignored'));
        else found.set(shardId, snapshot);
      });
      return found;
    },
    flush,
    close: async () => {
      await flush();
      closed = true;
      batchTimer?.unsubscribe();
      errors$.complete();
      health.close();
      await releaseClient(client);
    },
  };
};
