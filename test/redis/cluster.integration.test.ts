import test from 'ava';
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { createCluster } from '../../src/cluster/cluster.js';
import { CLIENT_DEFAULTS } from '../../src/redis/client.js';
import { createRedisIdentifyQueue, type RedisQueueStatus } from '../../src/redis/index.js';
import { createEmulator, type Emulator, type FrameRecord, type SessionRecord } from '../../src/testing/index.js';
import { type ChildConfig, client, forkCluster, hasRedisServer, ownServer, prefixFor, REDIS_URL, skipReason, sleep } from './helpers.js';

const skipped = await skipReason();
const redisTest = skipped === null ? test.serial : test.serial.skip;
const title = (name: string) => (skipped === null ? name : `${name} (skipped: ${skipped})`);

const TOKEN = 'redis-test-token';
const WINDOW_MS = 300;
/**
 * The emulator runs in this busy test process next to three forked clusters on a shared CPU: it
 * was seen stamping one identify 120 ms after it was sent and the next one 45 ms after. The margin
 * covers that measuring jitter (Discord's network jitter is what the default margin is for).
 */
const MARGIN_MS = 150;
const range = (from: number, count: number) => Array.from({ length: count }, (_, i) => from + i);
const frames = (gw: Emulator, op: number, after = -Infinity) =>
  gw.records.filter((r): r is FrameRecord => r.kind === 'frame' && r.op === op && r.at > after);

const emulator = async (t: Parameters<typeof prefixFor>[0], shards: number, maxConcurrency: number) => {
  const gw = await createEmulator({ token: TOKEN, shards, maxConcurrency, identifyWindowMs: WINDOW_MS, heartbeatInterval: 1_000 });
  t.teardown(() => gw.close());
  return gw;
};

/** For every bucket, the smallest gap between two accepted identifies (Infinity when fewer than two). */
const smallestGaps = (identifies: readonly FrameRecord[], maxConcurrency: number): number[] =>
  range(0, maxConcurrency).map((bucket) => {
    const times = identifies.filter((r) => r.shardId! % maxConcurrency === bucket).map((r) => r.at).sort((a, b) => a - b);
    return Math.min(...times.slice(1).map((at, i) => at - times[i]!));
  });

redisTest(title('three processes × 8 shards share one Redis identify queue: no bucket identifies twice in a window'), async (t) => {
  const gw = await emulator(t, 24, 2);
  const base: Omit<ChildConfig, 'shardIds'> = { gatewayUrl: gw.url, redisUrl: REDIS_URL, keyPrefix: prefixFor(t), totalShards: 24, maxConcurrency: 2, windowMs: WINDOW_MS, safetyMarginMs: MARGIN_MS };
  const children = range(0, 3).map((i) => forkCluster(t, { ...base, shardIds: range(i * 8, 8) }));
  const ready = await Promise.all(children.map((c) => c.next('ready', 40_000)));
  t.deepEqual(ready.flatMap((r) => (r.type === 'ready' ? r.shardIds : [])).sort((a, b) => a - b), range(0, 24));
  const identifies = frames(gw, 2);
  const story = () => JSON.stringify(gw.records.filter((r) => r.kind === 'violation' || r.kind === 'close' || (r.kind === 'frame' && r.op !== 1)).map((r) => ({ ...r, payload: undefined })));
  t.deepEqual(identifies.map((r) => r.shardId).sort((a, b) => a! - b!), range(0, 24), `each shard identified once: ${story()}`);
  for (const [bucket, gap] of smallestGaps(identifies, 2).entries()) t.true(gap >= WINDOW_MS, `bucket ${bucket}: identifies ${gap.toFixed(1)} ms apart`);
  t.deepEqual(gw.violations, []);
});

