import test from 'ava';
import { PubSubRedisBroker } from '@discordjs/brokers';
import { decode } from '@msgpack/msgpack';
import { Redis } from 'ioredis';
import { publishDispatches, type PublisherEvent } from '../../src/broker/index.js';
import type { BrokerEntryData } from '../../src/broker/entry-encode.js';
import { collect } from '../helpers/collect.js';
import { client, hasRedisServer, ownServer, prefixFor, REDIS_URL, skipReason } from '../redis/helpers.js';
import { createCluster } from '../../src/cluster/cluster.js';
import { clusterOnEmulator, fakeCluster, TOKEN, until } from './producer-helpers.js';

const skipped = await skipReason();
const redisTest = skipped === null ? test.serial : test.serial.skip;
const title = (name: string) => (skipped === null ? name : `${name} (skipped: ${skipped})`);

/** Every entry of a stream, decoded (msgpack). */
const entries = async (redis: Redis, key: string): Promise<BrokerEntryData[]> => {
  const rows = await redis.xrangeBuffer(key, '-', '+');
  return rows.map(([, fields]) => decode(fields[1]!) as BrokerEntryData);
};

/** Marker contents of some entries, for each shard, in stream order. */
const byShard = (list: readonly BrokerEntryData[]) => {
  const out = new Map<number, number[]>();
  for (const entry of list) {
    const n = Number(String((entry.payload.d as { content: string }).content).split('-').pop());
    out.set(entry.shardId, [...(out.get(entry.shardId) ?? []), n]);
  }
  return out;
};
const ascending = (numbers: readonly number[]) => numbers.every((n, i) => i === 0 || n > numbers[i - 1]!);

redisTest(title('a @discordjs/brokers PubSubRedisBroker worker receives every marker a cluster publishes, with shardId, payload and origin; unwanted events are not published'), async (t) => {
  const keyPrefix = prefixFor(t);
  const events = ['MESSAGE_CREATE'];
  const { gw, cluster } = await clusterOnEmulator(t, 2, events);
  const publisher = publishDispatches(cluster, { redis: REDIS_URL, keyPrefix, events });
  t.teardown(() => publisher.close());

  const worker = new PubSubRedisBroker(new Redis(REDIS_URL), { group: 'workers', name: 'worker-1' });
  worker.on('error', () => {});
  t.teardown(() => worker.destroy());
  const received: BrokerEntryData[] = [];
  worker.on(`${keyPrefix}MESSAGE_CREATE`, ({ data, ack }: { data: BrokerEntryData; ack: () => Promise<void> }) => {
    received.push(data);
    void ack();
  });
  await worker.subscribe([`${keyPrefix}MESSAGE_CREATE`]);

  await cluster.connect();
  const sessions = new Map(cluster.sessions().map((s) => [s.shardId, s.sessionId]));
  const traffic = gw.markerTraffic({ count: 400, rate: 2_000, prefix: 'bk-' });
  await traffic.done;
  await until(() => received.length >= 400, 'the worker to receive 400 markers');

  t.deepEqual(received.map((e) => (e.payload.d as { content: string }).content).sort(), [...traffic.markers].sort(), 'every marker, once');
  for (const entry of received) {
    t.deepEqual(Object.keys(entry).sort(), ['origin', 'payload', 'shardId']);
    t.is(entry.payload.op, 0);
    t.is(entry.payload.t, 'MESSAGE_CREATE');
    t.is(entry.origin, `${entry.shardId}:${sessions.get(entry.shardId)}:${entry.payload.s}`);
  }
  for (const [, numbers] of byShard(received)) t.true(ascending(numbers), 'each shard in order');
  const stats = publisher.stats();
  t.is(stats.published, 400);
  t.is(stats.dropped, 0);
  t.is(stats.pending, 0);
  t.true(stats.batches < 400, `${stats.batches} calls for 400 entries: never one round trip per event`);
  const redis = client(t);
  t.is(await redis.exists(`${keyPrefix}GUILD_CREATE`, `${keyPrefix}READY`), 0, 'unwanted events are not published');
});

