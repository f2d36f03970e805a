import test from 'ava';
import { Registry } from 'prom-client';
import type { ClusterHandle } from '../../src/control/handle.js';
import type { ToControlOf } from '../../src/control/to-control.js';
import { isDisclusterError } from '../../src/gateway/errors.js';
import { readingFromStats, registerControlMetrics } from '../../src/metrics/index.js';
import { pick, scrape, sum } from './scrape.js';

const stats = (shardId: number, extra: Partial<ToControlOf<'stats'>> = {}): ToControlOf<'stats'> => ({
  type: 'stats',
  nonce: 1,
  clusterId: 'c',
  shards: [{ shardId, status: 'ready', latencyMs: 5, seq: 1, events: 1, lastCloseCode: null, fatal: false, dispatches: { READY: 1 } }],
  memory: { rss: 1, heapUsed: 1, heapTotal: 1, external: 1 },
  eventLoopLagMs: 0,
  uptimeMs: 1,
  ...extra,
});

test('one stats request per cluster per scrape, shared by every metric', async (t) => {
  let requests = 0;
  const handle: Pick<ClusterHandle, 'stats'> = {
    stats: async () => {
      requests++;
      return stats(0);
    },
  };
  const registry = new Registry();
  registerControlMetrics([handle], { registry });
  await scrape(registry);
  t.is(requests, 1);
  await scrape(registry);
  t.is(requests, 2);
});

test('a cluster that does not answer within statsTimeoutMs is left out of that scrape', async (t) => {
  const silent: Pick<ClusterHandle, 'stats'> = { stats: () => new Promise(() => {}) };
  const registry = new Registry();
  registerControlMetrics([silent, { stats: async () => stats(3) }], { registry, statsTimeoutMs: 20 });
  const { samples } = await scrape(registry);
  t.deepEqual(pick(samples, 'discluster_shards', { status: 'ready' }).map((s) => s.value), [1]);
  t.is(sum(samples, 'discluster_dispatches_total', { shard: '3', event: 'READY' }), 1);
});

test('a reply from a cluster without counters still gives statuses and latencies; identify waiting adds CONTROL and clusters', (t) => {
  const old = stats(1);
  const { dispatches: _, ...withoutCounters } = old.shards[0]!;
  const reading = readingFromStats([{ ...old, shards: [withoutCounters] }, stats(2, { identifyWaiting: 2 })], 3);
  t.deepEqual([...reading.shards].map((s) => s.shardId), [1, 2]);
  t.deepEqual([...reading.dispatches], [{ shardId: 1, counts: {} }, { shardId: 2, counts: { READY: 1 } }]);
  t.deepEqual([...reading.lifecycle][0], { shardId: 1, reconnects: { resume: 0, identify: 0, unreachable: 0 }, sessionsLost: 0, fatal: {}, messagesDropped: {}, identifyLoopPauses: 0 });
  t.is(reading.identifyWaiting, 5);
  t.is(readingFromStats([stats(1)], null).identifyWaiting, null);
});

test('bad options are refused with INVALID_OPTIONS', (t) => {
  const registry = new Registry();
  for (const options of [{ registry, statsTimeoutMs: 0 }, { registry, statsTimeoutMs: 1.5 }, { registry, prefix: 'a b' }, { registry: null as unknown as Registry }]) {
    t.true(isDisclusterError(t.throws(() => registerControlMetrics([], options)), 'INVALID_OPTIONS'));
  }
  t.deepEqual(registry.getMetricsAsArray(), []);
});

test('forward_dropped_total sums, by event name, the dispatches every cluster dropped instead of forwarding', async (t) => {
  const forward = (dropped: Record<string, number>) => ({ maxUnreadBytes: 1 << 21, unreadBytes: 0, unreadDispatches: 0, forwarded: 10, dropped, gaps: 1 });
  const replies = [stats(0, { forward: forward({ MESSAGE_CREATE: 7, TYPING_START: 1 }) }), stats(1, { forward: forward({ MESSAGE_CREATE: 5 }) }), stats(2)];
  const registry = new Registry();
  registerControlMetrics(replies.map((reply) => ({ stats: async () => reply })), { registry });
  const { samples } = await scrape(registry);
  t.is(sum(samples, 'discluster_forward_dropped_total', { event: 'MESSAGE_CREATE' }), 12);
  t.is(sum(samples, 'discluster_forward_dropped_total', { event: 'TYPING_START' }), 1);
});
