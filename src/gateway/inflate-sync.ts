import { SKIP_HEAD_BYTES, inflateFailed, tooLarge, type Inflater, type InflateSink, type MessageSkip } from './inflate.js';
import { OversizeTrack } from './oversize-track.js';

const OUT_CHUNK = 64 * 1024;

/**
 * The parts of a `node:zlib` stream (an `Inflate` or a `ZstdDecompress`) that a synchronous
 * streaming decompress needs: its native handle and the two counters it writes back.
 */
export interface HandleContext {
  _handle: { writeSync(flush: number, input: Buffer, inOff: number, inLen: number, out: Buffer, outOff: number, outLen: number): void } | null;
  _writeState: Uint32Array;
  readonly destroyed: boolean;
  on(event: 'error', listener: (error: Error) => void): unknown;
  close(): void;
}

/**
 * True when `stream` exposes the native handle this module drives. Node's public API offers
 * either one-shot sync calls or a streaming context that answers through the thread pool
 * (~70 µs per message); the context's own handle does both in a few µs. The probe closes `stream`.
 */
export const probeHandle = (stream: Partial<HandleContext> & { close(): void }): boolean => {
  const ok = typeof stream._handle?.writeSync === 'function' && stream._writeState instanceof Uint32Array;
  stream.close();
  return ok;
};

/** How a synchronous inflater drives its context: the flush flag and where a message ends. */
export interface HandleInflaterKind {
  /** A new decompression context (one per connection). */
  create(): HandleContext;
  /** The flush flag passed to every `writeSync`. */
  readonly flush: number;
  /** Whether a pushed frame completes a message. */
  isMessageEnd(chunk: Buffer): boolean;
}

/**
 * The output buffer every inflater writes into. Inflating is synchronous and each push copies
 * its output out (as the message text, or into `pieces` when the message continues in a later
 * frame) before returning, so one buffer serves every connection: an idle shard keeps no
 * 64 KiB buffer of its own.
 */
let scratch: Buffer = Buffer.allocUnsafeSlow(OUT_CHUNK);

/**
 * Output buffers of large messages, kept for the next: a message over 64 KiB fills `scratch`,
 * which becomes one of its pieces and is replaced; once the message is a string its full pieces
 * come back here instead of being left to the garbage collector (a storm of 100 KiB
 * GUILD_CREATEs would otherwise allocate and drop a 64 KiB buffer and a joined copy per message).
 * At most `SPARE_LIMIT` are kept.
 */
const spare: Buffer[] = [];
const SPARE_LIMIT = 16;

/** A fresh output buffer: a spare one if any. */
const nextScratch = (): Buffer => spare.pop() ?? Buffer.allocUnsafeSlow(OUT_CHUNK);

/** Full output buffers of a message read to its end go back to `spare`. */
const recycle = (pieces: readonly Buffer[]): void => {
  for (const piece of pieces) if (piece.length === OUT_CHUNK && piece.byteOffset === 0 && piece.buffer.byteLength === OUT_CHUNK && spare.length < SPARE_LIMIT) spare.push(piece);
};

/**
 * One buffer the pieces of a large message are joined into before decoding, kept and grown as
 * needed (synchronous use only, like `scratch`): no joined copy is allocated per message.
 */
let joined: Buffer = Buffer.allocUnsafeSlow(0);

/** The pieces of one message as text, joined in `joined`. */
const joinedText = (pieces: readonly Buffer[]): string => {
  let total = 0;
  for (const piece of pieces) total += piece.length;
  if (joined.length < total) joined = Buffer.allocUnsafeSlow(Math.max(total, joined.length * 2));
  let at = 0;
  for (const piece of pieces) at += piece.copy(joined, at);
  return joined.toString('utf8', 0, total);
};

/**
 * An inflater that decompresses each frame synchronously in one context kept for the
 * connection (zlib or zstd, as `kind` says). Output of one message is capped at `maxBytes`;
 * `skip` may claim a message from its ends before it is decoded to text (or, for one that
 * spanned frames or the buffer, joined).
 */
export const createHandleInflater = (kind: HandleInflaterKind, sink: InflateSink, maxBytes: number, skip?: MessageSkip): Inflater =>
  new HandleInflater(kind, sink, maxBytes, skip);

/** The inflater as a class: one per connection, its methods shared, so an idle one costs its fields. */
class HandleInflater implements Inflater {
  private readonly z: HandleContext;
  /** Bytes of the current message in `scratch`. */
  private outOff = 0;
  /** Output of the current message moved out of `scratch` (it spans frames or 64 KiB). */
  private pieces: Buffer[] = [];
  private total = 0;
  private dead = false;
  /** Set while the current message is past the cap and its output is being discarded. */
  private oversize: OversizeTrack | null = null;

