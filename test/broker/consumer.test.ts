import test, { type ExecutionContext } from 'ava';
import { PubSubRedisBroker } from '@discordjs/brokers';
import { Redis } from 'ioredis';
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { mergeMap, ReplaySubject, Subject } from 'rxjs';
import { consumeDispatches, type ConsumedDispatch, type ConsumeDispatchesOptions, type ConsumerReport } from '../../src/broker/consumer.js';
import { client, ownServer, hasRedisServer, prefixFor, REDIS_URL, skipReason } from '../redis/helpers.js';
import { marker, msgpack, pendingCount, until, xaddEntries, xaddRaw } from './helpers.js';

const skipped = await skipReason();
const redisTest = skipped === null ? test : test.skip;
const title = (name: string) => (skipped === null ? name : `${name} (skipped: ${skipped})`);

type Item = ConsumedDispatch<'MESSAGE_CREATE'>;

/** A consumer subscribed for the test: every item and report replayed to late listeners; unsubscribed at the end. */
const consume = (t: ExecutionContext, options: Partial<ConsumeDispatchesOptions<'MESSAGE_CREATE'>> & { keyPrefix: string; group: string; consumer: string }) => {
  const items = new ReplaySubject<Item>();
  const reports = new ReplaySubject<ConsumerReport>();
  const consumer$ = consumeDispatches({ redis: REDIS_URL, events: ['MESSAGE_CREATE'], onReport: (r) => reports.next(r), ...options });
  const subscription = consumer$.subscribe({ next: (item) => items.next(item), error: (error) => items.error(error) });
  t.teardown(() => subscription.unsubscribe());
  return { consumer$, items, reports, subscription };
};

/**
 * Acks without waiting: a test that does not check this ack may end (and close the consumer's
 * client) before Redis answers it on a loaded machine; the entry then stays pending, which is
 * the guarantee, not a failure of the test.
 */
const ackLater = (item: Item) => void item.ack().catch(() => {});

const markerOf = (item: Item) => Number((item.payload.d as { id: string }).id);

redisTest(title("our consumer receives every marker published by @discordjs/brokers' PubSubRedisBroker.publish, then nothing is left pending"), async (t) => {
  const keyPrefix = prefixFor(t);
  const publisherClient = new Redis(REDIS_URL);
  const publisher = new PubSubRedisBroker<Record<string, unknown>>(publisherClient, { group: 'unused' });
  t.teardown(() => publisher.destroy());
  const { items } = consume(t, { keyPrefix, group: 'g', consumer: 'c1' });
  const seen = new Set<number>();
  const acks: Promise<void>[] = [];
  const all = until(items, (item) => {
    seen.add(Number((item.payload.d as unknown as { marker: number }).marker));
    acks.push(item.ack());
    return seen.size === 300;
  });
  // one publish per event, as @discordjs/brokers does it; plain data and a dispatch-shaped object
  for (let i = 0; i < 300; i++) await publisher.publish(`${keyPrefix}MESSAGE_CREATE`, i % 2 === 0 ? { marker: i } : { shardId: 3, payload: { op: 0, t: 'MESSAGE_CREATE', s: i, d: { marker: i } }, origin: `3:x:${i}` });
  const last = await all;
  t.is(seen.size, 300);
  t.true([-1, 3].includes(last.shardId));
  await Promise.all(acks);
  const redis = client(t);
  t.is(await pendingCount(redis, `${keyPrefix}MESSAGE_CREATE`, 'g'), 0, 'every entry acked');
});

redisTest(title('a consumer killed mid-batch without acking: another consumer of the group handles every marker at least once, none lost'), async (t) => {
  const keyPrefix = prefixFor(t);
  const redis = client(t);
  const key = `${keyPrefix}MESSAGE_CREATE`;
  const N = 400;
  const handled = new Set<number>();
  // A takes a batch, acks a few, and dies holding the rest
  const a = consume(t, { keyPrefix, group: 'g', consumer: 'a', claimIdleMs: 200, maxInFlight: 32, batchSize: 32 });
  await xaddEntries(redis, keyPrefix, Array.from({ length: N }, (_, i) => marker(i)));
  let taken = 0;
  await until(a.items, (item) => {
    if (++taken <= 10) {
      handled.add(markerOf(item));
      ackLater(item);
    }
    return taken === 32;
  });
  a.subscription.unsubscribe(); // killed: 22 read and never acked
  const held = await pendingCount(redis, key, 'g');
  t.true(held >= 22, `the dead consumer holds ${held} entries`);
  // B, alone in the group now, must end with every marker handled
  const b = consume(t, { keyPrefix, group: 'g', consumer: 'b', claimIdleMs: 200, maxInFlight: 32, batchSize: 16 });
  let repeats = 0;
  await until(b.items, (item) => {
    if (handled.has(markerOf(item))) repeats++;
    handled.add(markerOf(item));
    ackLater(item);
    return handled.size === N;
  });
  t.is(handled.size, N, 'none lost');
  t.true(b.consumer$.stats().claimed >= held, `${b.consumer$.stats().claimed} claimed from the dead consumer, which held ${held}`);
  t.log(`${repeats} repeats (handled by the dead consumer's acked part and again: 0 expected, as it acked those)`);
  t.is(repeats, 0);
  const claims = await until(b.reports, (r) => r.type === 'claimed');
  t.is(claims.type, 'claimed');
});

