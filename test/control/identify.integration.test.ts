import test, { type ExecutionContext } from 'ava';
import { botIdentifyQueues } from '../../src/control/bot-identify-queues.js';
import type { Emulator } from '../../src/testing/index.js';
import { createMemoryIdentifyQueue } from '../../src/shard/identify-queue.js';
import type { ToControlMessage } from '../../src/control/index.js';
import { emulator, identifies, options, spawn, tokenLeaked } from './helpers.js';

const WINDOW_MS = 200;

/** Per bucket of `concurrency`, the identify times the emulator saw are at least `windowMs` apart. */
const assertSpaced = (t: ExecutionContext, gw: Emulator, concurrency: number, perBucket: number, windowMs = WINDOW_MS) => {
  const frames = identifies(gw);
  for (let bucket = 0; bucket < concurrency; bucket++) {
    const times = frames.filter((f) => f.shardId! % concurrency === bucket).map((f) => f.at);
    t.is(times.length, perBucket);
    for (let i = 1; i < times.length; i++) t.true(times[i]! - times[i - 1]! >= windowMs, `bucket ${bucket}: identifies ${times[i]! - times[i - 1]!} ms apart`);
  }
  t.deepEqual(gw.violations, []);
};

test('two clusters of one bot spawned without an identifyQueue share the bot’s default queue', async (t) => {
  // a long window, so the two clusters' identifies overlap in time however far apart their threads start
  const windowMs = 600;
  const gw = await emulator(t, { shards: 6, maxConcurrency: 1, identifyWindowMs: windowMs });
  const base = { totalShards: 6, identify: 'control' as const, timing: { identifyWindowMs: windowMs, identifyMarginMs: 30, helloTimeoutMs: 4000, readyTimeoutMs: 3000, shutdownTimeoutMs: 2000 } };
  const a = spawn(t, options(gw, { ...base, mode: 'worker', clusterId: 'a', shardIds: [0, 1, 2] }));
  const b = spawn(t, options(gw, { ...base, mode: 'worker', clusterId: 'b', shardIds: [3, 4, 5] }));
  await Promise.all([a.handle.ready, b.handle.ready]);
  assertSpaced(t, gw, 1, 6, windowMs);
  t.is(botIdentifyQueues.size, 1, 'one queue for the bot');
  for (const { handle } of [a, b]) {
    await handle.shutdown();
    t.is(await handle.exited, 0);
  }
  t.is(botIdentifyQueues.size, 0, 'released once both exited');
});

test('two clusters in control mode share one identify queue: no bucket identifies twice inside a window', async (t) => {
  const gw = await emulator(t, { shards: 8, maxConcurrency: 2, identifyWindowMs: WINDOW_MS });
  // a generous margin: emulator and clusters share a loaded 2-core machine
  const queue = createMemoryIdentifyQueue({ maxConcurrency: 2, windowMs: WINDOW_MS, safetyMarginMs: 30 });
  const base = { totalShards: 8, identify: 'control' as const, identifyQueue: queue };
  const a = spawn(t, options(gw, { ...base, mode: 'worker', clusterId: 'a', shardIds: [0, 1, 2, 3] }));
  const b = spawn(t, options(gw, { ...base, mode: 'worker', clusterId: 'b', shardIds: [4, 5, 6, 7] }));
  const [readyA, readyB] = await Promise.all([a.handle.ready, b.handle.ready]);
  t.deepEqual([...readyA.shardIds, ...readyB.shardIds], [0, 1, 2, 3, 4, 5, 6, 7]);

  t.is(identifies(gw).length, 8);
  assertSpaced(t, gw, 2, 4);

  for (const { inbound, handle } of [a, b]) {
    const requests = inbound.events.filter((m): m is Extract<ToControlMessage, { type: 'identify-request' }> => m.type === 'identify-request');
    t.is(requests.length, 4);
    for (const r of requests) t.is(r.bucket, r.shardId % 2);
    const doneNonces = () => new Set(inbound.events.flatMap((m) => (m.type === 'identify-done' ? [m.nonce] : [])));
    const released = () => requests.every((r) => doneNonces().has(r.nonce));
    if (!released()) t.log('identify-done after ready:', JSON.stringify(inbound.events.map((m) => [m.type, 'nonce' in m ? m.nonce : '', 'shardId' in m ? m.shardId : ''])));
    await inbound.when(released, 2000);
    t.is(doneNonces().size, 4, 'every lease released');
    await handle.shutdown();
    t.is(await handle.exited, 0);
  }
  t.is(queue.granted, 8);
  t.false(tokenLeaked(), 'no logged message holds the token');
});
