import type { Observable } from 'rxjs';
import { Subject, type Subscription } from 'rxjs';
import type { Cluster } from '../cluster/cluster.js';
import { releaseClient, resolveClient } from '../redis/client.js';
import { type RedisHealth, trackHealth } from '../redis/health.js';
import type { ShardDispatchEvent } from '../shard/types.js';
import { createEntryEncoder } from './entry-encode.js';
import { checkPublishOptions, PUBLISH_DEFAULTS, type PublishOptions } from './options.js';
import { PendingQueue } from './pending-queue.js';
import { type BatchOutcome, sortFailure, sortReply } from './append-answer.js';
import { defineAppend } from './append-script.js';

/** What the producer has done since it started. */
export interface PublisherStats {
  /** Entries Redis has written. */
  readonly published: number;
  /** Entries dropped because `maxPending` were held (the oldest not yet sent go first), or still held when `close()` gave up. */
  readonly dropped: number;
  /** Entries Redis answered with an error (e.g. a key of another type), or that could not be encoded: not retried. */
  readonly rejected: number;
  /** Entries held now: waiting plus the batch in flight. */
  readonly pending: number;
  /** Batches Redis has answered (one call each). */
  readonly batches: number;
  /** Entries in the last batch answered (0 before the first). */
  readonly lastBatchSize: number;
  /** Round trip of the last batch answered, ms (0 before the first). */
  readonly lastRoundTripMs: number;
  /** Sum of every answered batch's round trip, ms (with `batches`: the mean). */
  readonly roundTripMsTotal: number;
  /** Whether the producer's Redis connection answers. */
  readonly redis: 'up' | 'down';
}

/** What the producer reports as it happens (never one event per entry). */
export type PublisherEvent =
  /** The queue was full: `count` entries dropped during one event-loop turn (`total` since the start). */
  | { readonly type: 'dropped'; readonly count: number; readonly total: number; readonly pending: number }
  /** Redis refused `count` entries of a batch for good (or they could not be encoded); they are not sent again. */
  | { readonly type: 'rejected'; readonly count: number; readonly reason: string }
  /** `entries` of a batch did not reach Redis (the connection, or Redis busy for a while): back at the front, sent again after a pause. */
  | { readonly type: 'retrying'; readonly entries: number; readonly reason: string };

/** A running producer: the cluster's dispatches written to Redis Streams. */
export interface DispatchPublisher {
  /** Counts since the start (read whenever; nothing is computed per call). */
  stats(): PublisherStats;
  /** Drops, rejections and retries, as they happen. Completes on `close()`. */
  readonly events$: Observable<PublisherEvent>;
  /** Whether Redis answers, from the producer's client (as the `redis` helpers report it). Completes on `close()`. */
  readonly health$: Observable<RedisHealth>;
  /**
   * Stops listening to `dispatch$`, writes what is held if Redis answers within 2 s (what is
   * still held then is counted as dropped), clears every timer and closes the client if it made it.
   */
  close(): Promise<void>;
}

/**
 * Publishes a cluster's dispatches to Redis Streams, in @discordjs/brokers' format: one stream
 * per event name (`${keyPrefix}${t}`), one `data` field holding `{ shardId, payload, origin }`.
 * The entries of one event-loop turn go out in one call (a script running their
 * `XADD key MAXLEN ~ maxLen * data …` in order: `append-script.ts`), one call at a time. The
 * shards never wait on Redis: at most `maxPending` entries are held, and past that the oldest are
 * dropped and counted (`stats()`, `events$`, the metrics). Options are checked up front
 * (`INVALID_OPTIONS`).
 */
