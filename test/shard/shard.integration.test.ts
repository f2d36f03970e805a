import test, { type ExecutionContext } from 'ava';
import { WebSocketServer } from 'ws';
import { shard } from '../../src/shard/shard.js';
import type { ShardDispatchEvent, ShardEvent, ShardOptions, ShardStatusEvent } from '../../src/shard/types.js';
import { createEmulator, type Emulator, type FrameRecord } from '../../src/testing/index.js';
import { activeResources } from '../helpers/collect.js';
import { shardEmulator, shardOptions, startShard } from './setup.js';

const TOKEN = 'shard-test-token';

/** An emulator closed when the test ends. */
const emulator = (t: ExecutionContext, extra: Parameters<typeof createEmulator>[0] = {}) => shardEmulator(t, TOKEN, extra);

/** A shard stream, unsubscribed when the test ends. */
const start = startShard;

const options = (gw: Emulator, extra: Partial<ShardOptions> = {}): ShardOptions => shardOptions(TOKEN, gw.url, extra);

const isStatus = (status: string) => (e: ShardEvent): e is ShardStatusEvent => e.type === 'status' && e.status === status;
const isDispatch = (t: string, s?: number) => (e: ShardEvent): e is ShardDispatchEvent => e.type === 'dispatch' && e.t === t && (s === undefined || e.s === s);
const frames = (gw: Emulator, op: number) => gw.records.filter((r): r is FrameRecord => r.kind === 'frame' && r.op === op);
const sequenceOf = (events: ShardEvent[], t = 'MESSAGE_CREATE') =>
  events.filter((e): e is ShardDispatchEvent => e.type === 'dispatch' && e.t === t).map((e) => (e.d as { n: number }).n);

/** Emits n MESSAGE_CREATE dispatches carrying 0..n-1 after `from`. */
const emit = (gw: Emulator, from: number, n: number) => {
  for (let i = from; i < from + n; i++) gw.dispatch(0, 'MESSAGE_CREATE', { n: i, content: `m${i}` });
};

for (const compression of ['zlib-stream', 'none'] as const) {
  test(`identify → READY → guilds, over ${compression}`, async (t) => {
    const gw = await emulator(t);
    const run = start(t, shard(options(gw, { compression })));
    await run.when(isStatus('ready'));
    await run.when(isDispatch('GUILD_CREATE'));
    const statuses = run.events.filter((e): e is ShardStatusEvent => e.type === 'status').map((e) => e.status);
    t.deepEqual(statuses, ['connecting', 'identifying', 'ready']);
    const session = run.events.find((e) => e.type === 'session');
    t.like(session, { type: 'session', session: { shardId: 0, totalShards: 1, resumeUrl: gw.resumeUrl } });
    const identify = frames(gw, 2)[0]!;
    t.like(identify.payload, { d: { token: '[redacted]', intents: 513, shard: [0, 1] } });
    t.is(gw.records.find((r) => r.kind === 'open')?.kind === 'open' ? (gw.records.find((r) => r.kind === 'open') as { query: Record<string, string> }).query.compress : 'x', compression === 'none' ? undefined : 'zlib-stream');
    run.subscription.unsubscribe();
    await gw.waitFor((r) => r.kind === 'close' && r.by === 'client');
    await gw.close();
  });
}

