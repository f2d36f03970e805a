/**
 * Where an idle shard's RSS goes: connects N idle shards of a contender (emulator in its own
 * process) and prints, per shard, how much resident memory each kind of mapping gained
 * (`/proc/self/smaps`): `[heap]` is the main malloc arena (native allocations of the main
 * thread), `[anon]` the V8 heap's pages and other anonymous mappings (threads' malloc arenas).
 * Figures move by several KiB per shard between runs: run it a few times.
 *
 *   node --expose-gc --import tsx bench/rss.ts [contender, default ours] [shards, default 1000]
 */
import { readFileSync } from 'node:fs';
import { preload, startClient, type ContenderName } from './contenders.js';
import { forkPeer } from './ipc.js';
import { TOKEN } from './scenarios.js';

const contender = (process.argv[2] ?? 'ours') as ContenderName;
const shards = Number(process.argv[3] ?? 1000);

/** Resident kB by mapping name. */
const residentByMapping = (): Map<string, number> => {
  const out = new Map<string, number>();
  let name = '';
  for (const line of readFileSync('/proc/self/smaps', 'utf8').split('\n')) {
    const mapping = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (mapping) {
      name = mapping[1] || '[anon]';
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss) out.set(name, (out.get(name) ?? 0) + Number(rss[1]));
  }
  return out;
};

const collect = async () => {
  for (let i = 0; i < 3; i++) {
    (globalThis as { gc?: () => void }).gc?.();
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
};

const emu = forkPeer('./emulator-proc.ts');
try {
  const { url } = await emu.call<{ url: string }>('start', { token: TOKEN, shards, maxConcurrency: shards, identifyWindowMs: 0, heartbeatInterval: 3_600_000 });
  await preload(contender);
  await collect();
  const before = residentByMapping();
  const usageBefore = process.memoryUsage();
  const client = await startClient(
    { contender, url, token: TOKEN, intents: 513, shardIds: Array.from({ length: shards }, (_, i) => i), totalShards: shards, compression: 'zlib-stream', maxConcurrency: shards, identifyWindowMs: 1 },
    { event: () => {}, frame: () => {}, resumed: () => {} },
  );
  await client.ready;
  await new Promise((resolve) => setTimeout(resolve, 1000));
  await collect();
  const after = residentByMapping();
  const usage = process.memoryUsage();
  const perShard = (bytes: number) => `${(bytes / 1024 / shards).toFixed(1)} KiB`;
  console.log(`${contender}, ${shards} idle shards, per shard: RSS ${perShard(usage.rss - usageBefore.rss)}, heap used ${perShard(usage.heapUsed - usageBefore.heapUsed)}, heap total ${perShard(usage.heapTotal - usageBefore.heapTotal)}`);
  for (const [mapping, kb] of after) {
    const gained = kb - (before.get(mapping) ?? 0);
    if (Math.abs(gained) * 1024 >= shards * 100) console.log(`  ${mapping}: ${perShard(gained * 1024)}`);
  }
  await client.close();
} finally {
  await emu.kill();
}
