import test from 'ava';
import zlib from 'node:zlib';
import { createDecoder, type Compression, type DisclusterError } from '../../src/gateway/index.js';
import { zlibCompressor as compressor } from '../helpers/zlib.js';

const collect = (compression: Compression, zlibMode: 'sync' | 'streaming' = 'sync', maxMessageBytes?: number) => {
  const messages: string[] = [];
  const errors: DisclusterError[] = [];
  const decoder = createDecoder({ compression, zlib: zlibMode, ...(maxMessageBytes ? { maxMessageBytes } : {}) }, {
    message: (m) => messages.push(m),
    error: (e) => errors.push(e),
  });
  return { decoder, messages, errors };
};

/** Resolves once the streaming inflater has answered (it flushes through the thread pool). */
const settled = (got: () => number, n: number) =>
  new Promise<void>((resolve) => {
    const check = () => (got() >= n ? resolve() : setImmediate(check));
    check();
  });

const texts = Array.from({ length: 50 }, (_, i) => JSON.stringify({ t: 'MESSAGE_CREATE', s: i + 1, op: 0, d: { content: `message ${i}`.repeat(i) } }));

test('plain text frames pass through', (t) => {
  const { decoder, messages, errors } = collect('none');
  decoder.push('{"op":11}', false);
  decoder.push(Buffer.from('{"op":1}'), false);
  t.deepEqual(messages, ['{"op":11}', '{"op":1}']);
  t.deepEqual(errors, []);
});

test('a binary frame on an uncompressed connection is a decode error', (t) => {
  const { decoder, errors } = collect('none');
  decoder.push(Buffer.from([1, 2, 3]), true);
  t.is(errors[0]?.code, 'DECODE_INVALID_FRAME');
});

for (const mode of ['sync', 'streaming'] as const) {
  test(`zlib-stream (${mode}) keeps one context across many messages`, async (t) => {
    const compress = compressor();
    const { decoder, messages, errors } = collect('zlib-stream', mode);
    for (const text of texts) decoder.push(await compress(text), true);
    await settled(() => messages.length, texts.length);
    t.deepEqual(messages, texts);
    t.deepEqual(errors, []);
  });

  test(`zlib-stream (${mode}) buffers a message split over several frames`, async (t) => {
    const compress = compressor();
    const { decoder, messages } = collect('zlib-stream', mode);
    const whole = await compress(texts[20]!);
    decoder.push(whole.subarray(0, 5), true);
    decoder.push(whole.subarray(5, 9), true);
    t.deepEqual(messages, []);
    decoder.push(whole.subarray(9), true);
    await settled(() => messages.length, 1);
    t.deepEqual(messages, [texts[20]]);
  });

  test(`zlib-stream (${mode}) decodes a message over 64 KiB`, async (t) => {
    const compress = compressor();
    const { decoder, messages } = collect('zlib-stream', mode);
    const big = JSON.stringify({ op: 0, t: 'GUILD_CREATE', s: 1, d: { members: Array.from({ length: 4000 }, (_, i) => ({ id: String(i), name: `member-${i}` })) } });
    t.true(big.length > 64 * 1024 * 2);
    decoder.push(await compress(texts[0]!), true);
    decoder.push(await compress(big), true);
    decoder.push(await compress(texts[1]!), true);
    await settled(() => messages.length, 3);
    t.deepEqual(messages, [texts[0], big, texts[1]]);
  });

  test(`zlib-stream (${mode}) turns garbage into one typed error and then ignores input`, async (t) => {
    const { decoder, messages, errors } = collect('zlib-stream', mode);
    decoder.push(Buffer.from('this is not zlib at all\x00\x00\xff\xff', 'latin1'), true);
    await settled(() => errors.length, 1);
    decoder.push(Buffer.from('more'), true);
    t.is(errors.length, 1);
    t.is(errors[0]!.code, 'DECODE_INFLATE_FAILED');
    t.deepEqual(messages, []);
  });

  test(`zlib-stream (${mode}) caps the inflated size of a message (bomb)`, async (t) => {
    const compress = compressor();
    const { decoder, messages, errors } = collect('zlib-stream', mode, 1024 * 1024);
    const bomb = await compress('{"op":0,"d":"' + 'a'.repeat(4 * 1024 * 1024) + '"}');
    t.true(bomb.length < 16 * 1024);
    decoder.push(bomb, true);
    await settled(() => errors.length, 1);
    t.is(errors[0]!.code, 'DECODE_TOO_LARGE');
    t.deepEqual(messages, []);
  });
}

