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
 * its head before it is decoded to text (or, for one that spanned frames or the buffer, joined).
 */
export const createSyncZlibInflater = (sink: InflateSink, maxBytes: number, skip?: (head: string) => boolean): Inflater =>
  new SyncZlibInflater(sink, maxBytes, skip);

/** The inflater as a class: one per connection, its methods shared, so an idle one costs its fields. */
class SyncZlibInflater implements Inflater {
  // The stream's own output buffer is never used (we write into `scratch`): keep it minimal.
  private readonly z = zlib.createInflate({ chunkSize: zlib.constants.Z_MIN_CHUNK }) as unknown as ZlibInternals & zlib.Inflate;
  /** Bytes of the current message in `scratch`. */
  private outOff = 0;
  /** Output of the current message moved out of `scratch` (it spans frames or 64 KiB). */
  private pieces: Buffer[] = [];
  private total = 0;
  private dead = false;

  constructor(
    private readonly sink: InflateSink,
    private readonly maxBytes: number,
    private readonly skip: ((head: string) => boolean) | undefined,
  ) {
    this.z.on('error', ignore); // errors are read synchronously below; this only silences the emitter.
  }

  push(chunk: Buffer): void {
    if (this.dead || !this.inflate(chunk)) return;
    if (endsWithZlibSuffix(chunk)) this.flushMessage();
    else this.keepPartial();
  }

  close(): void {
    if (this.dead) return;
    this.dead = true;
    this.z.close();
  }

  private fail(error: ReturnType<typeof tooLarge>): false {
    this.dead = true;
    this.z.close();
    this.sink.error(error);
    return false;
  }

  /** Inflates one frame into `scratch` (and `pieces`); false when the inflater died. */
  private inflate(chunk: Buffer): boolean {
    const { z } = this;
    const handle = z._handle;
    if (handle === null) return this.fail(inflateFailed(new Error('context closed')));
    let inOff = 0;
    let availIn = chunk.length;
    for (;;) {
      const room = scratch.length - this.outOff;
      handle.writeSync(Z_SYNC_FLUSH, chunk, inOff, availIn, scratch, this.outOff, room);
      if (z.destroyed) return this.fail(inflateFailed(new Error('invalid compressed data')));
      const availOut = z._writeState[0]!;
      const availInAfter = z._writeState[1]!;
      this.outOff += room - availOut;
      this.total += room - availOut;
      if (this.total > this.maxBytes) return this.fail(tooLarge(this.maxBytes));
      inOff += availIn - availInAfter;
      availIn = availInAfter;
      if (availOut !== 0) return true;
      this.pieces.push(scratch);
      scratch = Buffer.allocUnsafeSlow(OUT_CHUNK);
      this.outOff = 0;
    }
  }

  private flushMessage(): void {
    const { outOff, pieces } = this;
    this.outOff = 0;
    this.total = 0;
    if (this.skip !== undefined && this.skip(headOf(pieces.length === 0 ? scratch : pieces[0]!, pieces.length === 0 ? outOff : pieces[0]!.length))) {
      if (pieces.length > 0) this.pieces = [];
      return;
    }
    let text: string;
    if (pieces.length === 0) text = scratch.toString('utf8', 0, outOff);
    else {
      pieces.push(scratch.subarray(0, outOff));
      text = Buffer.concat(pieces).toString('utf8');
      this.pieces = [];
    }
    this.sink.message(text);
  }

  /** The message goes on in a later frame: move this frame's output out of the shared buffer. */
  private keepPartial(): void {
    if (this.outOff > 0) this.pieces.push(Buffer.from(scratch.subarray(0, this.outOff)));
    this.outOff = 0;
  }
}

const ignore = (): void => {};

/** The first bytes of a message as Latin-1 (ASCII reads as is), for `skip`: a big message is judged without decoding it. */
const headOf = (buffer: Buffer, length: number): string => buffer.toString('latin1', 0, Math.min(length, SKIP_HEAD_BYTES));
