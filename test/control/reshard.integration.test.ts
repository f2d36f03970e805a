import test from 'ava';
import type { ToControlMessage, ToControlOf } from '../../src/control/index.js';
import { isDisclusterError } from '../../src/gateway/errors.js';
import type { CloseRecord } from '../../src/testing/index.js';
import { everyClose } from '../helpers/closes.js';
import { emulator, options, spawn, tokenLeaked } from './helpers.js';

const range = (n: number) => Array.from({ length: n }, (_, i) => i);
/**
 * A heartbeat timeout far above the 500 ms interval: on a loaded machine a CPU-starved client
 * would otherwise lose its session (4009) and, with it, events for real; these tests are about
 * the reshard, not heartbeats.
 */
const LENIENT = { heartbeatTimeoutMs: 20_000 };
type Dispatch = ToControlOf<'dispatch'>;
const isDispatch = (m: ToControlMessage): m is Dispatch => m.type === 'dispatch';
const contentOf = (m: Dispatch) => (m.d as { content?: string }).content ?? '';
const lastIndexOf = <T>(items: readonly T[], predicate: (item: T) => boolean) => {
  for (let i = items.length - 1; i >= 0; i--) if (predicate(items[i]!)) return i;
  return -1;
};

for (const mode of ['process', 'worker'] as const) {
  test(`${mode}: a reshard message grows 2 → 3 shards under marker traffic; CONTROL sees every marker once, the progress, and the new layout`, async (t) => {
    const gw = await emulator(t, { ...LENIENT, shards: 2, guilds: 12, maxConcurrency: 2 });
    const { handle, inbound } = spawn(
      t,
      options(gw, {
        mode,
        shardIds: [0, 1],
        totalShards: 2,
        gateway: { url: gw.url, maxConcurrency: 2 },
        timing: { identifyWindowMs: 200, identifyMarginMs: 40, helloTimeoutMs: 2000, readyTimeoutMs: 3000, backoff: { initialMs: 20, maxMs: 100 }, shutdownTimeoutMs: 2000 },
        forward: { dispatches: ['MESSAGE_CREATE', 'GUILD_CREATE', 'READY'] },
      }),
    );
    await handle.ready;
    const traffic = gw.markerTraffic({ rate: 400 });
    await inbound.when((m) => isDispatch(m) && contentOf(m).startsWith('marker-'), 30_000);

    const before = inbound.events.length;
    const report = await handle.reshard({ totalShards: 3, shardIds: range(3) });
    const during = inbound.events.slice(before);
    // a little traffic on the new layout alone, then a fence per new shard: what comes before it has arrived
    const seenAfter = inbound.events.length;
    await inbound.when(() => inbound.events.slice(seenAfter).some((m) => isDispatch(m) && contentOf(m).startsWith('marker-')), 30_000);
    traffic.stop();
    await traffic.done;
    for (const shardId of range(3)) gw.dispatchMessage(gw.guildsOf(shardId, 3)[0]!.id, `fence-${shardId}`);
    await inbound.when(() => range(3).every((id) => inbound.events.some((m) => isDispatch(m) && contentOf(m) === `fence-${id}`)), 30_000);

    t.deepEqual(report.from, { totalShards: 2, shardIds: [0, 1] });
    t.deepEqual(report.to, { totalShards: 3, shardIds: [0, 1, 2] });
    t.is(report.identifies, 3);
    t.true(report.elapsedMs > 0 && report.handoffMs >= 0);

    const counts = new Map<string, number>();
    for (const m of inbound.events) if (isDispatch(m) && m.t === 'MESSAGE_CREATE') counts.set(contentOf(m), (counts.get(contentOf(m)) ?? 0) + 1);
    t.true(traffic.markers.length > 0);
    const wrong = traffic.markers.filter((marker) => counts.get(marker) !== 1);
    t.deepEqual(wrong, [], `every marker reached CONTROL exactly once: ${wrong.length} of ${traffic.markers.length} did not (${wrong.slice(0, 8).map((m) => `${m}=${counts.get(m) ?? 0}`).join(' ')}); report ${JSON.stringify(report)}; violations ${gw.violations.map((v) => v.rule).join(',')}`);

    const phases = during.filter((m): m is ToControlOf<'reshard-progress'> => m.type === 'reshard-progress').map((m) => m.phase);
    t.deepEqual(phases, ['preparing', 'handing-over', 'done']);
    const newStatuses = during.filter((m): m is ToControlOf<'reshard-status'> => m.type === 'reshard-status');
    t.deepEqual([...new Set(newStatuses.filter((m) => m.status === 'ready').map((m) => m.shardId))].sort(), [0, 1, 2]);
    t.true(newStatuses.every((m) => m.totalShards === 3));
    t.deepEqual(during.filter((m) => isDispatch(m) && (m.t === 'READY' || m.t === 'GUILD_CREATE')), [], 'no READY or GUILD_CREATE reached CONTROL during the reshard');
    t.false(inbound.events.some((m) => m.type === 'fatal'));

    t.deepEqual(gw.acceptedIdentifies.filter((r) => r.numShards === 3).map((r) => r.shardId).sort(), [0, 1, 2], 'one accepted identify per new shard');
    t.deepEqual(gw.violations, []);
    // the emulator records a close when its side of the socket ends, which may come after the reply
    const closesOf = (numShards: number) => gw.records.filter((r): r is CloseRecord => r.kind === 'close' && r.numShards === numShards);
    await gw.waitFor(() => !gw.connections.some((c) => c.numShards === 2), 10_000).catch(() => undefined);
    const oldCloses = closesOf(2);
    const closesSeen = `closes seen: ${JSON.stringify(gw.records.filter((r) => r.kind === 'close'))}`;
    for (const id of [0, 1]) {
      const mine = oldCloses.filter((r) => r.shardId === id);
      t.like(mine.at(-1), { by: 'client' }, `old shard ${id} was closed by the client; ${closesSeen}`);
      // On a loaded machine the emulator's process can stall long enough for every shard to find its
      // connection silent and reconnect (seen: all sockets closed 4000 at once, the old set then
      // stopped while it was reconnecting). Only then may an old shard have more than one close, or a last one other than 1000.
      // CONTROL hears of it by a shard-status only before the switch: after it, a shard id's statuses
      // are the new shard's, and an old shard's reconnect shows only in the emulator's records, as the
      // client's 4000 closes before the last (seen once: 4000, a resume, then the retiring 1000, and no
      // status of it at CONTROL).
      const reconnected =
        inbound.events.some((m) => m.type === 'shard-status' && m.shardId === id && m.status === 'reconnecting') ||
        (mine.length > 1 && mine.slice(0, -1).every((r) => r.by === 'client' && r.code === 4000));
      if (!reconnected) t.deepEqual(mine.map((r) => r.code), [1000], `old shard ${id}: one close, 1000; ${closesSeen}`);
    }

    const stats = await handle.stats();
    // What follows the stats reply on the channel, counted from the reply itself: the messages of one
    // read reach `inbound` before `await` resumes, so a status sent just after the reply may already be in.
    const statsAt = lastIndexOf(inbound.events, (m) => m.type === 'stats') + 1;
    t.deepEqual(stats.shards.map((s) => s.shardId), [0, 1, 2]);
    // Every new shard was ready at the switch. On a loaded machine a shard may since have missed a
    // heartbeat ACK and be reconnecting (seen: a status neither ready nor resumed here): then it
    // must come back, which its next shard-status (after the stats reply, on the same channel) says.
    const up = (status: string) => status === 'ready' || status === 'resumed';
    for (const shard of stats.shards.filter((s) => !up(s.status))) {
      t.log(`shard ${shard.shardId} was ${shard.status} after the reshard: waiting for it to be back`);
      t.not(shard.status, 'closed', `shard ${shard.shardId} after the reshard`);
      await inbound.when(() => inbound.events.slice(statsAt).some((m) => m.type === 'shard-status' && m.shardId === shard.shardId && up(m.status)), 30_000);
    }
    await handle.command(2, { op: 3, d: { since: null, activities: [], status: 'idle', afk: false } });
    const sessions = await handle.shutdown({ keepSessions: true });
    t.deepEqual(sessions.map((s) => [s.shardId, s.totalShards]).sort(), [[0, 3], [1, 3], [2, 3]]);
    t.is(await handle.exited, 0);
    t.false(tokenLeaked());
  });
}

