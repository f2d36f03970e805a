import zlib from 'node:zlib';
import { endsWithZlibSuffix, SKIP_HEAD_BYTES, inflateFailed, tooLarge, type Inflater, type InflateSink } from './inflate.js';

const OUT_CHUNK = 64 * 1024;
const { Z_SYNC_FLUSH } = zlib.constants;

/** The parts of a `node:zlib` object that a synchronous streaming inflate needs. */
interface ZlibInternals {
  _handle: { writeSync(flush: number, input: Buffer, inOff: number, inLen: number, out: Buffer, outOff: number, outLen: number): void } | null;
  _writeState: Uint32Array;
}

/**
 * True when this runtime's `node:zlib` lets us drive one inflate context synchronously.
 * Node's public API offers either one-shot sync calls or a streaming context that answers
 * through the thread pool (~70 µs per message); the context's own handle does both in ~4 µs.
 */
export const hasSyncZlib = (): boolean => {
  if (syncZlib === undefined) {
    const probe = zlib.createInflate({ chunkSize: zlib.constants.Z_MIN_CHUNK }) as unknown as ZlibInternals & zlib.Inflate;
    syncZlib = typeof probe._handle?.writeSync === 'function' && probe._writeState instanceof Uint32Array;
    probe.close();
  }
  return syncZlib;
};
/** `hasSyncZlib`'s answer, probed once per process (it was asked once per connection). */
let syncZlib: boolean | undefined;

/**
 * The output buffer every inflater writes into. Inflating is synchronous and each push copies
 * its output out (as the message text, or into `pieces` when the message continues in a later
 * frame) before returning, so one buffer serves every connection: an idle shard keeps no
 * 64 KiB buffer of its own.
 */
let scratch = Buffer.allocUnsafeSlow(OUT_CHUNK);

/**
 * A zlib-stream inflater that inflates each frame synchronously in one context kept for the
 * connection. Output of one message is capped at `maxBytes`; `skip` may claim a message from
 * its head before it is decoded to text.
 */
export const createSyncZlibInflater = (sink: InflateSink, maxBytes: number, skip?: (head: string) => boolean): Inflater => {
  // The stream's own output buffer is never used (we write into `scratch`): keep it minimal.
  const z = zlib.createInflate({ chunkSize: zlib.constants.Z_MIN_CHUNK }) as unknown as ZlibInternals & zlib.Inflate;
  z.on('error', () => {}); // errors are read synchronously below; this only silences the emitter.
  let outOff = 0;
  let pieces: Buffer[] = [];
  let total = 0;
  let dead = false;

  const fail = (error: ReturnType<typeof tooLarge>) => {
    dead = true;
    z.close();
    sink.error(error);
  };

  const inflate = (chunk: Buffer): boolean => {
    const handle = z._handle;
    if (handle === null) return (fail(inflateFailed(new Error('context closed'))), false);
    let inOff = 0;
    let availIn = chunk.length;
    for (;;) {
      const room = scratch.length - outOff;
      handle.writeSync(Z_SYNC_FLUSH, chunk, inOff, availIn, scratch, outOff, room);
      if (z.destroyed) return (fail(inflateFailed(new Error('invalid compressed data'))), false);
      const availOut = z._writeState[0]!;
      const availInAfter = z._writeState[1]!;
      outOff += room - availOut;
      total += room - availOut;
      if (total > maxBytes) return (fail(tooLarge(maxBytes)), false);
      inOff += availIn - availInAfter;
      availIn = availInAfter;
      if (availOut !== 0) return true;
      pieces.push(scratch);
      scratch = Buffer.allocUnsafeSlow(OUT_CHUNK);
      outOff = 0;
    }
  };

  const flushMessage = () => {
    if (skip !== undefined && pieces.length === 0 && skip(scratch.toString('latin1', 0, Math.min(outOff, SKIP_HEAD_BYTES)))) {
      outOff = 0;
      total = 0;
      return;
    }
    const text =
      pieces.length === 0
        ? scratch.toString('utf8', 0, outOff)
        : Buffer.concat([...pieces, scratch.subarray(0, outOff)], total).toString('utf8');
    pieces = [];
    outOff = 0;
    total = 0;
    sink.message(text);
  };

  /** The message goes on in a later frame: move this frame's output out of the shared buffer. */
  const keepPartial = () => {
    if (outOff > 0) pieces.push(Buffer.from(scratch.subarray(0, outOff)));
    outOff = 0;
  };

  return {
    push(chunk) {
      if (dead) return;
      if (!inflate(chunk)) return;
      if (endsWithZlibSuffix(chunk)) flushMessage();
      else keepPartial();
    },
    close() {
      if (dead) return;
      dead = true;
      z.close();
    },
  };
};
