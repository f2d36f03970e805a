import type { Observable } from 'rxjs';
import { DisclusterError } from '../gateway/errors.js';
import { ledgerKeyOf } from '../reshard/ledger-key.js';
import { ledgerDeadline, type LedgerDeadline } from '../reshard/ledger-deadline.js';
import type { HandoverLedger, HandoverSide } from '../reshard/ledger.js';
import { keyPrefixOf, type RedisConnection, releaseClient, resolveClient } from './client.js';
import { type RedisHealth, trackHealth } from './health.js';
import { defineLedgerScript } from './ledger-script.js';

/** Options of {@link createRedisHandoverLedger}. */
export interface RedisHandoverLedgerOptions {
  /** The client (left open on `close()`), a `redis://` URL or ioredis options. */
  readonly redis: RedisConnection;
  /** Every key starts with this; every cluster of the fleet uses the same (keys are `{keyPrefix}ledger:{key}`). */
  readonly keyPrefix: string;
  /** A key's counts are forgotten this long after its last offer (PEXPIRE; ms, from 1): at least `LEDGER_MEMORY_WINDOWS` (3) times the clusters' match window, so that a starved cluster's late offers still meet their twins. */
  readonly windowMs: number;
  /** An offer not answered within this long rejects with `LEDGER_UNREACHABLE` (default 1000 ms). */
  readonly timeoutMs?: number;
  /** Most keys offered and not yet answered; an offer past it rejects at once with `LEDGER_UNREACHABLE` (default 100000). */
  readonly maxWaitingKeys?: number;
}

/** Counters of a Redis ledger, for the bench and the tests. */
export interface RedisLedgerCounts {
  /** Round trips to Redis: one per event-loop turn that offered anything. */
  readonly roundTrips: number;
  /** Keys (event copies) sent. */
  readonly keys: number;
  /** Offers rejected (Redis not connected, no answer in time, too many waiting, a script error). */
  readonly rejected: number;
}

/** A {@link HandoverLedger} in Redis, shared by every process using the same key prefix. */
export interface RedisHandoverLedger extends HandoverLedger {
  readonly counts: RedisLedgerCounts;
  /** Whether Redis answers (connection state; replays the latest). */
  readonly health$: Observable<RedisHealth>;
}

interface Offer {
  readonly side: HandoverSide;
  readonly keys: readonly string[];
  readonly resolve: (verdicts: readonly boolean[]) => void;
  readonly reject: (error: Error) => void;
}

/** Keys per script call: a turn's batch is cut into calls of this many, all in one pipeline (one round trip). */
const KEYS_PER_CALL = 1_000;

const unreachable = (why: string, cause?: unknown) => new DisclusterError('LEDGER_UNREACHABLE', `handover ledger: ${why}`, cause === undefined ? undefined : { cause });

/**
 * The handover ledger in Redis. Offers made in one event-loop turn (by any number of callers) are
 * gathered and sent at the next `setImmediate` as one pipeline of script calls (`ledger-script.ts`,
 * at most 1000 keys each): one round trip per turn, whatever the number of events.
 *
 * When Redis cannot decide, offers reject promptly with `LEDGER_UNREACHABLE` and nothing waits
 * for it: once the client has connected, a turn's offers reject at once while it is not connected
 * (nothing is queued in ioredis' offline queue; before its first connection they wait for it, up
 * to `timeoutMs`), an answer that does not come within `timeoutMs` rejects them, and an
 * offer that would make more than `maxWaitingKeys` keys wait rejects at once. What waits is at most
 * `maxWaitingKeys` keys (each with its caller's promise), for at most `timeoutMs`. A call that timed
 * out may still reach Redis and count its copies: the caller that was refused then emitted them
 * anyway or not, as it chose; the counts err on the side of having seen them.
 */
