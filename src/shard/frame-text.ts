/**
 * A dispatch event's frame text, carried under a symbol: the shard already holds the text it
 * parsed, and a reshard keys each event by its bytes (`src/cluster/handover.ts`). A symbol key
 * stays out of `JSON.stringify`, `Object.keys` and structured clones (CONTROL forwarding), so
 * nothing is copied or sent; it only keeps the text alive as long as the event object is.
 */
import type { ShardDispatchEvent } from './types.js';

/** The symbol under which a dispatch event holds the text of its frame (after decompression). */
export const FRAME_TEXT: unique symbol = Symbol('discluster.frameText');

/** The frame text of a dispatch event, if the shard attached it. */
export const frameTextOf = (event: ShardDispatchEvent): string | undefined => (event as { readonly [FRAME_TEXT]?: string })[FRAME_TEXT];