test('zlib-stream: a truncated stream (a frame lost) breaks the next message', async (t) => {
  const compress = compressor();
  const { decoder, messages, errors } = collect('zlib-stream');
  decoder.push(await compress(texts[0]!), true);
  await compress(texts[30]!); // lost in transit
  decoder.push(await compress(texts[31]!), true);
  await settled(() => messages.length + errors.length, 2);
  t.is(messages[0], texts[0]);
  t.false(messages.includes(texts[31]!));
  t.is(errors.length + messages.length, 2);
});

test('zstd-stream on a runtime without zstd is a clear error', (t) => {
  const { decoder, errors } = collect('zstd-stream');
  decoder.push(Buffer.from([0x28, 0xb5, 0x2f, 0xfd]), true);
  if (typeof (zlib as unknown as { createZstdDecompress?: unknown }).createZstdDecompress === 'function') {
    t.pass('this runtime has zstd');
    return;
  }
  t.is(errors[0]?.code, 'DECODE_UNSUPPORTED');
  t.regex(errors[0]!.message, /Node 22\.15/);
});

test('zlib-stream: skip sees the head of each message and may claim it before any text is made', async (t) => {
  const heads: string[] = [];
  const messages: string[] = [];
  const skip = (head: string) => (heads.push(head), head.startsWith('{"t":"SKIP"'));
  const decoder = createDecoder({ compression: 'zlib-stream', zlib: 'sync', skip }, { message: (m) => messages.push(m), error: () => t.fail() });
  const compress = compressor();
  const long = `{"t":"KEEP","s":1,"op":0,"d":"${'x'.repeat(500)}"}`;
  for (const text of [long, '{"t":"SKIP","s":2,"op":0,"d":{}}', '{"t":"KEEP","s":3,"op":0,"d":{}}']) decoder.push(await compress(text), true);
  t.deepEqual(messages, [long, '{"t":"KEEP","s":3,"op":0,"d":{}}']);
  t.is(heads[0], long.slice(0, 96), 'the head is the first 96 bytes');
  t.is(heads.length, 3);
});

test('zlib-stream: a message bigger than the inflate buffer, or split over frames, is judged from its head too', async (t) => {
  const heads: string[] = [];
  const messages: string[] = [];
  const skip = (head: string) => (heads.push(head), head.startsWith('{"t":"SKIP"'));
  const decoder = createDecoder({ compression: 'zlib-stream', zlib: 'sync', skip }, { message: (m) => messages.push(m), error: () => t.fail() });
  const compress = compressor();
  const big = (t: string, s: number) => `{"t":"${t}","s":${s},"op":0,"d":"${'y'.repeat(200_000)}"}`;
  decoder.push(await compress(big('SKIP', 1)), true);
  const split = await compress(big('SKIP', 2));
  decoder.push(split.subarray(0, 10), true); // a frame that does not end the message
  decoder.push(split.subarray(10), true);
  decoder.push(await compress(big('KEEP', 3)), true);
  decoder.push(await compress('{"t":"KEEP","s":4,"op":0,"d":{}}'), true);
  t.deepEqual(messages, [big('KEEP', 3), '{"t":"KEEP","s":4,"op":0,"d":{}}'], 'nothing of a skipped message leaks into the next');
  t.is(heads.length, 4);
  t.true(heads.every((head) => head.length <= 96));
});

test('skip is asked of text frames and of the streaming inflater’s messages too, with their whole text', async (t) => {
  for (const setup of [{ compression: 'none' as const }, { compression: 'zlib-stream' as const, zlib: 'streaming' as const }]) {
    const seen: string[] = [];
    const messages: string[] = [];
    const skip = (text: string) => (seen.push(text), text.startsWith('{"t":"SKIP"'));
    let resolveDone = () => {};
    const done = new Promise<void>((resolve) => (resolveDone = resolve));
    const decoder = createDecoder({ ...setup, skip }, { message: (m) => (messages.push(m), m.includes('"s":3') && resolveDone()), error: () => t.fail() });
    const compress = compressor();
    for (const text of ['{"t":"KEEP","s":1,"op":0,"d":{}}', '{"t":"SKIP","s":2,"op":0,"d":{}}', '{"t":"KEEP","s":3,"op":0,"d":{}}']) {
      if (setup.compression === 'none') decoder.push(text, false);
      else decoder.push(await compress(text), true);
    }
    await done;
    t.deepEqual(messages, ['{"t":"KEEP","s":1,"op":0,"d":{}}', '{"t":"KEEP","s":3,"op":0,"d":{}}'], setup.compression);
    t.is(seen.length, 3);
    decoder.close();
  }
});
