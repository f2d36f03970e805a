import type { Observable, SchedulerLike, Subscribable } from 'rxjs';
import type { GatewayPresenceUpdateData } from 'discord-api-types/v10';
import type { FatalKind } from '../gateway/close-codes.js';
import type { Compression } from '../gateway/decoder.js';
import type { DisclusterError } from '../gateway/errors.js';

/** Where a shard is in its life. */
export type ShardStatus = 'connecting' | 'identifying' | 'resuming' | 'ready' | 'resumed' | 'reconnecting' | 'closed';

/**
 * A gateway session as plain, serializable data: enough for any process to resume it.
 * `seq` is the last sequence number received.
 */
export interface SessionSnapshot {
  readonly sessionId: string;
  readonly seq: number;
  readonly resumeUrl: string;
  readonly shardId: number;
  readonly totalShards: number;
}

/**
 * Why a shard is stopping for good: a close code no retry can fix, the identify budget, a
 * message the protocol cannot do without (Hello, READY, RESUMED) unreadable twice in a row
 * (`unreadable`), or a bug (`internal`).
 */
export type ShardFatalKind = FatalKind | 'identify-budget' | 'unreadable' | 'internal';

/** A status change; `code` is the close code where the change follows a close. */
export interface ShardStatusEvent {
  readonly type: 'status';
  readonly shardId: number;
  readonly status: ShardStatus;
  readonly code?: number;
  readonly reason?: string;
}

/** One dispatch (op 0) from the gateway. `d` is typed by `ofType` narrowing. */
export interface ShardDispatchEvent {
  readonly type: 'dispatch';
  readonly shardId: number;
  readonly t: string;
  readonly s: number;
  readonly d: unknown;
}

/** The round trip of the last heartbeat, measured when its ACK arrived. */
export interface ShardHeartbeatEvent {
  readonly type: 'heartbeat';
  readonly shardId: number;
  readonly latencyMs: number;
}

/** The session started, was resumed or moved (`session`), or ended (`null`). */
export interface ShardSessionEvent {
  readonly type: 'session';
  readonly shardId: number;
  readonly session: SessionSnapshot | null;
}

/**
 * A session ended without being resumed: dispatches after `lastSeq` of that session were never
 * received. Never silent: every lost session is reported once.
 */
export interface ShardSessionLostEvent {
  readonly type: 'session-lost';
  readonly shardId: number;
  readonly sessionId: string;
  readonly lastSeq: number;
  readonly reason: string;
}

/**
 * A connection ended before the gateway's Hello (refused, closed, no Hello in time): the gateway
 * was unreachable. No identify was sent, so nothing was spent from the daily budget; the shard
 * tries again with its backoff, for as long as it runs. `failures` counts such connections in a
 * row (back to 0 once a Hello comes). Emitted before the `reconnecting` status it leads to.
 */
export interface ShardUnreachableEvent {
  readonly type: 'unreachable';
  readonly shardId: number;
  readonly failures: number;
  readonly reason: string;
}

/** The shard stopped for good; the Observable completes right after. */
export interface ShardFatalEvent {
  readonly type: 'fatal';
  readonly shardId: number;
  readonly code: number | null;
  readonly reason: string;
  readonly kind: ShardFatalKind;
}

/** Why a message could not be read: over `maxMessageBytes`, not JSON, or JSON that is no gateway frame. */
export type UnreadableReason = 'too-large' | 'invalid-json' | 'invalid-frame';

/**
 * A message the shard could not read was skipped; the connection, its session and its sequence
 * go on (the sequence moves to `s` when the message's ends showed it). `t` and `s` are there when
 * its ends showed them; `bytes` is its size (inflated, as counted before it was discarded).
 */
export interface ShardMessageDroppedEvent {
  readonly type: 'message-dropped';
  readonly shardId: number;
  readonly reason: UnreadableReason;
  readonly bytes: number;
  readonly t?: string;
  readonly s?: number;
}

/**
 * The shard identified `identifies` times within `windowMs` without any of those sessions staying
 * ready (see `identifyLoop` in `ShardTiming`): it waits `waitMs` before its next identify.
 */
export interface ShardIdentifyLoopEvent {
  readonly type: 'identify-loop';
  readonly shardId: number;
  readonly identifies: number;
  readonly windowMs: number;
  readonly waitMs: number;
}

/** Everything a shard stream emits. */
export type ShardEvent =
  | ShardStatusEvent
  | ShardDispatchEvent
  | ShardHeartbeatEvent
  | ShardSessionEvent
  | ShardSessionLostEvent
  | ShardUnreachableEvent
  | ShardFatalEvent
  | ShardMessageDroppedEvent
  | ShardIdentifyLoopEvent;

/** Opcodes a user may send: presence, voice state, request guild members, soundboard sounds. */
export type UserOpcode = 3 | 4 | 8 | 31;

/** A gateway command from user code. */
export interface ShardCommand {
  readonly op: UserOpcode;
  readonly d: unknown;
}

/** How a command ended: written to the socket, or refused with the reason. */
export type CommandResult = { readonly ok: true } | { readonly ok: false; readonly error: DisclusterError };

/** A command plus the callback that hears how it ended (exactly once). */
export interface CommandRequest {
  readonly command: ShardCommand;
  readonly settle?: (result: CommandResult) => void;
}

