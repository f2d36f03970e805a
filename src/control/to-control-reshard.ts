/**
 * The reshard's messages from a cluster to CONTROL, as io-ts codecs (part of `TO_CONTROL`): the
 * report, progress and phase replies, the ledger's state and its offers. See PROTOCOL.md.
 */
import * as t from 'io-ts';
import { boundedArray, boundedString, CloseCode, Count, FiniteNumber, intBetween, nonEmptyString, Nonce, ShardId, ShardStatusCodec } from './codec-fields.js';
import { LEDGER_KEY_MAX_LENGTH } from '../reshard/ledger-key.js';
import { LayoutCodec, MAX_LEDGER_OFFER_KEYS } from './to-cluster.js';

const Text = boundedString(4096);
/** `resharded`: the reply to `reshard` (and `reshard-retire`), the cluster's `ReshardReport`; the new layout is in place. `ledger` after a fleet reshard with a ledger. */
export const ReshardedCodec = t.intersection(
  [
    t.type({
      type: t.literal('resharded'),
      nonce: Nonce,
      from: LayoutCodec,
      to: LayoutCodec,
      identifies: Count,
      elapsedMs: FiniteNumber,
      handoffMs: FiniteNumber,
      duplicatesSuppressed: Count,
      recoveredFromNewSet: Count,
    }),
    t.partial({ ledger: t.type({ offered: Count, admitted: Count, suppressed: Count, fallbacks: Count }, 'ledger counts') }),
  ],
  'resharded',
);

/** Phases of a reshard, as `lifecycle$` reports them. */
export const ReshardPhaseCodec = t.keyof({ preparing: null, prepared: null, 'handing-over': null, done: null, aborted: null }, 'reshard phase');

/**
 * `reshard-progress`: the running reshard moved to `phase`; `reason` comes with `aborted`,
 * `peakHeld` (most events the handover held at once) with `done`. A phased reshard
 * (`reshard-prepare`) also reports `preparing` with `ready` (new shards ready so far) of `total`
 * each time a new shard becomes ready, then `prepared` when all are.
 */
export const ReshardProgressCodec = t.intersection(
  [
    t.type({ type: t.literal('reshard-progress'), phase: ReshardPhaseCodec, from: LayoutCodec, to: LayoutCodec }),
    t.partial({ reason: Text, peakHeld: Count, ready: Count, total: Count }),
  ],
  'reshard-progress',
);

/** `reshard-phase`: the reply to `reshard-prepare` (`prepared`: every new shard is ready), `reshard-switch` (`switched`) and `reshard-abort` (`aborted`). */
export const ReshardPhaseReplyCodec = t.type(
  { type: t.literal('reshard-phase'), nonce: Nonce, phase: t.keyof({ prepared: null, switched: null, aborted: null }, 'phase reached') },
  'reshard-phase',
);

/**
 * `reshard-ledger`: the handover ledger of a fleet reshard could not be reached (`unreachable`: the
 * copies it should have judged are emitted as they come, at-least-once; `fallbacks` counts them)
 * or answers again (`reachable`).
 */
export const ReshardLedgerCodec = t.intersection(
  [
    t.type({ type: t.literal('reshard-ledger'), state: t.keyof({ unreachable: null, reachable: null }, 'ledger state'), fallbacks: Count }),
    t.partial({ reason: Text }),
  ],
  'reshard-ledger',
);

/**
 * `reshard-status`: a shard of the layout a reshard is preparing changed status. Its ids may be
 * those of running shards: `totalShards` tells the sets apart. After the handover the new shards
 * report plain `shard-status`.
 */
export const ReshardStatusCodec = t.intersection(
  [
    t.type({ type: t.literal('reshard-status'), shardId: ShardId, totalShards: intBetween(1, 1_000_000), status: ShardStatusCodec }),
    t.partial({ code: CloseCode }),
  ],
  'reshard-status',
);

/**
 * `ledger-offer`: one copy of each key (a key may repeat) from `side` of a reshard, offered to the
 * handover ledger CONTROL holds; answered by `ledger-verdicts` with the same `batchId`. Keys are
 * `ledgerKeyOf` forms of handover keys (at most 256 characters).
 */
export const LedgerOfferCodec = t.type(
  {
    type: t.literal('ledger-offer'),
    batchId: Nonce,
    side: t.keyof({ old: null, new: null }, "side ('old' | 'new')"),
    keys: boundedArray(nonEmptyString(LEDGER_KEY_MAX_LENGTH, `ledger key (string, 1..${LEDGER_KEY_MAX_LENGTH})`), MAX_LEDGER_OFFER_KEYS),
  },
  'ledger-offer',
);
