/**
 * The text of a dispatch's `d`, cut from the frame's text without parsing it: what lets a reshard
 * tell two connections' copies of one event apart from other events by a hash of the bytes
 * Discord sent, instead of re-serializing the parsed value. Pure, and never throws.
 *
 * Only a frame whose members before `d` are exactly `t`, `s` and `op` (any order, simple values)
 * is read: `d` is then the last member (a dispatch has no other), and its text runs to the
 * closing brace. Discord's order (`{"t":…,"s":…,"op":0,"d":…}`) and op-first orders qualify;
 * anything else gives `undefined` ("don't know": key on the parsed value).
 */
import { BACKSLASH, CLOSE, COLON, COMMA, isDigit, isSpace, OPEN, QUOTE } from './json-chars.js';



const skipSpace = (text: string, i: number): number => {
  while (i < text.length && isSpace(text.charCodeAt(i))) i++;
  return i;
};

/** The end (exclusive) of a string without escapes starting at `i` (a quote), or -1. */
const plainStringEnd = (text: string, i: number): number => {
  for (let j = i + 1; j < text.length; j++) {
    const c = text.charCodeAt(j);
    if (c === QUOTE) return j + 1;
    if (c === BACKSLASH) return -1;
  }
  return -1;
};

/** The end (exclusive) of a run of digits starting at `i`, or -1 when there is none. */
const digitsEnd = (text: string, i: number): number => {
  let j = i;
  while (j < text.length && isDigit(text.charCodeAt(j))) j++;
  return j === i ? -1 : j;
};

/**
 * The text of `d` in a dispatch frame's text, or undefined when the frame's layout is not the
 * plain one described above. `text` must be a whole JSON text (the shard has parsed it): the
 * value of `d` is not checked, only the envelope around it.
 */
export const dispatchDataText = (text: string): string | undefined => {
  let i = skipSpace(text, 0);
  if (text.charCodeAt(i) !== OPEN) return undefined;
  i++;
  let seen = 0; // bits: t 1, s 2, op 4
  for (;;) {
    i = skipSpace(text, i);
    const keyEnd = plainStringEnd(text, i);
    if (text.charCodeAt(i) !== QUOTE || keyEnd < 0) return undefined;
    const key = text.slice(i + 1, keyEnd - 1);
    i = skipSpace(text, keyEnd);
    if (text.charCodeAt(i) !== COLON) return undefined;
    i = skipSpace(text, i + 1);
    if (key === 'd') {
      if (seen !== 7) return undefined;
      let end = text.length - 1;
      while (end > i && isSpace(text.charCodeAt(end))) end--;
      if (text.charCodeAt(end) !== CLOSE) return undefined;
      end--;
      while (end >= i && isSpace(text.charCodeAt(end))) end--;
      return end < i ? undefined : text.slice(i, end + 1);
    }
    const bit = key === 't' ? 1 : key === 's' ? 2 : key === 'op' ? 4 : 0;
    if (bit === 0 || (seen & bit) !== 0) return undefined;
    seen |= bit;
    i = bit === 1 ? (text.charCodeAt(i) === QUOTE ? plainStringEnd(text, i) : -1) : digitsEnd(text, i);
    if (i < 0) return undefined;
    i = skipSpace(text, i);
    if (text.charCodeAt(i) !== COMMA) return undefined;
    i++;
  }
};
