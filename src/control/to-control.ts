/**
 * Messages a cluster sends to CONTROL, as io-ts codecs: the one definition both ends use (CONTROL
 * decodes them, the cluster builds them from the inferred types). See PROTOCOL.md.
 */
import * as t from 'io-ts';
import {
  boundedArray,
  boundedRecord,
  boundedString,
  CloseCode,
  Count,
  DispatchName,
  FatalKindCodec,
  FiniteNumber,
  intBetween,
  nonEmptyString,
  Nonce,
  PROTOCOL_VERSION,
  SessionSnapshotCodec,
  ShardId,
  ShardStatusCodec,
} from './codec-fields.js';
import { StatsCodec } from './stats-codec.js';
import { LayoutCodec, MAX_CLUSTER_SHARDS } from './to-cluster.js';
import { LedgerOfferCodec, ReshardedCodec, ReshardLedgerCodec, ReshardPhaseReplyCodec, ReshardProgressCodec, ReshardStatusCodec } from './to-control-reshard.js';

export { MAX_STATS_EVENT_NAMES } from './stats-codec.js';
export { LedgerOfferCodec, ReshardedCodec, ReshardLedgerCodec, ReshardPhaseCodec, ReshardPhaseReplyCodec, ReshardProgressCodec, ReshardStatusCodec } from './to-control-reshard.js';

const Text = boundedString(4096);

/** `spawned`: the first message; the cluster is up and waits for `start`. */
export const SpawnedCodec = t.type(
  { type: t.literal('spawned'), protocol: t.literal(PROTOCOL_VERSION, `protocol version ${PROTOCOL_VERSION}`), pid: Count },
  'spawned',
);

/** `shard-status`: a shard's status changed; `code` is the close code behind the change, if any. */
export const ShardStatusMessageCodec = t.intersection(
  [t.type({ type: t.literal('shard-status'), shardId: ShardId, status: ShardStatusCodec }), t.partial({ code: CloseCode })],
  'shard-status',
);

/** `ready`: every shard was READY (or resumed) once, or went fatal. Sent once. */
export const ReadyCodec = t.type(
  {
    type: t.literal('ready'),
    shardIds: boundedArray(ShardId, MAX_CLUSTER_SHARDS),
    failed: boundedArray(ShardId, MAX_CLUSTER_SHARDS),
    elapsedMs: FiniteNumber,
  },
  'ready',
);

/** `fatal`: a shard stopped for good. */
export const FatalCodec = t.type(
  { type: t.literal('fatal'), shardId: ShardId, code: t.union([t.null, CloseCode]), reason: Text, kind: FatalKindCodec },
  'fatal',
);

/**
 * `message-dropped`: a shard could not read a message (over its `maxMessageBytes`, not JSON, not
 * a gateway frame) and skipped it; its connection and session go on. `t` and `s` when the
 * message's ends showed them; `bytes` is its size.
 */
export const MessageDroppedCodec = t.intersection(
  [
    t.type({
      type: t.literal('message-dropped'),
      shardId: ShardId,
      reason: t.keyof({ 'too-large': null, 'invalid-json': null, 'invalid-frame': null }, 'drop reason'),
      bytes: Count,
    }),
    t.partial({ t: DispatchName, s: Count }),
  ],
  'message-dropped',
);

/** `identify-loop`: a shard identified `identifies` times within `windowMs` without staying ready; it waits `waitMs` before its next identify. */
export const IdentifyLoopCodec = t.type(
  { type: t.literal('identify-loop'), shardId: ShardId, identifies: Count, windowMs: Count, waitMs: Count },
  'identify-loop',
);

/** `identify-request`: a shard waits for `identify-grant` with the same nonce. `bucket` is `shardId % maxConcurrency`. */
export const IdentifyRequestCodec = t.type(
  { type: t.literal('identify-request'), shardId: ShardId, bucket: Count, nonce: Nonce },
  'identify-request',
);

/**
 * `identify-sent`: the shard of request `nonce` wrote its identify to the socket: CONTROL's queue
 * spends a unit of the daily budget for it. A granted request that ends with `identify-done` and
 * no `identify-sent` (the connection failed before Hello) spends nothing and starts no window.
 */
export const IdentifySentCodec = t.type({ type: t.literal('identify-sent'), shardId: ShardId, nonce: Nonce }, 'identify-sent');

/** `identify-done`: the lease of request `nonce` is released (the gateway answered an identify sent) or given up (before a grant, or before the identify). */
export const IdentifyDoneCodec = t.type({ type: t.literal('identify-done'), shardId: ShardId, nonce: Nonce }, 'identify-done');

/** `command-result`: how the `command` with this nonce ended. */
export const CommandResultCodec = t.union(
  [
    t.type({ type: t.literal('command-result'), nonce: Nonce, ok: t.literal(true) }),
    t.type({ type: t.literal('command-result'), nonce: Nonce, ok: t.literal(false), code: nonEmptyString(64), message: Text }),
  ],
  'command-result',
);

/** `pong`: the reply to `ping`. */
export const PongCodec = t.type({ type: t.literal('pong'), nonce: Nonce, eventLoopLagMs: FiniteNumber }, 'pong');

