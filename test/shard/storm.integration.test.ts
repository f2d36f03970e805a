import test from 'ava';
import { createMemoryIdentifyQueue } from '../../src/shard/identify-queue.js';
import { shard } from '../../src/shard/shard.js';
import type { ShardEvent } from '../../src/shard/types.js';
import { createEmulator, type CloseRecord, type FrameRecord } from '../../src/testing/index.js';
import { collect } from '../helpers/collect.js';

const TOKEN = 'storm-test-token';
/** A heartbeat far shorter than the time it takes to read the storm. */
const INTERVAL = 10;
const GUILDS = 80;
/** ~100 KB of guild data, different per guild so nothing about it is cheap to read. */
const guildPayload = (n: number) => ({ id: String(1_000_000 + n), name: `guild ${n}`, members: Array.from({ length: 2000 }, (_, i) => ({ user: { id: `${n}-${i}`, username: `member-${n}-${i}` } })) });

test.serial('a storm of 100 KB GUILD_CREATEs that holds ACKs back for many intervals closes no connection as a zombie; a real zombie is still caught', async (t) => {
  const gw = await createEmulator({ token: TOKEN, heartbeatInterval: INTERVAL, identifyWindowMs: 0, heartbeatTimeoutMs: 60_000 });
  t.teardown(() => gw.close());
  const run = collect(
    shard({
      token: TOKEN,
      intents: 513,
      shardId: 0,
      totalShards: 1,
      url: gw.url,
      compression: 'none',
      identifyQueue: createMemoryIdentifyQueue({ maxConcurrency: 1, windowMs: 0 }),
      timing: { backoff: { initialMs: 10, maxMs: 50 } },
    }),
  );
  t.teardown(() => run.subscription.unsubscribe());
  await run.when((e) => e.type === 'status' && e.status === 'ready');
  const payloads = Array.from({ length: GUILDS }, (_, n) => guildPayload(n));
  t.true(JSON.stringify(payloads[0]).length > 90_000);
  for (const d of payloads) gw.dispatch(0, 'GUILD_CREATE', d);
  gw.dispatch(0, 'STORM_END', {});
  await run.when((e) => e.type === 'dispatch' && e.t === 'STORM_END', 120_000); // ~8 MB to read: slow on a loaded machine

  const latencies = run.events.flatMap((e: ShardEvent) => (e.type === 'heartbeat' ? [e.latencyMs] : []));
  t.true(Math.max(...latencies) > 2 * INTERVAL, `the storm held an ACK back past two intervals (most: ${Math.max(...latencies)} ms)`);
  const closes = gw.records.filter((r): r is CloseRecord => r.kind === 'close');
  t.deepEqual(closes, [], 'no connection closed during the storm');
  t.false(run.events.some((e) => e.type === 'status' && e.status === 'reconnecting'));

  // Now a real zombie: nothing arrives any more. Caught at the next tick after one unanswered beat.
  const before = gw.records.length;
  gw.zombie(0, true);
  await run.when((e) => e.type === 'status' && e.status === 'reconnecting');
  const reconnecting = run.events.find((e) => e.type === 'status' && e.status === 'reconnecting');
  t.like(reconnecting, { reason: 'zombie' });
  const beatsWhileZombie = gw.records.slice(before).filter((r): r is FrameRecord => r.kind === 'frame' && r.op === 1);
  t.true(beatsWhileZombie.length <= 2, `caught after ${beatsWhileZombie.length} unanswered beats`);
  await run.when((e) => e.type === 'status' && e.status === 'resumed');
});
