import * as E from 'fp-ts/lib/Either.js';
import { PathReporter } from 'io-ts/lib/PathReporter.js';
import { FrameCodec, type Frame } from './codecs.js';
import { DisclusterError } from './errors.js';

/** Parses one message text into a validated frame envelope. Never throws. */
export const parseFrame = (text: string): E.Either<DisclusterError, Frame> => {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    return E.left(new DisclusterError('DECODE_INVALID_JSON', `a gateway message is not valid JSON (${text.length} chars)`, { cause }));
  }
  if (FrameCodec.is(value) && (value.op !== 0 || (typeof value.t === 'string' && typeof value.s === 'number'))) {
    return E.right(value);
  }
  const why = FrameCodec.is(value) ? 'a dispatch without t or s' : PathReporter.report(FrameCodec.decode(value)).join('; ');
  return E.left(new DisclusterError('DECODE_INVALID_FRAME', `a gateway message is not a valid frame: ${truncate(why, 300)}`));
};

/** The head of a dispatch read without parsing its data. */
export interface DispatchHead {
  readonly t: string;
  readonly s: number;
}

/** How a dispatch in Discord's usual key order begins. */
const PREFIX = '{"t":"';

const PREFIX_BYTES = Buffer.from(PREFIX);
const SEQ_BYTES = Buffer.from('","s":');
const OP0_BYTES = Buffer.from(',"op":0,"d":');
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

const startsWithAt = (bytes: Buffer, at: number, end: number, expected: Buffer): boolean => {
  if (at + expected.length > end) return false;
  for (let i = 0; i < expected.length; i++) if (bytes[at + i] !== expected[i]) return false;
  return true;
};

/**
 * Reads `t` and `s` of a dispatch from the first raw UTF-8 bytes of its message
 * (`bytes[0..end)`), without decoding or parsing the rest, when it has Discord's usual key
 * order (`{"t":"NAME","s":N,"op":0,"d":…`). Returns undefined for any other shape; the caller
 * then parses the whole frame. A dispatch nobody wants thus costs neither text nor parsing.
 */
export const peekDispatchBytes = (bytes: Buffer, end: number): DispatchHead | undefined => {
  if (!startsWithAt(bytes, 0, end, PREFIX_BYTES)) return undefined;
  const nameStart = PREFIX_BYTES.length;
  let nameEnd = nameStart;
  for (; nameEnd < end && nameEnd - nameStart <= 64; nameEnd++) {
    const c = bytes[nameEnd]!;
    if (c === QUOTE) break;
    if (c === BACKSLASH || c >= 0x80) return undefined;
  }
  if (!startsWithAt(bytes, nameEnd, end, SEQ_BYTES)) return undefined;
  let i = nameEnd + SEQ_BYTES.length;
  const digitsStart = i;
  let s = 0;
  for (let c = bytes[i]; i < end && c !== undefined && c >= 48 && c <= 57; c = bytes[++i]) s = s * 10 + (c - 48);
  if (i === digitsStart || i - digitsStart > 15) return undefined;
  if (!startsWithAt(bytes, i, end, OP0_BYTES)) return undefined;
  return { t: bytes.toString('latin1', nameStart, nameEnd), s };
};

const truncate = (text: string, max: number): string => (text.length > max ? `${text.slice(0, max)}…` : text);
