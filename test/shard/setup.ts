import type { ExecutionContext } from 'ava';
import type { Observable } from 'rxjs';
import { type Cluster, createCluster } from '../../src/cluster/cluster.js';
import { createMemoryIdentifyQueue } from '../../src/shard/identify-queue.js';
import type { ShardEvent, ShardOptions } from '../../src/shard/types.js';
import { createEmulator } from '../../src/testing/index.js';
import { collect } from '../helpers/collect.js';

/** An emulator with short intervals for shard tests, closed when the test ends. */
export const shardEmulator = async (t: ExecutionContext, token: string, extra: Parameters<typeof createEmulator>[0] = {}) => {
  const gw = await createEmulator({ token, heartbeatInterval: 200, identifyWindowMs: 50, guilds: 4, ...extra });
  t.teardown(() => gw.close());
  return gw;
};

/** A shard stream collected, unsubscribed when the test ends. */
export const startShard = (t: ExecutionContext, shard$: Observable<ShardEvent>) => {
  const run = collect(shard$);
  t.teardown(() => run.subscription.unsubscribe());
  return run;
};

/** Options of shard 0 of 1 against `url` with short timings and its own identify queue; `extra` overrides. */
export const shardOptions = (token: string, url: string, extra: Partial<ShardOptions> = {}): ShardOptions => ({
  token,
  identifyQueue: createMemoryIdentifyQueue({ maxConcurrency: 1, windowMs: 50, safetyMarginMs: 25 }),
  intents: 513,
  shardId: 0,
  totalShards: 1,
  url,
  timing: { helloTimeoutMs: 1000, readyTimeoutMs: 2000, backoff: { initialMs: 20, maxMs: 100 }, invalidSessionWaitMs: { min: 10, max: 50 } },
  ...extra,
});

/** A cluster of shards 0..shards-1 over zlib-stream, one identify wave, fast reconnects: the storm tests' client. Not shut down here. */
export const stormCluster = (token: string, url: string, shards: number): Cluster =>
  createCluster({
    token,
    intents: 513,
    shardIds: Array.from({ length: shards }, (_, i) => i),
    totalShards: shards,
    gateway: { url, maxConcurrency: shards },
    compression: 'zlib-stream',
    timing: { identifyWindowMs: 0, backoff: { initialMs: 10, maxMs: 50 } },
  });
