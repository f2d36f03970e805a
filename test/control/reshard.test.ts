import test from 'ava';
import * as E from 'fp-ts/lib/Either.js';
import { NEVER, Subject } from 'rxjs';
import type { Cluster, ClusterLifecycleEvent } from '../../src/cluster/cluster.js';
import type { ShardLayout } from '../../src/reshard/layout.js';
import type { ReshardReport } from '../../src/reshard/reshard-events.js';
import { startToOptions } from '../../src/control/bridge.js';
import { createClusterHandle } from '../../src/control/handle.js';
import {
  bridgeCluster,
  decodeMessage,
  type StartMessage,
  TO_CLUSTER,
  TO_CLUSTER_LIMITS,
  TO_CONTROL,
  TO_CONTROL_LIMITS,
  type ToControlMessage,
  type Transport,
} from '../../src/control/index.js';
import { DisclusterError, isDisclusterError } from '../../src/gateway/errors.js';
import { createMemoryIdentifyQueue } from '../../src/shard/identify-queue.js';
import type { IdentifyQueue } from '../../src/shard/types.js';
import { collect } from '../helpers/collect.js';

const TOKEN = 'reshard-control-token-5Kq';

const report: ReshardReport = {
  from: { totalShards: 2, shardIds: [0, 1] },
  to: { totalShards: 3, shardIds: [0, 1, 2] },
  identifies: 3,
  elapsedMs: 812.5,
  handoffMs: 4.25,
  duplicatesSuppressed: 17,
  recoveredFromNewSet: 2,
};

const toCluster = (raw: unknown) => decodeMessage(TO_CLUSTER, raw, TO_CLUSTER_LIMITS);
const toControl = (raw: unknown) => decodeMessage(TO_CONTROL, raw, TO_CONTROL_LIMITS);
const issuesOf = (raw: unknown) => {
  const result = toCluster(raw);
  return E.isLeft(result) ? result.left.issues : null;
};

test('reshard decodes with its layout and nonce; a malformed one names the field', (t) => {
  t.true(E.isRight(toCluster({ type: 'reshard', totalShards: 24, shardIds: [0, 1, 2], nonce: 4 })));
  t.deepEqual(issuesOf({ type: 'reshard', totalShards: 24, shardIds: [0, 1] }), [{ path: 'nonce', expected: 'nonce (non-negative integer)' }]);
  t.deepEqual(issuesOf({ type: 'reshard', totalShards: 0, shardIds: [0], nonce: 1 }), [{ path: 'totalShards', expected: 'integer(1..1000000)' }]);
  t.deepEqual(issuesOf({ type: 'reshard', totalShards: 4, shardIds: [0, '1'], nonce: 1 }), [{ path: 'shardIds.1', expected: 'shard id (0..1000000)' }]);
  t.deepEqual(issuesOf({ type: 'reshard', totalShards: 4, shardIds: Array.from({ length: 5000 }, () => 0), nonce: 1 }), [
    { path: 'shardIds', expected: 'array(<=4096) of shard id (0..1000000)' },
  ]);
  t.deepEqual(issuesOf({ type: 'reshard', totalShards: 4, nonce: 1 }), [{ path: 'shardIds', expected: 'array(<=4096) of shard id (0..1000000)' }]);
});

