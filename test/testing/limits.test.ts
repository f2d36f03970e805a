import test from 'ava';
import type { FrameRecord, Violation } from '../../src/testing/index.js';
import { stall } from '../helpers/markers.js';
import { connect, emulator, identify, ready, TOKEN } from './helpers.js';

test('more than 120 payloads in 60 s close 4008 with a violation', async (t) => {
  const gw = await emulator(t);
  const { client } = await ready(gw.url, TOKEN);
  // Identify was payload 1: 119 more are allowed, the 121st is not.
  for (let i = 0; i < 119; i++) client.send({ op: 1, d: null });
  await gw.waitFor((r) => r.kind === 'frame' && gw.records.filter((x) => x.kind === 'frame').length === 120);
  t.is(gw.violations.length, 0);
  client.send({ op: 1, d: null });
  t.is((await client.closed).code, 4008);
  const v = await gw.waitFor((r): r is Violation => r.kind === 'violation');
  t.is(v.rule, 'send-rate-limit');
  await gw.waitFor((r) => r.kind === 'close');
  t.is(gw.sessions.length, 0, '4008 means a new session');
});

test('the send limit is a sliding window and configurable', async (t) => {
  // A window long enough that no stall of a loaded machine spans it (a frame read after one counts from before it).
  const gw = await emulator(t, { sendLimit: { count: 5, windowMs: 500 } });
  const c = await connect(gw.url);
  for (let i = 0; i < 5; i++) c.send({ op: 1, d: null });
  const fifth = await gw.waitFor((r): r is FrameRecord => r.kind === 'frame' && gw.records.filter((x) => x.kind === 'frame').length === 5);
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, fifth.at + 510 - performance.now())));
  for (let i = 0; i < 5; i++) c.send({ op: 1, d: null });
  await c.frame((f) => f.op === 11 && c.frames.filter((x) => x.op === 11).length === 10);
  t.deepEqual(gw.violations, []);
  c.send({ op: 1, d: null });
  t.is((await c.closed).code, 4008);
});

// Serial: its stalls would also stall the other tests of this file, which run side by side.
test.serial("the send limit does not count the emulator's own stall: frames read late after it are judged from before it, cycle after cycle; a burst is still refused", async (t) => {
  const windowMs = 300;
  const gw = await emulator(t, { sendLimit: { count: 5, windowMs } });
  const c = await connect(gw.url);
  // n frames read, or a violation (then the frames after it never come)
  const framesRead = (n: number) => gw.waitFor((r) => r.kind === 'violation' || (r.kind === 'frame' && gw.records.filter((x) => x.kind === 'frame').length === n));
  const sendFive = () => {
    for (let i = 0; i < 5; i++) c.send({ op: 1, d: null });
  };
  const untilWindowAfter = (at: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, at + windowMs + 10 - performance.now())));
  // Each cycle: five frames, and the emulator's loop stalls before it can read them (it reads them 200 ms
  // late); five more a window after those were sent, read at once: less than a window after the first five were read.
  const CYCLES = 3;
  for (let cycle = 0; cycle < CYCLES; cycle++) {
    const lateAt = performance.now();
    sendFive();
    stall(200); // the emulator runs in this process: its loop stalls too
    await framesRead(10 * cycle + 5);
    const firstRead = gw.records.filter((r): r is FrameRecord => r.kind === 'frame')[10 * cycle]!;
    t.true(firstRead.at - lateAt >= 200, `cycle ${cycle}: read after the stall (${(firstRead.at - lateAt).toFixed(0)} ms after it was sent)`);
    await untilWindowAfter(lateAt);
    const onTimeAt = performance.now();
    sendFive();
    await framesRead(10 * cycle + 10);
    t.deepEqual(gw.violations, [], `cycle ${cycle}: no 4008 for frames the emulator read late`);
    await untilWindowAfter(onTimeAt);
  }
  // One more, then five at once: the fifth of those is the sixth in a window of the one before them.
  c.send({ op: 1, d: null });
  await framesRead(10 * CYCLES + 1);
  sendFive();
  t.is((await c.closed).code, 4008);
  t.is(gw.violations.length, 1);
  t.is(gw.violations[0]!.rule, 'send-rate-limit');
});

test('a payload over 4096 bytes closes 4002', async (t) => {
  const gw = await emulator(t);
  const { client } = await ready(gw.url, TOKEN);
  client.send({ op: 3, d: { since: null, activities: [{ name: 'x'.repeat(4100), type: 0 }], status: 'online', afk: false } });
  t.is((await client.closed).code, 4002);
  const v = await gw.waitFor((r): r is Violation => r.kind === 'violation');
  t.is(v.rule, 'payload-too-large');
  await gw.waitFor((r) => r.kind === 'close');
  t.true(gw.sessions.length === 1 && !gw.sessions[0]!.live, '4002 keeps the session resumable');
});

test('a payload of exactly 4096 bytes is accepted', async (t) => {
  const gw = await emulator(t);
  const { client } = await ready(gw.url, TOKEN);
  const base = JSON.stringify({ op: 3, d: { since: null, activities: [{ name: '', type: 0 }], status: 'online', afk: false } });
  client.send({ op: 3, d: { since: null, activities: [{ name: 'x'.repeat(4096 - base.length), type: 0 }], status: 'online', afk: false } });
  const f = await gw.waitFor((r): r is FrameRecord => r.kind === 'frame' && r.op === 3);
  t.is(f.bytes, 4096);
  client.send({ op: 1, d: 1 });
  await client.frame((x) => x.op === 11);
  t.deepEqual(gw.violations, []);
  await client.close();
});

