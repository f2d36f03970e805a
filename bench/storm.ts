/**
 * The startup storm: N shards READY, then every shard is sent its GUILD_CREATEs (16 × 250 of
 * ~100 KiB; 4 × 2500 of ~10 KiB) at once, unpaced, as Discord sends a large bot's guilds after READY. The gateway's heartbeat ACKs wait in
 * each socket behind the storm; a client that takes that for a dead connection closes and
 * resumes in the middle of it. Measured per contender, at Discord's interval (41.25 s) and at a
 * short one (1 s, where the storm outlasts several intervals): the time from the storm's start
 * to the last GUILD_CREATE delivered, client CPU over it, the process's peak RSS, the client's
 * longest event-loop delay (how late its heartbeats could go out), and the connections the
 * client closed (zombie verdicts). A client that loses part of the storm (a
 * session it could not resume, so the emulator had nowhere to send the rest) never gets to the
 * last one: its row says how many it got when the wait ended, instead of a time.
 */
import { LOADED_FLOORS, type ContenderName } from './contenders.js';
import type { Peer } from './ipc.js';
import { baseConfig, type Log, session, type Sizes } from './scenarios.js';
import { median } from './stats.js';

/** What one run of a contender measured (a row holds their medians, or the worst where said). */
interface Run {
  /** Storm start → last GUILD_CREATE delivered, ms (NaN when some never came: see `delivered`). */
  lastGuildMs: number;
  /** GUILD_CREATEs delivered (fewest over the runs), of `shards * guildsPerShard`. */
  delivered: number;
  cpuMs: number;
  /** The part of `cpuMs` spent in the kernel (reads, pauses, loopback TCP), ms. */
  systemCpuMs: number;
  /** The part of `cpuMs` spent by threads other than the main one (V8's GC and compiler threads), ms. */
  otherThreadsCpuMs: number;
  /** Context switches over the run: voluntary (the loop waited for I/O) / involuntary (preempted). */
  switches: string;
  peakRssMiB: number;
  /** The process's RSS with its contender's code loaded, before it connects (no collection forced: the storm starts from the heap it would have): what of the peak is code, not the storm. */
  loadedRssMiB: number;
  /** The client's longest event-loop delay over the run, ms (how late a heartbeat could go out; median over the runs). */
  maxLoopDelayMs: number;
  /** Connections closed by the client during the run (most over the runs): must be 0. */
  reconnects: number;
  /** Every close of the run with the most closes: who closed, the code and the reason, counted (`client 4000 zombie ×3`). */
  closes: string[];
}

/** One storm row: a contender at one heartbeat interval and size (medians over the runs). */
export interface StormRow extends Run {
  contender: ContenderName;
  heartbeatMs: number;
  shards: number;
  guildsPerShard: number;
  /** Approximate size of each GUILD_CREATE, KiB. */
  kib: number;
  runs: number[];
}

/** A storm's size: shards, GUILD_CREATEs per shard and their size. */
export interface StormSize {
  shards: number;
  guilds: number;
  kib: number;
}

/** The two shapes: a mid-size bot's shards with large guilds, and a 2500-guild shard with small ones. */
export const STORM_SIZES: readonly StormSize[] = [
  { shards: 16, guilds: 250, kib: 100 },
  { shards: 4, guilds: 2500, kib: 10 },
];
/** `BENCH_STORM=shards×guilds×kib[,…]` narrows the sizes (e.g. `4x100x100` while iterating). */
const sizesFromEnv = (): readonly StormSize[] | undefined =>
  process.env.BENCH_STORM?.split(',').map((spec) => {
    const [shards, guilds, kib] = spec.split('x').map(Number);
    return { shards: shards ?? 16, guilds: guilds ?? 250, kib: kib ?? 100 };
  });
/** `BENCH_STORM_HEARTBEATS=1000` narrows the intervals. */
const heartbeatsFromEnv = (): readonly number[] | undefined => process.env.BENCH_STORM_HEARTBEATS?.split(',').map(Number);
/** Runs per contender and interval (the full run's storm part stays near a few minutes). */
const STORM_RUNS = 1;
/** How long a run may take before it counts as incomplete (a complete one takes ~10 s). */
const STORM_WAIT_MS = 90_000;
export const STORM_CONTENDERS: readonly ContenderName[] = ['ours', 'djs-zlib-sync', 'ws-zlib-sync', ...LOADED_FLOORS];

interface Done {
  delivered: number;
  elapsedMs: number;
  cpuUs: number;
  cpuSystemUs: number;
  cpuOtherThreadsUs: number;
  voluntarySwitches: number;
  involuntarySwitches: number;
  maxRss: number;
  maxLoopDelayMs: number;
}

