import test, { type ExecutionContext } from 'ava';
import { createCluster, type Cluster } from '../../src/cluster/cluster.js';
import { fleetMember } from '../../src/control/fleet-member.js';
import { reshardFleet } from '../../src/control/fleet.js';
import { isDisclusterError } from '../../src/gateway/errors.js';
import type { FleetReshardPlan } from '../../src/reshard/crossing.js';
import { LEDGER_MEMORY_WINDOWS } from '../../src/reshard/timing.js';
import { createMemoryIdentifyQueue } from '../../src/shard/identify-queue.js';
import type { IdentifyQueue, ShardDispatchEvent } from '../../src/shard/types.js';
import { createEmulator, type Emulator } from '../../src/testing/index.js';
import { activeResources, collect, type Collected } from '../helpers/collect.js';
import { type CountingLedger, countingLedger } from '../helpers/counting-ledger.js';
import { eventually, expectAtLeastOnceByFallbacks, markerCounts, stall } from '../helpers/markers.js';

const TOKEN = 'fleet-reshard-test-token';
const WINDOW = 200;
const MARGIN = 100;
const MATCH_WINDOW = 1500;
const range = (n: number, from = 0) => Array.from({ length: n }, (_, i) => from + i);

interface Fleet {
  readonly gw: Emulator;
  readonly clusters: Record<string, Cluster>;
  readonly dispatches: Record<string, Collected<ShardDispatchEvent>>;
  readonly fatals: unknown[];
  readonly ledger: CountingLedger;
  readonly queue: IdentifyQueue;
}

/** The clusters of `plan.from` on one emulator, sharing one identify queue and one ledger. */
const fleet = async (t: ExecutionContext, lag: { old: number; new: number }, plan = PLAN): Promise<Fleet> => {
  const gw = await createEmulator({ token: TOKEN, shards: plan.from.totalShards, heartbeatInterval: 500, identifyWindowMs: WINDOW, guilds: 36, maxConcurrency: 4, heartbeatTimeoutMs: 20_000 });
  t.teardown(() => gw.close());
  gw.delayLayout(plan.from.totalShards, lag.old);
  gw.delayLayout(plan.to.totalShards, lag.new);
  const queue = createMemoryIdentifyQueue({ maxConcurrency: 4, windowMs: WINDOW, safetyMarginMs: MARGIN });
  const ledger = countingLedger(LEDGER_MEMORY_WINDOWS * MATCH_WINDOW);
  const clusters: Record<string, Cluster> = {};
  const dispatches: Record<string, Collected<ShardDispatchEvent>> = {};
  const fatals: unknown[] = [];
  for (const [id, shardIds] of Object.entries(plan.from.clusters)) {
    const c = createCluster({
      token: TOKEN,
      intents: 513,
      shardIds,
      totalShards: plan.from.totalShards,
      gateway: { url: gw.url, maxConcurrency: 4 },
      identifyQueue: queue,
      timing: { identifyWindowMs: WINDOW, identifyMarginMs: MARGIN, backoff: { initialMs: 20, maxMs: 100 }, reshardMatchWindowMs: MATCH_WINDOW },
    });
    t.teardown(() => c.shutdown());
    clusters[id] = c;
    dispatches[id] = collect(c.dispatch$);
    c.fatal$.subscribe((e) => fatals.push(e));
  }
  await Promise.all(Object.values(clusters).map((c) => c.connect()));
  return { gw, clusters, dispatches, fatals, ledger, queue };
};

const PLAN: FleetReshardPlan = {
  from: { totalShards: 4, clusters: { a: [0, 1], b: [2, 3] } },
  to: { totalShards: 6, clusters: { a: [0, 1, 2], b: [3, 4, 5] } },
};
/** 6 -> 9 over three clusters with contiguous ranges: most guilds cross. */
const PLAN_3: FleetReshardPlan = {
  from: { totalShards: 6, clusters: { a: [0, 1], b: [2, 3], c: [4, 5] } },
  to: { totalShards: 9, clusters: { a: [0, 1, 2], b: [3, 4, 5], c: [6, 7, 8] } },
};

