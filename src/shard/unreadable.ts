/**
 * What a shard does with a message it cannot read (over `maxMessageBytes`, not JSON, no gateway
 * frame): pure decisions, the connection acts on them. A dispatch is skipped and reported, and
 * the connection keeps its session and sequence: the gateway would replay the same message on a
 * resume and send it again after an identify, so ending the connection would only loop. A message
 * the protocol cannot do without (Hello, READY, RESUMED) ends the connection instead; the same
 * failure twice in a row is a fatal of kind `unreadable`, never a loop.
 */
import type { EnvelopeHead } from '../gateway/dispatch-head.js';
import type { ErrorCode } from '../gateway/errors.js';
import type { ConnectionEnd } from './session.js';
import type { UnreadableReason } from './types.js';

/** The messages a connection cannot go on without. */
export type EssentialMessage = 'Hello' | 'READY' | 'RESUMED';

/** Where a connection is in its handshake, as far as an unreadable message is concerned. */
export interface HandshakePhase {
  /** Hello has been read. */
  readonly helloSeen: boolean;
  /** Identify was sent and READY has not come: the next dispatch is READY. */
  readonly awaitingReady: boolean;
}

/** Skip the message (moving the sequence to `s` when known), or end the connection: it was one the protocol needs. */
export type UnreadableVerdict =
  | { readonly type: 'skip'; readonly known: { readonly t?: string; readonly s?: number } }
  | { readonly type: 'essential'; readonly what: EssentialMessage };

/**
 * Judges an unreadable message by what its ends showed (`readEnvelopeHead`). Hello (op 10),
 * READY and RESUMED are essential; so is a message whose ends tell nothing while the connection
 * waits for Hello, or for READY after identifying. Everything else is skipped.
 */
export const judgeUnreadable = (head: EnvelopeHead, phase: HandshakePhase): UnreadableVerdict => {
  if (head.op === 10) return { type: 'essential', what: 'Hello' };
  if (head.t === 'READY' || head.t === 'RESUMED') return { type: 'essential', what: head.t };
  if (head.op === undefined) {
    if (!phase.helloSeen) return { type: 'essential', what: 'Hello' };
    if (phase.awaitingReady) return { type: 'essential', what: 'READY' };
  }
  if (head.op !== 0) return { type: 'skip', known: {} };
  return { type: 'skip', known: { ...(head.t !== undefined ? { t: head.t } : {}), ...(head.s !== undefined ? { s: head.s } : {}) } };
};

/** The reason of a parse failure, by its error code. */
export const unreadableReason = (code: ErrorCode): UnreadableReason => (code === 'DECODE_INVALID_JSON' ? 'invalid-json' : 'invalid-frame');

/**
 * The end of a connection on an essential message it could not read. `last` is the previous such
 * failure of the shard since it was last READY (null if none); the returned `signature` is to be
 * kept in its place. The same failure twice in a row is `repeated`: `nextStep` makes it fatal.
 */
export const essentialEnd = (what: EssentialMessage, detail: string, last: string | null): { end: ConnectionEnd; signature: string } => {
  const signature = `${what}: ${detail}`;
  return { end: { type: 'unreadable', what, detail, repeated: signature === last }, signature };
};
