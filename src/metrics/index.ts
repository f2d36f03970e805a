/**
 * `@discluster/cluster/metrics`: the cluster's state as Prometheus metrics, through prom-client
 * (an optional peer dependency: only this entry imports it). See the README's Metrics section.
 */
export { registerMetrics, type MetricsOptions } from './register.js';
export { DEFAULT_PREFIX, METRIC_NAMES, type MetricsReading, type ShardDispatchCounts, type ShardGaugeInput } from './exporter.js';
export { DEFAULT_MAX_EVENT_NAMES, DispatchCounts, OTHER_EVENT } from '../counting/dispatch-counts.js';
export { FATAL_KINDS, LifecycleCounts, type ReconnectKind, type ShardLifecycleCounts } from '../counting/lifecycle-counts.js';
export { SHARD_STATUSES, tallyStatuses } from '../counting/status-tally.js';
export { registerControlMetrics, readingFromStats, type ControlMetricsOptions } from './control.js';
export { countCluster, type ClusterCounting } from '../counting/counting.js';
