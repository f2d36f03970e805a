/**
 * The startup storm: 16 shards READY, then every shard is sent 250 GUILD_CREATEs of ~100 KiB at
 * once, as Discord sends a large bot's guilds after READY. The gateway's heartbeat ACKs wait in
 * each socket behind the storm; a client that takes that for a dead connection closes and
 * resumes in the middle of it. Measured per contender, at Discord's interval (41.25 s) and at a
 * short one (1 s, where the storm outlasts several intervals): the time from the storm's start
 * to the last GUILD_CREATE delivered, client CPU over it, the process's peak RSS, the client's
 * longest event-loop delay (how late its heartbeats could go out), and the connections the
 * client closed (zombie verdicts). A client that loses part of the storm (a
 * session it could not resume, so the emulator had nowhere to send the rest) never gets to the
 * last one: its row says how many it got when the wait ended, instead of a time.
 */
import type { ContenderName } from './contenders.js';
import type { Peer } from './ipc.js';
import { baseConfig, type Log, session, type Sizes } from './scenarios.js';
import { median } from './stats.js';

/** One storm row: a contender at one heartbeat interval (medians over the runs). */
export interface StormRow {
  contender: ContenderName;
  heartbeatMs: number;
  shards: number;
  guildsPerShard: number;
  /** Storm start → last GUILD_CREATE delivered, ms (NaN when some never came: see `delivered`). */
  lastGuildMs: number;
  /** GUILD_CREATEs delivered (fewest over the runs), of `shards * guildsPerShard`. */
  delivered: number;
  cpuMs: number;
  peakRssMiB: number;
  /** The client's longest event-loop delay over the run, ms (how late a heartbeat could go out; median over the runs). */
  maxLoopDelayMs: number;
  /** Connections closed by the client during the run (most over the runs): must be 0. */
  reconnects: number;
  runs: number[];
}

const SHARDS = 16;
const GUILDS_PER_SHARD = 250;
const KIB = 100;
/** Runs per contender and interval (the full run's storm part stays near a minute). */
const STORM_RUNS = 1;
/** How long a run may take before it counts as incomplete (a complete one takes ~10 s). */
const STORM_WAIT_MS = 90_000;
export const STORM_CONTENDERS: readonly ContenderName[] = ['ours', 'djs-zlib-sync', 'ws-zlib-sync'];

interface Done {
  delivered: number;
  elapsedMs: number;
  cpuUs: number;
  maxRss: number;
  maxLoopDelayMs: number;
}

/** Runs the storm for each contender at each interval, alternating contenders within a repeat. */
export const startupStorm = async (emu: Peer, _sizes: Sizes, log: Log, contenders: readonly ContenderName[] = STORM_CONTENDERS): Promise<StormRow[]> => {
  const rows: StormRow[] = [];
  const expected = SHARDS * GUILDS_PER_SHARD;
  for (const heartbeatMs of [41_250, 1_000]) {
    const runs = new Map<ContenderName, { lastGuildMs: number; delivered: number; cpuMs: number; peakRssMiB: number; maxLoopDelayMs: number; reconnects: number }[]>(contenders.map((c) => [c, []]));
    // One run per cell: the emulator renders and deflates ~400 MB per run, several seconds even on a quiet machine.
    for (let r = 0; r < STORM_RUNS; r++) {
      for (const contender of contenders) {
        const emulator = { shards: SHARDS, maxConcurrency: SHARDS, identifyWindowMs: 0, heartbeatInterval: heartbeatMs, sessionBufferSize: 1 };
        const run = await session(emu, emulator, (url) => baseConfig(contender, url, SHARDS), async (client) => {
          await client.call('begin', { expectedFrames: Infinity, latency: 0, expectedEvents: expected });
          const done = client.notice<Done>('done', STORM_WAIT_MS);
          await emu.call('storm', { count: GUILDS_PER_SHARD, kib: KIB }, STORM_WAIT_MS);
          // An incomplete run: what the client had when the wait ended (the window stays open, so ask).
          const d = await done.catch(() => client.call<Done>('progress'));
          const { clientCloses } = await emu.call<{ clientCloses: number }>('info');
          const complete = d.delivered >= expected;
          return { lastGuildMs: complete ? d.elapsedMs : Number.NaN, delivered: d.delivered, cpuMs: d.cpuUs / 1000, peakRssMiB: d.maxRss / 2 ** 20, maxLoopDelayMs: d.maxLoopDelayMs, reconnects: clientCloses };
        });
        runs.get(contender)?.push(run);
        log(`  storm heartbeat ${heartbeatMs} ms #${r + 1} ${contender}: ${JSON.stringify(run)}`);
      }
    }
    for (const contender of contenders) {
      const rs = runs.get(contender) ?? [];
      rows.push({
        contender,
        heartbeatMs,
        shards: SHARDS,
        guildsPerShard: GUILDS_PER_SHARD,
        lastGuildMs: rs.some((x) => Number.isNaN(x.lastGuildMs)) ? Number.NaN : median(rs.map((x) => x.lastGuildMs)),
        delivered: Math.min(...rs.map((x) => x.delivered)),
        cpuMs: median(rs.map((x) => x.cpuMs)),
        peakRssMiB: median(rs.map((x) => x.peakRssMiB)),
        maxLoopDelayMs: median(rs.map((x) => x.maxLoopDelayMs)),
        reconnects: Math.max(...rs.map((x) => x.reconnects)),
        runs: rs.map((x) => x.lastGuildMs),
      });
    }
  }
  return rows;
};