redisTest(title('a cluster killed with SIGKILL and restarted resumes every shard from the Redis session store'), async (t) => {
  const gw = await emulator(t, 8, 2);
  const keyPrefix = prefixFor(t);
  const config: ChildConfig = { gatewayUrl: gw.url, redisUrl: REDIS_URL, keyPrefix, shardIds: range(0, 8), totalShards: 8, maxConcurrency: 2, windowMs: WINDOW_MS, safetyMarginMs: MARGIN_MS };
  const first = forkCluster(t, config);
  await first.next('ready', 30_000);
  for (const shardId of range(0, 8)) for (let n = 0; n < 5; n++) gw.dispatch(shardId, 'MESSAGE_CREATE', { n });
  // Wait until every shard's latest seq is in Redis (the cluster flushes every 50 ms, the store batches 20 ms).
  const redis = client(t);
  const stored = async () => (await redis.mget(...range(0, 8).map((id) => `${keyPrefix}session:${id}`))).map((v) => (v === null ? -1 : (JSON.parse(v) as { seq: number }).seq));
  for (let i = 0; i < 100 && (await stored()).some((seq) => seq < 5); i++) await sleep(20);
  t.true((await stored()).every((seq) => seq >= 5), `stored seqs: ${String(await stored())}`);
  first.process.kill('SIGKILL');
  await new Promise((resolve) => first.process.once('exit', resolve));
  const killedAt = performance.now();
  const second = forkCluster(t, config);
  const ready = await second.next('ready', 30_000);
  t.like(ready, { type: 'ready', failed: [] });
  t.is(frames(gw, 2, killedAt).length, 0, 'no identify after the restart');
  t.is(frames(gw, 6, killedAt).length, 8, 'one resume per shard');
  const resumed = gw.records.filter((r): r is SessionRecord => r.kind === 'session' && r.event === 'resumed' && r.at > killedAt);
  t.deepEqual(resumed.map((r) => r.shardId).sort((a, b) => a - b), range(0, 8));
  t.deepEqual(gw.violations, []);
});

const outageTest = skipped === null && hasRedisServer() ? test.serial : test.serial.skip;
const outageTitle = (name: string) => (skipped !== null ? title(name) : hasRedisServer() ? name : `${name} (skipped: redis-server is not on PATH)`);

outageTest(outageTitle('Redis stopped mid-startup: no identify while it is down, startup finishes once it is back'), async (t) => {
  const server = await ownServer(t);
  await server.start();
  const gw = await emulator(t, 8, 1);
  const redis = new Redis(server.url, CLIENT_DEFAULTS);
  t.teardown(() => redis.disconnect());
  const identifyQueue = createRedisIdentifyQueue({ redis, keyPrefix: 'outage:', maxConcurrency: 1, windowMs: WINDOW_MS, safetyMarginMs: 50, leaseTtlMs: 1_000, pollMs: 20 });
  t.teardown(() => identifyQueue.close());
  const statuses: RedisQueueStatus[] = [];
  identifyQueue.status$.subscribe((s) => statuses.push(s));
  const cluster = createCluster({
    token: TOKEN,
    intents: 513,
    shardIds: range(0, 8),
    totalShards: 8,
    gateway: { url: gw.url, maxConcurrency: 1 },
    compression: 'none',
    identifyQueue,
    timing: { identifyWindowMs: WINDOW_MS, helloTimeoutMs: 20_000, readyTimeoutMs: 20_000, backoff: { initialMs: 50, maxMs: 500 } },
  });
  t.teardown(() => cluster.shutdown());
  const ready = cluster.connect();
  await gw.waitFor(() => frames(gw, 2).length >= 2, 10_000);
  await server.stop();
  const stoppedAt = performance.now();
  await sleep(2_000);
  const restartedAt = performance.now();
  const downMeanwhile = statuses.some((s) => s.redis === 'down' && s.waiting > 0);
  await server.start();
  const result = await ready;
  t.deepEqual(result.failed, []);
  // A shard granted just before the stop may still identify a moment later; nothing after that.
  t.deepEqual(frames(gw, 2).filter((r) => r.at > stoppedAt + 100 && r.at < restartedAt).map((r) => r.shardId), []);
  t.true(frames(gw, 2).some((r) => r.at > restartedAt), 'identifies resumed after Redis came back');
  t.deepEqual(frames(gw, 2).map((r) => r.shardId).sort(), range(0, 8));
  t.true(downMeanwhile, 'status$ reported Redis down with shards waiting');
  t.like(identifyQueue.status, { redis: 'up', waiting: 0 });
  t.true(smallestGaps(frames(gw, 2), 1)[0]! >= WINDOW_MS);
  t.deepEqual(gw.violations, []);
});
