import type { SchedulerLike } from 'rxjs';
import type { ShardLifecycleEvent } from '../shard/lifecycle-event.js';
import type { IdentifyQueue, SessionSnapshot, ShardDispatchEvent } from '../shard/types.js';
import type { ShardLayout } from './layout.js';
import type { ClusterReshardEvent, ReshardLedgerEvent, ReshardShardStatusEvent } from './reshard-events.js';
import type { ReshardTiming } from './timing.js';

/**
 * What the reshard room needs from a cluster, written down here so that it never imports the
 * cluster: the cluster implements these interfaces (its `ShardSet` is a `ReshardSet`) and asks
 * a `ReshardRun` to run with a `ReshardHost`.
 */

/** Where a set's dispatches go: `dispatch$` itself, or a handover in between. */
export interface DispatchSink {
  next(event: ShardDispatchEvent): void;
}

/** Hears a set's events other than dispatches, after the set has booked them. */
export interface ReshardSetListener {
  lifecycle(set: ReshardSet, shard: { readonly shardId: number }, event: ShardLifecycleEvent): void;
}

/** One layout's shards as a reshard drives them: started, redirected, listened to, stopped. */
export interface ReshardSet {
  readonly layout: ShardLayout;
  /** Where its dispatches go; a reshard redirects it. */
  output: DispatchSink;
  listener: ReshardSetListener;
  /** Starts every shard (resuming those with a session of this layout, the others identify in waves). */
  start(sessions: ReadonlyMap<number, SessionSnapshot>): void;
  /** Closes every shard (4000 with `keepSession`, else 1000), `timeoutMs` at most. */
  stop(keepSession: boolean, timeoutMs: number): Promise<void>;
}

/** What a reshard needs from its cluster; `S` is the cluster's own set type. */
export interface ReshardHost<S extends ReshardSet = ReshardSet> {
  /** The running set. */
  readonly current: S;
  createSet(layout: ShardLayout, output: DispatchSink, listener: ReshardSetListener, queue: IdentifyQueue, events: readonly string[] | undefined): S;
  /** Makes `next` the running set: its sessions saved, the ids it lacks dropped from the store, its events the cluster's. */
  adopt(next: S): void;
  readonly dispatch$: DispatchSink;
  lifecycle(event: ClusterReshardEvent | ReshardShardStatusEvent | ReshardLedgerEvent): void;
  readonly scheduler: SchedulerLike;
  readonly identifyQueue: IdentifyQueue;
  /** The cluster's `events` option. */
  readonly events: readonly string[] | undefined;
  /** One identify window plus its margin. */
  readonly windowMs: number;
  /** How many identify waves these shards take (one shard per identify bucket in a wave). */
  waveCount(shardIds: readonly number[]): number;
  readonly shutdownMs: number;
  readonly timing: ReshardTiming;
}
