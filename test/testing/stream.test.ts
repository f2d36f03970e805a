import test from 'ava';
import type { Socket } from 'node:net';
import { createEmulator, shardOf } from '../../src/testing/index.js';
import { delay, emulator, ready, TOKEN, type Client } from './helpers.js';

const dispatches = (c: Client, after: number) => c.frames.filter((f) => f.op === 0 && f.s! > after);

test('stream sends exactly count events with consecutive sequence numbers', async (t) => {
  const gw = await emulator(t, { guilds: 4 });
  const { client } = await ready(gw.url, TOKEN, [0, 1]);
  const start = gw.sessions[0]!.seq;
  const handle = gw.stream(0, { count: 500, mix: 'messages' });
  t.deepEqual(await handle.done, { sent: 500 });
  await client.frame((f) => f.s === start + 500);
  const got = dispatches(client, start);
  t.is(got.length, 500);
  t.true(got.every((f, i) => f.s === start + 1 + i && f.t === 'MESSAGE_CREATE'));
  t.is(new Set(got.map((f) => f.d.id)).size, 500, 'ids are unique within the pool');
  await client.close();
});

test('the realistic mix looks like Discord traffic and routes every guild event to its shard', async (t) => {
  const gw = await emulator(t, { guilds: 12, shards: 3 });
  const { client } = await ready(gw.url, TOKEN, [2, 3]);
  const start = gw.sessions[0]!.seq;
  await gw.stream(2, { count: 3000 }).done;
  await client.frame((f) => f.s === start + 3000, 10_000);
  const got = dispatches(client, start);
  const kinds = new Map<string, number>();
  for (const f of got) kinds.set(f.t!, (kinds.get(f.t!) ?? 0) + 1);
  t.true(kinds.get('MESSAGE_CREATE')! > 1200 && kinds.get('TYPING_START')! > 700 && kinds.get('PRESENCE_UPDATE')! > 400, JSON.stringify([...kinds]));
  const big = got.filter((f) => f.t === 'GUILD_CREATE');
  t.true(big.length > 0 && big.every((f) => f.text.length > 100 * 1024));
  t.true(got.every((f) => f.d.guild_id === undefined || shardOf(f.d.guild_id, 3) === 2));
  t.true(got.every((f) => (f.t === 'GUILD_CREATE' ? shardOf(f.d.id, 3) === 2 : true)));
  const message = got.find((f) => f.t === 'MESSAGE_CREATE')!;
  t.regex(message.d.id, /^\d{17,20}$/);
  t.regex(message.d.author.id, /^\d{17,20}$/);
  t.regex(message.d.timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00$/);
  t.true(gw.guildsOf(2, 3).some((g) => g.textChannelIds.includes(message.d.channel_id)));
  await client.close();
});

test('one seed gives the same traffic; another seed gives other traffic', async (t) => {
  const run = async (seed: number) => {
    const gw = await createEmulator({ guilds: 5, seed });
    try {
      const { client } = await ready(gw.url, TOKEN, [0, 1]);
      await gw.stream(0, { count: 300 }).done;
      await client.frame((f) => f.s === 306);
      return client.frames.map((f) => f.text).filter((text) => !text.includes('"READY"'));
    } finally {
      await gw.close();
    }
  };
  const [a, b, c] = [await run(7), await run(7), await run(8)];
  t.deepEqual(a, b);
  t.notDeepEqual(a, c);
});