  constructor(
    private readonly kind: HandleInflaterKind,
    private readonly sink: InflateSink,
    private readonly maxBytes: number,
    private readonly skip: MessageSkip | undefined,
  ) {
    this.z = kind.create();
    this.z.on('error', ignore); // errors are read synchronously below; this only silences the emitter.
  }

  push(chunk: Buffer): void {
    if (this.dead || !this.inflate(chunk)) return;
    if (this.kind.isMessageEnd(chunk)) this.flushMessage();
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
    const flush = this.kind.flush;
    let inOff = 0;
    let availIn = chunk.length;
    for (;;) {
      const room = scratch.length - this.outOff;
      handle.writeSync(flush, chunk, inOff, availIn, scratch, this.outOff, room);
      if (z.destroyed) return this.fail(inflateFailed(new Error('invalid compressed data')));
      const availOut = z._writeState[0]!;
      const availInAfter = z._writeState[1]!;
      this.outOff += room - availOut;
      this.total += room - availOut;
      if (this.total > this.maxBytes && this.oversize === null) {
        if (this.sink.oversize === undefined) return this.fail(tooLarge(this.maxBytes));
        this.startDiscarding();
      }
      const consumed = availIn - availInAfter;
      inOff += consumed;
      availIn = availInAfter;
      if (availOut !== 0) {
        if (availIn === 0) return true;
        // room left and input left: the decompressor stopped (a frame or stream ended); it must move on or fail
        if (consumed === 0 && availOut === room) return this.fail(inflateFailed(new Error('trailing data after the end of the stream')));
        continue;
      }
      if (this.oversize !== null) this.oversize.passed(scratch, this.outOff);
      else {
        this.pieces.push(scratch);
        scratch = nextScratch();
      }
      this.outOff = 0;
    }
  }

  /** The message passed the cap: keep its head, let go of what is held, and count the rest as it comes. */
  private startDiscarding(): void {
    const first = this.pieces.length === 0 ? scratch : this.pieces[0]!;
    const firstLength = this.pieces.length === 0 ? this.outOff : first.length;
    const track = new OversizeTrack(headOf(first, firstLength));
    for (const piece of this.pieces) track.passed(piece, piece.length);
    this.pieces = [];
    this.oversize = track;
  }

  private flushMessage(): void {
    const { outOff, pieces } = this;
    this.outOff = 0;
    if (this.oversize !== null) {
      const track = this.oversize;
      this.oversize = null;
      track.passed(scratch, outOff);
      const bytes = this.total;
      this.total = 0;
      this.sink.oversize!({ bytes, head: track.head, tail: track.tail });
      return;
    }
    this.total = 0;
    if (this.skip !== undefined) {
      ending = { pieces, end: outOff };
      const skipped = this.skip(headOf(pieces.length === 0 ? scratch : pieces[0]!, pieces.length === 0 ? outOff : pieces[0]!.length), tailOfEnding);
      ending = undefined;
      if (skipped) {
        if (pieces.length > 0) {
          recycle(pieces);
          this.pieces = [];
        }
        return;
      }
    }
    let text: string;
    if (pieces.length === 0) text = scratch.toString('utf8', 0, outOff);
    else {
      pieces.push(scratch.subarray(0, outOff));
      text = joinedText(pieces);
      pieces.pop(); // the view of `scratch`, which stays in use
      recycle(pieces);
      this.pieces = [];
    }
    this.sink.message(text);
  }

  /** The message goes on in a later frame: move this frame's output out of the shared buffer. */
  private keepPartial(): void {
    if (this.oversize !== null) this.oversize.passed(scratch, this.outOff);
    else if (this.outOff > 0) this.pieces.push(Buffer.from(scratch.subarray(0, this.outOff)));
    this.outOff = 0;
  }
}

const ignore = (): void => {};

/** The first bytes of a message as Latin-1 (ASCII reads as is), for `skip`: a big message is judged without decoding it. */
const headOf = (buffer: Buffer, length: number): string => buffer.toString('latin1', 0, Math.min(length, SKIP_HEAD_BYTES));

/**
 * The message being judged by `skip`: its earlier pieces and its end in `scratch`. Set only
 * while `skip` runs (synchronously), so one module-level function serves as every message's
 * `tail`, with no closure per message or per connection.
 */
let ending: { pieces: readonly Buffer[]; end: number } | undefined;

/** The last bytes of the message being judged, as Latin-1 (they may straddle its last two pieces). */
const tailOfEnding = (): string => {
  if (ending === undefined) return '';
  const { pieces, end } = ending;
  const inScratch = scratch.toString('latin1', Math.max(0, end - SKIP_HEAD_BYTES), end);
  if (end >= SKIP_HEAD_BYTES || pieces.length === 0) return inScratch;
  const last = pieces[pieces.length - 1]!;
  return last.toString('latin1', Math.max(0, last.length - (SKIP_HEAD_BYTES - end))) + inScratch;
};
