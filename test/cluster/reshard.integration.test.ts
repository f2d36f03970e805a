import test, { type ExecutionContext } from 'ava';
import { createCluster, type Cluster } from '../../src/cluster/cluster.js';
import { createMemorySessionStore } from '../../src/cluster/session-store.js';
import type { ClusterOptions } from '../../src/cluster/options.js';
import { isDisclusterError } from '../../src/gateway/errors.js';
import { type CloseRecord, createEmulator, type Emulator, type FrameRecord } from '../../src/testing/index.js';
import { everyClose } from '../helpers/closes.js';
import { activeResources, collect } from '../helpers/collect.js';
import { eventually, markerCounts, stall } from '../helpers/markers.js';

const TOKEN = 'reshard-test-token';
const WINDOW = 200;
/** Generous against the scheduling jitter of a loaded 2-core machine running emulator and client in one process. */
const MARGIN = 100;
/**
 * Twins from the two sets must arrive within this of each other (the handover's assumption). On a
 * quiet machine they are a few ms apart; under the load of a full test run, with a lagging
 * connection that its shard's zombie detection closes and resumes, they have been seen > 500 ms apart.
 */
const MATCH_WINDOW = 1500;
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/**
 * The emulator shares this process with the cluster: when a loaded machine leaves the process
 * unscheduled past the default heartbeat timeout (interval × 1.5 + 1 s), the emulator's watchdog
 * can run before the client's overdue beat and close every socket 4009 at once (seen at a load
 * average of 17 on 2 cores). These tests are about the reshard, not heartbeats (those have their
 * own tests): a tolerance, not a wait, so nothing here takes longer on an idle machine.
 */
const LENIENT_HEARTBEAT_TIMEOUT_MS = 20_000;

const emulator = async (t: ExecutionContext, extra: Parameters<typeof createEmulator>[0] = {}) => {
  const gw = await createEmulator({ token: TOKEN, shards: 4, heartbeatInterval: 500, heartbeatTimeoutMs: LENIENT_HEARTBEAT_TIMEOUT_MS, identifyWindowMs: WINDOW, guilds: 24, ...extra });
  t.teardown(() => gw.close());
  return gw;
};

const cluster = (t: ExecutionContext, gw: Emulator, extra: Partial<ClusterOptions> = {}): Cluster => {
  const c = createCluster({
    token: TOKEN,
    intents: 513,
    shardIds: range(4),
    totalShards: 4,
    gateway: { url: gw.url, maxConcurrency: gw.options.maxConcurrency },
    timing: { identifyWindowMs: WINDOW, identifyMarginMs: MARGIN, backoff: { initialMs: 20, maxMs: 100 }, reshardMatchWindowMs: MATCH_WINDOW },
    ...extra,
  });
  t.teardown(() => c.shutdown());
  return c;
};

const identifies = (gw: Emulator) => gw.records.filter((r): r is FrameRecord => r.kind === 'frame' && r.op === 2);
/** The emulator's connection of a shard of a given shard count, once its session exists. */
const connectionOf = (gw: Emulator, shardId: number, numShards: number) => gw.sessions.find((s) => s.shardId === shardId && s.numShards === numShards && s.live)?.connectionId;

test('a bad layout is refused at once and identifies nothing', async (t) => {
  const gw = await emulator(t, { maxConcurrency: 4 });
  const c = cluster(t, gw);
  await c.connect();
  const before = identifies(gw).length;
  for (const [layout, message] of [
    [{ totalShards: 6, shardIds: [] }, /non-empty/],
    [{ totalShards: 6, shardIds: [0, 6] }, /from 0 to 5, got 6/],
    [{ totalShards: 6, shardIds: [1, 1] }, /repeat/],
    [{ totalShards: 0, shardIds: [0] }, /totalShards/],
    [{ totalShards: 2.5, shardIds: [0] }, /totalShards/],
  ] as const) {
    const error = await t.throwsAsync(c.reshard(layout as never), { message });
    t.true(isDisclusterError(error, 'RESHARD_REFUSED'));
  }
  t.is(identifies(gw).length, before);
  t.deepEqual(c.layout(), { totalShards: 4, shardIds: range(4) });
});

