/** @discluster/cluster: Discord gateway shards as RxJS streams, grouped in a cluster. */
export * from './cluster/index.js';
export * from './shard/index.js';
export * from './gateway/index.js';
export * from './control/index.js';
export * from './rest/index.js';
export { planFleetReshard, type FleetLayout, type FleetPlan, type FleetReshardRequest } from './reshard/fleet-plan.js';
export { LEDGER_MEMORY_WINDOWS } from './reshard/timing.js';
export { createMemoryHandoverLedger, type MemoryHandoverLedger, type MemoryHandoverLedgerOptions } from './reshard/memory-ledger.js';
export type { HandoverLedger, HandoverSide } from './reshard/ledger.js';