test('a dropped connection resumes with the last seq: nothing lost, nothing repeated', async (t) => {
  const gw = await emulator(t);
  const run = start(t, shard(options(gw)));
  await run.when(isStatus('ready'));
  emit(gw, 0, 20);
  await run.when((e) => isDispatch('MESSAGE_CREATE')(e) && (e.d as { n: number }).n === 19);
  gw.drop(0);
  emit(gw, 20, 20); // while the shard is away: kept for the resume
  await run.when(isStatus('resumed'));
  emit(gw, 40, 10);
  await run.when((e) => isDispatch('MESSAGE_CREATE')(e) && (e.d as { n: number }).n === 49);
  t.deepEqual(sequenceOf(run.events), Array.from({ length: 50 }, (_, i) => i));
  const resume = frames(gw, 6)[0]!;
  t.is(resume.path, '/resume');
  const lastBefore = run.events.filter((e): e is ShardDispatchEvent => e.type === 'dispatch').find((e) => (e.d as { n?: number }).n === 19)!;
  t.like(resume.payload, { d: { token: '[redacted]', seq: lastBefore.s } });
  const seqs = run.events.filter((e): e is ShardDispatchEvent => e.type === 'dispatch').map((e) => e.s);
  t.deepEqual(seqs, [...seqs].sort((a, b) => a - b));
  t.is(new Set(seqs).size, seqs.length);
  t.is(frames(gw, 2).length, 1, 'identified once');
  run.subscription.unsubscribe();
  await gw.close();
});

test('op 7 reconnects and resumes', async (t) => {
  const gw = await emulator(t);
  const run = start(t, shard(options(gw)));
  await run.when(isStatus('ready'));
  gw.reconnect(0);
  await run.when(isStatus('resumed'));
  t.is(frames(gw, 6).length, 1);
  t.is(frames(gw, 2).length, 1);
  run.subscription.unsubscribe();
  await gw.close();
});

test('op 9 true resumes; op 9 false reports the lost session and identifies on the gateway URL', async (t) => {
  const gw = await emulator(t);
  const run = start(t, shard(options(gw)));
  await run.when(isStatus('ready'));
  gw.invalidate(0, true);
  await run.when(isStatus('resumed'));
  emit(gw, 0, 3);
  await run.when((e) => isDispatch('MESSAGE_CREATE')(e) && (e.d as { n: number }).n === 2);
  gw.invalidate(0, false);
  const lost = await run.when((e) => e.type === 'session-lost');
  t.like(lost, { type: 'session-lost', shardId: 0, reason: 'invalid session (op 9)' });
  t.true((lost as { lastSeq: number }).lastSeq >= 3);
  await run.when((e) => e.type === 'status' && e.status === 'ready' && run.events.filter(isStatus('ready')).length === 2);
  const identifies = frames(gw, 2);
  t.deepEqual(gw.violations, []);
  t.is(identifies.length, 2, JSON.stringify(gw.records.filter((r) => r.kind !== 'frame' || r.op !== 1), null, 0));
  t.is(identifies[1]!.path, '/');
  run.subscription.unsubscribe();
  await gw.close();
});

test('close codes by class: 4000 resumes, 4009 re-identifies, 4004 and 4014 are fatal and end the stream', async (t) => {
  const gw = await emulator(t);
  const run = start(t, shard(options(gw)));
  await run.when(isStatus('ready'));
  gw.closeShard(0, 4000);
  await run.when(isStatus('resumed'));
  gw.closeShard(0, 4009);
  await run.when((e) => e.type === 'session-lost');
  await run.when(() => run.events.filter(isStatus('ready')).length === 2);
  t.is(frames(gw, 2).length, 2);
  gw.closeShard(0, 4004);
  const fatal = await run.when((e) => e.type === 'fatal');
  t.like(fatal, { type: 'fatal', code: 4004, kind: 'auth' });
  await run.done;
  t.false(JSON.stringify(run.events).includes(TOKEN));
  await gw.close();

  const gw2 = await emulator(t, { privilegedIntents: 0 });
  const run2 = start(t, shard(options(gw2, { intents: 1 << 8 })));
  const fatal2 = await run2.when((e) => e.type === 'fatal');
  t.like(fatal2, { code: 4014, kind: 'intents' });
  await run2.done;
  t.is(frames(gw2, 2).length, 1, 'no retry after a fatal code');
  await gw2.close();
});

