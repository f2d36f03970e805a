import test from 'ava';
import type { CloseRecord, FrameRecord } from '../../src/testing/index.js';
import { shardOf } from '../../src/testing/index.js';
import { zstdHere } from '../helpers/zstd.js';
import { connect, delay, emulator, identify, ready, TOKEN } from './helpers.js';

test('Hello comes first with heartbeat_interval; every heartbeat is ACKed', async (t) => {
  const gw = await emulator(t, { heartbeatInterval: 1234 });
  const c = await connect(gw.url);
  const hello = await c.frame((f) => f.op === 10);
  t.is(hello.d.heartbeat_interval, 1234);
  t.is(c.frames[0]?.op, 10);
  t.true(hello.text.startsWith('{"t":null,"s":null,"op":10,'));
  c.send({ op: 1, d: null });
  await c.frame((f) => f.op === 11);
  c.send({ op: 1, d: null });
  await gw.waitFor((r) => r.kind === 'frame' && r.op === 1 && gw.records.filter((x) => x.kind === 'frame' && x.op === 1).length === 2);
  await c.frame((f) => f.op === 11 && c.frames.filter((x) => x.op === 11).length === 2);
  t.is(c.frames.filter((f) => f.op === 11).length, 2);
  await c.close();
});

test('a connection that stops heartbeating is closed with 4009 and a violation', async (t) => {
  const gw = await emulator(t, { heartbeatInterval: 100, heartbeatTimeoutMs: 250 });
  const c = await connect(gw.url);
  const closed = await c.closed;
  t.is(closed.code, 4009);
  const record = await gw.waitFor((r): r is CloseRecord => r.kind === 'close');
  t.is(record.by, 'server');
  t.is(gw.violations[0]?.rule, 'heartbeat-timeout');
  t.is(gw.violations[0]?.code, 4009);
});

test('a client whose close handshake outlasts the heartbeat timeout is recorded closing 1000 itself, not timed out by the server', async (t) => {
  const gw = await emulator(t, { heartbeatInterval: 100, heartbeatTimeoutMs: 250 });
  const c = await connect(gw.url);
  await c.frame((f) => f.op === 10);
  const socket = (c.ws as unknown as { _socket: import('node:net').Socket })._socket;
  c.ws.close(1000);
  socket.pause(); // the client reads nothing: the server's close frame waits, the handshake stays open
  await delay(3 * 250); // the fault's length: three heartbeat timeouts with no heartbeat and the handshake open
  socket.resume();
  const record = await gw.waitFor((r): r is CloseRecord => r.kind === 'close');
  t.like(record, { code: 1000, by: 'client' });
  t.deepEqual(gw.violations, []);
});

test('the heartbeat timeout close code is configurable, and heartbeats keep the connection open', async (t) => {
  const gw = await emulator(t, { heartbeatInterval: 50, heartbeatTimeoutMs: 500, heartbeatTimeoutCode: 4000 });
  const c = await connect(gw.url);
  const timer = setInterval(() => c.send({ op: 1, d: null }), 50);
  t.teardown(() => clearInterval(timer));
  // Heartbeats for twice the timeout, then stop: the close must come only after that.
  await c.frame((f) => f.op === 11 && c.frames.filter((x) => x.op === 11).length >= 20, 10_000);
  clearInterval(timer);
  t.is(gw.connections.length, 1);
  t.is((await c.closed).code, 4000);
});

test('requestHeartbeat sends op 1 and the client answer is recorded', async (t) => {
  const gw = await emulator(t);
  const c = await connect(gw.url);
  await c.frame((f) => f.op === 10);
  t.is(gw.requestHeartbeat({ connectionId: gw.connections[0]!.id }), 1);
  await c.frame((f) => f.op === 1);
  c.send({ op: 1, d: null });
  const hb = await gw.waitFor((r): r is FrameRecord => r.kind === 'frame' && r.op === 1);
  t.is(hb.connectionId, gw.connections[0]!.id);
  await c.frame((f) => f.op === 11);
  await c.close();
});