redisTest(title('maxDeliveries: an entry never acked is delivered maxDeliveries times, then moved to the dead-letter stream (bytes, stream, id, count) and acked; an undecodable entry goes there at once'), async (t) => {
  const keyPrefix = prefixFor(t);
  const redis = client(t);
  const key = `${keyPrefix}MESSAGE_CREATE`;
  const [goodId, poisonId, afterId] = await xaddEntries(redis, keyPrefix, [marker(1), marker(2), marker(3)]);
  const garbage = Buffer.from([0xc1, 0xff, 0x00]);
  const garbageId = await xaddRaw(redis, key, 'data', garbage);
  const { items, reports, consumer$ } = consume(t, { keyPrefix, group: 'g', consumer: 'w', claimIdleMs: 100, maxDeliveries: 3 });
  const poisonDeliveries: number[] = [];
  items.subscribe((item) => {
    if (item.id === poisonId) poisonDeliveries.push(item.deliveries); // the handler throws on it: never acked
    else ackLater(item);
  });
  const buried = await until(reports, (r) => r.type === 'dead-letter' && r.reason === 'max-deliveries');
  const undecodable = await until(reports, (r) => r.type === 'dead-letter' && r.reason === 'undecodable');
  t.like(buried, { stream: key, id: poisonId, deliveries: 4 });
  t.like(undecodable, { stream: key, id: garbageId, deliveries: 1 });
  t.deepEqual(poisonDeliveries, [1, 2, 3]);
  const dead = (await redis.xrangeBuffer(`${keyPrefix}discluster:dead-letter`, '-', '+')).map(([, fields]) => {
    const f: Record<string, Buffer> = {};
    for (let i = 0; i < fields.length; i += 2) f[fields[i]!.toString()] = fields[i + 1]!;
    return f;
  });
  t.is(dead.length, 2);
  const letter = dead.find((f) => f.id!.toString() === poisonId)!;
  t.deepEqual(letter.data, msgpack(marker(2)), 'the original bytes');
  t.is(letter.stream!.toString(), key);
  t.is(letter.deliveries!.toString(), '4');
  t.deepEqual(dead.find((f) => f.id!.toString() === garbageId)?.data, garbage);
  t.is(await pendingCount(redis, key, 'g'), 0, 'both acked in their stream');
  t.like(consumer$.stats(), { deadLettered: 2, undecodable: 1 });
  t.truthy(goodId && afterId);
});

redisTest(title('a slow worker: entries read and not acked never exceed maxInFlight, in the consumer and in Redis (pending count), and all are handled'), async (t) => {
  const keyPrefix = prefixFor(t);
  const redis = client(t);
  const key = `${keyPrefix}MESSAGE_CREATE`;
  const N = 300;
  const BOUND = 8;
  await xaddEntries(redis, keyPrefix, Array.from({ length: N }, (_, i) => marker(i)));
  const { items, consumer$ } = consume(t, { keyPrefix, group: 'g', consumer: 'slow', maxInFlight: BOUND, batchSize: 4, claimIdleMs: 60_000 });
  let unacked = 0;
  let maxUnacked = 0;
  let maxPending = 0;
  const done = new Subject<number>();
  let handled = 0;
  items
    .pipe(
      mergeMap(async (item) => {
        unacked++;
        maxUnacked = Math.max(maxUnacked, unacked);
        maxPending = Math.max(maxPending, await pendingCount(redis, key, 'g')); // the slow work: a round trip to Redis
        t.true(consumer$.stats().inFlight <= BOUND);
        await item.ack();
        unacked--;
        done.next(++handled);
      }, 3),
    )
    .subscribe();
  // the worker takes 3 at a time, the consumer may hold 8: the 5 others wait, read but not taken
  await until(done, (n) => n === N, 60_000);
  t.true(maxUnacked <= BOUND, `at most ${maxUnacked} read and not acked`);
  t.true(maxPending <= BOUND, `pending in Redis at most ${maxPending}`);
  t.true(maxPending >= 3, 'the bound was reached (the worker is the slow side)');
  t.is(await pendingCount(redis, key, 'g'), 0);
});

