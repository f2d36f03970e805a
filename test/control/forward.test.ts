import test from 'ava';
import { Subject } from 'rxjs';
import { bridgeCluster, type ToControlMessage, type ToControlOf, type Transport } from '../../src/control/index.js';
import { createClusterHandle } from '../../src/control/handle.js';
import { collect } from '../helpers/collect.js';
import { emulator, TOKEN } from './helpers.js';

/** An in-process transport: what the test sends goes to the bridge, what the bridge sends is collected. */
const loopback = () => {
  const toBridge = new Subject<unknown>();
  const fromBridge = new Subject<ToControlMessage>();
  const transport: Transport = { send: (message) => fromBridge.next(message as ToControlMessage), messages$: toBridge, close: async () => {} };
  const out = collect(fromBridge);
  return { transport, out, fromBridge, send: (m: unknown) => toBridge.next(m) };
};

const startOf = (url: string, extra: Record<string, unknown> = {}) => ({
  type: 'start',
  protocol: 1,
  clusterId: 'forward',
  shardIds: [0, 1],
  totalShards: 2,
  token: TOKEN,
  intents: 513,
  gateway: { url, maxConcurrency: 2 },
  identify: 'local',
  compression: 'none',
  timing: { identifyWindowMs: 200 },
  ...extra,
});

type Stats = ToControlOf<'stats'>;
type Out = ReturnType<typeof loopback>;

/** Asks for `stats` until `done` holds of the reply (one request a turn: no timer). */
let nextNonce = 1000;
const statsUntil = async ({ out, send }: Out, done: (s: Stats) => boolean): Promise<Stats> => {
  for (;;) {
    const nonce = nextNonce++;
    send({ type: 'stats', nonce });
    const reply = await out.when((m): m is Stats => m.type === 'stats' && m.nonce === nonce);
    if (done(reply)) return reply;
    await new Promise(setImmediate); // the loopback answers at once: let the sockets have a turn
  }
};

const messagesOf = (s: Stats) => s.shards.reduce((n, shard) => n + (shard.dispatches?.['MESSAGE_CREATE'] ?? 0), 0);

test('a CONTROL that reads nothing: forwarding stops at the window, the rest is counted; a fatal still goes out; its first read brings the drop report', async (t) => {
  const gw = await emulator(t, { shards: 2, maxConcurrency: 2 });
  const link = loopback();
  const { out, send } = link;
  bridgeCluster({ transport: link.transport });
  send(startOf(gw.url, { forward: { dispatches: ['MESSAGE_CREATE'], maxUnreadBytes: 64 << 10 } }));
  await out.when((m) => m.type === 'ready');
  await gw.stream(0, { mix: 'messages', count: 2000 }).done;
  const stats = await statsUntil(link, (s) => messagesOf(s) === 2000);
  const forwarded = out.events.filter((m) => m.type === 'dispatch').length;
  t.log(`forwarded ${forwarded} of 2000; window ${JSON.stringify({ ...stats.forward, dropped: undefined })}`);
  t.true(forwarded > 0 && forwarded < 2000);
  t.like(stats.forward, { maxUnreadBytes: 64 << 10, unreadDispatches: forwarded, forwarded, dropped: { MESSAGE_CREATE: 2000 - forwarded }, gaps: 1 });
  t.true(stats.forward!.unreadBytes <= 64 << 10);

  gw.closeShard(1, 4004); // authentication failed: shard 1 stops for good
  t.like(await out.when((m) => m.type === 'fatal'), { shardId: 1, kind: 'auth' }, 'control messages are never dropped');

  const before = out.events.length;
  send({ type: 'forward-read', read: forwarded });
  const report = (await out.when((m) => m.type === 'forward-dropped')) as ToControlOf<'forward-dropped'>;
  t.is(out.events.indexOf(report), before, 'the report is the first thing after the read');
  t.like(report, { dispatches: { MESSAGE_CREATE: 2000 - forwarded }, total: 2000 - forwarded });
  t.true(report.firstAt <= report.lastAt && report.lastAt <= Date.now());

  gw.dispatch(0, 'MESSAGE_CREATE', { id: 'after' });
  t.like(await out.when((m) => m.type === 'dispatch' && (m.d as { id?: string }).id === 'after'), { shardId: 0 }, 'forwarding goes on after the gap');
  const after = await statsUntil(link, () => true);
  t.like(after.forward, { dropped: { MESSAGE_CREATE: 2000 - forwarded }, gaps: 1, forwarded: forwarded + 1 });
  send({ type: 'shutdown', keepSessions: false, nonce: 1 });
  await out.when((m) => m.type === 'stopped');
});

