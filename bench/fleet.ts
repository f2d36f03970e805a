/**
 * The fleet scenario (`--only=fleet`): three clusters of ours, each in its own child process under
 * one CONTROL (this process, bench/fleet-control.ts), reshard as one operation
 * (`planFleetReshard` + `reshardFleet`) while the emulator (its own process, bench/emulator-proc.ts)
 * sends marker traffic on every guild, each marker routed to every session owning its guild in
 * every shard count, as Discord does while a bot reshards. Reported per case: the operation's
 * time, identifies, ledger operations per event of the window, marker latency before and during
 * the window, and every marker repeated or lost across the fleet (both must be 0).
 */
import type { FleetLayout, FleetReshardReport } from '../src/index.js';
import { existsSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { GUILD_RESIDUES, startFleetControl, type LedgerCount } from './fleet-control.js';
import { wallNow, type Peer } from './ipc.js';
import { median } from './stats.js';
import { tallyMarkers, type LatencyPart, type MarkerTally } from './fleet-tally.js';

const TOKEN = 'bench-fleet-token';
const PREFIX = 'f-';
const FENCE = 'fence-';
const CLUSTERS = ['a', 'b', 'c'] as const;

/** The fleet scenario's sizes. */
export interface FleetSizes {
  /** Each case: the shard count before and after (the second a multiple of the first: no guild moves). */
  readonly cases: readonly { readonly from: number; readonly to: number }[];
  /** Markers per second offered during the whole run. */
  readonly rate: number;
  readonly guilds: number;
  readonly maxConcurrency: number;
  readonly windowMs: number;
  /** `timing.reshardMatchWindowMs` of every cluster, and the ledger's window. */
  readonly matchWindowMs: number;
  /** Traffic before the reshard (the latency baseline is its second half) and after it, ms. */
  readonly beforeMs: number;
  readonly afterMs: number;
  readonly repeats: number;
}

/** Full: 12 → 18 and 12 → 24 at 10 000 markers/s, three runs each; quick: 6 → 9 and 6 → 12 at 5 000/s; tiny: 6 → 9 at 1 000/s. */
export const fleetSizes = (mode: 'full' | 'quick' | 'tiny'): FleetSizes =>
  mode === 'tiny'
    ? { cases: [{ from: 6, to: 9 }], rate: 1_000, guilds: 90, maxConcurrency: 16, windowMs: 250, matchWindowMs: 1_000, beforeMs: 500, afterMs: 300, repeats: 1 }
    : mode === 'quick'
      ? { cases: [{ from: 6, to: 9 }, { from: 6, to: 12 }], rate: 5_000, guilds: 120, maxConcurrency: 16, windowMs: 500, matchWindowMs: 2_000, beforeMs: 1_500, afterMs: 500, repeats: 1 }
      : { cases: [{ from: 12, to: 18 }, { from: 12, to: 24 }], rate: 10_000, guilds: 240, maxConcurrency: 16, windowMs: 1_000, matchWindowMs: 5_000, beforeMs: 3_000, afterMs: 1_000, repeats: 3 };

/** One run of a case. */
export interface FleetRun extends MarkerTally {
  readonly elapsedMs: number;
  /** `reshardFleet` call → every cluster prepared (the barrier), → switched, → retired. */
  readonly prepareMs: number;
  readonly switchMs: number;
  readonly retireMs: number;
  /** Identifies the clusters' reports count, and those the emulator accepted in the new shard count. */
  readonly identifies: number;
  readonly gatewayIdentifies: number;
  readonly achievedRate: number;
  readonly sent: number;
  /** Markers sent (by their stamp) from the call to the resolution of `reshardFleet` (those of crossing guilds: `windowCrossing`). */
  readonly windowEvents: number;
  /** Ledger keys offered as the clusters' reports count them (`ledger.offered`, summed). */
  readonly ledgerOffered: number;
  readonly ledgerFallbacks: number;
  /** What the ledger was offered during the window, and over the whole run (the route stays open a match window after the retire). */
  readonly ledgerWindow: LedgerCount;
  readonly ledgerTotal: LedgerCount;
  readonly forwardDropped: number;
  readonly violations: readonly string[];
  /** The clusters' `reshard-ledger` reports (ms from the call), and CONTROL's own load during the window: CPU (user + system) per wall ms, event-loop delay p99 and max (ms). */
  readonly ledgerStates: readonly { clusterId: string; state: string; atMs: number; fallbacks: number; reason?: string }[];
  readonly controlCpuShare: number;
  readonly controlLoopDelayP99: number;
  readonly controlLoopDelayMax: number;
}

/** A case's figures (its runs' median; repeated, lost and violations: the worst run). */
export interface FleetRow extends Omit<FleetRun, 'ledgerWindow' | 'ledgerTotal' | 'violations' | 'duringParts' | 'ledgerStates'> {
  readonly from: number;
  readonly to: number;
  readonly clusters: number;
  readonly rate: number;
  readonly maxConcurrency: number;
  readonly windowMs: number;
  readonly matchWindowMs: number;
  /** The plan: shard ids per cluster before and after, and the share of guilds that change cluster. */
  readonly fromLayout: FleetLayout;
  readonly toLayout: FleetLayout;
  readonly movedGuildFraction: number;
  /** Ledger keys (the reports' `offered`) per marker of the window, per crossing marker of the window, and ledger batches (`ledger-offer` messages) in the window. */
  readonly ledgerOpsPerEvent: number;
  readonly ledgerOpsPerCrossingEvent: number;
  readonly ledgerBatches: number;
  readonly ledgerKeysTotal: number;
  readonly ledgerBatchesTotal: number;
  /** p50 and p99 during the window minus before it, ms. */
  readonly addedP50: number;
  readonly addedP99: number;
  readonly violations: number;
  readonly runs: readonly FleetRun[];
}

const wait = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The contiguous split of `total` shards over the clusters, as a fleet is usually started. */
const contiguous = (total: number): FleetLayout => {
  const per = Math.ceil(total / CLUSTERS.length);
  return { totalShards: total, clusters: Object.fromEntries(CLUSTERS.map((id, i) => [id, Array.from({ length: Math.max(0, Math.min(total, (i + 1) * per) - i * per) }, (_, k) => i * per + k)])) };
};

const loadPlanner = async () => {
  const built = new URL('../dist/index.js', import.meta.url);
  if (!existsSync(built)) throw new Error('dist/ is missing: run `npm run build` first (npm run bench does)');
  return (await import(built.href)) as typeof import('../src/index.js');
};

/** One run of `from → to`: a fresh emulator in `emu`, a fresh fleet of three cluster processes. */
const once = async (emu: Peer, s: FleetSizes, from: FleetLayout, plan: { from: FleetLayout; to: FleetLayout }): Promise<FleetRun> => {
  const { reshardFleet } = await loadPlanner();
  const { url } = await emu.call<{ url: string }>('start', { token: TOKEN, shards: from.totalShards, guilds: s.guilds, maxConcurrency: s.maxConcurrency, identifyWindowMs: s.windowMs, heartbeatInterval: 60_000, sessionBufferSize: 100_000 });
  const capacity = Math.ceil(s.rate * ((s.beforeMs + s.afterMs) / 1000 + 180));
  const control = await startFleetControl({ url, token: TOKEN, layout: from, maxConcurrency: s.maxConcurrency, identifyWindowMs: s.windowMs, matchWindowMs: s.matchWindowMs, capacity, prefix: PREFIX, fencePrefix: FENCE }).catch(async (error: unknown) => {
    await emu.call('stop');
    throw error;
  });
  try {
    const t0 = wallNow();
    await emu.call('startMarkers', { rate: s.rate, prefix: PREFIX });
    await wait(s.beforeMs); // the old layout alone: every process warm when the reshard starts
    const phases: Record<string, number> = {};
    const ledger0 = { ...control.ledger };
    const loop = monitorEventLoopDelay({ resolution: 10 });
    loop.enable();
    const cpu0 = process.cpuUsage();
    const startAt = wallNow();
    const report: FleetReshardReport = await reshardFleet(control.handles, plan, {
      identifyQueue: control.identifyQueue,
      timeoutMs: 300_000,
      onPhase: (phase) => void (phases[phase] = wallNow()),
    });
    const endAt = wallNow();
    loop.disable();
    const cpu = process.cpuUsage(cpu0);
    const ledgerWindow = { batches: control.ledger.batches - ledger0.batches, keys: control.ledger.keys - ledger0.keys };
    await wait(s.afterMs);
    const { sent } = await emu.call<{ sent: number }>('stopMarkers');
    const achievedRate = (sent * 1000) / (wallNow() - t0);
    // one message through each new shard: once each arrived, so has every marker sent before it
    const fences = await emu.call<{ sent: string[] }>('fences', { totalShards: plan.to.totalShards, prefix: FENCE });
    await control.fences(fences.sent, 60_000);
    const { identifies: gatewayIdentifies, violations } = await emu.call<{ identifies: number; violations: string[] }>('identifiesOf', { numShards: plan.to.totalShards });
    const tally = tallyMarkers(control, sent, plan, { baselineFrom: startAt - s.beforeMs / 2, startAt, switchAt: phases.switching ?? endAt, endAt, matchWindowMs: s.matchWindowMs });
    const reports = Object.values(report.clusters);
    return {
      elapsedMs: report.elapsedMs,
      prepareMs: (phases.switching ?? endAt) - startAt,
      switchMs: (phases.retiring ?? endAt) - (phases.switching ?? endAt),
      retireMs: endAt - (phases.retiring ?? endAt),
      identifies: reports.reduce((n, r) => n + r.identifies, 0),
      gatewayIdentifies,
      achievedRate,
      sent,
      windowEvents: tally.during.n,
      windowCrossing: tally.windowCrossing,
      ledgerOffered: reports.reduce((n, r) => n + (r.ledger?.offered ?? 0), 0),
      ledgerFallbacks: reports.reduce((n, r) => n + (r.ledger?.fallbacks ?? 0), 0),
      ledgerWindow,
      ledgerTotal: { ...control.ledger },
      before: tally.before,
      during: tally.during,
      duringParts: tally.duringParts,
      duringCrossing: tally.duringCrossing,
      duringStaying: tally.duringStaying,
      after: tally.after,
      repeated: tally.repeated,
      lost: tally.lost,
      forwardDropped: control.forwardDropped(),
      violations,
      ledgerStates: control.ledgerStates.map(({ at, ...rest }) => ({ ...rest, atMs: Math.round(at - startAt) })),
      controlCpuShare: (cpu.user + cpu.system) / 1000 / (endAt - startAt),
      controlLoopDelayP99: loop.percentile(99) / 1e6,
      controlLoopDelayMax: loop.max / 1e6,
    };
  } finally {
    await emu.call('stopMarkers').catch(() => {});
    await control.close();
    await emu.call('stop');
  }
};

/** Runs every case of `s` (`repeats` times each) against the emulator process `emu`. */
export const fleet = async (emu: Peer, s: FleetSizes, log: (line: string) => void): Promise<FleetRow[]> => {
  const { planFleetReshard } = await loadPlanner();
  const rows: FleetRow[] = [];
  for (const c of s.cases) {
    const from = contiguous(c.from);
    const { movedGuildFraction, ...to } = planFleetReshard({ from, totalShards: c.to });
    const runs: FleetRun[] = [];
    for (let r = 0; r < s.repeats; r++) {
      const run = await once(emu, s, from, { from, to });
      runs.push(run);
      log(`  fleet ${c.from} → ${c.to} #${r + 1}: ${JSON.stringify({ elapsedMs: Math.round(run.elapsedMs), prepareMs: Math.round(run.prepareMs), identifies: run.identifies, gatewayIdentifies: run.gatewayIdentifies, sent: run.sent, windowEvents: run.windowEvents, windowCrossing: run.windowCrossing, ledgerOffered: run.ledgerOffered, ledgerWindow: run.ledgerWindow, ledgerTotal: run.ledgerTotal, p50p99: Object.fromEntries(Object.entries({ before: run.before, ...run.duringParts, crossing: run.duringCrossing, staying: run.duringStaying, after: run.after }).map(([k, v]) => [k, [+v.p50.toFixed(1), +v.p99.toFixed(1)]])), repeated: run.repeated, lost: run.lost, forwardDropped: run.forwardDropped, ledgerFallbacks: run.ledgerFallbacks, ledgerStates: run.ledgerStates, control: { cpuShare: +run.controlCpuShare.toFixed(2), loopDelayP99: +run.controlLoopDelayP99.toFixed(1), loopDelayMax: +run.controlLoopDelayMax.toFixed(1) } })}`);
    }
    const med = (f: (r: FleetRun) => number) => median(runs.map(f));
    const medPart = (f: (r: FleetRun) => LatencyPart): LatencyPart => ({ p50: med((r) => f(r).p50), p99: med((r) => f(r).p99), max: med((r) => f(r).max), n: med((r) => f(r).n) });
    if (GUILD_RESIDUES % c.from !== 0 || GUILD_RESIDUES % c.to !== 0) throw new Error(`fleet: ${c.from} and ${c.to} must divide ${GUILD_RESIDUES}`);
    const windowEvents = med((r) => r.windowEvents);
    const windowCrossing = med((r) => r.windowCrossing);
    const ledgerOffered = med((r) => r.ledgerOffered);
    const before = medPart((r) => r.before);
    const during = medPart((r) => r.during);
    const duringCrossing = medPart((r) => r.duringCrossing);
    const duringStaying = medPart((r) => r.duringStaying);
    rows.push({
      from: c.from,
      to: c.to,
      clusters: CLUSTERS.length,
      rate: s.rate,
      maxConcurrency: s.maxConcurrency,
      windowMs: s.windowMs,
      matchWindowMs: s.matchWindowMs,
      fromLayout: from,
      toLayout: to,
      movedGuildFraction,
      elapsedMs: med((r) => r.elapsedMs),
      prepareMs: med((r) => r.prepareMs),
      switchMs: med((r) => r.switchMs),
      retireMs: med((r) => r.retireMs),
      identifies: med((r) => r.identifies),
      gatewayIdentifies: med((r) => r.gatewayIdentifies),
      achievedRate: Math.round(med((r) => r.achievedRate)),
      sent: med((r) => r.sent),
      windowEvents,
      windowCrossing,
      ledgerOffered,
      ledgerFallbacks: Math.max(...runs.map((r) => r.ledgerFallbacks)),
      ledgerOpsPerEvent: windowEvents > 0 ? ledgerOffered / windowEvents : Number.NaN,
      ledgerOpsPerCrossingEvent: windowCrossing > 0 ? ledgerOffered / windowCrossing : Number.NaN,
      ledgerBatches: med((r) => r.ledgerWindow.batches),
      ledgerKeysTotal: med((r) => r.ledgerTotal.keys),
      ledgerBatchesTotal: med((r) => r.ledgerTotal.batches),
      before,
      during,
      duringCrossing,
      duringStaying,
      after: medPart((r) => r.after),
      addedP50: during.p50 - before.p50,
      addedP99: during.p99 - before.p99,
      repeated: Math.max(...runs.map((r) => r.repeated)),
      lost: Math.max(...runs.map((r) => r.lost)),
      forwardDropped: Math.max(...runs.map((r) => r.forwardDropped)),
      violations: Math.max(...runs.map((r) => r.violations.length)),
      controlCpuShare: med((r) => r.controlCpuShare),
      controlLoopDelayP99: med((r) => r.controlLoopDelayP99),
      controlLoopDelayMax: med((r) => r.controlLoopDelayMax),
      runs,
    });
  }
  return rows;
};
