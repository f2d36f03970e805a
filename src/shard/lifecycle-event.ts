import type { ShardDispatchEvent, ShardEvent } from './types.js';

/** A shard's events other than dispatches: status, heartbeat, session, session-lost, fatal, message-dropped and identify-loop. */
export type ShardLifecycleEvent = Exclude<ShardEvent, ShardDispatchEvent>;
