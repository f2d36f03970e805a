import test, { type ExecutionContext } from 'ava';
import { WebSocketServer } from 'ws';
import { shard } from '../../src/shard/shard.js';
import type { ShardDispatchEvent, ShardEvent, ShardMessageDroppedEvent, ShardOptions, ShardStatusEvent } from '../../src/shard/types.js';
import { createEmulator, type Emulator } from '../../src/testing/index.js';
import { shardEmulator, shardOptions, startShard } from './setup.js';

const TOKEN = 'unreadable-test-token';
const CAP = 65_536;

const emulator = (t: ExecutionContext, extra: Parameters<typeof createEmulator>[0] = {}) => shardEmulator(t, TOKEN, extra);
const options = (gw: Emulator, extra: Partial<ShardOptions> = {}): ShardOptions => shardOptions(TOKEN, gw.url, { maxMessageBytes: CAP, ...extra });

const isStatus = (status: string) => (e: ShardEvent): e is ShardStatusEvent => e.type === 'status' && e.status === status;
const isDropped = (e: ShardEvent): e is ShardMessageDroppedEvent => e.type === 'message-dropped';
const isMessage = (n: number) => (e: ShardEvent): e is ShardDispatchEvent => e.type === 'dispatch' && e.t === 'MESSAGE_CREATE' && (e.d as { n?: number }).n === n;
const opens = (gw: Emulator) => gw.records.filter((r) => r.kind === 'open').length;

/** A MESSAGE_CREATE of ~200 KB that deflate cannot shrink to nothing. */
const hugeMessage = (n: number) => ({ n, content: Array.from({ length: 20_000 }, (_, i) => ((i * 2654435761) % 1_000_003).toString(36)).join(' ') });

for (const compression of ['zlib-stream'] as const) {
  test(`a GUILD_CREATE over maxMessageBytes at startup (${compression}): dropped and reported with its size, the shard ready, no identify spent on it`, async (t) => {
    const gw = await emulator(t, { guilds: 3, largeGuilds: [1] });
    const shard$ = startShard(t, shard(options(gw, { compression })));
    await shard$.when(isStatus('ready'));
    const dropped = await shard$.when(isDropped);
    t.like(dropped, { shardId: 0, reason: 'too-large', t: 'GUILD_CREATE' });
    t.true(dropped.bytes > CAP, `its size: ${dropped.bytes}`);
    t.is(typeof dropped.s, 'number');
    // the other guilds come, and later events too, on the same connection
    const guildsOf = () => shard$.events.filter((e): e is ShardDispatchEvent => e.type === 'dispatch' && e.t === 'GUILD_CREATE');
    await shard$.when(() => guildsOf().length === 2);
    const guilds = guildsOf();
    t.false(guilds.some((g) => g.s === dropped.s));
    gw.dispatch(0, 'MESSAGE_CREATE', { n: 1 });
    const next = await shard$.when(isMessage(1));
    t.is(next.s, dropped.s! + 2, 'the sequence went on past the dropped message');
    t.true(gw.acceptedIdentifies.length <= 2, `identifies: ${gw.acceptedIdentifies.length}`);
    t.is(gw.acceptedIdentifies.length, 1, 'not even the one extra identify the issue allows');
    t.is(opens(gw), 1, 'one connection throughout');
    t.false(shard$.events.some(isStatus('reconnecting')));
  });
}

test('uncompressed, a GUILD_CREATE over maxMessageBytes cannot be skipped (ws refuses the frame and closes): the loop guard stops the identifies', async (t) => {
  const gw = await emulator(t, { guilds: 3, largeGuilds: [1] });
  const shard$ = startShard(t, shard(options(gw, { compression: 'none' })));
  const paused = await shard$.when((e) => e.type === 'identify-loop', 15_000);
  t.like(paused, { type: 'identify-loop', identifies: 3 });
  // the setup's backoff tops out at 100 ms: the guard's window is 500 ms, its pauses 200 ms to 1.5 s
  t.true((paused as { waitMs: number }).waitMs >= 200);
  // three when the pause is decided; a 200 ms pause may be over by the time a loaded machine runs this line
  t.true(gw.acceptedIdentifies.length <= 4, `identifies: ${gw.acceptedIdentifies.length}`);
});

