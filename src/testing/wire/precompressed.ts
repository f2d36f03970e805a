/**
 * zlib-stream for benchmarks: each dispatch template is compressed once and its bytes are reused
 * on every connection and every event, so streaming costs no deflate at all.
 *
 * What the client sees is still one valid zlib stream with a sync flush after each message: a
 * zlib header once, then per message a stored (uncompressed) block holding the part that changes
 * (`{"t":"…","s":N` and the optional stamp) followed by the template's raw-deflated rest, which
 * ends with `00 00 ff ff`. The difference from Discord: no message refers back to earlier ones,
 * so compression is weaker, and a client that (wrongly) inflated each message on its own would
 * not be caught here. Use the default per-connection context for correctness tests.
 */
import * as zlib from 'node:zlib';
import type { FrameEncoder } from './encoder.js';
import { STAMP_HEAD, type DispatchTemplate } from './frames.js';

/** A zlib header (CMF 0x78: deflate, 32 KiB window; FLG 0x01: fastest, check bits). */
const ZLIB_HEADER = Buffer.from([0x78, 0x01]);

/** A deflate stored block holding `text` (at most 65535 bytes), starting on a byte boundary. */
export const storedBlock = (text: string): Buffer => {
  const length = Buffer.byteLength(text);
  if (length > 0xffff) throw new RangeError('a stored block holds at most 65535 bytes');
  const out = Buffer.allocUnsafe(5 + length);
  out[0] = 0x00; // BFINAL 0, BTYPE 00 (stored), padding to the byte boundary
  out.writeUInt16LE(length, 1);
  out.writeUInt16LE(~length & 0xffff, 3);
  out.write(text, 5);
  return out;
};

/** The compressed rest of a template: plain and stamped variants, made on first use. */
interface CompressedTails {
  plain?: Buffer;
  stamped?: Buffer;
}

/** Shared by every precompressed encoder of a level; templates are immutable, so this is safe. */
const caches = new Map<number, WeakMap<DispatchTemplate, CompressedTails>>();

/** A zlib-stream encoder that reuses each template's compressed bytes. */
export const precompressedZlibEncoder = (level: number): FrameEncoder => {
  let cache = caches.get(level);
  if (cache === undefined) {
    cache = new WeakMap();
    caches.set(level, cache);
  }
  const tails = cache;
  const deflate = (text: string): Buffer => zlib.deflateRawSync(text, { level, finishFlush: zlib.constants.Z_SYNC_FLUSH });
  let first = true;
  const withHeader = (parts: Buffer[]): Buffer => {
    if (first) {
      first = false;
      parts.unshift(ZLIB_HEADER);
    }
    return parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts);
  };
  const tailsOf = (tpl: DispatchTemplate): CompressedTails => {
    let entry = tails.get(tpl);
    if (entry === undefined) {
      entry = {};
      tails.set(tpl, entry);
    }
    return entry;
  };
  return {
    binary: true,
    encode: (text) => withHeader([deflate(text)]),
    prepareDispatch: (tpl, stamped) => {
      const entry = tailsOf(tpl);
      if (stamped && tpl.stampTail !== undefined) entry.stamped ??= deflate(tpl.stampTail);
      else entry.plain ??= deflate(tpl.tail);
    },
    encodeDispatch: (tpl, s, stamp) => {
      const entry = tailsOf(tpl);
      if (stamp === undefined || tpl.stampTail === undefined) {
        entry.plain ??= deflate(tpl.tail);
        return withHeader([storedBlock(tpl.head + s), entry.plain]);
      }
      entry.stamped ??= deflate(tpl.stampTail);
      return withHeader([storedBlock(`${tpl.head}${s}${tpl.stampHead ?? STAMP_HEAD}"emulator_ts":${stamp}`), entry.stamped]);
    },
    close: () => {},
  };
};
