/**
 * The benchmark's scenarios. Each run starts a fresh emulator (in the emulator process) and a
 * fresh client process for one contender, measures, and tears both down. Contenders alternate
 * within each repeat; figures are medians over the repeats.
 */
import { fileURLToPath } from 'node:url';
import type { ClientConfig, ContenderName } from './contenders.js';
import { forkPeer, type Peer } from './ipc.js';
import { median, percentiles, sleep } from './stats.js';
import type { EmulatorOptions } from '../src/testing/index.js';

export const TOKEN = 'bench-token';
/** Where `BENCH_PROF=<contender>` puts the client's `--cpu-prof` profiles. */
const PROFILE_DIR = fileURLToPath(new URL('./profiles', import.meta.url));
/** GUILDS | GUILD_MESSAGES. */
const INTENTS = 513;

export interface Sizes {
  readonly repeats: number;
  readonly events: number;
  readonly eventsSecondary: number;
  readonly latencySeconds: number;
  readonly latencyRate: number;
  readonly idleShards: number;
  /**
   * Startup cases. With `lagMs` the emulator processes the first wave (`maxConcurrency`
   * identifies) that late (`identifyLag`), and the case runs with windows counted from the
   * answer (ours) and from the send (before); `windowMs` default 1000, `runs` default `repeats`.
   */
  readonly startup: readonly { shards: number; maxConcurrency: number; windowMs?: number; lagMs?: number; runs?: number }[];
  readonly recoveryTrials: number;
  /** How long idle shards settle before memory is read, ms. */
  readonly settleMs: number;
  /** Events streamed before a throughput window opens. */
  readonly warmUp: number;
}

export type Log = (line: string) => void;

export const baseConfig = (contender: ContenderName, url: string, shards: number): ClientConfig => ({
  contender,
  url,
  token: TOKEN,
  intents: INTENTS,
  shardIds: Array.from({ length: shards }, (_, i) => i),
  totalShards: shards,
  compression: 'zlib-stream',
  maxConcurrency: shards,
  identifyWindowMs: 1,
});

/** Runs `body` with a fresh emulator and a fresh client process started with `cfg` (also used by storm.ts). */
export const session = async <T>(
  emu: Peer,
  emulator: EmulatorOptions,
  cfg: (url: string) => ClientConfig,
  body: (client: Peer, readyMs: number) => Promise<T>,
  nodeArgs: readonly string[] = [],
  beforeStart?: (client: Peer) => Promise<void>,
  execPath?: string,
): Promise<T> => {
  const { url } = await emu.call<{ url: string }>('start', { token: TOKEN, ...emulator });
  const profile = (process.env.BENCH_PROF ?? '').split(',').includes(cfg(url).contender);
  const extra = process.env.BENCH_CLIENT_ARGS?.split(' ').filter((a) => a !== '') ?? []; // e.g. `--trace-gc` while profiling
  const args = [...nodeArgs, ...extra, ...(profile ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`] : [])];
  const client = forkPeer('./client-proc.ts', args, [], execPath);
  try {
    await beforeStart?.(client);
    const { readyMs } = await client.call<{ readyMs: number }>('start', cfg(url), 180_000);
    return await body(client, readyMs);
  } finally {
    await client.call('close', undefined, 10_000).catch(() => {});
    await client.kill();
    await emu.call('stop');
  }
};

/** Runs `once(contender)` `repeats` times, alternating contenders, and collects per contender. */
const alternate = async <T>(contenders: readonly ContenderName[], repeats: number, log: Log, label: string, once: (c: ContenderName) => Promise<T>) => {
  const out = new Map<ContenderName, T[]>(contenders.map((c) => [c, []]));
  for (let r = 0; r < repeats; r++) {
    for (const c of contenders) {
      const value = await once(c);
      out.get(c)?.push(value);
      log(`  ${label} #${r + 1} ${c}: ${JSON.stringify(value)}`);
    }
  }
  return out;
};

/**
 * Streams `count` events at `rate` (or as fast as read) and waits until the client has them
 * all, outside any measurement: every contender's JIT is warm when the window opens.
 */
const warmUp = async (emu: Peer, client: Peer, shards: number, count: number, rate?: number, poolSize = POOL) => {
  await client.call('begin', { expectedFrames: count + shards, latency: 0 });
  const done = client.notice('done', 300_000);
  await emu.call('stream', { options: { count, mix: 'realistic', poolSize, stamp: rate !== undefined, ...(rate !== undefined ? { rate } : {}) }, endMarker: true }, 300_000);
  await done;
};

interface Done {
  delivered: number;
  frames: number;
  elapsedMs: number;
  cpuUs: number;
  latencies?: number[];
}

