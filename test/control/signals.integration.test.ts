import test from 'ava';
import type { CloseRecord } from '../../src/testing/index.js';
import type { Emulator } from '../../src/testing/index.js';
import { DEADLINE_EXIT_CODE, signalExitCode } from '../../src/cluster/signal-stop.js';
import { emulator, identifies, options, resumes, spawn, tokenLeaked, type Spawned } from './helpers.js';

/** The pid the cluster reported in `spawned`. */
const pidOf = (spawned: Spawned): number => {
  const first = spawned.inbound.events.find((m) => m.type === 'spawned');
  if (first?.type !== 'spawned') throw new Error('no spawned message yet');
  return first.pid;
};

/** The client's close of `shardId` with 4000 (a close frame it sent, not a drop). */
const closedWith4000 = (gw: Emulator, shardId: number) =>
  gw.waitFor((r): r is CloseRecord => r.kind === 'close' && r.shardId === shardId && r.by === 'client' && r.code === 4000, 10_000);

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  test.serial(`process: ${signal} to the cluster closes every shard with 4000, CONTROL gets the sessions, exit 0; a new cluster resumes them all`, async (t) => {
    const gw = await emulator(t, { shards: 2 });
    const first = spawn(t, options(gw, { mode: 'process', shardIds: [0, 1], totalShards: 2 }));
    await first.handle.ready;
    t.is(identifies(gw).length, 2);

    process.kill(pidOf(first), signal);
    t.is(await first.handle.exited, 0);
    await Promise.all([closedWith4000(gw, 0), closedWith4000(gw, 1)]);
    t.false(gw.records.some((r) => r.kind === 'close' && r.code === 1006), 'no connection dropped without a close frame');
    t.like(first.inbound.events.find((m) => m.type === 'stopping'), { type: 'stopping', signal, deadlineMs: 8_000 });
    const kept = first.inbound.events.find((m) => m.type === 'sessions-kept');
    t.like(kept, { type: 'sessions-kept', signal });
    const sessions = await first.handle.sessions;
    t.deepEqual(sessions.map((s) => s.shardId).sort(), [0, 1]);

    const second = spawn(t, options(gw, { mode: 'process', clusterId: 'c2', shardIds: [0, 1], totalShards: 2, sessions }));
    const ready = await second.handle.ready;
    t.deepEqual(ready.shardIds, [0, 1]);
    t.is(identifies(gw).length, 2, 'no new identify');
    t.is(resumes(gw).length, 2);
    await second.handle.shutdown();
    t.is(await second.handle.exited, 0);
    t.false(tokenLeaked(), 'no logged message holds the token');
  });
}

test.serial('process: a second signal during the graceful stop exits at once with 128 + its number; no sessions reported', async (t) => {
  const gw = await emulator(t, { shards: 2 });
  const spawned = spawn(t, options(gw, { mode: 'process', shardIds: [0, 1], totalShards: 2, timing: { identifyWindowMs: 200, shutdownTimeoutMs: 30_000 } }));
  await spawned.handle.ready;
  for (const id of [0, 1]) gw.pauseReading(id, true); // the close handshake cannot finish: the stop waits
  process.kill(pidOf(spawned), 'SIGTERM');
  await spawned.inbound.when((m) => m.type === 'stopping', 10_000);
  process.kill(pidOf(spawned), 'SIGINT');
  t.is(await spawned.handle.exited, signalExitCode('SIGINT'));
  t.deepEqual(await spawned.handle.sessions, []);
  t.false(spawned.inbound.events.some((m) => m.type === 'sessions-kept'));
});

test.serial('process: a stop that cannot finish within start.stopDeadlineMs exits anyway with 124', async (t) => {
  const gw = await emulator(t, { shards: 2 });
  const spawned = spawn(
    t,
    options(gw, { mode: 'process', shardIds: [0, 1], totalShards: 2, stopDeadlineMs: 300, timing: { identifyWindowMs: 200, shutdownTimeoutMs: 30_000 } }),
  );
  await spawned.handle.ready;
  for (const id of [0, 1]) gw.pauseReading(id, true);
  process.kill(pidOf(spawned), 'SIGTERM');
  t.is(await spawned.handle.exited, DEADLINE_EXIT_CODE);
  t.like(spawned.inbound.events.find((m) => m.type === 'stopping'), { signal: 'SIGTERM', deadlineMs: 300 });
  t.deepEqual(await spawned.handle.sessions, []);
});

test.serial('worker: CONTROL asks (shutdown keeping sessions) and handle.sessions has them once the thread ended', async (t) => {
  const gw = await emulator(t, { shards: 2 });
  const spawned = spawn(t, options(gw, { mode: 'worker', shardIds: [0, 1], totalShards: 2 }));
  await spawned.handle.ready;
  const replied = await spawned.handle.shutdown({ keepSessions: true });
  t.is(await spawned.handle.exited, 0);
  t.deepEqual(await spawned.handle.sessions, replied);
  t.is(replied.length, 2);
  await Promise.all([closedWith4000(gw, 0), closedWith4000(gw, 1)]);
});

test.serial('a shutdown from CONTROL while the process stops on its own signal gets the same sessions; nothing is lost', async (t) => {
  const gw = await emulator(t, { shards: 2 });
  const spawned = spawn(t, options(gw, { mode: 'process', shardIds: [0, 1], totalShards: 2 }));
  await spawned.handle.ready;
  process.kill(pidOf(spawned), 'SIGTERM');
  const asked = spawned.handle.shutdown({ keepSessions: true }).catch(() => null);
  t.is(await spawned.handle.exited, 0);
  const sessions = await spawned.handle.sessions;
  t.is(sessions.length, 2);
  const reply = await asked;
  if (reply !== null) t.deepEqual(reply, sessions, 'the stopped reply, when it came, carries the same sessions');
});
