import test from 'ava';
import { emulator, options, spawn, tokenLeaked } from './helpers.js';

for (const mode of ['process', 'worker'] as const) {
  test(`${mode}: start → ready, stats, ping, a fatal close reaches CONTROL, shutdown exits 0`, async (t) => {
    const gw = await emulator(t, { shards: 2 });
    const { handle, inbound } = spawn(t, options(gw, { mode, shardIds: [0, 1], totalShards: 2, identify: 'local' }));
    const ready = await handle.ready;
    t.deepEqual(ready.shardIds, [0, 1]);
    t.deepEqual(ready.failed, []);
    t.like(inbound.events[0], { type: 'spawned', protocol: 1 });
    const stats = await handle.stats();
    t.deepEqual(stats.shards.map((s) => [s.shardId, s.status]), [[0, 'ready'], [1, 'ready']]);
    t.true(stats.memory.rss > 0);
    const pong = await handle.ping();
    t.true(pong.eventLoopLagMs >= 0);
    gw.closeShard(1, 4004);
    const fatal = await inbound.when((m) => m.type === 'fatal');
    t.like(fatal, { type: 'fatal', shardId: 1, code: 4004, kind: 'auth' });
    const sessions = await handle.shutdown({ keepSessions: false });
    t.deepEqual(sessions, []);
    t.is(await handle.exited, 0);
    t.false(tokenLeaked(), 'no logged message holds the token');
  });
}
