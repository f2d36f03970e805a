/**
 * One contender in its own process, driven over IPC by bench/run.ts: `start` connects its
 * shards, `begin` starts counting (and the CPU clock); a `done` notice reports when the
 * `BENCH_END` marker came on every shard (or, for `ws-frames`, the expected frame count).
 */
import { preload, startClient, type ClientConfig, type ContenderName, type RunningClient } from './contenders.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { gcLog, notify, serve, wallNow } from './ipc.js';
import { endMemTrace, startMemTrace } from './mem-trace.js';

/** `BENCH_TRACE=<dir>`: write each latency window's samples (arrival, stamp, event name) and GC pauses there. */
const TRACE_DIR = process.env.BENCH_TRACE;
const gcs = TRACE_DIR ? gcLog() : undefined;

let client: RunningClient | undefined;
let shardCount = 0;
let contender = '';

/** What a measurement window counts. */
interface Window {
  readonly expectedFrames: number;
  /** Finish once this many events (other than `BENCH_END`) were delivered (default: never on a count). */
  readonly expectedEvents: number;
  readonly latencies: Float64Array | undefined;
  /** With `BENCH_TRACE` and a `trace` name: each sample's arrival (`wallNow`), stamp and event name. */
  readonly trace: { name: string; at: Float64Array; stamp: Float64Array; t: string[] } | undefined;
  readonly cpu0: NodeJS.CpuUsage;
  /** When the window opened (`begin`), ms; the emulator starts streaming right after. */
  readonly first: number;
  delivered: number;
  frames: number;
  ends: number;
  finished: boolean;
}
let window: Window | undefined;
/** The event loop's delay over the open window (how late timers such as heartbeats could run). */
const loopDelay = monitorEventLoopDelay({ resolution: 10 });

const finish = (w: Window) => {
  w.finished = true;
  loopDelay.disable();
  endMemTrace(contender);
  const elapsedMs = performance.now() - w.first;
  const cpu = process.cpuUsage(w.cpu0);
  const n = Math.min(w.delivered, w.latencies?.length ?? 0);
  const tr = w.trace;
  if (tr !== undefined && TRACE_DIR !== undefined) {
    const trace = { at: Array.from(tr.at.subarray(0, n)), stamp: Array.from(tr.stamp.subarray(0, n)), t: tr.t.slice(0, n), gcs: gcs?.entries() };
    writeFileSync(join(TRACE_DIR, `client-${tr.name}.json`), JSON.stringify(trace));
  }
  notify('done', {
    delivered: w.delivered,
    frames: w.frames,
    elapsedMs,
    cpuUs: cpu.user + cpu.system,
    /** The process's peak resident memory so far, bytes. */
    maxRss: process.resourceUsage().maxRSS * 1024,
    maxLoopDelayMs: loopDelay.max / 1e6,
    latencies: w.latencies ? Array.from(w.latencies.subarray(0, n)) : undefined,
  });
};


const gc = async () => {
  const collect = (globalThis as { gc?: () => void }).gc;
  for (let i = 0; i < 3; i++) {
    collect?.();
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
};

const memory = async () => {
  await gc();
  const m = process.memoryUsage();
  return { rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, arrayBuffers: m.arrayBuffers };
};

serve({
  async start(cfg: ClientConfig) {
    shardCount = cfg.shardIds.length;
    contender = cfg.contender;
    client = await startClient(cfg, {
      event(t, d) {
        const w = window;
        if (w === undefined || w.finished) return;
        if (t === 'BENCH_END') {
          if (++w.ends === shardCount) finish(w);
          return;
        }
        if (w.latencies !== undefined && w.delivered < w.latencies.length) {
          const ts = (d as { emulator_ts?: unknown } | null)?.emulator_ts;
          if (typeof ts === 'number') {
            const now = wallNow();
            w.latencies[w.delivered] = now - ts;
            const tr = w.trace;
            if (tr !== undefined) (tr.at[w.delivered] = now, (tr.stamp[w.delivered] = ts), (tr.t[w.delivered] = t));
          }
        }
        if (++w.delivered === w.expectedEvents) finish(w);
      },
      frame() {
        const w = window;
        if (w === undefined || w.finished) return;
        if (++w.frames >= w.expectedFrames) finish(w);
      },
      resumed(shardId) {
        notify('resumed', { shardId, at: wallNow() });
      },
    });
    const readyMs = await client.ready;
    return { readyMs };
  },
  begin(args: { expectedFrames: number; latency: number; trace?: string; expectedEvents?: number }) {
    const traced = TRACE_DIR !== undefined && args.trace !== undefined && args.latency > 0;
    gcs?.clear();
    loopDelay.reset();
    loopDelay.enable();
    startMemTrace();
    window = {
      expectedFrames: args.expectedFrames,
      expectedEvents: args.expectedEvents ?? Infinity,
      latencies: args.latency > 0 ? new Float64Array(args.latency) : undefined,
      trace: traced ? { name: args.trace as string, at: new Float64Array(args.latency), stamp: new Float64Array(args.latency), t: [] } : undefined,
      cpu0: process.cpuUsage(),
      first: performance.now(),
      delivered: 0,
      frames: 0,
      ends: 0,
      finished: false,
    };
    return null;
  },
  /** The open window's counts so far, in the shape of `done` (for a scenario that stopped waiting). */
  progress() {
    const w = window;
    if (w === undefined) throw new Error('no window is open');
    const cpu = process.cpuUsage(w.cpu0);
    return { delivered: w.delivered, frames: w.frames, elapsedMs: performance.now() - w.first, cpuUs: cpu.user + cpu.system, maxRss: process.resourceUsage().maxRSS * 1024, maxLoopDelayMs: loopDelay.max / 1e6 };
  },
  memory,
  async load(args: { contender: ContenderName }) {
    await preload(args.contender);
    return null;
  },
  async close() {
    await client?.close();
    return null;
  },
});
