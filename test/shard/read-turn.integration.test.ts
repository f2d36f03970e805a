import test from 'ava';
import { readTurn } from '../../src/shard/read-turn.js';
import type { ShardDispatchEvent } from '../../src/shard/types.js';
import { createEmulator, type CloseRecord } from '../../src/testing/index.js';
import { activeResources, collect } from '../helpers/collect.js';
import { stormCluster } from './setup.js';

const TOKEN = 'read-turn-test-token';
const SHARDS = 4;
const GUILDS = 40;
/** ~100 KB of guild data, different per guild. */
const guild = (shardId: number, n: number) => ({
  id: String(1_000_000 + shardId * GUILDS + n),
  name: `guild ${n}`,
  members: Array.from({ length: 1500 }, (_, i) => ({ user: { id: `${shardId}-${n}-${i}`, username: `member-${n}-${i}` } })),
});

/** Lets the event loop turn until `condition` holds (no fixed sleep); gives up after 2 s. */
const turnsUntil = async (condition: () => boolean) => {
  const deadline = performance.now() + 2000;
  while (!condition() && performance.now() < deadline) await new Promise((resolve) => setImmediate(resolve));
};

const setup = async () => {
  const gw = await createEmulator({ token: TOKEN, shards: SHARDS, maxConcurrency: SHARDS, identifyWindowMs: 0, heartbeatInterval: 100 });
  const cluster = stormCluster(TOKEN, gw.url, SHARDS);
  return { gw, cluster };
};

const storm = (gw: Awaited<ReturnType<typeof createEmulator>>) => {
  for (let n = 0; n < GUILDS; n++) for (let shardId = 0; shardId < SHARDS; shardId++) gw.dispatch(shardId, 'GUILD_CREATE', guild(shardId, n));
  for (let shardId = 0; shardId < SHARDS; shardId++) gw.dispatch(shardId, 'STORM_END', {});
};

test.serial('a storm read past the turn’s budget waits for later turns: every GUILD_CREATE once, in order per shard, no connection closed', async (t) => {
  const { gw, cluster } = await setup();
  t.teardown(() => gw.close());
  t.teardown(() => cluster.shutdown());
  await cluster.connect();
  const deferredBefore = readTurn.deferredFrames;
  const run = collect(cluster.dispatch$);
  storm(gw);
  for (let shardId = 0; shardId < SHARDS; shardId++) await run.when((e) => e.t === 'STORM_END' && e.shardId === shardId, 60_000);

  t.true(readTurn.deferredFrames > deferredBefore, 'frames waited for a later turn (the path under test ran)');
  for (let shardId = 0; shardId < SHARDS; shardId++) {
    const seen = run.events.filter((e: ShardDispatchEvent) => e.shardId === shardId && e.t === 'GUILD_CREATE').map((e) => (e.d as { id: string }).id);
    t.deepEqual(seen, Array.from({ length: GUILDS }, (_, n) => guild(shardId, n).id), `shard ${shardId}: every guild once, in order`);
    const seqs = run.events.filter((e) => e.shardId === shardId).map((e) => e.s);
    t.deepEqual(seqs, [...seqs].sort((a, b) => a - b), `shard ${shardId}: sequence numbers in order`);
  }
  t.deepEqual(gw.records.filter((r): r is CloseRecord => r.kind === 'close'), []);
  // what came after the last dispatch (heartbeat ACKs) may still wait a turn or two
  await turnsUntil(() => readTurn.backlogFrames === 0);
  t.is(readTurn.backlogFrames, 0);
});

test.serial('shutting down while frames wait in backlogs drops them, closes every socket with 1000 and leaves no handle behind (10 times)', async (t) => {
  for (let round = 1; round <= 10; round++) {
    const baseline = activeResources();
    const { gw, cluster } = await setup();
    await cluster.connect();
    let stopped: Promise<unknown> | undefined;
    // Shut down from inside a frame's handling, the moment a backlog exists.
    const sub = cluster.dispatch$.subscribe(() => {
      if (stopped === undefined && readTurn.backlogFrames > 0) stopped = cluster.shutdown();
    });
    storm(gw);
    await gw.waitFor(() => gw.records.filter((x) => x.kind === 'close').length === SHARDS, 30_000);
    sub.unsubscribe();
    t.not(stopped, undefined, `round ${round}: a backlog existed while frames were handled`);
    await stopped;
    t.true(gw.records.filter((r): r is CloseRecord => r.kind === 'close').every((c) => c.code === 1000 && c.by === 'client'), `round ${round}: every close is the client's 1000: ${JSON.stringify(gw.records.filter((r) => r.kind === 'close'))}`);
    t.is(readTurn.backlogFrames, 0, `round ${round}: no frame left waiting`);
    await gw.close();
    await turnsUntil(() => JSON.stringify(activeResources()) === JSON.stringify(baseline));
    t.deepEqual(activeResources(), baseline, `round ${round}: no socket or timer left`);
  }
});
