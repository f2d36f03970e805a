import test from 'ava';
import * as E from 'fp-ts/lib/Either.js';
import { encodePayload, MAX_SEND_BYTES } from '../../src/gateway/index.js';

test('encodes a payload as {op, d}', (t) => {
  t.deepEqual(encodePayload({ op: 1, d: 5 }), E.right('{"op":1,"d":5}'));
});

test('accepts exactly 4096 bytes and refuses 4097, counting UTF-8 bytes', (t) => {
  const overhead = '{"op":3,"d":""}'.length;
  const fits = encodePayload({ op: 3, d: 'a'.repeat(MAX_SEND_BYTES - overhead) });
  t.true(E.isRight(fits));
  const over = encodePayload({ op: 3, d: 'a'.repeat(MAX_SEND_BYTES - overhead + 1) });
  t.true(E.isLeft(over));
  if (E.isLeft(over)) t.is(over.left.code, 'ENCODE_TOO_LARGE');
  const multiByte = encodePayload({ op: 3, d: 'é'.repeat(3000) });
  t.true(E.isLeft(multiByte));
});

test('an unserializable payload is a clear error that does not leak its content', (t) => {
  const r = encodePayload({ op: 2, d: { token: 'secret-token', n: 1n } });
  t.true(E.isLeft(r));
  if (E.isLeft(r)) {
    t.is(r.left.code, 'ENCODE_INVALID');
    t.false(r.left.message.includes('secret-token'));
  }
});