test('resharded, reshard-progress, reshard-status and an error with a cause decode; a report missing a figure does not', (t) => {
  t.true(E.isRight(toControl({ type: 'resharded', nonce: 4, ...report })));
  const { identifies: _identifies, ...partial } = report;
  const missing = toControl({ type: 'resharded', nonce: 4, ...partial });
  t.true(E.isLeft(missing) && missing.left.issues.some((i) => i.path === 'identifies'));
  t.true(E.isRight(toControl({ type: 'reshard-progress', phase: 'handing-over', from: report.from, to: report.to })));
  t.true(E.isRight(toControl({ type: 'reshard-progress', phase: 'aborted', from: report.from, to: report.to, reason: 'shard 2 closed 4011' })));
  t.true(E.isLeft(toControl({ type: 'reshard-progress', phase: 'halfway', from: report.from, to: report.to })));
  t.true(E.isRight(toControl({ type: 'reshard-status', shardId: 2, totalShards: 3, status: 'identifying' })));
  t.true(E.isRight(toControl({ type: 'reshard-status', shardId: 2, totalShards: 3, status: 'closed', code: 4011 })));
  t.true(E.isLeft(toControl({ type: 'reshard-status', shardId: 2, status: 'ready' })));
  const error = { type: 'error', code: 'reshard-failed', message: 'RESHARD_ABORTED: x', issues: [], about: 'reshard', nonce: 4, cause: 'RESHARD_ABORTED' };
  t.true(E.isRight(toControl(error)));
  t.true(E.isLeft(toControl({ ...error, cause: 'x'.repeat(65) })));
});

/** A cluster that only reshards, as the test says; its `reshard` calls are recorded. */
const fakeCluster = (reshard: (layout: ShardLayout) => Promise<ReshardReport>) => {
  const lifecycle$ = new Subject<ClusterLifecycleEvent>();
  const calls: ShardLayout[] = [];
  const cluster: Cluster = {
    dispatch$: NEVER,
    fatal$: NEVER,
    ready$: NEVER,
    status$: NEVER,
    lifecycle$,
    identifyQueue: { acquire: () => NEVER },
    statuses: () => [],
    sessions: () => [],
    layout: () => ({ totalShards: 2, shardIds: [0, 1] }),
    connect: () => new Promise(() => {}),
    send: async () => {},
    reshard: (layout) => {
      calls.push(layout);
      return reshard(layout);
    },
    prepareReshard: () => {
    throw new Error('not phased');
  },
  shutdown: async () => [],
  };
  return { cluster, lifecycle$, calls };
};

/** A bridge over an in-process transport whose `start` builds the cluster with `build`. */
const bridged = (build: () => Cluster) => {
  const inbound = new Subject<unknown>();
  const outbound = new Subject<ToControlMessage>();
  const out = collect(outbound);
  const transport: Transport = { send: (m) => outbound.next(m as ToControlMessage), messages$: inbound, close: async () => {} };
  bridgeCluster({
    transport,
    pid: 1,
    createCluster: build,
  });
  const start = { type: 'start', protocol: 1, clusterId: 'r', shardIds: [0, 1], totalShards: 2, token: TOKEN, intents: 1, gateway: { url: 'ws://127.0.0.1:1', maxConcurrency: 1 }, identify: 'local' };
  return { out, send: (m: unknown) => inbound.next(m), start: () => inbound.next(start), end: () => inbound.complete() };
};

test('the bridge answers reshard with resharded and forwards the reshard lifecycle; before start it is refused', async (t) => {
  const fake = fakeCluster(async () => report);
  const { out, send, start, end } = bridged(() => fake.cluster);
  send({ type: 'reshard', totalShards: 3, shardIds: [0, 1, 2], nonce: 1 });
  t.like(await out.when((m) => m.type === 'error' && m.nonce === 1), { code: 'not-started', about: 'reshard' });
  start();
  fake.lifecycle$.next({ type: 'reshard', phase: 'preparing', from: report.from, to: report.to });
  fake.lifecycle$.next({ type: 'reshard-status', shardId: 2, totalShards: 3, status: 'identifying' });
  fake.lifecycle$.next({ type: 'heartbeat', shardId: 0, latencyMs: 3 } as unknown as ClusterLifecycleEvent);
  fake.lifecycle$.next({ type: 'reshard', phase: 'done', from: report.from, to: report.to, report, peakHeld: 42 });
  send({ type: 'reshard', totalShards: 3, shardIds: [0, 1, 2], nonce: 2 });
  const reply = await out.when((m) => m.type === 'resharded');
  t.deepEqual(reply, { type: 'resharded', nonce: 2, ...report });
  t.deepEqual(fake.calls, [{ totalShards: 3, shardIds: [0, 1, 2] }]);
  const progress = out.events.filter((m) => m.type === 'reshard-progress' || m.type === 'reshard-status');
  t.deepEqual(progress, [
    { type: 'reshard-progress', phase: 'preparing', from: report.from, to: report.to },
    { type: 'reshard-status', shardId: 2, totalShards: 3, status: 'identifying' },
    { type: 'reshard-progress', phase: 'done', from: report.from, to: report.to, peakHeld: 42 },
  ]);
  for (const message of out.events) t.true(E.isRight(toControl(message)), `valid on the wire: ${JSON.stringify(message)}`);
  end();
});

