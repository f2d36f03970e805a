import test from 'ava';
import { createEmulator } from '../../src/testing/index.js';
import { connect, emulator, identify, TOKEN } from './helpers.js';

const OP_FIRST = /^\{"op":0,"t":"[A-Z_]+","s":\d+,"d":/;

for (const [label, query, zlibMode] of [
  ['text', { v: '10', encoding: 'json' }, undefined],
  ['zlib-stream (context)', { v: '10', encoding: 'json', compress: 'zlib-stream' }, 'context'],
  ['zlib-stream (precompressed)', { v: '10', encoding: 'json', compress: 'zlib-stream' }, 'precompressed'],
] as const) {
  test(`keyOrder 'op-first' writes every dispatch as {"op":0,"t","s","d"}, stamped or not, over ${label}`, async (t) => {
    const gw = await emulator(t, { guilds: 2, keyOrder: 'op-first', ...(zlibMode ? { zlibMode } : {}) });
    const c = await connect(gw.url, query);
    c.send(identify(TOKEN));
    await c.frame((f) => f.t === 'READY');
    await gw.stream(0, { count: 30 }).done;
    await gw.stream(0, { count: 10, stamp: true, seed: 3 }).done;
    const s = gw.dispatch(0, 'MESSAGE_CREATE', { id: '1', content: 'hi' });
    const last = await c.frame((f) => f.s === s);
    t.is(last.text, `{"op":0,"t":"MESSAGE_CREATE","s":${s},"d":{"id":"1","content":"hi"}}`);
    const dispatches = c.frames.filter((f) => f.op === 0);
    t.true(dispatches.every((f) => OP_FIRST.test(f.text)), dispatches.map((f) => f.text.slice(0, 60)).find((x) => !OP_FIRST.test(x)));
    t.deepEqual(dispatches.map((f) => f.s), Array.from({ length: dispatches.length }, (_, i) => i + 1));
    const stamped = dispatches.filter((f) => typeof f.d?.emulator_ts === 'number');
    t.is(stamped.length, 10);
    t.true(stamped.every((f) => f.text.includes(`"s":${f.s},"d":{"emulator_ts":`)));
    t.true(c.frames.filter((f) => f.op !== 0).every((f) => f.text.startsWith('{"t":null,"s":null,"op":')), 'other frames keep Discord order');
    t.deepEqual(c.decodeErrors, []);
    await c.close();
  });
}

test("keyOrder defaults to Discord's and refuses anything else", async (t) => {
  const gw = await emulator(t, { guilds: 1 });
  t.is(gw.options.keyOrder, 'discord');
  await t.throwsAsync(createEmulator({ keyOrder: 'alphabetical' as 'discord' }), { instanceOf: RangeError, message: /keyOrder/ });
});
