import test from 'ava';
import { createMemoryIdentifyQueue } from '../../src/shard/identify-queue.js';
import { shard } from '../../src/shard/shard.js';
import type { ShardDispatchEvent, ShardEvent } from '../../src/shard/types.js';
import { createEmulator } from '../../src/testing/index.js';
import { collect } from '../helpers/collect.js';

const TOKEN = 'key-order-token';

for (const compression of ['zlib-stream', 'none'] as const) {
  test(`events over an op-first gateway (${compression}): only the wanted arrive, and the skipped ones move the sequence`, async (t) => {
    const gw = await createEmulator({ token: TOKEN, heartbeatInterval: 200, identifyWindowMs: 50, guilds: 2, keyOrder: 'op-first' });
    t.teardown(() => gw.close());
    const run = collect(
      shard({
        token: TOKEN,
        identifyQueue: createMemoryIdentifyQueue({ maxConcurrency: 1, windowMs: 50, safetyMarginMs: 25 }),
        intents: 513,
        shardId: 0,
        totalShards: 1,
        url: gw.url,
        compression,
        events: ['MESSAGE_CREATE'],
        timing: { helloTimeoutMs: 1000, readyTimeoutMs: 2000, backoff: { initialMs: 20, maxMs: 100 } },
      }),
    );
    t.teardown(() => run.subscription.unsubscribe());
    await run.when((e) => e.type === 'status' && e.status === 'ready');
    gw.dispatch(0, 'TYPING_START', { big: 'y'.repeat(100_000) });
    const wanted = gw.dispatch(0, 'MESSAGE_CREATE', { n: 1 });
    const last = gw.dispatch(0, 'PRESENCE_UPDATE', {});
    await run.when((e: ShardEvent) => e.type === 'dispatch' && e.s === wanted);
    t.deepEqual(
      run.events.filter((e): e is ShardDispatchEvent => e.type === 'dispatch').map((e) => e.t),
      ['MESSAGE_CREATE'],
      'GUILD_CREATE, TYPING_START and PRESENCE_UPDATE are not delivered',
    );
    // the shard's heartbeats carry its last sequence: the trailing unwanted dispatch moved it
    await t.notThrowsAsync(gw.waitFor((r) => r.kind === 'frame' && r.op === 1 && (r.payload as { d: unknown }).d === last, 5000));
  });
}
