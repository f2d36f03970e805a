/**
 * The emulator's options, their documented defaults, and how they are resolved.
 */
import type { KeyOrder } from '../wire/key-order.js';

/** Options of {@link createEmulator}; every field is optional. */
export interface EmulatorOptions {
  /** The bot token clients must present (Identify, Resume, `Authorization: Bot …`). Default `'emulator-token'`. */
  readonly token?: string;
  /**
   * The shard count `GET /gateway/bot` recommends, at least: it grows with the guild count (see
   * `recommendedGuildsPerShard`). Default 1.
   */
  readonly shards?: number;
  /** An Identify whose shard would hold more guilds than this is closed with 4011 (sharding required). Default 2500, as on Discord. */
  readonly maxGuildsPerShard?: number;
  /** `GET /gateway/bot` recommends one shard per this many guilds (or `shards`, if more). Default 1000, as on Discord. */
  readonly recommendedGuildsPerShard?: number;
  /** `session_start_limit.max_concurrency`: identify buckets are `shard_id % maxConcurrency`. Default 1. */
  readonly maxConcurrency?: number;
  /** How long one identify bucket stays taken after an accepted Identify, ms. Default 5000. */
  readonly identifyWindowMs?: number;
  /**
   * The first `first` Identify payloads are processed `ms` after they arrive, as by a gateway
   * busy with a burst of handshakes: their bucket is judged (and READY sent) only then, so a
   * client that counts its windows from the send sees its next wave refused. Default none.
   */
  readonly identifyLag?: { readonly first: number; readonly ms: number };
  /** `heartbeat_interval` sent in Hello, ms. Default 41250. */
  readonly heartbeatInterval?: number;
  /**
   * A connection that sends no heartbeat for this long is closed. Default `heartbeatInterval * 1.5 + 1000`.
   * A heartbeat that waited unread while the emulator's own event loop was stalled (rendering a storm,
   * a busy machine) still counts.
   */
  readonly heartbeatTimeoutMs?: number;
  /** The close code used for a missed heartbeat. Default 4009 (session timed out). */
  readonly heartbeatTimeoutCode?: number;
  /** How many synthetic guilds the bot is in. Default 0. */
  readonly guilds?: number;
  /**
   * Indexes of guilds whose GUILD_CREATE after READY is the large form (300 members with
   * presences, 100 KiB+): a guild too big for a client's `maxMessageBytes`. Default none.
   */
  readonly largeGuilds?: readonly number[];
  /** `session_start_limit` of `GET /gateway/bot`; `remaining` counts down per accepted Identify. */
  readonly sessionStartLimit?: {
    /** Default 1000. */
    readonly total?: number;
    /** Default `total`. */
    readonly remaining?: number;
    /** ms until `remaining` goes back to `total`. Default 86_400_000. */
    readonly resetAfter?: number;
  };
  /** Client payloads allowed per connection in a sliding window; over it the connection is closed 4008. */
  readonly sendLimit?: {
    /** Default 120. */
    readonly count?: number;
    /** Default 60_000. */
    readonly windowMs?: number;
  };
  /** Largest client payload in bytes; a larger one is closed with 4002. Default 4096. */
  readonly maxPayloadBytes?: number;
  /** Privileged intent bits the application may use (GUILD_MEMBERS, GUILD_PRESENCES, MESSAGE_CONTENT). Default all. */
  readonly privilegedIntents?: number;
  /** Close 4011 when an Identify has no `shard` field. Default false. */
  readonly requireSharding?: boolean;
  /** How long a disconnected session stays resumable, ms. Default 180_000. */
  readonly sessionTtlMs?: number;
  /** How many dispatches each session keeps for replay on resume. Default 10_000. */
  readonly sessionBufferSize?: number;
  /** After op 7 (Reconnect), the emulator closes the socket itself with 4000 after this many ms. Default 5000. */
  readonly reconnectGraceMs?: number;
  /** Seed of the synthetic world and traffic (guild names, members, messages). Default 1. */
  readonly seed?: number;
  /** zlib level of `compress=zlib-stream` connections (0–9). Default 1 (fastest; still compresses JSON well). */
  readonly zlibLevel?: number;
  /**
   * How zlib-stream is made. `'context'` (default): one deflate context per connection, as on
   * Discord. `'precompressed'`: each event template is compressed once and its bytes reused, no
   * deflate per event (several times faster: for benchmarks); messages never refer back to earlier
   * ones, so a client inflating each message on its own would not be caught. See `precompressed.ts`.
   */
  readonly zlibMode?: 'context' | 'precompressed';
  /** Streaming pauses for a connection while this many bytes wait in its socket. Default 1 MiB. */
  readonly highWaterMark?: number;
  /**
   * The order of a dispatch's top-level keys. `'discord'` (default): `{"t":…,"s":…,"op":0,"d":…}`.
   * `'op-first'`: `{"op":0,"t":…,"s":…,"d":…}`, as some proxies re-serialize. See `key-order.ts`.
   */
  readonly keyOrder?: KeyOrder;
  /** Keep at most this many records (the oldest are dropped). Default 100_000. */
  readonly recordLimit?: number;
  /** The REST rate limit of `POST /channels/:id/messages`, per channel. Default 5 per 5000 ms, as on Discord. */
  readonly restLimit?: {
    /** Default 5. */
    readonly count?: number;
    /** Default 5000. */
    readonly windowMs?: number;
  };
  /** TCP port to listen on. Default 0 (any free port). */
  readonly port?: number;
  /** Address to listen on. Default `'127.0.0.1'`. */
  readonly host?: string;
  /**
   * Serve `wss://` and `https://`: `true` makes a self-signed certificate at start (with the
   * `openssl` binary), or pass `{ key, cert }` (PEM). Clients trust it with the handle's
   * `certificate`. Default off (`ws://`).
   */
  readonly tls?: boolean | EmulatorCertificate;
}

