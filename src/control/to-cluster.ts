/**
 * Messages CONTROL sends to a cluster, as io-ts codecs: the one definition both ends use (the
 * cluster decodes them, CONTROL builds them from the inferred types). See PROTOCOL.md.
 */
import * as t from 'io-ts';
import {
  boundedArray,
  boundedRecord,
  CommandPayloadCodec,
  Count,
  DispatchName,
  intBetween,
  nonEmptyString,
  Nonce,
  PresenceCodec,
  PROTOCOL_VERSION,
  SessionSnapshotCodec,
  SessionStartLimitCodec,
  ShardId,
  TimingCodec,
} from './codec-fields.js';

/** Most shards one cluster may run. */
export const MAX_CLUSTER_SHARDS = 4096;

/** Smallest `forward.maxUnreadBytes`: 64 KiB. */
export const MIN_UNREAD_BYTES = 64 << 10;
/** Largest `forward.maxUnreadBytes`: 1 GiB. */
export const MAX_UNREAD_BYTES = 1 << 30;

/** A shard layout: the bot's shard count and the ids one cluster runs (in `reshard` and `resharded`). */
export const LayoutCodec = t.type(
  { totalShards: intBetween(1, 1_000_000), shardIds: boundedArray(ShardId, MAX_CLUSTER_SHARDS) },
  'layout',
);

/** `start`: the first message; carries the token and the cluster's options. */
export const StartCodec = t.intersection(
  [
    t.type({
      type: t.literal('start'),
      protocol: t.literal(PROTOCOL_VERSION, `protocol version ${PROTOCOL_VERSION}`),
      clusterId: nonEmptyString(128),
      shardIds: boundedArray(ShardId, MAX_CLUSTER_SHARDS),
      totalShards: intBetween(1, 1_000_000),
      token: nonEmptyString(512, 'token (string, 1..512)'),
      intents: Count,
      gateway: t.intersection(
        [
          t.type({ url: nonEmptyString(2048), maxConcurrency: intBetween(1, 1024) }),
          t.partial({ sessionStartLimit: SessionStartLimitCodec }),
        ],
        'gateway',
      ),
      identify: t.keyof({ local: null, control: null }, "identify ('local' | 'control')"),
    }),
    t.partial({
      compression: t.keyof({ none: null, 'zlib-stream': null, 'zstd-stream': null }, 'compression'),
      presence: PresenceCodec,
      largeThreshold: intBetween(50, 250),
      sessions: boundedArray(SessionSnapshotCodec, MAX_CLUSTER_SHARDS),
      timing: TimingCodec,
      events: boundedArray(DispatchName, 512),
      forward: t.intersection(
        [t.type({ dispatches: boundedArray(DispatchName, 512) }), t.partial({ maxUnreadBytes: intBetween(MIN_UNREAD_BYTES, MAX_UNREAD_BYTES) })],
        'forward',
      ),
      // how long a stop by SIGTERM / SIGINT may take before the process exits anyway (ms)
      stopDeadlineMs: intBetween(1, 600_000),
    }),
  ],
  'start',
);

/** `identify-grant`: the shard of `identify-request` `nonce` may identify now. */
export const IdentifyGrantCodec = t.type({ type: t.literal('identify-grant'), shardId: ShardId, nonce: Nonce }, 'identify-grant');

/** `identify-refused`: the identify of request `nonce` will never be granted (e.g. the daily budget is spent). */
export const IdentifyRefusedCodec = t.type(
  { type: t.literal('identify-refused'), shardId: ShardId, nonce: Nonce, code: nonEmptyString(64), message: nonEmptyString(1024) },
  'identify-refused',
);

/** `command`: send a gateway command through a shard; answered by `command-result`. */
export const CommandCodec = t.type(
  { type: t.literal('command'), shardId: ShardId, payload: CommandPayloadCodec, nonce: Nonce },
  'command',
);

/** `stats`: asks for a `stats` reply. */
export const StatsRequestCodec = t.type({ type: t.literal('stats'), nonce: Nonce }, 'stats');

/** `ping`: answered by `pong`. */
export const PingCodec = t.type({ type: t.literal('ping'), nonce: Nonce }, 'ping');

/** `shutdown`: close every shard, reply `stopped`, then exit. */
export const ShutdownCodec = t.type({ type: t.literal('shutdown'), keepSessions: t.boolean, nonce: Nonce }, 'shutdown');

/**
 * `reshard`: change the cluster's layout to `totalShards` / `shardIds` without downtime
 * (`cluster.reshard`); answered by `resharded` (the report) or by `error` (code `reshard-failed`).
 * Whether the layout is consistent (ids below `totalShards`, no duplicates, not empty) and the
 * identify budget suffices is the cluster's check, reported in that `error`.
 */
export const ReshardCodec = t.intersection([t.type({ type: t.literal('reshard'), nonce: Nonce }), LayoutCodec], 'reshard');