test('a CONTROL that acknowledges what it reads gets every dispatch, none dropped', async (t) => {
  const gw = await emulator(t, { shards: 2, maxConcurrency: 2 });
  const link = loopback();
  const { out, send } = link;
  let read = 0;
  let acking = false;
  link.fromBridge.subscribe((m) => {
    if (m.type !== 'dispatch') return;
    read++;
    if (acking) return;
    acking = true;
    setImmediate(() => {
      acking = false;
      send({ type: 'forward-read', read });
    });
  });
  bridgeCluster({ transport: link.transport });
  send(startOf(gw.url, { forward: { dispatches: ['MESSAGE_CREATE'] } }));
  await out.when((m) => m.type === 'ready');
  await gw.stream('all', { mix: 'messages', count: 4000 }).done;
  const stats = await statsUntil(link, (s) => messagesOf(s) === 4000);
  t.is(out.events.filter((m) => m.type === 'dispatch').length, 4000);
  t.like(stats.forward, { maxUnreadBytes: 2 << 20, forwarded: 4000, dropped: {}, gaps: 0 });
  t.false(out.events.some((m) => m.type === 'forward-dropped'));
  send({ type: 'shutdown', keepSessions: false, nonce: 1 });
  await out.when((m) => m.type === 'stopped');
});

test('forward.maxUnreadBytes is validated with the rest of start', async (t) => {
  const link = loopback();
  bridgeCluster({ transport: link.transport });
  link.send(startOf('ws://127.0.0.1:1', { forward: { dispatches: ['MESSAGE_CREATE'], maxUnreadBytes: 1024 } }));
  t.like(await link.out.when((m) => m.type === 'error' && m.about === 'start'), { code: 'invalid', issues: [{ path: 'forward.maxUnreadBytes' }] });
  link.send({ type: 'forward-read', read: -1 });
  t.like(await link.out.when((m) => m.type === 'error' && m.about === 'forward-read'), { code: 'invalid' });
  link.send({ type: 'forward-read', read: 5 }); // before start: nothing to acknowledge, nothing happens
  link.send({ type: 'shutdown', keepSessions: false, nonce: 1 });
  await link.out.when((m) => m.type === 'stopped');
  t.is(link.out.events.filter((m) => m.type === 'error').length, 2);
});

test("CONTROL's handle acknowledges the dispatches it took, once a turn, counted before validation, and not in sent$", async (t) => {
  const toHandle = new Subject<unknown>();
  const sent: unknown[] = [];
  let exit = (_code: number) => {};
  const exited = new Promise<number>((resolve) => (exit = resolve));
  const transport: Transport = { send: (m) => sent.push(m), messages$: toHandle, close: async () => {} };
  const start = { ...startOf('ws://127.0.0.1:1'), identify: 'local' } as Parameters<typeof createClusterHandle>[0]['start'];
  const handle = createClusterHandle({ transport, start, identifyQueue: null, exited, kill: () => {}, disconnect: () => {}, requestTimeoutMs: 1000 });
  const logged = collect(handle.sent$);
  const dispatch = (s: number) => ({ type: 'dispatch', shardId: 0, t: 'MESSAGE_CREATE', s, d: {} });
  for (let s = 1; s <= 3; s++) toHandle.next(dispatch(s));
  toHandle.next({ type: 'dispatch', shardId: -1 }); // invalid, but taken from the channel all the same
  toHandle.next({ type: 'pong', nonce: 1, eventLoopLagMs: 0 });
  t.deepEqual(sent, [], 'nothing within the turn');
  await new Promise(setImmediate);
  t.deepEqual(sent, [{ type: 'forward-read', read: 4 }]);
  toHandle.next(dispatch(4));
  await new Promise(setImmediate);
  t.deepEqual(sent.slice(1), [{ type: 'forward-read', read: 5 }]);
  toHandle.next(dispatch(5));
  exit(0); // the pending acknowledgement is cleared with the handle
  await handle.exited;
  await new Promise(setImmediate);
  t.is(sent.length, 2);
  t.deepEqual(logged.events, []);
});
