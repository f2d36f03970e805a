import test from 'ava';
import * as E from 'fp-ts/lib/Either.js';
import { parseFrame, peekDispatch, type ErrorCode } from '../../src/gateway/index.js';

test('parses a dispatch envelope', (t) => {
  const r = parseFrame('{"t":"MESSAGE_CREATE","s":3,"op":0,"d":{"id":"1"}}');
  t.true(E.isRight(r));
  if (E.isRight(r)) t.deepEqual(r.right, { t: 'MESSAGE_CREATE', s: 3, op: 0, d: { id: '1' } });
});

test('parses non-dispatch frames with null s and t', (t) => {
  const r = parseFrame('{"op":10,"d":{"heartbeat_interval":41250},"s":null,"t":null}');
  t.true(E.isRight(r));
});

test('bad JSON and wrong types become typed errors, never throws', (t) => {
  const cases: Array<[string, ErrorCode]> = [
    ['{not json', 'DECODE_INVALID_JSON'],
    ['', 'DECODE_INVALID_JSON'],
    ['null', 'DECODE_INVALID_FRAME'],
    ['[1,2]', 'DECODE_INVALID_FRAME'],
    ['{"op":"0"}', 'DECODE_INVALID_FRAME'],
    ['{"op":-1}', 'DECODE_INVALID_FRAME'],
    ['{"op":0,"d":{}}', 'DECODE_INVALID_FRAME'],
    ['{"op":0,"t":5,"s":1}', 'DECODE_INVALID_FRAME'],
    ['{"op":11,"s":"x"}', 'DECODE_INVALID_FRAME'],
  ];
  for (const [text, code] of cases) {
    const r = parseFrame(text);
    t.true(E.isLeft(r), text);
    if (E.isLeft(r)) t.is(r.left.code, code, text);
  }
});

test('peekDispatch reads t and s in any key order', (t) => {
  t.deepEqual(peekDispatch('{"t":"TYPING_START","s":42,"op":0,"d":{"a":1}}'), { t: 'TYPING_START', s: 42 });
  t.deepEqual(peekDispatch('{"op":0,"t":"TYPING_START","s":42,"d":{}}'), { t: 'TYPING_START', s: 42 });
  t.deepEqual(peekDispatch('{"d":{"t":"NO"},"op":0,"t":"TYPING_START","s":42}'), { t: 'TYPING_START', s: 42 });
  t.is(peekDispatch('{"t":"X","s":,"op":0,"d":{}}'), undefined);
  t.is(peekDispatch('{"t":"X","s":1,"op":1,"d":{}}'), undefined);
  t.is(peekDispatch('{"t":"A\\"B","s":1,"op":0,"d":{}}'), undefined);
  t.is(peekDispatch('{"t":null,"s":null,"op":11,"d":null}'), undefined);
  t.is(peekDispatch('{"t":"MESSAGE_CRÉATE","s":1,"op":0,"d":{}}'), undefined, 'names other than plain ASCII are parsed the long way');
});
