import type { ShardStatus } from '../shard/types.js';

/** Every status a shard can be in: each gets a value (0 when no shard is in it) so dashboards see zeros, not gaps. */
export const SHARD_STATUSES: readonly ShardStatus[] = ['connecting', 'identifying', 'resuming', 'ready', 'resumed', 'reconnecting', 'closed'];

/** A status that is not one of `SHARD_STATUSES` but looks like one (lower case, dashes) keeps its name; anything else is `other`. */
const STATUS_NAME = /^[a-z][a-z-]{0,31}$/;

/**
 * How many shards are in each status, from one entry per shard (as `cluster.statuses()` or a
 * `stats` reply list them): the values always add up to the number of entries.
 */
export const tallyStatuses = (shards: Iterable<{ readonly status: string }>): Map<string, number> => {
  const tally = new Map<string, number>(SHARD_STATUSES.map((s) => [s, 0]));
  for (const { status } of shards) {
    const label = tally.has(status) || STATUS_NAME.test(status) ? status : 'other';
    tally.set(label, (tally.get(label) ?? 0) + 1);
  }
  return tally;
};
