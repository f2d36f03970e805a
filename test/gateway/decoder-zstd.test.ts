import test from 'ava';
import { createDecoder, type DisclusterError } from '../../src/gateway/index.js';
import { hasSyncZstd } from '../../src/gateway/inflate-zstd.js';
import { zstdCompressor, zstdHere, zstdTest } from '../helpers/zstd.js';

const collect = (mode: 'sync' | 'streaming', maxMessageBytes?: number, skip?: (head: string) => boolean) => {
  const messages: string[] = [];
  const errors: DisclusterError[] = [];
  const decoder = createDecoder({ compression: 'zstd-stream', zlib: mode, ...(maxMessageBytes ? { maxMessageBytes } : {}), ...(skip ? { skip } : {}) }, {
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

test('the synchronous zstd inflater is available exactly where node:zlib has zstd', (t) => {
  t.is(hasSyncZstd(), zstdHere);
});

for (const mode of ['sync', 'streaming'] as const) {
  zstdTest(`zstd-stream (${mode}) keeps one context across many messages`, async (t) => {
    const compress = zstdCompressor();
    const { decoder, messages, errors } = collect(mode);
    for (const text of texts) decoder.push(await compress(text), true);
    await settled(() => messages.length, texts.length);
    t.deepEqual(messages, texts);
    t.deepEqual(errors, []);
    decoder.close();
  });

  zstdTest(`zstd-stream (${mode}) decodes a message over 64 KiB between small ones`, async (t) => {
    const compress = zstdCompressor();
    const { decoder, messages } = collect(mode);
    const big = JSON.stringify({ op: 0, t: 'GUILD_CREATE', s: 1, d: { members: Array.from({ length: 4000 }, (_, i) => ({ id: String(i), name: `member-${i}` })) } });
    t.true(big.length > 64 * 1024 * 2);
    for (const text of [texts[0]!, big, texts[1]!]) decoder.push(await compress(text), true);
    await settled(() => messages.length, 3);
    t.deepEqual(messages, [texts[0], big, texts[1]]);
    decoder.close();
  });

  zstdTest(`zstd-stream (${mode}) turns garbage into one typed error and then ignores input`, async (t) => {
    const { decoder, messages, errors } = collect(mode);
    decoder.push(Buffer.from('this is not zstd at all'), true);
    await settled(() => errors.length, 1);
    decoder.push(Buffer.from('more'), true);
    t.is(errors.length, 1);
    t.is(errors[0]!.code, 'DECODE_INFLATE_FAILED');
    t.deepEqual(messages, []);
  });

  zstdTest(`zstd-stream (${mode}) caps the decompressed size of a message (bomb)`, async (t) => {
    const compress = zstdCompressor();
    const { decoder, messages, errors } = collect(mode, 1024 * 1024);
    const bomb = await compress('{"op":0,"d":"' + 'a'.repeat(4 * 1024 * 1024) + '"}');
    t.true(bomb.length < 16 * 1024);
    decoder.push(bomb, true);
    await settled(() => errors.length, 1);
    t.is(errors[0]!.code, 'DECODE_TOO_LARGE');
    t.deepEqual(messages, []);
  });
}

zstdTest('zstd-stream (sync): skip sees the first 96 bytes of each message, also of one bigger than the buffer', async (t) => {
  const heads: string[] = [];
  const compress = zstdCompressor();
  const { decoder, messages, errors } = collect('sync', undefined, (head) => (heads.push(head), head.startsWith('{"t":"SKIP"')));
  const big = (name: string, s: number) => `{"t":"${name}","s":${s},"op":0,"d":"${'y'.repeat(200_000)}"}`;
  for (const text of [big('SKIP', 1), big('KEEP', 2), '{"t":"SKIP","s":3,"op":0,"d":{}}', '{"t":"KEEP","s":4,"op":0,"d":{}}']) decoder.push(await compress(text), true);
  t.deepEqual(messages, [big('KEEP', 2), '{"t":"KEEP","s":4,"op":0,"d":{}}'], 'nothing of a skipped message leaks into the next');
  t.deepEqual(errors, []);
  t.is(heads.length, 4);
  t.is(heads[0], big('SKIP', 1).slice(0, 96));
  decoder.close();
});