export const createRedisHandoverLedger = (options: RedisHandoverLedgerOptions): RedisHandoverLedger => {
  const prefix = keyPrefixOf({ keyPrefix: options.keyPrefix });
  const { windowMs } = options;
  const timeoutMs = options.timeoutMs ?? 1_000;
  const maxWaitingKeys = options.maxWaitingKeys ?? 100_000;
  for (const [name, value] of Object.entries({ windowMs, timeoutMs, maxWaitingKeys })) {
    if (!Number.isSafeInteger(value) || value < 1) throw new DisclusterError('INVALID_OPTIONS', `${name} must be a positive integer, got ${String(value)}`);
  }
  const client = resolveClient(options.redis);
  const { redis } = client;
  const health = trackHealth(redis);
  const offerScript = defineLedgerScript(redis);
  const counts = { roundTrips: 0, keys: 0, rejected: 0 };
  let turn: Offer[] = [];
  let flushScheduled: ReturnType<typeof setImmediate> | null = null;
  let waitingKeys = 0;
  let closed = false;
  const inFlight = new Set<() => void>();
  /** Whether the client was ready once: before that, a turn's offers wait (up to timeoutMs) for the first connection instead of being refused. */
  let connected = redis.status === 'ready';
  let awaitingFirstConnection: (() => void)[] = [];
  const onFirstReady = () => {
    connected = true;
    for (const go of awaitingFirstConnection.splice(0)) go();
  };
  if (!connected) {
    redis.once('ready', onFirstReady);
    if (redis.status === 'wait') redis.connect().catch(() => {}); // a lazyConnect client: connect it (errors reach health)
  }

  const refuse = (offers: readonly Offer[], error: Error) => {
    for (const offer of offers) {
      counts.rejected++;
      offer.reject(error);
    }
  };

  const send = (offers: readonly Offer[]) => {
    const total = offers.reduce((n, o) => n + o.keys.length, 0);
    const release = () => {
      waitingKeys -= total;
      inFlight.delete(abandon);
    };
    let settled = false;
    let deadline: LedgerDeadline | undefined;
    const settle = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      deadline?.cancel();
      release();
      outcome();
    };
    const abandon = () => settle(() => refuse(offers, unreachable('the ledger was closed')));
    inFlight.add(abandon);
    if (redis.status !== 'ready' && connected) return settle(() => refuse(offers, unreachable(`Redis is not connected (${redis.status})`)));
    deadline = ledgerDeadline(timeoutMs, () => settle(() => refuse(offers, unreachable(`no answer from Redis within ${timeoutMs} ms`))));
    if (redis.status === 'ready') transmit(offers, settle);
    else awaitingFirstConnection.push(() => settled || transmit(offers, settle));
  };

  /** Sends one turn's offers as one pipeline; `settle` runs the outcome once. */
  const transmit = (offers: readonly Offer[], settle: (outcome: () => void) => void) => {
    const keys = offers.flatMap((o) => o.keys.map((key) => `${prefix}ledger:${ledgerKeyOf(key)}`));
    const sides = offers.map((o) => (o.side === 'old' ? 'o' : 'n').repeat(o.keys.length)).join('');
    const pipeline = redis.pipeline();
    for (let from = 0; from < keys.length; from += KEYS_PER_CALL) offerScript(pipeline, keys.slice(from, from + KEYS_PER_CALL), sides.slice(from, from + KEYS_PER_CALL), windowMs);
    counts.roundTrips++;
    counts.keys += keys.length;
    pipeline.exec().then(
      (results) => {
        const failed = (results ?? []).find(([error]) => error !== null);
        if (results === null || failed !== undefined) return settle(() => refuse(offers, unreachable(`the script failed: ${failed?.[0]?.message ?? 'no result'}`, failed?.[0])));
        const verdicts = results.flatMap(([, reply]) => (reply as number[]).map((v) => v === 1));
        health.ok();
        settle(() => {
          let at = 0;
          for (const offer of offers) {
            offer.resolve(verdicts.slice(at, at + offer.keys.length));
            at += offer.keys.length;
          }
        });
      },
      (error: unknown) => settle(() => refuse(offers, unreachable(`Redis failed: ${error instanceof Error ? error.message : String(error)}`, error))),
    );
  };

  const flush = () => {
    flushScheduled = null;
    const offers = turn;
    turn = [];
    if (offers.length > 0) send(offers);
  };

  return {
    counts,
    health$: health.health$,
    offer: (side, keys) =>
      new Promise<readonly boolean[]>((resolve, reject) => {
        if (closed) return reject(unreachable('the ledger is closed'));
        if (keys.length === 0) return resolve([]);
        if (waitingKeys + keys.length > maxWaitingKeys) {
          counts.rejected++;
          return reject(unreachable(`${waitingKeys} keys already wait for Redis (maxWaitingKeys ${maxWaitingKeys})`));
        }
        waitingKeys += keys.length;
        turn.push({ side, keys: [...keys], resolve, reject });
        flushScheduled ??= setImmediate(flush);
      }),
    close: async () => {
      if (closed) return;
      closed = true;
      if (flushScheduled !== null) clearImmediate(flushScheduled);
      flushScheduled = null;
      const offers = turn;
      turn = [];
      refuse(offers, unreachable('the ledger was closed'));
      for (const abandon of [...inFlight]) abandon();
      awaitingFirstConnection = [];
      redis.off('ready', onFirstReady);
      health.close();
      await releaseClient(client);
    },
  };
};