// Serial: alone in its process. A connection the read turn holds back, because another test's
// storm in the same process spent a turn, counts as delivering until its next beat (heartbeat.ts),
// which would let this silent one go one interval longer.
test.serial('a zombie connection is caught within two intervals and resumed', async (t) => {
  const gw = await emulator(t);
  const run = start(t, shard(options(gw)));
  await run.when(isStatus('ready'));
  await run.when((e) => e.type === 'heartbeat');
  const heartbeatsSent = () => frames(gw, 1).length;
  gw.zombie(0, true);
  const before = heartbeatsSent();
  const reconnecting = await run.when((e) => e.type === 'status' && e.status === 'reconnecting');
  t.like(reconnecting, { reason: 'zombie' });
  // two intervals counted in heartbeats, not wall time (a loaded machine stretches the wall): at
  // most one heartbeat goes unanswered, plus one that was on its way when the ACKs stopped
  t.true(heartbeatsSent() - before <= 2, `${heartbeatsSent() - before} heartbeats sent before the zombie was caught`);
  await run.when(isStatus('resumed'));
  run.subscription.unsubscribe();
  await gw.close();
});

test('no Hello in time: the shard reconnects with backoff', async (t) => {
  const silent = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise((resolve) => silent.once('listening', resolve));
  let connections = 0;
  silent.on('connection', () => connections++);
  const address = silent.address() as { port: number };
  const run = start(t, shard({ ...options({ url: `ws://127.0.0.1:${address.port}` } as Emulator), timing: { helloTimeoutMs: 100, backoff: { initialMs: 10, maxMs: 20 } } }));
  const status = await run.when((e) => e.type === 'status' && e.status === 'reconnecting');
  t.like(status, { reason: 'hello-timeout' });
  await run.when(() => connections >= 2);
  t.true(connections >= 2);
  run.subscription.unsubscribe();
  for (const client of silent.clients) client.terminate();
  await new Promise((resolve) => silent.close(resolve));
});

test('a repeated Hello changes nothing: one identify, one identifying status, and the shard gets READY', async (t) => {
  const server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise((resolve) => server.once('listening', resolve));
  const received: { op: number }[] = [];
  server.on('connection', (socket) => {
    const hello = JSON.stringify({ op: 10, d: { heartbeat_interval: 60_000 } });
    socket.send(hello);
    socket.send(hello);
    socket.on('message', (data) => {
      const frame = JSON.parse(String(data)) as { op: number };
      received.push(frame);
      if (frame.op === 2) {
        socket.send(hello);
        socket.send(JSON.stringify({ op: 0, t: 'READY', s: 1, d: { session_id: 's', resume_gateway_url: 'ws://127.0.0.1:1', v: 10 } }));
      }
    });
  });
  const address = server.address() as { port: number };
  const run = start(t, shard({ ...options({ url: `ws://127.0.0.1:${address.port}` } as Emulator), compression: 'none', random: () => 0.5, timing: { helloTimeoutMs: 1000 } }));
  await run.when(isStatus('ready'));
  t.deepEqual(received.map((f) => f.op), [2], 'one identify; the first beat is 30 s away');
  t.is(run.events.filter(isStatus('identifying')).length, 1);
  run.subscription.unsubscribe();
  for (const client of server.clients) client.terminate();
  await new Promise((resolve) => server.close(resolve));
});

test('events: an unwanted dispatch is skipped from its head, never parsed: a body that is not JSON does no harm', async (t) => {
  const server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise((resolve) => server.once('listening', resolve));
  server.on('connection', (socket) => {
    socket.send(JSON.stringify({ op: 10, d: { heartbeat_interval: 60_000 } }));
    socket.on('message', (data) => {
      if ((JSON.parse(String(data)) as { op: number }).op !== 2) return;
      socket.send(JSON.stringify({ t: 'READY', s: 1, op: 0, d: { session_id: 's', resume_gateway_url: 'ws://127.0.0.1:1', v: 10 } }));
      socket.send('{"t":"TYPING_START","s":2,"op":0,"d":{not json at all');
      socket.send(JSON.stringify({ t: 'MESSAGE_CREATE', s: 3, op: 0, d: { n: 1 } }));
    });
  });
  const address = server.address() as { port: number };
  const run = start(t, shard({ ...options({ url: `ws://127.0.0.1:${address.port}` } as Emulator), compression: 'none', events: ['MESSAGE_CREATE'], random: () => 0.5 }));
  const message = await run.when(isDispatch('MESSAGE_CREATE'));
  t.is(message.s, 3);
  t.deepEqual(run.events.filter((e) => e.type === 'status').map((e) => (e as ShardStatusEvent).status), ['connecting', 'identifying', 'ready'], 'no decode error, no reconnect');
  run.subscription.unsubscribe();
  for (const client of server.clients) client.terminate();
  await new Promise((resolve) => server.close(resolve));
});