test('a dispatch over maxMessageBytes mid-stream: no identify, no reconnect, the session kept, the next events delivered', async (t) => {
  const gw = await emulator(t);
  const shard$ = startShard(t, shard(options(gw)));
  await shard$.when(isStatus('ready'));
  gw.dispatch(0, 'MESSAGE_CREATE', { n: 0 });
  const bigS = gw.dispatch(0, 'MESSAGE_CREATE', hugeMessage(1));
  for (let n = 2; n < 6; n++) gw.dispatch(0, 'MESSAGE_CREATE', { n });
  await shard$.when(isMessage(5));
  const dropped = await shard$.when(isDropped);
  t.like(dropped, { reason: 'too-large', t: 'MESSAGE_CREATE', s: bigS });
  t.true(dropped.bytes > CAP);
  const got = shard$.events.filter((e): e is ShardDispatchEvent => e.type === 'dispatch' && e.t === 'MESSAGE_CREATE').map((e) => (e.d as { n: number }).n);
  t.deepEqual(got, [0, 2, 3, 4, 5]);
  t.is(gw.acceptedIdentifies.length, 1);
  t.is(opens(gw), 1);
  t.false(shard$.events.some(isStatus('reconnecting')));
  // the session and its sequence are intact: a resume after a drop replays nothing already seen
  gw.drop(0);
  await shard$.when(isStatus('resumed'));
  t.is(gw.acceptedIdentifies.length, 1);
  t.is(shard$.events.filter(isDropped).length, 1, 'the dropped message is not replayed');
});

test('a message that is not JSON (uncompressed) is dropped and reported; the connection goes on', async (t) => {
  const gw = await emulator(t);
  const shard$ = startShard(t, shard(options(gw, { compression: 'none' })));
  await shard$.when(isStatus('ready'));
  gw.truncate(0);
  gw.dispatch(0, 'MESSAGE_CREATE', { n: 7 });
  await shard$.when(isMessage(7));
  const dropped = await shard$.when(isDropped);
  t.like(dropped, { reason: 'invalid-json' });
  t.is(opens(gw), 1);
  t.false(shard$.events.some(isStatus('reconnecting')));
});

test('a Hello that cannot be read twice in a row is a fatal of kind unreadable, not a loop', async (t) => {
  const server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise((resolve) => server.once('listening', resolve));
  let connections = 0;
  server.on('connection', (socket) => {
    connections++;
    socket.send(JSON.stringify({ op: 10, t: null, s: null, d: { heartbeat_interval: -1 } }));
  });
  t.teardown(() => new Promise<void>((resolve) => {
    for (const client of server.clients) client.terminate();
    server.close(() => resolve());
  }));
  const { port } = server.address() as { port: number };
  const shard$ = startShard(t, shard(shardOptions(TOKEN, `ws://127.0.0.1:${port}`, { compression: 'none' })));
  const fatal = await shard$.when((e) => e.type === 'fatal');
  t.like(fatal, { type: 'fatal', kind: 'unreadable', code: null });
  t.regex((fatal as { reason: string }).reason, /Hello could not be read twice/);
  await shard$.done;
  t.is(connections, 2);
});

test('the identify loop guard: a gateway that ends every session right after READY gets three identifies, then a reported pause', async (t) => {
  const gw = await emulator(t);
  const loop = { maxUnheld: 3, windowMs: 60_000, holdMs: 60_000, pauseMs: { initial: 30_000, max: 60_000 } };
  const base = options(gw);
  const shard$ = startShard(t, shard({ ...base, timing: { ...base.timing, identifyLoop: loop } }));
  const invalidateOnReady = gw.records$.subscribe((r) => {
    if (r.kind === 'session' && r.event === 'created') setImmediate(() => gw.invalidate(0, false));
  });
  t.teardown(() => invalidateOnReady.unsubscribe());
  const paused = await shard$.when((e) => e.type === 'identify-loop', 10_000);
  t.like(paused, { type: 'identify-loop', shardId: 0, identifies: 3, windowMs: 60_000 });
  t.true((paused as { waitMs: number }).waitMs >= 30_000);
  t.is(gw.acceptedIdentifies.length, 3);
});
