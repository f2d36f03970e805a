/**
 * The Redis handover ledger on a real Redis. The tests that count the server's script calls,
 * pause its clients or stop it run on a `redis-server` of their own, so that other test files
 * sharing REDIS_URL neither disturb them nor are disturbed.
 */
import test, { type ExecutionContext } from 'ava';
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { createRedisHandoverLedger, type RedisHandoverLedgerOptions } from '../../src/redis/index.js';
import { isDisclusterError } from '../../src/gateway/errors.js';
import type { HandoverSide } from '../../src/reshard/ledger.js';
import { client, freePort, hasRedisServer, ownServer, prefixFor, REDIS_URL, skipReason } from './helpers.js';

const skipped = await skipReason();
const redisTest = skipped === null ? test.serial : test.skip;
const title = (name: string) => (skipped === null ? name : `${name} (skipped: ${skipped})`);
const ownServerTest = hasRedisServer() ? test.serial : test.serial.skip;
const ownTitle = (name: string) => (hasRedisServer() ? name : `${name} (skipped: redis-server is not on PATH)`);

/** A started `redis-server` of this test's own; its URL. */
const startOwnServer = async (t: ExecutionContext) => {
  const server = await ownServer(t);
  await server.start();
  return server;
};

/** A ledger over its own connection (a process of its own, as far as Redis can tell), closed when the test ends. */
const ledgerOf = (t: ExecutionContext, options: Omit<RedisHandoverLedgerOptions, 'redis'> & { redis?: RedisHandoverLedgerOptions['redis'] }) => {
  const ledger = createRedisHandoverLedger({ redis: REDIS_URL, ...options });
  t.teardown(() => ledger.close());
  return ledger;
};

/** A connected ledger: offers made before the first connection are refused by design. */
const connected = async (t: ExecutionContext, options: Omit<RedisHandoverLedgerOptions, 'redis'>, url = REDIS_URL) => {
  const redis = client(t, url);
  await redis.ping();
  return { ledger: ledgerOf(t, { redis, ...options }), redis };
};

/** How many times Redis ran a script (EVALSHA or EVAL) since its start. */
const scriptCalls = async (redis: Redis): Promise<number> => {
  const info = await redis.info('commandstats');
  return [...info.matchAll(/^cmdstat_(?:evalsha|eval):calls=(\d+)/gm)].reduce((n, m) => n + Number(m[1]), 0);
};

redisTest(title('two ledgers on two connections: any interleaving of old and new copies admits exactly max(old, new) per key'), async (t) => {
  const keyPrefix = prefixFor(t);
  const { ledger: oldSide } = await connected(t, { keyPrefix, windowMs: 60_000 });
  const { ledger: newSide } = await connected(t, { keyPrefix, windowMs: 60_000 });
  let round = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.record({ old: fc.nat({ max: 3 }), new: fc.nat({ max: 3 }) }), { minLength: 1, maxLength: 6 }),
      fc.array(fc.tuple(fc.boolean(), fc.nat({ max: 3 })), { minLength: 1, maxLength: 12 }),
      async (copies, schedule) => {
        round++;
        const queues: Record<HandoverSide, string[]> = {
          old: copies.flatMap((c, i) => Array<string>(c.old).fill(`r${round}:k${i}`)),
          new: copies.flatMap((c, i) => Array<string>(c.new).fill(`r${round}:k${i}`)),
        };
        const admitted = new Map<string, number>();
        const count = (keys: string[], verdicts: readonly boolean[]) => keys.forEach((k, i) => verdicts[i] && admitted.set(k, (admitted.get(k) ?? 0) + 1));
        // each step: both sides offer their next few copies at the same time, from different connections
        for (let step = 0; queues.old.length + queues.new.length > 0; step++) {
          const [oldFirst, size] = schedule[step % schedule.length]!;
          const oldKeys = queues.old.splice(0, size + 1);
          const newKeys = queues.new.splice(0, size + 1);
          const offerOld = () => oldSide.offer('old', oldKeys).then((v) => count(oldKeys, v));
          const offerNew = () => newSide.offer('new', newKeys).then((v) => count(newKeys, v));
          await Promise.all(oldFirst ? [offerOld(), offerNew()] : [offerNew(), offerOld()]);
        }
        copies.forEach((c, i) => t.is(admitted.get(`r${round}:k${i}`) ?? 0, Math.max(c.old, c.new)));
      },
    ),
    { numRuns: 60 },
  );
});

