import test, { type ExecutionContext } from 'ava';
import * as E from 'fp-ts/lib/Either.js';
import { Subject } from 'rxjs';
import { createClusterHandle, type ClusterHandle } from '../../src/control/handle.js';
import { reshardFleet } from '../../src/control/fleet.js';
import { bridgeCluster, decodeMessage, type StartMessage, TO_CLUSTER, TO_CLUSTER_LIMITS, TO_CONTROL, TO_CONTROL_LIMITS, type ToControlMessage, type ToControlOf } from '../../src/control/index.js';
import { reshardMessage } from '../../src/control/cluster-events.js';
import { isDisclusterError } from '../../src/gateway/errors.js';
import type { FleetReshardPlan } from '../../src/reshard/crossing.js';
import type { HandoverLedger } from '../../src/reshard/ledger.js';
import { createMemoryIdentifyQueue } from '../../src/shard/identify-queue.js';
import { createEmulator, type Emulator } from '../../src/testing/index.js';
import { collect, type Collected } from '../helpers/collect.js';
import { eventually } from '../helpers/markers.js';
import { countingLedger } from '../helpers/counting-ledger.js';
import { LEDGER_MEMORY_WINDOWS } from '../../src/reshard/timing.js';

const TOKEN = 'fleet-phases-token-7Hs';
const WINDOW = 200;
const PLAN: FleetReshardPlan = {
  from: { totalShards: 4, clusters: { a: [0, 1], b: [2, 3] } },
  to: { totalShards: 6, clusters: { a: [0, 1, 2], b: [3, 4, 5] } },
};

const toCluster = (raw: unknown) => decodeMessage(TO_CLUSTER, raw, TO_CLUSTER_LIMITS);
const toControl = (raw: unknown) => decodeMessage(TO_CONTROL, raw, TO_CONTROL_LIMITS);

test('the phase messages decode at both ends; a malformed one names the field', (t) => {
  const fleet = { clusterId: 'a', from: PLAN.from, to: PLAN.to };
  t.true(E.isRight(toCluster({ type: 'reshard-prepare', totalShards: 6, shardIds: [0, 1, 2], nonce: 1 })));
  t.true(E.isRight(toCluster({ type: 'reshard-prepare', totalShards: 6, shardIds: [0, 1, 2], fleet, nonce: 1 })));
  const bad = toCluster({ type: 'reshard-prepare', totalShards: 6, shardIds: [0, 1, 2], fleet: { ...fleet, to: { totalShards: 6, clusters: { a: [0, 'x'] } } }, nonce: 1 });
  t.true(E.isLeft(bad) && bad.left.issues.some((i) => i.path.startsWith('fleet.to.clusters')), JSON.stringify(bad));
  t.true(E.isLeft(toCluster({ type: 'reshard-prepare', totalShards: 6, shardIds: [0], fleet: { ...fleet, clusterId: '' }, nonce: 1 })));
  for (const type of ['reshard-switch', 'reshard-retire', 'reshard-abort']) {
    t.true(E.isRight(toCluster({ type, nonce: 3 })), type);
    t.true(E.isLeft(toCluster({ type })), `${type} without a nonce`);
  }
  for (const phase of ['prepared', 'switched', 'aborted']) t.true(E.isRight(toControl({ type: 'reshard-phase', nonce: 1, phase })));
  t.true(E.isLeft(toControl({ type: 'reshard-phase', nonce: 1, phase: 'halfway' })));
  const layouts = { from: { totalShards: 4, shardIds: [0, 1] }, to: { totalShards: 6, shardIds: [0, 1, 2] } };
  t.true(E.isRight(toControl({ type: 'reshard-progress', phase: 'preparing', ...layouts, ready: 1, total: 3 })));
  t.true(E.isRight(toControl({ type: 'reshard-progress', phase: 'prepared', ...layouts, ready: 3, total: 3 })));
  t.true(E.isLeft(toControl({ type: 'reshard-progress', phase: 'preparing', ...layouts, ready: -1, total: 3 })));
  t.true(E.isRight(toControl({ type: 'reshard-ledger', state: 'unreachable', fallbacks: 12, reason: 'connection refused' })));
  t.true(E.isLeft(toControl({ type: 'reshard-ledger', state: 'gone', fallbacks: 12 })));
  const resharded = { type: 'resharded', nonce: 2, ...layouts, identifies: 3, elapsedMs: 1, handoffMs: 0, duplicatesSuppressed: 0, recoveredFromNewSet: 0 };
  t.true(E.isRight(toControl(resharded)));
  t.true(E.isRight(toControl({ ...resharded, ledger: { offered: 4, admitted: 2, suppressed: 2, fallbacks: 0 } })));
  t.true(E.isLeft(toControl({ ...resharded, ledger: { offered: 4 } })));
});

