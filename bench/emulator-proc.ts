/**
 * The benchmark's gateway: a child process that runs one emulator at a time, driven over IPC
 * by bench/run.ts, so the client processes' CPU is measured without it.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createEmulator, type Emulator, type EmulatorOptions, type MarkerTraffic, type Storm, type StreamOptions } from '../src/testing/index.js';
import { gcLog, serve, wallNow } from './ipc.js';

/** `BENCH_TRACE=<dir>`: write each paced stream's turns and this process's GC pauses there (see README). */
const TRACE_DIR = process.env.BENCH_TRACE;
const gcs = TRACE_DIR ? gcLog() : undefined;
let traces = 0;

let gw: Emulator | undefined;
/** The unpaced storm prepared for the current emulator, if any. */
let prepared: Storm | undefined;
/** The marker traffic running on the current emulator, if any (the fleet scenario). */
let markers: MarkerTraffic | undefined;

const current = (): Emulator => {
  if (gw === undefined) throw new Error('no emulator running');
  return gw;
};

/** The shard ids that have a live session now. */
const liveShards = (emulator: Emulator): number[] => [...new Set(emulator.sessions.filter((s) => s.live).map((s) => s.shardId))];

serve({
  async start(options: EmulatorOptions) {
    if (gw !== undefined) await gw.close();
    gw = await createEmulator(options);
    return { url: gw.url, httpUrl: gw.httpUrl };
  },
  /**
   * Streams to every session and, when the stream is done, sends one `BENCH_END` dispatch to
   * each live shard so clients know they have everything. Returns what the emulator spent and,
   * for a paced stream, how it kept to its rate (`achievedRate`: events per second from the
   * first event to the last).
   */
  async stream(args: { options: StreamOptions; endMarker: boolean; trace?: string }) {
    const emulator = current();
    const record = TRACE_DIR !== undefined && args.trace !== undefined && args.options.rate !== undefined;
    gcs?.clear();
    const bytes0 = emulator.connections.reduce((n, c) => n + c.bytesSent, 0);
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const handle = emulator.stream('all', { ...args.options, ...(record ? { recordTurns: true } : {}) });
    const { sent } = await handle.done;
    const ms = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    const bytes = emulator.connections.reduce((n, c) => n + c.bytesSent, 0) - bytes0;
    let markers = 0;
    if (args.endMarker) for (const shardId of liveShards(emulator)) (emulator.dispatch(shardId, 'BENCH_END', { end: true }), markers++);
    const { turnLog, ...pacing } = handle.pacing;
    if (record) writeFileSync(join(TRACE_DIR, `emulator-${args.trace}-${traces++}.json`), JSON.stringify({ turns: turnLog, gcs: gcs?.entries() }));
    const achievedRate = sent > 1 ? ((sent - 1) * 1000) / (pacing.lastAt - pacing.firstAt) : Number.NaN;
    return { sent, ms, cpuUs: cpu.user + cpu.system, bytes, markers, ...(args.options.rate !== undefined ? { pacing: { turns: pacing.turns, maxPerTurn: pacing.maxPerTurn, maxLagMs: pacing.maxLagMs, achievedRate } } : {}) };
  },
  /**
   * A startup storm: `count` GUILD_CREATEs of ~`kib` KiB to every live shard, each a different
   * guild, as Discord sends a large bot's guilds after READY. Rendered and compressed one round
   * (a guild per shard) at a time, yielding to the event loop between rounds, as a gateway that
   * keeps streaming does: rendering all of it in one go (~400 MB, seconds) would leave every
   * socket silent meanwhile, which a client rightly takes for a zombie. A shard whose session
   * ended mid-storm gets no more of it. Returns when all are queued, with the count sent.
   */
  async storm(args: { count: number; kib: number }) {
    const emulator = current();
    const members = Math.round((args.kib * 1024) / 67); // ~67 bytes of JSON per member
    const shards = liveShards(emulator);
    let sent = 0;
    for (let n = 0; n < args.count; n++) {
      // a shard whose session ended mid-storm (closed, not resumable) gets no more of it
      const withSession = new Set(emulator.sessions.map((s) => s.shardId));
      for (const shardId of shards.filter((id) => withSession.has(id))) {
        const id = String(1_000_000 + shardId * args.count + n);
        const d = { id, name: `storm guild ${id}`, large: true, member_count: members, members: Array.from({ length: members }, (_, i) => ({ user: { id: `${id}${i}`, username: `m${i}-${id}` }, roles: [] })) };
        emulator.dispatch(shardId, 'GUILD_CREATE', d);
        sent++;
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
    return { sent };
  },
  /** An unpaced storm (`src/testing/storm.ts`), step 1: renders (and precompresses) `count` GUILD_CREATEs of ~`kib` KiB. */
  async prepareStorm(args: { count: number; kib: number }) {
    const cpu0 = process.cpuUsage();
    prepared = await current().storm({ guilds: args.count, kib: args.kib });
    const cpu = process.cpuUsage(cpu0);
    return { cpuUs: cpu.user + cpu.system };
  },
  /** Step 2: hands the whole prepared storm to every live shard's socket at once (TCP decides the pace). */
  async writeStorm() {
    if (prepared === undefined) throw new Error('no storm prepared');
    const sent = await prepared.write();
    prepared = undefined;
    return { sent };
  },
  /**
   * Starts marker traffic (the fleet scenario, `bench/fleet.ts`): unique MESSAGE_CREATEs
   * `${prefix}${n}` stamped with their send time (`d.emulator_ts`), cycling over every guild,
   * each routed to every session owning its guild in every shard count.
   */
  startMarkers(args: { rate: number; prefix: string }) {
    markers?.stop();
    markers = current().markerTraffic({ rate: args.rate, prefix: args.prefix, stamp: true });
    return null;
  },
  /** Stops the marker traffic; its count, and the rate achieved from its start. */
  async stopMarkers() {
    if (markers === undefined) throw new Error('no marker traffic running');
    markers.stop();
    const { sent } = await markers.done;
    markers = undefined;
    return { sent };
  },
  /** One message `${prefix}${shardId}` to a guild of each shard of `totalShards` (their routing reaches every session owning it). */
  fences(args: { totalShards: number; prefix: string }) {
    const emulator = current();
    const sent: string[] = [];
    for (let shardId = 0; shardId < args.totalShards; shardId++) {
      const guild = emulator.guildsOf(shardId, args.totalShards)[0];
      if (guild === undefined) continue;
      emulator.dispatchMessage(guild.id, `${args.prefix}${shardId}`);
      sent.push(`${args.prefix}${shardId}`);
    }
    return { sent };
  },
  /** Accepted identifies of sessions of `numShards` shards, and every rule the clients broke. */
  identifiesOf(args: { numShards: number }) {
    const emulator = current();
    return { identifies: emulator.acceptedIdentifies.filter((r) => r.numShards === args.numShards).length, violations: emulator.violations.map((v) => `${v.rule}: ${v.detail}`) };
  },
  drop(args: { shardId: number }) {
    const at = wallNow();
    return { at, count: current().drop(args.shardId) };
  },
  reconnect(args: { shardId: number }) {
    const at = wallNow();
    return { at, count: current().reconnect(args.shardId, { graceMs: 60_000 }) };
  },
  info() {
    const emulator = current();
    return {
      live: liveShards(emulator).length,
      connections: emulator.connections.length,
      violations: emulator.violations.map((v) => `${v.rule}: ${v.detail}`),
      /** Connections the client closed with a code other than 1000 (a zombie verdict: 4000 ours, 4200 @discordjs/ws). */
      clientCloses: emulator.records.filter((r) => r.kind === 'close' && r.by === 'client' && r.code !== 1000).length,
      /** Every close, with who closed, its code and reason (for a run that stalled). */
      closes: emulator.records.flatMap((r) => (r.kind === 'close' ? [`${r.by} ${r.code} ${r.reason}`] : [])),
      /** When each accepted identify reached the emulator (ms, its clock). */
      identifies: emulator.records.flatMap((r) => (r.kind === 'frame' && r.op === 2 ? [r.at] : [])),
    };
  },
  async stop() {
    markers?.stop();
    markers = undefined;
    if (gw !== undefined) await gw.close();
    gw = undefined;
    return null;
  },
});