export interface ThroughputRow {
  contender: ContenderName;
  eventsPerSec: number;
  cpuUsPerEvent: number;
  delivered: number;
  emulatorCpuUsPerEvent: number;
  /** Bytes the emulator sent per event in the window (messages as encoded, without WebSocket framing). */
  wireBytesPerEvent?: number;
  runs: number[];
}

/** Event templates per shard: few enough that making them is a small part of a run. */
const POOL = 256;

const STREAM_EMULATOR: EmulatorOptions = { guilds: 100, maxConcurrency: 16, identifyWindowMs: 0, heartbeatInterval: 300_000, zlibMode: 'precompressed' };

/** Throughput of 16 shards on the realistic mix: events/s and client CPU per event. */
export const throughput = async (
  emu: Peer,
  sizes: Sizes,
  log: Log,
  opts: {
    contenders: readonly ContenderName[];
    compression: 'zlib-stream' | 'zstd-stream' | 'none';
    events?: readonly string[];
    count: number;
    label: string;
    /** Emulator options over the streaming defaults (e.g. `keyOrder`, `zlibMode`). */
    emulator?: EmulatorOptions;
    /** The Node binary of the client processes (default: this one). */
    execPath?: string;
    /** Event templates per shard (default 256). */
    poolSize?: number;
  },
): Promise<ThroughputRow[]> => {
  const shards = 16;
  const runs = await alternate(opts.contenders, sizes.repeats, log, opts.label, (contender) =>
    session(
      emu,
      { ...STREAM_EMULATOR, ...opts.emulator },
      (url) => ({ ...baseConfig(contender, url, shards), compression: opts.compression, ...(opts.events ? { events: [...opts.events, 'BENCH_END'] } : {}) }),
      async (client) => {
        await sleep(300); // let READY's GUILD_CREATEs land before the window opens
        await warmUp(emu, client, shards, sizes.warmUp, undefined, opts.poolSize);
        await client.call('begin', { expectedFrames: opts.count + shards, latency: 0 });
        const done = client.notice<Done>('done', 300_000);
        const streamed = await emu.call<{ sent: number; cpuUs: number; bytes: number }>('stream', { options: { count: opts.count, mix: 'realistic', poolSize: opts.poolSize ?? POOL }, endMarker: true }, 300_000);
        const d = await done;
        return {
          eventsPerSec: Math.round(streamed.sent / (d.elapsedMs / 1000)),
          cpuUsPerEvent: d.cpuUs / streamed.sent,
          delivered: contender === 'ws-frames' ? d.frames : d.delivered,
          emulatorCpuUsPerEvent: streamed.cpuUs / streamed.sent,
          wireBytesPerEvent: streamed.bytes / streamed.sent,
        };
      },
      [],
      undefined,
      opts.execPath,
    ),
  );
  return opts.contenders.map((contender) => {
    const rs = runs.get(contender) ?? [];
    return {
      contender,
      eventsPerSec: median(rs.map((r) => r.eventsPerSec)),
      cpuUsPerEvent: median(rs.map((r) => r.cpuUsPerEvent)),
      delivered: median(rs.map((r) => r.delivered)),
      emulatorCpuUsPerEvent: median(rs.map((r) => r.emulatorCpuUsPerEvent)),
      wireBytesPerEvent: median(rs.map((r) => r.wireBytesPerEvent)),
      runs: rs.map((r) => r.eventsPerSec),
    };
  });
};

export interface LatencyRow {
  contender: ContenderName;
  p50: number;
  p99: number;
  max: number;
  samples: number;
  runsP99: number[];
  /** The emulator's rate from its first event to its last (median of the runs). */
  achievedRate: number;
  /** Most events the emulator sent in one timer turn, and the most it fell behind its schedule (ms), over the runs. */
  maxPerTurn: number;
  maxLagMs: number;
}

/** How a paced stream kept to its rate, as the emulator process reports it. */
interface Pacing {
  turns: number;
  maxPerTurn: number;
  maxLagMs: number;
  achievedRate: number;
}

