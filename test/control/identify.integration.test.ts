import test from 'ava';
import { createMemoryIdentifyQueue } from '../../src/shard/identify-queue.js';
import type { ToControlMessage } from '../../src/control/index.js';
import { emulator, identifies, options, spawn, tokenLeaked } from './helpers.js';

const WINDOW_MS = 200;

test('two clusters in control mode share one identify queue: no bucket identifies twice inside a window', async (t) => {
  const gw = await emulator(t, { shards: 8, maxConcurrency: 2, identifyWindowMs: WINDOW_MS });
  // a generous margin: emulator and clusters share a loaded 2-core machine
  const queue = createMemoryIdentifyQueue({ maxConcurrency: 2, windowMs: WINDOW_MS, safetyMarginMs: 30 });
  const base = { totalShards: 8, identify: 'control' as const, identifyQueue: queue };
  const a = spawn(t, options(gw, { ...base, mode: 'worker', clusterId: 'a', shardIds: [0, 1, 2, 3] }));
  const b = spawn(t, options(gw, { ...base, mode: 'worker', clusterId: 'b', shardIds: [4, 5, 6, 7] }));
  const [readyA, readyB] = await Promise.all([a.handle.ready, b.handle.ready]);
  t.deepEqual([...readyA.shardIds, ...readyB.shardIds], [0, 1, 2, 3, 4, 5, 6, 7]);

  const frames = identifies(gw);
  t.is(frames.length, 8);
  for (const bucket of [0, 1]) {
    const times = frames.filter((f) => f.shardId! % 2 === bucket).map((f) => f.at);
    t.is(times.length, 4);
    for (let i = 1; i < times.length; i++) t.true(times[i]! - times[i - 1]! >= WINDOW_MS, `bucket ${bucket}: identifies ${times[i]! - times[i - 1]!} ms apart`);
  }
  t.deepEqual(gw.violations, []);

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
