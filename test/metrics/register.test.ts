import test from 'ava';
import { Counter, type OpenMetricsContentType, Registry } from 'prom-client';
import { Subject, VirtualTimeScheduler } from 'rxjs';
import type { Cluster, ClusterLifecycleEvent } from '../../src/cluster/cluster.js';
import type { ShardInfo } from '../../src/cluster/shard-record.js';
import { isDisclusterError } from '../../src/gateway/errors.js';
import { registerMetrics } from '../../src/metrics/index.js';
import { createMemoryIdentifyQueue } from '../../src/shard/identify-queue.js';
import type { IdentifyQueue, ShardDispatchEvent } from '../../src/shard/types.js';
import { pick, scrape, sum } from './scrape.js';

/** A cluster made of Subjects and a statuses list the test controls. */
const fakeCluster = (identifyQueue: IdentifyQueue = createMemoryIdentifyQueue({ maxConcurrency: 1 })) => {
  const dispatch$ = new Subject<ShardDispatchEvent>();
  const lifecycle$ = new Subject<ClusterLifecycleEvent>();
  const shards: ShardInfo[] = [];
  const cluster = { dispatch$, lifecycle$, identifyQueue, statuses: () => shards } as unknown as Cluster;
  const dispatch = (shardId: number, t: string) => dispatch$.next({ type: 'dispatch', shardId, t, s: 1, d: {} });
  const info = (shardId: number, status: ShardInfo['status'], latencyMs: number | null = null): ShardInfo => ({ shardId, status, latencyMs, lastCloseCode: null, seq: null, events: 0, fatal: null });
  return { cluster, dispatch$, lifecycle$, shards, dispatch, info };
};

test('the prefix option renames every metric; the default is discluster_', async (t) => {
  const fake = fakeCluster();
  const registry = new Registry();
  const stop = registerMetrics(fake.cluster, { registry, prefix: 'bot_' });
  const names = registry.getMetricsAsArray().map((m) => (m as unknown as { name: string }).name).sort();
  t.deepEqual(names, ['bot_dispatches_total', 'bot_fatal_total', 'bot_heartbeat_latency_seconds', 'bot_identify_loop_pauses_total', 'bot_identify_queue_waiting', 'bot_messages_dropped_total', 'bot_reconnects_total', 'bot_sessions_lost_total', 'bot_shards']);
  stop();
  registerMetrics(fake.cluster, { registry })();
  t.deepEqual(registry.getMetricsAsArray(), []);
});

test('shards added at run time are counted from their events; the status gauge follows statuses()', async (t) => {
  const fake = fakeCluster();
  const registry = new Registry();
  registerMetrics(fake.cluster, { registry });
  fake.shards.push(fake.info(0, 'ready', 42), fake.info(1, 'identifying'));
  fake.dispatch(0, 'MESSAGE_CREATE');
  fake.dispatch(7, 'MESSAGE_CREATE'); // a shard the cluster did not start with
  fake.lifecycle$.next({ type: 'reshard' } as never); // an event type this version does not know
  let { samples } = await scrape(registry);
  t.is(sum(samples, 'discluster_dispatches_total', { shard: '7', event: 'MESSAGE_CREATE' }), 1);
  t.is(sum(samples, 'discluster_shards', { status: 'ready' }), 1);
  t.is(sum(samples, 'discluster_shards', { status: 'identifying' }), 1);
  t.is(sum(samples, 'discluster_shards', { status: 'closed' }), 0, 'a status no shard is in reads 0');
  t.deepEqual(pick(samples, 'discluster_heartbeat_latency_seconds').map((s) => [s.labels.shard, s.value]), [['0', 0.042]], 'no latency for a shard without an ACK');
  fake.shards.splice(1, 1, fake.info(7, 'ready', 10));
  ({ samples } = await scrape(registry));
  t.is(sum(samples, 'discluster_shards', { status: 'ready' }), 2);
  t.is(sum(samples, 'discluster_shards'), 2);
  t.deepEqual(pick(samples, 'discluster_heartbeat_latency_seconds').map((s) => s.labels.shard), ['0', '7']);
});

test('identify_queue_waiting reads the queue; a queue without the stat gets no such metric', async (t) => {
  const scheduler = new VirtualTimeScheduler();
  const queue = createMemoryIdentifyQueue({ maxConcurrency: 1, windowMs: 1000, scheduler });
  const fake = fakeCluster(queue);
  const registry = new Registry();
  registerMetrics(fake.cluster, { registry });
  const waiting = async () => pick((await scrape(registry)).samples, 'discluster_identify_queue_waiting').map((s) => s.value);
  t.deepEqual(await waiting(), [0]);
  const leases = [0, 1, 2].map((id) => queue.acquire(id).subscribe());
  t.deepEqual(await waiting(), [3]);
  scheduler.flush(); // shard 0 is granted and holds the bucket
  t.deepEqual(await waiting(), [2]);
  for (const lease of leases) lease.unsubscribe();
  t.deepEqual(await waiting(), [0]);

  const bare: IdentifyQueue = { acquire: (id) => queue.acquire(id) };
  const other = new Registry();
  registerMetrics(fakeCluster(bare).cluster, { registry: other });
  t.deepEqual(pick((await scrape(other)).samples, 'discluster_identify_queue_waiting'), []);
});

test('bad options and a taken name are refused with INVALID_OPTIONS, registering nothing', (t) => {
  const fake = fakeCluster();
  const registry = new Registry();
  for (const options of [{ registry, prefix: 'has space' }, { registry, prefix: '9starts_with_digit' }, { registry, maxEventNames: 0 }, { registry, maxEventNames: 1.5 }, { registry: {} as Registry }]) {
    t.true(isDisclusterError(t.throws(() => registerMetrics(fake.cluster, options)), 'INVALID_OPTIONS'), JSON.stringify(options.prefix ?? options.maxEventNames ?? 'registry'));
  }
  t.deepEqual(registry.getMetricsAsArray(), []);
  const mine = new Counter({ name: 'discluster_fatal_total', help: 'someone else', registers: [registry] });
  t.true(isDisclusterError(t.throws(() => registerMetrics(fake.cluster, { registry })), 'INVALID_OPTIONS'));
  t.deepEqual(registry.getMetricsAsArray(), [mine], 'the metrics registered before the clash were taken out again');
  t.false(fake.dispatch$.observed, 'nothing subscribed');
});

test('unregister removes every metric and subscription, also after an OpenMetrics scrape renamed the counters', async (t) => {
  const fake = fakeCluster();
  const registry = new Registry<OpenMetricsContentType>();
  registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
  const unregister = registerMetrics(fake.cluster, { registry });
  t.true(fake.dispatch$.observed && fake.lifecycle$.observed);
  fake.dispatch(0, 'READY');
  t.true((await registry.metrics()).includes('discluster_dispatches_total{shard="0",event="READY"} 1'));
  unregister();
  t.deepEqual(registry.getMetricsAsArray(), []);
  t.false(fake.dispatch$.observed || fake.lifecycle$.observed);
});
