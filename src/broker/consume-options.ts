import type { GatewayDispatchEvents } from 'discord-api-types/v10';
import type { DispatchData } from '../cluster/of-type.js';
import { DisclusterError } from '../gateway/errors.js';
import type { RedisConnection } from '../redis/client.js';
import type { DeadLetterReason } from './dead-letter-decision.js';
import { DEFAULT_DEAD_LETTER } from './dead-letter.js';

/** An event name a consumer can ask for: Discord's dispatch names, typed. */
export type ConsumableEvent = `${GatewayDispatchEvents}`;

/** Options of {@link consumeDispatches}. */
export interface ConsumeDispatchesOptions<K extends ConsumableEvent> {
  /** An ioredis client (used for acks, claims and dead letters; never closed for you), a `redis://` URL or ioredis options. Reads go through a duplicate of it, closed on unsubscribe. */
  readonly redis: RedisConnection;
  /** The consumer group: its consumers share the events; another group gets its own copy. */
  readonly group: string;
  /** This consumer's name in the group: unique per live process (a restart may reuse it). */
  readonly consumer: string;
  /** The events to read: one stream each, `${keyPrefix}${event}`. */
  readonly events: readonly K[];
  /** An entry delivered this long ago and not acked may be claimed by any consumer of the group (a dead worker's, or a hung handler's). Default 30 000 ms. Make it longer than your slowest handler. */
  readonly claimIdleMs?: number;
  /** At most this many deliveries of one entry; the next is a dead letter instead. Default 5. */
  readonly maxDeliveries?: number;
  /** The dead-letter stream, after `keyPrefix`. Default `discluster:dead-letter`. */
  readonly deadLetter?: string;
  /** Prefix of every stream key (as the producer's). Default `''`. */
  readonly keyPrefix?: string;
  /** At most this many entries read and not acked at once (the in-flight bound). Default 64, and at least `events.length`. */
  readonly maxInFlight?: number;
  /** At most this many entries per read. Default 32, and at least `events.length`. */
  readonly batchSize?: number;
  /** How long one read waits on Redis for new entries (XREADGROUP BLOCK). Default 5 000 ms. */
  readonly blockMs?: number;
  /** Where a group this consumer creates starts: `oldest` (what the streams hold, as @discordjs/brokers does) or `newest` (only what comes after). Default `oldest`. */
  readonly startFrom?: 'oldest' | 'newest';
  /** Told of dead letters, claims, read errors (with the backoff) and Redis coming and going. */
  readonly onReport?: (report: ConsumerReport) => void;
}

/** A dispatch taken from a stream. Acknowledge it with `ack()` once handled; until then it may be delivered again. */
export interface ConsumedDispatch<K extends string = ConsumableEvent> {
  /** The shard that received it, or -1 when the entry does not say (entries from other publishers). */
  readonly shardId: number;
  /** The `{ op, t, s, d }` dispatch, `d` typed from discord-api-types (`s` is -1 when unknown). */
  readonly payload: { readonly op: 0; readonly t: K; readonly s: number; readonly d: DispatchData<K> };
  /** Stable across redeliveries and a gateway resume's replay: remember recent origins to drop repeats. */
  readonly origin: string;
  /** The entry's whole decoded `data` value, as its publisher wrote it. */
  readonly data: unknown;
  /** The stream key and entry id. */
  readonly stream: string;
  readonly id: string;
  /** Redis's delivery count for this entry, this delivery included (1 the first time). */
  readonly deliveries: number;
  /** Acknowledges the entry (XACK) and frees its place in flight. Calling it again does nothing more. */
  ack(): Promise<void>;
}

/** What a consumer reports through `onReport`. */
export type ConsumerReport =
  | { readonly type: 'dead-letter'; readonly stream: string; readonly id: string; readonly deliveries: number; readonly reason: DeadLetterReason; readonly detail?: string }
  | { readonly type: 'claimed'; readonly stream: string; readonly count: number }
  /** Consumers of the group with nothing pending and idle long past any live one's reads (dead or gone workers), removed. */
  | { readonly type: 'consumers-removed'; readonly stream: string; readonly count: number }
  | { readonly type: 'error'; readonly during: 'read' | 'claim' | 'dead-letter' | 'group'; readonly message: string; readonly retryInMs?: number }
  | { readonly type: 'redis'; readonly state: 'up' | 'down'; readonly reason?: string };

