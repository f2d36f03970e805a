/**
 * The broker end to end: gateway (the emulator process) → a cluster process publishing to Redis
 * → Redis Streams → a worker process with `consumeDispatches`, acking each entry. A redis-server
 * of its own is started on a free port and stopped at the end. Rows: a paced stream at each
 * offered rate with p50/p99 latency from the gateway's send (the emulator's stamp) to the worker's
 * handler, and an unpaced stream for the end-to-end throughput; CPU of the cluster and the worker
 * per event, and the load average around each row (the machine is shared).
 */
import { randomUUID } from 'node:crypto';
import { loadavg } from 'node:os';
import { Redis } from 'ioredis';
import { forkPeer, type Peer } from './ipc.js';
import { TOKEN, type Log } from './scenarios.js';
import { startRedis } from './redis-server.js';
import { percentiles } from './stats.js';

/** One row of the broker bench. */
export interface BrokerRow {
  /** `paced` at `offeredRate`, or `unpaced` (as fast as it goes). */
  readonly mode: 'paced' | 'unpaced';
  readonly offeredRate: number | null;
  readonly producer: string;
  readonly shards: number;
  readonly sent: number;
  readonly delivered: number;
  readonly dropped: number;
  /** Entries whose origin names no gateway session (should be 0: the producer reads each dispatch's session). */
  readonly originsWithoutSession: number;
  /** Events per second the gateway (emulator) achieved: on a loaded machine it may fall short of the offered rate. */
  readonly gatewayRate: number;
  /** Events handled per second by the worker, from the first one handled to the last. */
  readonly endToEndRate: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  readonly clusterCpuUsPerEvent: number;
  readonly workerCpuUsPerEvent: number;
  readonly load: readonly number[];
}

/** What the broker bench runs. */
export interface BrokerSizes {
  readonly rates: readonly number[];
  readonly seconds: number;
  readonly unpacedCount: number;
}

const SHARDS = 4;
const EVENTS = ['MESSAGE_CREATE', 'BENCH_END'];

interface Done {
  delivered: number;
  noSession: number;
  firstAt: number;
  lastAt: number;
  cpuUs: number;
  latencies: number[];
}

/** Runs the broker rows; needs `redis-server` on PATH. */
export const brokerEndToEnd = async (emu: Peer, sizes: BrokerSizes, log: Log): Promise<BrokerRow[]> => {
  const redis = await startRedis();
  const rows: BrokerRow[] = [];
  try {
    const runs = [...sizes.rates.map((rate) => ({ rate, count: Math.round(rate * sizes.seconds) })), { rate: undefined, count: sizes.unpacedCount }];
    for (const { rate, count } of runs) {
      const keyPrefix = `bench:${randomUUID()}:`;
      const { url } = await emu.call<{ url: string }>('start', { token: TOKEN, guilds: 100, maxConcurrency: SHARDS, identifyWindowMs: 0, heartbeatInterval: 300_000, zlibMode: 'precompressed' });
      const worker = forkPeer('./broker-worker-proc.ts');
      const cluster = forkPeer('./broker-cluster-proc.ts');
      try {
        await worker.call('start', { redisUrl: redis.url, keyPrefix, group: 'bench', consumer: 'w1', maxInFlight: 1024, batchSize: 256 });
        const { producer } = await cluster.call<{ producer: string }>('start', { url, shards: SHARDS, redisUrl: redis.url, keyPrefix, events: EVENTS }, 180_000);
        const before = await cluster.call<{ cpuUs: number; published: number; dropped: number }>('stats');
        await worker.call('begin', { expected: count, ends: SHARDS });
        const done = worker.notice<Done>('done', 600_000);
        const load0 = loadavg()[0]!;
        const streamed = await emu.call<{ sent: number; ms: number; pacing?: { achievedRate: number } }>('stream', { options: { count, ...(rate !== undefined ? { rate } : {}), stamp: true, mix: 'messages' }, endMarker: true }, 600_000);
        const result = await done;
        const after = await cluster.call<{ cpuUs: number; published: number; dropped: number }>('stats');
        const p = percentiles(result.latencies);
        const row: BrokerRow = {
          mode: rate === undefined ? 'unpaced' : 'paced',
          offeredRate: rate ?? null,
          producer,
          shards: SHARDS,
          sent: streamed.sent,
          delivered: result.delivered,
          dropped: after.dropped - before.dropped,
          originsWithoutSession: result.noSession,
          gatewayRate: Math.round(streamed.pacing?.achievedRate ?? (streamed.sent * 1000) / streamed.ms),
          endToEndRate: Math.round((result.delivered * 1000) / Math.max(1, result.lastAt - result.firstAt)),
          p50: p.p50,
          p99: p.p99,
          max: p.max,
          clusterCpuUsPerEvent: (after.cpuUs - before.cpuUs) / Math.max(1, streamed.sent),
          workerCpuUsPerEvent: result.cpuUs / Math.max(1, result.delivered),
          load: [load0, loadavg()[0]!],
        };
        log(`  broker ${row.mode}${rate !== undefined ? ` ${rate}/s` : ''}: ${JSON.stringify(row)}`);
        rows.push(row);
      } finally {
        await cluster.call('close', undefined, 10_000).catch(() => {});
        await worker.call('close', undefined, 10_000).catch(() => {});
        await Promise.all([cluster.kill(), worker.kill()]);
        await emu.call('stop');
      }
    }
  } finally {
    await redis.stop();
  }
  return rows;
};
