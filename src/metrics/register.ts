import type { Registry, RegistryContentType } from 'prom-client';
import type { Cluster } from '../cluster/cluster.js';
import { DisclusterError } from '../gateway/errors.js';
import type { IdentifyQueue } from '../shard/types.js';
import type { DispatchPublisher } from '../broker/publisher.js';
import { countCluster, type ClusterCounting } from '../counting/counting.js';
import { DEFAULT_MAX_EVENT_NAMES } from '../counting/dispatch-counts.js';
import { checkPrefix, DEFAULT_PREFIX, exportReadings, type MetricsReading } from './exporter.js';

/** Options of `registerMetrics`. */
export interface MetricsOptions {
  /** The prom-client registry to add the metrics to. */
  readonly registry: Registry<RegistryContentType>;
  /** Put before every metric name (default `discluster_`). */
  readonly prefix?: string;
  /** Distinct dispatch names with a label of their own; later names count as `other` (default 128). */
  readonly maxEventNames?: number;
  /** The queue whose `waiting` count `identify_queue_waiting` reports (default the cluster's own). */
  readonly identifyQueue?: IdentifyQueue;
  /** A broker producer (`publishDispatches` of `@discluster/cluster/broker`) whose counts the `broker_*` metrics report. */
  readonly broker?: Pick<DispatchPublisher, 'stats'>;
}

/** Checks `maxEventNames`: an integer from 1 to 10000. */
export const checkMaxEventNames = (value: unknown): number => {
  if (value === undefined) return DEFAULT_MAX_EVENT_NAMES;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 10_000) {
    throw new DisclusterError('INVALID_OPTIONS', `maxEventNames must be an integer from 1 to 10000, got ${String(value)}`);
  }
  return value;
};

/**
 * Adds the cluster's metrics to a prom-client registry and returns the function that removes
 * them and stops counting. Dispatches and lifecycle events are counted in plain tables as they
 * happen; prom-client reads the tables, `cluster.statuses()` and the identify queue only when
 * the registry is scraped. Throws `INVALID_OPTIONS` (and registers nothing) for a bad option or
 * a name the registry already has.
 */
export const registerMetrics = (cluster: Cluster, options: MetricsOptions): (() => void) => {
  if (options === null || typeof options !== 'object' || typeof options.registry?.registerMetric !== 'function') {
    throw new DisclusterError('INVALID_OPTIONS', 'registerMetrics needs { registry }: a prom-client Registry');
  }
  const prefix = checkPrefix(options.prefix ?? DEFAULT_PREFIX);
  const maxEventNames = checkMaxEventNames(options.maxEventNames);
  const queue = options.identifyQueue ?? cluster.identifyQueue;
  const { broker } = options;
  if (broker !== undefined && typeof broker?.stats !== 'function') throw new DisclusterError('INVALID_OPTIONS', 'broker must be what publishDispatches returned');
  let counting: ClusterCounting | null = null;
  const read = (): MetricsReading => ({
    get dispatches() {
      return counting?.dispatches.snapshot() ?? [];
    },
    get lifecycle() {
      return counting?.lifecycle.snapshot() ?? [];
    },
    get shards() {
      // one series per running shard: a reshard's new shards (same ids) are not counted until they run
      return cluster.statuses().filter((s) => s.preparing === undefined);
    },
    get identifyWaiting() {
      return queue?.waiting ?? null;
    },
    get broker() {
      return broker?.stats() ?? null;
    },
  });
  const removeMetrics = exportReadings(options.registry, prefix, read, { identifyWaiting: typeof queue?.waiting === 'number', broker: broker !== undefined });
  const started = countCluster(cluster, maxEventNames);
  counting = started;
  return () => {
    started.stop();
    removeMetrics();
  };
};