test('a failed reshard is an error with its cause and nonce, scrubbed of the token, and the bridge keeps answering', async (t) => {
  const causes = [
    new DisclusterError('RESHARD_REFUSED', 'reshard refused: every shard id must be below 3'),
    new DisclusterError('RESHARD_ABORTED', `shard 2 closed 4011 (token ${TOKEN})`),
    new Error(`something internal with ${TOKEN}`),
  ];
  let call = 0;
  const fake = fakeCluster(() => Promise.reject(causes[call++]!));
  const { out, send, start, end } = bridged(() => fake.cluster);
  start();
  for (const nonce of [10, 11, 12]) send({ type: 'reshard', totalShards: 3, shardIds: [0, 1, 2], nonce });
  send({ type: 'ping', nonce: 13 });
  await out.when((m) => m.type === 'error' && m.nonce === 12);
  await out.when((m) => m.type === 'pong' && m.nonce === 13);
  const errors = out.events.filter((m) => m.type === 'error');
  t.like(errors[0], { code: 'reshard-failed', about: 'reshard', nonce: 10, cause: 'RESHARD_REFUSED' });
  t.regex((errors[0] as { message: string }).message, /RESHARD_REFUSED: reshard refused: every shard id must be below 3/);
  t.like(errors[1], { code: 'reshard-failed', nonce: 11, cause: 'RESHARD_ABORTED' });
  t.like(errors[2], { code: 'reshard-failed', nonce: 12, message: 'the reshard failed with an internal error' });
  t.false('cause' in errors[2]!);
  t.false(JSON.stringify(out.events).includes(TOKEN));
  end();
});

test('a start the cluster refuses carries its error code as cause', async (t) => {
  const { out, start, end } = bridged(() => {
    throw new DisclusterError('INVALID_OPTIONS', 'shardIds must be below totalShards');
  });
  start();
  t.like(await out.when((m) => m.type === 'error'), { code: 'start-failed', about: 'start', cause: 'INVALID_OPTIONS' });
  end();
});

/** CONTROL's handle over an in-process transport. */
const handleOver = (identifyQueue: IdentifyQueue | null = null) => {
  const inbound = new Subject<unknown>();
  const sent: unknown[] = [];
  const start: StartMessage = { type: 'start', protocol: 1, clusterId: 'c', shardIds: [0], totalShards: 1, token: 't', intents: 0, gateway: { url: 'ws://x', maxConcurrency: 1 }, identify: 'local' };
  const handle = createClusterHandle({
    transport: { send: (m) => sent.push(m), messages$: inbound, close: async () => {} },
    start,
    identifyQueue,
    exited: new Promise(() => {}),
    kill: () => {},
    disconnect: () => {},
    requestTimeoutMs: 50,
  });
  return { handle, sent, reply: (m: unknown) => inbound.next(m) };
};

