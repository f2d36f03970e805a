/**
 * The reshard scenario: a cluster of ours (in its own process, bench/reshard-client.ts) runs N
 * shards under continuous marker traffic (unique MESSAGE_CREATEs, each routed by the emulator
 * to every session owning its guild in every shard count), reshards to M shards in place, and
 * reports what it cost: identifies, time, the handover after the last new READY, the memory held
 * while both sets ran, and every marker emitted twice or lost (both must be 0).
 */
import { createEmulator } from '../src/testing/index.js';
import type { ReshardReport } from '../src/index.js';
import { forkPeer } from './ipc.js';
import type { MemorySample, ReshardClientConfig } from './reshard-client.js';
import { median } from './stats.js';

const TOKEN = 'bench-token';

/** One reshard case and how often to run it. */
export interface ReshardSizes {
  readonly from: number;
  readonly to: number;
  /** Markers per second offered during the whole run. */
  readonly rate: number;
  readonly maxConcurrency: number;
  readonly windowMs: number;
  /** Traffic before the reshard and after it, ms. */
  readonly beforeMs: number;
  readonly afterMs: number;
  readonly repeats: number;
  /** The new layout's sessions get every event this much later than the old layout's (`--reshard-lag=MS`; 0: none). */
  readonly newLagMs?: number;
}

/** The sizes of each bench mode: full 16 → 24 at 20k/s, three runs; quick 6 → 9 at 5k/s, one run; tiny 4 → 6. */
export const reshardSizes = (mode: 'full' | 'quick' | 'tiny'): ReshardSizes =>
  mode === 'tiny'
    ? { from: 4, to: 6, rate: 2_000, maxConcurrency: 4, windowMs: 250, beforeMs: 300, afterMs: 300, repeats: 1 }
    : mode === 'quick'
      ? { from: 6, to: 9, rate: 5_000, maxConcurrency: 8, windowMs: 500, beforeMs: 1_000, afterMs: 500, repeats: 1 }
      : { from: 16, to: 24, rate: 20_000, maxConcurrency: 16, windowMs: 1_000, beforeMs: 2_000, afterMs: 1_000, repeats: 3 };

/** The figures of a case (medians over its runs; twice and lost: the worst run). */
export interface ReshardRow {
  readonly from: number;
  readonly to: number;
  readonly rate: number;
  readonly maxConcurrency: number;
  readonly windowMs: number;
  /** Markers per second the emulator achieved over the run. */
  readonly achievedRate: number;
  readonly identifies: number;
  readonly elapsedMs: number;
  readonly handoffMs: number;
  /** Peak RSS and heap used while both sets ran, over the client's figures after GC just before. */
  readonly rssHeldBytes: number;
  readonly heapHeldBytes: number;
  /** Most events the handover held at once (old ones awaiting a twin, new ones held back). */
  readonly peakHeld: number;
  /** The client's CPU (user + system) during `reshard()` per event the handover took in (both sets' copies), µs. */
  readonly cpuPerEventMicros: number;
  readonly newLagMs: number;
  readonly sent: number;
  readonly duplicatesSuppressed: number;
  readonly recoveredFromNewSet: number;
  /** Extra emissions of a marker (must be 0), and markers never emitted (must be 0). */
  readonly twice: number;
  readonly lost: number;
  readonly runs: readonly { elapsedMs: number; handoffMs: number; twice: number; lost: number }[];
}

interface Run {
  report: ReshardReport;
  baseline: MemorySample;
  peak: MemorySample;
  peakHeld: number;
  cpuMicros: number;
  arrivals: number;
  sent: number;
  achievedRate: number;
  twice: number;
  lost: number;
}

