import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';

const CONTENDERS = ['ours', 'ours-metrics', 'djs', 'djs-zlib-sync', 'ws-zlib-stream', 'ws-zlib-sync', 'ws-node-sync', 'ws-frames'];

interface Results {
  throughput: { label: string; rows: { contender: string; eventsPerSec: number; cpuUsPerEvent: number }[] }[];
  latency?: { rows: { contender: string; p99: number }[] };
  memory?: { contender: string }[];
  startup?: { readyMs: number }[];
  recovery?: { contender: string; p50: number }[];
  reshard?: { from: number; to: number; identifies: number; twice: number; lost: number }[];
  fleet?: { from: number; to: number; clusters: number; identifies: number; movedGuildFraction: number; ledgerOffered: number; sent: number; repeated: number; lost: number }[];
  targets?: { target: string }[];
}

test('npm run bench -- --tiny prints the tables and writes results.json with every contender', async (t) => {
  // A cap, not a wait: the test ends when the bench exits (~40 s idle). The bench builds dist/
  // first, and on a starved machine the build alone can take minutes.
  t.timeout(600_000);
  const dir = mkdtempSync(join(tmpdir(), 'bench-smoke-'));
  const out = join(dir, 'results.json');
  try {
    const child = spawn('npm', ['run', '--silent', 'bench', '--', '--tiny', `--out=${out}`], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    t.is(code, 0, stderr.slice(-2000));

    for (const heading of ['### Throughput: 16 shards, zlib-stream, realistic', '### Latency', '### Memory', '### Startup', '### Recovery', '### Reshard', '### Fleet reshard', '### Targets']) {
      t.true(stdout.includes(heading), `missing ${heading}`);
    }
    t.regex(stdout, /\| contender \| events\/s \| client CPU µs\/event \|/);
    t.regex(stdout, /^Durations: throughput \d+ s, latency \d+ s, memory \d+ s, startup \d+ s, recovery \d+ s, reshard \d+ s, fleet \d+ s; \d+ s in all \(tiny mode\)\.$/m, 'each scenario\'s duration');
    t.regex(stderr, /\] throughput: took \d+ s$/m);
    for (const c of CONTENDERS) t.regex(stdout, new RegExp(`^\\| ${c} \\| \\d+ \\|`, 'm'), `no throughput row for ${c}`);

    const results = JSON.parse(readFileSync(out, 'utf8')) as Results;
    const zlib = results.throughput.find((c) => c.label === 'zlib-stream, realistic');
    t.deepEqual(zlib?.rows.map((r) => r.contender), CONTENDERS);
    for (const row of zlib?.rows ?? []) {
      t.true(row.eventsPerSec > 0, `${row.contender} events/s`);
      t.true(row.cpuUsPerEvent > 0, `${row.contender} CPU`);
    }
    t.deepEqual(results.latency?.rows.map((r) => r.contender), CONTENDERS.filter((c) => c !== 'ws-frames' && c !== 'ws-node-sync' && c !== 'ours-metrics'));
    t.deepEqual(results.memory?.map((r) => r.contender), ['ours', 'djs', 'djs-zlib-sync', 'ws-zlib-stream', 'ws-zlib-sync', 'ws-node-sync']);
    t.true((results.startup?.length ?? 0) > 0 && results.startup!.every((s) => s.readyMs > 0));
    t.true((results.recovery ?? []).some((r) => r.contender.startsWith('djs')));
    t.like(results.reshard?.[0], { from: 4, to: 6, identifies: 6, twice: 0, lost: 0 });
    // three cluster processes, 6 → 9: half the guilds change cluster, so the ledger is used
    t.like(results.fleet?.[0], { from: 6, to: 9, clusters: 3, identifies: 9, movedGuildFraction: 0.5, repeated: 0, lost: 0 });
    t.true((results.fleet?.[0]?.sent ?? 0) > 0 && (results.fleet?.[0]?.ledgerOffered ?? 0) > 0, 'markers sent, crossing ones through the ledger');
    t.true((results.targets?.length ?? 0) > 0);
    t.true(results.targets!.some((target) => target.target.startsWith('metrics registered')), 'the metrics cost is judged');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
