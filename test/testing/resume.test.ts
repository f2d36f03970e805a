import test from 'ava';
import type { CloseRecord, SessionRecord } from '../../src/testing/index.js';
import { connect, emulator, ready, TOKEN } from './helpers.js';

const resume = (sessionId: string, seq: number | null, token = TOKEN) => ({ op: 6, d: { token, session_id: sessionId, seq } });

test('resume replays exactly the dispatches after seq, including those sent while disconnected, then RESUMED', async (t) => {
  const gw = await emulator(t);
  const { client, ready: r } = await ready(gw.url, TOKEN);
  for (let i = 0; i < 5; i++) gw.dispatch(0, 'MESSAGE_CREATE', { n: i });
  await client.frame((f) => f.d?.n === 4);
  const seen = client.frames.find((f) => f.d?.n === 2)!.s!;
  await client.close(4000);
  await gw.waitFor((x) => x.kind === 'session' && x.event === 'detached');
  for (let i = 5; i < 8; i++) gw.dispatch(0, 'MESSAGE_CREATE', { n: i });
  const again = await connect(gw.resumeUrl);
  again.send(resume(r.d.session_id, seen));
  const resumed = await again.frame((f) => f.t === 'RESUMED');
  const replayed = again.frames.filter((f) => f.op === 0 && f.t !== 'RESUMED');
  t.deepEqual(replayed.map((f) => f.d.n), [3, 4, 5, 6, 7]);
  t.deepEqual(replayed.map((f) => f.s), [seen + 1, seen + 2, seen + 3, seen + 4, seen + 5]);
  t.is(resumed.s, seen + 6);
  t.is(again.frames.at(-1), resumed);
  const record = await gw.waitFor((x): x is SessionRecord => x.kind === 'session' && x.event === 'resumed');
  t.is(record.sessionId, r.d.session_id);
  // The resumed connection gets new dispatches live.
  const s = gw.dispatch(0, 'MESSAGE_CREATE', { n: 8 });
  t.is((await again.frame((f) => f.d?.n === 8)).s, s);
  t.is(gw.sessions[0]?.live, true);
  await again.close();
});

test('resume with a null seq replays everything from READY on', async (t) => {
  const gw = await emulator(t, { guilds: 2 });
  const { client, ready: r } = await ready(gw.url, TOKEN);
  await client.frame((f) => f.s === 3);
  client.ws.terminate();
  await gw.waitFor((x) => x.kind === 'close');
  const again = await connect(gw.resumeUrl);
  again.send(resume(r.d.session_id, null));
  await again.frame((f) => f.t === 'RESUMED');
  t.deepEqual(again.frames.filter((f) => f.op === 0).map((f) => f.t), ['READY', 'GUILD_CREATE', 'GUILD_CREATE', 'RESUMED']);
  await again.close();
});

test('an unknown session gets op 9 false', async (t) => {
  const gw = await emulator(t);
  const c = await connect(gw.resumeUrl);
  c.send(resume('0123456789abcdef0123456789abcdef', 5));
  t.is((await c.frame((f) => f.op === 9)).d, false);
  t.deepEqual(gw.violations, []);
  await c.close();
});

test('a wrong token on resume closes 4004', async (t) => {
  const gw = await emulator(t);
  const { client, ready: r } = await ready(gw.url, TOKEN);
  await client.close();
  const c = await connect(gw.resumeUrl);
  c.send(resume(r.d.session_id, 1, 'wrong'));
  t.is((await c.closed).code, 4004);
});

test('a seq past the session closes 4007 and ends the session', async (t) => {
  const gw = await emulator(t);
  const { client, ready: r } = await ready(gw.url, TOKEN);
  await client.close();
  const c = await connect(gw.resumeUrl);
  c.send(resume(r.d.session_id, 99));
  t.is((await c.closed).code, 4007);
  t.is(gw.violations[0]?.rule, 'invalid-seq');
  t.is(gw.sessions.length, 0);
});

test('a seq older than the buffer gets op 9 false and ends the session', async (t) => {
  const gw = await emulator(t, { sessionBufferSize: 4 });
  const { client, ready: r } = await ready(gw.url, TOKEN);
  await client.close();
  for (let i = 0; i < 6; i++) gw.dispatch(0, 'MESSAGE_CREATE', { n: i });
  const c = await connect(gw.resumeUrl);
  c.send(resume(r.d.session_id, 1));
  t.is((await c.frame((f) => f.op === 9)).d, false);
  t.is(gw.sessions.length, 0);
  await c.close();
});

test('a seq still in a full buffer resumes', async (t) => {
  const gw = await emulator(t, { sessionBufferSize: 4 });
  const { client, ready: r } = await ready(gw.url, TOKEN);
  await client.close();
  for (let i = 0; i < 6; i++) gw.dispatch(0, 'MESSAGE_CREATE', { n: i });
  const c = await connect(gw.resumeUrl);
  c.send(resume(r.d.session_id, 3));
  await c.frame((f) => f.t === 'RESUMED');
  t.deepEqual(c.frames.filter((f) => f.t === 'MESSAGE_CREATE').map((f) => f.d.n), [2, 3, 4, 5]);
  await c.close();
});

for (const code of [1000, 1001]) {
  test(`a client close with ${code} invalidates the session`, async (t) => {
    const gw = await emulator(t);
    const { client, ready: r } = await ready(gw.url, TOKEN);
    await client.close(code);
    const closed = await gw.waitFor((x): x is CloseRecord => x.kind === 'close');
    t.like(closed, { code, by: 'client' });
    await gw.waitFor((x) => x.kind === 'session' && x.event === 'invalidated');
    const c = await connect(gw.resumeUrl);
    c.send(resume(r.d.session_id, 1));
    t.is((await c.frame((f) => f.op === 9)).d, false);
    await c.close();
  });
}

test('any other client close keeps the session resumable until sessionTtlMs, then it expires', async (t) => {
  const gw = await emulator(t, { sessionTtlMs: 150 });
  const { client, ready: r } = await ready(gw.url, TOKEN);
  await client.close(4321);
  await gw.waitFor((x) => x.kind === 'session' && x.event === 'detached');
  t.is(gw.sessions[0]?.live, false);
  const expired = await gw.waitFor((x): x is SessionRecord => x.kind === 'session' && x.event === 'expired');
  t.is(expired.sessionId, r.d.session_id);
  const c = await connect(gw.resumeUrl);
  c.send(resume(r.d.session_id, 1));
  t.is((await c.frame((f) => f.op === 9)).d, false);
  await c.close();
});

test('resuming a session that is still live closes the old connection', async (t) => {
  const gw = await emulator(t);
  const { client, ready: r } = await ready(gw.url, TOKEN);
  const c = await connect(gw.resumeUrl);
  c.send(resume(r.d.session_id, 1));
  await c.frame((f) => f.t === 'RESUMED');
  t.is((await client.closed).code, 4000);
  t.is(gw.sessions.length, 1);
  t.is(gw.sessions[0]?.connectionId, gw.connections.find((x) => x.path === '/resume')?.id);
  gw.dispatch(0, 'X', {});
  await c.frame((f) => f.t === 'X');
  await c.close();
});

test('a resume also works on the ordinary URL', async (t) => {
  const gw = await emulator(t);
  const { client, ready: r } = await ready(gw.url, TOKEN);
  await client.close();
  const c = await connect(gw.url);
  c.send(resume(r.d.session_id, 1));
  await c.frame((f) => f.t === 'RESUMED');
  t.pass();
  await c.close();
});
