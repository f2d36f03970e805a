import test from 'ava';
import { readDispatchHead } from '../../src/gateway/dispatch-head.js';

const whole = (text: string) => readDispatchHead(text, text);

test('Discord order, op first, d first, d in the middle: t and s are read', (t) => {
  for (const text of [
    '{"t":"TYPING_START","s":42,"op":0,"d":{"a":1}}',
    '{"op":0,"s":42,"t":"TYPING_START","d":{"a":1}}',
    '{"op":0,"d":{"t":"NOT_THIS","s":1},"s":42,"t":"TYPING_START"}',
    '{"d":{"a":[1,"}"]},"t":"TYPING_START","s":42,"op":0}',
    '{"s":42,"d":null,"op":0,"t":"TYPING_START"}',
    '{ "op": 0, "d": {"x": 1}, "s": 42, "t": "TYPING_START" }',
  ]) {
    t.deepEqual(whole(text), { t: 'TYPING_START', s: 42 }, text);
  }
});

test('a head that stops before d, with the tail holding the rest', (t) => {
  const text = `{"d":{"big":"${'x'.repeat(1000)}"},"op":0,"t":"GUILD_CREATE","s":7}`;
  t.deepEqual(readDispatchHead(text.slice(0, 96), text.slice(-96)), { t: 'GUILD_CREATE', s: 7 });
  t.is(readDispatchHead(text.slice(0, 96), text.slice(-10)), undefined, 'a tail cut mid-member does not count');
});

test('anything but a plain op-0 dispatch is "don\'t know"', (t) => {
  for (const text of [
    '{"t":null,"s":null,"op":11,"d":null}',
    '{"t":"X","s":1,"op":1,"d":{}}',
    '{"t":"X","s":1.5,"op":0,"d":{}}',
    '{"t":"X","s":-1,"op":0,"d":{}}',
    '{"t":"X","s":1e3,"op":0,"d":{}}',
    '{"t":"A\\"B","s":1,"op":0,"d":{}}',
    '{"t":"MESSAGE_CRÉATE","s":1,"op":0,"d":{}}',
    '{"d":{},"s":1,"op":0,"t":"A\\"B"}',
    '{"d":{},"s":1,"op":0}',
    '{"t":"A","s":1,"d":{},"op":0,"t":"B"}', // a key twice, seen from both ends
    '{"t":"X","s":"1","op":0,"d":{}}',
    '{"t":"X","s":1234567890123456,"op":0,"d":{}}',
    '',
    '[]',
  ]) {
    t.is(whole(text), undefined, text);
  }
});
