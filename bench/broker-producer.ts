/**
 * The broker producer's CPU per event, against @discordjs/brokers' own `publish()`, in one run
 * and one process, on a redis-server the bench starts (a free port, no persistence; or
 * `REDIS_URL` to use one already running). Both publish the same dispatches of the realistic mix
 * (parsed, with their frame text, as a shard emits them), in event-loop turns of 64 events like a
 * shard's read turns: ours through `publishDispatches` on a `dispatch$` (one pipeline per turn),
 * theirs by `publish(t, { shardId, payload })` per event (one XADD each). CPU is this process's
 * (`process.cpuUsage`: encoding, ioredis, the socket), from the first event until Redis has
 * answered the last; Redis's own CPU is not counted. Rounds alternate; the best of each is kept.
 * A third row is ours with `encoding: 'json'`, for reference.
 *
 *   npx tsx bench/broker-producer.ts [events per round, default 50000] [rounds, default 3]
 */
import { PubSubRedisBroker } from '@discordjs/brokers';
import { Redis } from 'ioredis';
import { Subject } from 'rxjs';
import { publishDispatches } from '../src/broker/index.js';
import { SESSION_ID } from '../src/shard/dispatch-session.js';
import { FRAME_TEXT } from '../src/shard/frame-text.js';
import type { ShardDispatchEvent } from '../src/shard/types.js';
import { renderDispatch } from '../src/testing/wire/frames.js';
import { createTraffic } from '../src/testing/traffic/traffic.js';
import { createWorld } from '../src/testing/world/world.js';
import { startRedis } from './redis-server.js';

const events = Number(process.argv[2] ?? 50_000);
const rounds = Number(process.argv[3] ?? 3);
const TURN = 64;

// a redis-server of the bench's own unless REDIS_URL names one
const own = process.env.REDIS_URL === undefined ? await startRedis() : null;
const url = process.env.REDIS_URL ?? own!.url;

// the realistic mix, as a shard emits it
const traffic = createTraffic(createWorld(100, 1), 'realistic', 1, 256);
const source = traffic.forShard(0, 1);
const pool: ShardDispatchEvent[] = [];
for (let s = 1; s <= 4096; s++) {
  const text = renderDispatch(source(), s);
  const frame = JSON.parse(text) as { t: string; s: number; d: unknown };
  pool.push({ type: 'dispatch', shardId: 0, t: frame.t, s: frame.s, d: frame.d, [FRAME_TEXT]: text, [SESSION_ID]: 'bench-session' } as ShardDispatchEvent);
}
const avgChars = pool.reduce((n, e) => n + ((e as unknown as Record<symbol, string>)[FRAME_TEXT] ?? '').length, 0) / pool.length;

/** Emits `events` dispatches in turns of TURN through `emit`; resolves when `done()` says Redis answered them all. µs of CPU per event. */
const measure = async (emit: (event: ShardDispatchEvent) => void, done: () => Promise<void>): Promise<number> => {
  const cpu0 = process.cpuUsage();
  for (let sent = 0; sent < events; ) {
    const end = Math.min(events, sent + TURN);
    for (; sent < end; sent++) emit(pool[sent % pool.length]!);
    await new Promise((resolve) => setImmediate(resolve));
  }
  await done();
  const cpu = process.cpuUsage(cpu0);
  return (cpu.user + cpu.system) / events;
};

const admin = new Redis(url);
const ours = async (encoding: 'msgpack' | 'json' = 'msgpack'): Promise<number> => {
  const dispatch$ = new Subject<ShardDispatchEvent>();
  const publisher = publishDispatches({ dispatch$ }, { redis: url!, keyPrefix: 'bench:ours:', maxPending: events, encoding });
  await new Promise((resolve) => setTimeout(resolve, 100)); // connected
  const us = await measure(
    (event) => dispatch$.next(event),
    async () => {
      // a light poll (a busy one would count its own CPU against the producer)
      while (publisher.stats().published + publisher.stats().dropped < events) await new Promise((resolve) => setTimeout(resolve, 2));
    },
  );
  if (publisher.stats().dropped > 0) throw new Error('the producer dropped entries: raise maxPending');
  await publisher.close();
  return us;
};
const theirs = async (): Promise<number> => {
  const redis = new Redis(url!);
  const broker = new PubSubRedisBroker(redis, { group: 'bench', name: 'bench' });
  await new Promise((resolve) => setTimeout(resolve, 100));
  const pending: Promise<void>[] = [];
  const us = await measure(
    (event) => pending.push(broker.publish(`bench:theirs:${event.t}`, { shardId: event.shardId, payload: { op: 0, t: event.t, s: event.s, d: event.d } })),
    async () => void (await Promise.all(pending)),
  );
  redis.disconnect();
  (broker as unknown as { streamReadClient: Redis }).streamReadClient.disconnect();
  return us;
};

const best = { ours: Infinity, oursJson: Infinity, theirs: Infinity };
// BROKER_BENCH_ONLY=ours|theirs runs one side (e.g. under --cpu-prof)
const only = process.env.BROKER_BENCH_ONLY;
for (let round = 0; round < rounds; round++) {
  if (only !== 'theirs') best.ours = Math.min(best.ours, await ours());
  if (only !== 'ours') best.theirs = Math.min(best.theirs, await theirs());
  if (only === undefined) best.oursJson = Math.min(best.oursJson, await ours('json'));
  for (const key of await admin.keys('bench:*')) await admin.del(key);
}
admin.disconnect();
console.log(`${events} events per round, ${rounds} rounds (best kept), realistic mix, ${avgChars.toFixed(0)} chars per event, turns of ${TURN}`);
console.log(`${'publishDispatches (one call per turn, MAXLEN ~)'.padEnd(58)} ${best.ours.toFixed(2).padStart(6)} µs/event`);
console.log(`${'@discordjs/brokers publish() per event'.padEnd(58)} ${best.theirs.toFixed(2).padStart(6)} µs/event`);
if (only === undefined) console.log(`${"publishDispatches, encoding: 'json' (d copied from the frame)".padEnd(58)} ${best.oursJson.toFixed(2).padStart(6)} µs/event`);
console.log(`ours / theirs: ${(best.ours / best.theirs).toFixed(2)} (target ≤ 0.50)`);
await own?.stop();
process.exit(0);
