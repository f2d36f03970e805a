import type { Transform } from 'node:stream';
import { SKIP_HEAD_BYTES, inflateFailed, tooLarge, type Inflater, type InflateSink } from './inflate.js';
import { OversizeTrack } from './oversize-track.js';

/**
 * An inflater over a `node:zlib` streaming context (zlib or zstd). Each message is flushed
 * through the thread pool, so it answers asynchronously, in order. `isMessageEnd` tells which
 * pushed chunk completes a message; `skip` may claim a message before it reaches the sink.
 */
export const createStreamingInflater = (
  context: Transform & { flush(kind: number, callback: () => void): void },
  flushKind: number,
  isMessageEnd: (chunk: Buffer) => boolean,
  sink: InflateSink,
  maxBytes: number,
  skip?: (head: string, tail: string) => boolean,
): Inflater => {
  let pieces: Buffer[] = [];
  let total = 0;
  let dead = false;
  /** Set while the current message is past the cap: its output is counted and discarded. */
  let oversize: OversizeTrack | null = null;

  const fail = (error: ReturnType<typeof tooLarge>) => {
    if (dead) return;
    dead = true;
    context.destroy();
    sink.error(error);
  };

  context.on('data', (piece: Buffer) => {
    total += piece.length;
    if (oversize !== null) oversize.passed(piece, piece.length);
    else if (total <= maxBytes) pieces.push(piece);
    else if (sink.oversize === undefined) fail(tooLarge(maxBytes));
    else {
      const first = pieces[0] ?? piece;
      oversize = new OversizeTrack(first.toString('latin1', 0, Math.min(first.length, SKIP_HEAD_BYTES)));
      for (const held of pieces) oversize.passed(held, held.length);
      oversize.passed(piece, piece.length);
      pieces = [];
    }
  });
  context.on('error', (cause) => fail(inflateFailed(cause)));

  const emit = () => {
    if (dead) return;
    if (oversize !== null) {
      const { head, tail } = oversize;
      const bytes = total;
      oversize = null;
      total = 0;
      sink.oversize?.({ bytes, head, tail });
      return;
    }
    const text = Buffer.concat(pieces, total).toString('utf8');
    pieces = [];
    total = 0;
    if (skip === undefined || !skip(text, text)) sink.message(text);
  };

  return {
    push(chunk) {
      if (dead) return;
      context.write(chunk);
      if (isMessageEnd(chunk)) context.flush(flushKind, emit);
    },
    close() {
      if (dead) return;
      dead = true;
      context.destroy();
    },
  };
};
