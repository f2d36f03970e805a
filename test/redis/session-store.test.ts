import test from 'ava';
import { firstValueFrom, take, toArray } from 'rxjs';
import { createRedisSessionStore, type RedisSessionStoreOptions } from '../../src/redis/index.js';
import type { SessionSnapshot } from '../../src/shard/types.js';
import { client, prefixFor, skipReason, sleep } from './helpers.js';

const skipped = await skipReason();
const redisTest = skipped === null ? test : test.skip;
const title = (name: string) => (skipped === null ? name : `${name} (skipped: ${skipped})`);

const snapshot = (shardId: number, seq = 1): SessionSnapshot => ({ sessionId: `s${shardId}`, seq, resumeUrl: 'wss://resume.example', shardId, totalShards: 4 });

const store = (t: Parameters<typeof prefixFor>[0], options: Omit<RedisSessionStoreOptions, 'redis'>) => {
  const s = createRedisSessionStore({ redis: client(t), ...options });
  t.teardown(() => s.close());
  return s;
};

redisTest(title('save and delete are batched, latest change wins, load reads them back'), async (t) => {
  const keyPrefix = prefixFor(t);
  const redis = client(t);
  const s = store(t, { keyPrefix, batchMs: 100 });
  s.save(snapshot(0, 1));
  s.save(snapshot(0, 2));
  s.save(snapshot(1));
  s.save(snapshot(2));
  s.delete(2);
  t.is(await redis.exists(`${keyPrefix}session:0`), 0, 'nothing is written before the batch');
  await sleep(250);
  t.deepEqual(JSON.parse((await redis.get(`${keyPrefix}session:0`))!), snapshot(0, 2));
  t.is(await redis.exists(`${keyPrefix}session:2`), 0);
  const loaded = await s.load([0, 1, 2, 3]);
  t.deepEqual([...loaded.keys()].sort(), [0, 1]);
  t.deepEqual(loaded.get(0), snapshot(0, 2));
  const ttl = await redis.pttl(`${keyPrefix}session:1`);
  t.true(ttl > 170_000 && ttl <= 180_000, `ttl ${ttl}`);
});

redisTest(title('flush writes what is pending at once'), async (t) => {
  const keyPrefix = prefixFor(t);
  const s = store(t, { keyPrefix, batchMs: 10_000 });
  s.save(snapshot(3, 42));
  await s.flush();
  const other = createRedisSessionStore({ redis: client(t), keyPrefix });
  t.deepEqual((await other.load([3])).get(3), snapshot(3, 42));
  await other.close();
});

redisTest(title('a quiet session is renewed while its process lives, and expires after flush'), async (t) => {
  const keyPrefix = prefixFor(t);
  const redis = client(t);
  const s = store(t, { keyPrefix, batchMs: 10, ttlMs: 300 });
  s.save(snapshot(0));
  await sleep(700);
  t.is(await redis.exists(`${keyPrefix}session:0`), 1, 'renewed past its ttl');
  await s.flush();
  await sleep(450);
  t.is(await redis.exists(`${keyPrefix}session:0`), 0, 'expired ttl after the last sign of life');
});

redisTest(title('a stored value that is not a snapshot is ignored and reported'), async (t) => {
  const keyPrefix = prefixFor(t);
  const redis = client(t);
  await redis.set(`${keyPrefix}session:0`, '{"sessionId":1}');
  await redis.set(`${keyPrefix}session:1`, JSON.stringify(snapshot(2)));
  const s = store(t, { keyPrefix });
  const errors = firstValueFrom(s.errors$.pipe(take(2), toArray()));
  t.is((await s.load([0, 1])).size, 0);
  t.regex((await errors).map((e) => e.message).join('\n'), /shard 0 is not a snapshot[\s\S]*shard 1 is not a snapshot/);
});

test('without Redis: save never throws, load gives up with no sessions, flush resolves, all reported on errors$', async (t) => {
  const s = createRedisSessionStore({ redis: 'redis://127.0.0.1:1', keyPrefix: 'nowhere:', loadTimeoutMs: 300, flushTimeoutMs: 300, batchMs: 10 });
  const errors: Error[] = [];
  s.errors$.subscribe((e) => errors.push(e));
  s.save(snapshot(0));
  s.delete(1);
  const started = Date.now();
  t.is((await s.load([0, 1])).size, 0);
  await s.flush();
  t.true(Date.now() - started < 2_000);
  t.true(errors.some((e) => /loading sessions failed/.test(e.message)));
  t.true(errors.some((e) => /flush timed out/.test(e.message)));
  await s.close();
});
