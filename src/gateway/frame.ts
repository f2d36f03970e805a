import * as E from 'fp-ts/lib/Either.js';
import { PathReporter } from 'io-ts/lib/PathReporter.js';
import { FrameCodec, type Frame } from './codecs.js';
import { readDispatchHead, type DispatchHead } from './dispatch-head.js';
import { DisclusterError } from './errors.js';

/** Parses one message text into a validated frame envelope. Never throws. */
export const parseFrame = (text: string): E.Either<DisclusterError, Frame> => {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    return E.left(new DisclusterError('DECODE_INVALID_JSON', `a gateway message is not valid JSON (${text.length} chars)`, { cause }));
  }
  if (isPlainDispatch(value)) return E.right(value);
  if (FrameCodec.is(value) && (value.op !== 0 || (typeof value.t === 'string' && typeof value.s === 'number'))) {
    return E.right(value);
  }
  const why = FrameCodec.is(value) ? 'a dispatch without t or s' : PathReporter.report(FrameCodec.decode(value)).join('; ');
  return E.left(new DisclusterError('DECODE_INVALID_FRAME', `a gateway message is not a valid frame: ${truncate(why, 300)}`));
};

/**
 * The shape of nearly every message, checked by hand: a dispatch whose envelope `FrameCodec`
 * accepts (op 0, `t` a string, `s` a non-negative integer). Anything else goes through the
 * codec, which also explains what is wrong. `test/properties` holds that every value this
 * accepts, the codec accepts.
 */
export const isPlainDispatch = (value: unknown): value is Frame & { op: 0; t: string; s: number } => {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const frame = value as { op?: unknown; t?: unknown; s?: unknown };
  return frame.op === 0 && typeof frame.t === 'string' && typeof frame.s === 'number' && Number.isInteger(frame.s) && frame.s >= 0;
};

export type { DispatchHead } from './dispatch-head.js';

/**
 * Reads `t` and `s` of a dispatch from its text without parsing `d`, whatever the order of its
 * top-level keys (see `readDispatchHead`). Returns undefined for anything else; the caller then
 * parses the whole frame. Lets a shard skip events nobody wants.
 */
export const peekDispatch = (text: string): DispatchHead | undefined => readDispatchHead(text, text);

const truncate = (text: string, max: number): string => (text.length > max ? `${text.slice(0, max)}…` : text);
