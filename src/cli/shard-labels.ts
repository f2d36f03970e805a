/**
 * The demo's row labels for a reshard. A cluster's layout may hold only part of a shard count
 * (the demo's main cluster runs shards 0–7 of 9; shard 8 of 9 is the fatal demo's cluster), so a
 * retired row names the number of shards the old layout had, not the shard count.
 */

/** A new shard's row while the reshard prepares it, e.g. `shard 3 of 12 (new)`. */
export const newShardLabel = (shardId: number, totalShards: number): string => `shard ${shardId} of ${totalShards} (new)`;

/** An old shard's row once the reshard is done, e.g. `shard 3 of the old 8 (retired)`. */
export const retiredShardLabel = (shardId: number, oldShardCount: number): string => `shard ${shardId} of the old ${oldShardCount} (retired)`;
