import test from 'ava';
import { createEmulator, type EmulatorRecord, type FrameRecord } from '../../src/testing/index.js';
import { activeResources } from '../helpers/collect.js';
import { connect, emulator, identify, ready, TOKEN } from './helpers.js';

test('GET /gateway/bot answers like Discord with the right token', async (t) => {
  const gw = await emulator(t, { token: 'secret', shards: 4, maxConcurrency: 2, sessionStartLimit: { total: 1000, remaining: 990, resetAfter: 60_000 } });
  const res = await fetch(`${gw.httpUrl}/gateway/bot`, { headers: { authorization: 'Bot secret' } });
  t.is(res.status, 200);
  const body = (await res.json()) as any;
  t.is(body.url, gw.url);
  t.is(body.shards, 4);
  t.like(body.session_start_limit, { total: 1000, remaining: 990, max_concurrency: 2 });
  t.true(body.session_start_limit.reset_after > 30_000 && body.session_start_limit.reset_after <= 60_000);
  const api = await fetch(`${gw.httpUrl}/api/v10/gateway/bot`, { headers: { authorization: 'Bot secret' } });
  t.is(api.status, 200);
  const plain = (await (await fetch(`${gw.httpUrl}/gateway`)).json()) as any;
  t.deepEqual(plain, { url: gw.url });
  t.like(gw.records.find((r) => r.kind === 'http'), { method: 'GET', path: '/gateway/bot', status: 200 });
});

test('GET /gateway/bot with a wrong or missing token is a 401 JSON error', async (t) => {
  const gw = await emulator(t, { token: 'secret' });
  for (const headers of [{}, { authorization: 'Bot nope' }, { authorization: 'secret' }] as Record<string, string>[]) {
    const res = await fetch(`${gw.httpUrl}/gateway/bot`, { headers });
    t.is(res.status, 401);
    t.is(res.headers.get('content-type'), 'application/json');
    t.deepEqual(await res.json(), { message: '401: Unauthorized', code: 0 });
  }
  t.is((await fetch(`${gw.httpUrl}/nowhere`)).status, 404);
});

test('records redact the token of Identify and Resume, and of unparsable payloads', async (t) => {
  const token = 'very-secret-token';
  const gw = await emulator(t, { token });
  const { client, ready: r } = await ready(gw.url, token, [0, 1]);
  await client.close();
  const c = await connect(gw.resumeUrl);
  c.send({ op: 6, d: { token, session_id: r.d.session_id, seq: 1 } });
  await c.frame((f) => f.t === 'RESUMED');
  c.ws.send(`{"op":2,"d":{"token":"${token}"`);
  await c.closed;
  const frames = gw.records.filter((x): x is FrameRecord => x.kind === 'frame');
  t.is(frames.length, 3);
  t.false(JSON.stringify(gw.records).includes(token));
  t.like(frames[0]!.payload as object, { op: 2, d: { token: '[redacted]', intents: 513 } });
  t.like(frames[1]!.payload as object, { op: 6, d: { token: '[redacted]', seq: 1 } });
  t.is(frames[2]!.payload, '{"op":2,"d":{"token":"[redacted]"');
});

test('records tell the lifecycle of a connection in order, and records$ streams them', async (t) => {
  const gw = await emulator(t);
  const seen: EmulatorRecord[] = [];
  const sub = gw.records$.subscribe((r) => seen.push(r));
  const c = await connect(gw.url, { v: '10', encoding: 'json', compress: 'zlib-stream' });
  c.send(identify(TOKEN, { shard: [0, 1] }));
  await c.frame((f) => f.t === 'READY');
  await c.close(4000);
  await gw.waitFor((r) => r.kind === 'session' && r.event === 'detached');
  sub.unsubscribe();
  const kinds = gw.records.map((r) => (r.kind === 'session' ? `session:${r.event}` : r.kind));
  t.deepEqual(kinds, ['open', 'frame', 'session:created', 'close', 'session:detached']);
  t.deepEqual(seen, gw.records);
  const [open, frame, , close] = gw.records;
  t.like(open, { connectionId: 1, path: '/', query: { compress: 'zlib-stream' } });
  t.like(frame, { connectionId: 1, shardId: 0, op: 2, path: '/' });
  t.like(close, { connectionId: 1, shardId: 0, code: 4000, by: 'client' });
  t.true(gw.records.every((r, i, all) => i === 0 || r.at >= all[i - 1]!.at));
});

test('waitFor rejects with a clear message on timeout', async (t) => {
  const gw = await emulator(t);
  await t.throwsAsync(gw.waitFor((r) => r.kind === 'violation', 30), { message: /waitFor timed out after 30 ms; the last records: none/ });
});

// Serial tests run before the concurrent ones, so no other emulator of this file is alive.
test.serial('close() closes clients with 1001, stops streams and leaves no handle or timer behind', async (t) => {
  const before = activeResources();
  const gw = await createEmulator({ heartbeatInterval: 100, guilds: 4, sessionTtlMs: 60_000, identifyWindowMs: 0 });
  const a = await ready(gw.url, TOKEN, [0, 1]);
  const b = await ready(gw.url, TOKEN, [0, 1], { v: '10', encoding: 'json', compress: 'zlib-stream' });
  await a.client.close(4000); // leaves a detached session with its expiry timer
  await gw.waitFor((r) => r.kind === 'session' && r.event === 'detached');
  gw.reconnect(0, { graceMs: 60_000 });
  const stream = gw.stream('all', { rate: 1000 });
  await b.client.frame((f) => (f.s ?? 0) > 5);
  const pending = gw.waitFor((r) => r.kind === 'http', 60_000);
  await gw.close();
  await t.throwsAsync(pending, { message: /emulator closed/ });
  t.is((await b.client.closed).code, 1001);
  t.true((await stream.done).sent > 0);
  t.throws(() => gw.stream('all'), { message: /closed/ });
  t.deepEqual(activeResources(), before);
});
