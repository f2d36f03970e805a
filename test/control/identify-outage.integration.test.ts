import test from 'ava';
import { createMemoryIdentifyQueue } from '../../src/shard/identify-queue.js';
import type { ToControlMessage } from '../../src/control/index.js';
import { emulator, identifies, options, spawn, tokenLeaked } from './helpers.js';

const WINDOW_MS = 200;
/** Grants CONTROL gives during the outage, each to a connection refused before Hello. */
const REFUSED_GRANTS = 20;

test('two clusters sharing CONTROL’s identify queue: an outage of many refused connections spends nothing from its budget; both are ready once the gateway is back', async (t) => {
  const gw = await emulator(t, { shards: 4, maxConcurrency: 2, identifyWindowMs: WINDOW_MS });
  const outage = gw.refuseConnections();
  const queue = createMemoryIdentifyQueue({ maxConcurrency: 2, windowMs: WINDOW_MS, safetyMarginMs: 30, sessionStartLimit: { total: 10, remaining: 10, resetAfter: 86_400_000 } });
  const base = { totalShards: 4, identify: 'control' as const, identifyQueue: queue, timing: { identifyWindowMs: WINDOW_MS, helloTimeoutMs: 2000, readyTimeoutMs: 3000, backoff: { initialMs: 10, maxMs: 60 }, shutdownTimeoutMs: 2000 } };
  const a = spawn(t, options(gw, { ...base, mode: 'worker', clusterId: 'a', shardIds: [0, 1] }));
  const b = spawn(t, options(gw, { ...base, mode: 'worker', clusterId: 'b', shardIds: [2, 3] }));
  const count = (type: ToControlMessage['type']) => a.inbound.events.filter((m) => m.type === type).length + b.inbound.events.filter((m) => m.type === type).length;
  const grantsTo = (cluster: typeof a) => cluster.outbound.events.filter((m) => (m as { type?: string }).type === 'identify-grant').length;

  // both clusters are granted their turn again and again, each grant to a connection refused before Hello
  await Promise.all([a, b].map((cluster) => cluster.outbound.when(() => grantsTo(cluster) >= REFUSED_GRANTS / 2, 20_000)));
  // each grant went to a connection of its own; at most one per shard (4) may not be refused yet
  t.true(outage.refused >= REFUSED_GRANTS - 4, `${outage.refused} connections refused`);
  t.is(identifies(gw).length, 0);
  t.is(count('identify-sent'), 0);
  t.is(queue.remaining, 10, 'the outage cost nothing from CONTROL’s budget');
  t.is(count('fatal'), 0, 'nothing reached CONTROL as fatal');

  outage.end();
  const [readyA, readyB] = await Promise.all([a.handle.ready, b.handle.ready]);
  t.deepEqual([...readyA.shardIds, ...readyB.shardIds].sort(), [0, 1, 2, 3]);
  t.deepEqual([...readyA.failed, ...readyB.failed], []);
  t.is(identifies(gw).length, 4);
  t.is(count('identify-sent'), 4);
  t.is(queue.remaining, 6, 'spent by the four identifies sent, and by nothing else');
  t.is(queue.sent, 4);
  t.is(count('fatal'), 0);
  t.deepEqual(gw.violations, []);
  const stats = await a.handle.stats();
  t.true(stats.shards.some((s) => (s.reconnects?.unreachable ?? 0) > 0), `reconnects of kind unreachable reach CONTROL: ${JSON.stringify(stats.shards.map((s) => s.reconnects))}`);
  for (const { handle } of [a, b]) {
    await handle.shutdown();
    t.is(await handle.exited, 0);
  }
  t.false(tokenLeaked());
});
