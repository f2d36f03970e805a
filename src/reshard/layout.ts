import { DisclusterError } from '../gateway/errors.js';

/** Which shards a cluster runs: `shardIds` out of `totalShards` (Discord's `num_shards`). */
export interface ShardLayout {
  readonly totalShards: number;
  readonly shardIds: readonly number[];
}

/** Most shards one layout may name (Discord's own ceiling is far below). */
export const MAX_LAYOUT_SHARDS = 65_536;

/**
 * Why a layout is unusable, or null when it is fine: `totalShards` an integer from 1, `shardIds`
 * a non-empty list of distinct integers in `0..totalShards-1`. Pure.
 */
export const layoutProblem = (layout: unknown): string | null => {
  if (typeof layout !== 'object' || layout === null) return 'a layout must be { totalShards, shardIds }';
  const { totalShards, shardIds } = layout as { totalShards?: unknown; shardIds?: unknown };
  if (typeof totalShards !== 'number' || !Number.isInteger(totalShards) || totalShards < 1 || totalShards > MAX_LAYOUT_SHARDS) {
    return `totalShards must be an integer from 1 to ${MAX_LAYOUT_SHARDS}, got ${String(totalShards)}`;
  }
  if (!Array.isArray(shardIds) || shardIds.length === 0) return 'shardIds must be a non-empty array';
  const seen = new Set<number>();
  for (const id of shardIds as unknown[]) {
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id >= totalShards) {
      return `every shard id must be an integer from 0 to ${totalShards - 1}, got ${typeof id === 'number' ? id : typeof id}`;
    }
    if (seen.has(id)) return `shardIds must not repeat a shard (${id})`;
    seen.add(id);
  }
  return null;
};

/** A checked copy of `layout` with its ids in order; throws `RESHARD_REFUSED` when it is unusable. */
export const checkLayout = (layout: ShardLayout): ShardLayout => {
  const problem = layoutProblem(layout);
  if (problem !== null) throw new DisclusterError('RESHARD_REFUSED', `reshard refused: ${problem}`);
  return { totalShards: layout.totalShards, shardIds: [...layout.shardIds].sort((a, b) => a - b) };
};

/** `12 shards (0..11 of 12)` or `3 shards (0, 2, 5 of 12)`: a layout for messages. */
export const describeLayout = (layout: ShardLayout): string => {
  const ids = layout.shardIds;
  const contiguous = ids.every((id, i) => i === 0 || id === ids[i - 1]! + 1);
  const list = contiguous && ids.length > 2 ? `${ids[0]}..${ids.at(-1)}` : ids.length > 8 ? `${ids.slice(0, 8).join(', ')}, …` : ids.join(', ');
  return `${ids.length} shard${ids.length === 1 ? '' : 's'} (${list} of ${layout.totalShards})`;
};
