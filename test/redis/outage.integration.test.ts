import test from 'ava';
import { filter, firstValueFrom } from 'rxjs';
import { createCluster } from '../../src/cluster/cluster.js';
import { createRedisIdentifyQueue } from '../../src/redis/index.js';
import type { ShardFatalEvent } from '../../src/shard/types.js';
import { createEmulator } from '../../src/testing/index.js';
import { client, prefixFor, skipReason } from './helpers.js';

const skipped = await skipReason();
const redisTest = skipped === null ? test.serial : test.serial.skip;
const title = (name: string) => (skipped === null ? name : `${name} (skipped: ${skipped})`);

const TOKEN = 'redis-outage-token';
const WINDOW_MS = 200;
const REFUSED = 30;
const GRANTS = 10;

redisTest(title('a gateway outage of many refused upgrades spends nothing from the budget kept in Redis; the cluster is ready once the gateway is back'), async (t) => {
  const gw = await createEmulator({ token: TOKEN, shards: 2, maxConcurrency: 1, identifyWindowMs: WINDOW_MS, heartbeatInterval: 10_000 });
  t.teardown(() => gw.close());
  const outage = gw.refuseConnections({ mode: 'http-503' });
  const keyPrefix = prefixFor(t);
  const redis = client(t);
  const queue = createRedisIdentifyQueue({
    redis: client(t),
    keyPrefix,
    maxConcurrency: 1,
    windowMs: WINDOW_MS,
    pollMs: 10,
    sessionStartLimit: { total: 8, remaining: 8, resetAfter: 86_400_000 },
  });
  t.teardown(() => queue.close());
  const cluster = createCluster({
    token: TOKEN,
    intents: 513,
    shardIds: [0, 1],
    totalShards: 2,
    gateway: { url: gw.url, maxConcurrency: 1 },
    identifyQueue: queue,
    timing: { identifyWindowMs: WINDOW_MS, backoff: { initialMs: 5, maxMs: 40 } },
  });
  t.teardown(() => cluster.shutdown());
  const fatal: ShardFatalEvent[] = [];
  cluster.fatal$.subscribe((event) => fatal.push(event));
  // many refused connections, at least GRANTS of them granted their turn first (each grant given back)
  let failures = 0;
  // (or a fatal shard, which ends the wait at once and fails below)
  const unreachable = firstValueFrom(cluster.lifecycle$.pipe(filter((event) => event.type === 'fatal' || (event.type === 'unreachable' && ++failures >= REFUSED && queue.granted >= GRANTS))));
  const ready = cluster.connect();

  await unreachable;
  t.deepEqual(fatal, [], 'an unreachable gateway is never fatal');
  t.true(outage.refused >= REFUSED, `${outage.refused} upgrades refused`);
  t.is(gw.acceptedIdentifies.length, 0);
  t.true(queue.granted >= GRANTS, `${queue.granted} grants, each given back`);
  t.is(await redis.get(`${keyPrefix}iq:budget`), '8', 'the outage cost nothing from the shared budget');
  t.deepEqual(fatal, []);

  outage.end();
  const result = await ready;
  t.deepEqual(result.failed, []);
  t.is(gw.acceptedIdentifies.length, 2);
  t.is(await redis.get(`${keyPrefix}iq:budget`), '6', 'spent by the two identifies sent, and by nothing else');
  t.is(queue.sent, 2);
  t.is(await redis.zcard(`${keyPrefix}iq:reserved`), 0, 'no unit left reserved');
  t.deepEqual(fatal, []);
  t.deepEqual(gw.violations, []);
});