test('a reshard the cluster must abort (the new shard is closed 4011) is an error with its cause; the old layout runs on, nothing fatal', async (t) => {
  // 12 guilds: 6 a shard on 2 shards is allowed, 12 on one shard is not
  const gw = await emulator(t, { ...LENIENT, shards: 2, guilds: 12, maxConcurrency: 2, maxGuildsPerShard: 6 });
  const { handle, inbound } = spawn(t, options(gw, { mode: 'process', shardIds: [0, 1], totalShards: 2, gateway: { url: gw.url, maxConcurrency: 2 } }));
  await handle.ready;
  const before = inbound.events.length;
  const error = await handle.reshard({ totalShards: 1, shardIds: [0] }).catch((e: unknown) => e);
  t.true(isDisclusterError(error, 'RESHARD_ABORTED'), String(error));
  const during = inbound.events.slice(before);
  t.deepEqual(during.filter((m): m is ToControlOf<'reshard-progress'> => m.type === 'reshard-progress').map((m) => m.phase), ['preparing', 'aborted']);
  const aborted = during.find((m): m is ToControlOf<'reshard-progress'> => m.type === 'reshard-progress' && m.phase === 'aborted');
  t.regex(aborted?.reason ?? '', /close 4011/);
  t.regex((error as Error).message, /RESHARD_ABORTED: .*close 4011/);
  t.false(inbound.events.some((m) => m.type === 'fatal'));
  const stats = await handle.stats();
  t.deepEqual(stats.shards.map((s) => s.shardId), [0, 1], 'the old layout runs on');
  t.true(stats.shards.every((s) => s.status === 'ready' || s.status === 'resumed'), JSON.stringify(stats.shards));
  await handle.shutdown();
  t.false(tokenLeaked());
});

