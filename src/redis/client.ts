import { Redis, type RedisOptions } from 'ioredis';
import { DisclusterError } from '../gateway/errors.js';

/**
 * A Redis connection as the Redis helpers accept it: an ioredis client you own (it is never
 * closed for you), a `redis://` URL, or ioredis options (a client is then created and closed by
 * `close()`).
 */
export type RedisConnection = Redis | string | RedisOptions;

/**
 * Options every client created here gets, and why:
 * - `maxRetriesPerRequest: null`: while Redis is away, commands wait for the reconnect instead of
 *   failing after 20 retries. Every caller here keeps at most one command in flight per shard (or
 *   one batch per store), so the wait costs no memory, and an identify that waits is safe.
 * - `enableOfflineQueue: true`: commands issued while reconnecting are sent once Redis is back.
 *   Every decision is made by a Lua script on Redis's own clock when it runs, so a late command is
 *   never an unsafe one.
 * - `retryStrategy`: reconnect forever, 50 ms growing to 1 s between tries.
 */
export const CLIENT_DEFAULTS: RedisOptions = {
  maxRetriesPerRequest: null,
  enableOfflineQueue: true,
  retryStrategy: (times) => Math.min(1_000, 50 * times),
};

/** A client plus whether this library created it (and so must close it). */
export interface OwnedClient {
  readonly redis: Redis;
  readonly owned: boolean;
}

/** Resolves a {@link RedisConnection} to a client, creating one with {@link CLIENT_DEFAULTS} when needed. */
export const resolveClient = (connection: RedisConnection | undefined): OwnedClient => {
  if (connection instanceof Redis) return { redis: connection, owned: false };
  if (typeof connection === 'string') return { redis: new Redis(connection, CLIENT_DEFAULTS), owned: true };
  if (typeof connection === 'object' && connection !== null) return { redis: new Redis({ ...CLIENT_DEFAULTS, ...connection }), owned: true };
  throw new DisclusterError('INVALID_OPTIONS', 'redis must be an ioredis client, a redis:// URL or ioredis options');
};

/** Closes a client this library created; a client passed in is left alone. */
export const releaseClient = async (client: OwnedClient): Promise<void> => {
  if (!client.owned) return;
  const { redis } = client;
  // QUIT waits behind the offline queue while Redis is away: only ask politely when connected.
  if (redis.status === 'ready') {
    const timeout = new Promise<void>((resolve) => setTimeout(resolve, 1_000).unref());
    await Promise.race([redis.quit().catch(() => {}), timeout]);
  }
  redis.disconnect();
};

/**
 * The key prefix: `keyPrefix` as given, else `discluster:{botId}:`. Every process that must share
 * identify buckets or sessions uses the same prefix; two bots (or two deployments of one bot that
 * must not share sessions) use different ones.
 */
export const keyPrefixOf = (options: { readonly keyPrefix?: string; readonly botId?: string }): string => {
  if (options.keyPrefix !== undefined) {
    if (typeof options.keyPrefix !== 'string' || options.keyPrefix.length === 0) throw new DisclusterError('INVALID_OPTIONS', 'keyPrefix must be a non-empty string');
    return options.keyPrefix;
  }
  if (typeof options.botId !== 'string' || options.botId.length === 0) throw new DisclusterError('INVALID_OPTIONS', 'give botId (the application id) or keyPrefix');
  return `discluster:${options.botId}:`;
};
