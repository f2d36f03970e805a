/**
 * Validation of one protocol message, shared by both ends: size and shape limits first (cheap,
 * before any codec runs), then the codec of the message's `type`. A refusal says where the
 * message was wrong and what was expected there; it never quotes a value from the message, so a
 * token in a bad message can never come back in the error.
 */
import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import type { ProtocolErrorCode, ProtocolIssue } from './to-control.js';

/** Bounds a message must stay within before it is decoded at all. */
export interface MessageLimits {
  /** Approximate serialized size (strings count their length), bytes. */
  readonly maxBytes: number;
  /** Deepest nesting of objects and arrays. */
  readonly maxDepth: number;
  /** Longest single string. */
  readonly maxStringLength: number;
}

/** Limits on messages from CONTROL: 1 MiB, 32 levels, strings up to 64 KiB. */
export const TO_CLUSTER_LIMITS: MessageLimits = { maxBytes: 1 << 20, maxDepth: 32, maxStringLength: 1 << 16 };

/** Limits on messages from a cluster: forwarded dispatches (a large GUILD_CREATE) may be big: 64 MiB, 64 levels. */
export const TO_CONTROL_LIMITS: MessageLimits = { maxBytes: 64 << 20, maxDepth: 64, maxStringLength: 64 << 20 };

/** Why a message was refused, in the terms of an `error` message. */
export interface Rejection {
  readonly code: ProtocolErrorCode;
  readonly message: string;
  readonly issues: ProtocolIssue[];
  /** The message's `type`, when it is one this end knows. */
  readonly about?: string;
  /** The message's nonce, when it is a valid one. */
  readonly nonce?: number;
  /** The library error code behind a `start-failed` or `reshard-failed`. */
  readonly cause?: string;
}

const MAX_ISSUES = 16;

const reject = (code: ProtocolErrorCode, message: string, extra: Partial<Rejection> = {}): E.Either<Rejection, never> =>
  E.left({ code, message, issues: [], ...extra });

const isPlainObject = (value: object): boolean => {
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
};

/** A broken limit: too big (`too-large`), or a value JSON cannot carry (`invalid`). */
export interface LimitBreak {
  readonly code: 'too-large' | 'invalid';
  readonly reason: string;
}

const tooLarge = (reason: string): LimitBreak => ({ code: 'too-large', reason });
const NOT_PLAIN: LimitBreak = { code: 'invalid', reason: 'a value is not plain JSON data' };

/** Walks `value` once and says which limit it breaks, if any. Keys are never reported: they could hold anything. */
export const checkLimits = (value: unknown, limits: MessageLimits): LimitBreak | null => {
  let bytes = 0;
  const stack: Array<readonly [unknown, number]> = [[value, 0]];
  while (stack.length > 0) {
    const [item, depth] = stack.pop()!;
    switch (typeof item) {
      case 'string':
        if (item.length > limits.maxStringLength) return tooLarge(`a string is longer than ${limits.maxStringLength} characters`);
        bytes += item.length + 2;
        break;
      case 'number':
      case 'boolean':
      case 'undefined':
        bytes += 8;
        break;
      case 'object': {
        if (item === null) {
          bytes += 4;
          break;
        }
        if (depth >= limits.maxDepth) return tooLarge(`nesting is deeper than ${limits.maxDepth} levels`);
        if (Array.isArray(item)) {
          bytes += 2 + item.length;
          for (const child of item) stack.push([child, depth + 1]);
        } else if (isPlainObject(item)) {
          bytes += 2;
          for (const key of Object.keys(item)) {
            bytes += key.length + 4;
            stack.push([(item as Record<string, unknown>)[key], depth + 1]);
          }
        } else return NOT_PLAIN;
        break;
      }
      default:
        return NOT_PLAIN;
    }
    if (bytes > limits.maxBytes) return tooLarge(`the message is larger than ${limits.maxBytes} bytes`);
  }
  return null;
};

/** Turns io-ts errors into paths and expected type names (never the values). */
export const toIssues = (errors: t.Errors): ProtocolIssue[] => {
  const seen = new Map<string, ProtocolIssue>();
  for (const error of errors) {
    const keys: string[] = [];
    let expected = error.context[error.context.length - 1]?.type.name ?? 'unknown';
    for (let i = 1; i < error.context.length; i++) {
      const parent = error.context[i - 1]!.type;
      if (parent instanceof t.UnionType && i > 1) {
        expected = parent.name; // report a union once, by its name, at its own path
        break;
      }
      if (parent instanceof t.UnionType || parent instanceof t.IntersectionType) continue;
      keys.push(error.context[i]!.key);
    }
    const path = keys.join('.') || '(message)';
    if (!seen.has(path)) seen.set(path, { path: path.slice(0, 256), expected: expected.slice(0, 256) });
    if (seen.size >= MAX_ISSUES) break;
  }
  return [...seen.values()];
};

/** A nonce as the protocol defines it, read without trusting the message. */
const safeNonce = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : undefined;

/** The decoded message of any codec in `codecs`. */
export type MessageOf<M extends Record<string, t.Mixed>> = { [K in keyof M]: t.TypeOf<M[K]> }[keyof M];

/**
 * Validates one message against the codec of its `type` in `codecs`, within `limits`.
 * Left: why it was refused, ready to send back as an `error` message.
 */
export const decodeMessage = <M extends Record<string, t.Mixed>>(
  codecs: M,
  raw: unknown,
  limits: MessageLimits,
): E.Either<Rejection, MessageOf<M>> => {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return reject('not-an-object', 'a message must be a JSON object');
  const record = raw as Record<string, unknown>;
  const nonce = safeNonce(record['nonce']);
  const withNonce = nonce === undefined ? {} : { nonce };
  const broken = checkLimits(raw, limits);
  if (broken !== null) return reject(broken.code, `message refused: ${broken.reason}`, withNonce);
  const type = record['type'];
  if (typeof type !== 'string' || !Object.hasOwn(codecs, type)) {
    return reject('unknown-type', `unknown or missing message type; expected one of: ${Object.keys(codecs).join(', ')}`, withNonce);
  }
  const decoded = codecs[type]!.decode(raw);
  if (E.isRight(decoded)) return E.right(decoded.right as MessageOf<M>);
  const issues = toIssues(decoded.left);
  const summary = issues.map((i) => `${i.path}: expected ${i.expected}`).join('; ');
  return reject('invalid', `invalid ${type}: ${summary}`.slice(0, 4096), { issues, about: type, ...withNonce });
};