redisTest(title("one event-loop turn's entries go out in one call; streams stay within maxLen (~ slack: one stream node); JSON entries parse to the same data"), async (t) => {
  const keyPrefix = prefixFor(t);
  const redis = client(t);
  const fake = fakeCluster();
  const maxLen = 200;
  const publisher = publishDispatches(fake.cluster, { redis: REDIS_URL, keyPrefix, maxLen, maxPending: 5_000 });
  t.teardown(() => publisher.close());
  for (let i = 0; i < 500; i++) fake.emit(`one-${i}`);
  await until(() => publisher.stats().published === 500, '500 published');
  t.is(publisher.stats().batches, 1, 'one call for one turn');
  t.is(publisher.stats().lastBatchSize, 500);
  for (let turn = 0; turn < 5; turn++) {
    for (let i = 0; i < 500; i++) fake.emit(`more-${turn}-${i}`);
    await until(() => publisher.stats().pending === 0, 'the turn written');
  }
  const [, nodeMax] = (await redis.config('GET', 'stream-node-max-entries')) as [string, string];
  const length = await redis.xlen(`${keyPrefix}MESSAGE_CREATE`);
  t.true(length >= maxLen && length <= maxLen + Number(nodeMax), `XLEN ${length} within maxLen ${maxLen} + one node (${nodeMax})`);
  const list = await entries(redis, `${keyPrefix}MESSAGE_CREATE`);
  t.is((list.at(-1)!.payload.d as { content: string }).content, 'more-4-499', 'the newest kept');

  const json = publishDispatches(fake.cluster, { redis: REDIS_URL, keyPrefix: `${keyPrefix}json:`, encoding: 'json' });
  t.teardown(() => json.close());
  fake.emit('as-json', 'TYPING_START', 4);
  await until(() => json.stats().published === 1, 'the JSON entry');
  const [[, fields]] = (await redis.xrange(`${keyPrefix}json:TYPING_START`, '-', '+')) as [[string, string[]]];
  t.deepEqual(fields[0], 'data');
  t.like(JSON.parse(fields[1]!), { shardId: 4, payload: { op: 0, t: 'TYPING_START', d: { content: 'as-json' } }, origin: `4:fake-session:${JSON.parse(fields[1]!).payload.s}` });
});

redisTest(title('Redis paused 3 s under traffic: the shards stay connected, nothing is lost within maxPending, publishing resumes in order'), async (t) => {
  const keyPrefix = prefixFor(t);
  const { gw, cluster } = await clusterOnEmulator(t, 2, ['MESSAGE_CREATE']);
  const statuses = collect(cluster.status$);
  const publisher = publishDispatches(cluster, { redis: REDIS_URL, keyPrefix, maxPending: 10_000 });
  t.teardown(() => publisher.close());
  await cluster.connect();
  const readyStatuses = statuses.events.length;
  const traffic = gw.markerTraffic({ count: 2_000, rate: 500, prefix: 'p-' });
  await until(() => publisher.stats().published >= 200, 'publishing under way');
  const pauser = client(t);
  await pauser.client('PAUSE', 3_000);
  await until(() => publisher.stats().pending >= 200, 'entries held while Redis is paused');
  await traffic.done;
  await until(() => publisher.stats().published === 2_000, 'every marker published', 30_000);
  t.deepEqual(statuses.events.slice(readyStatuses), [], 'no shard changed status: none waited on Redis');
  t.is(publisher.stats().dropped, 0);
  const list = await entries(client(t), `${keyPrefix}MESSAGE_CREATE`);
  t.deepEqual(list.map((e) => (e.payload.d as { content: string }).content).sort(), [...traffic.markers].sort());
  for (const [, numbers] of byShard(list)) t.true(ascending(numbers), 'each shard in order');
});

redisTest(title('Redis paused with more than maxPending arriving: the oldest unsent are dropped and counted (stats, events$), the rest written in order'), async (t) => {
  const keyPrefix = prefixFor(t);
  const { gw, cluster } = await clusterOnEmulator(t, 2, ['MESSAGE_CREATE']);
  const statuses = collect(cluster.status$);
  const dispatches = collect(cluster.dispatch$);
  const maxPending = 100;
  const publisher = publishDispatches(cluster, { redis: REDIS_URL, keyPrefix, maxPending });
  t.teardown(() => publisher.close());
  const reports = collect(publisher.events$);
  await cluster.connect();
  const readyStatuses = statuses.events.length;
  await client(t).client('PAUSE', 3_000);
  const traffic = gw.markerTraffic({ count: 600, rate: 3_000, prefix: 'o-' });
  await traffic.done;
  await dispatches.when(() => dispatches.events.length >= 600, 10_000);
  await until(() => publisher.stats().pending === 0, 'the held entries written after the pause', 30_000);
  const stats = publisher.stats();
  t.true(stats.dropped > 0, `${stats.dropped} dropped`);
  t.is(stats.published + stats.dropped, 600, 'every entry written or counted as dropped');
  const dropReports = reports.events.filter((e): e is Extract<PublisherEvent, { type: 'dropped' }> => e.type === 'dropped');
  t.is(dropReports.reduce((sum, e) => sum + e.count, 0), stats.dropped, 'every drop reported on events$');
  t.true(dropReports.length < stats.dropped || stats.dropped === 1, 'reported per turn, not per entry');
  const list = await entries(client(t), `${keyPrefix}MESSAGE_CREATE`);
  t.is(list.length, stats.published);
  for (const [, numbers] of byShard(list)) t.true(ascending(numbers), 'each shard in order');
  t.deepEqual(statuses.events.slice(readyStatuses), [], 'the shards stayed connected');
});

