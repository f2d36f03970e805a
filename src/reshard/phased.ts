import type { HandoverLedger } from './ledger.js';
import type { FleetReshardPlan } from './crossing.js';
import type { ReshardReport } from './reshard-events.js';

/** Options of `cluster.prepareReshard`: with `fleet`, events of guilds that cross clusters go through `fleet.ledger`. */
export interface PhasedReshardOptions {
  readonly fleet?: {
    /** The fleet's old and new layouts; the cluster's new layout must be `plan.to.clusters[clusterId]`. */
    readonly plan: FleetReshardPlan;
    /** This cluster's id in the plan. */
    readonly clusterId: string;
    /** The ledger every cluster of the fleet shares for the crossing guilds. */
    readonly ledger: HandoverLedger;
  };
}

/**
 * A reshard run by an outside driver, phase by phase (`cluster.prepareReshard`). The new set opens
 * at once; nothing switches until `switch()`. Any phase may be asked once; asking `abort` after
 * `switch` does nothing (the new layout runs).
 */
export interface PhasedReshard {
  /** Resolves once every new shard is ready (READY and its guilds); rejects when the preparation aborts (a fatal close, its timeout, `abort()`, a shutdown). */
  readonly prepared: Promise<void>;
  /** Hands `dispatch$` over to the new set (once `prepared`); resolves at once. Refused (`RESHARD_REFUSED`) before `prepared`. */
  switch(): Promise<void>;
  /** Closes the old set (1000) once the match window after the switch has passed, drops its sessions; resolves with the report. */
  retire(): Promise<ReshardReport>;
  /** Drops the new set; the old layout runs on as before. Resolves once the new shards are closed. */
  abort(): Promise<void>;
}

/** One signal that fires once. */
class Signal {
  readonly fired: Promise<void>;
  private fire!: () => void;
  done = false;
  constructor() {
    this.fired = new Promise<void>((resolve) => (this.fire = resolve));
  }
  trigger(): void {
    this.done = true;
    this.fire();
  }
}

/** What a `ReshardRun` and its driver share in a phased reshard: the readiness it reports, the retire it waits for. */
export class PhaseGate {
  readonly retireRequested = new Signal();
  readonly prepared: Promise<void>;
  isPrepared = false;
  private settle!: { resolve(): void; reject(error: Error): void };

  constructor() {
    this.prepared = new Promise<void>((resolve, reject) => (this.settle = { resolve, reject }));
    this.prepared.catch(() => {}); // the driver may never ask
  }

  /** Every new shard is ready. */
  markPrepared(): void {
    this.isPrepared = true;
    this.settle.resolve();
  }

  /** The preparation aborted. */
  markAborted(error: Error): void {
    this.settle.reject(error);
  }
}
