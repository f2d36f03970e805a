/**
 * A gateway outage as a shard sees it: connections that end before the gateway's Hello (the
 * socket refused or closed, the upgrade failed, no Hello in time). Such a connection sent no
 * identify, so it cost nothing from the daily budget (identify-budget.ts); the shard reports it
 * with an `unreachable` event and tries again with its backoff for as long as it runs.
 */
import type { ConnectionEnd } from './session.js';
import type { ShardUnreachableEvent } from './types.js';

/** True when a connection that ended so, before any Hello, says the gateway was unreachable. */
export const endedUnreachable = (why: ConnectionEnd, helloSeen: boolean): boolean =>
  !helloSeen && (why.type === 'closed' || why.type === 'hello-timeout');

/** The event for the `failures`th connection in a row of this shard that ended before Hello. */
export const unreachableEvent = (shardId: number, failures: number, why: ConnectionEnd): ShardUnreachableEvent => ({
  type: 'unreachable',
  shardId,
  failures,
  reason: why.type === 'closed' ? `the connection closed before Hello (code ${why.code})` : 'no Hello in time',
});
