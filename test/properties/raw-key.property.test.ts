import test from 'ava';
import fc from 'fast-check';
import { rawDispatchKey, rawKeyOf, RAW_KEY_MAX_TEXT } from '../../src/reshard/raw-key.js';
import { dispatchDataText } from '../../src/gateway/dispatch-data.js';
import { FRAME_TEXT } from '../../src/shard/frame-text.js';
import type { ShardDispatchEvent } from '../../src/shard/types.js';

const nameArb = fc.constantFrom('MESSAGE_CREATE', 'GUILD_CREATE', 'TYPING_START');
/** The envelope members in any order, `d` last, with optional whitespace around them. */
const frameArb = fc.record({
  t: nameArb,
  s: fc.nat({ max: 1e9 }),
  d: fc.jsonValue(),
  order: fc.constantFrom(['t', 's', 'op'], ['op', 't', 's'], ['s', 'op', 't']),
  space: fc.constantFrom('', ' ', '\n  '),
});
const render = ({ t, s, d, order, space }: { t: string; s: number; d: unknown; order: string[]; space: string }, dText = JSON.stringify(d)): string => {
  const member = { t: `"t":${space}${JSON.stringify(t)}`, s: `"s":${s}`, op: `"op":0` } as Record<string, string>;
  return `{${space}${order.map((k) => member[k]).join(`,${space}`)},${space}"d":${space}${dText}${space}}`;
};
const event = (text: string, t: string, s: number): ShardDispatchEvent => ({ type: 'dispatch', shardId: 0, t, s, d: JSON.parse(text).d, [FRAME_TEXT]: text }) as ShardDispatchEvent;

test('the d text is cut from any plain envelope order exactly as it was written', (t) => {
  fc.assert(
    fc.property(frameArb, (frame) => {
      const dText = JSON.stringify(frame.d, null, frame.space === '' ? undefined : 1);
      return dispatchDataText(render(frame, dText)) === dText;
    }),
  );
  t.pass();
});

test('two connections\' copies (same d text, different s) share a key; different d texts do not', (t) => {
  fc.assert(
    fc.property(frameArb, fc.nat({ max: 1e9 }), fc.jsonValue(), (frame, otherS, otherD) => {
      const a = render(frame);
      const b = render({ ...frame, s: otherS });
      const keyA = rawDispatchKey(event(a, frame.t, frame.s));
      if (keyA === undefined || keyA !== rawDispatchKey(event(b, frame.t, otherS))) return false;
      const c = render({ ...frame, d: otherD });
      return (JSON.stringify(otherD) === JSON.stringify(frame.d)) === (rawDispatchKey(event(c, frame.t, frame.s)) === keyA);
    }),
  );
  t.pass();
});

test('short d texts are the key, long ones a hash and a length; other layouts are not read', (t) => {
  const short = 'x'.repeat(RAW_KEY_MAX_TEXT - 2);
  t.is(rawKeyOf('T', JSON.stringify(short)), `T\n=${JSON.stringify(short)}`);
  t.regex(rawKeyOf('T', JSON.stringify(short + 'xyz')), /^T\n#[A-Za-z0-9+/]{27}=:131$/);
  for (const text of [
    '{"d":{"a":1},"t":"X","s":1,"op":0}', // d first
    '{"t":"X","s":1,"d":{"a":1}}', // no op
    '{"t":"X","s":1,"op":0,"x":1,"d":{}}', // an unknown member
    '{"t":"X\\u0041","s":1,"op":0,"d":{}}', // an escaped name
    '{"t":"X","s":1,"op":0,"d":', // cut off
    '[]',
    '',
  ]) t.is(dispatchDataText(text), undefined, text);
  t.is(rawDispatchKey({ type: 'dispatch', shardId: 0, t: 'X', s: 1, d: {} }), undefined, 'no frame text: the caller falls back to the parsed value');
});
