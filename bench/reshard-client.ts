/**
 * The reshard scenario's client: one cluster (ours) in its own process, driven over IPC by
 * bench/reshard.ts. It counts every marker MESSAGE_CREATE (`content` `m-<n>`) it emits, samples
 * its own memory while a reshard runs, and answers with the tally.
 */
import { existsSync } from 'node:fs';
import type { Cluster } from '../src/index.js';
import { serve } from './ipc.js';

/**
 * The package as users get it (the tsup build, as the other scenarios use; `npm run bench` builds
 * it first). `BENCH_DIST`: another build's directory, to compare two versions of the library.
 */
const built = process.env.BENCH_DIST === undefined ? new URL('../dist/index.js', import.meta.url) : new URL(`file://${process.env.BENCH_DIST}/index.js`);
if (!existsSync(built)) throw new Error('dist/ is missing: run `npm run build` first (npm run bench does)');
const { createCluster } = (await import(built.href)) as typeof import('../src/index.js');

/** What `start` needs. */
export interface ReshardClientConfig {
  readonly url: string;
  readonly token: string;
  readonly totalShards: number;
  readonly maxConcurrency: number;
  readonly identifyWindowMs: number;
  /** Most markers the run may send (the tally's size). */
  readonly capacity: number;
}

/** Memory figures, bytes. */
export interface MemorySample {
  readonly rss: number;
  readonly heapUsed: number;
}

let cluster: Cluster | undefined;
/** Emissions per marker number, saturating at 255. */
let counts = new Uint8Array(0);
const fences = new Set<string>();
/** Most events the last reshard's handover held at once. */
let peakHeld = 0;
/** Dispatches that reached `dispatch$` (every name), to count the events of a reshard's overlap. */
let emitted = 0;
let fenceWaiter: { readonly want: number; readonly resolve: () => void } | undefined;

const PREFIX = 'm-';

const gc = async () => {
  const collect = (globalThis as { gc?: () => void }).gc;
  for (let i = 0; i < 3; i++) {
    collect?.();
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
};
const sample = (): MemorySample => {
  const { rss, heapUsed } = process.memoryUsage();
  return { rss, heapUsed };
};

serve({
  async start(cfg: ReshardClientConfig) {
    counts = new Uint8Array(cfg.capacity);
    const c = createCluster({
      token: cfg.token,
      intents: 513,
      totalShards: cfg.totalShards,
      shardIds: Array.from({ length: cfg.totalShards }, (_, i) => i),
      gateway: { url: cfg.url, maxConcurrency: cfg.maxConcurrency },
      compression: 'none',
      timing: { identifyWindowMs: cfg.identifyWindowMs },
    });
    cluster = c;
    c.dispatch$.subscribe((event) => {
      emitted++;
      if (event.t !== 'MESSAGE_CREATE') return;
      const content = (event.d as { content?: string }).content ?? '';
      if (content.startsWith(PREFIX)) {
        const n = Number(content.slice(PREFIX.length));
        if (n < counts.length && counts[n]! < 255) counts[n]!++;
      } else if (content.startsWith('fence-')) {
        fences.add(content);
        if (fenceWaiter !== undefined && fences.size >= fenceWaiter.want) fenceWaiter.resolve();
      }
    });
    c.lifecycle$.subscribe((event) => {
      if (event.type === 'reshard' && event.phase === 'done') peakHeld = event.peakHeld ?? 0;
    });
    const t0 = performance.now();
    await c.connect();
    return { readyMs: performance.now() - t0 };
  },
  /** Runs the reshard, sampling memory every 10 ms meanwhile: the peak over the baseline taken after GC just before. */
  async reshard(layout: { totalShards: number; shardIds: number[] }) {
    const c = cluster!;
    await gc();
    const baseline = sample();
    let peak = baseline;
    const timer = setInterval(() => {
      const now = sample();
      peak = { rss: Math.max(peak.rss, now.rss), heapUsed: Math.max(peak.heapUsed, now.heapUsed) };
    }, 10);
    const emittedBefore = emitted;
    const cpuBefore = process.cpuUsage();
    try {
      const report = await c.reshard(layout);
      const cpu = process.cpuUsage(cpuBefore);
      // every event the handover took in: each emitted one, and each twin it suppressed
      const arrivals = emitted - emittedBefore + report.duplicatesSuppressed;
      return { report, baseline, peak, peakHeld, cpuMicros: cpu.user + cpu.system, arrivals };
    } finally {
      clearInterval(timer);
    }
  },
  /** Resolves once `want` distinct fence messages arrived. */
  fences(args: { want: number }) {
    return new Promise<null>((resolve) => {
      if (fences.size >= args.want) return resolve(null);
      fenceWaiter = { want: args.want, resolve: () => resolve(null) };
    });
  },
  /** Of markers `0..sent-1`: emitted once, more than once, never. */
  tally(args: { sent: number }) {
    let once = 0;
    let twice = 0;
    let lost = 0;
    for (let n = 0; n < args.sent; n++) {
      const k = counts[n]!;
      if (k === 1) once++;
      else if (k === 0) lost++;
      else twice += k - 1;
    }
    return { once, twice, lost };
  },
  async close() {
    await cluster?.shutdown();
    return null;
  },
});