import type { EmulatorCertificate } from '../wire/tls.js';

/** Options with every default filled in. */
export interface ResolvedOptions {
  readonly token: string;
  readonly shards: number;
  readonly maxGuildsPerShard: number;
  readonly recommendedGuildsPerShard: number;
  readonly maxConcurrency: number;
  readonly identifyWindowMs: number;
  readonly identifyLagFirst: number;
  readonly identifyLagMs: number;
  readonly heartbeatInterval: number;
  readonly heartbeatTimeoutMs: number;
  readonly heartbeatTimeoutCode: number;
  readonly guilds: number;
  readonly largeGuilds: ReadonlySet<number>;
  readonly sessionStartTotal: number;
  readonly sessionStartRemaining: number;
  readonly sessionStartResetAfter: number;
  readonly sendLimitCount: number;
  readonly sendLimitWindowMs: number;
  readonly maxPayloadBytes: number;
  readonly privilegedIntents: number;
  readonly requireSharding: boolean;
  readonly sessionTtlMs: number;
  readonly sessionBufferSize: number;
  readonly reconnectGraceMs: number;
  readonly seed: number;
  readonly zlibLevel: number;
  readonly zlibMode: 'context' | 'precompressed';
  readonly keyOrder: KeyOrder;
  readonly highWaterMark: number;
  readonly recordLimit: number;
  readonly restLimitCount: number;
  readonly restLimitWindowMs: number;
  readonly port: number;
  readonly host: string;
}

/** GUILD_MEMBERS | GUILD_PRESENCES | MESSAGE_CONTENT. */
export const PRIVILEGED_INTENTS = (1 << 1) | (1 << 8) | (1 << 15);

const count = (name: string, value: number | undefined, fallback: number, min = 0): number => {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < min) throw new RangeError(`emulator option ${name} must be an integer >= ${min}, got ${v}`);
  return v;
};

const zlibLevel = (level: number | undefined): number => {
  const v = count('zlibLevel', level, 1);
  if (v > 9) throw new RangeError(`emulator option zlibLevel must be 0–9, got ${v}`);
  return v;
};

