import test from 'ava';
import fc from 'fast-check';
import zlib from 'node:zlib';
import * as E from 'fp-ts/lib/Either.js';
import { createDecoder, type DisclusterError } from '../../src/gateway/index.js';
import { FrameCodec } from '../../src/gateway/codecs.js';
import { isPlainDispatch, parseFrame } from '../../src/gateway/frame.js';
import { zstdStreamEncoder } from '../../src/testing/wire/compression.js';
import { zstdTest } from '../helpers/zstd.js';

const RUNS = 300;

/** Compresses messages like Discord: one deflate context, a sync flush after each. */
const zlibStream = (messages: string[]): Buffer[] => {
  const deflate = zlib.createDeflate();
  const handle = deflate as unknown as { _handle: { writeSync: (...a: unknown[]) => void }; _writeState: Uint32Array };
  const out: Buffer[] = [];
  for (const text of messages) {
    const input = Buffer.from(text);
    const chunks: Buffer[] = [];
    let inOff = 0;
    let availIn = input.length;
    for (;;) {
      const buffer = Buffer.alloc(65536);
      handle._handle.writeSync(zlib.constants.Z_SYNC_FLUSH, input, inOff, availIn, buffer, 0, buffer.length);
      const [availOut, availInAfter] = handle._writeState as unknown as [number, number];
      chunks.push(buffer.subarray(0, buffer.length - availOut));
      inOff += availIn - availInAfter;
      availIn = availInAfter;
      if (availOut !== 0) break;
    }
    out.push(Buffer.concat(chunks));
  }
  deflate.close();
  return out;
};

const decodeAll = (frames: Buffer[]) => {
  const messages: string[] = [];
  const errors: DisclusterError[] = [];
  const decoder = createDecoder({ compression: 'zlib-stream', zlib: 'sync', maxMessageBytes: 1 << 20 }, {
    message: (m) => messages.push(m),
    error: (e) => errors.push(e),
  });
  for (const frame of frames) decoder.push(frame, true);
  decoder.close();
  return { messages, errors };
};

test('arbitrary bytes never throw out of any decoder: a typed error or messages', (t) => {
  fc.assert(
    fc.property(fc.array(fc.uint8Array({ maxLength: 512 }), { maxLength: 8 }), fc.constantFrom('zlib-stream', 'none', 'zstd-stream'), fc.boolean(), (chunks, compression, binary) => {
      const errors: DisclusterError[] = [];
      const decoder = createDecoder({ compression: compression as 'zlib-stream', zlib: 'sync' }, { message: () => {}, error: (e) => errors.push(e) });
      for (const chunk of chunks) decoder.push(Buffer.from(chunk), binary);
      decoder.close();
      return errors.length <= 1 && errors.every((e) => typeof e.code === 'string' && e.code.startsWith('DECODE_'));
    }),
    { numRuns: RUNS },
  );
  t.pass();
});

test('any split of a valid zlib stream decodes to exactly the original messages', (t) => {
  fc.assert(
    fc.property(
      fc.array(fc.json({ maxDepth: 3 }), { minLength: 1, maxLength: 12 }),
      fc.array(fc.nat({ max: 10_000 }), { maxLength: 20 }),
      (messages, cuts) => {
        const frames = zlibStream(messages);
        const stream = Buffer.concat(frames);
        // cut only inside each message's bytes, and never across a message end: a gateway frame
        // holds part of at most one message; each message's last piece ends with 00 00 ff ff.
        const pieces: Buffer[] = [];
        let offset = 0;
        frames.forEach((frame, i) => {
          const inside = cuts.filter((_, k) => k % frames.length === i).map((c) => c % Math.max(1, frame.length - 4)).sort((a, b) => a - b);
          let from = 0;
          for (const cut of inside) if (cut > from) (pieces.push(stream.subarray(offset + from, offset + cut)), (from = cut));
          pieces.push(stream.subarray(offset + from, offset + frame.length));
          offset += frame.length;
        });
        const { messages: got, errors } = decodeAll(pieces);
        return errors.length === 0 && JSON.stringify(got) === JSON.stringify(messages);
      },
    ),
    { numRuns: RUNS },
  );
  t.pass();
});

/** Large messages (70–400 KB, some with multi-byte characters) among small ones: several 64 KiB output buffers each. */
const largeAndSmall = fc.array(
  fc.oneof(
    { weight: 2, arbitrary: fc.json({ maxDepth: 2 }) },
    {
      weight: 1,
      arbitrary: fc.tuple(fc.string({ minLength: 1, maxLength: 40, unit: 'grapheme' }), fc.integer({ min: 70_000, max: 400_000 })).map(([s, size]) => JSON.stringify(s.repeat(Math.ceil(size / Math.max(1, Buffer.byteLength(s)))))),
    },
  ),
  { minLength: 1, maxLength: 8 },
);

