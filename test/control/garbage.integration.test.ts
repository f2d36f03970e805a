import test from 'ava';
import type { ToControlOf } from '../../src/control/index.js';
import { isDisclusterError } from '../../src/gateway/errors.js';
import { emulator, options, spawn, tokenLeaked, TOKEN } from './helpers.js';

type ErrorMessage = ToControlOf<'error'>;

const nested = (depth: number): unknown => (depth === 0 ? 1 : { a: nested(depth - 1) });

/** Each bad message, with the `error` it must get back. */
const garbage = (url: string): Array<[string, unknown, Partial<ErrorMessage>]> => {
  const start = { type: 'start', protocol: 1, clusterId: 'x', shardIds: [0], totalShards: 1, token: TOKEN, intents: 1, gateway: { url, maxConcurrency: 1 }, identify: 'local' };
  return [
    ['a number', 42, { code: 'not-an-object' }],
    ['a string holding the token', TOKEN, { code: 'not-an-object' }],
    ['null', null, { code: 'not-an-object' }],
    ['an array', [1, 2], { code: 'not-an-object' }],
    ['no type', {}, { code: 'unknown-type' }],
    ['an unknown type', { type: 'explode', nonce: 3 }, { code: 'unknown-type', nonce: 3 }],
    ['a prototype key as type', { type: 'toString' }, { code: 'unknown-type' }],
    ['the token as type', { type: TOKEN }, { code: 'unknown-type' }],
    ['a missing nonce', { type: 'ping' }, { code: 'invalid', about: 'ping', issues: [{ path: 'nonce', expected: 'nonce (non-negative integer)' }] }],
    ['a string nonce (not echoed)', { type: 'ping', nonce: TOKEN }, { code: 'invalid', about: 'ping' }],
    ['a negative nonce', { type: 'stats', nonce: -1 }, { code: 'invalid', about: 'stats' }],
    ['identify smuggled as a command', { type: 'command', shardId: 0, payload: { op: 2, d: { token: TOKEN } }, nonce: 7 }, { code: 'invalid', about: 'command', nonce: 7 }],
    ['a wrong boolean', { type: 'shutdown', keepSessions: 'yes', nonce: 8 }, { code: 'invalid', about: 'shutdown', nonce: 8 }],
    ['a 2 MiB string', { type: 'ping', nonce: 9, pad: 'x'.repeat(2 << 20) }, { code: 'too-large', nonce: 9 }],
    ['deep nesting', { type: 'stats', nonce: 10, deep: nested(100) }, { code: 'too-large', nonce: 10 }],
    ['many fields', { type: 'stats', nonce: 11, ...Object.fromEntries(Array.from({ length: 40_000 }, (_, i) => [`k${i}`, 'v'.repeat(30)])) }, { code: 'too-large' }],
    ['a start with the token and a bad field', { ...start, intents: 'all' }, { code: 'invalid', about: 'start', issues: [{ path: 'intents', expected: 'non-negative integer' }] }],
    ['a start of protocol 2', { ...start, protocol: 2 }, { code: 'invalid', about: 'start', issues: [{ path: 'protocol', expected: 'protocol version 1' }] }],
    ['a start with an overlong token', { ...start, token: TOKEN.repeat(40) }, { code: 'invalid', about: 'start', issues: [{ path: 'token', expected: 'token (string, 1..512)' }] }],
    ['the token as a key', { type: 'ping', [TOKEN]: TOKEN, nonce: 'x' }, { code: 'invalid', about: 'ping' }],
    ['a reshard with a string shard count', { type: 'reshard', totalShards: '24', shardIds: [0], nonce: 14 }, { code: 'invalid', about: 'reshard', nonce: 14, issues: [{ path: 'totalShards', expected: 'integer(1..1000000)' }] }],
    ['a reshard with the token as a shard id', { type: 'reshard', totalShards: 2, shardIds: [0, TOKEN], nonce: 15 }, { code: 'invalid', about: 'reshard', nonce: 15, issues: [{ path: 'shardIds.1', expected: 'shard id (0..1000000)' }] }],
    ['a reshard without a layout', { type: 'reshard', nonce: 16 }, { code: 'invalid', about: 'reshard', nonce: 16 }],
    ['a second valid start', start, { code: 'already-started', about: 'start' }],
  ];
};

/** Values only a worker's structured clone can carry. */
const cloneOnly: Array<[string, unknown, Partial<ErrorMessage>]> = [
  ['undefined', undefined, { code: 'not-an-object' }],
  ['a Date inside', { type: 'ping', nonce: 12, at: new Date() }, { code: 'invalid' }],
  ['a Map inside', { type: 'ping', nonce: 13, m: new Map([[TOKEN, 1]]) }, { code: 'invalid' }],
  ['a bigint nonce', { type: 'ping', nonce: 10n }, { code: 'invalid' }],
];

for (const mode of ['process', 'worker'] as const) {
  test(`${mode}: every malformed message gets an error without the token, and the cluster keeps running`, async (t) => {
    const gw = await emulator(t);
    const { handle, inbound, raw } = spawn(t, options(gw, { mode, identify: 'local' }));
    await handle.ready;
    const cases = [...garbage(gw.url), ...(mode === 'worker' ? cloneOnly : [])];
    for (const [, message] of cases) raw(message);
    await inbound.when(() => inbound.events.filter((m) => m.type === 'error').length >= cases.length, 10_000);
    const errors = inbound.events.filter((m): m is ErrorMessage => m.type === 'error');
    t.is(errors.length, cases.length);
    cases.forEach(([name, , expected], i) => {
      const error = errors[i]!;
      t.like(error, expected, name);
      t.false(JSON.stringify(error).includes(TOKEN), `${name}: ${JSON.stringify(error)}`);
    });

    t.true((await handle.ping()).eventLoopLagMs >= 0, 'still answers');
    await handle.command(0, { op: 3, d: { since: null, activities: [], status: 'idle', afk: false } });
    const refused = await handle.command(5, { op: 3, d: {} }).catch((e: unknown) => e);
    t.true(isDisclusterError(refused, 'SHARD_UNAVAILABLE'));
    const reshard = await handle.reshard({ totalShards: 2, shardIds: [0, 2] }).catch((e: unknown) => e);
    t.true(isDisclusterError(reshard, 'RESHARD_REFUSED'), `an impossible layout is refused by the cluster: ${String(reshard)}`);
    t.true(['ready', 'resumed'].includes((await handle.stats()).shards[0]!.status), 'still connected');
    await handle.shutdown();
    t.is(await handle.exited, 0);
    t.false(tokenLeaked(), 'no logged message holds the token');
  });
}
