import { DisclusterError } from '../gateway/errors.js';
import type { IdentifyQueue } from '../shard/types.js';
import { checkLayout, describeLayout, type ShardLayout } from './layout.js';

/** Identifies kept in hand beyond one per new shard: 10 % of the new shards, at least 1 (a shard may have to identify again). */
export const reshardBudgetMargin = (newShards: number): number => Math.max(1, Math.ceil(newShards / 10));

/** Step 1: the layout checked, or `RESHARD_REFUSED` thrown before anything is identified. */
export const checkReshard = (
  layout: ShardLayout,
  state: { readonly shutDown: boolean; readonly connected: boolean; readonly busy: boolean; readonly identifyQueue: IdentifyQueue },
): ShardLayout => {
  if (state.shutDown) throw new DisclusterError('CLUSTER_SHUT_DOWN', 'the cluster was shut down');
  const checked = checkLayout(layout);
  if (state.busy) throw new DisclusterError('RESHARD_REFUSED', 'reshard refused: another reshard is running');
  if (!state.connected) throw new DisclusterError('RESHARD_REFUSED', 'reshard refused: the cluster is not up yet (wait for connect() to resolve)');
  const remaining = (state.identifyQueue as { readonly remaining?: unknown }).remaining;
  const need = checked.shardIds.length + reshardBudgetMargin(checked.shardIds.length);
  if (typeof remaining === 'number' && remaining < need) {
    throw new DisclusterError(
      'RESHARD_REFUSED',
      `reshard refused: ${describeLayout(checked)} needs ${need} identifies (one per new shard plus a margin of ${need - checked.shardIds.length}); the identify budget has ${remaining} left`,
    );
  }
  return checked;
};