test('shutdown during a reshard over CONTROL: the reshard is refused with CLUSTER_SHUT_DOWN, both sets are closed, the cluster exits 0', async (t) => {
  const gw = await emulator(t, { ...LENIENT, shards: 2, guilds: 12, maxConcurrency: 1, identifyWindowMs: 300 });
  const { handle, inbound } = spawn(t, options(gw, { mode: 'process', shardIds: [0, 1], totalShards: 2, gateway: { url: gw.url, maxConcurrency: 1 }, timing: { identifyWindowMs: 300, identifyMarginMs: 40, shutdownTimeoutMs: 2000 } }));
  await handle.ready;
  const reshard = handle.reshard({ totalShards: 4, shardIds: range(4) }).catch((e: unknown) => e);
  // the first new shard is up, the others still wait for their identify windows
  await inbound.when((m) => m.type === 'reshard-status' && m.status === 'ready', 30_000);
  const sessions = await handle.shutdown();
  const refused = await reshard;
  t.true(isDisclusterError(refused, 'CLUSTER_SHUT_DOWN'), String(refused));
  t.deepEqual(sessions, []);
  t.is(await handle.exited, 0);
  t.true(gw.records.filter((r) => r.kind === 'open').length >= 3, 'two old connections and at least one new one');
  await everyClose(gw);
  t.false(inbound.events.some((m) => m.type === 'fatal'));
});

test('worker: a reshard message shrinks 4 → 2 shards; every marker reaches CONTROL once', async (t) => {
  const gw = await emulator(t, { ...LENIENT, shards: 4, guilds: 12, maxConcurrency: 2 });
  const { handle, inbound } = spawn(
    t,
    options(gw, { mode: 'worker', shardIds: range(4), totalShards: 4, gateway: { url: gw.url, maxConcurrency: 2 }, forward: { dispatches: ['MESSAGE_CREATE'] }, timing: { identifyWindowMs: 200, identifyMarginMs: 40, shutdownTimeoutMs: 2000 } }),
  );
  await handle.ready;
  const traffic = gw.markerTraffic({ rate: 400 });
  await inbound.when((m) => isDispatch(m) && contentOf(m).startsWith('marker-'), 30_000);
  const report = await handle.reshard({ totalShards: 2, shardIds: [0, 1] });
  traffic.stop();
  await traffic.done;
  for (const shardId of [0, 1]) gw.dispatchMessage(gw.guildsOf(shardId, 2)[0]!.id, `fence-${shardId}`);
  await inbound.when(() => [0, 1].every((id) => inbound.events.some((m) => isDispatch(m) && contentOf(m) === `fence-${id}`)), 30_000);
  t.is(report.identifies, 2);
  const counts = new Map<string, number>();
  for (const m of inbound.events) if (isDispatch(m)) counts.set(contentOf(m), (counts.get(contentOf(m)) ?? 0) + 1);
  const wrong = traffic.markers.filter((marker) => counts.get(marker) !== 1);
  t.deepEqual(wrong, [], `${wrong.length} of ${traffic.markers.length} wrong; counts: ${wrong.slice(0, 10).map((m) => `${m}=${counts.get(m) ?? 0}`).join(' ')}; report ${JSON.stringify(report)}`);
  t.deepEqual((await handle.stats()).shards.map((s) => s.shardId), [0, 1]);
  t.deepEqual(gw.violations, []);
  await handle.shutdown();
});