test('a ledger outage on lifecycle$ becomes a reshard-ledger message; the progress carries ready/total', (t) => {
  const unreachable = reshardMessage({ type: 'reshard-ledger', state: 'unreachable', fallbacks: 3, reason: 'x'.repeat(5000) });
  t.like(unreachable, { type: 'reshard-ledger', state: 'unreachable', fallbacks: 3 });
  t.true(E.isRight(toControl(unreachable)));
  t.deepEqual(reshardMessage({ type: 'reshard-ledger', state: 'reachable', fallbacks: 3 }), { type: 'reshard-ledger', state: 'reachable', fallbacks: 3 });
  const layouts = { from: { totalShards: 4, shardIds: [0, 1] }, to: { totalShards: 6, shardIds: [0, 1, 2] } };
  const progress = reshardMessage({ type: 'reshard', phase: 'preparing', ...layouts, ready: 2, total: 3 });
  t.like(progress, { type: 'reshard-progress', phase: 'preparing', ready: 2, total: 3 });
  t.true(E.isRight(toControl(progress)));
});

interface Member {
  readonly handle: ClusterHandle;
  readonly inbound: Collected<ToControlMessage>;
  /** The cluster's "process" dies: its channel ends and `exited` resolves. */
  die(): void;
}

/**
 * A cluster under CONTROL through the whole protocol: a bridge and a handle over an in-process
 * channel that carries every message as JSON, as IPC does. Identifies in control mode through `queue`.
 */
const member = (t: ExecutionContext, gw: Emulator, clusterId: string, shardIds: number[], queue: ReturnType<typeof createMemoryIdentifyQueue>, ledger: HandoverLedger): Member => {
  const toBridge = new Subject<unknown>();
  const toHandle = new Subject<unknown>();
  const wire = (m: unknown) => JSON.parse(JSON.stringify(m)) as unknown;
  let exit = (_code: number) => {};
  const exited = new Promise<number>((resolve) => (exit = resolve));
  const bridge = bridgeCluster({ transport: { send: (m) => queueMicrotask(() => toHandle.next(wire(m))), messages$: toBridge, close: async () => toHandle.complete() }, pid: 1, handoverLedger: ledger });
  const start: StartMessage = {
    type: 'start',
    protocol: 1,
    clusterId,
    shardIds,
    totalShards: 4,
    token: TOKEN,
    intents: 513,
    gateway: { url: gw.url, maxConcurrency: 4 },
    identify: 'control',
    timing: { identifyWindowMs: WINDOW, identifyMarginMs: 100, backoff: { initialMs: 20, maxMs: 100 }, reshardMatchWindowMs: 1500 },
    forward: { dispatches: ['MESSAGE_CREATE'] },
  };
  const handle = createClusterHandle({
    transport: { send: (m) => queueMicrotask(() => toBridge.next(wire(m))), messages$: toHandle, close: async () => {} },
    start,
    identifyQueue: queue,
    exited,
    kill: () => {},
    disconnect: () => toBridge.complete(),
    requestTimeoutMs: 5000,
  });
  const inbound = collect(handle.messages$);
  const die = () => {
    toBridge.complete(); // the bridge shuts its cluster down, as a process would on losing CONTROL
    exit(137);
  };
  t.teardown(async () => {
    toBridge.complete();
    await bridge.done;
    exit(0);
  });
  return { handle, inbound, die };
};

const fleet = async (t: ExecutionContext) => {
  const gw = await createEmulator({ token: TOKEN, shards: 4, heartbeatInterval: 500, identifyWindowMs: WINDOW, guilds: 24, maxConcurrency: 4, heartbeatTimeoutMs: 20_000 });
  t.teardown(() => gw.close());
  const queue = createMemoryIdentifyQueue({ maxConcurrency: 4, windowMs: WINDOW, safetyMarginMs: 100 });
  const ledger = countingLedger(LEDGER_MEMORY_WINDOWS * 1500);
  const members = { a: member(t, gw, 'a', [0, 1], queue, ledger), b: member(t, gw, 'b', [2, 3], queue, ledger) };
  await Promise.all([members.a.handle.ready, members.b.handle.ready]);
  return { gw, queue, ledger, members };
};

