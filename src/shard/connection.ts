import { Observable, Subject, Subscription } from 'rxjs';
import WebSocket from 'ws';
import { HelloCodec, InvalidSessionCodec, ReadyCodec } from '../gateway/codecs.js';
import { createDecoder } from '../gateway/decoder.js';
import { encodePayload, type OutgoingPayload } from '../gateway/encode.js';
import { DisclusterError, isDisclusterError } from '../gateway/errors.js';
import { parseFrame, peekDispatch } from '../gateway/frame.js';
import { heartbeat } from './heartbeat.js';
import type { CommandLimiter } from './limiter.js';
import type { ResolvedShardOptions } from './options.js';
import { heartbeatText, identifyPayload, resumePayload } from './payloads.js';
import { type ConnectionEnd, gatewayUrl, isSafeResumeUrl, type LiveSession, type NextStep, nextStep } from './session.js';
import type { ShardEvent, ShardStatus } from './types.js';

/** What a shard keeps across its connections. */
export interface ShardState {
  session: LiveSession | null;
  failedResumes: number;
  /** Decided when the last connection ended. */
  next: NextStep | null;
  stopRequest: { readonly keepSession: boolean } | null;
}

/** The User-Agent sent on the WebSocket upgrade, as Discord asks bots to. */
export const USER_AGENT = 'DiscordBot (@discluster/cluster, 0.1.0)';

/** Milliseconds a closing socket may wait for the server's close frame before it is destroyed. */
const CLOSE_TIMEOUT_MS = 2_000;

const ALWAYS_PARSED = new Set(['READY', 'RESUMED']);

/**
 * One connection to the gateway, as a cold Observable: connects, identifies or resumes, beats,
 * and emits the shard's events until the connection ends. Before completing it records in
 * `state.next` what the shard does next and emits the matching events (`status`, `session-lost`,
 * `fatal`). Unsubscribing closes the socket and clears every timer.
 */
