import * as t from 'io-ts';

/** A finite, non-negative integer. */
const NonNegativeInt = t.refinement(t.number, (n) => Number.isInteger(n) && n >= 0, 'NonNegativeInt');

/** A positive, finite number of milliseconds. */
const PositiveMs = t.refinement(t.number, (n) => Number.isFinite(n) && n > 0, 'PositiveMs');

/**
 * The envelope of every gateway frame: `{ op, d, s, t }`. Only the envelope is validated for
 * dispatches; their `d` is typed with `discord-api-types`.
 */
export const FrameCodec = t.intersection([
  t.type({ op: NonNegativeInt }),
  t.partial({ d: t.unknown, s: t.union([NonNegativeInt, t.null]), t: t.union([t.string, t.null]) }),
]);
/** A decoded gateway frame. */
export type Frame = t.TypeOf<typeof FrameCodec>;

/** `d` of Hello (op 10). */
export const HelloCodec = t.type({ heartbeat_interval: PositiveMs });
/** Hello's data. */
export type Hello = t.TypeOf<typeof HelloCodec>;

/** The part of READY's `d` that the library itself reads. */
export const ReadyCodec = t.type({ session_id: t.string, resume_gateway_url: t.string });
/** What the library keeps of READY. */
export type Ready = t.TypeOf<typeof ReadyCodec>;

/** `d` of Invalid Session (op 9): whether the session may be resumed. */
export const InvalidSessionCodec = t.boolean;