test('handle.reshard sends the layout, resolves with the report, and rejects with the cluster\'s code', async (t) => {
  const { handle, sent, reply } = handleOver();
  const done = handle.reshard({ totalShards: 3, shardIds: [0, 1, 2] });
  t.deepEqual(sent.at(-1), { type: 'reshard', totalShards: 3, shardIds: [0, 1, 2], nonce: 1 });
  reply({ type: 'resharded', nonce: 1, ...report });
  t.deepEqual(await done, report);

  const cases: Array<[string | undefined, string]> = [
    ['RESHARD_REFUSED', 'RESHARD_REFUSED'],
    ['RESHARD_ABORTED', 'RESHARD_ABORTED'],
    ['CLUSTER_SHUT_DOWN', 'CLUSTER_SHUT_DOWN'],
    ['CONTROL_EXITED', 'PROTOCOL_INVALID'], // a code a reshard cannot have is not raised as is
    [undefined, 'PROTOCOL_INVALID'],
  ];
  for (const [cause, expected] of cases) {
    const failed = handle.reshard({ totalShards: 3, shardIds: [0, 1, 2] }).catch((e: unknown) => e);
    const { nonce } = sent.at(-1) as { nonce: number };
    reply({ type: 'error', code: 'reshard-failed', message: `${cause}: why`, issues: [], about: 'reshard', nonce, ...(cause ? { cause } : {}) });
    const error = await failed;
    t.true(isDisclusterError(error, expected as never), `${cause} → ${String(error)}`);
    t.regex((error as Error).message, /the cluster refused the reshard \(reshard-failed\): .*why/);
  }
});

test('handle.reshard waits past the request timeout by default, and stops waiting after its own timeoutMs', async (t) => {
  const { handle, sent, reply } = handleOver();
  const long = handle.reshard({ totalShards: 2, shardIds: [0, 1] });
  const { nonce } = sent.at(-1) as { nonce: number };
  const timedOut = await handle.reshard({ totalShards: 2, shardIds: [0, 1] }, { timeoutMs: 60 }).catch((e: unknown) => e);
  t.true(isDisclusterError(timedOut, 'CONTROL_TIMEOUT'));
  reply({ type: 'resharded', nonce, ...report }); // well past requestTimeoutMs (50 ms)
  t.deepEqual(await long, report);
});

test('start carries the reshard timings to the cluster', (t) => {
  const timing = { reshardGuildsTimeoutMs: 2000, reshardMatchWindowMs: 1500, reshardTimeoutMs: 30_000 };
  const start = { type: 'start', protocol: 1, clusterId: 'c', shardIds: [0], totalShards: 1, token: 't', intents: 0, gateway: { url: 'ws://x', maxConcurrency: 1 }, identify: 'local', timing };
  const decoded = toCluster(start);
  t.true(E.isRight(decoded) && decoded.right.type === 'start' && startToOptions(decoded.right, null).timing?.reshardTimeoutMs === 30_000);
  t.true(E.isLeft(toCluster({ ...start, timing: { reshardTimeoutMs: -1 } })));
});

test('in control mode, a reshard CONTROL\'s identify queue cannot pay for is refused before anything is sent', async (t) => {
  const queue = createMemoryIdentifyQueue({ maxConcurrency: 1, windowMs: 10, sessionStartLimit: { total: 1000, remaining: 12, resetAfter: 60_000 } });
  const { handle, sent, reply } = handleOver(queue);
  const before = sent.length;
  const refused = await handle.reshard({ totalShards: 12, shardIds: Array.from({ length: 12 }, (_, i) => i) }).catch((e: unknown) => e);
  t.true(isDisclusterError(refused, 'RESHARD_REFUSED'), String(refused));
  t.regex((refused as Error).message, /12 new shards need 14 identifies .* has 12 left/);
  t.is(sent.length, before, 'nothing sent');
  const done = handle.reshard({ totalShards: 10, shardIds: Array.from({ length: 10 }, (_, i) => i) });
  t.like(sent.at(-1), { type: 'reshard', totalShards: 10 });
  reply({ type: 'resharded', nonce: (sent.at(-1) as { nonce: number }).nonce, ...report });
  t.deepEqual(await done, report);
});