/**
 * Lets identifies through at the rate Discord allows. `acquire` registers the shard at once and
 * emits when it may identify; the shard keeps the subscription (the lease) until the gateway
 * has answered its identify (READY, op 9, or the socket's close: see identify-lease.ts), then
 * unsubscribes, and the bucket's window counts from that release. Unsubscribing
 * before the grant gives the place up. It errors with a `DisclusterError`
 * (`IDENTIFY_BUDGET_EXHAUSTED`) rather than spend identifies Discord won't grant.
 *
 * The value emitted may be an `IdentifyGrant` (`{ sent() }`, identify-budget.ts): the shard calls
 * `sent()` once, as it writes the identify, and only that spends a unit of the daily budget; a
 * lease let go without it (the connection failed before Hello, timed out, stopped) spent nothing
 * and starts no window. Every queue of this library emits one; any other value is just a grant.
 */
export interface IdentifyQueue {
  acquire(shardId: number): Observable<unknown>;
  /** Optional stat: shards registered and not yet granted (read by metrics; queues that cannot tell leave it out). */
  readonly waiting?: number;
}

/** Timeouts and reconnect delays of a shard, in milliseconds. */
export interface ShardTiming {
  /** How long to wait for Hello after the socket opens (default 20000). */
  readonly helloTimeoutMs?: number;
  /** How long to wait for READY or RESUMED after identifying or resuming (default 30000). */
  readonly readyTimeoutMs?: number;
  /**
   * Reconnect delay: full jitter over `initialMs * 2^n`, capped at `maxMs` (defaults 500, 60000).
   * After an invalid session, identifying waits `invalidSessionWaitMs` at least.
   */
  readonly backoff?: { readonly initialMs?: number; readonly maxMs?: number };
  /** After op 9 `false`, wait a random time in this range before identifying (default 1000–5000, as Discord asks). */
  readonly invalidSessionWaitMs?: { readonly min: number; readonly max: number };
  /**
   * The identify loop guard: once `maxUnheld` identifies within `windowMs` have each ended before
   * holding READY for `holdMs`, the next identify waits `pauseMs` (doubling from `initial` to
   * `max` while it goes on). Defaults, in multiples of `backoff.maxMs` (B): 3 in 5·B (60000 at
   * least), B, 2·B to 15·B; with the default backoff, 3 in 300000, 60000, 120000 to 900000.
   */
  readonly identifyLoop?: Partial<IdentifyLoopConfig>;
}

/** Settings of the identify loop guard (see `ShardTiming.identifyLoop`). */
export interface IdentifyLoopConfig {
  readonly maxUnheld: number;
  readonly windowMs: number;
  readonly holdMs: number;
  readonly pauseMs: { readonly initial: number; readonly max: number };
}

/** Options of `shard()`. */
export interface ShardOptions {
  /** The bot token, without the `Bot ` prefix. Never logged, never part of an error. */
  readonly token: string;
  /** Gateway intents bit field. */
  readonly intents: number;
  readonly shardId: number;
  readonly totalShards: number;
  /** Gateway URL as `GET /gateway/bot` returned it (query parameters are added). */
  readonly url: string;
  /** Transport compression (default `zlib-stream`); `zstd-stream` needs Node 22.15 or later (refused with `INVALID_OPTIONS` before). */
  readonly compression?: Compression;
  /** Initial presence sent with identify. */
  readonly presence?: GatewayPresenceUpdateData;
  /** 50–250: members above which a guild's offline members are not sent (default 50). */
  readonly largeThreshold?: number;
  /** Identify `properties` (default: os from the runtime, browser and device `discluster`). */
  readonly properties?: { readonly os?: string; readonly browser?: string; readonly device?: string };
  /** Waited on before every identify, re-identifies too (default: one identify per 5 s for this shard alone). */
  readonly identifyQueue?: IdentifyQueue;
  /** A snapshot to resume from instead of identifying. */
  readonly session?: SessionSnapshot | null;
  /** User commands to send once READY, in order, through the rate limiter: any Subscribable (an Observable, a Subject). */
  readonly commands$?: Subscribable<CommandRequest>;
  /** Dispatch names to deliver; others are skipped without parsing their data (default: all). */
  readonly events?: readonly string[];
  /** When it emits, the shard closes (4000 if `keepSession`, else 1000) and completes. */
  readonly stop$?: Subscribable<{ readonly keepSession: boolean }>;
  /** Close with 4000 instead of 1000 when unsubscribed, keeping the session resumable. */
  readonly keepSessionOnUnsubscribe?: boolean;
  readonly timing?: ShardTiming;
  /**
   * Cap on one inflated message (default 8 MiB) and on one WebSocket frame (`ws` maxPayload). A
   * message over it is discarded as it inflates and reported (`message-dropped`); the connection
   * goes on. With `compression: 'none'`, `ws` refuses such a frame and the connection closes.
   */
  readonly maxMessageBytes?: number;
  /** TLS of `wss://` connections: extra trust (default none: Node's usual verification against its CA store). */
  readonly tls?: GatewayTls;
  /** The outbound rate limit per connection (default Discord's: 120 frames per 60000 ms). For emulators and tests. */
  readonly sendLimit?: { readonly count: number; readonly windowMs: number };
  /** Most user commands waiting to be sent before new ones are refused (default 1000). */
  readonly maxQueuedCommands?: number;
  /** Scheduler of every timer, for virtual time in tests (default `asyncScheduler`). */
  readonly scheduler?: SchedulerLike;
  /** Random source in [0,1) for heartbeat and backoff jitter (default `Math.random`). */
  readonly random?: () => number;
}

/**
 * What a `wss://` connection trusts beyond Node's CA store. Certificate verification is never
 * turned off: a gateway with a self-signed certificate (the emulator's) is trusted by passing
 * that certificate as `ca`.
 */
export interface GatewayTls {
  /** PEM certificate(s) to trust, in place of Node's CA store (as `tls.connect`'s `ca`). */
  readonly ca?: string | readonly string[];
}
