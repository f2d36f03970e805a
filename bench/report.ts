/** Markdown tables and target checks from the benchmark's results. */
import type { LatencyRow, MemoryRow, RecoveryRow, StartupRow, ThroughputRow } from './scenarios.js';
import type { ReshardRow } from './reshard.js';
import type { FleetRow } from './fleet.js';
import { round } from './stats.js';
import type { StormRow } from './storm.js';
import type { BrokerRow } from './broker.js';

export interface Results {
  readonly machine: { nproc: number; node: string; loadBefore: number[]; loadAfter: number[]; date: string; mode: string; command: string };
  readonly throughput: { label: string; rows: ThroughputRow[] }[];
  latency: { rate: number; rows: LatencyRow[] } | undefined;
  memory: MemoryRow[] | undefined;
  startup: StartupRow[] | undefined;
  recovery: RecoveryRow[] | undefined;
  storm?: StormRow[] | undefined;
  reshard?: ReshardRow[] | undefined;
  fleet?: FleetRow[] | undefined;
  broker?: BrokerRow[] | undefined;
  targets?: Target[];
  /** Each scenario's own wall-clock duration, in the order they ran. */
  durations?: { scenario: string; seconds: number }[];
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
  const metered = find(zlib, 'ours-metrics');
  if (ours && metered) {
    const cost = 1 - metered.eventsPerSec / ours.eventsPerSec;
    const cpu = metered.cpuUsPerEvent / ours.cpuUsPerEvent;
    // judged on client CPU per event: events/s swing with the machine's load far more than 5 %
    out.push({ target: 'metrics registered: client CPU/event ≤ 1.05× ours without', measured: `${x(cpu)} CPU/event; ${(cost * 100).toFixed(1)} % fewer events/s`, met: cpu <= 1.05 });
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
  for (const v of r.reshard ?? []) {
    out.push({ target: `reshard ${v.from} → ${v.to}: no event emitted twice, none lost`, measured: `${v.twice} twice, ${v.lost} lost of ${v.sent}`, met: v.twice === 0 && v.lost === 0 });
  }
  for (const v of r.fleet ?? []) {
    out.push({ target: `fleet reshard ${v.from} → ${v.to} over ${v.clusters} cluster processes: no marker repeated, none lost`, measured: `${v.repeated} repeated, ${v.lost} lost of ${v.sent}`, met: v.repeated === 0 && v.lost === 0 && v.forwardDropped === 0 });
    if (v.movedGuildFraction === 0) out.push({ target: `fleet reshard ${v.from} → ${v.to} (a multiple): 0 ledger operations`, measured: `${v.ledgerKeysTotal} keys offered`, met: v.ledgerKeysTotal === 0 });
  }
  for (const s of r.startup ?? []) {
    if (s.lagMs > 0) {
      if (s.variant.includes('answer')) {
        out.push({ target: `startup ${s.shards} shards, c=${s.maxConcurrency}, gateway ${s.lagMs} ms late: no identify inside its window`, measured: `${s.violations} violations, ${s.ratio.toFixed(3)}× of ideal`, met: s.violations === 0 });
      }
      continue;
    }
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
    parts.push(table(['identify window counted', 'shards', 'max_concurrency', 'window', 'first wave processed late by', 'ideal schedule', 'schedule (first → last identify)', 'vs ideal', 'connect() → all READY', 'identify violations', 'schedule runs'], r.startup.map((s) => [s.variant, s.shards, s.maxConcurrency, `${s.windowMs} ms`, `${s.lagMs} ms`, `${s.idealMs} ms`, `${round(s.scheduleMs, 1)} ms`, x(s.ratio), `${round(s.readyMs, 1)} ms`, s.violations, s.runs.map((v) => v.toFixed(0)).join(', ')])));
  }
  if (r.recovery) {
    parts.push('### Recovery: fault → RESUMED, one shard (ms)');
    parts.push(table(['client', 'fault', 'median', 'max', 'trials'], r.recovery.map((v) => [v.contender, v.fault, round(v.p50, 1), round(v.max, 1), v.trials.map((t) => t.toFixed(0)).join(', ')])));
  }
  if (r.storm) {
    const lastGuild = (s: StormRow) => (Number.isNaN(s.lastGuildMs) ? `never: ${s.delivered} of ${s.shards * s.guildsPerShard} came` : `${round(s.lastGuildMs, 0)} ms`);
    for (const shape of [...new Set(r.storm.map((s) => `${s.shards}×${s.guildsPerShard}×${s.kib ?? 100}`))]) {
      const rows = r.storm.filter((s) => `${s.shards}×${s.guildsPerShard}×${s.kib ?? 100}` === shape);
      const first = rows[0] as StormRow;
      parts.push(`### Startup storm: ${first.shards} shards READY, then ${first.guildsPerShard} GUILD_CREATEs of ~${first.kib ?? 100} KiB each per shard, written at once (zlib-stream)`);
      parts.push(table(['contender', 'heartbeat', 'storm → last GUILD_CREATE', 'client CPU (of it system; other threads)', 'context switches (voluntary/involuntary)', 'peak RSS (of it, code loaded)', 'longest event-loop delay', 'connections closed by the client', 'closes (by, code, reason)', 'runs (ms)'], rows.map((s) => [s.contender, `${s.heartbeatMs} ms`, lastGuild(s), `${round(s.cpuMs, 0)} ms (${round(s.systemCpuMs ?? Number.NaN, 0)}; ${round(s.otherThreadsCpuMs ?? Number.NaN, 0)} ms)`, s.switches ?? '', `${round(s.peakRssMiB, 1)} MiB (${round(s.loadedRssMiB ?? Number.NaN, 1)})`, `${round(s.maxLoopDelayMs, 0)} ms`, s.reconnects, (s.closes ?? []).join('; ') || 'none', s.runs.map((v) => v.toFixed(0)).join(', ')])));
    }
  }

  if (r.reshard) {
    const mib = (bytes: number) => `${(bytes / 1048576).toFixed(1)} MiB`;
    parts.push('### Reshard (ours): N → M shards in place under marker traffic, every shard id of the bot in one cluster');
    parts.push(
      table(
        ['shards', 'offered / achieved events/s', 'max_concurrency, window', 'identifies', 'reshard() total', 'handover after last new READY', 'RSS held in overlap', 'heap held in overlap', 'events held at peak', 'markers', 'twins suppressed', 'from the new set', 'emitted twice', 'lost', 'runs (total ms / handover ms)'],
        r.reshard.map((v) => [
          `${v.from} → ${v.to}`,
          `${v.rate} / ${v.achievedRate}`,
          `${v.maxConcurrency}, ${v.windowMs} ms`,
          v.identifies,
          `${round(v.elapsedMs, 0)} ms`,
          `${round(v.handoffMs, 1)} ms`,
          mib(v.rssHeldBytes),
          mib(v.heapHeldBytes),
          v.peakHeld,
          v.sent,
          v.duplicatesSuppressed,
          v.recoveredFromNewSet,
          v.twice,
          v.lost,
          v.runs.map((x) => `${x.elapsedMs} / ${round(x.handoffMs, 1)}`).join(', '),
        ]),
      ),
    );
  }
  if (r.fleet) {
    const ms = (v: number) => `${round(v, 0)} ms`;
    const lat = (v: number) => round(v, 1);
    const perEvent = (v: number) => (Number.isFinite(v) ? v.toFixed(2) : 'n/a');
    parts.push('### Fleet reshard (ours): three clusters, each in its own process, under one CONTROL (`planFleetReshard` + `reshardFleet`), marker traffic on every guild');
    parts.push(
      table(
        ['shards', 'guilds changing cluster', 'offered / achieved events/s', 'max_concurrency, window, match window', 'identifies (gateway)', 'reshardFleet() total', 'prepare / switch / retire', 'markers in the window (guild changing cluster)', 'ledger keys per event / per crossing event (keys)', 'ledger batches in the window (whole run)', 'ledger fallbacks', 'latency p50 / p99 before (ms)', 'during', 'added p50 / p99', 'during: guilds changing cluster / staying (p50 / p99)', 'CONTROL in the window: CPU, event-loop delay p99 / max', 'markers', 'repeated', 'lost', 'forwards dropped'],
        r.fleet.map((v) => [
          `${v.from} → ${v.to}`,
          `${(v.movedGuildFraction * 100).toFixed(1)} %`,
          `${v.rate} / ${v.achievedRate}`,
          `${v.maxConcurrency}, ${v.windowMs} ms, ${v.matchWindowMs} ms`,
          `${v.identifies} (${v.gatewayIdentifies})`,
          ms(v.elapsedMs),
          `${ms(v.prepareMs)} / ${ms(v.switchMs)} / ${ms(v.retireMs)}`,
          `${v.windowEvents} (${v.windowCrossing})`,
          `${perEvent(v.ledgerOpsPerEvent)} / ${perEvent(v.ledgerOpsPerCrossingEvent)} (${v.ledgerOffered})`,
          `${v.ledgerBatches} (${v.ledgerBatchesTotal})`,
          v.ledgerFallbacks,
          `${lat(v.before.p50)} / ${lat(v.before.p99)}`,
          `${lat(v.during.p50)} / ${lat(v.during.p99)}`,
          `${lat(v.addedP50)} / ${lat(v.addedP99)}`,
          v.duringCrossing.n === 0 ? `none vs ${lat(v.duringStaying.p50)} / ${lat(v.duringStaying.p99)}` : `${lat(v.duringCrossing.p50)} / ${lat(v.duringCrossing.p99)} vs ${lat(v.duringStaying.p50)} / ${lat(v.duringStaying.p99)}`,
          `${Math.round(v.controlCpuShare * 100)} %, ${ms(v.controlLoopDelayP99)} / ${ms(v.controlLoopDelayMax)}`,
          v.sent,
          v.repeated,
          v.lost,
          v.forwardDropped,
        ]),
      ),
    );
  }
  if (r.targets && r.targets.length > 0) {
    parts.push('### Targets');
    parts.push(table(['target', 'measured', 'met'], r.targets.map((t) => [t.target, t.measured, t.met === undefined ? '?' : t.met ? 'yes' : '**no**'])));
  }
  if (r.broker) {
    const first = r.broker[0];
    parts.push(`### Broker end to end: gateway → cluster (${first?.shards ?? 4} shards, producer: ${first?.producer ?? '?'}) → Redis Streams → one worker (consumeDispatches, ack each), MESSAGE_CREATE`);
    parts.push(
      table(
        ['offered', 'gateway achieved events/s', 'sent', 'handled by the worker', 'dropped by the producer', 'end-to-end events/s', 'p50 send → handler', 'p99', 'max', 'cluster CPU µs/event', 'worker CPU µs/event', 'load (1 min) before → after'],
        r.broker.map((b) => [b.offeredRate === null ? 'unpaced' : `${b.offeredRate}/s`, b.gatewayRate, b.sent, b.delivered, b.dropped, b.endToEndRate, `${round(b.p50, 1)} ms`, `${round(b.p99, 1)} ms`, `${round(b.max, 1)} ms`, round(b.clusterCpuUsPerEvent, 1), round(b.workerCpuUsPerEvent, 1), b.load.map((l) => l.toFixed(2)).join(' → ')]),
      ),
    );
  }
  if (r.durations !== undefined && r.durations.length > 0) {
    const total = r.durations.reduce((sum, d) => sum + d.seconds, 0);
    parts.push(`Durations: ${r.durations.map((d) => `${d.scenario} ${d.seconds} s`).join(', ')}; ${total} s in all (${r.machine.mode} mode).`);
  }
  return parts.join('\n\n');
};