export const publishDispatches = (cluster: Pick<Cluster, 'dispatch$'>, options: PublishOptions): DispatchPublisher => {
  const checked = checkPublishOptions(options);
  const client = resolveClient(options?.redis);
  const { redis } = client;
  const health = trackHealth(redis);
  const append = defineAppend(redis);
  const encode = createEntryEncoder(checked.encoding);
  const maxLen = String(checked.maxLen);
  const maxAgeMs = checked.maxAgeMs === undefined ? '' : String(checked.maxAgeMs);
  const { events: wanted, keyPrefix, maxBatch } = checked;
  const queue = new PendingQueue<{ readonly key: string; readonly data: Buffer }>(checked.maxPending);
  const events$ = new Subject<PublisherEvent>();
  let published = 0;
  let rejected = 0;
  let droppedAtClose = 0;
  let batches = 0;
  let lastBatchSize = 0;
  let lastRoundTripMs = 0;
  let roundTripMsTotal = 0;
  let droppedReported = 0;
  let closed = false;
  let immediate: NodeJS.Immediate | null = null;
  let retryTimer: NodeJS.Timeout | null = null;
  let inFlight: Promise<void> | null = null;
  /** Moves when `close()` gives up what is held: an answer that comes later is for entries already counted. */
  let epoch = 0;

  const reportDrops = () => {
    const count = queue.dropped - droppedReported;
    if (count === 0) return;
    droppedReported = queue.dropped;
    events$.next({ type: 'dropped', count, total: queue.dropped, pending: queue.pending });
  };

  /** Sends the oldest waiting entries in one call; settles when Redis answered (or the call failed). */
  const send = (): Promise<void> => {
    const batch = queue.take(maxBatch);
    const keys = new Array<string>(batch.length);
    const data = new Array<Buffer>(batch.length);
    for (let i = 0; i < batch.length; i++) {
      keys[i] = batch[i]!.key;
      data[i] = batch[i]!.data;
    }
    const started = performance.now();
    const sentIn = epoch;
    return append(keys, maxLen, maxAgeMs, data).then(
      (reply) => {
        if (sentIn !== epoch) return;
        lastRoundTripMs = performance.now() - started;
        roundTripMsTotal += lastRoundTripMs;
        batches++;
        lastBatchSize = batch.length;
        settle(sortReply(reply, batch.length));
      },
      (error: unknown) => {
        if (sentIn === epoch) settle(sortFailure(error instanceof Error ? error : new Error(String(error)), batch.length));
      },
    );
  };

  /** Applies a batch's outcome: written entries counted, refused ones reported, the rest put back for a retry. */
  const settle = (outcome: BatchOutcome) => {
    const done = queue.settle(outcome.retry);
    published += done - outcome.rejected;
    if (done > outcome.rejected) health.ok();
    if (outcome.rejected > 0) {
      rejected += outcome.rejected;
      events$.next({ type: 'rejected', count: outcome.rejected, reason: outcome.reason });
    }
    if (outcome.retry.length > 0) retryLater(outcome.retry.length, outcome.retryReason);
  };

  /** Some entries failed to reach Redis: they are at the front again; the next batch waits a moment. */
  const retryLater = (entries: number, reason: string) => {
    health.failed(reason);
    events$.next({ type: 'retrying', entries, reason });
    if (!closed) retryTimer = setTimeout(retry, PUBLISH_DEFAULTS.retryMs);
  };

  /** Once per event-loop turn with new entries: reports drops, and sends a batch unless one is in flight. */
  const flush = () => {
    immediate = null;
    reportDrops();
    if (closed || inFlight !== null || retryTimer !== null || queue.waiting === 0) return;
    inFlight = send().then(() => {
      inFlight = null;
      if (queue.waiting > 0) schedule();
    });
  };
  const schedule = () => {
    if (immediate === null && !closed) immediate = setImmediate(flush);
  };
  const retry = () => {
    retryTimer = null;
    flush();
  };

  const onDispatch = (event: ShardDispatchEvent) => {
    if (wanted !== undefined && !wanted.has(event.t)) return;
    let data: Buffer;
    try {
      data = encode(event);
    } catch (error) {
      rejected++;
      events$.next({ type: 'rejected', count: 1, reason: `${event.t} could not be encoded: ${error instanceof Error ? error.message : String(error)}` });
      return;
    }
    queue.push({ key: keyPrefix + event.t, data });
    schedule();
  };
  const subscription: Subscription = cluster.dispatch$.subscribe({ next: onDispatch });

  let closing: Promise<void> | null = null;
  const close = async () => {
    subscription.unsubscribe();
    closed = true;
    if (immediate !== null) clearImmediate(immediate);
    if (retryTimer !== null) clearTimeout(retryTimer);
    immediate = null;
    retryTimer = null;
    let timer: NodeJS.Timeout | undefined;
    const gaveUp = new Promise<void>((resolve) => (timer = setTimeout(resolve, PUBLISH_DEFAULTS.closeTimeoutMs)));
    const drain = async () => {
      if (inFlight !== null) await inFlight;
      while (queue.waiting > 0 && redis.status === 'ready' && health.current.redis === 'up') await send();
    };
    await Promise.race([drain(), gaveUp]);
    clearTimeout(timer);
    reportDrops();
    // what is still held is given up: counted, never silent (a batch still in flight may yet land)
    const left = queue.clear();
    epoch++;
    if (left > 0) {
      droppedAtClose += left;
      events$.next({ type: 'dropped', count: left, total: queue.dropped + droppedAtClose, pending: 0 });
    }
    health.close();
    events$.complete();
    await releaseClient(client);
  };

  return {
    stats: () => ({
      published,
      dropped: queue.dropped + droppedAtClose,
      rejected,
      pending: queue.pending,
      batches,
      lastBatchSize,
      lastRoundTripMs,
      roundTripMsTotal,
      redis: health.current.redis,
    }),
    events$: events$.asObservable(),
    health$: health.health$,
    close: () => (closing ??= close()),
  };
};