/** `stopped`: the reply to `shutdown`; every shard is closed. The cluster exits after it. */
export const StoppedCodec = t.type(
  { type: t.literal('stopped'), nonce: Nonce, sessions: boundedArray(SessionSnapshotCodec, MAX_CLUSTER_SHARDS) },
  'stopped',
);

/** The signals that stop a cluster process gracefully. */
export const StopSignalCodec = t.keyof({ SIGTERM: null, SIGINT: null }, "signal ('SIGTERM' | 'SIGINT')");

/**
 * `stopping` (unsolicited): the cluster's process got `signal` and is closing every shard with
 * 4000, keeping the sessions; `sessions-kept` follows, then the process exits 0 (or with 124
 * should the stop outlast `deadlineMs`, or 128 + the signal's number on a second signal).
 */
export const StoppingCodec = t.type({ type: t.literal('stopping'), signal: StopSignalCodec, deadlineMs: Count }, 'stopping');

/** `sessions-kept` (unsolicited): the stop `stopping` announced is done; `sessions` are the resumable snapshots. The process exits after it. */
export const SessionsKeptCodec = t.type(
  { type: t.literal('sessions-kept'), signal: StopSignalCodec, sessions: boundedArray(SessionSnapshotCodec, MAX_CLUSTER_SHARDS) },
  'sessions-kept',
);

/** `dispatch`: a gateway dispatch whose name is in `start.forward.dispatches`. */
export const DispatchCodec = t.type(
  { type: t.literal('dispatch'), shardId: ShardId, t: DispatchName, s: Count, d: t.unknown },
  'dispatch',
);

/**
 * `forward-dropped`: CONTROL fell behind and the cluster dropped forwarded dispatches: `dispatches`
 * counts them by name, `total` in all, from `firstAt` to `lastAt` (the cluster's clock, ms since
 * the epoch). Sent once CONTROL has read the window down to half, where the gap is: every
 * `dispatch` before it was forwarded before the first drop, every one after it after the last.
 */
export const ForwardDroppedCodec = t.type(
  {
    type: t.literal('forward-dropped'),
    dispatches: boundedRecord(DispatchName, Count, 512),
    total: Count,
    firstAt: FiniteNumber,
    lastAt: FiniteNumber,
  },
  'forward-dropped',
);

/** What went wrong with a message from CONTROL (see PROTOCOL.md for every code). */
export const ErrorCodeCodec = t.keyof(
  {
    'not-an-object': null,
    'too-large': null,
    'unknown-type': null,
    invalid: null,
    'not-started': null,
    'already-started': null,
    'start-failed': null,
    'reshard-failed': null,
  },
  'error code',
);

/** One reason a message failed validation: where, and what was expected there. Never the value. */
export const IssueCodec = t.type({ path: boundedString(256), expected: boundedString(256) }, 'issue');

/**
 * `error`: a message from CONTROL was refused. `about` and `nonce` are set when they could be read
 * safely; `cause` is the library's error code behind a `start-failed` or `reshard-failed`.
 */
export const ErrorCodec = t.intersection(
  [
    t.type({ type: t.literal('error'), code: ErrorCodeCodec, message: Text, issues: boundedArray(IssueCodec, 16) }),
    t.partial({ about: nonEmptyString(32), nonce: Nonce, cause: nonEmptyString(64) }),
  ],
  'error',
);

/** Every message a cluster may send, by `type`. */
export const TO_CONTROL = {
  spawned: SpawnedCodec,
  'shard-status': ShardStatusMessageCodec,
  ready: ReadyCodec,
  fatal: FatalCodec,
  'identify-request': IdentifyRequestCodec,
  'identify-sent': IdentifySentCodec,
  'identify-done': IdentifyDoneCodec,
  'command-result': CommandResultCodec,
  stats: StatsCodec,
  pong: PongCodec,
  stopped: StoppedCodec,
  stopping: StoppingCodec,
  'sessions-kept': SessionsKeptCodec,
  dispatch: DispatchCodec,
  'forward-dropped': ForwardDroppedCodec,
  resharded: ReshardedCodec,
  'reshard-progress': ReshardProgressCodec,
  'reshard-phase': ReshardPhaseReplyCodec,
  'reshard-ledger': ReshardLedgerCodec,
  'reshard-status': ReshardStatusCodec,
  'message-dropped': MessageDroppedCodec,
  'identify-loop': IdentifyLoopCodec,
  'ledger-offer': LedgerOfferCodec,
  error: ErrorCodec,
} as const;

/** Any message from a cluster to CONTROL. */
export type ToControlMessage = { [K in keyof typeof TO_CONTROL]: t.TypeOf<(typeof TO_CONTROL)[K]> }[keyof typeof TO_CONTROL];
/** The `type` of a message from a cluster. */
export type ToControlType = keyof typeof TO_CONTROL;
/** The message of one `type`. */
export type ToControlOf<K extends ToControlType> = Extract<ToControlMessage, { type: K }>;
/** An `error` message's code. */
export type ProtocolErrorCode = t.TypeOf<typeof ErrorCodeCodec>;
/** One validation issue. */
export type ProtocolIssue = t.TypeOf<typeof IssueCodec>;