/** Every marker (and a tail marker per guild) seen exactly once across the fleet's dispatch$. */
const checkExactlyOnce = async (t: ExecutionContext, f: Fleet, traffic: ReturnType<Emulator['markerTraffic']>) => {
  traffic.stop();
  const { sent } = await traffic.done;
  const all = () => Object.values(f.dispatches).flatMap((d) => d.events);
  const tail = f.gw.guilds.map((g, i) => (f.gw.dispatchMessage(g.id, `tail-${i}`), `tail-${i}`));
  t.true(await eventually(() => tail.every((m) => markerCounts(all()).has(m))), 'the tail markers arrived');
  const counts = markerCounts(all());
  const missing = traffic.markers.filter((m) => !counts.has(m));
  const repeated = [...counts].filter(([, n]) => n > 1);
  t.deepEqual(missing, [], `lost markers (of ${sent})`);
  t.deepEqual(repeated, [], 'markers emitted twice');
  t.is(counts.size, sent + tail.length);
  t.deepEqual(f.fatals, []);
  t.deepEqual(f.gw.violations, []);
  return sent;
};

for (const [plan, oldLag, newLag, holdBarrierMs = 0] of [
  [PLAN, 0, 0],
  // one cluster prepared long before the other: the overlap outlasts the ledger's window twice over
  [PLAN, 0, 50, 2 * MATCH_WINDOW],
  [PLAN, 0, 50],
  [PLAN, 0, 500],
  [PLAN, 50, 0],
  [PLAN, 500, 0],
  [PLAN_3, 0, 0],
  [PLAN_3, 0, 500],
  [PLAN_3, 500, 0],
] as const) {
  const shape = `${plan.from.totalShards} -> ${plan.to.totalShards} over ${Object.keys(plan.to.clusters).length} clusters`;
  const held = holdBarrierMs > 0 ? `, the barrier held ${holdBarrierMs} ms` : '';
  test.serial(`${shape} sharing a ledger, old layout ${oldLag} ms and new ${newLag} ms late${held}: every marker exactly once across the fleet`, async (t) => {
    const f = await fleet(t, { old: oldLag, new: newLag }, plan);
    const ids = Object.keys(plan.to.clusters);
    const lifecycle = Object.fromEntries(ids.map((id) => [id, collect(f.clusters[id]!.lifecycle$)]));
    const traffic = f.gw.markerTraffic({ rate: 400 });
    t.teardown(() => traffic.stop());
    const all = () => Object.values(f.dispatches).flatMap((d) => d.events);
    for (const id of range(plan.from.totalShards)) await eventually(() => all().some((e) => e.t === 'MESSAGE_CREATE' && e.shardId === id));
    const phases: string[] = [];
    const members = Object.fromEntries(ids.map((id) => [id, fleetMember(f.clusters[id]!, f.ledger)]));
    if (holdBarrierMs > 0) {
      // a slow cluster: its preparation ends holdBarrierMs after its shards are ready (the length of the fault, not a wait for a state)
      const slow = members[ids[0]!]!;
      const prepare = slow.reshardPrepare.bind(slow);
      members[ids[0]!] = { ...slow, reshardPrepare: async (layout, o) => (await prepare(layout, o), await new Promise((r) => setTimeout(r, holdBarrierMs))) };
    }
    const report = await reshardFleet(members, plan, { identifyQueue: f.queue, onPhase: (phase) => phases.push(phase) });
    t.deepEqual(phases, ['preparing', 'switching', 'retiring']);
    for (const id of ids) {
      const shardIds = plan.to.clusters[id]!;
      t.deepEqual(f.clusters[id]!.layout(), { totalShards: plan.to.totalShards, shardIds });
      const r = report.clusters[id]!;
      t.is(r.identifies, shardIds.length);
      t.truthy(r.ledger, 'the crossing guilds went through the ledger');
      t.is(r.ledger!.fallbacks, 0);
      t.log(`${id}: ${JSON.stringify({ ...r, from: undefined, to: undefined })}`);
      // progress: ready counts up to n of n, then prepared
      const progress = lifecycle[id]!.events.flatMap((e) => (e.type === 'reshard' ? [`${e.phase}${e.ready === undefined ? '' : ` ${e.ready}/${e.total}`}`] : []));
      t.deepEqual(progress.filter((p) => !p.startsWith('preparing ')), ['preparing', `prepared ${shardIds.length}/${shardIds.length}`, 'handing-over', 'done']);
      t.true(progress.includes(`preparing ${shardIds.length}/${shardIds.length}`));
    }
    const sent = await checkExactlyOnce(t, f, traffic);
    t.true(f.ledger.ops.keys > 0);
    t.log(`${sent} markers; ledger: ${f.ledger.ops.offers} offers of ${f.ledger.ops.keys} keys (${(f.ledger.ops.keys / sent).toFixed(2)} keys per marker sent over the whole run)`);
    t.false(f.gw.sessions.some((s) => s.numShards === plan.from.totalShards && s.live), 'no old session live');
  });
}

