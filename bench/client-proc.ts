/**
 * One contender in its own process, driven over IPC by bench/run.ts: `start` connects its
 * shards, `begin` starts counting (and the CPU clock); a `done` notice reports when the
 * `BENCH_END` marker came on every shard (or, for `ws-frames`, the expected frame count).
 */
import { preload, startClient, type ClientConfig, type ContenderName, type RunningClient } from './contenders.js';
import { notify, serve, wallNow } from './ipc.js';

let client: RunningClient | undefined;
let shardCount = 0;

/** What a measurement window counts. */
interface Window {
  readonly expectedFrames: number;
  readonly latencies: Float64Array | undefined;
  readonly cpu0: NodeJS.CpuUsage;
  /** When the window opened (`begin`), ms; the emulator starts streaming right after. */
  readonly first: number;
  delivered: number;
  frames: number;
  ends: number;
  finished: boolean;
}
let window: Window | undefined;

const finish = (w: Window) => {
  w.finished = true;
  const elapsedMs = performance.now() - w.first;
  const cpu = process.cpuUsage(w.cpu0);
  const n = Math.min(w.delivered, w.latencies?.length ?? 0);
  notify('done', {
    delivered: w.delivered,
    frames: w.frames,
    elapsedMs,
    cpuUs: cpu.user + cpu.system,
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
  return { rss: m.rss, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers };
};

serve({
  async start(cfg: ClientConfig) {
    shardCount = cfg.shardIds.length;
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
          if (typeof ts === 'number') w.latencies[w.delivered] = wallNow() - ts;
        }
        w.delivered++;
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
  begin(args: { expectedFrames: number; latency: number }) {
    window = {
      expectedFrames: args.expectedFrames,
      latencies: args.latency > 0 ? new Float64Array(args.latency) : undefined,
      cpu0: process.cpuUsage(),
      first: performance.now(),
      delivered: 0,
      frames: 0,
      ends: 0,
      finished: false,
    };
    return null;
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
