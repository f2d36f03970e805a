/**
 * Reads a dispatch's `t` and `s` from the ends of its text, in any key order, without parsing
 * `d`: what lets a shard drop events nobody wants unparsed. Pure, and never throws.
 *
 * The top-level members are read from the start of `head` (a prefix of the message) until a
 * member other than `t`, `s`, `op` (usually `"d":`); whatever is still missing is read from the
 * end of `tail` (a suffix of the message) backwards, member by member, while the values are
 * simple (a number, or a string without escapes). So Discord's order (`{"t":…,"s":…,"op":0,"d":…}`)
 * and op-first orders are judged from the head alone, and `d` first from the last bytes, never
 * by walking over `d` (see bench/micro-keys.ts for what each way costs on a 100 KB GUILD_CREATE).
 *
 * The verdict is `{ t, s }` only for `op` 0, a plain printable-ASCII `t` (no escapes) and a
 * whole `s` of at most 15 digits; anything else, including text cut off before the answer, is
 * `undefined` ("don't know": parse it). A key seen twice with two values is "don't know" too;
 * a duplicate in the middle of the object, which neither end reaches, is not seen (JSON.parse
 * would take the last one: gateways do not repeat keys).
 */
import { BACKSLASH, CLOSE, COLON, COMMA, isDigit, isSpace, OPEN, QUOTE } from './json-chars.js';

/** What the head of a dispatch says without parsing its data. */
export interface DispatchHead {
  readonly t: string;
  readonly s: number;
}

/** The envelope members found so far; `undefined` where not (yet) seen. */
interface Found {
  t: string | undefined;
  s: number | undefined;
  op: number | undefined;
  /** A member of the envelope had a value that rules out a verdict (null `t`, a fraction, two values). */
  spoiled: boolean;
  /** Read for `readEnvelopeHead`: a null `t` or `s` is passed over rather than spoiling the verdict. */
  lenient?: boolean;
}

const MAX_NAME = 64;
const MAX_DIGITS = 15;

/** Printable ASCII other than `"` and `\`: a name that reads the same in JSON and in the text. */
const isNameChar = (c: number): boolean => c >= 0x20 && c <= 0x7e && c !== QUOTE && c !== BACKSLASH;

/**
 * Reads `t` and `s` of a dispatch from `head` (the message's first characters, or all of it)
 * and `tail` (its last characters, or all of it; a function is called only when the head
 * does not settle it). Returns undefined unless both ends together show an op-0 dispatch with
 * a plain name and sequence.
 */
export const readDispatchHead = (head: string, tail: string | (() => string)): DispatchHead | undefined => {
  const found: Found = { t: undefined, s: undefined, op: undefined, spoiled: false };
  readForward(head, found);
  if (found.spoiled) return undefined;
  if (found.t === undefined || found.s === undefined || found.op === undefined) {
    readBackward(typeof tail === 'string' ? tail : tail(), found);
    if (found.spoiled) return undefined;
  }
  return found.op === 0 && found.t !== undefined && found.s !== undefined ? { t: found.t, s: found.s } : undefined;
};

/** What the ends of a message say of its envelope: each member that was read plainly, else absent. */
export interface EnvelopeHead {
  readonly op?: number;
  readonly t?: string;
  readonly s?: number;
}

/**
 * Reads `op`, `t` and `s` from the ends of a message, as `readDispatchHead` does, but gives
 * whatever it found, for any opcode: what lets a shard say which message it could not read.
 * A member with two values, or a null `t`/`s`, leaves the verdict empty.
 */
export const readEnvelopeHead = (head: string, tail: string): EnvelopeHead => {
  const found: Found = { t: undefined, s: undefined, op: undefined, spoiled: false, lenient: true };
  readForward(head, found);
  if (!found.spoiled && !complete(found) && (found.op === undefined || found.op === 0)) readBackward(tail, found);
  if (found.spoiled) return {};
  return { ...(found.op !== undefined ? { op: found.op } : {}), ...(found.t !== undefined ? { t: found.t } : {}), ...(found.s !== undefined ? { s: found.s } : {}) };
};

/** Records one member; a second, different value for the same key spoils the verdict. */
const record = (found: Found, key: string, value: string | number): boolean => {
  if (key === 't' && typeof value === 'string') found.t = agree(found, found.t, value);
  else if (key === 's' && typeof value === 'number') found.s = agree(found, found.s, value);
  else if (key === 'op' && typeof value === 'number') found.op = agree(found, found.op, value);
  else if (key === 't' || key === 's' || key === 'op') found.spoiled = true; // e.g. "t":null, "s":"x"
  return !found.spoiled;
};