/** Most clusters a fleet layout may name. */
export const MAX_FLEET_CLUSTERS = 1024;

/** A fleet's layout: the shard count and, per cluster id, the ids it runs (in `reshard-prepare`). */
export const FleetLayoutCodec = t.type(
  {
    totalShards: intBetween(1, 1_000_000),
    clusters: boundedRecord(nonEmptyString(128, 'cluster id (string, 1..128)'), boundedArray(ShardId, MAX_CLUSTER_SHARDS), MAX_FLEET_CLUSTERS),
  },
  'fleet layout',
);

/**
 * `reshard-prepare`: the first phase of a reshard an outside driver runs (`reshardFleet`): open the
 * new layout's shards and wait. Answered by `reshard-phase` (`prepared`) once every new shard is
 * ready, or `error` (`reshard-failed`) if it is refused or aborts. With `fleet`, this cluster is
 * `fleet.clusterId` of a fleet going from `fleet.from` to `fleet.to`: events of guilds that cross
 * clusters go through the cluster's handover ledger.
 */
export const ReshardPrepareCodec = t.intersection(
  [
    t.type({ type: t.literal('reshard-prepare'), nonce: Nonce }),
    LayoutCodec,
    t.partial({ fleet: t.type({ clusterId: nonEmptyString(128), from: FleetLayoutCodec, to: FleetLayoutCodec }, 'fleet') }),
  ],
  'reshard-prepare',
);

/** `reshard-switch`: hand over to the prepared set; answered by `reshard-phase` (`switched`) or `error`. */
export const ReshardSwitchCodec = t.type({ type: t.literal('reshard-switch'), nonce: Nonce }, 'reshard-switch');

/** `reshard-retire`: close the old set once the match window after the switch has passed; answered by `resharded` or `error`. */
export const ReshardRetireCodec = t.type({ type: t.literal('reshard-retire'), nonce: Nonce }, 'reshard-retire');

/** `reshard-abort`: drop the set being prepared, keep the old layout; answered by `reshard-phase` (`aborted`). Nothing to abort is not an error. */
export const ReshardAbortCodec = t.type({ type: t.literal('reshard-abort'), nonce: Nonce }, 'reshard-abort');

/**
 * `forward-read`: CONTROL has taken `read` forwarded `dispatch` messages from the channel since
 * the start (cumulative). The cluster forwards at most `forward.maxUnreadBytes` that CONTROL has
 * not acknowledged this way; past it, it drops dispatches and reports them (`forward-dropped`).
 */
export const ForwardReadCodec = t.type({ type: t.literal('forward-read'), read: Count }, 'forward-read');

/** Most keys one `ledger-offer` carries, and verdicts one `ledger-verdicts` (a larger batch is sent as several offers). */
export const MAX_LEDGER_OFFER_KEYS = 4096;

/**
 * `ledger-verdicts`: the answer to `ledger-offer` `batchId`: one verdict per key, in order (true:
 * emit that copy), or `failed` (why CONTROL's ledger could not decide; the offer is refused).
 */
export const LedgerVerdictsCodec = t.union(
  [
    t.type({ type: t.literal('ledger-verdicts'), batchId: Nonce, verdicts: boundedArray(t.boolean, MAX_LEDGER_OFFER_KEYS) }),
    t.type({ type: t.literal('ledger-verdicts'), batchId: Nonce, failed: nonEmptyString(1024) }),
  ],
  'ledger-verdicts',
);

/** Every message CONTROL may send, by `type`. */
export const TO_CLUSTER = {
  start: StartCodec,
  'identify-grant': IdentifyGrantCodec,
  'identify-refused': IdentifyRefusedCodec,
  command: CommandCodec,
  stats: StatsRequestCodec,
  ping: PingCodec,
  shutdown: ShutdownCodec,
  reshard: ReshardCodec,
  'reshard-prepare': ReshardPrepareCodec,
  'reshard-switch': ReshardSwitchCodec,
  'reshard-retire': ReshardRetireCodec,
  'reshard-abort': ReshardAbortCodec,
  'forward-read': ForwardReadCodec,
  'ledger-verdicts': LedgerVerdictsCodec,
} as const;

/** `start`. */
export type StartMessage = t.TypeOf<typeof StartCodec>;
/** `command`. */
export type CommandMessage = t.TypeOf<typeof CommandCodec>;
/** `reshard`. */
export type ReshardMessage = t.TypeOf<typeof ReshardCodec>;
/** `reshard-prepare`. */
export type ReshardPrepareMessage = t.TypeOf<typeof ReshardPrepareCodec>;
/** Any message from CONTROL to a cluster. */
export type ToClusterMessage = { [K in keyof typeof TO_CLUSTER]: t.TypeOf<(typeof TO_CLUSTER)[K]> }[keyof typeof TO_CLUSTER];
/** The `type` of a message from CONTROL. */
export type ToClusterType = keyof typeof TO_CLUSTER;