redisTest(title('two groups each get every event; two consumers of one group share them'), async (t) => {
  const keyPrefix = prefixFor(t);
  const redis = client(t);
  const N = 200;
  const counts = (c: ReturnType<typeof consume>) => {
    const seen = new Set<number>();
    c.items.subscribe((item) => {
      seen.add(markerOf(item));
      ackLater(item);
    });
    return seen;
  };
  const x = counts(consume(t, { keyPrefix, group: 'x', consumer: 'x1' }));
  const y1 = consume(t, { keyPrefix, group: 'y', consumer: 'y1', batchSize: 4, maxInFlight: 4 });
  const y2 = consume(t, { keyPrefix, group: 'y', consumer: 'y2', batchSize: 4, maxInFlight: 4 });
  const [s1, s2] = [counts(y1), counts(y2)];
  await xaddEntries(redis, keyPrefix, Array.from({ length: N }, (_, i) => marker(i)));
  const all = new Subject<void>();
  const check = () => all.next();
  const union = () => new Set([...s1, ...s2]).size;
  const ready = until(all, () => x.size === N && union() === N, 30_000);
  y1.items.subscribe(check);
  y2.items.subscribe(check);
  check();
  await ready.catch(() => {});
  t.is(x.size, N, 'group x got every event');
  t.is(union(), N, 'group y got every event');
  t.is(s1.size + s2.size, N, 'no entry went to both consumers of y');
});

redisTest(title('unsubscribing closes the read connection (and the client made from options)'), async (t) => {
  const keyPrefix = prefixFor(t);
  const redis = client(t);
  const name = `consumer-${keyPrefix.slice(5, 13)}`;
  const url = new URL(REDIS_URL);
  const consumer$ = consumeDispatches({ redis: { host: url.hostname, port: Number(url.port || 6379), connectionName: name }, keyPrefix, group: 'g', consumer: 'c', events: ['MESSAGE_CREATE'] });
  const connections = async () => ((await redis.client('LIST')) as string).split('\n').filter((line) => line.includes(` name=${name} `)).length;
  const subscription = consumer$.subscribe();
  await xaddEntries(redis, keyPrefix, [marker(0)]);
  for (let i = 0; i < 500 && (await connections()) < 2; i++) await new Promise((r) => setTimeout(r, 10));
  t.is(await connections(), 2, 'commands + reads');
  subscription.unsubscribe();
  for (let i = 0; i < 500 && (await connections()) > 0; i++) await new Promise((r) => setTimeout(r, 10));
  t.is(await connections(), 0);
});

(hasRedisServer() ? test.serial : test.serial.skip)('Redis away and back empty: reads wait (no busy loop), NOGROUP is answered by creating the group again, reported, and new entries are read', async (t) => {
  const server = await ownServer(t);
  await server.start();
  const keyPrefix = 'away:';
  const items = new ReplaySubject<Item>();
  const reports = new ReplaySubject<ConsumerReport>();
  const consumer$ = consumeDispatches({ redis: server.url, keyPrefix, group: 'g', consumer: 'c', events: ['MESSAGE_CREATE'], blockMs: 200, onReport: (r) => reports.next(r) });
  const subscription = consumer$.subscribe((item) => {
    items.next(item);
    ackLater(item);
  });
  t.teardown(() => subscription.unsubscribe());
  const writer = new Redis(server.url, { maxRetriesPerRequest: null, retryStrategy: () => 50 });
  writer.on('error', () => {});
  t.teardown(() => writer.disconnect());
  await xaddEntries(writer, keyPrefix, [marker(1)]);
  await until(items, (item) => markerOf(item) === 1);
  await server.stop();
  await until(reports, (r) => r.type === 'redis' && r.state === 'down');
  const errorsWhileDown = consumer$.stats().errors;
  await server.start(); // no persistence: the stream and the group are gone
  await xaddEntries(writer, keyPrefix, [marker(2)]);
  await until(items, (item) => markerOf(item) === 2);
  await until(reports, (r) => r.type === 'redis' && r.state === 'up');
  const nogroup = await until(reports, (r) => r.type === 'error' && r.message.startsWith('NOGROUP'));
  t.like(nogroup, { during: 'read' });
  const errors = consumer$.stats().errors;
  t.true(errors - errorsWhileDown <= 5, `${errors} failed reads in all (a busy loop would be thousands)`);
  t.true(errors < 20, `${errors} errors`);
});

