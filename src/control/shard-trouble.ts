import type { ClusterLifecycleEvent } from '../cluster/cluster.js';
import type { ToControlMessage } from './to-control.js';

/**
 * A shard's `message-dropped` and `identify-loop` lifecycle events as the protocol messages of
 * the same names; null for any other event.
 */
export const shardTroubleMessage = (event: ClusterLifecycleEvent): ToControlMessage | null => {
  if (event.type === 'message-dropped') {
    const t = event.t === undefined ? {} : { t: event.t };
    const s = event.s === undefined ? {} : { s: event.s };
    return { type: 'message-dropped', shardId: event.shardId, reason: event.reason, bytes: event.bytes, ...t, ...s };
  }
  if (event.type === 'identify-loop') {
    return { type: 'identify-loop', shardId: event.shardId, identifies: event.identifies, windowMs: event.windowMs, waitMs: event.waitMs };
  }
  return null;
};