export const connection = (
  options: ResolvedShardOptions,
  state: ShardState,
  limiter: CommandLimiter,
  stop$: Subject<{ readonly keepSession: boolean }>,
): Observable<ShardEvent> =>
  new Observable<ShardEvent>((subscriber) => {
    const { scheduler, shardId } = options;
    const wanted = options.events === undefined ? undefined : new Set(options.events);
    const resuming = state.session !== null;
    const status = (value: ShardStatus, extra?: { code?: number; reason?: string }) =>
      subscriber.next({ type: 'status', shardId, status: value, ...extra });
    const timers = new Subscription();
    const ack$ = new Subject<void>();
    const request$ = new Subject<void>();
    let ended = false;
    let sentSession = false;
    let seqBeforeReady: number | null = null;
    let readyTimer: Subscription | null = null;
    let completeOnClose = false;
    let helloSeen = false;
    let granted = false;
    const lease = new Subscription();

    const url = state.session !== null && isSafeResumeUrl(state.session.resumeUrl) ? state.session.resumeUrl : options.url;
    status('connecting');
    const ws = new WebSocket(gatewayUrl(url, options.compression), {
      perMessageDeflate: false,
      maxPayload: options.maxMessageBytes,
      closeTimeout: CLOSE_TIMEOUT_MS,
      headers: { 'User-Agent': USER_AGENT },
    } as WebSocket.ClientOptions);

    const write = (text: string) => {
      if (ws.readyState === WebSocket.OPEN) ws.send(text);
    };

    const sendSession = (payload: OutgoingPayload) => {
      const encoded = encodePayload(payload);
      if (encoded._tag === 'Left') return end({ type: 'decode-error', error: encoded.left });
      sentSession = true;
      limiter.send('session', encoded.right);
      readyTimer = scheduler.schedule(() => end({ type: 'ready-timeout' }), options.readyTimeoutMs);
      timers.add(readyTimer);
    };

    const gateOpened = () => {
      readyTimer?.unsubscribe();
      state.failedResumes = 0;
      limiter.openGate();
    };

    const onDispatch = (t: string, s: number, d: unknown) => {
      if (state.session !== null) state.session.seq = s;
      else seqBeforeReady = s;
      if (t === 'READY') {
        if (!ReadyCodec.is(d)) return end({ type: 'decode-error', error: invalidReady() });
        state.session = { sessionId: d.session_id, resumeUrl: d.resume_gateway_url, seq: s };
        subscriber.next({ type: 'session', shardId, session: snapshot(state.session, options) });
        status('ready');
        gateOpened();
      } else if (t === 'RESUMED') {
        if (state.session !== null) subscriber.next({ type: 'session', shardId, session: snapshot(state.session, options) });
        status('resumed');
        gateOpened();
      }
      if (wanted === undefined || wanted.has(t)) subscriber.next({ type: 'dispatch', shardId, t, s, d });
    };

    const onHello = (d: unknown) => {
      if (!HelloCodec.is(d)) return end({ type: 'decode-error', error: invalidHello() });
      helloTimer.unsubscribe();
      timers.add(
        heartbeat(d.heartbeat_interval, ack$, request$, scheduler, options.random).subscribe((signal) => {
          if (signal.type === 'beat') limiter.send('heartbeat', heartbeatText(state.session?.seq ?? seqBeforeReady));
          else if (signal.type === 'ack') subscriber.next({ type: 'heartbeat', shardId, latencyMs: signal.latencyMs });
          else end({ type: 'zombie' });
        }),
      );
      helloSeen = true;
      status(state.session !== null ? 'resuming' : 'identifying');
      if (state.session !== null) sendSession(resumePayload(options.token, state.session));
      else identifyWhenGranted();
    };

    /** Identifies once Hello has come and the queue has granted this shard its turn. */
    const identifyWhenGranted = () => {
      if (!granted || !helloSeen || sentSession || ended) return;
      sendSession(identifyPayload(options));
      lease.unsubscribe();
    };

    /** With `events` set: a dispatch nobody wants only moves the sequence, read from its head. */
    const skip = (head: string): boolean => {
      const peeked = peekDispatch(head);
      if (peeked === undefined || wanted === undefined || wanted.has(peeked.t) || ALWAYS_PARSED.has(peeked.t)) return false;
      if (state.session !== null) state.session.seq = peeked.s;
      else seqBeforeReady = peeked.s;
      return true;
    };

    const onText = (text: string) => {
      if (wanted !== undefined && skip(text)) return;
      const parsed = parseFrame(text);
      if (parsed._tag === 'Left') return end({ type: 'decode-error', error: parsed.left });
      const frame = parsed.right;
      switch (frame.op) {
        case 0:
          return onDispatch(frame.t as string, frame.s as number, frame.d);
        case 1:
          return request$.next();
        case 7:
          return end({ type: 'reconnect-requested' });
        case 9:
          return end({ type: 'invalid-session', resumable: InvalidSessionCodec.is(frame.d) && frame.d });
        case 10:
          return onHello(frame.d);
        case 11:
          return ack$.next();
      }
    };

    const decoder = createDecoder(
      { compression: options.compression, maxMessageBytes: options.maxMessageBytes, ...(wanted === undefined ? {} : { skip }) },
      { message: onText, error: (error) => end({ type: 'decode-error', error }) },
    );
    ws.on('open', () => limiter.attach(write));
    ws.on('message', (data, isBinary) => decoder.push(data, isBinary));
    ws.on('error', () => {}); // every error is followed by 'close', which ends the connection.
    ws.on('close', (code) => {
      if (!ended) end({ type: 'closed', code });
      else if (completeOnClose) subscriber.complete();
    });
    if (!resuming) {
      // Register with the identify queue now, in subscription order, and hold the lease until
      // identify is sent: the queue counts the bucket's window from the release.
      timers.add(lease);
      const queue = options.identifyQueue;
      if (queue === undefined) granted = true;
      else {
        lease.add(
          queue.acquire(shardId).subscribe({
            next: () => {
              granted = true;
              identifyWhenGranted();
            },
            error: (error: unknown) =>
              end(isDisclusterError(error, 'IDENTIFY_BUDGET_EXHAUSTED') ? { type: 'identify-refused', error } : { type: 'identify-error' }),
            complete: () => granted || end({ type: 'identify-error' }),
          }),
        );
      }
    }
    const helloTimer = scheduler.schedule(() => end({ type: 'hello-timeout' }), options.helloTimeoutMs);
    timers.add(helloTimer);
    timers.add(stop$.subscribe((request) => end({ type: 'stopped', keepSession: request.keepSession })));

    const release = () => {
      ended = true;
      timers.unsubscribe();
      limiter.detach();
      decoder.close();
    };

    function end(why: ConnectionEnd): void {
      if (ended) return;
      release();
      if (resuming && sentSession && why.type !== 'stopped') state.failedResumes++;
      const step = nextStep(why, state.session !== null, state.failedResumes);
      state.next = step;
      const detail = describeEnd(why);
      switch (step.type) {
        case 'resume':
          status('reconnecting', detail);
          break;
        case 'identify':
          dropSession(step.lost);
          status('reconnecting', detail);
          break;
        case 'fatal':
          dropSession(null);
          subscriber.next({ type: 'fatal', shardId, code: step.code, reason: step.reason, kind: step.kind });
          status('closed', detail);
          break;
        case 'stop':
          if (why.type === 'stopped' && !why.keepSession) dropSession(null);
          status('closed', detail);
          break;
      }
      const code = why.type === 'stopped' && !why.keepSession ? 1000 : 4000;
      if (ws.readyState === WebSocket.CLOSED) return subscriber.complete();
      ws.close(code);
      if (step.type === 'stop') completeOnClose = true;
      else subscriber.complete();
    }

    function dropSession(lost: string | null): void {
      const session = state.session;
      if (session === null) return;
      state.session = null;
      state.failedResumes = 0;
      if (lost !== null) subscriber.next({ type: 'session-lost', shardId, sessionId: session.sessionId, lastSeq: session.seq, reason: lost });
      subscriber.next({ type: 'session', shardId, session: null });
    }

    return () => {
      if (ended) {
        if (ws.readyState !== WebSocket.CLOSED) ws.terminate();
        return;
      }
      release();
      ws.close(options.keepSessionOnUnsubscribe ? 4000 : 1000);
    };
  });

/** A session as the shard's public snapshot. */
export const snapshot = (session: LiveSession, options: ResolvedShardOptions) => ({
  sessionId: session.sessionId,
  seq: session.seq,
  resumeUrl: session.resumeUrl,
  shardId: options.shardId,
  totalShards: options.totalShards,
});

const describeEnd = (why: ConnectionEnd): { code?: number; reason: string } => {
  switch (why.type) {
    case 'closed':
      return { code: why.code, reason: `closed with code ${why.code}` };
    case 'decode-error':
    case 'identify-refused':
      return { reason: why.error.message };
    case 'invalid-session':
      return { reason: `invalid session (resumable: ${why.resumable})` };
    default:
      return { reason: why.type };
  }
};

const invalidReady = () => new DisclusterError('DECODE_INVALID_FRAME', 'READY without session_id or resume_gateway_url');
const invalidHello = () => new DisclusterError('DECODE_INVALID_FRAME', 'Hello without a positive heartbeat_interval');
