/**
 * The emulator handle's public shape: what `createEmulator` resolves with, and the
 * introspection snapshots it returns.
 */
import type { Storm, StormOptions } from './gateway/storm.js';
import type { Observable } from 'rxjs';
import type { Target } from './gateway/faults.js';
import type { Delivery } from './gateway/guild-routing.js';
import type { MarkerTraffic, MarkerTrafficOptions } from './traffic/markers.js';
import type { ResolvedOptions } from './gateway/options.js';
import type { EmulatorRecord, RecordPredicate, SessionRecord, Violation } from './log/records.js';
import type { EmulatorRest } from './rest/rest.js';
import type { StreamHandle, StreamOptions } from './traffic/stream.js';
import type { SyntheticGuild } from './world/world.js';
import type { ConnectionRefusal, RefusalMode } from './gateway/refusal.js';

/** A snapshot of one session. */
export interface SessionInfo {
  readonly id: string;
  readonly shardId: number;
  readonly numShards: number;
  readonly intents: number;
  /** The last sequence number given out. */
  readonly seq: number;
  /** Whether a connection is bound to it now. */
  readonly live: boolean;
  readonly connectionId: number | undefined;
  /** Dispatches kept for replay. */
  readonly buffered: number;
}

/** A snapshot of one open connection. */
export interface ConnectionInfo {
  readonly id: number;
  readonly shardId: number | undefined;
  /** The shard count of the session bound to it, if any. */
  readonly numShards: number | undefined;
  readonly sessionId: string | undefined;
  readonly path: '/' | '/resume';
  readonly query: Readonly<Record<string, string>>;
  readonly compress: string | undefined;
  readonly zombie: boolean;
  readonly paused: boolean;
  readonly framesReceived: number;
  readonly framesSent: number;
  /** Bytes of every message sent on it, as encoded, without WebSocket framing (text frames: their length in characters, bytes for ASCII). */
  readonly bytesSent: number;
  /** The last sequence this connection was sent. */
  readonly sentSeq: number;
  /** Bytes waiting in the socket. */
  readonly bufferedBytes: number;
  /** `performance.now()` of the last heartbeat received (or of Hello). */
  readonly lastHeartbeatAt: number;
}

/** A running gateway emulator. Every fault method returns how many connections it acted on. */
export interface Emulator {
  /** The gateway URL, e.g. `ws://127.0.0.1:PORT` (what `GET /gateway/bot` returns). */
  readonly url: string;
  /** `ws://127.0.0.1:PORT/resume`, sent as `READY.resume_gateway_url`: resumes are told apart by this path. */
  readonly resumeUrl: string;
  /** `http://127.0.0.1:PORT`, serving `GET /gateway/bot`. */
  readonly httpUrl: string;
  /** With the `tls` option: the PEM certificate served (the URLs are then `wss://` and `https://`), for a client's `ca`. */
  readonly certificate: string | undefined;
  readonly port: number;
  /** The options in force, defaults filled in. */
  readonly options: ResolvedOptions;
  /** Every synthetic guild (grows in place with `addGuilds`); guild `i` is routed to shard `(BigInt(id) >> 22n) % numShards`. */
  readonly guilds: readonly SyntheticGuild[];
  /** The guilds of one shard. */
  guildsOf(shardId: number, numShards: number): readonly SyntheticGuild[];

  /** Everything seen so far, oldest first (see `EmulatorRecord`). */
  readonly records: readonly EmulatorRecord[];
  /** Every future record. */
  readonly records$: Observable<EmulatorRecord>;
  /** Every rule the clients broke. */
  readonly violations: readonly Violation[];
  /** The first record (past or future) matching `predicate`; rejects after `timeoutMs` (default 5000) with the last records in the message. */
  waitFor<R extends EmulatorRecord>(predicate: RecordPredicate<R>, timeoutMs?: number): Promise<R>;
  /** Live and resumable sessions. */
  readonly sessions: readonly SessionInfo[];
  /** Open connections. */
  readonly connections: readonly ConnectionInfo[];
  /** The REST routes under `/api/v10`: messages made, injected 429s (see README.md, "REST"). */
  readonly rest: EmulatorRest;

