import { Observable, type Subscriber, type Subscription, type Unsubscribable } from 'rxjs';
import WebSocket from 'ws';
import { HelloCodec, ReadyCodec } from '../gateway/codecs.js';
import { createDecoder, type MessageDecoder } from '../gateway/decoder.js';
import type { InflateSink, OversizeMessage } from '../gateway/inflate.js';
import { encodePayload, type OutgoingPayload } from '../gateway/encode.js';
import type { DisclusterError } from '../gateway/errors.js';
import { HeartbeatClock, type HeartbeatListener, type HeartbeatSignal } from './heartbeat.js';
import type { LeaseEvent } from './identify-lease.js';
import { IdentifyPlace } from './identify-place.js';
import type { CommandLimiter } from './limiter.js';
import type { ResolvedShardOptions } from './options.js';
import { readTurn } from './read-turn.js';
import { openSocket, pauseReading, resumeReading, type SocketOwner } from './connection-socket.js';
import { heartbeatText, identifyPayload, resumePayload } from './payloads.js';
import { invalidHello, invalidReady, snapshot } from './connection-report.js';
import { HELLO_TIMEOUT, READY_TIMEOUT, reportEnd, timedOut } from './connection-end.js';
import { type ConnectionEnd, gatewayUrl, isSafeResumeUrl, nextStep } from './session.js';
import { endUnreadable, type ReadingConnection, readMessage, readOversize, skipUnwanted } from './connection-read.js';
import type { HandshakePhase } from './unreadable.js';
import type { ShardState } from './shard-state.js';
import { FRAME_TEXT } from './frame-text.js';
import { SESSION_ID } from './dispatch-session.js';
import type { ShardDispatchEvent, ShardEvent, ShardStatus } from './types.js';

/**
 * One connection to the gateway, as a cold Observable: connects, identifies or resumes, beats,
 * and emits the shard's events until the connection ends. Before completing it records in
 * `state.next` what the shard does next and emits the matching events (`status`, `session-lost`,
 * `fatal`). While open it is `state.live`, where a stop request reaches it. Unsubscribing closes
 * the socket and clears every timer.
 */
export const connection = (
  options: ResolvedShardOptions,
  state: ShardState,
  limiter: CommandLimiter,
): Observable<ShardEvent> => new Observable<ShardEvent>((subscriber) => new Connection(options, state, limiter, subscriber));

/** Where a connection is on its way to READY. */
interface Progress {
  resuming: boolean;
  helloSeen: boolean;
  granted: boolean;
  sentSession: boolean;
  seqBeforeReady: number | null;
}

/**
 * One subscription of `connection`. A class with shared methods, not a nest of closures: a
 * shard holds one for as long as it is connected, and an idle shard should cost little more
 * than its socket and its inflate context. The socket's listeners are module functions that
 * find the connection on the socket (connection-socket.ts).
 */
class Connection implements InflateSink, HeartbeatListener, SocketOwner, ReadingConnection, Unsubscribable {
  readonly shardId: number;
  readonly wanted: ReadonlySet<string> | undefined;
  private readonly ws: WebSocket;
  private readonly decoder: MessageDecoder;
  /** Null once READY or RESUMED: nothing about the handshake needs keeping after that. */
  private progress: Progress | null;
  private heartbeat: HeartbeatClock | null = null;
  private helloTimer: Subscription | null;
  private readyTimer: Subscription | null = null;
  /** This connection's place in the identify queue, when it identifies through one. */
  private place: IdentifyPlace | null = null;
  private ended = false;
  private completeOnClose = false;

  constructor(
    private readonly options: ResolvedShardOptions,
    readonly state: ShardState,
    private readonly limiter: CommandLimiter,
    private readonly subscriber: Subscriber<ShardEvent>,
  ) {
    const { shardId } = options;
    this.shardId = shardId;
    this.wanted = options.events === undefined ? undefined : new Set(options.events);
    this.progress = { resuming: state.session !== null, helloSeen: false, granted: false, sentSession: false, seqBeforeReady: null };
    const url = state.session !== null && isSafeResumeUrl(state.session.resumeUrl) ? state.session.resumeUrl : options.url;
    this.status('connecting');
    this.ws = openSocket(gatewayUrl(url, options.compression), options, this);
    const skip = this.wanted === undefined ? undefined : (head: string, tail: string | (() => string)) => skipUnwanted(this, head, tail);
    this.decoder = createDecoder({ compression: options.compression, maxMessageBytes: options.maxMessageBytes, ...(skip ? { skip } : {}) }, this);
    this.helloTimer = options.scheduler.schedule(timedOut, options.helloTimeoutMs, { connection: this, why: HELLO_TIMEOUT });
    state.live = this;
    // last: the queue may refuse at once (budget spent), which ends this connection right here
    if (state.session === null) this.register();
  }

