import test from 'ava';
import { Registry } from 'prom-client';
import { Subject } from 'rxjs';
import type { PublisherStats } from '../../src/broker/index.js';
import type { Cluster } from '../../src/cluster/cluster.js';
import { isDisclusterError } from '../../src/gateway/errors.js';
import { registerMetrics } from '../../src/metrics/index.js';
import { createMemoryIdentifyQueue } from '../../src/shard/identify-queue.js';
import { pick, scrape, sum } from '../metrics/scrape.js';

const cluster = () => ({ dispatch$: new Subject(), lifecycle$: new Subject(), identifyQueue: createMemoryIdentifyQueue({ maxConcurrency: 1 }), statuses: () => [] }) as unknown as Cluster;

test("registerMetrics({ broker }): the producer's counts and last batch as broker_* metrics, read at scrape time; none without it", async (t) => {
  let stats: PublisherStats = { published: 0, dropped: 0, rejected: 0, pending: 0, batches: 0, lastBatchSize: 0, lastRoundTripMs: 0, roundTripMsTotal: 0, redis: 'up' };
  const registry = new Registry();
  const stop = registerMetrics(cluster(), { registry, broker: { stats: () => stats } });
  stats = { published: 1200, dropped: 30, rejected: 2, pending: 17, batches: 40, lastBatchSize: 25, lastRoundTripMs: 1.5, roundTripMsTotal: 80, redis: 'up' };
  const { samples } = await scrape(registry);
  t.is(sum(samples, 'discluster_broker_published_total'), 1200);
  t.is(sum(samples, 'discluster_broker_dropped_total'), 30);
  t.is(sum(samples, 'discluster_broker_rejected_total'), 2);
  t.is(sum(samples, 'discluster_broker_pending'), 17);
  t.is(sum(samples, 'discluster_broker_batches_total'), 40);
  t.is(sum(samples, 'discluster_broker_batch_size'), 25);
  t.is(sum(samples, 'discluster_broker_round_trip_seconds'), 0.0015);
  t.is(sum(samples, 'discluster_broker_round_trip_seconds_total'), 0.08);
  stop();
  t.deepEqual(registry.getMetricsAsArray(), []);

  registerMetrics(cluster(), { registry });
  t.deepEqual(pick((await scrape(registry)).samples, 'discluster_broker_pending'), []);
  const error = t.throws(() => registerMetrics(cluster(), { registry: new Registry(), broker: {} as never }));
  t.true(isDisclusterError(error, 'INVALID_OPTIONS'));
});
