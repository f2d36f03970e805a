import { asyncScheduler, type SchedulerLike } from 'rxjs';
import { DEFAULT_MAX_MESSAGE_BYTES, type Compression } from '../gateway/decoder.js';
import { DisclusterError } from '../gateway/errors.js';
import { hasZstd, ZSTD_MIN_NODE } from '../gateway/inflate-zstd.js';
import { IDENTIFY_LOOP_DEFAULTS, identifyLoopDefaults } from './identify-loop-guard.js';
import { isSafeResumeUrl } from './session.js';
import type { GatewayTls, IdentifyLoopConfig, ShardOptions } from './types.js';

/** Shard options with every default filled in. */
export interface ResolvedShardOptions extends ShardOptions {
  readonly compression: Compression;
  readonly largeThreshold: number;
  readonly helloTimeoutMs: number;
  readonly readyTimeoutMs: number;
  readonly backoffInitialMs: number;
  readonly backoffMaxMs: number;
  readonly invalidSessionWaitMs: { readonly min: number; readonly max: number };
  readonly identifyLoop: IdentifyLoopConfig;
  readonly maxMessageBytes: number;
  readonly maxQueuedCommands: number;
  readonly scheduler: SchedulerLike;
  readonly random: () => number;
  readonly events: readonly string[] | undefined;
}

/** Defaults of the shard's timing, in milliseconds. */
export const SHARD_TIMING_DEFAULTS = {
  helloTimeoutMs: 20_000,
  readyTimeoutMs: 30_000,
  backoff: { initialMs: 500, maxMs: 60_000 },
  invalidSessionWaitMs: { min: 1_000, max: 5_000 },
} as const;

const COMPRESSIONS: readonly Compression[] = ['none', 'zlib-stream', 'zstd-stream'];

const isGatewayTls = (tls: unknown): tls is GatewayTls => {
  if (typeof tls !== 'object' || tls === null) return false;
  const { ca } = tls as { ca?: unknown };
  return ca === undefined || typeof ca === 'string' || (Array.isArray(ca) && ca.every((c) => typeof c === 'string'));
};

const invalid = (message: string) => new DisclusterError('INVALID_OPTIONS', message);

const isInt = (n: unknown, min: number, max = Number.MAX_SAFE_INTEGER): n is number =>
  typeof n === 'number' && Number.isInteger(n) && n >= min && n <= max;

const ms = (value: number | undefined, name: string, fallback: number, min = 1): number => {
  if (value === undefined) return fallback;
  if (!isInt(value, min, 2_147_483_647)) throw invalid(`${name} must be a whole number of milliseconds from ${min} to 2147483647, got ${String(value)}`);
  return value;
};

/**
 * Checks a shard's options and fills in defaults. Throws a `DisclusterError`
 * (`INVALID_OPTIONS`) that names the bad option; the token is never part of the message.
 */
