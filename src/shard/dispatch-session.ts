/**
 * The gateway session a dispatch arrived on, carried under a symbol like the frame text
 * (`frame-text.ts`): with the shard id and `s` it names one delivery of one event, and stays the
 * same when a resume replays the event (same session, same `s`). The broker's producer makes its
 * entries' `origin` from it, so a worker can drop a repeat. A symbol key stays out of
 * `JSON.stringify`, `Object.keys` and structured clones, so nothing more is copied or sent.
 */
import type { ShardDispatchEvent } from './types.js';

/** The symbol under which a dispatch event holds its session id. */
export const SESSION_ID: unique symbol = Symbol('discluster.sessionId');

/** The id of the session a dispatch arrived on, if the shard attached it (every dispatch a shard emits has it). */
export const sessionIdOf = (event: ShardDispatchEvent): string | undefined => (event as { readonly [SESSION_ID]?: string })[SESSION_ID];