test('a reshard the identify budget cannot pay for is refused at once and identifies nothing', async (t) => {
  const gw = await emulator(t, { maxConcurrency: 4 });
  const c = cluster(t, gw, { gateway: { url: gw.url, maxConcurrency: 4, sessionStartLimit: { total: 1000, remaining: 10, resetAfter: 3_600_000 } } });
  await c.connect();
  // 4 spent: 6 left, 6 new shards need 6 + a margin of 1
  const error = await t.throwsAsync(c.reshard({ totalShards: 6, shardIds: range(6) }), { message: /needs 7 identifies .* has 6 left/ });
  t.true(isDisclusterError(error, 'RESHARD_REFUSED'));
  t.is(identifies(gw).length, 4);
  t.deepEqual(c.layout(), { totalShards: 4, shardIds: range(4) });
});

test('reshard before the cluster is up, and a second one while one runs, are refused', async (t) => {
  const gw = await emulator(t, { maxConcurrency: 1 });
  const c = cluster(t, gw);
  await t.throwsAsync(c.reshard({ totalShards: 6, shardIds: range(6) }), { message: /not up yet/ });
  await c.connect();
  const first = c.reshard({ totalShards: 6, shardIds: range(6) });
  await t.throwsAsync(c.reshard({ totalShards: 8, shardIds: range(8) }), { message: /another reshard is running/ });
  await first;
  t.deepEqual(c.layout(), { totalShards: 6, shardIds: range(6) });
});

test('a new shard closed with 4011 mid-preparation aborts the reshard: old set untouched, nothing on fatal$', async (t) => {
  const gw = await emulator(t, { maxConcurrency: 1 });
  const c = cluster(t, gw);
  const dispatches = collect(c.dispatch$);
  await c.connect();
  // the old set's own start-up GUILD_CREATEs follow its READYs (connect() resolves on those): all 24 first
  await dispatches.when(() => dispatches.events.filter((e) => e.t === 'GUILD_CREATE').length === gw.options.guilds);
  const startedUp = dispatches.events.length;
  const fatals = collect(c.fatal$);
  const lifecycle = collect(c.lifecycle$);
  const statusesBefore = c.statuses().map((s) => [s.shardId, s.status]);
  const result = c.reshard({ totalShards: 6, shardIds: range(6) });
  // the first new shard is up; with max_concurrency 1 the others wait for their windows
  await lifecycle.when((e) => e.type === 'reshard-status' && e.shardId === 0 && e.status === 'ready');
  t.is(gw.closeShard({ connectionId: connectionOf(gw, 0, 6)! }, 4011), 1);
  const error = await t.throwsAsync(result, { message: /reshard from 4 shards \(0\.\.3 of 4\) to 6 shards \(0\.\.5 of 6\) aborted: new shard 0 stopped \(close 4011\)/ });
  t.true(isDisclusterError(error, 'RESHARD_ABORTED'));
  t.like(lifecycle.events.find((e) => e.type === 'reshard' && e.phase === 'aborted'), { from: { totalShards: 4 }, to: { totalShards: 6 } });
  t.deepEqual(fatals.events, []);
  t.deepEqual(c.layout(), { totalShards: 4, shardIds: range(4) });
  t.deepEqual(c.statuses().map((s) => [s.shardId, s.status]), statusesBefore);
  // every new connection closed by the client, the old ones still open and delivering
  t.false(gw.sessions.some((s) => s.numShards === 6 && s.live), 'no session of the new layout is live');
  t.is(gw.sessions.filter((s) => s.numShards === 4 && s.live).length, 4);
  const fromNewSet = dispatches.events.slice(startedUp).filter((e) => e.t === 'READY' || e.t === 'GUILD_CREATE');
  t.deepEqual(fromNewSet.map((e) => [e.t, e.shardId, e.s]), [], 'nothing of the new set reached dispatch$');
  gw.dispatch(3, 'MESSAGE_CREATE', { content: 'still here' });
  await dispatches.when((e) => e.t === 'MESSAGE_CREATE' && e.shardId === 3);
  // the aborted reshard no longer counts as running: another one may start
  const report = await c.reshard({ totalShards: 2, shardIds: range(2) });
  t.deepEqual(report.to, { totalShards: 2, shardIds: range(2) });
  t.deepEqual(fatals.events, []);
});