  /**
   * Sends one dispatch to the newest session of `shardId` (of any shard count, or of `numShards`)
   * and returns its sequence number. A detached session buffers it for replay on resume. Throws
   * when the shard has no session. Layout-aware: when that session owns the event (its guild,
   * `d.guild_id` or GUILD_CREATE's `d.id`; or shard 0 for a guild-less event), the event also goes
   * to its owners in every other shard count, with the same `d`.
   */
  dispatch(shardId: number, t: string, d: unknown, options?: { readonly stamp?: boolean; readonly numShards?: number }): number;
  /**
   * Routes one dispatch as Discord does: to every session (live or resumable) that owns `guildId`
   * under its own shard count; `undefined` for a guild-less event (shard 0 of every shard count).
   * `d` is sent as given. Returns where it went (empty when no session owns the guild).
   */
  dispatchToGuild(guildId: string | undefined, t: string, d: unknown, options?: { readonly stamp?: boolean }): readonly Delivery[];
  /** A MESSAGE_CREATE with `content` in a channel of `guildId` (unique id), routed like `dispatchToGuild`. */
  dispatchMessage(guildId: string, content: string, options?: { readonly stamp?: boolean }): readonly Delivery[];
  /**
   * Continuous guild traffic of MESSAGE_CREATE events with unique `content` markers
   * (`marker-0`, `marker-1`, …), cycling over the guilds and routed like `dispatchToGuild`: each
   * reaches every owning session of every shard count. `markers` lists what was sent.
   */
  markerTraffic(options?: MarkerTrafficOptions): MarkerTraffic;
  /**
   * Prepares a startup storm (`storm.ts`): `guilds` GUILD_CREATEs of ~`kib` KiB per shard,
   * rendered a guild per turn; its `write()` hands them all to the sockets at once, unpaced, as a
   * gateway does.
   */
  storm(options: StormOptions): Promise<Storm>;
  /**
   * Adds `count` guilds (deterministic from the seed) and sends each one's GUILD_CREATE to the
   * sessions owning it in every shard count; `GET /gateway/bot` then recommends shards for the
   * new guild count. A live shard that now holds more than `maxGuildsPerShard` guilds is closed
   * with 4011, as Discord does (its session ends). Returns the new guilds.
   */
  addGuilds(count: number): readonly SyntheticGuild[];
  /**
   * Sends every dispatch to the sessions of `numShards` shards `ms` later than it is routed (0: at
   * once again), as when a reshard's new sessions sit on other gateway nodes. The session numbers
   * and buffers it at once; only the send waits, in order.
   */
  delayLayout(numShards: number, ms: number): void;
  /** The `shards` `GET /gateway/bot` answers now: `max(options.shards, ceil(guilds / options.recommendedGuildsPerShard))`. */
  readonly recommendedShards: number;
  /** Every accepted Identify (`session` records with `event: 'created'`, carrying `shardId` and `numShards`), never dropped. */
  readonly acceptedIdentifies: readonly SessionRecord[];
  /** Streams synthetic traffic to one shard's newest session, or to every session. */
  stream(target: number | 'all', options?: StreamOptions): StreamHandle;

  /** Closes with a close frame and `code`; 4003–4014 (but 4006) delete the session, other codes keep it resumable. */
  closeShard(target: Target, code: number, reason?: string): number;
  /** Destroys the TCP socket with no close frame; the session stays resumable. */
  drop(target: Target): number;
  /** Zombie mode: no ACKs, no dispatches, no heartbeat timeout; off sends what was missed. */
  zombie(target: Target, on: boolean): number;
  /** Sends op 7; closes with 4000 after `graceMs` (default `options.reconnectGraceMs`) unless the client closed first. */
  reconnect(target: Target, options?: { readonly graceMs?: number }): number;
  /** Sends op 9 with `d = resumable`; with false the session is deleted. The socket stays open. */
  invalidate(target: Target, resumable: boolean): number;
  /** Sends a broken message (invalid JSON, or a corrupt compressed block). */
  truncate(target: Target): number;
  /** Stops or restarts reading from the client. */
  pauseReading(target: Target, on: boolean): number;
  /** Sends op 1: the client must heartbeat at once. */
  requestHeartbeat(target: Target): number;
  /**
   * An outage: refuses every new connection before Hello until the refusal's `end()` (TCP accepted
   * then closed, or `mode: 'http-503'` to fail the upgrade). Open connections stay.
   */
  refuseConnections(options?: { readonly mode?: RefusalMode }): ConnectionRefusal;
  /** Connections refused by `refuseConnections` since the emulator started. */
  readonly refusedConnections: number;
  /** Drops every connection at once (no close frames), keeps sessions resumable and the port. */
  restart(): Promise<void>;
  /** Closes every connection (1001) and the server, stops streams and clears every timer. */
  close(): Promise<void>;
}
