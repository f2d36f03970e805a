/**
 * The gateway core: accepts connections, enforces the protocol's rules, runs Identify and
 * Resume, and routes dispatches to sessions. Transport details live in `Connection`, rules'
 * pure checks in `inbound.ts`, session bookkeeping in `SessionStore`.
 */
import type { Socket } from 'node:net';
import { GatewayOpcodes } from 'discord-api-types/v10';
import type { WebSocket } from 'ws';
import { createEncoder, plainEncoder } from '../wire/compression.js';
import type { FrameEncoder } from '../wire/encoder.js';
import { withKeyOrder } from '../wire/key-order.js';
import { Connection, type ConnectionEvents } from './connection.js';
import { HEARTBEAT_ACK, renderOp, template, type DispatchTemplate } from '../wire/frames.js';
import { checkIdentify, checkResume, decodePayload, redact } from './inbound.js';
import { LayoutLag } from './layout-lag.js';
import { IdentifyBuckets, SessionStartLimit } from './limits.js';
import { LoopWait } from './loop-wait.js';
import { MemberRequests } from './members.js';
import type { ResolvedOptions } from './options.js';
import { guildCreatePayload, readyPayload } from '../world/payloads.js';
import type { RecordLog } from '../log/record-log.js';
import type { ClosedBy, GatewayPath, ViolationRule } from '../log/records.js';
import type { Session } from './session.js';
import { SessionStore } from './session-store.js';
import { shardingRequired } from '../world/sharding.js';
import type { SyntheticGuild, World } from '../world/world.js';

/** Close codes after which the session is gone (the client must identify again). */
export const INVALIDATING_CLOSE_CODES: ReadonlySet<number> = new Set([4003, 4004, 4005, 4007, 4008, 4009, 4010, 4011, 4012, 4013, 4014]);

const INVALID_SESSION = renderOp(GatewayOpcodes.InvalidSession, false);
const RESUMED = template('RESUMED', { _trace: ['["discluster-emulator",{"micros":0}]'] });

/** The protocol engine behind the emulator handle. */
export class GatewayCore {
  /** Open connections by id. */
  readonly connections = new Map<number, Connection>();
  readonly sessions: SessionStore;
  readonly startLimit: SessionStartLimit;
  /** How late each shard count's sessions get their dispatches (`Emulator.delayLayout`). */
  readonly lag = new LayoutLag();
  private readonly buckets: IdentifyBuckets;
  private readonly smallGuilds = new Map<string, DispatchTemplate>();
  private readonly members = new MemberRequests();
  private readonly events: ConnectionEvents;
  private readonly hello: string;
  /** The shard count each connection identified or resumed with (for close and violation records). */
  private readonly layoutOf = new WeakMap<Connection, number>();
  private nextConnectionId = 1;
  /** Identifies held back by `identifyLag` so far. */
  private lagged = 0;
  /** Bounds when a frame read now came, so the send limit never counts this loop's own stalls. */
  private readonly loopWait = new LoopWait();

  constructor(
    private readonly opts: ResolvedOptions,
    readonly world: World,
    private readonly log: RecordLog,
    private readonly resumeUrl: () => string,
  ) {
    this.sessions = new SessionStore(opts.sessionTtlMs, opts.sessionBufferSize, log);
    this.startLimit = new SessionStartLimit(opts.sessionStartTotal, opts.sessionStartRemaining, opts.sessionStartResetAfter, performance.now());
    this.buckets = new IdentifyBuckets(opts.maxConcurrency, opts.identifyWindowMs);
    this.hello = renderOp(GatewayOpcodes.Hello, { heartbeat_interval: opts.heartbeatInterval, _trace: ['["discluster-emulator",{"micros":0}]'] });
    this.events = {
      message: (conn, data) => this.onMessage(conn, data),
      closed: (conn, code, reason, by) => this.onClosed(conn, code, reason, by),
      closing: (conn, code) => this.endSession(conn, code),
      heartbeatTimeout: (conn) =>
        this.refuse(conn, 'heartbeat-timeout', opts.heartbeatTimeoutCode, `no heartbeat for ${opts.heartbeatTimeoutMs} ms`),
    };
  }

  /** Takes a new WebSocket: checks its query, sends Hello and starts the heartbeat watchdog. */
  accept(ws: WebSocket, socket: Socket, path: GatewayPath, query: Record<string, string>): Connection {
    let encoder: FrameEncoder = plainEncoder();
    let problem: [ViolationRule, number, string] | undefined;
    const { v, encoding, compress } = query;
    if (v !== undefined && v !== '10') problem = ['invalid-version', 4012, `API version ${v} is not supported: use v=10`];
    else if (encoding !== undefined && encoding !== 'json') problem = ['unsupported-parameter', 4000, `encoding=${encoding} is not supported by the emulator: use json`];
    else {
      try {
        encoder = withKeyOrder(createEncoder(compress, this.opts.zlibLevel, this.opts.zlibMode), this.opts.keyOrder);
      } catch (error) {
        problem = ['unsupported-parameter', 4000, (error as Error).message];
      }
    }
    const sendLimit = { count: this.opts.sendLimitCount, windowMs: this.opts.sendLimitWindowMs };
    const conn = new Connection(this.nextConnectionId++, path, query, ws, socket, encoder, sendLimit, this.events);
    this.connections.set(conn.id, conn);
    this.log.push({ kind: 'open', at: performance.now(), connectionId: conn.id, shardId: undefined, path, query });
    if (problem !== undefined) {
      this.refuse(conn, ...problem);
      return conn;
    }
    conn.send(this.hello);
    conn.watchHeartbeats(this.opts.heartbeatTimeoutMs);
    return conn;
  }

