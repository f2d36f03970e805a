import test from 'ava';
import type { SessionRecord, Violation, ViolationRule } from '../../src/testing/index.js';
import { connect, delay, emulator, identify, TOKEN } from './helpers.js';

const refusedWith = async (t: import('ava').ExecutionContext, extra: Record<string, unknown>, code: number, rule: ViolationRule, options = {}) => {
  const gw = await emulator(t, options);
  const c = await connect(gw.url);
  c.send(identify(TOKEN, extra));
  t.is((await c.closed).code, code, JSON.stringify(extra));
  const v = await gw.waitFor((r): r is Violation => r.kind === 'violation');
  t.is(v.rule, rule);
  t.is(v.code, code);
  t.is(gw.sessions.length, 0);
};

test('a wrong token closes 4004', (t) => refusedWith(t, { token: 'nope' }, 4004, 'authentication-failed'));
test('a token with a Bot prefix is accepted', async (t) => {
  const gw = await emulator(t);
  const c = await connect(gw.url);
  c.send(identify(TOKEN, { token: `Bot ${TOKEN}` }));
  await c.frame((f) => f.t === 'READY');
  t.pass();
  await c.close();
});
test('shard id >= total closes 4010', (t) => refusedWith(t, { shard: [2, 2] }, 4010, 'invalid-shard'));
test('a negative shard id closes 4010', (t) => refusedWith(t, { shard: [-1, 2] }, 4010, 'invalid-shard'));
test('a shard field of the wrong shape closes 4010', (t) => refusedWith(t, { shard: [0] }, 4010, 'invalid-shard'));
test('a shard total of 0 closes 4010', (t) => refusedWith(t, { shard: [0, 0] }, 4010, 'invalid-shard'));
test('no shard field closes 4011 when sharding is required', (t) =>
  refusedWith(t, {}, 4011, 'sharding-required', { requireSharding: true }));
test('non-integer intents close 4013', (t) => refusedWith(t, { intents: 1.5 }, 4013, 'invalid-intents'));
test('missing intents close 4013', (t) => refusedWith(t, { intents: undefined }, 4013, 'invalid-intents'));
test('unknown intent bits close 4013', (t) => refusedWith(t, { intents: 1 << 17 }, 4013, 'invalid-intents'));
test('privileged intents not enabled close 4014', (t) =>
  refusedWith(t, { intents: (1 << 15) | 1 }, 4014, 'disallowed-intents', { privilegedIntents: 1 << 1 }));
test('missing properties close 4001', (t) => refusedWith(t, { properties: { os: 'linux' } }, 4001, 'invalid-payload'));
test('an out-of-range large_threshold closes 4001', (t) => refusedWith(t, { large_threshold: 10 }, 4001, 'invalid-payload'));

test('enabled privileged intents are accepted', async (t) => {
  const gw = await emulator(t, { privilegedIntents: 1 << 15 });
  const c = await connect(gw.url);
  c.send(identify(TOKEN, { intents: (1 << 15) | 1 }));
  await c.frame((f) => f.t === 'READY');
  t.deepEqual(gw.violations, []);
  await c.close();
});

test('a second Identify in one bucket window gets op 9 false and a violation; the connection stays open', async (t) => {
  const gw = await emulator(t, { identifyWindowMs: 10_000 });
  const a = await connect(gw.url);
  a.send(identify(TOKEN, { shard: [0, 2] }));
  await a.frame((f) => f.t === 'READY');
  const b = await connect(gw.url);
  b.send(identify(TOKEN, { shard: [1, 2] }));
  const nine = await b.frame((f) => f.op === 9);
  t.is(nine.d, false);
  const v = await gw.waitFor((r): r is Violation => r.kind === 'violation');
  t.like(v, { rule: 'identify-rate-limit', code: undefined, shardId: 1 });
  t.regex(v.detail, /bucket 0/);
  t.is(gw.sessions.length, 1);
  t.is(gw.connections.length, 2);
  await a.close();
  await b.close();
});

test('identifies of one bucket spaced by the window are both accepted', async (t) => {
  const window = 150;
  const gw = await emulator(t, { identifyWindowMs: window });
  const a = await connect(gw.url);
  a.send(identify(TOKEN, { shard: [0, 2] }));
  await a.frame((f) => f.t === 'READY');
  const first = await gw.waitFor((r): r is SessionRecord => r.kind === 'session' && r.event === 'created');
  await delay(Math.max(0, first.at + window + 20 - performance.now()));
  const b = await connect(gw.url);
  b.send(identify(TOKEN, { shard: [1, 2] }));
  await b.frame((f) => f.t === 'READY');
  t.deepEqual(gw.violations, []);
  await a.close();
  await b.close();
});

test('identifies of different buckets in one window are accepted (max_concurrency 4)', async (t) => {
  const gw = await emulator(t, { maxConcurrency: 4, identifyWindowMs: 10_000, shards: 8 });
  const clients = await Promise.all([0, 1, 2, 3].map(() => connect(gw.url)));
  clients.forEach((c, i) => c.send(identify(TOKEN, { shard: [i, 8] })));
  await Promise.all(clients.map((c) => c.frame((f) => f.t === 'READY')));
  t.deepEqual(gw.violations, []);
  // Shard 4 shares bucket 0 with shard 0: refused.
  const late = await connect(gw.url);
  late.send(identify(TOKEN, { shard: [4, 8] }));
  t.is((await late.frame((f) => f.op === 9)).d, false);
  t.is(gw.violations[0]?.rule, 'identify-rate-limit');
  await Promise.all([...clients, late].map((c) => c.close()));
});

test('session_start_limit counts down per accepted identify; at 0 identifies get op 9 false', async (t) => {
  const gw = await emulator(t, { identifyWindowMs: 0, sessionStartLimit: { total: 10, remaining: 2 } });
  const status = async () => (await (await fetch(`${gw.httpUrl}/gateway/bot`, { headers: { authorization: `Bot ${TOKEN}` } })).json()) as any;
  t.is((await status()).session_start_limit.remaining, 2);
  const c = await connect(gw.url);
  c.send(identify(TOKEN));
  await c.frame((f) => f.t === 'READY');
  t.is((await status()).session_start_limit.remaining, 1);
  await c.close();
  const d = await connect(gw.url);
  d.send(identify(TOKEN));
  await d.frame((f) => f.t === 'READY');
  t.is((await status()).session_start_limit.remaining, 0);
  const e = await connect(gw.url);
  e.send(identify(TOKEN));
  t.is((await e.frame((f) => f.op === 9)).d, false);
  t.is(gw.violations[0]?.rule, 'session-start-limit');
  t.is((await status()).session_start_limit.total, 10);
  await d.close();
  await e.close();
});

test('session_start_limit resets after reset_after', async (t) => {
  const gw = await emulator(t, { identifyWindowMs: 0, sessionStartLimit: { total: 3, remaining: 0, resetAfter: 4000 } });
  const c = await connect(gw.url);
  c.send(identify(TOKEN));
  t.is((await c.frame((f) => f.op === 9)).d, false);
  const res = await fetch(`${gw.httpUrl}/gateway/bot`, { headers: { authorization: `Bot ${TOKEN}` } });
  const { session_start_limit: limit } = (await res.json()) as { session_start_limit: { reset_after: number } };
  await delay(limit.reset_after + 20);
  c.send(identify(TOKEN));
  await c.frame((f) => f.t === 'READY');
  t.is(gw.violations.length, 1);
  await c.close();
});
