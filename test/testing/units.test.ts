import test from 'ava';
import { renderDispatch, renderOp, template, templateFromJson } from '../../src/testing/wire/frames.js';
import { checkIdentify, checkResume, decodePayload, KNOWN_INTENTS, redact } from '../../src/testing/gateway/inbound.js';
import { IdentifyBuckets, SessionStartLimit, SlidingWindow } from '../../src/testing/gateway/limits.js';
import { resolveOptions } from '../../src/testing/gateway/options.js';
import { createRng } from '../../src/testing/world/rng.js';
import { Session } from '../../src/testing/gateway/session.js';
import { shardOf, snowflake, snowflakeTime } from '../../src/testing/world/snowflake.js';
import { createWorld } from '../../src/testing/world/world.js';

test('snowflakes round-trip their time; guild i of the world lands on shard i % n', (t) => {
  const id = snowflake(1_700_000_000_123, 5);
  t.is(snowflakeTime(id), 1_700_000_000_123);
  t.is(shardOf('41771983423143937', 1), 0);
  t.is(shardOf(((1234n << 22n) | 99n).toString(), 16), 1234 % 16);
  const world = createWorld(64, 1);
  for (const n of [1, 2, 3, 4, 5, 7, 8, 12, 16, 32]) {
    t.true(world.guilds.every((g) => shardOf(g.id, n) === g.index % n), `n = ${n}`);
  }
});

test('the seeded generator is deterministic and in range', (t) => {
  const a = createRng(42);
  const b = createRng(42);
  const xs = Array.from({ length: 1000 }, () => a.next());
  t.deepEqual(xs, Array.from({ length: 1000 }, () => b.next()));
  t.true(xs.every((x) => x >= 0 && x < 1));
  t.true(Array.from({ length: 1000 }, () => a.int(6)).every((n) => Number.isInteger(n) && n >= 0 && n < 6));
  t.throws(() => a.pick([]));
});

test('frames render t, s, op, d in that order, with and without a stamp', (t) => {
  const tpl = template('MESSAGE_CREATE', { a: 1 });
  t.is(renderDispatch(tpl, 7), '{"t":"MESSAGE_CREATE","s":7,"op":0,"d":{"a":1}}');
  t.is(renderDispatch(tpl, 8, 12.5), '{"t":"MESSAGE_CREATE","s":8,"op":0,"d":{"emulator_ts":12.5,"a":1}}');
  t.is(renderDispatch(template('EMPTY', {}), 1, 3), '{"t":"EMPTY","s":1,"op":0,"d":{"emulator_ts":3}}');
  t.is(renderDispatch(templateFromJson('ARRAY', '[1]'), 2, 3), '{"t":"ARRAY","s":2,"op":0,"d":[1]}');
  t.is(renderOp(11, null), '{"t":null,"s":null,"op":11,"d":null}');
  for (const text of [renderDispatch(tpl, 1, 2), renderDispatch(template('E', {}), 1, 2)]) t.notThrows(() => JSON.parse(text));
});

test('the sliding window allows count events in any window', (t) => {
  const w = new SlidingWindow(3, 100);
  t.deepEqual([0, 10, 20, 30].map((at) => w.hit(at)), [true, true, true, false]);
  t.true(w.hit(100));
  t.false(w.hit(105));
  t.true(w.hit(110));
});

test('identify buckets are shard_id % max_concurrency', (t) => {
  const b = new IdentifyBuckets(4, 5000);
  b.take(1, 0);
  t.is(b.wait(5, 1000), 4000);
  t.is(b.wait(2, 1000), 0);
  t.is(b.wait(1, 5000), 0);
});

test('the session start limit counts down and resets', (t) => {
  const l = new SessionStartLimit(5, 1, 1000, 0);
  t.true(l.consume(10));
  t.false(l.consume(20));
  t.deepEqual(l.snapshot(400), { total: 5, remaining: 0, reset_after: 600 });
  t.true(l.consume(1000));
  t.is(l.snapshot(1000).remaining, 4);
});

