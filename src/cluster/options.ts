import { asyncScheduler, type SchedulerLike } from 'rxjs';
import type { GatewayPresenceUpdateData } from 'discord-api-types/v10';
import type { Compression } from '../gateway/decoder.js';
import { DisclusterError } from '../gateway/errors.js';
import type { GatewayTls, IdentifyQueue, SessionSnapshot, ShardTiming } from '../shard/types.js';
import type { SessionStartLimit } from '../shard/identify-queue.js';
import { RESHARD_TIMING_DEFAULTS } from '../reshard/timing.js';
import type { SessionStore } from './session-store.js';

/** Options of `createCluster`. */
export interface ClusterOptions {
  /** The bot token, without the `Bot ` prefix. */
  readonly token: string;
  readonly intents: number;
  /** The shards this cluster runs. */
  readonly shardIds: readonly number[];
  readonly totalShards: number;
  /** As `GET /gateway/bot` returned it (CONTROL passes it in). */
  readonly gateway: {
    readonly url: string;
    readonly maxConcurrency: number;
    readonly sessionStartLimit?: SessionStartLimit;
  };
  /** Transport compression (default `zlib-stream`); `zstd-stream` needs Node 22.15 or later (refused with `INVALID_OPTIONS` before). */
  readonly compression?: Compression;
  readonly presence?: GatewayPresenceUpdateData;
  readonly largeThreshold?: number;
  /** Default: an in-memory queue over `gateway.maxConcurrency` and `timing.identifyWindowMs`. */
  readonly identifyQueue?: IdentifyQueue;
  /** Default: in memory. */
  readonly sessionStore?: SessionStore;
  /** Snapshots to resume from; they win over the store's. */
  readonly sessions?: readonly SessionSnapshot[];
  /** Dispatch names to deliver; others are skipped without being parsed (default: all). */
  readonly events?: readonly string[];
  readonly timing?: ShardTiming & {
    /** Identify window of each bucket (default 5000 ms). */
    readonly identifyWindowMs?: number;
    /** Added to each identify window against network jitter (default 1 % of the window, at most 250 ms). */
    readonly identifyMarginMs?: number;
    /** How often changed sessions are written to the store (default 1000 ms). */
    readonly sessionFlushMs?: number;
    /** How long `shutdown` waits for sockets to close before cutting them (default 5000 ms). */
    readonly shutdownTimeoutMs?: number;
    /**
     * `reshard`: how long a new shard waits, after its READY, for the GUILD_CREATE (or unavailable
     * GUILD_DELETE) of every guild its READY listed before it counts as ready anyway (default 15000 ms).
     */
    readonly reshardGuildsTimeoutMs?: number;
    /**
     * `reshard`: how long an event seen from one set is remembered to recognise its twin from the
     * other set; must exceed the delay between two connections receiving the same event (default 5000 ms).
     */
    readonly reshardMatchWindowMs?: number;
    /** `reshard`: the whole preparation must end within this, or the reshard aborts (default: 2 identify windows per wave plus 60000 ms). */
    readonly reshardTimeoutMs?: number;
  };
  /** Cap on one inflated gateway message (default 8 MiB). */
  readonly maxMessageBytes?: number;
  /** TLS of `wss://` connections: `{ ca }` to trust (default: Node's CA store; verification always on). */
  readonly tls?: GatewayTls;
  /** Scheduler of every timer (default `asyncScheduler`). */
  readonly scheduler?: SchedulerLike;
  /** Random source for jitter (default `Math.random`). */
  readonly random?: () => number;
}

/** Cluster timing defaults, in milliseconds. */
export const CLUSTER_TIMING_DEFAULTS = {
  identifyWindowMs: 5_000,
  sessionFlushMs: 1_000,
  shutdownTimeoutMs: 5_000,
  reshardGuildsTimeoutMs: RESHARD_TIMING_DEFAULTS.reshardGuildsTimeoutMs,
  reshardMatchWindowMs: RESHARD_TIMING_DEFAULTS.reshardMatchWindowMs,
} as const;

const invalid = (message: string) => new DisclusterError('INVALID_OPTIONS', message);

/** Checks what only the cluster knows (per-shard options are checked by each shard). */
export const checkClusterOptions = (options: ClusterOptions): { scheduler: SchedulerLike; flushMs: number; shutdownMs: number } => {
  if (typeof options !== 'object' || options === null) throw invalid('cluster options must be an object');
  const { shardIds, totalShards, gateway } = options;
  if (!Array.isArray(shardIds) || shardIds.length === 0) throw invalid('shardIds must be a non-empty array');
  if (new Set(shardIds).size !== shardIds.length) throw invalid('shardIds must not repeat a shard');
  if (typeof gateway !== 'object' || gateway === null) throw invalid('gateway must be { url, maxConcurrency }');
  if (!Number.isInteger(gateway.maxConcurrency) || gateway.maxConcurrency < 1) {
    throw invalid(`gateway.maxConcurrency must be an integer from 1, got ${String(gateway.maxConcurrency)}`);
  }
  if (!Number.isInteger(totalShards) || totalShards < 1) throw invalid(`totalShards must be an integer from 1, got ${String(totalShards)}`);
  const positive = (value: number | undefined, name: string, fallback: number) => {
    if (value === undefined) return fallback;
    if (!Number.isInteger(value) || value < 0 || value > 86_400_000) throw invalid(`${name} must be a whole number of milliseconds, got ${String(value)}`);
    return value;
  };
  positive(options.timing?.identifyWindowMs, 'timing.identifyWindowMs', 0);
  positive(options.timing?.identifyMarginMs, 'timing.identifyMarginMs', 0);
  positive(options.timing?.reshardGuildsTimeoutMs, 'timing.reshardGuildsTimeoutMs', 0);
  positive(options.timing?.reshardMatchWindowMs, 'timing.reshardMatchWindowMs', 0);
  positive(options.timing?.reshardTimeoutMs, 'timing.reshardTimeoutMs', 0);
  return {
    scheduler: options.scheduler ?? asyncScheduler,
    flushMs: Math.max(1, positive(options.timing?.sessionFlushMs, 'timing.sessionFlushMs', CLUSTER_TIMING_DEFAULTS.sessionFlushMs)),
    shutdownMs: positive(options.timing?.shutdownTimeoutMs, 'timing.shutdownTimeoutMs', CLUSTER_TIMING_DEFAULTS.shutdownTimeoutMs),
  };
};