test('500 user commands in a burst never draw a 4008', async (t) => {
  const sendLimit = { count: 60, windowMs: 1000 };
  const gw = await emulator(t, { sendLimit, heartbeatInterval: 100 });
  const { Subject } = await import('rxjs');
  const commands$ = new Subject<import('../../src/shard/types.js').CommandRequest>();
  const run = start(t, shard(options(gw, { commands$, sendLimit })));
  const results: boolean[] = [];
  for (let i = 0; i < 500; i++) commands$.next({ command: { op: 3, d: { since: null, activities: [], status: 'online', afk: false } }, settle: (r) => results.push(r.ok) });
  await run.when(isStatus('ready'));
  await run.when(() => results.length === 500, 20_000);
  t.true(results.every(Boolean));
  await gw.waitFor((r) => r.kind === 'frame' && r.op === 3 && frames(gw, 3).length === 500, 20_000);
  t.deepEqual(gw.violations, []);
  t.is(frames(gw, 1).length > 0, true, 'heartbeats went on during the burst');
  run.subscription.unsubscribe();
  await gw.close();
});

test('a command that cannot be sent is refused with a clear error', async (t) => {
  const gw = await emulator(t);
  const { Subject } = await import('rxjs');
  const commands$ = new Subject<import('../../src/shard/types.js').CommandRequest>();
  const run = start(t, shard(options(gw, { commands$ })));
  const results: Array<{ ok: boolean; code?: string }> = [];
  const settle = (r: { ok: boolean; error?: { code: string } }) => results.push(r.ok ? { ok: true } : { ok: false, code: r.error!.code });
  commands$.next({ command: { op: 3, d: 'x'.repeat(5000) }, settle });
  commands$.next({ command: { op: 2 as never, d: { token: 'x' } }, settle });
  commands$.next({ command: null as never, settle });
  t.deepEqual(results, [
    { ok: false, code: 'ENCODE_TOO_LARGE' },
    { ok: false, code: 'COMMAND_REJECTED' },
    { ok: false, code: 'COMMAND_REJECTED' },
  ]);
  run.subscription.unsubscribe();
  await gw.close();
});

test('bad options are a clear error naming the option, never the token', async (t) => {
  const gw = await emulator(t);
  const run = start(t, shard(options(gw, { shardId: 3, totalShards: 2 })));
  await run.done;
  const error = await t.throwsAsync(run.when(() => true));
  t.regex(error!.message, /shardId must be an integer from 0 to 1/);
  t.false(error!.message.includes(TOKEN));
  await gw.close();
});

test.serial('unsubscribing closes the socket with 1000 and leaves no handle behind; keepSession closes with 4000', async (t) => {
  const gw = await emulator(t);
  const baseline = activeResources();
  const run = start(t, shard(options(gw)));
  await run.when(isStatus('ready'));
  await run.when((e) => e.type === 'heartbeat');
  run.subscription.unsubscribe();
  const close = await gw.waitFor((r) => r.kind === 'close');
  t.like(close, { code: 1000, by: 'client' });
  await waitUntil(() => sameResources(activeResources(), baseline));
  t.deepEqual(activeResources(), baseline);

  const kept = start(t, shard(options(gw, { keepSessionOnUnsubscribe: true })));
  await kept.when(isStatus('ready'));
  kept.subscription.unsubscribe();
  await gw.waitFor((r) => r.kind === 'close' && r.code === 4000 && r.by === 'client');
  await gw.waitFor((r) => r.kind === 'session' && r.event === 'detached');
  t.true(gw.sessions.some((s) => !s.live), 'the session stays resumable');
  await gw.close();
});

