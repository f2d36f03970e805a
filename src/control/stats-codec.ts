/**
 * The `stats` reply as an io-ts codec: what a cluster tells CONTROL of its shards, memory, event
 * loop and forwarding when asked. Part of the cluster → CONTROL messages (to-control.ts); see PROTOCOL.md.
 */
import * as t from 'io-ts';
import { boundedArray, boundedRecord, boundedString, CloseCode, Count, DispatchName, FiniteNumber, nonEmptyString, Nonce, ShardId, ShardStatusCodec } from './codec-fields.js';
import { MAX_CLUSTER_SHARDS } from './to-cluster.js';

/** Most distinct dispatch names one shard reports counts of in `stats` (the cluster's cap is lower; past it, `other`). */
export const MAX_STATS_EVENT_NAMES = 1024;

/**
 * One shard in a `stats` reply. The optional counters (since the metrics entry) are counted by
 * the cluster from its start: dispatches by event name, reconnects by kind, lost sessions and
 * fatal stops by kind; a cluster that does not count leaves them out.
 */
export const ShardStatsCodec = t.intersection(
  [
    t.type({
      shardId: ShardId,
      status: ShardStatusCodec,
      latencyMs: t.union([t.null, FiniteNumber]),
      seq: t.union([t.null, Count]),
      events: Count,
      lastCloseCode: t.union([t.null, CloseCode]),
      fatal: t.boolean,
    }),
    t.partial({
      dispatches: boundedRecord(DispatchName, Count, MAX_STATS_EVENT_NAMES),
      // `unreachable`: reconnects after a connection that ended before Hello (a gateway outage)
      reconnects: t.intersection([t.type({ resume: Count, identify: Count }), t.partial({ unreachable: Count })]),
      sessionsLost: Count,
      fatalKinds: boundedRecord(nonEmptyString(32), Count, 16),
      messagesDropped: boundedRecord(nonEmptyString(32), Count, 16),
      identifyLoopPauses: Count,
    }),
  ],
  'shard stats',
);

/**
 * Forwarding to CONTROL in a `stats` reply: the bound, what is forwarded and not yet read, and
 * the dispatches dropped since the start by name (and in how many gaps).
 */
export const ForwardStatsCodec = t.type(
  {
    maxUnreadBytes: Count,
    unreadBytes: Count,
    unreadDispatches: Count,
    forwarded: Count,
    dropped: boundedRecord(DispatchName, Count, 512),
    gaps: Count,
  },
  'forward stats',
);

/** `stats`: the reply to a `stats` request. */
export const StatsCodec = t.intersection(
  [
    t.type({
      type: t.literal('stats'),
      nonce: Nonce,
      clusterId: boundedString(128),
      shards: boundedArray(ShardStatsCodec, MAX_CLUSTER_SHARDS),
      // maxRss: the process's peak resident set size so far
      memory: t.intersection([t.type({ rss: Count, heapUsed: Count, heapTotal: Count, external: Count }), t.partial({ maxRss: Count })], 'memory'),
      eventLoopLagMs: FiniteNumber,
      uptimeMs: FiniteNumber,
    }),
    // shards waiting on the cluster's own identify queue, when it can tell; forwarding's window and drops
    t.partial({ identifyWaiting: Count, forward: ForwardStatsCodec }),
  ],
  'stats',
);