test('Identify gets READY then one GUILD_CREATE per guild of that shard only', async (t) => {
  const gw = await emulator(t, { guilds: 10, shards: 3 });
  const { client, ready: r } = await ready(gw.url, TOKEN, [1, 3]);
  t.true(r.text.startsWith('{"t":"READY","s":1,"op":0,"d":{'));
  t.is(r.d.v, 10);
  t.deepEqual(r.d.shard, [1, 3]);
  t.is(r.d.resume_gateway_url, gw.resumeUrl);
  t.is(typeof r.d.session_id, 'string');
  t.true(r.d.user.bot);
  t.is(typeof r.d.application.id, 'string');
  const expected = gw.guilds.filter((g) => shardOf(g.id, 3) === 1).map((g) => g.id);
  t.deepEqual(expected, gw.guildsOf(1, 3).map((g) => g.id));
  t.true(expected.length >= 3);
  t.deepEqual(r.d.guilds, expected.map((id) => ({ id, unavailable: true })));
  const last = await client.frame((f) => f.t === 'GUILD_CREATE' && f.d.id === expected.at(-1));
  const creates = client.frames.filter((f) => f.t === 'GUILD_CREATE');
  t.deepEqual(creates.map((f) => f.d.id), expected);
  t.deepEqual(creates.map((f) => f.s), expected.map((_, i) => i + 2));
  t.is(last.d.channels[0].type, 0);
  t.is(typeof last.d.member_count, 'number');
  t.is(gw.sessions[0]?.seq, expected.length + 1);
  await client.close();
});

test('without the GUILDS intent there is no GUILD_CREATE; without a shard field the session is shard 0 of 1', async (t) => {
  const gw = await emulator(t, { guilds: 3 });
  const c = await connect(gw.url);
  c.send(identify(TOKEN, { intents: 512 }));
  const r = await c.frame((f) => f.t === 'READY');
  t.is(r.d.shard, undefined);
  t.is(r.d.guilds.length, 3);
  gw.dispatch(0, 'PING_TEST', { n: 1 });
  await c.frame((f) => f.t === 'PING_TEST');
  t.is(c.frames.filter((f) => f.t === 'GUILD_CREATE').length, 0);
  t.is(gw.sessions[0]?.shardId, 0);
  t.is(gw.sessions[0]?.numShards, 1);
  await c.close();
});

test('dispatch frames keep the key order t, s, op, d and return their seq', async (t) => {
  const gw = await emulator(t);
  const { client } = await ready(gw.url, TOKEN, [0, 1]);
  const s = gw.dispatch(0, 'MESSAGE_CREATE', { content: 'hi', id: '1' });
  t.is(s, 2);
  const f = await client.frame((x) => x.t === 'MESSAGE_CREATE');
  t.is(f.text, '{"t":"MESSAGE_CREATE","s":2,"op":0,"d":{"content":"hi","id":"1"}}');
  const stamped = gw.dispatch(0, 'MESSAGE_CREATE', { id: '2' }, { stamp: true });
  const g = await client.frame((x) => x.s === stamped);
  t.regex(g.text, /^\{"t":"MESSAGE_CREATE","s":3,"op":0,"d":\{"emulator_ts":[\d.]+,"id":"2"\}\}$/);
  t.true(Math.abs(g.d.emulator_ts - (performance.timeOrigin + performance.now())) < 5000);
  t.throws(() => gw.dispatch(5, 'X', {}), { message: /shard 5 has no session/ });
  await client.close();
});

test('query checks: v other than 10 closes 4012; etf, unknown compress and (on Node 20) zstd close 4000', async (t) => {
  const gw = await emulator(t);
  const cases: [Record<string, string>, number][] = [
    [{ v: '9', encoding: 'json' }, 4012],
    [{ v: '10', encoding: 'etf' }, 4000],
    [{ v: '10', encoding: 'json', compress: 'lz4' }, 4000],
  ];
  for (const [query, code] of cases) {
    const c = await connect(gw.url, query);
    t.is((await c.closed).code, code, JSON.stringify(query));
    t.is(c.frames.length, 0);
  }
  // On Node >= 22.15 the emulator answers zstd-stream: binary frames this client decompresses.
  const zstd = await connect(gw.url, { v: '10', encoding: 'json', compress: 'zstd-stream' });
  if (zstdHere) {
    const hello = await zstd.frame((f) => f.op === 10);
    t.true(hello.text.startsWith('{"t":null,"s":null,"op":10,'));
    t.true(zstd.chunks.length > 0 && zstd.chunks[0]!.readUInt32LE(0) === 0xfd2fb528, 'a binary frame opening with the zstd magic number');
    t.deepEqual(zstd.decodeErrors, []);
  } else t.is((await zstd.closed).code, 4000);
  await zstd.close();
  const rules = gw.violations.map((v) => v.rule);
  t.deepEqual(rules.slice(0, 3), ['invalid-version', 'unsupported-parameter', 'unsupported-parameter']);
  const plain = await connect(gw.url, {});
  await plain.frame((f) => f.op === 10);
  await plain.close();
});

test('the resume path is accepted and recorded; other paths are refused', async (t) => {
  const gw = await emulator(t);
  const c = await connect(gw.resumeUrl);
  await c.frame((f) => f.op === 10);
  const open = await gw.waitFor((r) => r.kind === 'open');
  t.like(open, { path: '/resume', query: { v: '10', encoding: 'json' } });
  await c.close();
  await t.throwsAsync(connect(`${gw.url}/elsewhere`));
});
