/**
 * Where an idle shard's heap goes: connects N idle shards of a contender (emulator in its own
 * process), then sums a heap snapshot's self sizes by constructor name and prints the biggest
 * per shard, against a snapshot taken before connecting.
 *
 *   node --expose-gc --import tsx bench/heap.ts [contender, default ours] [shards, default 200]
 */
import { getHeapSnapshot } from 'node:v8';
import { preload, startClient, type ContenderName } from './contenders.js';
import { forkPeer } from './ipc.js';
import { TOKEN } from './scenarios.js';

const contender = (process.argv[2] ?? 'ours') as ContenderName;
const shards = Number(process.argv[3] ?? 200);

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[]]; edge_fields: string[]; edge_types: [string[]] } };
  nodes: number[];
  edges: number[];
  strings: string[];
}

const bySize = async (): Promise<Map<string, number>> => {
  (globalThis as { gc?: () => void }).gc?.();
  const stream = getHeapSnapshot();
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  const snap = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Snapshot;
  const fields = snap.snapshot.meta.node_fields;
  const width = fields.length;
  const typeAt = fields.indexOf('type');
  const nameAt = fields.indexOf('name');
  const sizeAt = fields.indexOf('self_size');
  const types = snap.snapshot.meta.node_types[0];
  const edgeCountAt = fields.indexOf('edge_count');
  const edgeWidth = snap.snapshot.meta.edge_fields.length;
  const toAt = snap.snapshot.meta.edge_fields.indexOf('to_node');
  const edgeNameAt = snap.snapshot.meta.edge_fields.indexOf('name_or_index');
  const edgeTypes = snap.snapshot.meta.edge_types[0];
  const edgeTypeAt = snap.snapshot.meta.edge_fields.indexOf('type');
  const nameOf = (i: number) => {
    const type = types[snap.nodes[i + typeAt] as number] ?? '?';
    return type === 'object' || type === 'closure' ? `${type} ${snap.strings[snap.nodes[i + nameAt] as number]}` : `(${type})`;
  };
  const out = new Map<string, number>();
  let edge = 0;
  for (let i = 0; i < snap.nodes.length; i += width) {
    const name = nameOf(i);
    out.set(name, (out.get(name) ?? 0) + (snap.nodes[i + sizeAt] as number));
    // Arrays and native blobs are counted again under their owner, e.g. "(array) ← object Foo.bar".
    const edges = snap.nodes[i + edgeCountAt] as number;
    for (let e = 0; e < edges; e++, edge += edgeWidth) {
      const to = snap.edges[edge + toAt] as number;
      const toType = types[snap.nodes[to + typeAt] as number];
      if (toType !== 'array' && toType !== 'native') continue;
      const edgeType = edgeTypes[snap.edges[edge + edgeTypeAt] as number];
      const label = edgeType === 'element' || edgeType === 'hidden' ? `[${edgeType}]` : snap.strings[snap.edges[edge + edgeNameAt] as number];
      const key = `  (${toType}) ← ${name}.${label}`;
      out.set(key, (out.get(key) ?? 0) + (snap.nodes[to + sizeAt] as number));
    }
  }
  return out;
};

const emu = forkPeer('./emulator-proc.ts');
try {
  const { url } = await emu.call<{ url: string }>('start', { token: TOKEN, shards, maxConcurrency: shards, identifyWindowMs: 0, heartbeatInterval: 3_600_000 });
  await preload(contender);
  const before = await bySize();
  const ids = Array.from({ length: shards }, (_, i) => i);
  const client = await startClient(
    { contender, url, token: TOKEN, intents: 513, shardIds: ids, totalShards: shards, compression: 'zlib-stream', maxConcurrency: shards, identifyWindowMs: 1 },
    { event: () => {}, frame: () => {}, resumed: () => {} },
  );
  await client.ready;
  await new Promise((resolve) => setTimeout(resolve, 500));
  const after = await bySize();
  const rows = [...after].map(([name, size]) => [name, (size - (before.get(name) ?? 0)) / shards] as const).sort((a, b) => b[1] - a[1]);
  const total = rows.filter(([name]) => !name.startsWith('  ')).reduce((n, [, v]) => n + v, 0);
  const native = rows.find(([name]) => name === '(native)')?.[1] ?? 0;
  console.log(`${contender}: ${shards} idle shards, heap self size per shard ${(total / 1024).toFixed(1)} KiB (${((total - native) / 1024).toFixed(1)} KiB without native); biggest:`);
  for (const [name, perShard] of rows.slice(0, 40)) console.log(`${perShard.toFixed(0).padStart(7)} B  ${name}`);
  await client.close();
} finally {
  await emu.kill();
}
