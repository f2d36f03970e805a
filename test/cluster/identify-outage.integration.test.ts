import test from 'ava';
import { filter, firstValueFrom, take, toArray } from 'rxjs';
import { createCluster } from '../../src/cluster/cluster.js';
import { LifecycleCounts } from '../../src/counting/lifecycle-counts.js';
import { createMemoryIdentifyQueue } from '../../src/shard/identify-queue.js';
import type { ShardFatalEvent, ShardUnreachableEvent } from '../../src/shard/types.js';
import { createEmulator } from '../../src/testing/index.js';

const TOKEN = 'identify-outage-token';
const WINDOW = 200;
const REFUSED = 30;

test('an outage of many refused connections spends nothing from the budget; the cluster is ready once the gateway is back', async (t) => {
  const gw = await createEmulator({ token: TOKEN, shards: 2, maxConcurrency: 1, identifyWindowMs: WINDOW, heartbeatInterval: 10_000 });
  t.teardown(() => gw.close());
  const outage = gw.refuseConnections();
  const queue = createMemoryIdentifyQueue({ maxConcurrency: 1, windowMs: WINDOW, sessionStartLimit: { total: 8, remaining: 8, resetAfter: 86_400_000 } });
  const cluster = createCluster({
    token: TOKEN,
    intents: 513,
    shardIds: [0, 1],
    totalShards: 2,
    gateway: { url: gw.url, maxConcurrency: 1 },
    identifyQueue: queue,
    timing: { identifyWindowMs: WINDOW, backoff: { initialMs: 5, maxMs: 40 } },
  });
  t.teardown(() => cluster.shutdown());
  const fatal: ShardFatalEvent[] = [];
  cluster.fatal$.subscribe((event) => fatal.push(event));
  const counts = new LifecycleCounts();
  cluster.lifecycle$.subscribe((event) => counts.observe(event));
  const unreachable = firstValueFrom(
    cluster.lifecycle$.pipe(
      filter((event): event is ShardUnreachableEvent => event.type === 'unreachable'),
      take(REFUSED),
      toArray(),
    ),
  );
  const ready = cluster.connect();

  const during = await unreachable;
  t.true(outage.refused >= REFUSED, `${outage.refused} connections refused`);
  t.is(gw.acceptedIdentifies.length, 0, 'no identify reached the gateway');
  t.is(queue.remaining, 8, 'the outage cost nothing from the budget');
  t.is(queue.sent, 0);
  t.deepEqual(fatal, [], 'an unreachable gateway is never fatal');
  for (const shardId of [0, 1]) {
    const failures = during.filter((e) => e.shardId === shardId).map((e) => e.failures);
    t.deepEqual(failures, failures.map((_, i) => i + 1), `shard ${shardId}: failures counted in a row`);
  }
  t.regex(during[0]!.reason, /before Hello/);

  outage.end();
  const result = await ready;
  t.deepEqual(result.failed, []);
  t.deepEqual([...result.shardIds].sort(), [0, 1]);
  t.is(gw.acceptedIdentifies.length, 2, 'one identify per shard, after the outage');
  t.is(queue.remaining, 6, 'spent by the two identifies sent, and by nothing else');
  t.is(queue.sent, 2);
  t.deepEqual(fatal, []);
  t.deepEqual(gw.violations, []);
  const unreachableReconnects = counts.snapshot().reduce((n, s) => n + s.reconnects.unreachable, 0);
  t.true(unreachableReconnects >= REFUSED, `${unreachableReconnects} reconnects of kind unreachable`);
  t.is(counts.snapshot().reduce((n, s) => n + s.reconnects.identify + s.reconnects.resume, 0), 0);
});
