/**
 * An identify queue for `ours` counted from the send. A module of its own, imported by `ours`
 * alone: rxjs is not loaded in the other contenders' processes, whose memory is the floor.
 */
import { Observable, type Subscription } from 'rxjs';
import type { IdentifyQueue } from '../src/shard/types.js';

/**
 * A queue whose inner lease is released as the grant is passed on: the window counts from the send.
 * The grant is told the identify was sent first (it is, right after), so the inner queue starts the
 * bucket's window and spends the unit as it did before only identifies sent counted.
 */
export const countedFromSend = (inner: IdentifyQueue): IdentifyQueue => ({
  acquire: (shardId) =>
    new Observable<void>((subscriber) => {
      const lease: Subscription = inner.acquire(shardId).subscribe({
        next: (grant: unknown) => {
          (grant as { sent?: () => void } | undefined)?.sent?.();
          lease.unsubscribe();
          subscriber.next();
        },
        error: (error: unknown) => subscriber.error(error),
      });
      return () => lease.unsubscribe();
    }),
});
