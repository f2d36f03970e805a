import test from 'ava';
import { Registry } from 'prom-client';
import { filter, firstValueFrom, timeout } from 'rxjs';
import type { EmulatorRecord } from '../../src/testing/index.js';
import { registerControlMetrics } from '../../src/metrics/index.js';
import { emulator, options, spawn, TOKEN, tokenLeaked } from '../control/helpers.js';
import { pick, scrape, sum } from './scrape.js';

test('CONTROL: two worker clusters scraped through their stats replies, with the same metric names', async (t) => {
  const gw = await emulator(t, { shards: 4, maxConcurrency: 4, heartbeatInterval: 250 });
  const first = spawn(t, options(gw, { mode: 'worker', clusterId: 'a', shardIds: [0, 1], totalShards: 4, identify: 'local' }));
  const second = spawn(t, options(gw, { mode: 'worker', clusterId: 'b', shardIds: [2, 3], totalShards: 4, identify: 'local' }));
  await Promise.all([first.handle.ready, second.handle.ready]);
  /** The next emulator record (not a past one) matching `predicate`. */
  const next = (predicate: (r: EmulatorRecord) => boolean) => firstValueFrom(gw.records$.pipe(filter(predicate), timeout(5000)));
  const registry = new Registry();
  const handles = [first.handle, second.handle];
  const unregister = registerControlMetrics(() => handles, { registry });

  const N = 20;
  for (let i = 0; i < N; i++) gw.dispatch(i % 4, 'MESSAGE_CREATE', { id: String(i) });
  // the clusters count as the dispatches arrive: scrape until every one is in (no sleeping)
  let samples = (await scrape(registry)).samples;
  while (sum(samples, 'discluster_dispatches_total', { event: 'MESSAGE_CREATE' }) < N || pick(samples, 'discluster_heartbeat_latency_seconds').length < 4) {
    await next((r) => r.kind === 'frame' && r.op === 1); // the next heartbeat: time moved on
    samples = (await scrape(registry)).samples;
  }
  t.is(sum(samples, 'discluster_dispatches_total', { event: 'MESSAGE_CREATE' }), N);
  for (const shard of ['0', '1', '2', '3']) {
    t.is(sum(samples, 'discluster_dispatches_total', { shard, event: 'MESSAGE_CREATE' }), N / 4);
    t.is(sum(samples, 'discluster_dispatches_total', { shard, event: 'READY' }), 1);
  }
  t.is(sum(samples, 'discluster_shards', { status: 'ready' }), 4);
  t.deepEqual(pick(samples, 'discluster_heartbeat_latency_seconds').map((s) => s.labels.shard).sort(), ['0', '1', '2', '3']);
  t.deepEqual(pick(samples, 'discluster_identify_queue_waiting').map((s) => s.value), [0]);

  const resumed = next((r) => r.kind === 'session' && r.event === 'resumed' && r.shardId === 2);
  gw.drop(2);
  await resumed; // the cluster counted the reconnect when the socket closed, before resuming
  samples = (await scrape(registry)).samples;
  // at least the drop (a loaded machine may add a reconnect of its own, after a missed heartbeat)
  t.true(sum(samples, 'discluster_reconnects_total', { shard: '2', kind: 'resume' }) >= 1);
  gw.closeShard(3, 4004);
  await second.inbound.when((m) => m.type === 'fatal');
  samples = (await scrape(registry)).samples;
  t.is(sum(samples, 'discluster_fatal_total', { shard: '3', kind: 'auth' }), 1);
  t.is(sum(samples, 'discluster_shards', { status: 'closed' }), 1);

  // a cluster that exited is left out, the other still reported
  await first.handle.shutdown();
  await first.handle.exited;
  const { text, samples: after } = await scrape(registry);
  t.deepEqual(pick(after, 'discluster_dispatches_total', { event: 'READY' }).map((s) => s.labels.shard).sort(), ['2', '3']);
  t.false(text.includes(TOKEN));
  t.false(tokenLeaked());
  unregister();
  t.deepEqual(registry.getMetricsAsArray(), []);
});