test.serial('shutdown() during a reshard closes both sets, rejects the reshard and leaves no handle', async (t) => {
  const gw = await emulator(t, { maxConcurrency: 1 });
  const baseline = activeResources();
  const c = cluster(t, gw);
  await c.connect();
  const lifecycle = collect(c.lifecycle$);
  const fatals = collect(c.fatal$);
  const result = c.reshard({ totalShards: 6, shardIds: range(6) });
  result.catch(() => {});
  await lifecycle.when((e) => e.type === 'reshard-status' && e.shardId === 1 && e.status === 'ready');
  await c.shutdown();
  const error = await t.throwsAsync(result);
  t.true(isDisclusterError(error, 'CLUSTER_SHUT_DOWN'), String(error));
  t.deepEqual(fatals.events, []);
  const clientCloses = (await everyClose(gw)).filter((r) => r.by === 'client');
  t.false(gw.sessions.some((s) => s.live), 'no live session in either layout');
  t.true(clientCloses.length >= 6, `closed by the client: ${clientCloses.length}`);
  const deadline = performance.now() + 2000;
  while (JSON.stringify(activeResources()) !== JSON.stringify(baseline) && performance.now() < deadline) await new Promise((r) => setImmediate(r));
  t.deepEqual(activeResources(), baseline);
});

/**
 * Reshards through `layouts` in turn under continuous marker traffic, then checks that every
 * marker reached dispatch$ exactly once, and what the emulator saw: one accepted identify per new
 * shard, no violation, every old socket closed by the client with 1000.
 */
