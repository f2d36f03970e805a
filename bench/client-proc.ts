/**
 * One contender in its own process, driven over IPC by bench/run.ts: `start` connects its
 * shards, `begin` starts counting (and the CPU clock); a `done` notice reports when the
 * `BENCH_END` marker came on every shard (or, for `ws-frames`, the expected frame count).
 */
import { preload, startClient, type ClientConfig, type ContenderName, type RunningClient } from './contenders.js';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
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
  /** Thread CPU when the window opened (`threadCpuMs`). */
  readonly threads0: { main: number; others: number } | undefined;
  /** Context switches when the window opened: voluntary (waits for I/O) and involuntary (preempted). */
  readonly switches0: { voluntary: number; involuntary: number };
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

/**
 * CPU time of this process's threads so far, ms (Linux: /proc/self/task/<tid>/schedstat): the main
 * thread (the event loop: the client's own work) and all others together (V8's background
 * threads: concurrent marking, parallel scavenges and optimizing compiles; libuv's pool). A
 * profile samples only the first; `process.cpuUsage` counts both. Undefined where /proc is not.
 */
const threadCpuMs = (): { main: number; others: number } | undefined => {
  try {
    let main = 0;
    let others = 0;
    for (const tid of readdirSync('/proc/self/task')) {
      let ns = 0;
      try {
        ns = Number(readFileSync(`/proc/self/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
      } catch {
        continue; // the thread ended meanwhile
      }
      if (Number(tid) === process.pid) main += ns / 1e6;
      else others += ns / 1e6;
    }
    return { main, others };
  } catch {
    return undefined;
  }
};

/** The process's context switches so far (from one `process.resourceUsage()`). */
const switches = (usage: NodeJS.ResourceUsage = process.resourceUsage()): { voluntary: number; involuntary: number } => ({
  voluntary: usage.voluntaryContextSwitches,
  involuntary: usage.involuntaryContextSwitches,
});

/**
 * What the open window cost so far: CPU (user + system, and system alone: socket reads, pauses,
 * loopback TCP charged to this process), context switches, peak RSS and the longest loop delay.
 */
const usage = (w: Window) => {
  const cpu = process.cpuUsage(w.cpu0);
  const resources = process.resourceUsage();
  const now = switches(resources);
  const threads = threadCpuMs();
  return {
    /** Of `cpuUs`, what threads other than the main one spent (see `threadCpuMs`), µs. */
    cpuOtherThreadsUs: threads !== undefined && w.threads0 !== undefined ? (threads.others - w.threads0.others) * 1000 : Number.NaN,
    cpuUs: cpu.user + cpu.system,
    cpuSystemUs: cpu.system,
    voluntarySwitches: now.voluntary - w.switches0.voluntary,
    involuntarySwitches: now.involuntary - w.switches0.involuntary,
    /** The process's peak resident memory so far, bytes. */
    maxRss: resources.maxRSS * 1024,
    maxLoopDelayMs: loopDelay.max / 1e6,
  };
};

const finish = (w: Window) => {
  w.finished = true;
  loopDelay.disable();
  endMemTrace(contender);
  const elapsedMs = performance.now() - w.first;
  const used = usage(w);
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
    ...used,
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
      switches0: switches(),
      threads0: threadCpuMs(),
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
    return { delivered: w.delivered, frames: w.frames, elapsedMs: performance.now() - w.first, ...usage(w) };
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