// A process that does not run for longer than the match window (a busy machine, a long collection):
// after the stall Node runs its expired timers before it reads the sockets, so a window measured in
// wall time would end before the copies that arrived meanwhile are read. Windows count running time.
for (const [seam, afterSwitchMs, oldLag, newLag] of [
  ['the switch', 0, 0, 500],
  ['the old set\'s close', MATCH_WINDOW + 200, 0, 500],
  ['the old set\'s close', MATCH_WINDOW + 200, 500, 0],
] as const) {
  test.serial(`4 -> 6 over 2 clusters, the process stalled ${2 * MATCH_WINDOW} ms at ${seam}, old layout ${oldLag} ms and new ${newLag} ms late: every marker exactly once`, async (t) => {
    const f = await fleet(t, { old: oldLag, new: newLag });
    const traffic = f.gw.markerTraffic({ rate: 400 });
    t.teardown(() => traffic.stop());
    const all = () => Object.values(f.dispatches).flatMap((d) => d.events);
    for (const id of range(PLAN.from.totalShards)) await eventually(() => all().some((e) => e.t === 'MESSAGE_CREATE' && e.shardId === id));
    let stalled = false;
    f.clusters.a!.lifecycle$.subscribe((e) => {
      if (e.type === 'reshard' && e.phase === 'handing-over') setTimeout(() => (stall(2 * MATCH_WINDOW), (stalled = true)), afterSwitchMs);
    });
    const members = { a: fleetMember(f.clusters.a!, f.ledger), b: fleetMember(f.clusters.b!, f.ledger) };
    const report = await reshardFleet(members, PLAN, { identifyQueue: f.queue });
    t.true(await eventually(() => stalled), 'the stall happened');
    for (const id of ['a', 'b']) t.is(report.clusters[id]!.ledger!.fallbacks, 0);
    await checkExactlyOnce(t, f, traffic);
  });
}

test.serial('4 -> 8 split so that no guild changes cluster (new shard s where s % 4 ran): every marker exactly once, not one ledger operation', async (t) => {
  const plan: FleetReshardPlan = { from: PLAN.from, to: { totalShards: 8, clusters: { a: [0, 1, 4, 5], b: [2, 3, 6, 7] } } };
  const f = await fleet(t, { old: 0, new: 50 }, plan);
  const traffic = f.gw.markerTraffic({ rate: 400 });
  t.teardown(() => traffic.stop());
  const members = { a: fleetMember(f.clusters.a!, f.ledger), b: fleetMember(f.clusters.b!, f.ledger) };
  const report = await reshardFleet(members, plan, { identifyQueue: f.queue });
  t.deepEqual(report.clusters.a!.ledger, { offered: 0, admitted: 0, suppressed: 0, fallbacks: 0 });
  t.deepEqual(report.clusters.b!.ledger, { offered: 0, admitted: 0, suppressed: 0, fallbacks: 0 });
  await checkExactlyOnce(t, f, traffic);
  t.is(f.ledger.ops.keys, 0);
});