  /** The shard is asked to stop: close, with 1000 unless the session is to be kept. */
  stop(request: { readonly keepSession: boolean }): void {
    this.end({ type: 'stopped', keepSession: request.keepSession });
  }

  /** Unsubscribed: close the socket (a normal close, unless sessions are kept) and clear every timer. */
  unsubscribe(): void {
    readTurn.forget(this);
    if (this.ended) {
      if (this.ws.readyState !== WebSocket.CLOSED) this.ws.terminate();
      return;
    }
    this.release();
    this.ws.close(this.options.keepSessionOnUnsubscribe ? 4000 : 1000);
  }

  /** The socket is open: the limiter may write to it. */
  opened(): void {
    const { ws } = this;
    this.limiter.attach((text) => {
      if (ws.readyState === WebSocket.OPEN) ws.send(text);
    });
  }

  /** Bytes came in (socket-bytes.ts): a connection delivering is alive, even with its ACK queued behind a storm or a frame not yet whole. */
  bytesArrived(): void {
    this.heartbeat?.inbound();
  }

  /** One raw frame from the socket. */
  received(data: WebSocket.RawData, isBinary: boolean): void {
    readTurn.receive(this, data, isBinary); // now, or at a later turn once this one has spent its budget (read-turn.ts)
  }

  /** One frame, in its turn. */
  handleFrame(data: WebSocket.RawData, isBinary: boolean): void {
    this.decoder.push(data, isBinary);
  }

  /** The turn's budget is spent: stop reading until this connection's backlog is handled (the heartbeat counts it as delivering). */
  pause(): void {
    this.heartbeat?.hold(true);
    pauseReading(this.ws); // nothing read ahead: the kernel holds what comes next (socket-hold.ts)
  }

  resume(): void {
    this.heartbeat?.hold(false);
    resumeReading(this.ws);
  }

  /** The socket closed. */
  closed(code: number): void {
    this.leaseEvent('socket-closed');
    if (!this.ended) this.end({ type: 'closed', code });
    else if (this.completeOnClose) this.subscriber.complete();
  }

  /** A whole message from the decoder (connection-read.ts routes it). */
  message(text: string): void {
    readMessage(this, text);
  }

  /** From the decoder: a message over `maxMessageBytes`, already discarded. */
  oversize(message: OversizeMessage): void {
    readOversize(this, message);
  }

  handshakePhase(): HandshakePhase {
    const { progress } = this;
    return { helloSeen: progress?.helloSeen ?? true, awaitingReady: progress !== null && progress.sentSession && !progress.resuming };
  }

  heartbeatFrame(op: 1 | 11): void {
    if (op === 1) this.heartbeat?.request();
    else this.heartbeat?.ack();
  }

  invalidSession(resumable: boolean): void {
    this.leaseEvent('invalid-session');
    this.end({ type: 'invalid-session', resumable });
  }

  report(event: ShardEvent): void {
    this.subscriber.next(event);
  }

  /** The decoder failed: the stream cannot be read any further. */
  error(error: DisclusterError): void {
    this.end({ type: 'decode-error', error });
  }

  heartbeatSignal(signal: HeartbeatSignal): boolean | void {
    if (signal.type === 'beat') return this.limiter.sendHeartbeat(heartbeatText(this.state.session?.seq ?? this.progress?.seqBeforeReady ?? null), this.heartbeat!);
    else if (signal.type === 'ack') this.subscriber.next({ type: 'heartbeat', shardId: this.shardId, latencyMs: signal.latencyMs });
    else this.end({ type: 'zombie' });
  }

  /** The identify queue granted this shard its turn. */
  granted(): void {
    if (this.progress === null) return;
    this.progress.granted = true;
    this.identifyWhenReady();
  }

  moveSeq(s: number): void {
    if (this.state.session !== null) this.state.session.seq = s;
    else if (this.progress !== null) this.progress.seqBeforeReady = s;
  }

