import type { Observer, Subscription } from 'rxjs';
import type { Cluster, ClusterLifecycleEvent } from '../cluster/cluster.js';
import type { ShardDispatchEvent } from '../shard/types.js';
import { DispatchCounts } from './dispatch-counts.js';
import { LifecycleCounts } from './lifecycle-counts.js';

/** A cluster's dispatches and lifecycle events being counted, until `stop()`. */
export interface ClusterCounting {
  readonly dispatches: DispatchCounts;
  readonly lifecycle: LifecycleCounts;
  /** Stops counting (unsubscribes from both streams). */
  stop(): void;
}

/** The dispatch$ subscriber: one object, so counting a dispatch costs no closure call chain. */
class DispatchCounter implements Partial<Observer<ShardDispatchEvent>> {
  constructor(private readonly counts: DispatchCounts) {}

  next(event: ShardDispatchEvent): void {
    this.counts.count(event.shardId, event.t);
  }
}

/**
 * Starts counting a cluster's dispatches (per shard and event name) and lifecycle events
 * (reconnects, lost sessions, fatal stops) in plain tables. No prom-client here: the metrics
 * entry reads these tables when scraped, and a bridged cluster reports them in `stats`.
 */
export const countCluster = (cluster: Pick<Cluster, 'dispatch$' | 'lifecycle$'>, maxEventNames?: number): ClusterCounting => {
  const dispatches = new DispatchCounts(maxEventNames);
  const lifecycle = new LifecycleCounts();
  const subscription: Subscription = cluster.dispatch$.subscribe(new DispatchCounter(dispatches));
  subscription.add(cluster.lifecycle$.subscribe((event: ClusterLifecycleEvent) => lifecycle.observe(event)));
  return { dispatches, lifecycle, stop: () => subscription.unsubscribe() };
};
