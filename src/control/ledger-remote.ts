import { DisclusterError } from '../gateway/errors.js';
import { ledgerDeadline, type LedgerDeadline } from '../reshard/ledger-deadline.js';
import { ledgerKeyOf } from '../reshard/ledger-key.js';
import type { HandoverLedger, HandoverSide } from '../reshard/ledger.js';
import { MAX_LEDGER_OFFER_KEYS, type ToClusterMessage } from './to-cluster.js';
import type { ToControlMessage } from './to-control.js';

/** The cluster side of the CONTROL-held handover ledger. */
export interface RemoteHandoverLedger extends HandoverLedger {
  /** A `ledger-verdicts` from CONTROL: settles its batch. Unknown or late batch ids are ignored. */
  settle(message: Extract<ToClusterMessage, { type: 'ledger-verdicts' }>): void;
  /** The channel is gone: every waiting offer rejects, later ones too. */
  dispose(): void;
  /** Messages sent (`ledger-offer`, for the bench and tests) and offers rejected. */
  readonly counts: { readonly messages: number; readonly keys: number; readonly rejected: number };
}

/** Options of {@link createRemoteHandoverLedger}. */
export interface RemoteHandoverLedgerOptions {
  /** An offer CONTROL does not answer within this long rejects with `LEDGER_UNREACHABLE` (default 1000 ms). */
  readonly timeoutMs?: number;
  /** Most keys offered and not answered yet; an offer past it rejects at once (default 100000). */
  readonly maxWaitingKeys?: number;
}

interface Offer {
  readonly keys: readonly string[];
  readonly resolve: (verdicts: readonly boolean[]) => void;
  readonly reject: (error: Error) => void;
}

interface Batch {
  readonly offers: readonly Offer[];
  readonly size: number;
  readonly deadline: LedgerDeadline;
}

const unreachable = (why: string) => new DisclusterError('LEDGER_UNREACHABLE', `handover ledger (CONTROL): ${why}`);

/**
 * A `HandoverLedger` whose decisions CONTROL makes. The offers of one event-loop turn are gathered
 * per side and sent at the next `setImmediate` as one `ledger-offer` per side (more when a side
 * has over 4096 keys), so a turn costs at most two messages each way, whatever the number of
 * events. Keys travel in their `ledgerKeyOf` form. An offer rejects with `LEDGER_UNREACHABLE` when
 * CONTROL answers `failed`, does not answer within `timeoutMs`, when more than `maxWaitingKeys`
 * keys would wait, or once the channel is gone (`dispose`).
 */
export const createRemoteHandoverLedger = (send: (message: ToControlMessage) => void, options: RemoteHandoverLedgerOptions = {}): RemoteHandoverLedger => {
  const timeoutMs = options.timeoutMs ?? 1_000;
  const maxWaitingKeys = options.maxWaitingKeys ?? 100_000;
  for (const [name, value] of Object.entries({ timeoutMs, maxWaitingKeys })) {
    if (!Number.isSafeInteger(value) || value < 1) throw new DisclusterError('INVALID_OPTIONS', `${name} must be a positive integer, got ${String(value)}`);
  }
  const counts = { messages: 0, keys: 0, rejected: 0 };
  const turn: Record<HandoverSide, Offer[]> = { old: [], new: [] };
  const batches = new Map<number, Batch>();
  let flushScheduled: ReturnType<typeof setImmediate> | null = null;
  let nextBatchId = 1;
  let waitingKeys = 0;
  let gone: Error | null = null;

  const refuse = (offers: readonly Offer[], error: Error) => {
    for (const offer of offers) {
      counts.rejected++;
      offer.reject(error);
    }
  };

  const take = (batchId: number): Batch | undefined => {
    const batch = batches.get(batchId);
    if (batch === undefined) return undefined;
    batches.delete(batchId);
    batch.deadline.cancel();
    waitingKeys -= batch.size;
    return batch;
  };

  /** Sends `offers` (at most MAX_LEDGER_OFFER_KEYS keys in all) as one message. */
  const sendBatch = (side: HandoverSide, offers: readonly Offer[]) => {
    const batchId = nextBatchId++;
    const keys = offers.flatMap((o) => o.keys.map(ledgerKeyOf));
    const deadline = ledgerDeadline(timeoutMs, () => {
      const batch = take(batchId);
      if (batch !== undefined) refuse(batch.offers, unreachable(`no verdicts from CONTROL within ${timeoutMs} ms`));
    });
    batches.set(batchId, { offers, size: keys.length, deadline });
    counts.messages++;
    counts.keys += keys.length;
    send({ type: 'ledger-offer', batchId, side, keys });
  };

  const flush = () => {
    flushScheduled = null;
    for (const side of ['old', 'new'] as const) {
      const offers = turn[side].splice(0);
      let group: Offer[] = [];
      let size = 0;
      for (const offer of offers) {
        if (size + offer.keys.length > MAX_LEDGER_OFFER_KEYS && group.length > 0) {
          sendBatch(side, group);
          group = [];
          size = 0;
        }
        group.push(offer);
        size += offer.keys.length;
      }
      if (group.length > 0) sendBatch(side, group);
    }
  };

  /** No more offers: the waiting ones reject with `why`. */
  const stop = (why: string) => {
    gone ??= unreachable(why);
    if (flushScheduled !== null) clearImmediate(flushScheduled);
    flushScheduled = null;
    refuse([...turn.old.splice(0), ...turn.new.splice(0)], gone);
    for (const batchId of [...batches.keys()]) refuse(take(batchId)!.offers, gone);
    waitingKeys = 0;
  };

  const offerChunk = (side: HandoverSide, keys: readonly string[]) =>
    new Promise<readonly boolean[]>((resolve, reject) => {
      turn[side].push({ keys, resolve, reject });
      flushScheduled ??= setImmediate(flush);
    });

  return {
    counts,
    offer: async (side, keys) => {
      if (gone !== null) throw gone;
      if (keys.length === 0) return [];
      if (waitingKeys + keys.length > maxWaitingKeys) {
        counts.rejected++;
        throw unreachable(`${waitingKeys} keys already wait for CONTROL (maxWaitingKeys ${maxWaitingKeys})`);
      }
      waitingKeys += keys.length;
      const chunks: Promise<readonly boolean[]>[] = [];
      for (let from = 0; from < keys.length; from += MAX_LEDGER_OFFER_KEYS) chunks.push(offerChunk(side, keys.slice(from, from + MAX_LEDGER_OFFER_KEYS)));
      return (await Promise.all(chunks)).flat();
    },
    settle(message) {
      const batch = take(message.batchId);
      if (batch === undefined) return;
      if ('failed' in message) return refuse(batch.offers, unreachable(`CONTROL's ledger failed: ${message.failed}`));
      if (message.verdicts.length !== batch.size) return refuse(batch.offers, unreachable(`CONTROL answered ${message.verdicts.length} verdicts for ${batch.size} keys`));
      let at = 0;
      for (const offer of batch.offers) {
        offer.resolve(message.verdicts.slice(at, at + offer.keys.length));
        at += offer.keys.length;
      }
    },
    dispose: () => stop('the channel to CONTROL is closed'),
    // the ledger is CONTROL's: closing the cluster's side only stops using it
    close: async () => stop('the ledger was closed'),
  };
};