  dispatch(t: string, s: number, d: unknown, text: string): void {
    this.moveSeq(s);
    if (t === 'READY') {
      if (!ReadyCodec.is(d)) return endUnreadable(this, 'READY', invalidReady().message);
      this.state.session = { sessionId: d.session_id, resumeUrl: d.resume_gateway_url, seq: s };
      this.subscriber.next({ type: 'session', shardId: this.shardId, session: snapshot(this.state.session, this.options) });
      this.status('ready');
      this.gateOpened();
    } else if (t === 'RESUMED') {
      if (this.state.session !== null) this.subscriber.next({ type: 'session', shardId: this.shardId, session: snapshot(this.state.session, this.options) });
      this.status('resumed');
      this.gateOpened();
    }
    if (this.wanted === undefined || this.wanted.has(t)) this.subscriber.next({ type: 'dispatch', shardId: this.shardId, t, s, d, [FRAME_TEXT]: text, [SESSION_ID]: this.state.session?.sessionId } as ShardDispatchEvent);
  }

  hello(d: unknown): void {
    if (!HelloCodec.is(d)) return endUnreadable(this, 'Hello', invalidHello().message);
    if (this.progress === null || this.progress.helloSeen) return; // Hello comes once; a repeat changes nothing
    this.helloTimer?.unsubscribe();
    this.helloTimer = null;
    this.heartbeat?.stop();
    this.heartbeat = new HeartbeatClock(d.heartbeat_interval, this.options.scheduler, this.options.random, this);
    if (readTurn.holds(this)) this.heartbeat.hold(true);
    this.progress.helloSeen = true;
    this.state.unreachableInARow = 0;
    const { session } = this.state;
    this.status(session !== null ? 'resuming' : 'identifying');
    if (session !== null) this.sendSession(resumePayload(this.options.token, session));
    else this.identifyWhenReady();
  }

  /** Takes a place in the identify queue now, in subscription order (identify-place.ts). */
  private register(): void {
    const queue = this.options.identifyQueue;
    if (queue === undefined) this.progress!.granted = true;
    else this.place = new IdentifyPlace(queue, this.shardId, this);
  }

  /** Identifies once Hello has come and the queue has granted this shard its turn. */
  private identifyWhenReady(): void {
    const progress = this.progress;
    if (progress === null || !progress.granted || !progress.helloSeen || progress.sentSession || this.ended) return;
    this.sendSession(identifyPayload(this.options));
    this.leaseEvent('identify-sent');
  }

  /** Tells the identify place what happened: it lets its lease go when the event calls for it. */
  private leaseEvent(event: LeaseEvent): void {
    this.place?.event(event);
  }

  private sendSession(payload: OutgoingPayload): void {
    const encoded = encodePayload(payload);
    if (encoded._tag === 'Left') return this.end({ type: 'decode-error', error: encoded.left });
    this.progress!.sentSession = true;
    this.limiter.send('session', encoded.right);
    this.readyTimer = this.options.scheduler.schedule(timedOut, this.options.readyTimeoutMs, { connection: this, why: READY_TIMEOUT });
  }

  private gateOpened(): void {
    this.readyTimer?.unsubscribe();
    this.readyTimer = null;
    this.leaseEvent('ready');
    this.progress = null;
    this.state.failedResumes = 0;
    this.state.lastUnreadable = null;
    this.limiter.openGate();
  }

  private status(value: ShardStatus, extra?: { code?: number; reason?: string }): void {
    this.subscriber.next({ type: 'status', shardId: this.shardId, status: value, ...extra });
  }

  private release(): void {
    this.ended = true;
    this.helloTimer?.unsubscribe();
    this.readyTimer?.unsubscribe();
    this.leaseEvent('ending'); // held until the socket closes if the identify was sent
    this.heartbeat?.stop();
    if (this.state.live === this) this.state.live = null;
    this.limiter.detach();
    this.decoder.close();
  }

  /** Ends the connection: decides the next step, reports it, and closes the socket. */
  end(why: ConnectionEnd): void {
    if (this.ended) return;
    const resumeSent = this.progress !== null && this.progress.resuming && this.progress.sentSession;
    this.release();
    const { state } = this;
    if (resumeSent && why.type !== 'stopped') state.failedResumes++;
    const step = nextStep(why, state.session !== null, state.failedResumes);
    state.next = step;
    reportEnd(why, step, state, this.shardId, this.subscriber, this.progress !== null && !this.progress.helloSeen);
    const code = why.type === 'stopped' && !why.keepSession ? 1000 : 4000;
    if (this.ws.readyState === WebSocket.CLOSED) return this.subscriber.complete();
    this.ws.close(code);
    if (step.type === 'stop') this.completeOnClose = true;
    else this.subscriber.complete();
  }
}
