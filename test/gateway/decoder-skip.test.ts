import test from 'ava';
import zlib from 'node:zlib';
import { createDecoder } from '../../src/gateway/index.js';
import { readDispatchHead } from '../../src/gateway/dispatch-head.js';
import { zstdCompressor, zstdTest } from '../helpers/zstd.js';
import { zlibCompressor } from '../helpers/zlib.js';

/** `d` first, as key-sorting serializers write it: only the message's last bytes name it. */
const dFirst = (name: string, s: number, size: number) => `{"d":{"x":"${'z'.repeat(size)}"},"op":0,"s":${s},"t":"${name}"}`;

const run = async (compression: 'zlib-stream' | 'zstd-stream', compress: (text: string) => Promise<Buffer>, split: boolean) => {
  const tails: string[] = [];
  const messages: string[] = [];
  const decoder = createDecoder(
    {
      compression,
      zlib: 'sync',
      skip: (head, tail) => {
        const end = typeof tail === 'string' ? tail : tail();
        tails.push(end);
        return readDispatchHead(head, end)?.t === 'SKIP';
      },
    },
    { message: (m) => messages.push(m), error: (e) => { throw e; } },
  );
  const texts = [dFirst('SKIP', 1, 200_000), dFirst('KEEP', 2, 200_000), dFirst('SKIP', 3, 10), dFirst('KEEP', 4, 70_000), dFirst('SKIP', 5, 65_500)];
  for (const text of texts) {
    const frame = await compress(text);
    // zlib-stream may split a message over frames; zstd-stream never does
    if (split) for (let at = 0; at < frame.length; at += 7000) decoder.push(frame.subarray(at, at + 7000), true);
    else decoder.push(frame, true);
  }
  decoder.close();
  return { texts, tails, messages };
};

for (const [label, compression, compressor, split] of [
  ['zlib-stream', 'zlib-stream', zlibCompressor, false],
  ['zlib-stream split over frames', 'zlib-stream', zlibCompressor, true],
] as const) {
  test(`${label} (sync): skip's tail() is the message's last 96 bytes, so d-first messages are judged unparsed`, async (t) => {
    const { texts, tails, messages } = await run(compression, compressor(), split);
    t.deepEqual(tails, texts.map((text) => text.slice(-96)));
    t.deepEqual(messages, [texts[1], texts[3]]);
  });
}

zstdTest("zstd-stream (sync): skip's tail() is the message's last 96 bytes, so d-first messages are judged unparsed", async (t) => {
  const { texts, tails, messages } = await run('zstd-stream', zstdCompressor(), false);
  t.deepEqual(tails, texts.map((text) => text.slice(-96)));
  t.deepEqual(messages, [texts[1], texts[3]]);
});

test('text frames show the whole text as head and tail', (t) => {
  const seen: [string, string][] = [];
  const decoder = createDecoder({ compression: 'none', skip: (head, tail) => (seen.push([head, typeof tail === 'string' ? tail : tail()]), false) }, { message: () => {}, error: () => t.fail() });
  decoder.push('{"d":{},"t":"X","s":1,"op":0}', false);
  t.deepEqual(seen, [['{"d":{},"t":"X","s":1,"op":0}', '{"d":{},"t":"X","s":1,"op":0}']]);
});
