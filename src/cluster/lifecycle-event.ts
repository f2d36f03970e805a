import type { ClusterReshardEvent, ReshardLedgerEvent, ReshardShardStatusEvent } from '../reshard/reshard-events.js';
import type { ShardLifecycleEvent } from '../shard/lifecycle-event.js';

/** `lifecycle$`: the running shards' events other than dispatches, plus a reshard's phases, its new shards' statuses and its ledger's state. */
export type ClusterLifecycleEvent = ShardLifecycleEvent | ClusterReshardEvent | ReshardShardStatusEvent | ReshardLedgerEvent;
