import test from 'ava';
import { everyClose } from '../helpers/closes.js';
import { stall } from '../helpers/markers.js';
import { emulator, options, spawn, tokenLeaked } from './helpers.js';

/** Rounds of the stalled case: a stall at the first close made the exit come first in 8 of 10 before everyClose. */
const STALLED_ROUNDS = 3;

for (const mode of ['process', 'worker'] as const) {
  for (const stalled of [false, true]) {
    const how = stalled ? ', while the emulator stalls 300 ms at the first close' : '';
    test(`${mode}: when CONTROL's end goes away the cluster closes every shard and exits 0${how}`, async (t) => {
      for (let round = 0; round < (stalled ? STALLED_ROUNDS : 1); round++) {
        const gw = await emulator(t, { shards: 2 });
        const { handle } = spawn(t, options(gw, { mode, shardIds: [0, 1], totalShards: 2 }));
        await handle.ready;
        t.is(gw.connections.length, 2);
        let stalls = 0;
        const stalling = gw.records$.subscribe((r) => {
          if (stalled && r.kind === 'close' && stalls++ === 0) stall(300);
        });
        handle.disconnect();
        t.is(await handle.exited, 0);
        const closes = await everyClose(gw);
        stalling.unsubscribe();
        t.deepEqual(closes.map((c) => c.shardId).sort(), [0, 1], `round ${round}`);
        t.true(closes.every((c) => c.by === 'client'), JSON.stringify(closes));
        t.is(gw.connections.length, 0);
        await gw.close();
      }
      t.false(tokenLeaked(), 'no logged message holds the token');
    });
  }
}
