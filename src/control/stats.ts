import type { Cluster } from '../cluster/cluster.js';
import type { ClusterCounting } from '../counting/counting.js';
import type { ShardLifecycleCounts } from '../counting/lifecycle-counts.js';
import type { ForwardCounts } from './forward-window.js';
import type { ToControlOf } from './to-control.js';

/**
 * The `stats` reply: every shard's status, latency, sequence and event count, plus this process's
 * memory and event-loop lag; with `counting`, each shard's counters (dispatches by event name,
 * reconnects, lost sessions, fatal stops) and the identify queue's waiting shards; with
 * `forward`, forwarding's window and the dispatches it dropped.
 */
export const statsOf = (
  nonce: number,
  clusterId: string,
  cluster: Cluster | null,
  eventLoopLagMs: number,
  uptimeMs: number,
  counting: ClusterCounting | null = null,
  forward: ForwardCounts | null = null,
): ToControlOf<'stats'> => {
  const { rss, heapUsed, heapTotal, external } = process.memoryUsage();
  const maxRss = process.resourceUsage().maxRSS * 1024;
  const dispatches = new Map(counting?.dispatches.snapshot().map((s) => [s.shardId, s.counts]));
  const lifecycle = new Map<number, ShardLifecycleCounts>(counting?.lifecycle.snapshot().map((s) => [s.shardId, s]));
  const waiting = cluster?.identifyQueue?.waiting;
  return {
    type: 'stats',
    nonce,
    clusterId,
    // the running shards only: a reshard's new ones are reported by `reshard-status`
    shards: (cluster?.statuses() ?? []).filter((s) => s.preparing === undefined).map((s) => {
      const counted = lifecycle.get(s.shardId);
      return {
        shardId: s.shardId,
        status: s.status,
        latencyMs: s.latencyMs,
        seq: s.seq,
        events: s.events,
        lastCloseCode: s.lastCloseCode,
        fatal: s.fatal !== null,
        ...(counting === null
          ? {}
          : {
              dispatches: dispatches.get(s.shardId) ?? {},
              reconnects: counted?.reconnects ?? { resume: 0, identify: 0, unreachable: 0 },
              sessionsLost: counted?.sessionsLost ?? 0,
              fatalKinds: counted?.fatal ?? {},
              messagesDropped: counted?.messagesDropped ?? {},
              identifyLoopPauses: counted?.identifyLoopPauses ?? 0,
            }),
      };
    }),
    memory: { rss, heapUsed, heapTotal, external, maxRss },
    eventLoopLagMs,
    uptimeMs: Math.round(uptimeMs),
    ...(typeof waiting === 'number' ? { identifyWaiting: waiting } : {}),
    ...(forward === null ? {} : { forward: { ...forward, dropped: { ...forward.dropped } } }),
  };
};
