import test from 'ava';
import type { CloseRecord } from '../../src/testing/index.js';
import { emulator, options, spawn, tokenLeaked } from './helpers.js';

for (const mode of ['process', 'worker'] as const) {
  test(`${mode}: when CONTROL's end goes away the cluster closes every shard and exits 0`, async (t) => {
    const gw = await emulator(t, { shards: 2 });
    const { handle } = spawn(t, options(gw, { mode, shardIds: [0, 1], totalShards: 2 }));
    await handle.ready;
    t.is(gw.connections.length, 2);
    handle.disconnect();
    t.is(await handle.exited, 0);
    const closes = gw.records.filter((r): r is CloseRecord => r.kind === 'close');
    t.deepEqual(closes.map((c) => c.shardId).sort(), [0, 1]);
    t.true(closes.every((c) => c.by === 'client'), JSON.stringify(closes));
    t.is(gw.connections.length, 0);
    t.false(tokenLeaked(), 'no logged message holds the token');
  });
}
