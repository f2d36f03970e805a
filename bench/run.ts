/**
 * `npm run bench [-- --quick | --tiny] [--only=throughput,latency,memory,startup,recovery,storm,reshard,fleet,broker] [--case=TEXT] [--contenders=a,b] [--reshard-lag=MS] [--fleet-rate=N]`
 *
 * Ours against @discordjs/ws and bare `ws` clients (the floor), each contender in a fresh child
 * process, the gateway emulator in another. Prints markdown tables and writes bench/results.json.
 * Full run: about 15 minutes on 2 cores; `--quick`: aimed at about 2 (one run per figure, no zstd cases, a
 * smaller reshard); `--tiny`: a smoke run (~30 s). Each scenario's own duration is printed when it
 * ends and listed under the tables.
 */
import { writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { CONTENDERS, type ContenderName } from './contenders.js';
import { compressionCases, zstdNode } from './zstd-node.js';
import { forkPeer } from './ipc.js';
import { markdown, targets, type Results } from './report.js';
import { latency, memory, recovery, startup, throughput, type Sizes } from './scenarios.js';
import { startupStorm, STORM_CONTENDERS } from './storm.js';
import { reshard, reshardSizes } from './reshard.js';
import { fleet, fleetSizes } from './fleet.js';
import { brokerEndToEnd } from './broker.js';
import { spawnSync } from 'node:child_process';
import type { EmulatorOptions } from '../src/testing/index.js';

const argv = process.argv.slice(2);
const tiny = argv.includes('--tiny');
const quick = tiny || argv.includes('--quick');
const onlyArg = argv.find((a) => a.startsWith('--only='));
const only = onlyArg === undefined ? undefined : new Set(onlyArg.slice('--only='.length).split(','));
const runs = (name: string) => only === undefined || only.has(name);
/** `--case=TEXT`: only throughput cases whose label contains TEXT; `--contenders=a,b`: only those. */
const caseArg = argv.find((a) => a.startsWith('--case='))?.slice('--case='.length);
const contendersArg = argv.find((a) => a.startsWith('--contenders='))?.slice('--contenders='.length).split(',');
const pick = (list: readonly ContenderName[]) => (contendersArg === undefined ? list : list.filter((c) => contendersArg.includes(c)));
const outPath = fileURLToPath(new URL(argv.find((a) => a.startsWith('--out='))?.slice(6) ?? './results.json', import.meta.url));

/**
 * Startup against a gateway that processes the first wave 100 ms late, each window counted from
 * the answer and from the send: a 500 ms window and one run per row keep it to ~15 s.
 */
const LAGGED_STARTUP = [
  { shards: 64, maxConcurrency: 16, windowMs: 500, lagMs: 100, runs: 1 },
  { shards: 2048, maxConcurrency: 1024, windowMs: 500, lagMs: 100, runs: 1 },
];

const sizes: Sizes = tiny
  ? { repeats: 1, events: 3_000, eventsSecondary: 2_000, latencySeconds: 0.25, latencyRate: 20_000, idleShards: 20, startup: [{ shards: 8, maxConcurrency: 4 }], recoveryTrials: 1, warmUp: 1_000, settleMs: 200 }
  : quick
    ? // one run per figure (no median): an overview in about two minutes, not figures to quote
      { repeats: 1, events: 20_000, eventsSecondary: 10_000, latencySeconds: 1, latencyRate: 20_000, idleShards: 200, startup: [{ shards: 64, maxConcurrency: 16 }], recoveryTrials: 1, warmUp: 5_000, settleMs: 500 }
    : {
        repeats: 3,
        events: 300_000,
        eventsSecondary: 100_000,
        latencySeconds: 3,
        latencyRate: 20_000,
        idleShards: 1000,
        startup: [
          { shards: 64, maxConcurrency: 4 },
          { shards: 64, maxConcurrency: 16 },
          ...LAGGED_STARTUP,
        ],
        recoveryTrials: 5,
        warmUp: 20_000,
        settleMs: 1000,
      };

const log = (line: string) => console.error(line);
const started = performance.now();
const elapsed = () => `${((performance.now() - started) / 1000).toFixed(0)} s`;

/** Each scenario's own duration, in the order they ran (printed when each ends and under the tables). */
const durations: { scenario: string; seconds: number }[] = [];
const timed = async <T>(scenario: string, work: () => Promise<T>): Promise<T> => {
  const from = performance.now();
  try {
    return await work();
  } finally {
    const seconds = Math.round((performance.now() - from) / 1000);
    durations.push({ scenario, seconds });
    log(`[${elapsed()}] ${scenario}: took ${seconds} s`);
  }
};

const emu = forkPeer('./emulator-proc.ts');
const results: Results = {
  machine: {
    nproc: availableParallelism(),
    node: process.versions.node,
    loadBefore: loadavg(),
    loadAfter: [],
    date: new Date().toISOString(),
    mode: tiny ? 'tiny' : quick ? 'quick' : 'full',
    command: `npm run bench${argv.length > 0 ? ` -- ${argv.join(' ')}` : ''}`,
  },
  throughput: [],
  latency: undefined,
  memory: undefined,
  startup: undefined,
  recovery: undefined,
  storm: undefined,
  reshard: undefined,
  fleet: undefined,
  broker: undefined,
};

const NO_COMPRESSION: readonly ContenderName[] = ['ours', 'djs', 'ws-zlib-sync', 'ws-frames'];

interface Case {
  readonly label: string;
  readonly contenders: readonly ContenderName[];
  readonly compression: 'zlib-stream' | 'zstd-stream' | 'none';
  readonly count: number;
  readonly events?: readonly string[];
  readonly emulator?: EmulatorOptions;
  readonly poolSize?: number;
  /** Run under another Node binary, with an emulator process of its own (the zstd cases on Node 20). */
  readonly node?: { readonly execPath: string; readonly version: string };
}
try {
  if (runs('throughput')) await timed('throughput', async () => {
    const cases: Case[] = [
      { label: 'zlib-stream, realistic', contenders: CONTENDERS, compression: 'zlib-stream' as const, count: sizes.events },
      { label: 'no compression, realistic', contenders: NO_COMPRESSION, compression: 'none' as const, count: sizes.eventsSecondary },
      { label: 'zlib-stream, MESSAGE_CREATE only', contenders: CONTENDERS.filter((c) => c !== 'ws-node-sync' && c !== 'ours-metrics'), compression: 'zlib-stream' as const, count: sizes.eventsSecondary, events: ['MESSAGE_CREATE'] },
      // The cost of an unwanted event alone: nothing but the end marker is wanted.
      { label: 'zlib-stream, no event wanted', contenders: ['ours', 'ws-zlib-sync', 'ws-frames'], compression: 'zlib-stream' as const, count: sizes.eventsSecondary, events: [] },
      // The same with the gateway writing op first ({"op":0,"t":…,"s":…,"d":…}), as some proxies do.
      { label: 'zlib-stream, no event wanted, op-first keys', contenders: ['ours', 'ws-zlib-sync', 'ws-frames'], compression: 'zlib-stream' as const, count: sizes.eventsSecondary, events: [], emulator: { keyOrder: 'op-first' } },
      // zlib-stream against zstd-stream, both compressed per connection as Discord does (see
      // zstd-node.ts); not in a quick run unless asked for by name (--case=zstd or --only=throughput).
      ...(quick && caseArg === undefined && only === undefined ? [] : compressionCases(zstdNode(log), sizes.eventsSecondary)),
    ];
    // A tiny run (the smoke test) keeps every contender on the first case only.
    const tinyCases: Case[] = tiny ? [cases[0] as Case, { ...(cases[2] as Case), contenders: ['ours', 'ws-zlib-sync'] }] : cases;
    for (const c of tinyCases.filter((k) => caseArg === undefined || k.label.includes(caseArg)).map((k) => ({ ...k, contenders: pick(k.contenders) }))) {
      log(`[${elapsed()}] throughput: ${c.label}`);
      const own = c.node === undefined ? undefined : forkPeer('./emulator-proc.ts', [], [], c.node.execPath);
      try {
        results.throughput.push({ label: c.label, rows: await throughput(own ?? emu, sizes, log, { ...c, ...(c.node ? { execPath: c.node.execPath } : {}) }) });
      } finally {
        await own?.kill();
      }
    }
  });
  if (runs('latency')) await timed('latency', async () => {
    log(`[${elapsed()}] latency`);
    results.latency = { rate: sizes.latencyRate, rows: await latency(emu, sizes, log, pick(CONTENDERS.filter((c) => c !== 'ws-frames' && c !== 'ws-node-sync' && c !== 'ours-metrics'))) };
  });
  if (runs('memory')) await timed('memory', async () => {
    log(`[${elapsed()}] memory: ${sizes.idleShards} idle shards`);
    results.memory = await memory(emu, sizes, log, pick(['ours', 'djs', 'djs-zlib-sync', 'ws-zlib-stream', 'ws-zlib-sync', 'ws-node-sync']));
  });
  if (runs('startup')) await timed('startup', async () => {
    log(`[${elapsed()}] startup`);
    results.startup = await startup(emu, sizes, log);
  });
  // not in a tiny run, and in a quick one only when asked for (--only=storm): ~400 MB rendered per run
  if (runs('storm') && !tiny && (!quick || only?.has('storm') === true)) await timed('storm', async () => {
    log(`[${elapsed()}] startup storm`);
    // ws-node-sync (a bare client with this library's decoder) only when named: it splits ours from the floor at the decoder
    results.storm = await startupStorm(emu, sizes, log, contendersArg?.includes('ws-node-sync') === true ? pick([...STORM_CONTENDERS, 'ws-node-sync']) : pick(STORM_CONTENDERS));
  });
  if (runs('recovery')) await timed('recovery', async () => {
    log(`[${elapsed()}] recovery`);
    results.recovery = await recovery(emu, sizes, log);
  });
  if (runs('reshard')) await timed('reshard', async () => {
    const lagArg = argv.find((a) => a.startsWith('--reshard-lag='))?.slice('--reshard-lag='.length);
    const r = { ...reshardSizes(tiny ? 'tiny' : quick ? 'quick' : 'full'), ...(lagArg === undefined ? {} : { newLagMs: Number(lagArg) }) };
    log(`[${elapsed()}] reshard: ${r.from} → ${r.to} shards at ${r.rate} events/s`);
    results.reshard = await reshard(r, log);
  });
  if (runs('fleet')) await timed('fleet', async () => {
    const rateArg = argv.find((a) => a.startsWith('--fleet-rate='))?.slice('--fleet-rate='.length);
    const f = { ...fleetSizes(tiny ? 'tiny' : quick ? 'quick' : 'full'), ...(rateArg === undefined ? {} : { rate: Number(rateArg) }) };
    log(`[${elapsed()}] fleet: three cluster processes under one CONTROL, ${f.cases.map((c) => `${c.from} → ${c.to}`).join(' and ')} at ${f.rate} events/s`);
    results.fleet = await fleet(emu, f, log);
  });
  // needs redis-server on PATH (the bench starts its own on a free port); in a tiny or quick run only when asked for (--only=broker)
  if (runs('broker') && (!quick || only?.has('broker') === true)) await timed('broker', async () => {
    if (spawnSync('redis-server', ['--version']).status !== 0) log('broker: skipped, no redis-server on PATH');
    else {
      const b = tiny ? { rates: [5_000], seconds: 0.5, unpacedCount: 2_000 } : quick ? { rates: [5_000, 20_000], seconds: 1, unpacedCount: 20_000 } : { rates: [5_000, 20_000], seconds: 3, unpacedCount: 100_000 };
      log(`[${elapsed()}] broker: gateway → cluster → Redis → worker at ${b.rates.join(', ')} events/s and unpaced`);
      results.broker = await brokerEndToEnd(emu, b, log);
    }
  });
} finally {
  await emu.kill();
}
results.machine.loadAfter.push(...loadavg());
results.durations = durations;
results.targets = targets(results);
writeFileSync(outPath, `${JSON.stringify(results, null, 2)}\n`);
console.log(markdown(results));
log(`[${elapsed()}] wrote ${outPath}`);
