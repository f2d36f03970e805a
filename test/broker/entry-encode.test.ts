import test from 'ava';
import fc from 'fast-check';
import { decode } from '@msgpack/msgpack';
import { createEntryEncoder, dispatchOrigin, entryData, entryJson } from '../../src/broker/entry-encode.js';
import { SESSION_ID } from '../../src/shard/dispatch-session.js';
import { FRAME_TEXT } from '../../src/shard/frame-text.js';
import type { ShardDispatchEvent } from '../../src/shard/types.js';

/** A dispatch as a shard emits it: the parsed frame, its text and its session under their symbols. */
const dispatch = (shardId: number, text: string, sessionId?: string): ShardDispatchEvent => {
  const frame = JSON.parse(text) as { t: string; s: number; d: unknown };
  return { type: 'dispatch', shardId, t: frame.t, s: frame.s, d: frame.d, [FRAME_TEXT]: text, [SESSION_ID]: sessionId } as ShardDispatchEvent;
};

const TEXT = '{"t":"MESSAGE_CREATE","s":42,"op":0,"d":{"id":"1","content":"hi \\"you\\" ✓","n":[1,2.5,null,true]}}';

test('msgpack data: { shardId, payload: { op, t, s, d }, origin } as @msgpack/msgpack decodes it; never starts with "{"', (t) => {
  const event = dispatch(3, TEXT, 'abc123');
  const data = createEntryEncoder('msgpack')(event);
  t.true(Buffer.isBuffer(data));
  t.deepEqual(decode(data as Buffer), {
    shardId: 3,
    payload: { op: 0, t: 'MESSAGE_CREATE', s: 42, d: { id: '1', content: 'hi "you" ✓', n: [1, 2.5, null, true] } },
    origin: '3:abc123:42',
  });
  t.not((data as Buffer)[0], 0x7b);
});

test('origin is shard:session:s (session empty when a dispatch carries none); one encoder gives independent buffers', (t) => {
  t.is(dispatchOrigin(dispatch(0, TEXT, 's1')), '0:s1:42');
  t.is(dispatchOrigin(dispatch(0, TEXT)), '0::42');
  const encode = createEntryEncoder('msgpack');
  const first = encode(dispatch(1, TEXT, 'a')) as Buffer;
  const copy = Buffer.from(first);
  encode(dispatch(2, '{"t":"TYPING_START","s":7,"op":0,"d":{"x":"yyyyyyyyyyyyyyyyyyyyyyyyyyyyyy"}}', 'b'));
  t.deepEqual(first, copy, 'a later entry does not overwrite an earlier one');
});

test('json data: copies d from the frame text, and parses to the same value as the object (any key order, or no frame text)', (t) => {
  const event = dispatch(5, TEXT, 'sess');
  const text = (createEntryEncoder('json')(event) as Buffer).toString('utf8');
  t.true(text.startsWith('{'), 'JSON text, as UTF-8 bytes');
  t.true(text.includes('"content":"hi \\"you\\" ✓"'), 'd as Discord sent it');
  t.deepEqual(JSON.parse(text), entryData(event));
  const reordered = dispatch(5, '{"op":0,"d":{"a":1},"s":9,"t":"GUILD_CREATE"}', 'sess');
  t.deepEqual(JSON.parse(entryJson(reordered)), entryData(reordered));
  const bare: ShardDispatchEvent = { type: 'dispatch', shardId: 1, t: 'READY', s: 1, d: { v: 10 } };
  t.deepEqual(JSON.parse(entryJson(bare)), { shardId: 1, payload: { op: 0, t: 'READY', s: 1, d: { v: 10 } }, origin: '1::1' });
});

/** Any JSON value but one with a `__proto__` key, which @msgpack/msgpack refuses to decode (a reader's guard; Discord never sends such a key). */
const jsonWithoutProtoKey = fc.jsonValue().filter((value) => !JSON.stringify(value).includes('"__proto__"'));

test('property: for any d, both encodings decode to the entry object', (t) => {
  const encodeMsgpack = createEntryEncoder('msgpack');
  fc.assert(
    fc.property(fc.nat(1000), fc.nat(1e9), jsonWithoutProtoKey, fc.boolean(), (shardId, s, d, opFirst) => {
      const dText = JSON.stringify(d);
      const text = opFirst ? `{"op":0,"s":${s},"t":"EVENT_X","d":${dText}}` : `{"t":"EVENT_X","s":${s},"op":0,"d":${dText}}`;
      const event = dispatch(shardId, text, 'session');
      const expected = JSON.parse(JSON.stringify(entryData(event)));
      t.deepEqual(JSON.parse(entryJson(event)), expected);
      t.deepEqual(decode(encodeMsgpack(event) as Buffer), expected);
    }),
    { numRuns: 200 },
  );
});
