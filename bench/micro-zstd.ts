/**
 * bench/micro.ts's zstd-stream rows (Node >= 22.15): the realistic mix through one zstd
 * context per connection (the emulator's encoder, as Discord compresses), decompressed by
 * `createDecoder` synchronously (the context's native handle) and through the thread pool,
 * and the bytes per event on the wire for zstd-stream against zlib-stream.
 */
import zlib from 'node:zlib';
import { createDecoder, hasZstd, type MessageDecoder } from '../src/gateway/decoder.js';
import { peekDispatch } from '../src/gateway/frame.js';
import { zlibStreamEncoder, zstdStreamEncoder } from '../src/testing/wire/compression.js';
import { renderDispatch } from '../src/testing/wire/frames.js';
import { createTraffic } from '../src/testing/traffic/traffic.js';
import { createWorld } from '../src/testing/world/world.js';

type Time = (label: string, fn: (i: number) => void) => number;

let sink = 0;

const decoder = (mode: 'sync' | 'streaming', skip?: (head: string) => boolean): { dec: MessageDecoder; got: () => number } => {
  let n = 0;
  const dec = createDecoder(
    { compression: 'zstd-stream', zlib: mode, ...(skip ? { skip: (h: string) => (n++, skip(h)) } : {}) },
    {
      message: (t) => ((sink += t.length), n++),
      error: (e) => {
        throw e;
      },
    },
  );
  return { dec, got: () => n };
};

/** Prints the zstd rows; on a Node without zstd, says so. */
export const zstdRows = async (texts: readonly string[], zlibPrecompressed: readonly Buffer[], events: number, time: Time): Promise<void> => {
  if (!hasZstd()) {
    console.log(`\nzstd-stream: node:zlib has no zstd on Node ${process.versions.node} (needs 22.15 or later)`);
    return;
  }
  const zstd = zstdStreamEncoder();
  const frames = texts.map((t) => zstd.encode(t) as Buffer);
  zstd.close();
  // Bytes: 4096 distinct events (the timing frames cycle over 256 templates, which zstd's
  // 8 MiB window would find again whole), each compressor with one context for the stream.
  const source = createTraffic(createWorld(100, 1), 'realistic', 2, 4096).forShard(0, 1);
  const distinct = Array.from({ length: 4096 }, (_, i) => renderDispatch(source(), i + 1));
  const wire = (encoder: { encode(text: string): string | Buffer; close(): void }) => {
    const bytes = distinct.reduce((n, t) => n + encoder.encode(t).length, 0);
    encoder.close();
    return (bytes / distinct.length).toFixed(0);
  };
  const chars = (distinct.reduce((n, t) => n + t.length, 0) / distinct.length).toFixed(0);
  const level = (zlib.constants as { ZSTD_CLEVEL_DEFAULT?: number }).ZSTD_CLEVEL_DEFAULT ?? 3;
  console.log(`\nbytes on the wire per event, 4096 distinct events of the realistic mix (${chars} chars of JSON on average):`);
  console.log(`  zlib-stream, one context, level 1 (the emulator's default)   ${wire(zlibStreamEncoder(1))}`);
  console.log(`  zlib-stream, one context, level 6 (zlib's default)           ${wire(zlibStreamEncoder(6))}`);
  console.log(`  zstd-stream, one context, level ${level} (zstd's default)            ${wire(zstdStreamEncoder())}`);
  const pre = zlibPrecompressed.reduce((n, b) => n + b.length, 0) / zlibPrecompressed.length;
  console.log(`  (zlib-stream, templates precompressed, as the bench streams: ${pre.toFixed(0)} over the 256-template frames above)\n`);

  // A fresh context at frame 0 of each pass: frames only decode in stream order.
  const sync = (skip?: (head: string) => boolean) => {
    let d = decoder('sync', skip).dec;
    return (i: number) => {
      const k = i % frames.length;
      if (k === 0) {
        d.close();
        d = decoder('sync', skip).dec;
      }
      d.push(frames[k] as Buffer, true);
    };
  };
  time('ours: zstd-stream sync (native handle) → string', sync());
  time('ours: zstd-stream sync, every message skipped from its head', sync((head) => (sink += peekDispatch(head)?.s ?? 0) >= 0));

  // The thread pool: all of a pass's frames pushed at once (the best case: pipelined), then awaited.
  const passes = Math.max(1, Math.round(events / frames.length));
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let p = 0; p < passes; p++) {
    const { dec, got } = decoder('streaming');
    for (const f of frames) dec.push(f, true);
    while (got() < frames.length) await new Promise((r) => setImmediate(r));
    dec.close();
  }
  const cpu = process.cpuUsage(cpu0);
  const n = passes * frames.length;
  console.log(`${'ours: zstd-stream streaming (thread pool), pipelined'.padEnd(58)} ${((cpu.user + cpu.system) / n).toFixed(2).padStart(6)} µs/event CPU, ${(((performance.now() - t0) * 1000) / n).toFixed(2)} µs/event wall`);
  // One message at a time, each awaited (a quiet connection: every message pays the round trip).
  const awaited = Math.min(n, 20_000);
  const { dec, got } = decoder('streaming');
  const cpu1 = process.cpuUsage();
  const t1 = performance.now();
  for (let i = 0; i < awaited; i++) {
    const k = i % frames.length;
    if (k === 0 && i > 0) break;
    dec.push(frames[k] as Buffer, true);
    while (got() <= i) await new Promise((r) => setImmediate(r));
  }
  const done = got();
  const cpu2 = process.cpuUsage(cpu1);
  console.log(`${'ours: zstd-stream streaming, each message awaited'.padEnd(58)} ${((cpu2.user + cpu2.system) / done).toFixed(2).padStart(6)} µs/event CPU, ${(((performance.now() - t1) * 1000) / done).toFixed(2)} µs/event wall`);
  dec.close();
  if (sink === 42) console.log('');
};
