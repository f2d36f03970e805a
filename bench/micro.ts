/**
 * Where a zlib-stream event's client CPU goes, stage by stage, in one process and without
 * sockets: inflate (ours vs zlib-sync), UTF-8 decoding, JSON.parse vs our `parseFrame`, and
 * `peekDispatch` (the skip path), and the metrics entry's count of a dispatch. Frames are the benchmark's realistic mix, compressed the way
 * the emulator's precompressed mode does it. On Node >= 22.15 also zstd-stream (see
 * `micro-zstd.ts`): the same mix through one zstd context, decompressed synchronously through
 * the handle and through the thread pool, and the bytes each compression puts on the wire.
 *
 *   npx tsx bench/micro.ts [events, default 200000]
 */
import { createRequire } from 'node:module';
import { createDecoder } from '../src/gateway/decoder.js';
import { parseFrame, peekDispatch } from '../src/gateway/frame.js';
import { DispatchCounts } from '../src/counting/dispatch-counts.js';
import { renderDispatch } from '../src/testing/wire/frames.js';
import { precompressedZlibEncoder } from '../src/testing/wire/precompressed.js';
import { createTraffic } from '../src/testing/traffic/traffic.js';
import { createWorld } from '../src/testing/world/world.js';
import { zstdRows } from './micro-zstd.js';

const events = Number(process.argv[2] ?? 200_000);
const world = createWorld(100, 1);
const traffic = createTraffic(world, 'realistic', 1, 256);
const encoder = precompressedZlibEncoder(1);
const source = traffic.forShard(0, 1);
const texts: string[] = [];
const frames: Buffer[] = [];
for (let s = 1; s <= 4096; s++) {
  const tpl = source();
  texts.push(renderDispatch(tpl, s));
  const frame = encoder.encodeDispatch?.(tpl, s, undefined);
  if (!Buffer.isBuffer(frame)) throw new Error('the precompressed encoder makes binary frames');
  frames.push(frame);
}
const avgBytes = texts.reduce((n, t) => n + t.length, 0) / texts.length;

type ZlibSync = { Inflate: new (o: { chunkSize?: number; to?: 'string' }) => { push(b: Buffer, f: number): void; result: string | Buffer | null }; Z_SYNC_FLUSH: number };
/** zlib-sync is a native addon built for one Node ABI: without a rebuild for this Node, its rows are left out. */
const zs = ((): ZlibSync | undefined => {
  try {
    return createRequire(import.meta.url)('zlib-sync') as ZlibSync;
  } catch {
    console.log('(zlib-sync does not load on this Node: `npm rebuild zlib-sync` for its rows)');
    return undefined;
  }
})();

/** µs per event of `fn` over `events` events (after a warm-up pass). */
const time = (label: string, fn: (i: number) => void): number => {
  for (let i = 0; i < 20_000; i++) fn(i);
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < events; i++) fn(i);
  const cpu = process.cpuUsage(cpu0);
  const us = (cpu.user + cpu.system) / events;
  console.log(`${label.padEnd(58)} ${us.toFixed(2).padStart(6)} µs/event`);
  return us;
};

let sink = 0;
console.log(`${events} events, realistic mix, ${avgBytes.toFixed(0)} chars per event on average\n`);
// Inflaters need the frames in stream order: each run restarts a fresh context at frame 0.
const newDecoder = (skip?: (head: string) => boolean) =>
  createDecoder(
    { compression: 'zlib-stream', ...(skip ? { skip } : {}) },
    {
      message: (t) => (sink += t.length),
      error: (e) => {
        throw e;
      },
    },
  );
const oursInflate = (skip?: (head: string) => boolean) => {
  let dec = newDecoder(skip);
  return (i: number) => {
    const k = i % frames.length;
    if (k === 0) {
      dec.close();
      dec = newDecoder(skip);
    }
    dec.push(frames[k] as Buffer, true);
  };
};
const zlibSyncInflate = (zs: ZlibSync, to?: 'string') => {
  let inf = new zs.Inflate({ chunkSize: 65536, ...(to ? { to } : {}) });
  return (i: number) => {
    const k = i % frames.length;
    if (k === 0) inf = new zs.Inflate({ chunkSize: 65536, ...(to ? { to } : {}) });
    inf.push(frames[k] as Buffer, zs.Z_SYNC_FLUSH);
    const r = inf.result;
    sink += r === null ? 0 : r.length;
  };
};
time('ours: createDecoder (sync node:zlib) → string', oursInflate());
time('ours: createDecoder, every message skipped from its head', oursInflate((head) => (sink += peekDispatch(head)?.s ?? 0) >= 0));
if (zs !== undefined) {
  time('zlib-sync Inflate → string (C++ decode)', zlibSyncInflate(zs, 'string'));
  time('zlib-sync Inflate → Buffer', zlibSyncInflate(zs));
}
const buffers = texts.map((t) => Buffer.from(t));
time('Buffer.toString("utf8") alone', (i) => (sink += (buffers[i % buffers.length] as Buffer).toString('utf8').length));
time('JSON.parse', (i) => (sink += (JSON.parse(texts[i % texts.length] as string) as { s: number }).s));
time('ours: parseFrame (JSON.parse + envelope check)', (i) => {
  const r = parseFrame(texts[i % texts.length] as string);
  if (r._tag === 'Right') sink += r.right.s ?? 0;
});
time('ours: peekDispatch (skip path)', (i) => (sink += peekDispatch(texts[i % texts.length] as string)?.s ?? 0));
// What registerMetrics adds to each delivered dispatch: one count in its table.
const names = texts.map((text) => (JSON.parse(text) as { t: string }).t);
const counts = new DispatchCounts();
time('metrics: DispatchCounts.count (16 shards, realistic names)', (i) => counts.count(i & 15, names[i % names.length] as string));
sink += counts.total();
if (sink === 42) console.log('');
await zstdRows(texts, frames, events, time);