  /** Buffers a dispatch in a session and sends it if the session has a live, non-zombie connection. */
  dispatch(session: Session, tpl: DispatchTemplate, stamp?: number): number {
    const entry = session.push(tpl, stamp);
    const conn = this.liveConnection(session);
    if (conn !== undefined && !conn.zombie) this.lag.send(conn, session.numShards, tpl, entry.s, stamp);
    return entry.s;
  }

  /** The session's live connection, if any. */
  liveConnection(session: Session): Connection | undefined {
    return session.connectionId === undefined ? undefined : this.connections.get(session.connectionId);
  }

  /** Sends a connection every dispatch of its session it has not been sent yet (after zombie mode). */
  catchUp(conn: Connection): void {
    const session = conn.session;
    if (session === undefined) return;
    for (const e of session.after(conn.sentSeq) ?? []) conn.sendDispatch(e.tpl, e.s, e.stamp);
    conn.sentSeq = session.seq;
  }

  /** Records a violation; closes with `code`, or answers op 9 (false) when `code` is undefined. */
  refuse(conn: Connection, rule: ViolationRule, code: number | undefined, detail: string): void {
    this.log.push({ kind: 'violation', at: performance.now(), rule, connectionId: conn.id, shardId: conn.shardId, code, detail, numShards: this.layoutOf.get(conn) });
    if (code === undefined) conn.send(INVALID_SESSION);
    else conn.close(code, detail);
  }

  private onMessage(conn: Connection, data: Buffer): void {
    conn.framesReceived++;
    const now = performance.now();
    const text = data.toString();
    const decoded = decodePayload(text);
    const parsed = decoded.ok ? decoded.payload : decoded.parsed;
    const op = decoded.ok ? decoded.op : typeof (parsed as { op?: unknown } | undefined)?.op === 'number' ? (parsed as { op: number }).op : null;
    let shardId = conn.shardId;
    if (shardId === undefined && decoded.ok && decoded.op === GatewayOpcodes.Identify) {
      const shard = (decoded.d as { shard?: unknown } | undefined)?.shard;
      if (Array.isArray(shard) && Number.isInteger(shard[0])) shardId = shard[0] as number;
    }
    const payload = redact(parsed === undefined ? text : parsed, this.opts.token);
    this.log.push({ kind: 'frame', at: now, connectionId: conn.id, shardId, path: conn.path, op, payload, bytes: data.length });
    if (!conn.open) return;
    if (!conn.sendWindow.hit(now, this.loopWait.earliestArrival())) {
      return this.refuse(conn, 'send-rate-limit', 4008, `more than ${this.opts.sendLimitCount} payloads in ${this.opts.sendLimitWindowMs} ms`);
    }
    if (data.length > this.opts.maxPayloadBytes) {
      return this.refuse(conn, 'payload-too-large', 4002, `payload of ${data.length} bytes (the limit is ${this.opts.maxPayloadBytes})`);
    }
    if (!decoded.ok) return this.refuse(conn, decoded.rule, decoded.code, decoded.detail);
    switch (decoded.op) {
      case GatewayOpcodes.Heartbeat:
        conn.lastHeartbeatAt = now;
        if (!conn.zombie) conn.send(HEARTBEAT_ACK);
        return;
      case GatewayOpcodes.Identify:
        if (this.lagged < this.opts.identifyLagFirst) {
          this.lagged++;
          const d = decoded.d;
          conn.identifyTimer = setTimeout(() => {
            conn.identifyTimer = undefined;
            if (conn.open) this.identify(conn, d);
          }, this.opts.identifyLagMs);
          return;
        }
        return this.identify(conn, decoded.d);
      case GatewayOpcodes.Resume:
        return this.resume(conn, decoded.d);
      default:
        if (conn.session === undefined) return this.refuse(conn, 'not-authenticated', 4003, `op ${decoded.op} before Identify`);
        if (decoded.op === GatewayOpcodes.RequestGuildMembers) this.requestMembers(conn.session, decoded.d, now);
    }
  }

