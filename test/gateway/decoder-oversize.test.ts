import test from 'ava';
import zlib from 'node:zlib';
import { createDecoder, type DisclusterError, type OversizeMessage } from '../../src/gateway/index.js';
import { readEnvelopeHead } from '../../src/gateway/dispatch-head.js';
import { zstdCompressor, zstdTest } from '../helpers/zstd.js';
import { zlibCompressor as compressor } from '../helpers/zlib.js';

const settled = (got: () => number, n: number) =>
  new Promise<void>((resolve) => {
    const check = () => (got() >= n ? resolve() : setImmediate(check));
    check();
  });

const CAP = 65_536;
const small = (s: number) => JSON.stringify({ t: 'MESSAGE_CREATE', s, op: 0, d: { content: `message ${s}` } });
/** ~200 KB, with random-ish content so it does not deflate to nothing (it spans several 64 KiB output buffers). */
const big = (s: number) =>
  JSON.stringify({ t: 'GUILD_CREATE', s, op: 0, d: { id: '1', members: Array.from({ length: 8000 }, (_, i) => ({ id: String(i * 7919), name: `member-${(i * 2654435761) % 1000003}` })) } });

const sinkFor = () => {
  const messages: string[] = [];
  const errors: DisclusterError[] = [];
  const oversize: OversizeMessage[] = [];
  return { messages, errors, oversize, sink: { message: (m: string) => messages.push(m), error: (e: DisclusterError) => errors.push(e), oversize: (m: OversizeMessage) => oversize.push(m) } };
};

for (const mode of ['sync', 'streaming'] as const) {
  for (const split of [1, 7]) {
    test(`zlib-stream (${mode}, a message in ${split} frame(s)): a message over the cap is counted and discarded, the stream goes on`, async (t) => {
      const compress = compressor();
      const { messages, errors, oversize, sink } = sinkFor();
      const decoder = createDecoder({ compression: 'zlib-stream', zlib: mode, maxMessageBytes: CAP }, sink);
      const bigText = big(2);
      t.true(bigText.length > 3 * CAP);
      for (const text of [small(1), bigText, small(3)]) {
        const frame = await compress(text);
        const size = Math.ceil(frame.length / split);
        for (let i = 0; i < frame.length; i += size) decoder.push(frame.subarray(i, i + size), true);
      }
      await settled(() => messages.length, 2);
      t.deepEqual(errors, []);
      t.deepEqual(messages, [small(1), small(3)]);
      t.is(oversize.length, 1);
      t.is(oversize[0]!.bytes, Buffer.byteLength(bigText));
      t.deepEqual(readEnvelopeHead(oversize[0]!.head, oversize[0]!.tail), { t: 'GUILD_CREATE', s: 2, op: 0 });
      t.is(oversize[0]!.tail, bigText.slice(-96));
      decoder.close();
    });
  }

  test(`zlib-stream (${mode}): a sink without oversize still gets DECODE_TOO_LARGE`, async (t) => {
    const compress = compressor();
    const errors: DisclusterError[] = [];
    const decoder = createDecoder({ compression: 'zlib-stream', zlib: mode, maxMessageBytes: CAP }, { message: () => {}, error: (e) => errors.push(e) });
    decoder.push(await compress(big(1)), true);
    await settled(() => errors.length, 1);
    t.is(errors[0]?.code, 'DECODE_TOO_LARGE');
  });
}

for (const mode of ['sync', 'streaming'] as const) {
  zstdTest(`zstd-stream (${mode}): a message over the cap is counted and discarded, the stream goes on`, async (t) => {
    const compress = zstdCompressor();
    const { messages, errors, oversize, sink } = sinkFor();
    const decoder = createDecoder({ compression: 'zstd-stream', zlib: mode, maxMessageBytes: CAP }, sink);
    const bigText = big(2);
    for (const text of [small(1), bigText, small(3)]) decoder.push(await compress(text), true);
    await settled(() => messages.length, 2);
    t.deepEqual(errors, []);
    t.deepEqual(messages, [small(1), small(3)]);
    t.is(oversize[0]?.bytes, Buffer.byteLength(bigText));
    t.deepEqual(readEnvelopeHead(oversize[0]!.head, oversize[0]!.tail), { t: 'GUILD_CREATE', s: 2, op: 0 });
    decoder.close();
  });
}

test('text frames: a message over the cap goes to oversize with its ends', (t) => {
  const { messages, errors, oversize, sink } = sinkFor();
  const decoder = createDecoder({ compression: 'zlib-stream', maxMessageBytes: CAP }, sink);
  const bigText = big(5);
  decoder.push(bigText, false);
  decoder.push(small(6), false);
  t.deepEqual(errors, []);
  t.deepEqual(messages, [small(6)]);
  t.deepEqual(readEnvelopeHead(oversize[0]!.head, oversize[0]!.tail), { t: 'GUILD_CREATE', s: 5, op: 0 });
});

test('readEnvelopeHead reads Hello, op-first and d-first orders, and gives nothing for cut-off text', (t) => {
  t.deepEqual(readEnvelopeHead('{"t":null,"s":null,"op":10,"d":{"heartbeat_interval":41250}}', ''), { op: 10 });
  t.deepEqual(readEnvelopeHead('{"op":0,"d":{"x":1', '"x":1},"t":"READY","s":1}'), { op: 0, t: 'READY', s: 1 });
  t.deepEqual(readEnvelopeHead('{"d":{"x":1', '"x":1},"op":0,"s":9,"t":"GUILD_CREATE"}'), { op: 0, s: 9, t: 'GUILD_CREATE' });
  t.deepEqual(readEnvelopeHead('{"d":{"x":', '{"d":{"x":'), {});
});