redisTest(title("a read waiting on an idle stream does not keep claims out: with batchSize = maxInFlight, a dead consumer's entries are still claimed"), async (t) => {
  const keyPrefix = prefixFor(t);
  const redis = client(t);
  await xaddEntries(redis, keyPrefix, Array.from({ length: 4 }, (_, i) => marker(i)));
  const a = consume(t, { keyPrefix, group: 'g', consumer: 'a', maxInFlight: 4, batchSize: 4, claimIdleMs: 150 });
  let taken = 0;
  await until(a.items, () => ++taken === 4);
  a.subscription.unsubscribe(); // dies holding all 4
  const b = consume(t, { keyPrefix, group: 'g', consumer: 'b', maxInFlight: 4, batchSize: 4, claimIdleMs: 150, blockMs: 60_000 });
  const seen = new Set<number>();
  await until(b.items, (item) => {
    seen.add(markerOf(item));
    ackLater(item);
    return seen.size === 4;
  });
  t.is(seen.size, 4);
  t.is(b.consumer$.stats().claimed, 4);
});

redisTest(title('consumers that left with nothing pending are removed from the group by a live one (no name piles up)'), async (t) => {
  const keyPrefix = prefixFor(t);
  const redis = client(t);
  const key = `${keyPrefix}MESSAGE_CREATE`;
  await xaddEntries(redis, keyPrefix, [marker(0), marker(1)]);
  const gone = consume(t, { keyPrefix, group: 'g', consumer: 'gone', claimIdleMs: 100, blockMs: 100, batchSize: 1, maxInFlight: 1 });
  await until(gone.items, (item) => (ackLater(item), true));
  gone.subscription.unsubscribe(); // acked what it took: nothing pending
  const names = async () => ((await redis.xinfo('CONSUMERS', key, 'g')) as unknown[][]).map((fields) => String(fields[1])).sort();
  t.deepEqual(await names(), ['gone']);
  const live = consume(t, { keyPrefix, group: 'g', consumer: 'live', claimIdleMs: 100, blockMs: 100 });
  live.items.subscribe((item) => ackLater(item));
  const removed = await until(live.reports, (r) => r.type === 'consumers-removed');
  t.like(removed, { stream: key, count: 1 });
  t.deepEqual(await names(), ['live']);
});

redisTest(title('a worker process SIGKILLed mid-batch (acks it gave answered, the rest held): another consumer handles every other marker, none lost'), async (t) => {
  const keyPrefix = prefixFor(t);
  const redis = client(t);
  const N = 300;
  await xaddEntries(redis, keyPrefix, Array.from({ length: N }, (_, i) => marker(i)));
  const child = fork(fileURLToPath(new URL('./fixtures/consumer-process.ts', import.meta.url)), [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, CONSUMER_CHILD: JSON.stringify({ url: REDIS_URL, keyPrefix, group: 'g', consumer: 'doomed', ackFirst: 10 }) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  t.teardown(() => void (child.exitCode === null && child.kill('SIGKILL')));
  const acked = new Set<number>();
  const held = new Set<number>();
  await new Promise<void>((resolve) =>
    child.on('message', ({ marker: m, acked: done }: { marker: number; acked: boolean }) => {
      (done ? acked : held).add(m);
      if (acked.size === 10 && held.size >= 5) resolve();
    }),
  );
  child.kill('SIGKILL');
  await new Promise((resolve) => child.once('exit', resolve));
  t.true((await pendingCount(redis, `${keyPrefix}MESSAGE_CREATE`, 'g')) >= held.size, "the dead worker's entries are pending");
  const b = consume(t, { keyPrefix, group: 'g', consumer: 'survivor', claimIdleMs: 200 });
  const handled = new Set(acked);
  await until(b.items, (item) => {
    handled.add(markerOf(item));
    ackLater(item);
    return handled.size === N;
  });
  t.is(handled.size, N, 'none lost');
  t.true(b.consumer$.stats().claimed >= held.size, `${b.consumer$.stats().claimed} claimed, ${held.size} held by the dead worker`);
});
