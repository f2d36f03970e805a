/**
 * Large messages alone: what inflating a storm's GUILD_CREATEs costs through this library's
 * decoder (node:zlib's handle driven synchronously) against zlib-sync, and the whole read
 * (inflate → string → JSON.parse) of each, in CPU µs per message, at 10, 100 and 1000 KiB. One
 * zlib context for the whole stream, as Discord's zlib-stream; the rounds alternate the two
 * inflaters so a loaded machine weighs on both alike.
 *
 *   npx tsx bench/micro-large.ts [rounds, default 5]
 */
import { createRequire } from 'node:module';
import { createDecoder } from '../src/gateway/decoder.js';
import { zlibStreamEncoder } from '../src/testing/wire/compression.js';
import { stormGuild } from '../src/testing/gateway/storm.js';

const rounds = Number(process.argv[2] ?? 5);
type ZlibSync = { Inflate: new (o: { chunkSize?: number }) => { push(b: Buffer, f: number): void; result: Buffer | null }; Z_SYNC_FLUSH: number };
const zs = createRequire(import.meta.url)('zlib-sync') as ZlibSync;

const cpuUs = (): number => {
  const c = process.cpuUsage();
  return c.user + c.system;
};

for (const kib of [10, 100, 1000]) {
  const count = Math.max(8, Math.round(8000 / kib));
  const encoder = zlibStreamEncoder(6);
  const frames: Buffer[] = [];
  for (let n = 0; n < count; n++) {
    const text = JSON.stringify({ t: 'GUILD_CREATE', s: n + 1, op: 0, d: stormGuild(n, kib) });
    frames.push(Buffer.from(encoder.encode(text)));
  }
  const results: Record<string, number[]> = { 'ours inflate': [], 'zlib-sync inflate': [], 'ours → JSON.parse': [], 'zlib-sync → JSON.parse': [] };
  for (let r = 0; r < rounds; r++) {
    for (const parse of [false, true]) {
      let t0 = cpuUs();
      let sink = 0;
      const dec = createDecoder({ compression: 'zlib-stream' }, { message: (text) => void (sink += parse ? (JSON.parse(text) as { s: number }).s : text.length), error: (e) => { throw e; } });
      for (const f of frames) dec.push(f, true);
      dec.close();
      results[parse ? 'ours → JSON.parse' : 'ours inflate']!.push((cpuUs() - t0) / count);
      t0 = cpuUs();
      const inf = new zs.Inflate({ chunkSize: 64 * 1024 });
      for (const f of frames) {
        inf.push(f, zs.Z_SYNC_FLUSH);
        const text = (inf.result as Buffer).toString();
        sink += parse ? (JSON.parse(text) as { s: number }).s : text.length;
      }
      results[parse ? 'zlib-sync → JSON.parse' : 'zlib-sync inflate']!.push((cpuUs() - t0) / count);
      if (sink === 0) console.log('');
    }
  }
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  console.log(`\n${kib} KiB GUILD_CREATE (${count} messages, ${frames.reduce((n, f) => n + f.length, 0) / count | 0} bytes compressed each), CPU µs per message, median of ${rounds} rounds:`);
  encoder.close();
  for (const [name, xs] of Object.entries(results)) console.log(`  ${name.padEnd(24)} ${med(xs).toFixed(1)}   (${xs.map((x) => x.toFixed(0)).join(', ')})`);
}
