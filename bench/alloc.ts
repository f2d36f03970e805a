/**
 * What connecting costs in garbage: connects N idle shards of a contender (emulator in its own
 * process) under V8's sampling heap profiler, counting objects the GC has since collected too,
 * and prints the bytes allocated per shard by the allocating function. Garbage made while a
 * thousand shards connect is what sizes V8's young generation, and so the idle process's RSS.
 *
 *   node --import tsx bench/alloc.ts [contender, default ours] [shards, default 1000]
 */
import { Session } from 'node:inspector/promises';
import { preload, startClient, type ContenderName } from './contenders.js';
import { forkPeer } from './ipc.js';
import { TOKEN } from './scenarios.js';

const contender = (process.argv[2] ?? 'ours') as ContenderName;
const shards = Number(process.argv[3] ?? 1000);

interface ProfileNode {
  selfSize: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children: ProfileNode[];
}

const emu = forkPeer('./emulator-proc.ts');
try {
  const { url } = await emu.call<{ url: string }>('start', { token: TOKEN, shards, maxConcurrency: shards, identifyWindowMs: 0, heartbeatInterval: 3_600_000 });
  await preload(contender);
  const session = new Session();
  session.connect();
  // The option names are V8's; Node's typings lag behind them.
  await session.post('HeapProfiler.startSampling', { samplingInterval: 256, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true } as never);
  const client = await startClient(
    { contender, url, token: TOKEN, intents: 513, shardIds: Array.from({ length: shards }, (_, i) => i), totalShards: shards, compression: 'zlib-stream', maxConcurrency: shards, identifyWindowMs: 1 },
    { event: () => {}, frame: () => {}, resumed: () => {} },
  );
  await client.ready;
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const { profile } = (await session.post('HeapProfiler.stopSampling')) as { profile: { head: ProfileNode } };
  const byFunction = new Map<string, number>();
  let total = 0;
  const walk = (node: ProfileNode) => {
    total += node.selfSize;
    const { functionName, url: file, lineNumber } = node.callFrame;
    const key = `${functionName || '(anonymous)'} ${file.replace(/^.*\//, '')}:${lineNumber}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + node.selfSize);
    for (const child of node.children) walk(child);
  };
  walk(profile.head);
  const perShard = (bytes: number) => `${(bytes / 1024 / shards).toFixed(2)} KiB`;
  console.log(`${contender}: ${perShard(total)} allocated per shard while ${shards} shards connected; by function:`);
  for (const [key, bytes] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(`${perShard(bytes).padStart(10)}  ${key}`);
  session.disconnect();
  await client.close();
} finally {
  await emu.kill();
}
