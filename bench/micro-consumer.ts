/**
 * The worker side alone: N MESSAGE_CREATE entries (broker-wire.md, msgpack) written to a stream
 * beforehand, then read and acked one by one by `consumeDispatches` at a few in-flight bounds,
 * and by @discordjs/brokers' `PubSubRedisBroker` (subscribe, `ack()` each) for comparison. CPU
 * µs per event (this process: decode, the loop, acks) and events/s, each consumer in its own
 * group over the same entries; a redis-server of its own on a free port.
 *
 *   npx tsx bench/micro-consumer.ts [N=20000]
 */
import { PubSubRedisBroker } from '@discordjs/brokers';
import { encode } from '@msgpack/msgpack';
import { Redis } from 'ioredis';
import { consumeDispatches } from '../src/broker/consumer.js';
import { startRedis } from './redis-server.js';

const N = Number(process.argv[2] ?? 20_000);
const server = await startRedis();
const redis = new Redis(server.url);
const KEY = 'MESSAGE_CREATE';
for (let i = 0; i < N; i += 1_000) {
  const pipeline = redis.pipeline();
  for (let k = i; k < Math.min(N, i + 1_000); k++) {
    const d = { id: String(1_300_000_000_000_000_000n + BigInt(k)), channel_id: '1', guild_id: '2', content: `message ${k}`, author: { id: '4242', username: 'someone', discriminator: '0', global_name: null, avatar: null }, timestamp: new Date().toISOString(), edited_timestamp: null, tts: false, mention_everyone: false, mentions: [], mention_roles: [], attachments: [], embeds: [], pinned: false, type: 0 };
    pipeline.xadd(KEY, '*', 'data', Buffer.from(encode({ shardId: k % 4, payload: { op: 0, t: KEY, s: k + 1, d }, origin: `${k % 4}:bench:${k + 1}` })));
  }
  await pipeline.exec();
}

const measure = async (label: string, run: (done: () => void) => () => Promise<void> | void) => {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let stop: () => Promise<void> | void = () => {};
  await new Promise<void>((resolve) => (stop = run(resolve)));
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  await stop();
  console.log(`| ${label} | ${Math.round((N * 1000) / ms)} | ${((cpu.user + cpu.system) / N).toFixed(1)} |`);
};

console.log(`${N} entries, load average ${(await import('node:os')).loadavg().map((l) => l.toFixed(2)).join(' ')}\n`);
console.log('| consumer | events/s | CPU µs/event |\n|---|---|---|');
for (const [maxInFlight, batchSize] of [[64, 32], [1024, 256]] as const) {
  await measure(`consumeDispatches, maxInFlight ${maxInFlight}, batchSize ${batchSize}`, (done) => {
    let n = 0;
    const subscription = consumeDispatches({ redis: server.url, group: `ours-${maxInFlight}`, consumer: 'c', events: [KEY], maxInFlight, batchSize }).subscribe((entry) => {
      void entry.ack();
      if (++n === N) done();
    });
    return () => subscription.unsubscribe();
  });
}
await measure('@discordjs/brokers PubSubRedisBroker (maxChunk 10, its default)', (done) => {
  const broker = new PubSubRedisBroker<Record<string, unknown>>(new Redis(server.url), { group: 'djs', name: 'c' });
  let n = 0;
  broker.on(KEY, ({ ack }: { ack: () => Promise<void> }) => {
    void ack();
    if (++n === N) done();
  });
  void broker.subscribe([KEY]);
  return () => void broker.destroy().catch(() => {});
});
redis.disconnect();
await server.stop();
process.exit(0);
