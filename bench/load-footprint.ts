/**
 * What loading costs a process before it connects anything: for each set of modules, fresh
 * processes import them (after `ws`, which every contender has) and report, with no collection
 * forced (as the storm bench's "code loaded" is taken), their RSS,
 * JS heap and V8's new space (the young generation, which V8 grows when what survives its
 * scavenges adds up). Medians over the runs; prints a table. ours is the built dist/ (`npx tsup`).
 *
 *   npx tsx bench/load-footprint.ts [runs, default 7]
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { median } from './stats.js';

const runs = Number(process.argv[2] ?? 7);
const root = fileURLToPath(new URL('..', import.meta.url));
const dist = fileURLToPath(new URL('../dist/index.js', import.meta.url));
if (!existsSync(dist)) throw new Error('dist/ is missing: run `npx tsup` first');

/** The sets measured: `ws`, the bare client's, each dependency alone, the dependencies together, the package. */
const SETS: readonly (readonly string[])[] = [
  ['ws'],
  ['ws', 'zlib-sync'],
  ['ws', 'rxjs'],
  ['ws', 'io-ts', 'fp-ts/lib/Either.js', 'io-ts/lib/PathReporter.js'],
  ['ws', 'discord-api-types/v10'],
  ['ws', 'discord-api-types/gateway/v10'],
  ['ws', 'zlib-sync', 'rxjs', 'io-ts', 'fp-ts/lib/Either.js', 'io-ts/lib/PathReporter.js', 'discord-api-types/gateway/v10'],
  ['ws', 'zlib-sync', dist],
];

/** One fresh process's figures after importing `modules`, MiB. */
const measure = (modules: readonly string[]): { rss: number; heap: number; newSpace: number } => {
  const script = `
    import v8 from 'node:v8';
    for (const m of ${JSON.stringify(modules)}) await import(m);
    await new Promise((r) => setTimeout(r, 50));
    const u = process.memoryUsage();
    const ns = v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space');
    console.log(JSON.stringify({ rss: u.rss / 2 ** 20, heap: u.heapUsed / 2 ** 20, newSpace: (ns?.space_size ?? 0) / 2 ** 20 }));`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, encoding: 'utf8' });
  return JSON.parse(out.trim()) as { rss: number; heap: number; newSpace: number };
};

const name = (modules: readonly string[]) => modules.map((m) => (m === dist ? '@discluster/cluster (dist/)' : m)).join(' + ');
console.log(`| modules loaded (${runs} fresh processes each, medians) | RSS | JS heap used | new space |`);
console.log('|---|---|---|---|');
for (const set of SETS) {
  const samples = Array.from({ length: runs }, () => measure(set));
  const cell = (key: 'rss' | 'heap' | 'newSpace') => `${median(samples.map((s) => s[key])).toFixed(1)} MiB`;
  console.log(`| ${name(set)} | ${cell('rss')} | ${cell('heap')} | ${cell('newSpace')} |`);
}
