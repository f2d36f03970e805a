import { DisclusterError } from './errors.js';

/**
 * A message over the cap that was discarded as its frames arrived, never held whole: its
 * inflated size and its ends (the first and last `SKIP_HEAD_BYTES` bytes, as Latin-1), from
 * which a caller may still read `op`, `t` and `s`.
 */
export interface OversizeMessage {
  readonly bytes: number;
  readonly head: string;
  readonly tail: string;
}

/**
 * Receives what an inflater produces: whole messages as text, or the error that ended it. A sink
 * with `oversize` is told of a message over the cap and the stream goes on; without it, such a
 * message ends the stream with a `DECODE_TOO_LARGE` error.
 */
export interface InflateSink {
  message(text: string): void;
  error(error: DisclusterError): void;
  oversize?(message: OversizeMessage): void;
}

/**
 * One decompression context for the life of one connection. `push` takes each binary frame in
 * the order received; complete messages reach the sink in the same order.
 */
export interface Inflater {
  push(chunk: Buffer): void;
  /** Releases the context; later pushes are ignored. */
  close(): void;
}

/** What an inflater asks of each message: its head, and its tail on demand (see `DecoderOptions.skip`). */
export type MessageSkip = (head: string, tail: string | (() => string)) => boolean;

/** How many bytes of each end of a message a decoder's `skip` is shown. */
export const SKIP_HEAD_BYTES = 96;

/** The four bytes that end every flushed zlib-stream message. */
export const endsWithZlibSuffix = (chunk: Buffer): boolean => {
  const n = chunk.length;
  return n >= 4 && chunk[n - 4] === 0x00 && chunk[n - 3] === 0x00 && chunk[n - 2] === 0xff && chunk[n - 1] === 0xff;
};

/** The error for a message that inflates past the cap. */
export const tooLarge = (cap: number): DisclusterError =>
  new DisclusterError('DECODE_TOO_LARGE', `an inflated gateway message exceeded the cap of ${cap} bytes`);

/** The error for bytes the decompressor rejects. */
export const inflateFailed = (cause: unknown): DisclusterError =>
  new DisclusterError('DECODE_INFLATE_FAILED', `the compressed gateway stream is corrupt: ${describe(cause)}`, { cause });

const describe = (cause: unknown): string =>
  cause instanceof Error ? ((cause as NodeJS.ErrnoException).code ?? cause.message) : String(cause);
