/**
 * Messages a cluster sends to CONTROL, as io-ts codecs: the one definition both ends use (CONTROL
 * decodes them, the cluster builds them from the inferred types). See PROTOCOL.md.
 */
import * as t from 'io-ts';
import {
  boundedArray,
  boundedRecord,
  boundedString,
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
import { LayoutCodec, MAX_CLUSTER_SHARDS } from './to-cluster.js';

const CloseCode = intBetween(0, 65_535, 'close code');
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

/** Most distinct dispatch names one shard reports counts of in `stats` (the cluster's cap is lower; past it, `other`). */
export const MAX_STATS_EVENT_NAMES = 1024;

/**
 * One shard in a `stats` reply. The optional counters (since the metrics entry) are counted by
 * the cluster from its start: dispatches by event name, reconnects by kind, lost sessions and
 * fatal stops by kind; a cluster that does not count leaves them out.
 */
export const ShardStatsCodec = t.intersection(
  [
    t.type({
      shardId: ShardId,
      status: ShardStatusCodec,
      latencyMs: t.union([t.null, FiniteNumber]),
      seq: t.union([t.null, Count]),
      events: Count,
      lastCloseCode: t.union([t.null, CloseCode]),
      fatal: t.boolean,
    }),
    t.partial({
      dispatches: boundedRecord(DispatchName, Count, MAX_STATS_EVENT_NAMES),
      // `unreachable`: reconnects after a connection that ended before Hello (a gateway outage)
      reconnects: t.intersection([t.type({ resume: Count, identify: Count }), t.partial({ unreachable: Count })]),
      sessionsLost: Count,
      fatalKinds: boundedRecord(nonEmptyString(32), Count, 16),
    }),
  ],
  'shard stats',
);

/** `stats`: the reply to a `stats` request. */
export const StatsCodec = t.intersection(
  [
    t.type({
      type: t.literal('stats'),
      nonce: Nonce,
      clusterId: boundedString(128),
      shards: boundedArray(ShardStatsCodec, MAX_CLUSTER_SHARDS),
      memory: t.type({ rss: Count, heapUsed: Count, heapTotal: Count, external: Count }, 'memory'),
      eventLoopLagMs: FiniteNumber,
      uptimeMs: FiniteNumber,
    }),
    // shards waiting on the cluster's own identify queue, when it can tell
    t.partial({ identifyWaiting: Count }),
  ],
  'stats',
);

/** `pong`: the reply to `ping`. */
export const PongCodec = t.type({ type: t.literal('pong'), nonce: Nonce, eventLoopLagMs: FiniteNumber }, 'pong');

/** `stopped`: the reply to `shutdown`; every shard is closed. The cluster exits after it. */
export const StoppedCodec = t.type(
  { type: t.literal('stopped'), nonce: Nonce, sessions: boundedArray(SessionSnapshotCodec, MAX_CLUSTER_SHARDS) },
  'stopped',
);

/** `dispatch`: a gateway dispatch whose name is in `start.forward.dispatches`. */
export const DispatchCodec = t.type(
  { type: t.literal('dispatch'), shardId: ShardId, t: DispatchName, s: Count, d: t.unknown },
  'dispatch',
);

/** `resharded`: the reply to `reshard`, the cluster's `ReshardReport`; the new layout is in place. */
export const ReshardedCodec = t.type(
  {
    type: t.literal('resharded'),
    nonce: Nonce,
    from: LayoutCodec,
    to: LayoutCodec,
    identifies: Count,
    elapsedMs: FiniteNumber,
    handoffMs: FiniteNumber,
    duplicatesSuppressed: Count,
    recoveredFromNewSet: Count,
  },
  'resharded',
);

/** Phases of a reshard, as `lifecycle$` reports them. */
export const ReshardPhaseCodec = t.keyof({ preparing: null, 'handing-over': null, done: null, aborted: null }, 'reshard phase');

/**
 * `reshard-progress`: the running reshard moved to `phase`; `reason` comes with `aborted`,
 * `peakHeld` (most events the handover held at once) with `done`.
 */
export const ReshardProgressCodec = t.intersection(
  [t.type({ type: t.literal('reshard-progress'), phase: ReshardPhaseCodec, from: LayoutCodec, to: LayoutCodec }), t.partial({ reason: Text, peakHeld: Count })],
  'reshard-progress',
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
  dispatch: DispatchCodec,
  resharded: ReshardedCodec,
  'reshard-progress': ReshardProgressCodec,
  'reshard-status': ReshardStatusCodec,
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
