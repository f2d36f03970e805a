import type { ToClusterMessage } from './to-cluster.js';

/** CONTROL's acknowledgements of forwarded dispatches: see `acknowledgeForwards`. */
export interface ForwardAcks {
  /** Called with every raw message taken from the channel, before it is validated. */
  taken(raw: unknown): void;
  /** Stops acknowledging (clears the pending turn). */
  stop(): void;
}

/**
 * Counts the `dispatch` messages CONTROL takes from a cluster's channel and tells the cluster
 * with one `forward-read` (the count since the start) at the end of the turn that took them: the
 * cluster forwards only so much CONTROL has not acknowledged. A message counts as taken whether
 * or not it then passes validation, so both ends count the same messages.
 */
export const acknowledgeForwards = (send: (message: ToClusterMessage) => void): ForwardAcks => {
  let read = 0;
  let pending: NodeJS.Immediate | null = null;
  const flush = () => {
    pending = null;
    send({ type: 'forward-read', read });
  };
  return {
    taken(raw) {
      if (typeof raw !== 'object' || raw === null || (raw as { type?: unknown }).type !== 'dispatch') return;
      read++;
      pending ??= setImmediate(flush);
    },
    stop() {
      if (pending !== null) clearImmediate(pending);
      pending = null;
    },
  };
};
