import type { ClusterReshardEvent, ReshardShardStatusEvent } from '../reshard/reshard-events.js';
import type { ShardLifecycleEvent } from '../shard/lifecycle-event.js';

/** `lifecycle$`: the running shards' events other than dispatches, plus a reshard's phases and its new shards' statuses. */
export type ClusterLifecycleEvent = ShardLifecycleEvent | ClusterReshardEvent | ReshardShardStatusEvent;
