import { isDisclusterError } from '../gateway/errors.js';
import type { HandoverLedger, HandoverSide } from '../reshard/ledger.js';
import type { ToClusterMessage } from './to-cluster.js';

/** CONTROL's side of the CONTROL-held handover ledger: answers a cluster's `ledger-offer`s from one ledger. */
export interface LedgerBroker {
  /** `ledger-offer`: decides with the ledger, answers `ledger-verdicts` (or `failed`). */
  offer(batchId: number, side: HandoverSide, keys: readonly string[]): void;
  /** The cluster is gone: answers still pending are not sent. */
  close(): void;
}

/**
 * A broker over `ledger` (null: this CONTROL holds none, every offer is answered `failed`). The
 * ledger is shared by every cluster whose handle got it, so the copies of a crossing guild's
 * events, arriving in two clusters, are decided in one place. Offers are answered in the order the
 * ledger settles them; each answer names its batch.
 */
export const createLedgerBroker = (ledger: HandoverLedger | null, send: (message: ToClusterMessage) => void): LedgerBroker => {
  let closed = false;
  const failed = (batchId: number, why: string) => {
    if (!closed) send({ type: 'ledger-verdicts', batchId, failed: why.slice(0, 1024) || 'failed' });
  };
  return {
    offer(batchId, side, keys) {
      if (closed) return;
      if (ledger === null) return failed(batchId, 'this CONTROL holds no handover ledger');
      ledger.offer(side, keys).then(
        (verdicts) => {
          if (!closed) send({ type: 'ledger-verdicts', batchId, verdicts: [...verdicts] });
        },
        (error: unknown) => failed(batchId, isDisclusterError(error) ? `${error.code}: ${error.message}` : 'the ledger failed'),
      );
    },
    close() {
      closed = true;
    },
  };
};
