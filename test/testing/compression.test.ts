import { randomBytes } from 'node:crypto';
import * as zlib from 'node:zlib';
import test from 'ava';
import { setScratchSize } from '../../src/testing/wire/compression.js';
import { connect, emulator, identify, TOKEN } from './helpers.js';

const ZLIB = { v: '10', encoding: 'json', compress: 'zlib-stream' };
const SUFFIX = Buffer.from([0, 0, 0xff, 0xff]);

test('zlib-stream: binary frames, one context for the connection, each message ending with 00 00 ff ff', async (t) => {
  const gw = await emulator(t, { guilds: 4 });
  const c = await connect(gw.url, ZLIB);
  c.send(identify(TOKEN));
  await c.frame((f) => f.t === 'READY');
  for (let i = 0; i < 300; i++) gw.dispatch(0, 'MESSAGE_CREATE', { n: i, content: `message number ${i} with some repeated text` });
  await c.frame((f) => f.d?.n === 299);
  t.true(c.chunks.length >= 306);
  t.true(c.chunks.every((chunk) => chunk.subarray(-4).equals(SUFFIX)));
  // One zlib header, at the start of the stream only.
  t.is(c.chunks[0]![0], 0x78);
  t.true(c.chunks.slice(1).every((chunk) => !(chunk[0] === 0x78 && (chunk[0]! * 256 + chunk[1]!) % 31 === 0)));
  // A message cannot be inflated on its own: the context carries over.
  t.throws(() => zlib.inflateSync(c.chunks[5]!, { finishFlush: zlib.constants.Z_SYNC_FLUSH }));
  // Later messages refer back to earlier ones: repeated text compresses to a few bytes.
  const late = c.chunks.at(-1)!;
  t.true(late.length < 40, `a repeated message took ${late.length} bytes`);
  t.deepEqual(c.frames.filter((f) => f.t === 'MESSAGE_CREATE').map((f) => f.d.n), Array.from({ length: 300 }, (_, i) => i));
  t.deepEqual(c.decodeErrors, []);
  await c.close();
});

test('zlib-stream: a message over 64 KiB arrives whole in one frame', async (t) => {
  const gw = await emulator(t);
  const c = await connect(gw.url, ZLIB);
  c.send(identify(TOKEN));
  await c.frame((f) => f.t === 'READY');
  // Hard to compress: 90 000 random hex digits.
  const noise = randomBytes(45_000).toString('hex');
  gw.dispatch(0, 'BIG', { noise });
  gw.dispatch(0, 'AFTER', { ok: true });
  const big = await c.frame((f) => f.t === 'BIG');
  t.is(big.d.noise, noise);
  t.true(big.text.length > 64 * 1024);
  t.true(c.chunks.some((chunk) => chunk.length > 40_000));
  await c.frame((f) => f.t === 'AFTER');
  await c.close();
});

test('zlib-stream: output larger than the scratch space takes several passes', async (t) => {
  const gw = await emulator(t);
  setScratchSize(64);
  t.teardown(() => setScratchSize(256 * 1024));
  const c = await connect(gw.url, ZLIB);
  c.send(identify(TOKEN));
  await c.frame((f) => f.t === 'READY');
  gw.dispatch(0, 'MANY', { list: Array.from({ length: 500 }, (_, i) => `item-${i * 7919}`) });
  const many = await c.frame((f) => f.t === 'MANY');
  t.is(many.d.list.length, 500);
  await c.close();
});

test('zlib-stream: ACKs and op 9 are compressed too, and a resume connection starts its own stream', async (t) => {
  const gw = await emulator(t);
  const c = await connect(gw.url, ZLIB);
  c.send(identify(TOKEN));
  const ready = await c.frame((f) => f.t === 'READY');
  c.send({ op: 1, d: 1 });
  await c.frame((f) => f.op === 11);
  await c.close();
  const r = await connect(gw.resumeUrl, ZLIB);
  r.send({ op: 6, d: { token: TOKEN, session_id: ready.d.session_id, seq: 1 } });
  await r.frame((f) => f.t === 'RESUMED');
  t.is(r.chunks[0]![0], 0x78);
  t.deepEqual(r.decodeErrors, []);
  await r.close();
});

test('truncate on zlib-stream sends a corrupt block that fails inflation', async (t) => {
  const gw = await emulator(t);
  const c = await connect(gw.url, ZLIB);
  c.send(identify(TOKEN, { shard: [0, 1] }));
  await c.frame((f) => f.t === 'READY');
  t.is(gw.truncate(0), 1);
  const error = await c.decodeError();
  t.regex(error.message, /invalid|incorrect|unknown/i);
  await c.close();
});

test("zlibMode 'precompressed': still one zlib stream a single inflater decodes, stamped or not", async (t) => {
  const gw = await emulator(t, { guilds: 3, zlibMode: 'precompressed' });
  const c = await connect(gw.url, ZLIB);
  c.send(identify(TOKEN));
  await c.frame((f) => f.t === 'READY');
  await gw.stream(0, { count: 200 }).done;
  await gw.stream(0, { count: 50, stamp: true, seed: 3 }).done;
  c.send({ op: 1, d: 1 });
  await c.frame((f) => f.op === 11);
  const last = await c.frame((f) => f.s === 254);
  t.is(typeof last.d.emulator_ts, 'number');
  t.true(c.chunks.every((chunk) => chunk.subarray(-4).equals(SUFFIX)));
  t.is(c.chunks[0]![0], 0x78);
  t.deepEqual(c.frames.filter((f) => f.op === 0).map((f) => f.s), Array.from({ length: 254 }, (_, i) => i + 1));
  // No back-references across messages: one payload twice costs the same bytes twice.
  gw.dispatch(0, 'SAME', { text: 'the same words again and again' });
  gw.dispatch(0, 'SAME', { text: 'the same words again and again' });
  await c.frame((f) => f.s === 256);
  const [x, y] = c.chunks.slice(-2);
  t.is(x!.length, y!.length);
  t.true(x!.length > 40);
  t.deepEqual(c.decodeErrors, []);
  await c.close();
});
