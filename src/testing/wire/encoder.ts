/**
 * What every wire encoder is: outgoing JSON text in, what goes on the socket out. The plain and
 * per-connection compressed encoders (`compression.ts`), the precompressed one
 * (`precompressed.ts`) and the key-order wrapper (`key-order.ts`) all implement it.
 */
import type { DispatchTemplate } from './frames.js';

/** Turns outgoing JSON text into what goes on the wire. */
export interface FrameEncoder {
  /** Whether frames are binary (compressed) or text. */
  readonly binary: boolean;
  /** Encodes one whole message. */
  encode(text: string): string | Buffer;
  /** Encodes a dispatch without rendering its text first, where the encoder can do better. */
  encodeDispatch?(tpl: DispatchTemplate, s: number, stamp: number | undefined): string | Buffer;
  /** Does ahead of time whatever `encodeDispatch` would do on a template's first use (a stamped one with `stamped`). */
  prepareDispatch?(tpl: DispatchTemplate, stamped: boolean): void;
  /** Frees the compression context. */
  close(): void;
}