test.serial('the ledger unreachable for 2 s across the switch: its copies go out at-least-once, counted and reported; nothing is lost', async (t) => {
  const f = await fleet(t, { old: 0, new: 0 });
  const lifecycle = { a: collect(f.clusters.a!.lifecycle$), b: collect(f.clusters.b!.lifecycle$) };
  const traffic = f.gw.markerTraffic({ rate: 400 });
  t.teardown(() => traffic.stop());
  const members = { a: fleetMember(f.clusters.a!, f.ledger), b: fleetMember(f.clusters.b!, f.ledger) };
  let outage: Promise<void> = Promise.resolve();
  const report = await reshardFleet(members, PLAN, {
    identifyQueue: f.queue,
    onPhase: (phase) => {
      if (phase !== 'switching') return;
      f.ledger.failing = true;
      // the fault lasts 2 s of wall time (the duration of the outage, not a wait for a state)
      outage = new Promise((resolve) => setTimeout(resolve, 2000)).then(() => void (f.ledger.failing = false));
    },
  });
  await outage;
  traffic.stop();
  const { sent } = await traffic.done;
  const all = () => [...f.dispatches.a!.events, ...f.dispatches.b!.events];
  const tail = f.gw.guilds.map((g, i) => (f.gw.dispatchMessage(g.id, `tail-${i}`), `tail-${i}`));
  t.true(await eventually(() => tail.every((m) => markerCounts(all()).has(m))));
  const counts = markerCounts(all());
  const fallbacks = report.clusters.a!.ledger!.fallbacks + report.clusters.b!.ledger!.fallbacks;
  const repeated = expectAtLeastOnceByFallbacks(t, traffic.markers, counts, sent, fallbacks);
  for (const id of ['a', 'b'] as const) {
    const states = lifecycle[id].events.flatMap((e) => (e.type === 'reshard-ledger' ? [e.state] : []));
    if (report.clusters[id]!.ledger!.fallbacks > 0) t.is(states[0], 'unreachable', `${id} reported the outage`);
  }
  t.deepEqual(f.fatals, []);
  t.log(`${sent} markers, ${fallbacks} copies emitted without a verdict, ${repeated} markers twice`);
});

test.serial('a new shard closed with 4011 while the fleet prepares aborts every cluster: old layout intact, every marker once, nothing on fatal$', async (t) => {
  const f = await fleet(t, { old: 0, new: 0 });
  const traffic = f.gw.markerTraffic({ rate: 400 });
  t.teardown(() => traffic.stop());
  const lifecycleB = collect(f.clusters.b!.lifecycle$);
  const members = { a: fleetMember(f.clusters.a!, f.ledger), b: fleetMember(f.clusters.b!, f.ledger) };
  const result = reshardFleet(members, PLAN, { identifyQueue: f.queue });
  // shard 3 of 6 identifies in the first wave; B's shards 4 and 5 (buckets 0 and 1) wait for the next window, so B is not prepared yet
  await lifecycleB.when((e) => e.type === 'reshard-status' && e.totalShards === 6 && e.shardId === 3 && e.status === 'ready', 10_000);
  const conn = f.gw.sessions.find((s) => s.numShards === 6 && s.shardId === 3 && s.live)!.connectionId!;
  t.is(f.gw.closeShard({ connectionId: conn }, 4011), 1);
  const error = await t.throwsAsync(result, { message: /cluster b did not prepare .*new shard 3 stopped \(close 4011\)/ });
  t.true(isDisclusterError(error, 'RESHARD_ABORTED'));
  t.deepEqual(f.clusters.a!.layout(), { totalShards: 4, shardIds: [0, 1] });
  t.deepEqual(f.clusters.b!.layout(), { totalShards: 4, shardIds: [2, 3] });
  t.true(await eventually(() => !f.gw.sessions.some((s) => s.numShards === 6 && s.live)), 'no session of the new layout is live');
  t.is(f.gw.sessions.filter((s) => s.numShards === 4 && s.live).length, 4);
  await checkExactlyOnce(t, f, traffic);
});