const agree = <T>(found: Found, had: T | undefined, value: T): T => {
  if (had !== undefined && had !== value) found.spoiled = true;
  return value;
};

const complete = (found: Found): boolean => found.t !== undefined && found.s !== undefined && found.op !== undefined;

/** From the opening `{`: members `t`, `s`, `op` in any order, until another key, the end, or anything unexpected. */
const readForward = (x: string, found: Found): void => {
  let i = skipSpace(x, 0);
  if (x.charCodeAt(i) !== OPEN) return;
  for (;;) {
    i = skipSpace(x, i + 1);
    if (x.charCodeAt(i) !== QUOTE) return;
    const keyEnd = x.indexOf('"', i + 1);
    if (keyEnd < 0 || keyEnd - i > 3) return; // only t, s, op are read
    const key = x.slice(i + 1, keyEnd);
    if (key !== 't' && key !== 's' && key !== 'op') return;
    i = skipSpace(x, keyEnd + 1);
    if (x.charCodeAt(i) !== COLON) return;
    i = skipSpace(x, i + 1);
    let value: string | number | null;
    const c = x.charCodeAt(i);
    if (c === QUOTE) {
      let k = i + 1;
      while (k < x.length && k - i <= MAX_NAME && isNameChar(x.charCodeAt(k))) k++;
      if (x.charCodeAt(k) !== QUOTE) return; // an escape, a long or odd name, or the head ends: don't know
      value = x.slice(i + 1, k);
      i = k + 1;
    } else if (isDigit(c)) {
      let n = 0;
      const from = i;
      for (; isDigit(x.charCodeAt(i)); i++) n = n * 10 + (x.charCodeAt(i) - 0x30);
      if (i - from > MAX_DIGITS) return;
      value = n;
    } else if (x.startsWith('null', i)) {
      value = null;
      i += 4;
    } else return;
    i = skipSpace(x, i);
    const next = x.charCodeAt(i);
    if (next !== COMMA && next !== CLOSE) return; // a fraction, an exponent, or the head ends
    if (value === null) {
      if (found.lenient === true && next === COMMA) continue; // Hello and the like: "t":null, "s":null
      found.spoiled = true; // "t":null / "s":null: not a dispatch
      return;
    }
    if (!record(found, key, value) || complete(found) || next === CLOSE) return;
  }
};

/** From the closing `}`, backwards: members whose values are simple, until a complex value or anything unexpected. */
const readBackward = (x: string, found: Found): void => {
  let i = skipSpaceBack(x, x.length - 1);
  if (x.charCodeAt(i) !== CLOSE) return;
  for (;;) {
    i = skipSpaceBack(x, i - 1);
    let value: string | number;
    const c = x.charCodeAt(i);
    if (c === QUOTE) {
      let k = i - 1;
      while (k >= 0 && i - k <= MAX_NAME + 1 && isNameChar(x.charCodeAt(k))) k--;
      if (k < 0 || x.charCodeAt(k) !== QUOTE) return; // an escape, a long or odd value, or the tail ends
      value = x.slice(k + 1, i);
      i = k - 1;
    } else if (isDigit(c)) {
      let k = i;
      while (k >= 0 && isDigit(x.charCodeAt(k))) k--;
      if (i - k > MAX_DIGITS) return;
      value = Number(x.slice(k + 1, i + 1));
      i = k;
    } else return; // an object, an array, null, true, false: stop here
    i = skipSpaceBack(x, i);
    if (x.charCodeAt(i) !== COLON) return; // a sign, a fraction, an exponent, or not a member
    i = skipSpaceBack(x, i - 1);
    if (x.charCodeAt(i) !== QUOTE) return;
    const keyStart = x.lastIndexOf('"', i - 1);
    if (keyStart < 0 || i - keyStart > 17) return;
    const key = x.slice(keyStart + 1, i);
    if (key.includes('\\')) return;
    i = skipSpaceBack(x, keyStart - 1);
    const before = x.charCodeAt(i);
    if (before !== COMMA && before !== OPEN) return; // the tail ends mid-member: it does not count
    if (!record(found, key, value) || complete(found) || before === OPEN) return;
  }
};

const skipSpace = (x: string, i: number): number => {
  while (isSpace(x.charCodeAt(i))) i++;
  return i;
};

const skipSpaceBack = (x: string, i: number): number => {
  while (i >= 0 && isSpace(x.charCodeAt(i))) i--;
  return i;
};
