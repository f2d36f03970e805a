import test, { type ExecutionContext } from 'ava';
import { createCluster, type Cluster } from '../../src/cluster/cluster.js';
import type { ClusterOptions } from '../../src/cluster/options.js';
import { isDisclusterError } from '../../src/gateway/errors.js';
import { createEmulator, type Emulator, type FrameRecord } from '../../src/testing/index.js';
import { activeResources, collect } from '../helpers/collect.js';

const TOKEN = 'reshard-test-token';
const WINDOW = 200;
/** Generous against the scheduling jitter of a loaded 2-core machine running emulator and client in one process. */
const MARGIN = 40;
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

const emulator = async (t: ExecutionContext, extra: Parameters<typeof createEmulator>[0] = {}) => {
  const gw = await createEmulator({ token: TOKEN, shards: 4, heartbeatInterval: 500, identifyWindowMs: WINDOW, guilds: 24, ...extra });
  t.teardown(() => gw.close());
  return gw;
};

const cluster = (t: ExecutionContext, gw: Emulator, extra: Partial<ClusterOptions> = {}): Cluster => {
  const c = createCluster({
    token: TOKEN,
    intents: 513,
    shardIds: range(4),
    totalShards: 4,
    gateway: { url: gw.url, maxConcurrency: gw.options.maxConcurrency },
    timing: { identifyWindowMs: WINDOW, identifyMarginMs: MARGIN, backoff: { initialMs: 20, maxMs: 100 }, reshardMatchWindowMs: 500 },
    ...extra,
  });
  t.teardown(() => c.shutdown());
  return c;
};

const identifies = (gw: Emulator) => gw.records.filter((r): r is FrameRecord => r.kind === 'frame' && r.op === 2);
/** The emulator's connection of a shard of a given shard count, once its session exists. */
const connectionOf = (gw: Emulator, shardId: number, numShards: number) => gw.sessions.find((s) => s.shardId === shardId && s.numShards === numShards && s.live)?.connectionId;

test('a bad layout is refused at once and identifies nothing', async (t) => {
  const gw = await emulator(t, { maxConcurrency: 4 });
  const c = cluster(t, gw);
  await c.connect();
  const before = identifies(gw).length;
  for (const [layout, message] of [
    [{ totalShards: 6, shardIds: [] }, /non-empty/],
    [{ totalShards: 6, shardIds: [0, 6] }, /from 0 to 5, got 6/],
    [{ totalShards: 6, shardIds: [1, 1] }, /repeat/],
    [{ totalShards: 0, shardIds: [0] }, /totalShards/],
    [{ totalShards: 2.5, shardIds: [0] }, /totalShards/],
  ] as const) {
    const error = await t.throwsAsync(c.reshard(layout as never), { message });
    t.true(isDisclusterError(error, 'RESHARD_REFUSED'));
  }
  t.is(identifies(gw).length, before);
  t.deepEqual(c.layout(), { totalShards: 4, shardIds: range(4) });
});

test('a reshard the identify budget cannot pay for is refused at once and identifies nothing', async (t) => {
  const gw = await emulator(t, { maxConcurrency: 4 });
  const c = cluster(t, gw, { gateway: { url: gw.url, maxConcurrency: 4, sessionStartLimit: { total: 1000, remaining: 10, resetAfter: 3_600_000 } } });
  await c.connect();
  // 4 spent: 6 left, 6 new shards need 6 + a margin of 1
  const error = await t.throwsAsync(c.reshard({ totalShards: 6, shardIds: range(6) }), { message: /needs 7 identifies .* has 6 left/ });
  t.true(isDisclusterError(error, 'RESHARD_REFUSED'));
  t.is(identifies(gw).length, 4);
  t.deepEqual(c.layout(), { totalShards: 4, shardIds: range(4) });
});