test('a fleet reshard the shared identify budget cannot pay, or a plan that does not match the handles, is refused before anything is sent', async (t) => {
  const calls: string[] = [];
  const member = (id: string) => ({
    reshardPrepare: async () => void calls.push(`prepare ${id}`),
    reshardSwitch: async () => void calls.push(`switch ${id}`),
    reshardRetire: async () => {
      throw new Error('not here');
    },
    reshardAbort: async () => void calls.push(`abort ${id}`),
  });
  const queue = { acquire: () => ({}) as never, remaining: 7 } as unknown as IdentifyQueue;
  // 3 + 1 margin per cluster = 8 > 7
  const error = await t.throwsAsync(reshardFleet({ a: member('a'), b: member('b') }, PLAN, { identifyQueue: queue }), { message: /need 8 identifies .* has 7 left/ });
  t.true(isDisclusterError(error, 'RESHARD_REFUSED'));
  await t.throwsAsync(reshardFleet({ a: member('a') }, PLAN), { message: /handles are \[a\]/ });
  await t.throwsAsync(reshardFleet({ a: member('a'), b: member('b') }, { ...PLAN, to: { totalShards: 6, clusters: { a: [0, 1, 2], b: [3, 4] } } }), {
    message: /1 of 6 shards belong to no cluster/,
  });
  t.deepEqual(calls, []);
});

test.serial('one cluster phase by phase: switch before ready and retire before switch are refused, abort after the switch does nothing; no handle left', async (t) => {
  const gw = await createEmulator({ token: TOKEN, shards: 2, heartbeatInterval: 500, identifyWindowMs: WINDOW, guilds: 8, maxConcurrency: 1 });
  t.teardown(() => gw.close());
  const baseline = activeResources();
  const c = createCluster({
    token: TOKEN,
    intents: 513,
    shardIds: [0, 1],
    totalShards: 2,
    gateway: { url: gw.url, maxConcurrency: 1 },
    timing: { identifyWindowMs: WINDOW, identifyMarginMs: MARGIN, reshardMatchWindowMs: 300 },
  });
  await c.connect();
  const ledger = countingLedger(LEDGER_MEMORY_WINDOWS * MATCH_WINDOW);
  t.throws(() => c.prepareReshard({ totalShards: 3, shardIds: [0, 1, 2] }, { fleet: { plan: PLAN, clusterId: 'a', ledger } }), {
    message: /fleet reshard refused: the plan gives cluster a 3 shards \(0\.\.2 of 6\), not 3 shards \(0\.\.2 of 3\)/,
  });
  const phased = c.prepareReshard({ totalShards: 3, shardIds: [0, 1, 2] });
  t.throws(() => c.prepareReshard({ totalShards: 4, shardIds: [0] }), { message: /another reshard is running/ });
  await t.throwsAsync(phased.switch(), { message: /not ready yet/ });
  await t.throwsAsync(phased.retire(), { message: /has not switched yet/ });
  await phased.prepared;
  t.deepEqual(c.layout(), { totalShards: 2, shardIds: [0, 1] }, 'prepared, not switched: the old layout runs');
  await phased.switch();
  t.deepEqual(c.layout(), { totalShards: 3, shardIds: [0, 1, 2] });
  await phased.abort();
  const report = await phased.retire();
  t.deepEqual(report.to, { totalShards: 3, shardIds: [0, 1, 2] });
  t.false(gw.sessions.some((s) => s.numShards === 2 && s.live));
  await c.shutdown();
  const deadline = performance.now() + 2000;
  while (JSON.stringify(activeResources()) !== JSON.stringify(baseline) && performance.now() < deadline) await new Promise((r) => setImmediate(r));
  t.deepEqual(activeResources(), baseline);
});
