/**
 * What the emulator saw, as one ordered log of plain records, and `waitFor` to await one.
 *
 * Every record has `kind` and `at` (`performance.now()` in the emulator's process, ms).
 * - `open`: a WebSocket connection was accepted.
 * - `frame`: a payload the client sent (tokens replaced by `'[redacted]'`).
 * - `close`: a connection ended; `by` says who ended it.
 * - `session`: a session was created, resumed, detached, invalidated or expired.
 * - `violation`: the client broke a gateway rule (also listed in `gw.violations`).
 * - `http`: an HTTP request (e.g. `GET /gateway/bot`).
 */

/** The two paths the emulator accepts WebSocket upgrades on. */
export type GatewayPath = '/' | '/resume';

/** A WebSocket connection was accepted. */
export interface OpenRecord {
  readonly kind: 'open';
  readonly at: number;
  readonly connectionId: number;
  readonly shardId: undefined;
  readonly path: GatewayPath;
  /** The query parameters, e.g. `{ v: '10', encoding: 'json', compress: 'zlib-stream' }`. */
  readonly query: Readonly<Record<string, string>>;
}

/** A payload the client sent. */
export interface FrameRecord {
  readonly kind: 'frame';
  readonly at: number;
  readonly connectionId: number;
  /** The shard, once the connection identified or resumed (for Identify, from its `shard` field). */
  readonly shardId: number | undefined;
  readonly path: GatewayPath;
  /** The payload's `op`, or null when it was not a JSON object with a numeric `op`. */
  readonly op: number | null;
  /** The whole parsed payload with any `d.token` redacted, or the raw text (redacted) when it did not parse. */
  readonly payload: unknown;
  /** Size on the wire in bytes. */
  readonly bytes: number;
}

/** Who ended a connection. */
export type ClosedBy =
  /** the client sent a close frame */
  | 'client'
  /** the emulator sent a close frame */
  | 'server'
  /** the emulator destroyed the socket without a close frame (`drop`, `restart`) */
  | 'drop'
  /** the socket ended without a close frame from either side (client crash, network) */
  | 'network';

/** A connection ended. */
export interface CloseRecord {
  readonly kind: 'close';
  readonly at: number;
  readonly connectionId: number;
  readonly shardId: number | undefined;
  readonly path: GatewayPath;
  /** The close code sent by whoever closed first (1006 when there was no close frame). */
  readonly code: number;
  readonly reason: string;
  readonly by: ClosedBy;
  /** The shard count the connection identified (or resumed a session) with; undefined if it never did. */
  readonly numShards?: number | undefined;
}

/** Something that happened to a session. */
export interface SessionRecord {
  readonly kind: 'session';
  readonly at: number;
  readonly event: 'created' | 'resumed' | 'detached' | 'invalidated' | 'expired';
  readonly sessionId: string;
  readonly shardId: number;
  /** The session's shard count (`shard[1]` of its Identify; 1 without the field). */
  readonly numShards: number;
  readonly connectionId: number | undefined;
  /** The session's last sequence number at that moment. */
  readonly seq: number;
}

/** The rules the emulator enforces; each break is a {@link Violation}. */
export type ViolationRule =
  | 'identify-rate-limit'
  | 'session-start-limit'
  | 'send-rate-limit'
  | 'payload-too-large'
  | 'decode-error'
  | 'unknown-opcode'
  | 'invalid-payload'
  | 'not-authenticated'
  | 'already-authenticated'
  | 'authentication-failed'
  | 'invalid-shard'
  | 'sharding-required'
  | 'invalid-intents'
  | 'disallowed-intents'
  | 'invalid-seq'
  | 'heartbeat-timeout'
  | 'invalid-version'
  | 'unsupported-parameter';

/** A rule the client broke, and how the emulator answered. */
export interface Violation {
  readonly kind: 'violation';
  readonly at: number;
  readonly rule: ViolationRule;
  readonly connectionId: number | undefined;
  readonly shardId: number | undefined;
  /** The close code the emulator answered with, or undefined when it answered with op 9. */
  readonly code: number | undefined;
  readonly detail: string;
  /** The shard count of the connection's Identify (or resumed session), when known. */
  readonly numShards?: number | undefined;
}

/** An HTTP request to the emulator. */
export interface HttpRecord {
  readonly kind: 'http';
  readonly at: number;
  readonly method: string;
  readonly path: string;
  readonly status: number;
}

/** One entry of `gw.records`. */
export type EmulatorRecord = OpenRecord | FrameRecord | CloseRecord | SessionRecord | Violation | HttpRecord;

/** A test on records, optionally narrowing the type. */
export type RecordPredicate<R extends EmulatorRecord = EmulatorRecord> =
  | ((record: EmulatorRecord) => record is R)
  | ((record: EmulatorRecord) => boolean);
