/**
 * Transport compression, server side: one compression context per connection, flushed after
 * every message so each binary frame is one whole, decodable message.
 *
 * - zlib-stream: a zlib (RFC 1950) stream; every message ends with `00 00 ff ff` (Z_SYNC_FLUSH).
 * - zstd-stream: one zstd frame for the connection's life, each message a flushed chunk; only
 *   where `node:zlib` has zstd (Node >= 22.15). {@link zstdAvailable} says whether it has.
 *
 * Compression is synchronous: the stream's native handle is driven with `writeSync`, the way
 * `node:zlib`'s own `*Sync` functions drive it (they then close the handle; we keep it), so frames
 * stay in order without a queue and a burst costs no thread-pool round trips (the async API
 * manages ~14k messages/s per connection here; this, several hundred thousand). Where a Node
 * lacks that handle, zlib-stream falls back to the precompressed encoder (`precompressed.ts`),
 * which uses public APIs only.
 */
import * as zlib from 'node:zlib';
import type { FrameEncoder } from './encoder.js';
import { precompressedZlibEncoder } from './precompressed.js';

/** The native handle of a node:zlib stream, as its `*Sync` helpers use it. */
interface NativeHandle {
  writeSync(flush: number, input: Buffer, inOff: number, inLen: number, out: Buffer, outOff: number, outLen: number): void;
}

/** The internals of a node:zlib stream that synchronous streaming needs. */
interface StreamInternals {
  _handle?: NativeHandle | null;
  _writeState?: Uint32Array;
  on(event: 'error', listener: (error: Error) => void): unknown;
  close(): void;
}

type ZstdModule = { createZstdCompress?: () => StreamInternals; constants: { ZSTD_e_flush?: number } };

/** Whether this Node's `node:zlib` can compress zstd (Node >= 22.15). */
export const zstdAvailable = (): boolean => typeof (zlib as unknown as ZstdModule).createZstdCompress === 'function';

/** Output scratch space shared by every encoder (compression is synchronous, one at a time). */
let scratch = Buffer.allocUnsafe(256 * 1024);

/** Compresses `input` through `handle` and flushes with `flush`, looping while the output fills the scratch space. */
const streamSync = (handle: NativeHandle, state: Uint32Array, input: Buffer, flush: number): Buffer => {
  const parts: Buffer[] = [];
  let inOff = 0;
  let inLen = input.length;
  for (;;) {
    handle.writeSync(flush, input, inOff, inLen, scratch, 0, scratch.length);
    const availOut = state[0] ?? 0;
    const availIn = state[1] ?? 0;
    const have = scratch.length - availOut;
    if (have > 0) parts.push(Buffer.from(scratch.subarray(0, have)));
    if (availOut !== 0) break;
    inOff += inLen - availIn;
    inLen = availIn;
  }
  return parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts);
};

/** Whether this Node exposes the native handle synchronous streaming needs. */
const hasNativeHandle = (stream: StreamInternals): boolean =>
  typeof stream._handle?.writeSync === 'function' && stream._writeState instanceof Uint32Array;

const streaming = (stream: StreamInternals, flush: number): FrameEncoder => {
  const handle = stream._handle as NativeHandle;
  const state = stream._writeState as Uint32Array;
  let failure: Error | undefined;
  stream.on('error', (error) => (failure = error));
  let closed = false;
  return {
    binary: true,
    encode: (text) => {
      if (closed) throw new Error('the compression context is closed');
      const out = streamSync(handle, state, Buffer.from(text), flush);
      if (failure !== undefined) throw failure;
      return out;
    },
    close: () => {
      if (closed) return;
      closed = true;
      stream.close();
    },
  };
};

/** Replaces the shared scratch buffer (internal: tests shrink it to exercise the multi-pass path). */
export const setScratchSize = (bytes: number): void => {
  scratch = Buffer.allocUnsafe(bytes);
};

/** Plain text frames. */
export const plainEncoder = (): FrameEncoder => ({ binary: false, encode: (text) => text, close: () => {} });

/** A zlib-stream encoder: one deflate context for the connection, Z_SYNC_FLUSH after each message. */
export const zlibStreamEncoder = (level: number): FrameEncoder => {
  const stream = zlib.createDeflate({ level }) as unknown as StreamInternals;
  if (hasNativeHandle(stream)) return streaming(stream, zlib.constants.Z_SYNC_FLUSH);
  stream.close();
  return precompressedZlibEncoder(level);
};

/** A zstd-stream encoder (one zstd frame, each message a flushed chunk); throws where zstd or the native handle is missing. */
export const zstdStreamEncoder = (): FrameEncoder => {
  const z = zlib as unknown as ZstdModule;
  const flush = z.constants.ZSTD_e_flush;
  if (z.createZstdCompress === undefined || flush === undefined) throw new Error('compress=zstd-stream needs node:zlib zstd (Node >= 22.15)');
  const stream = z.createZstdCompress();
  if (!hasNativeHandle(stream)) {
    stream.close();
    throw new Error('node:zlib zstd has no native handle to stream synchronously');
  }
  return streaming(stream, flush);
};

/**
 * A deliberately broken message for fault tests: for text, JSON cut off in the middle; for
 * zlib-stream, a deflate block of the reserved type 3 (fails at once in any inflater) followed by
 * the sync-flush suffix, so a client buffering to `00 00 ff ff` tries to inflate it.
 */
export const brokenFrame = (binary: boolean): string | Buffer =>
  binary ? Buffer.from([0x06, 0xff, 0xff, 0x00, 0x00, 0xff, 0xff]) : '{"t":"MESSAGE_CREATE","s":';

/**
 * The encoder for a connection's `compress` query value (undefined: plain text). Throws, with a
 * message for the close reason, for an unknown value or a compression this Node cannot do.
 */
export const createEncoder = (compress: string | undefined, level: number, zlibMode: 'context' | 'precompressed'): FrameEncoder => {
  if (compress === undefined) return plainEncoder();
  if (compress === 'zlib-stream') return zlibMode === 'precompressed' ? precompressedZlibEncoder(level) : zlibStreamEncoder(level);
  if (compress === 'zstd-stream') return zstdStreamEncoder();
  throw new Error(`compress=${compress} is unknown: use zlib-stream or zstd-stream`);
};