const reshardUnderTraffic = async (
  t: ExecutionContext,
  maxConcurrency: number,
  layouts: readonly number[],
  { lagOldSet = false, extra = {} as Partial<ClusterOptions>, lagMs = { old: 0, new: 0 }, stallAfterSwitchMs = undefined as number | undefined } = {},
) => {
  const gw = await emulator(t, { maxConcurrency });
  // each layout's sessions get every event this much later than it is routed
  gw.delayLayout(4, lagMs.old);
  for (const total of layouts) if (total !== 4) gw.delayLayout(total, lagMs.new);
  const store = createMemorySessionStore();
  const c = cluster(t, gw, { sessionStore: store, ...extra });
  await c.connect();
  const dispatches = collect(c.dispatch$);
  const lifecycle = collect(c.lifecycle$);
  const fatals = collect(c.fatal$);
  let stalls = 0;
  if (stallAfterSwitchMs !== undefined) {
    c.lifecycle$.subscribe((e) => {
      if (e.type === 'reshard' && e.phase === 'handing-over') setTimeout(() => (stall(2 * MATCH_WINDOW), stalls++), stallAfterSwitchMs);
    });
  }
  const traffic = gw.markerTraffic({ rate: 400 });
  t.teardown(() => traffic.stop());
  // a marker from every old shard: each shard's start-up GUILD_CREATEs came before it (connect()
  // resolves at the READYs, and a loaded machine may deliver a shard's GUILD_CREATEs after that)
  for (const id of range(4)) await dispatches.when((e) => e.t === 'MESSAGE_CREATE' && e.shardId === id, 5000);
  const startedUp = dispatches.events.length;
  let from = 4;
  let recovered = 0;
  for (const total of layouts) {
    const identifiesBefore = gw.acceptedIdentifies.length;
    const pending = c.reshard({ totalShards: total, shardIds: range(total) });
    // preparing: the running shards, then the new ones marked as such
    t.deepEqual(
      c.statuses().map((s) => [s.shardId, s.preparing?.totalShards ?? null]),
      [...range(from).map((id) => [id, null]), ...range(total).map((id) => [id, total])],
    );
    if (lagOldSet) {
      // once the first new shard is up, one old shard's connection goes silent (the emulator holds
      // its events back) until the switch: the new set has some of its guilds' events first, while
      // events of guilds whose new shard is not up yet reach the old set only, and late
      const lagging = { connectionId: connectionOf(gw, from - 1, from)! };
      await lifecycle.when((e) => e.type === 'reshard-status' && e.totalShards === total && e.status === 'ready');
      gw.zombie(lagging, true);
      await lifecycle.when((e) => e.type === 'reshard' && e.phase === 'handing-over' && e.to.totalShards === total);
      gw.zombie(lagging, false);
    }
    const report = await pending;
    recovered += report.recoveredFromNewSet;
    t.log(`${from} -> ${total}: ${JSON.stringify({ ...report, from: undefined, to: undefined })}`);
    t.like(report, { from: { totalShards: from, shardIds: range(from) }, to: { totalShards: total, shardIds: range(total) } });
    t.true(report.elapsedMs > 0 && report.handoffMs >= 0);
    t.is(report.identifies, total, `identifies granted; emulator records: ${JSON.stringify(gw.records.filter((r) => (r.kind === 'close' || r.kind === 'violation') && r.numShards === total))}`);
    const accepted = gw.acceptedIdentifies.slice(identifiesBefore);
    t.deepEqual(accepted.map((r) => [r.numShards, r.shardId]).sort((a, b) => a[1]! - b[1]!), range(total).map((id) => [total, id]), `one accepted identify per new shard (${from} -> ${total})`);
    t.true(await eventually(() => !gw.sessions.some((x) => x.numShards === from && x.live)), 'no session of the old layout is live');
    // each old shard's last connection was closed by the client with 1000 (earlier ones may have
    // been cut by load: a zombie detection, a heartbeat timeout, then a resume); a lagging shard may
    // have been stopped while it waited to reconnect
    const oldCloses = gw.records.filter((r): r is CloseRecord => r.kind === 'close' && r.numShards === from);
    for (const id of range(from)) {
      const last = oldCloses.filter((r) => r.shardId === id).at(-1);
      if (lagOldSet && id === from - 1 && last !== undefined && last.code !== 1000) continue;
      t.like(last, { by: 'client', code: 1000 }, `old shard ${id} of ${from}: ${JSON.stringify(oldCloses)}`);
    }
    t.deepEqual(c.layout(), { totalShards: total, shardIds: range(total) });
    t.deepEqual(c.statuses().map((s) => [s.shardId, s.preparing]), range(total).map((id) => [id, undefined]));
    t.deepEqual([...store.snapshots.values()].map((s) => [s.shardId, s.totalShards]).sort((a, b) => a[0]! - b[0]!), range(total).map((id) => [id, total]), 'the store holds the new layout only');
    from = total;
  }
  traffic.stop();
  const { sent } = await traffic.done;
  // a final marker in every guild: each connection delivers in order, so once these arrived everything sent before has too
  const tail = gw.guilds.map((g, i) => (gw.dispatchMessage(g.id, `tail-${i}`), `tail-${i}`));
  t.true(await eventually(() => tail.every((m) => markerCounts(dispatches.events).has(m))), 'the tail markers arrived');
  const counts = markerCounts(dispatches.events);
  const missing = traffic.markers.filter((m) => !counts.has(m));
  const repeated = [...counts].filter(([, n]) => n > 1).map(([marker, n]) => {
    const copies = dispatches.events.filter((e) => e.t === 'MESSAGE_CREATE' && (e.d as { content: string }).content === marker);
    return { marker, n, from: copies.map((e) => `${e.shardId}/s${e.s}`) };
  });
  t.deepEqual(missing, [], `lost markers (of ${sent})`);
  t.deepEqual(repeated, [], 'markers emitted twice');
  t.is(counts.size, sent + tail.length);
  t.deepEqual(gw.violations, []);
  t.deepEqual(fatals.events, []);
  const startup = dispatches.events.slice(startedUp).filter((e) => e.t === 'READY' || e.t === 'GUILD_CREATE');
  t.deepEqual(startup.map((e) => [e.t, e.shardId, e.s]), [], 'no READY or GUILD_CREATE of the new set reached dispatch$');
  t.deepEqual(
    lifecycle.events.flatMap((e) => (e.type === 'reshard' ? [e.phase] : [])),
    layouts.flatMap(() => ['preparing', 'handing-over', 'done']),
  );
  t.true(lifecycle.events.some((e) => e.type === 'reshard-status' && e.status === 'ready'), 'the new shards\' statuses are reported as reshard-status');
  t.log(`${layouts.length} reshard(s), ${sent} markers each exactly once`);
  if (lagOldSet) t.true(recovered > 0, 'some events were recovered from the new set at the switch');
  if (stallAfterSwitchMs !== undefined) t.true(await eventually(() => stalls === layouts.length), 'the process stalled once per reshard');
  return { gw, c };
};

test.serial('grow 4 -> 6 under continuous traffic: every marker exactly once', async (t) => {
  await reshardUnderTraffic(t, 4, [6]);
});

test.serial('grow 4 -> 6 with max_concurrency 2: every marker exactly once, identifies in bucket waves', async (t) => {
  const { gw } = await reshardUnderTraffic(t, 2, [6]);
  const newIdentifies = gw.acceptedIdentifies.filter((r) => r.numShards === 6);
  for (const bucket of [0, 1]) {
    const inBucket = newIdentifies.filter((r) => r.shardId % 2 === bucket);
    t.deepEqual(inBucket.map((r) => r.shardId), [bucket, bucket + 2, bucket + 4], `bucket ${bucket} in shard order`);
    for (let i = 1; i < inBucket.length; i++) t.true(inBucket[i]!.at - inBucket[i - 1]!.at >= WINDOW, `bucket ${bucket} spacing`);
  }
});

