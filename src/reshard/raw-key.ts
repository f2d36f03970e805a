/**
 * A dispatch's handover key from the bytes Discord sent rather than from the parsed value: `t`,
 * then the text of `d` itself when it is short, else a SHA-1 of it and its length. Discord sends
 * one event with the same `d` text on every connection (only `s` differs), so twins get the same
 * key for the cost of a hash, and the handover holds a few dozen bytes per event instead of a
 * re-serialized `d`. Keys of both kinds never equal a `dispatchKey` (`=` and `#` start no JSON text).
 */
import { createHash } from 'node:crypto';
import { dispatchDataText } from '../gateway/dispatch-data.js';
import { frameTextOf } from '../shard/frame-text.js';
import type { ShardDispatchEvent } from '../shard/types.js';

/** `d` texts up to this many characters are the key themselves; longer ones are hashed. */
export const RAW_KEY_MAX_TEXT = 128;

/** The key of a `d` text (see above). */
export const rawKeyOf = (t: string, dText: string): string =>
  dText.length <= RAW_KEY_MAX_TEXT ? `${t}\n=${dText}` : `${t}\n#${createHash('sha1').update(dText).digest('base64')}:${dText.length}`;

/** The raw key of an event, or undefined when it has no frame text or the frame's layout is not plain (`dispatchDataText`). */
export const rawDispatchKey = (event: ShardDispatchEvent): string | undefined => {
  const text = frameTextOf(event);
  if (text === undefined) return undefined;
  const dText = dispatchDataText(text);
  return dText === undefined ? undefined : rawKeyOf(event.t, dText);
};