test('stamp adds d.emulator_ts as the first key', async (t) => {
  const gw = await emulator(t, { guilds: 1 });
  const { client } = await ready(gw.url, TOKEN, [0, 1]);
  const before = performance.timeOrigin + performance.now();
  await gw.stream(0, { count: 20, stamp: true }).done;
  await client.frame((f) => f.s === 22);
  const after = performance.timeOrigin + performance.now();
  for (const f of dispatches(client, 2)) {
    t.regex(f.text, /"d":\{"emulator_ts":[\d.]+,/);
    t.true(f.d.emulator_ts >= before && f.d.emulator_ts <= after);
  }
  await client.close();
});

test('rate paces the stream', async (t) => {
  const gw = await emulator(t);
  const { client } = await ready(gw.url, TOKEN, [0, 1]);
  const started = performance.now();
  await gw.stream(0, { count: 50, rate: 250, mix: 'messages' }).done;
  const took = performance.now() - started;
  // Pacing is a floor: 49 gaps of 4 ms. No ceiling: a busy machine may take longer, which says nothing of pacing.
  t.true(took >= 180, `50 events at 250/s took ${took} ms`);
  await client.close();
});

test("'all' spreads over every session; a stream waits for a session to appear; stop() ends it", async (t) => {
  const gw = await emulator(t, { guilds: 4, shards: 2, identifyWindowMs: 0 });
  const handle = gw.stream('all', { mix: 'messages' });
  const a = await ready(gw.url, TOKEN, [0, 2]);
  const b = await ready(gw.url, TOKEN, [1, 2]);
  await a.client.frame((f) => f.t === 'MESSAGE_CREATE' && f.s! > 100);
  await b.client.frame((f) => f.t === 'MESSAGE_CREATE' && f.s! > 100);
  handle.stop();
  const { sent } = await handle.done;
  t.true(sent > 200);
  t.true(b.client.frames.filter((f) => f.t === 'MESSAGE_CREATE').every((f) => shardOf(f.d.guild_id, 2) === 1));
  await a.client.close();
  await b.client.close();
});

test('a custom mix: fixed payloads and payload functions', async (t) => {
  const gw = await emulator(t, { guilds: 2 });
  const { client } = await ready(gw.url, TOKEN, [0, 1]);
  const mix = [
    { t: 'FIXED', d: { fixed: true }, weight: 1 },
    { t: 'MADE', d: (ctx: { guild: { id: string } | undefined; index: number }) => ({ guild: ctx.guild?.id, index: ctx.index }), weight: 1 },
  ];
  await gw.stream(0, { count: 100, mix }).done;
  await client.frame((f) => f.s === 103);
  const got = dispatches(client, 3);
  t.true(got.some((f) => f.t === 'FIXED') && got.some((f) => f.t === 'MADE'));
  t.true(got.filter((f) => f.t === 'MADE').every((f) => gw.guilds.some((g) => g.id === f.d.guild)));
  await client.close();
});

test('backpressure: a client that stops reading stalls the stream with bounded buffers', async (t) => {
  const gw = await emulator(t, { guilds: 2, highWaterMark: 64 * 1024 });
  const { client } = await ready(gw.url, TOKEN, [0, 1]);
  const socket = (client.ws as unknown as { _socket: Socket })._socket;
  socket.pause();
  const handle = gw.stream(0, { count: 50_000, mix: 'messages' });
  let last = -1;
  // Wait until the stream stops making progress.
  while (handle.sent !== last) {
    last = handle.sent;
    await delay(100);
  }
  t.true(handle.sent < 50_000, `sent ${handle.sent}`);
  t.true(gw.connections[0]!.bufferedBytes < 64 * 1024 + 256 * 2048, `buffered ${gw.connections[0]!.bufferedBytes}`);
  socket.resume();
  t.deepEqual(await handle.done, { sent: 50_000 });
  await client.frame((f) => f.s === 50_003, 20_000);
  await client.close();
});

test('a paced stream builds its events before its clock starts: same events as an unpaced one', async (t) => {
  const run = async (rate?: number) => {
    const gw = await createEmulator({ guilds: 5, seed: 3, zlibMode: 'precompressed' });
    try {
      const { client } = await ready(gw.url, TOKEN, [0, 1], { compress: 'zlib-stream' });
      await gw.stream(0, { count: 300, poolSize: 64, ...(rate !== undefined ? { rate } : {}) }).done;
      await client.frame((f) => f.s === 306, 10_000);
      return client.frames.map((f) => f.text).filter((text) => !text.includes('"READY"'));
    } finally {
      await gw.close();
    }
  };
  t.deepEqual(await run(50_000), await run());
});

test('a paced stream never writes a backlog as one burst, and reports how it kept to its rate', async (t) => {
  const gw = await emulator(t, { guilds: 2 });
  const { client } = await ready(gw.url, TOKEN, [0, 1]);
  const rate = 20_000;
  const handle = gw.stream(0, { count: 2000, rate, mix: 'messages', recordTurns: true });
  t.deepEqual(await handle.done, { sent: 2000 });
  const { turns, maxPerTurn, maxLagMs, turnLog } = handle.pacing;
  const perTurn = [];
  for (let i = 2; i < (turnLog ?? []).length; i += 3) perTurn.push(turnLog![i]!);
  t.is(perTurn.length, turns);
  t.is(perTurn.reduce((a, b) => a + b, 0), 2000);
  t.true(maxPerTurn <= Math.ceil((rate * 2) / 1000), `at most 2 ms worth per turn, got ${maxPerTurn}`);
  t.true(maxLagMs >= 0 && (turnLog ?? []).every((x) => Number.isFinite(x)));
  await client.frame((f) => f.s === 2002, 10_000);
  await client.close();
});