ownServerTest(ownTitle('the offers of one event-loop turn are one round trip, however many callers and keys; EVALSHA falls back after a script flush'), async (t) => {
  const { url } = await startOwnServer(t);
  const keyPrefix = 'turns:';
  const { ledger, redis } = await connected(t, { keyPrefix, windowMs: 60_000 }, url);
  const before = await scriptCalls(redis);
  const offers = Array.from({ length: 300 }, (_, i) => ledger.offer(i % 2 === 0 ? 'old' : 'new', [`e${i >> 1}`, `x${i}`]));
  const verdicts = await Promise.all(offers);
  t.deepEqual(ledger.counts, { roundTrips: 1, keys: 600, rejected: 0 });
  t.is((await scriptCalls(redis)) - before, 1, 'one script call for 600 keys');
  verdicts.forEach((v, i) => t.deepEqual(v, [i % 2 === 0, true], `offer ${i}`));

  const big = Array.from({ length: 2_500 }, (_, i) => `big${i}`);
  const bigBefore = await scriptCalls(redis);
  t.true((await ledger.offer('new', big)).every(Boolean));
  t.is(ledger.counts.roundTrips, 2, 'a turn of 2500 keys is one round trip…');
  t.is((await scriptCalls(redis)) - bigBefore, 3, '…of three script calls of at most 1000 keys');

  await redis.script('FLUSH');
  t.deepEqual(await ledger.offer('old', ['e0', 'fresh']), [true, true], 'e0: a second old copy against one new; the script is loaded again (EVAL) after Redis forgot it');
  t.is(await redis.hget(`${keyPrefix}ledger:e0`, 'o'), '2');
});

redisTest(title('keys expire windowMs after their last offer; long keys are stored as a digest'), async (t) => {
  const keyPrefix = prefixFor(t);
  const { ledger, redis } = await connected(t, { keyPrefix, windowMs: 300 });
  t.deepEqual(await ledger.offer('old', ['a']), [true]);
  const ttl = await redis.pttl(`${keyPrefix}ledger:a`);
  t.true(ttl > 0 && ttl <= 300, `ttl ${ttl}`);
  // wait for the expiry itself, however late the machine runs
  while ((await redis.exists(`${keyPrefix}ledger:a`)) === 1) await new Promise((resolve) => setTimeout(resolve, 50));
  t.deepEqual(await ledger.offer('new', ['a']), [true], 'a copy offered after the window is a first copy again');

  const long = `MESSAGE_CREATE\n${'x'.repeat(1_000)}`;
  t.deepEqual(await ledger.offer('old', [long, long]), [true, true]);
  t.deepEqual(await ledger.offer('new', [long, long, long]), [false, false, true]);
  const stored = await redis.keys(`${keyPrefix}ledger:!*`);
  t.is(stored.length, 1);
  t.true(stored[0]!.length < keyPrefix.length + 50, 'the digest, not the 1000 characters');
});

ownServerTest(ownTitle('Redis paused: offers reject with LEDGER_UNREACHABLE after timeoutMs; what waits is bounded by maxWaitingKeys'), async (t) => {
  const { url } = await startOwnServer(t);
  const { ledger } = await connected(t, { keyPrefix: 'paused:', windowMs: 60_000, timeoutMs: 300, maxWaitingKeys: 100 }, url);
  const admin = client(t, url);
  await admin.call('CLIENT', 'PAUSE', '1500', 'ALL');
  const startedAt = performance.now();
  const waiting = ledger.offer('old', Array.from({ length: 100 }, (_, i) => `p${i}`));
  const over = await t.throwsAsync(ledger.offer('new', ['one-too-many']));
  t.true(isDisclusterError(over, 'LEDGER_UNREACHABLE'));
  t.regex(over!.message, /100 keys already wait for Redis \(maxWaitingKeys 100\)/);
  const late = await t.throwsAsync(waiting);
  const elapsed = performance.now() - startedAt;
  t.true(isDisclusterError(late, 'LEDGER_UNREACHABLE'));
  t.regex(late!.message, /no answer from Redis within 300 ms/);
  t.true(elapsed >= 290 && elapsed < 1_400, `rejected after ${elapsed.toFixed(0)} ms, before the pause ended`);
  t.is(ledger.counts.rejected, 2);
  // once Redis answers again (the admin's own PING waits out the pause), so does the ledger; the timed-out call did reach Redis
  await admin.ping();
  t.deepEqual(await ledger.offer('new', ['p0', 'after']), [false, true]);
});

