/** Markdown tables and target checks from the benchmark's results. */
import type { LatencyRow, MemoryRow, RecoveryRow, StartupRow, ThroughputRow } from './scenarios.js';
import { round } from './stats.js';

export interface Results {
  readonly machine: { nproc: number; node: string; loadBefore: number[]; loadAfter: number[]; date: string; mode: string; command: string };
  readonly throughput: { label: string; rows: ThroughputRow[] }[];
  latency: { rate: number; rows: LatencyRow[] } | undefined;
  memory: MemoryRow[] | undefined;
  startup: StartupRow[] | undefined;
  recovery: RecoveryRow[] | undefined;
  targets?: Target[];
}

export interface Target {
  readonly target: string;
  readonly measured: string;
  readonly met: boolean | undefined;
}

const table = (head: readonly string[], rows: readonly (readonly (string | number)[])[]): string =>
  [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');

const x = (ratio: number) => (Number.isFinite(ratio) ? `${ratio.toFixed(2)}×` : 'n/a');
const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;

const find = <T extends { contender: string }>(rows: readonly T[] | undefined, c: string) => rows?.find((r) => r.contender === c);

/** Computes the issue's targets from the results (undefined: not measured in this run). */
export const targets = (r: Results): Target[] => {
  const out: Target[] = [];
  const zlib = r.throughput.find((t) => t.label === 'zlib-stream, realistic')?.rows;
  const ours = find(zlib, 'ours');
  const djsDefault = find(zlib, 'djs');
  const djsFastest = [find(zlib, 'djs'), find(zlib, 'djs-zlib-sync')].filter((v) => v !== undefined).sort((a, b) => b.eventsPerSec - a.eventsPerSec)[0];
  const floor = find(zlib, 'ws-zlib-sync');
  if (ours && djsFastest) {
    const ratio = ours.eventsPerSec / djsFastest.eventsPerSec;
    out.push({ target: 'throughput ≥ 1.1× @discordjs/ws at its fastest', measured: `${x(ratio)} (vs ${djsFastest.contender})`, met: ratio >= 1.1 });
  }
  if (ours && floor) {
    const ratio = ours.cpuUsPerEvent / floor.cpuUsPerEvent;
    out.push({ target: 'client CPU/event ≤ 1.1× bare ws + zlib-sync', measured: x(ratio), met: ratio <= 1.1 });
  }
  if (ours && djsDefault) {
    const ratio = ours.eventsPerSec / djsDefault.eventsPerSec;
    const cpu = djsDefault.cpuUsPerEvent / ours.cpuUsPerEvent;
    out.push({ target: 'no native addon: throughput ≥ 2× @discordjs/ws default', measured: `${x(ratio)} events/s; ${x(cpu)} less CPU/event`, met: ratio >= 2 });
  }
  const none = r.throughput.find((t) => t.label === 'zlib-stream, no event wanted')?.rows;
  const skip = find(none, 'ours');
  if (skip && floor) {
    const ratio = skip.cpuUsPerEvent / floor.cpuUsPerEvent;
    out.push({
      target: 'unwanted-event CPU ≤ 0.5× bare client per event',
      measured: `${x(ratio)}: ${skip.cpuUsPerEvent.toFixed(2)} µs per skipped event vs ${floor.cpuUsPerEvent.toFixed(2)} µs per event for bare ws + zlib-sync`,
      met: ratio <= 0.5,
    });
  }
  const lat = find(r.latency?.rows, 'ours');
  if (lat) out.push({ target: `p99 ≤ 5 ms at ${r.latency?.rate} events/s`, measured: `${lat.p99.toFixed(2)} ms`, met: lat.p99 <= 5 });
  const mOurs = find(r.memory, 'ours');
  const mBare = [find(r.memory, 'ws-zlib-stream'), find(r.memory, 'ws-zlib-sync')].filter((v) => v !== undefined).sort((a, b) => a.rssPerShard - b.rssPerShard)[0];
  if (mOurs && mBare) {
    const diff = mOurs.rssPerShard - mBare.rssPerShard;
    out.push({ target: 'memory per idle shard within 4 KiB of bare client', measured: `${kib(diff)} RSS over ${mBare.contender}`, met: diff <= 4096 });
    const heap = mOurs.heapPerShard - mBare.heapPerShard;
    out.push({ target: '… in JS heap used (what the library allocates itself)', measured: `${kib(heap)} over ${mBare.contender}`, met: heap <= 4096 });
  }
  const mSame = find(r.memory, 'ws-node-sync');
  if (mOurs && mSame) {
    const diff = mOurs.rssPerShard - mSame.rssPerShard;
    out.push({ target: '… in RSS, against bare ws with our inflate (ws-node-sync)', measured: `${kib(diff)} RSS over ws-node-sync`, met: diff <= 4096 });
  }
  for (const s of r.startup ?? []) {
    out.push({
      target: `startup ${s.shards} shards, c=${s.maxConcurrency}, ${s.variant}: within 2% of ideal, never under`,
      measured: `${s.ratio.toFixed(3)}× of ${s.idealMs} ms${s.violations > 0 ? `, ${s.violations} identify violations` : ''}`,
      met: s.ratio >= 1 && s.ratio <= 1.02 && s.violations === 0,
    });
  }
  return out;
};

/** The whole report as markdown. */
export const markdown = (r: Results): string => {
  const parts: string[] = [];
  const m = r.machine;
  parts.push(`Machine: ${m.nproc} cores, Node ${m.node}, load average ${m.loadBefore.map((l) => l.toFixed(2)).join(' ')} before, ${m.loadAfter.map((l) => l.toFixed(2)).join(' ')} after; ${m.date}; \`${m.command}\``);
  for (const t of r.throughput) {
    const ours = find(t.rows, 'ours');
    parts.push(`### Throughput: 16 shards, ${t.label}`);
    parts.push(
      table(
        ['contender', 'events/s', 'client CPU µs/event', 'events/s vs ours', 'CPU/event vs ours', 'delivered', 'emulator CPU µs/event', 'wire bytes/event', 'runs (events/s)'],
        t.rows.map((row) => [
          row.contender,
          row.eventsPerSec,
          round(row.cpuUsPerEvent, 2),
          ours ? x(row.eventsPerSec / ours.eventsPerSec) : '',
          ours ? x(row.cpuUsPerEvent / ours.cpuUsPerEvent) : '',
          row.delivered,
          round(row.emulatorCpuUsPerEvent, 2),
          row.wireBytesPerEvent === undefined ? '' : Math.round(row.wireBytesPerEvent),
          row.runs.join(', '),
        ]),
      ),
    );
  }
  if (r.latency) {
    parts.push(`### Latency at ${r.latency.rate} events/s offered, 16 shards, zlib-stream (ms, emulator write → subscriber)`);
    parts.push(
      table(
        ['contender', 'p50', 'p99', 'max', 'samples/run', 'p99 of each run', 'achieved events/s', 'most events in one emulator turn', 'emulator most behind (ms)'],
        r.latency.rows.map((l) => [l.contender, round(l.p50, 2), round(l.p99, 2), round(l.max, 2), l.samples, l.runsP99.map((v) => v.toFixed(2)).join(', '), l.achievedRate, l.maxPerTurn, round(l.maxLagMs, 2)]),
      ),
    );
  }
  if (r.memory) {
    const ours = find(r.memory, 'ours');
    parts.push(`### Memory: ${r.memory[0]?.shards} idle shards in one process, zlib-stream, after GC (per shard)`);
    parts.push(table(['contender', 'RSS', 'heap used', 'heap total', 'external', 'RSS vs ours'], r.memory.map((mm) => [mm.contender, kib(mm.rssPerShard), kib(mm.heapPerShard), kib(mm.heapTotalPerShard), kib(mm.externalPerShard), ours ? `${kib(mm.rssPerShard - ours.rssPerShard)}` : ''])));
  }
  if (r.startup) {
    parts.push('### Startup (ours): connect() → every shard READY');
    parts.push(table(['identify queue', 'shards', 'max_concurrency', 'window', 'ideal schedule', 'schedule (first → last identify)', 'vs ideal', 'connect() → all READY', 'identify violations', 'schedule runs'], r.startup.map((s) => [s.variant, s.shards, s.maxConcurrency, `${s.windowMs} ms`, `${s.idealMs} ms`, `${round(s.scheduleMs, 1)} ms`, x(s.ratio), `${round(s.readyMs, 1)} ms`, s.violations, s.runs.map((v) => v.toFixed(0)).join(', ')])));
  }
  if (r.recovery) {
    parts.push('### Recovery: fault → RESUMED, one shard (ms)');
    parts.push(table(['client', 'fault', 'median', 'max', 'trials'], r.recovery.map((v) => [v.contender, v.fault, round(v.p50, 1), round(v.max, 1), v.trials.map((t) => t.toFixed(0)).join(', ')])));
  }
  if (r.targets && r.targets.length > 0) {
    parts.push('### Targets');
    parts.push(table(['target', 'measured', 'met'], r.targets.map((t) => [t.target, t.measured, t.met === undefined ? '?' : t.met ? 'yes' : '**no**'])));
  }
  return parts.join('\n\n');
};
