import type { Cluster } from '../cluster/cluster.js';
import type { ToControlOf } from './to-control.js';

/** The `stats` reply: every shard's status, latency, sequence and event count, plus this process's memory and event-loop lag. */
export const statsOf = (nonce: number, clusterId: string, cluster: Cluster | null, eventLoopLagMs: number, uptimeMs: number): ToControlOf<'stats'> => {
  const { rss, heapUsed, heapTotal, external } = process.memoryUsage();
  return {
    type: 'stats',
    nonce,
    clusterId,
    shards: (cluster?.statuses() ?? []).map((s) => ({
      shardId: s.shardId,
      status: s.status,
      latencyMs: s.latencyMs,
      seq: s.seq,
      events: s.events,
      lastCloseCode: s.lastCloseCode,
      fatal: s.fatal !== null,
    })),
    memory: { rss, heapUsed, heapTotal, external },
    eventLoopLagMs,
    uptimeMs: Math.round(uptimeMs),
  };
};
