import type { Transform } from 'node:stream';
import { inflateFailed, tooLarge, type Inflater, type InflateSink } from './inflate.js';

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

  const fail = (error: ReturnType<typeof tooLarge>) => {
    if (dead) return;
    dead = true;
    context.destroy();
    sink.error(error);
  };

  context.on('data', (piece: Buffer) => {
    total += piece.length;
    if (total > maxBytes) fail(tooLarge(maxBytes));
    else pieces.push(piece);
  });
  context.on('error', (cause) => fail(inflateFailed(cause)));

  const emit = () => {
    if (dead) return;
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
