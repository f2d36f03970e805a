/**
 * The fleet scenario's tally (bench/fleet.ts): of the markers sent, how many reached the fleet
 * more than once or never, and their latency (send → CONTROL) before, during and after the fleet
 * reshard, the window split by phase and by whether the marker's guild changes cluster.
 */
import type { FleetLayout } from '../src/index.js';
import type { FleetControl } from './fleet-control.js';
import { quantileSorted } from './stats.js';

/** Marker latency over a part of the run (send → CONTROL), ms. */
export interface LatencyPart {
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  readonly n: number;
}

/** When the run's parts begin and end (`wallNow` ms, as the markers' stamps). */
export interface RunTimes {
  /** The latency baseline runs from here to `startAt` (the call of `reshardFleet`). */
  readonly baselineFrom: number;
  readonly startAt: number;
  /** Every cluster prepared: the switch. */
  readonly switchAt: number;
  /** `reshardFleet` resolved. */
  readonly endAt: number;
  readonly matchWindowMs: number;
}

/** What `tallyMarkers` counts. */
export interface MarkerTally {
  readonly before: LatencyPart;
  readonly during: LatencyPart;
  /** The window: the preparation (call → switch), the first match window after the switch (old set still read), the rest. */
  readonly duringParts: { readonly prepare: LatencyPart; readonly drain: LatencyPart; readonly last: LatencyPart };
  /** The window by the marker's guild: changing cluster (judged by the ledger) or staying. Same run, same load: the difference is the ledger's. */
  readonly duringCrossing: LatencyPart;
  readonly duringStaying: LatencyPart;
  readonly after: LatencyPart;
  /** Markers of the window whose guild changes cluster. */
  readonly windowCrossing: number;
  /** Extra arrivals across the fleet, and markers that never arrived. */
  readonly repeated: number;
  readonly lost: number;
}

const part = (values: number[]): LatencyPart => {
  const s = Float64Array.from(values).sort();
  return { p50: quantileSorted(s, 0.5), p99: quantileSorted(s, 0.99), max: quantileSorted(s, 1), n: s.length };
};

/** The cluster of each guild residue in `layout`. */
const ownerOf = (layout: FleetLayout) => {
  const owner: string[] = [];
  for (const [id, ids] of Object.entries(layout.clusters)) for (const shardId of ids) owner[shardId] = id;
  return (residue: number) => owner[residue % layout.totalShards];
};

/** Tallies markers `0..sent-1` as CONTROL saw them. */
export const tallyMarkers = (control: Pick<FleetControl, 'counts' | 'sentAt' | 'latency' | 'residue'>, sent: number, plan: { from: FleetLayout; to: FleetLayout }, times: RunTimes): MarkerTally => {
  const { baselineFrom, startAt, switchAt, endAt, matchWindowMs } = times;
  const before: number[] = [];
  const during: number[] = [];
  const after: number[] = [];
  const parts = { prepare: [] as number[], drain: [] as number[], last: [] as number[] };
  const byGuild = { crossing: [] as number[], staying: [] as number[] };
  const [oldOwner, newOwner] = [ownerOf(plan.from), ownerOf(plan.to)];
  let repeated = 0;
  let lost = 0;
  for (let n = 0; n < sent; n++) {
    const k = control.counts[n]!;
    if (k === 0) {
      lost++;
      continue;
    }
    repeated += k - 1;
    const at = control.sentAt[n]!;
    const ms = control.latency[n]!;
    if (at >= startAt && at <= endAt) {
      during.push(ms);
      (at < switchAt ? parts.prepare : at < switchAt + matchWindowMs ? parts.drain : parts.last).push(ms);
      const r = control.residue[n]!;
      (r < 0 || oldOwner(r) !== newOwner(r) ? byGuild.crossing : byGuild.staying).push(ms);
    } else if (at > endAt) after.push(ms);
    else if (at >= baselineFrom) before.push(ms);
  }
  return {
    before: part(before),
    during: part(during),
    duringParts: { prepare: part(parts.prepare), drain: part(parts.drain), last: part(parts.last) },
    duringCrossing: part(byGuild.crossing),
    duringStaying: part(byGuild.staying),
    after: part(after),
    windowCrossing: byGuild.crossing.length,
    repeated,
    lost,
  };
};
