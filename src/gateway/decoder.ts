import zlib from 'node:zlib';
import { DisclusterError } from './errors.js';
import { endsWithZlibSuffix, type Inflater, type InflateSink } from './inflate.js';
export { SKIP_HEAD_BYTES } from './inflate.js';
import { createStreamingInflater } from './inflate-streaming.js';
import { createSyncZlibInflater, hasSyncZlib } from './inflate-zlib-sync.js';

/** Transport compression of a gateway connection. */
export type Compression = 'none' | 'zlib-stream' | 'zstd-stream';

/** Default cap on the inflated size of one gateway message: 8 MiB. */
export const DEFAULT_MAX_MESSAGE_BYTES = 8 * 1024 * 1024;

/** Options of `createDecoder`. */
export interface DecoderOptions {
  compression: Compression;
  /** Cap on one message's decoded size, in bytes (default 8 MiB). Larger is a decode error. */
  maxMessageBytes?: number;
  /** Force the zlib implementation; `auto` picks the synchronous one when the runtime allows. */
  zlib?: 'auto' | 'sync' | 'streaming';
  /**
   * Shown the head of each inflated zlib-stream message (its first `SKIP_HEAD_BYTES` bytes as
   * Latin-1, so ASCII reads as is) before the whole is decoded to text; true means the caller
   * has dealt with it and no text is made. Lets a shard skip dispatches nobody wants cheaply.
   */
  skip?: (head: string) => boolean;
}

/**
 * Turns the raw frames of one connection into message texts. It never throws: bad bytes end
 * the decoder with one `DisclusterError` sent to the sink, and later pushes are ignored.
 */
export interface MessageDecoder {
  /** Feeds one WebSocket frame as received (`isBinary` as `ws` reports it). */
  push(data: Buffer | ArrayBuffer | Buffer[] | string, isBinary: boolean): void;
  /** Releases the decompression context. */
  close(): void;
}

const zstd = zlib as unknown as {
  createZstdDecompress?: () => zlib.Inflate;
  constants: { ZSTD_e_flush?: number };
};

/** True when this runtime's `node:zlib` can decompress zstd (Node 22.15 and later). */
export const hasZstd = (): boolean => typeof zstd.createZstdDecompress === 'function';

const toBuffer = (data: Buffer | ArrayBuffer | Buffer[] | string): Buffer =>
  Buffer.isBuffer(data)
    ? data
    : Array.isArray(data)
      ? Buffer.concat(data)
      : typeof data === 'string'
        ? Buffer.from(data)
        : Buffer.from(data);

const createInflater = (options: DecoderOptions, sink: InflateSink, cap: number): Inflater | DisclusterError => {
  if (options.compression === 'zstd-stream') {
    if (!hasZstd()) {
      return new DisclusterError(
        'DECODE_UNSUPPORTED',
        `zstd-stream needs node:zlib zstd support (Node 22.15 or later); this is Node ${process.versions.node}. Use 'zlib-stream'.`,
      );
    }
    const context = zstd.createZstdDecompress!();
    return createStreamingInflater(context, zstd.constants.ZSTD_e_flush ?? 1, () => true, sink, cap);
  }
  const useSync = options.zlib === 'sync' || (options.zlib !== 'streaming' && hasSyncZlib());
  return useSync
    ? createSyncZlibInflater(sink, cap, options.skip)
    : createStreamingInflater(zlib.createInflate(), zlib.constants.Z_SYNC_FLUSH, endsWithZlibSuffix, sink, cap);
};

/** Creates the decoder of one connection; call once per connection. */
export const createDecoder = (options: DecoderOptions, sink: InflateSink): MessageDecoder => {
  const cap = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  let dead = false;
  const guarded: InflateSink = {
    message: (text) => {
      if (!dead) sink.message(text);
    },
    error: (error) => {
      if (dead) return;
      dead = true;
      sink.error(error);
    },
  };
  let inflater: Inflater | DisclusterError | undefined;
  const getInflater = () => (inflater ??= createInflater(options, guarded, cap));

  return {
    push(data, isBinary) {
      if (dead) return;
      if (!isBinary) {
        const text = typeof data === 'string' ? data : toBuffer(data).toString('utf8');
        if (text.length > cap) guarded.error(new DisclusterError('DECODE_TOO_LARGE', `a gateway message exceeded the cap of ${cap} bytes`));
        else guarded.message(text);
        return;
      }
      if (options.compression === 'none') {
        guarded.error(new DisclusterError('DECODE_INVALID_FRAME', 'received a binary frame on an uncompressed connection'));
        return;
      }
      const target = getInflater();
      if (target instanceof DisclusterError) guarded.error(target);
      else target.push(toBuffer(data));
    },
    close() {
      dead = true;
      if (inflater !== undefined && !(inflater instanceof DisclusterError)) inflater.close();
    },
  };
};
