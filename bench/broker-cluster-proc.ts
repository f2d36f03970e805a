/**
 * The broker bench's gateway side: one cluster on the emulator publishing its dispatches to Redis.
 * With `publishDispatches` (the producer of `@discluster/cluster/broker`) when it is there, from
 * dist/ (built) or src/; else a minimal stand-in (one XADD pipeline per event-loop turn, one
 * pipeline in flight, msgpack entries of broker-wire.md), and the row says which ran.
 */
import { existsSync } from 'node:fs';
import { encode } from '@msgpack/msgpack';
import { Redis } from 'ioredis';
import { createCluster as createClusterFromSource, type Cluster } from '../src/index.js';
import { serve } from './ipc.js';

interface Publisher {
  readonly name: string;
  stats(): { published: number; dropped: number };
  close(): Promise<void>;
}
type PublishDispatches = (cluster: Cluster, options: { redis: string; keyPrefix?: string; events?: readonly string[] }) => { stats(): { published: number; dropped: number }; close(): Promise<void> };

type CreateCluster = typeof import('../src/index.js').createCluster;

/**
 * `createCluster` and `publishDispatches` from one build: dist/ (built) or src/, so the producer
 * reads the session ids the cluster's shards attach (a module-private symbol: the two must be
 * the same copy). `publishDispatches` is undefined when the tree has no producer.
 */
const loadLibrary = async (): Promise<{ createCluster: CreateCluster; publishDispatches?: PublishDispatches }> => {
  for (const [root, broker] of [['../dist/index.js', '../dist/broker/index.js'], ['../src/index.ts', '../src/broker/index.ts']] as const) {
    const rootUrl = new URL(root, import.meta.url);
    const brokerUrl = new URL(broker, import.meta.url);
    if (!existsSync(rootUrl) || !existsSync(brokerUrl)) continue;
    const { createCluster } = (await import(rootUrl.href)) as { createCluster: CreateCluster };
    const { publishDispatches } = (await import(brokerUrl.href)) as { publishDispatches?: PublishDispatches };
    if (publishDispatches !== undefined) return { createCluster, publishDispatches };
  }
  return { createCluster: createClusterFromSource };
};

/** The stand-in: one pipeline of `XADD key MAXLEN ~ 100000 * data <msgpack>` per event-loop turn, one in flight; unbounded (it is a bench tool, not the producer). */
const minimalPipeline = (cluster: Cluster, redisUrl: string, keyPrefix: string): Publisher => {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: null });
  let waiting: [string, Buffer][] = [];
  let flushing = false;
  let published = 0;
  const flush = async () => {
    if (flushing) return;
    flushing = true;
    while (waiting.length > 0) {
      const batch = waiting;
      waiting = [];
      const pipeline = redis.pipeline();
      for (const [key, data] of batch) pipeline.xadd(key, 'MAXLEN', '~', '100000', '*', 'data', data);
      await pipeline.exec();
      published += batch.length;
    }
    flushing = false;
  };
  const subscription = cluster.dispatch$.subscribe(({ shardId, t, s, d }) => {
    const bytes = encode({ shardId, payload: { op: 0, t, s, d }, origin: `${shardId}:bench:${s}` });
    waiting.push([`${keyPrefix}${t}`, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)]);
    if (waiting.length === 1) setImmediate(() => void flush());
  });
  return {
    name: 'minimal XADD pipeline (stand-in)',
    stats: () => ({ published, dropped: 0 }),
    close: async () => {
      subscription.unsubscribe();
      await flush();
      redis.disconnect();
    },
  };
};

let cluster: Cluster | undefined;
let publisher: Publisher | undefined;

serve({
  async start(args: { url: string; shards: number; redisUrl: string; keyPrefix: string; events: string[] }) {
    const { createCluster, publishDispatches: produce } = await loadLibrary();
    cluster = createCluster({
      token: 'bench-token',
      intents: 513,
      shardIds: Array.from({ length: args.shards }, (_, i) => i),
      totalShards: args.shards,
      gateway: { url: args.url, maxConcurrency: args.shards },
      compression: 'zlib-stream',
      events: args.events,
      timing: { identifyWindowMs: 1, helloTimeoutMs: 120_000, readyTimeoutMs: 120_000 },
    });
    if (produce !== undefined) {
      const p = produce(cluster, { redis: args.redisUrl, keyPrefix: args.keyPrefix, events: args.events });
      publisher = { name: 'publishDispatches', stats: () => p.stats(), close: () => p.close() };
    } else publisher = minimalPipeline(cluster, args.redisUrl, args.keyPrefix);
    await cluster.connect();
    return { producer: publisher.name };
  },
  stats() {
    const cpu = process.cpuUsage();
    return { ...publisher!.stats(), cpuUs: cpu.user + cpu.system };
  },
  async close() {
    await publisher?.close();
    await cluster?.shutdown();
    return null;
  },
});
