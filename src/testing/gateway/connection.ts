/**
 * One client connection on the emulator's side: the `ws` socket, its encoder, write batching,
 * backpressure, the heartbeat watchdog and fault switches. Protocol decisions live in the
 * gateway core; this class only moves bytes and keeps per-connection state.
 */
import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';
import type { FrameEncoder } from '../wire/encoder.js';
import { renderDispatch, type DispatchTemplate } from '../wire/frames.js';
import { watchStep } from './heartbeat-watch.js';
import { SlidingWindow } from './limits.js';
import type { ClosedBy, GatewayPath } from '../log/records.js';
import type { Session } from './session.js';

/** The close code `ws` sends for each of its protocol errors (1002 for the others). */
const WS_ERROR_CLOSE_CODES: Readonly<Record<string, number>> = {
  WS_ERR_UNSUPPORTED_MESSAGE_LENGTH: 1009,
  WS_ERR_INVALID_UTF8: 1007,
};

/** What a connection reports to its owner. */
export interface ConnectionEvents {
  message(conn: Connection, data: Buffer): void;
  closed(conn: Connection, code: number, reason: string, by: ClosedBy): void;
  /** The emulator has just sent a close frame with `code` (the socket closes later, once the client answers). */
  closing(conn: Connection, code: number): void;
  heartbeatTimeout(conn: Connection): void;
}

/** The emulator's side of one WebSocket connection. */
export class Connection {
  /** The shard, once known (Identify's `shard[0]`, or the resumed session's). */
  shardId: number | undefined;
  /** The session this connection is bound to (after READY or RESUMED). */
  session: Session | undefined;
  /** While true, nothing is sent (no ACKs, no dispatches) and missed heartbeats are forgiven. */
  zombie = false;
  /** While true, the socket is not read. */
  paused = false;
  /** The last sequence this connection was sent. */
  sentSeq = 0;
  framesReceived = 0;
  framesSent = 0;
  /** Bytes of every message sent, as encoded, without WebSocket framing (text frames: their length in characters, bytes for ASCII). */
  bytesSent = 0;
  /** `performance.now()` of the last heartbeat (or of Hello). */
  lastHeartbeatAt: number;
  /** The client's send limit window. */
  readonly sendWindow: SlidingWindow;
  /** Pending close after op 7. */
  reconnectTimer: NodeJS.Timeout | undefined;
  /** An Identify waiting out the emulator's `identifyLag`. */
  identifyTimer: NodeJS.Timeout | undefined;
  private serverClose: { code: number; reason: string } | undefined;
  private dropped = false;
  private closed = false;
  private corked = false;
  private watchdog: NodeJS.Timeout | undefined;
  /** The watchdog's second look at a passed deadline, after the socket was read. */
  private watchdogLookAgain: NodeJS.Immediate | undefined;
  private writableWaiters: (() => void)[] = [];
  private markEnded: () => void = () => {};
  /** Resolves once the connection has closed (after the owner was told). */
  readonly ended = new Promise<void>((resolve) => (this.markEnded = resolve));

  constructor(
    readonly id: number,
    readonly path: GatewayPath,
    readonly query: Readonly<Record<string, string>>,
    private readonly ws: WebSocket,
    private readonly socket: Socket,
    private readonly encoder: FrameEncoder,
    sendLimit: { count: number; windowMs: number },
    private readonly events: ConnectionEvents,
  ) {
    this.lastHeartbeatAt = performance.now();
    this.sendWindow = new SlidingWindow(sendLimit.count, sendLimit.windowMs);
    ws.on('message', (data: Buffer) => events.message(this, data));
    // ws itself closes on a WebSocket protocol error (bad frame, invalid UTF-8, over 1 MiB): record it as ours.
    ws.on('error', (error: Error & { code?: string }) => {
      this.serverClose ??= { code: WS_ERROR_CLOSE_CODES[error.code ?? ''] ?? 1002, reason: error.message };
    });
    ws.on('close', (code, reason) => this.onClose(code, reason.toString()));
    socket.on('drain', () => this.wakeWriters());
  }

  /** Whether the connection can still send (not closing or closed). */
  get open(): boolean {
    return !this.closed && this.serverClose === undefined && !this.dropped && this.ws.readyState === 1;
  }

  /** Bytes waiting to be written to the socket. */
  get bufferedBytes(): number {
    return this.socket.writableLength;
  }

  /** The compression of this connection, if any. */
  get compress(): string | undefined {
    return this.query['compress'];
  }

  /** Sends one whole message (JSON text). Writes of one tick are corked into one syscall. */
  send(text: string): void {
    if (!this.open) return;
    this.cork();
    this.framesSent++;
    const data = this.encoder.encode(text);
    this.bytesSent += data.length;
    this.ws.send(data);
  }

