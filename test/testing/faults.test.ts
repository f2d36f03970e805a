import test from 'ava';
import type { CloseRecord, FrameRecord } from '../../src/testing/index.js';
import { connect, delay, emulator, ready, TOKEN } from './helpers.js';

const resume = (sessionId: string, seq: number) => ({ op: 6, d: { token: TOKEN, session_id: sessionId, seq } });

test('closeShard sends that close code; the session fate follows the code', async (t) => {
  const gw = await emulator(t, { identifyWindowMs: 0 });
  const a = await ready(gw.url, TOKEN, [0, 1]);
  t.is(gw.closeShard(0, 4000), 1);
  t.is((await a.client.closed).code, 4000);
  const closed = await gw.waitFor((r): r is CloseRecord => r.kind === 'close');
  t.like(closed, { code: 4000, by: 'server', shardId: 0 });
  t.is(gw.sessions[0]?.live, false, '4000 keeps the session');
  const b = await ready(gw.url, TOKEN, [0, 1]);
  gw.closeShard(0, 4009);
  t.is((await b.client.closed).code, 4009);
  await gw.waitFor((r) => r.kind === 'session' && r.event === 'invalidated' && r.sessionId === b.ready.d.session_id);
  t.false(gw.sessions.some((s) => s.id === b.ready.d.session_id), '4009 ends the session');
  t.is(gw.closeShard(7, 4000), 0, 'no connection of shard 7');
});

test('a dispatch right after a session-ending close finds no session; after a resumable one it waits for the resume (the soak lost one)', async (t) => {
  // The soak's drain checked "the newest session is live" and dispatched a marker; the emulator had
  // just closed that connection 4008, but kept the session live until the client answered the close
  // frame, so the marker went into a session whose connection could no longer send and which was
  // then deleted: the shard came back with a fresh session (seq 1) and the marker never came.
  const gw = await emulator(t, { identifyWindowMs: 0 });
  const a = await ready(gw.url, TOKEN, [0, 1]);
  gw.closeShard(0, 4008);
  t.false(gw.sessions.some((s) => s.live), 'the ending session is not live from the close on');
  t.throws(() => gw.dispatch(0, 'MESSAGE_CREATE', { n: 1 }), { message: /no session/ }, 'nothing goes into the session just ended');
  t.is((await a.client.closed).code, 4008);
  t.deepEqual(gw.sessions, []);

  const b = await ready(gw.url, TOKEN, [0, 1]);
  gw.closeShard(0, 4000);
  t.like(gw.sessions[0], { live: false, id: b.ready.d.session_id });
  const s = gw.dispatch(0, 'MESSAGE_CREATE', { n: 2 });
  t.is((await b.client.closed).code, 4000);
  const c = await connect(gw.resumeUrl);
  c.send(resume(b.ready.d.session_id, 1));
  const replayed = await c.frame((f) => f.t === 'MESSAGE_CREATE');
  t.like(replayed, { s, d: { n: 2 } }, 'the resume brings what came during the close');
  await c.close();
});

test('drop destroys the socket with no close frame; the session stays resumable', async (t) => {
  const gw = await emulator(t);
  const { client, ready: r } = await ready(gw.url, TOKEN, [0, 1]);
  t.is(gw.drop(0), 1);
  t.is((await client.closed).code, 1006);
  const closed = await gw.waitFor((x): x is CloseRecord => x.kind === 'close');
  t.is(closed.by, 'drop');
  const c = await connect(gw.resumeUrl);
  c.send(resume(r.d.session_id, 1));
  await c.frame((f) => f.t === 'RESUMED');
  await c.close();
});

test('a client that vanishes without a close frame is recorded as a network close', async (t) => {
  const gw = await emulator(t);
  const { client } = await ready(gw.url, TOKEN, [0, 1]);
  client.ws.terminate();
  const closed = await gw.waitFor((x): x is CloseRecord => x.kind === 'close');
  t.like(closed, { by: 'network', code: 1006 });
  t.is(gw.sessions[0]?.live, false);
});

test('zombie: no ACKs, no dispatches, no heartbeat timeout; off sends what was missed', async (t) => {
  const gw = await emulator(t, { heartbeatInterval: 100, heartbeatTimeoutMs: 600 });
  const c = await connect(gw.url);
  const timer = setInterval(() => c.send({ op: 1, d: null }), 100);
  t.teardown(() => clearInterval(timer));
  c.send({ op: 2, d: { token: TOKEN, intents: 1, shard: [0, 1], properties: { os: 'a', browser: 'b', device: 'c' } } });
  await c.frame((f) => f.t === 'READY');
  t.is(gw.zombie(0, true), 1);
  const sentBefore = gw.connections[0]!.framesSent;
  const heartbeats = gw.records.filter((r) => r.kind === 'frame' && r.op === 1).length;
  await gw.waitFor((r) => r.kind === 'frame' && r.op === 1 && gw.records.filter((x) => x.kind === 'frame' && x.op === 1).length > heartbeats);
  clearInterval(timer);
  gw.dispatch(0, 'MISSED', { n: 1 });
  await delay(1200); // twice the heartbeat timeout: a zombie is not closed
  t.is(gw.connections.length, 1);
  t.is(gw.connections[0]!.framesSent, sentBefore, 'nothing was sent: no ACK, no dispatch');
  gw.zombie(0, false);
  const missed = await c.frame((f) => f.t === 'MISSED');
  t.is(missed.s, 2);
  const acks = c.frames.filter((f) => f.op === 11).length;
  c.send({ op: 1, d: 2 });
  await c.frame((f) => f.op === 11 && c.frames.filter((x) => x.op === 11).length > acks);
  await c.close();
});