test.serial('shrink 4 -> 2: every marker exactly once; send to a shard that left is refused naming the reshard', async (t) => {
  const { c } = await reshardUnderTraffic(t, 4, [2]);
  await t.throwsAsync(c.send(3, { op: 3, d: { since: null, activities: [], status: 'online', afk: false } }), {
    code: 'SHARD_UNAVAILABLE',
    message: /shard 3 left this cluster when it resharded to 2 shards \(0, 1 of 2\)/,
  } as never);
  await c.send(1, { op: 3, d: { since: null, activities: [], status: 'online', afk: false } });
});

test.serial('the racy handover, repeated: 4 -> 6 -> 3 -> 5 -> 4 under continuous traffic, every marker exactly once', async (t) => {
  await reshardUnderTraffic(t, 4, [6, 3, 5, 4]);
});

test.serial('an old set lagging at the switch: what only the new set delivered is emitted from it, 4 -> 6 -> 3 -> 5 -> 4, every marker exactly once', async (t) => {
  const timing = { identifyWindowMs: WINDOW, identifyMarginMs: MARGIN, backoff: { initialMs: 20, maxMs: 100 }, reshardMatchWindowMs: 3 * MATCH_WINDOW };
  await reshardUnderTraffic(t, 4, [6, 3, 5, 4], { lagOldSet: true, extra: { timing } });
});

for (const [old, lag] of [
  [0, 50],
  [0, 500],
  [150, 0],
  [50, 500],
  [500, 50],
] as const) {
  test.serial(`grow 4 -> 6 with the old layout ${old} ms and the new one ${lag} ms late: every marker exactly once`, async (t) => {
    await reshardUnderTraffic(t, 4, [6], { lagMs: { old, new: lag } });
  });
}

// after a stall Node runs its expired timers before it reads the sockets: the handover's windows
// count the time the process ran, or they would end before the copies that arrived meanwhile are read
test.serial(`grow 4 -> 6 with the new layout 500 ms late, the process stalled ${2 * MATCH_WINDOW} ms just after the old set closed: every marker exactly once`, async (t) => {
  await reshardUnderTraffic(t, 4, [6], { lagMs: { old: 0, new: 500 }, stallAfterSwitchMs: MATCH_WINDOW + 200 });
});

test.serial('with an events filter, the new set still tracks its start-up (READY, GUILD_CREATE) and the user sees only what was asked for', async (t) => {
  const { gw, c } = await reshardUnderTraffic(t, 4, [6], { extra: { events: ['MESSAGE_CREATE', 'TYPING_START'] } });
  const seen = collect(c.dispatch$);
  // after the handover the filter still holds for the new set: a GUILD_CREATE of a guild it joins is not delivered
  gw.addGuilds(1);
  gw.dispatchMessage(gw.guilds.at(-1)!.id, 'after-join');
  await seen.when((e) => e.t === 'MESSAGE_CREATE' && (e.d as { content: string }).content === 'after-join');
  t.deepEqual([...new Set(seen.events.map((e) => e.t))], ['MESSAGE_CREATE']);
});

test('a preparation that outlasts timing.reshardTimeoutMs aborts, closing the new shards, with the old set untouched', async (t) => {
  const gw = await emulator(t, { maxConcurrency: 1 });
  const c = cluster(t, gw, { timing: { identifyWindowMs: WINDOW, identifyMarginMs: MARGIN, reshardTimeoutMs: 300 } });
  await c.connect();
  const fatals = collect(c.fatal$);
  const error = await t.throwsAsync(c.reshard({ totalShards: 6, shardIds: range(6) }), { message: /aborted: the new shards were not ready within 300 ms/ });
  t.true(isDisclusterError(error, 'RESHARD_ABORTED'));
  t.true(await eventually(() => !gw.sessions.some((s) => s.numShards === 6 && s.live)), 'no new session left');
  t.deepEqual(fatals.events, []);
  t.deepEqual(c.layout(), { totalShards: 4, shardIds: range(4) });
  t.true(c.statuses().every((s) => s.status === 'ready'));
});
