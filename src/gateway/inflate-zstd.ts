/**
 * zstd-stream, client side: one decompression context for the connection's life; each binary
 * frame is one whole message (the server flushes, never ends, its single zstd frame after each).
 * Only where `node:zlib` has zstd (Node 22.15 and later).
 */
import zlib from 'node:zlib';
import type { Transform } from 'node:stream';
import type { Inflater, InflateSink, MessageSkip } from './inflate.js';
import { createHandleInflater, probeHandle, type HandleContext, type HandleInflaterKind } from './inflate-sync.js';
import { createStreamingInflater } from './inflate-streaming.js';

/** The Node version from which `node:zlib` has zstd. */
export const ZSTD_MIN_NODE = '22.15';

type ZstdZlib = {
  createZstdDecompress?: (options?: { chunkSize?: number }) => HandleContext & Transform & { flush(kind: number, callback: () => void): void };
  constants: { ZSTD_e_continue?: number; ZSTD_e_flush?: number };
};
const z = zlib as unknown as ZstdZlib;

/** True when this runtime's `node:zlib` can decompress zstd (Node 22.15 and later). */
export const hasZstd = (): boolean => typeof z.createZstdDecompress === 'function';

/** A context whose own output buffer is never used by the synchronous inflater: kept small. */
const newContext = (): HandleContext => z.createZstdDecompress!({ chunkSize: 1024 });

/** Every frame is a whole message; the flush flag means nothing to a decompressor (ZSTD_e_continue). */
const ZSTD_STREAM: HandleInflaterKind = { create: newContext, flush: z.constants.ZSTD_e_continue ?? 0, isMessageEnd: () => true };

/** `hasSyncZstd`'s answer, probed once per process. */
let syncZstd: boolean | undefined;

/** True when zstd is here and its context's native handle can be driven synchronously. */
export const hasSyncZstd = (): boolean => (syncZstd ??= hasZstd() && probeHandle(newContext()));

/**
 * A zstd-stream inflater (call only when `hasZstd()`). `sync` (the default where the runtime
 * allows) decompresses each frame on the spot through the context's native handle; otherwise
 * each frame goes through the thread pool and its text arrives a turn or more later.
 */
export const createZstdInflater = (mode: 'auto' | 'sync' | 'streaming', sink: InflateSink, maxBytes: number, skip?: MessageSkip): Inflater => {
  const useSync = mode === 'sync' || (mode !== 'streaming' && hasSyncZstd());
  if (useSync) return createHandleInflater(ZSTD_STREAM, sink, maxBytes, skip);
  return createStreamingInflater(z.createZstdDecompress!(), z.constants.ZSTD_e_flush ?? 1, () => true, sink, maxBytes, skip);
};
