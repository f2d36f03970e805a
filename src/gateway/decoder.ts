import zlib from 'node:zlib';
import { DisclusterError } from './errors.js';
import { endsWithZlibSuffix, SKIP_HEAD_BYTES, type Inflater, type InflateSink, type MessageSkip, type OversizeMessage } from './inflate.js';
export type { InflateSink, MessageSkip, OversizeMessage } from './inflate.js';
export { SKIP_HEAD_BYTES } from './inflate.js';
import { createStreamingInflater } from './inflate-streaming.js';
import { createSyncZlibInflater, hasSyncZlib } from './inflate-zlib-sync.js';
import { createZstdInflater, hasZstd, ZSTD_MIN_NODE } from './inflate-zstd.js';
export { hasZstd, ZSTD_MIN_NODE } from './inflate-zstd.js';

/** Transport compression of a gateway connection. */
export type Compression = 'none' | 'zlib-stream' | 'zstd-stream';

/** Default cap on the inflated size of one gateway message: 8 MiB. */
export const DEFAULT_MAX_MESSAGE_BYTES = 8 * 1024 * 1024;

/** Options of `createDecoder`. */
export interface DecoderOptions {
  compression: Compression;
  /**
   * Cap on one message's decoded size, in bytes (default 8 MiB). A larger message goes to the
   * sink's `oversize` (its size and ends; its output is discarded as it inflates, never held
   * whole) and the stream goes on; a sink without `oversize` gets a `DECODE_TOO_LARGE` error.
   */
  maxMessageBytes?: number;
  /**
   * How `node:zlib` is driven, for zlib-stream and zstd-stream alike: `sync` through the
   * context's native handle, `streaming` through the thread pool; `auto` (default) picks the
   * synchronous one when the runtime allows.
   */
  zlib?: 'auto' | 'sync' | 'streaming';
  /**
   * Asked of every message before it reaches the sink; true means the caller has dealt with it
   * and the sink never sees it. The synchronous inflaters (zlib-stream and zstd-stream) show only
   * the message's ends, before the whole is decoded to text: `head`, its first `SKIP_HEAD_BYTES`
   * bytes, and `tail()`, its last ones (made only when called), as Latin-1, so ASCII reads as is.
   * Text frames and the streaming inflaters show the whole text as both. Lets a shard drop
   * dispatches nobody wants, unparsed.
   */
  skip?: MessageSkip;
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
        `zstd-stream needs node:zlib zstd support (Node ${ZSTD_MIN_NODE} or later); this is Node ${process.versions.node}. Use 'zlib-stream'.`,
      );
    }
    return createZstdInflater(options.zlib ?? 'auto', sink, cap, options.skip);
  }
  const useSync = options.zlib === 'sync' || (options.zlib !== 'streaming' && hasSyncZlib());
  return useSync
    ? createSyncZlibInflater(sink, cap, options.skip)
    : createStreamingInflater(zlib.createInflate(), zlib.constants.Z_SYNC_FLUSH, endsWithZlibSuffix, sink, cap, options.skip);
};

/** Creates the decoder of one connection; call once per connection. */
export const createDecoder = (options: DecoderOptions, sink: InflateSink): MessageDecoder => new Decoder(options, sink);

/**
 * `MessageDecoder` as a class. It is also the sink of its inflater, where it guards its own
 * sink: after the first error (or `close`) nothing more reaches it.
 */
class Decoder implements MessageDecoder, InflateSink {
  private readonly cap: number;
  private dead = false;
  private inflater: Inflater | DisclusterError | undefined;
  /** Present when the sink takes oversize messages (the inflaters look for it). */
  readonly oversize?: (message: OversizeMessage) => void;

  constructor(
    private readonly options: DecoderOptions,
    private readonly sink: InflateSink,
  ) {
    this.cap = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    if (sink.oversize !== undefined) {
      this.oversize = (message) => {
        if (!this.dead) sink.oversize!(message);
      };
    }
  }

  push(data: Buffer | ArrayBuffer | Buffer[] | string, isBinary: boolean): void {
    if (this.dead) return;
    if (!isBinary) {
      const text = typeof data === 'string' ? data : toBuffer(data).toString('utf8');
      if (text.length > this.cap) {
        if (this.oversize !== undefined) this.oversize({ bytes: text.length, head: text.slice(0, SKIP_HEAD_BYTES), tail: text.slice(-SKIP_HEAD_BYTES) });
        else this.error(new DisclusterError('DECODE_TOO_LARGE', `a gateway message exceeded the cap of ${this.cap} bytes`));
      }
      else if (this.options.skip === undefined || !this.options.skip(text, text)) this.sink.message(text);
      return;
    }
    if (this.options.compression === 'none') {
      this.error(new DisclusterError('DECODE_INVALID_FRAME', 'received a binary frame on an uncompressed connection'));
      return;
    }
    const target = (this.inflater ??= createInflater(this.options, this, this.cap));
    if (target instanceof DisclusterError) this.error(target);
    else target.push(toBuffer(data));
  }

  close(): void {
    this.dead = true;
    if (this.inflater !== undefined && !(this.inflater instanceof DisclusterError)) this.inflater.close();
  }

  /** From the inflater: a whole message. */
  message(text: string): void {
    if (!this.dead) this.sink.message(text);
  }

  /** From the inflater or the checks above: the decoder is done. */
  error(error: DisclusterError): void {
    if (this.dead) return;
    this.dead = true;
    this.sink.error(error);
  }
}
