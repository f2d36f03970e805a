/**
 * What a connection does with each message its decoder hands it: route a gateway frame by its
 * opcode, skip an unwanted dispatch by its ends, and deal with a message it cannot read (skip and
 * report a dispatch; end the connection on one the handshake needs, unreadable.ts decides). Plain
 * functions over the connection: a shard's reading costs no closures.
 */
import { InvalidSessionCodec } from '../gateway/codecs.js';
import { readDispatchHead, readEnvelopeHead } from '../gateway/dispatch-head.js';
import { parseFrame } from '../gateway/frame.js';
import type { OversizeMessage } from '../gateway/inflate.js';
import type { ConnectionEnd } from './session.js';
import type { ShardState } from './shard-state.js';
import type { ShardEvent, UnreadableReason } from './types.js';
import { type EssentialMessage, essentialEnd, type HandshakePhase, judgeUnreadable, unreadableReason } from './unreadable.js';

/** Dispatches parsed even when `events` leaves them out: the session needs them. */
const ALWAYS_PARSED = new Set(['READY', 'RESUMED']);

/** A connection as its reading sees it. */
export interface ReadingConnection {
  readonly shardId: number;
  /** The dispatch names the shard wants (`events`), or undefined for all. */
  readonly wanted: ReadonlySet<string> | undefined;
  readonly state: ShardState;
  /** Where the handshake is, to judge whether an unreadable message was one it needs. */
  handshakePhase(): HandshakePhase;
  moveSeq(s: number): void;
  dispatch(t: string, s: number, d: unknown, text: string): void;
  hello(d: unknown): void;
  /** op 1 (send a heartbeat now) or op 11 (ACK). */
  heartbeatFrame(op: 1 | 11): void;
  /** op 9: the identify place hears of it before the connection ends. */
  invalidSession(resumable: boolean): void;
  end(why: ConnectionEnd): void;
  report(event: ShardEvent): void;
}

/** A whole message from the decoder (with `events` set, the decoder has already dropped the unwanted). */
export const readMessage = (connection: ReadingConnection, text: string): void => {
  const parsed = parseFrame(text);
  if (parsed._tag === 'Left') return unreadable(connection, unreadableReason(parsed.left.code), text.length, text.slice(0, 96), text.slice(-96));
  const frame = parsed.right;
  switch (frame.op) {
    case 0:
      return connection.dispatch(frame.t as string, frame.s as number, frame.d, text);
    case 1:
    case 11:
      return connection.heartbeatFrame(frame.op);
    case 7:
      return connection.end({ type: 'reconnect-requested' });
    case 9:
      return connection.invalidSession(InvalidSessionCodec.is(frame.d) && frame.d);
    case 10:
      return connection.hello(frame.d);
  }
};

/** From the decoder: a message over `maxMessageBytes`, already discarded. */
export const readOversize = (connection: ReadingConnection, message: OversizeMessage): void =>
  unreadable(connection, 'too-large', message.bytes, message.head, message.tail);

/** A message that cannot be read is skipped and reported, unless the handshake needs it (unreadable.ts). */
const unreadable = (connection: ReadingConnection, reason: UnreadableReason, bytes: number, head: string, tail: string): void => {
  const verdict = judgeUnreadable(readEnvelopeHead(head, tail), connection.handshakePhase());
  if (verdict.type === 'essential') return endUnreadable(connection, verdict.what, `${reason}, ${bytes} bytes`);
  if (verdict.known.s !== undefined) connection.moveSeq(verdict.known.s);
  connection.report({ type: 'message-dropped', shardId: connection.shardId, reason, bytes, ...verdict.known });
};

/** Ends the connection over an essential message it could not read: the same failure twice in a row is fatal. */
export const endUnreadable = (connection: ReadingConnection, what: EssentialMessage, detail: string): void => {
  const { end, signature } = essentialEnd(what, detail, connection.state.lastUnreadable);
  connection.state.lastUnreadable = signature;
  connection.end(end);
};

/** With `events` set: a dispatch nobody wants only moves the sequence, read from its ends (any key order). */
export const skipUnwanted = (connection: ReadingConnection, head: string, tail: string | (() => string)): boolean => {
  const peeked = readDispatchHead(head, tail);
  if (peeked === undefined || connection.wanted === undefined || connection.wanted.has(peeked.t) || ALWAYS_PARSED.has(peeked.t)) return false;
  connection.moveSeq(peeked.s);
  return true;
};
