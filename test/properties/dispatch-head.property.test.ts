import test from 'ava';
import fc from 'fast-check';
import { readDispatchHead } from '../../src/gateway/dispatch-head.js';
import { SKIP_HEAD_BYTES } from '../../src/gateway/decoder.js';

const RUNS = 3000;

/** Event names as gateways write them, and odd ones: escapes, non-ASCII, empty, long. */
const name = fc.oneof(
  { weight: 6, arbitrary: fc.stringMatching(/^[A-Z][A-Z_]{0,30}$/) },
  { weight: 1, arbitrary: fc.string({ maxLength: 80 }) },
  { weight: 1, arbitrary: fc.fullUnicodeString({ maxLength: 10 }) },
);
const seq = fc.oneof({ weight: 6, arbitrary: fc.nat() }, { weight: 1, arbitrary: fc.maxSafeNat() }, { weight: 1, arbitrary: fc.oneof(fc.integer({ min: -5, max: -1 }), fc.double(), fc.constant(null), fc.string()) });
const op = fc.oneof({ weight: 6, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.oneof(fc.integer({ min: 1, max: 11 }), fc.constant(-0), fc.double(), fc.constant(null), fc.string()) });
/** `d` of every kind, now and then big enough that neither end of the text reaches past it. */
const data = fc.oneof({ weight: 4, arbitrary: fc.jsonValue({ maxDepth: 3 }) }, { weight: 1, arbitrary: fc.string({ minLength: 200, maxLength: 400 }) });

/** A dispatch-like object as entries, some envelope keys missing, extra keys now and then. */
const envelope = fc
  .record({ t: fc.oneof({ weight: 8, arbitrary: name }, { weight: 1, arbitrary: fc.constant(null) }), s: seq, op, d: data }, { requiredKeys: [] })
  .chain((o) => fc.tuple(fc.constant(o), fc.array(fc.tuple(fc.string({ maxLength: 4 }), fc.jsonValue({ maxDepth: 1 })), { maxLength: 2 })))
  .map(([o, extra]) => [...Object.entries(o), ...extra.filter(([k]) => !(k in o) && k !== '__proto__')] as [string, unknown][]);

/** The entries in a shuffled order, written compact or with the spaces other serializers put in. */
const serialised = fc.tuple(envelope, fc.nat(), fc.constantFrom('compact', 'spaced', 'indented')).map(([entries, seed, style]) => {
  const shuffled = [...entries];
  let r = seed;
  for (let i = shuffled.length - 1; i > 0; i--) {
    r = (r * 1103515245 + 12345) >>> 0;
    const j = r % (i + 1);
    [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
  }
  const object = Object.fromEntries(shuffled);
  if (style === 'indented') return JSON.stringify(object, null, 2);
  const text = JSON.stringify(object);
  return style === 'compact' ? text : JSON.stringify(object, null, 1).replace(/\n\s*/g, ' ');
});

/** JSON.parse's answer to "which dispatch is this", in the scanner's terms. */
const truth = (text: string) => {
  const v = JSON.parse(text) as Record<string, unknown>;
  return { op: v['op'], t: v['t'], s: v['s'] };
};

test('whatever the key order, a verdict from the whole text agrees with JSON.parse', (t) => {
  fc.assert(
    fc.property(serialised, (text) => {
      const verdict = readDispatchHead(text, text);
      if (verdict === undefined) return true;
      const real = truth(text);
      return real.op === 0 && real.t === verdict.t && real.s === verdict.s;
    }),
    { numRuns: RUNS },
  );
  t.pass();
});

test('a verdict from only the first and last 96 characters agrees with JSON.parse too', (t) => {
  fc.assert(
    fc.property(serialised, fc.integer({ min: 1, max: SKIP_HEAD_BYTES }), (text, n) => {
      const verdict = readDispatchHead(text.slice(0, n), text.slice(-n));
      if (verdict === undefined) return true;
      const real = truth(text);
      return real.op === 0 && real.t === verdict.t && real.s === verdict.s;
    }),
    { numRuns: RUNS },
  );
  t.pass();
});

test('a dispatch of t, s, op and d in any order, with a plain name, always gets a verdict from its whole text', (t) => {
  const plain = fc.record({ t: fc.stringMatching(/^[A-Z_]{1,40}$/), s: fc.maxSafeNat().filter((s) => String(s).length <= 15), d: data });
  fc.assert(
    fc.property(plain, fc.nat(), fc.constantFrom('compact', 'spaced'), ({ t: name, s, d }, seed, style) => {
      const keys = ['t', 's', 'op', 'd'];
      const order = keys.map((k, i) => [k, (seed >> (i * 4)) & 15] as const).sort((a, b) => a[1] - b[1]).map(([k]) => k);
      const object = Object.fromEntries(order.map((k) => [k, k === 't' ? name : k === 's' ? s : k === 'op' ? 0 : d]));
      const text = style === 'compact' ? JSON.stringify(object) : JSON.stringify(object, null, 1).replace(/\n\s*/g, ' ');
      const verdict = readDispatchHead(text, text);
      return verdict !== undefined && verdict.t === name && verdict.s === s;
    }),
    { numRuns: RUNS },
  );
  t.pass();
});

test('arbitrary text never throws and gets a verdict only when it reads as a dispatch', (t) => {
  fc.assert(
    fc.property(fc.string({ maxLength: 200 }), fc.string({ maxLength: 200 }), (head, tail) => {
      const verdict = readDispatchHead(head, tail);
      return verdict === undefined || (typeof verdict.t === 'string' && Number.isSafeInteger(verdict.s) && verdict.s >= 0);
    }),
    { numRuns: RUNS },
  );
  t.pass();
});