ownServerTest(ownTitle('Redis gone: offers reject at once, nothing queues; back: offers work again'), async (t) => {
  const server = await startOwnServer(t);
  const redis = new Redis(server.url, { maxRetriesPerRequest: null, retryStrategy: () => 50 });
  redis.on('error', () => {});
  t.teardown(() => redis.disconnect());
  await redis.ping();
  const ledger = ledgerOf(t, { redis, keyPrefix: 'gone:', windowMs: 60_000, timeoutMs: 5_000 });
  t.deepEqual(await ledger.offer('old', ['k']), [true]);
  await server.stop();
  while (redis.status === 'ready') await new Promise((resolve) => setTimeout(resolve, 10)); // the client notices the close
  const startedAt = performance.now();
  const error = await t.throwsAsync(ledger.offer('new', ['k']));
  t.true(isDisclusterError(error, 'LEDGER_UNREACHABLE'));
  t.regex(error!.message, /Redis is not connected/);
  t.true(performance.now() - startedAt < 1_000, 'at once, not after timeoutMs');
  t.is((redis as unknown as { offlineQueue: { length: number } }).offlineQueue.length, 0, "nothing waits in ioredis' offline queue");
  await server.start();
  await new Promise<void>((resolve) => (redis.status === 'ready' ? resolve() : redis.once('ready', () => resolve())));
  t.deepEqual(await ledger.offer('new', ['k']), [true], 'a fresh server: a first copy');
});

redisTest(title('offers made before the first connection wait for it; a lazyConnect client is connected'), async (t) => {
  const keyPrefix = prefixFor(t);
  const fromUrl = ledgerOf(t, { keyPrefix, windowMs: 60_000 });
  t.deepEqual(await fromUrl.offer('old', ['a', 'a']), [true, true], 'offered in the turn the ledger was created');
  const lazy = new Redis(REDIS_URL, { lazyConnect: true });
  lazy.on('error', () => {});
  t.teardown(() => lazy.disconnect());
  const fromLazy = ledgerOf(t, { redis: lazy, keyPrefix, windowMs: 60_000 });
  t.deepEqual(await fromLazy.offer('new', ['a', 'a', 'a']), [false, false, true]);

  const nowhere = ledgerOf(t, { redis: `redis://127.0.0.1:${await freePort()}`, keyPrefix, windowMs: 60_000, timeoutMs: 200 });
  await t.throwsAsync(nowhere.offer('old', ['a']), { message: /no answer from Redis within 200 ms/ }, 'a Redis never reached: refused after timeoutMs');
});

redisTest(title('a closed ledger refuses; options are checked; a ledger given a URL closes its own client'), async (t) => {
  t.throws(() => createRedisHandoverLedger({ redis: REDIS_URL, keyPrefix: 'x:', windowMs: 0 }), { message: /windowMs must be a positive integer/ });
  t.throws(() => createRedisHandoverLedger({ redis: REDIS_URL, keyPrefix: '', windowMs: 10 }), { message: /keyPrefix must be a non-empty string/ });
  const ledger = createRedisHandoverLedger({ redis: REDIS_URL, keyPrefix: prefixFor(t), windowMs: 1_000 });
  const early = ledger.offer('old', ['first']);
  await ledger.close();
  const error = await t.throwsAsync(early);
  t.true(isDisclusterError(error, 'LEDGER_UNREACHABLE'));
  await t.throwsAsync(ledger.offer('old', ['k']), { message: /the ledger is closed/ });
});