test('invalid JSON closes 4002', async (t) => {
  const gw = await emulator(t);
  const c = await connect(gw.url);
  c.ws.send('{"op":1,');
  t.is((await c.closed).code, 4002);
  t.is(gw.violations[0]?.rule, 'decode-error');
  const f = await gw.waitFor((r): r is FrameRecord => r.kind === 'frame');
  t.is(f.op, null);
  t.is(f.payload, '{"op":1,');
});

test('a JSON value that is not an object closes 4002', async (t) => {
  const gw = await emulator(t);
  const c = await connect(gw.url);
  c.ws.send('[1,2]');
  t.is((await c.closed).code, 4002);
});

test('an unknown opcode closes 4001, as does a server-only opcode or a missing op', async (t) => {
  const gw = await emulator(t, { identifyWindowMs: 0 });
  const ops = [42, 11, 'x'];
  for (const op of ops) {
    const { client } = await ready(gw.url, TOKEN);
    client.send({ op, d: null });
    t.is((await client.closed).code, 4001, `op ${op}`);
  }
  t.deepEqual(gw.violations.map((v) => v.rule), ops.map(() => 'unknown-opcode'));
});

test('an Identify on an identified connection closes 4005', async (t) => {
  const gw = await emulator(t, { identifyWindowMs: 0 });
  const { client } = await ready(gw.url, TOKEN);
  client.send(identify(TOKEN));
  t.is((await client.closed).code, 4005);
  t.is(gw.violations[0]?.rule, 'already-authenticated');
  await gw.waitFor((r) => r.kind === 'close');
  t.is(gw.sessions.length, 0, '4005 means a new session');
});

test('a Resume on an identified connection closes 4005', async (t) => {
  const gw = await emulator(t);
  const { client, ready: r } = await ready(gw.url, TOKEN);
  client.send({ op: 6, d: { token: TOKEN, session_id: r.d.session_id, seq: 1 } });
  t.is((await client.closed).code, 4005);
});

test('anything but heartbeat, identify and resume before identifying closes 4003', async (t) => {
  const gw = await emulator(t);
  const c = await connect(gw.url);
  c.send({ op: 1, d: null });
  await c.frame((f) => f.op === 11);
  c.send({ op: 8, d: { guild_id: '1', query: '', limit: 0 } });
  t.is((await c.closed).code, 4003);
  t.is(gw.violations[0]?.rule, 'not-authenticated');
});

test('after identifying, other opcodes are accepted and recorded', async (t) => {
  const gw = await emulator(t);
  const { client } = await ready(gw.url, TOKEN, [0, 1]);
  client.send({ op: 3, d: { since: null, activities: [], status: 'idle', afk: false } });
  const f = await gw.waitFor((r): r is FrameRecord => r.kind === 'frame' && r.op === 3);
  t.is(f.shardId, 0);
  t.like(f.payload as object, { op: 3, d: { status: 'idle' } });
  t.deepEqual(gw.violations, []);
  await client.close();
});

test('Request Guild Members gets a GUILD_MEMBERS_CHUNK; all members of a guild again within 30 s gets RATE_LIMITED', async (t) => {
  const gw = await emulator(t, { guilds: 2 });
  const { client } = await ready(gw.url, TOKEN, [0, 1]);
  const guild = gw.guilds[0]!;
  client.send({ op: 8, d: { guild_id: guild.id, query: '', limit: 0, nonce: 'a' } });
  const chunk = await client.frame((f) => f.t === 'GUILD_MEMBERS_CHUNK');
  t.like(chunk.d, { guild_id: guild.id, chunk_index: 0, chunk_count: 1, nonce: 'a' });
  t.is(chunk.d.members.length, guild.members.length + 1);
  client.send({ op: 8, d: { guild_id: guild.id, query: '', limit: 0, nonce: 'b' } });
  const limited = await client.frame((f) => f.t === 'RATE_LIMITED');
  t.like(limited.d, { opcode: 8, meta: { guild_id: guild.id, nonce: 'b' } });
  t.true(limited.d.retry_after > 29 && limited.d.retry_after <= 30);
  const wanted = guild.members[3]!;
  client.send({ op: 8, d: { guild_id: guild.id, user_ids: [wanted.id, '1'], nonce: 'c' } });
  const byId = await client.frame((f) => f.t === 'GUILD_MEMBERS_CHUNK' && f.d.nonce === 'c');
  t.deepEqual(byId.d.members.map((m: { user: { id: string } }) => m.user.id), [wanted.id]);
  t.deepEqual(byId.d.not_found, ['1']);
  client.send({ op: 8, d: { guild_id: guild.id, query: wanted.username.slice(0, -1), limit: 1, nonce: 'd' } });
  const byQuery = await client.frame((f) => f.t === 'GUILD_MEMBERS_CHUNK' && f.d.nonce === 'd');
  t.is(byQuery.d.members.length, 1);
  t.deepEqual(gw.violations, []);
  await client.close();
});

test('a message over 1 MiB is refused by the WebSocket layer with 1009, recorded as a server close', async (t) => {
  const gw = await emulator(t);
  const c = await connect(gw.url);
  c.ws.send('x'.repeat((1 << 20) + 1));
  t.is((await c.closed).code, 1009);
  const closed = await gw.waitFor((r) => r.kind === 'close');
  t.like(closed, { by: 'server', code: 1009 });
});

test('a waitFor predicate that throws rejects that wait only', async (t) => {
  const gw = await emulator(t);
  const bad = gw.waitFor((r) => (r as unknown as { payload: { d: { x: number } } }).payload.d.x === 1);
  const c = await connect(gw.url);
  await t.throwsAsync(bad, { instanceOf: TypeError });
  c.send({ op: 1, d: null });
  await c.frame((f) => f.op === 11);
  await c.close();
});