  /** Sends a dispatch frame with sequence `s` (and an optional stamp). */
  sendDispatch(tpl: DispatchTemplate, s: number, stamp: number | undefined): void {
    if (!this.open) return;
    this.cork();
    this.framesSent++;
    const encoder = this.encoder;
    const data = encoder.encodeDispatch === undefined ? encoder.encode(renderDispatch(tpl, s, stamp)) : encoder.encodeDispatch(tpl, s, stamp);
    this.bytesSent += data.length;
    this.ws.send(data);
    this.sentSeq = s;
  }

  /** Lets the encoder do now what it would do on `tpl`'s first use (precompressed: compress it). */
  prepareDispatch(tpl: DispatchTemplate, stamped: boolean): void {
    this.encoder.prepareDispatch?.(tpl, stamped);
  }

  private cork(): void {
    if (this.corked) return;
    this.corked = true;
    this.socket.cork();
    process.nextTick(() => {
      this.corked = false;
      this.socket.uncork();
    });
  }

  /** Sends something that is not a valid message (see `brokenFrame`), bypassing the encoder. */
  sendRaw(data: string | Buffer): void {
    if (this.open) this.ws.send(data);
  }

  /** Resolves when the socket's buffer drains (or the connection ends). */
  whenWritable(): Promise<void> {
    if (!this.open || !this.socket.writableNeedDrain) return Promise.resolve();
    return new Promise((resolve) => this.writableWaiters.push(resolve));
  }

  /**
   * Watches for heartbeats: after `timeoutMs` without one (and not zombie or paused), reports it.
   * A passed deadline is judged again after the socket was read, so heartbeats that waited
   * unread while the emulator's own event loop was stalled still count (`heartbeat-watch.ts`).
   */
  watchHeartbeats(timeoutMs: number): void {
    const look = (lookAgainSince: number | undefined): void => {
      this.watchdog = undefined;
      this.watchdogLookAgain = undefined;
      // a closing handshake under way (the client's close frame came, or ours went): no heartbeat is owed any more
      if (this.closed || this.ws.readyState !== 1) return;
      const now = performance.now();
      if (this.zombie || this.paused) this.lastHeartbeatAt = now;
      const step = watchStep({ now, lastHeartbeatAt: this.lastHeartbeatAt, timeoutMs, lookAgainSince });
      if (step.kind === 'timed-out') this.events.heartbeatTimeout(this);
      else if (step.kind === 'look-again') this.watchdogLookAgain = setImmediate(() => look(now));
      else this.watchdog = setTimeout(() => look(undefined), step.inMs);
    };
    this.watchdog = setTimeout(() => look(undefined), timeoutMs);
  }

  /** Sends a close frame with `code`; the session fate is decided by the owner on 'closed'. */
  close(code: number, reason: string): void {
    // after the client's close frame the close is the client's: nothing of ours replaces it
    if (this.closed || this.serverClose !== undefined || this.dropped || this.ws.readyState !== 1) return;
    this.serverClose = { code, reason };
    this.ws.close(code, Buffer.from(reason).subarray(0, 123).toString());
    this.events.closing(this, code);
  }

  /** Destroys the TCP socket without a close frame. */
  drop(): void {
    if (this.closed) return;
    this.dropped = true;
    this.socket.destroy();
  }

  /** Destroys the socket at once, whatever its state (used when the emulator shuts down). */
  terminate(): void {
    if (!this.closed) this.ws.terminate();
  }

  /** Stops or restarts reading from the client. */
  setPaused(on: boolean): void {
    this.paused = on;
    if (on) this.socket.pause();
    else {
      this.lastHeartbeatAt = performance.now();
      this.socket.resume();
    }
  }

  private wakeWriters(): void {
    const waiters = this.writableWaiters;
    this.writableWaiters = [];
    for (const wake of waiters) wake();
  }

  private onClose(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    if (this.watchdog !== undefined) clearTimeout(this.watchdog);
    if (this.watchdogLookAgain !== undefined) clearImmediate(this.watchdogLookAgain);
    if (this.reconnectTimer !== undefined) clearTimeout(this.reconnectTimer);
    if (this.identifyTimer !== undefined) clearTimeout(this.identifyTimer);
    this.encoder.close();
    this.wakeWriters();
    if (this.serverClose !== undefined) this.events.closed(this, this.serverClose.code, this.serverClose.reason, 'server');
    else if (this.dropped) this.events.closed(this, 1006, '', 'drop');
    else if (code === 1006) this.events.closed(this, code, reason, 'network');
    else this.events.closed(this, code, reason, 'client');
    this.markEnded();
  }
}
