import type { Cluster } from '../cluster/cluster.js';
import { DisclusterError } from '../gateway/errors.js';
import type { FleetReshardPlan } from '../reshard/crossing.js';
import type { ShardLayout } from '../reshard/layout.js';
import type { HandoverLedger } from '../reshard/ledger.js';
import type { PhasedReshard } from '../reshard/phased.js';
import type { ReshardReport } from '../reshard/reshard-events.js';

/** What `reshardFleet` asks of each cluster's prepare: its place in the fleet plan, and how long CONTROL waits. */
export interface FleetPrepareOptions {
  readonly fleet?: { readonly clusterId: string; readonly plan: FleetReshardPlan };
  readonly timeoutMs?: number;
}

/**
 * One cluster as `reshardFleet` drives it, phase by phase: a `ClusterHandle` (the cluster in
 * another process or thread, through CONTROL messages) or `fleetMember(cluster)` (in this process).
 */
export interface FleetMember {
  /** Opens the new shards; resolves once every one is ready; rejects when the preparation is refused or aborts. */
  reshardPrepare(layout: ShardLayout, options?: FleetPrepareOptions): Promise<void>;
  /** Hands over to the prepared set. */
  reshardSwitch(): Promise<void>;
  /** Closes the old set once the match window has passed; resolves with the report. */
  reshardRetire(): Promise<ReshardReport>;
  /** Drops the set being prepared (nothing to abort is not an error). */
  reshardAbort(): Promise<void>;
}

/**
 * A cluster of this process as a `FleetMember`: the phases are `cluster.prepareReshard`'s, and
 * `ledger` (shared by every cluster of the fleet) judges the crossing guilds' events. The CONTROL
 * bridge uses the same object for the phase messages.
 */
export const fleetMember = (cluster: Cluster, ledger?: HandoverLedger): FleetMember => {
  let phased: PhasedReshard | null = null;
  const running = (what: string): PhasedReshard => {
    if (phased === null) throw new DisclusterError('RESHARD_REFUSED', `${what} refused: no reshard was prepared`);
    return phased;
  };
  return {
    async reshardPrepare(layout, options = {}) {
      const fleet = options.fleet;
      if (fleet !== undefined && ledger === undefined) throw new DisclusterError('RESHARD_REFUSED', 'fleet reshard refused: this cluster has no handover ledger');
      const started = cluster.prepareReshard(layout, fleet === undefined || ledger === undefined ? {} : { fleet: { plan: fleet.plan, clusterId: fleet.clusterId, ledger } });
      phased = started;
      const forget = () => {
        if (phased === started) phased = null;
      };
      started.prepared.catch(forget);
      await started.prepared;
    },
    reshardSwitch: async () => running('switch').switch(),
    async reshardRetire() {
      const run = running('retire');
      try {
        return await run.retire();
      } finally {
        if (phased === run) phased = null;
      }
    },
    // an abort that takes effect rejects `prepared`, which forgets the run; after a switch it does nothing
    reshardAbort: async () => phased?.abort(),
  };
};
