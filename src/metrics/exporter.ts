import { Counter, Gauge, type Metric, type Registry, type RegistryContentType } from 'prom-client';
import { DisclusterError } from '../gateway/errors.js';
import type { ShardLifecycleCounts } from '../counting/lifecycle-counts.js';
import { tallyStatuses } from '../counting/status-tally.js';
import type { PublisherStats } from '../broker/publisher.js';

/** Dispatches counted for one shard, by event label. */
export interface ShardDispatchCounts {
  readonly shardId: number;
  readonly counts: Readonly<Record<string, number>>;
}

/** One shard's status and last heartbeat round trip (ms), as `cluster.statuses()` and `stats` give them. */
export interface ShardGaugeInput {
  readonly shardId: number;
  readonly status: string;
  readonly latencyMs: number | null;
}

/** Everything one scrape reports, however it was gathered (a local cluster, or `stats` replies). */
export interface MetricsReading {
  readonly dispatches: Iterable<ShardDispatchCounts>;
  readonly lifecycle: Iterable<ShardLifecycleCounts>;
  readonly shards: Iterable<ShardGaugeInput>;
  /** Shards waiting for an identify; null when unknown. */
  readonly identifyWaiting: number | null;
  /** Dispatches not forwarded to CONTROL because it had fallen behind, by event name (CONTROL's metrics only). */
  readonly forwardDropped?: Readonly<Record<string, number>>;
  /** The broker producer's counts (`publishDispatches`), when one is registered. */
  readonly broker?: PublisherStats | null;
}

/** The metric names, without the prefix. */
export const METRIC_NAMES = {
  dispatches: 'dispatches_total',
  shards: 'shards',
  latency: 'heartbeat_latency_seconds',
  reconnects: 'reconnects_total',
  sessionsLost: 'sessions_lost_total',
  fatal: 'fatal_total',
  messagesDropped: 'messages_dropped_total',
  identifyLoopPauses: 'identify_loop_pauses_total',
  identifyWaiting: 'identify_queue_waiting',
  forwardDropped: 'forward_dropped_total',
  brokerPublished: 'broker_published_total',
  brokerDropped: 'broker_dropped_total',
  brokerRejected: 'broker_rejected_total',
  brokerPending: 'broker_pending',
  brokerBatches: 'broker_batches_total',
  brokerBatchSize: 'broker_batch_size',
  brokerRoundTrip: 'broker_round_trip_seconds',
  brokerRoundTripTotal: 'broker_round_trip_seconds_total',
} as const;

/** The default prefix of every metric name. */
export const DEFAULT_PREFIX = 'discluster_';

const PREFIX = /^([a-zA-Z_:][a-zA-Z0-9_:]*)?$/;

/** Checks a metric name prefix: empty, or what Prometheus allows at the start of a name. */
export const checkPrefix = (prefix: unknown): string => {
  if (typeof prefix !== 'string' || prefix.length > 64 || !PREFIX.test(prefix)) {
    throw new DisclusterError('INVALID_OPTIONS', `metrics prefix must match ${PREFIX.source} (at most 64 characters), got ${JSON.stringify(String(prefix)).slice(0, 80)}`);
  }
  return prefix;
};

type Labels = Record<string, string>;
type Read = () => MetricsReading | Promise<MetricsReading>;

/** Calls `use` with the reading, at once when it is synchronous. */
const withReading = (read: Read, use: (reading: MetricsReading) => void): void | Promise<void> => {
  const reading = read();
  if (reading instanceof Promise) return reading.then(use);
  use(reading);
};

/** A counter whose values are all set from a reading at scrape time. */
const counter = (name: string, help: string, labelNames: string[], read: Read, fill: (r: MetricsReading, inc: (labels: Labels, value: number) => void) => void): [string, Metric] => [
  name,
  new Counter({
    name,
    help,
    labelNames,
    registers: [],
    collect() {
      return withReading(read, (r) => {
        this.reset();
        fill(r, (labels, value) => this.inc(labels, value));
      });
    },
  }),
];

/** A gauge whose values are all set from a reading at scrape time. */
const gauge = (name: string, help: string, labelNames: string[], read: Read, fill: (r: MetricsReading, set: (labels: Labels, value: number) => void) => void): [string, Metric] => [
  name,
  new Gauge({
    name,
    help,
    labelNames,
    registers: [],
    collect() {
      return withReading(read, (r) => {
        this.reset();
        fill(r, (labels, value) => this.set(labels, value));
      });
    },
  }),
];

/**
 * Registers the metrics in `registry`, each filled from `read()` when scraped (nothing is
 * updated between scrapes). Returns the function that removes them all. If a name is taken,
 * registers none and throws `INVALID_OPTIONS`.
 */
