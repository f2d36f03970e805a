import zlib from 'node:zlib';
import { endsWithZlibSuffix, type Inflater, type InflateSink, type MessageSkip } from './inflate.js';
import { createHandleInflater, probeHandle, type HandleContext, type HandleInflaterKind } from './inflate-sync.js';

/** A zlib context whose own output buffer is never used (the inflater writes into a shared one): kept minimal. */
const newInflate = (): HandleContext => zlib.createInflate({ chunkSize: zlib.constants.Z_MIN_CHUNK }) as unknown as HandleContext;

const ZLIB_STREAM: HandleInflaterKind = { create: newInflate, flush: zlib.constants.Z_SYNC_FLUSH, isMessageEnd: endsWithZlibSuffix };

/** `hasSyncZlib`'s answer, probed once per process. */
let syncZlib: boolean | undefined;

/** True when this runtime's `node:zlib` lets us drive one inflate context synchronously. */
export const hasSyncZlib = (): boolean => (syncZlib ??= probeHandle(newInflate()));

/**
 * A zlib-stream inflater that inflates each frame synchronously in one context kept for the
 * connection; a message ends with a frame ending `00 00 ff ff`.
 */
export const createSyncZlibInflater = (sink: InflateSink, maxBytes: number, skip?: MessageSkip): Inflater =>
  createHandleInflater(ZLIB_STREAM, sink, maxBytes, skip);