export const resolveShardOptions = (options: ShardOptions): ResolvedShardOptions => {
  if (typeof options !== 'object' || options === null) throw invalid('shard options must be an object');
  if (typeof options.token !== 'string' || options.token.trim() === '') throw invalid('token must be a non-empty string');
  if (!isInt(options.intents, 0)) throw invalid(`intents must be a non-negative integer, got ${String(options.intents)}`);
  if (!isInt(options.totalShards, 1, 1_000_000)) throw invalid(`totalShards must be an integer from 1, got ${String(options.totalShards)}`);
  if (!isInt(options.shardId, 0, options.totalShards - 1)) {
    throw invalid(`shardId must be an integer from 0 to ${options.totalShards - 1}, got ${String(options.shardId)}`);
  }
  if (typeof options.url !== 'string' || !isSafeResumeUrl(options.url)) {
    throw invalid(`url must be a ws: or wss: URL, got ${JSON.stringify(String(options.url)).slice(0, 200)}`);
  }
  const compression = options.compression ?? 'zlib-stream';
  if (!COMPRESSIONS.includes(compression)) throw invalid(`compression must be one of ${COMPRESSIONS.join(', ')}, got ${String(compression)}`);
  if (compression === 'zstd-stream' && !hasZstd()) {
    throw invalid(`compression 'zstd-stream' needs Node ${ZSTD_MIN_NODE} or later (node:zlib zstd); this is Node ${process.versions.node}: use 'zlib-stream'`);
  }
  const largeThreshold = options.largeThreshold ?? 50;
  if (!isInt(largeThreshold, 50, 250)) throw invalid(`largeThreshold must be an integer from 50 to 250, got ${String(largeThreshold)}`);
  const timing = options.timing ?? {};
  const backoffInitialMs = ms(timing.backoff?.initialMs, 'timing.backoff.initialMs', SHARD_TIMING_DEFAULTS.backoff.initialMs);
  const backoffMaxMs = ms(timing.backoff?.maxMs, 'timing.backoff.maxMs', Math.max(SHARD_TIMING_DEFAULTS.backoff.maxMs, backoffInitialMs));
  if (backoffMaxMs < backoffInitialMs) throw invalid('timing.backoff.maxMs must not be less than timing.backoff.initialMs');
  const wait = timing.invalidSessionWaitMs;
  // the defaults are one shared object: a thousand shards need not hold a thousand copies
  const invalidSessionWaitMs =
    wait === undefined
      ? SHARD_TIMING_DEFAULTS.invalidSessionWaitMs
      : { min: ms(wait.min, 'timing.invalidSessionWaitMs.min', 0, 0), max: ms(wait.max, 'timing.invalidSessionWaitMs.max', 0, 0) };
  if (invalidSessionWaitMs.max < invalidSessionWaitMs.min) throw invalid('timing.invalidSessionWaitMs.max must not be less than its min');
  const loopDefaults = backoffMaxMs === IDENTIFY_LOOP_DEFAULTS.holdMs ? IDENTIFY_LOOP_DEFAULTS : identifyLoopDefaults(backoffMaxMs);
  const identifyLoop = timing.identifyLoop === undefined ? loopDefaults : resolveIdentifyLoop(timing.identifyLoop, loopDefaults);
  const maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  if (!isInt(maxMessageBytes, 4096, 1 << 30)) throw invalid(`maxMessageBytes must be an integer from 4096 to 1073741824, got ${String(maxMessageBytes)}`);
  const maxQueuedCommands = options.maxQueuedCommands ?? 1000;
  if (!isInt(maxQueuedCommands, 1, 1_000_000)) throw invalid(`maxQueuedCommands must be an integer from 1, got ${String(maxQueuedCommands)}`);
  if (options.sendLimit !== undefined && (!isInt(options.sendLimit.count, 2, 10_000) || !isInt(options.sendLimit.windowMs, 1, 3_600_000))) {
    throw invalid('sendLimit must be { count: 2–10000, windowMs: 1–3600000 }');
  }
  if (options.tls !== undefined && !isGatewayTls(options.tls)) throw invalid('tls must be { ca?: PEM string or array of PEM strings }');
  if (options.events !== undefined && (!Array.isArray(options.events) || !options.events.every((e) => typeof e === 'string'))) {
    throw invalid('events must be an array of dispatch names');
  }
  // Every field written out (no spread): one fixed-shape object that each shard keeps for life.
  return {
    token: options.token,
    intents: options.intents,
    shardId: options.shardId,
    totalShards: options.totalShards,
    url: options.url,
    compression,
    presence: options.presence,
    largeThreshold,
    properties: options.properties,
    identifyQueue: options.identifyQueue,
    session: options.session,
    commands$: options.commands$,
    events: options.events,
    stop$: options.stop$,
    keepSessionOnUnsubscribe: options.keepSessionOnUnsubscribe,
    timing: options.timing,
    maxMessageBytes,
    tls: options.tls,
    sendLimit: options.sendLimit,
    maxQueuedCommands,
    scheduler: options.scheduler ?? asyncScheduler,
    random: options.random ?? Math.random,
    helloTimeoutMs: ms(timing.helloTimeoutMs, 'timing.helloTimeoutMs', SHARD_TIMING_DEFAULTS.helloTimeoutMs),
    readyTimeoutMs: ms(timing.readyTimeoutMs, 'timing.readyTimeoutMs', SHARD_TIMING_DEFAULTS.readyTimeoutMs),
    backoffInitialMs,
    backoffMaxMs,
    invalidSessionWaitMs,
    identifyLoop,
  };
};

/** `timing.identifyLoop` checked, its gaps filled from the defaults (`identifyLoopDefaults`). */
const resolveIdentifyLoop = (given: Partial<IdentifyLoopConfig>, d: IdentifyLoopConfig): IdentifyLoopConfig => {
  const maxUnheld = given.maxUnheld ?? d.maxUnheld;
  if (!isInt(maxUnheld, 1, 1000)) throw invalid(`timing.identifyLoop.maxUnheld must be an integer from 1 to 1000, got ${String(maxUnheld)}`);
  const initial = ms(given.pauseMs?.initial, 'timing.identifyLoop.pauseMs.initial', d.pauseMs.initial);
  const max = ms(given.pauseMs?.max, 'timing.identifyLoop.pauseMs.max', Math.max(d.pauseMs.max, initial));
  if (max < initial) throw invalid('timing.identifyLoop.pauseMs.max must not be less than its initial');
  return {
    maxUnheld,
    windowMs: ms(given.windowMs, 'timing.identifyLoop.windowMs', d.windowMs),
    holdMs: ms(given.holdMs, 'timing.identifyLoop.holdMs', d.holdMs),
    pauseMs: { initial, max },
  };
};
