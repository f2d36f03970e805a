/** The cluster: identify scheduling, session storage, merged streams and typed dispatch helpers. */
export { createCluster, type Cluster, type ClusterReady } from './cluster.js';
export type { ClusterLifecycleEvent } from './lifecycle-event.js';
export type { ShardLifecycleEvent } from '../shard/lifecycle-event.js';
export { layoutProblem, describeLayout, MAX_LAYOUT_SHARDS, type ShardLayout } from '../reshard/layout.js';
export type { ReshardReport, ReshardPhase, ClusterReshardEvent, ReshardShardStatusEvent, ReshardLedgerEvent } from '../reshard/reshard-events.js';
export type { PhasedReshard, PhasedReshardOptions } from '../reshard/phased.js';
export { rawHandoverKey, type FleetReshardPlan } from '../reshard/crossing.js';
export { CLUSTER_TIMING_DEFAULTS, type ClusterOptions } from './options.js';
export { createMemoryIdentifyQueue, defaultIdentifyMargin, type MemoryIdentifyQueue, type MemoryIdentifyQueueOptions, type SessionStartLimit } from '../shard/identify-queue.js';
export { createMemorySessionStore, type SessionStore } from './session-store.js';
export { ofType, type DispatchData, type DispatchDataMap, type TypedDispatch } from './of-type.js';
export { guildShard } from '../gateway/guild-shard.js';
export type { ShardInfo } from './shard-record.js';
export { stopOnSignals, type Stoppable, type StopOnSignalsOptions } from './stop-on-signals.js';
export {
  handleStopSignals,
  signalExitCode,
  STOP_SIGNALS,
  STOP_DEADLINE_MS,
  DEADLINE_EXIT_CODE,
  FAILED_STOP_EXIT_CODE,
  type SignalProcess,
  type SignalStopOptions,
} from './signal-stop.js';
