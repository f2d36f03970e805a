import type { Registry, RegistryContentType } from 'prom-client';
import type { ClusterHandle } from '../control/handle.js';
import type { ToControlOf } from '../control/to-control.js';
import { DisclusterError } from '../gateway/errors.js';
import type { IdentifyQueue } from '../shard/types.js';
import { checkPrefix, DEFAULT_PREFIX, exportReadings, type MetricsReading } from './exporter.js';

/** Options of `registerControlMetrics`. */
export interface ControlMetricsOptions {
  /** The prom-client registry to add the metrics to. */
  readonly registry: Registry<RegistryContentType>;
  /** Put before every metric name (default `discluster_`). */
  readonly prefix?: string;
  /** CONTROL's identify queue (the one given to `spawnCluster` with `identify: 'control'`), whose `waiting` is added to what clusters report. */
  readonly identifyQueue?: IdentifyQueue;
  /** A cluster whose `stats` reply takes longer is left out of that scrape (default 5000 ms). */
  readonly statsTimeoutMs?: number;
}

type Stats = ToControlOf<'stats'>;

/** Waits for `promise` at most `ms`; undefined when it failed or took longer. */
const within = <T>(promise: Promise<T>, ms: number): Promise<T | undefined> => {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)));
  return Promise.race([promise.catch(() => undefined), late]).finally(() => clearTimeout(timer));
};

/** Dispatches every cluster dropped instead of forwarding, summed by event name. */
const sumDropped = (replies: readonly Stats[]): Record<string, number> => {
  const sum: Record<string, number> = {};
  for (const reply of replies) for (const [event, count] of Object.entries(reply.forward?.dropped ?? {})) sum[event] = (sum[event] ?? 0) + count;
  return sum;
};

/** One reading from the `stats` replies of every cluster (one shard id per shard of the bot). */
export const readingFromStats = (replies: readonly Stats[], controlWaiting: number | null): MetricsReading => {
  const shards = replies.flatMap((r) => r.shards);
  const reported = replies.filter((r) => r.identifyWaiting !== undefined);
  return {
    shards,
    dispatches: shards.map((s) => ({ shardId: s.shardId, counts: s.dispatches ?? {} })),
    lifecycle: shards.map((s) => ({
      shardId: s.shardId,
      reconnects: { resume: s.reconnects?.resume ?? 0, identify: s.reconnects?.identify ?? 0, unreachable: s.reconnects?.unreachable ?? 0 },
      sessionsLost: s.sessionsLost ?? 0,
      fatal: s.fatalKinds ?? {},
      messagesDropped: s.messagesDropped ?? {},
      identifyLoopPauses: s.identifyLoopPauses ?? 0,
    })),
    identifyWaiting: controlWaiting === null && reported.length === 0 ? null : (controlWaiting ?? 0) + reported.reduce((n, r) => n + (r.identifyWaiting ?? 0), 0),
    forwardDropped: sumDropped(replies),
  };
};

/**
 * For a CONTROL process: registers the same metrics as `registerMetrics`, for clusters running in
 * other processes or threads (`spawnCluster` handles), read from their `stats` replies when the
 * registry is scraped. One scrape sends one `stats` request to each cluster (shared by every
 * metric); a cluster that does not answer within `statsTimeoutMs`, or has exited, is left out of
 * that scrape. `handles` is read at every scrape, so a function returning the current handles
 * follows clusters as they come and go. Counters count from each cluster's start, so a
 * restarted cluster starts again from zero (Prometheus' `rate()` treats that as a reset).
 */
export const registerControlMetrics = (
  handles: Iterable<Pick<ClusterHandle, 'stats'>> | (() => Iterable<Pick<ClusterHandle, 'stats'>>),
  options: ControlMetricsOptions,
): (() => void) => {
  if (options === null || typeof options !== 'object' || typeof options.registry?.registerMetric !== 'function') {
    throw new DisclusterError('INVALID_OPTIONS', 'registerControlMetrics needs { registry }: a prom-client Registry');
  }
  const prefix = checkPrefix(options.prefix ?? DEFAULT_PREFIX);
  const timeoutMs = options.statsTimeoutMs ?? 5000;
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > 600_000) {
    throw new DisclusterError('INVALID_OPTIONS', `statsTimeoutMs must be an integer from 1 to 600000, got ${String(timeoutMs)}`);
  }
  const list = typeof handles === 'function' ? handles : () => handles;
  let inFlight: Promise<MetricsReading> | null = null;
  // every metric's collect() starts in the same turn of a scrape: they share one round of requests
  const read = (): Promise<MetricsReading> =>
    (inFlight ??= Promise.all([...list()].map((h) => within(h.stats(), timeoutMs)))
      .then((replies) => readingFromStats(replies.filter((r): r is Stats => r !== undefined), typeof options.identifyQueue?.waiting === 'number' ? options.identifyQueue.waiting : null))
      .finally(() => (inFlight = null)));
  return exportReadings(options.registry, prefix, read, { identifyWaiting: true, forwardDropped: true });
};
