/**
 * Summarizes `--cpu-prof` profiles: self time by function and by file, biggest first.
 *
 *   npx tsx bench/profile-summary.ts bench/profiles/CPU.*.cpuprofile [--top=25]
 *
 * Profiles come from `BENCH_PROF=<contender> npm run bench -- ...` (see bench/README.md).
 */
import { readFileSync } from 'node:fs';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
}

const args = process.argv.slice(2);
const top = Number(args.find((a) => a.startsWith('--top='))?.slice(6) ?? 25);
const files = args.filter((a) => !a.startsWith('--'));
const byFunction = new Map<string, number>();
const byFile = new Map<string, number>();
let total = 0;
for (const file of files) {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  profile.samples.forEach((id, i) => {
    const node = nodes.get(id);
    const dt = profile.timeDeltas[i] ?? 0;
    if (node === undefined) return;
    const { functionName, url, lineNumber } = node.callFrame;
    const short = url.replace(/^file:\/\/.*?\/(node_modules|src|bench)\//, '$1/');
    const fn = `${functionName || '(anonymous)'} ${short}:${lineNumber + 1}`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + dt);
    const f = short === '' ? `(${functionName})` : short.replace(/^node_modules\/((@[^/]+\/)?[^/]+)\/.*$/, '$1');
    byFile.set(f, (byFile.get(f) ?? 0) + dt);
    total += dt;
  });
}
const print = (title: string, map: Map<string, number>) => {
  console.log(`\n${title} (total ${(total / 1000).toFixed(0)} ms)`);
  for (const [k, v] of [...map].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${((100 * v) / total).toFixed(1).padStart(5)}%  ${(v / 1000).toFixed(0).padStart(6)} ms  ${k}`);
};
print('self time by function', byFunction);
print('self time by file', byFile);
