import test from 'ava';
import * as E from 'fp-ts/lib/Either.js';
import { Subject } from 'rxjs';
import { bridgeCluster, decodeMessage, TO_CLUSTER, TO_CLUSTER_LIMITS, TO_CONTROL, TO_CONTROL_LIMITS, type ToControlMessage, type Transport } from '../../src/control/index.js';
import { STOP_DEADLINE_MS } from '../../src/cluster/signal-stop.js';
import { collect } from '../helpers/collect.js';
import { everyClose } from '../helpers/closes.js';
import { emulator, TOKEN } from './helpers.js';

const snapshot = { sessionId: 'abc', seq: 3, resumeUrl: 'wss://gateway.example', shardId: 0, totalShards: 1 };
const decodes = (message: unknown) => E.isRight(decodeMessage(TO_CONTROL, message, TO_CONTROL_LIMITS));

test('stopping and sessions-kept are decoded by CONTROL; a signal other than SIGTERM / SIGINT or a bad snapshot is refused', (t) => {
  t.true(decodes({ type: 'stopping', signal: 'SIGTERM', deadlineMs: 8000 }));
  t.true(decodes({ type: 'stopping', signal: 'SIGINT', deadlineMs: 0 }));
  t.false(decodes({ type: 'stopping', signal: 'SIGKILL', deadlineMs: 8000 }));
  t.false(decodes({ type: 'stopping', signal: 'SIGTERM' }));
  t.true(decodes({ type: 'sessions-kept', signal: 'SIGINT', sessions: [snapshot] }));
  t.true(decodes({ type: 'sessions-kept', signal: 'SIGTERM', sessions: [] }));
  t.false(decodes({ type: 'sessions-kept', signal: 'SIGTERM', sessions: [{ ...snapshot, seq: -1 }] }));
  t.false(decodes({ type: 'sessions-kept', sessions: [snapshot] }));
});

test('start.stopDeadlineMs is optional and bounded to 1..600000 ms', (t) => {
  const start = { type: 'start', protocol: 1, clusterId: 'c', shardIds: [0], totalShards: 1, token: 't', intents: 1, gateway: { url: 'wss://x', maxConcurrency: 1 }, identify: 'local' };
  const ok = (extra: object) => E.isRight(decodeMessage(TO_CLUSTER, { ...start, ...extra }, TO_CLUSTER_LIMITS));
  t.true(ok({}));
  t.true(ok({ stopDeadlineMs: 300 }));
  t.false(ok({ stopDeadlineMs: 0 }));
  t.false(ok({ stopDeadlineMs: 600_001 }));
  t.false(ok({ stopDeadlineMs: 1.5 }));
});

/** An in-process transport: the bridge's messages collected, its channel's close seen. */
const loopback = () => {
  const toBridge = new Subject<unknown>();
  const fromBridge = new Subject<ToControlMessage>();
  let closed = false;
  const transport: Transport = { send: (m) => fromBridge.next(m as ToControlMessage), messages$: toBridge, close: async () => void (closed = true) };
  return { transport, out: collect(fromBridge), send: (m: unknown) => toBridge.next(m), closed: () => closed };
};

test('bridge.stopOnSignal: stopping (with start.stopDeadlineMs), every shard closed with 4000, sessions-kept with the snapshots, channel closed, done', async (t) => {
  const gw = await emulator(t, { shards: 2 });
  const { transport, out, send, closed } = loopback();
  const bridge = bridgeCluster({ transport, pid: 1 });
  t.is(bridge.stopDeadlineMs, STOP_DEADLINE_MS);
  send({ type: 'start', protocol: 1, clusterId: 'c', shardIds: [0, 1], totalShards: 2, token: TOKEN, intents: 513, gateway: { url: gw.url, maxConcurrency: 1 }, identify: 'local', compression: 'none', timing: { identifyWindowMs: 200 }, stopDeadlineMs: 1234 });
  await out.when((m) => m.type === 'ready');
  t.is(bridge.stopDeadlineMs, 1234);
  await bridge.stopOnSignal('SIGTERM');
  await bridge.done;
  t.true(closed());
  const types = out.events.map((m) => m.type);
  t.true(types.indexOf('stopping') < types.indexOf('sessions-kept'));
  t.deepEqual(out.events.find((m) => m.type === 'stopping'), { type: 'stopping', signal: 'SIGTERM', deadlineMs: 1234 });
  const kept = out.events.find((m) => m.type === 'sessions-kept');
  t.deepEqual(kept?.type === 'sessions-kept' ? kept.sessions.map((s) => s.shardId).sort() : null, [0, 1]);
  t.true(out.events.every((m) => decodes(m)), 'every message is valid for CONTROL');
  const closes = await everyClose(gw);
  t.is(closes.filter((r) => r.by === 'client' && r.code === 4000).length, 2);
  t.false(JSON.stringify(out.events).includes(TOKEN));
});

test('bridge.stopOnSignal before start: stopping, then sessions-kept with no sessions', async (t) => {
  const { transport, out } = loopback();
  const bridge = bridgeCluster({ transport, pid: 1 });
  await bridge.stopOnSignal('SIGINT');
  await bridge.done;
  t.like(out.events.find((m) => m.type === 'sessions-kept'), { signal: 'SIGINT', sessions: [] });
});
