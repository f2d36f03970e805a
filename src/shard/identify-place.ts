import type { Subscription } from 'rxjs';
import { isDisclusterError } from '../gateway/errors.js';
import { type IdentifyGrant, isIdentifyGrant } from './identify-budget.js';
import { type LeaseEvent, releasesLease } from './identify-lease.js';
import type { ConnectionEnd } from './session.js';
import type { IdentifyQueue } from './types.js';

/** What an identify place tells its connection. */
export interface IdentifyPlaceOwner {
  /** The queue granted this shard its turn to identify. */
  granted(): void;
  /** The queue refused (budget spent) or failed before the identify went out: the connection ends so. */
  end(why: ConnectionEnd): void;
}

/**
 * A connection's place in the identify queue: asked for when the connection starts, in
 * subscription order, and held as a lease until the gateway has answered the identify
 * (`releasesLease` in identify-lease.ts says on which event it goes). When the identify is
 * written it tells the grant (`IdentifyGrant.sent`): only then does the queue spend a unit of
 * the daily budget; a lease let go before that costs nothing (identify-budget.ts).
 */
export class IdentifyPlace {
  private lease: Subscription | null = null;
  private identifySent = false;
  private grant: IdentifyGrant | null = null;

  constructor(queue: IdentifyQueue, shardId: number, owner: IdentifyPlaceOwner) {
    let granted = false;
    this.lease = queue.acquire(shardId).subscribe({
      next: (grant: unknown) => {
        granted = true;
        this.grant = isIdentifyGrant(grant) ? grant : null;
        owner.granted();
      },
      error: (error: unknown) => {
        // Once the identify is out, the lease only spaced it: a queue that loses the lease now (its
        // store went away) changes nothing for this connection, which waits for READY as before.
        if (this.identifySent) {
          this.lease = null;
          return;
        }
        owner.end(isDisclusterError(error, 'IDENTIFY_BUDGET_EXHAUSTED') ? { type: 'identify-refused', error } : { type: 'identify-error' });
      },
      complete: () => granted || owner.end({ type: 'identify-error' }),
    });
  }

  /** Something happened to the connection: lets the lease go when `event` calls for it (the queue counts the bucket's window from there). */
  event(event: LeaseEvent): void {
    if (event === 'identify-sent' && !this.identifySent) {
      this.identifySent = true;
      this.grant?.sent();
    }
    if (this.lease === null || !releasesLease(event, this.identifySent)) return;
    this.lease.unsubscribe();
    this.lease = null;
  }
}
