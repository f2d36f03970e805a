/**
 * io-ts codecs of the fields the CONTROL protocol's messages are made of. Every string is
 * bounded; every codec has a fixed name, so a validation error can say what was expected
 * without quoting what was sent.
 */
import * as t from 'io-ts';
import type { SessionSnapshot, ShardStatus } from '../shard/types.js';

/** The protocol version this library speaks; carried by `start` and `spawned`. */
export const PROTOCOL_VERSION = 1;

/** Longest string accepted in a message from CONTROL, unless a field says otherwise. */
export const MAX_STRING_LENGTH = 4096;

/** A string of at most `max` UTF-16 code units. */
export const boundedString = (max: number, name = `string(<=${max})`) =>
  t.refinement(t.string, (s) => s.length <= max, name);

/** A non-empty string of at most `max` UTF-16 code units. */
export const nonEmptyString = (max: number, name = `non-empty string(<=${max})`) =>
  t.refinement(t.string, (s) => s.length > 0 && s.length <= max, name);

/** A safe integer from `min` to `max`. */
export const intBetween = (min: number, max: number, name = `integer(${min}..${max})`) =>
  t.refinement(t.number, (n) => Number.isSafeInteger(n) && n >= min && n <= max, name);

/** An array of at most `max` items. */
export const boundedArray = <C extends t.Mixed>(item: C, max: number, name = `array(<=${max}) of ${item.name}`) =>
  t.refinement(t.array(item), (a) => a.length <= max, name);

/** A record of at most `max` keys, each one accepted by `key` (io-ts' own record does not check a refined key). */
export const boundedRecord = <V extends t.Mixed>(key: t.Type<string, string, unknown>, value: V, max: number, name = `record(<=${max}) of ${key.name}: ${value.name}`) =>
  t.refinement(
    t.record(t.string, value),
    (r) => {
      const keys = Object.keys(r);
      return keys.length <= max && keys.every((k) => key.is(k));
    },
    name,
  );

/** A non-negative safe integer. */
export const Count = intBetween(0, Number.MAX_SAFE_INTEGER, 'non-negative integer');

/** A request's nonce: a non-negative integer the reply echoes. Never a string, so echoing it can never leak text. */
export const Nonce = intBetween(0, Number.MAX_SAFE_INTEGER, 'nonce (non-negative integer)');

/** A shard id. */
export const ShardId = intBetween(0, 1_000_000, 'shard id (0..1000000)');

/** Milliseconds, as a whole number up to 24 days (setTimeout's limit). */
export const Millis = intBetween(0, 2_147_483_647, 'milliseconds (0..2147483647)');

/** A number that is finite (latencies, lags, memory figures). */
export const FiniteNumber = t.refinement(t.number, Number.isFinite, 'finite number');

/** A dispatch name such as `MESSAGE_CREATE`. */
export const DispatchName = nonEmptyString(64, 'dispatch name (string, 1..64)');

/** Where a shard is in its life. */
export const ShardStatusCodec: t.Type<ShardStatus> = t.keyof(
  { connecting: null, identifying: null, resuming: null, ready: null, resumed: null, reconnecting: null, closed: null },
  'shard status',
);

/** A resumable gateway session, as `SessionSnapshot`. */
export const SessionSnapshotCodec: t.Type<SessionSnapshot, SessionSnapshot, unknown> = t.type(
  {
    sessionId: nonEmptyString(256),
    seq: Count,
    resumeUrl: nonEmptyString(2048),
    shardId: ShardId,
    totalShards: intBetween(1, 1_000_000),
  },
  'session snapshot',
);

/** A gateway command a user may send: presence (3), voice state (4), request guild members (8), soundboard sounds (31). */
export const CommandPayloadCodec = t.type(
  { op: t.union([t.literal(3), t.literal(4), t.literal(8), t.literal(31)], 'user opcode (3 | 4 | 8 | 31)'), d: t.unknown },
  'command payload',
);

/** `session_start_limit` as `GET /gateway/bot` reports it. */
export const SessionStartLimitCodec = t.type(
  { total: Count, remaining: Count, resetAfter: Count },
  'session start limit',
);

/** Presence sent with identify; checked for shape, activities bounded. */
export const PresenceCodec = t.type(
  {
    since: t.union([t.null, Count], 'since (null | integer)'),
    activities: boundedArray(
      t.intersection([
        t.type({ name: nonEmptyString(128), type: intBetween(0, 6) }),
        t.partial({ state: boundedString(128), url: boundedString(512) }),
      ], 'activity'),
      8,
    ),
    status: t.keyof({ online: null, dnd: null, idle: null, invisible: null, offline: null }, 'presence status'),
    afk: t.boolean,
  },
  'presence',
);

/** Shard and cluster timing, in milliseconds; every field optional. */
export const TimingCodec = t.partial(
  {
    helloTimeoutMs: Millis,
    readyTimeoutMs: Millis,
    backoff: t.partial({ initialMs: Millis, maxMs: Millis }, 'backoff'),
    invalidSessionWaitMs: t.type({ min: Millis, max: Millis }, 'invalidSessionWaitMs'),
    identifyLoop: t.partial(
      { maxUnheld: intBetween(1, 1000), windowMs: Millis, holdMs: Millis, pauseMs: t.type({ initial: Millis, max: Millis }, 'pauseMs') },
      'identifyLoop',
    ),
    identifyWindowMs: Millis,
    identifyMarginMs: Millis,
    sessionFlushMs: Millis,
    shutdownTimeoutMs: Millis,
    reshardGuildsTimeoutMs: Millis,
    reshardMatchWindowMs: Millis,
    reshardTimeoutMs: Millis,
  },
  'timing',
);

/** Why a shard stopped for good. */
export const FatalKindCodec = t.keyof(
  { auth: null, sharding: null, version: null, intents: null, 'identify-budget': null, unreadable: null, internal: null },
  'fatal kind',
);

/** A WebSocket close code. */
export const CloseCode = intBetween(0, 65_535, 'close code');
