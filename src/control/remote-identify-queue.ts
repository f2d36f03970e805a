import { Observable, type Subscriber } from 'rxjs';
import { DisclusterError } from '../gateway/errors.js';
import type { IdentifyGrant } from '../shard/identify-budget.js';
import type { IdentifyQueue } from '../shard/types.js';
import type { ToControlMessage } from './to-control.js';

/** The cluster side of `identify: 'control'`: an identify queue whose grants come from CONTROL. */
export interface RemoteIdentifyQueue extends IdentifyQueue {
  /** Emits the grant: its `sent()` sends `identify-sent` (the shard calls it when the identify goes out). */
  acquire(shardId: number): Observable<IdentifyGrant>;
  /** CONTROL granted request `nonce`. Unknown or stale nonces are ignored. */
  grant(nonce: number): void;
  /** CONTROL will never grant request `nonce`: the waiting shard's `acquire` errors. */
  refuse(nonce: number, code: string, message: string): void;
  /** Stops sending; waiting shards are told their identify was cancelled. */
  dispose(): void;
}

interface Pending {
  readonly shardId: number;
  readonly subscriber: Subscriber<IdentifyGrant>;
}

/**
 * `acquire(shardId)` sends `identify-request` with a fresh nonce and emits on the matching
 * `identify-grant`; the grant's `sent()` (the identify went out) sends `identify-sent`, which
 * spends a unit of CONTROL's budget; unsubscribing (once the gateway answered, or to give the
 * place up) sends `identify-done`, which releases the lease on CONTROL's side.
 */
export const createRemoteIdentifyQueue = (send: (message: ToControlMessage) => void, maxConcurrency: number): RemoteIdentifyQueue => {
  const pending = new Map<number, Pending>();
  let nextNonce = 1;
  let disposed = false;
  return {
    acquire: (shardId) =>
      new Observable<IdentifyGrant>((subscriber) => {
        if (disposed) {
          subscriber.error(new DisclusterError('IDENTIFY_CANCELLED', 'the cluster is stopping'));
          return;
        }
        const nonce = nextNonce++;
        pending.set(nonce, { shardId, subscriber });
        send({ type: 'identify-request', shardId, bucket: shardId % maxConcurrency, nonce });
        return () => {
          pending.delete(nonce);
          if (!disposed) send({ type: 'identify-done', shardId, nonce });
        };
      }),
    grant(nonce) {
      const waiting = pending.get(nonce);
      if (waiting === undefined) return;
      let sent = false;
      waiting.subscriber.next({
        sent: () => {
          if (sent || disposed) return;
          sent = true;
          send({ type: 'identify-sent', shardId: waiting.shardId, nonce });
        },
      });
    },
    refuse(nonce, code, message) {
      const code_ = code === 'IDENTIFY_BUDGET_EXHAUSTED' ? code : 'IDENTIFY_CANCELLED';
      pending.get(nonce)?.subscriber.error(new DisclusterError(code_, `CONTROL refused the identify: ${message}`));
    },
    dispose() {
      disposed = true;
      for (const { subscriber } of [...pending.values()]) subscriber.error(new DisclusterError('IDENTIFY_CANCELLED', 'the cluster is stopping'));
      pending.clear();
    },
  };
};
