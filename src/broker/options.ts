import { DisclusterError } from '../gateway/errors.js';
import type { RedisConnection } from '../redis/client.js';
import type { BrokerEncoding } from './entry-encode.js';

/** Options of `publishDispatches`. */
export interface PublishOptions {
  /** The Redis to publish to: an ioredis client you own (never closed for you), a `redis://` URL or ioredis options. */
  readonly redis: RedisConnection;
  /**
   * Dispatch names to publish (default: every dispatch of `dispatch$`). Give the cluster the same
   * list (`createCluster({ events })`) and the others are skipped by the shards without being parsed.
   */
  readonly events?: readonly string[];
  /** Each stream is trimmed to about this many entries (`XADD … MAXLEN ~`; default 100 000). */
  readonly maxLen?: number;
  /** Also trim each stream by age: entries older than this many ms (Redis's clock) go, about (`MINID ~`; Redis 6.2 or later). Default: none. */
  readonly maxAgeMs?: number;
  /** Entries held while Redis is slow or away, waiting and in flight; past it the oldest are dropped and counted (default 10 000). */
  readonly maxPending?: number;
  /** `data` as msgpack (default, what @discordjs/brokers reads) or as JSON text. */
  readonly encoding?: BrokerEncoding;
  /** Put before each stream's name (the event's `t`); default `''`, as @discordjs/brokers names its streams. */
  readonly keyPrefix?: string;
  /** Most entries in one batch (default 1 000); the rest go in the next one, right after Redis answers. */
  readonly maxBatch?: number;
}

/** Producer defaults. */
export const PUBLISH_DEFAULTS = {
  maxLen: 100_000,
  maxPending: 10_000,
  maxBatch: 1_000,
  encoding: 'msgpack',
  keyPrefix: '',
  /** Wait after a batch that did not reach Redis (the connection failed, or Redis busy), before sending it again, ms. */
  retryMs: 500,
  /** How long `close()` waits for the last entries to be written, ms. */
  closeTimeoutMs: 2_000,
} as const;

/** The checked options, defaults filled in. */
export interface CheckedPublishOptions {
  readonly events: ReadonlySet<string> | undefined;
  readonly maxLen: number;
  readonly maxAgeMs: number | undefined;
  readonly maxPending: number;
  readonly maxBatch: number;
  readonly encoding: BrokerEncoding;
  readonly keyPrefix: string;
}

const invalid = (message: string) => new DisclusterError('INVALID_OPTIONS', message);

const wholeNumber = (value: unknown, name: string, min: number, max: number, fallback: number): number => {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) throw invalid(`${name} must be an integer from ${min} to ${max}, got ${String(value)}`);
  return value;
};

/** Checks `publishDispatches`' options (not the connection: `resolveClient` does); throws `INVALID_OPTIONS`. */
export const checkPublishOptions = (options: PublishOptions): CheckedPublishOptions => {
  if (typeof options !== 'object' || options === null) throw invalid('publishDispatches needs options: { redis, events?, maxLen?, maxPending?, encoding?, keyPrefix? }');
  const { events, encoding = PUBLISH_DEFAULTS.encoding, keyPrefix = PUBLISH_DEFAULTS.keyPrefix } = options;
  if (events !== undefined && (!Array.isArray(events) || events.some((name) => typeof name !== 'string' || name.length === 0))) {
    throw invalid('events must be an array of dispatch names (non-empty strings)');
  }
  if (encoding !== 'msgpack' && encoding !== 'json') throw invalid(`encoding must be 'msgpack' or 'json', got ${String(encoding)}`);
  if (typeof keyPrefix !== 'string') throw invalid('keyPrefix must be a string');
  const maxPending = wholeNumber(options.maxPending, 'maxPending', 1, 1_000_000, PUBLISH_DEFAULTS.maxPending);
  return {
    events: events === undefined ? undefined : new Set(events),
    maxLen: wholeNumber(options.maxLen, 'maxLen', 1, Number.MAX_SAFE_INTEGER, PUBLISH_DEFAULTS.maxLen),
    maxAgeMs: options.maxAgeMs === undefined ? undefined : wholeNumber(options.maxAgeMs, 'maxAgeMs', 1, 366 * 86_400_000, 0),
    maxPending,
    maxBatch: Math.min(maxPending, wholeNumber(options.maxBatch, 'maxBatch', 1, 100_000, PUBLISH_DEFAULTS.maxBatch)),
    encoding,
    keyPrefix,
  };
};