/** Latency at a fixed offered rate: emulator write (stamp) to subscriber, ms. */
export const latency = async (emu: Peer, sizes: Sizes, log: Log, contenders: readonly ContenderName[]): Promise<LatencyRow[]> => {
  const shards = 16;
  const count = Math.round(sizes.latencyRate * sizes.latencySeconds);
  const runNo = new Map<ContenderName, number>();
  const runs = await alternate(contenders, sizes.repeats, log, 'latency', (contender) =>
    session(emu, STREAM_EMULATOR, (url) => baseConfig(contender, url, shards), async (client) => {
      const n = (runNo.get(contender) ?? 0) + 1;
      runNo.set(contender, n);
      const trace = `latency-${contender}-${n}`; // file names under BENCH_TRACE
      await sleep(300);
      await warmUp(emu, client, shards, Math.min(sizes.warmUp, Math.round(sizes.latencyRate / 2)), sizes.latencyRate);
      await client.call('begin', { expectedFrames: count + shards, latency: count, trace });
      const done = client.notice<Done>('done', 300_000);
      const streamed = await emu.call<{ pacing: Pacing }>('stream', { options: { count, rate: sizes.latencyRate, stamp: true, mix: 'realistic', poolSize: POOL }, endMarker: true, trace }, 300_000);
      const p = percentiles((await done).latencies ?? []);
      const { achievedRate, maxPerTurn, maxLagMs } = streamed.pacing;
      return { p50: p.p50, p99: p.p99, max: p.max, samples: p.n, achievedRate: Math.round(achievedRate), maxPerTurn, maxLagMs: Number(maxLagMs.toFixed(2)) };
    }),
  );
  return contenders.map((contender) => {
    const rs = runs.get(contender) ?? [];
    return {
      contender,
      p50: median(rs.map((r) => r.p50)),
      p99: median(rs.map((r) => r.p99)),
      max: median(rs.map((r) => r.max)),
      samples: median(rs.map((r) => r.samples)),
      runsP99: rs.map((r) => r.p99),
      achievedRate: median(rs.map((r) => r.achievedRate)),
      maxPerTurn: Math.max(...rs.map((r) => r.maxPerTurn)),
      maxLagMs: Math.max(...rs.map((r) => r.maxLagMs)),
    };
  });
};

export interface MemoryRow {
  contender: ContenderName;
  shards: number;
  rssPerShard: number;
  heapPerShard: number;
  /** The V8 heap the process holds from the system (used plus free space), per shard. */
  heapTotalPerShard: number;
  externalPerShard: number;
}

interface Mem {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
}

/** Memory of idle shards in one process, after GC: (after − before) / shards, bytes. */
export const memory = async (emu: Peer, sizes: Sizes, log: Log, contenders: readonly ContenderName[]): Promise<MemoryRow[]> => {
  const shards = sizes.idleShards;
  let before: Mem | undefined;
  const runs = await alternate(contenders, sizes.repeats, log, 'memory', (contender) =>
    session(
      emu,
      { shards, maxConcurrency: shards, identifyWindowMs: 0, heartbeatInterval: 3_600_000 },
      (url) => baseConfig(contender, url, shards),
      async (client) => {
        await sleep(sizes.settleMs);
        const after = await client.call<Mem>('memory');
        const b = before as Mem;
        return {
          rssPerShard: (after.rss - b.rss) / shards,
          heapPerShard: (after.heapUsed - b.heapUsed) / shards,
          heapTotalPerShard: (after.heapTotal - b.heapTotal) / shards,
          externalPerShard: (after.external - b.external) / shards,
        };
      },
      ['--expose-gc'],
      async (client) => {
        await client.call('load', { contender });
        before = await client.call<Mem>('memory');
      },
    ),
  );
  return contenders.map((contender) => {
    const rs = runs.get(contender) ?? [];
    return {
      contender,
      shards,
      rssPerShard: median(rs.map((r) => r.rssPerShard)),
      heapPerShard: median(rs.map((r) => r.heapPerShard)),
      heapTotalPerShard: median(rs.map((r) => r.heapTotalPerShard)),
      externalPerShard: median(rs.map((r) => r.externalPerShard)),
    };
  });
};

export interface StartupRow {
  variant: string;
  shards: number;
  maxConcurrency: number;
  windowMs: number;
  /** How late the emulator processed the first wave's identifies (0: not held back). */
  lagMs: number;
  idealMs: number;
  /** First identify to last, as the emulator saw them: the identify schedule itself. */
  scheduleMs: number;
  /** `scheduleMs / idealMs`: within 2 %, never under, is the target. */
  ratio: number;
  /** `connect()` to every shard READY: the schedule plus connection time. */
  readyMs: number;
  violations: number;
  runs: number[];
}

/**
 * Startup of ours: the identify schedule (first identify to last, as the emulator received them)
 * against the ideal `(ceil(N/c) − 1) × window`, and `connect()` to every shard READY. A 1 s
 * window (Discord's is 5 s) unless the case says otherwise; the default safety margin is 1 %.
 * A case with `lagMs` runs against a gateway that processes the first wave late, counting each
 * window from the answer (ours) and from the send (before): violations and the time it costs.
 */
