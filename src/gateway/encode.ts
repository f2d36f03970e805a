import * as E from 'fp-ts/lib/Either.js';
import { DisclusterError } from './errors.js';
import { MAX_SEND_BYTES } from './opcodes.js';

/** A payload the client sends: an opcode and its data. */
export interface OutgoingPayload {
  readonly op: number;
  readonly d: unknown;
}

/**
 * Serializes a payload for sending, refusing (instead of letting Discord close with 4002) one
 * over 4096 bytes or one that cannot be serialized. The error never includes the payload, which
 * may hold the token.
 */
export const encodePayload = (payload: OutgoingPayload): E.Either<DisclusterError, string> => {
  let text: string;
  try {
    text = JSON.stringify({ op: payload.op, d: payload.d });
  } catch (cause) {
    return E.left(new DisclusterError('ENCODE_INVALID', `op ${payload.op} payload cannot be serialized to JSON`, { cause }));
  }
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_SEND_BYTES) {
    return E.left(
      new DisclusterError('ENCODE_TOO_LARGE', `op ${payload.op} payload is ${bytes} bytes; the gateway accepts at most ${MAX_SEND_BYTES}`),
    );
  }
  return E.right(text);
};