test('large messages (several 64 KiB output buffers, recycled between messages) in any split decode to exactly the originals, whatever came before', (t) => {
  fc.assert(
    fc.property(largeAndSmall, fc.array(fc.nat({ max: 200_000 }), { maxLength: 12 }), (messages, cuts) => {
      const frames = zlibStream(messages);
      const pieces: Buffer[] = [];
      frames.forEach((frame, i) => {
        const inside = cuts.filter((_, k) => k % frames.length === i).map((c) => c % Math.max(1, frame.length - 4)).sort((a, b) => a - b);
        let from = 0;
        for (const cut of inside) if (cut > from) (pieces.push(frame.subarray(from, cut)), (from = cut));
        pieces.push(frame.subarray(from));
      });
      const { messages: got, errors } = decodeAll(pieces);
      return errors.length === 0 && JSON.stringify(got) === JSON.stringify(messages);
    }),
    { numRuns: 60 },
  );
  t.pass();
});

/** Decodes zstd-stream frames (one message each) with the given inflater; for streaming, waits for every answer. */
const decodeZstd = async (frames: Buffer[], mode: 'sync' | 'streaming', skip?: (head: string) => boolean) => {
  const messages: string[] = [];
  const errors: DisclusterError[] = [];
  let seen = 0;
  const decoder = createDecoder(
    { compression: 'zstd-stream', zlib: mode, maxMessageBytes: 1 << 20, ...(skip ? { skip: (h: string) => (seen++, skip(h)) } : {}) },
    { message: (m) => (seen++, messages.push(m)), error: (e) => errors.push(e) },
  );
  for (const frame of frames) decoder.push(frame, true);
  while (seen < frames.length && errors.length === 0) await new Promise((resolve) => setImmediate(resolve));
  decoder.close();
  return { messages, errors };
};

/** Messages of every size: JSON values, and now and then one past the inflater's 64 KiB buffer. */
const zstdMessages = fc.array(fc.oneof({ weight: 9, arbitrary: fc.json({ maxDepth: 3 }) }, { weight: 1, arbitrary: fc.string({ minLength: 1 }).map((s) => JSON.stringify(s.repeat(Math.ceil(70_000 / s.length)))) }), {
  minLength: 1,
  maxLength: 12,
});

for (const mode of ['sync', 'streaming'] as const) {
  zstdTest(`any messages through one zstd-stream context decode (${mode}) to exactly the originals`, async (t) => {
    await fc.assert(
      fc.asyncProperty(zstdMessages, async (messages) => {
        const encoder = zstdStreamEncoder();
        const frames = messages.map((m) => encoder.encode(m) as Buffer);
        encoder.close();
        const { messages: got, errors } = await decodeZstd(frames, mode);
        return errors.length === 0 && JSON.stringify(got) === JSON.stringify(messages);
      }),
      { numRuns: mode === 'sync' ? 150 : 50 },
    );
    t.pass();
  });
}

zstdTest('a valid zstd stream with a frame lost or corrupted never throws: the messages before it, then at most one typed error', async (t) => {
  await fc.assert(
    fc.asyncProperty(zstdMessages, fc.nat(), fc.nat(), fc.boolean(), async (messages, at, byte, drop) => {
      const encoder = zstdStreamEncoder();
      const frames = messages.map((m) => encoder.encode(m) as Buffer);
      encoder.close();
      const k = at % frames.length;
      const damaged = frames[k]!;
      if (drop) frames.splice(k, 1);
      else frames[k] = Buffer.from(damaged.map((b, i) => (i === byte % damaged.length ? b ^ 0x5a : b)));
      const { messages: got, errors } = await decodeZstd(frames, 'sync');
      return errors.length <= 1 && errors.every((e) => e.code.startsWith('DECODE_')) && JSON.stringify(got.slice(0, k)) === JSON.stringify(messages.slice(0, k));
    }),
    { numRuns: 150 },
  );
  t.pass();
});

test('valid JSON of the wrong shape is a typed frame error, never a throw', (t) => {
  fc.assert(
    fc.property(fc.jsonValue(), (value) => {
      const result = parseFrame(JSON.stringify(value));
      if (E.isRight(result)) {
        const frame = result.right;
        return Number.isInteger(frame.op) && frame.op >= 0 && (frame.op !== 0 || (typeof frame.t === 'string' && typeof frame.s === 'number'));
      }
      return result.left.code === 'DECODE_INVALID_FRAME';
    }),
    { numRuns: 1000 },
  );
  t.pass();
});

test('the hand-written dispatch check accepts only what the frame codec accepts, and every well-formed dispatch', (t) => {
  const dispatchLike = fc.record({
    op: fc.oneof(fc.constant(0), fc.integer({ min: -2, max: 12 }), fc.double(), fc.string()),
    t: fc.oneof(fc.string(), fc.constant(null), fc.integer()),
    s: fc.oneof(fc.nat(), fc.integer({ min: -5, max: -1 }), fc.double(), fc.constant(null), fc.string()),
    d: fc.jsonValue(),
  }, { requiredKeys: [] });
  fc.assert(
    fc.property(fc.oneof(fc.jsonValue(), dispatchLike), (value) => {
      const parsed: unknown = JSON.parse(JSON.stringify(value) ?? 'null');
      if (isPlainDispatch(parsed) && !FrameCodec.is(parsed)) return false;
      const wellFormed = FrameCodec.is(parsed) && parsed.op === 0 && typeof parsed.t === 'string' && typeof parsed.s === 'number';
      return isPlainDispatch(parsed) === wellFormed;
    }),
    { numRuns: 2000 },
  );
  t.pass();
});