test('a session buffer replays after a seq and knows what it evicted', (t) => {
  const s = new Session(0, 1, 0, 3, 0);
  const tpl = template('X', {});
  for (let i = 0; i < 5; i++) s.push(tpl, undefined);
  t.is(s.seq, 5);
  t.deepEqual(s.after(2)?.map((e) => e.s), [3, 4, 5]);
  t.deepEqual(s.after(4)?.map((e) => e.s), [5]);
  t.deepEqual(s.after(5), []);
  t.is(s.after(1), undefined);
  t.is(s.nextSeq(), 6);
  s.push(tpl, undefined);
  t.deepEqual(s.after(5)?.map((e) => e.s), [7]);
});

test('decodePayload sorts out JSON, shape and opcode errors', (t) => {
  t.like(decodePayload('{"op":1,"d":null}'), { ok: true, op: 1 });
  t.like(decodePayload('nope'), { ok: false, code: 4002, rule: 'decode-error' });
  t.like(decodePayload('"x"'), { ok: false, code: 4002 });
  t.like(decodePayload('{"d":1}'), { ok: false, code: 4001, rule: 'unknown-opcode' });
  t.like(decodePayload('{"op":10}'), { ok: false, code: 4001 });
  t.like(decodePayload('{"op":31,"d":{}}'), { ok: true, op: 31 });
});

test('checkIdentify and checkResume answer with Discord close codes', (t) => {
  const rules = { token: 'tok', privilegedIntents: 0, requireSharding: false };
  const d = (extra: object) => ({ token: 'tok', intents: 1, properties: { os: 'a', browser: 'b', device: 'c' }, ...extra });
  t.like(checkIdentify(d({}), rules), { ok: true, shard: undefined, intents: 1 });
  t.like(checkIdentify(d({ shard: [3, 4] }), rules), { ok: true, shard: [3, 4] });
  t.like(checkIdentify(d({ shard: [1.5, 4] }), rules), { ok: false, code: 4010 });
  t.like(checkIdentify(d({ intents: 2 ** 40 }), rules), { ok: false, code: 4013 });
  t.like(checkIdentify(d({ intents: KNOWN_INTENTS }), rules), { ok: false, code: 4014 });
  t.like(checkIdentify(d({ intents: '1' }), rules), { ok: false, code: 4013 });
  t.like(checkIdentify(null, rules), { ok: false, code: 4001 });
  t.like(checkResume({ token: 'tok', session_id: 'x', seq: null }, 'tok'), { ok: true, seq: 0 });
  t.like(checkResume({ token: 'tok', session_id: 'x', seq: -1 }, 'tok'), { ok: false, code: 4001 });
  t.like(checkResume({ token: 'no', session_id: 'x', seq: 1 }, 'tok'), { ok: false, code: 4004 });
});

test('redact replaces the token and leaves other payloads alone', (t) => {
  const payload = { op: 2, d: { token: 'abc', intents: 1 } };
  t.deepEqual(redact(payload, 'abc'), { op: 2, d: { token: '[redacted]', intents: 1 } });
  t.is(payload.d.token, 'abc', 'the original is not changed');
  const heartbeat = { op: 1, d: 5 };
  t.is(redact(heartbeat, 'abc'), heartbeat);
  t.is(redact('xx abc yy abc', 'abc'), 'xx [redacted] yy [redacted]');
});

test('options get their documented defaults and bad values are named', (t) => {
  const o = resolveOptions();
  t.like(o, { token: 'emulator-token', shards: 1, maxConcurrency: 1, identifyWindowMs: 5000, heartbeatInterval: 41_250, heartbeatTimeoutMs: 62_875 });
  t.like(o, { sendLimitCount: 120, sendLimitWindowMs: 60_000, sessionTtlMs: 180_000, sessionStartTotal: 1000, sessionStartRemaining: 1000, host: '127.0.0.1', port: 0 });
  t.is(resolveOptions({ heartbeatInterval: 100 }).heartbeatTimeoutMs, 1150);
  t.throws(() => resolveOptions({ shards: 0 }), { message: /shards/ });
  t.throws(() => resolveOptions({ maxConcurrency: 1.5 }), { message: /maxConcurrency/ });
});
