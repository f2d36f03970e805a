import test, { type ExecutionContext } from 'ava';
import { Registry } from 'prom-client';
import { Observable } from 'rxjs';
import { createCluster, type Cluster } from '../../src/cluster/cluster.js';
import { registerMetrics } from '../../src/metrics/index.js';
import { createEmulator, type Emulator } from '../../src/testing/index.js';
import { collect } from '../helpers/collect.js';
import { pick, scrape, sum } from './scrape.js';

const TOKEN = 'metrics-test-token-SECRET';
const SHARDS = [0, 1, 2, 3];

const emulator = async (t: ExecutionContext) => {
  const gw = await createEmulator({ token: TOKEN, shards: SHARDS.length, maxConcurrency: SHARDS.length, heartbeatInterval: 250, identifyWindowMs: 50, guilds: 8 });
  t.teardown(() => gw.close());
  return gw;
};

const cluster = (t: ExecutionContext, gw: Emulator): Cluster => {
  const c = createCluster({
    token: TOKEN,
    intents: 513,
    shardIds: SHARDS,
    totalShards: SHARDS.length,
    gateway: { url: gw.url, maxConcurrency: SHARDS.length },
    timing: { identifyWindowMs: 50, backoff: { initialMs: 10, maxMs: 50 } },
  });
  t.teardown(() => c.shutdown());
  return c;
};

/** The cluster with its two streams counted: how many subscribers each has right now. */
const tracked = (c: Cluster) => {
  const active = { dispatch: 0, lifecycle: 0 };
  const track = <T>(source$: Observable<T>, key: keyof typeof active) =>
    new Observable<T>((subscriber) => {
      active[key]++;
      const inner = source$.subscribe(subscriber);
      return () => {
        active[key]--;
        inner.unsubscribe();
      };
    });
  return { cluster: { ...c, dispatch$: track(c.dispatch$, 'dispatch'), lifecycle$: track(c.lifecycle$, 'lifecycle') } as Cluster, active };
};

test.serial('a scrape shows the messages received, every shard ready with a latency, and faults moving the counters; unregister empties the registry', async (t) => {
  const gw = await emulator(t);
  const c = cluster(t, gw);
  const { cluster: watched, active } = tracked(c);
  const registry = new Registry();
  const unregister = registerMetrics(watched, { registry });
  t.deepEqual(active, { dispatch: 1, lifecycle: 1 });

  const lifecycle = collect(c.lifecycle$);
  const dispatches = collect(c.dispatch$);
  await c.connect();
  const N = 37;
  for (let i = 0; i < N; i++) gw.dispatch(i % SHARDS.length, 'MESSAGE_CREATE', { id: String(i), content: `message ${i}` });
  await dispatches.when(() => dispatches.events.filter((e) => e.t === 'MESSAGE_CREATE').length === N);
  for (const shardId of SHARDS) await lifecycle.when((e) => e.type === 'heartbeat' && e.shardId === shardId);

  let { text, samples } = await scrape(registry);
  t.is(sum(samples, 'discluster_dispatches_total', { event: 'MESSAGE_CREATE' }), N);
  for (const shardId of SHARDS) {
    const mine = dispatches.events.filter((e) => e.shardId === shardId && e.t === 'MESSAGE_CREATE').length;
    t.is(sum(samples, 'discluster_dispatches_total', { shard: String(shardId), event: 'MESSAGE_CREATE' }), mine, `shard ${shardId}`);
    t.is(sum(samples, 'discluster_dispatches_total', { shard: String(shardId), event: 'READY' }), 1);
  }
  t.is(sum(samples, 'discluster_dispatches_total'), dispatches.events.length, 'every dispatch delivered is counted once');
  t.is(sum(samples, 'discluster_shards', { status: 'ready' }), SHARDS.length);
  t.is(sum(samples, 'discluster_shards'), SHARDS.length);
  const latencies = pick(samples, 'discluster_heartbeat_latency_seconds');
  t.deepEqual(latencies.map((s) => s.labels.shard).sort(), SHARDS.map(String));
  for (const s of latencies) t.true(s.value >= 0 && s.value < 5, `latency in seconds: ${s.value}`);
  const reconnecting = (shardId: number) => lifecycle.events.filter((e) => e.type === 'status' && e.shardId === shardId && e.status === 'reconnecting').length;
  const lost = (shardId: number) => lifecycle.events.filter((e) => e.type === 'session-lost' && e.shardId === shardId).length;
  // a loaded machine may make a shard miss a heartbeat and reconnect by itself: compare with what the cluster reported
  t.is(sum(samples, 'discluster_reconnects_total'), SHARDS.reduce((n, id) => n + reconnecting(id), 0));
  t.deepEqual(pick(samples, 'discluster_identify_queue_waiting').map((s) => s.value), [0]);

  /** The first status `status` of `shardId` after the events seen so far. */
  const next = (shardId: number, status: string) => {
    const seen = lifecycle.events.length;
    return lifecycle.when((e) => lifecycle.events.indexOf(e) >= seen && e.type === 'status' && e.shardId === shardId && e.status === status);
  };
  // a dropped socket: the shard resumes
  let settled = next(1, 'resumed');
  gw.drop(1);
  await settled;
  // a session that timed out: the shard loses it and identifies again
  settled = next(2, 'ready');
  gw.closeShard(2, 4009);
  await settled;
  // a fatal code
  settled = next(3, 'closed');
  gw.closeShard(3, 4010);
  await settled;

  ({ text, samples } = await scrape(registry));
  for (const id of SHARDS) {
    t.is(sum(samples, 'discluster_reconnects_total', { shard: String(id) }), reconnecting(id), `shard ${id}: one per reconnecting status`);
    t.is(sum(samples, 'discluster_sessions_lost_total', { shard: String(id) }), lost(id), `shard ${id}: one per lost session`);
  }
  t.true(sum(samples, 'discluster_reconnects_total', { shard: '1', kind: 'resume' }) >= 1, 'the drop: a resume');
  t.true(sum(samples, 'discluster_reconnects_total', { shard: '2', kind: 'identify' }) >= 1, '4009: an identify');
  t.true(sum(samples, 'discluster_sessions_lost_total', { shard: '2' }) >= 1, '4009: the session is lost');
  t.is(sum(samples, 'discluster_fatal_total', { shard: '3', kind: 'sharding' }), 1);
  t.is(sum(samples, 'discluster_shards', { status: 'closed' }), 1);
  t.is(sum(samples, 'discluster_shards'), SHARDS.length);
  t.false(text.includes(TOKEN) || text.includes('SECRET'), 'the token is in no label or value');

  unregister();
  t.deepEqual(registry.getMetricsAsArray(), []);
  t.is((await registry.metrics()).trim(), '');
  t.deepEqual(active, { dispatch: 0, lifecycle: 0 }, 'both subscriptions are gone');
  unregister(); // twice is harmless
});
