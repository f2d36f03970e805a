/**
 * Gateway frames as text, serialized the way Discord does: keys in the order `t`, `s`, `op`, `d`.
 *
 * A dispatch is kept as a {@link DispatchTemplate}: its `d` is serialized once, and a frame is
 * rendered by gluing the sequence number (and optionally a timestamp) in between precomputed
 * strings, so streaming never calls `JSON.stringify` on a payload twice.
 */
import { guildIdOf } from '../world/routing.js';

/** A dispatch whose payload is serialized once; render it with {@link renderDispatch}. */
export interface DispatchTemplate {
  /** The event name, e.g. `MESSAGE_CREATE`. */
  readonly t: string;
  /** `{"t":"NAME","s":` */
  readonly head: string;
  /** `,"op":0,"d":{...}}` */
  readonly tail: string;
  /** The tail of a stamped frame, after `"emulator_ts":N`: `,{rest of d}}` or `}}` for an empty `d`; undefined when `d` is not an object. */
  readonly stampTail: string | undefined;
  /** Serialized size of `d` in characters. */
  readonly size: number;
  /** The guild the event belongs to (`d.guild_id`, or `d.id` of GUILD_CREATE/UPDATE/DELETE), for routing; undefined: guild-less. */
  readonly guildId?: string | undefined;
  /** What a stamped frame has between `s` and `"emulator_ts"`: `,"op":0,"d":{` (the default) unless the keys are reordered. */
  readonly stampHead?: string;
}

/** What a stamped frame has between `s` and `"emulator_ts"` in Discord's key order. */
export const STAMP_HEAD = ',"op":0,"d":{';

/** Builds a template from an event name and an already serialized `d` (and the event's guild, for routing). */
export const templateFromJson = (t: string, dJson: string, guildId?: string): DispatchTemplate => {
  const isObject = dJson.startsWith('{') && dJson.endsWith('}');
  const inner = isObject ? dJson.slice(1) : '';
  return {
    t,
    head: `{"t":${JSON.stringify(t)},"s":`,
    tail: `,"op":0,"d":${dJson}}`,
    stampTail: isObject ? (inner === '}' ? '}}' : `,${inner}}`) : undefined,
    size: dJson.length,
    guildId,
  };
};

/** Builds a template from an event name and a payload (serialized now, once). */
export const template = (t: string, d: unknown): DispatchTemplate => templateFromJson(t, JSON.stringify(d ?? null), guildIdOf(t, d));

/**
 * Renders a dispatch frame with sequence `s`. With `stamp`, `d` gets a first key
 * `emulator_ts` (ms, `performance.timeOrigin + performance.now()` when the frame was made),
 * provided `d` is an object.
 */
export const renderDispatch = (tpl: DispatchTemplate, s: number, stamp?: number): string =>
  stamp === undefined || tpl.stampTail === undefined
    ? tpl.head + s + tpl.tail
    : `${tpl.head}${s}${tpl.stampHead ?? STAMP_HEAD}"emulator_ts":${stamp}${tpl.stampTail}`;

/** Op-first templates, made once per template (templates are immutable). */
const opFirstOf = new WeakMap<DispatchTemplate, DispatchTemplate>();

/**
 * The same dispatch with `op` first, `{"op":0,"t":"NAME","s":N,"d":…}`, as some proxies and
 * other servers write it (the emulator's `keyOrder: 'op-first'`).
 */
export const opFirst = (tpl: DispatchTemplate): DispatchTemplate => {
  let reordered = opFirstOf.get(tpl);
  if (reordered === undefined) {
    // tail is `,"op":0,"d":…}` in Discord's order; the rest after `,"op":0` is `,"d":…}`
    const rest = tpl.tail.slice(',"op":0'.length);
    reordered = { t: tpl.t, head: `{"op":0,"t":${JSON.stringify(tpl.t)},"s":`, tail: rest, stampTail: tpl.stampTail, size: tpl.size, guildId: tpl.guildId, stampHead: ',"d":{' };
    opFirstOf.set(tpl, reordered);
  }
  return reordered;
};

/** Renders a non-dispatch frame: `{"t":null,"s":null,"op":N,"d":...}`, as Discord sends them. */
export const renderOp = (op: number, d: unknown): string => `{"t":null,"s":null,"op":${op},"d":${JSON.stringify(d ?? null)}}`;

/** The Heartbeat ACK frame (op 11), prebuilt. */
export const HEARTBEAT_ACK = renderOp(11, null);

/** A wall-clock-like ms timestamp from the monotonic clock: `performance.timeOrigin + performance.now()`. */
export const stampNow = (): number => performance.timeOrigin + performance.now();
