import test from 'ava';
import { Subject } from 'rxjs';
import { bridgeCluster, type ToControlMessage, type Transport } from '../../src/control/index.js';
import { collect } from '../helpers/collect.js';
import { emulator, TOKEN } from './helpers.js';

/** An in-process transport: what the test sends goes to the bridge, what the bridge sends is collected. */
const loopback = () => {
  const toBridge = new Subject<unknown>();
  const fromBridge = new Subject<ToControlMessage>();
  let closed = false;
  const transport: Transport = {
    send: (message) => fromBridge.next(message as ToControlMessage),
    messages$: toBridge,
    close: async () => {
      closed = true;
    },
  };
  const out = collect(fromBridge);
  return { transport, out, send: (m: unknown) => toBridge.next(m), end: () => toBridge.complete(), closed: () => closed };
};

const startOf = (url: string, extra: Record<string, unknown> = {}) => ({
  type: 'start',
  protocol: 1,
  clusterId: 'in-process',
  shardIds: [0],
  totalShards: 1,
  token: TOKEN,
  intents: 513,
  gateway: { url, maxConcurrency: 1 },
  identify: 'local',
  compression: 'none',
  timing: { identifyWindowMs: 200 },
  ...extra,
});

test('before start: requests are refused or answered empty; a bad start leaves the bridge waiting for a good one', async (t) => {
  const gw = await emulator(t);
  const { transport, out, send } = loopback();
  bridgeCluster({ transport, pid: 1 });
  t.deepEqual(out.events[0], { type: 'spawned', protocol: 1, pid: 1 });
  send({ type: 'command', shardId: 0, payload: { op: 3, d: {} }, nonce: 1 });
  t.like(await out.when((m) => m.type === 'error' && m.nonce === 1), { code: 'not-started', about: 'command' });
  send({ type: 'stats', nonce: 2 });
  t.like(await out.when((m) => m.type === 'stats'), { nonce: 2, shards: [] });
  send({ ...startOf(gw.url), intents: -1 });
  t.like(await out.when((m) => m.type === 'error' && m.about === 'start'), { code: 'invalid', issues: [{ path: 'intents' }] });
  send(startOf(gw.url, { shardIds: [3] }));
  const failed = await out.when((m) => m.type === 'error' && m.code === 'start-failed');
  t.regex((failed as { message: string }).message, /INVALID_OPTIONS/);
  send(startOf(gw.url));
  t.like(await out.when((m) => m.type === 'ready'), { shardIds: [0], failed: [] });
  send({ type: 'shutdown', keepSessions: false, nonce: 3 });
  t.like(await out.when((m) => m.type === 'stopped'), { nonce: 3, sessions: [] });
  t.false(JSON.stringify(out.events).includes(TOKEN));
});

test('a start whose every shard goes fatal still reports ready, with every shard failed', async (t) => {
  const gw = await emulator(t, { privilegedIntents: 0 });
  const { transport, out, send } = loopback();
  bridgeCluster({ transport });
  send(startOf(gw.url, { intents: 1 << 1 })); // GUILD_MEMBERS, not allowed here
  t.like(await out.when((m) => m.type === 'fatal'), { shardId: 0, code: 4014, kind: 'intents' });
  t.like(await out.when((m) => m.type === 'ready'), { shardIds: [], failed: [0] });
  send({ type: 'shutdown', keepSessions: false, nonce: 1 });
  await out.when((m) => m.type === 'stopped');
});

test('shutdown before start stops at once; the channel closing shuts a started cluster down', async (t) => {
  const idle = loopback();
  const bridge = bridgeCluster({ transport: idle.transport });
  idle.send({ type: 'shutdown', keepSessions: true, nonce: 5 });
  t.like(await idle.out.when((m) => m.type === 'stopped'), { nonce: 5, sessions: [] });
  await bridge.done;
  t.true(idle.closed());

  const gw = await emulator(t);
  const running = loopback();
  const second = bridgeCluster({ transport: running.transport });
  running.send(startOf(gw.url, { forward: { dispatches: ['GUILD_CREATE'] } }));
  t.like(await running.out.when((m) => m.type === 'dispatch'), { type: 'dispatch', shardId: 0, t: 'GUILD_CREATE' });
  running.end();
  await second.done;
  t.like(await gw.waitFor((r) => r.kind === 'close'), { by: 'client', code: 1000 });
});