test.serial('an identify queue that refuses at once (budget spent): fatal, and no socket or timer left behind', async (t) => {
  const gw = await emulator(t);
  const baseline = activeResources();
  const { throwError } = await import('rxjs');
  const { DisclusterError } = await import('../../src/gateway/errors.js');
  const refusing = { acquire: () => throwError(() => new DisclusterError('IDENTIFY_BUDGET_EXHAUSTED', 'no identify left until the budget resets')) };
  // a hello timeout far beyond the wait below: a timer left behind would show
  const run = start(t, shard({ ...options(gw, { identifyQueue: refusing }), timing: { helloTimeoutMs: 60_000 } }));
  const fatal = await run.when((e) => e.type === 'fatal');
  t.like(fatal, { type: 'fatal', kind: 'identify-budget' });
  await run.done;
  await waitUntil(() => sameResources(activeResources(), baseline));
  t.deepEqual(activeResources(), baseline);
  await gw.close();
});

const sameResources = (a: string[], b: string[]) => JSON.stringify(a) === JSON.stringify(b);

/** Polls a condition on the event loop (no fixed sleep); fails after 2 s. */
const waitUntil = async (condition: () => boolean) => {
  const deadline = performance.now() + 2000;
  while (!condition() && performance.now() < deadline) await new Promise((resolve) => setImmediate(resolve));
};

test('a resume_gateway_url that is not ws: or wss: is refused: the resume goes to the gateway URL', async (t) => {
  const gw = await emulator(t);
  const first = start(t, shard(options(gw, { keepSessionOnUnsubscribe: true })));
  const session = (await first.when((e) => e.type === 'session' && e.session !== null)) as { session: { sessionId: string; seq: number } };
  await first.when(isStatus('ready'));
  first.subscription.unsubscribe();
  await gw.waitFor((r) => r.kind === 'session' && r.event === 'detached');
  const tampered = { ...session.session, resumeUrl: 'http://attacker.example/', shardId: 0, totalShards: 1 };
  const second = start(t, shard(options(gw, { session: tampered })));
  await second.when(isStatus('resumed'));
  const resume = frames(gw, 6)[0]!;
  t.is(resume.path, '/');
  t.false(gw.records.some((r) => r.kind === 'open' && r.path === '/resume'));
});

for (const compression of ['zlib-stream', 'none'] as const) {
  test(`events: unwanted dispatches are skipped unparsed over ${compression}, yet the sequence they carry is kept for resume`, async (t) => {
    const gw = await emulator(t);
    const run = start(t, shard(options(gw, { compression, events: ['MESSAGE_CREATE'] })));
    await run.when(isStatus('ready'));
    for (let i = 0; i < 10; i++) {
      gw.dispatch(0, 'TYPING_START', { channel_id: '1', user_id: '2', timestamp: i });
      gw.dispatch(0, 'MESSAGE_CREATE', { n: i });
    }
    const lastSeq = gw.dispatch(0, 'TYPING_START', { channel_id: '1', user_id: '2', timestamp: 99 });
    await run.when((e) => isDispatch('MESSAGE_CREATE')(e) && (e.d as { n: number }).n === 9);
    gw.drop(0);
    await run.when(isStatus('resumed'));
    const names = new Set(run.events.filter((e): e is ShardDispatchEvent => e.type === 'dispatch').map((e) => e.t));
    t.deepEqual([...names], ['MESSAGE_CREATE'], 'READY and RESUMED are read by the shard but delivered only when asked for');
    t.like(frames(gw, 6)[0]!.payload, { d: { seq: lastSeq } });
  });
}