redisTest(title('an entry Redis refuses for good is counted as rejected, the others of its batch are written; a flushed script is loaded again'), async (t) => {
  const keyPrefix = prefixFor(t);
  const redis = client(t);
  await redis.set(`${keyPrefix}TYPING_START`, 'not a stream');
  const fake = fakeCluster();
  const publisher = publishDispatches(fake.cluster, { redis: REDIS_URL, keyPrefix });
  t.teardown(() => publisher.close());
  const reports = collect(publisher.events$);
  fake.emit('a');
  fake.emit('b', 'TYPING_START');
  fake.emit('c');
  await reports.when((e) => e.type === 'rejected');
  await until(() => publisher.stats().pending === 0, 'the batch settled');
  t.like(publisher.stats(), { published: 2, rejected: 1, dropped: 0, batches: 1 });
  const refusal = reports.events.find((e) => e.type === 'rejected') as Extract<PublisherEvent, { type: 'rejected' }>;
  t.is(refusal.count, 1);
  t.regex(refusal.reason, /^WRONGTYPE/);
  t.deepEqual((await entries(redis, `${keyPrefix}MESSAGE_CREATE`)).map((e) => (e.payload.d as { content: string }).content), ['a', 'c']);

  await redis.script('FLUSH');
  fake.emit('d');
  await until(() => publisher.stats().published === 3, 'published after SCRIPT FLUSH');
  t.is(publisher.stats().rejected, 1);
});

redisTest(title("a resume's replay keeps each event's origin: another process resuming from an older sequence publishes the same events with the same origins"), async (t) => {
  const keyPrefix = prefixFor(t);
  const events = ['MESSAGE_CREATE'];
  const { gw, cluster: first } = await clusterOnEmulator(t, 1, events);
  const firstPublisher = publishDispatches(first, { redis: REDIS_URL, keyPrefix, events });
  t.teardown(() => firstPublisher.close());
  await first.connect();
  const stale = first.sessions(); // as a store flushed before the traffic would hold it
  const traffic = gw.markerTraffic({ count: 50, rate: 2_000, prefix: 'r-' });
  await traffic.done;
  await until(() => firstPublisher.stats().published === 50, 'the first process published 50');
  await first.shutdown({ keepSessions: true });
  await firstPublisher.close();

  const second = createCluster({ token: TOKEN, intents: 513, shardIds: [0], totalShards: 1, gateway: { url: gw.url, maxConcurrency: 1 }, events, sessions: stale, timing: { identifyWindowMs: 20 } });
  t.teardown(() => second.shutdown());
  const secondPublisher = publishDispatches(second, { redis: REDIS_URL, keyPrefix, events });
  t.teardown(() => secondPublisher.close());
  await second.connect();
  t.true(second.statuses().every((s) => s.status === 'resumed'), 'resumed, not identified');
  await until(() => secondPublisher.stats().published === 50, 'the replayed events published again');

  const list = await entries(client(t), `${keyPrefix}MESSAGE_CREATE`);
  t.is(list.length, 100);
  const byOrigin = new Map<string, string[]>();
  for (const entry of list) byOrigin.set(entry.origin, [...(byOrigin.get(entry.origin) ?? []), (entry.payload.d as { content: string }).content]);
  t.is(byOrigin.size, 50, 'each event published twice under one origin');
  for (const [origin, contents] of byOrigin) {
    t.is(contents.length, 2, origin);
    t.is(contents[0], contents[1], `${origin}: the same event`);
    t.true(origin.startsWith(`0:${stale[0]!.sessionId}:`), origin);
  }
});

const ownRedisTest = hasRedisServer() ? test.serial : test.serial.skip;

