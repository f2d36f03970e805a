/**
 * The order of a dispatch's top-level keys on the wire. Discord writes `t`, `s`, `op`, `d`;
 * gateway proxies and other servers that re-serialize may not. `'op-first'` writes
 * `{"op":0,"t":"NAME","s":N,"d":…}`, so clients (and the benchmark) can be tried on an order
 * other than Discord's. Only dispatches are reordered; other frames keep Discord's order.
 */
import type { FrameEncoder } from './encoder.js';
import { opFirst, renderDispatch } from './frames.js';

/** The dispatch key orders the emulator can write. */
export type KeyOrder = 'discord' | 'op-first';

/** `encoder`, writing dispatches in `order`. */
export const withKeyOrder = (encoder: FrameEncoder, order: KeyOrder): FrameEncoder => {
  if (order === 'discord') return encoder;
  const base = encoder;
  return {
    binary: base.binary,
    encode: (text) => base.encode(text),
    encodeDispatch: (tpl, s, stamp) =>
      base.encodeDispatch === undefined ? base.encode(renderDispatch(opFirst(tpl), s, stamp)) : base.encodeDispatch(opFirst(tpl), s, stamp),
    prepareDispatch: (tpl, stamped) => base.prepareDispatch?.(opFirst(tpl), stamped),
    close: () => base.close(),
  };
};