test('reshard before the cluster is up, and a second one while one runs, are refused', async (t) => {
  const gw = await emulator(t, { maxConcurrency: 1 });
  const c = cluster(t, gw);
  await t.throwsAsync(c.reshard({ totalShards: 6, shardIds: range(6) }), { message: /not up yet/ });
  await c.connect();
  const first = c.reshard({ totalShards: 6, shardIds: range(6) });
  await t.throwsAsync(c.reshard({ totalShards: 8, shardIds: range(8) }), { message: /another reshard is running/ });
  await first;
  t.deepEqual(c.layout(), { totalShards: 6, shardIds: range(6) });
});

test('a new shard closed with 4011 mid-preparation aborts the reshard: old set untouched, nothing on fatal$', async (t) => {
  const gw = await emulator(t, { maxConcurrency: 1 });
  const c = cluster(t, gw);
  await c.connect();
  const fatals = collect(c.fatal$);
  const lifecycle = collect(c.lifecycle$);
  const dispatches = collect(c.dispatch$);
  const statusesBefore = c.statuses().map((s) => [s.shardId, s.status]);
  const result = c.reshard({ totalShards: 6, shardIds: range(6) });
  // the first new shard is up; with max_concurrency 1 the others wait for their windows
  await lifecycle.when((e) => e.type === 'reshard-status' && e.shardId === 0 && e.status === 'ready');
  t.is(gw.closeShard({ connectionId: connectionOf(gw, 0, 6)! }, 4011), 1);
  const error = await t.throwsAsync(result, { message: /reshard from 4 shards \(0\.\.3 of 4\) to 6 shards \(0\.\.5 of 6\) aborted: new shard 0 stopped \(close 4011\)/ });
  t.true(isDisclusterError(error, 'RESHARD_ABORTED'));
  t.like(lifecycle.events.find((e) => e.type === 'reshard' && e.phase === 'aborted'), { from: { totalShards: 4 }, to: { totalShards: 6 } });
  t.deepEqual(fatals.events, []);
  t.deepEqual(c.layout(), { totalShards: 4, shardIds: range(4) });
  t.deepEqual(c.statuses().map((s) => [s.shardId, s.status]), statusesBefore);
  // every new connection closed by the client, the old ones still open and delivering
  t.false(gw.sessions.some((s) => s.numShards === 6 && s.live), 'no session of the new layout is live');
  t.is(gw.sessions.filter((s) => s.numShards === 4 && s.live).length, 4);
  t.false(dispatches.events.some((e) => e.t === 'READY' || e.t === 'GUILD_CREATE'), 'nothing of the new set reached dispatch$');
  gw.dispatch(3, 'MESSAGE_CREATE', { content: 'still here' });
  await dispatches.when((e) => e.t === 'MESSAGE_CREATE' && e.shardId === 3);
});

test.serial('shutdown() during a reshard closes both sets, rejects the reshard and leaves no handle', async (t) => {
  const gw = await emulator(t, { maxConcurrency: 1 });
  const baseline = activeResources();
  const c = cluster(t, gw);
  await c.connect();
  const lifecycle = collect(c.lifecycle$);
  const fatals = collect(c.fatal$);
  const result = c.reshard({ totalShards: 6, shardIds: range(6) });
  result.catch(() => {});
  await lifecycle.when((e) => e.type === 'reshard-status' && e.shardId === 1 && e.status === 'ready');
  await c.shutdown();
  const error = await t.throwsAsync(result);
  t.true(isDisclusterError(error, 'CLUSTER_SHUT_DOWN'), String(error));
  t.deepEqual(fatals.events, []);
  t.false(gw.sessions.some((s) => s.live), 'no live session in either layout');
  const clientCloses = gw.records.filter((r) => r.kind === 'close' && r.by === 'client');
  t.true(clientCloses.length >= 6, `closed by the client: ${clientCloses.length}`);
  const deadline = performance.now() + 2000;
  while (JSON.stringify(activeResources()) !== JSON.stringify(baseline) && performance.now() < deadline) await new Promise((r) => setImmediate(r));
  t.deepEqual(activeResources(), baseline);
});