export const exportReadings = (
  registry: Registry<RegistryContentType>,
  prefix: string,
  read: Read,
  options: { readonly identifyWaiting: boolean; readonly forwardDropped?: boolean; readonly broker?: boolean },
): (() => void) => {
  const name = (key: keyof typeof METRIC_NAMES) => `${prefix}${METRIC_NAMES[key]}`;
  const metrics: [string, Metric][] = [
    counter(name('dispatches'), 'Dispatches delivered on dispatch$, by shard and event name (names past the cap, or malformed, count as "other").', ['shard', 'event'], read, (r, inc) => {
      for (const { shardId, counts } of r.dispatches) for (const event in counts) inc({ shard: String(shardId), event }, counts[event]!);
    }),
    gauge(name('shards'), 'Shards in each status.', ['status'], read, (r, set) => {
      for (const [status, count] of tallyStatuses(r.shards)) set({ status }, count);
    }),
    gauge(name('latency'), "Round trip of each shard's last heartbeat, in seconds (shards without an ACK yet are absent).", ['shard'], read, (r, set) => {
      for (const { shardId, latencyMs } of r.shards) if (latencyMs !== null) set({ shard: String(shardId) }, latencyMs / 1000);
    }),
    counter(
      name('reconnects'),
      'Reconnects by shard and kind: "resume" (the session is kept), "identify" (a new session) or "unreachable" (the connection ended before Hello: a gateway outage, nothing spent).',
      ['shard', 'kind'],
      read,
      (r, inc) => {
        for (const { shardId, reconnects } of r.lifecycle) {
          inc({ shard: String(shardId), kind: 'resume' }, reconnects.resume);
          inc({ shard: String(shardId), kind: 'identify' }, reconnects.identify);
          inc({ shard: String(shardId), kind: 'unreachable' }, reconnects.unreachable);
        }
      },
    ),
    counter(name('sessionsLost'), 'Sessions that ended without being resumed (their later dispatches were never received), by shard.', ['shard'], read, (r, inc) => {
      for (const { shardId, sessionsLost } of r.lifecycle) inc({ shard: String(shardId) }, sessionsLost);
    }),
    counter(name('fatal'), 'Shards stopped for good, by shard and kind (auth, sharding, version, intents, identify-budget, unreadable, internal).', ['shard', 'kind'], read, (r, inc) => {
      for (const { shardId, fatal } of r.lifecycle) for (const kind in fatal) inc({ shard: String(shardId), kind }, fatal[kind]!);
    }),
    counter(name('messagesDropped'), 'Messages a shard could not read and skipped, its connection going on, by shard and reason (too-large, invalid-json, invalid-frame).', ['shard', 'reason'], read, (r, inc) => {
      for (const { shardId, messagesDropped } of r.lifecycle) for (const reason in messagesDropped) inc({ shard: String(shardId), reason }, messagesDropped[reason]!);
    }),
    counter(name('identifyLoopPauses'), 'Times the identify loop guard paused a shard that kept identifying without staying ready, by shard.', ['shard'], read, (r, inc) => {
      for (const { shardId, identifyLoopPauses } of r.lifecycle) inc({ shard: String(shardId) }, identifyLoopPauses);
    }),
  ];
  if (options.identifyWaiting) {
    metrics.push(gauge(name('identifyWaiting'), 'Shards waiting for their turn to identify.', [], read, (r, set) => set({}, r.identifyWaiting ?? 0)));
  }
  if (options.forwardDropped === true) {
    metrics.push(
      counter(name('forwardDropped'), 'Dispatches the clusters did not forward to CONTROL because it had not read the window (forward.maxUnreadBytes), by event name.', ['event'], read, (r, inc) => {
        for (const event in r.forwardDropped ?? {}) inc({ event }, r.forwardDropped![event]!);
      }),
    );
  }
  if (options.broker === true) metrics.push(...brokerMetrics(name, read));
  // names kept as registered: an OpenMetrics registry renames counters (drops `_total`) when it scrapes
  const added = new Map<string, Metric>();
  const remove = () => {
    for (const [metricName, metric] of added) if (registry.getSingleMetric(metricName) === metric) registry.removeSingleMetric(metricName);
    added.clear();
  };
  for (const [metricName, metric] of metrics) {
    if (registry.getSingleMetric(metricName) !== undefined) {
      remove();
      throw new DisclusterError('INVALID_OPTIONS', `the registry already has a metric named ${metricName} (give another prefix)`);
    }
    added.set(metricName, metric);
    registry.registerMetric(metric);
  }
  return remove;
};

/** The broker producer's metrics: counts and the last batch, read from its `stats()` at scrape time. */
const brokerMetrics = (name: (key: keyof typeof METRIC_NAMES) => string, read: Read): [string, Metric][] => {
  const value = (pick: (stats: PublisherStats) => number) => (r: MetricsReading, set: (labels: Labels, value: number) => void) => {
    if (r.broker) set({}, pick(r.broker));
  };
  return [
    counter(name('brokerPublished'), 'Dispatches the broker producer wrote to Redis Streams.', [], read, value((s) => s.published)),
    counter(name('brokerDropped'), 'Dispatches the broker producer dropped because maxPending were held while Redis was slow or away (oldest first), or still held at close.', [], read, value((s) => s.dropped)),
    counter(name('brokerRejected'), 'Dispatches Redis refused for good (a reply error), or that could not be encoded: not retried.', [], read, value((s) => s.rejected)),
    gauge(name('brokerPending'), 'Dispatches the broker producer holds: waiting for a batch, or in the one Redis has not answered yet.', [], read, value((s) => s.pending)),
    counter(name('brokerBatches'), 'Batches Redis answered, one call each (with broker_published_total: the mean batch size).', [], read, value((s) => s.batches)),
    gauge(name('brokerBatchSize'), 'Entries in the last batch Redis answered.', [], read, value((s) => s.lastBatchSize)),
    gauge(name('brokerRoundTrip'), 'Round trip of the last batch Redis answered, in seconds.', [], read, value((s) => s.lastRoundTripMs / 1000)),
    counter(name('brokerRoundTripTotal'), 'Sum of the round trips of every batch Redis answered, in seconds (with broker_batches_total: the mean).', [], read, value((s) => s.roundTripMsTotal / 1000)),
  ];
};