/** Closes counted by kind: `client 4000 zombie ×3`. */
const countCloses = (closes: readonly string[]): string[] => {
  const counts = new Map<string, number>();
  for (const c of closes) counts.set(c, (counts.get(c) ?? 0) + 1);
  return [...counts].map(([c, n]) => (n === 1 ? c : `${c} ×${n}`));
};

/**
 * Runs the storm for each contender at each size and interval, alternating contenders within a
 * repeat. The emulator writes it as a gateway does: rendered and precompressed first, then
 * every frame of every shard handed to the sockets at once (`src/testing/storm.ts`).
 */
export const startupStorm = async (emu: Peer, _sizes: Sizes, log: Log, contenders: readonly ContenderName[] = STORM_CONTENDERS): Promise<StormRow[]> => {
  const rows: StormRow[] = [];
  for (const size of sizesFromEnv() ?? STORM_SIZES) {
    const expected = size.shards * size.guilds;
    for (const heartbeatMs of heartbeatsFromEnv() ?? [41_250, 1_000]) {
      const runs = new Map<ContenderName, Run[]>(contenders.map((c) => [c, []]));
      for (let r = 0; r < STORM_RUNS; r++) {
        for (const contender of contenders) {
          const emulator = { shards: size.shards, maxConcurrency: size.shards, identifyWindowMs: 0, heartbeatInterval: heartbeatMs, sessionBufferSize: 1, zlibMode: 'precompressed' as const };
          let loadedRss = Number.NaN;
          const loaded = async (client: Peer) => {
            await client.call('load', { contender });
            loadedRss = (await client.call<{ rss: number }>('memory')).rss;
          };
          const run = await session(emu, emulator, (url) => baseConfig(contender, url, size.shards), async (client) => {
            await emu.call('prepareStorm', { count: size.guilds, kib: size.kib }, STORM_WAIT_MS);
            await client.call('begin', { expectedFrames: Infinity, latency: 0, expectedEvents: expected });
            const done = client.notice<Done>('done', STORM_WAIT_MS);
            await emu.call('writeStorm', undefined, STORM_WAIT_MS);
            // An incomplete run: what the client had when the wait ended (the window stays open, so ask).
            const d = await done.catch(() => client.call<Done>('progress'));
            const { clientCloses, closes } = await emu.call<{ clientCloses: number; closes: string[] }>('info');
            const complete = d.delivered >= expected;
            return { lastGuildMs: complete ? d.elapsedMs : Number.NaN, delivered: d.delivered, cpuMs: d.cpuUs / 1000, systemCpuMs: d.cpuSystemUs / 1000, otherThreadsCpuMs: d.cpuOtherThreadsUs / 1000, switches: `${d.voluntarySwitches}/${d.involuntarySwitches}`, peakRssMiB: d.maxRss / 2 ** 20, loadedRssMiB: loadedRss / 2 ** 20, maxLoopDelayMs: d.maxLoopDelayMs, reconnects: clientCloses, closes: countCloses(closes) };
          }, [], loaded);
          runs.get(contender)?.push(run);
          log(`  storm ${size.shards}×${size.guilds}×${size.kib} KiB heartbeat ${heartbeatMs} ms #${r + 1} ${contender}: ${JSON.stringify(run)}`);
        }
      }
      for (const contender of contenders) {
        const rs = runs.get(contender) ?? [];
        const worst = rs.reduce<Run | undefined>((w, x) => (w === undefined || x.closes.length > w.closes.length ? x : w), undefined);
        rows.push({
          contender,
          heartbeatMs,
          shards: size.shards,
          guildsPerShard: size.guilds,
          kib: size.kib,
          lastGuildMs: rs.some((x) => Number.isNaN(x.lastGuildMs)) ? Number.NaN : median(rs.map((x) => x.lastGuildMs)),
          delivered: Math.min(...rs.map((x) => x.delivered)),
          cpuMs: median(rs.map((x) => x.cpuMs)),
          systemCpuMs: median(rs.map((x) => x.systemCpuMs)),
          otherThreadsCpuMs: median(rs.map((x) => x.otherThreadsCpuMs)),
          switches: rs.map((x) => x.switches).join(' '),
          peakRssMiB: median(rs.map((x) => x.peakRssMiB)),
          loadedRssMiB: median(rs.map((x) => x.loadedRssMiB)),
          maxLoopDelayMs: median(rs.map((x) => x.maxLoopDelayMs)),
          reconnects: Math.max(...rs.map((x) => x.reconnects)),
          closes: worst?.closes ?? [],
          runs: rs.map((x) => x.lastGuildMs),
        });
      }
    }
  }
  return rows;
};
