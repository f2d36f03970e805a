import { map } from 'rxjs';
import { isIdentifyGrant } from '../shard/identify-budget.js';
import type { IdentifyQueue } from '../shard/types.js';

/**
 * `queue`, telling `count` of each identify its shards send (a grant's `sent()`), not of each
 * grant: a lease let go before the identify went out (the gateway unreachable, closed before
 * Hello) costs no identify and is not counted as one.
 */
export const countingSentIdentifies = (queue: IdentifyQueue, count: () => void): IdentifyQueue => ({
  acquire: (shardId) =>
    queue.acquire(shardId).pipe(
      map((grant: unknown) => ({
        sent: () => {
          count();
          if (isIdentifyGrant(grant)) grant.sent();
        },
      })),
    ),
});