const zlibMode = (mode: string | undefined): 'context' | 'precompressed' => {
  if (mode === undefined || mode === 'context' || mode === 'precompressed') return mode ?? 'context';
  throw new RangeError(`emulator option zlibMode must be 'context' or 'precompressed', got ${mode}`);
};

const keyOrder = (order: string | undefined): KeyOrder => {
  if (order === undefined || order === 'discord' || order === 'op-first') return order ?? 'discord';
  throw new RangeError(`emulator option keyOrder must be 'discord' or 'op-first', got ${order}`);
};

/** Fills in defaults and checks ranges; throws a RangeError naming the bad option. */
export const resolveOptions = (o: EmulatorOptions = {}): ResolvedOptions => {
  const heartbeatInterval = count('heartbeatInterval', o.heartbeatInterval, 41_250, 1);
  const total = count('sessionStartLimit.total', o.sessionStartLimit?.total, 1000);
  return {
    token: o.token ?? 'emulator-token',
    shards: count('shards', o.shards, 1, 1),
    maxGuildsPerShard: count('maxGuildsPerShard', o.maxGuildsPerShard, 2500, 1),
    recommendedGuildsPerShard: count('recommendedGuildsPerShard', o.recommendedGuildsPerShard, 1000, 1),
    maxConcurrency: count('maxConcurrency', o.maxConcurrency, 1, 1),
    identifyWindowMs: count('identifyWindowMs', o.identifyWindowMs, 5000),
    identifyLagFirst: count('identifyLag.first', o.identifyLag?.first, 0),
    identifyLagMs: count('identifyLag.ms', o.identifyLag?.ms, 0),
    heartbeatInterval,
    heartbeatTimeoutMs: count('heartbeatTimeoutMs', o.heartbeatTimeoutMs, Math.ceil(heartbeatInterval * 1.5 + 1000), 1),
    heartbeatTimeoutCode: count('heartbeatTimeoutCode', o.heartbeatTimeoutCode, 4009, 1000),
    guilds: count('guilds', o.guilds, 0),
    largeGuilds: new Set((o.largeGuilds ?? []).map((i) => count('largeGuilds[]', i, 0))),
    sessionStartTotal: total,
    sessionStartRemaining: count('sessionStartLimit.remaining', o.sessionStartLimit?.remaining, total),
    sessionStartResetAfter: count('sessionStartLimit.resetAfter', o.sessionStartLimit?.resetAfter, 86_400_000),
    sendLimitCount: count('sendLimit.count', o.sendLimit?.count, 120, 1),
    sendLimitWindowMs: count('sendLimit.windowMs', o.sendLimit?.windowMs, 60_000, 1),
    maxPayloadBytes: count('maxPayloadBytes', o.maxPayloadBytes, 4096, 1),
    privilegedIntents: o.privilegedIntents ?? PRIVILEGED_INTENTS,
    requireSharding: o.requireSharding ?? false,
    sessionTtlMs: count('sessionTtlMs', o.sessionTtlMs, 180_000),
    sessionBufferSize: count('sessionBufferSize', o.sessionBufferSize, 10_000, 1),
    reconnectGraceMs: count('reconnectGraceMs', o.reconnectGraceMs, 5000),
    seed: count('seed', o.seed, 1),
    zlibLevel: zlibLevel(o.zlibLevel),
    zlibMode: zlibMode(o.zlibMode),
    keyOrder: keyOrder(o.keyOrder),
    highWaterMark: count('highWaterMark', o.highWaterMark, 1 << 20, 1),
    recordLimit: count('recordLimit', o.recordLimit, 100_000, 1),
    restLimitCount: count('restLimit.count', o.restLimit?.count, 5, 1),
    restLimitWindowMs: count('restLimit.windowMs', o.restLimit?.windowMs, 5000, 1),
    port: count('port', o.port, 0),
    host: o.host ?? '127.0.0.1',
  };
};
