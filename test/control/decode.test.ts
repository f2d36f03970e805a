import test from 'ava';
import * as E from 'fp-ts/lib/Either.js';
import { checkLimits } from '../../src/control/decode.js';
import { decodeMessage, TO_CLUSTER, TO_CLUSTER_LIMITS, TO_CONTROL, TO_CONTROL_LIMITS, type Rejection } from '../../src/control/index.js';

const refused = (raw: unknown): Rejection => {
  const result = decodeMessage(TO_CLUSTER, raw, TO_CLUSTER_LIMITS);
  if (E.isRight(result)) throw new Error('expected a refusal');
  return result.left;
};

const start = { type: 'start', protocol: 1, clusterId: 'c', shardIds: [0, 1], totalShards: 2, token: 'tok', intents: 0, gateway: { url: 'ws://x', maxConcurrency: 1 }, identify: 'local' };

test('a valid start decodes, optional fields included', (t) => {
  const full = { ...start, compression: 'none', largeThreshold: 100, events: ['READY'], forward: { dispatches: ['MESSAGE_CREATE'] }, timing: { backoff: { initialMs: 5 } } };
  const result = decodeMessage(TO_CLUSTER, full, TO_CLUSTER_LIMITS);
  t.true(E.isRight(result));
});

test('issues name the path and expected type through intersections, arrays and unions', (t) => {
  t.deepEqual(refused({ ...start, gateway: { url: 5, maxConcurrency: 1 } }).issues, [{ path: 'gateway.url', expected: 'non-empty string(<=2048)' }]);
  t.deepEqual(refused({ ...start, shardIds: [0, -1] }).issues, [{ path: 'shardIds.1', expected: 'shard id (0..1000000)' }]);
  t.deepEqual(refused({ type: 'command', shardId: 0, nonce: 1, payload: { op: 2, d: null } }).issues, [{ path: 'payload.op', expected: 'user opcode (3 | 4 | 8 | 31)' }]);
  t.deepEqual(refused({ ...start, compression: 'gzip' }).issues, [{ path: 'compression', expected: 'compression' }]);
});

test('values never appear in a refusal; only an integer nonce is echoed', (t) => {
  const secret = 'sekrit-value';
  for (const raw of [{ ...start, token: secret, intents: secret }, { type: secret }, { type: 'ping', nonce: secret }, { type: 'ping', [secret]: 1, nonce: [secret] }]) {
    const rejection = refused(raw);
    t.false(JSON.stringify(rejection).includes(secret), JSON.stringify(rejection));
    t.is(rejection.nonce, undefined);
  }
  t.is(refused({ type: 'shutdown', nonce: 4 }).nonce, 4);
});

test('prototype keys are not message types', (t) => {
  for (const type of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) t.is(refused({ type }).code, 'unknown-type');
});

test('limits: size, depth, string length and non-JSON values', (t) => {
  const limits = { maxBytes: 1000, maxDepth: 4, maxStringLength: 100 };
  t.is(checkLimits({ a: [1, { b: 'x' }] }, limits), null);
  t.is(checkLimits({ a: 'x'.repeat(101) }, limits)?.code, 'too-large');
  t.is(checkLimits({ a: { b: { c: { d: { e: 1 } } } } }, limits)?.code, 'too-large');
  t.is(checkLimits({ a: Array.from({ length: 200 }, () => 'abcdef') }, limits)?.code, 'too-large');
  t.is(checkLimits({ a: new Date() }, limits)?.code, 'invalid');
  t.is(checkLimits({ a: () => 1 }, limits)?.code, 'invalid');
  t.is(checkLimits({ a: 1n }, limits)?.code, 'invalid');
  t.is(checkLimits(Object.create(null) as object, limits), null);
});

test('messages from a cluster are decoded by the same table of codecs', (t) => {
  t.true(E.isRight(decodeMessage(TO_CONTROL, { type: 'spawned', protocol: 1, pid: 3 }, TO_CONTROL_LIMITS)));
  t.true(E.isLeft(decodeMessage(TO_CONTROL, { type: 'spawned', protocol: 2, pid: 3 }, TO_CONTROL_LIMITS)));
  t.true(E.isRight(decodeMessage(TO_CONTROL, { type: 'command-result', nonce: 1, ok: false, code: 'X', message: 'm' }, TO_CONTROL_LIMITS)));
  t.true(E.isLeft(decodeMessage(TO_CONTROL, { type: 'command-result', nonce: 1, ok: false }, TO_CONTROL_LIMITS)));
  t.true(E.isRight(decodeMessage(TO_CONTROL, { type: 'dispatch', shardId: 0, t: 'GUILD_CREATE', s: 1, d: { big: 'x'.repeat(2 << 20) } }, TO_CONTROL_LIMITS)));
});
