import test from 'ava';
import { filter } from 'rxjs';
import { createMemoryIdentifyQueue } from '../../src/shard/identify-queue.js';
import { shard } from '../../src/shard/shard.js';
import type { ShardEvent } from '../../src/shard/types.js';
import { createEmulator, type CloseRecord, type FrameRecord } from '../../src/testing/index.js';
import { collect } from '../helpers/collect.js';
import { stormCluster } from './setup.js';

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
  const readyAt = performance.now(); // the emulator's records use the same clock
  const payloads = Array.from({ length: GUILDS }, (_, n) => guildPayload(n));
  t.true(JSON.stringify(payloads[0]).length > 90_000);
  const stormAt = performance.now();
  for (const d of payloads) gw.dispatch(0, 'GUILD_CREATE', d);
  gw.dispatch(0, 'STORM_END', {});
  const queuedAt = performance.now();
  await run.when((e) => e.type === 'dispatch' && e.t === 'STORM_END', 120_000); // ~8 MB to read: slow on a loaded machine
  const readAt = performance.now();
  // The ACKs of the beats sent during the storm come after STORM_END (the storm was queued first), and may be
  // handled a turn after it: wait for the first of them, which answers a beat sent while the storm was read.
  const held = await run.when((e) => e.type === 'heartbeat' && run.events.indexOf(e) > run.events.findIndex((x) => x.type === 'dispatch' && x.t === 'STORM_END'), 30_000);
  const latencies = run.events.flatMap((e: ShardEvent) => (e.type === 'heartbeat' ? [e.latencyMs] : []));
  t.true(held.type === 'heartbeat' && held.latencyMs > 2 * INTERVAL, `the storm held an ACK back past two intervals (the first ACK after it: ${JSON.stringify(held)}; most: ${Math.max(...latencies)} ms)`);
  const closes = gw.records.filter((r): r is CloseRecord => r.kind === 'close');
  // what a failure needs to be explained: why the client ended the connection, and when against the storm's stages
  const ends = run.events.filter((e) => e.type === 'status' && e.status === 'reconnecting');
  const beats = gw.records.filter((r): r is FrameRecord => r.kind === 'frame' && r.op === 1).map((r) => Math.round(r.at));
  const stages = Object.fromEntries(Object.entries({ readyAt, stormAt, queuedAt, readAt }).map(([k, v]) => [k, Math.round(v)])); // the test body builds the storm synchronously between readyAt and queuedAt
  t.deepEqual(closes, [], `no connection closed during the storm (ends: ${JSON.stringify(ends)}; stages: ${JSON.stringify(stages)}; beats the gateway read at: ${beats.join(' ')}; ACK latencies: ${latencies.join(' ')})`);
  t.deepEqual(ends, []);

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

test.serial('an unpaced storm (each shard’s whole storm handed to its socket at once, TCP deciding) at a short heartbeat: every GUILD_CREATE arrives, no connection is closed by either side', async (t) => {
  const SHARDS = 4;
  const PER_SHARD = 40;
  // the gateway closes a connection whose heartbeat is late (its default timeout: 1.5 intervals + 1 s), so a beat held back behind the storm fails this too
  const gw = await createEmulator({ token: TOKEN, shards: SHARDS, maxConcurrency: SHARDS, heartbeatInterval: 100, identifyWindowMs: 0, zlibMode: 'precompressed' });
  t.teardown(() => gw.close());
  const cluster = stormCluster(TOKEN, gw.url, SHARDS);
  t.teardown(() => cluster.shutdown());
  await cluster.connect();
  const guilds = collect(cluster.dispatch$.pipe(filter((e) => e.t === 'GUILD_CREATE')));
  const statuses = collect(cluster.status$);
  const storm = await gw.storm({ guilds: PER_SHARD, kib: 100 });
  t.is(await storm.write(), SHARDS * PER_SHARD);
  await guilds.when(() => guilds.events.length === SHARDS * PER_SHARD, 120_000);

  t.deepEqual(gw.records.filter((r): r is CloseRecord => r.kind === 'close'), [], 'no connection closed, by the client (zombie) or the gateway (late heartbeat)');
  t.false(statuses.events.some((e) => e.status === 'reconnecting'));
  for (let shardId = 0; shardId < SHARDS; shardId++) t.is(guilds.events.filter((e) => e.shardId === shardId).length, PER_SHARD);
  const beats = gw.records.filter((r): r is FrameRecord => r.kind === 'frame' && r.op === 1);
  t.true(beats.length > 0, 'heartbeats went out during the storm');
});