test('zombie then resume on a new connection replays what the zombie missed', async (t) => {
  const gw = await emulator(t);
  const { client, ready: r } = await ready(gw.url, TOKEN, [0, 1]);
  gw.zombie(0, true);
  gw.dispatch(0, 'MISSED', { n: 1 });
  const c = await connect(gw.resumeUrl);
  c.send(resume(r.d.session_id, 1));
  await c.frame((f) => f.t === 'RESUMED');
  t.deepEqual(c.frames.filter((f) => f.op === 0).map((f) => f.t), ['MISSED', 'RESUMED']);
  t.is((await client.closed).code, 4000);
  await c.close();
});

test('reconnect sends op 7 and closes with 4000 after the grace period unless the client left first', async (t) => {
  const gw = await emulator(t);
  const a = await ready(gw.url, TOKEN, [0, 1]);
  t.is(gw.reconnect(0, { graceMs: 50 }), 1);
  t.is((await a.client.frame((f) => f.op === 7)).d, null);
  t.is((await a.client.closed).code, 4000);
  const closed = await gw.waitFor((r): r is CloseRecord => r.kind === 'close');
  t.like(closed, { by: 'server', reason: 'reconnect requested' });
  // A client that closes itself on op 7 is not closed again.
  const c = await connect(gw.resumeUrl);
  c.send(resume(a.ready.d.session_id, 1));
  await c.frame((f) => f.t === 'RESUMED');
  gw.reconnect(0, { graceMs: 10_000 });
  await c.frame((f) => f.op === 7);
  t.is((await c.close(4000)).code, 4000);
  const second = await gw.waitFor((r): r is CloseRecord => r.kind === 'close' && r.connectionId !== closed.connectionId);
  t.is(second.by, 'client');
});

test('invalidate(false) sends op 9 false and deletes the session; invalidate(true) keeps it', async (t) => {
  const gw = await emulator(t, { identifyWindowMs: 0 });
  const a = await ready(gw.url, TOKEN, [0, 1]);
  t.is(gw.invalidate(0, true), 1);
  t.is((await a.client.frame((f) => f.op === 9)).d, true);
  t.is(gw.sessions[0]?.live, false);
  await a.client.close();
  const c = await connect(gw.resumeUrl);
  c.send(resume(a.ready.d.session_id, 1));
  await c.frame((f) => f.t === 'RESUMED');
  gw.invalidate(0, false);
  t.is((await c.frame((f) => f.op === 9)).d, false);
  t.is(gw.sessions.length, 0);
  await c.close();
});

test('truncate on a text connection sends invalid JSON; the connection stays open', async (t) => {
  const gw = await emulator(t);
  const { client } = await ready(gw.url, TOKEN, [0, 1]);
  t.is(gw.truncate(0), 1);
  t.true((await client.decodeError()) instanceof SyntaxError);
  gw.dispatch(0, 'STILL_HERE', {});
  await client.frame((f) => f.t === 'STILL_HERE');
  await client.close();
});

test('pauseReading stops reading the client until resumed', async (t) => {
  const gw = await emulator(t);
  const { client } = await ready(gw.url, TOKEN, [0, 1]);
  t.is(gw.pauseReading(0, true), 1);
  t.true(gw.connections[0]?.paused);
  client.send({ op: 1, d: 1 });
  await delay(100);
  t.is(gw.records.filter((r) => r.kind === 'frame' && r.op === 1).length, 0);
  gw.pauseReading(0, false);
  await gw.waitFor((r): r is FrameRecord => r.kind === 'frame' && r.op === 1);
  await client.frame((f) => f.op === 11);
  await client.close();
});

test('restart drops every connection at once, keeps sessions resumable and the port', async (t) => {
  const gw = await emulator(t, { shards: 2, identifyWindowMs: 0 });
  const a = await ready(gw.url, TOKEN, [0, 2]);
  const b = await ready(gw.url, TOKEN, [1, 2]);
  await gw.restart();
  t.is((await a.client.closed).code, 1006);
  t.is((await b.client.closed).code, 1006);
  t.is(gw.connections.length, 0);
  t.deepEqual(gw.sessions.map((s) => s.live), [false, false]);
  const c = await connect(gw.resumeUrl);
  c.send(resume(b.ready.d.session_id, 1));
  await c.frame((f) => f.t === 'RESUMED');
  t.is(c.frames[0]?.op, 10);
  await c.close();
});

test('a connection target acts on that connection only', async (t) => {
  const gw = await emulator(t);
  const a = await connect(gw.url);
  const b = await connect(gw.url);
  await a.frame((f) => f.op === 10);
  const [first] = gw.connections;
  t.is(gw.closeShard({ connectionId: first!.id }, 4321, 'bye'), 1);
  t.deepEqual(await a.closed, { code: 4321, reason: 'bye' });
  await gw.waitFor((r) => r.kind === 'close');
  t.deepEqual(gw.connections.map((c) => c.id), [first!.id + 1]);
  await b.close();
});