const wait = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** One run: a fresh emulator here, a fresh client process. */
const once = async (s: ReshardSizes): Promise<Run> => {
  const gw = await createEmulator({
    token: TOKEN,
    shards: s.from,
    guilds: s.to * 10,
    maxConcurrency: s.maxConcurrency,
    identifyWindowMs: s.windowMs,
    heartbeatInterval: 60_000,
    sessionBufferSize: 100_000,
  });
  if ((s.newLagMs ?? 0) > 0) gw.delayLayout(s.to, s.newLagMs!);
  const client = forkPeer('./reshard-client.ts', ['--expose-gc']);
  try {
    const capacity = Math.ceil(s.rate * ((s.beforeMs + s.afterMs) / 1000 + 120));
    const cfg: ReshardClientConfig = { url: gw.url, token: TOKEN, totalShards: s.from, maxConcurrency: s.maxConcurrency, identifyWindowMs: s.windowMs, capacity };
    await client.call('start', cfg, 120_000);
    const t0 = performance.now();
    const traffic = gw.markerTraffic({ rate: s.rate, prefix: 'm-', count: capacity });
    await wait(s.beforeMs); // traffic on the old layout alone: the client is warm when the reshard starts
    const shardIds = Array.from({ length: s.to }, (_, i) => i);
    const resharded = await client.call<{ report: ReshardReport; baseline: MemorySample; peak: MemorySample; peakHeld: number; cpuMicros: number; arrivals: number }>('reshard', { totalShards: s.to, shardIds }, 300_000);
    await wait(s.afterMs);
    traffic.stop();
    const { sent } = await traffic.done;
    const achievedRate = (sent * 1000) / (performance.now() - t0);
    // one last message through each new shard: once they all arrived, so has every marker before them
    for (const shardId of shardIds) gw.dispatchMessage(gw.guildsOf(shardId, s.to)[0]!.id, `fence-${shardId}`);
    await client.call('fences', { want: s.to }, 60_000);
    const tally = await client.call<{ once: number; twice: number; lost: number }>('tally', { sent });
    return { ...resharded, sent, achievedRate, twice: tally.twice, lost: tally.lost };
  } finally {
    await client.call('close', undefined, 10_000).catch(() => {});
    await client.kill();
    await gw.close();
  }
};

/** Runs the reshard case `repeats` times. */
export const reshard = async (s: ReshardSizes, log: (line: string) => void): Promise<ReshardRow[]> => {
  const runs: Run[] = [];
  for (let r = 0; r < s.repeats; r++) {
    const run = await once(s);
    runs.push(run);
    const { report } = run;
    log(`  reshard ${s.from} → ${s.to} #${r + 1}: ${JSON.stringify({ identifies: report.identifies, elapsedMs: Math.round(report.elapsedMs), handoffMs: report.handoffMs, sent: run.sent, twice: run.twice, lost: run.lost, rssHeld: run.peak.rss - run.baseline.rss, heapHeld: run.peak.heapUsed - run.baseline.heapUsed, peakHeld: run.peakHeld, cpuPerEventMicros: +(run.cpuMicros / Math.max(1, run.arrivals)).toFixed(2), newLagMs: s.newLagMs ?? 0 })}`);
  }
  const med = (f: (r: Run) => number) => median(runs.map(f));
  return [
    {
      from: s.from,
      to: s.to,
      rate: s.rate,
      maxConcurrency: s.maxConcurrency,
      windowMs: s.windowMs,
      achievedRate: Math.round(med((r) => r.achievedRate)),
      identifies: med((r) => r.report.identifies),
      elapsedMs: med((r) => r.report.elapsedMs),
      handoffMs: med((r) => r.report.handoffMs),
      rssHeldBytes: med((r) => r.peak.rss - r.baseline.rss),
      heapHeldBytes: med((r) => r.peak.heapUsed - r.baseline.heapUsed),
      peakHeld: med((r) => r.peakHeld),
      cpuPerEventMicros: med((r) => r.cpuMicros / Math.max(1, r.arrivals)),
      newLagMs: s.newLagMs ?? 0,
      sent: med((r) => r.sent),
      duplicatesSuppressed: med((r) => r.report.duplicatesSuppressed),
      recoveredFromNewSet: med((r) => r.report.recoveredFromNewSet),
      twice: Math.max(...runs.map((r) => r.twice)),
      lost: Math.max(...runs.map((r) => r.lost)),
      runs: runs.map((r) => ({ elapsedMs: Math.round(r.report.elapsedMs), handoffMs: r.report.handoffMs, twice: r.twice, lost: r.lost })),
    },
  ];
};
