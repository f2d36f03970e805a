import type { ShardDispatchEvent } from '../shard/types.js';
import { eventShard } from './event-owner.js';
import { handoverKey } from './handover.js';
import type { FleetLayout } from './fleet-plan.js';
import type { ShardLayout } from './layout.js';

export type { FleetLayout } from './fleet-plan.js';

/** A fleet reshard: the layout the fleet runs (`from`) and the one it moves to (`to`, e.g. `planFleetReshard`'s). */
export interface FleetReshardPlan {
  readonly from: FleetLayout;
  readonly to: FleetLayout;
}

/**
 * The key a cluster offers to a `HandoverLedger` for an event: `t` and the raw `d` text
 * (`rawDispatchKey`), or the re-serialized `d` when the shard gave no frame text. Every cluster
 * of a fleet computes it the same way, so the two copies of an event meet under one key.
 */
export const rawHandoverKey = (event: ShardDispatchEvent): string => handoverKey(event);

/** Shard id -> cluster id of a fleet layout. */
const owners = (layout: FleetLayout): readonly (string | undefined)[] => {
  const table: (string | undefined)[] = new Array<string | undefined>(layout.totalShards).fill(undefined);
  for (const [clusterId, ids] of Object.entries(layout.clusters)) for (const id of ids) table[id] = clusterId;
  return table;
};

/**
 * Why `plan` cannot drive `clusterId`, or null: both layouts must give every shard of their count
 * to exactly one cluster, and name `clusterId`. Pure.
 */
export const fleetPlanProblem = (plan: FleetReshardPlan, clusterId?: string): string | null => {
  for (const [name, layout] of [['from', plan.from], ['to', plan.to]] as const) {
    if (!Number.isInteger(layout.totalShards) || layout.totalShards < 1) return `${name}.totalShards must be a positive integer`;
    const seen = new Set<number>();
    for (const [id, ids] of Object.entries(layout.clusters)) {
      for (const shard of ids) {
        if (!Number.isInteger(shard) || shard < 0 || shard >= layout.totalShards) return `${name}: cluster ${id} names shard ${shard}, outside 0..${layout.totalShards - 1}`;
        if (seen.has(shard)) return `${name}: shard ${shard} is given to two clusters`;
        seen.add(shard);
      }
    }
    if (seen.size !== layout.totalShards) return `${name}: ${layout.totalShards - seen.size} of ${layout.totalShards} shards belong to no cluster`;
    if (clusterId !== undefined && !(clusterId in layout.clusters)) return `${name} does not name cluster ${clusterId}`;
  }
  return null;
};

/** The layout one cluster of the fleet moves to. */
export const clusterLayout = (layout: FleetLayout, clusterId: string): ShardLayout => ({ totalShards: layout.totalShards, shardIds: [...(layout.clusters[clusterId] ?? [])] });

/** Tells, for one cluster of a fleet reshard, which of its events are of guilds that cross clusters. */
export interface Crossing {
  /** An event from the cluster's old set whose new shard is in another cluster (or cannot be told). */
  oldCopy(event: Pick<ShardDispatchEvent, 't' | 'd'>): boolean;
  /** An event from the cluster's new set whose old shard was in another cluster (or cannot be told). */
  newCopy(event: Pick<ShardDispatchEvent, 't' | 'd'>): boolean;
}

/**
 * The crossing test of `clusterId` in `plan`: an event is of its guild's shard in each layout
 * (`eventShard`; an event without a guild is shard 0's); it crosses when the two shards belong
 * to different clusters. An event whose guild cannot be read counts as crossing (the ledger then
 * decides, which is right either way). Pure.
 */
export const crossingOf = (plan: FleetReshardPlan, clusterId: string): Crossing => {
  const oldOwner = owners(plan.from);
  const newOwner = owners(plan.to);
  return {
    oldCopy: (event) => {
      const shard = eventShard(event, plan.to.totalShards);
      return shard === undefined || newOwner[shard] !== clusterId;
    },
    newCopy: (event) => {
      const shard = eventShard(event, plan.from.totalShards);
      return shard === undefined || oldOwner[shard] !== clusterId;
    },
  };
};
