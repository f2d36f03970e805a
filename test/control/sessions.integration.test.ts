import test from 'ava';
import { emulator, identifies, options, resumes, spawn, tokenLeaked } from './helpers.js';

test('shutdown with keepSessions returns snapshots; a new cluster given them resumes without identifying', async (t) => {
  const gw = await emulator(t, { shards: 2 });
  const first = spawn(t, options(gw, { mode: 'worker', shardIds: [0, 1], totalShards: 2 }));
  await first.handle.ready;
  t.is(identifies(gw).length, 2);
  const sessions = await first.handle.shutdown({ keepSessions: true });
  t.deepEqual(sessions.map((s) => s.shardId).sort(), [0, 1]);
  t.is(await first.handle.exited, 0);

  const second = spawn(t, options(gw, { mode: 'worker', clusterId: 'c2', shardIds: [0, 1], totalShards: 2, sessions }));
  const ready = await second.handle.ready;
  t.deepEqual(ready.shardIds, [0, 1]);
  t.is(identifies(gw).length, 2, 'no new identify');
  t.is(resumes(gw).length, 2);
  const statuses = second.inbound.events.flatMap((m) => (m.type === 'shard-status' ? [m.status] : []));
  t.true(statuses.includes('resumed'));
  t.false(statuses.includes('identifying'));
  await second.handle.shutdown();
  t.is(await second.handle.exited, 0);
  t.false(tokenLeaked(), 'no logged message holds the token');
});