type Dispatch = ToControlOf<'dispatch'>;
const contentOf = (m: ToControlMessage) => (m.type === 'dispatch' ? ((m.d as { content?: string }).content ?? '') : '');
const markerCounts = (members: readonly Member[]) => {
  const counts = new Map<string, number>();
  for (const { inbound } of members) for (const m of inbound.events) if (m.type === 'dispatch' && (m as Dispatch).t === 'MESSAGE_CREATE') counts.set(contentOf(m), (counts.get(contentOf(m)) ?? 0) + 1);
  return counts;
};
const everyMarkerOnce = async (t: ExecutionContext, gw: Emulator, members: readonly Member[], traffic: ReturnType<Emulator['markerTraffic']>) => {
  traffic.stop();
  const { sent } = await traffic.done;
  const tail = gw.guilds.map((g, i) => (gw.dispatchMessage(g.id, `tail-${i}`), `tail-${i}`));
  t.true(await eventually(() => tail.every((m) => markerCounts(members).has(m))), 'the tail markers reached CONTROL');
  const counts = markerCounts(members);
  t.deepEqual(traffic.markers.filter((m) => !counts.has(m)), [], `lost markers (of ${sent})`);
  t.deepEqual([...counts].filter(([, n]) => n > 1), [], 'markers twice');
  t.deepEqual(gw.violations, []);
  for (const { inbound } of members) t.deepEqual(inbound.events.filter((m) => m.type === 'fatal'), []);
  return sent;
};

test.serial('reshardFleet over two clusters under CONTROL (handles, every phase a message): 4 -> 6, every marker exactly once at CONTROL', async (t) => {
  const { gw, queue, ledger, members } = await fleet(t);
  const traffic = gw.markerTraffic({ rate: 400 });
  t.teardown(() => traffic.stop());
  await eventually(() => markerCounts([members.a, members.b]).size > 20);
  const report = await reshardFleet({ a: members.a.handle, b: members.b.handle }, PLAN, { identifyQueue: queue });
  t.deepEqual(report.clusters.a!.to, { totalShards: 6, shardIds: [0, 1, 2] });
  t.deepEqual(report.clusters.b!.to, { totalShards: 6, shardIds: [3, 4, 5] });
  t.true((report.clusters.a!.ledger?.offered ?? 0) > 0 && (report.clusters.b!.ledger?.offered ?? 0) > 0);
  const sent = await everyMarkerOnce(t, gw, [members.a, members.b], traffic);
  for (const id of ['a', 'b'] as const) {
    const progress = members[id].inbound.events.filter((m): m is ToControlOf<'reshard-progress'> => m.type === 'reshard-progress');
    t.deepEqual(
      progress.map((m) => m.phase).filter((p, i, all) => p !== all[i - 1]),
      ['preparing', 'prepared', 'handing-over', 'done'],
    );
    t.like(progress.find((m) => m.phase === 'prepared'), { ready: 3, total: 3 });
    for (const m of members[id].inbound.events) t.true(E.isRight(toControl(m)));
  }
  t.false(gw.sessions.some((s) => s.numShards === 4 && s.live));
  t.log(`${sent} markers, ${ledger.ops.keys} ledger keys`);
});

test.serial('a cluster dying while the fleet prepares aborts the other: old layout intact, every marker once at the survivor and before', async (t) => {
  const { gw, queue, members } = await fleet(t);
  const traffic = gw.markerTraffic({ rate: 400 });
  t.teardown(() => traffic.stop());
  await eventually(() => markerCounts([members.a, members.b]).size > 20);
  const result = reshardFleet({ a: members.a.handle, b: members.b.handle }, PLAN, { identifyQueue: queue });
  await members.b.inbound.when((m) => m.type === 'reshard-status' && m.shardId === 3 && m.status === 'ready', 10_000);
  members.b.die();
  const error = await t.throwsAsync(result, { message: /cluster b did not prepare .*CONTROL_EXITED/ });
  t.true(isDisclusterError(error, 'RESHARD_ABORTED'));
  t.true(members.a.inbound.events.some((m) => m.type === 'reshard-progress' && m.phase === 'aborted'));
  t.true(await eventually(() => !gw.sessions.some((s) => s.numShards === 6 && s.live)), 'no session of the new layout');
  // cluster a runs its old shards: its guilds' markers arrive once (b's guilds died with b)
  traffic.stop();
  const { sent } = await traffic.done;
  const mine = [...gw.guildsOf(0, 4), ...gw.guildsOf(1, 4)];
  const tail = mine.map((g, i) => (gw.dispatchMessage(g.id, `tail-a-${i}`), `tail-a-${i}`));
  t.true(await eventually(() => tail.every((m) => markerCounts([members.a]).has(m))));
  t.deepEqual([...markerCounts([members.a])].filter(([, n]) => n > 1), [], 'nothing twice at a');
  t.true(sent > 0);
  const stats = await members.a.handle.stats();
  t.deepEqual(stats.shards.map((s) => s.shardId), [0, 1]);
});