export const startup = async (emu: Peer, sizes: Sizes, log: Log): Promise<StartupRow[]> => {
  const rows: StartupRow[] = [];
  const plain = [{ variant: 'default margin (1 %)', countFrom: 'answer' as 'answer' | 'send' }];
  const lagged = [
    { variant: 'from the answer (default)', countFrom: 'answer' as const },
    { variant: 'from the send (before)', countFrom: 'send' as const },
  ];
  for (const { shards, maxConcurrency, windowMs = 1_000, lagMs = 0, runs: count = sizes.repeats } of sizes.startup) for (const { variant, countFrom } of lagMs > 0 ? lagged : plain) {
    const runs: { readyMs: number; scheduleMs: number; violations: number; first?: string }[] = [];
    // One run first, not counted: a cold emulator process stamps the first wave of identifies
    // late while it compiles its handshake and READY paths, which makes the next wave look early.
    // Cases with a lag hold the first wave back on purpose and need no such run.
    for (let r = lagMs > 0 ? 0 : -1; r < count; r++) {
      const run = await session(
        emu,
        { shards, maxConcurrency, identifyWindowMs: windowMs, heartbeatInterval: 600_000, sessionStartLimit: { total: 1_000_000 }, ...(lagMs > 0 ? { identifyLag: { first: maxConcurrency, ms: lagMs } } : {}) },
        (url) => ({ ...baseConfig('ours', url, shards), maxConcurrency, identifyWindowMs: windowMs, identifyCountFrom: countFrom }),
        async (_client, readyMs) => {
          const { violations, identifies } = await emu.call<{ violations: string[]; identifies: number[] }>('info');
          const scheduleMs = Math.max(...identifies) - Math.min(...identifies);
          return { readyMs, scheduleMs, violations: violations.length, ...(violations.length > 0 ? { first: violations[0] } : {}) };
        },
      );
      log(`  startup ${shards}/${maxConcurrency} lag ${lagMs} ms ${variant} ${r < 0 ? 'warm-up' : `#${r + 1}`}: ${JSON.stringify(run)}`);
      if (r >= 0) runs.push(run);
    }
    const idealMs = (Math.ceil(shards / maxConcurrency) - 1) * windowMs;
    const readyMs = median(runs.map((r) => r.readyMs));
    const scheduleMs = median(runs.map((r) => r.scheduleMs));
    rows.push({ variant, shards, maxConcurrency, windowMs, lagMs, idealMs, scheduleMs, ratio: scheduleMs / idealMs, readyMs, violations: Math.max(...runs.map((r) => r.violations)), runs: runs.map((r) => r.scheduleMs) });
  }
  return rows;
};

export interface RecoveryRow {
  contender: string;
  fault: 'drop' | 'op 7';
  p50: number;
  max: number;
  trials: number[];
}

/** Time from a fault (socket dropped, or op 7) to RESUMED, one shard, ms. */
export const recovery = async (emu: Peer, sizes: Sizes, log: Log): Promise<RecoveryRow[]> => {
  const variants: { label: string; contender: ContenderName; backoffInitialMs?: number }[] = [
    { label: 'ours (backoff 500 ms, default)', contender: 'ours' },
    { label: 'ours (backoff 10 ms)', contender: 'ours', backoffInitialMs: 10 },
    { label: 'djs', contender: 'djs' },
  ];
  const rows: RecoveryRow[] = [];
  for (const v of variants) {
    const trials = await session(
      emu,
      { shards: 1, heartbeatInterval: 600_000, reconnectGraceMs: 60_000 },
      (url) => ({ ...baseConfig(v.contender, url, 1), ...(v.backoffInitialMs !== undefined ? { backoffInitialMs: v.backoffInitialMs } : {}) }),
      async (client) => {
        const out: Record<'drop' | 'op 7', number[]> = { drop: [], 'op 7': [] };
        for (let i = 0; i < sizes.recoveryTrials; i++) {
          for (const fault of ['drop', 'op 7'] as const) {
            const resumed = client.notice<{ at: number }>('resumed', 30_000);
            const { at } = await emu.call<{ at: number }>(fault === 'drop' ? 'drop' : 'reconnect', { shardId: 0 });
            out[fault].push((await resumed).at - at);
            await sleep(50);
          }
        }
        return out;
      },
    );
    for (const fault of ['drop', 'op 7'] as const) {
      const ts = trials[fault];
      rows.push({ contender: v.label, fault, p50: median(ts), max: Math.max(...ts), trials: ts });
      log(`  recovery ${v.label} ${fault}: ${ts.map((t) => t.toFixed(1)).join(', ')}`);
    }
  }
  return rows;
};
