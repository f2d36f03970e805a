import type { Subscription } from 'rxjs';
import { isDisclusterError } from '../gateway/errors.js';
import { type IdentifyGrant, isIdentifyGrant } from '../shard/identify-budget.js';
import type { IdentifyQueue } from '../shard/types.js';
import type { ToClusterMessage } from './to-cluster.js';

/** CONTROL's side of `identify: 'control'`: turns a cluster's identify requests into leases on an `IdentifyQueue`. */
export interface IdentifyBroker {
  /** `identify-request`: acquire a lease; `identify-grant` is sent when the queue emits. */
  request(shardId: number, nonce: number): void;
  /** `identify-sent`: the identify of `nonce` went out: tell the grant (the queue spends a unit of the budget). */
  sent(nonce: number): void;
  /** `identify-done`: release the lease (or give the place up; unsent, it costs nothing). */
  done(nonce: number): void;
  /** The cluster is gone: release every lease. */
  releaseAll(): void;
}

/** A broker over `queue`; leases are keyed by the cluster's nonces. */
export const createIdentifyBroker = (queue: IdentifyQueue, send: (message: ToClusterMessage) => void): IdentifyBroker => {
  const leases = new Map<number, Subscription>();
  const grants = new Map<number, IdentifyGrant>();
  let closed = false;
  const release = (nonce: number) => {
    const lease = leases.get(nonce);
    leases.delete(nonce);
    grants.delete(nonce);
    lease?.unsubscribe();
  };
  return {
    request(shardId, nonce) {
      if (closed) return;
      release(nonce);
      const lease = queue.acquire(shardId).subscribe({
        next: (grant: unknown) => {
          if (isIdentifyGrant(grant)) grants.set(nonce, grant);
          send({ type: 'identify-grant', shardId, nonce });
        },
        error: (error: unknown) => {
          leases.delete(nonce);
          grants.delete(nonce);
          const code = isDisclusterError(error) ? error.code : 'IDENTIFY_CANCELLED';
          const message = (error instanceof Error ? error.message : 'the identify queue failed').slice(0, 1024) || 'refused';
          send({ type: 'identify-refused', shardId, nonce, code, message });
        },
      });
      if (!lease.closed) leases.set(nonce, lease);
    },
    sent(nonce) {
      const grant = grants.get(nonce);
      grants.delete(nonce);
      grant?.sent();
    },
    done: release,
    releaseAll() {
      closed = true;
      for (const nonce of [...leases.keys()]) release(nonce);
    },
  };
};