ownRedisTest('Redis gone and back: held entries bounded (the oldest dropped, counted), the rest written in order once Redis is back', async (t) => {
  const server = await ownServer(t);
  await server.start();
  const fake = fakeCluster();
  const publisher = publishDispatches(fake.cluster, { redis: server.url, maxPending: 100 });
  t.teardown(() => publisher.close());
  const reports = collect(publisher.events$);
  for (let i = 0; i < 10; i++) fake.emit(`before-${i}`);
  await until(() => publisher.stats().published === 10, 'the first 10 written');
  await server.stop();
  await until(() => publisher.stats().redis === 'down', 'the producer seeing Redis gone');
  for (let i = 0; i < 150; i++) fake.emit(`during-${i}`);
  t.like(publisher.stats(), { dropped: 50, pending: 100 }, 'bounded: the oldest 50 dropped');
  await reports.when((e) => e.type === 'dropped' && e.total === 50);

  await server.start(); // empty: no persistence
  await until(() => publisher.stats().published === 110, 'the held 100 written once Redis is back', 30_000);
  const contents = (await entries(client(t, server.url), 'MESSAGE_CREATE')).map((e) => (e.payload.d as { content: string }).content);
  t.deepEqual(contents, Array.from({ length: 100 }, (_, i) => `during-${i + 50}`), 'the newest 100, in order');
  t.like(publisher.stats(), { dropped: 50, pending: 0, rejected: 0, redis: 'up' });
});

redisTest(title('close() while Redis is paused gives up after 2 s, counting what it held as dropped; the late answer changes nothing'), async (t) => {
  const keyPrefix = prefixFor(t);
  const fake = fakeCluster();
  const publisher = publishDispatches(fake.cluster, { redis: REDIS_URL, keyPrefix });
  const reports = collect(publisher.events$);
  fake.emit('first');
  await until(() => publisher.stats().published === 1, 'connected and writing');
  const pauser = client(t);
  await pauser.client('PAUSE', 3_000);
  for (let i = 0; i < 20; i++) fake.emit(`held-${i}`);
  await until(() => publisher.stats().pending === 20 && publisher.stats().batches === 1, 'the call sent and waiting');
  await publisher.close();
  t.like(publisher.stats(), { published: 1, dropped: 20, pending: 0 });
  t.like(reports.events.at(-1), { type: 'dropped', count: 20, total: 20 });
  // the paused call is answered (or cut) later: the counts stay as close() left them
  await until(async () => (await client(t).ping()) === 'PONG', 'Redis answering again');
  t.like(publisher.stats(), { published: 1, dropped: 20, pending: 0, rejected: 0 });
});

redisTest(title('maxAgeMs also trims each stream by age (MINID ~ on Redis\'s clock): whole nodes of older entries go, the newest stay'), async (t) => {
  const keyPrefix = prefixFor(t);
  const redis = client(t);
  const fake = fakeCluster();
  const publisher = publishDispatches(fake.cluster, { redis: REDIS_URL, keyPrefix, maxAgeMs: 50 });
  t.teardown(() => publisher.close());
  const [, nodeMax] = (await redis.config('GET', 'stream-node-max-entries')) as [string, string];
  const old = 3 * Number(nodeMax);
  for (let i = 0; i < old; i++) fake.emit(`old-${i}`);
  await until(() => publisher.stats().published === old, 'the old entries written');
  t.is(await redis.xlen(`${keyPrefix}MESSAGE_CREATE`), old, 'nothing is older than 50 ms yet');
  const now = async () => {
    const [seconds, micros] = await redis.time();
    return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
  };
  const written = await now();
  await until(async () => (await now()) > written + 60, "Redis's clock 60 ms later");
  fake.emit('new');
  await until(() => publisher.stats().published === old + 1, 'the new entry written');
  const length = await redis.xlen(`${keyPrefix}MESSAGE_CREATE`);
  t.true(length <= Number(nodeMax) + 1, `XLEN ${length}: the full nodes of old entries trimmed`);
  t.is(((await entries(redis, `${keyPrefix}MESSAGE_CREATE`)).at(-1)!.payload.d as { content: string }).content, 'new');
});

redisTest(title('close() after real traffic: no subscription, timer or socket left (20 publishers opened and closed)'), async (t) => {
  const keyPrefix = prefixFor(t);
  const resources = () => process.getActiveResourcesInfo().filter((kind) => kind !== 'PipeWrap' && kind !== 'TTYWrap').sort().join(',');
  const fake = fakeCluster();
  await client(t).ping(); // the test's own client, opened before counting
  const before = resources();
  for (let round = 0; round < 20; round++) {
    const publisher = publishDispatches(fake.cluster, { redis: REDIS_URL, keyPrefix, maxAgeMs: 60_000 });
    for (let i = 0; i < 30; i++) fake.emit(`round-${round}-${i}`);
    await until(() => publisher.stats().published === 30, `round ${round} written`);
    await publisher.close();
    t.false(fake.observed, `round ${round}: dispatch$ no longer observed`);
  }
  await until(() => resources() === before, `resources back to ${before} (now ${resources()})`, 5_000);
  t.is(resources(), before);
});