  private identify(conn: Connection, d: unknown): void {
    if (conn.session !== undefined) return this.refuse(conn, 'already-authenticated', 4005, 'Identify on an authenticated connection');
    const req = checkIdentify(d, this.opts);
    if (!req.ok) return this.refuse(conn, req.rule, req.code, req.detail);
    const [shardId, numShards] = req.shard ?? [0, 1];
    conn.shardId = shardId;
    this.layoutOf.set(conn, numShards);
    const tooMany = shardingRequired(this.world.guildsOf(shardId, numShards).length, this.opts.maxGuildsPerShard);
    if (tooMany !== undefined) return this.refuse(conn, 'sharding-required', 4011, `shard [${shardId}, ${numShards}] ${tooMany}`);
    const now = performance.now();
    const wait = this.buckets.wait(shardId, now);
    if (wait > 0) {
      const key = this.buckets.key(shardId);
      return this.refuse(conn, 'identify-rate-limit', undefined, `identify bucket ${key} (shard ${shardId} % ${this.opts.maxConcurrency}) is taken for ${Math.ceil(wait)} more ms`);
    }
    if (!this.startLimit.consume(now)) {
      return this.refuse(conn, 'session-start-limit', undefined, 'session_start_limit.remaining is 0 (Discord would reset the token)');
    }
    this.buckets.take(shardId, now);
    const session = this.sessions.create(shardId, numShards, req.intents, conn.id);
    conn.session = session;
    const guilds = this.world.guildsOf(shardId, numShards);
    this.dispatch(session, template('READY', readyPayload(this.world, session.id, this.resumeUrl(), req.shard, guilds)));
    // GUILD_CREATE needs the GUILDS intent, as on Discord.
    if ((req.intents & 1) !== 0) for (const g of guilds) this.dispatch(session, this.guildCreate(g));
  }

  private requestMembers(session: Session, d: unknown, now: number): void {
    const guilds = this.world.guildsOf(session.shardId, session.numShards);
    const answer = this.members.answer(d, guilds, this.world.bot, now);
    if (answer !== undefined) this.dispatch(session, template(answer.t, answer.d));
  }

  /** The GUILD_CREATE of a guild, small unless `largeGuilds` names it (one template per guild, so every session gets the same `d`). */
  guildCreate(guild: SyntheticGuild): DispatchTemplate {
    let tpl = this.smallGuilds.get(guild.id);
    if (tpl === undefined) {
      tpl = template('GUILD_CREATE', guildCreatePayload(this.world, guild, this.opts.largeGuilds.has(guild.index)));
      this.smallGuilds.set(guild.id, tpl);
    }
    return tpl;
  }

  private resume(conn: Connection, d: unknown): void {
    if (conn.session !== undefined) return this.refuse(conn, 'already-authenticated', 4005, 'Resume on an authenticated connection');
    const req = checkResume(d, this.opts.token);
    if (!req.ok) return this.refuse(conn, req.rule, req.code, req.detail);
    const session = this.sessions.get(req.sessionId);
    if (session === undefined) return conn.send(INVALID_SESSION);
    conn.shardId = session.shardId;
    this.layoutOf.set(conn, session.numShards);
    if (req.seq > session.seq) {
      this.sessions.invalidate(session);
      return this.refuse(conn, 'invalid-seq', 4007, `Resume seq ${req.seq} is past the session's last seq ${session.seq}`);
    }
    const replay = session.after(req.seq);
    if (replay === undefined) {
      this.sessions.invalidate(session);
      return conn.send(INVALID_SESSION);
    }
    const old = this.liveConnection(session);
    if (old !== undefined) {
      old.session = undefined;
      old.close(4000, 'the session was resumed on another connection');
    }
    this.sessions.attach(session, conn.id);
    conn.session = session;
    for (const e of replay) conn.sendDispatch(e.tpl, e.s, e.stamp);
    conn.sendDispatch(RESUMED, session.nextSeq(), undefined);
  }

  /**
   * The emulator closes `conn` with `code`: its session's fate is decided now, not once the client
   * has answered the close frame. Until then the session would look live and take dispatches that
   * the closing connection can no longer send, and after a session-ending code lose them (a
   * resumable session keeps them for its resume either way).
   */
  private endSession(conn: Connection, code: number): void {
    const session = conn.session;
    conn.session = undefined;
    if (session === undefined || session.connectionId !== conn.id) return;
    if (INVALIDATING_CLOSE_CODES.has(code)) this.sessions.invalidate(session);
    else this.sessions.detach(session);
  }

  private onClosed(conn: Connection, code: number, reason: string, by: ClosedBy): void {
    this.connections.delete(conn.id);
    this.log.push({ kind: 'close', at: performance.now(), connectionId: conn.id, shardId: conn.shardId, path: conn.path, code, reason, by, numShards: this.layoutOf.get(conn) });
    const session = conn.session;
    conn.session = undefined;
    if (session === undefined || session.connectionId !== conn.id) return;
    const gone = by === 'client' ? code === 1000 || code === 1001 : by === 'server' && INVALIDATING_CLOSE_CODES.has(code);
    if (gone) this.sessions.invalidate(session);
    else this.sessions.detach(session);
  }
}