/** Counts of one `consumeDispatches` Observable, over all its subscriptions. */
export interface ConsumerStats {
  /** Deliveries to the worker (redeliveries included). */
  readonly delivered: number;
  readonly acked: number;
  /** Entries taken over from idle consumers (or from this one's expired leases). */
  readonly claimed: number;
  /** Entries moved to the dead-letter stream, and of those the undecodable ones. */
  readonly deadLettered: number;
  readonly undecodable: number;
  /** Entries read and not acked now (lease not run out). */
  readonly inFlight: number;
  /** Failed reads or claims (each followed by a backoff). */
  readonly errors: number;
}

/** The options with their defaults, checked. */
export interface ResolvedConsumeOptions {
  readonly group: string;
  readonly consumer: string;
  readonly events: readonly string[];
  readonly keys: readonly string[];
  readonly keyPrefix: string;
  readonly deadKey: string;
  readonly claimIdleMs: number;
  readonly claimEveryMs: number;
  readonly maxDeliveries: number;
  readonly maxInFlight: number;
  readonly batchSize: number;
  readonly blockMs: number;
  readonly startId: '0' | '$';
  readonly onReport: (report: ConsumerReport) => void;
}

const positiveInteger = (name: string, value: number | undefined, fallback: number, min = 1): number => {
  const resolved = value ?? fallback;
  if (!Number.isSafeInteger(resolved) || resolved < min) throw new DisclusterError('INVALID_OPTIONS', `${name} must be an integer >= ${min} (got ${String(value)})`);
  return resolved;
};

const nonEmpty = (name: string, value: unknown): string => {
  if (typeof value !== 'string' || value.length === 0) throw new DisclusterError('INVALID_OPTIONS', `${name} must be a non-empty string`);
  return value;
};

/** Checks the options up front: a clear `INVALID_OPTIONS` error instead of a consumer that misbehaves later. */
export const resolveConsumeOptions = <K extends ConsumableEvent>(options: ConsumeDispatchesOptions<K>): ResolvedConsumeOptions => {
  const group = nonEmpty('group', options.group);
  const consumer = nonEmpty('consumer', options.consumer);
  if (!Array.isArray(options.events) || options.events.length === 0) throw new DisclusterError('INVALID_OPTIONS', 'events must list at least one event name');
  const events = [...new Set(options.events.map((event, i) => nonEmpty(`events[${i}]`, event)))];
  const keyPrefix = options.keyPrefix ?? '';
  if (typeof keyPrefix !== 'string') throw new DisclusterError('INVALID_OPTIONS', 'keyPrefix must be a string');
  const claimIdleMs = positiveInteger('claimIdleMs', options.claimIdleMs, 30_000);
  const maxInFlight = positiveInteger('maxInFlight', options.maxInFlight, Math.max(64, events.length), events.length);
  const batchSize = positiveInteger('batchSize', options.batchSize, Math.max(32, events.length), events.length);
  const startFrom = options.startFrom ?? 'oldest';
  if (startFrom !== 'oldest' && startFrom !== 'newest') throw new DisclusterError('INVALID_OPTIONS', "startFrom must be 'oldest' or 'newest'");
  return {
    group,
    consumer,
    events,
    keys: events.map((event) => `${keyPrefix}${event}`),
    keyPrefix,
    deadKey: `${keyPrefix}${nonEmpty('deadLetter', options.deadLetter ?? DEFAULT_DEAD_LETTER)}`,
    claimIdleMs,
    claimEveryMs: Math.max(10, Math.min(Math.floor(claimIdleMs / 2), 10_000)),
    maxDeliveries: positiveInteger('maxDeliveries', options.maxDeliveries, 5),
    maxInFlight,
    batchSize,
    blockMs: positiveInteger('blockMs', options.blockMs, 5_000),
    startId: startFrom === 'oldest' ? '0' : '$',
    onReport: options.onReport ?? (() => {}),
  };
};
