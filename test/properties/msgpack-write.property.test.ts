import test from 'ava';
import fc from 'fast-check';
import { decode, encode } from '@msgpack/msgpack';
import { MsgpackWriter } from '../../src/broker/msgpack-write.js';

const write = (value: unknown): Buffer => {
  const writer = new MsgpackWriter();
  writer.reset();
  writer.value(value);
  return writer.take();
};

/**
 * JSON values, with numbers of every size and sign, strings of every length and script. Keys
 * leave out `__proto__`: @msgpack/msgpack refuses to decode a map with that key (a reader's
 * guard; Discord's payloads never use it as a key), so a round trip through it cannot be checked.
 */
const keyArb = fc.string({ maxLength: 12 }).filter((key) => key !== '__proto__');
const valueArb = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.maxSafeInteger(),
    fc.integer({ min: -40, max: 300 }),
    fc.string({ unit: 'binary', maxLength: 40 }),
    fc.string({ unit: 'grapheme', minLength: 0, maxLength: 200 }),
    fc.array(tie('value'), { maxLength: 20 }),
    fc.dictionary(keyArb, tie('value'), { maxKeys: 20 }),
  ),
})).value;

test('any JSON value: @msgpack/msgpack decodes what the writer wrote to the same value', (t) => {
  fc.assert(
    fc.property(valueArb, (value) => {
      t.deepEqual(decode(write(value)), value);
    }),
    { numRuns: 500 },
  );
});

test('sizes at every header boundary: strings, arrays, maps and integers', (t) => {
  for (const n of [0, 31, 32, 85, 86, 255, 256, 21_845, 21_846, 65_535, 65_536, 100_000]) {
    const text = 'x'.repeat(n);
    t.is(decode(write(text)), text, `string of ${n}`);
    t.is(decode(write('é'.repeat(n))), 'é'.repeat(n), `two-byte string of ${n}`);
  }
  for (const n of [0, 15, 16, 65_535, 65_536]) {
    const list = Array.from({ length: n }, (_, i) => i);
    t.deepEqual(decode(write(list)), list, `array of ${n}`);
    const map = Object.fromEntries(list.map((i) => [`k${i}`, i]));
    t.deepEqual(decode(write(map)), map, `map of ${n}`);
  }
  for (const n of [0, 127, 128, 255, 256, 65_535, 65_536, 0xffffffff, 0x100000000, -1, -32, -33, -128, -129, -32_768, -32_769, -0x80000000, -0x80000001, 1.5, -0]) {
    t.true(Object.is(decode(write(n)), n), `number ${n}`);
  }
  // small integers take the same bytes as the reference encoder
  for (const n of [0, 5, 200, 70_000, -3, -100, -40_000]) t.deepEqual(write(n), Buffer.from(encode(n)), `bytes of ${n}`);
});

test('values JSON cannot hold are refused with a TypeError; undefined is nil', (t) => {
  t.throws(() => write(10n), { instanceOf: TypeError });
  t.throws(() => write({ f: () => 1 }), { instanceOf: TypeError });
  t.is(decode(write(undefined)), null);
  let deep: unknown = 1;
  for (let i = 0; i < 300; i++) deep = [deep];
  t.throws(() => write(deep), { instanceOf: TypeError });
});
