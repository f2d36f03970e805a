import test, { type ExecutionContext } from 'ava';
import type { Observable } from 'rxjs';
import { createCluster } from '../../src/cluster/cluster.js';
import { DisclusterError } from '../../src/gateway/errors.js';
import { shard } from '../../src/shard/shard.js';
import type { ShardDispatchEvent, ShardEvent, ShardOptions } from '../../src/shard/types.js';
import { createEmulator, type Emulator } from '../../src/testing/index.js';
import { collect } from '../helpers/collect.js';
import { zstdHere, zstdTest } from '../helpers/zstd.js';
import { shardEmulator, shardOptions } from './setup.js';

const TOKEN = 'zstd-test-token';

const emulator = (t: ExecutionContext, extra: Parameters<typeof createEmulator>[0] = {}) => shardEmulator(t, TOKEN, extra);

const options = (url: string, extra: Partial<ShardOptions> = {}): ShardOptions =>
  shardOptions(TOKEN, url, { compression: 'zstd-stream', timing: { helloTimeoutMs: 1000, readyTimeoutMs: 2000, backoff: { initialMs: 20, maxMs: 100 } }, ...extra });

const start = (t: ExecutionContext, shard$: Observable<ShardEvent>) => {
  const run = collect(shard$);
  t.teardown(() => run.subscription.unsubscribe());
  return run;
};

const dispatches = (events: ShardEvent[], name: string) => events.filter((e): e is ShardDispatchEvent => e.type === 'dispatch' && e.t === name);
const isN = (n: number) => (e: ShardEvent) => e.type === 'dispatch' && e.t === 'MESSAGE_CREATE' && (e.d as { n: number }).n === n;

test('zstd-stream is refused up front, naming the Node version, where node:zlib has no zstd (and accepted where it has)', async (t) => {
  const cluster = () =>
    createCluster({ token: TOKEN, intents: 1, shardIds: [0], totalShards: 1, gateway: { url: 'ws://127.0.0.1:1', maxConcurrency: 1 }, compression: 'zstd-stream' });
  if (zstdHere) {
    t.notThrows(cluster);
    return;
  }
  const error = t.throws(cluster, { instanceOf: DisclusterError });
  t.is((error as DisclusterError).code, 'INVALID_OPTIONS');
  t.regex(error!.message, /zstd-stream.*Node 22\.15 or later.*this is Node 20/);
  // shard() errors its stream at subscription, before any socket is opened
  const run = collect(shard(options('ws://127.0.0.1:1')));
  await run.done;
  t.deepEqual(run.events, []);
  const failure = await run.when(() => false).catch((e: unknown) => e);
  t.like(failure, { code: 'INVALID_OPTIONS' });
});

zstdTest('zstd-stream through the emulator: identify, READY, guilds, a 200 KB dispatch between small ones, a resume', async (t) => {
  const gw = await emulator(t);
  const run = start(t, shard(options(gw.url)));
  await run.when((e) => e.type === 'status' && e.status === 'ready');
  await run.when((e) => e.type === 'dispatch' && e.t === 'GUILD_CREATE');
  t.is((gw.records.find((r) => r.kind === 'open') as { query: Record<string, string> } | undefined)?.query['compress'], 'zstd-stream');
  t.true(gw.connections.every((c) => c.compress === 'zstd-stream'));
  const big = 'x'.repeat(200_000);
  gw.dispatch(0, 'MESSAGE_CREATE', { n: 0 });
  gw.dispatch(0, 'MESSAGE_CREATE', { n: 1, big });
  gw.dispatch(0, 'MESSAGE_CREATE', { n: 2 });
  await run.when(isN(2));
  gw.drop(0);
  for (let n = 3; n < 6; n++) gw.dispatch(0, 'MESSAGE_CREATE', { n }); // kept for the resume
  await run.when((e) => e.type === 'status' && e.status === 'resumed');
  gw.dispatch(0, 'MESSAGE_CREATE', { n: 6 });
  await run.when(isN(6));
  const got = dispatches(run.events, 'MESSAGE_CREATE').map((e) => e.d as { n: number; big?: string });
  t.deepEqual(got.map((d) => d.n), [0, 1, 2, 3, 4, 5, 6]);
  t.is(got[1]!.big, big);
  t.deepEqual(gw.violations, []);
});

zstdTest('zstd-stream with `events`: unwanted dispatches are skipped from their head and still move the sequence', async (t) => {
  const gw = await emulator(t);
  const run = start(t, shard(options(gw.url, { events: ['MESSAGE_CREATE'] })));
  await run.when((e) => e.type === 'status' && e.status === 'ready');
  gw.dispatch(0, 'TYPING_START', { big: 'y'.repeat(100_000) });
  const last = gw.dispatch(0, 'MESSAGE_CREATE', { n: 0 });
  gw.dispatch(0, 'TYPING_START', {});
  await run.when(isN(0));
  t.deepEqual(run.events.filter((e) => e.type === 'dispatch').map((e) => (e as ShardDispatchEvent).t), ['MESSAGE_CREATE']);
  t.is(dispatches(run.events, 'MESSAGE_CREATE')[0]!.s, last);
  // the shard's heartbeats carry its last sequence: the skipped TYPING_START after it moved it
  await t.notThrowsAsync(gw.waitFor((r) => r.kind === 'frame' && r.op === 1 && (r.payload as { d: unknown }).d === last + 1, 5000));
});

zstdTest('a cluster over zstd-stream: every shard READY, dispatches arrive, shutdown closes every socket', async (t) => {
  const gw: Emulator = await emulator(t, { shards: 2, maxConcurrency: 2 });
  const c = createCluster({ token: TOKEN, intents: 513, shardIds: [0, 1], totalShards: 2, gateway: { url: gw.url, maxConcurrency: 2 }, compression: 'zstd-stream', timing: { identifyWindowMs: 50 } });
  const events = collect(c.dispatch$);
  await c.connect();
  gw.dispatch(1, 'MESSAGE_CREATE', { n: 7 });
  await events.when((e) => e.t === 'MESSAGE_CREATE' && e.shardId === 1);
  await c.shutdown();
  await gw.waitFor((r) => r.kind === 'close' && gw.records.filter((x) => x.kind === 'close' && x.by === 'client').length === 2);
  t.true(gw.records.filter((r) => r.kind === 'close').every((r) => r.kind === 'close' && r.by === 'client' && r.code === 1000));
  t.is(gw.records.filter((r) => r.kind === 'open' && (r as { query: Record<string, string> }).query['compress'] === 'zstd-stream').length, 2);
});
