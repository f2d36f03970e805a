import type { ShardStatus } from '../shard/types.js';
import type { ShardLayout } from './layout.js';

/** What `cluster.reshard()` resolves with. */
export interface ReshardReport {
  /** The layout the cluster ran before. */
  readonly from: ShardLayout;
  /** The layout it runs now. */
  readonly to: ShardLayout;
  /** Identifies the new set was granted by the identify queue (one per new shard unless one had to identify again). */
  readonly identifies: number;
  /** From the call to the end of the handover, ms. */
  readonly elapsedMs: number;
  /** From the last new shard's READY to the switch of `dispatch$` to the new set, ms. */
  readonly handoffMs: number;
  /** Events received from both sets and emitted once. */
  readonly duplicatesSuppressed: number;
  /** Events only the new set delivered (the old set had not, or never would): emitted from the new set. */
  readonly recoveredFromNewSet: number;
  /** In a fleet reshard with a `HandoverLedger`: what went through it (events of guilds that cross clusters). */
  readonly ledger?: { readonly offered: number; readonly admitted: number; readonly suppressed: number; readonly fallbacks: number };
}

/**
 * Where a reshard is: `preparing` (the new set identifies), `handing-over`, then `done` or
 * `aborted`. A phased reshard (`prepareReshard`) adds `prepared`: every new shard is ready, the
 * cluster waits for its driver's switch.
 */
export type ReshardPhase = 'preparing' | 'prepared' | 'handing-over' | 'done' | 'aborted';

/** `lifecycle$`: a reshard changed phase. `report` comes with `done`, `reason` with `aborted`. */
export interface ClusterReshardEvent {
  readonly type: 'reshard';
  readonly phase: ReshardPhase;
  readonly from: ShardLayout;
  readonly to: ShardLayout;
  readonly report?: ReshardReport;
  readonly reason?: string;
  /** With `done`: most events the handover held at once (old ones awaiting their twin plus new ones held back). */
  readonly peakHeld?: number;
  /** A phased reshard while preparing: new shards ready (READY and their guilds) so far, of `total`. */
  readonly ready?: number;
  readonly total?: number;
}

/**
 * `lifecycle$`: the `HandoverLedger` of a fleet reshard could not be reached (`unreachable`: the
 * copies it should have judged are emitted as they come, at-least-once, counted in `fallbacks`),
 * or answers again (`reachable`).
 */
export interface ReshardLedgerEvent {
  readonly type: 'reshard-ledger';
  readonly state: 'unreachable' | 'reachable';
  /** Copies emitted without a verdict so far in this reshard. */
  readonly fallbacks: number;
  readonly reason?: string;
}

/**
 * `lifecycle$`: a status change of a shard of the layout a reshard is preparing. Its own `type`
 * (and `totalShards`) tell it from the running shards' `status` events, whose ids may be the same.
 * Once the handover is done, the new shards report plain `status` events like any running shard.
 */
export interface ReshardShardStatusEvent {
  readonly type: 'reshard-status';
  readonly shardId: number;
  readonly totalShards: number;
  readonly status: ShardStatus;
  readonly code?: number;
  readonly reason?: string;
}
